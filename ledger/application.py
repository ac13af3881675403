"""The ledger's command API: what the CLI and the tests call.

`Ledger` wraps an eventsourcing `Application` (the event store and its
notification log) and the Merkle log kept beside it. Every method takes plain
values or validated records, returns small DTOs, and raises only LedgerError.
After every write the Merkle log, then every registered listener (the read
models), catch up from the notification log.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection

from tally.ledger import cosigned_checkpoint, dispatch
from tally.ledger.bootstrap import LedgerInfo, bootstrap
from tally.ledger.errors import (
    DuplicateDefinitionError,
    InputError,
    StorageError,
    UnknownClaimError,
    VerificationError,
)
from tally.ledger.handlers import (
    Context,
    check_name,
    correct_claim,
    retract_claim,
)
from tally.ledger.infra.access import open_store
from tally.ledger.infra.merkle_log import leaf_bytes
from tally.ledger.infra.storage import Store, reading
from tally.ledger.integrity import disclosure, signing
from tally.ledger.integrity.checkpoints import is_valid_key_name
from tally.ledger.integrity.proofs import ConsistencyProof, InclusionProof
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.lookups import Lookups
from tally.ledger.model.bodies import (
    genesis_body,
    ledger_id,
    signer_body,
)
from tally.ledger.model.events import (
    Aggregate,
    Claim,
    Genesis,
    Signer,
)
from tally.ledger.model.input_errors import describe
from tally.ledger.model.inputs import (
    CaseRecord,
    CorrectionRecord,
    FigureRecord,
    RedactionRecord,
    ReportRecord,
    RetractionRecord,
    RevocationRecord,
    SignerRecord,
    SourceRecord,
    WithholdingRecord,
    WitnessRecord,
    WitnessRemovalRecord,
    WitnessUpdateRecord,
    claim_ref_problem,
)
from tally.ledger.model.kinds import Role
from tally.ledger.orders import (
    claim_leaves,
    field_commitments,
    redact_claim,
    withhold_bodies,
)
from tally.ledger.reports import record_claim


@dataclass(frozen=True)
class Appended:
    """What a write did: `status` is "recorded" or "already recorded"."""

    id: str
    status: str
    position: int | None


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
        self.parts = bootstrap(store, self.clock)
        self.engine = self.parts.engine
        # the event store, behind its adapter: the ledger's own modules and the read side's
        # catch-up read through it; commands go through this class
        self.events = self.parts.events
        self.log = self.parts.log
        self.archive = self.parts.archive
        self.disclosures = self.parts.disclosures
        self.tail_audit = self.parts.tail_audit
        self.journal = self.parts.journal
        self.directory = self.parts.directory

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
        return cls(open_store(db, create=create), clock=clock)

    def close(self) -> None:
        self.events.close()
        self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- reading the event store ------------------------------------------------

    def lookups(self) -> Lookups:
        return self.parts.lookups()

    def info(self) -> LedgerInfo:
        return self.parts.info()

    def context(self) -> Context:
        info = self.info()
        return Context(info.ledger_id, self.clock().date(), self.archive.get,
                       info.operator_key_id)

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
        return self.lookups().claim(self.resolve_claim(ref))

    # -- writing ------------------------------------------------------------------

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
        self.journal.save([genesis, operator_signer])
        return self.info(), True

    def _signed_signer(
        self, lid: str, operator: KeyPair, key: KeyPair | bytes, name: str, role: Role
    ) -> Signer:
        public_key = key.public_key if isinstance(key, KeyPair) else key
        kid = signing.key_id(public_key)
        body = signing.canonical(signer_body(lid, operator.key_id, kid, public_key, name, role))
        return Signer(body=body, signature=signing.sign(operator.private_key, body))

    def add_signer(
        self, name: str, public_key: bytes, operator: KeyPair, role: Role = "signer"
    ) -> Appended:
        check_name(name, "signer")  # in the words of every name's refusal
        self.parts.check_operator(operator)
        record = SignerRecord(public_key=public_key.hex(), name=name, role=role)
        return self._handle(signing.key_id(public_key), record, operator)

    def revoke_signer(self, key_or_name: str, operator: KeyPair, reason: str) -> Appended:
        """Revoke a signer named by its key id or its registered name; an unknown one is
        refused with a did-you-mean."""
        self.parts.check_operator(operator)
        lookups = self.lookups()
        key_id = lookups.signer_by_key_or_name(key_or_name).key_id
        try:
            record = RevocationRecord(key_id=key_id, reason=reason)
        except ValidationError as e:
            raise InputError(describe(e)[0], field=describe(e)[1]) from None
        return self._handle(key_id, record, operator)

    def _handle(self, ident: str, record: Any, key: KeyPair | None) -> Appended:
        """Check and append a registration or an order through its one handler
        (`ledger.dispatch`), as the import does."""
        return self._append(ident, dispatch.handle(self.lookups(), self.context(), record,
                                                   key))

    def _append(self, ident: str, aggregate: Aggregate | None) -> Appended:
        if aggregate is None:
            return Appended(ident, "already recorded", None)
        positions = self.journal.save([aggregate])
        return Appended(ident, "recorded", positions[-1])

    def add_source(self, record: SourceRecord, key: KeyPair | None) -> Appended:
        """Register a source, signed by `key` (any registered signer; the CLI's default is
        the operator key)."""
        return self._handle(record.id, record, key)

    def define_case(self, record: CaseRecord, key: KeyPair | None) -> Appended:
        """Define a case (the first segment of its figures' ids), signed by `key`."""
        return self._handle(record.id, record, key)

    def define_figure(self, record: FigureRecord, key: KeyPair | None) -> Appended:
        return self._handle(record.id, record, key)

    def report(self, record: ReportRecord, key: KeyPair | None) -> Appended:
        return self._append(*record_claim(self.lookups(), self.context(), record, key))

    def correct(self, record: CorrectionRecord, key: KeyPair | None) -> Appended:
        lookups = self.lookups()
        claim = lookups.claim(self.resolve_claim(record.claim))
        return self._append(*correct_claim(lookups, self.context(), claim, record, key))

    def retract(self, record: RetractionRecord, key: KeyPair | None) -> Appended:
        lookups = self.lookups()
        claim = lookups.claim(self.resolve_claim(record.claim))
        return self._append(*retract_claim(lookups, self.context(), claim, record, key))

    def opened(self, body: str) -> dict[str, Any]:
        """A signed body's fields, a v2 body's commitments opened with their stored
        disclosures (each checked; None where an order took it down)."""
        fields = json.loads(body)
        committed = disclosure.commitments(fields)
        return disclosure.open_body(fields, self.disclosures.get(committed.values()))[0]

    # -- take-down orders (format v2) -----------------------------------------------

    def redact(self, record: RedactionRecord, operator: KeyPair) -> Appended:
        """Take down a claim's quote (with its anchor's text) or URL by a signed order, then
        erase the disclosures from the database; signatures, leaves and proofs hold."""
        self.parts.check_operator(operator)
        lookups = self.lookups()
        record = record.model_copy(update={"claim": self.resolve_claim(record.claim)})
        if record.field == "body":
            committed = list(claim_leaves(self.events, record.claim))
        else:
            committed = field_commitments(record.claim, lookups.claim(record.claim).body,
                                          record.field)
        commitments, order = redact_claim(lookups, self.context(), committed, record,
                                          operator)
        appended = self._append(record.claim, order)
        if record.field == "body":
            withhold_bodies(self.parts, record.claim, commitments)
        else:
            self.disclosures.erase(commitments)
        return appended

    def withhold(self, record: WithholdingRecord, operator: KeyPair) -> Appended:
        """Take down an archived document's bytes and text by a signed order, then erase
        them from the database; its signed hashes, leaves and proofs hold."""
        self.parts.check_operator(operator)
        appended = self._handle(record.sha256, record, operator)
        self.archive.erase(record.sha256)
        return appended

    # -- checkpoints and proofs ---------------------------------------------------

    def checkpoint(self, operator: KeyPair) -> tuple[int, str]:
        """Sign the current tree head with the operator key; returns (size, signed note)."""
        return cosigned_checkpoint.sign(self.parts, operator)

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

    def add_witness(self, name: str, url: str, vkey: str, operator: KeyPair) -> Appended:
        """Configure a witness, as an event signed by the operator key."""
        return self._witness_change(operator, "witness", WitnessRecord, name=name, url=url,
                                    vkey=vkey)

    def remove_witness(self, name: str, reason: str, operator: KeyPair) -> Appended:
        """Stop asking a configured witness to cosign, as an event signed by the operator key
        (its name is never configured again)."""
        return self._witness_change(operator, "witness removal", WitnessRemovalRecord,
                                    name=name, reason=reason)

    def update_witness(self, name: str, url: str, operator: KeyPair) -> Appended:
        """Move a configured witness to a new submission URL, as an event signed by the
        operator key ("already recorded" when it is at this URL already)."""
        return self._witness_change(operator, "witness update", WitnessUpdateRecord,
                                    name=name, url=url)

    def _witness_change(self, operator: KeyPair, what: str,
                        record_type: type[WitnessRecord | WitnessRemovalRecord
                                          | WitnessUpdateRecord],
                        **fields: str) -> Appended:
        """A witness record from these fields (one sentence naming `what` if invalid),
        signed by the operator key and handled as every record is."""
        self.parts.check_operator(operator)
        try:
            record = record_type.model_validate(fields)
        except ValidationError as e:
            message, where = describe(e)
            raise InputError(f"invalid {what}: {message}", field=where) from None
        return self._handle(fields["name"], record, operator)
