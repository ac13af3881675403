"""Renderings of `tally log`, `tally event` and `tally claims`: tables whose ids never split
(only free text wraps), recorded text shown through `literal`/`visible`, times in UTC
with `Z`. An event that fails a check says so first, in red, before anything it holds."""

from __future__ import annotations

import json
from typing import Any

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from tally.cli.render import amended
from tally.cli.safe_text import literal, visible
from tally.ledger.model.moments import iso_utc

_MARK = {"valid": ("✓", "green"), "withheld": ("⊘", "yellow")}


def _short(ident: str | None) -> str:
    """A hex id (claim, follow-up, ledger, document) as its first 8 digits, which every
    command accepts as a prefix; other ids (figures, sources, key ids) in full."""
    if ident is None:
        return "?"
    if len(ident) >= 32 and all(c in "0123456789abcdef" for c in ident):
        return visible(ident[:8])
    return visible(ident)


def _signature(status: str, word: bool = False) -> Text:
    """✓ for a valid signature (with `word`, "✓ valid"); ✗ and the status, in red, else."""
    mark, style = _MARK.get(status, ("✗", "bold red"))
    return Text(f"{mark} {status}" if word or status != "valid" else mark, style=style)


class _Log:
    """`tally log` laid out for the width at hand: a URL longer than the event column is
    listed whole under the table (`[1]` in its row), never broken mid-word."""

    def __init__(self, out: Any) -> None:
        self.out = out

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield _log_parts(self.out, options.max_width)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, _log_parts(self.out, options.max_width))


def log(out: Any) -> RenderableType:
    """One row per event: position, leaf, the signer (with the signature's status) above
    the recording time, and the event (type and id above its summary, wrapped)."""
    return _Log(out)


def _moved_urls(out: Any, width: int) -> dict[str, int]:
    """The URLs of the summaries too long for the event column at `width`, numbered."""
    widest = max([3, *(len(str(e.position)) for e in out.events)])
    room = width - 2 * widest - 22 - 4 * 3 - 1  # pos, leaf (no wider), signer, padding
    moved: dict[str, int] = {}
    for e in out.events:
        for word in e.summary.split():
            if word.startswith(("http://", "https://")) and len(visible(word)) > room:
                moved.setdefault(word, len(moved) + 1)
    return moved


def _log_parts(out: Any, width: int) -> Group:
    moved = _moved_urls(out, width)
    table = Table(box=box.SIMPLE_HEAD, expand=True, title_justify="left",
                  title=literal(_log_title(out)))
    table.add_column("pos", no_wrap=True, justify="right")
    table.add_column("leaf", no_wrap=True, justify="right")
    table.add_column("signer, recorded (UTC)", overflow="fold", min_width=20, max_width=22)
    table.add_column("event", overflow="fold", ratio=1, min_width=20)
    for e in out.events:
        signed = Text.assemble(visible(e.signer_name or e.signer or "?"), " ")
        signed.append_text(_signature(e.signature_status))
        signed.append("\n" + ("—" if e.recorded_at is None
                              else iso_utc(e.recorded_at, "seconds")), style="dim")
        summary = " ".join(f"[{moved[w]}]" if w in moved else w for w in e.summary.split(" "))
        cell = Text.assemble((visible(e.type), "bold"), " ", _short(e.id), "\n",
                             visible(summary))
        table.add_row(Text(str(e.position)), Text("—" if e.leaf_index is None
                                                  else str(e.leaf_index)), signed, cell)
    parts: list[RenderableType] = [table]
    # a URL is never broken: one longer than the screen runs on, and the terminal wraps it
    parts += [Text(f"[{n}] {visible(url)}", no_wrap=True, overflow="ignore")
              for url, n in moved.items()]
    if not out.events:
        parts.append(Text("no events" + (" of these types" if out.types else "")
                          + " in these positions", style="dim"))
    if out.next_position is not None:
        parts.append(Text(f"more: tally log --from {out.next_position}"
                          + "".join(f" --type {visible(t)}" for t in out.types)
                          + (f" --to {out.to_position}" if out.to_position else ""),
                          style="dim"))
    return Group(*parts)


def _log_title(out: Any) -> str:
    through = f"to {out.to_position}" if out.to_position else "on"
    kinds = f" of type {', '.join(out.types)}" if out.types else ""
    return f"events from position {out.from_position} {through}{kinds}"


