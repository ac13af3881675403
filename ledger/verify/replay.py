"""The ledger's rules replayed event by event, in global order, with a running state.

`Replay.admit` takes one decoded event at its position and checks everything but
the signature arithmetic: the body is a canonical statement of the event's type
for this ledger; the aggregate id and version are the ones the body determines
(so a replayed copy cannot land anywhere); the signer was registered and not
revoked at that position, with the role its signed registration gave it; a
correction or retraction is by the claim's signer or an operator and never
follows a retraction; every id, figure, source and signer appears once; values
and dates parse as the commands parse them. It returns the (key, body,
signature) whose check the caller runs, at once or in worker processes.

The audit (`ledger.verify`) replays the whole ledger; the Merkle log replays a
tail that no process of ours checked (`ledger.verify.tail_audit`). Claims are looked up
through `ClaimEvents`, so memory stays flat: signers, sources and figures only.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from tally.ledger.errors import LedgerError, VerificationError
from tally.ledger.evidence import anchors
from tally.ledger.evidence.document_checks import DocumentReader, check_digests
from tally.ledger.evidence.normalise import text_sha256
from tally.ledger.integrity import disclosure, signing
from tally.ledger.model import policy
from tally.ledger.model.bodies import ledger_id as derive_ledger_id
from tally.ledger.model.events import GENESIS_ID, redaction_uuid, registry_uuid
from tally.ledger.model.kinds import FigureKind, Role
from tally.ledger.model.statements import (
    CaseDefined,
    ClaimCorrected,
    ClaimRecorded,
    ClaimRedacted,
    ClaimRetracted,
    DocumentArchived,
    DocumentWithheld,
    FigureDefined,
    LedgerCreated,
    SignerAdded,
    SignerRevoked,
    SourceRegistered,
    WitnessAdded,
    WitnessRemoved,
    WitnessUpdated,
    parse_statement,
)

# (position, version, type name, body) of a claim's events, in any order; the body is
# empty for an event withheld (or one that does not decode: it fails at its own position)
ClaimEvents = Callable[[UUID], Sequence[tuple[int, int, str, str]]]
# format v2: the stored disclosures of these commitments (commitment -> disclosure)
Disclosed = Callable[[Collection[str]], Mapping[str, str]]


@dataclass(frozen=True)
class Evidence:
    """What the replay reads beside the events: the archive (`ledger.evidence.archive`) and
    the disclosures (`ledger.infra.disclosure_store`)."""

    documents: DocumentReader = field(default_factory=lambda: _NoDocuments())
    disclosed: Disclosed = lambda _: {}


CLAIM_TYPES = ("claim.recorded", "claim.corrected", "claim.retracted")


@dataclass
class SignerState:
    key_id: str
    public_key: bytes
    role: Role
    revoked: bool = False


@dataclass
class FigureState:
    figure_id: str
    kind: FigureKind
    states: list[str]
    integer: bool = False


@dataclass
class ClaimState:
    claim_id: str
    figure: str
    signer: str
    retracted: bool = False
    followups: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _At:
    """Where an event is replayed: its position, the aggregate and version it is stored as,
    the decoded event, and its claim's other events."""

    position: int
    ident: UUID
    version: int
    event: Any
    claim_events: ClaimEvents


@dataclass(frozen=True)
class Admitted:
    """An event that holds by the rules: its statement, and the signature still to check."""

    statement: Any
    public_key: bytes
    body: str
    signature: str


