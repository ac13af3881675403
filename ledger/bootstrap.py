"""The one place that builds the ledger's collaborators from a store, each given what it
uses (the engine, the event store, the Merkle log, the archive, the disclosures), never
the `Ledger` itself: the facade (`ledger.application`) holds what this returns."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from tally.ledger.directory import Directory
from tally.ledger.evidence.archive import Archive
from tally.ledger.infra.disclosure_store import Disclosures
from tally.ledger.infra.eventstore import EventStore
from tally.ledger.infra.merkle_log import MerkleLog
from tally.ledger.infra.storage import Store
from tally.ledger.journal import Journal
from tally.ledger.verify.tailcheck import TailCheck


@dataclass(frozen=True)
class Collaborators:
    engine: Engine
    events: EventStore  # the event store, behind its adapter
    log: MerkleLog
    archive: Archive
    disclosures: Disclosures
    tail_check: TailCheck  # what the log checks before it takes events it did not append
    journal: Journal  # the write path: append, log, listeners
    directory: Directory

    def new_tail_check(self) -> TailCheck:
        """A tail check with no state of its own yet (the audit's, a publish's)."""
        return TailCheck(self.events, self.log, self.archive, self.disclosures)


def bootstrap(store: Store) -> Collaborators:
    engine = store.engine()
    events = EventStore(store, engine)
    with events.errors():
        log = MerkleLog(engine, events)
    archive, disclosures = Archive(engine), Disclosures(engine)
    tail_check = TailCheck(events, log, archive, disclosures)
    return Collaborators(engine, events, log, archive, disclosures, tail_check,
                         Journal(events, log, tail_check, disclosures), Directory(events))
