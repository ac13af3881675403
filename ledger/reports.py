"""Recording a report: checking it against the registered figure, sources and documents,
and building its signed body (format v2: the erasable fields committed, their
disclosures returned to be stored beside it), or checking a line signed elsewhere.

A line signed elsewhere gives its salts (a fully disclosed v2 claim, as `tally export`
writes it) and is rebuilt like a new report; or, when an order took some of its fields
down, it carries the signed body itself and what is still disclosed (`_as_signed`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol
from uuid import UUID

from pydantic import ValidationError

from tally.ledger.errors import (
    InputError,
    InvalidValueError,
    LedgerError,
    SignatureError,
    VerificationError,
)
from tally.ledger.evidence import anchors
from tally.ledger.evidence.document_checks import anchored_quote, stored_text
from tally.ledger.handlers import (
    Context,
    Deferred,
    checked_signature,
    sign_or_verify,
    signing_key_id,
)
from tally.ledger.integrity import disclosure, signing
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.lookups import Lookups
from tally.ledger.model.bodies import claim_body
from tally.ledger.model.events import Claim, Document, Signer
from tally.ledger.model.input_errors import describe
from tally.ledger.model.inputs import ReportRecord
from tally.ledger.model.policy import check_dates, signer_may_sign, value_for
from tally.ledger.model.statements import ClaimRecorded, parse_statement
from tally.ledger.model.values import Quantity, Status, parse_value


@dataclass(frozen=True)
class PreparedClaim:
    """A report checked and signed (or its signature checked): what recording it needs."""

    uuid: UUID
    body: str
    signature: str
    value: Quantity | Status
    signer: Signer
    disclosures: tuple[str, ...]  # format v2: stored beside the body


def prepare_claim(lookups: Lookups, ctx: Context, record: ReportRecord,
                  key: KeyPair | None, defer: Deferred | None = None) -> PreparedClaim:
    """Check a report and build its signed body (format v2: its erasable fields committed).

    Unless the claim is already recorded, the caller must ask `signer_may_sign(signer)`."""
    if record.body is not None:
        return _as_signed(lookups, ctx, record, defer)
    value = _checked(lookups, ctx, record)
    document = (None if record.document_sha256 is None
                else lookups.find_document(record.document_sha256))
    if document is not None and record.url is None and record.signature is None:
        record = record.model_copy(update={"url": document.url})  # where the quote is
    anchor = _anchor(ctx, record, document)
    disclosures: list[str] = []

    def build(signer: str) -> dict[str, Any]:
        body, disclosures[:] = _committed(ctx, record, key, value.written, anchor, signer)
        return body

    signer, body, signature = sign_or_verify(lookups, ctx, record, key, build, defer)
    return PreparedClaim(signing.body_uuid(body), body, signature, value, signer,
                         tuple(disclosures))


def _committed(ctx: Context, record: ReportRecord, key: KeyPair | None, written: str,
               anchor: dict[str, Any] | None, signer: str) -> tuple[dict[str, Any], list[str]]:
    """The report's body as `signer` signs it, and its disclosures (format v2)."""
    plain = claim_body(ctx.ledger_id, signer, record, written, anchor)
    salt_for = _salts(record, key, plain)
    if salt_for is None:
        return plain, []
    return disclosure.commit(plain, salt_for)


class Draft(NamedTuple):
    """A report's signed body built, and signed with the import's key, in a worker process
    (`draft_claim`), without the look-ups. What `claim_from_draft` reads: the record's
    fields the look-ups check, and the body's assumptions it checks."""

    figure: str
    value: str
    as_of: str
    published: str | None
    source: str
    via: list[str]
    document_sha256: str | None
    ledger: str | None
    signer: str | None
    signature: str | None  # the line's own, to be checked
    written: str  # assumed: the value as its figure writes it
    key_id: str  # assumed: the signer's key id (the line's, or the import key's)
    body: str
    signed: str  # the line's signature, or the import key's
    disclosures: tuple[str, ...]


