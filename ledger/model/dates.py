"""Valid-time dates (``as_of``, ``published``): EDTF text mapped to a closed date interval.

The ``edtf`` library parses the text (ISO 8601-2 levels 0 and 1); this module
keeps the subset that makes sense for a reported figure (a year, a month, a day,
optionally qualified with ``?``, ``~`` or ``%``, and intervals ``a/b`` or
``a/..``), maps it to [earliest, latest], and refuses the rest with a sentence a
user can act on. Pure code: no I/O.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from types import SimpleNamespace
from typing import Any, Literal

from tally.ledger.errors import InvalidDateError


@lru_cache(maxsize=1)
def _edtf() -> Any:
    """The `edtf` library, imported on first use: building its grammars costs ~50 ms of
    every command's start-up, and the common dates never need it (see `_fast_parse`)."""
    from edtf import parse_edtf
    from edtf.parser import (
        Date,
        DateAndTime,
        EDTFParseException,
        Interval,
        LongYear,
        MultipleDates,
        OneOfASet,
        PartialUncertainOrApproximate,
        Season,
        UncertainOrApproximate,
        Unspecified,
        UnspecifiedIntervalSection,
    )

    return SimpleNamespace(
        parse_edtf=parse_edtf, Date=Date, EDTFParseException=EDTFParseException,
        Interval=Interval, UncertainOrApproximate=UncertainOrApproximate,
        UnspecifiedIntervalSection=UnspecifiedIntervalSection,
        # What to tell a user who wrote valid EDTF that the ledger does not model (and why
        # not: each maps poorly to one interval of days, or is absurd for a reported figure).
        unsupported=(
            (Season, f"is a season, {_NOT_SUPPORTED}: write months, e.g. 2022-03/2022-05"),
            (
                Unspecified,
                f"has unspecified digits (X), {_NOT_SUPPORTED}: write an interval, "
                "e.g. 2020/2029",
            ),
            (
                PartialUncertainOrApproximate,
                f"qualifies part of a date, {_NOT_SUPPORTED}: put ?, ~ or % at the end",
            ),
            (OneOfASet, f"is a set of dates, {_NOT_SUPPORTED}: write an interval a/b"),
            (MultipleDates, f"is a set of dates, {_NOT_SUPPORTED}: write an interval a/b"),
            (DateAndTime,
             f"has a time of day, {_NOT_SUPPORTED}: write the date only, e.g. 2022-09-16"),
            (LongYear,
             f"has a year written with Y, {_NOT_SUPPORTED}: write a year from 1000 to 9999"),
        ),
    )


Precision = Literal["year", "month", "day"]
EARLIEST_YEAR = 1000

_EXAMPLES = "2022, 2025-01, 2025-11-24, 2022-09?, 2022-09~ or 2022-09-16/2022-09-23"
_CALENDAR = "months run from 01 to 12 and days to the end of the month"
_DATE_SHAPED = re.compile(r"[0-9]{4}-[0-9]{2}(-[0-9]{2})?[?~%]?", re.ASCII)
_NOT_SUPPORTED = "which is not supported"


@dataclass(frozen=True)
class EdtfDate:
    """An EDTF date as written and the closed interval of days it may mean."""

    text: str
    earliest: dt.date
    latest: dt.date
    uncertain: bool
    approximate: bool
    precision: Precision

    def overlaps(self, other: EdtfDate) -> bool:
        """True when the two closed date intervals share at least one day."""
        return self.earliest <= other.latest and other.earliest <= self.latest

    def to_dict(self) -> dict[str, str | bool]:
        """JSON-ready form, dates as ISO strings."""
        return {
            "text": self.text,
            "earliest": self.earliest.isoformat(),
            "latest": self.latest.isoformat(),
            "uncertain": self.uncertain,
            "approximate": self.approximate,
            "precision": self.precision,
        }


@dataclass(frozen=True)
class _End:
    """One end of a parsed date: its strict bounds, its precision and its qualifier."""

    earliest: dt.date
    latest: dt.date
    precision: Precision
    uncertain: bool
    approximate: bool

    @property
    def steps(self) -> int:
        # "%" is both uncertain and approximate, so it is widened twice as far.
        return int(self.uncertain) + int(self.approximate)


def _refuse(field: str, text: str, why: str) -> InvalidDateError:
    return InvalidDateError(f"{field} '{text}' {why}", field=field)


