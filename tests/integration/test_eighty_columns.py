"""At 80 columns ids, hashes and URLs are never cut or broken mid-token (issue 28, point
13): `checkpoint --list` and `documents show` stack their rows as `keys list` does when a
hash does not fit, and `history` keeps a long URL whole on a line of its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from clirunner import Tally
from factories import FIGURE, cli_ledger

URL = "https://example.org/news/2022/09/23/exhumation-in-izium-exhumation-in-izium-update"


@pytest.fixture
def narrow(tmp_path: Path) -> Tally:
    t = cli_ledger(Tally(tmp_path, columns=80))
    t("report", FIGURE, "447", "--as-of", "2022-09?", "--source", "hromadske", "--key",
      "alice", "--url", URL)
    (tmp_path / "doc.txt").write_text("447 bodies were exhumed\n")
    t("documents", "add", str(tmp_path / "doc.txt"), "--key", "alice")
    t("checkpoint")
    return t


def _whole(out: str, token: str) -> bool:
    return any(token in line for line in out.splitlines())


def test_checkpoint_list_shows_whole_roots(narrow: Tally) -> None:
    (listed,) = narrow.json("checkpoint", "--list")["checkpoints"]
    out = narrow("checkpoint", "--list").stdout
    assert _whole(out, listed["root"]) and "…" not in out, out


def test_documents_show_shows_whole_hashes(narrow: Tally) -> None:
    (document,) = narrow.json("documents", "list")["documents"]
    out = narrow("documents", "show", document["sha256"][:8]).stdout
    for token in (document["sha256"], document["text_sha256"]):
        assert _whole(out, token), out
    assert "…" not in out, out


def test_history_keeps_urls_and_dates_whole(narrow: Tally) -> None:
    out = narrow("history", FIGURE).stdout
    assert _whole(out, URL), out
    assert re.search(r"(^|\s)2022-09\?(\s|$)", out, re.M), out
    assert all(len(line) <= 80 or URL in line for line in out.splitlines()), out


def test_log_keeps_a_long_url_whole(tmp_path: Path) -> None:
    t = cli_ledger(Tally(tmp_path, columns=80))
    (tmp_path / "doc.txt").write_text("447 bodies were exhumed\n")
    t("documents", "add", str(tmp_path / "doc.txt"), "--url", URL, "--key", "alice")
    out = t("log").stdout
    assert _whole(out, URL), out
    assert all(len(line) <= 80 or URL in line for line in out.splitlines()), out
