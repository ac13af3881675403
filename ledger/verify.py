"""The full audit: every signature, every leaf, every checkpoint, in one streaming pass.

It walks the event store in global order, re-derives each Merkle leaf and
compares it with the stored log, re-checks every signed body against the
signer's key as it stood at that position (a key revoked later still vouches for
what it signed before), and compares the recomputed root with every stored
checkpoint. Memory stays flat: a Merkle frontier, the signers, nothing per
claim. It reports the first bad position and never repairs anything.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic
from sqlalchemy import Connection, select

from ledger import merkle, signing
from ledger.application import Ledger
from ledger.domain import Claim, Genesis, Signer, as_uuid
from ledger.errors import VerificationError
from ledger.log import leaf_bytes, leaves, nodes
from ledger.notes import verify_checkpoint

BATCH = 2000
_RECORDED = get_topic(Claim.Recorded)
_FOLLOWUPS = {get_topic(Claim.Corrected), get_topic(Claim.Retracted)}

Progress = Callable[[int, int], None]


@dataclass
class Report:
    """What verify checked; `problem` is None when everything holds."""

    events: int = 0
    signatures: int = 0
    checkpoints: int = 0
    size: int = 0
    root: str = ""
    problem: str | None = None
    position: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass
class _SignerState:
    public_key: bytes
    role: str
    revoked: bool = False


class _Auditor:
    """Checks events in order; their signatures are queued and checked in worker processes
    (`signing.verify_many_async`) while the next batch is read, hashed and decoded. A
    failure is reported at the first bad position, as if each were checked in turn."""

    def __init__(self, ledger: Ledger, operator_key: bytes | None) -> None:
        self.ledger = ledger
        self.expected_operator = operator_key
        self.signers: dict[str, _SignerState] = {}
        self.ledger_id: str | None = None
        self.operator: bytes | None = None
        self.position = 0
        # signatures waiting: (position, what) and (key, body, signature), then the jobs sent
        self.queued: list[tuple[tuple[int, str], signing.SignedItem]] = []
        self.jobs: list[tuple[list[tuple[int, str]], Callable[[], list[bool]]]] = []
        # the signer of each claim whose follow-ups this batch holds
        self.claim_signers: dict[UUID, str] = {}

    def send(self) -> None:
        if self.queued:
            self.jobs.append(([w for w, _ in self.queued],
                              signing.verify_many_async([i for _, i in self.queued])))
            self.queued = []

    def wait(self, upto: int | None, keep: int = 0) -> None:
        """Check the queued signatures of positions up to `upto` (all with None), leaving
        the last `keep` jobs running; raise at the first that does not verify."""
        if upto is None or (self.queued and self.queued[0][0][0] <= upto):
            self.send()
        while len(self.jobs) > keep and (upto is None or self.jobs[0][0][0][0] <= upto):
            where, results = self.jobs.pop(0)
            for (position, what), ok in zip(where, results(), strict=True):
                if not ok and (upto is None or position <= upto):
                    raise VerificationError(f"the {what} signature does not verify",
                                            position=position)

    def prefetch(self, batch: Sequence[Notification], conn: Connection) -> None:
        """Read the first events of the claims this batch's follow-ups are on, in one query."""
        recorded = {as_uuid(n.originator_id) for n in batch if n.topic == _RECORDED}
        wanted = list({as_uuid(n.originator_id) for n in batch if n.topic in _FOLLOWUPS}
                      - recorded)
        self.claim_signers = {}
        if wanted:
            for uuid, event in self.ledger.first_events(wanted, conn).items():
                try:
                    self.claim_signers[uuid] = json.loads(event.body)["signer"]
                except (AttributeError, TypeError, ValueError, KeyError):
                    continue  # the point read in _claim_signer says what is wrong

    def _check(self, key: bytes, body: str, signature: str, what: str,
               fields: dict[str, Any] | None = None) -> None:
        self.queued.append(((self.position, what), (key, body, signature)))
        if fields is None:
            try:
                fields = json.loads(body)
            except ValueError:
                raise VerificationError(f"the {what} signature does not verify") from None
        if fields.get("ledger") != self.ledger_id:
            raise VerificationError(f"the {what} body was signed for another ledger")

    def _signer(self, key_id: str, what: str) -> _SignerState:
        state = self.signers.get(key_id)
        if state is None:
            raise VerificationError(f"the {what} is signed by {key_id}, not a registered signer")
        if state.revoked:
            raise VerificationError(f"the {what} is signed by {key_id}, revoked before it")
        return state

    def check(self, event: Any) -> int:
        """Check one domain event; returns how many signatures it verified."""
        if isinstance(event, Genesis.Created):
            self.operator = bytes.fromhex(event.operator_public_key)
            if self.expected_operator is not None and self.operator != self.expected_operator:
                raise VerificationError("the genesis names another operator key than the one given")
            self.ledger_id = event.ledger_id
            self._check(self.operator, event.body, event.signature, "genesis")
            return 1
        if self.operator is None:
            raise VerificationError("the first event is not the ledger's genesis")
        if isinstance(event, Signer.Added):
            self._check(self.operator, event.body, event.signature, "signer registration")
            fields = json.loads(event.body)
            if fields["key_id"] != event.key_id or fields["public_key"] != event.public_key:
                raise VerificationError("the signer registration differs from its signed body")
            self.signers[event.key_id] = _SignerState(bytes.fromhex(event.public_key), event.role)
            return 1
        if isinstance(event, Signer.Revoked):
            self._check(self.operator, event.body, event.signature, "revocation")
            self.signers[json.loads(event.body)["key_id"]].revoked = True
            return 1
        if isinstance(event, Claim.Recorded | Claim.Corrected | Claim.Retracted):
            return self._check_claim_event(event)
        return 0

    def _check_claim_event(self, event: Any) -> int:
        what = type(event).__name__.lower().replace("recorded", "claim")
        fields = json.loads(event.body)
        state = self._signer(fields["signer"], what)
        self._check(state.public_key, event.body, event.signature, what, fields)
        if isinstance(event, Claim.Recorded):
            # signing.body_uuid(body) == originator_id, without building a UUID
            digest = hashlib.sha256(event.body.encode("utf-8")).digest()
            if digest[:16] != event.originator_id.bytes:
                raise VerificationError("the claim's id is not derived from its signed body")
            self.claim_signers[event.originator_id] = fields["signer"]
            return 1
        if fields.get("claim") != event.originator_id.hex:
            raise VerificationError(f"the {what} refers to another claim than the one it is on")
        claim_signer = self.claim_signers.get(event.originator_id)
        if claim_signer is None:
            claim_signer = json.loads(self._claim_body(event.originator_id))["signer"]
        if fields["signer"] != claim_signer and state.role != "operator":
            raise VerificationError(
                f"the {what} is signed by neither the claim's signer nor an operator")
        return 1

    def _claim_body(self, claim_id: UUID) -> str:
        first = self.ledger.app.events.get(claim_id, lte=1)
        for e in first:
            return str(getattr(e, "body", ""))
        raise VerificationError(f"claim {claim_id.hex} has no recorded event")


