"""Tiles against the RFC 9162 tree: for random sizes, every tile holds what the spec defines
(level 0: the leaf hashes; level L: the roots of the full tiles below), and the roots and
proofs `merkle` builds from tiles alone are the tree's and verify."""

from __future__ import annotations

import hashlib
from functools import cache

from hypothesis import given
from hypothesis import strategies as st

from tally.ledger.integrity import merkle, tiles

MAX = 70_000  # enough for three tile levels


@cache
def store() -> tuple[list[bytes], merkle.MemoryNodes]:
    leaves = [merkle.leaf_hash(hashlib.sha256(i.to_bytes(4, "big")).digest()) for i in range(MAX)]
    return leaves, merkle.MemoryNodes(leaves)


sizes = st.one_of(st.integers(1, 600), st.integers(1, MAX),
                  st.sampled_from([255, 256, 257, 65535, 65536, 65537]))


def published(size: int) -> dict[str, bytes]:
    _, nodes = store()
    return {t.path: tiles.tile_bytes(t, nodes.get) for t in tiles.tiles_for(size)}


@given(sizes)
def test_tiles_hold_what_the_spec_defines(size: int) -> None:
    leaves, _ = store()
    files = published(size)
    level0 = b"".join(files[t.path] for t in tiles.tiles_at(size, 0))
    assert level0 == b"".join(leaves[:size])
    level = 1
    while size >> (8 * level):
        below = b"".join(files[t.path] for t in tiles.tiles_at(size, level - 1)
                         if t.width == tiles.WIDTH)
        hashes = [below[i : i + 32] for i in range(0, len(below), 32)]
        expected = [tiles.subtree_root(hashes[i : i + 256]) for i in range(0, len(hashes), 256)]
        found = b"".join(files[t.path] for t in tiles.tiles_at(size, level))
        assert found == b"".join(expected)
        level += 1


@given(sizes, st.data())
def test_proofs_from_tiles_verify(size: int, data: st.DataObject) -> None:
    leaves, nodes = store()
    files = published(size)
    fetched: list[str] = []

    def fetch(tile: tiles.Tile) -> bytes:
        fetched.append(tile.path)
        return files[tile.path]

    from_tiles = tiles.TileNodes(size, fetch)
    root = merkle.root(size, nodes.get)
    assert merkle.root(size, from_tiles.get) == root
    index = data.draw(st.integers(0, size - 1))
    path = merkle.inclusion_path(index, size, from_tiles.get)
    assert path == merkle.inclusion_path(index, size, nodes.get)
    merkle.verify_inclusion(leaves[index], index, size, path, root)
    old = data.draw(st.integers(1, size))
    proof = merkle.consistency_path(old, size, from_tiles.get)
    merkle.verify_consistency(old, size, merkle.root(old, nodes.get), root, proof)
    assert len(fetched) == len(set(fetched))  # each tile fetched once
