"""Candidate `report` lines from an archived document's text, for a recorder to review.

One line per numeric mention (`grammar`): its value, an `as_of` from the date phrase
nearest it in its sentence (a weekday or relative phrase read against the published
date is marked inferred; with none, the published date is marked as a guess), the
shortest clause that holds it as the quote, anchored (`anchors.selector`), and the
figure whose unit is its noun, or null; the figures it may be about are suggested,
best first (`ranking`). The review notes sit under `candidate`, which `tally import`
ignores; a line whose figure is still null is refused there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from tally.ledger.evidence.anchors import selector
from tally.ledger.evidence.extraction.grammar import Mention, mentions
from tally.ledger.evidence.extraction.ranking import ranked
from tally.ledger.evidence.extraction.spans import Spans, spans


def _sentence(text: str, start: int, end: int, found: Spans | None = None) -> tuple[int, int]:
    left, right = (found or spans(text)).sentence(start, end)
    while left < start and text[left] == " ":
        left += 1
    return left, right


def clause(text: str, start: int, end: int, found: Spans | None = None) -> tuple[int, int]:
    """The shortest clause around text[start:end]: within its sentence (a paragraph
    ends one), between the nearest clause breaks (commas, semicolons, colons, brackets,
    dashes; never one inside a number) outside it."""
    found = found or spans(text)
    s_left, s_right = _sentence(text, start, end, found)
    left = found.break_before(s_left, start)
    right = found.break_after(end, s_right)
    left = s_left if left is None else left
    right = s_right if right is None else right
    while left < start and text[left] == " ":
        left += 1
    while right > end and text[right - 1] in " .!?":
        right -= 1
    return left, right


def as_of(text: str, mention: Mention, published: str | None,
          found: Spans | None = None) -> tuple[str | None, str]:
    """The EDTF date of the date phrase nearest the mention in its sentence, and how it
    was found: `text` (an absolute date; one with no year takes the published date's),
    `inferred` (a weekday or relative phrase read against the published date), or the
    published date as a guess (`guessed`). A running total's start ("since 3 March") is
    never the as_of."""
    found = found or spans(text)
    s_left, s_right = _sentence(text, mention.start, mention.end, found)
    # "310 people, up from 245 on Monday": the date after a comparison is the earlier
    # figure's, so the search stops there
    compared = _COMPARISON.search(text, mention.end, min(s_right, mention.end + _NEAR))
    s_right = compared.start() if compared else s_right
    near = found.nearest_date(mention.start, mention.end, s_left, s_right,
                              with_year=published is None)
    date, inferred = (None, False) if near is None else near.edtf(published)
    if date is None:
        return published, "guessed"
    return date, "inferred" if inferred else "text"


_COMPARISON = re.compile(r"\b(?:up|down)\s+from\b|\bcompared\s+(?:with|to)\b|\bagainst\b",
                         re.I)
# characters on each side of a number in which a comparison, and the words that rank
# figures, are looked for (bounded: a sentence may be a megabyte long)
_NEAR = 80


def _figure(noun: str | None, figures: Sequence[dict[str, Any]]) -> str | None:
    """The one quantity figure whose unit is the noun, else None."""
    if noun is None:
        return None
    stem = noun.rstrip("s")
    exact = [f["figure_id"] for f in figures
             if f["unit"].rstrip("s") == stem and f["kind"] == "quantity"]
    return exact[0] if len(exact) == 1 else None


def candidates(text: str, *, sha256: str, source: str, published: str | None,
               url: str | None, figures: Sequence[dict[str, Any]], money: bool = False,
               paragraph_ends: tuple[int, ...] = (), body_end: int | None = None,
               quotes: Mapping[str, Sequence[str]] | None = None) -> list[dict[str, Any]]:
    """The candidate report lines of a document's normalised text (amounts of money too,
    if `money`), each quote within its paragraph, none after `body_end` (a list of
    related articles); `quotes` are each figure's recent quotes, to rank the suggested
    figures by."""
    found = spans(text, paragraph_ends)
    lines = []
    for mention in mentions(text[:body_end], money=money):
        start, end = clause(text, mention.start, mention.end, found)
        date, how = as_of(text, mention, published, found)
        s_left, s_right = _sentence(text, mention.start, mention.end, found)
        since = found.since_in(s_left, s_right)
        anchor = selector(text, start, end)
        lines.append({
            "type": "report", "figure": _figure(mention.noun, figures),
            "value": mention.value, "as_of": date,
            "source": source, "via": [], "url": url, "published": published,
            "quote": anchor["quote"]["exact"], "document_sha256": sha256, "anchor": anchor,
            "candidate": {
                "noun": mention.noun, "span": [mention.start, mention.end],
                "text": text[mention.start:mention.end], "rule": mention.rule,
                "vague": mention.vague, "as_of_guessed": how == "guessed",
                "as_of_inferred": how == "inferred",
                "since": None if since is None else since.edtf(published)[0],
                "suggestions": ranked(text[max(s_left, mention.start - _NEAR):
                                           min(s_right, mention.end + _NEAR)],
                                      mention.noun, figures, quotes or {}),
            },
        })
    return lines
