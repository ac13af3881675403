"""Recording: report, correct, retract, and bulk import/export."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from tally.cli.output import emit_json, progress_bar, reported, success
from tally.cli.safe_text import literal
from tally.cli.state import JsonOpt, SigningKeyOpt, show_appended, state_of
from tally.cli.words import counted


def report(
    ctx: typer.Context,
    figure: Annotated[str, typer.Argument(
        metavar="FIGURE", help="Figure id, e.g. izium/burial-site/bodies-exhumed")],
    value: Annotated[
        str, typer.Argument(metavar="VALUE",
                            help="449, >=440, >440, <=30, <30, ~450, 440..451 or a state")
    ],
    as_of: Annotated[
        str,
        typer.Option(
            "--as-of", metavar="DATE",
            help="When it was true (EDTF: 2025-01, 2022-09?, 2022-09-16/2022-09-23)."
        ),
    ],
    source: Annotated[str, typer.Option("--source", metavar="SOURCE",
                                        help="Who said it (a source id).")],
    key: SigningKeyOpt,
    via: Annotated[
        list[str] | None,
        typer.Option("--via", metavar="SOURCE",
                     help="Source ids it came through, in order: repeat --via, or "
                     "separate them with commas (--via izium-cma,suspilne)."),
    ] = None,
    url: Annotated[str | None, typer.Option("--url", metavar="URL",
                                            help="Where it was published (http or https).")] = None,
    published: Annotated[
        str | None, typer.Option("--published", metavar="DATE",
                                 help="Publication date (EDTF).")
    ] = None,
    quote: Annotated[str | None, typer.Option("--quote", metavar="QUOTE",
                                              help="A short exact quote.")] = None,
    document: Annotated[
        str | None, typer.Option("--document", metavar="DOCUMENT",
                                 help="An archived document (SHA-256, a unique "
                                 "prefix, or the file): the quote must occur in its text.")
    ] = None,
    occurrence: Annotated[
        int | None, typer.Option("--occurrence", metavar="N",
                                 help="Which occurrence of the quote (from 1), "
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

    state = state_of(ctx, as_json)
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
    if quote is not None:
        from tally.cli.output import warn
        from tally.ledger.evidence.extraction.stated import states_value

        if not states_value(quote, value):
            warn(f"the quote does not state the value {value}: is it the right passage?",
                 "warning")
    show_appended(state, state.ledger().report(record, state.key(key)), "claim")


def correct(
    ctx: typer.Context,
    claim: Annotated[str, typer.Argument(metavar="CLAIM", help="Claim id or a unique prefix.")],
    value: Annotated[str, typer.Argument(metavar="VALUE", help="The corrected value.")],
    reason: Annotated[str, typer.Option("--reason", metavar="REASON",
                                        help="Why it is corrected.")],
    key: SigningKeyOpt,
    as_json: JsonOpt = False,
) -> None:
    """Correct a claim with a new value (signed by its signer or an operator).

    Example: tally correct 69cec0ff 449 --reason "final count" --key alice
    """
    from tally.cli.validation import build
    from tally.ledger.model.inputs import CorrectionRecord

    state = state_of(ctx, as_json)
    record = build(CorrectionRecord, claim=claim.lower(), value=value, reason=reason)
    show_appended(state, state.ledger().correct(record, state.key(key)), "correction")


def retract(
    ctx: typer.Context,
    claim: Annotated[str, typer.Argument(metavar="CLAIM", help="Claim id or a unique prefix.")],
    reason: Annotated[str, typer.Option("--reason", metavar="REASON",
                                        help="Why it is retracted.")],
    key: SigningKeyOpt,
    as_json: JsonOpt = False,
) -> None:
    """Retract a claim (it stays in history, no longer counts).

    Example: tally retract 69cec0ff --reason "misattributed" --key alice
    """
    from tally.cli.validation import build
    from tally.ledger.model.inputs import RetractionRecord

    state = state_of(ctx, as_json)
    record = build(RetractionRecord, claim=claim.lower(), reason=reason)
    show_appended(state, state.ledger().retract(record, state.key(key)), "retraction")


def redact(
    ctx: typer.Context,
    claim: Annotated[str, typer.Argument(metavar="CLAIM", help="Claim id or a unique prefix.")],
    field: Annotated[str, typer.Option("--field", metavar="FIELD",
                                       help="quote (with its anchor's text), url, or body "
                                            "(the whole claim and its follow-ups).")],
    reason: Annotated[str, typer.Option("--reason", metavar="REASON",
                                        help="Why it comes down (an order, a danger).")],
    as_json: JsonOpt = False,
) -> None:
    """Take down a claim's quote or URL, or its whole body, by an operator-signed order.

    The value leaves the database, the read model, exports and the next publish; the
    claim, its signature and every proof stay valid, and views show the order instead.
    A claim signed before format v2 commits to no field apart: only its whole body can
    come down (--field body). Its events then keep their leaf hashes and nothing else,
    so every other entry's proofs hold; the claim leaves its figure.

    Example: tally redact 69cec0ff --field quote --reason "names a witness"
    """
    from tally.cli.validation import build
    from tally.ledger.model.inputs import RedactionRecord

    state = state_of(ctx, as_json)
    record = build(RedactionRecord, claim=claim.lower(), field=field, reason=reason)
    show_appended(state, state.ledger().redact(record, state.operator_key()), "redaction")


def import_(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(metavar="FILE",
                             help="A JSONL file (see docs/cli.md for the line format).")
    ],
    key: Annotated[
        str | None, typer.Option("--key", metavar="NAME",
                                 help="Signs lines that carry no signature.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import a JSONL file: all lines are validated before anything is written; idempotent.

    Example: tally import examples/izium/izium.jsonl --key alice
    """
    from tally.ledger.importer import import_file

    state = state_of(ctx, as_json)
    pair = state.key(key) if key else None
    ledger = state.ledger()
    with progress_bar(f"importing {file.name}") as progress:
        summary = import_file(ledger, file, pair, progress)
    if state.json:
        emit_json(summary)
    else:
        kinds = ", ".join(counted(n, t, t + "es" if t.endswith("s") else None)
                          for t, n in sorted(summary.by_type.items()))
        success(Text.assemble(
            "imported ", literal(file), f": {summary.added} added (",
            literal(kinds or "nothing new"), f"), {summary.skipped} already recorded",
            f"; {counted(summary.not_held, 'order')} withholding a claim this ledger does not "
            "hold skipped" if summary.not_held else "",
        ))


