"""Building the signed statements (`ledger.model.statements`) from validated input.

Each builder returns the statement's fields as a plain dict; `signing.canonical`
turns it into the exact text that is signed and stored. Changing a builder
changes every id and signature: the format is versioned (docs/formats.md).
"""

from __future__ import annotations

import hashlib
from typing import Any

from tally.ledger.model.inputs import (
    CaseRecord,
    CorrectionRecord,
    FigureRecord,
    RedactionRecord,
    ReportRecord,
    RetractionRecord,
    SourceRecord,
    WithholdingRecord,
)
from tally.ledger.model.kinds import MediaType, Role
from tally.ledger.model.statements import (
    CaseDefined,
    ClaimCorrected,
    ClaimRecorded,
    ClaimRedacted,
    ClaimRetracted,
    DocumentArchived,
    DocumentWithheld,
    FigureDefined,
    LedgerCreated,
    SignerAdded,
    SignerRevoked,
    SourceRegistered,
    WitnessAdded,
    WitnessRemoved,
    WitnessUpdated,
)


def ledger_id(origin: str, operator_public_key: bytes) -> str:
    """A ledger's id: derived from its origin and operator key, so an export re-imported
    into a ledger created with the same name and key verifies, and no other ledger's does."""
    material = f"tally-ledger\n{origin}\n{operator_public_key.hex()}".encode()
    return hashlib.sha256(material).hexdigest()[:32]


def genesis_body(
    ledger: str, origin: str, operator_public_key: bytes, signer: str
) -> dict[str, Any]:
    return LedgerCreated(ledger=ledger, signer=signer, origin=origin,
                         operator_public_key=operator_public_key.hex()).model_dump()


def signer_body(
    ledger: str, signer: str, key_id: str, public_key: bytes, name: str, role: Role
) -> dict[str, Any]:
    return SignerAdded(ledger=ledger, signer=signer, key_id=key_id,
                       public_key=public_key.hex(), name=name, role=role).model_dump()


def revocation_body(ledger: str, signer: str, key_id: str, reason: str) -> dict[str, Any]:
    return SignerRevoked(ledger=ledger, signer=signer, key_id=key_id,
                         reason=reason).model_dump()


def source_body(ledger: str, signer: str, record: SourceRecord) -> dict[str, Any]:
    return SourceRegistered(ledger=ledger, signer=signer, id=record.id, name=record.name,
                            kind=record.kind, key_id=record.key_id).model_dump()


def case_body(ledger: str, signer: str, record: CaseRecord) -> dict[str, Any]:
    return CaseDefined(ledger=ledger, signer=signer, id=record.id, name=record.name,
                       description=record.description, place=record.place,
                       period=record.period).model_dump()


def figure_body(ledger: str, signer: str, record: FigureRecord, tolerance: str) -> dict[str, Any]:
    """`tolerance` is the normalised form, so "0.050" defines "0.05" identically."""
    named = {k: v for k, v in (("name", record.name), ("description", record.description))
             if v is not None}  # absent, never null, when not given
    statement = FigureDefined.model_validate(dict(
        ledger=ledger, signer=signer, id=record.id, kind=record.kind, unit=record.unit,
        cumulative=record.cumulative, parts=list(record.parts), tolerance=tolerance,
        states=list(record.states), integer=record.integer or None, **named))
    # `integer` only when true, `name` and `description` only when given
    return statement.model_dump(exclude_none=True)


def claim_body(ledger: str, signer: str, report: ReportRecord, value: str,
               anchor: dict[str, Any] | None = None) -> dict[str, Any]:
    """`value` is the canonical written form, so `~450` and ` ~450 ` sign the same body;
    an anchored quote (`ledger.evidence.anchors`) is signed as the text it anchors."""
    fields: dict[str, Any] = {} if anchor is None else {
        "anchor": anchor, "quote": anchor["quote"]["exact"]}
    return ClaimRecorded.model_validate({
        "ledger": ledger, "signer": signer, "figure": report.figure, "value": value,
        "as_of": report.as_of, "source": report.source, "via": list(report.via),
        "url": report.url, "published": report.published, "quote": report.quote,
        "document_sha256": report.document_sha256, **fields}).plain()


def document_body(ledger: str, signer: str, sha256: str, media_type: MediaType,
                  url: str | None,
                  retrieved: str | None, source: str | None, extractor: str,
                  extractor_version: str, text_sha256: str) -> dict[str, Any]:
    return DocumentArchived(
        ledger=ledger, signer=signer, sha256=sha256, media_type=media_type,
        url=url, retrieved=retrieved, source=source, extractor=extractor,
        extractor_version=extractor_version, text_sha256=text_sha256).model_dump()


def correction_body(
    ledger: str, signer: str, claim: str, record: CorrectionRecord, value: str
) -> dict[str, Any]:
    return ClaimCorrected(ledger=ledger, signer=signer, claim=claim, value=value,
                          reason=record.reason).model_dump()


def retraction_body(
    ledger: str, signer: str, claim: str, record: RetractionRecord
) -> dict[str, Any]:
    return ClaimRetracted(ledger=ledger, signer=signer, claim=claim,
                          reason=record.reason).model_dump()


def redaction_body(ledger: str, signer: str, record: RedactionRecord,
                   commitments: list[str]) -> dict[str, Any]:
    return ClaimRedacted(ledger=ledger, signer=signer, claim=record.claim, field=record.field,
                         commitments=sorted(commitments), reason=record.reason).model_dump()


def withholding_body(ledger: str, signer: str, record: WithholdingRecord) -> dict[str, Any]:
    return DocumentWithheld(ledger=ledger, signer=signer, sha256=record.sha256,
                            reason=record.reason).model_dump()


def witness_body(ledger: str, signer: str, name: str, url: str, vkey: str) -> dict[str, Any]:
    return WitnessAdded(ledger=ledger, signer=signer, name=name, url=url,
                        vkey=vkey).model_dump()


def witness_removal_body(ledger: str, signer: str, name: str, reason: str) -> dict[str, Any]:
    return WitnessRemoved(ledger=ledger, signer=signer, name=name, reason=reason).model_dump()


def witness_update_body(ledger: str, signer: str, name: str, url: str) -> dict[str, Any]:
    return WitnessUpdated(ledger=ledger, signer=signer, name=name, url=url).model_dump()
