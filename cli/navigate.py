"""Navigation an auditor needs: events by position (`log`, `event`) and claims by filters
(`claims`), all with --json."""

from __future__ import annotations

from typing import Annotated

import typer

from tally.cli import navigate_view
from tally.cli.output import emit, emit_json
from tally.cli.read import KnownAt, _known_at
from tally.cli.state import JsonOpt, state_of

Position = Annotated[int, typer.Argument(metavar="POSITION", min=1,
                                         help="A ledger position.")]


def log(
    ctx: typer.Context,
    first: Annotated[int, typer.Option("--from", metavar="POSITION", min=1,
                                       help="The first position listed.")] = 1,
    last: Annotated[int | None, typer.Option("--to", metavar="POSITION", min=1,
                                             help="The last position listed.")] = None,
    types: Annotated[list[str] | None, typer.Option(
        "--type", metavar="TYPE", help="Only this event type (e.g. claim.recorded) or family "
        "(e.g. claim); repeatable.")] = None,
    limit: Annotated[int, typer.Option("--limit", metavar="COUNT", min=1, max=10_000,
                                       help="List at most COUNT events.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Stored events by position: leaf index, type, id, signer (and whether the signature
    verifies), recording time and a summary, a page at a time.

    Example: tally log --from 120 --type claim --limit 20
    """
    from tally.ledger.verify.inspector import Inspector

    state = state_of(ctx, as_json)
    out = Inspector(state.ledger()).log(first, last, types or [], limit)
    emit_json(out) if state.json else emit(navigate_view.log(out), soft_wrap=True)


def event(ctx: typer.Context, position: Position, as_json: JsonOpt = False) -> None:
    """One stored event: its signed body and signature, checked against the signer's
    registered key, its leaf against the Merkle log, and its inclusion in the first
    checkpoint that covers it. Exits 1 if any check fails.

    Example: tally event 120
    """
    from tally.ledger.verify.inspector import Inspector

    state = state_of(ctx, as_json)
    out = Inspector(state.ledger()).event(position)
    emit_json(out) if state.json else emit(navigate_view.event(out))
    if not out.verified:
        raise typer.Exit(1)


def claims(
    ctx: typer.Context,
    figure: Annotated[str | None, typer.Option(
        "--figure", metavar="FIGURE", help="A figure id, or a case's prefix (e.g. izium).")
    ] = None,
    source: Annotated[str | None, typer.Option("--source", metavar="SOURCE",
                                               help="Claims from this source.")] = None,
    signer: Annotated[str | None, typer.Option(
        "--signer", metavar="SIGNER", help="Claims signed by this key id or signer name.")
    ] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="FROM..TO",
        help="Claims whose as_of meets this period (EDTF dates; either end may be left "
             "out), e.g. 2022-09..2023-01.")] = None,
    known_at: KnownAt = None,
    text: Annotated[str | None, typer.Option(
        "--text", metavar="WORDS", help="Claims whose quote holds WORDS (any case).")] = None,
    limit: Annotated[int | None, typer.Option("--limit", metavar="COUNT", min=1, max=10_000,
                                              help="List at most COUNT claims.")] = None,
    offset: Annotated[int, typer.Option("--offset", metavar="COUNT", min=0,
                                        help="Skip the first COUNT claims.")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Claims that match every filter given, by figure, then as_of, then position, with
    what became of each (corrected, retracted).

    Example: tally claims --figure izium --source suspilne --as-of 2022-09..2022-12
    """
    from tally.projections.claim_search import ClaimFilters

    state = state_of(ctx, as_json)
    filters = ClaimFilters(figure=figure, source=source, signer=signer, as_of=as_of,
                           text=text)
    out = state.views().claims_matching(filters, _known_at(known_at), limit, offset)
    emit_json(out) if state.json else emit(navigate_view.claims(out))


def register(app: typer.Typer) -> None:
    app.command()(log)
    app.command()(event)
    app.command()(claims)
