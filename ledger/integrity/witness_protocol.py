"""C2SP tlog-witness bodies: what a log POSTs to ``/add-checkpoint`` and what comes back.

Request (https://c2sp.org/tlog-witness)::

    old <decimal size the witness last cosigned, 0 if none>
    <base64 consistency proof hash>      (0 to 63 lines, RFC 9162 PROOF(old, new))
    <empty line>
    <signed checkpoint note, verbatim>

200 answers are note signature lines (the cosignatures); 409 answers carry the
witness's current size as ``"<decimal>\\n"`` with Content-Type ``text/x.tlog.size``.
Parsing is as strict as ledger.notes: one request has one spelling.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import NamedTuple

from tally.ledger.errors import VerificationError
from tally.ledger.integrity.checkpoints import (
    MAX_TREE_SIZE,
    NoteSignature,
    parse_decimal,
    parse_signature_line,
    strict_b64decode,
)
from tally.ledger.integrity.merkle import HASH_SIZE

ADD_CHECKPOINT = "/add-checkpoint"
SIZE_CONTENT_TYPE = "text/x.tlog.size"
MAX_PROOF_LINES = 63
MAX_BODY = 1 << 16  # a checkpoint, 63 hashes and a few signatures fit many times over


class AddCheckpoint(NamedTuple):
    """A parsed add-checkpoint request: the old size, the proof hashes, the signed note."""

    old_size: int
    proof: list[bytes]
    note: str


def format_add_checkpoint(old_size: int, proof: Sequence[bytes], note: str) -> str:
    """The request body for `note`, with a consistency proof from `old_size`."""
    if not 0 <= old_size <= MAX_TREE_SIZE or len(proof) > MAX_PROOF_LINES:
        raise ValueError("the old size or the proof is out of the protocol's range")
    if any(len(h) != HASH_SIZE for h in proof):
        raise ValueError(f"proof hashes are {HASH_SIZE} bytes")
    lines = [f"old {old_size}", *(base64.b64encode(h).decode("ascii") for h in proof)]
    return "".join(f"{line}\n" for line in lines) + "\n" + note


def parse_add_checkpoint(body: str) -> AddCheckpoint:
    """Parse a request body; VerificationError (a 400 for the witness) if it is malformed.

    The checkpoint itself is not parsed here: its origin decides between 404 and 403.
    """
    head, blank, note = body.partition("\n\n")
    if not blank:
        raise VerificationError("the request has no empty line before the checkpoint.")
    lines = head.split("\n")
    keyword, space, size_text = lines[0].partition(" ")
    old_size = parse_decimal(size_text, MAX_TREE_SIZE) if space else None
    if keyword != "old" or old_size is None:
        raise VerificationError("the request does not start with 'old <decimal size>'.")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise VerificationError(f"the request has more than {MAX_PROOF_LINES} proof lines.")
    proof = []
    for number, line in enumerate(lines[1:], start=1):
        value = strict_b64decode(line)
        if value is None or len(value) != HASH_SIZE:
            raise VerificationError(f"proof line {number} is not the base64 of a 32-byte hash.")
        proof.append(value)
    return AddCheckpoint(old_size, proof, note)


def format_size(size: int) -> str:
    """The body of a 409 answer."""
    return f"{size}\n"


def parse_size(body: str) -> int:
    """The witness's size from a 409 body; VerificationError if it is not one decimal line."""
    size = parse_decimal(body[:-1], MAX_TREE_SIZE) if body.endswith("\n") else None
    if size is None:
        raise VerificationError("the witness's 409 answer is not a decimal size line.")
    return size


def parse_cosignature_lines(body: str) -> list[tuple[str, NoteSignature]]:
    """(line with its newline, parsed signature) of each line of a 200 answer."""
    if not body or not body.endswith("\n") or len(body) > MAX_BODY:
        raise VerificationError("the witness's answer is not signature lines.")
    return [(line + "\n", parse_signature_line(line, n))
            for n, line in enumerate(body[:-1].split("\n"), start=1)]
