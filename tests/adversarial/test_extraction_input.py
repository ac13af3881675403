"""Text written to make `tally extract` slow or crash.

`as_of` ran the date pattern over the whole sentence for every mention, and `clause`
scanned from the sentence's start: a sentence of n mentions cost n² (8,000 tokens took
43 s, 32 KB ran past 150 s). A run of 1,000,000 digits crashed the year check
(`Exceeds the limit (4300 digits)`). The budget of the 1 MB text below is in
`benchmarks/extraction.py`; here its answer is checked, whatever it takes.
"""

from __future__ import annotations

from tally.ledger.evidence.extraction.candidates import candidates
from tally.ledger.evidence.extraction.grammar import mentions

SHA = "0" * 64
UNIT = "in May 2024 about 12 bodies, "  # one sentence of dates, mentions and clause breaks


def _lines(text: str) -> list[dict[str, object]]:
    return candidates(text, sha256=SHA, source="news", published="2025-01-02", url=None,
                      figures=[{"figure_id": "site/bodies", "unit": "bodies",
                                "kind": "quantity"}])


def test_a_megabyte_sentence_of_mentions_is_read_mention_by_mention() -> None:
    repeats = 2**20 // len(UNIT)
    lines = _lines(UNIT * repeats + "they said.")
    assert len(lines) == repeats
    for n in (0, repeats // 2, repeats - 1):
        line = lines[n]
        assert (line["value"], line["as_of"], line["figure"]) == ("~12", "2024-05",
                                                                   "site/bodies")
        assert line["quote"] == "in May 2024 about 12 bodies"


def test_a_million_digit_run_is_not_a_mention() -> None:
    text = "Officials counted " + "7" * 1_000_000 + " graves and 30 bodies."
    assert [m.value for m in mentions(text)] == ["30"]
    assert [line["value"] for line in _lines(text)] == ["30"]
