"""`quote` plus `document_sha256` in a JSONL import anchors the quote, as `tally report`
does; an exported anchored claim re-imports to the same signed body."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tally.ledger.application import Ledger
from tally.ledger.errors import ImportFileError
from tally.ledger.evidence import documents
from tally.ledger.exporter import export_lines
from tally.ledger.importer import import_lines
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.verify.audit import verify

TEXT = "Officials said 447 bodies were exhumed, and later 447 bodies were reburied."


def _lines(*records: dict[str, Any]) -> list[bytes]:
    return [json.dumps(r).encode() + b"\n" for r in records]


def _report(sha: str, quote: str, **kw: Any) -> dict[str, Any]:
    return {"type": "report", "figure": "izium/bodies", "value": "447", "as_of": "2022-09",
            "source": "hromadske", "quote": quote, "document_sha256": sha, **kw}


def test_import_anchors_and_refuses(ledger: Ledger, alice: KeyPair,
                                    nothing_written: Any) -> None:
    sha = documents.archive(ledger, TEXT.encode(), key=alice).id
    with nothing_written(), pytest.raises(ImportFileError, match=r"line 1.*closest passage"):
        import_lines(ledger, _lines(_report(sha, "448 bodies were exhumed")), alice)
    with nothing_written(), pytest.raises(ImportFileError, match=r"line 1.*occurs 2 times"):
        import_lines(ledger, _lines(_report(sha, "447 bodies")), alice)
    import_lines(ledger, _lines(_report(sha, "447 bodies", occurrence=2),
                                _report(sha, "bodies were exhumed")), alice)
    exported = [json.loads(line) for line in export_lines(ledger)]
    anchored = [r for r in exported if r["type"] == "report"]
    assert [r["anchor"]["position"]["start"] for r in anchored] == [
        TEXT.rindex("447 bodies"), TEXT.index("bodies were exhumed")]
    verify(ledger.parts)
    # the exported line, moved to the other occurrence, no longer matches its signature
    moved = dict(anchored[0])
    moved["anchor"] = {**moved["anchor"], "position": {"type": "TextPositionSelector",
                                                       "start": 15, "end": 25}}
    with nothing_written(), pytest.raises(ImportFileError, match=r"line 1.*anchor"):
        import_lines(ledger, _lines(moved), alice)
    before = ledger.events.max_position()
    import_lines(ledger, _lines(*anchored), alice)  # re-import: already recorded
    assert ledger.events.max_position() == before
