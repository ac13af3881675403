"""The fast EDTF path (plain years, months, days, qualifiers, a/b, a/..) agrees with the library.

`dates._fast_parse` skips the `edtf` library (milliseconds a text) for the shapes
that nearly every report uses; it must give exactly what the library path gives,
and leave every other text, including every refusal, to the library.
"""

from __future__ import annotations

import datetime as dt

from budgets import examples
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tally.ledger.errors import InvalidDateError
from tally.ledger.model import dates

DIGITS2 = st.integers(0, 35).map(lambda n: f"{n:02d}")
YEAR = st.integers(0, 10000).map(lambda n: f"{n:04d}"[-5:]) | st.sampled_from(
    ["0999", "1000", "1999", "2000", "2024", "9999"])
QUALIFIER = st.sampled_from(["", "", "?", "~", "%", "??", "?~"])


@st.composite
def end(draw: st.DrawFn) -> str:
    text = draw(YEAR)
    if draw(st.booleans()):
        text += "-" + draw(DIGITS2)
        if draw(st.booleans()):
            text += "-" + draw(DIGITS2)
    return text + draw(QUALIFIER)


TEXTS = (end() | st.tuples(end(), end() | st.sampled_from(["..", "", "2022"])).map("/".join)
         | st.text("0123456789-/?~%.X ", max_size=24))


def library(text: str) -> object:
    try:
        return dates._library_parse(text, "as_of")
    except InvalidDateError:
        return "refused"


@settings(max_examples=examples(2000))
@given(TEXTS)
@example("2024-02-29")
@example("2023-02-29")
@example("2022-09-16/2022-09-23")
@example("2022-09?/2022-10~")
@example("2022-09/..")
@example("9999-12-31%")
@example("2022-09-00")
def test_the_fast_path_agrees_with_the_library(text: str) -> None:
    fast = dates._fast_parse(text)
    if fast is not None:
        assert fast == library(text)


@settings(max_examples=examples(300))
@given(st.dates(min_value=dt.date(1000, 1, 1)), st.sampled_from(["day", "month", "year"]),
       st.sampled_from(["", "?", "~", "%"]), st.sampled_from(["", "/..", "/same"]))
def test_the_fast_path_is_taken_for_the_shapes_reports_use(
        day: dt.date, precision: str, qualifier: str, tail: str) -> None:
    # the agreement test above passes vacuously if `_fast_parse` always declines: the
    # shapes it exists for must actually take it
    text = {"day": day.isoformat(), "month": day.isoformat()[:7], "year": day.isoformat()[:4]}[
        precision] + qualifier
    if tail:
        text += "/.." if tail == "/.." else "/" + text
    fast = dates._fast_parse(text)
    assert fast is not None, text
    assert fast == library(text)
