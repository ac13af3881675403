"""Publishing and following a static site: publish, clone, monitor."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from tally.cli.audit import PolicyOpt, read_policy
from tally.cli.output import emit_json, progress_bar, success
from tally.cli.safe_text import literal
from tally.cli.state import JsonOpt, state_of
from tally.cli.words import counted

TimeoutOpt = Annotated[float | None, typer.Option(
    "--timeout", metavar="SECONDS", min=0.001,
    help="Give up (exit 1) when the run's fetches take longer than this in all.")]
FollowRedirectsOpt = Annotated[bool, typer.Option(
    "--follow-redirects", help="Follow a redirect to another scheme or host too (never to "
    "anything but http or https).")]

EvidenceOpt = Annotated[Path, typer.Option(
    "--evidence", help="Where to write the evidence of a refused site.")]


def publish(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="The site's directory.")],
    base_url: Annotated[str | None, typer.Option(
        "--base-url", metavar="URL",
        help="Where the site is served: permalinks, citations and exports become absolute "
             "(kept in log.json for the next publish).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write or update a static site of the ledger in DIR: the log as C2SP tlog-tiles, the
    checkpoint, JSON and HTML pages (with their schema.org JSON-LD), the jsonld,
    datapackage and vc exports under exports/ and an Atom feed (feed.atom). Only new or
    changed files are written, the checkpoint last; events after the last checkpoint are
    checkpointed first (operator key needed).

    Example: tally publish site/
    """
    from tally.projections.publish.publisher import publish as run_publish

    state = state_of(ctx, as_json)
    ledger = state.ledger()
    keystore = state.keystore()
    operator = keystore.find_by_public_key(bytes.fromhex(ledger.info().operator_public_key))
    with progress_bar("publishing") as progress:
        done = run_publish(ledger.parts, state.read_model(), directory, operator,
                           progress=progress, keep=keystore.home, base_url=base_url)
    if state.json:
        from tally.cli.answers import Published

        emit_json(Published(directory=str(directory), size=done.size,
                            previous_size=done.previous_size, written=done.written,
                            unchanged=done.unchanged, bytes_written=done.bytes_written,
                            read_model=done.read_model))
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
    evidence_file: EvidenceOpt = Path("tally-evidence.json"),
    timeout: TimeoutOpt = None,
    follow_redirects: FollowRedirectsOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Build (or resume) a read-only replica in --db from a published site alone: the
    checkpoint's signature, every entry against the tiles and the root, the full audit
    (rules, signatures, archived documents and anchored quotes), then the read models. A
    refused site leaves the replica as it was and writes the evidence file.

    Example: tally --db replica.db clone https://example.org/izium/ --operator-key 8fd6...
    """
    from tally.ledger.integrity.signing import parse_public_key
    from tally.ledger.tlog.following import clone as run_clone
    from tally.ledger.tlog.source import SiteSource

    state = state_of(ctx, as_json)
    key = parse_public_key(operator_key)
    site = SiteSource(source, run_seconds=timeout, follow_redirects=follow_redirects)
    with progress_bar("cloning") as progress:
        done = run_clone(state.db, site, key, evidence_file, progress)
    if state.json:
        emit_json(done)
    else:
        success(Text.assemble(
            ("ok", "green"), f": {done.size - done.previous_size} entries taken from ",
            literal(source), f"; the replica holds checkpoint {done.size} ",
            f"of {done.origin}"))


def monitor(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="SOURCE",
                                          help="The site: a directory or an http(s) URL.")],
    operator_key: Annotated[str | None, typer.Option(
        "--operator-key", help="The operator's public key (hex); needed on the first look "
        "without a replica.")] = None,
    state_file: Annotated[Path | None, typer.Option(
        "--state", help="The state file kept without a replica (default "
        "tally-monitor.json); given without --db, the site is watched without one, "
        "whatever TALLY_DB names.")] = None,
    evidence_file: EvidenceOpt = Path("tally-evidence.json"),
    policy: PolicyOpt = None,
    timeout: TimeoutOpt = None,
    follow_redirects: FollowRedirectsOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Check a published site's growth and audit its new entries (rules, signatures and
    archived documents): with --db, update that replica; without it, check the site against
    the state file and audit in a private replica kept beside it (STATE.db). The site's
    checkpoint is fetched once. A fork (two signed checkpoints of one size with different
    roots), a changed tile, bundle, document or checkpoint, a missing tile or document, or
    an entry failing the audit exits 1, names the entry, leaves the replica at its last
    good checkpoint and writes both checkpoints and the proof to the evidence file. With
    --policy, a new checkpoint short of the policy's quorum exits 1 naming the missing
    witnesses, and nothing is taken.

    Example: tally --db replica.db monitor https://example.org/izium/
    """
    from tally.ledger.integrity.signing import parse_public_key
    from tally.ledger.tlog.following import monitor as run_monitor
    from tally.ledger.tlog.source import SiteSource

    state = state_of(ctx, as_json)
    replica = _replica(ctx, state.db, state_file)
    state_file = state_file or Path("tally-monitor.json")
    site = SiteSource(source, run_seconds=timeout, follow_redirects=follow_redirects)
    key = None if operator_key is None else parse_public_key(operator_key)
    if replica is None and key is None and not state_file.exists():
        raise typer.BadParameter("give the operator's key on the first look",
                                 param_hint="--operator-key")
    required = None if policy is None else read_policy(policy)
    with progress_bar("monitoring") as progress:
        done = run_monitor(replica, site, key, state_file, evidence_file, required, progress)
    if state.json:
        emit_json(done)
    else:
        before, size = done.previous_size, done.size
        growth = (f" unchanged at {counted(size, 'entry', 'entries')}" if size == before else
                  f" grew from {before} to {counted(size, 'entry', 'entries')}, consistently")
        success(Text.assemble(("ok", "green"), ": ", literal(source), growth))
        if done.witnessed_by:
            success(Text.assemble("checkpoint cosigned to the policy's quorum by ",
                                  literal(", ".join(done.witnessed_by))))


def _replica(ctx: typer.Context, db: str | None, state_file: Path | None) -> str | None:
    """The replica `monitor` updates: --db, or TALLY_DB unless --state asks for the state
    mode (the demo exports TALLY_DB, naming the operator's own ledger)."""
    if state_file is None:
        return db
    given = ctx.find_root().get_parameter_source("db")  # click's ParameterSource, by name:
    return db if given is not None and given.name == "COMMANDLINE" else None  # (vendored)


def register(app: typer.Typer) -> None:
    app.command()(publish)
    app.command()(clone)
    app.command()(monitor)
