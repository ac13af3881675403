"""C2SP signed notes and tlog checkpoints: the ledger's signed tree heads.

Formats (byte-compatible with golang.org/x/mod/sumdb/note and transparency-log
witnesses):

- signed note (https://c2sp.org/signed-note): a text of lines each ending in
  "\\n", a blank line, then one or more lines
  ``"\u2014 <key name> <base64(4-byte key id || signature)>\\n"``; the signature is
  over the text including its final newline, not the blank line.
- Ed25519 key id: ``SHA-256(name || 0x0A || 0x01 || 32-byte public key)[:4]``.
- checkpoint (https://c2sp.org/tlog-checkpoint): the note text
  ``"<origin>\\n<tree size>\\n<base64 root hash>\\n"`` plus optional extension
  lines; the log signs it under a key named after its origin.

Parsing is strict on purpose: a verifier that tolerates two spellings of one
checkpoint invites two parties to disagree about what was signed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tally.ledger.errors import VerificationError

ED25519_TYPE = b"\x01"  # signed-note signature type byte for Ed25519
MAX_SIGNATURES = 100  # the spec asks verifiers to cap the work; Go uses 100 as well
MAX_TREE_SIZE = 2**63 - 1  # what Go's tlog (int64) can represent
_SIG_PREFIX = "\u2014 "  # em dash, space
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


def _malformed(why: str) -> VerificationError:
    return VerificationError(f"malformed signed note: {why}.")


def strict_b64decode(text: str) -> bytes | None:
    """Standard padded base64, or None; non-canonical spellings are refused (no malleability)."""
    if _BASE64.fullmatch(text) is None or len(text) % 4:
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if base64.b64encode(raw).decode("ascii") == text else None


def parse_decimal(text: str, limit: int) -> int | None:
    """ASCII decimal without sign, spaces or leading zeros, at most `limit`; else None."""
    if _DECIMAL.fullmatch(text) is None or len(text) > len(str(limit)):
        return None
    value = int(text)
    return value if value <= limit else None


def _bad_characters(text: str) -> bool:
    """True if text is not valid UTF-8 or holds an ASCII control character other than newline."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return any(ord(c) < 0x20 and c != "\n" for c in text)


def is_valid_key_name(name: str) -> bool:
    """Key names are non-empty, with no Unicode spaces, no '+', and no control characters."""
    spaces = any(c.isspace() for c in name)  # newlines included
    return bool(name) and "+" not in name and not spaces and not _bad_characters(name)


def key_hash(name: str, public_key: bytes, signature_type: bytes = ED25519_TYPE) -> bytes:
    """The 4-byte key id of `name` and a raw 32-byte Ed25519 public key (signature type 0x01
    for note signatures, 0x04 for tlog cosignatures: see ledger.cosignature)."""
    if not is_valid_key_name(name):
        raise ValueError(f"{name!r} is not a valid note key name")
    if len(public_key) != 32:
        raise ValueError(f"an Ed25519 public key is 32 bytes, not {len(public_key)}")
    return hashlib.sha256(name.encode("utf-8") + b"\n" + signature_type + public_key).digest()[:4]


def verifier_key(name: str, public_key: bytes, signature_type: bytes = ED25519_TYPE) -> str:
    """The note "vkey" string ``<name>+<hex key id>+<base64(type || public key)>``."""
    encoded = base64.b64encode(signature_type + public_key).decode("ascii")
    return f"{name}+{key_hash(name, public_key, signature_type).hex()}+{encoded}"


def parse_verifier_key(vkey: str, signature_type: bytes = ED25519_TYPE) -> tuple[str, bytes]:
    """(name, raw public key) from a vkey string of `signature_type`, checking its key id."""
    name, _, rest = vkey.partition("+")
    hex_id, _, encoded = rest.partition("+")
    key = strict_b64decode(encoded)
    well_formed = is_valid_key_name(name) and re.fullmatch(r"[0-9a-f]{8}", hex_id) is not None
    if not well_formed or key is None or len(key) != 33 or key[:1] != signature_type:
        raise VerificationError(
            f"{vkey!r} is not an Ed25519 verifier key of type 0x{signature_type.hex()} "
            "(name+keyid+base64).")
    if key_hash(name, key[1:], signature_type).hex() != hex_id:
        raise VerificationError(f"the key id in verifier key {vkey!r} does not match its key.")
    return name, key[1:]


class NoteSignature(NamedTuple):
    """One signature line: key name, 4-byte key id, and the signature bytes after it."""

    name: str
    key_id: bytes
    signature: bytes


