"""`tally extract --interactive`: the candidates walked one by one in the terminal (rich
prompts). A candidate is appended only when the recorder answers `a` (accept) to it;
`e` edits its value, as_of or figure, `s` skips it, `q` (or the end of input) stops."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.panel import Panel
from rich.prompt import Prompt
from rich.table import Table
from rich.text import Text

from tally.cli.safe_text import literal
from tally.ledger.application import Ledger
from tally.ledger.errors import LedgerError
from tally.ledger.evidence.anchors import in_context
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
    table = Table(show_header=False, box=None)
    table.add_row("quote", literal(in_context(line["anchor"])))
    table.add_row("value", literal(line["value"]))
    guessed = notes["as_of_guessed"] and line["as_of"] is not None \
        and line["as_of"] == line["published"]
    as_of = (Text.assemble(literal(line["as_of"]), " (the published date: a guess)" if guessed
                           else "") if line["as_of"] is not None
             else Text("none found: edit it", "bold red"))
    table.add_row("as_of", as_of)
    figure = (literal(line["figure"]) if line["figure"] else Text.assemble(
        ("none", "bold red"), literal(f" (close: {', '.join(notes['suggestions'])})"
                                      if notes["suggestions"] else "")))
    table.add_row("figure", figure)
    return Panel(table, title=f"candidate {number} of {total}",
                 subtitle=literal(f"rule {notes['rule']}" + (", vague" if notes["vague"]
                                                             else "")))


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
                    suggestion = line["figure"] or next(iter(line["candidate"]["suggestions"]),
                                                        None)
                    line = edited(line, value=_ask(console, "value", line["value"]),
                                  as_of=_ask(console, "as_of", line["as_of"]),
                                  figure=_ask(console, "figure", suggestion) or None)
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
