"""The checks every path runs on documents and anchored quotes: the commands before they
sign, the import before it writes, and the audit's replay (`ledger.verify.replay`) after.

A quote is anchored only through `anchored_quote`, which finds it in the stored text
whose hash was signed; the replay re-checks the signed anchor against that text, so an
anchor that is not where it says can be neither recorded nor kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from tally.ledger.errors import InputError, LedgerError, VerificationError
from tally.ledger.evidence import anchors
from tally.ledger.evidence.normalise import text_sha256
from tally.ledger.model.kinds import MediaType

if TYPE_CHECKING:  # the archive's module loads SQLAlchemy, which an import's workers need not
    from tally.ledger.evidence.archive import Stored

# The stored bytes and text of a document by its SHA-256, or None
Lookup = Callable[[str], "Stored | None"]


class DocumentReader(Protocol):
    """What the audit reads of the archive (`archive.ArchiveReader`)."""

    def digests(self, sha256: str) -> tuple[str, str] | None: ...
    def text(self, sha256: str) -> str | None: ...


class SignedDocument(Protocol):
    @property
    def sha256(self) -> str: ...
    @property
    def media_type(self) -> MediaType: ...
    @property
    def url(self) -> str | None: ...
    @property
    def extractor(self) -> str: ...
    @property
    def extractor_version(self) -> str: ...
    @property
    def text_sha256(self) -> str: ...


class AnchoredReport(Protocol):
    quote: str | None
    document_sha256: str | None
    occurrence: int | None
    anchor: dict[str, Any] | None
    signature: str | None


def check_digests(signed: SignedDocument, digests: tuple[str, str] | None) -> None:
    """The stored bytes' and text's SHA-256 (`Archive.digests`) are the signed ones: the
    audit's check, in the memory of one stored column and without re-reading the bytes.
    VerificationError naming the document otherwise."""
    sha = signed.sha256
    if digests is None:
        raise VerificationError(f"document {sha} is not in the archive: its bytes were lost "
                                "or deleted")
    if digests[0] != sha:
        raise VerificationError(f"document {sha}: the stored bytes do not match the signed "
                                "hash")
    if digests[1] != signed.text_sha256:
        raise VerificationError(f"document {sha}: the stored text does not match the signed "
                                "text hash")


def check_stored(signed: SignedDocument, stored: Stored | None) -> str:
    """The stored text of a signed document, after checking the stored bytes and text
    against the signed hashes, and that re-reading the bytes with the same extractor
    version gives the same text (a newer extractor may read differently: then the signed
    text hash alone holds the text). VerificationError naming the document otherwise."""
    check_digests(signed, None if stored is None else (
        hashlib.sha256(stored.data).hexdigest(), text_sha256(stored.text)))
    assert stored is not None
    sha = signed.sha256
    from tally.ledger.evidence.extractors import extract  # the readers load slowly

    try:
        again = extract(stored.data, signed.media_type, signed.url)
    except LedgerError as e:
        raise VerificationError(f"document {sha} cannot be read again: {e.message}") from None
    if (again.extractor, again.extractor_version) == (signed.extractor,
                                                      signed.extractor_version) \
            and again.text != stored.text:
        raise VerificationError(f"document {sha}: reading its bytes again does not give its "
                                "signed text")
    return stored.text


def stored_text(sha: str, signed_text_sha256: str, lookup: Lookup) -> str:
    """A document's stored text, checked against its signed hash (cheap: no re-reading)."""
    stored = lookup(sha)
    if stored is None or text_sha256(stored.text) != signed_text_sha256:
        raise VerificationError(f"the archived text of document {sha} is missing or does not "
                                "match its signed hash: run 'tally verify'")
    return stored.text


def _position(anchor: dict[str, Any]) -> tuple[int, int]:
    try:
        start, end = anchor["position"]["start"], anchor["position"]["end"]
    except (KeyError, TypeError):
        raise InputError("the anchor has no position.start and position.end",
                         field="anchor") from None
    if not (isinstance(start, int) and isinstance(end, int)):
        raise InputError("the anchor's position must be integers", field="anchor")
    return start, end


def anchored_quote(record: AnchoredReport, text: str | None) -> dict[str, Any] | None:
    """The anchor a report's quote gets in its document's text (None: the document is not
    archived, so the quote stays unanchored, as before documents existed). A quote to be
    signed here must start and end on a word's or number's edge."""
    picked = record.occurrence is not None or record.anchor is not None
    if text is None or record.quote is None:
        if picked:
            raise InputError("an occurrence or anchor needs a quote and an archived document "
                             "(tally documents add)", field="document_sha256")
        return None
    position = None if record.anchor is None else _position(record.anchor)
    # a line signed elsewhere (an export read back) keeps the quote its signer chose; a
    # quote signed here must be whole words
    found = anchors.anchor(text, record.quote, record.occurrence, position,
                           whole=record.signature is None)
    if record.anchor is not None and found != record.anchor:
        raise InputError("the line's anchor is not the quote's place in the document",
                         field="anchor")
    return found
