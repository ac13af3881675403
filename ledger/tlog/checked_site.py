"""Checking a published site against a signed checkpoint and what was seen before.

Shared by `tally clone`, `tally monitor` with a replica (`ledger.tlog.replica`) and
without one (`ledger.tlog.monitor`). The order matters: the level-0 tiles of the new
entries are authenticated first (with the tree already trusted, they must give the
signed root), then each bundle must hash to its tile, entry by entry, before any
entry is used. A failure is a `SiteError` naming the entry (leaf index) when one
can be named, with what an evidence file needs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from tally.ledger.errors import MissingFileError, SiteError, VerificationError
from tally.ledger.infra.eventstore import StoredEvent
from tally.ledger.infra.merkle_log import entry_hash
from tally.ledger.integrity import disclosure, merkle, tiles
from tally.ledger.integrity.checkpoints import Checkpoint, verify_checkpoint
from tally.ledger.integrity.envelope import (
    Withheld,
    decode_state,
    encode_stub,
    leaf_bytes,
    parse_leaf,
    parse_stub_entry,
    state_sha256,
)
from tally.ledger.integrity.signing import canonical
from tally.ledger.integrity.tlog_policy import Policy, check_notes
from tally.ledger.model.events import as_uuid
from tally.ledger.tlog.source import SiteSource


@contextmanager
def under(note: str) -> Iterator[None]:
    """Attach the site's checkpoint note to every SiteError raised in the block."""
    try:
        yield
    except SiteError as e:
        if e.new_checkpoint is None:
            e.new_checkpoint = note
        raise


def fetch_checkpoint(source: SiteSource, operator_key: bytes, origin: str | None = None,
                     policy: Policy | None = None) -> tuple[str, Checkpoint]:
    """The site's checkpoint, signed by the operator (for `origin`, when known) and, with a
    `policy` (C2SP tlog-policy), cosigned to its quorum: a checkpoint short of it is
    refused (VerificationError naming the missing witnesses) before anything is taken."""
    try:
        raw = source.get("checkpoint")
    except MissingFileError as e:
        raise SiteError(e.message) from None
    try:
        note = raw.decode("utf-8")
    except UnicodeDecodeError:  # evidence too: the bytes read, undecodable ones replaced
        raise SiteError("the site's checkpoint is not UTF-8 text",
                        new_checkpoint=raw.decode("utf-8", "replace")) from None
    try:
        head = verify_checkpoint(note, operator_key, origin)
    except VerificationError as e:
        raise SiteError(f"the site's checkpoint does not verify: {e.message}",
                        new_checkpoint=note) from None
    if policy is not None:  # not a SiteError: a witness late to cosign is no evidence
        check_notes(policy, [note], head.origin, operator_key)
    return note, head


@dataclass
class LeafTiles:
    """The level-0 tiles of a checkpoint's tree from the tile holding entry `first` on,
    as leaf hashes (fetched once, 32 bytes an entry)."""

    size: int
    first: int  # the first leaf index held: the start of the tile holding the old size
    hashes: list[bytes] = field(default_factory=list)

    def hash(self, index: int) -> bytes:
        return self.hashes[index - self.first]


def _tile(source: SiteSource, tile: tiles.Tile) -> bytes:
    try:
        return source.get(tile.path)
    except VerificationError as e:
        last = min(tile.start + tile.width, tile.start + tiles.WIDTH) - 1
        what = f"entries {tile.start}..{last}" if tile.level == 0 else f"level {tile.level}"
        raise SiteError(f"{e.message} ({what})",
                        entry=tile.start if tile.level == 0 else None) from None


def _hashes(data: bytes, tile: tiles.Tile) -> list[bytes]:
    try:
        return tiles.tile_hashes(data, tile)
    except VerificationError as e:  # a short or long tile: the site's fault, evidence
        entry = tile.start * tiles.WIDTH ** tile.level
        raise SiteError(f"{e.message}: the tile was changed", entry=entry) from None


def fetch_leaf_tiles(source: SiteSource, old_size: int, size: int,
                     progress: Callable[[int, int], None] | None = None) -> LeafTiles:
    first = old_size - old_size % tiles.WIDTH
    found = LeafTiles(size, first)
    for tile in tiles.tiles_at(size, 0):
        if tile.start + tile.width <= first:
            continue
        found.hashes.extend(_hashes(_tile(source, tile), tile))
        if progress:
            progress(tile.start + tile.width, size)
    return found


def tile_nodes(source: SiteSource, size: int) -> tiles.TileNodes:
    """The site's tree of `size`, read from its tiles; a tile of the wrong length is a
    SiteError."""
    def fetch(tile: tiles.Tile) -> bytes:
        data = _tile(source, tile)
        _hashes(data, tile)
        return data

    return tiles.TileNodes(size, fetch)


def consistency_evidence(source: SiteSource, old_size: int, size: int) -> list[bytes] | None:
    """The consistency proof the site's tiles give from `old_size` to `size`, if any."""
    try:
        return merkle.consistency_path(old_size, size, tile_nodes(source, size).get)
    except (VerificationError, ValueError):
        return None


