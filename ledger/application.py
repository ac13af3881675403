"""The ledger's command API: what the CLI and the tests call.

`Ledger` wraps an eventsourcing `Application` (the event store and its
notification log) and the Merkle log kept beside it. Every method takes plain
values or validated records, returns small DTOs, and raises only LedgerError.
After every write the Merkle log, then every registered listener (the read
models), catch up from the notification log.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    IntegrityError,
    Notification,
    PersistenceError,
    StoredEvent,
)
from eventsourcing.utils import get_topic
from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from tally.ledger.commands import (
    Context,
    check_name,
    correct_claim,
    define_figure,
    define_source,
    record_claim,
    retract_claim,
)
from tally.ledger.errors import (
    ClaimStateError,
    DuplicateDefinitionError,
    InputError,
    LedgerError,
    NotAuthorisedError,
    StorageError,
    UnknownClaimError,
    VerificationError,
)
from tally.ledger.infra import snapshot
from tally.ledger.infra.access import lag_error, require_ledger
from tally.ledger.infra.eventstore import EventStore
from tally.ledger.infra.keystore import KeyPair
from tally.ledger.infra.merkle_log import MerkleLog, leaf_bytes
from tally.ledger.infra.storage import Store, create_tables, prepare_sqlite, reading, resolve
from tally.ledger.integrity import signing
from tally.ledger.integrity.checkpoints import is_valid_key_name
from tally.ledger.integrity.proofs import ConsistencyProof, InclusionProof, format_tlog_proof
from tally.ledger.lookups import Registry
from tally.ledger.model.bodies import genesis_body, ledger_id, revocation_body, signer_body
from tally.ledger.model.events import GENESIS_ID, Claim, Figure, Genesis, Signer, Source
from tally.ledger.model.inputs import (
    CorrectionRecord,
    FigureRecord,
    ReportRecord,
    RetractionRecord,
    SourceRecord,
    claim_ref_problem,
)
from tally.ledger.model.policy import may_revoke
from tally.ledger.tailcheck import TailCheck


def _storage_error(store: Store, error: Exception, what: str) -> StorageError:
    """One sentence for a database error (SQLAlchemy's text adds the statement and a link)."""
    detail = (str(getattr(error, "orig", None) or error).strip().splitlines() or ["?"])[0]
    if "locked" in detail:
        return StorageError(f"the database {store.describe()} is locked by another writer; "
                            "try again when it finishes")
    return StorageError(f"the database {store.describe()} {what}: {detail}")


@dataclass(frozen=True)
class LedgerInfo:
    ledger_id: str
    origin: str
    operator_public_key: str
    operator_key_id: str
    database: str


Progress = Callable[[str, int, int], None]  # (phase, done, total)


@dataclass(frozen=True)
class Appended:
    """What a write did: `status` is "recorded" or "already recorded"."""

    id: str
    status: str
    position: int | None


@dataclass(frozen=True)
class SignerInfo:
    key_id: str
    name: str
    public_key: str
    role: str
    revoked: bool


def check_origin(origin: str) -> None:
    """Refuse a ledger name that cannot be the origin of its checkpoints (one line, no
    spaces or '+', no hidden characters, at most 200 characters): `tally init` asks this
    before it makes any key."""
    if not origin.strip() or "\n" in origin or len(origin) > 200:
        raise InputError(
            "the ledger name must be one non-empty line of at most 200 characters",
            field="name",
        )
    check_name(origin, "ledger")
    if not is_valid_key_name(origin):
        raise InputError("the ledger name is its checkpoints' origin and signing key name: "
                         "it must not contain spaces or '+' (e.g. example.org/izium)",
                         field="name")


class Ledger:
    def __init__(self, store: Store, *, clock: Callable[[], dt.datetime] | None = None) -> None:
        self.store = store
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        try:
            if store.sqlite_path is not None and not store.read_only:
                prepare_sqlite(store.sqlite_path)
            self.app = EventStore(env=store.env)
            self.engine = store.engine()
            if not store.is_sqlite:  # the library's own DDL, serialised across processes
                recorder: Any = self.app.recorder
                create_tables(self.engine, lambda _: recorder.create_table())
            self.log = MerkleLog(self.engine, self.app.recorder)
            self.tail_check = TailCheck(self)
        except (PersistenceError, SQLAlchemyError, sqlite3.Error, OSError) as e:
            raise _storage_error(store, e, "cannot be opened") from None
        # called after every write with `settle` (False while a bulk write has more to come)
        # and a progress callback `(phase, done, total)` for the work settling does, or None
        self.listeners: list[Callable[[bool, Progress | None], None]] = []
        self._info: LedgerInfo | None = None

    @classmethod
    def open(
        cls,
        db: str | None = None,
        *,
        create: bool = False,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> Ledger:
        """Open the ledger at `db` (path or URL); unless creating, refuse a missing SQLite
        file or a database that is not a Tally ledger before writing anything to it, and
        open read-only a SQLite ledger that cannot be written (see `access`).

        `clock` gives "now" for the date checks (no `as_of` after today) and the stored
        checkpoints' `signed_at`; tests pass a fixed one. The recording time of an event is
        the event store's own timestamp, taken when the event is made.
        """
        store = resolve(db)
        path = store.sqlite_path
        if path is not None and not create and not path.exists():
            raise StorageError(
                f"no ledger at {path}: run 'tally init --name ORIGIN' first, or pass --db"
            )
        return cls(store if create else require_ledger(store), clock=clock)

    def close(self) -> None:
        self.app.close()
        self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- reading the event store ------------------------------------------------

    def notifications(
        self, start: int, limit: int, stop: int | None = None, conn: Connection | None = None
    ) -> Sequence[Notification]:
        """Stored events in global order from position `start` (inclusive); read on `conn`
        (and so in its snapshot) when given."""
        with self._storage_errors():
            if conn is None:
                return self.app.recorder.select_notifications(start=start, limit=limit,
                                                              stop=stop)
            return snapshot.notifications(conn, self.store, start, limit, stop)

    @property
    def _position_column(self) -> str:
        return "rowid" if self.store.is_sqlite else "notification_id"

    def logged_position(self) -> int:
        """The position of the last event in the Merkle log: checked, and safe to serve."""
        with self._storage_errors(), self.engine.connect() as conn:
            return self.log.last_position(conn)

    def max_position(self, conn: Connection | None = None) -> int:
        with self._storage_errors():
            if conn is None:
                return self.app.recorder.max_notification_id() or 0
            found = conn.execute(text(f"SELECT max({self._position_column}) "
                                      f"FROM {self.store.events_table}")).scalar()
            return int(found or 0)

    def notifications_of(self, topics: Sequence[str], stop: int | None = None
                         ) -> Iterator[Notification]:
        """The stored events of these types, in order (up to position `stop`)."""
        start = 1
        while True:
            with self._storage_errors():
                batch = self.app.recorder.select_notifications(
                    start=start, limit=1000, topics=topics, stop=stop
                )
            yield from batch
            if len(batch) < 1000:
                return
            start = batch[-1].id + 1

    def _events_of(self, *event_classes: type[Aggregate.Event]) -> Iterator[Notification]:
        return self.notifications_of([get_topic(c) for c in event_classes])

    def _aggregates(self, *event_classes: type[Aggregate.Event]) -> list[Any]:
        ids = dict.fromkeys(n.originator_id for n in self._events_of(*event_classes))
        return [self.app.repository.get(i if isinstance(i, UUID) else UUID(i)) for i in ids]

    def registry(self) -> Registry:
        return Registry(self.app.repository, self.figure_ids)

    def figure_ids(self) -> list[str]:
        return sorted(f.figure_id for f in self._aggregates(Figure.Defined))

    def figures(self) -> list[dict[str, Any]]:
        return sorted(
            (f.definition() for f in self._aggregates(Figure.Defined)), key=lambda d: d["figure_id"]
        )

    def sources(self) -> list[SourceRecord]:
        found = self._aggregates(Source.Registered)
        return sorted(
            (
                SourceRecord(id=s.source_id, name=s.name, kind=s.kind, key_id=s.key_id)
                for s in found
            ),
            key=lambda s: s.id,
        )

    def signers(self) -> list[SignerInfo]:
        found = self._aggregates(Signer.Added)
        return sorted(
            (SignerInfo(s.key_id, s.name, s.public_key, s.role, s.revoked) for s in found),
            key=lambda s: (s.role != "operator", s.name),
        )

    def info(self) -> LedgerInfo:
        if self._info is None:
            try:
                with self._storage_errors():
                    genesis: Genesis = self.app.repository.get(GENESIS_ID)
            except AggregateNotFoundError:
                raise StorageError(
                    f"{self.store.describe()} is not a Tally ledger: run 'tally init --name ORIGIN'"
                ) from None
            public_key = bytes.fromhex(genesis.operator_public_key)
            self._info = LedgerInfo(
                genesis.ledger_id,
                genesis.origin,
                genesis.operator_public_key,
                signing.key_id(public_key),
                self.store.describe(),
            )
        return self._info

    def context(self) -> Context:
        return Context(self.info().ledger_id, self.clock().date())

    def resolve_claim(self, ref: str, conn: Connection | None = None) -> str:
        """The full claim id for an id or a unique prefix of at least 4 hex digits."""
        problem = claim_ref_problem(ref)
        if problem is not None:
            raise UnknownClaimError(problem)
        matches = self.log.claims_with_prefix(ref.lower(), conn)
        if not matches:
            raise UnknownClaimError(f"no claim id starts with {ref!r}")
        if len(matches) > 1:
            raise UnknownClaimError(f"claim prefix {ref!r} is ambiguous: give more digits")
        return matches[0]

    def claim(self, ref: str) -> Claim:
        return self.registry().claim(self.resolve_claim(ref))

    # -- writing ------------------------------------------------------------------

    @contextmanager
    def _storage_errors(self) -> Iterator[None]:
        try:
            yield
        except LedgerError:
            raise
        except (PersistenceError, SQLAlchemyError) as e:
            raise _storage_error(self.store, e, "failed") from None

    def save(self, aggregates: Sequence[Aggregate]) -> list[int]:
        """Append the aggregates' pending events in one transaction, then catch up."""
        if not aggregates:
            return []
        with self._storage_errors():
            try:
                recordings = self.app.save(*aggregates)
                self.tail_check.trust(r.notification.id for r in recordings)
            except IntegrityError:
                raise StorageError(
                    "another writer appended the same events at once; run the command again"
                ) from None
        self.after_write()
        return [r.notification.id for r in recordings]

    def append_stored(self, events: Sequence[StoredEvent], *, settle: bool = True,
                      checked: bool = True) -> list[int]:
        """Append already-mapped events (see `mapper`) in one transaction, then catch up.

        The bulk import builds its events and maps them while it validates the file, so
        that the append needs neither the aggregates nor the file any more; the stored
        rows are the same as `save` would write for the same events. Events the caller
        did not check (`checked` False: a replica's, from a site) go through the tail check
        (rules and signatures) before the Merkle log takes them.
        """
        if not events:
            return []
        with self._storage_errors():
            try:
                positions = list(self.app.recorder.insert_events(list(events)) or [])
                if checked:
                    self.tail_check.trust(positions)
            except IntegrityError:
                raise StorageError(
                    "another writer appended the same events at once; run the command again"
                ) from None
        self.after_write(settle=settle)
        return positions

    def signed(
        self, positions: Collection[int], conn: Connection | None = None
    ) -> dict[int, tuple[str, str]]:
        """The signed body and signature of the events at these positions (those that have
        them); one read per run of consecutive positions, on `conn` when given (a query's
        snapshot, see storage.reading)."""
        found: dict[int, tuple[str, str]] = {}
        ordered = sorted(set(positions))
        i = 0
        while i < len(ordered):
            j = i
            while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1 and j - i < 499:
                j += 1
            start, limit, stop = ordered[i], j - i + 1, ordered[j]
            for n in (self.notifications(start, limit, stop) if conn is None
                      else snapshot.notifications(conn, self.store, start, limit, stop)):
                event = self.app.mapper.to_domain_event(n)
                body, signature = getattr(event, "body", None), getattr(event, "signature", None)
                if isinstance(body, str) and isinstance(signature, str):
                    found[n.id] = (body, signature)
            i = j + 1
        return found

    def existing(self, ids: Sequence[UUID]) -> set[UUID]:
        """Which of these aggregate ids have events in the store: one query per 500 ids."""
        table = self.store.events_table
        sqlite = self.store.is_sqlite
        mark = "?" if sqlite else "%s"
        found: set[UUID] = set()
        with self._storage_errors(), self.engine.connect() as conn:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                query = (f"SELECT originator_id FROM {table} WHERE originator_version = 1 "
                         f"AND originator_id IN ({', '.join([mark] * len(chunk))})")
                params = tuple(u.hex for u in chunk) if sqlite else tuple(chunk)
                for (ident,) in conn.exec_driver_sql(query, params):
                    found.add(ident if isinstance(ident, UUID) else UUID(str(ident)))
        return found

    def aggregate_events(self, ids: Sequence[UUID], conn: Connection | None = None,
                         states: bool = True) -> dict[UUID, list[tuple[int, int, str, bytes]]]:
        """Every stored event of these aggregates: (position, version, type, state) each
        (the state empty with `states` False: where they are is all the caller needs).

        Pass the caller's connection when it has one open: on SQLite every SQLAlchemy
        transaction here takes the write lock (see storage.install_sqlite_locking)."""
        if conn is None:
            with self._storage_errors(), self.engine.connect() as own:
                return self.aggregate_events(ids, own, states)
        table = self.store.events_table
        sqlite = self.store.is_sqlite
        mark = "?" if sqlite else "%s"
        position = self._position_column
        found: dict[UUID, list[tuple[int, int, str, bytes]]] = {}
        with self._storage_errors():
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                state = "state" if states else "NULL"
                query = (f"SELECT originator_id, {position}, originator_version, topic, {state} "
                         f"FROM {table} WHERE originator_id IN "
                         f"({', '.join([mark] * len(chunk))})")
                params = tuple(u.hex for u in chunk) if sqlite else tuple(chunk)
                for ident, pos, version, topic, state in conn.exec_driver_sql(query, params):
                    uuid = ident if isinstance(ident, UUID) else UUID(str(ident))
                    found.setdefault(uuid, []).append(
                        (int(pos), int(version), str(topic), bytes(state) if states else b""))
        return found

    def repeated_places(self, conn: Connection) -> dict[UUID, list[tuple[int, int, str, bytes]]]:
        """The events whose (aggregate id, version) another event also has, in one query:
        the event store's primary key forbids it, but an insider can drop that key. A
        window function sorts the table once (O(n log n) in the database) where a look-up
        per claim recorded would cost a query a batch."""
        position = self._position_column
        query = (f"SELECT originator_id, pos, originator_version, topic FROM ("
                 f"SELECT originator_id, {position} AS pos, originator_version, topic, "
                 f"count(*) OVER (PARTITION BY originator_id, originator_version) AS copies "
                 f"FROM {self.store.events_table}) AS counted WHERE copies > 1")
        found: dict[UUID, list[tuple[int, int, str, bytes]]] = {}
        with self._storage_errors():
            for ident, pos, version, topic in conn.exec_driver_sql(query):
                uuid = ident if isinstance(ident, UUID) else UUID(str(ident))
                found.setdefault(uuid, []).append((int(pos), int(version), str(topic), b""))
        return found

    def after_write(self, settle: bool = True, progress: Progress | None = None) -> None:
        """Log the new events and let the listeners catch up; with `settle` False (a bulk
        write with more batches to come) they may leave work for the last call."""
        with self._storage_errors():
            self.log.catch_up(self.tail_check)
            for listener in self.listeners:
                listener(settle, progress)

    def catch_up_log(self) -> int:
        """Log the stored events the Merkle log lacks; returns how many it logged.

        A writer killed between committing events and logging them leaves the log
        behind the event store (and `verify` would flag the unlogged events); the
        next command calls this before anything else.
        """
        with self._storage_errors():
            if self.store.read_only:  # nothing can be logged: answer only if nothing lags
                logged, last = self.log.last_position(), self.max_position()
                if logged < last:
                    raise lag_error(self.store, f"Merkle log stops at position {logged} of {last}")
                return 0
            before = self.log.size()
            return self.log.catch_up(self.tail_check) - before

    def init(self, origin: str, operator: KeyPair) -> tuple[LedgerInfo, bool]:
        """Create the ledger (genesis + operator signer); idempotent for the same name and key."""
        try:
            info = self.info()
        except StorageError:
            info = None
        if info is not None:
            if info.origin == origin and info.operator_public_key == operator.public_key.hex():
                return info, False
            raise DuplicateDefinitionError(
                f"this database is already the ledger {info.origin!r} with operator key "
                f"{info.operator_key_id}",
                field="name",
            )
        check_origin(origin)
        lid = ledger_id(origin, operator.public_key)
        body = signing.canonical(genesis_body(lid, origin, operator.public_key, operator.key_id))
        genesis = Genesis(body=body, signature=signing.sign(operator.private_key, body))
        operator_signer = self._signed_signer(lid, operator, operator, "operator", "operator")
        self.save([genesis, operator_signer])
        self._info = None
        return self.info(), True

    def _signed_signer(
        self, lid: str, operator: KeyPair, key: KeyPair | bytes, name: str, role: str
    ) -> Signer:
        public_key = key.public_key if isinstance(key, KeyPair) else key
        kid = signing.key_id(public_key)
        body = signing.canonical(signer_body(lid, operator.key_id, kid, public_key, name, role))
        return Signer(body=body, signature=signing.sign(operator.private_key, body))

    def _check_operator(self, operator: KeyPair) -> None:
        if operator.public_key.hex() != self.info().operator_public_key:
            raise NotAuthorisedError(
                f"key {operator.name!r} is not this ledger's operator key", field="key"
            )

    def add_signer(
        self, name: str, public_key: bytes, operator: KeyPair, role: str = "signer"
    ) -> Appended:
        check_name(name, "signer")
        self._check_operator(operator)
        existing = self.registry().find_signer(signing.key_id(public_key))
        if existing is not None:
            if existing.revoked:
                raise ClaimStateError(
                    f"signer {existing.key_id} was revoked; register a new key", field="key"
                )
            return Appended(existing.key_id, "already recorded", None)
        signer = self._signed_signer(self.info().ledger_id, operator, public_key, name, role)
        positions = self.save([signer])
        return Appended(signer.key_id, "recorded", positions[-1])

    def revoke_signer(self, key_id: str, operator: KeyPair, reason: str) -> Appended:
        self._check_operator(operator)
        signer = self.registry().signer(key_id)
        if signer.revoked:
            return Appended(key_id, "already recorded", None)
        may_revoke(key_id, self.info().operator_key_id)
        body = signing.canonical(
            revocation_body(self.info().ledger_id, operator.key_id, key_id, reason)
        )
        signer.revoke(body=body, signature=signing.sign(operator.private_key, body))
        positions = self.save([signer])
        return Appended(key_id, "recorded", positions[-1])

    def _append(self, ident: str, aggregate: Aggregate | None) -> Appended:
        if aggregate is None:
            return Appended(ident, "already recorded", None)
        positions = self.save([aggregate])
        return Appended(ident, "recorded", positions[-1])

    def add_source(self, record: SourceRecord, key: KeyPair | None) -> Appended:
        """Register a source, signed by `key` (any registered signer; the CLI's default is
        the operator key)."""
        return self._append(record.id, define_source(self.registry(), self.context(), record,
                                                     key))

    def define_figure(self, record: FigureRecord, key: KeyPair | None) -> Appended:
        return self._append(record.id, define_figure(self.registry(), self.context(), record,
                                                     key))

    def report(self, record: ReportRecord, key: KeyPair | None) -> Appended:
        return self._append(*record_claim(self.registry(), self.context(), record, key))

    def correct(self, record: CorrectionRecord, key: KeyPair | None) -> Appended:
        registry = self.registry()
        claim = registry.claim(self.resolve_claim(record.claim))
        return self._append(*correct_claim(registry, self.context(), claim, record, key))

    def retract(self, record: RetractionRecord, key: KeyPair | None) -> Appended:
        registry = self.registry()
        claim = registry.claim(self.resolve_claim(record.claim))
        return self._append(*retract_claim(registry, self.context(), claim, record, key))

    # -- checkpoints and proofs ---------------------------------------------------

    def checkpoint(self, operator: KeyPair) -> tuple[int, str]:
        """Sign the current tree head with the operator key; returns (size, signed note)."""
        self._check_operator(operator)
        with self._storage_errors():
            self.log.catch_up(self.tail_check)
            # never sign over events that fail the audit, nor over a root read from nodes
            # an insider could have written: the events since the last checkpoint are
            # checked again (rules, signatures, leaves) and the root recomputed from them
            info = self.info()
            frontier = self.log.trusted_frontier(bytes.fromhex(info.operator_public_key),
                                                 info.origin)
            first = self.log.position_of_leaf(frontier.size)
            if first is not None:
                self.tail_check.recheck_from(first, self.log.leaf_hashes, frontier.append)
            return self.log.sign_checkpoint(info.origin, operator, self.clock(), frontier)

    def inclusion_proof(self, claim_ref: str, size: int | None = None) -> InclusionProof:
        """Proof that a claim's recording event is in a checkpoint's tree (latest by default);
        the claim, its leaf and event, the checkpoint and the nodes are read in one snapshot."""
        operator_key = bytes.fromhex(self.info().operator_public_key)
        with self._storage_errors(), reading(self.engine) as conn:
            claim_id = self.resolve_claim(claim_ref, conn)
            _, position = self.log.leaf_of(claim_id, conn)
            leaf = leaf_bytes(snapshot.notifications(conn, self.store, position, 1)[0])
            return self.log.inclusion_proof(claim_id, leaf, size, operator_key, conn)

    def consistency_proof(self, old_size: int, new_size: int) -> ConsistencyProof:
        """Proof that the checkpoint of `new_size` extends the one of `old_size` append-only."""
        if not 0 < old_size <= new_size:
            raise VerificationError("a consistency proof needs 0 < OLD <= NEW checkpoint sizes")
        with self._storage_errors(), reading(self.engine) as conn:
            return self.log.consistency_proof(old_size, new_size, conn)

    @staticmethod
    def tlog_proof_text(proof: InclusionProof) -> str:
        """The proof as C2SP tlog-proof@v1 text, the leaf bytes carried in its `extra` line."""
        return format_tlog_proof(
            proof.leaf_index,
            [bytes.fromhex(h) for h in proof.path],
            proof.checkpoint,
            extra=proof.leaf.encode("utf-8"),
        )
