"""The ledger's command API: what the CLI and the tests call.

`Ledger` wraps an eventsourcing `Application` (the event store and its
notification log) and the Merkle log kept beside it. Every method takes plain
values or validated records, returns small DTOs, and raises only LedgerError.
After every write the Merkle log, then every registered listener (the read
models), catch up from the notification log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection

from tally.ledger import commands
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
    DuplicateDefinitionError,
    InputError,
    NotAuthorisedError,
    StorageError,
    UnknownClaimError,
    VerificationError,
)
from tally.ledger.infra.access import lag_error, require_ledger
from tally.ledger.infra.cosigning import WitnessAnswer, WitnessTarget, gather
from tally.ledger.infra.eventstore import EventStore, StoredEvent
from tally.ledger.infra.keystore import KeyPair
from tally.ledger.infra.merkle_log import MerkleLog, leaf_bytes
from tally.ledger.infra.storage import Store, reading, resolve
from tally.ledger.integrity import signing
from tally.ledger.integrity.checkpoints import is_valid_key_name
from tally.ledger.integrity.cosignature import Cosigner, cosignatures, with_signatures
from tally.ledger.integrity.proofs import ConsistencyProof, InclusionProof, format_tlog_proof
from tally.ledger.lookups import Registry
from tally.ledger.model.bodies import (
    genesis_body,
    ledger_id,
    signer_body,
    witness_body,
)
from tally.ledger.model.events import (
    GENESIS_ID,
    Aggregate,
    Claim,
    Figure,
    Genesis,
    Signer,
    Source,
    Witness,
    as_uuid,
    type_name,
)
from tally.ledger.model.input_errors import describe
from tally.ledger.model.inputs import (
    CorrectionRecord,
    FigureRecord,
    ReportRecord,
    RetractionRecord,
    RevocationRecord,
    SignerRecord,
    SourceRecord,
    claim_ref_problem,
)
from tally.ledger.tailcheck import TailCheck


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
        self.engine = store.engine()
        # the event store, behind its adapter: the ledger's own modules and the read side's
        # catch-up read through it; commands go through this class
        self.events = EventStore(store, self.engine)
        with self.events.errors():
            self.log = MerkleLog(self.engine, self.events)
        self.tail_check = TailCheck(self)
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
        if path is not None and not path.parent.is_dir():
            raise StorageError(f"the folder {path.parent} of --db {path.name} does not exist: "
                               "create it first, or give --db a path in an existing folder")
        if path is not None and not create and not path.exists():
            raise StorageError(
                f"no ledger at {path}: run 'tally init --name ORIGIN' first, or pass --db"
            )
        return cls(store if create else require_ledger(store), clock=clock)

    def close(self) -> None:
        self.events.close()
        self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- reading the event store ------------------------------------------------

    def logged_position(self) -> int:
        """The position of the last event in the Merkle log: checked, and safe to serve."""
        with self.events.errors(), self.engine.connect() as conn:
            return self.log.last_position(conn)

    def _aggregates(self, *event_classes: type[Aggregate.Event]) -> list[Any]:
        topics = [type_name(c) for c in event_classes]
        ids = dict.fromkeys(n.originator_id for n in self.events.notifications_of(topics))
        return [self.events.get(as_uuid(i)) for i in ids]

    def registry(self) -> Registry:
        return Registry(self.events.get, self.figure_ids, self.source_ids, self.signer_names)

    def source_ids(self) -> list[str]:
        return sorted(s.source_id for s in self._aggregates(Source.Registered))

    def signer_names(self) -> dict[str, str]:
        """Registered signers' names by key id."""
        return {s.key_id: s.name for s in self._aggregates(Signer.Added)}

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
            genesis: Genesis | None = self.events.get(GENESIS_ID)
            if genesis is None:
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
        info = self.info()
        return Context(info.ledger_id, self.clock().date(), info.operator_key_id)

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

    def save(self, aggregates: Sequence[Aggregate]) -> list[int]:
        """Append the aggregates' pending events in one transaction, then catch up."""
        if not aggregates:
            return []
        positions = self.events.save(aggregates)
        self.tail_check.trust(positions)
        self.after_write()
        return positions

    def append_stored(self, events: Sequence[StoredEvent], *, settle: bool = True) -> list[int]:
        """Append already-mapped events (see `mapper`) in one transaction, then catch up.

        The bulk import builds its events and maps them while it validates the file, so
        that the append needs neither the aggregates nor the file any more; the stored
        rows are the same as `save` would write for the same events.
        """
        if not events:
            return []
        positions = self.events.insert(events)
        self.tail_check.trust(positions)
        self.after_write(settle=settle)
        return positions

    def after_write(self, settle: bool = True, progress: Progress | None = None) -> None:
        """Log the new events and let the listeners catch up; with `settle` False (a bulk
        write with more batches to come) they may leave work for the last call."""
        with self.events.errors():
            self.log.catch_up(self.tail_check)
            for listener in self.listeners:
                listener(settle, progress)

    def catch_up_log(self) -> int:
        """Log the stored events the Merkle log lacks; returns how many it logged.

        A writer killed between committing events and logging them leaves the log
        behind the event store (and `verify` would flag the unlogged events); the
        next command calls this before anything else.
        """
        with self.events.errors():
            if self.store.read_only:  # nothing can be logged: answer only if nothing lags
                logged, last = self.log.last_position(), self.events.max_position()
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
        check_name(name, "signer")  # in the words of every name's refusal
        self._check_operator(operator)
        record = SignerRecord(public_key=public_key.hex(), name=name,
                              role=role)  # type: ignore[arg-type]
        return self._append(signing.key_id(public_key),
                            commands.add_signer(self.registry(), self.context(), record,
                                                operator))

    def revoke_signer(self, key_id: str, operator: KeyPair, reason: str) -> Appended:
        self._check_operator(operator)
        registry = self.registry()
        registry.signer(key_id)  # an unknown one is refused with a did-you-mean
        try:
            record = RevocationRecord(key_id=key_id, reason=reason)
        except ValidationError as e:
            raise InputError(describe(e)[0], field=describe(e)[1]) from None
        return self._append(key_id, commands.revoke_signer(registry, self.context(), record,
                                                           operator))

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
        with self.events.errors():
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
        with self.events.errors(), reading(self.engine) as conn:
            claim_id = self.resolve_claim(claim_ref, conn)
            _, position = self.log.leaf_of(claim_id, conn)
            leaf = leaf_bytes(self.events.notifications(position, 1, conn=conn)[0])
            return self.log.inclusion_proof(claim_id, leaf, size, operator_key, conn)

    def consistency_proof(self, old_size: int, new_size: int) -> ConsistencyProof:
        """Proof that the checkpoint of `new_size` extends the one of `old_size` append-only."""
        if not 0 < old_size <= new_size:
            raise VerificationError("a consistency proof needs 0 < OLD <= NEW checkpoint sizes")
        with self.events.errors(), reading(self.engine) as conn:
            return self.log.consistency_proof(old_size, new_size, conn)

    # -- witnesses -------------------------------------------------------------

    def witnesses(self) -> list[WitnessTarget]:
        """The witnesses the operator configured (signed `witness.added` events), in order."""
        return [WitnessTarget(w.name, w.url, w.vkey) for w in self._aggregates(Witness.Added)]

    def add_witness(self, name: str, url: str, vkey: str, operator: KeyPair) -> Appended:
        """Configure a witness, as an event signed by the operator key."""
        self._check_operator(operator)
        for known in self.witnesses():
            if known == WitnessTarget(name, url, vkey):
                return Appended(name, "already recorded", None)
            if known.name == name or known.vkey == vkey:
                raise DuplicateDefinitionError(
                    f"witness {known.name!r} is already configured with "
                    + ("another URL or key" if known.name == name else "this key"),
                    field="name" if known.name == name else "vkey")
        lid = self.info().ledger_id
        try:
            fields = witness_body(lid, operator.key_id, name, url, vkey)
        except ValidationError as e:
            message, where = describe(e)
            raise InputError(f"invalid witness: {message}", field=where) from None
        body = signing.canonical(fields)
        return self._append(name, Witness(body=body,
                                          signature=signing.sign(operator.private_key, body)))

    def last_cosigned_size(self, cosigner: Cosigner) -> int:
        """The largest stored checkpoint that carries a valid cosignature by `cosigner`."""
        for size, note, _ in reversed(self.log.checkpoints()):
            try:
                if cosignatures(note, [cosigner]):
                    return size
            except VerificationError:
                continue  # a planted bad line: the witness's 409 tells the truth
        return 0

    def gather_cosignatures(self, size: int, note: str) -> tuple[str, list[WitnessAnswer]]:
        """Ask every configured witness to cosign checkpoint `size`; store and return the
        note with the cosignatures that verified, and each witness's answer."""
        targets = self.witnesses()
        if not targets:
            return note, []
        with self.events.errors():
            answers = gather(note, targets, self.last_cosigned_size,
                             lambda old: self.log.consistency_hashes(old, size))
            cosigned = with_signatures(note, [line for a in answers for line in a.lines])
            if cosigned != note:
                self.log.store_cosigned(size, cosigned)
        return cosigned, answers

    @staticmethod
    def tlog_proof_text(proof: InclusionProof) -> str:
        """The proof as C2SP tlog-proof@v1 text, the leaf bytes carried in its `extra` line."""
        return format_tlog_proof(
            proof.leaf_index,
            [bytes.fromhex(h) for h in proof.path],
            proof.checkpoint,
            extra=proof.leaf.encode("utf-8"),
        )
