"""Cosignature v1 verification against forgeries: every altered byte, wrong key ids,
timestamps of zero or past 2^63-1, a log key passed as a witness key."""

from __future__ import annotations

import base64
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tally.ledger.errors import VerificationError
from tally.ledger.integrity.checkpoints import (
    Checkpoint,
    key_hash,
    sign_checkpoint,
    signature_line,
    split_note,
)
from tally.ledger.integrity.cosignature import (
    Cosigner,
    cosign,
    cosignatures,
    parse_cosigner_vkey,
    signed_message,
    with_signatures,
)

ORIGIN = "example.org/log"
LOG = Ed25519PrivateKey.from_private_bytes(bytes([7]) * 32)
W1 = Ed25519PrivateKey.from_private_bytes(bytes([8]) * 32)
W2 = Ed25519PrivateKey.from_private_bytes(bytes([9]) * 32)
C1 = Cosigner("w1.example", W1.public_key().public_bytes_raw())
C2 = Cosigner("w2.example", W2.public_key().public_bytes_raw())
NOTE = sign_checkpoint(Checkpoint(origin=ORIGIN, size=5, root_hash=bytes(range(32))), LOG)
TEXT = split_note(NOTE)[0]


def _line(blob: bytes, name: str = C1.name) -> str:
    return signature_line(name, blob)


def _blob(line: str) -> bytes:
    return base64.b64decode(line.split(" ")[2])


def test_a_cosigned_note_names_its_cosigners_and_times() -> None:
    note = with_signatures(NOTE, [cosign(TEXT, C1.name, W1, 1000), cosign(TEXT, C2.name, W2, 7)])
    assert cosignatures(note, [C1, C2]) == {C1: 1000, C2: 7}
    assert cosignatures(NOTE, [C1, C2]) == {}


def test_every_altered_byte_of_a_cosignature_is_refused_or_ignored() -> None:
    blob = _blob(cosign(TEXT, C1.name, W1, 1000))
    for i in range(len(blob)):
        forged = bytearray(blob)
        forged[i] ^= 0x01
        note = NOTE + _line(bytes(forged))
        if i < 4:  # another key id: not C1's line, so C1 did not cosign
            assert cosignatures(note, [C1]) == {}
        else:
            with pytest.raises(VerificationError):
                cosignatures(note, [C1])


def test_a_cosignature_on_another_checkpoint_does_not_verify() -> None:
    other = Checkpoint(origin=ORIGIN, size=6, root_hash=bytes(range(32))).body()
    with pytest.raises(VerificationError, match="does not verify"):
        cosignatures(NOTE + cosign(other, C1.name, W1, 1000), [C1])


def test_timestamps_of_zero_and_past_the_limit_are_refused() -> None:
    for timestamp in (0, 2**63, 2**64 - 1):
        message = f"cosignature/v1\ntime {timestamp}\n{TEXT}".encode()
        blob = C1.key_id + struct.pack(">Q", timestamp) + W1.sign(message)
        with pytest.raises(VerificationError, match="timestamp"):
            cosignatures(NOTE + _line(blob), [C1])
    with pytest.raises(ValueError):
        cosign(TEXT, C1.name, W1, 0)


def test_a_line_with_the_note_key_id_type_is_not_a_cosignature() -> None:
    wrong_id = key_hash(C1.name, C1.public_key)  # type 0x01, as a log's key
    blob = wrong_id + _blob(cosign(TEXT, C1.name, W1, 1000))[4:]
    assert cosignatures(NOTE + _line(blob), [C1]) == {}


def test_a_signature_by_another_key_under_the_right_id_is_refused() -> None:
    blob = C1.key_id + struct.pack(">Q", 1000) + W2.sign(signed_message(TEXT, 1000))
    with pytest.raises(VerificationError, match="does not verify"):
        cosignatures(NOTE + _line(blob), [C1])


def test_a_plain_note_signature_by_the_witness_key_is_not_a_cosignature() -> None:
    blob = C1.key_id + W1.sign(TEXT.encode())  # no timestamp: a 0x01-style signature
    with pytest.raises(VerificationError, match="not a timestamp and a signature"):
        cosignatures(NOTE + _line(blob), [C1])


def test_vkeys_round_trip_and_refuse_the_wrong_type_or_id() -> None:
    assert parse_cosigner_vkey(C1.vkey) == C1
    name, _key_id, key = C1.vkey.split("+", 2)
    with pytest.raises(VerificationError):
        parse_cosigner_vkey(f"{name}+00000000+{key}")
    log_vkey = f"{name}+{key_hash(name, C1.public_key).hex()}+" + base64.b64encode(
        b"\x01" + C1.public_key).decode()
    with pytest.raises(VerificationError):
        parse_cosigner_vkey(log_vkey)


def test_a_public_witness_vkey_parses_with_its_own_key_id() -> None:
    # a witness key published by its operator (transparency-dev/formats uses it in its
    # tests): our key-id derivation must agree with the one that made it
    vkey = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
    cosigner = parse_cosigner_vkey(vkey)
    assert cosigner.vkey == vkey


def test_with_signatures_appends_each_line_once_and_refuses_junk() -> None:
    line = cosign(TEXT, C1.name, W1, 1000)
    assert with_signatures(with_signatures(NOTE, [line]), [line, line]) == NOTE + line
    with pytest.raises(VerificationError):
        with_signatures(NOTE, ["not a signature line\n"])
    with pytest.raises(VerificationError):
        with_signatures(NOTE, [line.rstrip("\n")])
