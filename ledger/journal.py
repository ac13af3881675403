"""The write path: append events, log them, then let the listeners (read models) catch up.

Every append goes through here, so nothing is stored that the Merkle log does not take
next (or, if the process dies in between, that the next command does not check and log
first: `catch_up_log`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tally.ledger.errors import NotAuthorisedError
from tally.ledger.infra import replica_mark
from tally.ledger.infra.access import lag_error
from tally.ledger.infra.disclosure_store import Disclosures
from tally.ledger.infra.eventstore import EventStore, StoredEvent
from tally.ledger.infra.merkle_log import MerkleLog
from tally.ledger.model.events import Aggregate
from tally.ledger.progress import Progress
from tally.ledger.verify.tail_audit import TailAudit

# called after every write with `settle` (False while a bulk write has more to come) and
# a progress callback for the work settling does, or None
Listener = Callable[[bool, Progress | None], None]


class Journal:
    def __init__(self, events: EventStore, log: MerkleLog, tail_audit: TailAudit,
                 disclosures: Disclosures) -> None:
        self.events = events
        self.disclosures = disclosures
        self.log = log
        self.tail_audit = tail_audit
        self.listeners: list[Listener] = []
        self._replica_of: str | bool | None = False  # not looked up yet

    def refuse_on_a_replica(self) -> None:
        """A replica takes its events from the site it follows, never from a recorder."""
        if self._replica_of is False:
            self._replica_of = replica_mark.source_of(self.events.engine)
        if self._replica_of:
            raise NotAuthorisedError(
                f"this database is a replica of {self._replica_of}: record on the original "
                "ledger, publish it, and follow it here with 'tally monitor'")

    def save(self, aggregates: Sequence[Aggregate]) -> list[int]:
        """Append the aggregates' pending events in one transaction, then catch up."""
        if not aggregates:
            return []
        self.refuse_on_a_replica()
        # format v2's disclosures first, then the events that commit to them (a crash in
        # between leaves a disclosure nothing commits to, which nothing reads)
        self.disclosures.put(d for a in aggregates for d in getattr(a, "disclosures", ()))
        positions = self.events.save(aggregates)
        self.tail_audit.trust(positions)
        self.after_write()
        return positions

    def append_stored(self, events: Sequence[StoredEvent], *, settle: bool = True,
                      checked: bool = True, project: bool = True) -> list[int]:
        """Append already-mapped events (`EventStore.to_stored`) in one transaction, then
        catch up.

        The bulk import builds its events and maps them while it validates the file, so
        that the append needs neither the aggregates nor the file any more; the stored
        rows are the same as `save` would write for the same events. Events the caller
        did not check (`checked` False: a replica's, from a site) go through the tail audit
        (rules and signatures) before the Merkle log takes them. With `project` False the
        listeners are left behind (a bulk write catches them up once, at its end).
        """
        if not events:
            return []
        if checked:  # unchecked events are a replica's own, from the site it follows
            self.refuse_on_a_replica()
        positions = self.events.insert(events)
        if checked:
            self.tail_audit.trust(positions)
        self.after_write(settle=settle, project=project)
        return positions

    def after_write(self, settle: bool = True, progress: Progress | None = None,
                    project: bool = True) -> None:
        """Log the new events and let the listeners catch up (unless not `project`); with
        `settle` False (a bulk write with more batches to come) they may leave work for the
        last call."""
        with self.events.errors():
            self.log.catch_up(self.tail_audit)
            for listener in self.listeners if project else ():
                listener(settle, progress)

    def catch_up_log(self) -> int:
        """Log the stored events the Merkle log lacks; returns how many it logged.

        A writer killed between committing events and logging them leaves the log
        behind the event store (and `verify` would flag the unlogged events); the
        next command calls this before anything else.
        """
        store = self.events.store
        with self.events.errors():
            if store.read_only:  # nothing can be logged: answer only if nothing lags
                logged, last = self.log.last_position(), self.events.max_position()
                if logged < last:
                    raise lag_error(store, f"Merkle log stops at position {logged} of {last}")
                return 0
            before = self.log.size()
            return self.log.catch_up(self.tail_audit) - before

    def logged_position(self) -> int:
        """The position of the last event in the Merkle log: checked, and safe to serve."""
        with self.events.errors():
            return self.log.last_position()