def event(out: Any) -> RenderableType:
    """The verdict first (VERIFIED, or FAILS with each problem), then where the event is,
    who signed it and how that was checked, its leaf and checkpoint, and the signed body
    as stored (pretty-printed JSON) with its signature."""
    verdict = Text()
    if out.verified and out.signature_status == "withheld":
        verdict.append("✓ withheld", style="bold green")
        verdict.append(": by an order of the operator; its leaf is as logged")
    elif out.verified:
        verdict.append("✓ verified", style="bold green")
        verdict.append(": signature, leaf" + (" and inclusion in its checkpoint"
                                              if out.inclusion else ""))
    else:
        verdict.append("✗ FAILS", style="bold red")
        for problem in out.problems:
            verdict.append("\n  " + visible(problem), style="red")
    lines = Text()
    lines.append(f"event {out.position}", style="bold")
    lines.append(f": {visible(out.type)}, version {out.version} of aggregate "
                 f"{visible(out.aggregate_id)}\n")
    if out.id is not None:
        lines.append(f"id {visible(out.id)}\n")
    lines.append(visible(out.summary) + "\n")
    recorded = "?" if out.recorded_at is None else iso_utc(out.recorded_at)
    lines.append(f"recorded {recorded}\n")
    signer = "?" if out.signer is None else visible(out.signer)
    who = f"{visible(out.signer_name)} ({visible(out.signer_role or '')}), " \
        if out.signer_name else ""
    lines.append(f"signer {who}key {signer}\n")
    lines.append("signature ")
    lines.append_text(_signature(out.signature_status, word=True))
    lines.append(f": {visible(out.signature_detail)}\n")
    leaf = "leaf " + ("— (not in the Merkle log)" if out.leaf_index is None
                      else str(out.leaf_index))
    lines.append(leaf + f": {out.leaf_status}\n",
                 style="" if out.leaf_status == "matches the log" else "bold red")
    if out.leaf_hash:
        lines.append(f"leaf hash {out.leaf_hash}\n")
    if out.logged_leaf_hash and out.logged_leaf_hash != out.leaf_hash:
        lines.append(f"logged leaf hash {out.logged_leaf_hash}\n", style="red")
    if out.checkpoint is None:
        lines.append("no checkpoint covers it yet: run 'tally checkpoint'\n", style="dim")
    else:
        lines.append(f"checkpoint {out.checkpoint}: inclusion {out.inclusion}",
                     style="" if out.inclusion == "verified" else "bold red")
        lines.append(f" ({visible(out.inclusion_detail or '')})\n")
    parts: list[RenderableType] = [verdict, lines]
    if out.body is not None:
        parts.append(Text("signed body (as stored):", style="bold"))
        try:
            pretty = json.dumps(json.loads(out.body), indent=2, ensure_ascii=False)
        except ValueError:
            pretty = out.body
        # line by line: `literal` shows a newline inside recorded text as \n
        parts.append(Text("\n").join(literal(line) for line in pretty.split("\n")))
        parts.append(Text.assemble(("signature ", "bold"), literal(out.signature or "")))
    return Group(*parts)


def claims(out: Any) -> RenderableType:
    """A count line, then one row per claim: id, value (marked if corrected or retracted),
    as of, and figure, source chain, quote and what became of it (wrapped)."""
    shown = len(out.claims)
    head = "1 claim matches" if out.total == 1 else f"{out.total} claims match"
    if shown and (out.offset or shown < out.total):
        head += f"; showing {out.offset + 1}-{out.offset + shown}"
    elif not shown and out.total:
        head += f"; none past {out.offset}"
    table = Table(box=box.SIMPLE_HEAD, expand=True, title=literal(head), title_justify="left")
    table.add_column("claim", no_wrap=True)
    table.add_column("value", no_wrap=True, justify="right")
    table.add_column("as of", no_wrap=True)
    table.add_column("figure, source, quote", overflow="fold", ratio=1, min_width=20)
    for c in out.claims:
        value = literal(c.value.written, style="bold")
        if c.retracted or c.corrections:
            value.append(" ✗" if c.retracted else " ✎", style="yellow")
        details = Text(visible(c.figure), style="bold")
        details.append("\n" + " → ".join(visible(s) for s in [c.source, *c.via]))
        for line, style in ((f"“{visible(c.quote)}”" if c.quote else "", "italic"),
                            (visible(amended(c)), "yellow")):
            if line:
                details.append("\n" + line, style=style)
        table.add_row(literal(c.claim_id[:8]), value, literal(c.as_of.text), details)
    return table
