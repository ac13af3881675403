"""The extractor measured on the labelled corpus: recall and precision must not drop
below what docs/extraction.md reports."""

from __future__ import annotations

import pytest

from extraction.corpus import CORPUS, measure
from tally.ledger.evidence.extraction.grammar import mentions

# docs/extraction.md: the measured figures, rounded down
FLOOR = {"recall": 0.97, "precision": 0.97}


def test_recall_and_precision_hold() -> None:
    table = measure()
    assert table["all"]["recall"] >= FLOOR["recall"], table
    assert table["all"]["precision"] >= FLOOR["precision"], table
    for rule in ("digits", "more-than", "at-least", "between", "up-to", "vague-plural",
                 "percent", "fraction"):
        assert table[rule]["recall"] == 1.0, (rule, table[rule])


@pytest.mark.parametrize("sentence", [s for s, expected in CORPUS if not expected])
def test_never_years_dates_ages_times_or_ordinals(sentence: str) -> None:
    assert mentions(sentence) == []
