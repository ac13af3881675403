"""`tally history` as a table that fits the terminal: columns are chosen for the width rich
gives it, so no header breaks and no id is split.

From 72 columns: as of, value, chart, entry; narrower (or when the chart's `CHART_CELLS`
would squeeze the entry), the chart is dropped; its scale comes from the values alone, so it
is the same at every width that shows it. Under 48, the
as of and value are stacked into the entry. The entry stacks what a row says: its kind, id
and position, the source chain (or the reason of a follow-up), the quote (wrapped), the
published date and URL, and with `full` the full ids, the signer and the recording time.
"""

from __future__ import annotations

from typing import Any

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from tally.cli import chart
from tally.cli.safe_text import literal, visible

CHART_FROM = 72  # narrower than this, the chart is dropped
CHART_CELLS = 12  # the chart's width: its scale is chosen from the data alone
STACK_BELOW = 48  # narrower than this, as of and value are stacked into the entry
ENTRY_MIN = 30  # the entry column's least width: "correction 0123abcd #12345" fits
ENTRY_MIN_FULL = 34  # ... and a whole 32-digit id with the cell's padding
_STYLE = {"claim": "", "correction": "yellow", "retraction": "red"}


def _chain(e: Any) -> str:
    return " → ".join(visible(s) for s in [e.source, *e.via])


def _fill(items: list[str], width: int) -> list[str]:
    """Items joined two spaces apart into lines of at most `width` cells, never splitting an
    item that fits on a line of its own (rich would wrap inside "✎ corrected since")."""
    lines: list[str] = []
    for item in items:
        if lines and cell_len(lines[-1]) + 2 + cell_len(item) <= width:
            lines[-1] += "  " + item
        else:
            lines.append(item)
    return lines


