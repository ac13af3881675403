"""Archived documents in an export and back: the `document` JSONL line.

An export carries each `document.archived` event as a line with its signed fields and
signature, the document's bytes (base64) and its normalised text, so that importing the
file into a ledger created with the same name and operator key rebuilds the archive, and
the quotes anchored in it, identically. The import trusts none of it: the bytes must hash
to the signed `sha256`, the text to the signed `text_sha256` (and be what the same reader
version reads from the bytes: `document_checks.check_stored`), and the signature must verify.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import sqlite3
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tally.ledger.errors import DuplicateDefinitionError, InputError, VerificationError
from tally.ledger.evidence.archive import Stored
from tally.ledger.evidence.document_checks import Lookup, check_stored
from tally.ledger.evidence.normalise import normalise
from tally.ledger.handlers import Context, Deferred, sign_or_verify
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.lookups import Lookups
from tally.ledger.model.bodies import document_body
from tally.ledger.model.dates import parse_edtf_date
from tally.ledger.model.events import Document
from tally.ledger.model.inputs import MAX_DOCUMENT_BYTES, DocumentRecord
from tally.ledger.model.policy import signer_may_sign
from tally.ledger.model.statements import DocumentArchived, parse_statement

if TYPE_CHECKING:
    from tally.ledger.application import Ledger

_SIGNED = ("sha256", "media_type", "url", "retrieved", "source", "extractor",
           "extractor_version", "text_sha256")


def document_line(ledger: Ledger, body: str, signature: str) -> dict[str, Any]:
    """The export line of a `document.archived` event, with the archived bytes and text
    (checked against the signed hashes first: an export never carries what was not
    signed)."""
    fields = json.loads(body)
    stored = ledger.archive.get(fields["sha256"])
    statement = parse_statement(body, "document.archived")
    assert isinstance(statement, DocumentArchived)
    line = {"type": "document", **{k: fields[k] for k in _SIGNED}, "ledger": fields["ledger"],
            "signer": fields["signer"], "signature": signature}
    found = ledger.lookups().find_document(statement.sha256)
    if stored is None and found is not None and found.withheld:
        return {**line, "data": None, "text": None}  # its order follows in the export
    try:
        check_stored(statement, stored)
    except VerificationError as e:
        raise VerificationError(f"cannot export: {e.message}: run 'tally verify'") from None
    assert stored is not None
    return {**line, "data": base64.b64encode(stored.data).decode("ascii"), "text": stored.text}


def _bytes(record: DocumentRecord) -> bytes:
    try:
        data = base64.b64decode(record.data or "", validate=True)
    except (binascii.Error, ValueError):
        raise InputError("data is not standard base64", field="data") from None
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InputError(f"the document is larger than {MAX_DOCUMENT_BYTES // 2**20} MiB",
                         field="data")
    if hashlib.sha256(data).hexdigest() != record.sha256:
        raise InputError("the document's bytes do not match its sha256", field="data")
    return data


def _stored(record: DocumentRecord) -> Stored | None:
    """The line's bytes and text, checked against its signed hashes (None for a withheld
    document: a signed line without either)."""
    if record.data is None or record.text is None:
        if record.data is not None or record.text is not None or record.signature is None:
            raise InputError("a document line without its bytes (data) or text must lack "
                             "both, and be signed: a withheld document as exported",
                             field="data")
        return None
    data = _bytes(record)
    if normalise(record.text) != record.text:
        raise InputError("the document's text is not normalised (formats.md §3.1)",
                         field="text")
    stored = Stored(data, record.text)
    try:
        check_stored(record, stored)
    except VerificationError as e:
        raise InputError(e.message, field="text") from None
    return stored


def archive_record(lookups: Lookups, ctx: Context, record: DocumentRecord,
                   key: KeyPair | None, defer: Deferred | None = None
                   ) -> tuple[Document, Stored | None] | None:
    """Check a `document` line and build its signed event (None: the same document, with
    the same signed facts, is archived already; no stored bytes: a withheld document's
    signed line, whose order the caller requires). Nothing here writes."""
    stored = _stored(record)
    if record.retrieved is not None:
        parse_edtf_date(record.retrieved, field="retrieved", now=ctx.today)
    if record.source is not None:
        lookups.source(record.source)
    signer, body, signature = sign_or_verify(
        lookups, ctx, record, key, lambda s: document_body(
            ctx.ledger_id, s, record.sha256, record.media_type, record.url, record.retrieved,
            record.source, record.extractor, record.extractor_version, record.text_sha256),
        defer)
    existing = lookups.find_document(record.sha256)
    if existing is not None:
        if existing.body == body:
            return None
        raise DuplicateDefinitionError(f"document {record.sha256} is already archived with "
                                       "other signed facts", field="sha256")
    signer_may_sign(signer, signer.key_id)
    document = Document(body=body, signature=signature)
    lookups.stage(document)
    return document, stored


class StagedDocuments:
    """The documents of one import, held in its private staging file (not in memory) until
    every line is valid; then they go to the archive before the events that sign them."""

    def __init__(self, db: sqlite3.Connection, archived: Lookup) -> None:
        self.db = db
        self.archived = archived
        db.execute("CREATE TABLE documents (seq INTEGER PRIMARY KEY, sha256 TEXT UNIQUE, "
                   "data BLOB, text TEXT)")

    def put(self, sha256: str, stored: Stored) -> None:
        self.db.execute("INSERT OR IGNORE INTO documents (sha256, data, text) VALUES (?, ?, ?)",
                        (sha256, stored.data, stored.text))

    def get(self, sha256: str) -> Stored | None:
        """A document of this file, or else of the archive: the import's `Context.documents`."""
        row = self.db.execute("SELECT data, text FROM documents WHERE sha256 = ?",
                              (sha256,)).fetchone()
        return Stored(row[0], row[1]) if row is not None else self.archived(sha256)

    def __iter__(self) -> Iterator[tuple[str, Stored]]:
        for sha, data, text in self.db.execute(
                "SELECT sha256, data, text FROM documents ORDER BY seq"):
            yield sha, Stored(data, text)
