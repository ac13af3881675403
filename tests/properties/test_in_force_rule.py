"""The rule that picks the value in force (docs/concepts.md), checked against a second,
independent statement of it: pairwise "beats", with the days as written computed here by
hand from the calendar, not by `ledger.dates`."""

from __future__ import annotations

import calendar
import datetime as dt
import random

from hypothesis import given
from hypothesis import strategies as st

from tally.ledger.model.dates import parse_edtf_date
from tally.projections.rules.claims import ClaimState
from tally.projections.rules.figure import as_of_before, in_force

YEARS = st.integers(2020, 2023)
QUALIFIERS = st.sampled_from(["", "?", "~", "%"])


@st.composite
def as_of_texts(draw: st.DrawFn) -> str:
    year = draw(YEARS)
    shape = draw(st.sampled_from(["year", "month", "day", "interval"]))
    if shape == "year":
        return f"{year}{draw(QUALIFIERS)}"
    month = draw(st.integers(1, 12))
    if shape == "month":
        return f"{year}-{month:02d}{draw(QUALIFIERS)}"
    # a day that exists in this month of both years (an interval ends a year later)
    day = draw(st.integers(1, min(calendar.monthrange(year, month)[1],
                                  calendar.monthrange(year + 1, month)[1])))
    if shape == "day":
        return f"{year}-{month:02d}-{day:02d}{draw(QUALIFIERS)}"
    return f"{year}-{month:02d}/{year + 1}-{month:02d}-{day:02d}"


def written_days(text: str) -> tuple[dt.date, dt.date]:
    """The first and last day `text` names, qualifiers ignored: by hand, from the calendar."""
    bare = text.rstrip("?~%")
    if "/" in bare:
        first, last = bare.split("/")
        return written_days(first)[0], written_days(last)[1]
    numbers = [int(n) for n in bare.split("-")]
    year = numbers[0]
    if len(numbers) == 1:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    month = numbers[1]
    if len(numbers) == 2:
        return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])
    return (dt.date(year, month, numbers[2]),) * 2


def beats(a: ClaimState, b: ClaimState) -> bool:
    """`a` is the later as_of: it starts later as written; or starts the same day and ends
    later; or names the very same days and was recorded later."""
    (a_first, a_last), (b_first, b_last) = written_days(a.as_of), written_days(b.as_of)
    if a_first != b_first:
        return a_first > b_first
    if a_last != b_last:
        return a_last > b_last
    return a.position > b.position


@st.composite
def claim_sets(draw: st.DrawFn) -> list[ClaimState]:
    texts = draw(st.lists(as_of_texts(), min_size=0, max_size=8))
    positions = draw(st.lists(st.integers(1, 10_000), min_size=len(texts),
                              max_size=len(texts), unique=True))
    found = []
    for i, (text, position) in enumerate(zip(texts, positions, strict=True)):
        date = parse_edtf_date(text, now=dt.date(2030, 1, 1))
        found.append(ClaimState(f"{i:032x}", "f", "1", "exact", None, text, date.earliest,
                                date.latest, "s", position, retracted=draw(st.booleans())))
    return found


@given(claim_sets(), st.randoms())
def test_the_value_in_force_is_the_active_claim_no_other_beats(
        claims: list[ClaimState], rnd: random.Random) -> None:
    shuffled = list(claims)
    rnd.shuffle(shuffled)
    chosen = in_force(shuffled)
    live = [c for c in claims if not c.retracted]
    if not live:
        assert chosen is None
        return
    assert chosen is not None and not chosen.retracted
    assert not any(beats(other, chosen) for other in live if other is not chosen)


@given(claim_sets(), as_of_texts())
def test_as_of_a_day_only_claims_that_start_by_then_as_written_count(
        claims: list[ClaimState], query: str) -> None:
    day = written_days(query)[1]
    chosen = in_force(as_of_before(claims, day))
    eligible = [c for c in claims if not c.retracted and written_days(c.as_of)[0] <= day]
    if not eligible:
        assert chosen is None
        return
    assert chosen is not None and written_days(chosen.as_of)[0] <= day
    assert not any(beats(other, chosen) for other in eligible if other is not chosen)


def test_an_uncertain_month_does_not_answer_for_the_month_before() -> None:
    date = parse_edtf_date("2022-09?")
    assert date.earliest == dt.date(2022, 8, 1)  # widened, for comparisons
    probable = ClaimState("a" * 32, "f", "451", "exact", None, "2022-09?", date.earliest,
                          date.latest, "gwara", 1)
    assert as_of_before([probable], dt.date(2022, 8, 2)) == []
    assert as_of_before([probable], dt.date(2022, 9, 1)) == [probable]


def test_among_equal_starts_the_later_end_wins() -> None:
    day, month = (parse_edtf_date(t) for t in ("2022-09-01", "2022-09"))
    precise = ClaimState("a" * 32, "f", "440", "exact", None, "2022-09-01", day.earliest,
                         day.latest, "s", 2)
    coarse = ClaimState("b" * 32, "f", "447", "exact", None, "2022-09", month.earliest,
                        month.latest, "s", 1)
    assert in_force([precise, coarse]) == coarse  # as of some day of September, maybe later
