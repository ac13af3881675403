"""The `eventsourcing` application that holds the events, sealed and speaking Tally's format.

Two things differ from the library's defaults, both on purpose:

- The environment is only what `storage.resolve` gives. The library would merge
  `os.environ` (so `COMPRESSOR_TOPIC`, `CIPHER_TOPIC` or `TALLY_SQLITE_DBNAME` in
  the user's shell would change where and how events are written).
- The mapper writes Tally's own stored-event format (`ledger.integrity.envelope`): the type
  name, and a state of body, signature and recording time. The library's mapper
  would persist Python module paths and its private JSON transcoding, and would
  import any module a stored topic names; this one knows eight type names.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, Mapper, StoredEvent
from eventsourcing.utils import Environment, EnvType, get_topic

from tally.ledger.errors import VerificationError
from tally.ledger.integrity.envelope import Stored, decode_state, encode_state
from tally.ledger.model.events import EVENT_TYPES, as_uuid

_CREATED = {name: get_topic(aggregate) for name, (cls, aggregate) in EVENT_TYPES.items()
            if issubclass(cls, Aggregate.Created)}


class TallyMapper(Mapper[UUID]):
    """Domain events to and from Tally's stored-event format, version 1."""

    def __init__(self) -> None:
        super().__init__(transcoder=JSONTranscoder())  # unused: states are encoded here

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=domain_event.TOPIC,
            state=encode_state(domain_event.body, domain_event.signature,
                               domain_event.timestamp))

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        """The event; VerificationError (never another error) for one that is not valid."""
        return self.event_from(stored_event, decode_state(stored_event.state))

    def event_from(self, stored_event: StoredEvent, stored: Stored) -> Any:
        """The event of a stored event whose state the caller decoded already."""
        found = EVENT_TYPES.get(stored_event.topic) if isinstance(stored_event.topic, str) \
            else None
        if found is None:
            raise VerificationError(f"the stored event has an unknown type "
                                    f"{str(stored_event.topic)[:40]!r}")
        cls = found[0]
        try:
            originator = as_uuid(stored_event.originator_id)
        except (ValueError, TypeError, AttributeError):
            raise VerificationError("the stored event's aggregate id is not a UUID") from None
        state: dict[str, Any] = {
            "originator_id": originator,
            "originator_version": stored_event.originator_version,
            "timestamp": stored.recorded,
            "body": stored.body,
            "signature": stored.signature,
        }
        if stored_event.topic in _CREATED:
            state["originator_topic"] = _CREATED[stored_event.topic]
        domain_event = object.__new__(cls)
        object.__setattr__(domain_event, "__dict__", state)
        return domain_event


class EventStore(Application[UUID]):
    name = "Tally"
    mapper: TallyMapper

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        return Environment(name, dict(env or {}))

    def construct_mapper(self) -> Mapper[UUID]:
        return TallyMapper()
