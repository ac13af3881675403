"""The history chart: one bar per value on a shared scale, drawn so that what is certain and
what is not look different.

A bar starts at zero. Its solid part (`█`) is what the value certainly reaches (an exact
value, or the low end of a range, of an about value or of a lower bound); what is uncertain
is drawn with its own glyph: `▒` the rest of a range, `≈` the band of an about value, `▶`
"or more" after an at-least bound (`▷` after a more-than), `░` up to an upper bound ended by
`◀` (at most) or `◁` (fewer than). Rich draws the table; no library draws text bars of
intervals, so this is hand-written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

SOLID, RANGE, ABOUT, LIGHT = "█", "▒", "≈", "░"
AT_LEAST, MORE_THAN, AT_MOST, FEWER_THAN = "▶", "▷", "◀", "◁"
CORRECTED, RETRACTED = "✎", "✗"
LEGEND = {SOLID: "certain", RANGE: "range", ABOUT: "about", AT_LEAST: "at least",
          MORE_THAN: "more than", AT_MOST: "at most", FEWER_THAN: "fewer than",
          CORRECTED: "corrected since", RETRACTED: "retracted (no bar)"}


def legend(drawn: str) -> list[str]:
    """The legend of the glyphs that occur in `drawn`, one item each ("▶ at least")."""
    return [f"{glyph} {meaning}" for glyph, meaning in LEGEND.items() if glyph in drawn]


def _decimal(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _ends(value: Any) -> tuple[Decimal | None, Decimal | None]:
    interval = None if value is None else value.interval
    if interval is None:
        return None, None
    return _decimal(interval.low), _decimal(interval.high)


@dataclass(frozen=True)
class Scale:
    """`width` cells from 0 to `top`, each cell `step` units."""

    step: Decimal
    width: int

    @property
    def top(self) -> Decimal:
        return self.step * self.width

    def cells(self, x: Decimal) -> int:
        """Cells a bar to `x` fills: at least one for any positive `x`, at most `width`."""
        if x <= 0:
            return 0
        return min(self.width, max(1, math.ceil(x / self.step)))

    def header(self) -> str:
        top = _number(self.top)
        return "0" + top.rjust(self.width - 1)

    def describe(self, unit: str) -> str:
        return f"0 to {_number(self.top)} {unit}, one cell = {_number(self.step)}"


def _number(d: Decimal) -> str:
    return str(int(d)) if d == d.to_integral_value() else format(d.normalize(), "f")


def _nice(x: Decimal) -> Decimal:
    """The smallest 1, 2, 2.5 or 5 times a power of ten that is at least `x` (> 0)."""
    power = Decimal(10) ** math.floor(math.log10(x))
    for m in (1, 2, Decimal("2.5"), 5, 10):
        if m * power >= x:
            return m * power
    return 10 * power  # not reached: 10 * power >= x always


def scale(values: list[Any], width: int) -> Scale | None:
    """A scale for these values (ValueOuts, None for none), or None when none is a number."""
    ends = [e for v in values for e in _ends(v) if e is not None and e > 0]
    if not any(v is not None and v.interval is not None for v in values):
        return None
    top = max(ends, default=Decimal(1))
    return Scale(_nice(top / width), width)


def bar(value: Any, s: Scale) -> str:
    """The bar of one value (a ValueOut with an interval) on scale `s`."""
    low, high = _ends(value)
    kind = value.kind
    if kind in ("at_least", "more_than"):
        solid = s.cells(low or Decimal(0))
        return SOLID * max(0, min(solid, s.width - 1)) + (
            AT_LEAST if kind == "at_least" else MORE_THAN)
    if kind in ("at_most", "fewer_than"):
        reach = s.cells(high or Decimal(0))
        return LIGHT * max(0, reach - 1) + (AT_MOST if kind == "at_most" else FEWER_THAN)
    solid = s.cells(low or Decimal(0))
    if kind == "exact" or high is None or high == low:
        return SOLID * solid
    rest = max(1, s.cells(high) - solid)
    return SOLID * solid + (ABOUT if kind == "about" else RANGE) * rest
