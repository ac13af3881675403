"""ledger.tiles: the C2SP tlog-tiles paths and bundles, against the spec's own examples."""

from __future__ import annotations

import pytest

from tally.ledger.errors import VerificationError
from tally.ledger.integrity import merkle, tiles


def test_index_paths_follow_the_spec_example() -> None:
    assert tiles.tile_path(0, 1234067) == "tile/0/x001/x234/067"
    assert tiles.tile_path(1, 5) == "tile/1/005"
    assert tiles.tile_path(2, 1000, 17) == "tile/2/x001/000.p/17"
    assert tiles.entries_path(0, 1) == "tile/entries/000.p/1"
    assert tiles.entries_path(999) == "tile/entries/999"
    for bad in ((0, -1, 256), (64, 0, 256), (0, 0, 0), (0, 0, 257)):
        with pytest.raises(ValueError):
            tiles.tile_path(*bad)


def test_a_tree_of_70000_is_the_tiles_the_spec_lists() -> None:
    found = list(tiles.tiles_for(70000))
    assert sum(1 for t in found if t.level == 0 and t.width == 256) == 273
    assert [t for t in found if t.width < 256] == [
        tiles.Tile(0, 273, 112), tiles.Tile(1, 1, 17), tiles.Tile(2, 0, 1)]
    assert [t for t in found if t.level == 1 and t.width == 256] == [tiles.Tile(1, 0, 256)]
    assert list(tiles.tiles_for(256)) == [tiles.Tile(0, 0, 256), tiles.Tile(1, 0, 1)]
    assert list(tiles.tiles_for(0)) == []


def test_new_tiles_are_the_completed_and_the_partial_ones() -> None:
    assert list(tiles.new_tiles(300, 600)) == [
        tiles.Tile(0, 1, 256), tiles.Tile(0, 2, 88), tiles.Tile(1, 0, 2)]
    assert list(tiles.new_tiles(512, 512)) == [tiles.Tile(1, 0, 2)]


def test_bundles_round_trip_and_a_cut_entry_is_refused() -> None:
    entries = [b"", b"a", b"x" * 300]
    data = tiles.bundle(entries)
    assert data[:2] == b"\x00\x00" and data[2:5] == b"\x00\x01a" and data[5:7] == b"\x01\x2c"
    assert list(tiles.iter_bundle(data)) == entries
    found = tiles.iter_bundle(data[:-1])
    assert next(found) == b"" and next(found) == b"a"
    with pytest.raises(VerificationError, match="runs past"):
        next(found)
    with pytest.raises(ValueError):
        tiles.bundle([b"x" * 65536])


def test_tile_nodes_refuse_a_tile_of_the_wrong_width() -> None:
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(5)]
    nodes = tiles.TileNodes(5, lambda tile: b"".join(leaves[:4]))
    with pytest.raises(VerificationError, match="is 128 bytes, not 160"):
        nodes.get(0, 0)
