"""Where a text's sentences end, and where its clause breaks and date phrases are: found
once per text, then looked up by position (bisection), so that reading n mentions of a
text costs n log n, not one scan of the sentence per mention (quadratic: 8,000 mentions
in one sentence took 43 s)."""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass

from tally.ledger.evidence.extraction.grammar import _MONTHS

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


@dataclass(frozen=True)
class DatePhrase:
    start: int
    end: int
    year: str | None  # None: the phrase names no year ("in May")
    month: int | None
    day: int | None

    def edtf(self, year: str) -> str:
        if self.month is None:
            return year
        return f"{year}-{self.month:02d}" + (f"-{self.day:02d}" if self.day is not None else "")


class Spans:
    """The positions in one text; `spans(text)` builds them once per text."""

    def __init__(self, text: str) -> None:
        self.length = len(text)
        self.sentence_ends = [m.end() for m in _SENTENCE_END.finditer(text)]
        breaks = list(_CLAUSE_BREAK.finditer(text))
        self.break_starts = [m.start() for m in breaks]
        self.break_ends = [m.end() for m in breaks]
        self.dates = [_phrase(m) for m in _DATE.finditer(text)]
        self.dated = [d for d in self.dates if d.year is not None]

    def sentence(self, start: int, end: int) -> tuple[int, int]:
        """The sentence around [start, end): from the end of the one before it (spaces not
        skipped) to its own end."""
        ends = self.sentence_ends
        before = bisect.bisect_right(ends, start)
        left = ends[before - 1] if before else 0
        after = bisect.bisect_left(ends, end + 1)  # a sentence end at or after `end`
        return left, ends[after] if after < len(ends) else self.length

    def break_before(self, low: int, start: int) -> int | None:
        """The end of the last clause break within [low, start]."""
        at = bisect.bisect_right(self.break_ends, start) - 1
        return self.break_ends[at] if at >= 0 and self.break_starts[at] >= low else None

    def break_after(self, end: int, high: int) -> int | None:
        """The start of the first clause break within [end, high]."""
        at = bisect.bisect_left(self.break_starts, end)
        ok = at < len(self.break_starts) and self.break_ends[at] <= high
        return self.break_starts[at] if ok else None

    def nearest_date(self, start: int, end: int, low: int, high: int,
                     with_year: bool) -> DatePhrase | None:
        """The date phrase within [low, high] nearest [start, end) (the first of equals),
        among those that name a year if `with_year`. Phrases do not overlap, so only the
        last one before the span, those overlapping it and the first after can be it."""
        dates = self.dated if with_year else self.dates
        lo = bisect.bisect_left(dates, low, key=_start)
        hi = bisect.bisect_right(dates, high, lo, key=_end)
        at = bisect.bisect_right(dates, start, lo, hi, key=_end)  # the first ending after
        near = dates[max(lo, at - 1):at]
        while at < hi and dates[at].start < end:
            near.append(dates[at])
            at += 1
        near += dates[at:min(at + 1, hi)]
        best: DatePhrase | None = None
        best_distance = 0
        for d in near:
            distance = min(abs(d.start - end), abs(start - d.end))
            if best is None or distance < best_distance:
                best, best_distance = d, distance
        return best


def _start(d: DatePhrase) -> int:
    return d.start


def _end(d: DatePhrase) -> int:
    return d.end


def _phrase(m: re.Match[str]) -> DatePhrase:
    g = m.groupdict()
    month_name = g["m1"] or g["m2"] or g["m3"] or g["m4"]
    day = g["d1"] or g["d2"]
    return DatePhrase(m.start(), m.end(), g["y1"] or g["y2"] or g["y3"],
                      None if month_name is None else _MONTHS.index(month_name.lower()) + 1,
                      int(day) if day else None)


@functools.lru_cache(maxsize=4)
def spans(text: str) -> Spans:
    return Spans(text)
