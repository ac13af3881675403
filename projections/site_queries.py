"""The batched queries a published site reads: each figure's answers, and the index.

A figure's pages (its JSON and its HTML) show its `show`, `history` and `claims`, which
one by one read the same history rows and signed bodies three times (five with both
renderers). `figure_answers` reads them once for a chunk of figures, with a few queries
a chunk (the definitions, the `current` rows, the flags, the history rows and their
signed bodies), and gives for each figure exactly what the three queries give
(`tests/integration/test_provenance_batch.py` compares them).

`index` is the index page's row of every figure (value in force, as_of, disputed,
corrected) from the settled `current` rows in one query, instead of a `show` a figure.

A figure a catch-up has not settled yet is answered by `queries.show` itself (which
recomputes it from the history rows), as is an unknown one (refused by name).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from tally.ledger.infra.storage import in_chunks
from tally.projections import queries
from tally.projections import tables as t
from tally.projections.models import (
    ClaimOut,
    DiscrepancyOut,
    FigureOut,
    HistoryOut,
    ShowOut,
    ValueOut,
)
from tally.projections.outputs import claims_by_id, entry_out, flag_row_out, sorted_flags, value_out
from tally.projections.recompute import definitions_for, with_parts
from tally.projections.rows import Row, Signed, str_list, with_signed
from tally.projections.rules.claims import FigureDef
from tally.projections.rules.figure import SUM_MISMATCH


@dataclass(frozen=True)
class FigureAnswers:
    """What a figure's pages show: its definition, the totals it is a part of (sorted), and
    `show`, `history` and `claims` as `ReadModel` answers them (no as_of, no known_at)."""

    figure: FigureOut
    totals: list[str]
    show: ShowOut
    history: HistoryOut
    claims: list[ClaimOut]


@dataclass(frozen=True)
class IndexRow:
    """A figure as the index lists it: what `show` says of its value in force."""

    figure: FigureOut
    value: ValueOut | None
    as_of: str | None  # as written
    disputed: bool
    corrected: bool  # the claim in force was corrected


def _unsettled(conn: Connection, figures: Collection[str]) -> set[str]:
    """Those of `figures` still listed for settling."""
    d = t.dirty.c.figure
    return {str(f) for chunk in in_chunks(sorted(figures))
            for f in conn.execute(select(d).where(d.in_(chunk))).scalars()}


def figure_answers(conn: Connection, figure_ids: Sequence[str], signed: Signed
                   ) -> list[FigureAnswers]:
    """`FigureAnswers` of each of these figures, in their order (one snapshot: `conn`);
    UnknownFigureError names the first that is no figure's."""
    wanted = list(dict.fromkeys(figure_ids))
    defs = definitions_for(conn, wanted)
    totals = {f: queries.totals_of(defs, f) for f in wanted if f in defs}
    flagged = sorted({*totals, *(x for ts in totals.values() for x in ts)})
    unsettled = _unsettled(conn, with_parts(defs, flagged))
    f, c, d, h = t.figures.c, t.current.c, t.discrepancies.c, t.history.c
    listed: dict[str, FigureOut] = {}
    current: dict[str, Row] = {}
    flags: dict[str, list[DiscrepancyOut]] = {}
    rows: dict[str, list[dict[str, Any]]] = {figure: [] for figure in wanted}
    for chunk in in_chunks(sorted(totals)):
        listed.update((r["figure_id"], queries.figure_out(r)) for r in conn.execute(
            select(t.figures).where(f.figure_id.in_(chunk))).mappings())
        current.update((r["figure"], r) for r in conn.execute(
            select(t.current).where(c.figure.in_(chunk))).mappings())
        found = conn.execute(select(t.history).where(h.figure.in_(chunk)).order_by(
            h.figure, h.as_of_earliest, h.as_of_latest, h.position)).mappings()
        for row in with_signed(found, signed):
            rows[row["figure"]].append(row)
    for chunk in in_chunks(flagged):
        for r in conn.execute(select(t.discrepancies).where(d.figure.in_(chunk))).mappings():
            flags.setdefault(r["figure"], []).append(flag_row_out(r))
    names = queries.signer_names(conn)
    answers: dict[str, FigureAnswers] = {}
    for figure in wanted:
        if figure not in totals:  # unknown: refused, by name, as one by one
            queries.show(conn, figure, signed)
        definition = defs[figure]
        claims = claims_by_id(rows[figure], names)
        own = list(flags.get(figure, []))
        own += [x for total in totals[figure] for x in flags.get(total, [])
                if x.kind == SUM_MISMATCH]
        inputs = with_parts(defs, [figure, *totals[figure]])
        show = (_show(figure, definition, current.get(figure), own, claims)
                if not unsettled & inputs else None)
        if show is not None:
            show = show.model_copy(update={"name": listed[figure].name})
        answers[figure] = FigureAnswers(
            figure=listed[figure], totals=totals[figure],
            show=show or queries.show(conn, figure, signed),
            history=HistoryOut(figure=figure, name=listed[figure].name, kind=definition.kind,
                               unit=definition.unit,
                               known_at=None, entries=[entry_out(r) for r in rows[figure]],
                               period=None),
            claims=list(claims.values()))
    return [answers[figure] for figure in figure_ids]