def sign_note(text: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """The signed note: `text`, a blank line, and one Ed25519 signature line by `name`."""
    if not text.endswith("\n") or _bad_characters(text):
        raise ValueError("note text must be lines ending in newlines, without control characters")
    public = private_key.public_key().public_bytes_raw()
    blob = key_hash(name, public) + private_key.sign(text.encode("utf-8"))
    return f"{text}\n{signature_line(name, blob)}"


def signature_line(name: str, blob: bytes) -> str:
    """One note signature line, ``"— <name> <base64(key id || signature)>\n"``."""
    return f"{_SIG_PREFIX}{name} {base64.b64encode(blob).decode('ascii')}\n"


def parse_signature_line(line: str, number: int = 1) -> NoteSignature:
    """One signature line (without its newline); VerificationError if it is malformed."""
    if not line.startswith(_SIG_PREFIX):
        raise _malformed(f"signature line {number} does not start with an em dash and a space")
    name, space, encoded = line[len(_SIG_PREFIX) :].partition(" ")
    blob = strict_b64decode(encoded)
    if not space or not is_valid_key_name(name) or blob is None or len(blob) < 5:
        raise _malformed(f"signature line {number} is not '— <name> <base64 signature>'")
    return NoteSignature(name, blob[:4], blob[4:])


def split_note(note: str) -> tuple[str, list[NoteSignature]]:
    """Parse a signed note into its text and signature lines, verifying nothing."""
    if _bad_characters(note):
        raise _malformed("it is not UTF-8 text free of control characters")
    # The text may hold blank lines; the last blank line separates the signatures.
    split = note.rfind("\n\n")
    if split < 0:
        raise _malformed("no blank line before the signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block or not block.endswith("\n"):
        raise _malformed("the signature block is empty or does not end in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise _malformed(f"more than {MAX_SIGNATURES} signatures")
    signatures = []
    for number, line in enumerate(lines, start=1):
        if not line.startswith(_SIG_PREFIX):
            raise _malformed(f"signature line {number} does not start with an em dash and a space")
        name, space, encoded = line[len(_SIG_PREFIX) :].partition(" ")
        blob = strict_b64decode(encoded)
        if not space or not is_valid_key_name(name) or blob is None or len(blob) < 5:
            raise _malformed(f"signature line {number} is not '\u2014 <name> <base64 signature>'")
        signatures.append(NoteSignature(name, blob[:4], blob[4:]))
    return text, signatures


def open_note(note: str, name: str, public_key: bytes) -> str:
    """The note's text, if it carries a valid signature by the Ed25519 key (`name`, `public_key`).

    Lines by other keys are ignored, as the spec requires; every line by this key
    must verify, and at least one must be present.
    """
    if len(public_key) != 32:
        raise VerificationError(f"an Ed25519 public key is 32 bytes, not {len(public_key)}.")
    if not is_valid_key_name(name):
        raise VerificationError(f"{name!r} is not a valid note key name.")
    text, signatures = split_note(note)
    wanted = key_hash(name, public_key)
    verifier = Ed25519PublicKey.from_public_bytes(public_key)
    found = False
    for sig in signatures:
        if sig.name != name or sig.key_id != wanted:
            continue
        try:
            verifier.verify(sig.signature, text.encode("utf-8"))
        except InvalidSignature:
            raise VerificationError(f"the signature by {name} on this note is not valid.") from None
        found = True
    if not found:
        raise VerificationError(f"the note is not signed by key {name}+{wanted.hex()}.")
    return text


class Checkpoint(BaseModel):
    """A tree head: the log's origin, its size, and the RFC 9162 root hash at that size."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", ser_json_bytes="base64", val_json_bytes="base64"
    )

    origin: str
    size: int = Field(strict=True, ge=0, le=MAX_TREE_SIZE)
    root_hash: bytes = Field(min_length=32, max_length=32)
    # Opaque extension lines of checkpoints read from elsewhere; Tally never signs any.
    extensions: tuple[str, ...] = ()

    @field_validator("origin")
    @classmethod
    def _origin_is_key_name(cls, value: str) -> str:
        # The origin doubles as the log's key name, so it must be a valid one.
        if not is_valid_key_name(value):
            raise ValueError(
                "the origin must be non-empty, without spaces, '+' or control characters"
            )
        return value

    @field_validator("extensions")
    @classmethod
    def _extensions_are_lines(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not line or "\n" in line or _bad_characters(line) for line in value):
            raise ValueError("extension lines must be non-empty single lines")
        return value

    def body(self) -> str:
        """The note text: origin, size, base64 root hash (and any extension lines), each + "\\n"."""
        root_b64 = base64.b64encode(self.root_hash).decode("ascii")
        return "".join(
            f"{line}\n" for line in (self.origin, str(self.size), root_b64, *self.extensions)
        )

    @classmethod
    def parse_body(cls, text: str) -> Checkpoint:
        """Parse a checkpoint note text strictly; VerificationError names what is wrong."""
        if not text.endswith("\n") or _bad_characters(text):
            raise VerificationError("a checkpoint must be lines of text, each ending in a newline.")
        lines = text[:-1].split("\n")
        if len(lines) < 3 or any(not line for line in lines):
            raise VerificationError(
                "a checkpoint needs origin, size and root hash on non-empty lines."
            )
        origin, size_text, root_text, *extensions = lines
        size = parse_decimal(size_text, MAX_TREE_SIZE)
        if size is None:
            raise VerificationError(
                f"checkpoint tree size {size_text!r} is not a canonical decimal."
            )
        root_hash = strict_b64decode(root_text)
        if root_hash is None or len(root_hash) != 32:
            raise VerificationError("the checkpoint root hash is not the base64 of 32 bytes.")
        try:
            return cls(origin=origin, size=size, root_hash=root_hash, extensions=tuple(extensions))
        except ValidationError as error:
            message = error.errors()[0]["msg"]
            raise VerificationError(f"invalid checkpoint: {message}.") from None


def sign_checkpoint(checkpoint: Checkpoint, private_key: Ed25519PrivateKey) -> str:
    """The checkpoint as a signed note, signed under its origin as key name."""
    if checkpoint.extensions:
        # Extension lines are not auditable by monitors (the spec advises against them).
        raise ValueError("Tally does not sign checkpoints with extension lines")
    return sign_note(checkpoint.body(), checkpoint.origin, private_key)


def verify_checkpoint(note: str, public_key: bytes, origin: str | None = None) -> Checkpoint:
    """The checkpoint in `note` if `public_key` signed it under its origin (`origin`, if given)."""
    text, _ = split_note(note)
    # Without an expected origin, the first line names the key; the signature
    # covers that line, so reading it before verifying gives nothing away.
    name = text.split("\n", 1)[0] if origin is None else origin
    checkpoint = Checkpoint.parse_body(open_note(note, name, public_key))
    if checkpoint.origin != name:
        raise VerificationError(f"the checkpoint is for log {checkpoint.origin!r}, not {name!r}.")
    return checkpoint
