"""The command handlers: validated input records (the commands) turned into new signed
events, or refused.

Each function checks one record against the ledger's look-ups (`ledger.lookups`) with the rules of
`ledger.model.policy` and either returns the aggregate whose pending events should be
saved, or None when the exact same thing is already recorded (appending twice
is a no-op), or raises a LedgerError naming the field. Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from pydantic import ValidationError

from tally.ledger.errors import (
    ClaimStateError,
    ForeignLedgerError,
    InputError,
    SignatureError,
)
from tally.ledger.evidence.document_checks import Lookup
from tally.ledger.integrity import signing
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.lookups import Lookups
from tally.ledger.model.bodies import (
    case_body,
    correction_body,
    figure_body,
    retraction_body,
    revocation_body,
    signer_body,
    source_body,
    witness_body,
    witness_removal_body,
    witness_update_body,
)
from tally.ledger.model.events import Case, Claim, Figure, Signer, Source, Witness
from tally.ledger.model.input_errors import describe
from tally.ledger.model.inputs import (
    CaseRecord,
    CorrectionRecord,
    DocumentRecord,
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
    name_problem,
)
from tally.ledger.model.policy import (
    ClaimFacts,
    check_figure_shape,
    check_period,
    correction_changes,
    defined_once,
    followup_is_new,
    may_revoke,
    new_status_has_states,
    operator_only,
    signer_may_sign,
    value_for,
    witness_configured,
    witness_is_new,
    witness_url_changes,
)
from tally.ledger.model.values import decimal_text

BAD_SIGNATURE = (
    "signature does not verify: the line was altered after signing, "
    "or it was signed for another ledger"
)
# Where a bulk import queues (public key, body, signature) to check them later, in the
# signature worker processes (`ledger.infra.signature_pool`).
Deferred = list[tuple[bytes, str, str]]
_D = TypeVar("_D", Source, Case, Figure)  # what `_defined` makes
Signed = (SourceRecord | FigureRecord | ReportRecord | CorrectionRecord | RetractionRecord
          | SignerRecord | RevocationRecord | WitnessRecord | WitnessRemovalRecord
          | WitnessUpdateRecord | DocumentRecord | RedactionRecord | WithholdingRecord
          | CaseRecord)


@dataclass(frozen=True)
class Context:
    """What every signed body depends on: which ledger, the recording date, and the stored
    documents (`ledger.evidence.archive`) that quotes are anchored in."""

    ledger_id: str
    today: dt.date
    documents: Lookup = lambda _: None
    operator_key_id: str = ""  # the genesis operator's: it alone signs signers and witnesses
    # an import: the documents that came without their bytes, whose withholding order
    # must follow in the file (the import is refused at its end otherwise)
    withholding_follows: Callable[[str], bool] = lambda _: False


def check_name(name: str, what: str) -> None:
    """Refuse a signer or ledger name holding a hidden character, as a source name is, or
    longer than a signed statement keeps (200 characters)."""
    if not name or len(name) > 200:
        raise InputError(f"the {what} name must have 1 to 200 characters", field="name")
    problem = name_problem(name)
    if problem is not None:
        raise InputError(f"the {what} name {problem}", field="name")


def sign_or_verify(
    lookups: Lookups,
    ctx: Context,
    record: Signed,
    key: KeyPair | None,
    build: Callable[[str], dict[str, Any]],
    defer: Deferred | None = None,
) -> tuple[Signer, str, str]:
    """Resolve who signs, build the canonical body and sign it, or verify the line's signature.

    A revoked signer is not refused here: the caller asks `signer_may_sign` once it knows
    the event is new. With `defer`, the line's own signature is queued there instead of
    checked here: the caller checks it (refusing with BAD_SIGNATURE) before anything is
    written.
    """
    signer = lookups.signer(signing_key_id(ctx, record, key))
    body = signing.canonical(build(signer.key_id))
    if record.signature is None:
        assert key is not None  # signing_key_id refused the line otherwise
        return signer, body, signing.sign(key.private_key, body)
    return signer, body, checked_signature(signer, body, record.signature, defer)


class SignedLine(Protocol):
    """What `signing_key_id` reads of a record (or of a report drafted in a worker process,
    `ledger.reports.Draft`)."""

    @property
    def ledger(self) -> str | None: ...
    @property
    def signer(self) -> str | None: ...
    @property
    def signature(self) -> str | None: ...


def signing_key_id(ctx: Context, record: SignedLine, key: KeyPair | None) -> str:
    """The key id whose signer signs the record: the one its line names, with the line's
    signature, or `key`'s, which signs it here; refused when the line was signed for
    another ledger, or names no signer beside its signature, or when there is no key."""
    if record.ledger is not None and record.ledger != ctx.ledger_id:
        raise ForeignLedgerError(
            f"this line was signed for ledger {record.ledger}, not this ledger ({ctx.ledger_id})"
        )
    if record.signature is not None:
        if record.signer is None:
            raise SignatureError("a line with a signature must name its signer", field="signer")
        return record.signer
    if key is None:
        raise SignatureError("no key to sign with: pass --key NAME", field="key")
    if record.signer is not None and record.signer != key.key_id:
        raise SignatureError(
            f"the line names signer {record.signer} but key {key.name!r} is {key.key_id}",
            field="signer",
        )
    return key.key_id


def checked_signature(signer: Signer, body: str, signature: str,
                      defer: Deferred | None) -> str:
    """The line's signature of `body`, checked against the signer's key (queued in `defer`
    instead, for the caller to check before anything is written)."""
    if defer is not None:
        defer.append((bytes.fromhex(signer.public_key), body, signature))
        return signature
    try:
        signing.check_signature(bytes.fromhex(signer.public_key), body, signature)
    except SignatureError:
        raise SignatureError(BAD_SIGNATURE) from None
    return signature


def define_source(lookups: Lookups, ctx: Context, record: SourceRecord,
                  key: KeyPair | None, defer: Deferred | None = None) -> Source | None:
    existing = lookups.find_source(record.id)
    if not defined_once(None if existing is None else (existing.name, existing.kind,
                                                       existing.key_id),
                        (record.name, record.kind, record.key_id),
                        f"source {record.id!r} is already registered with other attributes",
                        "id"):
        return None
    if record.key_id is not None:  # a first-party source signs with a registered key
        lookups.signer(record.key_id)
    return _defined(lookups, ctx, record, key, defer, Source,
                    lambda s: source_body(ctx.ledger_id, s, record))


def _defined(lookups: Lookups, ctx: Context, record: Signed, key: KeyPair | None,
             defer: Deferred | None, make: type[_D],
             build: Callable[[str], dict[str, Any]]) -> _D:
    """A source's, case's or figure's definition signed (or its line's signature checked)
    by a signer who may sign, staged for the next append."""
    signer, body, signature = sign_or_verify(lookups, ctx, record, key, build, defer)
    signer_may_sign(signer, signer.key_id)
    defined = make(body=body, signature=signature)
    lookups.stage(defined)
    return defined


def define_case(lookups: Lookups, ctx: Context, record: CaseRecord, key: KeyPair | None,
                defer: Deferred | None = None) -> Case | None:
    """A case's definition, signed by any registered signer; the same one again is None
    (already recorded), another one for its id is refused."""
    check_period(record.period)
    wanted = (record.name, record.description, record.place, record.period)
    existing = lookups.find_case(record.id)
    if not defined_once(None if existing is None else existing.definition, wanted,
                        f"case {record.id!r} is already defined differently", "id"):
        return None
    return _defined(lookups, ctx, record, key, defer, Case,
                    lambda s: case_body(ctx.ledger_id, s, record))


def operator_signed(lookups: Lookups, ctx: Context, record: Signed, key: KeyPair | None,
                     build: Callable[[str], dict[str, Any]], defer: Deferred | None,
                     what: str) -> tuple[str, str]:
    """Sign or verify a statement only the genesis operator key may sign: (body, signature)."""
    signer, body, signature = sign_or_verify(lookups, ctx, record, key, build, defer)
    operator_only(signer.key_id, ctx.operator_key_id, what)
    return body, signature


def add_signer(lookups: Lookups, ctx: Context, record: SignerRecord, key: KeyPair | None,
               defer: Deferred | None = None) -> Signer | None:
    """A signer registration, or None when this key is registered already with this name and
    role (a revoked key is refused: register a new one)."""
    check_name(record.name, "signer")
    public_key = bytes.fromhex(record.public_key)
    key_id = signing.key_id(public_key)
    if record.key_id is not None and record.key_id != key_id:
        raise InputError(f"key_id {record.key_id} is not the id of this public key ({key_id})",
                         field="key_id")
    existing = lookups.find_signer(key_id)
    if existing is not None:
        # a signed line (an export read back) replays history: the same registration is a
        # no-op even after the revocation that followed it; asked anew, it is refused
        if existing.revoked and record.signature is None:
            raise ClaimStateError(f"signer {key_id} was revoked; register a new key",
                                  field="key")
        defined_once((existing.name, existing.role), (record.name, record.role),
                     f"signer {key_id} is already registered as {existing.name!r} "
                     f"({existing.role})", "name")
        return None
    body, signature = operator_signed(
        lookups, ctx, record, key,
        lambda s: signer_body(ctx.ledger_id, s, key_id, public_key, record.name, record.role),
        defer, "signer changes")
    signer = Signer(body=body, signature=signature)
    lookups.stage(signer)
    return signer


def revoke_signer(lookups: Lookups, ctx: Context, record: RevocationRecord,
                  key: KeyPair | None, defer: Deferred | None = None) -> Signer | None:
    """The signer with its revocation pending, or None when it is revoked already."""
    signer = lookups.signer(record.key_id)
    if signer.revoked:
        return None
    may_revoke(record.key_id, ctx.operator_key_id)
    body, signature = operator_signed(
        lookups, ctx, record, key,
        lambda s: revocation_body(ctx.ledger_id, s, record.key_id, record.reason),
        defer, "signer changes")
    signer.revoke(body=body, signature=signature)
    return signer


def _witness_statement(build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return build()
    except ValidationError as e:
        message, where = describe(e)
        raise InputError(f"invalid witness: {message}", field=where) from None


WitnessRecords = WitnessRecord | WitnessRemovalRecord | WitnessUpdateRecord


def _witness_change(lookups: Lookups, ctx: Context, record: WitnessRecords,
                    key: KeyPair | None, build: Callable[[str], dict[str, Any]],
                    defer: Deferred | None) -> tuple[Witness | None, tuple[str, str] | None]:
    """The witness the record names, and the (body, signature) of a signed line (an export
    read back) that this witness recorded already, which is a no-op (else None): a
    removal or a move replays history, so its addition is the same even after them."""
    existing = lookups.find_witness(record.name)
    if existing is None or record.signature is None:
        return existing, None
    body, signature = operator_signed(lookups, ctx, record, key, build, defer,
                                       "witness changes")
    return existing, ((body, signature) if body in existing.bodies else None)


def _removed(witness: Witness | None) -> dict[str, str]:
    return {} if witness is None or witness.removed is None else {witness.name: witness.removed}


def add_witness(lookups: Lookups, ctx: Context, record: WitnessRecord, key: KeyPair | None,
                defer: Deferred | None = None) -> Witness | None:
    """A witness configuration, or None when this witness is configured already (a removed
    witness's name is refused: choose another)."""
    def build(signer: str) -> dict[str, Any]:
        return _witness_statement(lambda: witness_body(ctx.ledger_id, signer, record.name,
                                                       record.url, record.vkey))

    existing, recorded = _witness_change(lookups, ctx, record, key, build, defer)
    if recorded is not None:
        return None
    if not witness_is_new(record.name, record.url, record.vkey, lookups.witnesses(),
                          _removed(existing)):
        return None
    body, signature = operator_signed(lookups, ctx, record, key, build, defer,
                                       "witness changes")
    witness = Witness(body=body, signature=signature)
    lookups.stage(witness)
    return witness


def change_witness(lookups: Lookups, ctx: Context,
                   record: WitnessRemovalRecord | WitnessUpdateRecord, key: KeyPair | None,
                   defer: Deferred | None = None) -> Witness | None:
    """A configured witness with its removal pending (never asked to cosign again), or its
    move to a new URL; None when it is at this URL already."""
    def build(signer: str) -> dict[str, Any]:
        return _witness_statement(lambda: _change_body(ctx.ledger_id, signer, record))

    existing, recorded = _witness_change(lookups, ctx, record, key, build, defer)
    if recorded is not None:
        return None
    url, _ = witness_configured(record.name, lookups.witnesses(), _removed(existing))
    if isinstance(record, WitnessUpdateRecord) and not witness_url_changes(url, record.url):
        return None
    assert existing is not None  # configured
    body, signature = operator_signed(lookups, ctx, record, key, build, defer,
                                       "witness changes")
    if isinstance(record, WitnessRemovalRecord):
        existing.remove(body=body, signature=signature)
    else:
        existing.update(body=body, signature=signature)
    lookups.stage(existing)
    return existing


def _change_body(ledger_id: str, signer: str,
                 record: WitnessRemovalRecord | WitnessUpdateRecord) -> dict[str, Any]:
    if isinstance(record, WitnessRemovalRecord):
        return witness_removal_body(ledger_id, signer, record.name, record.reason)
    return witness_update_body(ledger_id, signer, record.name, record.url)


def define_figure(lookups: Lookups, ctx: Context, record: FigureRecord,
                  key: KeyPair | None, defer: Deferred | None = None) -> Figure | None:
    check_figure_shape(record.id, record.kind, record.cumulative, record.parts, record.states,
                       lookups.figure)
    if record.signature is None:
        new_status_has_states(record.kind, record.states)
    # normalised, so "0.050" redefines "0.05" identically instead of being refused
    tolerance = decimal_text(Decimal(record.tolerance))
    definition: dict[str, Any] = {
        "figure_id": record.id, "kind": record.kind, "unit": record.unit,
        "cumulative": record.cumulative, "parts": list(record.parts),
        "tolerance": tolerance, "states": list(record.states), "integer": record.integer,
        "name": record.name, "description": record.description,
    }
    existing = lookups.find_figure(record.id)
    if not defined_once(None if existing is None else existing.definition(), definition,
                        f"figure {record.id!r} is already defined differently; define a new "
                        "id instead", "id"):
        return None
    return _defined(lookups, ctx, record, key, defer, Figure,
                    lambda s: figure_body(ctx.ledger_id, s, record, tolerance))


def prepare_correction(
    lookups: Lookups,
    ctx: Context,
    claim: ClaimFacts,
    record: CorrectionRecord,
    key: KeyPair | None,
    defer: Deferred | None = None,
) -> tuple[str, str, str, Signer]:
    """Check a correction and build its signed body: (correction id, body, signature,
    signer); `followup_is_new` then checks the signer may add it."""
    value = value_for(lookups.figure(claim.figure), record.value)
    signer, body, signature = sign_or_verify(
        lookups, ctx, record, key,
        lambda signer: correction_body(ctx.ledger_id, signer, claim.claim_id, record,
                                       value.written), defer)
    return signing.body_id(body), body, signature, signer


def prepare_retraction(
    lookups: Lookups,
    ctx: Context,
    claim: ClaimFacts,
    record: RetractionRecord,
    key: KeyPair | None,
    defer: Deferred | None = None,
) -> tuple[str, str, str, Signer]:
    """Check a retraction and build its signed body: (retraction id, body, signature, signer);
    `followup_is_new` then checks the signer may add it."""
    signer, body, signature = sign_or_verify(
        lookups, ctx, record, key,
        lambda signer: retraction_body(ctx.ledger_id, signer, claim.claim_id, record), defer)
    return signing.body_id(body), body, signature, signer


def correct_claim(
    lookups: Lookups, ctx: Context, claim: Claim, record: CorrectionRecord, key: KeyPair | None
) -> tuple[str, Claim | None]:
    correction_id, body, signature, signer = prepare_correction(
        lookups, ctx, claim, record, key)
    if not followup_is_new(claim, correction_id, signer, correcting=True):
        return correction_id, None
    if record.signature is None:
        corrected = value_for(lookups.figure(claim.figure), record.value).written
        correction_changes(claim.claim_id, claim.value, corrected)
    claim.correct(body=body, signature=signature)
    return correction_id, claim


def retract_claim(
    lookups: Lookups, ctx: Context, claim: Claim, record: RetractionRecord, key: KeyPair | None
) -> tuple[str, Claim | None]:
    retraction_id, body, signature, signer = prepare_retraction(
        lookups, ctx, claim, record, key)
    if not followup_is_new(claim, retraction_id, signer, correcting=False):
        return retraction_id, None
    claim.retract(body=body, signature=signature)
    return retraction_id, claim
