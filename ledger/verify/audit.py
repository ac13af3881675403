"""The full audit: every rule, signature, leaf and checkpoint, in one streaming pass.

It walks the event store in global order inside one read snapshot, re-derives
each Merkle leaf and compares it with the stored log, replays the ledger's rules
at every position (`ledger.verify.replay`: registered and unrevoked signers, roles from
signed bodies, who may correct or retract, each id once), checks every
signature, and compares the recomputed root with every stored checkpoint (and its
registry seal, when it has one) and every checkpoint the auditor kept. Memory stays
flat: a Merkle frontier, the registry and its events' positions, nothing per claim.
It raises at the first bad position and repairs nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, inspect, select

from tally.ledger.bootstrap import Collaborators
from tally.ledger.errors import AuditError, Checked, VerificationError
from tally.ledger.infra.event_rows import check_type_and_id, state_bytes
from tally.ledger.infra.eventstore import Notification
from tally.ledger.infra.merkle_log import checkpoints, leaves, nodes, registry_seals
from tally.ledger.infra.signature_pool import SignatureQueue
from tally.ledger.infra.storage import reading
from tally.ledger.integrity import merkle
from tally.ledger.integrity.checkpoints import verify_checkpoint
from tally.ledger.integrity.envelope import Withheld, decode_state, leaf_from, state_sha256
from tally.ledger.integrity.registry_seal import registry_sealed
from tally.ledger.integrity.tlog_policy import Policy, witnessed_by
from tally.ledger.model.kinds import REGISTRY_TYPES
from tally.ledger.progress import Progress
from tally.ledger.verify.replay import Admitted, ClaimEvents, Replay
from tally.ledger.verify.replay_inputs import claim_lookup, evidence, prefetch

BATCH = 2000


@dataclass(frozen=True)
class Audited(Checked):
    """A ledger that passed the full audit: what was checked, and with a policy, its
    witnesses that cosigned the latest stored and every kept checkpoint."""

    witnessed_by: tuple[str, ...] = ()


class _Counts:
    """What the audit has checked so far, counted as it goes."""

    def __init__(self) -> None:
        self.events = self.signatures = self.checkpoints = self.kept = self.pending = 0

    def checked(self, frontier: merkle.Frontier | None = None) -> Checked:
        """The counts, and the tree recomputed when the audit reached its end."""
        size, root = (0, "") if frontier is None else (frontier.size, frontier.root().hex())
        return Checked(self.events, self.signatures, self.checkpoints, self.kept, self.pending,
                       size, root)


class _Signatures(SignatureQueue):
    """The audit's signatures, in position order; a failure anywhere is reported at the
    first bad position, as if each were checked in turn."""

    def check(self, keep: int = 0, before: int | None = None) -> None:
        bad = self.first_bad(None if before is None else before - 1, keep)
        if bad is not None:
            raise VerificationError("the event's signature does not verify", position=bad)


def verify(parts: Collaborators, *, operator_key: bytes | None = None, kept: Sequence[str] = (),
           progress: Progress | None = None, policy: Policy | None = None) -> Audited:
    """Audit the whole ledger against its own checkpoints and the `kept` checkpoint notes;
    AuditError names the first bad position. With a C2SP tlog `policy`, the latest stored
    checkpoint and the kept ones must also be cosigned to its quorum (the answer names the
    witnesses that did, the error the ones missing)."""
    counts = _Counts()
    with reading(parts.engine) as conn:
        try:
            checked = counts.checked(_audit(parts, conn, operator_key, kept, counts, progress))
        except VerificationError as e:
            raise AuditError(e.message, position=e.position, checked=counts.checked()) from None
    witnesses: list[str] = []
    if policy is not None:
        info = parts.info()
        latest = [note for _, note, _ in parts.log.checkpoints()[-1:]]
        try:
            witnesses = witnessed_by(policy, latest + list(kept), info.origin,
                                     bytes.fromhex(info.operator_public_key))
        except VerificationError as e:
            raise AuditError(e.message, position=None, checked=checked) from None
    return Audited(**asdict(checked), witnessed_by=tuple(witnesses))


def _audit(parts: Collaborators, conn: Connection, operator_key: bytes | None, kept: Sequence[str],
           counts: _Counts, progress: Progress | None) -> merkle.Frontier:
    """Every event's rules, signature and leaf, and every checkpoint: the tree recomputed."""
    replay = Replay(operator_key, evidence(parts.archive, parts.disclosures, conn))
    signatures = _Signatures()
    frontier = merkle.Frontier()
    due: dict[int, list[tuple[str, bool]]] = {}  # size -> [(note, kept by the auditor)]
    for size, note in conn.execute(select(checkpoints.c.size, checkpoints.c.note)):
        due.setdefault(int(size), []).append((str(note), False))
    seals = _registry_seals(conn)
    registry: list[int] = []  # positions of the registry events so far
    total = parts.events.max_position(conn)
    if total == 0:
        raise VerificationError("the database holds no events: it is not a Tally ledger, "
                                "or it was wiped")
    repeated = parts.events.repeated_places(conn)
    logged = iter(conn.execute(
        select(leaves.c.leaf_index, leaves.c.position, nodes.c.hash)
        .join(nodes, (nodes.c.level == 0) & (nodes.c.idx == leaves.c.leaf_index))
        .order_by(leaves.c.leaf_index)).yield_per(BATCH))
    for batch in parts.events.batches(batch=BATCH, conn=conn):
        # the batch before the last has had time to be checked by the workers
        signatures.check(keep=1)
        lookup = claim_lookup(parts.events, batch, conn, repeated)
        replay.prefetched = prefetch(parts.disclosures, batch, conn)
        for i, n in enumerate(batch):
            row = next(logged, None)
            if row is None:  # past the log's end: checked as the log would check them
                signatures.check(before=n.id)
                counts.pending = _pending(parts, conn, batch[i:])
                break
            try:
                leaf, admitted = _replayed(parts, replay, n, row, lookup)
            except VerificationError as e:
                signatures.check(before=e.position or n.id)
                raise VerificationError(e.message, position=e.position or n.id) from None
            if kept and replay.origin is not None:  # the genesis names the operator key
                _schedule_kept(kept, replay, due)
                kept = ()
            if admitted is not None:
                signatures.add(n.id, (admitted.public_key, admitted.body, admitted.signature))
                counts.signatures += 1
            frontier.append(leaf)
            counts.events += 1
            if n.topic in REGISTRY_TYPES:
                registry.append(n.id)
            for note, auditors in due.pop(frontier.size, []):
                _check_checkpoint(note, frontier, replay, n.id, signatures)
                counts.kept += auditors
                counts.checkpoints += not auditors
            if frontier.size in seals:
                _check_registry_seal(seals.pop(frontier.size), frontier, replay, registry,
                                     n.id, signatures)
            if progress:
                progress("verifying", n.id, total)
        if counts.pending:
            break
    extra = next(logged, None)
    if extra is not None:
        raise VerificationError(
            f"the log has leaf {int(extra[0])} for position {int(extra[1])}, which is no "
            "longer in the event store: an event was deleted", position=int(extra[1]))
    if replay.pending:  # the first bad position may be a bad signature before it
        signatures.check(before=min(replay.pending.values()) + 1)
        replay.unresolved()
    signatures.check()
    if due:
        size = min(due)
        who = "you kept" if any(k for _, k in due[size]) else "stored in the ledger"
        raise VerificationError(
            f"checkpoint {size} ({who}) covers more events than the ledger holds "
            f"({frontier.size}): events were deleted or the ledger was rewritten")
    return frontier


