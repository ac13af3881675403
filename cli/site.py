"""Publishing and following a static site: publish, clone, monitor."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from tally.cli.audit import PolicyOpt, read_policy, witnessed_by
from tally.cli.output import emit_json, progress_bar, read_text_file, success
from tally.cli.safe_text import literal
from tally.cli.state import JsonOpt, state_of
from tally.cli.words import counted

TimeoutOpt = Annotated[float | None, typer.Option(
    "--timeout", metavar="SECONDS", min=0.001,
    help="Give up (exit 1) when the run's fetches take longer than this in all.")]
FollowRedirectsOpt = Annotated[bool, typer.Option(
    "--follow-redirects", help="Follow a redirect to another scheme or host too (never to "
    "anything but http or https).")]

if TYPE_CHECKING:
    from tally.ledger.tlog.monitor import MonitorState

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
        done = run_publish(state.read_model(), directory, operator, progress=progress,
                           keep=keystore.home, base_url=base_url)
    if state.json:
        emit_json({"directory": str(directory), "size": done.size,
                   "previous_size": done.previous_size, "written": done.written,
                   "unchanged": done.unchanged, "bytes_written": done.bytes_written,
                   "read_model": done.read_model})
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
    from tally.ledger.tlog.replica_update import update
    from tally.ledger.tlog.source import SiteSource

    state = state_of(ctx, as_json)
    key = parse_public_key(operator_key)
    site = SiteSource(source, run_seconds=timeout, follow_redirects=follow_redirects)
    with _evidence_on_refusal(state.db, source, evidence_file), \
            progress_bar("cloning") as progress:
        done = update(state.db, site, key, create=True, progress=progress)
    if state.json:
        emit_json({"source": source, "size": done.size, "previous_size": done.previous_size,
                   "checkpoint": done.checkpoint})
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
    state_file: Annotated[Path, typer.Option(
        "--state", help="The state file kept without a replica.")] = Path("tally-monitor.json"),
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
    from tally.ledger.tlog.monitor import note_size, watch
    from tally.ledger.tlog.replica_update import update
    from tally.ledger.tlog.source import SiteSource

    state = state_of(ctx, as_json)
    site = SiteSource(source, run_seconds=timeout, follow_redirects=follow_redirects)
    key = None if operator_key is None else parse_public_key(operator_key)
    required = None if policy is None else read_policy(policy)
    seen = None
    if state.db is None and state_file.exists():
        seen = _seen(state_file)
        key = key or bytes.fromhex(seen.operator_public_key)
    with _evidence_on_refusal(state.db, source, evidence_file,
                              None if seen is None else seen.checkpoint), \
            progress_bar("monitoring") as progress:
        if state.db is not None:
            done = update(state.db, site, key, progress=progress, policy=required)
            before, size, mode = done.previous_size, done.size, "replica"
            note = done.checkpoint
            key = bytes.fromhex(done.operator_public_key)
        else:
            if key is None:
                raise typer.BadParameter("give the operator's key on the first look",
                                         param_hint="--operator-key")
            new = watch(site, key, seen, state_file, required, progress)
            _replace(state_file, new.model_dump_json(indent=2) + "\n")
            before = 0 if seen is None else note_size(seen.checkpoint) or 0
            size, mode, note = note_size(new.checkpoint) or 0, "state", new.checkpoint
    witnessed = [] if required is None else witnessed_by(required, note, key)
    if state.json:
        emit_json({"ok": True, "source": source, "mode": mode, "previous_size": before,
                   "size": size, "witnessed_by": witnessed})
    else:
        growth = (f" unchanged at {counted(size, 'entry', 'entries')}" if size == before else
                  f" grew from {before} to {counted(size, 'entry', 'entries')}, consistently")
        success(Text.assemble(("ok", "green"), ": ", literal(source), growth))
        if witnessed:
            success(Text.assemble("checkpoint cosigned to the policy's quorum by ",
                                  literal(", ".join(witnessed))))


@contextmanager
def _evidence_on_refusal(db: str | None, source: str, evidence_file: Path,
                         old_note: str | None = None) -> Iterator[None]:
    """A refused site: the evidence file written, the refusal noted on the replica (every
    read command repeats it), and one sentence naming both."""
    from tally.ledger.tlog.checked_site import SiteError
    from tally.ledger.tlog.monitor import evidence
    from tally.ledger.tlog.replica_update import record_refusal

    try:
        yield
    except SiteError as e:
        _replace(evidence_file, evidence(e, source, old_note).model_dump_json(indent=2) + "\n")
        if db is not None:
            record_refusal(db, e.message, evidence_file)
        raise SiteError(f"{e.message} (evidence written to {evidence_file})",
                        entry=e.entry) from None


def _seen(path: Path) -> MonitorState:
    from pydantic import ValidationError

    from tally.ledger.errors import InputError
    from tally.ledger.tlog.monitor import MonitorState

    try:
        return MonitorState.model_validate_json(read_text_file(path, "state"))
    except ValidationError:
        raise InputError(f"{path} is not a monitor state file", field="state") from None


def _replace(path: Path, text: str) -> None:
    """Write a whole file under a temporary name, then rename it: never half a state file."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def register(app: typer.Typer) -> None:
    app.command()(publish)
    app.command()(clone)
    app.command()(monitor)