class History:
    """The history of one figure (a HistoryOut), rendered for the width at hand."""

    def __init__(self, out: Any, full: bool = False) -> None:
        self.out = out
        self.full = full
        self.moved: dict[str, int] = {}  # URLs too long for the entry: listed under the table
        self.corrected = {e.claim_id for e in out.entries if e.kind == "correction"}
        self.retracted = {e.claim_id for e in out.entries if e.kind == "retraction"}

    def _id(self, ident: str) -> str:
        return visible(ident if self.full else ident[:8])

    def entry(self, e: Any, stacked: bool) -> Text:
        text = Text()
        if stacked:
            text.append(f"{visible(e.as_of.text)}  ")
            text.append(visible(e.value.written) if e.value else "—", style="bold")
            text.append("\n")
        ident = e.claim_id if e.kind == "claim" else e.id
        text.append(e.kind, style=_STYLE[e.kind] or "bold")
        text.append(f" #{e.position}\n" if self.full else f" {self._id(ident)} #{e.position}\n")
        if self.full:
            text.append(f"{visible(ident)}\n")
        if e.kind != "claim":
            text.append(f"of claim {self._id(e.claim_id)}: {visible(e.reason or '')}\n",
                        style=_STYLE[e.kind])
        else:
            text.append(_chain(e) + "\n")
            if e.quote:
                text.append(f"“{visible(e.quote)}”\n", style="italic")
            if e.published:
                text.append(f"published {visible(e.published)}\n")
            if e.url in self.moved:
                text.append(f"url [{self.moved[e.url]}], under the table\n")
            elif e.url:
                text.append(f"{visible(e.url)}\n", style="underline")
        if e.claim_id in self.retracted and e.kind == "claim":
            text.append(f"{chart.RETRACTED} retracted since\n", style="red")
        elif e.claim_id in self.corrected and e.kind == "claim":
            text.append(f"{chart.CORRECTED} corrected since\n", style="yellow")
        if self.full:
            text.append(f"signer {visible(e.signer)}\n"
                        f"recorded {e.recorded_at:%Y-%m-%dT%H:%M:%SZ}\n", style="dim")
            if e.document_sha256:
                text.append(f"document {visible(e.document_sha256)}\n", style="dim")
        text.rstrip()
        return text

    def _bar(self, e: Any, scale: chart.Scale) -> Text:
        if e.kind == "retraction" or (e.kind == "claim" and e.claim_id in self.retracted):
            return Text(chart.RETRACTED, style="red")
        if e.value is None or e.value.interval is None:
            return Text("")
        drawn = chart.bar(e.value, scale)
        if e.kind == "claim" and e.claim_id in self.corrected:
            return Text(drawn + chart.CORRECTED, style="dim")
        return Text(drawn, style="yellow" if e.kind == "correction" else "cyan")

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self._parts(options.max_width)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        """What the layout for the width at hand needs (off a terminal, `output.emit` asks
        this at an unbounded width, then prints at its maximum: nothing wraps)."""
        return Measurement.get(console, options, Group(*self._parts(options.max_width)))

    def _parts(self, width: int) -> list[RenderableType]:
        """The table (and the notes under it) laid out for `width` columns."""
        out = self.out
        stacked = width < STACK_BELOW
        as_of_width = max([len("as of"), *(len(visible(e.as_of.text)) for e in out.entries)])
        value_width = max([len("value"),
                           *(len(visible(e.value.written)) for e in out.entries if e.value)])
        # 3 columns of padding and rules per column, the entry's least width, the rest: chart
        entry_min = ENTRY_MIN_FULL if self.full else ENTRY_MIN
        room = width - as_of_width - value_width - entry_min - 4 * 3
        scale = None
        if not stacked and width >= CHART_FROM and room >= CHART_CELLS:
            scale = chart.scale([e.value for e in out.entries], CHART_CELLS)
        named = f"{out.name} — {out.figure}" if out.name else out.figure
        table = Table(title=literal(f"history of {named} ({out.unit})"), box=box.SIMPLE_HEAD,
                      expand=True, title_justify="left")
        if not stacked:
            table.add_column("as of", no_wrap=True, min_width=as_of_width)
            table.add_column("value", no_wrap=True, justify="right", min_width=value_width)
        if scale is not None:
            table.add_column(scale.header(), no_wrap=True, min_width=scale.width + 1,
                             max_width=scale.width + 1)
        table.add_column("entry", overflow="fold", ratio=1, min_width=min(entry_min, width - 4))
        self._move_long_urls(width - 4 if stacked else room + entry_min
                             - (0 if scale is None else scale.width + 1 + 3))
        drawn = ""
        for e in out.entries:
            cells: list[Text] = []
            if not stacked:
                cells.append(literal(e.as_of.text))
                cells.append(literal(e.value.written if e.value else "—",
                                     style=_STYLE[e.kind]))
            if scale is not None:
                cells.append(self._bar(e, scale))
                drawn += cells[-1].plain
            cells.append(self.entry(e, stacked))
            table.add_row(*cells)
        parts: list[RenderableType] = [table]
        notes = []
        if scale is not None:
            notes += _fill([f"chart: {scale.describe(visible(out.unit))};",
                            *chart.legend(drawn)], width)
        elif not stacked and any(e.value and e.value.interval for e in out.entries):
            needed = max(CHART_FROM, width - room + CHART_CELLS)
            notes.append(f"chart hidden below {needed} columns")
        if not out.entries:
            notes.append("no entries" + (f" with as_of in {visible(out.period)}"
                                          if getattr(out, "period", None) else ""))
        # a URL is never broken: one longer than the screen runs on, and the terminal wraps it
        urls = [Text(f"[{n}] {visible(url)}", no_wrap=True, overflow="ignore")
                for url, n in self.moved.items()]
        return parts + urls + [Text(note, style="dim") for note in notes]

    def _move_long_urls(self, entry_width: int) -> None:
        """Number the URLs that do not fit on a line of the entry column, to be listed whole
        under the table."""
        self.moved = {}
        for e in self.out.entries:
            if e.url and len(visible(e.url)) > entry_width and e.url not in self.moved:
                self.moved[e.url] = len(self.moved) + 1