def draft_claim(ctx: Context, record: ReportRecord, key: KeyPair | None) -> Draft | None:
    """`prepare_claim`'s work that needs no look-ups, on two assumptions: the value is
    written as its figure writes it (read as a quantity, or else as a state), and the
    document the report names, if any, is not archived. None for a line with a body
    (`_as_signed`), or one this refuses: then `prepare_claim` refuses it, with the
    look-ups' checks in their order."""
    if record.body is not None:
        return None
    try:
        value = _guessed_value(record.value)
        check_dates(record.as_of, record.published, ctx.today)
        anchor = _anchor(ctx, record, None)
        key_id = signing_key_id(ctx, record, key)
        fields, disclosures = _committed(ctx, record, key, value.written, anchor, key_id)
    except LedgerError:
        return None
    body = signing.canonical(fields)
    signed = record.signature
    if signed is None:
        assert key is not None  # signing_key_id refused the line otherwise
        signed = signing.sign(key.private_key, body)
    return Draft(record.figure, record.value, record.as_of, record.published, record.source,
                 list(record.via), record.document_sha256, record.ledger, record.signer,
                 record.signature, value.written, key_id, body, signed, tuple(disclosures))


def _guessed_value(written: str) -> Quantity | Status:
    """The value as a quantity figure reads it, or else as a state figure without a list
    of states (`claim_from_draft` compares it with what the figure reads)."""
    try:
        return parse_value(written, kind="quantity")
    except InvalidValueError:
        return parse_value(written, kind="status")


def claim_from_draft(lookups: Lookups, ctx: Context, draft: Draft,
                     defer: Deferred | None) -> PreparedClaim | None:
    """`prepare_claim` of a drafted report: the look-ups' checks in the same order, and the
    draft's assumptions checked; None when one does not hold (`prepare_claim` then does it
    all). The line's signature is queued in `defer` as `prepare_claim` queues it."""
    value = value_for(lookups.figure(draft.figure), draft.value)
    if value.written != draft.written:
        return None
    _sources_known(lookups, draft)  # the dates were checked in the draft, as here
    if (draft.document_sha256 is not None
            and lookups.find_document(draft.document_sha256) is not None):
        return None
    signer = lookups.signer(draft.key_id)
    if signer.key_id != draft.key_id:
        return None
    signature = (draft.signed if draft.signature is None
                 else checked_signature(signer, draft.body, draft.signature, defer))
    return PreparedClaim(signing.body_uuid(draft.body), draft.body, signature, value, signer,
                         draft.disclosures)


def _anchor(ctx: Context, record: ReportRecord, document: Document | None
            ) -> dict[str, Any] | None:
    """The anchor the report's quote gets in its document. In a document whose bytes an
    order withheld (or, in an import, whose withholding follows in the file), no new
    quote is anchored; a line signed elsewhere keeps its own anchor, whose place can no
    longer be read (its signature still covers it, and the audit says the document is
    withheld), as `_anchor_in_place` does for a body line."""
    if document is not None and ctx.documents(document.sha256) is None and (
            document.withheld or ctx.withholding_follows(document.sha256)):
        if record.signature is None:
            raise InputError(f"document {document.sha256} was withheld by the operator's "
                             "order: no new quote can be anchored in it",
                             field="document_sha256")
        return record.anchor
    return anchored_quote(record, None if document is None else stored_text(
        document.sha256, document.text_sha256, ctx.documents))


class _Reported(Protocol):
    """What `_checked` and `_sources_known` read of a report (its record, or its `Draft`)."""

    @property
    def figure(self) -> str: ...
    @property
    def value(self) -> str: ...
    @property
    def as_of(self) -> str: ...
    @property
    def published(self) -> str | None: ...
    @property
    def source(self) -> str: ...
    @property
    def via(self) -> list[str]: ...


def _checked(lookups: Lookups, ctx: Context, record: _Reported) -> Quantity | Status:
    """The report's value, after checking its figure, value, dates and sources."""
    value = value_for(lookups.figure(record.figure), record.value)
    check_dates(record.as_of, record.published, ctx.today)
    _sources_known(lookups, record)
    return value


def _sources_known(lookups: Lookups, record: _Reported) -> None:
    lookups.source(record.source)
    for hop in record.via:
        lookups.source(hop, field="via")


def _salts(record: ReportRecord, key: KeyPair | None,
           plain: dict[str, Any]) -> disclosure.SaltFor | None:
    """How a report's erasable fields are salted: with salts only the signing key can
    derive (a new v2 body), with the line's own (a v2 line signed elsewhere), or not at
    all (a v1 line signed elsewhere, as exports before format v2 wrote them)."""
    if record.signature is None and key is not None:
        return salts_of(key, plain)
    if record.salts is None:
        return None
    salts = record.salts

    def given(path: str) -> str:
        if path not in salts:
            raise InputError(f"the line's salts give none for {path}", field="salts")
        return salts[path]
    return given


