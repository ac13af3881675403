"""W3C Data Integrity proofs with the `eddsa-jcs-2022` cryptosuite (vc-di-eddsa §3.3):
the proof configuration and the document are each RFC 8785 canonical JSON, hashed with
SHA-256; Ed25519 signs the two hashes, proof configuration first; `proofValue` is the
signature in multibase base58btc."""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tally.ledger.integrity.signing import canonical, public_bytes
from tally.projections.interop.did_key import base58btc, verification_method

CRYPTOSUITE = "eddsa-jcs-2022"


def hash_data(proof_config: dict[str, Any], document: dict[str, Any]) -> bytes:
    """SHA-256 of the canonical proof configuration, then of the canonical document."""
    return (hashlib.sha256(canonical(proof_config).encode("utf-8")).digest()
            + hashlib.sha256(canonical(document).encode("utf-8")).digest())


def proof_config(document: dict[str, Any], method: str, created: str,
                 purpose: str = "assertionMethod") -> dict[str, Any]:
    config: dict[str, Any] = {"type": "DataIntegrityProof", "cryptosuite": CRYPTOSUITE,
                              "created": created, "verificationMethod": method,
                              "proofPurpose": purpose}
    if "@context" in document:
        config["@context"] = document["@context"]
    return config


def secured(document: dict[str, Any], key: Ed25519PrivateKey, created: str,
            method: str | None = None) -> dict[str, Any]:
    """`document` with its `proof`, signed by `key` (as its did:key unless `method`)."""
    config = proof_config(document, method or verification_method(public_bytes(key)),
                          created)
    signature = key.sign(hash_data(config, document))
    return {**document, "proof": {**config, "proofValue": "z" + base58btc(signature)}}
