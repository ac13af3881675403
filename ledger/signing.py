"""Canonical bytes, key ids and Ed25519 signatures: the pure core of every signed body.

What is signed is the RFC 8785 (JCS) canonical JSON of a body; the body always
names the ledger and the signer's key id, so a signature cannot be replayed into
another ledger or attributed to another key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any
from uuid import UUID

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ledger.errors import SignatureError

SIGNATURE_ALGORITHM = "ed25519"
HASH_ALGORITHM = "sha256"


def canonical(body: Mapping[str, Any]) -> str:
    """The RFC 8785 canonical JSON of `body`, as text (JCS output is always UTF-8)."""
    return rfc8785.dumps(dict(body)).decode("utf-8")


def body_id(body_text: str) -> str:
    """The id of a signed body: the first 128 bits of its SHA-256, as 32 hex digits.

    128 bits keeps the id a UUID (the event store's aggregate id) while collisions
    stay out of reach; the full hash is still covered by the Merkle leaf.
    """
    return hashlib.sha256(body_text.encode("utf-8")).hexdigest()[:32]


def body_uuid(body_text: str) -> UUID:
    return UUID(hex=body_id(body_text))


def key_id(public_key: bytes) -> str:
    """A signer's key id: the first 64 bits of SHA-256 of the raw public key, in hex."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def public_bytes(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes_raw()


def sign(private_key: Ed25519PrivateKey, body_text: str) -> str:
    """Sign the canonical body text; the signature is returned as 128 hex digits."""
    return private_key.sign(body_text.encode("utf-8")).hex()


def check_signature(public_key: bytes, body_text: str, signature_hex: str) -> None:
    """Raise SignatureError unless `signature_hex` is a valid signature of the body."""
    try:
        signature = bytes.fromhex(signature_hex)
    except ValueError:
        raise SignatureError("signature is not hexadecimal") from None
    if len(signature) != 64:
        raise SignatureError("signature must be 64 bytes (128 hex digits)")
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, body_text.encode("utf-8"))
    except InvalidSignature:
        raise SignatureError(
            "signature does not verify: the body was altered or signed by another key"
        ) from None


def parse_public_key(text: str) -> bytes:
    """A raw 32-byte Ed25519 public key from its 64-hex-digit form."""
    try:
        raw = bytes.fromhex(text.strip())
    except ValueError:
        raise SignatureError("public key is not hexadecimal", field="key") from None
    if len(raw) != 32:
        raise SignatureError("public key must be 32 bytes (64 hex digits)", field="key")
    return raw
