"""C2SP tlog-tiles (https://c2sp.org/tlog-tiles): the Merkle log as static files.

A tile at level L, index N holds up to 256 consecutive hashes of tree height 8L
(level 0: the leaf hashes); a full tile is 256 hashes (8,192 bytes), the
rightmost ones of a tree size are partial (`.p/<W>`). Entry bundles hold the
leaves themselves, each after its length as a big-endian uint16.

`TileNodes` answers `merkle.GetNode` from tiles, so the RFC 9162 proofs of
`ledger.integrity.merkle` are built from published files by the same code that builds
them from the database. Pure code: no database, no network (a fetch function is
passed in). No maintained Python library writes or reads this format; the Go
reference is golang.org/x/mod/sumdb/tlog.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

from tally.ledger.errors import VerificationError
from tally.ledger.integrity import merkle

HEIGHT = 8
WIDTH = 1 << HEIGHT  # hashes in a full tile
MAX_ENTRY = 0xFFFF  # the 2-byte length of a bundled entry


class Tile(NamedTuple):
    """One tile: `level` (0 for leaf hashes), `number` within it, `width` (1..256)."""

    level: int
    number: int
    width: int

    @property
    def path(self) -> str:
        return tile_path(self.level, self.number, self.width)

    @property
    def start(self) -> int:
        """Index of the tile's first hash at its height."""
        return self.number * WIDTH


def _index_path(index: int) -> str:
    """N as zero-padded 3-digit path elements, all but the last prefixed with "x"."""
    if index < 0:
        raise ValueError(f"a tile index must be >= 0, not {index}")
    groups = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        groups.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(groups))


def _suffix(width: int) -> str:
    if not 1 <= width <= WIDTH:
        raise ValueError(f"a tile is 1 to {WIDTH} hashes wide, not {width}")
    return "" if width == WIDTH else f".p/{width}"


def tile_path(level: int, index: int, width: int = WIDTH) -> str:
    """`tile/<L>/<N>[.p/<W>]`."""
    if not 0 <= level <= 63:
        raise ValueError(f"a tile level is 0 to 63, not {level}")
    return f"tile/{level}/{_index_path(index)}{_suffix(width)}"


def entries_path(index: int, width: int = WIDTH) -> str:
    """`tile/entries/<N>[.p/<W>]`: the bundle of the leaves under level-0 tile N."""
    return f"tile/entries/{_index_path(index)}{_suffix(width)}"


def disclosures_path(index: int) -> str:
    """`disclosures/<N>`: the format v2 disclosures of the claims under level-0 tile N
    (Tally's own file beside the tiles, not part of tlog-tiles: it changes when an order
    takes a disclosure down, where tiles never change)."""
    return f"disclosures/{_index_path(index)}"


