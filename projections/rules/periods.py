"""Valid-time periods a query names: `--as-of FROM..TO` (either end may be left out), read
as the days the dates name as written (docs/concepts.md)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tally.ledger.errors import InputError
from tally.ledger.model.dates import as_written, parse_edtf_date

SEPARATOR = ".."


@dataclass(frozen=True)
class Period:
    """From the first day of `first` to the last day of `last`, both as written."""

    text: str
    first: dt.date
    last: dt.date

    def holds(self, as_of: str) -> bool:
        """Whether a claim's as_of, as written, shares a day with the period."""
        start, end = as_written(as_of)
        return start <= self.last and (end is None or end >= self.first)


def _day(text: str, end: int, field: str) -> dt.date:
    parse_edtf_date(text, field=field, now=dt.date.max)  # refuses, in a sentence, what is not EDTF
    found = as_written(text, field=field)[end]
    return dt.date.max if found is None else found


def parse_period(text: str, field: str = "as_of") -> Period:
    """`FROM..TO`, `FROM..`, `..TO` or one date (its own days); EDTF dates on each side."""
    written = text.strip()
    first, sep, last = written.partition(SEPARATOR)
    if not sep:
        last = first
    if not first.strip() and not last.strip():
        raise InputError(f"{field} {text!r} names no date: write FROM..TO, e.g. "
                         "2022-09..2023-01", field=field)
    period = Period(written, _day(first.strip(), 0, field) if first.strip() else dt.date.min,
                    _day(last.strip(), 1, field) if last.strip() else dt.date.max)
    if period.first > period.last:
        raise InputError(f"{field} {text!r} ends before it starts: write FROM..TO with FROM "
                         "first", field=field)
    return period
