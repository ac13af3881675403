"""The signed bodies: which fields each kind of signed event commits to.

Each builder returns a plain dict; `signing.canonical` turns it into the exact
text that is signed and stored. Changing a builder changes every id and
signature, so these are versioned by the `type` they carry.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ledger.records import CorrectionRecord, ReportRecord, RetractionRecord


def ledger_id(origin: str, operator_public_key: bytes) -> str:
    """A ledger's id: derived from its origin and operator key, so an export re-imported
    into a ledger created with the same name and key verifies, and no other ledger's does."""
    material = f"tally-ledger\n{origin}\n{operator_public_key.hex()}".encode()
    return hashlib.sha256(material).hexdigest()[:32]


def genesis_body(
    ledger: str, origin: str, operator_public_key: bytes, signer: str
) -> dict[str, Any]:
    return {
        "type": "genesis",
        "ledger": ledger,
        "signer": signer,
        "origin": origin,
        "operator_public_key": operator_public_key.hex(),
        "hash_algorithm": "sha256",
        "signature_algorithm": "ed25519",
    }


def signer_body(
    ledger: str, signer: str, key_id: str, public_key: bytes, name: str, role: str
) -> dict[str, Any]:
    return {
        "type": "signer",
        "ledger": ledger,
        "signer": signer,
        "key_id": key_id,
        "public_key": public_key.hex(),
        "name": name,
        "role": role,
    }


def revocation_body(ledger: str, signer: str, key_id: str, reason: str) -> dict[str, Any]:
    return {
        "type": "revocation",
        "ledger": ledger,
        "signer": signer,
        "key_id": key_id,
        "reason": reason,
    }


def claim_body(ledger: str, signer: str, report: ReportRecord, value: str) -> dict[str, Any]:
    """`value` is the canonical written form, so `~450` and ` ~450 ` sign the same body."""
    return {
        "type": "claim",
        "ledger": ledger,
        "signer": signer,
        "figure": report.figure,
        "value": value,
        "as_of": report.as_of,
        "source": report.source,
        "via": list(report.via),
        "url": report.url,
        "published": report.published,
        "quote": report.quote,
        "document_sha256": report.document_sha256,
    }


def correction_body(
    ledger: str, signer: str, claim: str, record: CorrectionRecord, value: str
) -> dict[str, Any]:
    return {
        "type": "correction",
        "ledger": ledger,
        "signer": signer,
        "claim": claim,
        "value": value,
        "reason": record.reason,
    }


def retraction_body(
    ledger: str, signer: str, claim: str, record: RetractionRecord
) -> dict[str, Any]:
    return {
        "type": "retraction",
        "ledger": ledger,
        "signer": signer,
        "claim": claim,
        "reason": record.reason,
    }