def _show(figure: str, definition: FigureDef, row: Row | None,
          flags: list[DiscrepancyOut], claims: dict[str, ClaimOut]) -> ShowOut | None:
    """`queries.show` of a settled figure from its `current` row, its flags (and its totals'
    sum mismatches) and its claims; None if the row names a claim not among them."""
    chosen = None if row is None else row["claim_id"]
    competing = [] if row is None else str_list(row["competing"])
    if any(x not in claims for x in [*competing, *([chosen] if chosen else [])]):
        return None
    claim = claims[chosen] if chosen else None
    ordered = sorted_flags(flags)
    return ShowOut(
        figure=figure, kind=definition.kind, unit=definition.unit,
        value=None if claim is None else claim.value,
        as_of=None if claim is None else claim.as_of, claim=claim,
        competing=[claims[x] for x in competing], disputed=bool(row and row["disputed"]),
        discrepancies=ordered, query_as_of=None, known_at=None,
        claim_discrepancies=[x.id for x in ordered if chosen is not None and chosen in x.claims],
    )


def index(conn: Connection, signed: Signed) -> list[IndexRow]:
    """Every figure, by id, with its value in force as `show` gives it: from the `current`
    rows (and whether the claim in force was corrected, from its provenance row) in one
    query, or from `show` while a catch-up has not settled the figures yet."""
    f, c, p = t.figures.c, t.current.c, t.provenance.c
    if conn.execute(select(t.dirty).limit(1)).first() is not None:
        shown = []
        for r in conn.execute(select(t.figures).order_by(f.figure_id)).mappings():
            show = queries.show(conn, r["figure_id"], signed)
            shown.append(IndexRow(
                figure=queries.figure_out(r), value=show.value,
                as_of=None if show.as_of is None else show.as_of.text,
                disputed=show.disputed,
                corrected=show.claim is not None and bool(show.claim.corrections)))
        return shown
    query = (select(t.figures, c.claim_id, c.value, c.value_kind, c.low, c.high, c.low_open,
                    c.high_open, c.as_of, c.disputed, p.corrections)
             .select_from(t.figures.outerjoin(t.current, c.figure == f.figure_id)
                          .outerjoin(t.provenance, p.claim_id == c.claim_id))
             .order_by(f.figure_id))
    return [IndexRow(
        figure=queries.figure_out(r), value=value_out(r), as_of=r["as_of"],
        disputed=bool(r["disputed"]),
        corrected=bool(r["claim_id"]) and bool(str_list(r["corrections"])))
        for r in conn.execute(query).mappings()]
