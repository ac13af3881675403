"""Everything the CLI prints: rich consoles, JSON output, errors and progress bars.

Recorded text reaches these only as `safe_text.literal(...)` Texts (or inside
renderables built of them), never inside a markup string: rich's markup escaping
cannot keep every backslash and bracket as written. The consoles never turn
":name:" into an emoji either.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console, RenderableType
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
from rich.progress import Progress as Bars
from rich.text import Text

from tally.cli.safe_text import json_text, literal, visible
from tally.ledger.model.moments import iso_utc
from tally.ledger.progress import Progress

console = Console(highlight=False, emoji=False)
err_console = Console(stderr=True, highlight=False, emoji=False)

# how wide an answer may be measured off a terminal: wider than any line a ledger holds
UNBOUNDED = 100_000


def layout_width() -> int | None:
    """The width human answers are laid out for: the terminal's, or `COLUMNS` when it is
    set; None when stdout is not a terminal and `COLUMNS` is not set (a file, a pipe):
    then each answer is as wide as its longest line (see `emit`)."""
    if os.environ.get("COLUMNS", "").isdigit() or _on_terminal():
        return console.width
    return None


def _on_terminal() -> bool:
    # the file itself, not rich's is_terminal: FORCE_COLOR asks for colours, not a width
    isatty = getattr(console.file, "isatty", None)
    try:
        return bool(isatty is not None and isatty())
    except ValueError:  # a closed file
        return False


def emit(renderable: RenderableType, *, soft_wrap: bool = False) -> None:
    """Print a human answer on stdout at `layout_width()`; off a terminal (and without
    `COLUMNS`) at the width of its longest line, so that nothing wraps, stacks or is cut:
    ids and free text alike stay whole on their lines, for grep, cut and `less -S`."""
    width = layout_width()
    if width is not None:
        console.print(renderable, soft_wrap=soft_wrap)
        return
    if isinstance(renderable, str):
        renderable = console.render_str(renderable)
    natural = console.measure(renderable, options=console.options.update_width(UNBOUNDED))
    Console(file=console.file, highlight=False, emoji=False,
            width=max(1, natural.maximum)).print(renderable)


def emit_json(data: Any) -> None:
    """Print `data` (a pydantic model, a list of them, or plain values) as JSON on stdout:
    the exact text, hidden characters written as JSON escapes."""
    document = json.dumps(_plain(data), indent=2, ensure_ascii=False, default=str)
    sys.stdout.write(json_text(document) + "\n")


def _plain(data: Any) -> Any:
    if isinstance(data, dt.datetime):
        return iso_utc(data)
    if hasattr(data, "model_dump"):
        return data.model_dump(mode="json")
    if isinstance(data, list | tuple):
        return [_plain(d) for d in data]
    if isinstance(data, dict):
        return {k: _plain(v) for k, v in data.items()}
    if hasattr(data, "__dataclass_fields__"):
        return {k: _plain(getattr(data, k)) for k in data.__dataclass_fields__}
    return data


SHOWN_LINES = 10  # refused import lines listed on stderr; --json lists them all


def error(
    message: str, *, as_json: bool, field: str | None = None, line: int | None = None,
    lines: list[dict[str, Any]] | None = None, summary: str | None = None,
) -> None:
    """One sentence on stderr, or with `as_json` a JSON object on stdout: `error`, and
    `field`, `line` when known; `lines` (each `line`, `field`, `error`) when an import
    refuses several lines: on stderr then the `summary`, and one refused line a line."""
    if lines and summary and not as_json:
        err_console.print(Text.assemble(("error:", "bold red"), " ", literal(summary), ":"),
                          soft_wrap=True)
        for refused in lines[:SHOWN_LINES]:
            err_console.print(Text.assemble("  ", literal(refused["error"])), soft_wrap=True)
        if len(lines) > SHOWN_LINES:
            err_console.print(f"  … and {len(lines) - SHOWN_LINES} more (--json lists "
                              "them all)", soft_wrap=True, markup=False)
        return
    if as_json:
        payload: dict[str, Any] = {"error": message}
        if field:
            payload["field"] = field
        if line is not None:
            payload["line"] = line
        if lines:
            payload["lines"] = lines
        sys.stdout.write(json_text(json.dumps(payload, ensure_ascii=False)) + "\n")
    else:
        # the message may quote what the user wrote: no markup, no terminal control codes
        err_console.print(Text.assemble(("error:", "bold red"), " ", literal(message)),
                          soft_wrap=True)


def success(message: RenderableType) -> None:
    """A Text holding recorded text as `literal`s, or a markup string of our own words."""
    emit(message)


def reported(message: Text) -> None:
    """One line on stderr saying what a command did, when its stdout carries no answer (a
    file written with -o)."""
    err_console.print(message, soft_wrap=True)


def warn(message: str, label: str = "note") -> None:
    """A note (or with `label` "warning", a warning) on stderr that does not change the
    outcome."""
    err_console.print(Text.assemble((f"{label}:", "bold yellow"), " ", literal(message)),
                      soft_wrap=True)


@contextmanager
def progress_bar(description: str) -> Iterator[Progress]:
    """A progress callback `(phase, done, total)` drawing a bar on stderr when it is a
    terminal."""
    if not err_console.is_terminal:
        yield lambda *args: None
        return
    with Bars(
        TextColumn("{task.description}", style="progress.description", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task(visible(description), total=None)  # may name a file

        def update(phase: str, done: int, total: int) -> None:
            bar.update(task, description=visible(phase), completed=done, total=total or None)

        yield update


def read_text_file(path: Path, what: str) -> str:
    """A small UTF-8 text file the user named, or one sentence saying why it cannot be read."""
    from tally.ledger.errors import InputError
    from tally.ledger.infra.bounded_files import read_regular

    try:
        return read_regular(path, 1 << 20, f"{what} file").decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"the {what} file {path} is not UTF-8 text") from None
