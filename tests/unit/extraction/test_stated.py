"""Whether a quote states the reported value, and the candidate's number highlighted in
its quote."""

from __future__ import annotations

import pytest

from tally.cli.candidates_view import highlighted
from tally.ledger.evidence.extraction.candidates import candidates
from tally.ledger.evidence.extraction.stated import states_value


@pytest.mark.parametrize(("quote", "value", "stated"), [
    ("more than 1,200 people", ">=1200", True),
    ("twelve hundred people", "1200", True),
    ("between 440 and 451 bodies", "440..451", True),
    ("between 440 and 450 bodies", "440..451", False),
    ("people", ">=1200", False),
    ("seven children", "7", True),
    ("3.5 million residents", "~3500000", True),
    ("the exhumation was completed", "completed", True),  # a status has no number
])
def test_states_value(quote: str, value: str, stated: bool) -> None:
    assert states_value(quote, value) is stated


def test_the_number_is_highlighted_in_its_quote() -> None:
    text = "Officials said 2,700 homes were flooded in 24 settlements."
    line = next(c for c in candidates(text, sha256="0" * 64, source="s", published=None,
                                      url=None, figures=[]) if c["value"] == "24")
    shown = highlighted(line)
    assert shown.plain == line["quote"]
    [span] = shown.spans
    assert shown.plain[span.start:span.end] == "24" and "bold" in str(span.style)
