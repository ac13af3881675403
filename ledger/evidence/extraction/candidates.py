"""Candidate `report` lines from an archived document's text, for a recorder to review.

One line per numeric mention (`grammar`): its value, an `as_of` from a date phrase in
the same sentence (or the published date, marked as a guess), the shortest clause that
holds it as the quote, anchored (`anchors.selector`), and a figure whose unit or id
matches the noun, or null with suggestions. The review notes sit under `candidate`,
which `tally import` ignores; a line whose figure is still null is refused there.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Sequence
from typing import Any

from tally.ledger.evidence.anchors import selector
from tally.ledger.evidence.extraction.grammar import _MONTHS, Mention, mentions

# a sentence ends before a capital, a digit ("… completed. 447 bodies …"), a quote or
# a bracket, or at the end of the text
_SENTENCE_END = re.compile(r"[.!?](?=\s+[A-Z0-9“\"(]|\s*$)")
_CLAUSE_BREAK = re.compile(r"[,;:()—–]|\s-\s")
_DATE = re.compile(
    r"\b(?:(?P<d1>\d{1,2})\s+(?P<m1>%s)|(?P<m2>%s)\s+(?P<d2>\d{1,2})(?!\d))(?:,?\s+(?P<y1>\d{4}))?"
    r"|\b(?:in|since|by|of)\s+(?P<m3>%s)\s+(?P<y2>\d{4})\b"
    r"|\bin\s+(?P<m4>%s)\b"
    r"|\bin\s+(?P<y3>(?:19|20)\d\d)\b" % ((("|".join(_MONTHS)),) * 4),
    re.IGNORECASE)


@functools.lru_cache(maxsize=4)
def _sentence_ends(text: str) -> list[int]:
    """Where each sentence of `text` ends, found once per text: scanning from the start
    for every mention made `extract` quadratic (169 s on a 1 MB page)."""
    return [m.end() for m in _SENTENCE_END.finditer(text)]


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    ends = _sentence_ends(text)
    before = bisect.bisect_right(ends, start)
    left = ends[before - 1] if before else 0
    after = bisect.bisect_left(ends, end + 1)  # a sentence end at or after `end`
    right = ends[after] if after < len(ends) else len(text)
    while left < start and text[left] == " ":
        left += 1
    return left, right


def clause(text: str, start: int, end: int) -> tuple[int, int]:
    """The shortest clause around text[start:end]: within its sentence, between the
    nearest clause breaks (commas, semicolons, colons, brackets, dashes) outside it."""
    s_left, s_right = _sentence(text, start, end)
    left = max((m.end() for m in _CLAUSE_BREAK.finditer(text, s_left, start)), default=s_left)
    right = next((m.start() for m in _CLAUSE_BREAK.finditer(text, end, s_right)), s_right)
    while left < start and text[left] == " ":
        left += 1
    while right > end and text[right - 1] in " .!?":
        right -= 1
    return left, right


def as_of(text: str, mention: Mention, published: str | None) -> tuple[str | None, bool]:
    """The EDTF date of the date phrase nearest the mention in its sentence, or the
    published date as a guess (True)."""
    s_left, s_right = _sentence(text, mention.start, mention.end)
    year = published[:4] if published else None
    best: tuple[int, str] | None = None
    for m in _DATE.finditer(text, s_left, s_right):
        g = m.groupdict()
        month_name = g["m1"] or g["m2"] or g["m3"] or g["m4"]
        day = g["d1"] or g["d2"]
        y = g["y1"] or g["y2"] or g["y3"] or year
        if y is None:
            continue
        if month_name is None:
            edtf = y
        else:
            month = _MONTHS.index(month_name.lower()) + 1
            edtf = f"{y}-{month:02d}" + (f"-{int(day):02d}" if day else "")
        distance = min(abs(m.start() - mention.end), abs(mention.start - m.end()))
        if best is None or distance < best[0]:
            best = (distance, edtf)
    if best is not None:
        return best[1], False
    return published, True


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
               url: str | None, figures: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The candidate report lines of a document's normalised text."""
    lines = []
    for mention in mentions(text):
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
