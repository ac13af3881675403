"""tlog-witness request and answer bodies: round trips, and every malformed shape refused."""

from __future__ import annotations

import pytest

from tally.ledger.errors import VerificationError
from tally.ledger.integrity.witness_protocol import (
    format_add_checkpoint,
    format_size,
    parse_add_checkpoint,
    parse_cosignature_lines,
    parse_size,
)

NOTE = ("example.org/log\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n"
        "— example.org/log AAAA\n")
H = bytes(range(32))


def test_the_spec_layout_round_trips() -> None:
    body = format_add_checkpoint(2, [H, H[::-1]], NOTE)
    assert body.startswith("old 2\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n")
    assert parse_add_checkpoint(body) == (2, [H, H[::-1]], NOTE)
    assert format_add_checkpoint(0, [], NOTE) == "old 0\n\n" + NOTE
    assert parse_add_checkpoint("old 0\n\n" + NOTE) == (0, [], NOTE)


@pytest.mark.parametrize("body", [
    "old 2\n" + NOTE,                      # no empty line before the checkpoint
    "old 02\n\n" + NOTE,                   # leading zero
    "old -1\n\n" + NOTE,
    "old  2\n\n" + NOTE,
    "new 2\n\n" + NOTE,
    "old 2\nnot base64\n\n" + NOTE,
    "old 2\nAAAA\n\n" + NOTE,             # not 32 bytes
    "old 9223372036854775808\n\n" + NOTE,  # past 2^63-1
    "old 2\n" + "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n" * 64 + "\n" + NOTE,
])
def test_malformed_requests_are_refused(body: str) -> None:
    with pytest.raises(VerificationError):
        parse_add_checkpoint(body)


def test_sizes_and_answers() -> None:
    assert parse_size(format_size(41)) == 41
    for bad in ("41", "041\n", "x\n", "", "1\n2\n"):
        with pytest.raises(VerificationError):
            parse_size(bad)
    line = "— w1.example AAAAAAA=\n"
    assert [text for text, _ in parse_cosignature_lines(line + line)] == [line, line]
    for bad in ("", line.rstrip("\n"), "hello\n", line + "\n"):
        with pytest.raises(VerificationError):
            parse_cosignature_lines(bad)
