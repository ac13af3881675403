"""Reading a document's text: plain text, HTML main text, PDF, a response in a WARC file.

Each reader is a maintained library (trafilatura for HTML main text, pypdf, warcio);
what is ours is choosing the reader from the bytes and normalising what it returns
(`normalise`). The reader's name and version are signed with the text's hash, so an
audit knows whether re-reading the same bytes today must give the same text.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version

from tally.ledger.errors import InputError
from tally.ledger.evidence.capped_gunzip import gunzipped
from tally.ledger.evidence.normalise import normalise
from tally.ledger.model.inputs import MAX_DOCUMENT_BYTES, MAX_DOCUMENT_TEXT
from tally.ledger.model.kinds import MediaType

MEDIA_TYPES = ("text/plain", "text/html", "application/pdf", "application/warc")
MAX_BYTES = MAX_DOCUMENT_BYTES
MAX_WARC_INFLATED = MAX_DOCUMENT_TEXT  # a gzipped WARC, inflated as a stream, never beyond


@dataclass(frozen=True)
class Extracted:
    media_type: MediaType
    extractor: str
    extractor_version: str
    text: str  # normalised


def sniff(data: bytes, name: str = "") -> MediaType:
    """The media type of a document, from its first bytes (and the file name for HTML)."""
    head = data[:4096].lstrip()
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"WARC/") or (data[:2] == b"\x1f\x8b" and _gzipped_warc(data)):
        return "application/warc"
    lowered = head.lower()
    if name.lower().endswith((".html", ".htm")) or b"<html" in lowered \
            or b"<!doctype html" in lowered:
        return "text/html"
    return "text/plain"


def _gzipped_warc(data: bytes) -> bool:
    """A WARC is usually stored gzipped, one member per record."""
    import zlib

    try:
        return zlib.decompressobj(wbits=31).decompress(data[:4096], 8).startswith(b"WARC/")
    except zlib.error:
        return False


def _plain(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("the document is neither UTF-8 text, HTML, PDF nor WARC",
                         field="document") from None


def _html(data: bytes) -> str:
    import trafilatura  # slow to import: only when a document is read

    # main text only: navigation, scripts, styles and boilerplate dropped, entities decoded
    found = trafilatura.extract(data, include_comments=False, include_tables=True,
                                favor_recall=True, deduplicate=False)
    return found or ""


def _pdf(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    except (PyPdfError, ValueError, KeyError) as e:
        raise InputError(f"the PDF cannot be read: {e}", field="document") from None


_READERS: dict[MediaType, tuple[str, Callable[[bytes], str]]] = {
    "text/plain": ("tally-text", _plain), "text/html": ("trafilatura", _html),
            "application/pdf": ("pypdf", _pdf)}

def _version(name: str) -> str:
    """The reader's version: our own plain-text reader is version 1."""
    return "1" if name == "tally-text" else version(name)



def _warc_payload(data: bytes, url: str | None) -> tuple[str, bytes]:
    """The media type and body of the WARC response record for `url`."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    if url is None:
        raise InputError("a WARC file needs --url: the record to read", field="url")
    stream = (gunzipped(data, MAX_WARC_INFLATED, "WARC file") if data[:2] == b"\x1f\x8b"
              else io.BytesIO(data))
    try:
        for record in ArchiveIterator(stream):
            if record.rec_type == "response" and \
                    record.rec_headers.get_header("WARC-Target-URI") == url:
                content_type = (record.http_headers.get_header("Content-Type") or ""
                                if record.http_headers else "")
                body = record.content_stream().read(MAX_BYTES + 1)
                return content_type.split(";")[0].strip().lower(), body
    except ArchiveLoadFailed as e:
        raise InputError(f"the WARC file cannot be read: {e}", field="document") from None
    raise InputError(f"the WARC file holds no response record for {url}", field="url")


def read(data: bytes, media_type: MediaType, url: str | None = None) -> tuple[str, str, str]:
    """The reader's name and version and the text it returns for a document of
    `media_type`, not yet normalised (its line breaks still there)."""
    if len(data) > MAX_BYTES:
        raise InputError(f"the document is larger than {MAX_BYTES // 2**20} MiB",
                         field="document")
    if media_type == "application/warc":
        inner_type, body = _warc_payload(data, url)
        known = next((m for m in _READERS if m == inner_type), None)
        name, inner_version, raw = read(body, known or sniff(body))
        return f"warcio+{name}", f"{version('warcio')}+{inner_version}", raw
    name, reader = _READERS[media_type]
    return name, _version(name), reader(data)


def extract(data: bytes, media_type: MediaType, url: str | None = None) -> Extracted:
    """The normalised text of a document of `media_type`; InputError if it has none."""
    name, reader_version, raw = read(data, media_type, url)
    text = normalise(raw)
    if not text:
        raise InputError("no text could be extracted from the document", field="document")
    return Extracted(media_type, name, reader_version, text)
