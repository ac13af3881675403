"""The value model of a claim: exact quantities, bounds, ranges and statuses.

A quantity is written as text (``449``, ``>=440``, ``>440``, ``<=30``, ``<30``,
``~450``, ``440..451``), stored as a :class:`Quantity` of ``Decimal`` numbers
(never a float, so what was reported is what is signed and replayed), and
compared as an :class:`Interval` of the counts it allows. A status is a
lowercase state name. Pure code: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, cast, get_args

from tally.ledger.errors import InvalidValueError
from tally.ledger.model.kinds import FigureKind

QuantityKind = Literal["exact", "at_least", "more_than", "at_most", "fewer_than", "about", "range"]
QUANTITY_KINDS: tuple[str, ...] = get_args(QuantityKind)

MAX_NUMBER = Decimal(10) ** 15
MAX_FRACTION_DIGITS = 6
DEFAULT_TOLERANCE = Decimal("0.05")
_SMALLEST = Decimal(10) ** -MAX_FRACTION_DIGITS

_FORMS = "write 449, >=440, >440, <=30, <30, ~450 or 440..451"
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?", re.ASCII)
_EXPONENT = re.compile(r"[+-]?[0-9]*\.?[0-9]+[eE][+-]?[0-9]+", re.ASCII)
_GROUPED = re.compile(r"[0-9]{1,3}(?:[,_' \u00a0\u202f][0-9]{3})+(?:\.[0-9]+)?", re.ASCII)
_STATE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}", re.ASCII)
# Longest operators first, so ">=440" is not read as ">" followed by "=440".
_PREFIXES: tuple[tuple[str, QuantityKind], ...] = (
    (">=", "at_least"), ("<=", "at_most"), (">", "more_than"), ("<", "fewer_than"), ("~", "about")
)  # fmt: skip
_PREFIX_OF: dict[str, str] = {kind: prefix for prefix, kind in _PREFIXES}


def decimal_text(number: Decimal) -> str:
    """Plain positional text of a decimal: never an exponent, no trailing zeros."""
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


@dataclass(frozen=True)
class Interval:
    """A set of numbers between two ends; ``None`` is an infinite end (always open)."""

    low: Decimal | None
    high: Decimal | None
    low_open: bool = False
    high_open: bool = False

    def __post_init__(self) -> None:
        # An infinite end is never reached, so it is open; normalising keeps equality honest.
        if self.low is None:
            object.__setattr__(self, "low_open", True)
        if self.high is None:
            object.__setattr__(self, "high_open", True)
        if self.low is not None and self.high is not None and self.wholly_below(self):
            raise ValueError(f"interval {self.to_dict()} is empty")

    def contains(self, x: Decimal) -> bool:
        """True when ``x`` lies in the interval."""
        above_low = self.low is None or x > self.low or (x == self.low and not self.low_open)
        below_high = self.high is None or x < self.high or (x == self.high and not self.high_open)
        return above_low and below_high

    def overlaps(self, other: Interval) -> bool:
        """True when some number lies in both intervals (open ends excluded)."""
        return not self.wholly_below(other) and not other.wholly_below(self)

    def wholly_below(self, other: Interval) -> bool:
        """True when every number of ``self`` is less than every number of ``other``."""
        if self.high is None or other.low is None:
            return False
        if self.high != other.low:
            return self.high < other.low
        # Touching ends share their point only when both are closed.
        return self.high_open or other.low_open

    def __add__(self, other: Interval) -> Interval:
        """Minkowski sum: every x + y with x in ``self`` and y in ``other`` (sums parts)."""
        if not isinstance(other, Interval):
            return NotImplemented
        low = None if self.low is None or other.low is None else self.low + other.low
        high = None if self.high is None or other.high is None else self.high + other.high
        # A sum reaches an end only when both terms reach theirs.
        return Interval(
            low, high, self.low_open or other.low_open, self.high_open or other.high_open
        )

    def to_dict(self) -> dict[str, str | bool | None]:
        """JSON-ready form: decimal strings, ``None`` for infinite ends."""
        low, high = (None if end is None else decimal_text(end) for end in (self.low, self.high))
        return {"low": low, "high": high, "low_open": self.low_open, "high_open": self.high_open}


def _refuse(field: str, text: str, why: str) -> InvalidValueError:
    return InvalidValueError(f"{field} '{text}' {why}", field=field)


def _check_bounds(kind: str, low: Decimal, high: Decimal | None, field: str, text: str) -> None:
    """Refuse a range written high end first, and "<0", which allows no count at all."""
    if high is not None and low > high:
        raise _refuse(
            field,
            text,
            f"is a range whose low end {decimal_text(low)} is above its high end "
            f"{decimal_text(high)}: write {decimal_text(high)}..{decimal_text(low)}",
        )
    if kind == "fewer_than" and low == 0:
        raise _refuse(field, text, "allows no count: counts are non-negative")


def _check_number(number: Decimal, field: str, text: str) -> Decimal:
    """Refuse a number out of range for a count and return it in canonical form."""
    if not number.is_finite():
        raise _refuse(field, text, f"is not a number: {_FORMS}")
    if number < 0 or number.is_signed():
        raise _refuse(field, text, "is negative: counts are non-negative, write 0 or more")
    if number >= MAX_NUMBER:
        raise _refuse(field, text, "is too large: numbers must be below 10^15")
    if number == number.to_integral_value():
        # Integral numbers are kept without exponent so 449, 449.0 and 449.00 are one value.
        return Decimal(int(number))
    # Compared exactly (no context rounding), so 1.0000001 is refused rather than rounded.
    if number != number.quantize(_SMALLEST):
        raise _refuse(field, text, f"has more than {MAX_FRACTION_DIGITS} decimal places")
    return number.normalize()


def _parse_number(token: str, field: str, text: str) -> Decimal:
    """Read one number of a written value, naming the mistake when it is not one."""
    if _NUMBER.fullmatch(token):
        return _check_number(Decimal(token), field, text)
    if token.startswith("-") and token[1:2].isdigit():
        raise _refuse(field, text, "is negative: counts are non-negative, write 0 or more")
    if token.startswith("+"):
        raise _refuse(field, text, "has a sign: write the number without +, e.g. 449")
    if _EXPONENT.fullmatch(token):
        raise _refuse(field, text, "uses an exponent: write the number in full, e.g. 1000")
    if _GROUPED.fullmatch(token):
        raise _refuse(field, text, "has a thousands separator: write the digits only, e.g. 1000")
    # NaN, inf and any other text end here: none of them is a count.
    raise _refuse(field, text, f"is not a number: {_FORMS}")


@dataclass(frozen=True)
class Quantity:
    """A reported quantity: its kind, its number, and for a range its upper end."""

    kind: QuantityKind
    number: Decimal
    upper: Decimal | None = None

    def __post_init__(self) -> None:
        # Every Quantity is canonical, however it was built, so equality and signing agree.
        if self.kind not in QUANTITY_KINDS:
            raise InvalidValueError(f"value kind '{self.kind}' is not a quantity kind")
        for name in ("number", "upper"):
            given = getattr(self, name)
            if given is None and name == "upper":
                continue
            if isinstance(given, bool) or not isinstance(given, Decimal | int):
                raise InvalidValueError(f"value {name} {given!r} must be a Decimal (never a float)")
            object.__setattr__(self, name, _check_number(Decimal(given), "value", str(given)))
        if (self.kind == "range") != (self.upper is not None):
            raise InvalidValueError("value: a range needs an upper end, and only a range has one")
        _check_bounds(self.kind, self.number, self.upper, "value", self.written)

    @property
    def written(self) -> str:
        """The canonical written form, e.g. ``>=440`` or ``440..451``."""
        number = decimal_text(self.number)
        if self.kind == "range":
            assert self.upper is not None  # checked at construction
            return f"{number}..{decimal_text(self.upper)}"
        return _PREFIX_OF.get(self.kind, "") + number

    def is_whole(self) -> bool:
        """Whether every number written is a whole number (what a count may be)."""
        return all(n == n.to_integral_value() for n in (self.number, self.upper)
                   if n is not None)

    def interval(self, tolerance: Decimal = DEFAULT_TOLERANCE) -> Interval:
        """The counts this value allows; ``tolerance`` widens ``~`` values (0.05 = ±5%)."""
        n = self.number
        match self.kind:
            case "exact":
                return Interval(n, n)
            case "at_least":
                return Interval(n, None)
            case "more_than":
                return Interval(n, None, low_open=True)
            # Counts are non-negative, so "at most" starts at a closed 0, not at -infinity.
            case "at_most":
                return Interval(Decimal(0), n)
            case "fewer_than":
                return Interval(Decimal(0), n, high_open=True)
            case "about":
                if isinstance(tolerance, float) or not Decimal(0) <= tolerance <= Decimal(1):
                    raise InvalidValueError(
                        f"tolerance '{tolerance}' must be a decimal between 0 and 1, e.g. 0.05",
                        field="tolerance",
                    )
                return Interval(n * (1 - tolerance), n * (1 + tolerance))
            case _:
                return Interval(n, self.upper)

    def to_dict(self) -> dict[str, str | None]:
        """JSON-ready form with decimal strings, e.g. {"kind": "about", "number": "450", ...}."""
        upper = None if self.upper is None else decimal_text(self.upper)
        return {"kind": self.kind, "number": decimal_text(self.number), "upper": upper}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Quantity:
        """Rebuild a Quantity from :meth:`to_dict` output; numbers must be strings."""
        kind = data.get("kind")
        if not isinstance(kind, str) or kind not in QUANTITY_KINDS:
            raise InvalidValueError(f"value kind {kind!r} is not a quantity kind")
        number, upper = data.get("number"), data.get("upper")
        if not isinstance(number, str) or not (upper is None or isinstance(upper, str)):
            raise InvalidValueError('value numbers must be decimal strings, e.g. "450"')
        low = _parse_number(number, "value", number)
        high = None if upper is None else _parse_number(upper, "value", upper)
        return cls(cast(QuantityKind, kind), low, high)


def parse_quantity(text: str, *, field: str = "value") -> Quantity:
    """Parse a written quantity (``449``, ``>=440``, ``~450``, ``440..451`` …) strictly."""
    written = text.strip()
    if not written:
        raise InvalidValueError(f"{field} is empty: {_FORMS}", field=field)
    if any(c.isspace() for c in written):
        if _GROUPED.fullmatch(written):
            raise _refuse(field, written, "has a thousands separator: write the digits only")
        raise _refuse(field, written, f"contains spaces: {_FORMS}")
    if ".." in written:
        ends = written.split("..")
        if len(ends) != 2:
            raise _refuse(field, written, f"is not a number: {_FORMS}")
        low, high = (_parse_number(end, field, written) for end in ends)
        _check_bounds("range", low, high, field, written)
        return Quantity("range", low, high)
    kind: QuantityKind = "exact"
    for prefix, prefix_kind in _PREFIXES:
        if written.startswith(prefix):
            kind, written_number = prefix_kind, written[len(prefix) :]
            break
    else:
        written_number = written
    number = _parse_number(written_number, field, written)
    _check_bounds(kind, number, None, field, written)
    return Quantity(kind, number)


def _check_state(state: object, field: str) -> str:
    """Refuse anything but a lowercase state slug such as ``completed`` or ``in-progress``."""
    if isinstance(state, str) and _STATE.fullmatch(state):
        return state
    hint = "like completed or in-progress"
    if isinstance(state, str) and _STATE.fullmatch(state.lower()):
        hint = f"such as {state.lower()}"
    raise _refuse(field, str(state), f"is not a state name: write a lowercase name {hint}")


@dataclass(frozen=True)
class Status:
    """A reported state of a status figure, e.g. ``completed`` or ``in-progress``."""

    state: str

    def __post_init__(self) -> None:
        _check_state(self.state, "value")

    @property
    def written(self) -> str:
        """The written form: the state name itself."""
        return self.state

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form: {"kind": "status", "state": ...}."""
        return {"kind": "status", "state": self.state}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Status:
        """Rebuild a Status from :meth:`to_dict` output."""
        state = data.get("state")
        if data.get("kind") != "status" or not isinstance(state, str):
            raise InvalidValueError(f"value {dict(data)!r} is not a status")
        return cls(state)


def parse_value(
    text: str,
    *,
    kind: FigureKind,
    states: Sequence[str] | None = None,
    field: str = "value",
) -> Quantity | Status:
    """Parse a written value of a figure of ``kind``; ``states`` is its vocabulary, if any."""
    if kind == "quantity":
        return parse_quantity(text, field=field)
    if states and _is_quantity(text):
        raise _refuse(field, text.strip(),
                      f"is a number, but this figure records a state: write one of "
                      f"{', '.join(states)}")
    state = _check_state(text.strip(), field)
    # An empty vocabulary is the same as none: the figure accepts any state name.
    if states and state not in states:
        raise _refuse(field, state, f"is not an allowed state: write one of {', '.join(states)}")
    return Status(state)


def _is_quantity(text: str) -> bool:
    try:
        parse_quantity(text)
    except InvalidValueError:
        return False
    return True


def value_from_dict(data: Mapping[str, object]) -> Quantity | Status:
    """Rebuild a Quantity or a Status from its ``to_dict`` form, by its ``kind``."""
    if data.get("kind") == "status":
        return Status.from_dict(data)
    return Quantity.from_dict(data)
