"""The read side's queries: show, history, discrepancies, provenance, listings.

Plain `show` reads the projected `current` and `discrepancies` rows (unless a
catch-up has not settled the figure yet: see `views.settle`). With `as_of`
(valid time) or `known_at` (a ledger position or recorded time), it recomputes
from the history rows with the same pure rules, filtered by position, so the
answer "known at k" is that of a ledger holding only its first k events
(invariant 6). What an answer shows of the signed bodies (url, quote, signature…)
is read from the event store (`rows.with_signed`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator
from typing import Any

from sqlalchemy import Connection, func, select

from tally.ledger.errors import InputError, UnknownClaimError, UnknownFigureError
from tally.ledger.integrity.signing import id_prefix_range
from tally.ledger.model.dates import as_written, parse_edtf_date
from tally.ledger.model.inputs import claim_ref_problem
from tally.ledger.model.moments import iso_utc
from tally.ledger.model.suggest import hint
from tally.projections import recompute as views
from tally.projections import tables as t
from tally.projections.cases import holds, in_case
from tally.projections.models import (
    ClaimOut,
    DiscrepancyList,
    DiscrepancyOut,
    FigureList,
    FigureOut,
    HistoryOut,
    ShowOut,
    SourceList,
)
from tally.projections.outputs import (
    claims_by_id,
    entry_out,
    flag_out,
    flag_row_out,
    sorted_flags,
    source_out,
)
from tally.projections.recompute import definitions, definitions_for, evaluate, with_parts
from tally.projections.rows import Row, Signed, str_list, utc, with_signed
from tally.projections.rules.claims import FigureDef
from tally.projections.rules.figure import KINDS, SUM_MISMATCH, Flag, as_of_before, sum_mismatches
from tally.projections.rules.periods import parse_period

MAX_POSITION = 2**63 - 1  # a BIGINT in SQLite and PostgreSQL


def known_position(conn: Connection, known_at: int | dt.datetime | None) -> int | None:
    """A `known_at` as a position: a timestamp maps to the last event recorded at or before it.

    Refuses what the database cannot compare with (a position past a signed 64-bit integer,
    a time before year 1 in UTC) instead of letting the driver overflow."""
    if known_at is None:
        return None
    if isinstance(known_at, int):
        if not 0 <= known_at <= MAX_POSITION:
            raise InputError(f"known_at {known_at} is not a position: positions run from 0 "
                             f"to {MAX_POSITION}", field="known_at")
        return known_at
    try:
        moment = utc(known_at)
    except OverflowError:
        raise InputError(f"known_at {known_at.isoformat()} is before the first day of year 1 "
                         "in UTC", field="known_at") from None
    found = conn.execute(select(func.max(t.events.c.position))
                         .where(t.events.c.recorded_at <= moment)).scalar_one_or_none()
    return 0 if found is None else int(found)


def _definitions(conn: Connection, figure: str, known_at: int | None) -> dict[str, FigureDef]:
    """The figure's definition and those of the totals it is a part of (all of them only to
    suggest a name when the figure is unknown); one defined after `known_at` is refused
    saying where it was defined."""
    defs = definitions_for(conn, [figure], known_at)
    if figure in defs:
        return defs
    if known_at is not None:
        defined = conn.execute(select(t.figures.c.position)
                               .where(t.figures.c.figure_id == figure)).scalar_one_or_none()
        if defined is not None:
            raise UnknownFigureError(f"figure {figure!r} is not yet defined at position "
                                     f"{known_at} (defined at position {defined})")
    return definitions(conn, known_at)


def _definition(defs: dict[str, FigureDef], figure: str) -> FigureDef:
    found = defs.get(figure)
    if found is None:
        raise UnknownFigureError(f"figure {figure!r} is not defined"
                                 + hint(figure, sorted(defs),
                                            "define it with 'tally figures define'"))
    return found


def totals_of(defs: dict[str, FigureDef], figure: str) -> list[str]:
    """The figures whose parts include `figure`, by id."""
    return sorted(f for f, d in defs.items() if figure in d.parts)


def _claim_rows(conn: Connection, ids: Collection[str], known_at: int | None,
                signed: Signed) -> list[dict[str, Any]]:
    if not ids:
        return []
    query = select(t.history).where(t.history.c.claim_id.in_(sorted(ids)))
    if known_at is not None:
        query = query.where(t.history.c.position <= known_at)
    return with_signed(conn.execute(query).mappings(), signed)


def show(conn: Connection, figure: str, signed: Signed, as_of: str | None = None,
         known_at: int | dt.datetime | None = None) -> ShowOut:
    """The value in force of `figure`, its claim, competitors and flags (see ShowOut)."""
    k = known_position(conn, known_at)
    defs = _definitions(conn, figure, k)
    definition = _definition(defs, figure)
    totals = totals_of(defs, figure)
    inputs = with_parts(defs, [figure, *totals])
    # the projected rows, unless a catch-up is still settling one of the figures they rest on
    if as_of is None and k is None and not views.dirty(conn, inputs):
        row = conn.execute(select(t.current).where(t.current.c.figure == figure)).mappings().first()
        chosen = None if row is None else row["claim_id"]
        competing = [] if row is None else str_list(row["competing"])
        disputed = bool(row and row["disputed"])
        flag_rows = conn.execute(select(t.discrepancies).where(
            (t.discrepancies.c.figure == figure)
            | ((t.discrepancies.c.kind == SUM_MISMATCH) & t.discrepancies.c.figure.in_(totals))
        )).mappings()
        flags = [flag_row_out(r) for r in flag_rows]
    else:
        found = views.claims(conn, inputs, k)
        if as_of is not None:
            parse_edtf_date(as_of, field="as_of", now=dt.date.max)  # refuses what is not EDTF
            day = as_written(as_of)[1] or dt.date.max  # the query's last day, as written
            found = {f: as_of_before(cs, day) for f, cs in found.items()}
        own_flags, now = evaluate(defs, found, figure)
        for total in totals:
            parts = {p: found.get(p, []) for p in defs[total].parts}
            own_flags += sum_mismatches(defs[total], found.get(total, []), parts)
        chosen = None if now.claim is None else now.claim.claim_id
        competing, disputed = list(now.competing), now.disputed
        flags = [flag_out(f) for f in own_flags]
    by_id = claims_by_id(_claim_rows(conn, [*competing, *([chosen] if chosen else [])], k,
                                     signed), signer_names(conn))
    claim = by_id.get(chosen) if chosen else None
    ordered = sorted_flags(flags)
    return ShowOut(
        figure=figure, name=figure_name(conn, figure), kind=definition.kind,
        unit=definition.unit, value=None if claim is None else claim.value,
        as_of=None if claim is None else claim.as_of, claim=claim,
        competing=[by_id[c] for c in competing], disputed=disputed,
        discrepancies=ordered, query_as_of=as_of, known_at=k,
        claim_discrepancies=[f.id for f in ordered if chosen is not None and chosen in f.claims],
    )


def figure_name(conn: Connection, figure: str) -> str | None:
    """The name signed with a figure's definition (None: unnamed)."""
    return conn.execute(select(t.figures.c.name).where(
        t.figures.c.figure_id == figure)).scalar_one_or_none()


