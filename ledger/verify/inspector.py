"""Reading the ledger by position, as an auditor does after `tally verify` names one:
`tally log` lists the stored events, `tally event` shows one with every check it passes
or fails. Beside `Ledger` (the command API), reading through its event store and Merkle
log, each answer in one snapshot (`storage.reading`).

Nothing shown is taken on trust from a table an insider could edit: the signer of each
event is looked up in the signed registrations (themselves checked against the genesis's
operator key), the signature is checked against that key, the leaf is recomputed from the
stored bytes and compared with the log's, and proven into the first checkpoint that
covers it. The full rules (roles, order, who may correct what) are `tally verify`'s.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection

from tally.ledger.errors import InputError, SignatureError, VerificationError
from tally.ledger.infra.eventstore import Notification
from tally.ledger.infra.merkle_log import leaf_bytes
from tally.ledger.infra.storage import reading
from tally.ledger.integrity import merkle, signing
from tally.ledger.integrity.envelope import Withheld
from tally.ledger.integrity.proofs import InclusionProof, verify_inclusion_proof
from tally.ledger.model.statements import (
    TYPES,
    LedgerCreated,
    SignerAdded,
    SignerRevoked,
    Statement,
    WitnessAdded,
    WitnessRemoved,
    WitnessUpdated,
    parse_statement,
)
from tally.ledger.model.summaries import subject, summary

if TYPE_CHECKING:
    from tally.ledger.application import Ledger

SignatureStatus = Literal["valid", "invalid", "unknown signer", "revoked signer", "unreadable",
                          "withheld"]
REGISTRATIONS = ("ledger.created", "signer.added", "signer.revoked")
MAX_LIMIT = 10_000


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EventLine(_Out):
    """One event of `tally log`. Keys: `position`, `leaf_index` (null until logged), `type`,
    `aggregate_id`, `version`, `id` (what commands name its subject by: a claim's, a
    correction's or retraction's own id, a key id, a source or figure id...; null for an
    unreadable body), `signer` (key id), `signer_name` (from its signed registration),
    `recorded_at`, `summary`, `signature_status`."""

    position: int
    leaf_index: int | None
    type: str
    aggregate_id: str
    version: int
    id: str | None
    signer: str | None
    signer_name: str | None
    recorded_at: dt.datetime | None
    summary: str
    signature_status: SignatureStatus


class EventLog(_Out):
    """`tally log`. Keys: `from_position`, `to_position`, `types` (the filters), `limit`,
    `events`, `next_position` (where the next page starts, or null at the end)."""

    from_position: int
    to_position: int | None
    types: list[str]
    limit: int
    events: list[EventLine]
    next_position: int | None


class EventView(EventLine):
    """`tally event`: the keys of a `log` line, and `body` (the signed body, verbatim),
    `statement` (it parsed, or null), `body_problem`, `signature`, `signer_role`,
    `signature_detail`, `leaf` (the Merkle leaf recomputed from the stored bytes,
    verbatim), `leaf_hash`, `logged_leaf_hash` (what the log stores), `leaf_status`
    (`matches the log`, `differs from the log`, `not logged yet`), `checkpoint` (size of the
    first checkpoint covering it, or null), `inclusion` (`verified`, `fails`, or null),
    `inclusion_detail`, `verified` (signature valid, leaf as logged, and proven into its
    checkpoint when one covers it), `problems` (one sentence each)."""

    body: str | None
    statement: dict[str, Any] | None
    body_problem: str | None
    signature: str | None
    signer_role: str | None
    signature_detail: str
    leaf: str | None
    leaf_hash: str | None
    logged_leaf_hash: str | None
    leaf_status: Literal["matches the log", "differs from the log", "not logged yet",
                         "unreadable"]
    checkpoint: int | None
    inclusion: Literal["verified", "fails"] | None
    inclusion_detail: str | None
    verified: bool
    problems: list[str]


@dataclass(frozen=True)
class _Key:
    public_key: bytes
    name: str
    role: str
    registered: int
    revoked: int | None = None


@dataclass
class _Keys:
    """The keys the signed registrations register, each checked against the operator key."""

    operator: bytes | None = None
    operator_id: str = ""
    keys: dict[str, _Key] | None = None

    def signer_of(self, position: int, statement: Statement) -> tuple[SignatureStatus,
                                                                     _Key | None, str]:
        """(status short of the arithmetic, the key to check against, why) for a statement."""
        if isinstance(statement, LedgerCreated):
            if position != 1:
                return "invalid", None, "a genesis after position 1: the ledger began once"
            key = bytes.fromhex(statement.operator_public_key)
            own = _Key(key, "operator", "operator", position)
            return "valid", own, "self-signed by the operator key it names (the trust root)"
        if isinstance(statement, SignerAdded | SignerRevoked | WitnessAdded | WitnessRemoved
                                  | WitnessUpdated):
            if self.operator is None or statement.signer != self.operator_id:
                return "invalid", None, "only the genesis operator key signs this"
            return "valid", _Key(self.operator, "operator", "operator", 1), \
                "against the operator key of the genesis"
        found = (self.keys or {}).get(statement.signer)
        if found is None or found.registered >= position:
            return "unknown signer", None, (f"no valid registration of key {statement.signer} "
                                            "before this position")
        if found.revoked is not None and found.revoked < position:
            return "revoked signer", found, f"the key was revoked at position {found.revoked}"
        return "valid", found, (f"against the key of {found.name}, registered at position "
                                f"{found.registered}")


def _statement(ledger: Ledger, n: Notification) -> tuple[Any, Statement]:
    """The decoded event and its statement; VerificationError if either does not hold."""
    event = ledger.events.decode(n)
    return event, parse_statement(event.body, str(n.topic))


class Inspector:
    """Events by position, with their checks; see the module's docstring."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def _keys(self, conn: Connection) -> _Keys:
        keys = _Keys(keys={})
        assert keys.keys is not None
        for n in self.ledger.events.all_notifications(conn=conn, topics=REGISTRATIONS):
            try:
                event, s = _statement(self.ledger, n)
                signer = bytes.fromhex(s.operator_public_key) if isinstance(
                    s, LedgerCreated) else keys.operator
                if signer is None:
                    continue
                signing.check_signature(signer, event.body, event.signature)
            except (VerificationError, SignatureError):
                continue  # an event that does not verify registers nothing
            if isinstance(s, LedgerCreated):
                if n.id == 1:
                    keys.operator, keys.operator_id = signer, s.signer
            elif s.signer != keys.operator_id:
                continue
            elif isinstance(s, SignerAdded):
                if signing.key_id(bytes.fromhex(s.public_key)) == s.key_id \
                        and s.key_id not in keys.keys:
                    keys.keys[s.key_id] = _Key(bytes.fromhex(s.public_key), s.name, s.role, n.id)
            elif isinstance(s, SignerRevoked) and s.key_id in keys.keys:
                found = keys.keys[s.key_id]
                if found.revoked is None:
                    keys.keys[s.key_id] = _Key(found.public_key, found.name, found.role,
                                               found.registered, n.id)
        return keys

    def _line(self, conn: Connection, n: Notification, leaf_index: int | None, keys: _Keys
              ) -> tuple[EventLine, dict[str, Any]]:
        """The log line of a stored event, and what `event` adds to it."""
        base: dict[str, Any] = {
            "position": n.id, "leaf_index": leaf_index, "type": str(n.topic),
            "aggregate_id": getattr(n.originator_id, "hex", str(n.originator_id)),
            "version": n.originator_version}
        try:
            event, s = _statement(self.ledger, n)
        except Withheld as w:
            claim = base["aggregate_id"]
            note = self.ledger.events.rows.withholdings(conn, [claim]).get(claim)
            line = EventLine(**base, id=claim, signer=None, signer_name=None,
                             recorded_at=None,
                             summary=note or "[withheld]", signature_status="withheld")
            return line, {"problem": None if note else "its body is withheld, and no order of "
                          "the operator says so: run 'tally verify'", "event": None,
                          "key": None, "leaf_hash": w.leaf_hash,
                          "detail": "its body was taken down: the stub keeps its leaf hash"}
        except VerificationError as e:
            problem = e.message
            line = EventLine(**base, id=None, signer=None, signer_name=None, recorded_at=None,
                             summary=f"unreadable: {problem}", signature_status="unreadable")
            return line, {"problem": problem, "event": None, "key": None,
                          "detail": "the stored event does not decode: nothing to check"}
        status, key, detail = keys.signer_of(n.id, s)
        if key is not None and status != "unknown signer":
            try:
                signing.check_signature(key.public_key, event.body, event.signature)
            except SignatureError:
                status, detail = "invalid", f"does not verify {detail}"
        line = EventLine(**base, id=subject(s, event.body), signer=s.signer,
                         signer_name=None if key is None else key.name,
                         recorded_at=event.timestamp, summary=summary(s),
                         signature_status=status)
        return line, {"problem": None, "event": event, "statement": s, "key": key,
                      "detail": detail}

    def log(self, first: int = 1, last: int | None = None, types: Sequence[str] = (),
            limit: int = 50) -> EventLog:
        """The stored events from position `first` to `last`, of the given types (a name
        such as `claim.recorded`, or its family such as `claim`), at most `limit`."""
        if first < 1 or (last is not None and last < first):
            raise InputError("positions start at 1, and --to comes after --from",
                             field="position")
        if not 1 <= limit <= MAX_LIMIT:
            raise InputError(f"the limit is a number from 1 to {MAX_LIMIT}", field="limit")
        topics = _topics(types)
        with self.ledger.events.errors(), reading(self.ledger.engine) as conn:
            keys = self._keys(conn)
            found = list(self.ledger.events.notifications(first, limit + 1, last, conn, topics))
            page = found[:limit]
            covered = self.ledger.log.coverages([n.id for n in page], conn)
            lines = [self._line(conn, n, covered[n.id][0], keys)[0] for n in page]
        return EventLog(from_position=first, to_position=last, types=list(types), limit=limit,
                        events=lines, next_position=found[limit].id if len(found) > limit
                        else None)

    def event(self, position: int) -> EventView:
        """One stored event with its body, signature, signer, leaf and covering checkpoint,
        each checked (see the module's docstring)."""
        if position < 1:
            raise InputError("positions start at 1", field="position")
        with self.ledger.events.errors(), reading(self.ledger.engine) as conn:
            found = self.ledger.events.notifications(position, 1, position, conn)
            if not found:
                last = self.ledger.events.max_position(conn)
                raise InputError(f"no event at position {position}: the ledger's positions "
                                 f"run from 1 to {last}", field="position")
            n = found[0]
            keys = self._keys(conn)
            index, size = self.ledger.log.coverage(position, conn)
            line, extra = self._line(conn, n, index, keys)
            return self._view(conn, n, line, extra, keys, index, size)

    def _view(self, conn: Connection, n: Notification, line: EventLine,
              extra: dict[str, Any], keys: _Keys, index: int | None,
              size: int | None) -> EventView:
        problems = [] if extra["problem"] is None else [extra["problem"]]
        if line.signature_status not in ("valid", "unreadable", "withheld"):
            problems.append(f"signature: {line.signature_status} ({extra['detail']})")
        try:
            leaf: bytes | None = leaf_bytes(n)
        except VerificationError:
            leaf = None
        logged = None if index is None else self.ledger.log.logged_leaf_hash(index, conn)
        leaf_hash = extra.get("leaf_hash") if leaf is None else merkle.leaf_hash(leaf)
        leaf_status: Any = ("unreadable" if leaf_hash is None else "not logged yet"
                            if logged is None else "matches the log" if logged == leaf_hash
                            else "differs from the log")
        if leaf_status == "differs from the log":
            problems.append("the stored event is not the one the Merkle log took: it was "
                            "changed after it was logged")
        elif leaf_status == "not logged yet":
            problems.append("the Merkle log stops before this event: run 'tally verify'")
        inclusion, inclusion_detail = None, None
        if size is not None and leaf is not None and index is not None:
            inclusion, inclusion_detail = self._proven(conn, n, leaf, index, size, keys)
            if inclusion == "fails":
                problems.append(f"inclusion in checkpoint {size}: {inclusion_detail}")
        event = extra["event"]
        key = extra["key"]
        return EventView(
            **line.model_dump(), body=None if event is None else event.body,
            # the members as signed (valid, so exactly the statement's; an absent anchor
            # stays absent)
            statement=None if event is None else json.loads(event.body),
            body_problem=extra["problem"],
            signature=None if event is None else event.signature,
            signer_role=None if key is None else key.role, signature_detail=extra["detail"],
            leaf=None if leaf is None else leaf.decode("utf-8"),
            leaf_hash=None if leaf_hash is None else leaf_hash.hex(),
            logged_leaf_hash=None if logged is None else logged.hex(), leaf_status=leaf_status,
            checkpoint=size, inclusion=inclusion, inclusion_detail=inclusion_detail,
            verified=not problems and line.signature_status in ("valid", "withheld"),
            problems=problems)

    def _proven(self, conn: Connection, n: Notification, leaf: bytes, index: int, size: int,
                keys: _Keys) -> tuple[Literal["verified", "fails"], str]:
        """Whether the leaf recomputed from the stored bytes is in the signed checkpoint."""
        if keys.operator is None:
            return "fails", "the genesis does not verify: no operator key to check it with"
        try:
            proof = self.ledger.log.inclusion_proof(
                getattr(n.originator_id, "hex", str(n.originator_id)), leaf, size,
                keys.operator, conn, index=index)
            verify_inclusion_proof(proof, proof.checkpoint, keys.operator)
        except VerificationError as e:
            return "fails", e.message
        return "verified", f"leaf {index} of the checkpoint of size {size}, signed by the " \
            "operator key"

    def prove(self, position: int, claim_id: str, event_id: str, size: int | None,
              conn: Connection | None = None) -> InclusionProof:
        """Inclusion proof of the correction or retraction `event_id` of claim `claim_id`,
        stored at `position`: refused unless the stored event is exactly that one (so a
        read model that points elsewhere cannot misdirect a proof)."""
        if conn is None:
            with self.ledger.events.errors(), reading(self.ledger.engine) as own:
                return self.prove(position, claim_id, event_id, size, own)
        found = self.ledger.events.notifications(position, 1, position, conn)
        event, s = _statement(self.ledger, found[0]) if found else (None, None)
        if event is None or s is None or getattr(s, "claim", None) != claim_id \
                or signing.body_id(event.body) != event_id:
            raise VerificationError(f"the event at position {position} is not {event_id} of "
                                    f"claim {claim_id}: run 'tally verify'")
        index, _ = self.ledger.log.coverage(position, conn)
        if index is None:
            raise VerificationError(f"{event_id} is not in the Merkle log yet")
        operator_key = bytes.fromhex(self.ledger.info().operator_public_key)
        return self.ledger.log.inclusion_proof(claim_id, leaf_bytes(found[0]), size,
                                               operator_key, conn, index=index,
                                               event_id=event_id)


def _topics(types: Sequence[str]) -> list[str]:
    """Event type names for `--type` values: a name, or the family before its dot."""
    chosen: list[str] = []
    for wanted in types:
        matches = [t for t in TYPES if wanted in (t, t.split(".")[0])]
        if not matches:
            families = sorted({t.split(".")[0] for t in TYPES})
            raise InputError(f"no event type {wanted!r}: give one of {', '.join(TYPES)}, or a "
                             f"family ({', '.join(families)})", field="type")
        chosen += [m for m in matches if m not in chosen]
    return chosen
