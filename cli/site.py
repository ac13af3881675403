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


def clone(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="SOURCE",
                                          help="The site: a directory or an http(s) URL.")],
    operator_key: Annotated[str, typer.Option(
        "--operator-key", help="The operator's public key (hex) you trust.")],
    as_json: JsonOpt = False,
) -> None:
    """Build (or resume) a read-only replica in --db from a published site alone: the
    checkpoint's signature, every entry against the tiles and the root, the full audit
    (rules and signatures), then the read models.

    Example: tally --db replica.db clone https://example.org/izium/ --operator-key 8fd6...
    """
    from ledger.replica import follow
    from ledger.signing import parse_public_key
    from ledger.site_source import SiteSource

    state = _state(ctx, as_json)
    key = parse_public_key(operator_key)
    site = SiteSource(source)
    ledger = state.ledger(create=True)
    with progress_bar("cloning") as progress:
        done = follow(ledger, site, key, progress)
    if state.json:
        emit_json({"source": source, "size": done.size, "previous_size": done.previous_size,
                   "checkpoint": done.checkpoint})
    else:
        success(Text.assemble(
            ("ok", "green"), f": {done.size - done.previous_size} entries taken from ",
            literal(source), f"; the replica holds checkpoint {done.size} ",
            f"of {ledger.info().origin}"))


def register(app: typer.Typer) -> None:
    app.command()(publish)
    app.command()(clone)
