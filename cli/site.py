"""Publishing and following a static site: publish, clone, monitor."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from cli.admin import JsonOpt, _state
from cli.output import emit_json, progress_bar, success
from cli.safe_text import literal


def publish(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="The site's directory.")],
    as_json: JsonOpt = False,
) -> None:
    """Write or update a static site of the ledger in DIR: the log as C2SP tlog-tiles, the
    checkpoint, and JSON pages. Only new or changed files are written, the checkpoint
    last; events after the last checkpoint are checkpointed first (operator key needed).

    Example: tally publish site/
    """
    from projections.publish import publish as run_publish

    state = _state(ctx, as_json)
    ledger = state.ledger()
    operator = state.keystore().find_by_public_key(
        bytes.fromhex(ledger.info().operator_public_key))
    with progress_bar("publishing") as progress:
        done = run_publish(state.views(), directory, operator, progress=progress)
    if state.json:
        emit_json({"directory": str(directory), "size": done.size,
                   "previous_size": done.previous_size, "written": done.written,
                   "unchanged": done.unchanged, "bytes_written": done.bytes_written})
    else:
        success(Text.assemble(
            ("ok", "green"), f": checkpoint {done.size} published to ", literal(directory),
            f" ({done.written} files written, {done.bytes_written} bytes; "
            f"{done.unchanged} unchanged)"))


def register(app: typer.Typer) -> None:
    app.command()(publish)
