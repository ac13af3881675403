"""Merkle code against a naive RFC 9162 oracle, and forged proofs against the verifiers.

Invariant 8 of the design: every inclusion proof verifies at every tree size,
every consistency proof verifies for every m <= n, and any altered proof fails.
A verifier that accepts a forged proof is the worst bug this project can have,
so each kind of alteration has its own property.
"""

from __future__ import annotations

import hashlib

import pytest
from budgets import examples
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tally.ledger.errors import VerificationError
from tally.ledger.integrity import merkle

# --- The oracle: RFC 9162 section 2.1.1 - 2.1.4, transcribed over lists of leaf bytes. ---


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: list[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return _sha256(b"")
    if n == 1:
        return _sha256(b"\x00" + d[0])
    k = _k(n)
    return _sha256(b"\x01" + mth(d[0:k]) + mth(d[k:n]))


def path(m: int, d: list[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*path(m, d[0:k]), mth(d[k:n])]
    return [*path(m - k, d[k:n]), mth(d[0:k])]


def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = _k(n)
    if m <= k:
        return [*subproof(m, d[0:k], b), mth(d[k:n])]
    return [*subproof(m - k, d[k:n], False), mth(d[0:k])]


def proof(m: int, d: list[bytes]) -> list[bytes]:
    return subproof(m, d, True)


# --- One shared log: every smaller tree size is a prefix of it. ---

STORE_SIZE = 3000
LEAVES = [f"event {i}".encode() for i in range(STORE_SIZE)]
HASHES = [_sha256(b"\x00" + leaf) for leaf in LEAVES]
STORE = merkle.MemoryNodes(HASHES)
EVERY = 300  # sizes at which every index / every old size is checked
PREFIX_ROOTS = [mth(LEAVES[:n]) for n in range(EVERY + 1)]


def root_at(size: int) -> bytes:
    return merkle.root(size, STORE.get)


def flip(value: bytes, bit: int) -> bytes:
    raw = bytearray(value)
    raw[bit // 8] ^= 1 << (bit % 8)
    return bytes(raw)


sizes = st.integers(min_value=1, max_value=STORE_SIZE)
bits = st.integers(min_value=0, max_value=255)
hashes = st.binary(min_size=32, max_size=32)


def test_small_trees_match_the_oracle_exhaustively() -> None:
    for n in range(0, 40):
        fresh = merkle.MemoryNodes(HASHES[:n])
        assert merkle.root(n, fresh.get) == mth(LEAVES[:n]) == root_at(n)
        for m in range(n):
            assert merkle.inclusion_path(m, n, fresh.get) == path(m, LEAVES[:n])
        for m in range(1, n + 1):
            assert merkle.consistency_path(m, n, fresh.get) == proof(m, LEAVES[:n])


@settings(deadline=None)
@given(n=st.integers(min_value=0, max_value=STORE_SIZE))
def test_root_matches_the_oracle(n: int) -> None:
    fresh = merkle.MemoryNodes(HASHES[:n])
    expected = mth(LEAVES[:n])
    assert merkle.root(n, fresh.get) == expected
    assert root_at(n) == expected  # an earlier size, read from a larger store


@settings(deadline=None)
@given(data=st.data(), n=sizes)
def test_inclusion_path_matches_the_oracle(data: st.DataObject, n: int) -> None:
    m = data.draw(st.integers(min_value=0, max_value=n - 1))
    assert merkle.inclusion_path(m, n, STORE.get) == path(m, LEAVES[:n])


@settings(deadline=None)
@given(data=st.data(), n=sizes)
def test_consistency_path_matches_the_oracle(data: st.DataObject, n: int) -> None:
    m = data.draw(st.integers(min_value=1, max_value=n))
    assert merkle.consistency_path(m, n, STORE.get) == proof(m, LEAVES[:n])


@settings(deadline=None)
@given(n=st.integers(min_value=0, max_value=EVERY))
def test_frontier_root_is_mth_at_every_size(n: int) -> None:
    frontier = merkle.Frontier()
    assert frontier.root() == PREFIX_ROOTS[0]
    for i in range(n):
        frontier.append(HASHES[i])
        assert frontier.size == i + 1
        assert frontier.root() == PREFIX_ROOTS[i + 1]


@settings(deadline=None)
@given(n=st.integers(min_value=1, max_value=EVERY))
def test_every_inclusion_proof_verifies(n: int) -> None:
    for m in range(n):
        audit = merkle.inclusion_path(m, n, STORE.get)
        merkle.verify_inclusion(HASHES[m], m, n, audit, PREFIX_ROOTS[n])


@settings(deadline=None)
@given(n=st.integers(min_value=1, max_value=EVERY))
def test_every_consistency_proof_verifies(n: int) -> None:
    for m in range(1, n + 1):
        audit = merkle.consistency_path(m, n, STORE.get)
        merkle.verify_consistency(m, n, PREFIX_ROOTS[m], PREFIX_ROOTS[n], audit)


# --- Forged inclusion proofs. ---


@st.composite
def inclusion_cases(draw: st.DrawFn) -> tuple[int, int, list[bytes]]:
    n = draw(sizes)
    index = draw(st.integers(min_value=0, max_value=n - 1))
    return n, index, merkle.inclusion_path(index, n, STORE.get)


def refuse_inclusion(leaf: bytes, index: int, n: int, audit: list[bytes], root: bytes) -> None:
    with pytest.raises(VerificationError):
        merkle.verify_inclusion(leaf, index, n, audit, root)


@given(case=inclusion_cases(), data=st.data())
def test_inclusion_with_a_flipped_path_bit_is_refused(
    case: tuple[int, int, list[bytes]], data: st.DataObject
) -> None:
    n, index, audit = case
    assume(audit)
    i = data.draw(st.integers(min_value=0, max_value=len(audit) - 1))
    audit[i] = flip(audit[i], data.draw(bits))
    refuse_inclusion(HASHES[index], index, n, audit, root_at(n))


@given(case=inclusion_cases(), bit=bits)
def test_inclusion_with_a_flipped_leaf_bit_is_refused(
    case: tuple[int, int, list[bytes]], bit: int
) -> None:
    n, index, audit = case
    refuse_inclusion(flip(HASHES[index], bit), index, n, audit, root_at(n))


@given(case=inclusion_cases(), bit=bits)
def test_inclusion_with_a_flipped_root_bit_is_refused(
    case: tuple[int, int, list[bytes]], bit: int
) -> None:
    n, index, audit = case
    refuse_inclusion(HASHES[index], index, n, audit, flip(root_at(n), bit))


@given(case=inclusion_cases(), data=st.data())
def test_inclusion_at_another_index_is_refused(
    case: tuple[int, int, list[bytes]], data: st.DataObject
) -> None:
    n, index, audit = case
    other = data.draw(
        st.one_of(
            st.sampled_from([index - 1, index + 1, index ^ 1, n, -1]),
            st.integers(min_value=-(2**64), max_value=2**64),
        ).filter(lambda i: i != index)
    )
    refuse_inclusion(HASHES[index], other, n, audit, root_at(n))


@given(case=inclusion_cases(), data=st.data())
def test_inclusion_in_another_tree_size_is_refused(
    case: tuple[int, int, list[bytes]], data: st.DataObject
) -> None:
    n, index, audit = case
    other = data.draw(
        st.one_of(
            st.sampled_from([n - 1, n + 1]), st.integers(min_value=0, max_value=STORE_SIZE)
        ).filter(lambda s: s != n and 0 <= s <= STORE_SIZE)
    )
    # The root a signed checkpoint would bind to that size (RFC 9162 roots do not
    # encode their size; see test_merkle.py for why the pair must be signed).
    refuse_inclusion(HASHES[index], index, other, audit, root_at(other))
    # Sizes no tree could have are refused too.
    refuse_inclusion(HASHES[index], index, -other - 1, audit, root_at(n))


@given(case=inclusion_cases(), data=st.data())
def test_inclusion_with_a_truncated_path_is_refused(
    case: tuple[int, int, list[bytes]], data: st.DataObject
) -> None:
    n, index, audit = case
    assume(audit)
    start = data.draw(st.integers(min_value=0, max_value=len(audit) - 1))
    stop = data.draw(st.integers(min_value=start + 1, max_value=len(audit)))
    del audit[start:stop]
    refuse_inclusion(HASHES[index], index, n, audit, root_at(n))


@given(case=inclusion_cases(), data=st.data())
def test_inclusion_with_an_extended_path_is_refused(
    case: tuple[int, int, list[bytes]], data: st.DataObject
) -> None:
    n, index, audit = case
    extra = data.draw(st.lists(st.one_of(hashes, st.sampled_from(HASHES)), min_size=1, max_size=3))
    at = data.draw(st.integers(min_value=0, max_value=len(audit)))
    audit[at:at] = extra
    refuse_inclusion(HASHES[index], index, n, audit, root_at(n))


@given(case=inclusion_cases(), data=st.data())
def test_inclusion_with_swapped_path_hashes_is_refused(
    case: tuple[int, int, list[bytes]], data: st.DataObject
) -> None:
    n, index, audit = case
    assume(len(audit) >= 2)
    i = data.draw(st.integers(min_value=0, max_value=len(audit) - 2))
    j = data.draw(st.integers(min_value=i + 1, max_value=len(audit) - 1))
    audit[i], audit[j] = audit[j], audit[i]
    refuse_inclusion(HASHES[index], index, n, audit, root_at(n))


# --- Forged consistency proofs. ---


@st.composite
def consistency_cases(draw: st.DrawFn) -> tuple[int, int, list[bytes]]:
    n = draw(sizes)
    m = draw(st.integers(min_value=1, max_value=n))
    return m, n, merkle.consistency_path(m, n, STORE.get)


def refuse_consistency(m: int, n: int, old: bytes, new: bytes, audit: list[bytes]) -> None:
    with pytest.raises(VerificationError):
        merkle.verify_consistency(m, n, old, new, audit)


@given(case=consistency_cases(), data=st.data())
def test_consistency_with_a_flipped_path_bit_is_refused(
    case: tuple[int, int, list[bytes]], data: st.DataObject
) -> None:
    m, n, audit = case
    assume(audit)
    i = data.draw(st.integers(min_value=0, max_value=len(audit) - 1))
    audit[i] = flip(audit[i], data.draw(bits))
    refuse_consistency(m, n, root_at(m), root_at(n), audit)


@given(case=consistency_cases(), bit=bits)
def test_consistency_with_a_flipped_root_bit_is_refused(
    case: tuple[int, int, list[bytes]], bit: int
) -> None:
    m, n, audit = case
    refuse_consistency(m, n, flip(root_at(m), bit), root_at(n), audit)
    refuse_consistency(m, n, root_at(m), flip(root_at(n), bit), audit)


@given(case=consistency_cases(), data=st.data())
def test_consistency_between_other_sizes_is_refused(
    case: tuple[int, int, list[bytes]], data: st.DataObject
) -> None:
    m, n, audit = case
    any_size = st.integers(min_value=0, max_value=STORE_SIZE)
    old = data.draw(
        st.one_of(st.sampled_from([m - 1, m + 1, 0]), any_size).filter(lambda s: s != m)
    )
    new = data.draw(st.one_of(st.sampled_from([n - 1, n + 1]), any_size).filter(lambda s: s != n))
    # Each with the honest root of the size it claims, as a signed checkpoint would give.
    if old <= STORE_SIZE:
        refuse_consistency(old, n, root_at(old), root_at(n), audit)
    if new <= STORE_SIZE:
        refuse_consistency(m, new, root_at(m), root_at(new), audit)


@given(case=consistency_cases(), data=st.data())
def test_consistency_with_a_truncated_path_is_refused(
    case: tuple[int, int, list[bytes]], data: st.DataObject
) -> None:
    m, n, audit = case
    assume(audit)
    start = data.draw(st.integers(min_value=0, max_value=len(audit) - 1))
    stop = data.draw(st.integers(min_value=start + 1, max_value=len(audit)))
    del audit[start:stop]
    refuse_consistency(m, n, root_at(m), root_at(n), audit)


@given(case=consistency_cases(), data=st.data())
def test_consistency_with_an_extended_path_is_refused(
    case: tuple[int, int, list[bytes]], data: st.DataObject
) -> None:
    m, n, audit = case
    extra = data.draw(st.lists(st.one_of(hashes, st.sampled_from(HASHES)), min_size=1, max_size=3))
    at = data.draw(st.integers(min_value=0, max_value=len(audit)))
    audit[at:at] = extra
    refuse_consistency(m, n, root_at(m), root_at(n), audit)


@given(case=consistency_cases(), data=st.data())
def test_consistency_with_swapped_path_hashes_is_refused(
    case: tuple[int, int, list[bytes]], data: st.DataObject
) -> None:
    m, n, audit = case
    assume(len(audit) >= 2)
    i = data.draw(st.integers(min_value=0, max_value=len(audit) - 2))
    j = data.draw(st.integers(min_value=i + 1, max_value=len(audit) - 1))
    audit[i], audit[j] = audit[j], audit[i]
    refuse_consistency(m, n, root_at(m), root_at(n), audit)


@settings(max_examples=examples(200))
@given(before=st.integers(0, 300), count=st.integers(0, 300))
def test_a_batch_stores_the_nodes_its_leaves_would_one_by_one(before: int, count: int) -> None:
    """`batch_nodes` (level by level, one pass) = `new_nodes` for each leaf in turn."""
    leaves = [merkle.leaf_hash(b"%d" % i) for i in range(before + count)]
    one_by_one = merkle.MemoryNodes(leaves[:before])
    expected = set()
    for i, leaf in enumerate(leaves[before:], start=before):
        expected.update(merkle.new_nodes(i, leaf, one_by_one.get))
        one_by_one.append(leaf)
    stored = merkle.MemoryNodes(leaves[:before])
    rows = merkle.batch_nodes(before, leaves[before:], stored.get)
    assert len(rows) == len(expected) and set(rows) == expected
