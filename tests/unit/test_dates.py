"""Unit tests for ledger.model.dates: EDTF text to [earliest, latest], and its refusals."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tally.ledger.errors import InvalidDateError
from tally.ledger.model.dates import EdtfDate, check_published, parse_edtf_date

NOW = dt.date(2026, 11, 21)
d = dt.date


def parse(text: str, **kwargs: object) -> EdtfDate:
    return parse_edtf_date(text, now=NOW, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "earliest", "latest", "precision"),
    [
        ("2022", d(2022, 1, 1), d(2022, 12, 31), "year"),
        ("2025-01", d(2025, 1, 1), d(2025, 1, 31), "month"),
        ("2022-09", d(2022, 9, 1), d(2022, 9, 30), "month"),
        ("2025-11-24", d(2025, 11, 24), d(2025, 11, 24), "day"),
        ("2024-02", d(2024, 2, 1), d(2024, 2, 29), "month"),  # leap year
        ("2023-02", d(2023, 2, 1), d(2023, 2, 28), "month"),
        ("2000-02", d(2000, 2, 1), d(2000, 2, 29), "month"),  # divisible by 400
        ("1900-02", d(1900, 2, 1), d(1900, 2, 28), "month"),  # divisible by 100 only
        ("2024-02-29", d(2024, 2, 29), d(2024, 2, 29), "day"),
        ("1000", d(1000, 1, 1), d(1000, 12, 31), "year"),
        ("2022-09-16/2022-09-23", d(2022, 9, 16), d(2022, 9, 23), "day"),
        ("2022-09/2022-09-15", d(2022, 9, 1), d(2022, 9, 15), "month"),
        ("2022/2023-06", d(2022, 1, 1), d(2023, 6, 30), "year"),
        ("2022-09-16/2022-09-16", d(2022, 9, 16), d(2022, 9, 16), "day"),
    ],
)
def test_plain_dates_map_to_their_bounds(
    text: str, earliest: dt.date, latest: dt.date, precision: str
) -> None:
    date = parse(text)
    assert (date.earliest, date.latest, date.precision) == (earliest, latest, precision)
    assert date.text == text
    assert not date.uncertain and not date.approximate


@pytest.mark.parametrize(
    ("text", "earliest", "latest", "uncertain", "approximate"),
    [
        # one unit of the date's own precision on each side per qualifier
        ("2022-09?", d(2022, 8, 1), d(2022, 10, 31), True, False),
        ("2022-09~", d(2022, 8, 1), d(2022, 10, 31), False, True),
        ("2022-09%", d(2022, 7, 1), d(2022, 11, 30), True, True),
        ("2022?", d(2021, 1, 1), d(2023, 12, 31), True, False),
        ("2022-09-16~", d(2022, 9, 15), d(2022, 9, 17), False, True),
        ("2022-09-16%", d(2022, 9, 14), d(2022, 9, 18), True, True),
        ("2022-12?", d(2022, 11, 1), d(2023, 1, 31), True, False),  # across a year end
        ("2022-01~", d(2021, 12, 1), d(2022, 2, 28), False, True),
        ("2024-01~", d(2023, 12, 1), d(2024, 2, 29), False, True),  # leap February
        ("2024-03-01?", d(2024, 2, 29), d(2024, 3, 2), True, False),
        # an interval widens only its qualified end
        ("2022-09~/2022-10", d(2022, 8, 1), d(2022, 10, 31), False, True),
        ("2022-09/2022-10?", d(2022, 9, 1), d(2022, 11, 30), True, False),
    ],
)
def test_qualified_dates_are_widened(
    text: str, earliest: dt.date, latest: dt.date, uncertain: bool, approximate: bool
) -> None:
    date = parse(text)
    assert (date.earliest, date.latest) == (earliest, latest)
    assert (date.uncertain, date.approximate) == (uncertain, approximate)


def test_uncertain_month_covers_a_little_more_than_the_month() -> None:
    plain, uncertain = parse("2022-09"), parse("2022-09?")
    assert uncertain.earliest < plain.earliest and plain.latest < uncertain.latest
    assert uncertain.overlaps(parse("2022-10-05"))
    assert not plain.overlaps(parse("2022-10-05"))
    assert not uncertain.overlaps(parse("2023-06"))


def test_widening_stays_inside_the_calendar() -> None:
    far = dt.date.max
    assert parse_edtf_date("9999-12?", now=far).latest == dt.date.max
    assert parse_edtf_date("9999-12-31~", now=far).latest == dt.date.max
    assert parse_edtf_date("9999?", now=far).latest == dt.date.max


def test_open_ended_interval_runs_until_now() -> None:
    date = parse("2022-09-16/..")
    assert (date.earliest, date.latest) == (d(2022, 9, 16), NOW)
    assert parse_edtf_date("2022-09-16/..", now=d(2023, 1, 1)).latest == d(2023, 1, 1)


def test_whitespace_is_trimmed() -> None:
    assert parse("  2025-01\n").text == "2025-01"


def test_overlaps_of_closed_intervals() -> None:
    assert parse("2025-01").overlaps(parse("2025-01-31"))
    assert parse("2025-01-31").overlaps(parse("2025-01"))
    assert not parse("2025-01").overlaps(parse("2025-02-01"))
    assert parse("2022").overlaps(parse("2022-09-16/2022-09-23"))
    assert parse("2022-09-16/2022-09-23").overlaps(parse("2022-09-23"))
    assert not parse("2022-09-16/2022-09-22").overlaps(parse("2022-09-23"))


def test_to_dict_is_json_ready() -> None:
    data = parse("2022-09?").to_dict()
    assert data == {
        "text": "2022-09?",
        "earliest": "2022-08-01",
        "latest": "2022-10-31",
        "uncertain": True,
        "approximate": False,
        "precision": "month",
    }
    assert json.loads(json.dumps(data)) == data


# --- refusals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "is empty"),
        ("next week", "is not an EDTF date"),
        ("2022-9", "is not an EDTF date"),
        ("24/11/2025", "is not an EDTF date"),
        ("0000", "before 1000"),
        ("0999", "before 1000"),
        ("-2022", "before 1000"),
        ("2022-13-45", "not a date in the calendar"),
        ("2022-02-30", "not a date in the calendar"),
        ("2022-13", "not a date in the calendar"),
        ("2023-02-29", "not a date in the calendar"),  # the library alone accepts it
        ("2022-09-23/2022-09-16", "start is after its end"),
        ("2023/2022-12", "start is after its end"),
        ("2022-21", "season"),
        ("2021-21/2022", "season"),
        ("202X", "unspecified digits"),
        ("2022-XX", "unspecified digits"),
        ("{2022,2023}", "set of dates"),
        ("[2022..2023]", "set of dates"),
        ("2022-?09", "qualifies part of a date"),
        ("2004-06-~01/2004-06-~20", "qualifies part of a date"),
        ("2022-09-16T10:00:00", "time of day"),
        ("Y17000", "written with Y"),
        ("1950S2", "not a supported EDTF date"),
        ("../2022", "has no start"),
        ("/2022", "has no start"),
        ("../..", "has no start"),
        ("2022-09-16/", "unknown end"),
    ],
)
def test_refusals_raise_invalid_date_error_naming_field(text: str, words: str) -> None:
    with pytest.raises(InvalidDateError) as caught:
        parse(text, field="published")
    assert caught.value.field == "published"
    assert words in caught.value.message
    assert caught.value.message.startswith("published")
    if text:
        assert text in caught.value.message


def test_default_field_is_as_of() -> None:
    with pytest.raises(InvalidDateError) as caught:
        parse("garbage")
    assert caught.value.field == "as_of"


def test_future_dates_are_refused_relative_to_now() -> None:
    with pytest.raises(InvalidDateError) as caught:
        parse("2031-01")
    assert caught.value.field == "as_of"
    assert caught.value.message == (
        "as_of 2031-01 is in the future of the recording time 2026-11-21"
    )
    # the same text is fine for a later recording time: the check is outside the cache
    assert parse_edtf_date("2031-01", now=d(2031, 1, 1)).earliest == d(2031, 1, 1)
    with pytest.raises(InvalidDateError):
        parse("2031-01")


@pytest.mark.parametrize("text", ["2026-11-22", "2026-12", "2027", "2026-12?", "2026-12/.."])
def test_dates_starting_after_now_are_refused(text: str) -> None:
    with pytest.raises(InvalidDateError) as caught:
        parse(text, field="published")
    assert caught.value.field == "published"
    assert "future" in caught.value.message


@pytest.mark.parametrize("text", ["2026-11-21", "2026-11", "2026", "2026-11-21/2027-01"])
def test_dates_starting_by_now_are_accepted(text: str) -> None:
    assert parse(text).earliest <= NOW


def test_default_now_is_today_utc() -> None:
    today = dt.datetime.now(dt.UTC).date()
    tomorrow = today + dt.timedelta(days=1)
    assert parse_edtf_date(today.isoformat()).earliest == today
    with pytest.raises(InvalidDateError):
        parse_edtf_date((tomorrow + dt.timedelta(days=1)).isoformat())


def test_parses_are_cached() -> None:
    from tally.ledger.model import dates

    dates._parse.cache_clear()
    for _ in range(3):
        parse("2025-11-24")
    assert dates._parse.cache_info().hits == 2


@pytest.mark.parametrize(("as_of", "published"), [
    ("2022-09-23", "2022-09-22"),
    ("2022-09-23", "2022-08"),
    ("2022-09", "2021"),
    ("2022-09-16/2022-09-23", "2022-09-15"),
])
def test_published_before_as_of_is_refused(as_of: str, published: str) -> None:
    with pytest.raises(InvalidDateError) as caught:
        check_published(parse_edtf_date(as_of), parse_edtf_date(published))
    assert caught.value.field == "published"
    assert caught.value.message.startswith(f"published '{published}' is before as_of '{as_of}'")


@pytest.mark.parametrize(("as_of", "published"), [
    ("2022-09-23", "2022-09-23"),  # the same day
    ("2022-09-23", "2022-09"),  # the month holds the day
    ("2022-09-16/2022-09-23", "2022-09-16"),  # within the interval
    ("2022-10?", "2022-09-30"),  # an uncertain month reaches into the one before
    ("2025-11-24", "2025-11"),
    ("2022-09", "2025-02-27?"),
])
def test_published_on_or_after_the_earliest_as_of_is_accepted(as_of: str, published: str) -> None:
    check_published(parse_edtf_date(as_of), parse_edtf_date(published))