def export(
    ctx: typer.Context,
    format_: Annotated[
        str, typer.Option("--format", metavar="FORMAT",
                          help="jsonl (re-importable), csv (one row per claim), or an interop "
                               "format: jsonld, datapackage, prov-json, prov-n, prov-o, "
                               "quickstatements, vc (docs/interop.md)")
    ] = "jsonl",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE|DIR",
                                  help="File to write (default stdout); a folder for "
                                       "datapackage.")
    ] = None,
    figure: Annotated[
        str | None, typer.Option("--figure", metavar="PREFIX",
                                 help="Interop formats: only this figure, or a case's prefix.")
    ] = None,
    since: Annotated[
        int | None, typer.Option("--since", metavar="POSITION", min=0,
                                 help="Interop formats: only claims recorded, corrected or "
                                      "retracted after this position.")
    ] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", metavar="URL",
                                 help="Interop formats: where the site is published "
                                      "(default https://ORIGIN/), for absolute permalinks.")
    ] = None,
    map_file: Annotated[
        Path | None, typer.Option("--map", metavar="FILE",
                                  help="quickstatements: figure prefix -> Wikidata item and "
                                       "property (JSON, docs/interop.md).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Export the ledger: jsonl re-imports to an identical ledger; csv is for spreadsheets;
    jsonld, datapackage, prov-json, prov-n, prov-o, quickstatements and vc are for other
    tools, each claim with its permalink, leaf index, leaf hash and checkpoint.

    With --json, -o FILE is required: the export goes there, and the JSON answer
    (`format`, `output`, `lines`; for an interop format `claims`, `files`, `warnings`)
    to stdout.
    Example: tally export --format jsonl -o ledger.jsonl
    """
    state = state_of(ctx, as_json)
    if state.json and output is None:
        raise typer.BadParameter("with --json, write the export to a file with -o FILE",
                                 param_hint="--output")
    if format_ not in ("jsonl", "csv"):
        from tally.cli.interop_export import export_interop

        export_interop(state, format_, output, figure, since, base_url, map_file)
        return
    if any(o is not None for o in (figure, since, base_url, map_file)):
        raise typer.BadParameter("--figure, --since, --base-url and --map apply to the "
                                 "interop formats, not to jsonl or csv", param_hint="--format")
    out = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    count = 0
    try:
        if format_ == "jsonl":
            from tally.ledger.exporter import export_lines

            for line in export_lines(state.ledger()):
                out.write(line + "\n")
                count += 1
        else:
            import csv

            rows = state.read_model().claim_rows()
            writer = csv.DictWriter(out, fieldnames=list(rows[0].keys()) if rows else ["claim_id"])
            writer.writeheader()
            writer.writerows(rows)
            count = len(rows) + 1
    finally:
        if output:
            out.close()
    if state.json:
        from tally.cli.answers import Exported

        emit_json(Exported(format=format_, output=str(output), lines=count))
    elif output:
        reported(Text.assemble(f"wrote {counted(count, 'line')} of {format_} to ",
                               literal(str(output))))


def register(app: typer.Typer) -> None:
    app.command()(report)
    app.command()(correct)
    app.command()(retract)
    app.command()(redact)
    app.command("import")(import_)
    app.command()(export)