def _replayed(parts: Collaborators, replay: Replay, n: Notification, logged: Any,
              lookup: ClaimEvents) -> tuple[bytes, Admitted | None]:
    """The event's leaf hash, checked against the log's, and the event admitted by the
    rules; a withheld event's stub keeps a leaf hash and nothing to admit."""
    state = state_bytes(n.state)
    try:
        stored = decode_state(state)  # decoded once, for the leaf and for the event
    except Withheld as w:
        _check_logged(logged, n, w.leaf_hash)
        replay.withheld_event(n.id, check_type_and_id(n), str(n.topic), w.leaf_hash)
        return w.leaf_hash, None
    leaf = merkle.leaf_hash(leaf_from(str(n.topic), check_type_and_id(n).hex,
                                      n.originator_version, stored, state_sha256(state)))
    _check_logged(logged, n, leaf)
    return leaf, replay.admit(n.id, parts.events.event_from(n, stored), lookup)


def _schedule_kept(notes: Sequence[str], replay: Replay,
                   due: dict[int, list[tuple[str, bool]]]) -> None:
    """Schedule the auditor's own checkpoints: each must be signed by this ledger's operator
    key for its origin, and will be compared when the audit reaches its size."""
    assert replay.operator_key is not None
    for number, note in enumerate(notes, start=1):
        try:
            checkpoint = verify_checkpoint(note, replay.operator_key, replay.origin)
        except VerificationError as e:
            raise VerificationError(f"the checkpoint you kept (number {number}) is not one of "
                                    f"this ledger's: {e.message}") from None
        due.setdefault(checkpoint.size, []).append((note, True))