def salts_of(key: KeyPair, plain: dict[str, Any]) -> disclosure.SaltFor:
    """The salts `key` gives the erasable fields of this plain body (format v2)."""
    return disclosure.keyed_salts(signing.private_seed(key.private_key),
                                  signing.canonical(plain))


def _as_signed(lookups: Lookups, ctx: Context, record: ReportRecord,
               defer: Deferred | None) -> PreparedClaim:
    """A v2 claim line that carries its signed body (some fields taken down by an order):
    the body is checked as a new report's fields are, and each disclosure against its
    commitment; the value, sources and dates are read from the body, never the line."""
    assert record.body is not None
    try:
        statement = parse_statement(record.body, "claim.recorded")
    except VerificationError as e:
        raise InputError(e.message, field="body") from None
    assert isinstance(statement, ClaimRecorded)
    if statement.ledger != ctx.ledger_id:
        raise InputError("the line's body was signed for another ledger", field="body")
    if record.signer is not None and record.signer != statement.signer:
        raise SignatureError("the line's signer is not its body's", field="signer")
    fields = json.loads(record.body)
    # the signature first: what a forged body says is never checked, only refused
    line = record.model_copy(update={"signer": statement.signer})
    signer, body, signature = sign_or_verify(lookups, ctx, line, None,
                                             lambda _: fields, defer)
    committed = disclosure.commitments(fields)
    given = {disclosure.commitment_of(t): t for t in record.disclosures or ()}
    if not set(given) <= set(committed.values()):
        raise InputError("a disclosure matches none of the body's commitments",
                         field="disclosures")
    try:
        opened, _ = disclosure.open_body(fields, given)
    except VerificationError as e:
        raise InputError(e.message, field="disclosures") from None
    try:
        as_read = ReportRecord(figure=statement.figure, value=statement.value,
                               as_of=statement.as_of, source=statement.source,
                               via=list(statement.via), published=statement.published)
    except ValidationError as e:
        message, where = describe(e)
        raise InputError(f"the line's body: {message}", field=where) from None
    value = _checked(lookups, ctx, as_read)
    if value.written != statement.value:
        raise InputError(f"the value {statement.value!r} is not in its canonical written form",
                         field="body")
    if statement.anchor is not None:
        _anchor_in_place(lookups, ctx, statement, opened)
    return PreparedClaim(signing.body_uuid(body), body, signature, value, signer,
                         tuple(given.values()))


def _anchor_in_place(lookups: Lookups, ctx: Context, statement: ClaimRecorded,
                     opened: dict[str, Any]) -> None:
    """An anchored quote's document is archived, and the anchor is at its signed place
    (its text checked where it is still disclosed and the document still held)."""
    document = lookups.find_document(statement.document_sha256 or "")
    if document is None:
        raise InputError("the claim anchors its quote in a document that is not archived",
                         field="document_sha256")
    if ctx.documents(document.sha256) is None:
        return  # withheld: its signed hashes are all that is left (the audit says so)
    text = stored_text(document.sha256, document.text_sha256, ctx.documents)
    try:
        if None in opened["anchor"]["quote"].values():
            anchors.check_position(text, opened["anchor"])
        else:
            anchors.check(text, opened["quote"], opened["anchor"])
    except VerificationError as e:
        raise InputError(e.message, field="anchor") from None


def already_recorded(claim_uuid: UUID, existing_signature: str, signature: str) -> None:
    """The same claim appended twice is a no-op, unless it comes with another signature."""
    if existing_signature != signature:
        raise SignatureError(
            f"claim {claim_uuid.hex} is already recorded with a different signature"
        )


def record_claim(
    lookups: Lookups, ctx: Context, record: ReportRecord, key: KeyPair | None
) -> tuple[str, Claim | None]:
    prepared = prepare_claim(lookups, ctx, record, key)
    existing = lookups.find_claim(prepared.uuid)
    if existing is not None:
        already_recorded(prepared.uuid, existing.signature, prepared.signature)
        return prepared.uuid.hex, None
    signer_may_sign(prepared.signer, prepared.signer.key_id)
    claim = Claim(body=prepared.body, signature=prepared.signature)
    claim.disclosures = prepared.disclosures  # not an event field: the store keeps them apart
    lookups.stage(claim)
    return prepared.uuid.hex, claim
