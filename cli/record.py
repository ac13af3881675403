"""Recording: report, correct, retract, and bulk import/export."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from tally.cli.admin import JsonOpt, _done, _state
from tally.cli.output import emit_json, progress_bar, success
from tally.cli.safe_text import literal

KeyOpt = Annotated[str, typer.Option("--key", help="The local key that signs (see 'tally keys').")]


def report(
    ctx: typer.Context,
    figure: Annotated[str, typer.Argument(help="Figure id, e.g. izium/burial-site/bodies-exhumed")],
    value: Annotated[
        str, typer.Argument(help="449, >=440, >440, <=30, <30, ~450, 440..451 or a state")
    ],
    as_of: Annotated[
        str,
        typer.Option(
            "--as-of", help="When it was true (EDTF: 2025-01, 2022-09?, 2022-09-16/2022-09-23)."
        ),
    ],
    source: Annotated[str, typer.Option("--source", help="Who said it (a source id).")],
    key: KeyOpt,
    via: Annotated[
        list[str] | None,
        typer.Option("--via", help="Source ids it came through, in order: repeat --via, or "
                     "separate them with commas (--via izium-cma,suspilne)."),
    ] = None,
    url: Annotated[str | None, typer.Option("--url")] = None,
    published: Annotated[
        str | None, typer.Option("--published", help="Publication date (EDTF).")
    ] = None,
    quote: Annotated[str | None, typer.Option("--quote", help="A short exact quote.")] = None,
    document: Annotated[
        str | None, typer.Option("--document", help="An archived document (SHA-256, a unique "
                                 "prefix, or the file): the quote must occur in its text.")
    ] = None,
    occurrence: Annotated[
        int | None, typer.Option("--occurrence", help="Which occurrence of the quote (from 1), "
                                 "when it occurs more than once.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Append a signed claim: FIGURE was VALUE as of a date, according to a source.

    Example: tally report izium/burial-site/bodies-exhumed 447 --as-of 2022-09-23
    --source hromadske --key alice
    """
    from tally.cli.validation import build, split_list
    from tally.ledger.model.inputs import ReportRecord

    state = _state(ctx, as_json)
    document_sha256 = None
    if document is not None:
        from tally.ledger.evidence.documents import reference

        document_sha256 = reference(state.ledger(), document)
    record = build(
        ReportRecord,
        figure=figure,
        value=value,
        as_of=as_of,
        source=source,
        via=[hop for item in via or [] for hop in split_list(item)],
        url=url,
        published=published,
        quote=quote,
        document_sha256=document_sha256,
        occurrence=occurrence,
    )
    _done(state, state.ledger().report(record, state.key(key)), "claim")


def correct(
    ctx: typer.Context,
    claim: Annotated[str, typer.Argument(help="Claim id or a unique prefix.")],
    value: Annotated[str, typer.Argument(help="The corrected value.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is corrected.")],
    key: KeyOpt,
    as_json: JsonOpt = False,
) -> None:
    """Correct a claim with a new value (signed by its signer or an operator).

    Example: tally correct 69cec0ff 449 --reason "final count" --key alice
    """
    from tally.cli.validation import build
    from tally.ledger.model.inputs import CorrectionRecord

    state = _state(ctx, as_json)
    record = build(CorrectionRecord, claim=claim.lower(), value=value, reason=reason)
    _done(state, state.ledger().correct(record, state.key(key)), "correction")


def retract(
    ctx: typer.Context,
    claim: Annotated[str, typer.Argument(help="Claim id or a unique prefix.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is retracted.")],
    key: KeyOpt,
    as_json: JsonOpt = False,
) -> None:
    """Retract a claim (it stays in history, no longer counts).

    Example: tally retract 69cec0ff --reason "misattributed" --key alice
    """
    from tally.cli.validation import build
    from tally.ledger.model.inputs import RetractionRecord

    state = _state(ctx, as_json)
    record = build(RetractionRecord, claim=claim.lower(), reason=reason)
    _done(state, state.ledger().retract(record, state.key(key)), "retraction")


def import_(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="A JSONL file (see docs/cli.md for the line format).")
    ],
    key: Annotated[
        str | None, typer.Option("--key", help="Signs lines that carry no signature.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import a JSONL file: all lines are validated before anything is written; idempotent.

    Example: tally import examples/izium/izium.jsonl --key alice
    """
    from tally.ledger.importer import import_lines

    state = _state(ctx, as_json)
    pair = state.key(key) if key else None
    ledger = state.ledger()
    with file.open("rb") as f:
        total = sum(1 for _ in f)
    with file.open("rb") as f, progress_bar(f"importing {file.name}") as progress:
        summary = import_lines(ledger, f, pair, progress=progress, total=total)
    if state.json:
        emit_json(summary)
    else:
        kinds = ", ".join(f"{n} {t}s" for t, n in sorted(summary.by_type.items()))
        success(Text.assemble(
            "imported ", literal(file), f": {summary.added} added (",
            literal(kinds or "nothing new"), f"), {summary.skipped} already recorded",
        ))


def export(
    ctx: typer.Context,
    format_: Annotated[
        str, typer.Option("--format", help="jsonl (re-importable) or csv (one row per claim)")
    ] = "jsonl",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default stdout).")
    ] = None,
) -> None:
    """Export the ledger: jsonl re-imports to an identical ledger; csv is for spreadsheets.

    Example: tally export --format jsonl -o ledger.jsonl
    """
    state = _state(ctx)
    if format_ not in ("jsonl", "csv"):
        raise typer.BadParameter("must be jsonl or csv", param_hint="--format")
    out = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        if format_ == "jsonl":
            from tally.ledger.exporter import export_lines

            for line in export_lines(state.ledger()):
                out.write(line + "\n")
        else:
            import csv

            rows = state.views().claim_rows()
            writer = csv.DictWriter(out, fieldnames=list(rows[0].keys()) if rows else ["claim_id"])
            writer.writeheader()
            writer.writerows(rows)
    finally:
        if output:
            out.close()


def register(app: typer.Typer) -> None:
    app.command()(report)
    app.command()(correct)
    app.command()(retract)
    app.command("import")(import_)
    app.command()(export)
