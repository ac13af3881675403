"""The ledger's registered entities, listed: signers, sources, figures and witnesses.

Each list is built from the entities' signed events (read through the event-store
adapter), so it shows exactly what was signed; the read side keeps its own copies
for queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tally.ledger.infra.cosigning import WitnessTarget
from tally.ledger.infra.eventstore import EventStore
from tally.ledger.model.events import Aggregate, Figure, Signer, Source, Witness, as_uuid, type_name
from tally.ledger.model.inputs import SourceRecord


@dataclass(frozen=True)
class SignerInfo:
    key_id: str
    name: str
    public_key: str
    role: str
    revoked: bool


class Directory:
    def __init__(self, events: EventStore) -> None:
        self.events = events

    def _aggregates(self, *event_classes: type[Aggregate.Event]) -> list[Any]:
        topics = [type_name(c) for c in event_classes]
        ids = dict.fromkeys(n.originator_id for n in self.events.all_notifications(topics=topics))
        return [self.events.get(as_uuid(i)) for i in ids]

    def figure_ids(self) -> list[str]:
        return sorted(f.figure_id for f in self._aggregates(Figure.Defined))

    def source_ids(self) -> list[str]:
        return sorted(s.source_id for s in self._aggregates(Source.Registered))

    def signer_names(self) -> dict[str, str]:
        """Registered signers' names by key id."""
        return {s.key_id: s.name for s in self._aggregates(Signer.Added)}

    def figures(self) -> list[dict[str, Any]]:
        return sorted((f.definition() for f in self._aggregates(Figure.Defined)),
                      key=lambda d: d["figure_id"])

    def sources(self) -> list[SourceRecord]:
        return sorted((SourceRecord(id=s.source_id, name=s.name, kind=s.kind, key_id=s.key_id)
                       for s in self._aggregates(Source.Registered)), key=lambda s: s.id)

    def signers(self) -> list[SignerInfo]:
        return sorted((SignerInfo(s.key_id, s.name, s.public_key, s.role, s.revoked)
                       for s in self._aggregates(Signer.Added)),
                      key=lambda s: (s.role != "operator", s.name))

    def witnesses(self) -> list[WitnessTarget]:
        """The witnesses the operator configured (signed `witness.added` events), in order,
        at their latest URL (`witness.updated`), without those removed since."""
        return [WitnessTarget(w.name, w.url, w.vkey) for w in self._aggregates(Witness.Added)
                if w.removed is None]

    def removed_witnesses(self) -> list[tuple[WitnessTarget, str]]:
        """The witnesses the operator removed (`witness.removed`), each with the reason."""
        return [(WitnessTarget(w.name, w.url, w.vkey), w.removed)
                for w in self._aggregates(Witness.Added) if w.removed is not None]
