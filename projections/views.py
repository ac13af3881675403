"""Loading figures' claims from history rows and recomputing their derived views.

`current` and `discrepancies` are functions of the history rows, so after a
batch only the figures it touched, and the totals whose parts it touched, are
recomputed. The same loaders, filtered by position, answer `known_at` queries.

Cost of a recompute: the rules, O(k log k + P) for a figure's k claims and P
as_of-overlapping or flagged pairs (see `rules`), plus one indexed range scan
per affected figure (and its parts) that is not in the `EntryCache`, so a long
catch-up reads each figure's history once rather than once per batch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, delete, or_, select

from projections import tables as t
from projections.claims import ClaimState, Entry, FigureDef, fold
from projections.rows import dumps, entry_of, figure_def, interval_columns
from projections.rules import Current, Flag, current, figure_flags

_CHUNK = 500  # ids per IN (...) list, well under every engine's parameter limit


class EntryCache:
    """Figures' history entries as committed at `position`, kept between batches.

    Valid only while nobody else advanced the tracking record: the read model
    checks `position` against the tracked one at the start of every batch, and
    clears the cache when they differ or a batch fails. Bounded by `limit` entries.
    """

    def __init__(self, limit: int = 250_000) -> None:
        self.limit = limit
        self.position: int | None = None
        self.by_figure: dict[str, list[Entry]] = {}

    def clear(self) -> None:
        self.position = None
        self.by_figure = {}

    def load(self, conn: Connection, figure_ids: Collection[str],
             new: Mapping[str, Sequence[Entry]]) -> dict[str, list[ClaimState]]:
        """Claims of `figure_ids`; `new` holds this batch's entries, already in the table."""
        missing = [f for f in figure_ids if f not in self.by_figure]
        for f in figure_ids:
            if f in self.by_figure:
                self.by_figure[f].extend(new.get(f, ()))
        loaded = entries(conn, missing)
        self.by_figure.update({f: loaded.get(f, []) for f in missing})
        found = {f: fold(self.by_figure[f]) for f in figure_ids}
        if sum(len(es) for es in self.by_figure.values()) > self.limit:
            self.by_figure = {}
        return found


def _chunks(items: Collection[str], size: int = _CHUNK) -> Iterator[list[str]]:
    ordered = sorted(items)
    for i in range(0, len(ordered), size):
        yield ordered[i : i + size]


def definitions(conn: Connection, known_at: int | None = None) -> dict[str, FigureDef]:
    """Figure definitions, as known at position `known_at` (all of them when None)."""
    query = select(t.figures)
    if known_at is not None:
        query = query.where(t.figures.c.position <= known_at)
    return {row["figure_id"]: figure_def(row) for row in conn.execute(query).mappings()}


def definitions_for(conn: Connection, figure_ids: Collection[str],
                    known_at: int | None = None) -> dict[str, FigureDef]:
    """The definitions of `figure_ids` and of every total that has one of them as a part:
    what showing or recomputing a few figures needs, without reading every definition (a
    large ledger defines tens of thousands, and `definitions` costs milliseconds each 1,000).
    """
    f = t.figures.c

    def load(where: Any) -> dict[str, FigureDef]:
        query = select(t.figures).where(where)
        if known_at is not None:
            query = query.where(f.position <= known_at)
        return {row["figure_id"]: figure_def(row) for row in conn.execute(query).mappings()}

    ids = set(figure_ids)
    found: dict[str, FigureDef] = {}
    for chunk in _chunks(ids):
        found.update(load(f.figure_id.in_(chunk)))
    for chunk in _chunks(ids, 32):
        # `parts` is JSON text: LIKE '%"id"%' narrows the scan, the parsed list decides
        named = or_(*(f.parts.contains(dumps(i), autoescape=True) for i in chunk))
        found.update({k: d for k, d in load(named).items() if ids.intersection(d.parts)})
    return found


def entries(conn: Connection, figure_ids: Collection[str],
            known_at: int | None = None) -> dict[str, list[Entry]]:
    """History entries of some figures, grouped by figure, up to position `known_at`."""
    found: dict[str, list[Entry]] = defaultdict(list)
    for chunk in _chunks(figure_ids):
        query = select(t.history).where(t.history.c.figure.in_(chunk))
        if known_at is not None:
            query = query.where(t.history.c.position <= known_at)
        for row in conn.execute(query).mappings():
            found[row["figure"]].append(entry_of(row))
    return found


def claims(conn: Connection, figure_ids: Collection[str],
           known_at: int | None = None) -> dict[str, list[ClaimState]]:
    return {f: fold(es) for f, es in entries(conn, figure_ids, known_at).items()}


def affected(defs: Mapping[str, FigureDef], touched: Collection[str]) -> set[str]:
    """The touched figures and every total that has one of them as a part."""
    hit = set(touched)
    return {f for f in defs if f in hit or hit.intersection(defs[f].parts)}


def with_parts(defs: Mapping[str, FigureDef], figure_ids: Collection[str]) -> set[str]:
    return set(figure_ids).union(*(defs[f].parts for f in figure_ids if f in defs))


def evaluate(
    defs: Mapping[str, FigureDef], found: Mapping[str, Sequence[ClaimState]], figure_id: str
) -> tuple[list[Flag], Current]:
    """The flags attributed to one figure and its value in force, by the pure rules."""
    definition = defs[figure_id]
    own = found.get(figure_id, [])
    flags = figure_flags(definition, own, {p: found.get(p, []) for p in definition.parts})
    return flags, current(own, flags)


def recompute(conn: Connection, touched: Collection[str], cache: EntryCache,
              new: Mapping[str, Sequence[Entry]]) -> None:
    """Replace the `current` rows and flags of the figures affected by `touched`."""
    # a single command touches a figure or two: read just their definitions
    defs = definitions(conn) if len(touched) > 32 else definitions_for(conn, touched)
    figs = affected(defs, touched)
    found = cache.load(conn, with_parts(defs, figs), new)
    current_rows, flag_rows = [], []
    for figure_id in sorted(figs):
        flags, now = evaluate(defs, found, figure_id)
        flag_rows += [{"id": f.id, "kind": f.kind, "figure": f.figure,
                       "claim_ids": dumps(list(f.claim_ids)), "detail": f.detail} for f in flags]
        current_rows.append(current_row(figure_id, now, found.get(figure_id, [])))
    for chunk in _chunks(figs):
        conn.execute(delete(t.current).where(t.current.c.figure.in_(chunk)))
        conn.execute(delete(t.discrepancies).where(t.discrepancies.c.figure.in_(chunk)))
    if current_rows:
        conn.execute(t.current.insert(), current_rows)
    if flag_rows:
        conn.execute(t.discrepancies.insert(), flag_rows)


def current_row(figure_id: str, now: Current, own: Sequence[ClaimState]) -> dict[str, object]:
    c = now.claim
    return {
        "figure": figure_id,
        "claim_id": None if c is None else c.claim_id,
        "value": None if c is None else c.written,
        "value_kind": None if c is None else c.value_kind,
        **interval_columns(None if c is None else c.interval),
        "as_of": None if c is None else c.as_of,
        "position": None if c is None else c.position,
        "competing": dumps(list(now.competing)),
        "disputed": now.disputed,
        "active_claims": sum(1 for x in own if x.active),
    }
