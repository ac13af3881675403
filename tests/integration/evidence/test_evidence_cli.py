"""`tally documents`, `report --document`, `extract` and `provenance` end to end through
the CLI, on each engine: exit codes, one-sentence refusals, JSON keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clirunner import Tally
from newsroom import ARTICLE, newsroom


@pytest.fixture
def tally(tmp_path: Path, db_url: str) -> Tally:
    t = newsroom(tmp_path, db_url)
    return t


def test_documents_report_extract_provenance(tally: Tally, tmp_path: Path) -> None:
    doc = str(tmp_path / "a.txt")
    added = tally.json("documents", "add", doc, "--key", "alice", "--source", "news")
    sha = added["id"]
    assert tally.json("documents", "add", doc, "--key", "alice")["status"] == \
        "already recorded"
    [listed] = tally.json("documents", "list")["documents"]
    assert listed["sha256"] == sha and listed["source"] == "news"
    shown = tally.json("documents", "show", sha[:10], "--text")
    assert shown["text"] == ARTICLE
    refused = tally("report", "site/bodies", ">440", "--as-of", "2022-09", "--source", "news",
                    "--document", doc, "--quote", "more than 441 bodies", "--key", "alice",
                    code=1)
    assert "closest passage" in refused.output and "more than 440 bodies" in refused.output
    claim = tally.json("report", "site/bodies", ">440", "--as-of", "2022-09-16", "--source",
                       "news", "--document", sha[:8], "--quote", "more than 440 bodies",
                       "--key", "alice")["id"]
    prov = tally.json("provenance", claim)
    assert prov["anchor"]["quote"]["exact"] == "more than 440 bodies"
    text = tally("provenance", claim).output
    assert "**more than 440 bodies**" in " ".join(text.split())
    out = tmp_path / "c.jsonl"
    tally("extract", sha, "--source", "news", "--published", "2022-09-17", "-o", str(out))
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(c["value"], c["figure"], c["candidate"]["rule"]) for c in lines] == [
        (">440", "site/bodies", "more-than"), ("~30", None, "about")]
    assert lines[0]["as_of"] == "2022-09-16" and lines[1]["candidate"]["as_of_guessed"]
    refused = tally("import", str(out), "--key", "alice", code=1)
    assert "line 2" in refused.output and "figure" in refused.output
    out.write_text(json.dumps(lines[0]) + "\n")
    assert tally.json("import", str(out), "--key", "alice")["added"] == 1
    assert "ok" in tally("verify").output


def test_report_with_an_unarchived_document_is_refused(tally: Tally, tmp_path: Path) -> None:
    result = tally("report", "site/bodies", "447", "--as-of", "2022-09", "--source", "news",
                   "--document", str(tmp_path / "a.txt"), "--quote", "x", "--key", "alice",
                   code=1)
    assert "not archived" in result.output