def _shift_month(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def _last_day(year: int, month: int) -> dt.date:
    """Last day of a month; past the calendar's end (year 9999) the calendar's last day."""
    if year > dt.MAXYEAR:
        return dt.date.max
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _widen(end: _End) -> tuple[dt.date, dt.date]:
    """Widen a qualified end by one unit of its own precision per qualifier.

    ``2022-09?`` becomes 2022-08-01..2022-10-31, ``2022?`` 2021..2023,
    ``2022-09-16~`` 2022-09-15..2022-09-17, and ``%`` two units. The library's
    lower_fuzzy/upper_fuzzy are not used: they pad every qualified date by a
    year plus a month plus a day (``2022-09?`` -> 2021-08-01..2023-10-30), which
    would make a "September, probably" overlap two years of reports.
    """
    k, low, high = end.steps, end.earliest, end.latest
    if k == 0:
        return low, high
    if end.precision == "day":
        # Clamped so that "9999-12-31?" stays inside the calendar.
        return low - dt.timedelta(days=k), high + min(dt.timedelta(days=k), dt.date.max - high)
    if end.precision == "month":
        low_year, low_month = _shift_month(low.year, low.month, -k)
        return dt.date(low_year, low_month, 1), _last_day(*_shift_month(high.year, high.month, k))
    return dt.date(low.year - k, 1, 1), _last_day(high.year + k, 12)


def _end(node: Any, field: str, text: str) -> _End:
    """Read one end (a date, possibly qualified) of the parsed EDTF tree."""
    lib = _edtf()
    for kind, why in lib.unsupported:
        if isinstance(node, kind) or isinstance(getattr(node, "date", None), kind):
            raise _refuse(field, text, why)
    qualified = isinstance(node, lib.UncertainOrApproximate)
    date = node.date if qualified else node
    if type(date) is not lib.Date or date.significant_digits:
        raise _refuse(field, text, f"is not a supported EDTF date: write e.g. {_EXAMPLES}")
    year, month, day = int(date.year), date.month, date.day
    if year < EARLIEST_YEAR:  # also year 0 and negative years
        raise _refuse(field, text, f"has a year before {EARLIEST_YEAR}: write a four-digit year")
    try:
        # The library accepts 2023-02-29; the calendar does not.
        first = dt.date(year, int(month or 1), int(day or 1))
        last = first if day else _last_day(year, int(month or 12))
    except ValueError:
        raise _refuse(field, text, f"is not a date in the calendar: {_CALENDAR}") from None
    precision: Precision = "day" if day else "month" if month else "year"
    uncertain = qualified and (node.is_uncertain or node.is_uncertain_and_approximate)
    approximate = qualified and (node.is_approximate or node.is_uncertain_and_approximate)
    return _End(first, last, precision, bool(uncertain), bool(approximate))


@dataclass(frozen=True)
class _Parsed:
    """A cached parse: the date with its latest still to settle for an open end."""

    date: EdtfDate
    start: dt.date  # the strict start, before widening: what the future check compares
    open_end: bool
    end: dt.date  # the strict end, before widening (an open end: the start)


_FAST_END = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?([?~%]?)", re.ASCII)


def _fast_end(text: str) -> _End | None:
    """A plain year, month or day, maybe qualified, read without the library; None otherwise."""
    m = _FAST_END.fullmatch(text)
    if m is None:
        return None
    year, month, day = int(m[1]), int(m[2] or 0), int(m[3] or 0)
    if year < EARLIEST_YEAR or (m[2] and not 1 <= month <= 12):
        return None
    try:
        first = dt.date(year, month or 1, day or 1)
    except ValueError:
        return None
    if m[3] and not day:
        return None
    last = first if day else _last_day(year, month or 12)
    precision: Precision = "day" if day else "month" if month else "year"
    qualifier = m[4]
    return _End(first, last, precision, qualifier in ("?", "%"), qualifier in ("~", "%"))


def _fast_parse(text: str) -> _Parsed | None:
    """The common shapes (YYYY, YYYY-MM, YYYY-MM-DD, a qualifier, a/b, a/..) without the
    library, which takes milliseconds per text; None for anything else, including every
    text the ledger refuses, so refusals keep the library's reasons. Same result as the
    library path (tests/properties/test_edtf_fast_path.py)."""
    lower, slash, upper = text.partition("/")
    low = _fast_end(lower)
    if low is None:
        return None
    if not slash:
        earliest, latest = _widen(low)
        date = EdtfDate(text, earliest, latest, low.uncertain, low.approximate, low.precision)
        return _Parsed(date, low.earliest, open_end=False, end=low.latest)
    open_end = upper == ".."
    high = low if open_end else _fast_end(upper)
    if high is None or low.earliest > high.latest:
        return None
    earliest, latest = _widen(low)[0], _widen(high)[1]
    date = EdtfDate(text, earliest, latest, low.uncertain or high.uncertain,
                    low.approximate or high.approximate, low.precision)
    return _Parsed(date, low.earliest, open_end, end=high.latest)


@lru_cache(maxsize=65536)
def _parse(text: str, field: str) -> _Parsed:
    """Parse once per distinct text: the library is slow (milliseconds), imports are big."""
    fast = _fast_parse(text)
    if fast is not None:
        return fast
    return _library_parse(text, field)


def _library_parse(text: str, field: str) -> _Parsed:
    lib = _edtf()
    try:
        node = lib.parse_edtf(text)
    # the library raises TypeError on some malformed intervals ("../") and AttributeError on
    # some partly unspecified ones ("0000-0X", a bug in its PartialUnspecified): refusals
    except (lib.EDTFParseException, TypeError, AttributeError):
        if _DATE_SHAPED.fullmatch(text):  # e.g. 2022-13-45, 2022-02-30: say what is wrong
            raise _refuse(field, text, f"is not a date in the calendar: {_CALENDAR}") from None
        raise _refuse(field, text, f"is not an EDTF date: write e.g. {_EXAMPLES}") from None
    if not isinstance(node, lib.Interval):
        end = _end(node, field, text)
        earliest, latest = _widen(end)
        date = EdtfDate(text, earliest, latest, end.uncertain, end.approximate, end.precision)
        return _Parsed(date, end.earliest, open_end=False, end=end.latest)
    if isinstance(node.lower, lib.UnspecifiedIntervalSection):
        raise _refuse(field, text, "has no start: write the first date, e.g. 2022-09-16/..")
    low = _end(node.lower, field, text)
    open_end = isinstance(node.upper, lib.UnspecifiedIntervalSection)
    if open_end and not node.upper.is_open:
        raise _refuse(field, text, "has an unknown end: write .. for an open end, e.g. 2022-09/..")
    high = low if open_end else _end(node.upper, field, text)
    if low.earliest > high.latest:
        raise _refuse(field, text, "is an interval whose start is after its end")
    earliest, latest = _widen(low)[0], _widen(high)[1]
    date = EdtfDate(
        text,
        earliest,
        latest,
        low.uncertain or high.uncertain,
        low.approximate or high.approximate,
        low.precision,
    )
    return _Parsed(date, low.earliest, open_end, end=high.latest)


def parse_edtf_date(text: str, *, field: str = "as_of", now: dt.date | None = None) -> EdtfDate:
    """Parse EDTF ``text`` into an :class:`EdtfDate`, refusing dates after ``now``.

    ``now`` is the recording date (default: today, UTC). An open end (``2022-09/..``)
    runs until ``now``: pass the recording date when replaying stored events so the
    result does not depend on the day of the replay.
    """
    if now is None:
        now = dt.datetime.now(dt.UTC).date()
    written = text.strip()
    if not written:
        raise InvalidDateError(f"{field} is empty: write e.g. 2025-01 or 2025-11-24", field=field)
    parsed = _parse(written, field)
    # Outside the cache: the same text can be fine today and in the future of an old recording.
    if parsed.start > now:
        raise InvalidDateError(
            f"{field} {written} is in the future of the recording time {now.isoformat()}",
            field=field,
        )
    if parsed.open_end:
        return replace(parsed.date, latest=now)
    return parsed.date


def as_written(text: str, *, field: str = "as_of") -> tuple[dt.date, dt.date | None]:
    """The first and last day a date names as written, before ``?``, ``~`` or ``%`` widen
    it (None for the last day of an open end): ``2022-09?`` names 2022-09-01..2022-09-30.

    The widened interval is for comparing claims (two reports may be of the same day); the
    value in force is read against the days as written (docs/concepts.md): a month a source
    gives as probable is not evidence that its value held the month before."""
    parsed = _parse(text.strip(), field)
    return parsed.start, None if parsed.open_end else parsed.end


def check_published(as_of: EdtfDate, published: EdtfDate) -> None:
    """Refuse a report published before the time it reports on: the last day `published`
    may mean is before the first day `as_of` may mean (overlapping uncertainty is fine)."""
    if published.latest < as_of.earliest:
        raise _refuse("published", published.text,
                      f"is before as_of '{as_of.text}': a report cannot be published "
                      "before the time its figure is as of")
