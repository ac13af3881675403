"""The cosignature vector in docs/formats.md, re-derived with hashlib and `cryptography`
alone (no `ledger` module): if the page and the code disagree, this fails."""

from __future__ import annotations

import base64
import hashlib
import re
import struct
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tally.ledger.integrity.cosignature import Cosigner, cosign, cosignatures

DOC = Path(__file__).resolve().parents[2] / "docs" / "formats.md"
BEGIN, END = "<!-- cosignature-vector:begin -->", "<!-- cosignature-vector:end -->"
NAME, ORIGIN, TIME = "witness.example/w1", "example.org/vectors", 1741000000
COSIGNATURE = b"\x04"
TEXT = "example.org/vectors\n9\n7jkJxAF87OlCddSg8iSLVRvUPR05mRu9976ZjNo90f0=\n"


def _blocks() -> list[str]:
    doc = DOC.read_text(encoding="utf-8")
    section = doc[doc.index(BEGIN) : doc.index(END)]
    return re.findall(r"```\n(.*?)```", section, flags=re.S)


def _fields(block: str) -> dict[str, str]:
    return {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in block.splitlines())}


def _independent() -> tuple[dict[str, str], str, str]:
    witness = Ed25519PrivateKey.from_private_bytes(bytes([3]) * 32)
    operator = Ed25519PrivateKey.from_private_bytes(bytes([1]) * 32)
    pub = witness.public_key().public_bytes_raw()
    key_id = hashlib.sha256(NAME.encode() + b"\n\x04" + pub).digest()[:4]
    message = f"cosignature/v1\ntime {TIME}\n{TEXT}"
    blob = key_id + struct.pack(">Q", TIME) + witness.sign(message.encode())
    op_pub = operator.public_key().public_bytes_raw()
    op_id = hashlib.sha256(ORIGIN.encode() + b"\n\x01" + op_pub).digest()[:4]
    op_line = f"— {ORIGIN} {base64.b64encode(op_id + operator.sign(TEXT.encode())).decode()}\n"
    note = f"{TEXT}\n{op_line}— {NAME} {base64.b64encode(blob).decode()}\n"
    fields = {
        "witness public key": pub.hex(),
        "witness key id": key_id.hex(),
        "witness vkey": f"{NAME}+{key_id.hex()}+{base64.b64encode(COSIGNATURE + pub).decode()}",
        "timestamp": str(TIME),
        "signature blob": blob.hex(),
    }
    return fields, message, note


def test_the_page_shows_what_an_independent_implementation_derives() -> None:
    fields, message, note = _independent()
    shown_fields, shown_message, shown_note = _blocks()
    assert _fields(shown_fields) == fields
    assert shown_message == message
    assert shown_note == note


def test_the_code_makes_and_verifies_the_same_bytes() -> None:
    fields, _, note = _independent()
    witness = Ed25519PrivateKey.from_private_bytes(bytes([3]) * 32)
    line = cosign(TEXT, NAME, witness, TIME)
    assert note.endswith(line)
    cosigner = Cosigner(NAME, bytes.fromhex(fields["witness public key"]))
    assert cosigner.vkey == fields["witness vkey"]
    assert cosignatures(note, [cosigner]) == {cosigner: TIME}
