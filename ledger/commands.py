"""Turning validated input records into new events, or refusing them.

Each function checks one record against the registry and either returns the
aggregate whose pending events should be saved, or None when the exact same
thing is already recorded (appending twice is a no-op), or raises a LedgerError
naming the field. Nothing here writes: the caller saves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID

from ledger import signing
from ledger.bodies import claim_body, correction_body, retraction_body
from ledger.dates import check_published, parse_edtf_date
from ledger.domain import Claim, Figure, Signer, Source
from ledger.errors import (
    ClaimStateError,
    DuplicateDefinitionError,
    ForeignLedgerError,
    InputError,
    NotAuthorisedError,
    RevokedSignerError,
    SignatureError,
)
from ledger.keystore import KeyPair
from ledger.records import (
    CorrectionRecord,
    FigureRecord,
    ReportRecord,
    RetractionRecord,
    SourceRecord,
    name_problem,
)
from ledger.registry import Registry
from ledger.values import Quantity, Status, parse_value

BAD_SIGNATURE = (
    "signature does not verify: the line was altered after signing, "
    "or it was signed for another ledger"
)
# Where a bulk import queues (public key, body, signature) to check them later, on threads.
Deferred = list[tuple[bytes, str, str]]


class ClaimLike(Protocol):
    """What a correction or retraction needs of the claim it refers to."""

    @property
    def claim_id(self) -> str: ...

    figure: str
    signer: str
    retracted: bool
    followups: list[str]


@dataclass(frozen=True)
class Context:
    """What every signed body depends on: which ledger, and the recording date."""

    ledger_id: str
    today: dt.date


def check_name(name: str, what: str) -> None:
    """Refuse a signer or ledger name holding a hidden character, as a source name is."""
    problem = name_problem(name)
    if problem is not None:
        raise InputError(f"the {what} name {problem}", field="name")


def define_source(registry: Registry, record: SourceRecord) -> Source | None:
    existing = registry.find_source(record.id)
    wanted = (record.name, record.kind, record.key_id)
    if existing is not None:
        if (existing.name, existing.kind, existing.key_id) == wanted:
            return None
        raise DuplicateDefinitionError(
            f"source {record.id!r} is already registered with other attributes", field="id"
        )
    source = Source(source_id=record.id, name=record.name, kind=record.kind, key_id=record.key_id)
    registry.stage(source)
    return source


def define_figure(registry: Registry, record: FigureRecord) -> Figure | None:
    for part in record.parts:
        registry.figure(part)
    if record.kind == "status" and (record.cumulative or record.parts):
        raise InputError("a status figure cannot be cumulative or have parts", field="kind")
    if record.kind == "quantity" and record.states:
        raise InputError("only a status figure has states", field="states")
    if record.id in record.parts:
        raise InputError(f"figure {record.id!r} cannot be one of its own parts", field="parts")
    definition: dict[str, Any] = {
        "figure_id": record.id,
        "kind": record.kind,
        "unit": record.unit,
        "cumulative": record.cumulative,
        "parts": list(record.parts),
        # normalised, so "0.050" redefines "0.05" identically instead of being refused
        "tolerance": format(Decimal(record.tolerance).normalize(), "f"),
        "states": list(record.states),
    }
    existing = registry.find_figure(record.id)
    if existing is not None:
        if existing.definition() == definition:
            return None
        raise DuplicateDefinitionError(
            f"figure {record.id!r} is already defined differently; define a new id instead",
            field="id",
        )
    figure = Figure(**definition)
    registry.stage(figure)
    return figure


def check_unrevoked(signer: Signer) -> None:
    """Refuse a revoked signer, for an event known to be new: what a key signed before its
    revocation stays valid, so appending that again is "already recorded", not refused."""
    if signer.revoked:
        raise RevokedSignerError(f"signer {signer.key_id} was revoked and can no longer sign")


def _sign_or_verify(
    registry: Registry,
    ctx: Context,
    record: ReportRecord | CorrectionRecord | RetractionRecord,
    key: KeyPair | None,
    build: Any,
    defer: Deferred | None = None,
) -> tuple[Signer, str, str]:
    """Resolve who signs, build the canonical body and sign it, or verify the line's signature.

    A revoked signer is not refused here: the caller checks `check_unrevoked` once it knows
    the event is new (see `record_claim`). With `defer`, the line's own signature is queued
    there instead of checked here: the caller checks it (refusing with BAD_SIGNATURE) before
    anything is written.
    """
    if record.ledger is not None and record.ledger != ctx.ledger_id:
        raise ForeignLedgerError(
            f"this line was signed for ledger {record.ledger}, not this ledger ({ctx.ledger_id})"
        )
    if record.signature is not None:
        if record.signer is None:
            raise SignatureError("a line with a signature must name its signer", field="signer")
        signer = registry.signer(record.signer)
        body = signing.canonical(build(signer.key_id))
        if defer is not None:
            defer.append((bytes.fromhex(signer.public_key), body, record.signature))
            return signer, body, record.signature
        try:
            signing.check_signature(bytes.fromhex(signer.public_key), body, record.signature)
        except SignatureError:
            raise SignatureError(BAD_SIGNATURE) from None
        return signer, body, record.signature
    if key is None:
        raise SignatureError("no key to sign with: pass --key NAME", field="key")
    if record.signer is not None and record.signer != key.key_id:
        raise SignatureError(
            f"the line names signer {record.signer} but key {key.name!r} is {key.key_id}",
            field="signer",
        )
    signer = registry.signer(key.key_id)
    body = signing.canonical(build(signer.key_id))
    return signer, body, signing.sign(key.private_key, body)


def prepare_claim(
    registry: Registry,
    ctx: Context,
    record: ReportRecord,
    key: KeyPair | None,
    defer: Deferred | None = None,
) -> tuple[UUID, str, str, Quantity | Status, Signer]:
    """Check a report and build its signed body: (claim id, body, signature, value, signer).

    Unless the claim is already recorded, the caller must `check_unrevoked(signer)`."""
    figure = registry.figure(record.figure)
    value = parse_value(record.value, kind=figure.kind, states=figure.states or None)  # type: ignore[arg-type]
    as_of = parse_edtf_date(record.as_of, field="as_of", now=ctx.today)
    if record.published is not None:
        published = parse_edtf_date(record.published, field="published", now=ctx.today)
        check_published(as_of, published)
    registry.source(record.source)
    for hop in record.via:
        registry.source(hop, field="via")
    signer, body, signature = _sign_or_verify(
        registry,
        ctx,
        record,
        key,
        lambda signer: claim_body(ctx.ledger_id, signer, record, value.written),
        defer,
    )
    return signing.body_uuid(body), body, signature, value, signer


def already_recorded(claim_uuid: UUID, existing_signature: str, signature: str) -> None:
    """The same claim appended twice is a no-op, unless it comes with another signature."""
    if existing_signature != signature:
        raise SignatureError(
            f"claim {claim_uuid.hex} is already recorded with a different signature"
        )


def record_claim(
    registry: Registry, ctx: Context, record: ReportRecord, key: KeyPair | None
) -> tuple[str, Claim | None]:
    claim_uuid, body, signature, value, signer = prepare_claim(registry, ctx, record, key)
    existing = registry._get(claim_uuid, Claim)
    if existing is not None:
        already_recorded(claim_uuid, existing.signature, signature)
        return claim_uuid.hex, None
    check_unrevoked(signer)
    claim = Claim(body=body, signature=signature, value=value.to_dict())
    registry.stage(claim)
    return claim_uuid.hex, claim


def prepare_correction(
    registry: Registry,
    ctx: Context,
    claim: ClaimLike,
    record: CorrectionRecord,
    key: KeyPair | None,
    defer: Deferred | None = None,
) -> tuple[str, str, str, Quantity | Status, Signer]:
    """Check a correction and build its signed body: (correction id, body, signature, value,
    signer); `followup_is_new` then checks the signer may add it."""
    figure = registry.figure(claim.figure)
    value = parse_value(record.value, kind=figure.kind, states=figure.states or None)  # type: ignore[arg-type]
    signer, body, signature = _sign_or_verify(
        registry,
        ctx,
        record,
        key,
        lambda signer: correction_body(
            ctx.ledger_id, signer, claim.claim_id, record, value.written
        ),
        defer,
    )
    return signing.body_id(body), body, signature, value, signer


def prepare_retraction(
    registry: Registry,
    ctx: Context,
    claim: ClaimLike,
    record: RetractionRecord,
    key: KeyPair | None,
    defer: Deferred | None = None,
) -> tuple[str, str, str, Signer]:
    """Check a retraction and build its signed body: (retraction id, body, signature, signer);
    `followup_is_new` then checks the signer may add it."""
    signer, body, signature = _sign_or_verify(
        registry,
        ctx,
        record,
        key,
        lambda signer: retraction_body(ctx.ledger_id, signer, claim.claim_id, record),
        defer,
    )
    return signing.body_id(body), body, signature, signer


def followup_is_new(
    claim: ClaimLike, followup_id: str, signer: Signer, *, correcting: bool
) -> bool:
    """False when this exact follow-up is already recorded (even if its signer was revoked
    since); a new one is refused if its signer is revoked, is neither the claim's signer nor
    an operator, or if the claim is retracted."""
    if followup_id in claim.followups:
        return False
    check_unrevoked(signer)
    if signer.key_id != claim.signer and not signer.is_operator:
        raise NotAuthorisedError(
            f"only the claim's signer ({claim.signer}) or an operator key may correct "
            f"or retract claim {claim.claim_id}"
        )
    if claim.retracted:
        if correcting:
            raise ClaimStateError(f"claim {claim.claim_id} is retracted and cannot be corrected")
        raise ClaimStateError(f"claim {claim.claim_id} is already retracted")
    return True


def correct_claim(
    registry: Registry, ctx: Context, claim: Claim, record: CorrectionRecord, key: KeyPair | None
) -> tuple[str, Claim | None]:
    correction_id, body, signature, value, signer = prepare_correction(
        registry, ctx, claim, record, key
    )
    if not followup_is_new(claim, correction_id, signer, correcting=True):
        return correction_id, None
    claim.correct(
        correction_id=correction_id, body=body, signature=signature, value=value.to_dict()
    )
    return correction_id, claim


def retract_claim(
    registry: Registry, ctx: Context, claim: Claim, record: RetractionRecord, key: KeyPair | None
) -> tuple[str, Claim | None]:
    retraction_id, body, signature, signer = prepare_retraction(
        registry, ctx, claim, record, key
    )
    if not followup_is_new(claim, retraction_id, signer, correcting=False):
        return retraction_id, None
    claim.retract(retraction_id=retraction_id, body=body, signature=signature)
    return retraction_id, claim
