"""Entry point of `tally`: the typer application, global options, and the one error handler.

Every LedgerError becomes one sentence on stderr (or JSON with --json) and exit
code 1; typer's usage errors exit 2. No traceback reaches the user.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from tally.cli import (
    admin,
    audit,
    evidence,
    navigate,
    read,
    record,
    site,
    witness,
    witnesses,
)
from tally.cli.state import State


class _Group(TyperGroup):
    """Maps every LedgerError (and OS error on a file) to one sentence and exit code 1."""

    def invoke(self, ctx: typer.Context) -> object:  # type: ignore[override]
        from tally.cli.output import error
        from tally.ledger.errors import LedgerError

        try:
            return super().invoke(ctx)
        except LedgerError as e:
            error(e.message, as_json=_wants_json(ctx), field=e.field, line=getattr(e, "line", None))
            raise typer.Exit(1) from None
        except OSError as e:
            where = f" {e.filename}" if e.filename else ""
            error(f"{e.strerror or e}:{where}", as_json=_wants_json(ctx))
            raise typer.Exit(1) from None
        except Exception as e:
            if not _database_error(e):
                raise
            # a damaged file or a lost server, met where no command expected it
            detail = (str(getattr(e, "orig", None) or e).strip().splitlines() or ["?"])[0]
            error(f"the database failed: {detail}; run 'tally verify'",
                  as_json=_wants_json(ctx))
            raise typer.Exit(1) from None


def _database_error(error: Exception) -> bool:
    import sqlite3

    from sqlalchemy.exc import SQLAlchemyError

    return isinstance(error, SQLAlchemyError | sqlite3.Error)


def _wants_json(ctx: typer.Context) -> bool:
    state = ctx.obj
    return bool(getattr(state, "json", False))


app = typer.Typer(
    name="tally",
    help=(
        "Tally: an event-sourced, signed, tamper-evident ledger of reported figures.\n\n"
        "Start with:  tally init --name example.org/izium ; tally keys new alice ;\n"
        "tally signers add alice --key alice ; tally sources add suspilne --name Suspilne "
        "--kind media ; tally figures define izium/bodies --unit bodies ;\n"
        "tally report izium/bodies 447 --as-of 2022-09-23 --source suspilne --key alice ;\n"
        "tally checkpoint ; tally proof CLAIM --output p.json ; tally verify"
    ),
    cls=_Group,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="TALLY_DB",
            help="Ledger database: a SQLite path or a SQLAlchemy URL "
            "(postgresql+psycopg://...). Default ./tally.db.",
        ),
    ] = None,
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            envvar="TALLY_HOME",
            help="Directory holding your keys (default: the user config dir).",
        ),
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    ctx.obj = State(db=db, home=home, json=json)
    ctx.call_on_close(ctx.obj.close)


admin.register(app)
record.register(app)
read.register(app)
navigate.register(app)
audit.register(app)
evidence.register(app)
witness.register(app)
witnesses.register(app)
site.register(app)


def main() -> None:
    """The console script."""
    app()
