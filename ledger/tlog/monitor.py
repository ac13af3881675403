"""Watching a published site without a replica: what `tally monitor` keeps and checks.

The state file holds the last checkpoint seen, the roots of the complete subtrees
of its tree (its frontier: O(log n) hashes) and the leaf hashes of its last,
partial tile. A new checkpoint must be signed by the same key for the same origin,
no smaller, and its level-0 tiles must extend that frontier to the signed root
(a consistency check that needs no proof file; the proof the tiles give goes into
the evidence). The new entries must hash to their tiles and be valid Tally
envelopes.

The rules and signatures need the ledger's state (who is registered, which claims
exist): a monitor without a replica of its own (`watch`) therefore keeps a private
one beside its state file (`<state file>.db`, an ordinary replica no command writes
to) and follows the site with it (`ledger.tlog.replica`), auditing every new entry. The
first look fetches the whole log into it; a deleted one is rebuilt from the site,
checked from the genesis entry against the signed root.

A fork inside the last tile is named at its entry; further back, at the first
entry of the first subtree whose root changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from tally.ledger.errors import SiteError, VerificationError
from tally.ledger.integrity import merkle, tiles
from tally.ledger.integrity.checkpoints import Checkpoint, split_note, verify_checkpoint
from tally.ledger.integrity.tlog_policy import Policy
from tally.ledger.progress import Progress
from tally.ledger.tlog import checked_site
from tally.ledger.tlog.checked_site import LeafTiles
from tally.ledger.tlog.replica_update import update
from tally.ledger.tlog.source import SiteSource


class MonitorState(BaseModel):
    """The state file. Keys: `source`, `operator_public_key` (hex), `checkpoint` (the
    last signed note seen), `frontier` (hex roots of its complete subtrees, largest first),
    `last_leaves` (hex leaf hashes of its partial level-0 tile)."""

    model_config = ConfigDict(extra="forbid")
    source: str
    operator_public_key: str
    checkpoint: str
    frontier: list[str]
    last_leaves: list[str]


class Evidence(BaseModel):
    """The evidence file of a failed check. Keys: `problem`, `entry` (leaf index, or null),
    `source`, `old_checkpoint` and `new_checkpoint` (signed notes, or null), `old_size`,
    `new_size`, `consistency_proof` (hex hashes from the old size to the new one, as the
    site's tiles give them, or null)."""

    problem: str
    entry: int | None
    source: str
    old_checkpoint: str | None
    new_checkpoint: str | None
    old_size: int | None
    new_size: int | None
    consistency_proof: list[str] | None


def note_size(note: str | None) -> int | None:
    """The tree size a checkpoint note states (unverified), or None."""
    try:
        return None if note is None else Checkpoint.parse_body(split_note(note)[0]).size
    except VerificationError:  # a tampered note is evidence too, even unparsed
        return None


def evidence(error: SiteError, source: str, old_note: str | None) -> Evidence:
    """The evidence of `error`: its two checkpoints are the fork's when it found two signed
    for one size, else the one seen before (`old_note`) and the site's."""
    old_note = error.old_checkpoint or old_note
    return Evidence(problem=error.message, entry=error.entry, source=source,
                    old_checkpoint=old_note, new_checkpoint=error.new_checkpoint,
                    old_size=note_size(old_note), new_size=note_size(error.new_checkpoint),
                    consistency_proof=None if error.proof is None
                    else [h.hex() for h in error.proof])


def _subtrees(size: int) -> Iterator[tuple[int, int]]:
    """(height, index) of the complete subtrees covering [0, size), largest first."""
    start = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            yield level, start >> level
            start += 1 << level


def _frontier(size: int, hashes: list[bytes]) -> merkle.Frontier:
    table = dict(zip(_subtrees(size), hashes, strict=True))
    return merkle.Frontier.of(size, lambda level, index: table[(level, index)])


def fetch(source: SiteSource, operator_key: bytes, state: MonitorState | None,
          policy: Policy | None = None) -> tuple[str, Checkpoint]:
    """The site's checkpoint, fetched once a run: `check` and the audit read the same one."""
    origin = None if state is None else verify_checkpoint(state.checkpoint, operator_key).origin
    return checked_site.fetch_checkpoint(source, operator_key, origin, policy)


def check(source: SiteSource, operator_key: bytes, state: MonitorState | None,
          fetched: tuple[str, Checkpoint]) -> MonitorState:
    """Check the site, whose checkpoint is `fetched`, against `state` (None: the first
    look, from the empty tree); the new state, or SiteError."""
    old_size = 0
    frontier = merkle.Frontier()
    last: list[bytes] = []
    note, head = fetched
    if state is not None:
        old = verify_checkpoint(state.checkpoint, operator_key)
        if old.size == head.size and old.root_hash != head.root_hash:
            raise SiteError(f"the site's checkpoint {head.size} has another root than the one "
                            "seen before for that size: the log was forked",
                            new_checkpoint=note)
        old_size = old.size
        frontier = _frontier(old_size, [bytes.fromhex(h) for h in state.frontier])
        last = [bytes.fromhex(h) for h in state.last_leaves]
    if head.size < old_size:
        raise SiteError(f"the site's checkpoint is of size {head.size}, smaller than the "
                        f"{old_size} seen before: the log was rolled back",
                        new_checkpoint=note)
    with checked_site.under(note):
        leaf_tiles = checked_site.fetch_leaf_tiles(source, old_size, head.size)
        for offset, digest in enumerate(last):
            if leaf_tiles.hashes[offset] != digest:
                _fork(source, leaf_tiles.first + offset, old_size, note)
        if not checked_site.check_root(frontier, leaf_tiles, head):
            _blame(source, state, old_size, leaf_tiles, note)
        for start, entries in checked_site.bundles(source, leaf_tiles, old_size):
            for k, entry in enumerate(entries):
                checked_site.stored_event(entry, start + k)
        nodes = checked_site.tile_nodes(source, head.size)
        hashes = [nodes.get(level, index) for level, index in _subtrees(head.size)]
        if _frontier(head.size, hashes).root() != head.root_hash:
            raise SiteError("the site's higher tiles do not give its checkpoint's root: a tile "
                            "was changed", new_checkpoint=note)
    tail = head.size - head.size % tiles.WIDTH
    return MonitorState(source=source.location, operator_public_key=operator_key.hex(),
                        checkpoint=note, frontier=[h.hex() for h in hashes],
                        last_leaves=[leaf_tiles.hash(i).hex()
                                     for i in range(tail, head.size)])


def private_replica(state_file: Path) -> Path:
    """Where a monitor without a replica keeps its own: beside its state file."""
    return state_file.with_name(state_file.name + ".db")


def watch(source: SiteSource, operator_key: bytes, state: MonitorState | None,
          state_file: Path, policy: Policy | None = None,
          progress: Progress | None = None) -> MonitorState:
    """`check` against the state, then the audit of the new entries (rules, signatures,
    documents) in the private replica beside `state_file`, both of the one checkpoint
    fetched; the new state (the caller writes it), or SiteError naming the entry."""
    fetched = fetch(source, operator_key, state, policy)
    new = check(source, operator_key, state, fetched)
    update(str(private_replica(state_file)), source, operator_key, create=True,
           progress=progress, fetched=fetched)
    return new


def _fork(source: SiteSource, entry: int, old_size: int, note: str) -> None:
    raise SiteError(f"entry {entry} on the site differs from the one seen before: the log was "
                    "forked or rewritten", entry=entry, new_checkpoint=note,
                    proof=checked_site.consistency_evidence(source, old_size,
                                                          note_size(note) or old_size))


def _blame(source: SiteSource, state: MonitorState | None, old_size: int,
           leaf_tiles: LeafTiles, note: str) -> None:
    if state is not None:
        nodes = checked_site.tile_nodes(source, leaf_tiles.size)
        for (level, index), seen in zip(_subtrees(old_size), state.frontier, strict=True):
            if nodes.get(level, index).hex() != seen:
                first = index << level
                raise SiteError(f"entries {first}..{first + (1 << level) - 1} on the site "
                                "differ from those seen before: the log was forked or "
                                "rewritten", entry=first, new_checkpoint=note,
                                proof=checked_site.consistency_evidence(
                                    source, old_size, leaf_tiles.size))
    for _ in checked_site.bundles(source, leaf_tiles, old_size):
        pass  # raises at the first entry that does not hash to its tile
    raise SiteError("the site's tiles do not give its checkpoint's root: a tile was changed",
                    new_checkpoint=note)
