"""PositionRuns against a plain set: membership and runs after any sequence of adds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ledger.positions import PositionRuns


@given(st.lists(st.lists(st.integers(1, 60), max_size=12), max_size=12),
       st.lists(st.integers(-5, 70), max_size=40))
def test_runs_hold_exactly_the_positions_added(batches: list[list[int]], probes: list[int]) -> None:
    runs, oracle = PositionRuns(), set()
    for batch in batches:
        runs.add(batch)
        oracle.update(batch)
    for p in [*probes, *oracle]:
        assert (p in runs) == (p in oracle)
    spans = runs.runs()
    assert [p for a, b in spans for p in range(a, b)] == sorted(oracle)
    # disjoint and never adjacent: each run is maximal
    assert all(b < c for (_, b), (c, _) in zip(spans, spans[1:], strict=False))


def test_a_run_grows_and_merges() -> None:
    runs = PositionRuns()
    runs.add([1, 2, 3, 7, 8])
    assert runs.runs() == [(1, 4), (7, 9)]
    runs.add([5, 6, 4])
    assert runs.runs() == [(1, 9)]
    assert "3" not in runs and 0 not in runs and 8 in runs
