"""Cases: the first segment of figures' ids (`izium`), defined with a signed name,
description, place and period."""

from __future__ import annotations

from typing import Annotated

import typer

from tally.cli.state import DefaultKeyOpt, JsonOpt, show_appended, show_list, state_of

cases_app = typer.Typer(help="Cases: what the figures of one id prefix are about.",
                        no_args_is_help=True)


@cases_app.command("define")
def cases_define(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(
        metavar="ID", help="The first segment of its figures' ids, e.g. izium.")],
    name: Annotated[str, typer.Option("--name", metavar="NAME",
                                      help="What a reader calls it.")],
    description: Annotated[str, typer.Option(
        "--description", metavar="DESCRIPTION", help="What it is about, in a sentence or two.")],
    place: Annotated[str, typer.Option("--place", metavar="PLACE", help="Where.")],
    period: Annotated[str, typer.Option(
        "--period", metavar="EDTF", help="When: an EDTF date or interval, e.g. "
        "2022-09-16/2025-11-24.")],
    key: DefaultKeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Define a case, signed: its figures' pages, tables and exports show its name.

    Example: tally cases define izium --name "Izium burial site" --description "..."
    --place "Izium, Kharkiv region, Ukraine" --period 2022-09-16/2025-11-24
    """
    from tally.cli.validation import build
    from tally.ledger.model.inputs import CaseRecord

    state = state_of(ctx, as_json)
    record = build(CaseRecord, id=case_id, name=name, description=description, place=place,
                   period=period)
    show_appended(state, state.ledger().define_case(record, state.signing_key(key)),
                  f"case {case_id}")


@cases_app.command("list")
def cases_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the defined cases.

    Example: tally cases list
    """
    state = state_of(ctx, as_json)
    show_list(state, state.views().cases(), "cases", "cases",
              ["id", "name", "place", "period", "description", "position"])


def register(app: typer.Typer) -> None:
    app.add_typer(cases_app, name="cases")
