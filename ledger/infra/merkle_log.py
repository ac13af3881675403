"""The Merkle log kept beside the event store: leaves, tree nodes and signed checkpoints.

Every stored event, in the event store's global order, becomes leaf number
0, 1, 2 … of an RFC 9162 tree. The log is derived from the events, so it
catches up from the notification log after each write (one transaction per
batch, serialised across processes); `verify` recomputes it from scratch and
compares. Only complete subtrees are stored (about two rows a leaf), which is
all `merkle` needs to answer any root or proof in O(log² n) reads.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    func,
    inspect,
    select,
)

from tally.ledger.errors import UnknownClaimError, VerificationError
from tally.ledger.infra.event_rows import state_bytes
from tally.ledger.infra.storage import create_tables, in_chunks, lock_for_writing, writing
from tally.ledger.integrity import envelope, merkle
from tally.ledger.integrity.checkpoints import (
    MAX_TREE_SIZE,
    Checkpoint,
    verify_checkpoint,
)
from tally.ledger.integrity.proofs import ConsistencyProof, InclusionProof
from tally.ledger.integrity.registry_seal import registry_sealed
from tally.ledger.integrity.signing import id_prefix_range

if TYPE_CHECKING:  # the read commands read the log without loading the event store
    from tally.ledger.infra.eventstore import EventStore, Notification
    from tally.ledger.integrity.tree_head_signer import TreeHeadSigner

metadata = MetaData()

# On SQLite an INTEGER PRIMARY KEY is the rowid itself (BIGINT would get a second index),
# and the nodes table is stored clustered on its key (WITHOUT ROWID).
leaves = Table(
    "tally_log_leaves", metadata,
    Column("leaf_index", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
           autoincrement=False),
    Column("position", BigInteger, nullable=False, unique=True),
    Column("originator_id", String(32), nullable=False, index=True),
    Column("originator_version", Integer, nullable=False),
)
nodes = Table(
    "tally_log_nodes", metadata,
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
    sqlite_with_rowid=False,
)
checkpoints = Table(
    "tally_checkpoints", metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("signed_at", DateTime(timezone=True), nullable=False),
)
# The operator's seal over the registry events' positions in each signed tree
# (`integrity.registry_seal`); checkpoints signed before it existed have none.
registry_seals = Table(
    "tally_registry_seals", metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("positions", Text, nullable=False),  # JSON list of positions, ascending
    Column("signature", String(128), nullable=False),
)

BATCH = 1000


def leaf_bytes(n: Notification) -> bytes:
    """The Merkle leaf of a stored event (`ledger.integrity.envelope`); VerificationError naming the
    position if the event does not decode (a withheld event's stub included: it has none)."""
    try:
        return _leaf(n)
    except VerificationError as e:
        raise _invalid(n, e) from None


def leaf_hash_of(n: Notification) -> bytes:
    """The Merkle leaf hash of a stored event: its leaf's, or the one the stub of a withheld
    event keeps (the caller checks it against the log, and that an order took it down)."""
    try:
        return merkle.leaf_hash(_leaf(n))
    except envelope.Withheld as w:
        return w.leaf_hash
    except VerificationError as e:
        raise _invalid(n, e) from None


def entry_of(n: Notification) -> bytes:
    """What a published entry bundle carries for a stored event: its leaf, or a withheld
    event's stub entry (`envelope.stub_entry`)."""
    try:
        return _leaf(n)
    except envelope.Withheld as w:
        ident = n.originator_id.hex if hasattr(n.originator_id, "hex") else str(n.originator_id)
        return envelope.stub_entry(str(n.topic), ident, n.originator_version, w)
    except VerificationError as e:
        raise _invalid(n, e) from None


def entry_hash(entry: bytes) -> bytes:
    """The leaf hash an entry stands for: its own, or the one a stub entry keeps (which only
    a tile hash, and an order in the log, make worth anything)."""
    stub = envelope.parse_stub_entry(entry)
    return merkle.leaf_hash(entry) if stub is None else stub[1].leaf_hash


def _leaf(n: Notification) -> bytes:
    ident = n.originator_id.hex if hasattr(n.originator_id, "hex") else str(n.originator_id)
    return envelope.leaf_bytes(str(n.topic), ident, n.originator_version, state_bytes(n.state))


def _invalid(n: Notification, e: VerificationError) -> VerificationError:
    return VerificationError(f"the event at position {n.id} is not a valid Tally event: "
                             f"{e.message}", position=n.id)


# Checks a batch of events before they are logged: raises VerificationError at the first
# that fails (the ones before it are logged, it and the rest are not).
BatchCheck = Callable[[Sequence["Notification"]], None]


class _Nodes:
    """Stored node reads on one connection (in its snapshot)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, level: int, index: int) -> bytes:
        found = self.conn.execute(
            select(nodes.c.hash).where(nodes.c.level == level, nodes.c.idx == index)
        ).scalar_one()
        return bytes(found)


class MerkleLog:
    def __init__(self, engine: Engine, events: EventStore) -> None:
        self.engine = engine
        self.events = events
        create_tables(engine, metadata.create_all)

    # -- growing -------------------------------------------------------------

    def size(self, conn: Connection | None = None) -> int:
        if conn is None:
            with self.engine.connect() as c:
                return self.size(c)
        last = conn.execute(select(func.max(leaves.c.leaf_index))).scalar_one()
        return 0 if last is None else int(last) + 1

    def last_position(self, conn: Connection | None = None) -> int:
        """The position of the last event in the log (0 when it is empty)."""
        if conn is None:
            with self.engine.connect() as c:
                return self.last_position(c)
        return last_position(conn)

    def catch_up(self, check: BatchCheck | None = None) -> int:
        """Append leaves for every event not yet in the log; returns the new size.

        `check` sees each batch first: an event it refuses is not logged, nor any after it
        (the error goes on to the caller once the events before it are logged)."""
        while True:
            refused: VerificationError | None = None
            with writing(self.engine) as conn:
                lock_for_writing(conn, "tally_log")
                size = self.size(conn)
                batch = self.events.notifications(self.last_position(conn) + 1, BATCH, conn=conn)
                if not batch:
                    return size
                if check is not None:
                    try:
                        check(batch)
                    except VerificationError as e:
                        refused = e
                        batch = [n for n in batch if e.position is None or n.id < e.position]
                if batch:
                    self._append(conn, size, batch)
            if refused is not None:
                raise refused

    def _append(self, conn: Connection, size: int, batch: Sequence[Notification]) -> None:
        leaf_rows, hashes = [], []
        for offset, n in enumerate(batch):
            ident = n.originator_id.hex if hasattr(n.originator_id, "hex") else str(n.originator_id)
            leaf_rows.append((size + offset, n.id, ident, n.originator_version))
            hashes.append(leaf_hash_of(n))
        # the batch's subtrees a level at a time (only nodes from before it are read)
        node_rows = merkle.batch_nodes(size, hashes, _Nodes(conn).get)
        # Plain DB-API executemany: SQLAlchemy's per-row parameter processing cost more
        # than the inserts themselves (two rows a leaf).
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        conn.exec_driver_sql(
            f"INSERT INTO {leaves.name} (leaf_index, position, originator_id, originator_version)"
            f" VALUES ({mark}, {mark}, {mark}, {mark})", leaf_rows)
        conn.exec_driver_sql(
            f"INSERT INTO {nodes.name} (level, idx, hash) VALUES ({mark}, {mark}, {mark})",
            node_rows)

    # -- reading -------------------------------------------------------------
    # Reads take the caller's connection when it has a snapshot open (storage.reading).

    @contextmanager
    def _connected(self, conn: Connection | None) -> Iterator[Connection]:
        if conn is not None:
            yield conn
        else:
            with self.engine.connect() as own:
                yield own

    def leaf_of(self, claim_id: str, conn: Connection | None = None) -> tuple[int, int]:
        """(leaf index, position) of the event that recorded a claim."""
        with self._connected(conn) as conn:
            row = conn.execute(
                select(leaves.c.leaf_index, leaves.c.position).where(
                    leaves.c.originator_id == claim_id, leaves.c.originator_version == 1)
            ).first()
        if row is None:
            raise UnknownClaimError(f"claim {claim_id} is not in the log")
        return int(row[0]), int(row[1])

    def coverage(self, position: int, conn: Connection | None = None
                 ) -> tuple[int | None, int | None]:
        """The leaf index of the event at `position` and the size of the first checkpoint
        that covers it (None for what the log or the checkpoints do not hold yet)."""
        with self._connected(conn) as conn:
            return coverage(conn, position)

    def coverages(self, positions: Collection[int], conn: Connection | None = None
                  ) -> dict[int, tuple[int | None, int | None]]:
        """`coverage` of many positions: one query a chunk of positions, and the checkpoint
        sizes read once (the first covering one found by bisection)."""
        with self._connected(conn) as conn:
            return coverages(conn, positions)

    def logged_leaf_hash(self, index: int, conn: Connection | None = None) -> bytes:
        """The leaf hash the log stores at `index` (what its tree was built from)."""
        with self._connected(conn) as conn:
            return _Nodes(conn).get(0, index)

    def claims_with_prefix(self, prefix: str, conn: Connection | None = None) -> list[str]:
        """Up to two claim ids that start with `prefix` (lowercase hex)."""
        with self._connected(conn) as conn:
            return claims_with_prefix(conn, prefix)

    def positions(self) -> list[tuple[int, int]]:
        with self.engine.connect() as conn:
            return [(int(i), int(p)) for i, p in conn.execute(
                select(leaves.c.leaf_index, leaves.c.position).order_by(leaves.c.leaf_index))]

    # -- checkpoints and proofs ------------------------------------------------

    def checkpoints(self) -> list[tuple[int, str, dt.datetime]]:
        with self.engine.connect() as conn:
            return [(int(s), str(n), t) for s, n, t in conn.execute(
                select(checkpoints.c.size, checkpoints.c.note, checkpoints.c.signed_at)
                .order_by(checkpoints.c.size))]

    def checkpoint_note(self, size: int | None = None, conn: Connection | None = None) -> str:
        if size is not None and not 0 <= size <= MAX_TREE_SIZE:  # the driver would overflow
            raise VerificationError(f"no checkpoint of size {size}: sizes run from 0 to "
                                    f"{MAX_TREE_SIZE}")
        with self._connected(conn) as conn:
            query = select(checkpoints.c.note)
            query = (query.where(checkpoints.c.size == size) if size is not None
                     else query.order_by(checkpoints.c.size.desc()))
            note = conn.execute(query.limit(1)).scalar_one_or_none()
        if note is None:
            raise VerificationError(
                "no checkpoint " + (f"of size {size}" if size is not None else "yet")
                + ": sign one with 'tally checkpoint'")
        return str(note)

    def leaf_hashes(self, first: int, last: int) -> dict[int, bytes]:
        """The leaf hashes the log stores for the events at positions first..last."""
        with self.engine.connect() as conn:
            return {int(p): bytes(h) for p, h in conn.execute(
                select(leaves.c.position, nodes.c.hash)
                .join(nodes, (nodes.c.level == 0) & (nodes.c.idx == leaves.c.leaf_index))
                .where(leaves.c.position >= first, leaves.c.position <= last))}

    def position_of_leaf(self, index: int) -> int | None:
        with self.engine.connect() as conn:
            found = conn.execute(select(leaves.c.position)
                                 .where(leaves.c.leaf_index == index)).scalar_one_or_none()
        return None if found is None else int(found)

    def trusted_frontier(self, operator_public_key: bytes, origin: str) -> merkle.Frontier:
        """The frontier at the last checkpoint, read from the stored nodes and proved equal
        to that checkpoint's signed root (the unsigned `root` column is not trusted)."""
        with self.engine.connect() as conn:
            note = conn.execute(select(checkpoints.c.note).order_by(checkpoints.c.size.desc())
                                .limit(1)).scalar_one_or_none()
            if note is None:
                return merkle.Frontier()
            signed = verify_checkpoint(str(note), operator_public_key, origin)
            frontier = merkle.Frontier.of(signed.size, _Nodes(conn).get)
        if frontier.root() != signed.root_hash:
            raise VerificationError(f"the Merkle log no longer matches checkpoint {signed.size}"
                                    ": run 'tally verify'")
        return frontier

    def sign_checkpoint(self, signer: TreeHeadSigner, now: dt.datetime,
                        verified: merkle.Frontier, registry: Sequence[int]) -> tuple[int, str]:
        """Have `signer` sign the tree head of the `verified` frontier (recomputed from
        checked events), which the stored nodes must give too (proofs are read from them),
        and seal the positions of its `registry` events; refuses a head that is not
        consistent with the last checkpoint."""
        size, root = verified.size, verified.root()
        with writing(self.engine) as conn:
            lock_for_writing(conn, "tally_log")
            store = _Nodes(conn)
            if size == 0 or size > self.size(conn) or merkle.root(size, store.get) != root:
                raise VerificationError("the Merkle log's nodes do not match the events: "
                                        "run 'tally verify'")
            last = conn.execute(select(checkpoints.c.size, checkpoints.c.note)
                                .order_by(checkpoints.c.size.desc()).limit(1)).first()
            if last is not None:
                old = verify_checkpoint(str(last[1]), signer.public_key, signer.origin)
                if old.size == size:
                    # read on this connection: another one would wait for our own write
                    # lock on SQLite (BEGIN IMMEDIATE) until the lock timeout
                    return size, str(last[1])
                merkle.verify_consistency(old.size, size, old.root_hash, root,
                                          merkle.consistency_path(old.size, size, store.get))
            note = signer.checkpoint(size, root)
            conn.execute(checkpoints.insert().values(size=size, root=root, note=note,
                                                     signed_at=now))
            positions = sorted(registry)
            conn.execute(registry_seals.insert().values(
                size=size, positions=json.dumps(positions),
                signature=signer.seal(size, root, positions)))
        return size, note

    def sealed_registry(self, head: Checkpoint, operator_key: bytes, origin: str
                        ) -> list[int] | None:
        """The registry positions sealed with checkpoint `head`, or None when there is no
        seal that verifies (a checkpoint signed before seals existed, or a seal edited)."""
        with self.engine.connect() as conn:
            if not inspect(conn).has_table(registry_seals.name):
                return None
            row = conn.execute(select(registry_seals.c.positions, registry_seals.c.signature)
                               .where(registry_seals.c.size == head.size)).first()
        if row is None:
            return None
        try:
            positions = json.loads(str(row[0]))
        except ValueError:
            return None
        if not isinstance(positions, list) or not all(type(p) is int for p in positions):
            return None
        if not registry_sealed(operator_key, origin, head.size, head.root_hash, positions,
                               str(row[1])):
            return None
        return positions

    def consistency_hashes(self, old_size: int, new_size: int) -> list[bytes]:
        """RFC 9162 PROOF(old_size, new_size) from the stored nodes (empty from size 0)."""
        if old_size == 0:
            return []
        with self.engine.connect() as conn:
            return merkle.consistency_path(old_size, new_size, _Nodes(conn).get)

    def store_cosigned(self, size: int, note: str) -> None:
        """Replace the stored checkpoint note of `size` by the same note with cosignature
        lines appended; anything else (another text, a dropped line) is refused."""
        with writing(self.engine) as conn:
            lock_for_writing(conn, "tally_log")
            stored = conn.execute(select(checkpoints.c.note)
                                  .where(checkpoints.c.size == size)).scalar_one_or_none()
            if stored is None or not note.startswith(str(stored)):
                raise VerificationError(f"the cosigned note does not extend checkpoint {size}")
            conn.execute(checkpoints.update().where(checkpoints.c.size == size)
                         .values(note=note))

    def inclusion_proof(self, claim_id: str, leaf: bytes, size: int | None,
                        operator_public_key: bytes,
                        conn: Connection | None = None, *, index: int | None = None,
                        event_id: str | None = None) -> InclusionProof:
        """Proof of a claim's recording event (its leaf found by `claim_id`), or with `index`
        and `event_id` of the correction or retraction `event_id` at that leaf."""
        note = self.checkpoint_note(size, conn)
        checkpoint = verify_checkpoint(note, operator_public_key)
        if index is None:
            index, _ = self.leaf_of(claim_id, conn)
        if index >= checkpoint.size:
            raise VerificationError(
                f"{'claim ' + claim_id if event_id is None else event_id} is not yet covered "
                f"by checkpoint {checkpoint.size}: run 'tally checkpoint' first")
        with self._connected(conn) as conn:
            path = merkle.inclusion_path(index, checkpoint.size, _Nodes(conn).get)
        return InclusionProof(
            claim_id=claim_id, event_id=event_id, leaf_index=index, tree_size=checkpoint.size,
            leaf=leaf.decode("utf-8"), leaf_hash=merkle.leaf_hash(leaf).hex(),
            path=[p.hex() for p in path], checkpoint=note)

    def consistency_proof(self, old_size: int, new_size: int,
                          conn: Connection | None = None) -> ConsistencyProof:
        old_note = self.checkpoint_note(old_size, conn)
        new_note = self.checkpoint_note(new_size, conn)
        with self._connected(conn) as conn:
            store = _Nodes(conn)
            path = merkle.consistency_path(old_size, new_size, store.get)
            old_root, new_root = merkle.root(old_size, store.get), merkle.root(new_size, store.get)
        return ConsistencyProof(
            old_size=old_size, new_size=new_size, old_root=old_root.hex(),
            new_root=new_root.hex(), path=[p.hex() for p in path],
            old_checkpoint=old_note, new_checkpoint=new_note)


# -- reads on a connection, for readers that open no event store (`projections.reader`) --

def last_position(conn: Connection) -> int:
    """The position of the last event in the log (0 when it is empty)."""
    return int(conn.execute(select(func.max(leaves.c.position))).scalar_one() or 0)


def claims_with_prefix(conn: Connection, prefix: str) -> list[str]:
    """Up to two aggregate ids logged at version 1 that start with `prefix` (lowercase hex)."""
    bounds = id_prefix_range(prefix)
    if bounds is None:
        return []
    ident = leaves.c.originator_id
    return list(conn.execute(select(ident).where(
        ident >= bounds[0], ident < bounds[1], leaves.c.originator_version == 1).limit(2))
        .scalars())


def coverage(conn: Connection, position: int) -> tuple[int | None, int | None]:
    """The leaf index of the event at `position` and the size of the first checkpoint that
    covers it (None for what the log or the checkpoints do not hold yet)."""
    index = conn.execute(select(leaves.c.leaf_index)
                         .where(leaves.c.position == position)).scalar_one_or_none()
    if index is None:
        return None, None
    size = conn.execute(select(func.min(checkpoints.c.size))
                        .where(checkpoints.c.size > index)).scalar_one_or_none()
    return int(index), None if size is None else int(size)


def coverages(conn: Connection, positions: Collection[int]
              ) -> dict[int, tuple[int | None, int | None]]:
    """`coverage` of many positions: one query a chunk of positions, and the checkpoint
    sizes read once (the first covering one found by bisection)."""
    found: dict[int, tuple[int | None, int | None]] = {p: (None, None) for p in positions}
    sizes = [int(s) for s in conn.execute(
        select(checkpoints.c.size).order_by(checkpoints.c.size)).scalars()]
    for chunk in in_chunks(sorted(found)):
        for index, position in conn.execute(
                select(leaves.c.leaf_index, leaves.c.position)
                .where(leaves.c.position.in_(chunk))):
            at = bisect.bisect_right(sizes, int(index))
            found[int(position)] = (int(index), sizes[at] if at < len(sizes) else None)
    return found
