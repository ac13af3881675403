"""The operator's take-down orders (format v2): redact a claim's quote or URL, withhold an
archived document. Each is a signed event in the log; the value itself then leaves the
database (`Disclosures.erase`, `Archive.erase`) while every signature, leaf and proof
stays valid, because what was signed and logged is the commitment or the hash.
"""

from __future__ import annotations

import json

from tally.ledger.commands import Context, operator_signed
from tally.ledger.errors import InputError
from tally.ledger.infra.keystore import KeyPair
from tally.ledger.integrity import disclosure
from tally.ledger.lookups import Registry
from tally.ledger.model.bodies import redaction_body, withholding_body
from tally.ledger.model.events import Claim, Document, Redaction
from tally.ledger.model.inputs import RedactionRecord, WithholdingRecord


def field_commitments(claim: Claim, field: str) -> list[str]:
    """The commitments a redaction of `field` takes down: InputError if there are none (a
    claim signed before format v2, or one without that field)."""
    committed = disclosure.commitments(json.loads(claim.body))
    found = [committed[p] for p in disclosure.FIELDS[field] if p in committed]
    if not found:
        raise InputError(
            f"claim {claim.claim_id} has no committed {field}: it has none, or it was signed "
            "before format v2 (whose fields can only come down with the whole claim)",
            field="field")
    return found


def redact_claim(registry: Registry, ctx: Context, claim: Claim, record: RedactionRecord,
                 key: KeyPair | None) -> tuple[list[str], Redaction | None]:
    """The commitments to erase, and the order (None when this field was redacted already:
    erasing again is harmless, and finishes an erasure a crash interrupted)."""
    commitments = field_commitments(claim, record.field)
    if registry.find_redaction(claim.claim_id, record.field) is not None:
        return commitments, None
    body, signature = operator_signed(
        registry, ctx, record, key,
        lambda s: redaction_body(ctx.ledger_id, s, record, commitments), None,
        "take-down orders")
    order = Redaction(body=body, signature=signature)
    registry.stage(order)
    return commitments, order


def withhold_document(registry: Registry, ctx: Context, record: WithholdingRecord,
                      key: KeyPair | None) -> Document | None:
    """The document with its withholding pending, or None when it is withheld already."""
    document = registry.find_document(record.sha256)
    if document is None:
        raise InputError(f"document {record.sha256} is not archived in this ledger",
                         field="sha256")
    if document.withheld:
        return None
    body, signature = operator_signed(
        registry, ctx, record, key, lambda s: withholding_body(ctx.ledger_id, s, record),
        None, "take-down orders")
    document.withhold(body=body, signature=signature)
    return document
