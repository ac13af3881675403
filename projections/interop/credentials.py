"""W3C Verifiable Credentials 2.0, one a claim: issued by the operator as its `did:key`,
secured with Data Integrity `eddsa-jcs-2022`. The subject is the claim, with the
recorder's own Ed25519 signature of its signed body and the recorder's key; the
`evidence` is the claim's inclusion proof (as `tally proof` writes it) into the
checkpoint that first covers it, which `tally verify-proof` checks offline."""

from __future__ import annotations

import json
from typing import Any

from tally.ledger.application import Ledger
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.model.moments import iso_utc
from tally.projections.interop.data_integrity import secured
from tally.projections.interop.did_key import did_key, multikey
from tally.projections.interop.mapping import ClaimRecord, Record

CONTEXT = ["https://www.w3.org/ns/credentials/v2"]


def subject(claim: ClaimRecord) -> dict[str, Any]:
    """The claim as the credential's subject (absent fields left out, never null)."""
    fields = {"figure": claim.figure, "value": claim.value.written,
              "reported": claim.reported.written, "unit": claim.unit, "asOf": claim.as_of,
              "source": claim.source.id, "via": [v.id for v in claim.via], "url": claim.url,
              "published": claim.published, "quote": claim.quote, "status": claim.status,
              "documentSha256": claim.document_sha256}
    key = bytes.fromhex(claim.signer_public_key)
    return {"id": claim.permalink, "type": "TallyClaim",
            **{k: v for k, v in fields.items() if v is not None},
            "signedBody": claim.log.body,
            # each `[salt, path, value]` hashes (SHA-256 of its UTF-8) to a commitment
            # of the signed body, opening it to the quote or URL above
            "disclosures": claim.log.disclosures,
            "recorderSignature": {"type": "Ed25519Signature", "signer": claim.signer.id,
                                  "publicKeyHex": claim.signer_public_key,
                                  "publicKeyMultibase": multikey(key),
                                  "signatureHex": claim.log.signature}}


def credential(claim: ClaimRecord, ledger: Ledger, operator: KeyPair,
               created: str) -> dict[str, Any]:
    proof = ledger.inclusion_proof(claim.id, claim.log.checkpoint)
    unsecured = {
        "@context": CONTEXT, "id": claim.permalink,
        "type": ["VerifiableCredential", "TallyClaimCredential"],
        "name": f"Claim {claim.id} of {claim.figure}",
        "issuer": did_key(operator.public_key),
        "validFrom": iso_utc(claim.recorded_at, "seconds"),
        "credentialSubject": subject(claim),
        "evidence": [{"id": claim.log.checkpoint_url, "type": ["TallyInclusionProof"],
                      "leafIndex": claim.log.leaf_index, "leafHash": claim.log.leaf_hash,
                      "checkpoint": claim.log.checkpoint,
                      "inclusionProof": json.loads(proof.model_dump_json())}],
    }
    return secured(unsecured, operator.private_key, created)


def credentials(record: Record, ledger: Ledger, operator: KeyPair,
                created: str) -> list[dict[str, Any]]:
    """One credential a claim of the record, all proofs made at `created` (ISO UTC)."""
    return [credential(c, ledger, operator, created) for c in record.claims]
