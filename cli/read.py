"""Reading: show, history, discrepancies, provenance (all with --json)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from tally.cli import render
from tally.cli.output import emit, emit_json
from tally.cli.state import JsonOpt, state_of

KnownAt = Annotated[
    str | None,
    typer.Option(
        "--known-at", help="What the ledger knew at a position (integer) or a time (ISO 8601)."
    ),
]


def _known_at(text: str | None) -> int | dt.datetime | None:
    if text is None:
        return None
    if text.isdecimal():  # what int() reads; "²".isdigit() is true, int("²") fails
        return int(text)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            "give a position (e.g. 120) or an ISO time (e.g. 2025-03-01T00:00)",
            param_hint="--known-at",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def show(
    ctx: typer.Context,
    figure: Annotated[str, typer.Argument(
        metavar="FIGURE", help="A figure id, or a case's prefix (e.g. izium) for an overview.")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Valid time (EDTF), e.g. 2025-01.")
    ] = None,
    known_at: KnownAt = None,
    as_json: JsonOpt = False,
) -> None:
    """The value in force for FIGURE, its source chain and the competing claims; for a
    prefix that is not a figure id, one row per figure of the case.

    Example: tally show izium/burial-site/people-unidentified --as-of 2025-01 --known-at 2025-03-01
    """
    from tally.projections.models import ShowOut

    state = state_of(ctx, as_json)
    out = state.views().show_or_case(figure, as_of=as_of, known_at=_known_at(known_at))
    if state.json:
        emit_json(out)
    elif isinstance(out, ShowOut):
        emit(render.show(out))
    else:
        emit(render.case(out))


def history(
    ctx: typer.Context,
    figure: Annotated[str, typer.Argument(metavar="FIGURE")],
    as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="FROM..TO",
        help="Only entries whose as_of meets this period (EDTF dates; either end may be "
             "left out), e.g. 2022-09..2023-01.")] = None,
    known_at: KnownAt = None,
    full: Annotated[bool, typer.Option(
        "--full", help="Full ids, signers, recording times and document hashes.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Every claim, correction and retraction of FIGURE in valid-time order, with a chart.

    Example: tally history izium/burial-site/bodies-exhumed --as-of 2022-09..2022-12
    """
    state = state_of(ctx, as_json)
    out = state.views().history(figure, known_at=_known_at(known_at), period=as_of)
    emit_json(out) if state.json else emit(render.history(out, full), soft_wrap=True)


def discrepancies(
    ctx: typer.Context,
    figure: Annotated[str | None, typer.Argument(
        help="Only this figure, or the figures of a case (an id prefix, e.g. izium).")] = None,
    kind: Annotated[str | None, typer.Option(
        "--kind", metavar="KIND",
        help="Only this kind: contradiction, possible_conflict, regression or "
             "sum_mismatch.")] = None,
    known_at: KnownAt = None,
    limit: Annotated[int | None, typer.Option(
        "--limit", metavar="COUNT", min=1, help="List at most COUNT discrepancies.")] = None,
    offset: Annotated[int, typer.Option(
        "--offset", metavar="COUNT", min=0, help="Skip the first COUNT discrepancies.")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Contradictions, possible conflicts, regressions and sum mismatches, grouped per
    figure, after a summary line that counts them per kind. A contradiction is one group:
    every claim of it conflicts with another whose as_of, as written, overlaps its own; a
    possible conflict, one that only the uncertainty of the dates makes ("2023-05?").

    Example: tally discrepancies izium/burial-site/bodies-exhumed --kind contradiction
    """
    from tally.projections.rules.figure import KINDS

    state = state_of(ctx, as_json)
    if kind is not None and kind not in KINDS:
        raise typer.BadParameter(f"must be one of {', '.join(KINDS)}", param_hint="--kind")
    views = state.views()
    out = views.discrepancies(figure, kind, _known_at(known_at), limit, offset)
    if state.json:
        emit_json(out)
        return
    figures = views.figures().figures
    parts = {f.id: f.parts for f in figures}
    involved = {d.figure for d in out.discrepancies}
    involved |= {p for d in out.discrepancies if d.kind == "sum_mismatch" for p in parts[d.figure]}
    claims = {c.claim_id: c for name in sorted(involved)
              for c in views.claims(name, known_at=out.known_at)}
    emit(render.discrepancies(out, claims, {f.id: f.name for f in figures if f.name}))


def provenance(
    ctx: typer.Context,
    claim: Annotated[str, typer.Argument(help="Claim id or unique prefix.")],
    as_json: JsonOpt = False,
) -> None:
    """Where a claim comes from: source → via → signer → signature → checkpoint.

    Example: tally provenance 69cec0ff
    """
    state = state_of(ctx, as_json)
    out = state.views().provenance(claim)  # resolved in the query's own snapshot
    emit_json(out) if state.json else emit(render.provenance(out))


def register(app: typer.Typer) -> None:
    app.command()(show)
    app.command()(history)
    app.command()(discrepancies)
    app.command()(provenance)
