"""What the replay reads beside the events, read a batch at a time: the stored events of
the claims a batch records or follows up (`claim_lookup`), the disclosures of its v2 claims
(`prefetch`), and the archived documents and disclosures (`evidence`). The audit and the
tail audit read them alike.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import Connection

from tally.ledger.errors import VerificationError
from tally.ledger.infra.eventstore import Notification
from tally.ledger.integrity.envelope import decode_state
from tally.ledger.model.events import as_uuid
from tally.ledger.verify.replay import ClaimEvents, Evidence

if TYPE_CHECKING:
    from tally.ledger.evidence.archive import Archive
    from tally.ledger.infra.disclosure_store import Disclosures
    from tally.ledger.infra.eventstore import EventStore

_RECORDED = "claim.recorded"
_FOLLOWUPS = ("claim.corrected", "claim.retracted")


def claim_lookup(events: EventStore, batch: Sequence[Notification],
                 conn: Connection | None = None,
                 repeated: Mapping[UUID, list[tuple[int, int, str, bytes]]] | None = None
                 ) -> ClaimEvents:
    """A `ClaimEvents` look-up for one batch: the stored events of the claims it records or
    follows up: with their bodies for the follow-ups' claims; for the claims recorded here
    only where they are (is one recorded twice?), from `repeated`
    (`Ledger.repeated_places`) when the caller has it, else read in one query."""
    followed = list(_ids(batch, _FOLLOWUPS)
                    | {_redacted(n.state) for n in batch if n.topic == "claim.redacted"})
    recorded = list(_ids(batch, (_RECORDED,)) - set(followed))
    found: dict[UUID, list[tuple[int, int, str, str]]] = {}
    if followed:
        for uuid, stored in events.aggregate_events(followed, conn).items():
            found[uuid] = [(p, v, t, _body(state)) for p, v, t, state in stored]
    if recorded:
        places = (events.aggregate_events(recorded, conn, states=False) if repeated is None
                  else {u: repeated[u] for u in recorded if u in repeated})
        for uuid, where in places.items():
            found[uuid] = [(p, v, t, "") for p, v, t, _ in where]
    return lambda ident: found.get(ident, [])


_COMMITMENT = re.compile(rb'\\"commitment\\":\\"([0-9a-f]{64})\\"')


def prefetch(disclosures: Disclosures, batch: Sequence[Notification],
             conn: Connection | None = None) -> dict[str, str]:
    """The stored disclosures of the v2 claims of a batch, in one query (a commitment in a
    state is a body's commitment object, escaped: a value cannot hold that text)."""
    wanted = [c.decode() for n in batch if n.topic == _RECORDED
              and isinstance(n.state, bytes | bytearray | memoryview)
              for c in _COMMITMENT.findall(bytes(n.state))]
    return disclosures.get(wanted, conn) if wanted else {}


def _redacted(state: bytes) -> UUID:
    """The claim a redaction order names (a nil id if its body does not say: its own
    position fails)."""
    try:
        return UUID(hex=json.loads(_body(state))["claim"])
    except (ValueError, KeyError, TypeError):
        return UUID(int=0)


def evidence(archive: Archive, disclosures: Disclosures,
             conn: Connection | None = None) -> Evidence:
    """What the replay reads beside the events: archived documents and stored disclosures
    (on `conn`, if given)."""
    return Evidence(documents=archive.reader(conn),
                    disclosed=lambda wanted: disclosures.get(wanted, conn))


def _ids(batch: Sequence[Notification], topics: Sequence[str]) -> set[UUID]:
    """The aggregate ids of the batch's events of these types; an id that is not a UUID
    (its column retyped) is left out: its event fails at its own position."""
    found = set()
    for n in batch:
        if n.topic in topics:
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                found.add(as_uuid(n.originator_id))
    return found


def _body(state: bytes) -> str:
    try:
        return decode_state(state).body
    except VerificationError:  # its own position fails; a follow-up then misses a version
        return ""