def signer_names(conn: Connection) -> dict[str, str]:
    """Every registered signer's name, by key id (a short table: one row per signer)."""
    s = t.signers.c
    return {r.key_id: r.name for r in conn.execute(select(s.key_id, s.name))}


def history(conn: Connection, figure: str, signed: Signed,
            known_at: int | dt.datetime | None = None, period: str | None = None) -> HistoryOut:
    """Every claim, correction and retraction of `figure`, in valid-time order; with
    `period` (FROM..TO, see `periods`), those whose as_of, as written, meets it."""
    k = known_position(conn, known_at)
    definition = _definition(_definitions(conn, figure, k), figure)
    within = None if period is None else parse_period(period)
    h = t.history.c
    query = select(t.history).where(h.figure == figure)
    if k is not None:
        query = query.where(h.position <= k)
    if within is not None:  # the widened days hold the written ones: a first, coarse cut
        query = query.where(h.as_of_earliest <= within.last, h.as_of_latest >= within.first)
    rows = [r for r in conn.execute(query.order_by(h.as_of_earliest, h.as_of_latest,
                                                   h.position)).mappings()
            if within is None or within.holds(r["as_of"])]
    return HistoryOut(figure=figure, name=figure_name(conn, figure), kind=definition.kind,
                      unit=definition.unit, known_at=k,
                      entries=[entry_out(r) for r in with_signed(rows, signed)],
                      period=None if within is None else within.text)


