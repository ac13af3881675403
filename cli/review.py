"""`tally extract --interactive`: the candidates walked one by one in the terminal (rich
prompts), each with its number highlighted in its quote and the three best figures it
may be about. A candidate is appended only when the recorder answers `a` (accept) to
it; `e` edits its value, as_of or figure (no figure is ever taken by default), `s`
skips it, `q` (or the end of input) stops."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.panel import Panel
from rich.prompt import Prompt
from rich.table import Table
from rich.text import Text

from tally.cli.candidates_view import as_of, figure, highlighted
from tally.cli.safe_text import literal
from tally.ledger.application import Ledger
from tally.ledger.errors import LedgerError
from tally.ledger.evidence.extraction.review import accept, edited
from tally.ledger.integrity.signing import KeyPair


class ReviewSummary(BaseModel):
    """`--json` of `tally extract --interactive`: `candidates`, `accepted` (the claim ids
    appended, in order), `skipped`, and `stopped` (true when quit before the last one)."""

    candidates: int
    accepted: list[str]
    skipped: int
    stopped: bool


def _card(number: int, total: int, line: dict[str, Any]) -> Panel:
    notes = line["candidate"]
    anchor = line["anchor"]["quote"]
    table = Table(show_header=False, box=None)
    table.add_row("quote", Text.assemble("… ", literal(anchor["prefix"]), "**",
                                         highlighted(line), "**", literal(anchor["suffix"]),
                                         " …"))
    table.add_row("value", literal(line["value"]))
    table.add_row("as_of", as_of(line) if line["as_of"] is not None
                  else Text("none found: edit it", "bold red"))
    table.add_row("figure", figure(line))
    return Panel(table, title=f"candidate {number} of {total}",
                 subtitle=literal(f"rule {notes['rule']}" + (", vague" if notes["vague"]
                                                             else "")))


def _figure(console: Console, line: dict[str, Any]) -> str | None:
    """The figure the recorder names: an id, or 1 to 3 for a suggestion shown; nothing
    keeps the line's own (no suggestion is ever taken by default)."""
    answer = _ask(console, "figure (an id, or 1-3 for a suggestion)").strip()
    picks = line["candidate"]["suggestions"][:3]
    if answer in {str(n) for n in range(1, len(picks) + 1)}:
        return str(picks[int(answer) - 1])
    return answer or line["figure"]


def _ask(console: Console, question: str, default: str | None = None,
         choices: list[str] | None = None) -> str:
    return Prompt.ask(question, console=console, default=default or "", choices=choices,
                      show_default=default is not None)


def review(console: Console, ledger: Ledger, lines: list[dict[str, Any]],
           key: KeyPair) -> ReviewSummary:
    summary = ReviewSummary(candidates=len(lines), accepted=[], skipped=0, stopped=False)
    try:
        for number, line in enumerate(lines, start=1):
            while True:
                console.print(_card(number, len(lines), line))
                answer = _ask(console, "(a)ccept, (e)dit, (s)kip or (q)uit", None,
                              ["a", "e", "s", "q"])
                if answer == "q":
                    summary.stopped = True
                    return summary
                if answer == "s":
                    summary.skipped += 1
                    break
                if answer == "e":
                    line = edited(line, value=_ask(console, "value", line["value"]),
                                  as_of=_ask(console, "as_of", line["as_of"]),
                                  figure=_figure(console, line))
                    continue
                if line["figure"] is None or line["as_of"] is None:
                    console.print(Text("no figure or as_of yet: (e)dit it first", "bold red"))
                    continue
                try:
                    appended = accept(ledger, number, line, key)
                except LedgerError as e:
                    console.print(Text.assemble(("refused:", "bold red"), " ",
                                                literal(e.message)))
                    continue
                console.print(Text.assemble("claim ", literal(appended.status), " ",
                                            literal(appended.id, "dim")))
                summary.accepted.append(appended.id)
                break
    except (EOFError, KeyboardInterrupt):  # the input ended: nothing more is accepted
        summary.stopped = True
    return summary
