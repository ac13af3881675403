"""Unit tests for projections.rules and projections.claims: the pure read-side rules."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from decimal import Decimal

from budgets import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from tally.ledger.model.dates import parse_edtf_date
from tally.ledger.model.values import Interval, parse_quantity
from tally.projections.rules.claims import ClaimState, Entry, FigureDef, fold
from tally.projections.rules.figure import (
    CONTRADICTION,
    POSSIBLE_CONFLICT,
    REGRESSION,
    SUM_MISMATCH,
    contradictions,
    current,
    figure_flags,
    hull,
    in_force,
    interval_text,
    regressions,
    sum_mismatches,
)
from tally.projections.rules.groups import paired, swept, widened, written

FIG = FigureDef("izium/bodies")
CUMULATIVE = FigureDef("izium/bodies", cumulative=True)
STATUS = FigureDef("izium/exhumation", kind="status", states=("started", "completed"))
_ids = itertools.count(1)


def entry(value: str | None, as_of: str, *, kind: str = "claim", claim: str | None = None,
          source: str = "hromadske", figure: str = "izium/bodies", position: int | None = None,
          tolerance: str = "0.05", status: bool = False) -> Entry:
    date = parse_edtf_date(as_of)
    n = next(_ids)
    written = value_kind = interval = None
    if value is not None and status:
        written, value_kind = value, "status"
    elif value is not None:
        q = parse_quantity(value)
        written, value_kind, interval = q.written, q.kind, q.interval(Decimal(tolerance))
    return Entry(kind, claim or f"{n:032x}", figure, n if position is None else position,  # type: ignore[arg-type]
                 written, value_kind, interval, as_of, date.earliest, date.latest, source)


def claim(value: str, as_of: str, **kw: object) -> ClaimState:
    (state,) = fold([entry(value, as_of, **kw)])  # type: ignore[arg-type]
    return state


def kinds(flags: list) -> list[str]:  # type: ignore[type-arg]
    return [f.kind for f in flags]


# --- contradiction ----------------------------------------------------------------------


def test_at_least_is_not_a_contradiction_of_an_exact_value_inside_it() -> None:
    assert contradictions("f", [claim(">=440", "2022-09"), claim("447", "2022-09-23")]) == []


def test_about_450_is_not_a_contradiction_of_445_with_the_default_tolerance() -> None:
    assert contradictions("f", [claim("~450", "2022-09"), claim("445", "2022-09")]) == []


def test_about_uses_the_figure_tolerance() -> None:
    tight = [claim("~450", "2022-09", tolerance="0.01"), claim("445", "2022-09")]
    assert kinds(contradictions("f", tight)) == [CONTRADICTION]


def test_447_and_451_as_of_the_same_month_contradict_and_name_both_claims() -> None:
    a, b = claim("447", "2022-09"), claim("451", "2022-09")
    (flag,) = contradictions("izium/bodies", [a, b])
    assert flag.kind == CONTRADICTION and flag.figure == "izium/bodies"
    assert flag.claim_ids == tuple(sorted([a.claim_id, b.claim_id]))
    assert "447" in flag.detail and "451" in flag.detail


def test_disjoint_values_whose_as_of_do_not_overlap_are_no_contradiction() -> None:
    assert contradictions("f", [claim("447", "2022-09"), claim("451", "2022-10")]) == []


def test_claims_that_overlap_only_through_uncertain_dates_are_a_possible_conflict() -> None:
    """~480 on 15 April and 510 in May (uncertain, so read as April to June) can both hold
    if the 510 is later: not a contradiction, a possible conflict (issue 28)."""
    april, may = claim("~480", "2023-04-15"), claim("510", "2023-05?")
    (flag,) = contradictions("f", [april, may])
    assert flag.kind == POSSIBLE_CONFLICT
    assert flag.claim_ids == tuple(sorted((april.claim_id, may.claim_id)))
    assert "only the uncertainty of their dates" in flag.detail
    assert not current([april, may], [flag]).disputed


def test_uncertain_dates_that_overlap_as_written_still_contradict() -> None:
    assert kinds(contradictions("f", [claim("447", "2022-09?"), claim("451", "2022-09-23")])) \
        == [CONTRADICTION]


def test_a_possible_conflict_beside_a_contradiction_names_the_claims_it_adds() -> None:
    a, b = claim("447", "2022-09-23"), claim("451", "2022-09-23")
    late = claim("470", "2022-10?")
    flags = contradictions("f", [a, b, late])
    assert sorted(kinds(flags)) == [CONTRADICTION, POSSIBLE_CONFLICT]
    (possible,) = [f for f in flags if f.kind == POSSIBLE_CONFLICT]
    assert late.claim_id in possible.claim_ids


def test_day_inside_a_month_overlaps_it() -> None:
    assert kinds(contradictions("f", [claim("447", "2022-09"), claim("451", "2022-09-23")])) == [
        CONTRADICTION]


def test_retracting_one_side_clears_the_contradiction() -> None:
    a, b = entry("447", "2022-09"), entry("451", "2022-09")
    assert kinds(contradictions("f", fold([a, b]))) == [CONTRADICTION]
    retraction = entry(None, "2022-09", kind="retraction", claim=b.claim_id)
    states = fold([a, b, retraction])
    assert contradictions("f", states) == []
    assert [s.claim_id for s in states if s.retracted] == [b.claim_id]


def test_a_correction_that_reconciles_clears_the_contradiction() -> None:
    a, b = entry("447", "2022-09"), entry("451", "2022-09")
    correction = entry("447", "2022-09", kind="correction", claim=b.claim_id)
    assert contradictions("f", fold([a, b, correction])) == []


def test_the_latest_correction_wins_whatever_order_entries_come_in() -> None:
    a = entry("447", "2022-09")
    first = entry("449", "2022-09", kind="correction", claim=a.claim_id, position=a.position + 1)
    second = entry("451", "2022-09", kind="correction", claim=a.claim_id, position=a.position + 2)
    (state,) = fold([second, a, first])
    assert state.written == "451"


def test_status_contradiction_is_different_states_with_overlapping_as_of() -> None:
    started = claim("started", "2022-09", status=True, figure="izium/exhumation")
    completed = claim("completed", "2022-09-23", status=True, figure="izium/exhumation")
    again = claim("completed", "2022-09", status=True, figure="izium/exhumation")
    assert kinds(contradictions("izium/exhumation", [started, completed])) == [CONTRADICTION]
    assert contradictions("izium/exhumation", [completed, again]) == []


def test_contradictions_do_not_depend_on_the_order_of_claims() -> None:
    claims = [claim(v, "2022-09") for v in ("447", "451", "~450", ">=440", "445", "440..446")]
    expected = contradictions("f", claims)
    assert len(expected) == 1 and len(expected[0].claim_ids) > 2
    for seed in range(5):
        shuffled = claims[:]
        random.Random(seed).shuffle(shuffled)
        assert contradictions("f", shuffled) == expected


# --- regression -------------------------------------------------------------------------


def test_regression_when_a_later_value_is_wholly_below_an_earlier_one() -> None:
    early, late = claim("447", "2022-09"), claim("440", "2023-01")
    (flag,) = regressions("f", [late, early])
    assert flag.kind == REGRESSION
    assert flag.claim_ids == tuple(sorted([early.claim_id, late.claim_id]))


def test_no_regression_when_values_or_dates_overlap_or_the_figure_is_not_cumulative() -> None:
    assert regressions("f", [claim("440..450", "2022-09"), claim("445", "2023-01")]) == []
    assert regressions("f", [claim("447", "2022-09"), claim("449", "2023-01")]) == []
    # as_of overlap: not wholly later
    assert regressions("f", [claim("447", "2022"), claim("440", "2022-12")]) == []
    rising = [claim("447", "2022-09"), claim("440", "2023-01")]
    assert figure_flags(FIG, rising) == []
    assert kinds(figure_flags(CUMULATIVE, rising)) == [REGRESSION]


def test_regression_respects_open_ends() -> None:
    # "<447" later than "447": every value below 447, so wholly below.
    assert kinds(regressions("f", [claim("447", "2022-09"), claim("<447", "2023-01")])) == [
        REGRESSION]
    # "<=447" may be 447 itself: not wholly below.
    assert regressions("f", [claim("447", "2022-09"), claim("<=447", "2023-01")]) == []
    # "447" later than ">447": below every value of it.
    assert kinds(regressions("f", [claim(">447", "2022-09"), claim("447", "2023-01")])) == [
        REGRESSION]


def test_retracted_claims_are_not_flagged_for_regression() -> None:
    a, b = entry("447", "2022-09"), entry("440", "2023-01")
    retraction = entry(None, "2023-01", kind="retraction", claim=b.claim_id)
    assert regressions("f", fold([a, b, retraction])) == []


# --- sum_mismatch -----------------------------------------------------------------------

PARTS = ("w", "m", "u", "c", "mil")
TOTAL = FigureDef("total", cumulative=True, parts=PARTS)


def parts_claims(values: dict[str, list[tuple[str, str]]], as_of: str = "2022-09-23"
                 ) -> dict[str, list[ClaimState]]:
    return {p: [claim(v, as_of, source=s, figure=p) for v, s in vs] for p, vs in values.items()}


def izium_parts(military: list[tuple[str, str]]) -> dict[str, list[ClaimState]]:
    return parts_claims({"w": [("215", "a")], "m": [("194", "a")], "u": [("11", "a")],
                         "c": [("5", "a")], "mil": military})


def test_parts_that_add_up_hold() -> None:
    total = claim("447", "2022-09-23", source="a", figure="total")
    assert sum_mismatches(TOTAL, [total], izium_parts([("22", "a")])) == []


def test_parts_that_do_not_add_up_are_flagged_naming_every_claim() -> None:
    total = claim("447", "2022-09-23", source="a", figure="total")
    parts = izium_parts([("20", "a")])
    (flag,) = sum_mismatches(TOTAL, [total], parts)
    assert flag.kind == SUM_MISMATCH and flag.figure == "total"
    named = {total.claim_id, *(c.claim_id for cs in parts.values() for c in cs)}
    assert set(flag.claim_ids) == named and list(flag.claim_ids) == sorted(named)
    assert "[445, 445]" in flag.detail


def test_a_total_with_a_missing_part_is_not_checked() -> None:
    total = claim("447", "2022-09-23", source="a", figure="total")
    parts = izium_parts([("20", "a")])
    del parts["mil"]
    assert sum_mismatches(TOTAL, [total], parts) == []
    late = izium_parts([])
    late["mil"] = [claim("20", "2023-05", source="a", figure="mil")]
    assert sum_mismatches(TOTAL, [total], late) == []


def test_the_totals_own_source_is_preferred_for_a_part() -> None:
    total = claim("447", "2022-09-23", source="a", figure="total")
    # Source a says 20 military: with a's own figures the parts make 445, not 447.
    parts = izium_parts([("20", "a"), ("22", "b")])
    (flag,) = sum_mismatches(TOTAL, [total], parts)
    b_claim = parts["mil"][1]
    assert b_claim.claim_id not in flag.claim_ids


def test_without_a_same_source_claim_all_overlapping_claims_count_as_a_hull() -> None:
    total = claim("447", "2022-09-23", source="a", figure="total")
    # Neither military claim is from a: the hull [20, 22] makes [445, 447], which meets 447.
    assert sum_mismatches(TOTAL, [total], izium_parts([("20", "b"), ("22", "c")])) == []
    parts = izium_parts([("20", "b"), ("21", "c")])
    (flag,) = sum_mismatches(TOTAL, [total], parts)
    assert all(c.claim_id in flag.claim_ids for c in parts["mil"])


def test_sum_mismatch_ignores_retracted_totals_and_parts() -> None:
    t = entry("447", "2022-09-23", source="a", figure="total")
    gone = entry(None, "2022-09-23", kind="retraction", claim=t.claim_id, figure="total")
    assert sum_mismatches(TOTAL, fold([t, gone]), izium_parts([("20", "a")])) == []


def test_hull_and_interval_text() -> None:
    D = Decimal
    assert hull([Interval(D(20), D(20)), Interval(D(22), D(22))]) == Interval(D(20), D(22))
    assert hull([Interval(D(1), None), Interval(D(0), D(2), low_open=True)]) == Interval(
        D(0), None, low_open=True)
    assert interval_text(Interval(D(440), None)) == "[440, ∞)"
    assert interval_text(Interval(D(0), D(30), high_open=True)) == "[0, 30)"


# --- the value in force -----------------------------------------------------------------


def test_in_force_is_the_latest_as_of_then_the_latest_position() -> None:
    month = claim("447", "2022-09", position=2)
    day = claim("449", "2022-09-23", position=3)
    assert in_force([day, month]) == day  # starts later, though the month ends later
    uncertain = claim("451", "2022-09?", position=5)
    assert in_force([uncertain, day]) == day  # a widened date does not outrank a precise one
    same_start = claim("450", "2022-09-01", position=1)
    assert in_force([month, same_start]) == month  # same start, ends later
    twin = claim("451", "2022-09", position=4)
    assert in_force([twin, month]) == twin  # same as_of: recorded later


def test_current_lists_competing_claims_and_the_disputed_flag() -> None:
    a, b = claim("447", "2022-09", position=1), claim("451", "2022-09", position=2)
    old = claim("400", "2021", position=3)
    flags = contradictions("f", [a, b, old])
    now = current([a, b, old], flags)
    assert now.claim == b and now.competing == (a.claim_id,) and now.disputed
    calm = current([a, old], contradictions("f", [a, old]))
    assert calm.claim == a and calm.competing == () and not calm.disputed
    assert current([], []).claim is None


def test_retracted_claims_are_never_in_force() -> None:
    a, b = entry("447", "2022-09"), entry("451", "2023-01")
    gone = entry(None, "2023-01", kind="retraction", claim=b.claim_id)
    assert in_force(fold([a, b, gone])) == fold([a])[0]


# --- the sweeps agree with the definitions (brute force over all pairs) ---------------------

values = st.sampled_from(["440", "445", "447", "451", ">=440", ">447", "<447", "<=447",
                          "~450", "440..446", "0"])
dates = st.sampled_from(["2022", "2022-09", "2022-09-16", "2022-09-23", "2022-10", "2023-01",
                         "2022-09/2022-10", "2023", "2022-09?", "2022-10?", "2022-11-02~"])


def _components(claims: list[ClaimState], edge: Callable[[ClaimState, ClaimState], bool],
                joins: Callable[[ClaimState, ClaimState], bool]) -> list[tuple[str, ...]]:
    """Groups by definition, every ordered pair compared: the claims on an `edge`, in the
    components of the `joins` graph (union-find)."""
    parent = {c.claim_id: c.claim_id for c in claims}

    def root(x: str) -> str:
        while parent[x] != x:
            x = parent[x]
        return x

    hit = set()
    for a, b in itertools.permutations(claims, 2):
        if joins(a, b):
            parent[root(a.claim_id)] = root(b.claim_id)
        if edge(a, b):
            hit |= {a.claim_id, b.claim_id}
    groups: dict[str, list[str]] = {}
    for c in claims:
        if c.claim_id in hit:
            groups.setdefault(root(c.claim_id), []).append(c.claim_id)
    return sorted(tuple(sorted(g)) for g in groups.values())


def _written_overlap(a: ClaimState, b: ClaimState) -> bool:
    return a.start <= b.end and b.start <= a.end


def _groups_by_pairs(claims: list[ClaimState]) -> list[tuple[str, ...]]:
    """Contradictions: conflicts whose as_of, as written, overlap."""
    return _components(claims, lambda a, b: _written_overlap(a, b) and a.disjoint_from(b),
                       _written_overlap)


def _possible_by_pairs(claims: list[ClaimState]) -> list[tuple[str, ...]]:
    """Possible conflicts: the groups of conflicts whose as_of, widened, overlap, unless each
    of their claims is in a contradiction."""
    certain = {c for group in _groups_by_pairs(claims) for c in group}
    return [g for g in _components(claims, lambda a, b: a.as_of_overlaps(b) and
                                   a.disjoint_from(b), lambda a, b: a.as_of_overlaps(b))
            if not set(g) <= certain]


def _falls(a: ClaimState, b: ClaimState) -> bool:
    assert a.interval is not None and b.interval is not None
    return a.latest < b.earliest and b.interval.wholly_below(a.interval)


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.tuples(values, dates), max_size=14))
def test_sweeps_match_the_pairwise_definitions(pairs: list[tuple[str, str]]) -> None:
    claims = [claim(v, d) for v, d in pairs]
    flags = contradictions("f", claims)
    got_c = [f.claim_ids for f in flags if f.kind == CONTRADICTION]
    got_p = [f.claim_ids for f in flags if f.kind == POSSIBLE_CONFLICT]
    got_r = [f.claim_ids for f in regressions("f", claims)]
    assert sorted(got_c) == _groups_by_pairs(claims)
    assert sorted(got_p) == _possible_by_pairs(claims)
    assert sorted(got_r) == _components(claims, _falls, _falls)


def test_a_falling_series_is_one_regression_listing_each_claim_once() -> None:
    days = [f"2022-0{m}-{d:02d}" for m in range(1, 4) for d in range(1, 21)]
    falling = [claim(str(1000 - i), day) for i, day in enumerate(days)]
    (flag,) = regressions("f", falling)
    assert flag.claim_ids == tuple(sorted(c.claim_id for c in falling))
    assert "60 claims" in flag.detail and "and 50 more" in flag.detail
    # Two falls apart (values never below one another across them) are two groups.
    apart = [claim("10", "2020"), claim("5", "2021"), claim("100", "2022"), claim("50", "2023")]
    assert [len(f.claim_ids) for f in regressions("f", apart)] == [2, 2]


states_ = st.sampled_from(["started", "completed", "paused"])


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.tuples(st.one_of(values, states_), dates), max_size=10))
def test_status_and_mixed_groups_match_the_pairwise_definitions(
    pairs: list[tuple[str, str]],
) -> None:
    claims = [claim(v, d, status=v.isalpha()) for v, d in pairs]
    flags = contradictions("f", claims)
    assert sorted(f.claim_ids for f in flags if f.kind == CONTRADICTION) == (
        _groups_by_pairs(claims))
    assert sorted(f.claim_ids for f in flags if f.kind == POSSIBLE_CONFLICT) == (
        _possible_by_pairs(claims))


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.tuples(st.one_of(values, states_), dates), max_size=70))
def test_the_sweep_and_the_pairs_find_the_same_conflicting_claims(
    pairs: list[tuple[str, str]],
) -> None:
    """`conflicting` compares pairs below PAIRS_BELOW claims and sweeps above: the two agree
    on every list, under both spans (the definitions' tests above reach only the pairs)."""
    claims = [claim(v, d, status=v.isalpha()) for v, d in pairs]
    for span in (written, widened):
        assert swept(claims, span) == paired(claims, span)


def test_competing_claims_make_one_group_listing_only_those_that_conflict() -> None:
    many = [claim(str(v), "2022-09") for v in range(50)]
    loose = claim(">=0", "2022-09")  # fits every value: in the as_of group, in no conflict
    apart = [claim("1", "2023-01"), claim("2", "2023-01-05")]  # a group of its own
    flags = contradictions("f", [*many, loose, *apart])
    assert [len(f.claim_ids) for f in flags] == [50, 2]
    assert loose.claim_id not in flags[0].claim_ids
    assert "50 claims" in flags[0].detail and "and 40 more" in flags[0].detail


def test_a_long_as_of_joins_conflicts_into_one_group_but_does_not_create_one() -> None:
    # 447 (September) and 451 (October) do not overlap; a 2022 ">=0" overlaps both.
    chain = [claim("447", "2022-09"), claim("451", "2022-10"), claim(">=0", "2022")]
    assert contradictions("f", chain) == []
    both = [*chain, claim("448", "2022-09-16"), claim("452", "2022-10-05")]
    (flag,) = contradictions("f", both)
    assert len(flag.claim_ids) == 4


def test_a_flag_lists_each_claim_once_with_its_value_and_source() -> None:
    a, b = claim("447", "2022-09", source="war-ukraine-ua"), claim("451", "2022-09")
    (flag,) = contradictions("f", [a, b, a])
    assert [(m.claim_id, m.value, m.source) for m in flag.members] == sorted(
        [(a.claim_id, "447", "war-ukraine-ua"), (b.claim_id, "451", "hromadske")])
    assert tuple(m.claim_id for m in flag.members) == flag.claim_ids


def test_totals_that_miss_the_same_parts_make_one_flag_listing_each_claim_once() -> None:
    totals = [claim(str(v), "2022-09-23", source="a", figure="total") for v in range(450, 470)]
    parts = izium_parts([("20", "a")])
    (flag,) = sum_mismatches(TOTAL, totals, parts)
    named = {*(t.claim_id for t in totals), *(c.claim_id for cs in parts.values() for c in cs)}
    assert flag.claim_ids == tuple(sorted(named))
    assert "20 totals" in flag.detail and "and 10 more" in flag.detail
    later = claim("500", "2023-05", source="a", figure="total")  # its own as_of group
    late_parts = {p: [*cs, claim("1", "2023-05", source="a", figure=p)] for p, cs in parts.items()}
    assert len(sum_mismatches(TOTAL, [*totals, later], late_parts)) == 2
