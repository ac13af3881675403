"""`tally extract --dry-run` (nothing archived, nothing signed), the summary table when
no `-o` is given, figures ranked and never taken by default in `--interactive`, and
`tally report --quote` warning when the quote does not state the value."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from clirunner import Tally
from newsroom import newsroom
from typer.testing import CliRunner

from tally.cli.main import app

FLOOD = ("Officials said 2,700 homes were flooded in 24 settlements on Monday. "
         "About 30 graves were opened since work began on 3 March.")


@pytest.fixture
def tally(tmp_path: Path, db_url: str) -> Tally:
    t = newsroom(tmp_path, db_url)
    (tmp_path / "flood.txt").write_text(FLOOD)
    return t


def test_a_dry_run_archives_and_signs_nothing(tally: Tally) -> None:
    before = tally("export").stdout
    doc = str(tally.tmp / "flood.txt")
    answer = tally.json("extract", doc, "--source", "news", "--published", "2025-03-14",
                        "--dry-run")
    assert [line["value"] for line in answer["lines"]] == ["2700", "24", "~30"]
    assert answer["candidates"] == 3
    assert tally.json("documents", "list")["documents"] == []
    assert tally("export").stdout == before
    # without --dry-run and without a key, the refusal says how to try it
    refused = tally("extract", doc, "--source", "news", code=1)
    assert "--dry-run" in refused.output


def test_without_output_a_summary_table_is_printed(tally: Tally) -> None:
    shown = tally("extract", str(tally.tmp / "flood.txt"), "--source", "news",
                  "--published", "2025-03-14", "--dry-run").output
    assert "3 candidates" in shown and "2,700" in shown and "~30" in shown
    assert "2025-03-10 (inferred)" in shown  # on Monday
    assert "(guessed:" in shown and "since" in shown and "2025-03-03" in shown


def _review(tally: Tally, answers: str) -> Any:
    result = CliRunner().invoke(
        app, ["--json", "extract", str(tally.tmp / "flood.txt"), "--source", "news",
              "--published", "2025-03-14", "--interactive", "--key", "alice"],
        env=tally.env, input=answers)
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout), result.stderr


def test_interactive_ranks_figures_and_takes_none_by_default(tally: Tally) -> None:
    tally("figures", "define", "site/graves-opened", "--unit", "graves")
    tally("figures", "define", "site/graves-marked", "--unit", "graves")
    tally("figures", "define", "site/homes-flooded", "--unit", "homes")
    # the third candidate (about 30 graves): Enter at the figure prompt takes nothing, so
    # accepting is refused; "1" takes the best suggestion, the figure whose id shares
    # "opened" with the sentence
    summary, dialogue = _review(tally, "s\ns\ne\n\n\n\na\ne\n\n\n1\na\n")
    assert "1: site/graves-opened, 2: site/graves-marked" in " ".join(dialogue.split())
    assert "no figure or as_of yet" in dialogue
    [claim] = [json.loads(line) for line in tally("export").stdout.splitlines()
               if json.loads(line)["type"] == "report"]
    assert len(summary["accepted"]) == 1 and claim["figure"] == "site/graves-opened"


def test_report_warns_when_the_quote_does_not_state_the_value(tally: Tally) -> None:
    sha = tally.json("documents", "add", str(tally.tmp / "flood.txt"), "--key", "alice")["id"]
    args = ("report", "site/bodies", ">=1200", "--as-of", "2025-03", "--source", "news",
            "--document", sha, "--key", "alice")
    warned = tally(*args, "--quote", "homes were flooded")
    assert "does not state the value >=1200" in warned.stderr
    quiet = tally("report", "site/bodies", "2700", "--as-of", "2025-03", "--source", "news",
                  "--document", sha, "--key", "alice", "--quote", "2,700 homes")
    assert "does not state" not in quiet.stderr
    refused = tally(*args, "--quote", "700 homes were flooded", code=1)
    assert "starts inside a word or number" in refused.output


def test_suggestions_are_ranked_by_the_figures_recent_quotes(tally: Tally) -> None:
    tally("figures", "define", "site/evacuated", "--unit", "people")
    tally("figures", "define", "site/sheltered", "--unit", "people")
    tally("report", "site/sheltered", "300", "--as-of", "2025-03", "--source", "news",
          "--quote", "300 people spent the night in schools", "--key", "alice")
    (tally.tmp / "night.txt").write_text("Officials said 1,950 people spent the night in "
                                         "schools.")
    [line] = tally.json("extract", str(tally.tmp / "night.txt"), "--source", "news",
                        "--dry-run")["lines"]
    assert line["figure"] is None  # two figures count people: the recorder chooses
    assert line["candidate"]["suggestions"][:2] == ["site/sheltered", "site/evacuated"]