def claims(conn: Connection, figure: str, signed: Signed,
           known_at: int | dt.datetime | None = None) -> list[ClaimOut]:
    """Every claim of `figure` as known (retracted ones too), in valid-time order."""
    k = known_position(conn, known_at)
    _definition(_definitions(conn, figure, k), figure)
    h = t.history.c
    query = select(t.history).where(h.figure == figure)
    if k is not None:
        query = query.where(h.position <= k)
    rows = conn.execute(query.order_by(h.as_of_earliest, h.as_of_latest, h.position)).mappings()
    # A claim's row comes before its follow-ups (same as_of, later position): order is kept.
    return list(claims_by_id(with_signed(rows, signed), signer_names(conn)).values())


def _claims_in_order(conn: Connection, signed: Signed, chunk: int = 5000) -> Iterator[ClaimOut]:
    """Every claim, figure by figure in valid-time order, a few thousand rows in memory."""
    h = t.history.c
    rows = conn.execute(select(t.history).order_by(
        h.figure, h.as_of_earliest, h.as_of_latest, h.position)).mappings()
    pending: list[Row] = []
    for row in rows:
        if len(pending) >= chunk and row["figure"] != pending[-1]["figure"]:
            yield from claims_by_id(with_signed(pending, signed)).values()
            pending = []
        pending.append(row)
    yield from claims_by_id(with_signed(pending, signed)).values()


def claim_rows(conn: Connection, signed: Signed) -> list[dict[str, object]]:
    """One flat row per claim of every figure, for CSV export (lists joined with ';')."""
    flat: list[dict[str, object]] = []
    f = t.figures.c
    names = {r.figure_id: r.name for r in conn.execute(select(f.figure_id, f.name))}
    for c in _claims_in_order(conn, signed):
        interval = c.value.interval
        flat.append({
            "claim_id": c.claim_id, "figure": c.figure, "figure_name": names.get(c.figure),
            "value": c.value.written,
            "reported": c.reported.written, "kind": c.value.kind,
            "low": interval.low if interval else None,
            "high": interval.high if interval else None, "as_of": c.as_of.text,
            "as_of_earliest": c.as_of.earliest.isoformat(),
            "as_of_latest": c.as_of.latest.isoformat(), "source": c.source,
            "via": ";".join(c.via), "url": c.url, "published": c.published, "quote": c.quote,
            "document_sha256": c.document_sha256, "signer": c.signer,
            "corrections": ";".join(c.corrections),
            "retracted": "yes" if c.retracted else "no",
            "position": c.position, "recorded_at": iso_utc(c.recorded_at),
        })
    return flat


def discrepancies(conn: Connection, figure: str | None = None, kind: str | None = None,
                  known_at: int | dt.datetime | None = None, limit: int | None = None,
                  offset: int = 0) -> DiscrepancyList:
    """All flags, or those of one figure (and the sum_mismatch flags of its totals), or of
    one kind (`rules.KINDS`), as known at `known_at`; `counts` counts every kind before
    `offset` and `limit` take a page of them."""
    k = known_position(conn, known_at)
    found: list[DiscrepancyOut]
    case = figure is not None and _is_case(conn, figure)
    if k is None:
        query = select(t.discrepancies)
        d = t.discrepancies.c
        if figure is not None and case:
            query = query.where(in_case(d.figure, figure))
        elif figure is not None:
            defs = definitions(conn)
            _definition(defs, figure)
            query = query.where((d.figure == figure) | (
                (d.kind == SUM_MISMATCH) & d.figure.in_(totals_of(defs, figure))))
        if kind is not None:
            query = query.where(d.kind == kind)
        found = [flag_row_out(r) for r in conn.execute(query).mappings()]
    else:
        flags = _flags_known_at(conn, None if case else figure, k)
        found = [flag_out(f) for f in flags if (kind is None or f.kind == kind)
                 and (not case or figure is None or holds(figure, f.figure))]
    ordered = sorted_flags(found)
    counts = dict.fromkeys(KINDS, 0)
    for flag in ordered:
        counts[flag.kind] = counts.get(flag.kind, 0) + 1
    page = ordered[offset:None if limit is None else offset + limit]
    return DiscrepancyList(figure=figure, kind=kind, known_at=k, counts=counts, offset=offset,
                           discrepancies=page)


