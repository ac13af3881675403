"""The read model: catches up from the ledger's notification log, rebuilds, and answers queries.

Each batch of notifications is projected in one transaction that also
advances the tracking record (as eventsourcing's own trackers do), so the rows
reflect every event up to the tracked position exactly once. Batches are
serialised across processes by `lock_for_writing(conn, "tally_views")`.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    event,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from tally.ledger.application import Ledger
from tally.ledger.errors import StorageError, TrackingConflictError, VerificationError
from tally.ledger.infra.access import lag_error
from tally.ledger.infra.event_rows import state_bytes
from tally.ledger.infra.eventstore import Notification
from tally.ledger.infra.storage import create_tables, lock_for_writing, read_only, reading, writing
from tally.ledger.infra.worker_pool import Apart, run_apart, run_async
from tally.ledger.progress import Progress
from tally.projections import tables as t
from tally.projections.citing import Cited, cite
from tally.projections.compare import compare
from tally.projections.event_facts import Facts, event_facts
from tally.projections.projector import Projector
from tally.projections.reader import Views, read_model_lag, tracked
from tally.projections.recompute import affected, definitions_for, settle
from tally.projections.rows import Coverage, Coverages, EventCheck, Signed

LOCK = "tally_views"
SETTLE_CHUNK = 2000  # dirty figures recomputed per transaction
PROJECTING, SETTLING = "projecting events", "settling figures"
# A catch-up at least this many events behind has each next batch's facts worked out in the
# worker processes while it writes the batch before (`event_facts`); below it, starting the
# workers (about 0.25 CPU s each) costs more than they save. Measured: docs/performance.md.
READ_AHEAD_FROM = 5000
SETTLE_IN_WORKERS_FROM = 500  # dirty figures, likewise for settling (`recompute._in_workers`)


class _Ahead(NamedTuple):
    """The batch read after the one being written, from `start`, its facts on their way."""

    start: int
    batch: Sequence[Notification]
    facts: Callable[[], list[Facts | None]]


def _record(conn: Connection, name: str, position: int, previous: int | None) -> None:
    """Advance the tracking record from `previous`, or fail: a compare-and-set, exactly once."""
    if previous is None:
        conn.execute(insert(t.tracking).values(application_name=name, notification_id=position))
        return
    moved = conn.execute(
        update(t.tracking)
        .where(t.tracking.c.application_name == name,
               t.tracking.c.notification_id == previous)
        .values(notification_id=position))
    if moved.rowcount != 1:
        raise TrackingConflictError(f"tracking moved past {previous} during this batch")


def _create_current_schema(conn: Connection, fresh: bool = False) -> None:
    """Create the tables; drop them first when `fresh` or when they were made by another
    version of Tally (a read model is derived: the next catch-up fills it again)."""
    meta = t.schema.c
    if not fresh and inspect(conn).has_table(t.schema.name):
        found = conn.execute(select(meta.version)).scalar_one_or_none()
        fresh = found != t.SCHEMA_VERSION
    elif not fresh:
        fresh = inspect(conn).has_table(t.tracking.name)  # tables from before versioning
    if fresh:
        t.metadata.drop_all(conn)
    t.metadata.create_all(conn)
    if conn.execute(select(meta.version)).scalar_one_or_none() is None:
        conn.execute(insert(t.schema).values(version=t.SCHEMA_VERSION))


class ReadModel(Views):
    """The projected tables of one ledger, kept in `engine` (the ledger's own by default),
    caught up from its event store; the queries are those of `Views`."""

    def __init__(self, ledger: Ledger, engine: Engine | None = None,
                 check: EventCheck | None = None) -> None:
        super().__init__(engine or ledger.engine, ledger.events.rows)
        self.ledger = ledger
        # every event projected and every signed body shown must pass `check` (a publish
        # checks them against its signed tree's leaves: `ledger.verify.trusted_leaves`)
        self.check = check
        self.name = ledger.events.name
        self._figures: dict[str, dict[str, Any]] = {}  # committed figure rows, by id
        self._ahead: _Ahead | None = None
        create_tables(self.engine, _create_current_schema)

    def apart(self, engine: Engine, check: EventCheck) -> ReadModel:
        """The same ledger's read model kept in `engine`, every event it projects or shows
        passing `check` first (what a publish renders from)."""
        return ReadModel(self.ledger, engine, check)

    def attach(self) -> ReadModel:
        """Catch up after every write to the ledger (idempotent)."""
        if self._listener not in self.ledger.journal.listeners:
            self.ledger.journal.listeners.append(self._listener)
        return self

    def _listener(self, settle: bool, progress: Progress | None) -> None:
        self.catch_up(settle=settle, progress=progress if settle else None)

    def position(self) -> int:
        """The last ledger position whose events are in the tables (0 before any)."""
        with self.engine.connect() as conn:
            return tracked(conn, self.name) or 0

    def catch_up(self, batch_size: int = 1000, progress: Progress | None = None,
                 stop: int | None = None, settle: bool = True) -> int:
        """Project every event not yet projected (up to `stop`), one commit per batch, then
        (unless `settle` is False: more is coming) recompute the figures they touched."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if read_only(self.engine):
            self._require_caught_up()
            return self.position()
        total = self.ledger.events.max_position() if stop is None else stop
        # (a ledger smaller than that needs no look at the tracking record to know)
        read_ahead = total >= READ_AHEAD_FROM and total - self.position() >= READ_AHEAD_FROM
        conflicts = 0
        while True:
            try:
                last = self._batch(batch_size, stop, read_ahead)
            except (TrackingConflictError, IntegrityError):
                # Someone else projected this batch first; read the tracking record again.
                conflicts += 1
                if conflicts > 3:
                    raise StorageError("the read model's tracking record keeps moving under "
                                       "this catch-up; run 'tally rebuild'") from None
                continue
            if last is None:
                break
            if progress is not None:
                progress(PROJECTING, last, max(total, last))
        if settle:
            self.settle(progress=progress)
        return self.position()

    def _require_caught_up(self) -> None:
        """On a ledger opened read-only nothing can be projected: the tables must be whole."""
        last = self.ledger.events.max_position()
        with self.engine.connect() as conn:
            lag = read_model_lag(conn, self.name, last)
        if lag is not None:
            raise lag_error(self.ledger.store, lag)

    def settle(self, chunk: int = SETTLE_CHUNK, progress: Progress | None = None) -> None:
        """Recompute the figures the projected batches left dirty, `chunk` per transaction
        (a crash leaves the rest listed for the next catch-up)."""
        done = 0
        with self.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(t.dirty)).scalar_one()
        in_workers = total >= SETTLE_IN_WORKERS_FROM
        while True:
            with writing(self.engine) as conn:
                lock_for_writing(conn, LOCK)
                settled = settle(conn, chunk, in_workers)
            if not settled:
                return
            done += settled
            if progress is not None:
                progress(SETTLING, done, max(done, total))

    def _batch(self, batch_size: int, stop: int | None, read_ahead: bool = False
               ) -> int | None:
        ahead, self._ahead = self._ahead, None
        with writing(self.engine) as conn:
                lock_for_writing(conn, LOCK)
                previous = tracked(conn, self.name)
                # only what the Merkle log took: it checks what no process of ours checked
                logged = self.ledger.journal.logged_position()
                limit = logged if stop is None else min(stop, logged)
                start = (previous or 0) + 1
                facts = None
                if ahead is not None and ahead.start == start and ahead.batch[-1].id <= limit:
                    batch, facts = ahead.batch, ahead.facts
                else:  # none read ahead, or another process projected meanwhile
                    batch = self.ledger.events.notifications(start, batch_size, stop=limit)
                if not batch:
                    return None
                if self.check is not None:
                    self.check(batch, previous or 0)
                if read_ahead:
                    self._ahead = self._read_ahead(batch[-1].id + 1, batch_size, limit)
                projector = Projector(conn, self.ledger.events.decode,
                                      self._figures)
                projector.apply(batch, None if facts is None else facts())
                projector.flush()
                _record(conn, self.name, batch[-1].id, previous)
        # committed: the figure rows it read or wrote hold from now on (never redefined)
        self._figures.update(projector.figure_rows())
        return batch[-1].id

    def _read_ahead(self, start: int, batch_size: int, limit: int) -> _Ahead | None:
        """The next batch, its facts started in the workers (logged events do not change,
        but for a stub that replaces a body: its order, further on, takes the rows away)."""
        batch = self.ledger.events.notifications(start, batch_size, stop=limit)
        if not batch:
            return None
        return _Ahead(start, batch, run_async(event_facts, [(n.topic, _state(n)) for n in batch]))

    def rebuild(self, progress: Progress | None = None, batch_size: int = 2000) -> int:
        """Drop every projected row and the tracking record, then catch up from scratch."""
        with writing(self.engine) as conn:
            lock_for_writing(conn, LOCK)
            _create_current_schema(conn, fresh=True)
        self._figures.clear()
        if progress is not None:
            progress(PROJECTING, 0, self.ledger.events.max_position())
        return self.catch_up(batch_size=batch_size, progress=progress)

    def diff_against_rebuild(self) -> list[str]:
        """Differences between these tables and a rebuild to the same position, compared a
        batch of rows at a time (`compare`), so memory stays flat whatever the size."""
        # one snapshot of the live tables: a writer may project more batches meanwhile
        with reading(self.engine) as live:
            position = tracked(live, self.name) or 0
            dirty = set(live.execute(select(t.dirty.c.figure)).scalars())
            unsettled = frozenset(affected(definitions_for(live, dirty), dirty))
            with rebuilt(self.ledger, stop=position) as fresh, fresh.engine.connect() as copy:
                return compare(live, copy, unsettled=unsettled)

    def diff_apart(self) -> Apart:
        """`diff_against_rebuild`, started in a process of its own, so that the caller's own
        work (`tally verify`'s audit) runs beside it; `.wait()` gives the differences."""
        store = self.ledger.store
        if self.engine is not self.ledger.engine or (store.is_sqlite and
                                                     store.sqlite_path is None):
            # tables kept apart, or in memory: no other process can open them
            return run_apart(ReadModel.diff_against_rebuild, self, in_place=True)
        return run_apart(diff_of, store.url.render_as_string(hide_password=False))

    # -- queries: those of Views, with signed bodies read through the ledger's event store
    # (also when the tables are kept apart from it), and `cite`

    def _signed(self, conn: Connection) -> Signed:
        if self.engine is not self.ledger.engine:  # tables kept apart from the event store
            check = self.check
            return lambda positions: self.ledger.events.signed(
                positions, check=None if check is None else lambda found: check(found, None))
        return lambda positions: self.ledger.events.signed(positions, conn)

    def _coverage(self, conn: Connection) -> Coverage:
        if self.engine is not self.ledger.engine:
            return self.ledger.log.coverage
        return lambda position: self.ledger.log.coverage(position, conn)

    def _coverages(self, conn: Connection) -> Coverages:
        if self.engine is not self.ledger.engine:
            return self.ledger.log.coverages
        return lambda positions: self.ledger.log.coverages(positions, conn)

    def events_engine(self) -> Engine:
        return self.ledger.engine

    def cite(self, ref: str, size: int | None = None) -> Cited:
        """`tally proof`: a claim's, correction's or retraction's proof, and its claim's
        status now (see `citing`)."""
        with self.withheld_named(ref), reading(self.engine) as conn:
            same = conn if self.engine is self.ledger.engine else None
            return cite(conn, self.ledger, ref, size, self._signed(conn), same)


