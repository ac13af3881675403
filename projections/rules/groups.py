"""Contradiction groups: which claims of one figure conflict, found by sweeps, not pairs.

Definitions (pure, over active claims of one figure):

- Two claims *conflict* when their as_of intervals overlap and their values are
  disjoint (`ClaimState.disjoint_from`: numeric intervals with no common point,
  or different states).
- An *as_of group* is a connected component of the graph whose edges join claims
  whose as_of intervals overlap: sorted by as_of start, a group runs while the next
  start is on or before the latest end seen so far.
- A contradiction is one flag per as_of group holding a conflicting claim, listing
  each claim of the group that conflicts with at least one other claim, once.
  (Claims of the group that conflict with none, such as ">=200" beside 447 and 451,
  are not listed.)

Finding the conflicting claims compares no pairs. A numeric claim c conflicts with
some claim whose as_of overlaps it exactly when, over those claims (c included, as
an interval is never wholly below itself), the least "wholly below" threshold is at
most c's low end, or the greatest low end is at least c's threshold. A status claim
conflicts when those claims' least and greatest states are not both its own, and a
claim of the other value kind (status or number) overlapping it always conflicts.
So each claim needs a few minima over the claims whose as_of overlaps it: those
starting inside c's as_of (a range of the claims sorted by start, answered by a
sparse table) and those that started before c and are still open at its start (a
sweep with heaps whose tops are dropped once their as_of has ended). O(k log k) in
all, for k claims, and the result depends only on the set of claims.
"""

from __future__ import annotations

import datetime as dt
import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from decimal import Decimal

from tally.ledger.model.values import Interval
from tally.projections.rules.claims import ClaimState

_WIDTH = 6  # threshold, -low, state, -state, is_status, -is_status
Keys = tuple[int, ...]


def low_key(i: Interval) -> tuple[Decimal, int] | None:
    # A closed low end sorts before an open one at the same number.
    return None if i.low is None else (i.low, int(i.low_open))


def threshold(i: Interval) -> tuple[Decimal, int] | None:
    """The least low key of an interval that `i` lies wholly below (see Interval.wholly_below)."""
    return None if i.high is None else (i.high, 0 if i.high_open else 1)


def as_of_groups(claims: Sequence[ClaimState]) -> list[list[ClaimState]]:
    """Connected components of as_of overlap, each sorted by (start, claim id)."""
    groups: list[list[ClaimState]] = []
    end = None
    for c in sorted(claims, key=lambda c: (c.earliest, c.claim_id)):
        if end is None or c.earliest > end:
            groups.append([])
            end = c.latest
        groups[-1].append(c)
        end = max(end, c.latest)
    return groups


def _keys(claims: Sequence[ClaimState]) -> tuple[list[Keys], int]:
    """Per claim, the ints whose minima over its as_of neighbours decide whether it conflicts,
    and the int that stands for "none" (greater than every rank, so neutral for a minimum)."""
    numbers = sorted({k for c in claims if c.interval is not None
                      for k in (low_key(c.interval), threshold(c.interval)) if k is not None})
    states = sorted({c.written for c in claims if c.interval is None})
    num_rank = {k: r for r, k in enumerate(numbers)}
    state_rank = {s: r for r, s in enumerate(states)}
    none = len(numbers) + len(states) + 2
    out: list[Keys] = []
    for c in claims:
        if c.interval is None:
            s = state_rank[c.written]
            out.append((none, none, s, -s, 1, -1))
            continue
        low, thr = low_key(c.interval), threshold(c.interval)
        out.append((none if thr is None else num_rank[thr],
                    none if low is None else -num_rank[low], none, none, 0, 0))
    return out, none


def _min(a: Keys, b: Keys) -> Keys:
    return tuple(map(min, a, b))


def _sparse_table(rows: list[Keys]) -> list[list[Keys]]:
    table = [rows]
    span = 1
    while 2 * span <= len(rows):
        prev = table[-1]
        table.append([_min(prev[i], prev[i + span]) for i in range(len(rows) - 2 * span + 1)])
        span *= 2
    return table


def _range_min(table: list[list[Keys]], lo: int, hi: int) -> Keys:
    """Componentwise minimum of rows[lo:hi], hi > lo, in O(1) (two overlapping spans)."""
    level = (hi - lo).bit_length() - 1
    return _min(table[level][lo], table[level][hi - (1 << level)])


def conflicting(claims: Sequence[ClaimState]) -> set[str]:
    """The ids of the claims that conflict with at least one other claim (see module doc)."""
    ordered = sorted(claims, key=lambda c: (c.earliest, c.claim_id))
    if len(ordered) < 2:
        return set()
    keys, none = _keys(ordered)
    starts = [c.earliest for c in ordered]
    table = _sparse_table(keys)
    heaps: list[list[tuple[int, dt.date]]] = [[] for _ in range(_WIDTH)]
    pushed = 0
    found: set[str] = set()
    for i, c in enumerate(ordered):
        # The claims that started strictly before c and are still open at its start...
        while ordered[pushed].earliest < c.earliest:
            for h, value in zip(heaps, keys[pushed], strict=True):
                heapq.heappush(h, (value, ordered[pushed].latest))
            pushed += 1
        before: list[int] = []
        for h in heaps:
            while h and h[0][1] < c.earliest:
                heapq.heappop(h)
            before.append(h[0][0] if h else none)
        # ...and those starting inside c's as_of, c included.
        inside = _range_min(table, bisect_left(starts, c.earliest, 0, i + 1),
                            bisect_right(starts, c.latest))
        if _conflicts(keys[i], _min(tuple(before), inside), none):
            found.add(c.claim_id)
    return found


def _conflicts(own: Keys, m: Keys, none: int) -> bool:
    """Whether a claim with keys `own` conflicts with a neighbour, given their minima `m`."""
    if m[4] != -m[5]:  # both numbers and statuses overlap this claim
        return True
    if own[4]:  # a status: some neighbour holds another state
        return m[2] != own[2] or -m[3] != own[2]
    # Some neighbour wholly below this claim (needs a low end)...
    below = own[1] != none and m[0] <= -own[1]
    # ...or this claim wholly below some neighbour (needs a high end).
    above = own[0] != none and m[1] != none and -m[1] >= own[0]
    return below or above
