"""Pass 1 of an import: every line validated in file order, with the same checks as the
single commands, and its new event built and staged."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from tally.ledger.application import Ledger
from tally.ledger.dispatch import handle
from tally.ledger.errors import (
    ForeignLedgerError,
    ImportFileError,
    InputError,
    LedgerError,
    SignatureError,
    UnknownClaimError,
)
from tally.ledger.evidence.transfer import StagedDocuments, archive_record
from tally.ledger.handlers import (
    BAD_SIGNATURE,
    Context,
    Deferred,
    prepare_correction,
    prepare_retraction,
)
from tally.ledger.importer.line_workers import Refused, Setting, read_lines
from tally.ledger.importer.lines import parse_line
from tally.ledger.importer.lookups import ImportLookups
from tally.ledger.importer.staging import ClaimState, Staging
from tally.ledger.importer.summary import ImportSummary
from tally.ledger.infra.signature_pool import SignatureQueue
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.model.events import (
    CLAIM_TOPIC,
    Aggregate,
    Claim,
)
from tally.ledger.model.inputs import (
    CorrectionRecord,
    DocumentRecord,
    RedactionRecord,
    ReportRecord,
    RetractionRecord,
    WithholdingRecord,
)
from tally.ledger.model.policy import followup_is_new, signer_may_sign
from tally.ledger.orders import claim_leaves, field_commitments, redact_claim
from tally.ledger.progress import Progress
from tally.ledger.reports import (
    Draft,
    PreparedClaim,
    already_recorded,
    claim_from_draft,
    prepare_claim,
)

CHUNK = 2000  # lines whose new claims are looked up in the store together
FOREIGN = ("import the file into a ledger made with the same --name and operator key, or "
           "drop its lines' ledger, signer and signature fields and import with --key NAME")
MAX_PROBLEMS = 20  # refused lines reported by one run before it stops looking
SIGNATURES = 512  # pre-signed lines per job for the signature worker processes
PROGRESS_EVERY = 1000


def _claim_event(cls: Any, claim: UUID, version: int, **fields: Any) -> Any:
    """One of Claim's events, built as the aggregate builds it (eventsourcing turns event
    classes into dataclasses at run time, so their fields are keyword arguments)."""
    return cls(originator_id=claim, originator_version=version,
               timestamp=cls.create_timestamp(), **fields)


@dataclass
class _Staged:
    """One line's new event, held until its chunk is resolved."""

    number: int
    kind: str
    event: Any  # a domain event, mapped when the chunk is written
    claim: ClaimState | None = None  # for a report: the claim it records


class _Enough(Exception):
    """MAX_PROBLEMS lines are refused: the import stops looking for more."""


