"""Date phrases in news text and the EDTF date each stands for.

Absolute phrases ("16 September 2022", "in May", "in 2023") name their date; relative
ones ("on Thursday", "yesterday", "a day earlier", "last year") are resolved against the
publication date and marked as inferred; a phrase that starts a running total ("since
work began on 3 March") is the start of an interval, never the date a figure was told.

Hand-written: dateparser resolves a date string it is given ("Thursday", against a
base date), but neither it nor htmldate finds the phrases in running text or tells an
interval's start from the date a figure was told; the weekday arithmetic is two lines.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from tally.ledger.evidence.extraction.kinds import MONTHS

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTH = "|".join(MONTHS)
DATE = re.compile(
    r"\b(?:(?P<d1>\d{1,2})\s+(?P<m1>%s)|(?P<m2>%s)\s+(?P<d2>\d{1,2})(?!\d))(?:,?\s+(?P<y1>\d{4}))?"
    r"|\b(?:in|since|by|of)\s+(?P<m3>%s)\s+(?P<y2>\d{4})\b"
    r"|\bin\s+(?P<m4>%s)\b"
    r"|\bin\s+(?P<y3>(?:19|20)\d\d)\b"
    r"|\b(?:on\s+|last\s+)?(?P<weekday>%s)\b"
    r"|\b(?P<relative>yesterday|today|a\s+day\s+earlier|the\s+day\s+before|the\s+previous\s+day"
    r"|last\s+year|this\s+year|last\s+month|this\s+month)\b"
    % ((_MONTH,) * 4 + ("|".join(WEEKDAYS),)),
    re.IGNORECASE)
# what makes a date the start of a running total: "since …", "work began on …"
_SINCE_BEFORE = re.compile(r"\bsince\b[^.;,\d]{0,40}$|\b(?:began|begun|started|starting"
                           r"|beginning|opened|launched)\s+(?:on\s+|in\s+)?$", re.I)
_DAYS_BACK = {"yesterday": 1, "today": 0, "a day earlier": 1, "the day before": 1,
              "the previous day": 1}


@dataclass(frozen=True)
class DatePhrase:
    start: int
    end: int
    year: str | None  # None: the phrase names no year ("in May", "on Thursday")
    month: int | None
    day: int | None
    relative: str | None = None  # a weekday or a relative phrase, read against published
    since: bool = False  # the start of a running total, not the date a figure was told

    def edtf(self, published: str | None) -> tuple[str | None, bool]:
        """The EDTF date, and whether it was inferred from the publication date (a
        relative phrase); None if it needs a publication date that is not precise enough."""
        if self.relative is None:
            year = self.year or (published or "")[:4]
            if not year:
                return None, False
            if self.month is None:
                return year, False
            return f"{year}-{self.month:02d}" + (
                f"-{self.day:02d}" if self.day is not None else ""), False
        return _resolved(self.relative, published), True


def _resolved(relative: str, published: str | None) -> str | None:
    """A relative phrase against the publication date (EDTF); a weekday is the last such
    day on or before it."""
    if published is None:
        return None
    words = " ".join(relative.lower().split())
    year = int(published[:4])
    if words in ("last year", "this year"):
        return str(year - (words == "last year"))
    if len(published) < 7 or not published[5:7].isdigit():
        return None
    month = int(published[5:7])
    if words in ("last month", "this month"):
        month -= words == "last month"
        return f"{year - (month == 0)}-{(month - 1) % 12 + 1:02d}"
    try:
        day = dt.date.fromisoformat(published[:10])
    except ValueError:
        return None
    back = _DAYS_BACK.get(words)
    if back is None:
        back = (day.weekday() - WEEKDAYS.index(words.split()[-1])) % 7
    return (day - dt.timedelta(days=back)).isoformat()


def phrase(text: str, m: re.Match[str]) -> DatePhrase:
    """The date phrase of one match of `DATE` in `text`."""
    g = m.groupdict()
    month_name = g["m1"] or g["m2"] or g["m3"] or g["m4"]
    day = g["d1"] or g["d2"]
    since = m.group(0).lower().startswith("since") or bool(
        _SINCE_BEFORE.search(text[max(0, m.start() - 60):m.start()]))
    return DatePhrase(m.start(), m.end(), g["y1"] or g["y2"] or g["y3"],
                      None if month_name is None else MONTHS.index(month_name.lower()) + 1,
                      int(day) if day else None, g["weekday"] or g["relative"], since)