def check_root(frontier: merkle.Frontier, leaf_tiles: LeafTiles, checkpoint: Checkpoint
               ) -> bool:
    """Whether the trusted `frontier` (at the old size), extended by the new leaf hashes,
    gives the checkpoint's root (which proves the old tree is its prefix)."""
    for index in range(frontier.size, checkpoint.size):
        frontier.append(leaf_tiles.hash(index))
    return frontier.root() == checkpoint.root_hash


def bundles(source: SiteSource, leaf_tiles: LeafTiles, start: int,
            progress: Callable[[int, int], None] | None = None
            ) -> Iterator[tuple[int, list[bytes]]]:
    """(first index, entries) of each bundle from entry `start` on, every entry checked
    against its level-0 tile hash; SiteError names the first entry that is not."""
    for tile in tiles.tiles_at(leaf_tiles.size, 0):
        if tile.start + tile.width <= start:
            continue
        path = tiles.entries_path(tile.number, tile.width)
        try:
            data = source.get(path)
        except VerificationError as e:
            raise SiteError(f"{e.message} (entries {tile.start}..)", entry=tile.start) from None
        entries = _checked(data, path, tile, leaf_tiles)
        skip = max(0, start - tile.start)
        yield tile.start + skip, entries[skip:]
        if progress:
            progress(tile.start + tile.width, leaf_tiles.size)


def _checked(data: bytes, path: str, tile: tiles.Tile, leaf_tiles: LeafTiles) -> list[bytes]:
    """The bundle's entries, each hashing to its tile; SiteError names the first that does
    not, cannot be read, is missing or is one too many."""
    entries: list[bytes] = []
    found = tiles.iter_bundle(data)
    while True:
        index = tile.start + len(entries)
        try:
            entry = next(found, None)
        except VerificationError:
            raise SiteError(f"entry {index} runs past the end of {path}: the bundle was "
                            "changed", entry=index) from None
        if entry is None:
            break
        if len(entries) == tile.width:
            raise SiteError(f"{path} holds more than {tile.width} entries: the bundle was "
                            "changed", entry=index - 1)
        if entry_hash(entry) != leaf_tiles.hash(index):
            raise SiteError(f"entry {index} does not hash to its tile: the bundle or the "
                            "tile was changed", entry=index)
        entries.append(entry)
    if len(entries) < tile.width:
        raise SiteError(f"{path} ends before entry {tile.start + len(entries)}: the bundle "
                        "was changed", entry=tile.start + len(entries))
    return entries


def stored_event(entry: bytes, index: int) -> StoredEvent:
    """The stored event a published entry (a Tally envelope) was made from, rebuilt byte
    for byte; SiteError naming the entry if it cannot be."""
    stub = parse_stub_entry(entry)
    if stub is not None:  # withheld: the replica's audit wants the order that says so
        fields, withheld = stub
        return StoredEvent(originator_id=as_uuid(str(fields["id"])),
                           originator_version=int(str(fields["version"])),
                           topic=str(fields["type"]),
                           state=encode_stub(withheld.leaf_hash))
    try:
        fields = parse_leaf(entry)
        body, signature = str(fields["body"]), str(fields["signature"])
        state = canonical({"body": body, "recorded": fields["recorded"],
                           "signature": signature}).encode("utf-8")
        decode_state(state)  # the recording time's one form, the signature's shape
        if state_sha256(state) != fields["state_sha256"]:
            raise VerificationError("its state digest does not match its fields")
        version = fields["version"]
        if type(version) is not int:
            raise VerificationError("its version is not an integer")
        event = StoredEvent(originator_id=as_uuid(str(fields["id"])),
                            originator_version=version, topic=str(fields["type"]), state=state)
        if leaf_bytes(event.topic, as_uuid(str(fields["id"])).hex, version, state) != entry:
            raise VerificationError("it is not the envelope of the event it holds")
    except (VerificationError, ValueError, KeyError) as e:
        why = e.message if isinstance(e, VerificationError) else str(e)
        raise SiteError(f"entry {index} is not a valid Tally event: {why}", entry=index) from None
    return event



def fetch_disclosures(source: SiteSource, tile: int, events: Sequence[StoredEvent]
                      ) -> list[str]:
    """Format v2: the published disclosures of these events' claims (entries of level-0
    tile `tile`), each checked against its commitment. One the site lacks is left out: the
    replay accepts its absence only where a signed order took it down."""
    wanted = {c for e in events if e.topic == "claim.recorded" for c in _committed(e.state)}
    if not wanted:
        return []
    path = tiles.disclosures_path(tile)
    try:
        found = disclosure.read_bundle(source.get(path))
    except MissingFileError:
        return []
    except VerificationError as e:
        first = tile * tiles.WIDTH
        raise SiteError(f"{path} (the disclosures of entries {first}..): {e.message}: the "
                        "site changed it", entry=first) from None
    return [found[c] for c in sorted(wanted) if c in found]


def _committed(state: bytes) -> list[str]:
    """The commitments of a claim's stored body (none once it is withheld)."""
    try:
        body = decode_state(state).body
    except Withheld:
        return []
    return list(disclosure.commitments(json.loads(body)).values())
