"""The axes of a figure's chart: valid time across, the values up, with readable ticks.

Pure code. Tick values are exact (`Decimal` for numbers, calendar dates for time) so their
labels never show float artefacts; only pixel positions are floats, rounded to a tenth of
a pixel so that the same ledger always draws the same bytes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from tally.ledger.model.values import decimal_text

ONE_DAY = dt.timedelta(days=1)
_NICE_STEPS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))


def px(value: float) -> float:
    """A pixel position rounded to 0.1: deterministic text, sharp enough on any screen."""
    return round(value, 1) + 0.0  # + 0.0 turns -0.0 into 0.0


@dataclass(frozen=True)
class Tick:
    at: float  # pixel position along its axis
    label: str


@dataclass(frozen=True)
class TimeScale:
    """Days [first, end) mapped onto pixels [left, right]."""

    first: dt.date
    end: dt.date
    left: float
    right: float

    @classmethod
    def over(cls, earliest: dt.date, latest: dt.date, left: float, right: float) -> TimeScale:
        """A scale showing every day from `earliest` to `latest` (inclusive), with a margin
        of a twentieth of that span on each side (at least a day): fitted to the claims."""
        days = (latest - earliest).days + 1
        pad = dt.timedelta(days=max(1, days // 20))
        return cls(max(dt.date.min, earliest - pad), min(dt.date.max, latest + ONE_DAY + pad),
                   left, right)

    def x(self, day: dt.date) -> float:
        span = (self.end - self.first).days
        return px(self.left + (day - self.first).days / span * (self.right - self.left))

    def span(self, earliest: dt.date, latest: dt.date) -> tuple[float, float]:
        """The pixels a span of whole days covers (its last day included)."""
        return self.x(earliest), self.x(min(latest + ONE_DAY, self.end))

    def ticks(self, most: int = 6) -> list[Tick]:
        """Year, month or day starts, at most `most` of them, labelled as EDTF would write."""
        days = (self.end - self.first).days
        if days > 3 * 365:
            years = range(self.first.year + 1, self.end.year + 1)
            step = max(1, -(-len(years) // most))
            return [Tick(self.x(dt.date(y, 1, 1)), str(y)) for y in years[::step]
                    if dt.date(y, 1, 1) < self.end]
        if days > 90:
            months = []
            year, month = self.first.year, self.first.month
            while True:
                month, year = (1, year + 1) if month == 12 else (month + 1, year)
                if dt.date(year, month, 1) >= self.end:
                    break
                months.append(dt.date(year, month, 1))
            step = max(1, -(-len(months) // most))
            return [Tick(self.x(d), f"{d:%Y-%m}") for d in months[::step]]
        step = max(1, -(-days // most))
        found = [self.first + dt.timedelta(days=n) for n in range(step, days, step)]
        return [Tick(self.x(d), d.isoformat()) for d in found]


def nice_step(span: Decimal, most: int) -> Decimal:
    """The smallest 1, 2, 2.5 or 5 times a power of ten that cuts `span` in at most `most`."""
    raw = span / most
    power = Decimal(10) ** (raw.adjusted())
    return next(power * s for s in _NICE_STEPS if power * s >= raw)


@dataclass(frozen=True)
class ValueScale:
    """Numbers [low, high] mapped onto pixels [bottom, top] (up is more)."""

    low: Decimal
    high: Decimal
    bottom: float
    top: float
    step: Decimal

    @classmethod
    def over(cls, numbers: list[Decimal], bottom: float, top: float,
             most: int = 5) -> ValueScale:
        """A scale holding every number, padded, starting at a tick; never below 0 when
        every number is a count (non-negative)."""
        least, greatest = min(numbers), max(numbers)
        span = greatest - least
        pad = span / 8 if span else max(Decimal(1), abs(least) / 10)
        low, high = least - pad, greatest + pad
        if least >= 0:
            low = max(low, Decimal(0))
        step = nice_step(high - low, most)
        low = (low / step).to_integral_value(rounding=ROUND_FLOOR) * step
        high = (high / step).to_integral_value(rounding=ROUND_CEILING) * step
        return cls(low, high, bottom, top, step)

    def y(self, number: Decimal) -> float:
        share = float((number - self.low) / (self.high - self.low))
        return px(self.bottom - share * (self.bottom - self.top))

    def ticks(self) -> list[Tick]:
        count = int((self.high - self.low) / self.step)
        return [Tick(self.y(self.low + n * self.step), decimal_text(self.low + n * self.step))
                for n in range(count + 1)]
