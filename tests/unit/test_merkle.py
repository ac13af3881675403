"""integrity.merkle: published RFC 6962/9162 vectors, the persisted node layout, and edge cases."""

from __future__ import annotations

import hashlib

import pytest

from tally.ledger.errors import VerificationError
from tally.ledger.integrity import merkle

# The Certificate Transparency reference vectors (RFC 6962 test data, as published
# with Google's certificate-transparency and transparency-dev/merkle code).
CT_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = [
    bytes.fromhex(h)
    for h in (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]
CT_INCLUSION = {
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}
CT_CONSISTENCY = {
    (2, 8): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 5): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}


@pytest.fixture
def ct_store() -> merkle.MemoryNodes:
    return merkle.MemoryNodes([merkle.leaf_hash(leaf) for leaf in CT_LEAVES])


def test_hash_primitives_follow_rfc_9162() -> None:
    assert merkle.EMPTY_ROOT == hashlib.sha256(b"").digest() == CT_ROOTS[0]
    assert merkle.leaf_hash(b"") == CT_ROOTS[1]
    assert merkle.leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    left, right = b"L" * 32, b"R" * 32
    assert merkle.node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    assert merkle.node_hash(left, right) != merkle.node_hash(right, left)


def test_roots_match_the_published_vectors(ct_store: merkle.MemoryNodes) -> None:
    frontier = merkle.Frontier()
    assert frontier.root() == CT_ROOTS[0]
    for size in range(len(CT_LEAVES) + 1):
        assert merkle.root(size, ct_store.get) == CT_ROOTS[size]
        if size:
            frontier.append(merkle.leaf_hash(CT_LEAVES[size - 1]))
            assert frontier.root() == CT_ROOTS[size]


@pytest.mark.parametrize(("index", "size"), sorted(CT_INCLUSION))
def test_inclusion_paths_match_the_published_vectors(
    ct_store: merkle.MemoryNodes, index: int, size: int
) -> None:
    expected = [bytes.fromhex(h) for h in CT_INCLUSION[(index, size)]]
    assert merkle.inclusion_path(index, size, ct_store.get) == expected
    leaf = merkle.leaf_hash(CT_LEAVES[index])
    merkle.verify_inclusion(leaf, index, size, expected, CT_ROOTS[size])


@pytest.mark.parametrize(("old", "new"), sorted(CT_CONSISTENCY))
def test_consistency_paths_match_the_published_vectors(
    ct_store: merkle.MemoryNodes, old: int, new: int
) -> None:
    expected = [bytes.fromhex(h) for h in CT_CONSISTENCY[(old, new)]]
    assert merkle.consistency_path(old, new, ct_store.get) == expected
    merkle.verify_consistency(old, new, CT_ROOTS[old], CT_ROOTS[new], expected)


def test_new_nodes_store_the_leaf_and_every_subtree_it_completes() -> None:
    store = merkle.MemoryNodes()
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(8)]
    for leaf in leaves[:7]:
        store.append(leaf)
    rows = merkle.new_nodes(7, leaves[7], store.get)
    assert [(level, index) for level, index, _ in rows] == [(0, 7), (1, 3), (2, 1), (3, 0)]
    assert rows[0][2] == leaves[7]
    assert rows[-1][2] == merkle.node_hash(store.get(2, 0), rows[2][2])
    # An even index closes nothing: just the leaf.
    assert merkle.new_nodes(8, leaves[0], store.get) == [(0, 8, leaves[0])]


def test_new_nodes_write_under_two_rows_per_leaf() -> None:
    rows = 0
    store = merkle.MemoryNodes()
    for i in range(1000):
        rows += len(merkle.new_nodes(i, merkle.leaf_hash(b"%d" % i), store.get))
        store.append(merkle.leaf_hash(b"%d" % i))
    # 2n - popcount(n): every complete subtree inside [0, n) exactly once.
    assert rows == 2 * 1000 - bin(1000).count("1")


