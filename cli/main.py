"""Entry point of `tally`: the typer application, global options, and the one error handler.

The contract every command keeps (docs/cli.md): exit 2 for a malformed command line
(an unknown option, a missing argument, a value of the wrong form), exit 1 for a
well-formed request that is refused or fails a check (every LedgerError), 0 otherwise;
with --json anywhere on the line, errors of both kinds are JSON on stdout. No
traceback reaches the user.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperArgument, TyperGroup, TyperOption

from tally.cli import (
    admin,
    audit,
    cases,
    evidence,
    navigate,
    read,
    record,
    site,
    witness_service,
    witnesses,
)
from tally.cli.state import State

GLOBAL_OPTIONS = ("--db", "--home")
# Placeholders in help are words, never click's type names (TEXT, INTEGER, PATH): an
# option without its own metavar gets the one its name says, or its name in capitals.
_PLACEHOLDERS = {
    "as_of": "DATE", "published": "DATE", "known_at": "POSITION|TIME", "key": "NAME",
    "output": "FILE", "limit": "COUNT", "offset": "COUNT", "folder": "DIR",
    "listen": "HOST:PORT", "via": "SOURCE", "checkpoint_size": "SIZE",
}


def _name_placeholders(command: Any) -> None:
    for param in command.params:
        if isinstance(param, TyperOption) and param.metavar is None and not param.is_flag:
            name = param.name or "value"
            param.metavar = _PLACEHOLDERS.get(name, name.upper())
        if isinstance(param, TyperArgument):
            if param.metavar is None:
                param.metavar = (param.name or "value").upper()
            # typer would add the Python type ("FIGURE <str>"): the placeholder says enough
            setattr(param, "display_type", _no_type)  # noqa: B010 (a method, per instance)
    for sub in getattr(command, "commands", {}).values():
        _name_placeholders(sub)


def _no_type(ctx: object = None) -> str:
    return ""


def _wants_json_line(args: Sequence[str]) -> bool:
    """Whether the command line asks for JSON (before any `--`)."""
    for arg in args:
        if arg == "--":
            return False
        if arg == "--json":
            return True
    return False


def _usage_error(e: typer.TyperException, args: Sequence[str]) -> NoReturn:
    """A malformed command line: the usage and one sentence on stderr (JSON on stdout
    with --json), exit 2."""
    from tally.cli.output import error

    option = getattr(e, "option_name", None)
    if option in GLOBAL_OPTIONS and e.message.startswith("No such option"):
        e.message += (f"; {option} is a global option: put it before the command, "
                      f"e.g. tally {option} ... COMMAND")
    ctx = getattr(e, "ctx", None)
    # a group run without its command raises the help text as its "message"
    missing = type(e).__name__ == "NoArgsIsHelpError"
    if _wants_json_line(args):
        param = getattr(e, "param", None)
        if missing and ctx is not None:
            message = f"give a command: {', '.join(sorted(getattr(ctx.command, 'commands', {})))}"
        else:
            message = e.format_message()
        error(message, as_json=True, field=getattr(param, "name", None) or option)
    else:
        show = getattr(e, "show", None)  # click's exceptions print their usage and hint
        if show is not None:
            show()
        else:
            typer.echo(f"Error: {e.format_message()}", err=True)
    sys.exit(getattr(e, "exit_code", 2))


class _Group(TyperGroup):
    """The root command: usage errors (exit 2, JSON with --json), and every LedgerError
    (and OS error on a file) as one sentence and exit code 1."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             windows_expand_args: bool = True, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        try:
            code = super().main(argv, prog_name, complete_var, standalone_mode=False,
                                windows_expand_args=windows_expand_args, **extra)
        except typer.TyperException as e:  # usage errors: exit 2
            _usage_error(e, argv)
        except typer.Abort:
            typer.echo("Aborted.", err=True)
            sys.exit(1)
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None:
            _name_placeholders(command)
        return name, command, rest

    def invoke(self, ctx: typer.Context) -> object:  # type: ignore[override]
        from tally.cli.output import error
        from tally.ledger.errors import LedgerError

        try:
            return super().invoke(ctx)
        except LedgerError as e:
            problems = getattr(e, "problems", None)
            error(e.message, as_json=_wants_json(ctx), field=e.field, line=getattr(e, "line", None),
                  lines=None if problems is None or len(problems) < 2 else
                  [{"line": p.line, "field": p.field, "error": p.message} for p in problems],
                  summary=getattr(e, "summary", None))
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
    # a command that opened no database cannot have met its errors: asking would load
    # SQLAlchemy into `tally report -h` (typer's Exit passes through here too)
    if "sqlalchemy" not in sys.modules and "sqlite3" not in sys.modules:
        return False
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
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(shown: bool) -> None:
    if shown:
        from importlib.metadata import version

        typer.echo(f"tally {version('tally')}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db", metavar="URL|PATH",
            envvar="TALLY_DB",
            help="Ledger database: a SQLite path or a SQLAlchemy URL "
            "(postgresql+psycopg://...). Default ./tally.db.",
        ),
    ] = None,
    home: Annotated[
        Path | None,
        typer.Option(
            "--home", metavar="DIR",
            envvar="TALLY_HOME",
            help="Directory holding your keys (default: the user config dir).",
        ),
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables "
                                       "(errors too).")] = False,
    version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_version,
                                          help="Print the version and exit.")] = False,
) -> None:
    ctx.obj = State(db=db, home=home, json=json)
    ctx.call_on_close(ctx.obj.close)


admin.register(app)
cases.register(app)
record.register(app)
read.register(app)
navigate.register(app)
audit.register(app)
evidence.register(app)
witness_service.register(app)
witnesses.register(app)
site.register(app)


def main() -> None:
    """The console script."""
    app()
