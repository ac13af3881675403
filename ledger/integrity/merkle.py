"""The RFC 9162 (section 2.1) Merkle tree that makes the ledger tamper-evident.

Everything here works on *leaf hashes* (``leaf_hash(leaf bytes)``); anything
that is not 32 bytes is refused, so raw leaf bytes cannot be passed by mistake.

Persisted layout: node ``(level, index)`` is the hash of the *complete* aligned
subtree over leaves ``[index * 2**level, (index + 1) * 2**level)``; level 0 holds
the leaf hashes. A node never changes once it exists, so a store only inserts
(about two rows per leaf), and the root and proofs of *any* earlier tree size
come from O(log^2 n) stored nodes, never from a scan of the leaves.

The verifiers transcribe RFC 9162 sections 2.1.3.2 and 2.1.4.2 and raise
``VerificationError`` on any failure; they never return False, so a forgotten
``if`` cannot turn a failed check into a pass.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence

from tally.ledger.errors import VerificationError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

GetNode = Callable[[int, int], bytes]


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data): the 0x00 prefix keeps leaves and nodes in separate domains."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than n (n > 1): where RFC 9162 splits D[n]."""
    return 1 << ((n - 1).bit_length() - 1)


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ValueError(f"{what} must be a {HASH_SIZE}-byte hash, not {len(value)} bytes")


def new_nodes(index: int, leaf: bytes, get_node: GetNode) -> list[tuple[int, int, bytes]]:
    """The (level, index, hash) rows to store when leaf hash `leaf` is appended at `index`.

    The leaf itself, plus every complete subtree it closes: while the new node is a
    right child, it and its stored left sibling form the parent.
    """
    if index < 0:
        raise ValueError(f"leaf index must be >= 0, not {index}")
    _check_hash(leaf, "a leaf hash")
    rows = [(0, index, leaf)]
    level, position, current = 0, index, leaf
    while position & 1:
        current = node_hash(get_node(level, position - 1), current)
        level, position = level + 1, position >> 1
        rows.append((level, position, current))
    return rows


def batch_nodes(start: int, leaves: Sequence[bytes], get_node: GetNode
                ) -> list[tuple[int, int, bytes]]:
    """The rows `new_nodes` gives for these leaf hashes appended at `start`, `start + 1`,
    ... in turn, computed a level at a time: each level's new nodes pair up into the
    next, and only a level's stored left neighbour (the subtree just before the batch)
    is read."""
    if start < 0:
        raise ValueError(f"leaf index must be >= 0, not {start}")
    for leaf in leaves:
        _check_hash(leaf, "a leaf hash")
    rows = [(0, start + i, leaf) for i, leaf in enumerate(leaves)]
    level, first, current = 0, start, list(leaves)
    while len(current) > 1 or (current and first & 1):
        if first & 1:  # the level's first new node is a right child: its sibling is stored
            current.insert(0, get_node(level, first - 1))
            first -= 1
        current = [node_hash(current[i], current[i + 1]) for i in range(0, len(current) - 1, 2)]
        level, first = level + 1, first >> 1
        rows.extend((level, first + i, node) for i, node in enumerate(current))
    return rows


def _subtree(start: int, end: int, get_node: GetNode) -> bytes:
    """MTH(D[start:end]) from stored nodes, for the ranges RFC 9162's recursion visits.

    Those ranges start on a multiple of a power of two at least as large as their
    biggest complete part, so the binary decomposition of end - start, largest
    part first, is a run of aligned complete subtrees; folding them from the
    right reproduces the RFC's split at the largest power of two.
    """
    parts: list[bytes] = []
    position, remaining = start, end - start
    for level in range(remaining.bit_length() - 1, -1, -1):
        if remaining >> level & 1:
            parts.append(get_node(level, position >> level))
            position += 1 << level
    result = parts.pop()
    while parts:
        result = node_hash(parts.pop(), result)
    return result


