"""C2SP tlog-cosignature v1 (Ed25519): a witness's timestamped signature on a checkpoint.

Format (https://c2sp.org/tlog-cosignature), byte-compatible with
transparency-dev/formats' ``CosignatureV1`` signer and verifier:

- key id: ``SHA-256(name || 0x0A || 0x04 || 32-byte public key)[:4]``; the vkey
  is ``<name>+<hex key id>+<base64(0x04 || public key)>``;
- signed message: ``"cosignature/v1\\ntime <decimal timestamp>\\n"`` followed by
  the whole checkpoint note text (the lines above the blank line);
- signature line: ``"\u2014 <name> base64(key id || u64 big-endian timestamp ||
  64-byte Ed25519 signature)\\n"``, appended to the checkpoint's signed note.

A cosignature says "as of this time, this is the largest consistent tree I have
seen for this origin". A timestamp of zero makes no such statement (the spec
forbids it in witness responses), so verifiers here refuse it.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Iterable
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from tally.ledger.errors import VerificationError
from tally.ledger.integrity.checkpoints import (
    NoteSignature,
    key_hash,
    parse_signature_line,
    parse_verifier_key,
    signature_line,
    split_note,
    verifier_key,
)

COSIGNATURE_TYPE = b"\x04"  # signed-note signature type of timestamped Ed25519 cosignatures
HEADER = "cosignature/v1"
MAX_TIMESTAMP = 2**63 - 1
_BLOB = 4 + 8 + 64  # key id, timestamp, signature


class Cosigner(NamedTuple):
    """A witness's cosigning key: its key name and raw 32-byte Ed25519 public key."""

    name: str
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return key_hash(self.name, self.public_key, COSIGNATURE_TYPE)

    @property
    def vkey(self) -> str:
        return verifier_key(self.name, self.public_key, COSIGNATURE_TYPE)


def parse_cosigner_vkey(vkey: str) -> Cosigner:
    """The cosigner a 0x04 vkey names, its key id checked; VerificationError otherwise."""
    return Cosigner(*parse_verifier_key(vkey.strip(), COSIGNATURE_TYPE))


def signed_message(checkpoint_text: str, timestamp: int) -> bytes:
    """The exact bytes a v1 cosignature signs."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise ValueError(f"a cosignature timestamp runs from 0 to 2^63-1, not {timestamp}")
    return f"{HEADER}\ntime {timestamp}\n{checkpoint_text}".encode()


def cosign(checkpoint_text: str, name: str, private_key: Ed25519PrivateKey,
           timestamp: int) -> str:
    """The cosignature line of `name` on a checkpoint note text, at POSIX time `timestamp`."""
    if timestamp < 1:
        raise ValueError("a cosignature needs a timestamp after the epoch")
    signature = private_key.sign(signed_message(checkpoint_text, timestamp))
    cosigner = Cosigner(name, private_key.public_key().public_bytes_raw())
    return signature_line(name, cosigner.key_id + struct.pack(">Q", timestamp) + signature)


def is_cosignature_by(sig: NoteSignature, cosigner: Cosigner) -> bool:
    """True when a signature line names this cosigner's key name and key id."""
    return sig.name == cosigner.name and sig.key_id == cosigner.key_id


def verify_cosignature(checkpoint_text: str, sig: NoteSignature, cosigner: Cosigner) -> int:
    """The timestamp of a valid v1 cosignature by `cosigner`; VerificationError otherwise."""
    who = f"{cosigner.name}+{cosigner.key_id.hex()}"
    if not is_cosignature_by(sig, cosigner):
        raise VerificationError(f"the signature line is not by cosigner {who}.")
    if len(sig.signature) != _BLOB - 4:
        raise VerificationError(f"the cosignature by {who} is not a timestamp and a signature.")
    (timestamp,) = struct.unpack(">Q", sig.signature[:8])
    if not 1 <= timestamp <= MAX_TIMESTAMP:
        raise VerificationError(
            f"the cosignature by {who} has timestamp {timestamp}, outside 1..2^63-1.")
    try:
        Ed25519PublicKey.from_public_bytes(cosigner.public_key).verify(
            sig.signature[8:], signed_message(checkpoint_text, timestamp))
    except InvalidSignature:
        raise VerificationError(f"the cosignature by {who} does not verify.") from None
    return int(timestamp)


def cosignatures(note: str, cosigners: Iterable[Cosigner]) -> dict[Cosigner, int]:
    """{cosigner: timestamp} of the `cosigners` that validly cosigned the signed note.

    Lines by other keys are ignored, as the signed-note spec requires; a line that
    names one of these keys but does not verify makes the note malformed
    (VerificationError), never a silent "not cosigned".
    """
    text, signatures = split_note(note)
    found: dict[Cosigner, int] = {}
    for cosigner in cosigners:
        for sig in signatures:
            if is_cosignature_by(sig, cosigner):
                found[cosigner] = max(found.get(cosigner, 0),
                                      verify_cosignature(text, sig, cosigner))
    return found


def with_signatures(note: str, lines: Iterable[str]) -> str:
    """The signed note with signature `lines` appended, each once, in the order given."""
    split_note(note)  # a note that does not parse gets nothing appended
    lines = list(lines)
    for number, line in enumerate(lines, start=1):
        if not line.endswith("\n"):
            raise VerificationError(f"signature line {number} does not end in a newline.")
        parse_signature_line(line[:-1], number)
    present = set(note[note.rfind("\n\n") + 2 :].splitlines(keepends=True))
    added = [line for line in dict.fromkeys(lines) if line not in present]
    return note + "".join(added)


def timestamp_of(moment: dt.datetime) -> int:
    """POSIX seconds of an aware datetime, as cosignatures carry them."""
    return int(moment.timestamp())
