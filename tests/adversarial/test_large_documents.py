"""A large archived document made every later `tally verify` slow and memory-hungry.

Each audit re-read the document's bytes with its extractor (a 43 MB HTML page: 52 s and
2.7 GB), and re-hashed the whole text once for every quote anchored in it. The audit now
checks a document by the hashes of its stored bytes and text, and each anchor at its
position in a text read (and hashed) once: what a large archive costs is in
docs/performance.md (`benchmarks/large_document.py`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hostile import recorder

from tally.ledger.application import Ledger
from tally.ledger.evidence import archive, extractors
from tally.ledger.verify.audit import verify

ARTICLE = ("On 16 September 2022 officials said more than 440 bodies had been exhumed. "
           "About 30 graves were opened. Later 12 more graves were found.")


def test_verify_reads_no_document_again_and_each_text_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tally = recorder(tmp_path)
    (tmp_path / "a.txt").write_text(ARTICLE)
    sha = tally.json("documents", "add", str(tmp_path / "a.txt"), "--key", "alice")["id"]
    for quote, value in (("more than 440 bodies", ">440"), ("About 30 graves", "~30"),
                         ("12 more graves", "12")):
        tally("report", "site/bodies", value, "--as-of", "2022-09", "--source", "news",
              "--quote", quote, "--document", sha, "--key", "alice")

    def refused(*_: Any, **__: Any) -> None:
        raise AssertionError("the audit re-read a document's bytes")

    reads: list[str] = []
    text = getattr(archive.Archive, "text", None)

    def counted(self: archive.Archive, sha256: str, conn: Any = None) -> str | None:
        reads.append(sha256)
        return text(self, sha256, conn) if text else None

    # every reader of the bytes goes through it (`document_checks` loads it when it re-reads)
    monkeypatch.setattr(extractors, "extract", refused)
    monkeypatch.setattr(archive.Archive, "text", counted, raising=False)
    with Ledger.open(str(tmp_path / "t.db")) as ledger:
        verify(ledger.parts)
    assert reads.count(sha) <= 2  # its hash, then the anchors' text: not once per anchor
