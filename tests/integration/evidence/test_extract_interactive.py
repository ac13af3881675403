"""`tally extract --interactive`, driven through stdin: only an explicit `a` appends a
candidate, edits are checked as an import line is, and the end of input stops."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from clirunner import Tally
from newsroom import ARTICLE, newsroom
from typer.testing import CliRunner

from tally.cli.main import app


@pytest.fixture
def tally(tmp_path: Path, db_url: str) -> Tally:
    t = newsroom(tmp_path, db_url)
    t("documents", "add", str(tmp_path / "a.txt"), "--key", "alice")
    return t


def _review(tally: Tally, answers: str, *extra: str, code: int = 0) -> Any:
    result = CliRunner().invoke(
        app, ["--json", "extract", str(tally.tmp / "a.txt"), "--source", "news",
              "--published", "2022-09-17", "--interactive", *extra],
        env=tally.env, input=answers)
    assert result.exit_code == code, (result.output, result.exception)
    assert "Traceback" not in result.output
    return json.loads(result.stdout) if code == 0 else result


def _claims(tally: Tally) -> list[dict[str, Any]]:
    return [json.loads(line) for line in tally("export").stdout.splitlines()
            if json.loads(line)["type"] == "report"]


def test_nothing_is_appended_without_an_accept(tally: Tally) -> None:
    before = tally("export").stdout
    summary = _review(tally, "s\nq\n", "--key", "alice")
    assert summary == {"candidates": 2, "accepted": [], "skipped": 1, "stopped": True}
    summary = _review(tally, "e\n999\n\n\n", "--key", "alice")  # edited, then input ends
    assert summary["accepted"] == [] and summary["stopped"]
    summary = _review(tally, "x\ns\ns\n", "--key", "alice")  # "x" is asked again
    assert summary == {"candidates": 2, "accepted": [], "skipped": 2, "stopped": False}
    assert tally("export").stdout == before


def test_accept_edit_and_refusals(tally: Tally) -> None:
    # 1: accepted as proposed. 2: its figure is null, so accepting is refused; an edit
    # with a value that does not parse is refused too; a good edit is then accepted.
    answers = "a\n" "a\n" "e\nabout 30\n\n\na\n" "e\n31\n2022-09-16\nsite/bodies\na\n"
    summary = _review(tally, answers, "--key", "alice")
    assert len(summary["accepted"]) == 2 and summary["skipped"] == 0
    first, second = _claims(tally)
    assert (first["value"], first["as_of"], first["figure"]) == (">440", "2022-09-16",
                                                                 "site/bodies")
    assert (second["value"], second["as_of"]) == ("31", "2022-09-16")
    assert second["quote"] == "About 30 graves were opened"
    assert second["anchor"]["position"]["start"] == ARTICLE.index("About 30")
    assert "ok" in tally("verify").output
    # the same candidates again: already recorded, nothing new
    again = _review(tally, "a\ne\n31\n2022-09-16\nsite/bodies\na\n", "--key", "alice")
    assert again["accepted"] == summary["accepted"]
    assert len(_claims(tally)) == 2


def test_the_dialogue_shows_the_quote_in_context(tally: Tally) -> None:
    result = CliRunner().invoke(
        app, ["extract", str(tally.tmp / "a.txt"), "--source", "news", "--interactive",
              "--key", "alice"], env={**tally.env, "COLUMNS": "200"}, input="a\nq\n")
    assert result.exit_code == 0, result.output
    shown = " ".join(result.output.split())
    assert "… **On 16 September 2022 officials said more than 440 bodies had been " \
        "exhumed**. About 30 graves" in shown
    assert "candidate 2 of 2" in shown and "as_of none found: edit it" in shown
    assert "1 of 2 candidates recorded, 0 skipped (stopped early)" in shown


def test_interactive_needs_a_key_and_writes_no_file(tally: Tally) -> None:
    refused = _review(tally, "a\n", code=2)
    assert "--key" in refused.output
    refused = _review(tally, "a\n", "--key", "alice", "-o", str(tally.tmp / "c.jsonl"),
                      code=2)
    assert "--output" in refused.output
    assert _claims(tally) == []
