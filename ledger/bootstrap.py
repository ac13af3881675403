"""The one place that builds the ledger's collaborators from a store, each given what it
uses (the engine, the event store, the Merkle log, the archive, the disclosures), never
the `Ledger` itself: the facade (`ledger.application`) holds what this returns, and the
services that read or sign what is stored (the audit, checkpoints, the publisher) take it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from tally.ledger.directory import Directory
from tally.ledger.errors import NotAuthorisedError, StorageError
from tally.ledger.evidence.archive import Archive
from tally.ledger.infra.disclosure_store import Disclosures
from tally.ledger.infra.eventstore import EventStore
from tally.ledger.infra.merkle_log import MerkleLog
from tally.ledger.infra.storage import Store
from tally.ledger.integrity import signing
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.journal import Journal
from tally.ledger.lookups import Lookups
from tally.ledger.model.events import GENESIS_ID, Genesis
from tally.ledger.verify.tail_audit import TailAudit


@dataclass(frozen=True)
class LedgerInfo:
    ledger_id: str
    origin: str
    operator_public_key: str
    operator_key_id: str
    database: str


@dataclass
class Collaborators:
    store: Store
    clock: Callable[[], dt.datetime]  # "now": the date checks, checkpoints' `signed_at`
    engine: Engine
    events: EventStore  # the event store, behind its adapter
    log: MerkleLog
    archive: Archive
    disclosures: Disclosures
    tail_audit: TailAudit  # what the log checks before it takes events it did not append
    journal: Journal  # the write path: append, log, listeners
    directory: Directory
    _info: LedgerInfo | None = field(default=None, init=False, repr=False)

    def new_tail_audit(self) -> TailAudit:
        """A tail audit with no state of its own yet (the audit's, a publish's)."""
        return TailAudit(self.events, self.log, self.archive, self.disclosures)

    def info(self) -> LedgerInfo:
        """What the genesis says (read once); StorageError before `tally init`."""
        if self._info is None:
            genesis: Genesis | None = self.events.get(GENESIS_ID)
            if genesis is None:
                raise StorageError(f"{self.store.describe()} is not a Tally ledger: run "
                                   "'tally init --name ORIGIN'") from None
            public_key = bytes.fromhex(genesis.operator_public_key)
            self._info = LedgerInfo(genesis.ledger_id, genesis.origin,
                                    genesis.operator_public_key, signing.key_id(public_key),
                                    self.store.describe())
        return self._info

    def check_operator(self, operator: KeyPair) -> None:
        """NotAuthorisedError unless `operator` is this ledger's operator key."""
        if operator.public_key.hex() != self.info().operator_public_key:
            raise NotAuthorisedError(
                f"key {operator.name!r} is not this ledger's operator key", field="key")

    def lookups(self) -> Lookups:
        return Lookups(self.events.get, self.directory.figure_ids, self.directory.source_ids,
                        self.directory.signer_names, self.directory.witnesses)


def bootstrap(store: Store, clock: Callable[[], dt.datetime]) -> Collaborators:
    engine = store.engine()
    events = EventStore(store, engine)
    with events.errors():
        log = MerkleLog(engine, events)
    archive, disclosures = Archive(engine), Disclosures(engine)
    tail_audit = TailAudit(events, log, archive, disclosures)
    return Collaborators(store, clock, engine, events, log, archive, disclosures, tail_audit,
                         Journal(events, log, tail_audit, disclosures), Directory(events))
