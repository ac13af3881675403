"""Evidence: `tally documents add|list|show` and `tally extract`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tally.cli.output import emit, emit_json
from tally.cli.safe_text import literal
from tally.cli.state import JsonOpt, show_appended, show_list, state_of

documents_app = typer.Typer(help="Archived documents: the evidence quotes are anchored in.",
                            no_args_is_help=True)


@documents_app.command("add")
def documents_add(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Plain text, HTML, PDF or a WARC file.")],
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
    from tally.cli.output import warn
    from tally.ledger.evidence import documents

    state = state_of(ctx, as_json)
    result = documents.archive_file(state.ledger(), file, url=url, retrieved=retrieved,
                                    source=source, key=state.key(key))
    if result.linked and not state.json:
        warn(f"{file} is a link: archived the file {result.file}")
    if url is not None and result.url != url and not state.json:
        warn(f"these bytes are already archived with URL {result.url or 'none'}: "
             f"kept it, --url {url} is not recorded")
    show_appended(state, result, "document")


@documents_app.command("list")
def documents_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List archived documents."""
    from tally.cli.answers import DocumentList
    from tally.ledger.evidence import documents

    state = state_of(ctx, as_json)
    found = DocumentList(documents=documents.documents(state.ledger()))
    show_list(state, found, "documents", "documents",
              ["sha256", "media_type", "url", "retrieved", "source", "extractor", "withheld"])


@documents_app.command("show")
def documents_show(
    ctx: typer.Context,
    sha: Annotated[str, typer.Argument(metavar="SHA", help="SHA-256 or a unique prefix.")],
    text: Annotated[bool, typer.Option("--text", help="Print its normalised text.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Show an archived document (checked against its signed hashes), and its text."""
    from tally.cli.output import layout_width
    from tally.cli.render import listing
    from tally.ledger.evidence import documents

    state = state_of(ctx, as_json)
    info, body = documents.show(state.ledger(), sha)
    if state.json:
        from tally.cli.answers import DocumentShown

        emit_json(DocumentShown(**info.model_dump(), text=body if text else None))
        return
    # hashes are never cut: the fields stack as `name  value` lines when they do not fit
    fields = info.model_dump()
    emit(listing([fields], f"document {info.sha256[:12]}", list(fields), layout_width()),
         soft_wrap=True)
    if text:
        emit(literal(body))


@documents_app.command("withhold")
def documents_withhold(
    ctx: typer.Context,
    sha: Annotated[str, typer.Argument(metavar="SHA", help="SHA-256 or a unique prefix.")],
    reason: Annotated[str, typer.Option("--reason", metavar="REASON",
                                        help="Why it comes down (a take-down notice).")],
    as_json: JsonOpt = False,
) -> None:
    """Take down an archived document's bytes and text by an operator-signed order.

    They leave the database and the next publish; its signed hashes, the claims anchored
    in it and every proof stay valid.

    Example: tally documents withhold da97c1 --reason "take-down notice of 2026-12-01"
    """
    from tally.cli.validation import build
    from tally.ledger.evidence import documents
    from tally.ledger.model.inputs import WithholdingRecord

    state = state_of(ctx, as_json)
    ledger = state.ledger()
    record = build(WithholdingRecord, sha256=documents.resolve(ledger, sha), reason=reason)
    show_appended(state, ledger.withhold(record, state.operator_key()), "withholding")


def extract(
    ctx: typer.Context,
    document: Annotated[str, typer.Argument(metavar="DOC", help="An archived document "
                                            "(SHA-256 or prefix) or a file to archive.")],
    source: Annotated[str, typer.Option("--source", help="Who published it (a source id).")],
    published: Annotated[str | None, typer.Option("--published",
                                                  help="Publication date (EDTF).")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output",
                                                help="Write the JSONL here.")] = None,
    key: Annotated[str | None, typer.Option("--key", help="Signs the document, if it is "
                                            "not archived yet, and the accepted reports "
                                            "with --interactive.")] = None,
    interactive: Annotated[bool, typer.Option(
        "--interactive", "-i", help="Review each candidate in the terminal (accept, edit, "
        "skip, quit); the accepted ones are appended, signed with --key.")] = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Try it: a file not yet archived is read but not archived, and "
        "nothing is signed.")] = False,
    money: Annotated[bool, typer.Option(
        "--money", help="Propose amounts of money too (rule money, the currency as the "
        "noun); they are never proposed as counts.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Propose candidate report lines, one per numeric mention, for review: with -o, write
    them (JSONL) to fill in each null figure, edit or delete lines, then 'tally import'
    them; without, print a summary table. With --interactive, review them here instead:
    only the ones you accept are appended.

    Example: tally extract article.html --source suspilne --published 2025-02-03
    --key alice -o candidates.jsonl
    """
    import json

    from tally.cli.output import success
    from tally.ledger.evidence.extraction.extract import extract as run

    state = state_of(ctx, as_json)
    if interactive and key is None:
        raise typer.BadParameter("--interactive needs --key: it signs the accepted reports",
                                 param_hint="--key")
    if interactive and output is not None:
        raise typer.BadParameter("--interactive appends what you accept: it writes no file",
                                 param_hint="--output")
    if interactive and dry_run:
        raise typer.BadParameter("--interactive appends what you accept: it cannot be a dry "
                                 "run", param_hint="--dry-run")
    ledger = state.ledger()
    lines = run(ledger, document, source=source, published=published,
                key=state.key(key) if key and not dry_run else None, dry_run=dry_run,
                money=money, quotes=state.read_model().recent_quotes())
    if interactive:
        from tally.cli.output import console, err_console
        from tally.cli.review import review

        assert key is not None
        summary = review(err_console if state.json else console, state.ledger(), lines,
                         state.key(key))
        if state.json:
            emit_json(summary)
            return
        success(literal(f"{len(summary.accepted)} of {summary.candidates} candidates "
                        f"recorded, {summary.skipped} skipped"
                        + (" (stopped early)" if summary.stopped else "")))
        return
    if output is None:
        from tally.cli.candidates_view import candidates_table

        if state.json:
            from tally.cli.answers import Candidates

            emit_json(Candidates(candidates=len(lines), lines=lines))
        else:
            emit(candidates_table(lines))
        return
    output.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines),
                      encoding="utf-8")
    if state.json:
        from tally.cli.answers import CandidatesWritten

        emit_json(CandidatesWritten(candidates=len(lines), output=str(output)))
        return
    unfilled = sum(line["figure"] is None for line in lines)
    success(literal(f"{len(lines)} candidates written to {output} ({unfilled} need a "
                    "figure before import)"))


def register(app: typer.Typer) -> None:
    app.add_typer(documents_app, name="documents")
    app.command()(extract)
