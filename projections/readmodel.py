"""The read model: catches up from the ledger's notification log, rebuilds, and answers queries.

Each batch of notifications is projected in one transaction that also
advances the tracking record (an eventsourcing `Tracking`), so the rows
reflect every event up to the tracked position exactly once. Batches are
serialised across processes by `lock_for_writing(conn, "tally_views")`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from eventsourcing.persistence import Tracking
from sqlalchemy import Connection, Engine, create_engine, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool

from ledger.application import Ledger
from ledger.errors import StorageError
from ledger.storage import create_tables, lock_for_writing
from projections import queries
from projections import tables as t
from projections.compare import differences, snapshot
from projections.models import (
    ClaimOut,
    DiscrepancyList,
    FigureList,
    HistoryOut,
    ProvenanceOut,
    ShowOut,
    SourceList,
)
from projections.projector import Projector
from projections.provenance import provenance as provenance_query
from projections.views import EntryCache

LOCK = "tally_views"
Progress = Callable[[int, int], None]


class TrackingConflictError(Exception):
    """Another writer advanced the tracking record first; the batch was rolled back."""


def _tracked(conn: Connection, name: str) -> int | None:
    found = conn.execute(select(t.tracking.c.notification_id)
                         .where(t.tracking.c.application_name == name)).scalar_one_or_none()
    return None if found is None else int(found)


def _record(conn: Connection, tracking: Tracking, previous: int | None) -> None:
    """Advance the tracking record from `previous`, or fail: a compare-and-set, exactly once."""
    if previous is None:
        conn.execute(insert(t.tracking).values(application_name=tracking.application_name,
                                               notification_id=tracking.notification_id))
        return
    moved = conn.execute(
        update(t.tracking)
        .where(t.tracking.c.application_name == tracking.application_name,
               t.tracking.c.notification_id == previous)
        .values(notification_id=tracking.notification_id))
    if moved.rowcount != 1:
        raise TrackingConflictError(f"tracking moved past {previous} during this batch")


class ReadModel:
    """The projected tables of one ledger, kept in `engine` (the ledger's own by default)."""

    def __init__(self, ledger: Ledger, engine: Engine | None = None) -> None:
        self.ledger = ledger
        self.engine = engine or ledger.engine
        self.name = ledger.app.name
        self._entries = EntryCache()
        self._figures: dict[str, dict[str, Any]] = {}  # committed figure rows, by id
        create_tables(self.engine, t.metadata.create_all)

    def attach(self) -> ReadModel:
        """Catch up after every write to the ledger (idempotent)."""
        if self._listener not in self.ledger.listeners:
            self.ledger.listeners.append(self._listener)
        return self

    def _listener(self) -> None:
        self.catch_up()

    def position(self) -> int:
        """The last ledger position whose events are in the tables (0 before any)."""
        with self.engine.connect() as conn:
            return _tracked(conn, self.name) or 0

    def catch_up(self, batch_size: int = 500, progress: Progress | None = None,
                 stop: int | None = None) -> int:
        """Project every event not yet projected (up to `stop`), one commit per batch."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        total = self.ledger.max_position() if stop is None else stop
        conflicts = 0
        while True:
            try:
                last = self._batch(batch_size, stop)
            except (TrackingConflictError, IntegrityError):
                # Someone else projected this batch first; read the tracking record again.
                conflicts += 1
                if conflicts > 3:
                    raise StorageError("the read model's tracking record keeps moving under "
                                       "this catch-up; run 'tally rebuild'") from None
                continue
            if last is None:
                return self.position()
            if progress is not None:
                progress(last, max(total, last))

    def _batch(self, batch_size: int, stop: int | None) -> int | None:
        try:
            with self.engine.begin() as conn:
                lock_for_writing(conn, LOCK)
                previous = _tracked(conn, self.name)
                if previous is None or previous != self._entries.position:
                    self._entries.clear()  # someone else moved the tables on: reload
                batch = self.ledger.notifications(start=(previous or 0) + 1, limit=batch_size,
                                                  stop=stop)
                if not batch:
                    return None
                projector = Projector(conn, self.ledger.app.mapper.to_domain_event,
                                      self._entries, self._figures)
                projector.apply(batch)
                projector.flush()
                _record(conn, Tracking(self.name, batch[-1].id), previous)
            # committed: the figure rows it read or wrote hold from now on (never redefined)
            self._figures.update(projector.figure_rows())
        except BaseException:
            self._entries.clear()  # it may hold entries of the batch rolled back
            raise
        self._entries.position = batch[-1].id
        return batch[-1].id

    def rebuild(self, progress: Progress | None = None, batch_size: int = 500) -> int:
        """Drop every projected row and the tracking record, then catch up from scratch."""
        with self.engine.begin() as conn:
            lock_for_writing(conn, LOCK)
            t.metadata.drop_all(conn)
            t.metadata.create_all(conn)
        self._entries.clear()
        self._figures.clear()
        if progress is not None:
            progress(0, self.ledger.max_position())
        return self.catch_up(batch_size=batch_size, progress=progress)

    def diff_against_rebuild(self) -> list[str]:
        """Differences between these tables and a rebuild, in memory, to the same position."""
        position = self.position()
        memory = create_engine("sqlite://", poolclass=StaticPool)
        try:
            fresh = ReadModel(self.ledger, memory)
            if position:
                fresh.catch_up(stop=position)
            with self.engine.connect() as live, memory.connect() as rebuilt:
                return differences(snapshot(live), snapshot(rebuilt))
        finally:
            memory.dispose()

    # -- queries -------------------------------------------------------------------

    def show(self, figure: str, as_of: str | None = None,
             known_at: int | dt.datetime | None = None) -> ShowOut:
        with self.engine.connect() as conn:
            return queries.show(conn, figure, as_of=as_of, known_at=known_at)

    def history(self, figure: str, known_at: int | dt.datetime | None = None) -> HistoryOut:
        with self.engine.connect() as conn:
            return queries.history(conn, figure, known_at=known_at)

    def claims(self, figure: str, known_at: int | dt.datetime | None = None) -> list[ClaimOut]:
        with self.engine.connect() as conn:
            return queries.claims(conn, figure, known_at=known_at)

    def claim_rows(self) -> list[dict[str, object]]:
        with self.engine.connect() as conn:
            return queries.claim_rows(conn)

    def discrepancies(self, figure: str | None = None) -> DiscrepancyList:
        with self.engine.connect() as conn:
            return queries.discrepancies(conn, figure)

    def provenance(self, claim_id: str) -> ProvenanceOut:
        with self.engine.connect() as conn:
            return provenance_query(conn, claim_id)

    def figures(self) -> FigureList:
        with self.engine.connect() as conn:
            return queries.figures(conn)

    def sources(self) -> SourceList:
        with self.engine.connect() as conn:
            return queries.sources(conn)
