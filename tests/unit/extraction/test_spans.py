"""The indexed lookups of `spans` (sentence, clause, nearest date) against the obvious
scans they replace: the date pattern run over the mention's sentence, the clause breaks
searched from the sentence's start."""

from __future__ import annotations

from budgets import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from tally.ledger.evidence.extraction.candidates import _sentence, as_of, clause
from tally.ledger.evidence.extraction.dates import DATE as _DATE
from tally.ledger.evidence.extraction.dates import phrase
from tally.ledger.evidence.extraction.grammar import mentions
from tally.ledger.evidence.extraction.kinds import MONTHS as _MONTHS
from tally.ledger.evidence.extraction.spans import _CLAUSE_BREAK


def _slow_as_of(text: str, start: int, end: int, published: str | None) -> str | None:
    s_left, s_right = _sentence(text, start, end)
    year = published[:4] if published else None
    best: tuple[int, str] | None = None
    for m in _DATE.finditer(text, s_left, s_right):
        if phrase(text, m).since:
            continue  # a running total's start, not the date the figure was told
        g = m.groupdict()
        month_name = g["m1"] or g["m2"] or g["m3"] or g["m4"]
        day = g["d1"] or g["d2"]
        y = g["y1"] or g["y2"] or g["y3"] or year
        if y is None:
            continue
        edtf = y if month_name is None else (
            f"{y}-{_MONTHS.index(month_name.lower()) + 1:02d}"
            + (f"-{int(day):02d}" if day else ""))
        distance = min(abs(m.start() - end), abs(start - m.end()))
        if best is None or distance < best[0]:
            best = (distance, edtf)
    return None if best is None else best[1]


def _slow_clause(text: str, start: int, end: int) -> tuple[int, int]:
    s_left, s_right = _sentence(text, start, end)
    left = max((m.end() for m in _CLAUSE_BREAK.finditer(text, s_left, start)), default=s_left)
    right = next((m.start() for m in _CLAUSE_BREAK.finditer(text, end, s_right)), s_right)
    while left < start and text[left] == " ":
        left += 1
    while right > end and text[right - 1] in " .!?":
        right -= 1
    return left, right


_WORDS = ["in", "May", "June", "2024", "5", "12", "about", "bodies", "since", "of", ",",
          ".", ";", "(", ")", "-", "—", "Officials", "1999", "30"]
texts = st.lists(st.sampled_from(_WORDS), max_size=60).map(" ".join)


@settings(max_examples=examples(200))
@given(text=texts, published=st.sampled_from([None, "2025-01-02"]))
def test_indexed_lookups_equal_the_scans(text: str, published: str | None) -> None:
    _agree(text, published)


def _agree(text: str, published: str | None) -> None:
    for m in mentions(text):
        assert clause(text, m.start, m.end) == _slow_clause(text, m.start, m.end), text
        date, guessed = as_of(text, m, published)
        slow = _slow_as_of(text, m.start, m.end, published)
        assert (date, guessed) == ((slow, "text") if slow else (published, "guessed")), text



def test_edge_cases_agree() -> None:
    for text in ["in May 5 bodies - - 12 bodies, since June 2024 30 bodies.",
                 "Officials . - 12 bodies ( in 1999 ) 30 ; 5 May 2024 about 12",
                 "about 12 bodies in May , in June 2024 ; 30 bodies since May 2024"]:
        _agree(text, None)
        _agree(text, "2025-01-02")
