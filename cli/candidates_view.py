"""`tally extract`'s candidates as rich renderings: the summary table printed when no
`-o` is given, and a quote with its number highlighted (the table and the review)."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from tally.cli.safe_text import literal


def highlighted(line: dict[str, Any]) -> Text:
    """The candidate's quote, its number in bold."""
    quote, anchor = line["quote"], line["anchor"]["position"]
    start, end = (at - anchor["start"] for at in line["candidate"]["span"])
    return Text.assemble(literal(quote[:start]), literal(quote[start:end], "bold reverse"),
                         literal(quote[end:]))


def as_of(line: dict[str, Any]) -> Text:
    """The as_of, and how it was found when it is not the text's own date."""
    notes = line["candidate"]
    if line["as_of"] is None:
        return Text("none found", "bold red")
    how = (" (guessed: published)" if notes["as_of_guessed"] else
           " (inferred)" if notes.get("as_of_inferred") else "")
    since = f", since {notes['since']}" if notes.get("since") else ""
    return Text.assemble(literal(line["as_of"]), (how + since, "yellow" if how else ""))


def figure(line: dict[str, Any], top: int = 3) -> Text:
    """The figure, or none with the best `top` suggestions, numbered."""
    if line["figure"]:
        return literal(line["figure"])
    picks = line["candidate"]["suggestions"][:top]
    return Text.assemble(("none", "bold red"), literal(
        " (" + ", ".join(f"{n}: {s}" for n, s in enumerate(picks, start=1)) + ")"
        if picks else ""))


def candidates_table(lines: list[dict[str, Any]]) -> Table:
    table = Table(title=f"{len(lines)} candidates", show_lines=False)
    for column in ("#", "value", "as_of", "figure", "rule", "quote"):
        table.add_column(column, overflow="fold")
    for number, line in enumerate(lines, start=1):
        table.add_row(str(number), literal(line["value"]), as_of(line), figure(line),
                      literal(line["candidate"]["rule"]), highlighted(line))
    return table
