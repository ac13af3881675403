"""A figure's chart, laid out at publish time: one mark per claim over valid time.

Hand-written geometry rather than a plotting library: the chart must say things no
general plot does (a bound is a short arrow its way, an approximate value a dashed band,
a range a solid bar, a correction a link from the value first reported, a retraction a
cross that draws no bar), and must be byte-for-byte the same for the same ledger, which
SVG writers that stamp dates or random ids into their output are not. This module only
computes positions; `templates/chart.svg` draws them (Jinja2, autoescaped). Pure code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from tally.projections.models import ClaimOut, ValueOut
from tally.projections.publish.site.scales import Tick, TimeScale, ValueScale, px

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 64, WIDTH - 16, 16, HEIGHT - 36
STATUS_LEFT = 120  # room for state names on the axis
ARROW = 36  # a bound's arrow, in pixels: it says "or more" without crossing other values

KIND_LABELS = {
    "exact": "exact value",
    "at_least": "at least (≥): a bound, arrow up",
    "more_than": "more than (>): a bound, arrow up, open marker",
    "at_most": "at most (≤): a bound, arrow down",
    "fewer_than": "fewer than (<): a bound, arrow down, open marker",
    "about": "approximate (~): a dashed band over the figure's tolerance",
    "range": "range (a..b): a solid bar",
    "status": "state",
    "retracted": "retracted: a cross on the time axis, no value drawn",
    "corrected": "corrected: a hollow grey dot at the value first reported, "
                 "joined to the corrected value",
}


@dataclass(frozen=True)
class Mark:
    """One claim as drawn. `shape` is its value's kind, or "retracted"; `y` is where its
    marker sits, `y_end` where its bar or arrow ends (equal to `y` for a point)."""

    claim_id: str
    shape: str
    x1: float
    x2: float
    cx: float
    y: float
    y_end: float
    reported_y: float | None  # the value first reported, when a correction moved it
    in_force: bool
    title: str

    @property
    def corrected(self) -> bool:
        return self.reported_y is not None

    @property
    def y_mid(self) -> float:
        """Where the line of its "as of" span and the ring of the value in force go."""
        return px((self.y + self.y_end) / 2) if self.shape in ("about", "range") else self.y


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    marks: list[Mark]
    shapes: list[str]  # the shapes drawn, in KIND_LABELS order: the legend
    title: str
    description: str


def _numbers(value: ValueOut) -> list[Decimal]:
    """The numbers a value puts on the axis: a bound's own number (its arrow goes on to the
    edge, so the 0 under "<=30" does not stretch the scale), an interval's two ends."""
    i = value.interval
    if i is None:
        return []
    if value.kind in ("at_most", "fewer_than"):
        return [Decimal(n) for n in (i.high,) if n is not None]
    return [Decimal(n) for n in (i.low, i.high) if n is not None]


def _centre(value: ValueOut) -> Decimal:
    numbers = _numbers(value)
    return sum(numbers, Decimal(0)) / len(numbers)


class _Values:
    """Where a value sits on the vertical axis: numbers on a linear scale, states in rows."""

    def __init__(self, claims: Sequence[ClaimOut], states: Sequence[str] | None) -> None:
        self.states = None if states is None else (
            list(states) or sorted({v.written for c in claims for v in (c.value, c.reported)}))
        numbers = [n for c in claims for v in (c.value, c.reported) for n in _numbers(v)]
        self.scale = ValueScale.over(numbers or [Decimal(0), Decimal(1)], BOTTOM, TOP)

    def _row(self, state: str) -> float:
        assert self.states is not None
        row = self.states.index(state) if state in self.states else -1
        return px(BOTTOM - (row + 1) / (len(self.states) + 1) * (BOTTOM - TOP))

    def at(self, value: ValueOut) -> float:
        """Where a marker of `value` sits (the middle of an interval's finite ends)."""
        if value.interval is None:
            return self._row(value.written)
        return self.scale.y(_centre(value))

    def ends(self, value: ValueOut) -> tuple[float, float]:
        """(marker, end of its bar or arrow): a bound's arrow is `ARROW` long, clipped to the
        plot, so it points the way without running through the values beyond it."""
        i = value.interval
        if i is None or value.kind == "exact":
            y = self.at(value)
            return y, y
        if value.kind in ("at_least", "more_than"):
            assert i.low is not None
            y = self.scale.y(Decimal(i.low))
            return y, max(float(TOP), px(y - ARROW))
        if value.kind in ("at_most", "fewer_than"):
            assert i.high is not None
            y = self.scale.y(Decimal(i.high))
            return y, min(float(BOTTOM), px(y + ARROW))
        assert i.low is not None and i.high is not None  # about, range
        return self.scale.y(Decimal(i.low)), self.scale.y(Decimal(i.high))

    def ticks(self) -> list[Tick]:
        if self.states is None:
            return self.scale.ticks()
        return [Tick(self._row(s), s) for s in self.states]