def test_nodes_are_complete_subtrees_over_their_leaves() -> None:
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(13)]
    store = merkle.MemoryNodes(leaves)
    assert store.size == 13
    assert store.get(0, 12) == leaves[12]
    assert store.get(2, 1) == merkle.root(4, merkle.MemoryNodes(leaves[4:8]).get)
    with pytest.raises(KeyError):
        store.get(2, 3)  # leaves 12..15 are not all there yet


class CountingNodes:
    """Answers any complete, in-range node with a fake hash and counts reads: no store needed."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.reads = 0

    def get(self, level: int, index: int) -> bytes:
        assert level >= 0 and index >= 0
        assert (index + 1) << level <= self.size, "read a subtree that is not complete"
        self.reads += 1
        return hashlib.sha256(b"%d/%d" % (level, index)).digest()


@pytest.mark.parametrize("size", [1, 2, 3, 1000, 2**20 + 12345, 10**12 + 7, 2**62 - 1])
def test_proofs_read_at_most_log_squared_nodes(size: int) -> None:
    bound = size.bit_length() ** 2 + 1
    nodes = CountingNodes(size)
    merkle.root(size, nodes.get)
    assert nodes.reads <= size.bit_length()
    for index in {0, size // 3, size - 1}:
        nodes.reads = 0
        assert len(merkle.inclusion_path(index, size, nodes.get)) <= size.bit_length()
        assert nodes.reads <= bound
    for old in {1, max(1, size // 2), size}:
        nodes.reads = 0
        merkle.consistency_path(old, size, nodes.get)
        assert nodes.reads <= bound


def test_generators_refuse_impossible_arguments(ct_store: merkle.MemoryNodes) -> None:
    with pytest.raises(ValueError):
        merkle.root(-1, ct_store.get)
    for index, size in [(8, 8), (-1, 8), (0, 0), (9, 8)]:
        with pytest.raises(ValueError):
            merkle.inclusion_path(index, size, ct_store.get)
    for old, new in [(0, 8), (5, 3), (-1, 2), (0, 0)]:
        with pytest.raises(ValueError):
            merkle.consistency_path(old, new, ct_store.get)
    assert merkle.consistency_path(8, 8, ct_store.get) == []
    with pytest.raises(ValueError):
        merkle.new_nodes(-1, CT_ROOTS[1], ct_store.get)
    with pytest.raises(ValueError):
        ct_store.append(b"raw leaf bytes, not a hash")
    with pytest.raises(ValueError):
        merkle.Frontier().append(b"short")


def test_inclusion_verifier_edge_cases(ct_store: merkle.MemoryNodes) -> None:
    path = merkle.inclusion_path(5, 8, ct_store.get)
    leaf, root = merkle.leaf_hash(CT_LEAVES[5]), CT_ROOTS[8]
    merkle.verify_inclusion(leaf, 5, 8, path, root)
    merkle.verify_inclusion(CT_ROOTS[1], 0, 1, [], CT_ROOTS[1])  # a one-leaf tree
    bad = [
        (leaf, 8, 8, path, root),  # index == size
        (leaf, 9, 8, path, root),
        (leaf, -1, 8, path, root),
        (leaf, 0, 0, [], merkle.EMPTY_ROOT),  # nothing is in the empty tree
        (leaf[:31], 5, 8, path, root),  # short hashes
        (leaf, 5, 8, path, root[:31]),
        (leaf, 5, 8, [path[0][:31], *path[1:]], root),
        (leaf, 5, 8, [*path, path[0]], root),
        (leaf, 5, 8, path[:-1], root),
        (leaf, 5, 8, [], root),
        (b"x" * 31, 0, 1, [], b"x" * 31),  # equal, but not hashes
    ]
    for args in bad:
        with pytest.raises(VerificationError):
            merkle.verify_inclusion(*args)


def test_consistency_verifier_edge_cases(ct_store: merkle.MemoryNodes) -> None:
    proof = merkle.consistency_path(6, 8, ct_store.get)
    r6, r8 = CT_ROOTS[6], CT_ROOTS[8]
    merkle.verify_consistency(6, 8, r6, r8, proof)
    merkle.verify_consistency(8, 8, r8, r8, [])  # same size: empty proof, same root
    bad = [
        (8, 8, r8, r6, []),  # same size, different roots
        (8, 8, r8, r8, [r8]),  # same size, a proof that should be empty
        (0, 8, merkle.EMPTY_ROOT, r8, []),  # from the empty tree: not defined, refused
        (0, 0, merkle.EMPTY_ROOT, merkle.EMPTY_ROOT, []),
        (8, 6, r8, r6, proof),  # shrinking
        (6, 8, r6, r8, []),  # RFC step 1: an empty proof fails
        (6, 8, r6[:31], r8, proof),
        (6, 8, r6, r8[:31], proof),
        (6, 8, r6, r8, [proof[0][:31], *proof[1:]]),
        (6, 8, r8, r6, proof),  # roots swapped
    ]
    for args in bad:
        with pytest.raises(VerificationError):
            merkle.verify_consistency(*args)


def test_verification_failures_are_sentences(ct_store: merkle.MemoryNodes) -> None:
    path = merkle.inclusion_path(5, 8, ct_store.get)
    with pytest.raises(VerificationError, match=r"index 5 does not reach the root"):
        merkle.verify_inclusion(CT_ROOTS[1], 5, 8, path, CT_ROOTS[8])
    with pytest.raises(VerificationError, match="needs 3"):
        merkle.verify_inclusion(CT_ROOTS[1], 5, 8, path[:2], CT_ROOTS[8])


def test_the_root_alone_does_not_bind_the_tree_size(ct_store: merkle.MemoryNodes) -> None:
    """RFC 9162 behaviour the callers must know: a root does not encode its size.

    PATH(0, D[3]) = [h1, h2] is computed exactly like a proof for index 0 in a tree
    of size 4 would be, so with the size-3 root it verifies "at size 4" too. Only a
    signed checkpoint ties a size to a root; ledger.integrity.proofs always checks the size
    against one (tests/unit/test_proofs.py refuses every changed tree_size).
    """
    path3 = merkle.inclusion_path(0, 3, ct_store.get)
    leaf0 = merkle.leaf_hash(CT_LEAVES[0])
    merkle.verify_inclusion(leaf0, 0, 4, path3, CT_ROOTS[3])
    with pytest.raises(VerificationError):  # with the real size-4 root it fails
        merkle.verify_inclusion(leaf0, 0, 4, path3, CT_ROOTS[4])


def test_each_inclusion_check_names_what_failed(ct_store: merkle.MemoryNodes) -> None:
    path = merkle.inclusion_path(5, 8, ct_store.get)
    leaf, root = merkle.leaf_hash(CT_LEAVES[5]), CT_ROOTS[8]
    cases = [
        ((leaf, 8, 8, path, root), "index 8 is not in a tree of size 8"),
        ((leaf, 5, 8, [path[0], path[1][:31], path[2]], root), "hash 2 of the inclusion proof"),
        ((leaf, 5, 8, path[:2], root), "has 2 hashes; index 5 in a tree of size 8 needs 3"),
        ((leaf[:31], 5, 8, path, root), "32-byte hashes"),
    ]
    for args, message in cases:
        with pytest.raises(VerificationError, match=message):
            merkle.verify_inclusion(*args)


def test_each_consistency_check_names_what_failed(ct_store: merkle.MemoryNodes) -> None:
    proof = merkle.consistency_path(6, 8, ct_store.get)
    r6, r8 = CT_ROOTS[6], CT_ROOTS[8]
    cases = [
        ((8, 6, r8, r6, proof), "larger than the new tree size"),
        ((6, 8, r6, r8, proof[:2]), "has 2 hashes; from size 6 to size 8 it needs 3"),
        ((6, 8, r6, r8, [proof[0], proof[1][:31], proof[2]]), "hash 2 of the consistency proof"),
        ((1, 1, b"x", b"x", []), "32-byte hashes"),  # equal, but not hashes
        ((6, 8, r6, CT_ROOTS[7], proof), "reach the new root"),
        ((6, 8, CT_ROOTS[5], r8, proof), "reach the old root"),
    ]
    for args, message in cases:
        with pytest.raises(VerificationError, match=message):
            merkle.verify_consistency(*args)