class Validator:
    def __init__(self, ledger: Ledger, key: KeyPair | None, staging: Staging,
                 progress: Progress | None, total: int) -> None:
        self.ledger = ledger
        self.key = key
        self.staging = staging
        self.progress = progress
        self.total = total
        self.lookups = ImportLookups(ledger)
        # documents of this file are found by the report lines after them
        self.documents = StagedDocuments(staging.db, ledger.archive.get)
        self.ctx: Context = dataclasses.replace(
            ledger.context(), documents=self.documents.get,
            withholding_follows=lambda sha: sha in self.unordered)
        self.summary = ImportSummary()
        self.problems: list[ImportFileError] = []
        self.to_store = ledger.events.to_stored
        # this chunk's new events in line order, and the claims it created or changed
        self.staged: list[_Staged] = []
        self.claims: dict[UUID, ClaimState] = {}
        # the pre-signed lines' signatures, checked in the worker processes meanwhile
        self.signatures = SignatureQueue(SIGNATURES)
        # take-down orders: what the ledger erases once the file is in, and the withheld
        # documents (line numbers) whose order has not come yet
        self.redacted: list[str] = []
        self.bodies: dict[str, list[str]] = {}  # claim id -> leaf hashes whose bodies go
        self.withheld: list[str] = []
        self.unordered: dict[str, int] = {}
        # the lines that take more than their handler (`_registration` takes the rest)
        self._lines: dict[type[Any], Callable[[int, Any, Deferred], None]] = {
            ReportRecord: self._report, CorrectionRecord: self._followup,
            RetractionRecord: self._followup, DocumentRecord: self._document,
            RedactionRecord: self._redaction, WithholdingRecord: self._withholding}

    def run(self, lines: Iterable[bytes]) -> ImportSummary:
        """Validate every line; refuses (ImportFileError) naming every bad line, up to
        MAX_PROBLEMS of them, in file order. A refused line adds nothing for the lines
        after it to build on, so they are checked as if it were not in the file."""
        with contextlib.suppress(_Enough):
            self._validate(lines)
        if self.problems:
            raise ImportFileError.of_lines(self.problems)
        return self.summary

    def _refuse(self, problem: ImportFileError) -> None:
        self.problems.append(problem)
        if len(self.problems) >= MAX_PROBLEMS:
            raise _Enough

    def _validate(self, lines: Iterable[bytes]) -> None:
        number = 0
        for number, raw, read in read_lines(lines, Setting.of(self.ctx, self.key)):
            if isinstance(read, Refused):
                # this line has nothing pending: settle every line before it, the one just
                # before included (a new claim there may be refused, e.g. a revoked signer's)
                self._first_error_before(number)
                self._refuse(read.error(number))
                continue
            if self.progress and (number % PROGRESS_EVERY == 0 or number == 1):
                self.progress("validating", number, self.total)
            if read is None:
                continue
            self.summary.lines += 1
            try:
                self._line(number, raw, read)
            except ImportFileError as e:
                self._first_error_before(number)
                self._refuse(e)
            except ForeignLedgerError as e:
                # the lines after it were signed for that ledger too, or build on one that
                # was: the cause once, not once a line with what it brings down
                self._first_error_before(number)
                self.problems.append(ImportFileError(f"line {number}: {e.message}; {FOREIGN}",
                                                     line=number, field=e.field))
                raise _Enough from None
            except LedgerError as e:
                self._first_error_before(number)
                self._refuse(ImportFileError(f"line {number}: {e.message}", line=number,
                                             field=e.field))
            if len(self.staged) >= CHUNK:
                self._flush()
        if self.progress and number % PROGRESS_EVERY and number:
            self.progress("validating", number, self.total)
        self._flush()
        self._check_signatures(None)
        for sha, line in self.unordered.items():
            self._refuse(ImportFileError(
                f"line {line}: document {sha} comes without its bytes, and no withholding "
                "order for it follows in the file", line=line, field="data"))

    # -- one line -----------------------------------------------------------------------

    def _line(self, number: int, raw: bytes, read: Any) -> None:
        defer: Deferred = []
        try:
            if isinstance(read, Draft):
                self._drafted(number, raw, read, defer)
            else:
                self._lines.get(type(read), self._registration)(number, read, defer)
        finally:
            for item in defer:
                self.signatures.add(number, item)

    def _registration(self, number: int, record: Any, defer: Deferred) -> None:
        """A source, figure, signer, revocation or witness line, through its one handler
        (`ledger.dispatch`), as the single commands take it."""
        self._stage(number, record.type, handle(self.lookups, self.ctx, record, self.key, defer))

    def _stage(self, number: int, kind: str, made: Aggregate | None) -> None:
        """Stage a definition's new events, or count the line as already recorded."""
        if made is None:
            self._skipped()
            return
        for event in made.collect_events():
            self.staged.append(_Staged(number, kind, event))
        self._added(kind)

    def _document(self, number: int, record: DocumentRecord, defer: Deferred) -> None:
        made = archive_record(self.lookups, self.ctx, record, self.key, defer)
        if made is None:
            self._skipped()
            return
        document, stored = made
        if stored is None:
            self.unordered[record.sha256] = number  # its withholding must follow
        else:
            self.documents.put(record.sha256, stored)
        for event in document.collect_events():
            self.staged.append(_Staged(number, "document", event))
        self._added("document")

    def _drafted(self, number: int, raw: bytes, draft: Draft, defer: Deferred) -> None:
        """A report drafted in a worker process: the look-ups' checks here, in file order,
        or the whole line again when the draft's assumptions do not hold."""
        prepared = claim_from_draft(self.lookups, self.ctx, draft, defer)
        if prepared is None:
            record = parse_line(number, raw)
            assert isinstance(record, ReportRecord)
            self._report(number, record, defer)
        else:
            self._new_claim(number, draft.figure, prepared)

    def _report(self, number: int, record: ReportRecord, defer: Deferred) -> None:
        self._new_claim(number, record.figure, prepare_claim(self.lookups, self.ctx, record,
                                                         self.key, defer))

    def _new_claim(self, number: int, figure: str, prepared: PreparedClaim) -> None:
        claim_uuid, body, signature, signer = (prepared.uuid, prepared.body,
                                               prepared.signature, prepared.signer)
        # a claim new to this chunk is looked up in this file and the ledger with the
        # others of its chunk (`_resolve`), which also refuses it if its signer is revoked;
        # one already seen is settled here
        existing = self.claims.get(claim_uuid)
        if existing is not None:
            already_recorded(claim_uuid, existing.signature, signature)
            self._skipped()
            return
        # the body names this figure and this signer (see handlers.sign_or_verify)
        state = ClaimState(claim_uuid, figure, signer.key_id, signature, 1, False, [],
                            line=number, tentative=True, revoked=signer.revoked)
        self.claims[claim_uuid] = state
        event = _claim_event(Claim.Recorded, claim_uuid, 1, originator_topic=CLAIM_TOPIC,
                             body=body, signature=signature)
        self.staged.append(_Staged(number, "report", event, state))
        self.staging.add_disclosures(prepared.disclosures)
        self._added("report")

    def _withholding(self, number: int, record: WithholdingRecord, defer: Deferred) -> None:
        """A take-down order: what it takes down is erased once the file is appended."""
        made = handle(self.lookups, self.ctx, record, self.key, defer)
        self.unordered.pop(record.sha256, None)
        self.withheld.append(record.sha256)
        self._stage(number, record.type, made)

    def _redaction(self, number: int, record: RedactionRecord, defer: Deferred) -> None:
        """A take-down order: what it takes down is erased once the file is appended."""
        claim_id = self.ledger.resolve_claim(record.claim) if len(record.claim) != 32 \
            else record.claim
        record = record.model_copy(update={"claim": claim_id})
        if record.field == "body":
            self._body_withholding(number, record, defer)
            return
        body = self._claim_body(UUID(hex=claim_id))
        if body is None:
            raise UnknownClaimError(f"claim {claim_id} is not in this ledger")
        commitments, order = redact_claim(
            self.lookups, self.ctx, field_commitments(claim_id, body, record.field), record,
            self.key, defer)
        self.redacted.extend(commitments)
        self._stage(number, record.type, order)

    def _body_withholding(self, number: int, record: RedactionRecord,
                          defer: Deferred) -> None:
        """An order withholding a claim's whole body, of a claim this ledger holds: its
        events become stubs once the file is in. An export of a ledger carries such an
        order but not the claim, so a copy the export is imported into skips it."""
        leaves = claim_leaves(self.ledger.events, record.claim)
        if not leaves:
            if self._claim(UUID(hex=record.claim), resolve=False) is not None:
                raise InputError(f"the order withholds claim {record.claim}, recorded in "
                                 "this same file: import the file first, then the order",
                                 field="claim")
            self.summary.not_held += 1
            return
        commitments, order = redact_claim(self.lookups, self.ctx, list(leaves), record,
                                          self.key, defer)
        self.bodies[record.claim] = commitments
        self._stage(number, record.type, order)

    def _claim_body(self, uuid: UUID) -> str | None:
        """A claim's signed body: from this chunk, this file's staging, or the ledger."""
        for staged in self.staged:
            if staged.kind == "report" and staged.event.originator_id == uuid:
                return str(staged.event.body)
        found = self.staging.claim_body(uuid)
        if found is not None:
            return found
        claim = self.lookups.find_claim(uuid)
        return None if claim is None else claim.body

    def _followup(self, number: int, record: CorrectionRecord | RetractionRecord,
                  defer: Deferred) -> None:
        claim_id = record.claim if len(record.claim) == 32 else self.ledger.resolve_claim(
            record.claim)
        claim = self._claim(UUID(hex=claim_id), resolve=True)
        if claim is None:
            raise UnknownClaimError(f"claim {claim_id} is not in this ledger")
        event: Any
        if isinstance(record, CorrectionRecord):
            followup_id, body, signature, signer = prepare_correction(
                self.lookups, self.ctx, claim, record, self.key, defer)
            if not followup_is_new(claim, followup_id, signer, correcting=True):
                self._skipped()
                return
            event = _claim_event(Claim.Corrected, claim.uuid, claim.version + 1,
                                 body=body, signature=signature)
        else:
            followup_id, body, signature, signer = prepare_retraction(
                self.lookups, self.ctx, claim, record, self.key, defer)
            if not followup_is_new(claim, followup_id, signer, correcting=False):
                self._skipped()
                return
            event = _claim_event(Claim.Retracted, claim.uuid, claim.version + 1,
                                 body=body, signature=signature)
            claim.retracted = True
        claim.version += 1
        claim.followups.append(followup_id)
        self.claims[claim.uuid] = claim
        self.staged.append(_Staged(number, record.type, event))
        self._added(record.type)

    def _added(self, kind: str) -> None:
        self.summary.added += 1
        self.summary.by_type[kind] = self.summary.by_type.get(kind, 0) + 1

    def _skipped(self) -> None:
        self.summary.skipped += 1

    # -- claims: this chunk, this file, the ledger -----------------------------------------

    def _claim(self, uuid: UUID, *, resolve: bool) -> ClaimState | None:
        """A claim's state; `resolve` settles whether a claim new in this chunk is in the
        ledger already (a follow-up must build on the ledger's version if it is)."""
        found = self.claims.get(uuid)
        if found is not None:
            if found.tentative and resolve:
                # settle the whole chunk so far: one look-up instead of one per follow-up
                self._resolve([c for c in self.claims.values() if c.tentative])
                return self.claims.get(uuid) or self._claim(uuid, resolve=True)
            return found
        found = self.staging.claim(uuid)
        if found is not None:
            return found
        if resolve:
            return self._stored_claim(uuid)
        return None

    def _stored_claim(self, uuid: UUID) -> ClaimState | None:
        claim: Any = self.ledger.events.get(uuid)
        if not isinstance(claim, Claim):
            return None
        return ClaimState(uuid, claim.figure, claim.signer, claim.signature, claim.version,
                           claim.retracted, list(claim.followups))

    def _resolve(self, tentative: list[ClaimState]) -> None:
        """Settle whether claims new to this chunk were recorded by an earlier chunk of this
        file or in the ledger before: then their lines are no-ops, or conflicts."""
        if not tentative:
            return
        uuids = [c.uuid for c in tentative]
        in_file = self.staging.known(uuids)
        rest = [u for u in uuids if u not in in_file]
        stored = self.ledger.events.existing(rest) if rest else set()
        for state in tentative:
            state.tentative = False
            if state.uuid not in stored and state.uuid not in in_file:
                if state.revoked:  # new, so its signer must not be revoked
                    self._check_signatures(state.line)
                    try:
                        signer_may_sign(self.lookups.signer(state.signer), state.signer)
                    except LedgerError as e:
                        self._refuse(ImportFileError(f"line {state.line}: {e.message}",
                                                     line=state.line, field=e.field))
                continue
            self._check_signatures(state.line)
            earlier = (self.staging.claim(state.uuid) if state.uuid in in_file
                       else self._stored_claim(state.uuid))
            assert earlier is not None
            try:
                already_recorded(state.uuid, earlier.signature, state.signature)
            except LedgerError as e:
                self._refuse(ImportFileError(f"line {state.line}: {e.message}",
                                             line=state.line, field=e.field))
            del self.claims[state.uuid]
            self.staged = [s for s in self.staged if s.claim is not state]
            self.summary.added -= 1
            self.summary.skipped += 1
            self.summary.by_type["report"] -= 1
            if not self.summary.by_type["report"]:
                del self.summary.by_type["report"]

    def _flush(self) -> None:
        """Settle this chunk's new claims and move its events to the staging file."""
        self._resolve([c for c in self.claims.values() if c.tentative])
        # the signature checks sent before the last job are done by now (or nearly)
        jobs = self.signatures.jobs
        if len(jobs) > 1:
            self._check_signatures(jobs[-1][0][0] - 1)
        self.staging.add_events([self.to_store(s.event) for s in self.staged])
        for state in self.claims.values():
            state.line = 0
        self.staging.put_claims(self.claims.values())
        self.staged, self.claims = [], {}

    def _first_error_before(self, number: int) -> None:
        """Before refusing line `number`, refuse an earlier line whose check was pending."""
        self._resolve([c for c in self.claims.values() if c.tentative and c.line < number])
        self._check_signatures(number)

    # -- signatures in the worker processes ----------------------------------------------------

    def _check_signatures(self, upto: int | None) -> None:
        """Wait for the checks of the lines up to `upto` (all with None); refuse the first bad."""
        for bad in self.signatures.all_bad(upto):
            self._refuse(ImportFileError(f"line {bad}: {BAD_SIGNATURE}", line=bad,
                                         field=SignatureError(BAD_SIGNATURE).field))