class Replay:
    def __init__(self, expected_operator: bytes | None = None,
                 evidence: Evidence | None = None) -> None:
        """Every document event is checked against the hashes of its stored bytes and text,
        every anchored quote against the text at its position (the text of one document is
        kept, hashed once: claims anchored in a large document do not each read it again),
        and every v2 commitment against its disclosure, unless a signed order of the
        operator took it down (`evidence`)."""
        self.expected_operator = expected_operator
        self.evidence = evidence or Evidence()
        self.documents = self.evidence.documents
        self._text: tuple[str, str] | None = None  # (sha256, checked text) last read
        self.archived: dict[str, str] = {}  # document sha256 -> signed text sha256
        self.withheld: set[str] = set()  # documents whose bytes are not held
        # Format v2: what is missing (a disclosure's commitment, "document:" + a hash) and
        # where, until an operator's order, which comes later, names it (`unresolved`)
        self.pending: dict[str, int] = {}
        # withheld events whose order is still to come: leaf hash (hex) -> claim id
        self.stubs: dict[str, str] = {}
        self.prefetched: Mapping[str, str] = {}  # a batch's disclosures, read at once
        self.ledger_id: str | None = None
        self.origin: str | None = None
        self.operator_key: bytes | None = None
        self.operator_key_id = ""
        self.signers: dict[str, SignerState] = {}
        self.sources: set[str] = set()
        self.figures: dict[str, FigureState] = {}
        self.witnesses: dict[str, tuple[str, str]] = {}  # (url, vkey) by name
        self.removed_witnesses: dict[str, str] = {}  # the removal's reason by name
        self.witness_versions: dict[str, int] = {}  # the witness aggregate's last version

    def admit(self, position: int, event: Any, claim_events: ClaimEvents) -> Admitted:
        """Check one event against the rules at `position`; VerificationError if it breaks one."""
        topic = type(event).TOPIC
        statement = parse_statement(event.body, topic)
        ident, version = event.originator_id, event.originator_version
        if isinstance(statement, LedgerCreated):
            return self._genesis(position, statement, ident, version, event)
        if self.ledger_id is None:
            raise VerificationError("the first event is not the ledger's genesis")
        if statement.ledger != self.ledger_id:
            raise VerificationError(f"the {topic} body was signed for another ledger")
        try:
            key = self._rules(position, statement, ident, version, event, claim_events)
        except VerificationError:
            raise
        except LedgerError as e:  # a rule of ledger.model.policy, in the words the commands use
            raise VerificationError(f"the {topic} breaks a rule: {e.message}") from None
        return Admitted(statement, key, event.body, event.signature)

    def withheld_event(self, position: int, ident: UUID, type_name: str,
                       leaf_hash: bytes) -> None:
        """A stored event whose body was taken down (`integrity.envelope.Withheld`): only a
        claim's events may be, and it is pending until an order of the operator names its
        leaf hash, which the caller has checked against the log (`unresolved`)."""
        if type_name not in CLAIM_TYPES:
            raise VerificationError(f"the stored {type_name} is a stub with its body withheld, "
                                    "but only a claim's events can be withheld")
        if self.ledger_id is None:
            raise VerificationError("the first event is not the ledger's genesis")
        self.stubs[leaf_hash.hex()] = ident.hex
        self.pending["leaf:" + leaf_hash.hex()] = position

    def _genesis(self, position: int, s: LedgerCreated, ident: UUID, version: int,
                 event: Any) -> Admitted:
        if self.ledger_id is not None or position != 1:
            raise VerificationError("a second genesis: the ledger was created once")
        _where(ident, version, GENESIS_ID, 1)
        key = bytes.fromhex(s.operator_public_key)
        if self.expected_operator is not None and key != self.expected_operator:
            raise VerificationError("the genesis names another operator key than the one given")
        if s.signer != signing.key_id(key) or s.ledger != derive_ledger_id(s.origin, key):
            raise VerificationError("the genesis's ledger id or signer is not derived from it")
        self.ledger_id, self.origin, self.operator_key = s.ledger, s.origin, key
        self.operator_key_id = s.signer
        return Admitted(s, key, event.body, event.signature)

    def _signer(self, key_id: str) -> SignerState:
        found = self.signers.get(key_id)
        policy.signer_may_sign(found, key_id)
        assert found is not None  # signer_may_sign refused an unknown key
        return found

    def _rules(self, position: int, s: Any, ident: UUID, version: int, event: Any,
               claim_events: ClaimEvents) -> bytes:
        """The rules of the statement's type (`RULES`); the key its signature is checked with."""
        return RULES[type(s)](self, s, _At(position, ident, version, event, claim_events))

    def _operator_key(self) -> bytes:
        assert self.operator_key is not None  # the genesis came first
        return self.operator_key

    def _signer_added(self, s: SignerAdded, at: _At) -> bytes:
        policy.operator_only(s.signer, self.operator_key_id, "signer changes")
        _where(at.ident, at.version, registry_uuid("signer", s.key_id), 1)
        if s.key_id in self.signers:
            raise VerificationError(f"signer {s.key_id} is registered twice")
        if s.key_id != signing.key_id(bytes.fromhex(s.public_key)):
            raise VerificationError("the signer's key id is not derived from its key")
        self.signers[s.key_id] = SignerState(s.key_id, bytes.fromhex(s.public_key), s.role)
        return self._operator_key()

    def _signer_revoked(self, s: SignerRevoked, at: _At) -> bytes:
        policy.operator_only(s.signer, self.operator_key_id, "signer changes")
        _where(at.ident, at.version, registry_uuid("signer", s.key_id), 2)
        policy.may_revoke(s.key_id, self.operator_key_id)
        self._signer(s.key_id).revoked = True
        return self._operator_key()

    def _witness_added(self, s: WitnessAdded, at: _At) -> bytes:
        policy.operator_only(s.signer, self.operator_key_id, "witness changes")
        _where(at.ident, at.version, registry_uuid("witness", s.name), 1)
        if s.name in self.witnesses:
            raise VerificationError(f"witness {s.name!r} is added twice")
        policy.witness_is_new(s.name, s.url, s.vkey, self.witnesses, self.removed_witnesses)
        self.witnesses[s.name] = (s.url, s.vkey)
        self.witness_versions[s.name] = 1
        return self._operator_key()

    def _witness_changed(self, s: WitnessRemoved | WitnessUpdated, at: _At) -> bytes:
        """A removal or a move (format v2): of a configured witness, at its next version."""
        policy.operator_only(s.signer, self.operator_key_id, "witness changes")
        url, _ = policy.witness_configured(s.name, self.witnesses, self.removed_witnesses)
        _where(at.ident, at.version, registry_uuid("witness", s.name),
               self.witness_versions.get(s.name, 1) + 1)
        if isinstance(s, WitnessUpdated):
            if not policy.witness_url_changes(url, s.url):
                raise VerificationError(f"witness {s.name!r} is moved to the URL it has")
            self.witnesses[s.name] = (s.url, self.witnesses[s.name][1])
        else:
            self.removed_witnesses[s.name] = s.reason
            del self.witnesses[s.name]
        self.witness_versions[s.name] = at.version
        return self._operator_key()

    def _source(self, s: SourceRegistered, at: _At) -> bytes:
        signer = self._signer(s.signer)
        _where(at.ident, at.version, registry_uuid("source", s.id), 1)
        if s.id in self.sources:
            raise VerificationError(f"source {s.id!r} is registered twice")
        self.sources.add(s.id)
        return signer.public_key

    def _case(self, s: CaseDefined, at: _At) -> bytes:
        signer = self._signer(s.signer)
        # once: its aggregate is derived from its id, and stored at version 1 only
        _where(at.ident, at.version, registry_uuid("case", s.id), 1)
        policy.check_period(s.period)
        return signer.public_key

    def _figure_defined(self, s: FigureDefined, at: _At) -> bytes:
        signer = self._signer(s.signer)
        _where(at.ident, at.version, registry_uuid("figure", s.id), 1)
        if s.id in self.figures:
            raise VerificationError(f"figure {s.id!r} is defined twice")
        policy.check_figure_shape(s.id, s.kind, s.cumulative, s.parts, s.states, self._figure)
        self.figures[s.id] = FigureState(s.id, s.kind, list(s.states), bool(s.integer))
        return signer.public_key

    def _claim(self, s: ClaimRecorded, at: _At) -> bytes:
        signer = self._signer(s.signer)
        recorded: dt.datetime = at.event.timestamp
        _where(at.ident, at.version, signing.body_id(at.event.body), 1)
        if any(p < at.position for p, *_ in at.claim_events(at.ident)):
            raise VerificationError(f"claim {at.ident.hex} is recorded twice")
        _canonical_value(self._figure(s.figure), s.value)
        policy.check_dates(s.as_of, s.published, recorded.date())
        for source in (s.source, *s.via):
            if source not in self.sources:
                raise VerificationError(f"the claim names source {source!r}, not registered")
        opened = self._disclosed(at.position, at.event.body)
        if s.anchor is not None:
            self._anchored(s, opened)
        return signer.public_key

    def _document(self, s: DocumentArchived, at: _At) -> bytes:
        signer = self._signer(s.signer)
        _where(at.ident, at.version, registry_uuid("document", s.sha256), 1)
        if s.sha256 in self.archived:
            raise VerificationError(f"document {s.sha256} is archived twice")
        if s.source is not None and s.source not in self.sources:
            raise VerificationError(f"the document names source {s.source!r}, not "
                                    "registered")
        digests = self.documents.digests(s.sha256)
        if digests is None:  # withheld, if an order says so later
            self.withheld.add(s.sha256)
            self.pending["document:" + s.sha256] = at.position
        else:
            check_digests(s, digests)
        self.archived[s.sha256] = s.text_sha256
        return signer.public_key

    def _disclosed(self, position: int, body: str) -> dict[str, Any]:
        """The body with its v2 commitments opened, each disclosure checked; one missing is
        pending until an operator's order names it (`unresolved`)."""
        fields: dict[str, Any] = json.loads(body)
        committed = disclosure.commitments(fields)
        if not committed:
            return fields
        held = {c: self.prefetched[c] for c in committed.values() if c in self.prefetched}
        rest = [c for c in committed.values() if c not in held]
        if rest:  # none prefetched, or taken down
            held.update(self.evidence.disclosed(rest))
        opened, missing = disclosure.open_body(fields, held, committed)
        for path in missing:
            self.pending[committed[path]] = position
        return opened

    def take_pending(self, position: int, type_name: str, body: str) -> None:
        """Note what an event already checked misses, and what an order takes down, without
        replaying its rules (`TailAudit.carry_pending`)."""
        fields = json.loads(body)
        if type_name == "claim.recorded":
            self._disclosed(position, body)
        elif type_name == "document.archived" and \
                self.documents.digests(fields["sha256"]) is None:
            self.pending["document:" + fields["sha256"]] = position
        elif type_name == "claim.redacted":
            for commitment in fields["commitments"]:
                self.pending.pop(commitment, None)
                self.pending.pop("leaf:" + commitment, None)
        elif type_name == "document.withheld":
            self.pending.pop("document:" + fields["sha256"], None)

    def unresolved(self) -> None:
        """VerificationError at the first position whose disclosure or document is missing
        and was named by no order of the operator's: the end of a replay says. (An order
        comes after what it takes down; one that does not hold fails at its own position,
        where the edit is, before this is asked.)"""
        if self.pending:
            what, position = min(self.pending.items(), key=lambda item: item[1])
            thing = (f"document {what.removeprefix('document:')} is not in the archive"
                     if what.startswith("document:") else
                     f"the event of leaf hash {what.removeprefix('leaf:')} is a stub with "
                     "its body withheld" if what.startswith("leaf:") else
                     f"the disclosure of commitment {what} is missing")
            raise VerificationError(f"{thing}, and no signed order took it down: its bytes "
                                    "were lost or deleted", position=position)

    def _withheld(self, s: DocumentWithheld, at: _At) -> bytes:
        """An order names what exists: here a document archived before it."""
        signer = self._signer(s.signer)
        policy.operator_only(s.signer, self.operator_key_id, "take-down orders")
        _where(at.ident, at.version, registry_uuid("document", s.sha256), 2)
        if s.sha256 not in self.archived:
            raise VerificationError(f"the order withholds document {s.sha256}, not "
                                    "archived before it")
        self.pending.pop("document:" + s.sha256, None)
        return signer.public_key

    def _redacted(self, s: ClaimRedacted, at: _At) -> bytes:
        """An order names what exists: here a claim recorded before it, and exactly the
        commitments of the field it takes down."""
        signer = self._signer(s.signer)
        policy.operator_only(s.signer, self.operator_key_id, "take-down orders")
        _where(at.ident, at.version, redaction_uuid(s.claim, s.field), 1)
        earlier = [(v, b) for p, v, _, b in at.claim_events(UUID(hex=s.claim))
                   if p < at.position]
        recorded = [b for v, b in earlier if v == 1]
        if not recorded:
            raise VerificationError(f"the order redacts claim {s.claim}, not recorded "
                                    "before it")
        if s.field == "body":
            self._withheld_claim(s, len(earlier))
            return signer.public_key
        if not recorded[0]:  # withheld since: a later order names its stub (`unresolved`)
            return signer.public_key
        committed = disclosure.commitments(json.loads(recorded[0]))
        wanted = [committed[p] for p in disclosure.FIELDS[s.field] if p in committed]
        if sorted(wanted) != sorted(s.commitments) or not wanted:
            raise VerificationError(f"the order's commitments are not those of the claim's "
                                    f"{s.field}")
        for commitment in wanted:
            self.pending.pop(commitment, None)
        return signer.public_key

    def _withheld_claim(self, s: ClaimRedacted, events: int) -> None:
        """An order withholding a claim's body names the leaf hashes of some of its events
        before it (all of them, unless a follow-up was appended while it was being made),
        and every stub seen so far whose leaf it names is one of this claim's. A named
        event whose body is still held is one whose erasure a crash interrupted: it is
        checked as any event is, and shown as withheld."""
        if len(set(s.commitments)) > events:
            raise VerificationError(f"the order names {len(set(s.commitments))} leaves, but "
                                    f"claim {s.claim} has {events} events before it")
        for leaf in s.commitments:
            claim = self.stubs.pop(leaf, s.claim)
            if claim != s.claim:
                raise VerificationError(f"the order withholding claim {s.claim} names the "
                                        f"leaf of an event of claim {claim}")
            self.pending.pop("leaf:" + leaf, None)

    def _anchored(self, s: ClaimRecorded, opened: dict[str, Any]) -> None:
        """An anchored quote is in a document archived before it, at its signed place (its
        text where disclosed; where an order took the text or the document down, the
        place is all that is left to check)."""
        assert s.anchor is not None
        sha = s.document_sha256 or ""
        signed_text = self.archived.get(sha)
        if signed_text is None:
            raise VerificationError(f"the claim anchors its quote in document "
                                    f"{s.document_sha256}, not archived before it")
        if sha in self.withheld:
            return
        text = self._document_text(sha, signed_text)
        anchor = opened["anchor"]
        if None in anchor["quote"].values():
            anchors.check_position(text, anchor)
        else:
            anchors.check(text, opened["quote"], anchor)

    def _document_text(self, sha: str, signed_text_sha256: str) -> str:
        if self._text is None or self._text[0] != sha:
            self._text = None
            text = self.documents.text(sha)
            if text is None or text_sha256(text) != signed_text_sha256:
                raise VerificationError(f"the archived text of document {sha} is missing or "
                                        "does not match its signed hash")
            self._text = (sha, text)
        return self._text[1]

    def _figure(self, figure_id: str) -> FigureState:
        found = self.figures.get(figure_id)
        if found is None:
            raise VerificationError(f"figure {figure_id!r} is not defined before it is used")
        return found

    def _followup(self, s: ClaimCorrected | ClaimRetracted, at: _At) -> bytes:
        signer = self._signer(s.signer)
        position, body, ident, version = at.position, at.event.body, at.ident, at.version
        if ident.hex != s.claim:
            raise VerificationError("the follow-up is stored on another claim than it names")
        earlier = sorted((v, p, t, b) for p, v, t, b in at.claim_events(ident) if p < position)
        if [v for v, *_ in earlier] != list(range(1, version)) or not earlier \
                or earlier[0][2] != "claim.recorded":
            raise VerificationError(
                f"the follow-up is version {version} of claim {s.claim}, whose earlier "
                "events are not all before it")
        if any(not b for *_, b in earlier):
            unordered = [p for leaf, claim in self.stubs.items() if claim == s.claim
                         for p in [self.pending.get("leaf:" + leaf)] if p is not None]
            if unordered:  # the stub is the edit: say so where it is
                self.unresolved()
            raise VerificationError(f"the follow-up is on claim {s.claim}, whose body is "
                                    "withheld: it can be neither corrected nor retracted")
        first = parse_statement(earlier[0][3], "claim.recorded")
        assert isinstance(first, ClaimRecorded)
        claim = ClaimState(s.claim, first.figure, first.signer)
        for _, _, type_name, earlier_body in earlier[1:]:
            claim.followups.append(signing.body_id(earlier_body))
            claim.retracted = claim.retracted or type_name == "claim.retracted"
        correcting = isinstance(s, ClaimCorrected)
        if not policy.followup_is_new(claim, signing.body_id(body), signer,
                                      correcting=correcting):
            raise VerificationError(f"the follow-up is recorded twice on claim {s.claim}")
        if isinstance(s, ClaimCorrected):
            _canonical_value(self._figure(first.figure), s.value)
        return signer.public_key


