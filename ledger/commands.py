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
from typing import Any

from ledger import signing
from ledger.bodies import claim_body, correction_body, retraction_body
from ledger.dates import parse_edtf_date
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
)
from ledger.registry import Registry
from ledger.values import parse_value


@dataclass(frozen=True)
class Context:
    """What every signed body depends on: which ledger, and the recording date."""

    ledger_id: str
    today: dt.date


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


def _check_signer(registry: Registry, key_id: str) -> Signer:
    signer = registry.signer(key_id)
    if signer.revoked:
        raise RevokedSignerError(f"signer {key_id} was revoked and can no longer sign")
    return signer


def _sign_or_verify(
    registry: Registry,
    ctx: Context,
    record: ReportRecord | CorrectionRecord | RetractionRecord,
    key: KeyPair | None,
    build: Any,
) -> tuple[Signer, str, str]:
    """Resolve who signs, build the canonical body and sign it, or verify the line's signature."""
    if record.ledger is not None and record.ledger != ctx.ledger_id:
        raise ForeignLedgerError(
            f"this line was signed for ledger {record.ledger}, not this ledger ({ctx.ledger_id})"
        )
    if record.signature is not None:
        if record.signer is None:
            raise SignatureError("a line with a signature must name its signer", field="signer")
        signer = _check_signer(registry, record.signer)
        body = signing.canonical(build(signer.key_id))
        try:
            signing.check_signature(bytes.fromhex(signer.public_key), body, record.signature)
        except SignatureError:
            raise SignatureError(
                "signature does not verify: the line was altered after signing, "
                "or it was signed for another ledger"
            ) from None
        return signer, body, record.signature
    if key is None:
        raise SignatureError("no key to sign with: pass --key NAME", field="key")
    if record.signer is not None and record.signer != key.key_id:
        raise SignatureError(
            f"the line names signer {record.signer} but key {key.name!r} is {key.key_id}",
            field="signer",
        )
    signer = _check_signer(registry, key.key_id)
    body = signing.canonical(build(signer.key_id))
    return signer, body, signing.sign(key.private_key, body)


def record_claim(
    registry: Registry, ctx: Context, record: ReportRecord, key: KeyPair | None
) -> tuple[str, Claim | None]:
    figure = registry.figure(record.figure)
    value = parse_value(record.value, kind=figure.kind, states=figure.states or None)  # type: ignore[arg-type]
    parse_edtf_date(record.as_of, field="as_of", now=ctx.today)
    if record.published is not None:
        parse_edtf_date(record.published, field="published", now=ctx.today)
    registry.source(record.source)
    for hop in record.via:
        registry.source(hop, field="via")
    _, body, signature = _sign_or_verify(
        registry,
        ctx,
        record,
        key,
        lambda signer: claim_body(ctx.ledger_id, signer, record, value.written),
    )
    claim_uuid = signing.body_uuid(body)
    existing = registry._get(claim_uuid, Claim)
    if existing is not None:
        if existing.signature != signature:
            raise SignatureError(
                f"claim {claim_uuid.hex} is already recorded with a different signature"
            )
        return claim_uuid.hex, None
    claim = Claim(body=body, signature=signature, value=value.to_dict())
    registry.stage(claim)
    return claim_uuid.hex, claim


def _followup_signer(
    registry: Registry,
    ctx: Context,
    claim: Claim,
    record: CorrectionRecord | RetractionRecord,
    key: KeyPair | None,
    build: Any,
) -> tuple[str, str, str]:
    signer, body, signature = _sign_or_verify(registry, ctx, record, key, build)
    if signer.key_id != claim.signer and not signer.is_operator:
        raise NotAuthorisedError(
            f"only the claim's signer ({claim.signer}) or an operator key may correct "
            f"or retract claim {claim.claim_id}"
        )
    return signing.body_id(body), body, signature


def correct_claim(
    registry: Registry, ctx: Context, claim: Claim, record: CorrectionRecord, key: KeyPair | None
) -> tuple[str, Claim | None]:
    figure = registry.figure(claim.figure)
    value = parse_value(record.value, kind=figure.kind, states=figure.states or None)  # type: ignore[arg-type]
    correction_id, body, signature = _followup_signer(
        registry,
        ctx,
        claim,
        record,
        key,
        lambda signer: correction_body(
            ctx.ledger_id, signer, claim.claim_id, record, value.written
        ),
    )
    if correction_id in claim.followups:
        return correction_id, None
    if claim.retracted:
        raise ClaimStateError(f"claim {claim.claim_id} is retracted and cannot be corrected")
    claim.correct(
        correction_id=correction_id, body=body, signature=signature, value=value.to_dict()
    )
    return correction_id, claim


def retract_claim(
    registry: Registry, ctx: Context, claim: Claim, record: RetractionRecord, key: KeyPair | None
) -> tuple[str, Claim | None]:
    retraction_id, body, signature = _followup_signer(
        registry,
        ctx,
        claim,
        record,
        key,
        lambda signer: retraction_body(ctx.ledger_id, signer, claim.claim_id, record),
    )
    if retraction_id in claim.followups:
        return retraction_id, None
    if claim.retracted:
        raise ClaimStateError(f"claim {claim.claim_id} is already retracted")
    claim.retract(retraction_id=retraction_id, body=body, signature=signature)
    return retraction_id, claim
