"""Canonical bytes, key ids and Ed25519 signatures: the pure core of every signed body.

What is signed is the RFC 8785 (JCS) canonical JSON of a body; the body always
names the ledger and the signer's key id, so a signature cannot be replayed into
another ledger or attributed to another key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring as _json_string
from typing import Any
from uuid import UUID

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

from tally.ledger.errors import SignatureError

SIGNATURE_ALGORITHM = "ed25519"
HASH_ALGORITHM = "sha256"


_INT_MIN, _INT_MAX = -(2**53) + 1, 2**53 - 1
# With sorted keys, no whitespace and no ASCII escaping, the C JSON encoder writes exactly
# what RFC 8785 writes for strings (the same escapes: \" \\ \b \f \n \r \t, other controls
# as lowercase \u00xx), null, booleans, integers in JCS's range, arrays and objects whose
# keys are ASCII (where code-point order is UTF-16 order). Anything else (floats, big
# integers, non-ASCII keys, subclasses, non-UTF-8 code points) goes to `rfc8785` itself.
# tests/properties/test_canonical_differential.py proves the two byte-identical.
_FAST_ENCODE = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False,
).encode


def _jcs_plain(value: Any) -> bool:
    """True when the fast encoder writes `value` exactly as RFC 8785 does."""
    kind = type(value)
    if kind is dict:
        for k, v in value.items():
            if type(k) is not str or not k.isascii():
                return False
            t = type(v)
            if t is str or v is None or t is bool:
                continue
            if not _jcs_plain(v):
                return False
        return True
    if kind is str or value is None or kind is bool:
        return True
    if kind is int:
        return bool(_INT_MIN <= value <= _INT_MAX)
    if kind is list or kind is tuple:
        return all(_jcs_plain(v) for v in value)
    return False


def canonical(body: Mapping[str, Any]) -> str:
    """The RFC 8785 canonical JSON of `body`, as text (JCS output is always UTF-8)."""
    data = dict(body)
    if _jcs_plain(data):
        text: str = _FAST_ENCODE(data)
        if text.isascii() or _utf8(text):  # a lone surrogate: rfc8785 refuses it in its words
            return text
    return rfc8785.dumps(data).decode("utf-8")


def canonical_strings(values: list[str]) -> str:
    """The RFC 8785 canonical JSON of a list of strings (format v2's disclosures): each
    string as the C encoder writes it, as in `canonical` (differential test beside it)."""
    if all(type(v) is str for v in values):
        text = "[" + ",".join(map(_json_string, values)) + "]"
        if text.isascii() or _utf8(text):
            return text
    return rfc8785.dumps(list(values)).decode("utf-8")


def _utf8(text: str) -> bool:
    """Whether `text` encodes to UTF-8 (a lone surrogate does not: rfc8785 refuses it)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def canonical_of_plain(data: dict[str, Any]) -> str:
    """RFC 8785 text of a dict already known to hold only ASCII keys and strings, booleans,
    nulls and lists of strings (a validated statement): the fast encoder alone writes it
    exactly as JCS does (see `canonical`), with no need to inspect the values again."""
    return _FAST_ENCODE(data)


def body_id(body_text: str) -> str:
    """The id of a signed body: the first 128 bits of its SHA-256, as 32 hex digits.

    128 bits keeps the id a UUID (the event store's aggregate id) while collisions
    stay out of reach; the full hash is still covered by the Merkle leaf.
    """
    return hashlib.sha256(body_text.encode("utf-8")).hexdigest()[:32]


def body_uuid(body_text: str) -> UUID:
    return UUID(hex=body_id(body_text))


_HEX = frozenset("0123456789abcdef")


def id_prefix_range(prefix: str) -> tuple[str, str] | None:
    """The half-open range [low, high) of lowercase hex ids that start with `prefix`, for an
    indexed range scan (`LIKE 'ab%'` is not one on SQLite); None if no hex id can match."""
    if not set(prefix) <= _HEX:
        return None
    return prefix, prefix + "g"  # "g" sorts after every hex digit


def key_id(public_key: bytes) -> str:
    """A signer's key id: the first 64 bits of SHA-256 of the raw public key, in hex."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def public_bytes(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes_raw()


def private_seed(private_key: Ed25519PrivateKey) -> bytes:
    """The key's 32-byte seed: the secret that format v2's salts are derived under."""
    return private_key.private_bytes_raw()


def sign(private_key: Ed25519PrivateKey, body_text: str) -> str:
    """Sign the canonical body text; the signature is returned as 128 hex digits."""
    return private_key.sign(body_text.encode("utf-8")).hex()


def _signature_bytes(signature_hex: str) -> bytes:
    try:
        signature = bytes.fromhex(signature_hex)
    except ValueError:
        raise SignatureError("signature is not hexadecimal") from None
    if len(signature) != 64:
        raise SignatureError("signature must be 64 bytes (128 hex digits)")
    return signature


def _verifies(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Ed25519 verification with libsodium (PyNaCl): about twice OpenSSL's rate here."""
    if len(public_key) != 32:
        return False
    try:
        crypto_sign_open(signature + message, public_key)
    except (BadSignatureError, ValueError):
        return False
    return True


def check_signature(public_key: bytes, body_text: str, signature_hex: str) -> None:
    """Raise SignatureError unless `signature_hex` is a valid signature of the body."""
    signature = _signature_bytes(signature_hex)
    if not _verifies(public_key, body_text.encode("utf-8"), signature):
        raise SignatureError(
            "signature does not verify: the body was altered or signed by another key"
        )


# -- many signatures at once: see `infra.signature_pool` ------------------------------

# (public key, body text, signature hex)
SignedItem = tuple[bytes, str, str]


def verify_chunk(items: Sequence[SignedItem]) -> list[bool]:
    """Whether each signature verifies (runs in a worker process, or in place)."""
    out = []
    for public_key, body, signature_hex in items:
        try:
            signature = bytes.fromhex(signature_hex)
        except ValueError:
            out.append(False)
            continue
        out.append(len(signature) == 64 and _verifies(public_key, body.encode("utf-8"), signature))
    return out


def parse_public_key(text: str) -> bytes:
    """A raw 32-byte Ed25519 public key from its 64-hex-digit form."""
    try:
        raw = bytes.fromhex(text.strip())
    except ValueError:
        raise SignatureError("public key is not hexadecimal", field="key") from None
    if len(raw) != 32:
        raise SignatureError("public key must be 32 bytes (64 hex digits)", field="key")
    return raw


@dataclass(frozen=True)
class KeyPair:
    """A named Ed25519 private key (a local key, the operator's, a witness's) and the public
    key and key id derived from it; `infra/keystore.py` keeps them in files."""

    name: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> bytes:
        return public_bytes(self.private_key)

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    @classmethod
    def from_seed(cls, name: str, seed: bytes) -> KeyPair:
        """The key whose 32-byte seed is `seed` (`private_seed`): how the import hands its
        signing key to its worker processes, which pickle cannot do with the key itself."""
        return cls(name, Ed25519PrivateKey.from_private_bytes(seed))
