"""Regression groups: the claims of a cumulative figure that fall, found by a sweep, not pairs.

A *regression pair* (A, B) is two active numeric claims where B's as_of starts after A's
ends and B's value lies wholly below A's (`Interval.wholly_below`). A regression is one
flag per connected component of the graph of such pairs, listing its claims once: N
reports that keep falling make one flag of N claims, not N²/2 pairs.

The sweep visits each B by as_of start; the A's that ended before it are kept as ranks
in one static order by low end, and B's pairs are a suffix of them (every A whose low
end is at or above B's "wholly below" threshold). Rather than joining B to every A of
the suffix, it is joined to the first, and the suffix's neighbours are joined to each
other once: a "boundary" between two neighbouring A's is dropped when they are joined,
and made again only when an A is inserted between them. Each insertion makes at most
two boundaries, so the joins are O(k) and the sweep O(k log k) for k claims.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Sequence
from decimal import Decimal

from tally.projections.rules.claims import ClaimState
from tally.projections.rules.groups import low_key, threshold


class _Joined:
    """Union-find over claim indices, remembering which indices took part in a join."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.touched: set[int] = set()

    def root(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def join(self, a: int, b: int) -> None:
        self.touched |= {a, b}
        self.parent[self.root(a)] = self.root(b)


def regression_groups(claims: Sequence[ClaimState]) -> list[list[ClaimState]]:
    """Connected components of regression pairs, each sorted by claim id, in a stable order."""
    live = sorted((c for c in claims if c.interval is not None), key=lambda c: c.claim_id)
    lows: list[tuple[tuple[Decimal, int], int]] = []
    for i, c in enumerate(live):
        assert c.interval is not None
        key = low_key(c.interval)
        if key is not None:
            lows.append((key, i))
    lows.sort()
    rank_of = {i: r for r, (_, i) in enumerate(lows)}
    by_end = sorted(range(len(live)), key=lambda i: (live[i].latest, live[i].claim_id))
    joined = _Joined(len(live))
    eligible: list[int] = []  # ranks of the A's that ended before the current B
    bounds: list[int] = []  # ranks whose join with their predecessor in `eligible` is unknown
    bounded: set[int] = set()

    def bound(rank: int) -> None:
        if rank not in bounded:
            bounded.add(rank)
            insort(bounds, rank)

    e = 0
    for b in sorted(range(len(live)), key=lambda i: (live[i].earliest, live[i].claim_id)):
        while e < len(by_end) and live[by_end[e]].latest < live[b].earliest:
            rank = rank_of.get(by_end[e])
            e += 1
            if rank is None:  # no low end: nothing lies wholly below it
                continue
            at = bisect_left(eligible, rank)
            eligible.insert(at, rank)
            if at > 0:
                bound(rank)
            if at + 1 < len(eligible):
                bound(eligible[at + 1])
        interval = live[b].interval
        assert interval is not None
        cut_key = threshold(interval)
        if cut_key is None:
            continue
        first = bisect_left(eligible, bisect_left(lows, (cut_key, -1)))
        if first == len(eligible):
            continue
        joined.join(b, lows[eligible[first]][1])
        start = bisect_right(bounds, eligible[first])
        for rank in bounds[start:]:
            before = eligible[bisect_left(eligible, rank) - 1]
            joined.join(lows[rank][1], lows[before][1])
            bounded.discard(rank)
        del bounds[start:]
    groups: dict[int, list[ClaimState]] = {}
    for i in sorted(joined.touched):
        groups.setdefault(joined.root(i), []).append(live[i])
    return sorted(groups.values(), key=lambda g: g[0].claim_id)
