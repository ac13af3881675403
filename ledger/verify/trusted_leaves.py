"""The leaves of a signed checkpoint, to check every event a publish reads against.

`TrustedLeaves.load` reads the Merkle log's leaf hashes (level 0) and their positions
for a signed checkpoint's tree, and recomputes the root from them: only if it is
the signed root are they used. From then on any event read from the event store
(to project it, to show its signed body, to put it in a bundle) must hash to its
leaf: an insider who edits a row after the audit, or while pages are rendered,
makes the publish stop at that position instead of serving the edit. The stored
interior nodes are not trusted; the level-0 hashes are, once they give the root.

Memory: 40 bytes a leaf (a position and a hash, in packed arrays).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Sequence

from sqlalchemy import Engine, select

from tally.ledger.errors import VerificationError
from tally.ledger.infra.eventstore import Notification
from tally.ledger.infra.merkle_log import leaf_hash_of, leaves, nodes
from tally.ledger.infra.storage import reading
from tally.ledger.integrity import merkle
from tally.ledger.integrity.checkpoints import Checkpoint
from tally.ledger.model.kinds import REGISTRY_TYPES

_HASH = 32


class TrustedLeaves:
    """The leaf hashes and event positions of one signed tree, in leaf order."""

    def __init__(self, size: int, positions: array[int], hashes: bytes, root: bytes) -> None:
        self.size = size
        self._positions = positions
        self._hashes = hashes
        self._roots = {size: root}
        self.registry: set[int] = set()  # positions of checked registry events

    @classmethod
    def load(cls, engine: Engine, checkpoint: Checkpoint) -> TrustedLeaves:
        """The leaves of `checkpoint`'s tree, read in one snapshot; VerificationError unless
        they give its signed root."""
        positions: array[int] = array("q")
        hashes = bytearray()
        frontier = merkle.Frontier()
        with reading(engine) as conn:
            rows = conn.execute(
                select(leaves.c.leaf_index, leaves.c.position, nodes.c.hash)
                .join(nodes, (nodes.c.level == 0) & (nodes.c.idx == leaves.c.leaf_index))
                .where(leaves.c.leaf_index < checkpoint.size)
                .order_by(leaves.c.leaf_index)).yield_per(10_000)
            for index, position, digest in rows:
                if int(index) != len(positions) or (positions and position <= positions[-1]):
                    break  # a gap or a position out of order: the root check below fails
                leaf = bytes(digest)
                frontier.append(leaf)
                positions.append(int(position))
                hashes += leaf
        if frontier.size != checkpoint.size or frontier.root() != checkpoint.root_hash:
            raise VerificationError(
                f"the Merkle log's leaves do not give the root of checkpoint {checkpoint.size}: "
                "the log was changed after it was signed (run 'tally verify')")
        return cls(checkpoint.size, positions, bytes(hashes), checkpoint.root_hash)

    @property
    def last_position(self) -> int:
        """The position of the tree's last event (0 for an empty tree)."""
        return self._positions[-1] if self._positions else 0

    def index_of(self, position: int) -> int | None:
        at = bisect_left(self._positions, position)
        return at if at < self.size and self._positions[at] == position else None

    def position_of(self, index: int) -> int:
        return self._positions[index]

    def leaf(self, index: int) -> bytes:
        return self._hashes[index * _HASH:(index + 1) * _HASH]

    def by_position(self, first: int, last: int) -> dict[int, bytes]:
        """The leaf hashes of the events at positions first..last (those in the tree)."""
        start, stop = bisect_left(self._positions, first), bisect_left(self._positions, last + 1)
        return {self._positions[i]: self.leaf(i) for i in range(start, stop)}

    def root(self, size: int) -> bytes:
        """The root of the tree of the first `size` leaves (each size computed once)."""
        if size not in self._roots:
            frontier = merkle.Frontier()
            for index in range(size):
                frontier.append(self.leaf(index))
            self._roots[size] = frontier.root()
        return self._roots[size]

    def check_reached(self, position: int) -> None:
        """VerificationError unless `position`, where a read of the tree's events in order
        stopped, is its last event's: the events after it were deleted."""
        if position < self.last_position:
            raise self.deleted(self._positions[bisect_left(self._positions, position + 1)])

    def deleted(self, position: int) -> VerificationError:
        return VerificationError(
            f"the event at position {position} is in checkpoint {self.size}'s tree but no "
            "longer in the event store: it was deleted after it was signed (run 'tally "
            "verify')", position=position)

    def check(self, events: Sequence[Notification], since: int | None = None) -> None:
        """VerificationError at the first event that is not in the tree or does not hash to
        its leaf (changed after it was signed); registry events are noted. With `since`
        (the position read before them), the events must also be all of the tree's from
        there to the last of them: one deleted from the event store is named too."""
        if since is not None and events:
            expected = self._positions[bisect_left(self._positions, since + 1):
                                       bisect_left(self._positions, events[-1].id + 1)]
            got = {n.id for n in events}
            missing = next((p for p in expected if p not in got), None)
            if missing is not None:
                raise self.deleted(missing)
        for n in events:
            index = self.index_of(n.id)
            if index is None:
                raise VerificationError(f"the event at position {n.id} is not in checkpoint "
                                        f"{self.size}'s tree", position=n.id)
            if leaf_hash_of(n) != self.leaf(index):
                raise VerificationError(
                    f"the event at position {n.id} differs from its leaf in checkpoint "
                    f"{self.size}: it was changed after it was signed (run 'tally verify')",
                    position=n.id)
            if n.topic in REGISTRY_TYPES:
                self.registry.add(n.id)
