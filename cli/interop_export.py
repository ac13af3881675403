"""`tally export` in the interop formats (jsonld, datapackage, ...): parses, calls
`tally.projections.interop`, and says what was written."""

from __future__ import annotations

import sys
from pathlib import Path

from rich.text import Text

from tally.cli.output import emit_json, success, warn
from tally.cli.safe_text import literal
from tally.cli.state import State


def export_interop(state: State, format_: str, output: Path | None, figure: str | None,
                   since: int | None, base_url: str | None, map_file: Path | None) -> None:
    from tally.projections.interop.formats import Options, check_format, write_export
    from tally.projections.interop.mapping import gather

    check_format(format_)  # before the ledger is read
    record = gather(state.ledger(), state.read_model(), figure=figure, since=since,
                    base_url=base_url)
    operator = state.operator_key() if format_ == "vc" else None
    written = write_export(format_, record, output, sys.stdout,
                           Options(map_file=map_file, ledger=state.ledger(), operator=operator))
    for warning in written.warnings:
        warn(warning)
    if state.json:
        emit_json(written)
    elif output is not None:
        success(Text.assemble(f"wrote {written.claims} claims as {format_} to ",
                              literal(str(output))))
