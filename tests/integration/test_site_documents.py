"""Archived documents on a published site: `publish` writes each one's bytes, text and
page, the claim pages show the anchored quote in context, and `clone` and `monitor` fetch
them over HTTP (127.0.0.1), check their hashes and re-check every anchored quote."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from clirunner import Tally
from newsroom import ARTICLE, LATER, archive_and_report, follower, newsroom, operator_key
from static_server import Server

QUOTE = "more than 440 bodies"


@pytest.fixture
def tally(tmp_path: Path) -> Tally:
    return newsroom(tmp_path, str(tmp_path / "t.db"))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path / "site")
    yield running
    running.close()


def test_publish_writes_documents_and_the_claim_page_shows_the_quote_in_context(
        tally: Tally) -> None:
    site = tally.tmp / "site"
    sha, claim = archive_and_report(tally, tally.tmp / "a.txt", ARTICLE, ">440", QUOTE,
                                    "2022-09-16")
    tally("publish", str(site))
    stored = (site / "documents" / sha).read_bytes()
    assert stored == ARTICLE.encode() and hashlib.sha256(stored).hexdigest() == sha
    assert (site / "documents" / f"{sha}.txt").read_text(encoding="utf-8") == ARTICLE
    page = (site / "documents" / f"{sha}.html").read_text()
    assert f'href="../documents/{sha}"' in page and f'href="../documents/{sha}.txt"' in page
    claim_page = (site / "claims" / f"{claim}.html").read_text()
    start = ARTICLE.index(QUOTE)
    assert f"<mark>{QUOTE}</mark>" in claim_page
    assert re.search(r"officials said\s*<mark>", claim_page)  # its prefix, before it
    assert f"code points {start} to {start + len(QUOTE)}" in claim_page
    for link in (f"../documents/{sha}.html", f"../documents/{sha}", f"../documents/{sha}.txt"):
        assert f'href="{link}"' in claim_page
    assert tally.json("publish", str(site))["written"] == 0  # documents are written once


def test_clone_and_monitor_a_site_with_documents_over_http(tally: Tally,
                                                           server: Server) -> None:
    site, replica = tally.tmp / "site", str(tally.tmp / "replica.db")
    archive_and_report(tally, tally.tmp / "a.txt", ARTICLE, ">440", QUOTE, "2022-09-16")
    tally("publish", str(site))
    key, watcher = operator_key(site), follower(tally.tmp)
    state = ["--state", str(tally.tmp / "state.json")]
    assert tally.json("--db", replica, "clone", server.url, "--operator-key", key)["size"]
    assert tally.json("--db", replica, "verify")["ok"]
    assert watcher.json("monitor", server.url, "--operator-key", key, *state)["ok"]
    # the site gains a document and a claim anchored in it: both followers take them
    sha, claim = archive_and_report(tally, tally.tmp / "b.txt", LATER, "452",
                                    "452 bodies had been exhumed", "2022-09-23")
    tally("publish", str(site))
    grown = tally.json("--db", replica, "monitor", server.url)
    assert grown["size"] > grown["previous_size"]
    assert watcher.json("monitor", server.url, *state)["size"] == grown["size"]
    assert tally.json("--db", replica, "verify")["ok"]
    assert tally.json("--db", replica, "documents", "show", sha, "--text")["text"] == LATER
    assert tally.json("--db", replica, "provenance", claim) == tally.json("provenance", claim)
    assert tally("--db", replica, "export").stdout == tally("export").stdout


def test_a_withheld_document_leaves_the_site_and_a_missing_one_is_refused(
        tally: Tally, server: Server) -> None:
    """A document the operator's signed order withheld: `publish` takes its bytes and text
    off the site and keeps its page, which says so, and a clone accepts it missing. A
    document the site lacks without an order is refused, naming it and its entry."""
    site, key = tally.tmp / "site", None
    sha, claim = archive_and_report(tally, tally.tmp / "a.txt", ARTICLE, ">440", QUOTE,
                                    "2022-09-16")
    tally("publish", str(site))
    key = operator_key(site)
    (site / "documents" / sha).unlink()  # the site lost it: nobody ordered that
    out = tally("--db", str(tally.tmp / "lost.db"), "clone", server.url, "--operator-key",
                key, code=1)
    position = tally.json("documents", "show", sha)["position"]
    assert f"entry {position - 1}" in out.output and sha in out.output
    tally("documents", "withhold", sha, "--reason", "take-down notice")
    tally("publish", str(site))
    assert not (site / "documents" / sha).exists()
    assert not (site / "documents" / f"{sha}.txt").exists()
    assert "take-down notice" in (site / "documents" / f"{sha}.html").read_text()
    replica = str(tally.tmp / "replica.db")
    tally("--db", replica, "clone", server.url, "--operator-key", key)
    assert tally.json("--db", replica, "verify")["ok"]
    shown = tally.json("--db", replica, "documents", "list")["documents"][0]
    assert shown["withheld"].endswith("by operator: take-down notice")
    assert tally.json("--db", replica, "provenance", claim)["anchor"] is not None
