"""Bulk import of JSONL files: validate every line first, then append in batches.

Nothing is written unless the whole file is valid: the first bad line stops the
import with its line number and field. Then the events are appended in batches,
one transaction each; a crash leaves whole batches, and running the import
again skips what is already recorded.

How a million lines stay fast and flat in memory:

- Pass 1 validates line by line, in file order, with the same checks as the single
  commands (`ledger.commands`), and builds each new event directly (a claim's
  `Claim.Recorded`, `Corrected` or `Retracted`, exactly as the aggregate would) and
  maps it to its stored form at once. The stored events go to a private temporary
  SQLite file (the staging area), not to memory, nor to the ledger.
- Pre-signed lines have their signatures checked in worker processes
  (`infra.signature_pool.SignatureQueue`), overlapping the validation of the next lines. Any
  refusal waits for the checks of the lines before it, so the error named is always
  that of the first bad line, as if every line were checked in turn.
- Whether a new claim is already in the ledger is asked once per chunk of lines
  (`Ledger.existing`), not once per line. Claims recorded in this file, and the
  state that later follow-ups need (figure, signer, version, follow-ups,
  retracted), also live in the staging file.
- Pass 2 streams the staged events into the event store in batches
  (`Journal.append_stored`), each followed by the Merkle log and read-model catch-up;
  the figures they touched are recomputed once, after the last batch.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from tally.ledger.application import Ledger
from tally.ledger.commands import (
    BAD_SIGNATURE,
    Context,
    Deferred,
    add_signer,
    add_witness,
    already_recorded,
    define_figure,
    define_source,
    prepare_claim,
    prepare_correction,
    prepare_retraction,
    revoke_signer,
)
from tally.ledger.errors import (
    ImportFileError,
    LedgerError,
    SignatureError,
    UnknownClaimError,
    UnknownFigureError,
)
from tally.ledger.evidence.transfer import StagedDocuments, archive_record
from tally.ledger.infra.eventstore import StoredEvent
from tally.ledger.infra.keystore import KeyPair
from tally.ledger.infra.signature_pool import SignatureQueue
from tally.ledger.infra.storage import in_chunks
from tally.ledger.lookups import Registry
from tally.ledger.model.events import (
    CLAIM_TOPIC,
    Aggregate,
    Claim,
    Figure,
    Signer,
    Source,
    as_uuid,
    registry_uuid,
)
from tally.ledger.model.input_errors import describe
from tally.ledger.model.inputs import (
    RECORD,
    CorrectionRecord,
    DocumentRecord,
    FigureRecord,
    ReportRecord,
    RetractionRecord,
    RevocationRecord,
    SignerRecord,
    SourceRecord,
    WitnessRecord,
)
from tally.ledger.model.policy import followup_is_new, signer_may_sign
from tally.ledger.model.suggest import hint
from tally.ledger.progress import Progress

MAX_LINE_BYTES = 1 << 20
MAX_DOCUMENT_LINE_BYTES = 256 << 20  # a `document` line carries a document of up to 50 MiB
BATCH = 1000  # events per append transaction
CHUNK = 2000  # lines whose new claims are looked up in the store together
MAX_PROBLEMS = 20  # refused lines reported by one run before it stops looking
SIGNATURES = 512  # pre-signed lines per job for the signature worker processes
PROGRESS_EVERY = 1000



@dataclass
class ImportSummary:
    lines: int = 0
    added: int = 0
    skipped: int = 0
    by_type: dict[str, int] = field(default_factory=dict)


Line = (SourceRecord | FigureRecord | ReportRecord | CorrectionRecord | RetractionRecord
        | SignerRecord | RevocationRecord | WitnessRecord | DocumentRecord)


def parse_line(number: int, raw: bytes) -> Line | None:
    """One JSONL line as a validated record (None for a blank line)."""
    if len(raw) > MAX_DOCUMENT_LINE_BYTES:
        raise ImportFileError(f"line {number} is longer than 1 MiB (256 MiB for a document)",
                              line=number)
    if not raw.strip():
        return None
    if b"\x00" in raw:
        raise ImportFileError(f"line {number} contains a NUL byte", line=number)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportFileError(f"line {number} is not valid UTF-8", line=number) from None
    try:
        record = RECORD.validate_json(raw)
    except ValidationError as e:
        if e.errors()[0]["type"] == "json_invalid":
            raise ImportFileError(f"line {number} is not valid JSON", line=number) from None
        if len(raw) > MAX_LINE_BYTES and e.errors()[0]["loc"][:1] != ("document",):
            raise ImportFileError(f"line {number} is longer than 1 MiB", line=number) from None
        message, fieldname = describe(e)
        raise ImportFileError(f"line {number}: {message}", line=number, field=fieldname) from None
    if len(raw) > MAX_LINE_BYTES and not isinstance(record, DocumentRecord):
        raise ImportFileError(f"line {number} is longer than 1 MiB", line=number)
    return record


def import_lines(
    ledger: Ledger,
    lines: Iterable[bytes],
    key: KeyPair | None,
    progress: Progress | None = None,
    total: int = 0,
) -> ImportSummary:
    """Validate every line, then append; raises ImportFileError before writing anything."""
    with _Staging() as staging:
        validator = _Validator(ledger, key, staging, progress, total)
        summary = validator.run(lines)
        # the bytes first, then the events that sign them (as `tally documents add` does)
        for sha, stored in validator.documents:
            ledger.archive.put(sha, stored.data, stored.text)
        appended = 0
        count = staging.count()
        for batch in staging.batches(BATCH):
            # the read model recomputes the figures all batches touched once, at the end
            ledger.journal.append_stored(batch, settle=False)
            appended += len(batch)
            if progress:
                progress("appending", appended, count)
        if appended:
            ledger.journal.after_write(progress=progress)
    return summary


# -- the staging file ----------------------------------------------------------------------


@dataclass
class _ClaimState:
    """What follow-ups need of a claim: from this file or from the ledger."""

    uuid: UUID
    figure: str
    signer: str
    signature: str
    version: int
    retracted: bool
    followups: list[str]
    line: int = 0  # the line that records it, while its presence in the ledger is unknown
    tentative: bool = False
    revoked: bool = False  # its signer is revoked: refused unless it is recorded already

    @property
    def claim_id(self) -> str:
        return self.uuid.hex


class _Staging:
    """A private temporary SQLite file: the validated events, and the claims of this file."""

    def __init__(self) -> None:
        fd, self.path = tempfile.mkstemp(prefix="tally-import-", suffix=".db")
        os.close(fd)
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("PRAGMA cache_size=-8192")
        self.db.execute("BEGIN")
        self.db.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, id BLOB, version INTEGER, "
                        "topic TEXT, state BLOB)")
        self.db.execute("CREATE TABLE claims (id BLOB PRIMARY KEY, figure TEXT, signer TEXT, "
                        "signature TEXT, version INTEGER, retracted INTEGER, followups TEXT)")

    def __enter__(self) -> _Staging:
        return self

    def __exit__(self, *_: object) -> None:
        self.db.close()
        for suffix in ("", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path + suffix)

    def add_events(self, events: list[StoredEvent]) -> None:
        self.db.executemany(
            "INSERT INTO events (id, version, topic, state) VALUES (?, ?, ?, ?)",
            [(as_uuid(e.originator_id).bytes, e.originator_version, e.topic, e.state)
             for e in events])

    def put_claims(self, claims: Iterable[_ClaimState]) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(c.uuid.bytes, c.figure, c.signer, c.signature, c.version, int(c.retracted),
              "\n".join(c.followups)) for c in claims])

    def claim(self, uuid: UUID) -> _ClaimState | None:
        row = self.db.execute("SELECT figure, signer, signature, version, retracted, followups "
                              "FROM claims WHERE id = ?", (uuid.bytes,)).fetchone()
        if row is None:
            return None
        return _ClaimState(uuid, row[0], row[1], row[2], row[3], bool(row[4]),
                           row[5].split("\n") if row[5] else [])

    def known(self, uuids: list[UUID]) -> set[UUID]:
        found: set[UUID] = set()
        for chunk in in_chunks([u.bytes for u in uuids]):
            marks = ", ".join("?" * len(chunk))
            found.update(UUID(bytes=r[0]) for r in self.db.execute(
                f"SELECT id FROM claims WHERE id IN ({marks})", chunk))
        return found

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM events").fetchone()[0])

    def batches(self, size: int) -> Iterator[list[StoredEvent]]:
        self.db.execute("COMMIT")
        cursor = self.db.execute("SELECT id, version, topic, state FROM events ORDER BY seq")
        while True:
            rows = cursor.fetchmany(size)
            if not rows:
                return
            yield [StoredEvent(originator_id=UUID(bytes=r[0]), originator_version=r[1],
                               topic=r[2], state=r[3]) for r in rows]


# -- figures without their aggregates ---------------------------------------------------------


class _FigureView:
    """What validation needs of a figure: its definition, without the aggregate."""

    __slots__ = ("_definition", "figure_id", "integer", "kind", "states")

    def __init__(self, definition: dict[str, Any]) -> None:
        self._definition = definition
        self.figure_id: str = definition["figure_id"]
        self.kind: str = definition["kind"]
        self.states: list[str] = list(definition["states"])
        self.integer: bool = definition["integer"]

    def definition(self) -> dict[str, Any]:
        d = dict(self._definition)
        d["parts"], d["states"] = list(d["parts"]), list(d["states"])
        return d


class _ImportRegistry(Registry):
    """The registry of one import: figures kept as small views, not as aggregates."""

    def __init__(self, ledger: Ledger) -> None:
        super().__init__(ledger.events.get, ledger.directory.figure_ids,
                         ledger.directory.source_ids, ledger.directory.signer_names)
        self.figures: dict[str, _FigureView | None] = {}
        self._by_name: dict[tuple[str, str], Any] = {}

    def find_source(self, source_id: str) -> Source | None:
        key = ("source", source_id)
        if key not in self._by_name:
            self._by_name[key] = super().find_source(source_id)
        return self._by_name[key]  # type: ignore[no-any-return]

    def find_signer(self, key_id: str) -> Signer | None:
        key = ("signer", key_id)
        if key not in self._by_name:
            self._by_name[key] = super().find_signer(key_id)
        return self._by_name[key]  # type: ignore[no-any-return]

    def find_figure(self, figure_id: str) -> Figure | None:
        if figure_id not in self.figures:
            found = super().find_figure(figure_id)
            self._memo.pop(registry_uuid("figure", figure_id), None)
            self.figures[figure_id] = None if found is None else _FigureView(found.definition())
        return self.figures[figure_id]  # type: ignore[return-value]

    def figure(self, figure_id: str) -> Figure:
        found = self.find_figure(figure_id)
        if found is None:
            # the same refusal and hint as Registry.figure, counting this file's figures
            known = self._figure_ids() + [f for f, v in self.figures.items() if v is not None]
            raise UnknownFigureError(f"figure {figure_id!r} is not defined"
                                     + hint(figure_id, known,
                                            "define it with 'tally figures define'"))
        return found

    def stage(self, aggregate: Aggregate) -> None:
        if isinstance(aggregate, Figure):
            self.figures[aggregate.figure_id] = _FigureView(aggregate.definition())
            return
        if isinstance(aggregate, Source):
            self._by_name[("source", aggregate.source_id)] = aggregate
        if isinstance(aggregate, Signer):
            self._by_name[("signer", aggregate.key_id)] = aggregate
        super().stage(aggregate)


# -- pass 1 -------------------------------------------------------------------------------------


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
    claim: _ClaimState | None = None  # for a report: the claim it records


class _Enough(Exception):
    """MAX_PROBLEMS lines are refused: the import stops looking for more."""


class _Validator:
    def __init__(self, ledger: Ledger, key: KeyPair | None, staging: _Staging,
                 progress: Progress | None, total: int) -> None:
        self.ledger = ledger
        self.key = key
        self.staging = staging
        self.progress = progress
        self.total = total
        self.registry = _ImportRegistry(ledger)
        # documents of this file are found by the report lines after them
        self.documents = StagedDocuments(staging.db, ledger.archive.get)
        self.ctx: Context = dataclasses.replace(ledger.context(), documents=self.documents.get)
        self.summary = ImportSummary()
        self.problems: list[ImportFileError] = []
        self.to_store = ledger.events.to_stored
        # this chunk's new events in line order, and the claims it created or changed
        self.staged: list[_Staged] = []
        self.claims: dict[UUID, _ClaimState] = {}
        # the pre-signed lines' signatures, checked in the worker processes meanwhile
        self.signatures = SignatureQueue(SIGNATURES)

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
        for number, raw in enumerate(lines, start=1):
            try:
                record = parse_line(number, raw)
            except ImportFileError as e:
                # this line has nothing pending: settle every line before it, the one just
                # before included (a new claim there may be refused, e.g. a revoked signer's)
                self._first_error_before(number)
                self._refuse(e)
                continue
            if self.progress and (number % PROGRESS_EVERY == 0 or number == 1):
                self.progress("validating", number, self.total)
            if record is None:
                continue
            self.summary.lines += 1
            try:
                self._line(number, record)
            except ImportFileError as e:
                self._first_error_before(number)
                self._refuse(e)
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

    # -- one line -----------------------------------------------------------------------

    def _line(self, number: int, record: Any) -> None:
        defer: Deferred = []
        try:
            if isinstance(record, SignerRecord | RevocationRecord | WitnessRecord):
                self._operator_line(number, record, defer)
            elif isinstance(record, SourceRecord | FigureRecord):
                self._definition(number, record, defer)
            elif isinstance(record, ReportRecord):
                self._report(number, record, defer)
            elif isinstance(record, DocumentRecord):
                self._document(number, record, defer)
            else:
                self._followup(number, record, defer)
        finally:
            for item in defer:
                self.signatures.add(number, item)

    def _definition(self, number: int, record: SourceRecord | FigureRecord,
                    defer: Deferred) -> None:
        made = (define_source(self.registry, self.ctx, record, self.key, defer)
                if isinstance(record, SourceRecord)
                else define_figure(self.registry, self.ctx, record, self.key, defer))
        self._stage(number, record.type, made)

    def _operator_line(self, number: int, record: SignerRecord | RevocationRecord | WitnessRecord,
                       defer: Deferred) -> None:
        """A signer, revocation or witness line: the operator key's statements."""
        made: Aggregate | None
        if isinstance(record, SignerRecord):
            made = add_signer(self.registry, self.ctx, record, self.key, defer)
        elif isinstance(record, RevocationRecord):
            made = revoke_signer(self.registry, self.ctx, record, self.key, defer)
        else:
            made = add_witness(self.registry, self.ctx, record, self.key, defer)
        self._stage(number, record.type, made)

    def _stage(self, number: int, kind: str, made: Aggregate | None) -> None:
        """Stage a definition's new events, or count the line as already recorded."""
        if made is None:
            self._skipped()
            return
        for event in made.collect_events():
            self.staged.append(_Staged(number, kind, event))
        self._added(kind)

    def _document(self, number: int, record: DocumentRecord, defer: Deferred) -> None:
        made = archive_record(self.registry, self.ctx, record, self.key, defer)
        if made is None:
            self._skipped()
            return
        document, stored = made
        self.documents.put(record.sha256, stored)
        for event in document.collect_events():
            self.staged.append(_Staged(number, "document", event))
        self._added("document")

    def _report(self, number: int, record: ReportRecord, defer: Deferred) -> None:
        claim_uuid, body, signature, _, signer = prepare_claim(
            self.registry, self.ctx, record, self.key, defer)
        # a claim new to this chunk is looked up in this file and the ledger with the
        # others of its chunk (`_resolve`), which also refuses it if its signer is revoked;
        # one already seen is settled here
        existing = self.claims.get(claim_uuid)
        if existing is not None:
            already_recorded(claim_uuid, existing.signature, signature)
            self._skipped()
            return
        # the body names this figure and this signer (see commands._sign_or_verify)
        state = _ClaimState(claim_uuid, record.figure, signer.key_id, signature, 1, False, [],
                            line=number, tentative=True, revoked=signer.revoked)
        self.claims[claim_uuid] = state
        event = _claim_event(Claim.Recorded, claim_uuid, 1, originator_topic=CLAIM_TOPIC,
                             body=body, signature=signature)
        self.staged.append(_Staged(number, "report", event, state))
        self._added("report")

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
                self.registry, self.ctx, claim, record, self.key, defer)
            if not followup_is_new(claim, followup_id, signer, correcting=True):
                self._skipped()
                return
            event = _claim_event(Claim.Corrected, claim.uuid, claim.version + 1,
                                 body=body, signature=signature)
        else:
            followup_id, body, signature, signer = prepare_retraction(
                self.registry, self.ctx, claim, record, self.key, defer)
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

    def _claim(self, uuid: UUID, *, resolve: bool) -> _ClaimState | None:
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

    def _stored_claim(self, uuid: UUID) -> _ClaimState | None:
        claim: Any = self.ledger.events.get(uuid)
        if not isinstance(claim, Claim):
            return None
        return _ClaimState(uuid, claim.figure, claim.signer, claim.signature, claim.version,
                           claim.retracted, list(claim.followups))

    def _resolve(self, tentative: list[_ClaimState]) -> None:
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
                        signer_may_sign(self.registry.signer(state.signer), state.signer)
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


