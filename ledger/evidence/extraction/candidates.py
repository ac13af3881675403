"""Candidate `report` lines from an archived document's text, for a recorder to review.

One line per numeric mention (`grammar`): its value, an `as_of` from a date phrase in
the same sentence (or the published date, marked as a guess), the shortest clause that
holds it as the quote, anchored (`anchors.selector`), and a figure whose unit or id
matches the noun, or null with suggestions. The review notes sit under `candidate`,
which `tally import` ignores; a line whose figure is still null is refused there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tally.ledger.evidence.anchors import selector
from tally.ledger.evidence.extraction.grammar import Mention, mentions
from tally.ledger.evidence.extraction.spans import spans


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    left, right = spans(text).sentence(start, end)
    while left < start and text[left] == " ":
        left += 1
    return left, right


def clause(text: str, start: int, end: int) -> tuple[int, int]:
    """The shortest clause around text[start:end]: within its sentence, between the
    nearest clause breaks (commas, semicolons, colons, brackets, dashes) outside it."""
    s_left, s_right = _sentence(text, start, end)
    found = spans(text)
    left = found.break_before(s_left, start)
    right = found.break_after(end, s_right)
    left = s_left if left is None else left
    right = s_right if right is None else right
    while left < start and text[left] == " ":
        left += 1
    while right > end and text[right - 1] in " .!?":
        right -= 1
    return left, right


def as_of(text: str, mention: Mention, published: str | None) -> tuple[str | None, bool]:
    """The EDTF date of the date phrase nearest the mention in its sentence (a phrase with
    no year takes the published date's), or the published date as a guess (True)."""
    s_left, s_right = _sentence(text, mention.start, mention.end)
    found = spans(text).nearest_date(mention.start, mention.end, s_left, s_right,
                                     with_year=published is None)
    if found is None:
        return published, True
    return found.edtf(found.year or (published or "")[:4]), False


def _figure(noun: str | None, figures: Sequence[dict[str, Any]]) -> tuple[str | None,
                                                                          list[str]]:
    """The one figure whose unit or last id segment is the noun, else None with the
    figures whose unit or id mentions it."""
    if noun is None:
        return None, []
    stem = noun.rstrip("s")
    exact = [f["figure_id"] for f in figures
             if f["unit"].rstrip("s") == stem and f["kind"] == "quantity"]
    if len(exact) == 1:
        return exact[0], []
    close = [f["figure_id"] for f in figures if stem and (stem in f["figure_id"]
                                                         or f["unit"].rstrip("s") == stem)]
    return None, sorted(close)[:5]


def candidates(text: str, *, sha256: str, source: str, published: str | None,
               url: str | None, figures: Sequence[dict[str, Any]],
               money: bool = False) -> list[dict[str, Any]]:
    """The candidate report lines of a document's normalised text (amounts of money too,
    if `money`)."""
    lines = []
    for mention in mentions(text, money=money):
        start, end = clause(text, mention.start, mention.end)
        date, guessed = as_of(text, mention, published)
        figure, suggestions = _figure(mention.noun, figures)
        anchor = selector(text, start, end)
        lines.append({
            "type": "report", "figure": figure, "value": mention.value, "as_of": date,
            "source": source, "via": [], "url": url, "published": published,
            "quote": anchor["quote"]["exact"], "document_sha256": sha256, "anchor": anchor,
            "candidate": {
                "noun": mention.noun, "span": [mention.start, mention.end],
                "text": text[mention.start:mention.end], "rule": mention.rule,
                "vague": mention.vague, "as_of_guessed": guessed,
                "suggestions": suggestions,
            },
        })
    return lines
