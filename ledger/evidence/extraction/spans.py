"""Where a text's sentences end, and where its clause breaks and date phrases are: found
once per text, then looked up by position (bisection), so that reading n mentions of a
text costs n log n, not one scan of the sentence per mention (quadratic: 8,000 mentions
in one sentence took 43 s)."""

from __future__ import annotations

import bisect
import functools
import re

from tally.ledger.evidence.extraction.dates import DATE, DatePhrase, phrase

# a sentence ends before a capital, a digit ("… completed. 447 bodies …"), a quote or
# a bracket, or at the end of the text; not after a title or "No." ("Mr. Smith")
_SENTENCE_END = re.compile(r"[.!?](?<!\bMr.)(?<!\bMrs.)(?<!\bMs.)(?<!\bDr.)(?<!\bSt.)"
                           r"(?<!\bNo.)(?<!\bGen.)(?<!\bCol.)(?<!\bLt.)(?<!\bSgt.)"
                           r"(?<!\bProf.)(?<!\bvs.)(?=\s+[A-Z0-9“\"(]|\s*$)")
# a comma, colon or dash between two digits is inside a number (2,700; 10:30; 440–451)
_CLAUSE_BREAK = re.compile(r"[;()]|\s-\s|[,:—–](?!(?<=\d[,:—–])\d)")


class Spans:
    """The positions in one text; `spans(text)` builds them once per text."""

    def __init__(self, text: str, paragraph_ends: tuple[int, ...] = ()) -> None:
        self.length = len(text)
        self.sentence_ends = sorted({m.end() for m in _SENTENCE_END.finditer(text)}
                                    | set(paragraph_ends))
        breaks = list(_CLAUSE_BREAK.finditer(text))
        self.break_starts = [m.start() for m in breaks]
        self.break_ends = [m.end() for m in breaks]
        phrases = [phrase(text, m) for m in DATE.finditer(text)]
        # the date a figure was told: a running total's start ("since 3 March") is not one
        self.dates = [d for d in phrases if not d.since]
        self.dated = [d for d in self.dates if d.year is not None]
        self.since = [d for d in phrases if d.since]

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

    def since_in(self, low: int, high: int) -> DatePhrase | None:
        """The first running total's start ("since 3 March") within [low, high]."""
        at = bisect.bisect_left(self.since, low, key=_start)
        ok = at < len(self.since) and self.since[at].end <= high
        return self.since[at] if ok else None

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


@functools.lru_cache(maxsize=4)
def spans(text: str, paragraph_ends: tuple[int, ...] = ()) -> Spans:
    """The spans of `text`; a sentence also ends where a paragraph does."""
    return Spans(text, paragraph_ends)
