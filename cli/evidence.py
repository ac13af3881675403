"""Evidence: `tally documents add|list|show` and `tally extract`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.admin import JsonOpt, _done, _list, _state
from cli.output import console, emit_json
from cli.safe_text import literal

documents_app = typer.Typer(help="Archived documents: the evidence quotes are anchored in.",
                            no_args_is_help=True)


@documents_app.command("add")
def documents_add(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Plain text, HTML, PDF or a WARC file.",
                                         exists=True, dir_okay=False, readable=True)],
    key: Annotated[str, typer.Option("--key", help="The local key that signs.")],
    url: Annotated[str | None, typer.Option("--url", help="Where it was retrieved from "
                                            "(for a WARC file: the record to read).")] = None,
    retrieved: Annotated[str | None, typer.Option("--retrieved",
                                                  help="When it was retrieved (EDTF).")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Who published it.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Archive FILE in the ledger as a signed event (the same bytes again are a no-op).

    Example: tally documents add article.html --url https://example.org/a --retrieved
    2025-01-02 --source suspilne --key alice
    """
    from ledger.evidence import documents

    state = _state(ctx, as_json)
    result = documents.archive(state.ledger(), file.read_bytes(), name=file.name, url=url,
                               retrieved=retrieved, source=source, key=state.key(key))
    _done(state, result, "document")


@documents_app.command("list")
def documents_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List archived documents."""
    from ledger.evidence import documents

    state = _state(ctx, as_json)
    found = documents.documents(state.ledger())
    if state.json:
        emit_json(found)
        return
    _list(state, [d.model_dump() for d in found], "documents",
          ["sha256", "media_type", "url", "retrieved", "source", "extractor"])


@documents_app.command("show")
def documents_show(
    ctx: typer.Context,
    sha: Annotated[str, typer.Argument(metavar="SHA", help="SHA-256 or a unique prefix.")],
    text: Annotated[bool, typer.Option("--text", help="Print its normalised text.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Show an archived document (checked against its signed hashes), and its text."""
    from rich.table import Table

    from ledger.evidence import documents

    state = _state(ctx, as_json)
    info, body = documents.show(state.ledger(), sha)
    if state.json:
        emit_json({**info.model_dump(), **({"text": body} if text else {})})
        return
    table = Table(title=f"document {info.sha256[:12]}", show_header=False)
    for name, value in info.model_dump().items():
        table.add_row(name, literal(str(value) if value is not None else "-"))
    console.print(table)
    if text:
        console.print(literal(body))


def register(app: typer.Typer) -> None:
    app.add_typer(documents_app, name="documents")
