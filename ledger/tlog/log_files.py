"""The Merkle log as tlog-tiles files, read from the database and checked before they leave.

`log_files` yields the tiles and entry bundles a site at one published size lacks
for a larger one: the full tiles completed in between and the partial tiles of
every stored checkpoint size in between (the spec asks for the partial tiles of
each checkpoint; taking the ledger's own checkpoints, not the sizes that happened
to be published, keeps the site a function of the ledger alone). Every bundled
entry is re-derived from its stored event and must hash to the level-0 tile, and
the tree the tiles give must have the signed checkpoint's root: nothing an
insider changed after the checkpoint can be published under it.

`changes` says which claims and figures the events in a range of the log touch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from tally.ledger.bootstrap import Collaborators
from tally.ledger.errors import ClaimStateError, VerificationError
from tally.ledger.infra.merkle_log import _Nodes, entry_hash, entry_of, leaf_bytes, leaves, nodes
from tally.ledger.infra.storage import in_chunks, reading
from tally.ledger.integrity import merkle, tiles
from tally.ledger.integrity.checkpoints import Checkpoint, verify_checkpoint
from tally.ledger.integrity.envelope import parse_leaf, parse_stub_entry
from tally.ledger.integrity.proofs import InclusionProof
from tally.ledger.model.statements import (
    ClaimCorrected,
    ClaimRecorded,
    ClaimRedacted,
    ClaimRetracted,
    FigureDefined,
    parse_statement,
)


def stored_hashes(conn: Connection, height: int, start: int, count: int) -> list[bytes]:
    found = [bytes(h) for (h,) in conn.execute(
        select(nodes.c.hash).where(nodes.c.level == height, nodes.c.idx >= start,
                                   nodes.c.idx < start + count).order_by(nodes.c.idx))]
    if len(found) != count:
        raise VerificationError(f"the Merkle log lacks nodes at height {height} from {start}: "
                                "run 'tally verify'")
    return found


def entries(parts: Collaborators, conn: Connection, first: int, count: int) -> list[bytes]:
    """The leaves (Tally envelopes) at indices first .. first + count - 1, from the events."""
    positions = [int(p) for (p,) in conn.execute(
        select(leaves.c.position).where(leaves.c.leaf_index >= first,
                                        leaves.c.leaf_index < first + count)
        .order_by(leaves.c.leaf_index))]
    if len(positions) != count:
        raise VerificationError(f"the Merkle log lacks leaves from {first}: run 'tally verify'")
    wanted = set(positions)
    found: dict[int, bytes] = {}
    for n in parts.events.all_notifications(positions[0], stop=positions[-1], conn=conn):
        if n.id in wanted:
            found[n.id] = entry_of(n)
    if len(found) != count:
        raise VerificationError(f"events of leaves {first}.. are missing from the event store: "
                                "run 'tally verify'")
    return [found[p] for p in positions]


def leaves_at(parts: Collaborators, conn: Connection, indexes: Sequence[int]) -> dict[int, bytes]:
    """The leaves (Tally envelopes) at these indexes, in a query a chunk of indexes and a
    read a run of consecutive positions."""
    wanted = sorted(set(indexes))
    at: dict[int, int] = {}  # position -> leaf index
    for chunk in in_chunks(wanted):
        at.update((int(p), int(i)) for i, p in conn.execute(
            select(leaves.c.leaf_index, leaves.c.position)
            .where(leaves.c.leaf_index.in_(chunk))))
    found = {at[n.id]: leaf_bytes(n) for n in parts.events.at(at, conn)}
    if len(found) != len(wanted):
        missing = min(set(wanted) - set(found))
        raise VerificationError(f"the Merkle log or the event store lacks leaf {missing}: "
                                "run 'tally verify'")
    return found


def log_files(parts: Collaborators, old_size: int, checkpoint: Checkpoint,
              sizes: Sequence[int]) -> Iterator[tuple[str, bytes]]:
    """(path, bytes) of the tiles and bundles to add to a site of `old_size` for the signed
    `checkpoint`; `sizes` are the stored checkpoint sizes (their partial tiles are kept)."""
    steps = [s for s in sorted(set(sizes)) if old_size < s < checkpoint.size]
    steps.append(checkpoint.size)
    with reading(parts.engine) as conn:
        if merkle.root(checkpoint.size, _Nodes(conn).get) != checkpoint.root_hash:
            raise VerificationError(f"the Merkle log does not give the root of checkpoint "
                                    f"{checkpoint.size}: run 'tally verify'")
        done: set[str] = set()
        previous = old_size
        for size in steps:
            for tile in tiles.new_tiles(previous, size):
                if tile.path in done:
                    continue
                done.add(tile.path)
                hashes = stored_hashes(conn, tiles.HEIGHT * tile.level, tile.start, tile.width)
                if tile.level == 0:
                    bundled = entries(parts, conn, tile.start, tile.width)
                    for offset, (leaf, digest) in enumerate(zip(bundled, hashes, strict=True)):
                        if entry_hash(leaf) != digest:
                            raise VerificationError(
                                f"the event of leaf {tile.start + offset} differs from its "
                                "Merkle leaf: run 'tally verify'")
                    yield tiles.entries_path(tile.number, tile.width), tiles.bundle(bundled)
                yield tile.path, b"".join(hashes)
            previous = size


def inclusion_proofs(parts: Collaborators, wanted: Sequence[tuple[str, int, int]]
                     ) -> Iterator[InclusionProof]:
    """The inclusion proof of each (claim id, leaf index, checkpoint size), as
    `Ledger.inclusion_proof` makes it, with the nodes read a tile at a time (one query for
    256 hashes, kept for the next claims) instead of one query a node."""
    with reading(parts.engine) as conn:
        trees: dict[int, tuple[tiles.TileNodes, str, bytes]] = {}
        found = leaves_at(parts, conn, [index for _, index, _ in wanted])
        for claim_id, index, size in wanted:
            if size not in trees:
                trees[size] = _tree(parts, conn, size)
            nodes, note, signed_root = trees[size]
            leaf = found[index]
            digest = merkle.leaf_hash(leaf)
            path = merkle.inclusion_path(index, size, nodes.get)
            try:  # never serve a proof that fails: an event or a node edited by an insider
                merkle.verify_inclusion(digest, index, size, path, signed_root)
            except VerificationError:
                raise VerificationError(f"the proof of leaf {index} does not verify against "
                                        f"checkpoint {size}: run 'tally verify'") from None
            yield InclusionProof(
                claim_id=claim_id, leaf_index=index, tree_size=size, leaf=leaf.decode("utf-8"),
                leaf_hash=digest.hex(), path=[h.hex() for h in path], checkpoint=note)


def _tree(parts: Collaborators, conn: Connection, size: int) -> tuple[tiles.TileNodes, str, bytes]:
    """Tile-cached nodes of the tree of `size`, its checkpoint and signed root, checked to
    match."""
    def fetch(tile: tiles.Tile) -> bytes:
        return b"".join(stored_hashes(conn, tiles.HEIGHT * tile.level, tile.start, tile.width))

    nodes = tiles.TileNodes(size, fetch)
    note = parts.log.checkpoint_note(size, conn)
    info = parts.info()
    signed = verify_checkpoint(note, bytes.fromhex(info.operator_public_key), info.origin)
    if merkle.root(size, nodes.get) != signed.root_hash:
        raise VerificationError(f"the Merkle log does not give the root of checkpoint {size}: "
                                "run 'tally verify'")
    return nodes, note, signed.root_hash


@dataclass
class Changes:
    """What the events of a range of the log touch; `everything` when a signer or source
    changed (every claim page shows its signer's and sources' state)."""

    claims: set[str] = field(default_factory=set)
    figures: set[str] = field(default_factory=set)
    everything: bool = False
    taken_down: bool = False  # a take-down order is among them
    withheld: set[str] = field(default_factory=set)  # claims an order withheld whole


def changes(parts: Collaborators, old_size: int, new_size: int,
            trusted: Callable[[int], bytes] | None = None) -> Changes:
    """The claims recorded, corrected or retracted and the figures defined or reported on
    by the leaves old_size .. new_size - 1 (a follow-up's figure is its claim's); each
    leaf must hash to `trusted(index)` when given."""
    found = Changes()
    followed: set[str] = set()
    with reading(parts.engine) as conn:
        for first in range(old_size, new_size, 1000):
            bundled = entries(parts, conn, first, min(1000, new_size - first))
            for index, leaf in enumerate(bundled, start=first):
                if trusted is not None and entry_hash(leaf) != trusted(index):
                    raise VerificationError(f"the event of leaf {index} differs from its leaf "
                                            "in the signed tree: run 'tally verify'")
                _touch(leaf, found, followed)
    lookups = parts.lookups()
    for claim in followed:
        try:
            found.figures.add(lookups.claim(claim).figure)
        except ClaimStateError:  # withheld whole since: which figure it left is not known
            found.everything = True
    return found


def _touch(leaf: bytes, found: Changes, followed: set[str]) -> None:
    if parse_stub_entry(leaf) is not None:  # a claim withheld since: its figure is unknown
        found.everything = True
        return
    fields = parse_leaf(leaf)
    kind, body = str(fields["type"]), str(fields["body"])
    found.taken_down = found.taken_down or kind in ("claim.redacted", "document.withheld")
    if kind in ("signer.added", "signer.revoked", "source.registered", "document.withheld"):
        found.everything = True
        return
    statement = parse_statement(body, kind) if kind != "ledger.created" else None
    if isinstance(statement, ClaimRedacted) and statement.field == "body":
        found.withheld.add(statement.claim)
    if isinstance(statement, FigureDefined):
        found.figures.add(statement.id)
    elif isinstance(statement, ClaimRecorded):
        found.claims.add(str(fields["id"]))
        found.figures.add(statement.figure)
    elif isinstance(statement, ClaimCorrected | ClaimRetracted | ClaimRedacted):
        found.claims.add(statement.claim)
        followed.add(statement.claim)