def tiles_at(size: int, level: int) -> Iterator[Tile]:
    """The tiles of one level for a tree of `size` leaves: full ones, then the partial one."""
    count = size >> (HEIGHT * level)  # hashes at this level's height
    for index in range(count // WIDTH):
        yield Tile(level, index, WIDTH)
    if count % WIDTH:
        yield Tile(level, count // WIDTH, count % WIDTH)


def tiles_for(size: int) -> Iterator[Tile]:
    """Every tile a tree of `size` leaves is served as, level by level."""
    level = 0
    while size >> (HEIGHT * level):
        yield from tiles_at(size, level)
        level += 1


def new_tiles(old_size: int, new_size: int) -> Iterator[Tile]:
    """The tiles of `new_size` that a site holding the tiles of `old_size` lacks: the
    partial ones of `new_size` and the full ones completed since (partials of `old_size`
    stay, as the spec asks for every size a checkpoint was made for)."""
    for tile in tiles_for(new_size):
        if tile.width < WIDTH or (tile.number + 1) * WIDTH > old_size >> (HEIGHT * tile.level):
            yield tile


def tile_bytes(tile: Tile, get_node: merkle.GetNode) -> bytes:
    """The tile's hashes, read from a store of complete subtrees (`merkle` layout)."""
    height = HEIGHT * tile.level
    return b"".join(get_node(height, tile.start + i) for i in range(tile.width))


def tile_hashes(data: bytes, tile: Tile) -> list[bytes]:
    """The hashes of a fetched tile; VerificationError unless it is exactly `width` wide."""
    if len(data) != tile.width * merkle.HASH_SIZE:
        raise VerificationError(f"{tile.path} is {len(data)} bytes, not "
                                f"{tile.width * merkle.HASH_SIZE}")
    return [data[i : i + merkle.HASH_SIZE] for i in range(0, len(data), merkle.HASH_SIZE)]


def bundle(entries: Sequence[bytes]) -> bytes:
    """An entry bundle: each entry after its big-endian 2-byte length."""
    parts = []
    for entry in entries:
        if len(entry) > MAX_ENTRY:
            raise ValueError(f"an entry is at most {MAX_ENTRY} bytes, not {len(entry)}")
        parts.append(len(entry).to_bytes(2, "big") + entry)
    return b"".join(parts)


def iter_bundle(data: bytes) -> Iterator[bytes]:
    """The entries of a bundle in order; VerificationError when the next one's length runs
    past the end (the caller counts entries, and so names the bad one)."""
    offset = 0
    while offset < len(data):
        length = int.from_bytes(data[offset : offset + 2], "big")
        if offset + 2 + length > len(data):
            raise VerificationError("an entry runs past the end of its bundle")
        yield data[offset + 2 : offset + 2 + length]
        offset += 2 + length


FetchTile = Callable[[Tile], bytes]


class TileNodes:
    """`merkle.GetNode` for a tree of `size` leaves, from its tiles (fetched once each).

    Node (h, i) at height h = 8L + r is the hash of 2**r consecutive hashes of one tile
    at level L. Only complete subtrees below `size` are asked for by `merkle`, and the
    tiles of `size` hold every one. Nothing here is trusted: a proof built from these
    nodes is checked against a signed root by the caller.
    """

    def __init__(self, size: int, fetch: FetchTile) -> None:
        self.size = size
        self._fetch = fetch
        self._tiles: dict[tuple[int, int], list[bytes]] = {}
        self._nodes: dict[tuple[int, int], bytes] = {}  # made once: proofs share their nodes

    def tile(self, level: int, index: int) -> list[bytes]:
        """The hashes of tile (level, index) of this tree size, fetched once."""
        found = self._tiles.get((level, index))
        if found is None:
            count = self.size >> (HEIGHT * level)
            width = min(WIDTH, count - index * WIDTH)
            if width <= 0:
                raise VerificationError(f"tile {level}/{index} is not part of a tree of size "
                                        f"{self.size}")
            tile = Tile(level, index, width)
            found = self._tiles[(level, index)] = tile_hashes(self._fetch(tile), tile)
        return found

    def get(self, height: int, index: int) -> bytes:
        found = self._nodes.get((height, index))
        if found is None:
            found = self._nodes[(height, index)] = self._node(height, index)
        return found

    def _node(self, height: int, index: int) -> bytes:
        level, rest = divmod(height, HEIGHT)
        if rest:  # inside a tile: from its two children, each made once
            return merkle.node_hash(self.get(height - 1, 2 * index),
                                    self.get(height - 1, 2 * index + 1))
        hashes = self.tile(level, index // WIDTH)
        if index % WIDTH >= len(hashes):
            raise VerificationError(f"node ({height}, {index}) is not complete in a tree of "
                                    f"size {self.size}")
        return hashes[index % WIDTH]


def subtree_root(hashes: Sequence[bytes]) -> bytes:
    """The root of a complete subtree from its 2**k bottom hashes."""
    layer = list(hashes)
    while len(layer) > 1:
        layer = [merkle.node_hash(layer[i], layer[i + 1]) for i in range(0, len(layer), 2)]
    return layer[0]