def diff_of(db: str) -> list[str]:
    """A job for a process of its own (`ReadModel.diff_apart`): the read model of the ledger
    at `db` against a rebuild."""
    with Ledger.open(db) as ledger:
        return ReadModel(ledger).diff_against_rebuild()


def _state(n: Notification) -> bytes:
    try:
        return state_bytes(n.state)
    except VerificationError:  # no facts: the main process decodes it, and says what is wrong
        return b""


def scratch_engine(path: Path) -> Engine:
    """An engine on a SQLite file only this process uses: no journal, no syncs (a crash
    loses a file nobody else reads)."""
    def throwaway(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=OFF")
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()

    engine = create_engine(f"sqlite:///{path}")
    event.listen(engine, "connect", throwaway)
    return engine


@contextmanager
def rebuilt(ledger: Ledger, stop: int | None = None) -> Iterator[ReadModel]:
    """A read model rebuilt from the ledger's logged events (up to position `stop`) in a
    throwaway SQLite file, removed afterwards (also on error): what the events say, whatever
    the live `tally_view_*` tables hold."""
    directory = tempfile.mkdtemp(prefix="tally-rebuild-")
    try:
        scratch = scratch_engine(Path(directory) / "rebuild.db")
        try:
            fresh = ReadModel(ledger, scratch)
            if stop is None or stop:
                fresh.catch_up(stop=stop)
            yield fresh
        finally:
            scratch.dispose()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
