"""The proof lines of a tlog-witness request are the RFC 9162 consistency proof, hash for
hash: what the log writes, the witness parses back and verifies; any other old size or
a dropped, added or altered line fails."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tally.ledger.errors import VerificationError
from tally.ledger.integrity import merkle
from tally.ledger.integrity.witness_protocol import format_add_checkpoint, parse_add_checkpoint

NOTE = "o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— o AAAAAAA=\n"


def _tree(n: int) -> merkle.MemoryNodes:
    return merkle.MemoryNodes([merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)])


@st.composite
def sizes(draw: st.DrawFn) -> tuple[int, int]:
    new = draw(st.integers(1, 300))
    return draw(st.integers(1, new)), new


@given(sizes())
def test_the_request_lines_carry_a_proof_that_verifies(pair: tuple[int, int]) -> None:
    old, new = pair
    nodes = _tree(new)
    path = merkle.consistency_path(old, new, nodes.get)
    request = parse_add_checkpoint(format_add_checkpoint(old, path, NOTE))
    assert request.proof == path and request.old_size == old
    merkle.verify_consistency(old, new, merkle.root(old, nodes.get), merkle.root(new, nodes.get),
                              request.proof)


@given(sizes(), st.data())
def test_altered_lines_fail(pair: tuple[int, int], data: st.DataObject) -> None:
    old, new = pair
    nodes = _tree(new)
    path = merkle.consistency_path(old, new, nodes.get)
    old_root, new_root = merkle.root(old, nodes.get), merkle.root(new, nodes.get)
    forgeries = [[*path, hashlib.sha256(b"x").digest()]]
    if path:
        i = data.draw(st.integers(0, len(path) - 1))
        flipped = bytearray(path[i])
        flipped[data.draw(st.integers(0, 31))] ^= 1
        forgeries += [[*path[:i], bytes(flipped), *path[i + 1:]], path[:i] + path[i + 1 :]]
    for forged in forgeries:
        request = parse_add_checkpoint(format_add_checkpoint(old, forged, NOTE))
        with pytest.raises(VerificationError):
            merkle.verify_consistency(old, new, old_root, new_root, request.proof)
