"""The pure facts the rules work on: figure definitions, history entries, and claim states.

A figure's claims are folded from its history entries (claims, corrections,
retractions) in position order, so the same fold serves the projected tables,
a `known_at` query over a prefix of the history, and the unit tests. Pure code:
no SQL, no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache
from typing import Literal

from tally.ledger.model.dates import as_written
from tally.ledger.model.values import Interval

EntryKind = Literal["claim", "correction", "retraction"]

# The rules read each claim's days as written several times (every sweep and every pair);
# a figure's claims share few as_of texts, and the parse is pure.
_as_written = lru_cache(maxsize=4096)(as_written)


@dataclass(frozen=True)
class FigureDef:
    """What the rules need of a figure's definition."""

    figure_id: str
    kind: str = "quantity"
    cumulative: bool = False
    parts: tuple[str, ...] = ()
    tolerance: Decimal = Decimal("0.05")
    unit: str = "count"
    states: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entry:
    """One history entry reduced to what folding needs.

    A correction carries its new value; a retraction carries none. Corrections
    and retractions repeat their claim's figure, as_of and source.
    """

    kind: EntryKind
    claim_id: str
    figure: str
    position: int
    written: str | None
    value_kind: str | None
    interval: Interval | None
    as_of: str
    earliest: dt.date
    latest: dt.date
    source: str


@dataclass(frozen=True)
class ClaimState:
    """A claim as it stands: its value after corrections, and whether it was retracted.

    `interval` is None for a status value, whose `written` form is the state.
    `position` is where the claim itself was recorded, whatever followed it.
    """

    claim_id: str
    figure: str
    written: str
    value_kind: str
    interval: Interval | None
    as_of: str
    earliest: dt.date
    latest: dt.date
    source: str
    position: int
    retracted: bool = False

    @property
    def active(self) -> bool:
        return not self.retracted

    @property
    def start(self) -> dt.date:
        """The first day of the as_of as written, before uncertainty widens it."""
        return _as_written(self.as_of)[0]

    @property
    def end(self) -> dt.date:
        """The last day of the as_of as written (an open end: the day it was recorded)."""
        return _as_written(self.as_of)[1] or self.latest

    def as_of_overlaps(self, other: ClaimState) -> bool:
        return self.earliest <= other.latest and other.earliest <= self.latest

    def disjoint_from(self, other: ClaimState) -> bool:
        """True when the two values cannot both hold (statuses: different states)."""
        if self.interval is None or other.interval is None:
            return self.written != other.written
        return not self.interval.overlaps(other.interval)


def fold(entries: Iterable[Entry]) -> list[ClaimState]:
    """Claim states from history entries, applied in position order, ordered by claim id.

    A correction replaces the value (the latest correction wins); a retraction
    marks the claim retracted. Follow-ups whose claim is absent are ignored: in
    a prefix of the ledger a claim always precedes its follow-ups.
    """
    states: dict[str, ClaimState] = {}
    for e in sorted(entries, key=lambda e: e.position):
        if e.kind == "claim":
            assert e.written is not None and e.value_kind is not None
            states[e.claim_id] = ClaimState(
                e.claim_id, e.figure, e.written, e.value_kind, e.interval,
                e.as_of, e.earliest, e.latest, e.source, e.position,
            )
            continue
        found = states.get(e.claim_id)
        if found is None:
            continue
        if e.kind == "retraction":
            states[e.claim_id] = replace(found, retracted=True)
        else:
            assert e.written is not None and e.value_kind is not None
            states[e.claim_id] = replace(
                found, written=e.written, value_kind=e.value_kind, interval=e.interval
            )
    return [states[k] for k in sorted(states)]
