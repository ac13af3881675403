"""Archived documents on a published site: where they live, and fetching them back.

`tally publish` writes each archived document's stored bytes at `documents/<sha256>` and
its normalised text (UTF-8) at `documents/<sha256>.txt`, both content-addressed, so a
replica can fetch them and check them against the signed `document.archived` body alone:
the bytes must hash to its `sha256`, the text to its `text_sha256`. `tally clone` and
`tally monitor` store them in the replica's archive before the events that sign them are
appended, so the tail audit (and later `tally verify`) re-checks every document and every
anchored quote on the replica as on the operator's ledger.

A document the site lacks is left out: the replay then accepts its absence only where
an operator's signed `document.withheld` order names it (`Replay.unresolved`), the one
place that decides it for a replica, a clone and `tally verify` alike.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from tally.ledger.errors import MissingFileError, SiteError, VerificationError
from tally.ledger.evidence.archive import Archive
from tally.ledger.integrity.envelope import parse_leaf, parse_stub_entry
from tally.ledger.model.inputs import MAX_DOCUMENT_BYTES
from tally.ledger.model.statements import DocumentArchived, parse_statement
from tally.ledger.tlog.source import SiteSource

# a normalised text is at most 4 UTF-8 bytes a code point of what was read from the bytes
MAX_TEXT_BYTES = 4 * MAX_DOCUMENT_BYTES


def bytes_path(sha256: str) -> str:
    """Where a site keeps a document's stored bytes."""
    return f"documents/{sha256}"


def text_path(sha256: str) -> str:
    """Where a site keeps a document's normalised text, UTF-8."""
    return f"documents/{sha256}.txt"


def page_path(sha256: str) -> str:
    """The document's HTML page on a site."""
    return f"documents/{sha256}.html"


def archived_document(entry: bytes) -> DocumentArchived | None:
    """The signed `document.archived` statement a published entry holds, or None."""
    if parse_stub_entry(entry) is not None:
        return None
    fields = parse_leaf(entry)
    if fields.get("type") != "document.archived":
        return None
    statement = parse_statement(str(fields["body"]), "document.archived")
    assert isinstance(statement, DocumentArchived)
    return statement


def fetch_documents(source: SiteSource, entries: Iterable[tuple[int, bytes]],
                    archive: Archive) -> None:
    """Fetch, check and store the documents that the (index, entry) pairs archive and the
    replica lacks; SiteError naming the document and its entry if the site serves bytes or
    text that do not hash to the signed hashes. One the site lacks is left for the replay
    to judge (withheld by an order, or a failure that names it)."""
    for index, entry in entries:
        try:
            signed = archived_document(entry)
        except VerificationError as e:
            raise SiteError(f"entry {index} fails the audit: {e.message}", entry=index) from None
        if signed is None or archive.get(signed.sha256) is not None:
            continue
        sha = signed.sha256
        try:
            data = source.get(bytes_path(sha), MAX_DOCUMENT_BYTES)
            text = source.get(text_path(sha), MAX_TEXT_BYTES)
        except MissingFileError:
            continue
        if hashlib.sha256(data).hexdigest() != sha:
            raise SiteError(f"document {sha} (entry {index}) on the site does not hash to "
                            "its signed sha256: it was changed", entry=index)
        if hashlib.sha256(text).hexdigest() != signed.text_sha256:
            raise SiteError(f"the text of document {sha} (entry {index}) on the site does "
                            "not hash to its signed text_sha256: it was changed", entry=index)
        archive.put(sha, data, text.decode("utf-8"))  # UTF-8: it hashes to a signed text
