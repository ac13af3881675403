"""The read model's queries, and a way to answer them without the event store.

`Views` answers every read command from the `tally_view_*` tables, the Merkle log's tables
and the signed bodies of the events it shows (read from the event table with SQLAlchemy
alone, `infra.event_rows`). `ReadModel` (projections.readmodel) is a `Views` that also
catches the tables up from the event store, which loads the whole write side.

`open_views` gives a `Views` on the tables directly when nothing lags: the Merkle log holds
every stored event, and the read model has projected and settled them all with this
version's schema. Then nothing is left to check or project, and a read command loads
neither eventsourcing nor the write side. When something lags it gives None, and the
caller opens the ledger, which catches up (checking what it logs) or, read-only, names
what lags, as before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, inspect, select
from sqlalchemy.exc import SQLAlchemyError

from tally.ledger.errors import UnknownClaimError, UnknownFigureError
from tally.ledger.infra import merkle_log
from tally.ledger.infra.access import open_store
from tally.ledger.infra.event_rows import APPLICATION, EventRow, EventRows
from tally.ledger.infra.storage import reading
from tally.projections import queries
from tally.projections import tables as t
from tally.projections.cases import definitions, overview
from tally.projections.claim_search import ClaimFilters, ClaimList, search
from tally.projections.models import (
    CaseList,
    CaseOut,
    ClaimOut,
    DiscrepancyList,
    FigureList,
    HistoryOut,
    ProvenanceOut,
    ShowOut,
    SourceList,
)
from tally.projections.provenance import provenance as provenance_query
from tally.projections.provenance import provenances as provenances_query
from tally.projections.rows import Coverage, Coverages, Signed
from tally.projections.site_queries import FigureAnswers, IndexRow, figure_answers, index


def tracked(conn: Connection, name: str) -> int | None:
    """The last position the read model named `name` has projected (None before any)."""
    found = conn.execute(select(t.tracking.c.notification_id)
                         .where(t.tracking.c.application_name == name)).scalar_one_or_none()
    return None if found is None else int(found)


def read_model_lag(conn: Connection, name: str, last: int) -> str | None:
    """What keeps the read model from answering for events up to position `last`, in a
    few words ("read model stops at position 7 of 9"), or None when it is whole."""
    if not inspect(conn).has_table(t.schema.name) or conn.execute(
            select(t.schema.c.version)).scalar_one_or_none() != t.SCHEMA_VERSION:
        return "read model is missing or was made by another version of Tally"
    if (reached := tracked(conn, name) or 0) < last:
        return f"read model stops at position {reached} of {last}"
    if conn.execute(select(t.dirty).limit(1)).first() is not None:
        return "read model has figures left to settle"
    return None


class Views:
    """The queries, on `engine`, reading signed bodies through `rows`."""

    def __init__(self, engine: Engine, rows: EventRows) -> None:
        self.engine = engine
        self.rows = rows

    # -- queries -------------------------------------------------------------------
    # Each query reads one snapshot (storage.reading), the signed bodies it shows included.

    def _signed(self, conn: Connection) -> Signed:
        return lambda positions: self.rows.signed(conn, positions, EventRow)

    def _coverage(self, conn: Connection) -> Coverage:
        return lambda position: merkle_log.coverage(conn, position)

    def _coverages(self, conn: Connection) -> Coverages:
        return lambda positions: merkle_log.coverages(conn, positions)

    def show(self, figure: str, as_of: str | None = None,
             known_at: int | dt.datetime | None = None) -> ShowOut:
        with reading(self.engine) as conn:
            return queries.show(conn, figure, self._signed(conn), as_of=as_of,
                                known_at=known_at)

    def history(self, figure: str, known_at: int | dt.datetime | None = None,
                period: str | None = None) -> HistoryOut:
        with reading(self.engine) as conn:
            return queries.history(conn, figure, self._signed(conn), known_at=known_at,
                                   period=period)

    def claims(self, figure: str, known_at: int | dt.datetime | None = None) -> list[ClaimOut]:
        with reading(self.engine) as conn:
            return queries.claims(conn, figure, self._signed(conn), known_at=known_at)

    def claim_rows(self) -> list[dict[str, object]]:
        with reading(self.engine) as conn:
            return queries.claim_rows(conn, self._signed(conn))

    def recent_quotes(self, per_figure: int = 3) -> dict[str, list[str]]:
        """Each figure's latest quotes (by position, at most `per_figure`): what `tally
        extract` ranks the figures it suggests by."""
        found: dict[str, list[str]] = {}
        for row in sorted(self.claim_rows(), key=lambda r: -int(str(r["position"]))):
            quotes = found.setdefault(str(row["figure"]), [])
            if row["quote"] and len(quotes) < per_figure:
                quotes.append(str(row["quote"]))
        return found

    def discrepancies(self, figure: str | None = None, kind: str | None = None,
                      known_at: int | dt.datetime | None = None, limit: int | None = None,
                      offset: int = 0) -> DiscrepancyList:
        with reading(self.engine) as conn:
            return queries.discrepancies(conn, figure, kind, known_at, limit, offset)

    def provenance(self, claim_id: str) -> ProvenanceOut:
        with self.withheld_named(claim_id), reading(self.engine) as conn:
            return provenance_query(conn, claim_id, self._signed(conn), self._coverage(conn))

    def events_engine(self) -> Engine:
        """The engine of the ledger's event store (the read model's tables may be apart)."""
        return self.engine

    @contextmanager
    def withheld_named(self, ref: str) -> Iterator[None]:
        """A claim the read model does not know because an order withheld it whole is
        named as such, not as unknown."""
        try:
            yield
        except UnknownClaimError as unknown:
            with reading(self.events_engine()) as conn:
                found = merkle_log.claims_with_prefix(conn, ref.strip().lower())
                note = self.rows.withholdings(conn, found).get(found[0]) \
                    if len(found) == 1 else None
            if note is None:
                raise
            raise UnknownClaimError(f"claim {found[0]} is withheld whole {note}: its events "
                                    "keep only their leaf hashes") from unknown

    def provenances(self, claim_ids: Sequence[str]) -> list[ProvenanceOut]:
        """`provenance` of each of these full claim ids, in one snapshot and a few queries
        a chunk of ids (what a publish of every claim's page needs)."""
        with reading(self.engine) as conn:
            return provenances_query(conn, claim_ids, self._signed(conn),
                                     self._coverages(conn))

    def figure_answers(self, figure_ids: Sequence[str]) -> list[FigureAnswers]:
        """`show`, `history` and `claims` of each of these figures, in one snapshot and a
        few queries a chunk of figures (what a publish of every figure's pages needs)."""
        with reading(self.engine) as conn:
            return figure_answers(conn, figure_ids, self._signed(conn))

    def index(self) -> list[IndexRow]:
        """Every figure with its value in force, as `show` gives it (the site's index)."""
        with reading(self.engine) as conn:
            return index(conn, self._signed(conn))

    def figures(self, prefix: str | None = None) -> FigureList:
        with reading(self.engine) as conn:
            return queries.figures(conn, prefix)

    def show_or_case(self, figure: str, as_of: str | None = None,
                     known_at: int | dt.datetime | None = None) -> ShowOut | CaseOut:
        """`show` of a figure; for a prefix that is no figure's id but holds figures (and
        with neither `as_of` nor `known_at`), the case overview."""
        with reading(self.engine) as conn:
            try:
                return queries.show(conn, figure, self._signed(conn), as_of=as_of,
                                    known_at=known_at)
            except UnknownFigureError:
                if as_of is not None or known_at is not None:
                    raise
                case = overview(conn, figure)
                if not case.figures:
                    raise
                return case

    def claims_matching(self, filters: ClaimFilters, known_at: int | dt.datetime | None = None,
                        limit: int | None = None, offset: int = 0) -> ClaimList:
        """`tally claims`: see `claim_search`."""
        with reading(self.engine) as conn:
            return search(conn, self._signed(conn), filters, known_at, limit, offset)

    def sources(self) -> SourceList:
        with reading(self.engine) as conn:
            return queries.sources(conn)

    def cases(self) -> CaseList:
        """`tally cases list`: the cases' signed definitions."""
        with reading(self.engine) as conn:
            return definitions(conn)


def open_views(db: str | None) -> Views | None:
    """`Views` on the ledger at `db` when its Merkle log and read model have caught up with
    its event store, else None (the caller opens the ledger to catch them up). Refuses, as
    opening the ledger does, a database that is not a Tally ledger. The caller disposes of
    the Views' engine (its own) when done."""
    store = open_store(db)
    engine = store.engine()
    rows = EventRows(store)
    try:
        with reading(engine) as conn:
            last = rows.max_position(conn)
            lags = (merkle_log.last_position(conn) < last
                    or read_model_lag(conn, APPLICATION, last) is not None)
    except SQLAlchemyError:  # a table missing, say: opening the ledger says what is wrong
        lags = True
    if lags:
        engine.dispose()
        return None
    return Views(engine, rows)