def _notifications(ledger: Ledger, auditor: _Auditor, conn: Connection) -> Iterator[Notification]:
    start = 1
    while True:
        batch = ledger.notifications(start, BATCH)
        # the previous batch's signatures go to the workers; those sent before it are done
        auditor.send()
        auditor.wait(batch[0].id - 1 if batch else None, keep=1)
        auditor.prefetch(batch, conn)
        yield from batch
        if len(batch) < BATCH:
            return
        start = batch[-1].id + 1


def verify(ledger: Ledger, *, operator_key: bytes | None = None,
           progress: Progress | None = None) -> Report:
    """Audit the whole ledger; the report names the first bad position, if any."""
    report = Report()
    auditor = _Auditor(ledger, operator_key)
    frontier = merkle.Frontier()
    stored = dict((size, note) for size, note, _ in ledger.log.checkpoints())
    total = ledger.max_position()
    origin = None
    with ledger.engine.connect() as conn:
        logged = conn.execute(
            select(leaves.c.leaf_index, leaves.c.position, nodes.c.hash)
            .join(nodes, (nodes.c.level == 0) & (nodes.c.idx == leaves.c.leaf_index))
            .order_by(leaves.c.leaf_index)).yield_per(BATCH)
        logged_rows = iter(logged)
        try:
            for n in _notifications(ledger, auditor, conn):
                report.position = auditor.position = n.id
                row = next(logged_rows, None)
                leaf = merkle.leaf_hash(leaf_bytes(n))
                if row is None:
                    raise VerificationError("this event is not in the Merkle log")
                index, position, digest = int(row[0]), int(row[1]), bytes(row[2])
                if position != n.id:
                    missing = min(position, n.id)
                    report.position = missing
                    raise VerificationError(
                        f"the log's leaf {index} is position {position} but the event store "
                        f"holds position {n.id} there: an event was deleted or inserted")
                if digest != leaf:
                    raise VerificationError(
                        f"this event differs from leaf {index} of the log: it was changed "
                        "after it was appended")
                try:
                    event = ledger.app.mapper.to_domain_event(n)
                except Exception as e:  # any decoding failure is tampering, whatever it raises
                    raise VerificationError(
                        f"this event cannot be decoded ({type(e).__name__})") from None
                report.signatures += auditor.check(event)
                if isinstance(event, Genesis.Created):
                    origin = event.origin
                frontier.append(leaf)
                report.events += 1
                if frontier.size in stored:
                    _check_checkpoint(stored.pop(frontier.size), frontier, auditor, origin)
                    report.checkpoints += 1
                if progress:
                    progress(n.id, total)
            extra = next(logged_rows, None)
            if extra is not None:
                report.position = int(extra[1])
                raise VerificationError(
                    f"the log has leaf {int(extra[0])} for position {int(extra[1])}, "
                    "which is no longer in the event store: an event was deleted")
            auditor.wait(None)
            if stored:
                size = min(stored)
                report.position = None
                raise VerificationError(
                    f"checkpoint {size} covers more events than the ledger holds ({frontier.size})")
        except VerificationError as e:
            problem = e.message
            # a signature still being checked at or before this position fails first
            try:
                auditor.wait(report.position)
            except VerificationError as earlier:
                problem, report.position = earlier.message, earlier.position
            report.problem = problem
            return report
    report.position = None
    report.size = frontier.size
    report.root = frontier.root().hex()
    return report


def _check_checkpoint(note: str, frontier: merkle.Frontier, auditor: _Auditor,
                      origin: str | None) -> None:
    if auditor.operator is None:
        raise VerificationError("a checkpoint precedes the genesis")
    checkpoint = verify_checkpoint(note, auditor.operator, origin)
    if checkpoint.root_hash != frontier.root():
        raise VerificationError(
            f"checkpoint {checkpoint.size} does not match the events up to here: "
            "the log was rewritten at or before this position")
