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
- Every definition takes a `span`: the as_of as written (`written`) or widened by its
  uncertainty (`widened`, "2023-05?" read as April to June). Claims that conflict when
  widened but not as written may both hold (`figure.contradictions`: a possible conflict).

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
from collections.abc import Callable, Sequence
from decimal import Decimal

from tally.ledger.model.values import Interval
from tally.projections.rules.claims import ClaimState

_WIDTH = 6  # threshold, -low, state, -state, is_status, -is_status
Keys = tuple[int, ...]
Span = Callable[[ClaimState], tuple[dt.date, dt.date]]


def widened(c: ClaimState) -> tuple[dt.date, dt.date]:
    """The as_of with its uncertainty: two reports of "2022-09?" and "2022-08-30" may be of
    one day."""
    return c.earliest, c.latest


def written(c: ClaimState) -> tuple[dt.date, dt.date]:
    """The as_of as written, before "?", "~" or "%" widen it."""
    return c.start, c.end


def low_key(i: Interval) -> tuple[Decimal, int] | None:
    # A closed low end sorts before an open one at the same number.
    return None if i.low is None else (i.low, int(i.low_open))


def threshold(i: Interval) -> tuple[Decimal, int] | None:
    """The least low key of an interval that `i` lies wholly below (see Interval.wholly_below)."""
    return None if i.high is None else (i.high, 0 if i.high_open else 1)


def as_of_groups(claims: Sequence[ClaimState],
                 span: Span = widened) -> list[list[ClaimState]]:
    """Connected components of as_of overlap, each sorted by (start, claim id)."""
    groups: list[list[ClaimState]] = []
    end = None
    spanned = sorted(((span(c), c.claim_id, c) for c in claims), key=lambda x: (x[0][0], x[1]))
    for (first, last), _, c in spanned:
        if end is None or first > end:
            groups.append([])
            end = last
        groups[-1].append(c)
        end = max(end, last)
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


# Below this many claims, comparing every pair costs less than the sweep's tables and heaps
# (a figure of the benchmark's 20 claims: 45 against 200 us); both give the same set
# (tests/unit/test_rules.py compares them). Measured in docs/performance.md, round 3.
PAIRS_BELOW = 48


def conflicting(claims: Sequence[ClaimState], span: Span = widened) -> set[str]:
    """The ids of the claims that conflict with at least one other claim (see module doc)."""
    if len(claims) < PAIRS_BELOW:
        return paired(claims, span)
    return swept(claims, span)


def paired(claims: Sequence[ClaimState], span: Span = widened) -> set[str]:
    """`conflicting` by the definition: every pair whose as_of overlap compared, O(k²)."""
    spans = [span(c) for c in claims]
    found: set[str] = set()
    for i, a in enumerate(claims):
        first, last = spans[i]
        for j in range(i + 1, len(claims)):
            other_first, other_last = spans[j]
            if first <= other_last and other_first <= last:
                b = claims[j]
                if (a.interval is None) != (b.interval is None) or a.disjoint_from(b):
                    found.add(a.claim_id)
                    found.add(b.claim_id)
    return found


def swept(claims: Sequence[ClaimState], span: Span = widened) -> set[str]:
    """`conflicting` by the sweep of the module doc, O(k log k)."""
    ordered = sorted(claims, key=lambda c: (span(c)[0], c.claim_id))
    if len(ordered) < 2:
        return set()
    keys, none = _keys(ordered)
    spans = [span(c) for c in ordered]
    starts = [first for first, _ in spans]
    table = _sparse_table(keys)
    heaps: list[list[tuple[int, dt.date]]] = [[] for _ in range(_WIDTH)]
    pushed = 0
    found: set[str] = set()
    for i, (c, (first, last)) in enumerate(zip(ordered, spans, strict=True)):
        # The claims that started strictly before c and are still open at its start...
        while starts[pushed] < first:
            for h, value in zip(heaps, keys[pushed], strict=True):
                heapq.heappush(h, (value, spans[pushed][1]))
            pushed += 1
        before: list[int] = []
        for h in heaps:
            while h and h[0][1] < first:
                heapq.heappop(h)
            before.append(h[0][0] if h else none)
        # ...and those starting inside c's as_of, c included.
        inside = _range_min(table, bisect_left(starts, first, 0, i + 1),
                            bisect_right(starts, last))
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
