"""One line saying what a signed statement records, for `tally log` and `tally event`.

Every word comes from the statement (the signed body), never from a read model.
"""

from __future__ import annotations

from tally.ledger.integrity.signing import body_id
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
    Statement,
    WitnessAdded,
    WitnessRemoved,
    WitnessUpdated,
)


def subject(statement: Statement, body: str) -> str:
    """The id a command names the statement's subject by: the ledger id, a signer's key id,
    a source or figure id, a claim id, a correction's or retraction's own id (as `history`
    and `provenance` show it), a document's SHA-256, a witness's name."""
    match statement:
        case LedgerCreated():
            return statement.ledger
        case SignerAdded() | SignerRevoked():
            return statement.key_id
        case SourceRegistered() | FigureDefined() | CaseDefined():
            return statement.id
        case ClaimRecorded() | ClaimCorrected() | ClaimRetracted():
            return body_id(body)
        case DocumentArchived() | DocumentWithheld():
            return statement.sha256
        case ClaimRedacted():
            return statement.claim
        case WitnessAdded() | WitnessRemoved() | WitnessUpdated():
            return statement.name


def summary(statement: Statement) -> str:
    """What the statement records, in a few words (`izium/bodies = 447 as of 2022-09-23 from
    hromadske`)."""
    match statement:
        case LedgerCreated():
            return f"ledger {statement.origin}, operator key {statement.signer}"
        case SignerAdded():
            return f"{statement.role} {statement.name}, key {statement.key_id}"
        case SignerRevoked():
            return f"key {statement.key_id} revoked: {statement.reason}"
        case SourceRegistered():
            return f"source {statement.id}: {statement.name} ({statement.kind})"
        case FigureDefined():
            unit = f", {statement.unit}" if statement.kind == "quantity" else ""
            return f"figure {statement.id} ({statement.kind}{unit})"
        case ClaimRecorded():
            chain = " → ".join([statement.source, *statement.via])
            return (f"{statement.figure} = {statement.value} as of {statement.as_of} "
                    f"from {chain}")
        case ClaimCorrected():
            return (f"claim {statement.claim[:8]} corrected to {statement.value}: "
                    f"{statement.reason}")
        case ClaimRetracted():
            return f"claim {statement.claim[:8]} retracted: {statement.reason}"
        case ClaimRedacted():
            return (f"claim {statement.claim[:8]}: its {statement.field} redacted: "
                    f"{statement.reason}")
        case DocumentWithheld():
            return f"document {statement.sha256[:12]} withheld: {statement.reason}"
        case DocumentArchived():
            where = f" from {statement.url}" if statement.url else ""
            return f"document {statement.sha256[:12]} ({statement.media_type}){where}"
        case WitnessAdded():
            return f"witness {statement.name} at {statement.url}"
        case WitnessRemoved():
            return f"witness {statement.name} removed: {statement.reason}"
        case WitnessUpdated():
            return f"witness {statement.name} moved to {statement.url}"
        case CaseDefined():
            return (f"case {statement.id}: {statement.name} ({statement.place}, "
                    f"{statement.period})")
