"""Property tests for ledger.model.values (and the EDTF mapping of ledger.model.dates)."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from tally.ledger.errors import InvalidDateError, InvalidValueError
from tally.ledger.model.dates import parse_edtf_date
from tally.ledger.model.values import (
    QUANTITY_KINDS,
    Interval,
    Quantity,
    parse_quantity,
    value_from_dict,
)

numbers = st.one_of(
    st.integers(min_value=0, max_value=10**15 - 1).map(Decimal),
    st.decimals(
        min_value=0,
        max_value=Decimal(10**15) - Decimal("0.000001"),
        places=6,
        allow_nan=False,
        allow_infinity=False,
    ),
    st.sampled_from([Decimal("0"), Decimal("0.5"), Decimal("449"), Decimal("12.50")]),
)


@st.composite
def quantities(draw: st.DrawFn) -> Quantity:
    kind = draw(st.sampled_from(QUANTITY_KINDS))
    number = draw(numbers)
    if kind == "range":
        upper = draw(numbers)
        low, high = sorted((number, upper))
        return Quantity("range", low, high)
    if kind == "fewer_than":
        assume(number > 0)
    return Quantity(kind, number)  # type: ignore[arg-type]


@st.composite
def intervals(draw: st.DrawFn) -> Interval:
    small = st.integers(min_value=-20, max_value=20).map(Decimal)
    low = draw(st.none() | small)
    high = draw(st.none() | small)
    if low is not None and high is not None and low > high:
        low, high = high, low
    low_open, high_open = draw(st.booleans()), draw(st.booleans())
    if low is not None and low == high:
        low_open = high_open = False
    return Interval(low, high, low_open, high_open)


@settings(deadline=None)
@given(quantities())
def test_written_form_round_trips(q: Quantity) -> None:
    assert parse_quantity(q.written) == q
    assert parse_quantity(q.written).written == q.written
    assert parse_quantity(f"  {q.written}\t") == q


@settings(deadline=None)
@given(quantities())
def test_dict_round_trips_through_json_without_floats(q: Quantity) -> None:
    data = q.to_dict()
    assert all(v is None or isinstance(v, str) for v in data.values())
    for number in (data["number"], data["upper"]):
        assert number is None or re.fullmatch(r"[0-9]+(\.[0-9]*[1-9])?", number)  # no exponent
    assert value_from_dict(json.loads(json.dumps(data))) == q
    assert Quantity.from_dict(data).to_dict() == data


@settings(deadline=None)
@given(numbers, st.integers(min_value=0, max_value=3), st.integers(min_value=0, max_value=2))
def test_padding_zeros_does_not_change_the_value(n: Decimal, zeros: int, lead: int) -> None:
    q = Quantity("exact", n)
    fraction = "0" * zeros if "." in q.written else "." + "0" * (zeros + 1)
    padded = "0" * lead + q.written + fraction
    assert parse_quantity(padded) == q
    assert parse_quantity(padded).to_dict() == q.to_dict()


@settings(deadline=None)
@given(st.text(alphabet="0123456789.,-+~<>=eE_ xnaif", max_size=12))
def test_any_text_parses_or_is_refused_with_the_field(text: str) -> None:
    try:
        q = parse_quantity(text, field="value")
    except InvalidValueError as error:
        assert error.field == "value"
        assert error.message.startswith("value")
    else:
        assert parse_quantity(q.written) == q
        assert q.number >= 0


@settings(deadline=None)
@given(quantities())
def test_interval_holds_the_value(q: Quantity) -> None:
    interval = q.interval()
    if q.kind not in ("more_than", "fewer_than"):
        assert interval.contains(q.number)
    if q.kind == "range":
        assert q.upper is not None and interval.contains(q.upper)
    assert interval.low is not None and interval.low >= 0  # counts are non-negative


@settings(deadline=None)
@given(intervals(), intervals())
def test_exactly_one_of_below_above_or_overlapping(a: Interval, b: Interval) -> None:
    below, above, overlap = a.wholly_below(b), b.wholly_below(a), a.overlaps(b)
    assert [below, above, overlap].count(True) == 1
    assert overlap == b.overlaps(a)


@settings(deadline=None)
@given(intervals(), intervals(), st.integers(min_value=-41, max_value=41))
def test_overlap_agrees_with_shared_points(a: Interval, b: Interval, doubled: int) -> None:
    # Every end is an integer, so a shared point exists at some half-integer or integer.
    x = Decimal(doubled) / 2
    if a.contains(x) and b.contains(x):
        assert a.overlaps(b)
    if a.wholly_below(b):
        assert not (a.contains(x) and b.contains(x))


@settings(deadline=None)
@given(intervals(), intervals())
def test_overlap_is_witnessed_by_a_point(a: Interval, b: Interval) -> None:
    candidates = [Decimal(n) / 2 for n in range(-45, 46)]
    witnessed = any(a.contains(x) and b.contains(x) for x in candidates)
    assert a.overlaps(b) == witnessed


@settings(deadline=None)
@given(intervals(), intervals(), st.data())
def test_sum_holds_every_sum_of_points(a: Interval, b: Interval, data: st.DataObject) -> None:
    candidates = [Decimal(n) / 4 for n in range(-90, 91)]
    xs = [x for x in candidates if a.contains(x)]
    ys = [y for y in candidates if b.contains(y)]
    total = a + b
    assert total == b + a
    x, y = data.draw(st.sampled_from(xs)), data.draw(st.sampled_from(ys))
    assert total.contains(x + y)


@settings(deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=8))
def test_sum_of_exact_parts_is_exact(parts: list[int]) -> None:
    total = parse_quantity(str(parts[0])).interval()
    for part in parts[1:]:
        total = total + parse_quantity(str(part)).interval()
    assert total == Interval(Decimal(sum(parts)), Decimal(sum(parts)))


@settings(deadline=None)
@given(numbers, st.decimals(min_value=0, max_value=1, places=3))
def test_about_is_symmetric_around_its_number(n: Decimal, tolerance: Decimal) -> None:
    q = Quantity("about", n)
    interval = q.interval(tolerance)
    assert interval.low is not None and interval.high is not None
    assert interval.contains(q.number)
    assert q.number - interval.low == interval.high - q.number == q.number * tolerance


# --- EDTF ---------------------------------------------------------------------------------

NOW = dt.date(2026, 11, 21)
days = st.dates(min_value=dt.date(1000, 1, 1), max_value=NOW)


@settings(deadline=None)
@given(days, st.sampled_from(["year", "month", "day"]), st.sampled_from(["", "?", "~", "%"]))
def test_edtf_bounds_contain_the_date(day: dt.date, precision: str, mark: str) -> None:
    text = {"year": f"{day:%Y}", "month": f"{day:%Y-%m}", "day": day.isoformat()}[precision]
    date = parse_edtf_date(text + mark, now=NOW)
    assert date.earliest <= day <= date.latest
    assert date.precision == precision
    plain = parse_edtf_date(text, now=NOW)
    assert date.earliest <= plain.earliest <= plain.latest <= date.latest
    assert (date.earliest < plain.earliest) == (mark != "")
    assert date.uncertain == (mark in "?%" and mark != "")
    assert date.approximate == (mark in "~%" and mark != "")


@settings(deadline=None)
@given(days, days)
def test_edtf_intervals_and_overlap(a: dt.date, b: dt.date) -> None:
    low, high = sorted((a, b))
    span = parse_edtf_date(f"{low}/{high}", now=NOW)
    assert (span.earliest, span.latest) == (low, high)
    assert span.overlaps(parse_edtf_date(a.isoformat(), now=NOW))
    one, other = parse_edtf_date(a.isoformat(), now=NOW), parse_edtf_date(b.isoformat(), now=NOW)
    assert one.overlaps(other) == (a == b) == other.overlaps(one)
    if low != high:
        try:
            parse_edtf_date(f"{high}/{low}", now=NOW)
        except InvalidDateError as error:
            assert error.field == "as_of"
        else:
            raise AssertionError("an interval ending before it starts was accepted")


@settings(deadline=None)
@given(st.text(alphabet="0123456789-/?~%X.{}[],TSY ", max_size=14))
@example("../")  # the edtf library raised TypeError on it
@example("0000-0X")  # and AttributeError on this one
def test_any_text_is_a_date_or_refused_with_the_field(text: str) -> None:
    try:
        date = parse_edtf_date(text, field="published", now=NOW)
    except InvalidDateError as error:
        assert error.field == "published"
    else:
        assert dt.date(999, 1, 1) <= date.earliest <= date.latest
        assert date.earliest <= NOW
