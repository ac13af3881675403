"""A case: the figures whose ids start with a prefix (`izium` or `izium/burial-site`), listed
by `tally figures list PREFIX` and summarised by `tally show PREFIX`, one row per figure."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, or_, select

from tally.projections import tables as t
from tally.projections.models import CaseDefinitionOut, CaseFigureOut, CaseList, CaseOut
from tally.projections.outputs import value_out


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def in_case(column: ColumnElement[str], prefix: str) -> ColumnElement[bool]:
    """The figure ids equal to `prefix` or below it as a path (`izium` holds `izium/x`, not
    `iziumx`)."""
    case = prefix.strip().rstrip("/")
    return or_(column == case, column.like(_escaped(case) + "/%", escape="\\"))


def holds(prefix: str, figure: str) -> bool:
    """`in_case` for one figure id, in Python."""
    case = prefix.strip().rstrip("/")
    return figure == case or figure.startswith(case + "/")


def overview(conn: Connection, prefix: str) -> CaseOut:
    """Each figure of the case with its value in force, its as_of and whether it is disputed
    (the projected `current` rows)."""
    f, c = t.figures.c, t.current.c
    rows = conn.execute(
        select(f.figure_id, f.kind, f.unit, c.claim_id, c.value, c.value_kind, c.low, c.high,
               c.low_open, c.high_open, c.as_of, c.disputed, c.active_claims)
        .select_from(t.figures.outerjoin(t.current, c.figure == f.figure_id))
        .where(in_case(f.figure_id, prefix)).order_by(f.figure_id)).mappings()
    figures = [
        CaseFigureOut(figure=r["figure_id"], kind=r["kind"], unit=r["unit"],
                      value=value_out(r), as_of=r["as_of"], claim_id=r["claim_id"],
                      disputed=bool(r["disputed"]), active_claims=int(r["active_claims"] or 0))
        for r in rows]
    found = definitions(conn, prefix.strip().split("/")[0]).cases
    return CaseOut(prefix=prefix, figures=figures, case=found[0] if found else None)


def definitions(conn: Connection, case_id: str | None = None) -> CaseList:
    """The cases' signed definitions (of `case_id` only, when given), by id."""
    query = select(t.cases).order_by(t.cases.c.case_id)
    if case_id is not None:
        query = query.where(t.cases.c.case_id == case_id)
    return CaseList(cases=[
        CaseDefinitionOut(id=r["case_id"], name=r["name"], description=r["description"],
                          place=r["place"], period=r["period"], position=int(r["position"]))
        for r in conn.execute(query).mappings()])