# The rules of each statement type but the genesis: one table, as the commands have theirs
# (`ledger.dispatch`); each returns the key the event's signature is checked with.
RULES: dict[type[Any], Callable[[Replay, Any, _At], bytes]] = {
    SignerAdded: Replay._signer_added,
    SignerRevoked: Replay._signer_revoked,
    WitnessAdded: Replay._witness_added,
    WitnessRemoved: Replay._witness_changed,
    WitnessUpdated: Replay._witness_changed,
    SourceRegistered: Replay._source,
    FigureDefined: Replay._figure_defined,
    CaseDefined: Replay._case,
    ClaimRecorded: Replay._claim,
    ClaimCorrected: Replay._followup,
    ClaimRetracted: Replay._followup,
    DocumentArchived: Replay._document,
    ClaimRedacted: Replay._redacted,
    DocumentWithheld: Replay._withheld,
}


class _NoDocuments:
    """No archive: every document is missing."""

    def digests(self, sha256: str) -> tuple[str, str] | None:
        return None

    def text(self, sha256: str) -> str | None:
        return None


def _canonical_value(figure: FigureState, written: str) -> None:
    """A signed value parses for its figure and is in the one form the commands sign."""
    if policy.value_for(figure, written).written != written:
        raise VerificationError(f"the value {written!r} is not in its canonical written form")


def _where(ident: UUID, version: int, expected: UUID | str, expected_version: int) -> None:
    """The event is stored at the aggregate and version its body determines (`expected`:
    a UUID, or a claim id's 32 hex digits)."""
    wanted = expected if isinstance(expected, str) else expected.hex
    if version != expected_version or ident.hex != wanted:
        raise VerificationError(
            f"the event is stored as version {version} of aggregate {ident.hex}, not where its "
            f"signed body puts it (version {expected_version} of {wanted})")
