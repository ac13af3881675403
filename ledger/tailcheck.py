"""Checking events that no process of ours checked, before the Merkle log takes them.

An event this process appended went through the commands' rules and signature
checks already; it is trusted once, and not checked again on its way into the
log. Any other event not yet logged (left by a writer killed between its commit
and its catch-up, or written into the database by someone else) is replayed
through the same rules (`ledger.replay`) and its signature checked first. The
first that fails stops the log there, and so the read model, which projects
logged events only; every command then names its position.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import Notification
from sqlalchemy import Connection

from ledger import signing
from ledger.envelope import decode_state
from ledger.errors import VerificationError
from ledger.replay import ClaimEvents, Replay

if TYPE_CHECKING:
    from ledger.application import Ledger

REGISTRY_TYPES = ("ledger.created", "signer.added", "signer.revoked", "source.registered",
                  "figure.defined")


def decode(ledger: Ledger, n: Notification) -> Any:
    """The domain event at a position; VerificationError naming it if it does not decode."""
    try:
        return ledger.app.mapper.to_domain_event(n)
    except VerificationError as e:
        raise VerificationError(f"the event at position {n.id} is not a valid Tally event: "
                                f"{e.message}", position=n.id) from None


def claim_events_from(ledger: Ledger, conn: Connection | None = None) -> ClaimEvents:
    """A `ClaimEvents` look-up that reads the event store (one query per claim)."""

    def lookup(ident: UUID) -> list[tuple[int, int, str, str]]:
        found = ledger.aggregate_events([ident], conn).get(ident, [])
        return [(p, v, t, decode_state(state).body) for p, v, t, state in found]

    return lookup


class TailCheck:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.trusted: set[int] = set()
        self.checked = 0  # events this process checked before logging them

    def trust(self, positions: Iterable[int]) -> None:
        """Positions this process appended after checking them itself."""
        self.trusted.update(positions)

    def __call__(self, batch: Sequence[Notification]) -> None:
        untrusted = {n.id for n in batch if n.id not in self.trusted}
        self.trusted.difference_update(n.id for n in batch)
        if not untrusted:
            return
        first = min(untrusted)
        replay = self._state_before(first)
        lookup = claim_events_from(self.ledger)
        for n in batch:
            if n.id < first:
                continue
            admitted = _admit(replay, n, decode(self.ledger, n), lookup)
            if n.id in untrusted:
                item = (admitted.public_key, admitted.body, admitted.signature)
                if not signing.verify_chunk([item])[0]:
                    raise VerificationError(f"the signature of the event at position {n.id} "
                                            "does not verify", position=n.id)
                self.checked += 1

    def _state_before(self, position: int) -> Replay:
        """The rules' running state just before `position`: the registry events logged
        before it, replayed (their signatures were checked when they were logged)."""
        replay = Replay()
        for n in self.ledger.notifications_of(REGISTRY_TYPES, stop=position - 1):
            _admit(replay, n, decode(self.ledger, n), _no_claims)
        return replay


def _no_claims(_: UUID) -> list[tuple[int, int, str, str]]:
    return []


def _admit(replay: Replay, n: Notification, event: Any, lookup: Any) -> Any:
    try:
        return replay.admit(n.id, event, lookup)
    except VerificationError as e:
        raise VerificationError(f"the event at position {n.id} fails the audit: {e.message}",
                                position=n.id) from None