def _pending(parts: Collaborators, conn: Connection, first: Sequence[Notification]) -> int:
    """Events of this snapshot past the Merkle log's end: a writer commits its events, then
    logs them. Each is checked as the log checks an event no process of ours appended
    (rules and signature); one that fails is reported at its position, as unlogged."""
    tail = list(first)
    while more := parts.events.notifications(tail[-1].id + 1, BATCH, conn=conn):
        tail.extend(more)
    try:
        parts.new_tail_audit()(tail)
    except VerificationError as e:
        raise VerificationError(f"this event is not in the Merkle log, and {e.message}",
                                position=e.position) from None
    return len(tail)


def _check_logged(row: Any, n: Notification, leaf: bytes) -> None:
    index, position, digest = int(row[0]), int(row[1]), bytes(row[2])
    if position != n.id:
        raise VerificationError(
            f"the log's leaf {index} is position {position} but the event store holds "
            f"position {n.id} there: an event was deleted or inserted",
            position=min(position, n.id))
    if digest != leaf:
        raise VerificationError(
            f"this event differs from leaf {index} of the log: it was changed after it "
            "was appended")


def _registry_seals(conn: Connection) -> dict[int, tuple[str, str]]:
    """The stored registry seals, by tree size (none in a ledger from before them)."""
    if not inspect(conn).has_table(registry_seals.name):
        return {}
    return {int(size): (str(positions), str(signature)) for size, positions, signature in
            conn.execute(select(registry_seals.c.size, registry_seals.c.positions,
                                registry_seals.c.signature))}


def _check_registry_seal(seal: tuple[str, str], frontier: merkle.Frontier, replay: Replay,
                         registry: list[int], position: int, signatures: _Signatures) -> None:
    """A stored registry seal must be the operator's over exactly the registry events of
    the tree of its size (an edited one would make `tally checkpoint` read every event of
    that tree: safe, but a sign that someone wrote to the database)."""
    assert replay.operator_key is not None and replay.origin is not None
    positions, signature = seal
    try:
        sealed = json.loads(positions)
    except ValueError:
        sealed = None
    if sealed != registry or not registry_sealed(
            replay.operator_key, replay.origin, frontier.size, frontier.root(), registry,
            signature):
        signatures.check(before=position)  # a bad signature before it is the first problem
        raise VerificationError(f"the registry seal of checkpoint {frontier.size} is not the "
                                "operator's over the registry events of its tree: it was "
                                "edited", position=position)


def _check_checkpoint(note: str, frontier: merkle.Frontier, replay: Replay, position: int,
                      signatures: _Signatures) -> None:
    assert replay.operator_key is not None
    try:
        checkpoint = verify_checkpoint(note, replay.operator_key, replay.origin)
        if checkpoint.root_hash != frontier.root():
            raise VerificationError(
                f"checkpoint {checkpoint.size} does not match the events up to here: "
                "the log was rewritten at or before this position")
    except VerificationError as e:
        signatures.check(before=position)
        raise VerificationError(e.message, position=position) from None