def _title(claim: ClaimOut, unit: str, in_force: bool) -> str:
    parts = [f"{claim.value.written} {unit} as of {claim.as_of.text}",
             f"{KIND_LABELS[claim.value.kind].split(':')[0]}", f"source {claim.source}",
             f"claim {claim.claim_id[:12]}"]
    if claim.corrections:
        parts.append(f"corrected from {claim.reported.written}")
    if claim.retracted:
        parts.append("retracted")
    if in_force:
        parts.append("in force")
    return "; ".join(parts)


def layout(claims: Sequence[ClaimOut], *, figure: str, unit: str, status: bool,
           states: Sequence[str], in_force: str | None) -> Chart | None:
    """The chart of `claims` (retracted ones included), or None when there is none."""
    if not claims:
        return None
    drawn = [c for c in claims if not c.retracted]
    values = _Values(drawn, states if status else None)
    left = STATUS_LEFT if status else LEFT
    time = TimeScale.over(min(c.as_of.earliest for c in claims),
                          max(c.as_of.latest for c in claims), left, RIGHT)
    marks = []
    for c in claims:
        x1, x2 = time.span(c.as_of.earliest, c.as_of.latest)
        y, y_end = (float(BOTTOM), float(BOTTOM)) if c.retracted else values.ends(c.value)
        reported = values.at(c.reported) if c.corrections and not c.retracted else None
        marks.append(Mark(
            claim_id=c.claim_id, shape="retracted" if c.retracted else c.value.kind,
            x1=x1, x2=x2, cx=px((x1 + x2) / 2), y=y, y_end=y_end, reported_y=reported,
            in_force=c.claim_id == in_force, title=_title(c, unit, c.claim_id == in_force)))
    marks = _dodged(marks)
    shown = {m.shape for m in marks} | ({"corrected"} if any(m.corrected for m in marks)
                                        else set())
    return Chart(
        width=WIDTH, height=HEIGHT, left=left, right=RIGHT, top=TOP, bottom=BOTTOM,
        x_ticks=time.ticks(), y_ticks=values.ticks(), marks=marks,
        shapes=[k for k in KIND_LABELS if k in shown],
        title=f"Values of {figure} over valid time",
        description=_describe(claims, drawn, unit, in_force),
    )


DODGE = 14  # pixels between marks that would otherwise sit on one another


def _dodged(marks: list[Mark]) -> list[Mark]:
    """Marks at one place in time spread sideways, in claim order, so none hides another."""
    at: dict[float, list[int]] = {}
    for n, m in enumerate(marks):
        at.setdefault(m.cx, []).append(n)
    moved = list(marks)
    for group in at.values():
        for k, n in enumerate(group):
            shift = (k - (len(group) - 1) / 2) * DODGE
            moved[n] = replace(marks[n], cx=px(marks[n].cx + shift))
    return moved


def _day(day: dt.date) -> str:
    return day.isoformat()


def _describe(claims: Sequence[ClaimOut], drawn: Sequence[ClaimOut], unit: str,
              in_force: str | None) -> str:
    """The chart in one paragraph, for readers who cannot see it (the table has the rest)."""
    first = min(c.as_of.earliest for c in claims)
    last = max(c.as_of.latest for c in claims)
    text = [f"{len(claims)} claim{'s' if len(claims) != 1 else ''} as of "
            f"{_day(first)} to {_day(last)}."]
    written = sorted({c.value.written for c in drawn})
    if written:
        text.append(f"Values drawn: {', '.join(written)} {unit}.")
    retracted = len(claims) - len(drawn)
    if retracted:
        text.append(f"{retracted} retracted (no value drawn).")
    corrected = sum(1 for c in drawn if c.corrections)
    if corrected:
        text.append(f"{corrected} corrected.")
    chosen = next((c for c in drawn if c.claim_id == in_force), None)
    if chosen is not None:
        text.append(f"In force: {chosen.value.written} {unit} as of {chosen.as_of.text}.")
    text.append("Every claim is listed in the table of claims below.")
    return " ".join(text)