def _is_case(conn: Connection, prefix: str) -> bool:
    """True for a prefix that is no figure's id but holds figures (a case, e.g. `izium`)."""
    f = t.figures.c.figure_id
    if conn.execute(select(f).where(f == prefix)).first() is not None:
        return False
    return conn.execute(select(f).where(in_case(f, prefix)).limit(1)).first() is not None


def _flags_known_at(conn: Connection, figure: str | None, k: int) -> list[Flag]:
    """The flags of one figure (and its totals' sum mismatches) or of all, from the history
    as known at position `k`, by the same rules as the projected rows."""
    defs = definitions(conn, k)
    if figure is not None:
        _definition(defs, figure)
    own = sorted(defs) if figure is None else [figure]
    totals = [] if figure is None else totals_of(defs, figure)
    found = views.claims(conn, with_parts(defs, [*own, *totals]), k)
    flags = [f for name in own for f in evaluate(defs, found, name)[0]]
    for total in totals:
        parts = {p: found.get(p, []) for p in defs[total].parts}
        flags += sum_mismatches(defs[total], found.get(total, []), parts)
    return flags


def figures(conn: Connection, prefix: str | None = None) -> FigureList:
    """Every figure, or those of a case (ids equal to `prefix` or below it)."""
    query = select(t.figures).order_by(t.figures.c.figure_id)
    if prefix is not None:
        query = query.where(in_case(t.figures.c.figure_id, prefix))
    return FigureList(figures=[figure_out(r) for r in conn.execute(query).mappings()])


def figure_out(row: Row) -> FigureOut:
    """A `figures` row as listed."""
    return FigureOut(id=row["figure_id"], kind=row["kind"], unit=row["unit"],
                     cumulative=bool(row["cumulative"]), integer=bool(row["integer"]),
                     name=row["name"], description=row["description"],
                     parts=str_list(row["parts"]),
                     tolerance=row["tolerance"], states=str_list(row["states"]),
                     position=int(row["position"]))


def sources(conn: Connection) -> SourceList:
    rows = {r["source_id"]: r for r in conn.execute(select(t.sources)).mappings()}
    return SourceList(sources=[source_out(s, rows) for s in sorted(rows)])


def resolve_claim(conn: Connection, claim_id: str) -> str:
    """A full claim id from an id or a unique prefix (4+ hex digits) of a projected claim."""
    ref = claim_id.strip().lower()
    problem = claim_ref_problem(ref)
    if problem is not None:
        raise UnknownClaimError(problem)
    p = t.provenance.c
    bounds = id_prefix_range(ref)
    if len(ref) >= 4 and bounds is not None:
        found = list(conn.execute(select(p.claim_id).where(
            p.claim_id >= bounds[0], p.claim_id < bounds[1]).limit(2)).scalars())
        if len(found) == 1:
            return str(found[0])
        if len(found) > 1:
            raise UnknownClaimError(f"claim prefix {claim_id!r} is ambiguous: give more digits")
        h = t.history.c
        followups = conn.execute(select(h.kind, h.claim_id).where(
            h.event_id >= bounds[0], h.event_id < bounds[1]).limit(2)).all()
        if len(followups) == 1:  # a correction's or retraction's id, given for its claim's
            kind, claim = followups[0]
            raise UnknownClaimError(f"{claim_id!r} is a {kind} of claim {claim}: run "
                                    f"'tally provenance {claim}'")
    raise UnknownClaimError(f"no claim id starts with {claim_id!r}")

