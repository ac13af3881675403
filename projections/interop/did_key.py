"""`did:key` identifiers of Ed25519 keys and the multibase (base58btc) text they use:
`did:key:z6Mk…` is `z` + base58btc(0xed 0x01 ‖ the 32-byte public key)."""

from __future__ import annotations

from tally.ledger.errors import VerificationError

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
ED25519_PUBLIC = b"\xed\x01"  # multicodec ed25519-pub, as a varint
ED25519_PRIVATE = b"\x80\x26"  # multicodec ed25519-priv


def base58btc(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    text = ""
    while number:
        number, digit = divmod(number, 58)
        text = _ALPHABET[digit] + text
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + text


def from_base58btc(text: str) -> bytes:
    number = 0
    for char in text:
        digit = _ALPHABET.find(char)
        if digit < 0:
            raise VerificationError(f"{char!r} is not a base58btc digit")
        number = number * 58 + digit
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def multikey(public_key: bytes) -> str:
    """The Multikey `publicKeyMultibase` of an Ed25519 public key."""
    return "z" + base58btc(ED25519_PUBLIC + public_key)


def did_key(public_key: bytes) -> str:
    return "did:key:" + multikey(public_key)


def verification_method(public_key: bytes) -> str:
    """The did:key's one verification method: `did:key:z6Mk…#z6Mk…`."""
    return f"{did_key(public_key)}#{multikey(public_key)}"


def public_key_of(method: str) -> bytes:
    """The Ed25519 public key a did:key verification method names."""
    did, _, fragment = method.partition("#")
    key = did.removeprefix("did:key:")
    if not did.startswith("did:key:z") or (fragment and fragment != key):
        raise VerificationError(f"{method!r} is not an Ed25519 did:key verification method")
    raw = from_base58btc(key[1:])
    if len(raw) != 34 or not raw.startswith(ED25519_PUBLIC):
        raise VerificationError(f"{method!r} is not an Ed25519 did:key verification method")
    return raw[2:]
