"""A set of ledger positions kept as sorted runs, for positions one process appended.

Appends come in batches of consecutive positions, so a million positions are a
handful of runs; membership is a binary search. (No library keeps integer runs
this small; `range` objects in a sorted list are all it takes.)
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable


class PositionRuns:
    """Positions as sorted, disjoint, non-adjacent half-open runs [start, stop)."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._stops: list[int] = []

    def add(self, positions: Iterable[int]) -> None:
        for p in sorted(positions):
            self._add(p)

    def _add(self, p: int) -> None:
        i = bisect_right(self._starts, p) - 1
        if i >= 0 and p < self._stops[i]:
            return  # already in
        if i >= 0 and self._stops[i] == p:
            self._stops[i] = p + 1
            if i + 1 < len(self._starts) and self._starts[i + 1] == p + 1:
                self._stops[i] = self._stops.pop(i + 1)
                self._starts.pop(i + 1)
            return
        if i + 1 < len(self._starts) and self._starts[i + 1] == p + 1:
            self._starts[i + 1] = p
            return
        self._starts.insert(i + 1, p)
        self._stops.insert(i + 1, p + 1)

    def __contains__(self, p: object) -> bool:
        if not isinstance(p, int):
            return False
        i = bisect_right(self._starts, p) - 1
        return i >= 0 and p < self._stops[i]

    def runs(self) -> list[tuple[int, int]]:
        return list(zip(self._starts, self._stops, strict=True))
