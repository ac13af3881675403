"""The read side's rules: the value in force of one figure and its discrepancy flags.

Pure functions over claim states (see `claims.fold`), shared by the projected
tables and by `as_of`/`known_at` queries, so both give the same answer. A
flag's identity is its kind and its sorted claim ids, and nothing here looks
at arrival order except the in-force tie-break, so the flags of a set of
claims do not depend on the order in which they were recorded (invariant 7).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from tally.ledger.model.values import Interval, decimal_text
from tally.projections.rules.claims import ClaimState, FigureDef
from tally.projections.rules.groups import Span, as_of_groups, conflicting, widened, written
from tally.projections.rules.regressions import regression_groups

CONTRADICTION = "contradiction"
POSSIBLE_CONFLICT = "possible_conflict"
REGRESSION = "regression"
SUM_MISMATCH = "sum_mismatch"
KINDS = (CONTRADICTION, POSSIBLE_CONFLICT, REGRESSION, SUM_MISMATCH)
_SHOWN = 10  # claims named in a contradiction's detail; its claim ids list them all


@dataclass(frozen=True)
class Member:
    """A claim involved in a discrepancy, as it stands: its id, value as written, source,
    and its figure (a part's, in a sum mismatch)."""

    claim_id: str
    value: str
    source: str
    figure: str


@dataclass(frozen=True)
class Flag:
    """A discrepancy: its kind, the figure it is attributed to, the claims involved (their
    ids, sorted, and each claim once with its value and source, in the same order)."""

    kind: str
    figure: str
    claim_ids: tuple[str, ...]
    detail: str
    members: tuple[Member, ...]

    @property
    def id(self) -> str:
        """Stable id from kind + sorted claim ids: the same flag whatever the arrival order."""
        key = f"{self.kind}:{','.join(sorted(self.claim_ids))}"
        return hashlib.sha256(key.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Current:
    """The value in force: its claim, the claims competing with it, and whether it is disputed."""

    claim: ClaimState | None
    competing: tuple[str, ...] = ()
    disputed: bool = False


def _flag(kind: str, figure: str, claims: Iterable[ClaimState], detail: str) -> Flag:
    unique = sorted({c.claim_id: c for c in claims}.values(), key=lambda c: c.claim_id)
    return Flag(kind, figure, tuple(c.claim_id for c in unique), detail,
                tuple(Member(c.claim_id, c.written, c.source, c.figure) for c in unique))


def _ref(c: ClaimState) -> str:
    return f"{c.written} as of {c.as_of} (claim {c.claim_id[:8]})"


def interval_text(i: Interval) -> str:
    """An interval in mathematical notation, e.g. [440, 451] or (440, ∞)."""
    low = "-∞" if i.low is None else decimal_text(i.low)
    high = "∞" if i.high is None else decimal_text(i.high)
    return f"{'(' if i.low_open else '['}{low}, {high}{')' if i.high_open else ']'}"




def active(claims: Iterable[ClaimState]) -> list[ClaimState]:
    return [c for c in claims if c.active]


def as_of_before(claims: Iterable[ClaimState], day: dt.date) -> list[ClaimState]:
    """The claims that can be in force on `day`: those whose as_of, as written, starts on or
    before it (an `--as-of` query; docs/concepts.md)."""
    return [c for c in claims if c.start <= day]


def in_force_key(c: ClaimState) -> tuple[dt.date, dt.date, int]:
    """What ranks claims for the value in force: the as_of as written, start then end, then
    the position (docs/concepts.md, "The value in force")."""
    return c.start, c.end, c.position


def in_force(claims: Iterable[ClaimState]) -> ClaimState | None:
    """The active claim with the latest as_of: the latest start as written, then the latest
    end as written, then the last recorded.

    The start decides first because a coarse date ("2022", a whole year) must not outrank a
    precise later one ("2022-09-23"); the days as written, not the widened ones, because the
    uncertainty of "2022-09?" hedges comparisons and says nothing about August. Among equal
    starts the later end wins: "2022-09" is as of a day no earlier than "2022-09-01", maybe
    later, so it is the later as_of. Among equal as_of texts, the later recorded wins.
    """
    return max(active(claims), key=in_force_key, default=None)


def current(claims: Sequence[ClaimState], flags: Iterable[Flag]) -> Current:
    chosen = in_force(claims)
    if chosen is None:
        return Current(None)
    competing = sorted(
        c.claim_id for c in active(claims) if c is not chosen and c.as_of_overlaps(chosen)
    )
    disputed = any(f.kind == CONTRADICTION and chosen.claim_id in f.claim_ids for f in flags)
    return Current(chosen, tuple(competing), disputed)


def contradictions(figure: str, claims: Iterable[ClaimState]) -> list[Flag]:
    """One contradiction per as_of group of active claims in which some claims cannot all
    hold, their as_of read as written; and one possible conflict per group, their as_of
    widened by its uncertainty, holding a claim that conflicts only so (~480 on 15 April
    and 510 in "2023-05?" both hold if the 510 is later).

    A contradiction lists, once each, the claims of the group that conflict with at least
    one other claim whose as_of overlaps theirs (see `groups` for the definitions and the
    O(k log k) sweep): N competing claims make one flag of N claims, not N²/2 pairs. A
    possible conflict lists every claim of its group that conflicts when widened.
    """
    live = active(claims)
    flags = _groups(CONTRADICTION, figure, live, written, set())
    certain = {c for f in flags for c in f.claim_ids}
    return flags + _groups(POSSIBLE_CONFLICT, figure, live, widened, certain)


def _groups(kind: str, figure: str, live: Sequence[ClaimState], span: Span,
            certain: set[str]) -> list[Flag]:
    """A flag of `kind` per as_of group (by `span`) of conflicting claims, unless every one
    of them is already `certain`ly in conflict."""
    hit = conflicting(live, span)
    flags: list[Flag] = []
    for group in as_of_groups(live, span):
        members = sorted((c for c in group if c.claim_id in hit), key=lambda c: c.claim_id)
        if members and not {c.claim_id for c in members} <= certain:
            flags.append(_flag(kind, figure, members, _conflict_text(kind, members)))
    return flags


def _conflict_text(kind: str, members: Sequence[ClaimState]) -> str:
    possible = kind == POSSIBLE_CONFLICT
    if len(members) == 2:
        return f"{_ref(members[0])} and {_ref(members[1])} " + (
            "may conflict: only the uncertainty of their dates makes them overlap" if possible
            else "cannot both hold")
    shown = ", ".join(_ref(c) for c in members[:_SHOWN])
    more = f" and {len(members) - _SHOWN} more" if len(members) > _SHOWN else ""
    what = ("may conflict, only through the uncertainty of their dates" if possible
            else "whose as_of overlap cannot all hold")
    return f"{len(members)} claims {what}: {shown}{more}"


def regressions(figure: str, claims: Iterable[ClaimState]) -> list[Flag]:
    """One flag per group of a cumulative figure's claims whose later values fall wholly
    below earlier ones: the connected components of such pairs (see `regressions` for
    the definition and the O(k log k) sweep), each claim listed once."""
    flags: list[Flag] = []
    for group in regression_groups(active(claims)):
        flags.append(_flag(REGRESSION, figure, group, _fall_text(group)))
    return flags


def _fall_text(group: Sequence[ClaimState]) -> str:
    if len(group) == 2:
        a, b = sorted(group, key=lambda c: c.latest)
        return f"{_ref(b)} is below the earlier {_ref(a)}, but the figure is cumulative"
    ordered = sorted(group, key=lambda c: (c.earliest, c.claim_id))
    shown = ", ".join(_ref(c) for c in ordered[:_SHOWN])
    more = f" and {len(group) - _SHOWN} more" if len(group) > _SHOWN else ""
    return (f"{len(group)} claims of a cumulative figure where later values lie wholly below "
            f"earlier ones: {shown}{more}")


def hull(intervals: Iterable[Interval]) -> Interval:
    """The smallest interval containing all of `intervals` (one part's competing claims)."""
    items = list(intervals)
    lows = [i.low for i in items if i.low is not None]
    highs = [i.high for i in items if i.high is not None]
    # An unbounded end in any interval leaves the hull unbounded on that side.
    low = min(lows) if lows and len(lows) == len(items) else None
    high = max(highs) if highs and len(highs) == len(items) else None
    # The hull's end is closed when any interval reaching that end is closed there.
    low_open = low is None or all(i.low_open for i in items if i.low == low)
    high_open = high is None or all(i.high_open for i in items if i.high == high)
    return Interval(low, high, low_open, high_open)


def sum_mismatches(
    total: FigureDef, totals: Iterable[ClaimState], parts: Mapping[str, Sequence[ClaimState]]
) -> list[Flag]:
    """Active total claims whose interval cannot meet the sum of their parts' intervals,
    one flag per as_of group of such totals (see `groups.as_of_groups`).

    For each total claim T and each part, the part's active claims overlapping T's
    as_of count (only those of T's own source, if it has any), combined as the hull
    of their intervals. Each part's claims are sorted by as_of start once, so a
    total finds candidates with a bisect and a scan of that prefix:
    O(t · Σ (log k_p + m_p)) for t totals and m_p claims of part p starting early enough.
    """
    indexed: dict[str, list[ClaimState]] = {}
    starts: dict[str, list[dt.date]] = {}
    for p in total.parts:
        ordered = sorted((c for c in active(parts.get(p, ())) if c.interval is not None),
                         key=lambda c: (c.earliest, c.claim_id))
        indexed[p], starts[p] = ordered, [c.earliest for c in ordered]
    missed: dict[str, tuple[list[ClaimState], Interval]] = {}
    for t in sorted(active(totals), key=lambda c: c.claim_id):
        if t.interval is None or not total.parts:
            continue
        used: list[ClaimState] = []
        summed: Interval | None = None
        for p in total.parts:
            prefix = indexed[p][: bisect_right(starts[p], t.latest)]
            overlapping = [c for c in prefix if c.latest >= t.earliest]
            if not overlapping:
                break
            chosen = [c for c in overlapping if c.source == t.source] or overlapping
            used.extend(chosen)
            part = hull(c.interval for c in chosen if c.interval is not None)
            summed = part if summed is None else summed + part
        else:
            if summed is not None and not summed.overlaps(t.interval):
                missed[t.claim_id] = (used, summed)
    # One flag per as_of group of the totals that miss, listing every claim once: N totals
    # over the same parts make one flag, not N flags that each repeat the parts.
    flags: list[Flag] = []
    for group in as_of_groups([t for t in active(totals) if t.claim_id in missed]):
        involved = [c for t in group for c in (t, *missed[t.claim_id][0])]
        texts = [f"the parts sum to {interval_text(missed[t.claim_id][1])}, which cannot "
                 f"meet the total {_ref(t)}" for t in group]
        detail = texts[0] if len(texts) == 1 else (
            f"{len(texts)} totals whose as_of overlap cannot meet their parts: "
            + "; ".join(texts[:_SHOWN])
            + (f" and {len(texts) - _SHOWN} more" if len(texts) > _SHOWN else ""))
        flags.append(_flag(SUM_MISMATCH, total.figure_id, involved, detail))
    return flags


def figure_flags(
    definition: FigureDef,
    claims: Sequence[ClaimState],
    parts: Mapping[str, Sequence[ClaimState]] | None = None,
) -> list[Flag]:
    """Every flag attributed to one figure, in a stable order (kind, then claim ids)."""
    flags = contradictions(definition.figure_id, claims)
    if definition.cumulative:
        flags += regressions(definition.figure_id, claims)
    if definition.parts:
        flags += sum_mismatches(definition, claims, parts or {})
    return sorted(flags, key=lambda f: (f.kind, f.claim_ids))
