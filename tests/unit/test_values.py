"""Unit tests for ledger.model.values: parsing, canonical forms, intervals, statuses."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import reduce
from operator import add

import pytest

from tally.ledger.errors import InvalidValueError
from tally.ledger.model.values import (
    Interval,
    Quantity,
    Status,
    parse_quantity,
    parse_value,
    value_from_dict,
)

D = Decimal


def closed(low: str, high: str) -> Interval:
    return Interval(D(low), D(high))


# --- parsing and the written form -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "number", "upper"),
    [
        ("449", "exact", "449", None),
        (">=440", "at_least", "440", None),
        (">440", "more_than", "440", None),
        ("<=30", "at_most", "30", None),
        ("<30", "fewer_than", "30", None),
        ("~450", "about", "450", None),
        ("440..451", "range", "440", "451"),
        ("0", "exact", "0", None),
        ("12.5", "exact", "12.5", None),
        ("0.000001", "exact", "0.000001", None),
        ("999999999999999", "exact", "999999999999999", None),
        ("447..447", "range", "447", "447"),
    ],
)
def test_canonical_forms_parse_and_write_back(
    text: str, kind: str, number: str, upper: str | None
) -> None:
    q = parse_quantity(text)
    assert q.kind == kind
    assert q.number == D(number)
    assert q.upper == (None if upper is None else D(upper))
    assert q.written == text
    assert parse_quantity(q.written) == q


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("  449\n", "449"),
        ("449.0", "449"),
        ("449.000", "449"),
        ("12.50", "12.5"),
        ("0449", "449"),
        ("~450.0", "~450"),
        ("440.0..451.00", "440..451"),
    ],
)
def test_non_canonical_inputs_normalise(text: str, written: str) -> None:
    q = parse_quantity(text)
    assert q.written == written
    assert q == parse_quantity(written)


def test_integral_numbers_are_stored_without_exponent() -> None:
    for text in ("449.0", "1000", "100.00"):
        number = parse_quantity(text).number
        assert number.as_tuple().exponent == 0
    assert str(parse_quantity("1000.0").number) == "1000"
    # fractional numbers are kept without trailing zeros, so str() is already canonical
    assert str(parse_quantity("12.50").number) == "12.5"
    assert str(parse_quantity("~0.100").number) == "0.1"
    assert Quantity("exact", D("1E+3")).to_dict()["number"] == "1000"


def test_direct_construction_is_canonicalised() -> None:
    assert Quantity("exact", D("449.00")) == parse_quantity("449")
    assert Quantity("exact", 449) == parse_quantity("449")  # type: ignore[arg-type]


# --- refusals: every one is an InvalidValueError naming the field -----------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("44x", "is not a number"),
        ("", "is empty"),
        ("   ", "is empty"),
        ("-5", "negative"),
        ("<-5", "negative"),
        ("+5", "sign"),
        ("1e3", "exponent"),
        ("1.5E2", "exponent"),
        ("NaN", "is not a number"),
        ("nan", "is not a number"),
        ("inf", "is not a number"),
        ("Infinity", "is not a number"),
        ("1,000", "thousands separator"),
        ("1_000", "thousands separator"),
        ("1 000", "thousands separator"),
        ("1000000000000000", "too large"),
        ("1000000000000000.5", "too large"),
        ("0.1234567", "more than 6 decimal places"),
        ("1.0000001", "more than 6 decimal places"),
        ("451..440", "low end 451 is above its high end 440"),
        ("<0", "allows no count"),
        (">= 440", "contains spaces"),
        ("1..2..3", "is not a number"),
        (".5", "is not a number"),
        ("5.", "is not a number"),
        ("\u0664", "is not a number"),  # an Arabic-Indic digit: ASCII digits only
        ("=440", "is not a number"),
        ("440..", "is not a number"),
        ("..451", "is not a number"),
        (">=440..451", "is not a number"),
    ],
)
def test_refusals_raise_invalid_value_error_naming_field(text: str, words: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        parse_quantity(text)
    assert caught.value.field == "value"
    assert words in caught.value.message
    assert caught.value.message.startswith("value")
    if text.strip():
        assert f"'{text.strip()}'" in caught.value.message


def test_refusal_message_matches_the_design_example() -> None:
    with pytest.raises(InvalidValueError) as caught:
        parse_quantity("44x")
    assert caught.value.message == (
        "value '44x' is not a number: write 449, >=440, >440, <=30, <30, ~450 or 440..451"
    )


def test_refusal_names_a_custom_field() -> None:
    with pytest.raises(InvalidValueError) as caught:
        parse_quantity("-1", field="new_value")
    assert caught.value.field == "new_value"
    assert caught.value.message.startswith("new_value '-1'")


@pytest.mark.parametrize(
    ("kind", "number", "upper"),
    [
        ("exact", D("-1"), None),
        ("exact", D("NaN"), None),
        ("exact", D("Infinity"), None),
        ("exact", D("1E+15"), None),
        ("exact", D("0.0000001"), None),
        ("range", D("5"), D("4")),
        ("range", D("5"), None),
        ("exact", D("5"), D("6")),
        ("fewer_than", D("0"), None),
        ("bogus", D("5"), None),
    ],
)
def test_constructor_refuses_invalid_quantities(
    kind: str, number: Decimal, upper: Decimal | None
) -> None:
    with pytest.raises(InvalidValueError) as caught:
        Quantity(kind, number, upper)  # type: ignore[arg-type]
    assert caught.value.field == "value"


def test_constructor_refuses_floats() -> None:
    with pytest.raises(InvalidValueError) as caught:
        Quantity("exact", 449.0)  # type: ignore[arg-type]
    assert caught.value.field == "value"


# --- intervals ---------------------------------------------------------------------------


def test_intervals_of_each_kind() -> None:
    assert parse_quantity("449").interval() == closed("449", "449")
    assert parse_quantity(">=440").interval() == Interval(D(440), None, False, True)
    assert parse_quantity(">440").interval() == Interval(D(440), None, True, True)
    assert parse_quantity("<=30").interval() == Interval(D(0), D(30), False, False)
    assert parse_quantity("<30").interval() == Interval(D(0), D(30), False, True)
    assert parse_quantity("~450").interval() == closed("427.5", "472.5")
    assert parse_quantity("~450").interval(D("0.1")) == closed("405", "495")
    assert parse_quantity("~450").interval(D("0")) == closed("450", "450")
    assert parse_quantity("440..451").interval() == closed("440", "451")


def test_about_tolerance_must_be_a_fraction() -> None:
    for bad in (D("-0.1"), D("1.5")):
        with pytest.raises(InvalidValueError) as caught:
            parse_quantity("~450").interval(bad)
        assert caught.value.field == "tolerance"


def test_overlap_semantics_of_the_izium_figures() -> None:
    at_least_440 = parse_quantity(">=440").interval()
    assert at_least_440.overlaps(parse_quantity("447").interval())
    assert not parse_quantity("447").interval().overlaps(parse_quantity("451").interval())
    assert parse_quantity("447").interval().wholly_below(parse_quantity("451").interval())
    assert not parse_quantity("451").interval().wholly_below(parse_quantity("447").interval())
    about_450 = parse_quantity("~450").interval()
    assert about_450.overlaps(parse_quantity("445").interval())
    assert about_450.overlaps(parse_quantity("427.5").interval())
    assert not about_450.overlaps(parse_quantity("427.4").interval())
    assert not parse_quantity("17").interval().overlaps(parse_quantity(">=30").interval())
    assert parse_quantity("5").interval().overlaps(parse_quantity("<=7").interval())


def test_open_and_closed_ends_at_a_shared_point() -> None:
    point = closed("30", "30")
    assert not parse_quantity("<30").interval().overlaps(point)
    assert parse_quantity("<=30").interval().overlaps(point)
    assert not parse_quantity(">30").interval().overlaps(point)
    assert parse_quantity(">=30").interval().overlaps(point)
    assert parse_quantity("<30").interval().wholly_below(point)
    assert not parse_quantity("<=30").interval().wholly_below(point)
    assert point.wholly_below(parse_quantity(">30").interval())
    assert not parse_quantity("<30").interval().overlaps(parse_quantity(">30").interval())
    assert parse_quantity("<=30").interval().overlaps(parse_quantity(">=30").interval())


def test_infinite_ends_overlap_and_are_never_below() -> None:
    everything = Interval(None, None)
    assert everything.low_open and everything.high_open
    assert everything.overlaps(closed("1", "1"))
    assert not everything.wholly_below(closed("1", "1"))
    assert not closed("1", "1").wholly_below(everything)
    assert Interval(None, D(5), False, False) == Interval(None, D(5), True, False)


def test_contains_respects_open_ends() -> None:
    fewer = parse_quantity("<30").interval()
    assert fewer.contains(D(0)) and fewer.contains(D("29.999999"))
    assert not fewer.contains(D(30)) and not fewer.contains(D(-1))
    more = parse_quantity(">440").interval()
    assert not more.contains(D(440)) and more.contains(D("440.000001"))
    assert more.contains(D(10) ** 20)


def test_sum_of_parts_is_the_minkowski_sum() -> None:
    parts = [closed(n, n) for n in ("215", "194", "11", "5", "22")]
    assert reduce(add, parts) == closed("447", "447")
    assert closed("1", "2") + closed("10", "20") == closed("11", "22")
    half_open = parse_quantity("<30").interval() + parse_quantity(">=5").interval()
    assert half_open == Interval(D(5), None, False, True)
    assert parse_quantity(">5").interval() + closed("1", "1") == Interval(D(6), None, True, True)
    assert closed("1", "1") + Interval(D(0), D(3), False, True) == Interval(D(1), D(4), False, True)


def test_empty_intervals_are_refused() -> None:
    with pytest.raises(ValueError):
        Interval(D(5), D(4))
    with pytest.raises(ValueError):
        Interval(D(5), D(5), low_open=True)


def test_interval_to_dict_uses_strings() -> None:
    assert parse_quantity("~450").interval().to_dict() == {
        "low": "427.5",
        "high": "472.5",
        "low_open": False,
        "high_open": False,
    }
    assert parse_quantity(">440").interval().to_dict() == {
        "low": "440",
        "high": None,
        "low_open": True,
        "high_open": True,
    }


# --- dictionaries ------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["449", ">=440", ">440", "<=30", "<30", "~450", "440..451", "1.5"])
def test_quantity_dict_round_trip_without_floats(text: str) -> None:
    q = parse_quantity(text)
    data = q.to_dict()
    assert all(isinstance(v, str) or v is None for v in data.values())
    assert Quantity.from_dict(data) == q
    assert value_from_dict(json.loads(json.dumps(data))) == q


def test_quantity_dict_shape() -> None:
    assert parse_quantity("~450").to_dict() == {"kind": "about", "number": "450", "upper": None}
    assert parse_quantity("440..451").to_dict() == {
        "kind": "range",
        "number": "440",
        "upper": "451",
    }


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "exact", "number": 449.0, "upper": None},
        {"kind": "exact", "number": 449, "upper": None},
        {"kind": "exact", "number": "-1", "upper": None},
        {"kind": "exact", "number": "1e3", "upper": None},
        {"kind": "range", "number": "5", "upper": "4"},
        {"kind": "range", "number": "5", "upper": 6.0},
        {"kind": "weird", "number": "5", "upper": None},
        {"number": "5"},
        {"kind": "status", "state": 5},
        {"kind": "status"},
    ],
)
def test_value_from_dict_refuses_bad_dicts(data: dict[str, object]) -> None:
    with pytest.raises(InvalidValueError) as caught:
        value_from_dict(data)
    assert caught.value.field == "value"


# --- statuses ----------------------------------------------------------------------------


def test_status_parses_and_round_trips() -> None:
    s = parse_value(" completed ", kind="status")
    assert s == Status("completed")
    assert s.written == "completed"
    assert s.to_dict() == {"kind": "status", "state": "completed"}
    assert value_from_dict(s.to_dict()) == s
    assert Status.from_dict({"kind": "status", "state": "in-progress"}).state == "in-progress"


def test_status_vocabulary_is_enforced() -> None:
    states = ["in-progress", "completed"]
    assert parse_value("completed", kind="status", states=states) == Status("completed")
    assert parse_value("anything", kind="status", states=[]) == Status("anything")
    with pytest.raises(InvalidValueError) as caught:
        parse_value("done", kind="status", states=states)
    assert caught.value.field == "value"
    assert "'done'" in caught.value.message
    assert "in-progress, completed" in caught.value.message


@pytest.mark.parametrize("text", ["Completed", "", "in progress", "-x", "a" * 65, "done!"])
def test_bad_state_names_are_refused(text: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        parse_value(text, kind="status", field="state")
    assert caught.value.field == "state"
    with pytest.raises(InvalidValueError):
        Status(text)


def test_uppercase_state_gets_a_hint() -> None:
    with pytest.raises(InvalidValueError) as caught:
        parse_value("Completed", kind="status")
    assert "completed" in caught.value.message


def test_parse_value_dispatches_on_kind() -> None:
    assert parse_value(">=440", kind="quantity") == parse_quantity(">=440")
    assert parse_value(">=440", kind="quantity", states=["x"]) == parse_quantity(">=440")
    with pytest.raises(InvalidValueError):
        parse_value("completed", kind="quantity")
