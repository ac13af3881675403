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


def test_a_withheld_document_is_not_published_and_may_be_missing(tally: Tally) -> None:
    """The hook a signed take-down will feed: `publish` leaves a withheld document out, and
    a follower accepts it missing (`may_be_missing`); any other missing one is refused,
    named."""
    from sqlalchemy import create_engine

    from tally.ledger import sitelog
    from tally.ledger.application import Ledger
    from tally.ledger.evidence.archive import Archive
    from tally.ledger.infra.keystore import KeyStore
    from tally.ledger.infra.storage import reading
    from tally.ledger.site_check import SiteError
    from tally.ledger.site_documents import fetch_documents
    from tally.ledger.site_source import SiteSource
    from tally.projections.publish import publish
    from tally.projections.readmodel import ReadModel

    sha, _ = archive_and_report(tally, tally.tmp / "a.txt", ARTICLE, ">440", QUOTE,
                                "2022-09-16")
    site, withheld = tally.tmp / "site", frozenset({sha})
    with Ledger.open(str(tally.tmp / "t.db")) as ledger:
        model = ReadModel(ledger).attach()
        model.catch_up()
        key = KeyStore(tally.tmp / "home").find_by_public_key(
            bytes.fromhex(ledger.info().operator_public_key))
        size = publish(model, site, key, withheld=withheld).size
        with reading(ledger.engine) as conn:
            entries = list(enumerate(sitelog.entries(ledger, conn, 0, size)))
    assert not (site / "documents").exists()
    archive = Archive(create_engine(f"sqlite:///{tally.tmp / 'archive.db'}"))
    fetch_documents(SiteSource(str(site)), entries, archive, withheld)
    assert archive.get(sha) is None
    with pytest.raises(SiteError, match=f"document {sha} .* is missing from the site"):
        fetch_documents(SiteSource(str(site)), entries, archive)