def root(size: int, get_node: GetNode) -> bytes:
    """MTH of the first `size` leaves (EMPTY_ROOT for size 0)."""
    if size < 0:
        raise ValueError(f"tree size must be >= 0, not {size}")
    return EMPTY_ROOT if size == 0 else _subtree(0, size, get_node)


def inclusion_path(index: int, size: int, get_node: GetNode) -> list[bytes]:
    """RFC 9162 PATH(index, D[size]): siblings from the leaf's sibling up to the root's child."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    siblings: list[bytes] = []
    start, end = 0, size
    # Walk down from the root; PATH appends each sibling after the deeper part,
    # so the list is collected top-down and reversed at the end.
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            siblings.append(_subtree(start + k, end, get_node))
            end = start + k
        else:
            siblings.append(_subtree(start, start + k, get_node))
            start += k
    siblings.reverse()
    return siblings


def consistency_path(old_size: int, new_size: int, get_node: GetNode) -> list[bytes]:
    """RFC 9162 PROOF(old_size, D[new_size]) = SUBPROOF(old_size, D[new_size], true).

    A proof from the empty tree is not defined by the RFC, so old_size must be >= 1;
    equal sizes give the empty proof.
    """
    if not 1 <= old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to size {new_size}")
    hashes: list[bytes] = []
    start, end, whole_old_tree = 0, new_size, True
    while True:
        n, m = end - start, old_size - start
        if m == n:
            # SUBPROOF(m, D[m], b): nothing when the verifier already has this root.
            if not whole_old_tree:
                hashes.append(_subtree(start, end, get_node))
            break
        k = _split(n)
        if m <= k:
            hashes.append(_subtree(start + k, end, get_node))
            end = start + k
        else:
            hashes.append(_subtree(start, start + k, get_node))
            start, whole_old_tree = start + k, False
    hashes.reverse()
    return hashes


def _check_proof_hashes(path: Sequence[bytes], what: str) -> None:
    for number, value in enumerate(path, start=1):
        if len(value) != HASH_SIZE:
            raise VerificationError(
                f"hash {number} of the {what} is {len(value)} bytes, not {HASH_SIZE}."
            )


def _inclusion_shape(index: int, size: int) -> tuple[int, int]:
    """(inner, border): path hashes below where index and size - 1 diverge, and above it."""
    inner = (index ^ (size - 1)).bit_length()
    return inner, bin(index >> inner).count("1")


def verify_inclusion(
    leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes
) -> None:
    """RFC 9162 section 2.1.3.2: that leaf hash `leaf` is at `index` in the tree (`size`, `root`).

    The root does not encode the size: the same path can verify for another size
    whose tree has the same shape along it. Bind size and root together with a
    signed checkpoint before trusting either.
    """
    if len(leaf) != HASH_SIZE or len(root) != HASH_SIZE:
        raise VerificationError(f"the leaf hash and the root must be {HASH_SIZE}-byte hashes.")
    _check_proof_hashes(path, "inclusion proof")
    if size < 1 or not 0 <= index < size:
        raise VerificationError(f"leaf index {index} is not in a tree of size {size}.")
    inner, border = _inclusion_shape(index, size)
    if len(path) != inner + border:
        where = f"index {index} in a tree of size {size}"
        raise VerificationError(
            f"the inclusion proof has {len(path)} hashes; {where} needs {inner + border}."
        )
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise VerificationError("the inclusion proof is longer than the tree is deep.")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise VerificationError("the inclusion proof is shorter than the tree is deep.")
    if not hmac.compare_digest(r, root):
        raise VerificationError(f"the inclusion proof for index {index} does not reach the root.")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, path: Sequence[bytes]
) -> None:
    """RFC 9162 section 2.1.4.2: that the tree of `new_size` extends the tree of `old_size`.

    Equal sizes need an empty proof and equal roots. A proof from size 0 is not
    defined by the RFC and is refused. As with inclusion, the roots must be bound
    to their sizes by signed checkpoints.
    """
    if len(old_root) != HASH_SIZE or len(new_root) != HASH_SIZE:
        raise VerificationError(f"both roots must be {HASH_SIZE}-byte hashes.")
    _check_proof_hashes(path, "consistency proof")
    if old_size < 1:
        raise VerificationError("a consistency proof from the empty tree is not defined.")
    if old_size > new_size:
        raise VerificationError(
            f"the old tree size {old_size} is larger than the new tree size {new_size}."
        )
    if old_size == new_size:
        if path:
            raise VerificationError(
                "a consistency proof between two trees of the same size must be empty."
            )
        if not hmac.compare_digest(old_root, new_root):
            raise VerificationError(f"two different roots for the same tree size {old_size}.")
        return
    inner, border = _inclusion_shape(old_size - 1, new_size)
    shift = (old_size & -old_size).bit_length() - 1
    seeded = old_size == 1 << shift  # a power of two: old_root is the proof's first node
    expected = inner - shift + border + (0 if seeded else 1)
    if len(path) != expected:
        span = f"from size {old_size} to size {new_size}"
        raise VerificationError(
            f"the consistency proof has {len(path)} hashes; {span} it needs {expected}."
        )
    # Step 1-2: an empty path fails; a power-of-two old size starts from old_root.
    if not path:
        raise VerificationError("the consistency proof is empty.")
    proof = [old_root, *path] if seeded else list(path)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            raise VerificationError("the consistency proof is longer than the tree is deep.")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise VerificationError("the consistency proof is shorter than the tree is deep.")
    if not hmac.compare_digest(fr, old_root):
        raise VerificationError(f"the consistency proof does not reach the old root ({old_size}).")
    if not hmac.compare_digest(sr, new_root):
        raise VerificationError(f"the consistency proof does not reach the new root ({new_size}).")


class Frontier:
    """A streaming compact range: the roots of the complete subtrees covering [0, size).

    O(log n) memory, so a verifier can recompute the root over millions of events
    in one pass without storing them.
    """

    def __init__(self) -> None:
        # One hash per set bit of size, largest (leftmost) subtree first.
        self._stack: list[bytes] = []
        self._size = 0

    @classmethod
    def of(cls, size: int, get_node: GetNode) -> Frontier:
        """The frontier of a stored tree of `size` leaves: its complete subtrees' roots."""
        frontier = cls()
        start = 0
        for level in range(size.bit_length() - 1, -1, -1):
            if size >> level & 1:
                frontier._stack.append(get_node(level, start >> level))
                start += 1 << level
        frontier._size = size
        return frontier

    @property
    def size(self) -> int:
        return self._size

    def append(self, leaf: bytes) -> None:
        """Append one leaf hash; merge equal-sized subtrees as binary addition carries."""
        _check_hash(leaf, "a leaf hash")
        current, carry = leaf, self._size
        while carry & 1:
            current = node_hash(self._stack.pop(), current)
            carry >>= 1
        self._stack.append(current)
        self._size += 1

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        result = self._stack[-1]
        for left in reversed(self._stack[:-1]):
            result = node_hash(left, result)
        return result


class MemoryNodes:
    """A dict-backed node store in the persisted layout, for tests and small callers."""

    def __init__(self, leaves: Sequence[bytes] = ()) -> None:
        self._nodes: dict[tuple[int, int], bytes] = {}
        self._size = 0
        for leaf in leaves:
            self.append(leaf)

    @property
    def size(self) -> int:
        return self._size

    def append(self, leaf: bytes) -> None:
        """Append one leaf hash and store the rows `new_nodes` returns."""
        for level, index, value in new_nodes(self._size, leaf, self.get):
            self._nodes[(level, index)] = value
        self._size += 1

    def get(self, level: int, index: int) -> bytes:
        try:
            return self._nodes[(level, index)]
        except KeyError:
            raise KeyError(f"no stored node at level {level}, index {index}") from None
