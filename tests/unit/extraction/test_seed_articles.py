"""Optional: the extractor against the seed articles the Izium example was read from.

The articles are not part of the repository; the test runs only where they sit beside it
(`../shared/seeds/*.txt`, or the folder TALLY_SEEDS names) and is skipped elsewhere. Every
quantity report of examples/izium/izium.jsonl whose quote is in an article must be among
that article's candidates: a candidate with the same value whose quote overlaps the
report's. A report whose value is the recorder's reading rather than the text's words is
listed below with the reason, and must still have a candidate over its quote."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from tally.ledger.evidence.anchors import occurrences
from tally.ledger.evidence.extraction.candidates import candidates
from tally.ledger.evidence.extraction.paragraphs import body_end, paragraph_ends
from tally.ledger.evidence.extractors import extract
from tally.ledger.evidence.normalise import normalise

ROOT = Path(__file__).resolve().parents[3]
SEEDS = Path(os.environ.get("TALLY_SEEDS", ROOT.parent / "shared" / "seeds"))
QUANTITY = re.compile(r"^(>=|<=|>|<|~)?[0-9]")
# value recorded -> why no rule can propose it from the words
READINGS = {">=440": "'the 440 graves' is read as at least 440 by the recorder"}


def _reports() -> list[dict[str, Any]]:
    lines = (ROOT / "examples" / "izium" / "izium.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines)
            if r["type"] == "report" and QUANTITY.match(r["value"])]


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed articles are not beside the repo")
def test_every_izium_report_is_a_candidate_of_its_article() -> None:
    articles, proposed = {}, {}
    for path in sorted(SEEDS.glob("*.txt")):  # read as `tally extract --money` reads them
        data = path.read_bytes()
        text = articles[path.name] = extract(data, "text/plain").text
        ends = paragraph_ends(data, "text/plain", None, text)
        proposed[path.name] = candidates(text, sha256="0" * 64, source="seed",
                                         published=None, url=None, figures=[], money=True,
                                         paragraph_ends=ends, body_end=body_end(text, ends))
    found, missed = 0, []
    for report in _reports():
        where = [(name, at) for name, text in articles.items()
                 for at in occurrences(text, report["quote"])]
        if not where:
            continue  # from a source that is not one of the articles
        name, start = where[0]
        end = start + len(normalise(report["quote"]))
        over = [c for c in proposed[name] if c["anchor"]["position"]["start"] < end
                and start < c["anchor"]["position"]["end"]]
        if any(c["value"] == report["value"] for c in over):
            found += 1
        elif not (report["value"] in READINGS and over):
            missed.append((name, report["value"], [(c["value"], c["candidate"]["rule"])
                                                   for c in over]))
    assert found > 0
    assert not missed, missed
