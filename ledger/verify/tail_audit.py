"""The audit of the log's tail: events that no process of ours checked, before the Merkle
log takes them.

An event this process appended went through the commands' rules and signature
checks already; it is trusted once, and not checked again on its way into the
log. Any other event not yet logged (left by a writer killed between its commit
and its catch-up, or written into the database by someone else) is replayed
through the same rules (`ledger.verify.replay`) and its signature checked first. The
first that fails stops the log there, and so the read model, which projects
logged events only; every command then names its position.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from tally.ledger.errors import VerificationError
from tally.ledger.infra.eventstore import Notification
from tally.ledger.infra.merkle_log import leaf_hash_of
from tally.ledger.infra.signature_pool import SignatureQueue
from tally.ledger.integrity.checkpoints import verify_checkpoint
from tally.ledger.integrity.envelope import Withheld
from tally.ledger.model.events import as_uuid
from tally.ledger.model.kinds import REGISTRY_TYPES
from tally.ledger.model.statements import LedgerCreated, parse_statement
from tally.ledger.verify.replay import Admitted, ClaimEvents, Replay
from tally.ledger.verify.replay_inputs import claim_lookup, evidence, prefetch
from tally.ledger.verify.trusted_leaves import TrustedLeaves

if TYPE_CHECKING:
    from tally.ledger.evidence.archive import Archive
    from tally.ledger.infra.disclosure_store import Disclosures
    from tally.ledger.infra.eventstore import EventStore
    from tally.ledger.infra.merkle_log import MerkleLog

_END = 2**62  # past any position
WITNESS_TYPES = ("witness.added", "witness.removed", "witness.updated")
# What the rules' running state is built from: the registry events, and the witnesses (a
# witness's key is configured under one name)
STATE_TYPES = (*REGISTRY_TYPES, *WITNESS_TYPES)


class TailAudit:
    """The audit of events no process of ours checked, on the stores it reads: the event
    store, the Merkle log (its checkpoints and sealed registry), and what the replay reads
    beside the events."""

    def __init__(self, events: EventStore, log: MerkleLog, archive: Archive,
                 disclosures: Disclosures) -> None:
        self.events, self.log = events, log
        self.archive, self.disclosures = archive, disclosures
        self.trusted: set[int] = set()
        self.checked = 0  # events this process checked before logging them
        # the registry events of the last checkpoint's tree, once checked: (note, events,
        # its last position); a replica, whose checkpoints carry no seal, would otherwise
        # read its whole tree again for every batch it appends
        self._checkpointed: tuple[str, list[Notification], int] | None = None
        # format v2: what the events checked so far miss, until a later order names it (a
        # replica takes a claim and the order that redacted it in different batches)
        self.pending: dict[str, int] = {}

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
        replay.pending.update(self.pending)
        self._check(replay, [n for n in batch if n.id >= first], untrusted)
        self.pending = replay.pending
        self.checked += len(untrusted)

    def carry_pending(self, start: int) -> None:
        """Take up what the events from `start` on miss (a disclosure, a document) and no
        order among them names: a replica resuming an update that stopped after some of
        its batches were committed, so that an order still to come resolves them, or the
        update is refused (`unresolved`)."""
        replay = Replay(evidence=evidence(self.archive, self.disclosures))
        for n in self.events.all_notifications(start):
            try:
                replay.take_pending(n.id, n.topic, self.events.decode(n).body)
            except (VerificationError, ValueError, KeyError, TypeError):
                continue  # its own check fails the update, at its position
        self.pending.update(replay.pending)

    def unresolved(self) -> None:
        """VerificationError at the first event checked whose disclosure or document is
        missing with no order of the operator's naming it (`Replay.unresolved`)."""
        replay = Replay()
        replay.pending = self.pending
        replay.unresolved()

    def recheck_from(self, position: int, logged: Callable[[int, int], dict[int, bytes]],
                     leaf: Callable[[bytes], None], state: Replay,
                     registry: set[int] | None = None) -> int:
        """Check every logged event from `position` on again, rules and signatures, and that
        each is the event its Merkle leaf hashes (`logged(first, last)` gives the leaf
        hashes stored for those positions) and none is missing, passing each leaf hash to
        `leaf` in order: what `tally checkpoint` does before signing. The rules start from
        `state` (`checkpointed_state`); the positions of the registry events checked are
        added to `registry`. Returns how many it checked."""
        replay = state
        checked = 0
        while True:
            batch = self.events.notifications(position, 1000)
            hashes = logged(position, batch[-1].id if len(batch) == 1000 else _END)
            present = {n.id for n in batch}
            missing = min((p for p in hashes if p not in present), default=None)
            if missing is not None:
                raise VerificationError(f"the event at position {missing} is in the Merkle log "
                                        "but no longer in the event store: it was deleted "
                                        "(run 'tally verify')", position=missing)
            batch = [n for n in batch if n.id in hashes]  # logged ones: what is signed
            for n in batch:
                digest = leaf_hash_of(n)
                if hashes[n.id] != digest:
                    raise VerificationError(f"the event at position {n.id} differs from its "
                                            "Merkle leaf: run 'tally verify'", position=n.id)
            self._check(replay, batch, {n.id for n in batch})
            if registry is not None:
                registry.update(n.id for n in batch if n.topic in REGISTRY_TYPES)
            for n in batch:
                leaf(hashes[n.id])
            checked += len(batch)
            if len(batch) < 1000 or len(hashes) < 1000:
                replay.unresolved()
                return checked
            position = batch[-1].id + 1

    def _check(self, replay: Replay, batch: Sequence[Notification], untrusted: set[int]) -> None:
        """Replay the rules over `batch` (in order) and check the signatures of `untrusted`;
        VerificationError at the first event that fails either."""
        lookup = claim_lookup(self.events, batch)
        replay.prefetched = prefetch(self.disclosures, batch)
        signatures = SignatureQueue()
        for n in batch:
            try:
                admitted = _admit(replay, n, lookup, self.events.decode)
            except VerificationError:
                _signatures(signatures)  # one before it that fails is the first bad
                raise
            if admitted is not None and n.id in untrusted:
                signatures.add(n.id, (admitted.public_key, admitted.body, admitted.signature))
        _signatures(signatures)

    def _state_before(self, position: int) -> Replay:
        """The rules' running state just before `position` (past the last checkpoint's
        tree): the checkpointed state, then the registry events and witnesses logged after
        that tree (each is checked again, signature included, before the next checkpoint)."""
        replay, last = self.checkpointed_state(set())
        return self._replay_of(self.events.all_notifications(last + 1, topics=STATE_TYPES,
                                                             stop=position - 1), replay)

    def checkpointed_state(self, registry: set[int]) -> tuple[Replay, int]:
        """The rules' state after the last stored checkpoint's tree, and its last event's
        position (0 without a checkpoint): from the registry events the operator sealed
        with that checkpoint and the tree's witness events (`sealed_state`); for a
        checkpoint without a seal (signed by an older Tally, or a replica's), from every
        event of the tree, each read and checked against its leaf. The positions of its
        registry events are added to `registry`. VerificationError if one was changed or
        deleted."""
        stored = self.log.checkpoints()
        if not stored:
            return Replay(evidence=evidence(self.archive, self.disclosures)), 0
        if self._checkpointed is None or self._checkpointed[0] != stored[-1][1]:
            events, last = self._state_events_of(stored[-1][1])
            self._checkpointed = (stored[-1][1], events, last)
        _, events, last = self._checkpointed
        registry.update(n.id for n in events if n.topic in REGISTRY_TYPES)
        return self._replay_of(events), last

    def _state_events_of(self, note: str) -> tuple[list[Notification], int]:
        """The registry and witness events of the tree checkpoint `note` signs, each checked
        against its leaf, and the tree's last position."""
        key, origin = self._operator()
        head = verify_checkpoint(note, key, origin)
        trusted = TrustedLeaves.load(self.log.engine, head)
        sealed = self.log.sealed_registry(head, key, origin)
        if sealed is not None:
            return self._sealed_events(sealed, trusted, trusted.last_position), \
                trusted.last_position
        events: list[Notification] = []
        since = 0
        for batch in self.events.batches(stop=trusted.last_position):
            trusted.check(batch, since)
            since = batch[-1].id
            events.extend(n for n in batch if n.topic in STATE_TYPES)
        trusted.check_reached(since)
        return events, trusted.last_position

    def sealed_state(self, sealed: Sequence[int], trusted: TrustedLeaves, last: int) -> Replay:
        """The rules' state after the events of `trusted`'s tree up to position `last`, whose
        registry events the operator sealed at `sealed` (their positions): those events and
        the witness events up to `last` (a seal lists no witnesses), each checked against
        its leaf. VerificationError if one was changed or deleted, or the seal names an event
        that is not a registry event."""
        return self._replay_of(self._sealed_events(sealed, trusted, last))

    def _sealed_events(self, sealed: Sequence[int], trusted: TrustedLeaves,
                       last: int) -> list[Notification]:
        registry = list(self.events.at(sealed))
        trusted.check(registry)
        if len(registry) != len(sealed):
            raise trusted.deleted(min(set(sealed) - {n.id for n in registry}))
        if not {n.id for n in registry if n.topic in REGISTRY_TYPES} == set(sealed):
            raise VerificationError("the sealed registry names an event that is not a "
                                    "registry event: run 'tally verify'")
        # each witness event read is as the operator signed it; one deleted from the event
        # store is missed here (its key is not known to be taken): the full audit names it
        witnesses = list(self.events.all_notifications(topics=WITNESS_TYPES, stop=last))
        trusted.check(witnesses)
        return sorted(registry + witnesses, key=lambda n: n.id)

    def _operator(self) -> tuple[bytes, str]:
        """The operator key and origin the first stored event names, read as an event: not
        rebuilt as the genesis aggregate, which a second genesis an insider appended would
        break before its position is named."""
        first = self.events.notifications(1, 1)
        try:
            if not first or first[0].topic != "ledger.created":
                raise VerificationError("the first event is not the ledger's genesis")
            genesis = parse_statement(self.events.decode(first[0]).body,
                                      "ledger.created")
        except VerificationError as e:
            raise VerificationError(e.message, position=1) from None
        assert isinstance(genesis, LedgerCreated)
        return bytes.fromhex(genesis.operator_public_key), genesis.origin

    def _replay_of(self, events: Iterable[Notification],
                   replay: Replay | None = None) -> Replay:
        """The rules' running state after these registry and witness events, replayed in
        order (onto `replay`). What they miss is not pending: each was checked when it was
        appended, and the order that withheld a document's bytes since is no registry
        event, so it is not among them (a full audit still finds bytes lost without an
        order)."""
        if replay is None:
            replay = Replay(evidence=evidence(self.archive, self.disclosures))
        for n in events:
            _admit(replay, n, _no_claims, self.events.decode)
        replay.pending.clear()
        return replay


def _signatures(signatures: SignatureQueue) -> None:
    position = signatures.first_bad()
    if position is not None:
        raise VerificationError(f"the signature of the event at position {position} "
                                "does not verify", position=position)


def _no_claims(_: UUID) -> list[tuple[int, int, str, str]]:
    return []


def _admit(replay: Replay, n: Notification, lookup: ClaimEvents,
           decode: Callable[[Notification], Any]) -> Admitted | None:
    """The event admitted by the rules, or None for a withheld event's stub (its leaf hash
    is checked against the log by the caller, where the log has it already)."""
    try:
        try:
            event = decode(n)
        except Withheld as w:
            replay.withheld_event(n.id, as_uuid(n.originator_id), str(n.topic), w.leaf_hash)
            return None
        return replay.admit(n.id, event, lookup)
    except VerificationError as e:
        raise VerificationError(f"the event at position {n.id} fails the audit: {e.message}",
                                position=n.id) from None
