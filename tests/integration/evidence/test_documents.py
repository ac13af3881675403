"""Archived documents and anchored quotes through the ledger's API, on each engine; and the
audit catching every way an insider can change what they rest on."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from sqlalchemy import update

from tally.ledger.application import Ledger
from tally.ledger.errors import AuditError, InputError, VerificationError
from tally.ledger.evidence import documents
from tally.ledger.evidence.archive import documents as archive_table
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.model.inputs import ReportRecord
from tally.ledger.verify.audit import verify

ARTICLE = ("Investigators said on Friday that more than 440 bodies had been exhumed "
           "at the site. “About 30 of them were children,” an official said.\n\n"
           "Nearly 450 graves were counted.  Work at the site continues.")
HTML = ("<html><head><title>Update</title><script>var x = 1;</script>"
        "<style>p { color: red }</style></head><body><nav><a href='/'>Home</a> | "
        "<a href='/news'>News</a></nav><article><h1>Site update</h1><p>Investigators said "
        "that more than 440 bodies &amp; about 30 graves were found on 16&nbsp;September."
        "</p></article><footer>Copyright</footer></body></html>")


def _add(ledger: Ledger, key: KeyPair, data: bytes, **kw: Any) -> str:
    return documents.archive(ledger, data, key=key, **kw).id


def _report(quote: str, sha: str | None, **kw: Any) -> ReportRecord:
    return ReportRecord(figure="izium/bodies", value=">440", as_of="2022-09",
                        source="hromadske", quote=quote, document_sha256=sha, **kw)


def _anchor_of(ledger: Ledger, claim: str) -> dict[str, Any]:
    """The claim's signed anchor, its text opened with its disclosures (format v2)."""
    return ledger.opened(ledger.claim(claim).body)["anchor"]  # type: ignore[no-any-return]


def test_archive_is_content_addressed_and_idempotent(ledger: Ledger, alice: KeyPair) -> None:
    data = ARTICLE.encode()
    first = documents.archive(ledger, data, key=alice, url="https://example.org/a",
                              retrieved="2025-01-02", source="hromadske")
    assert first.status == "recorded" and first.id == hashlib.sha256(data).hexdigest()
    position = ledger.events.max_position()
    again = documents.archive(ledger, data, key=alice)
    assert again.status == "already recorded" and ledger.events.max_position() == position
    [info] = documents.documents(ledger)
    assert (info.media_type, info.extractor, info.url) == ("text/plain", "tally-text",
                                                           "https://example.org/a")
    _, text = documents.show(ledger, first.id[:8])
    assert text.startswith("Investigators said") and "\n" not in text and "  " not in text
    verify(ledger.parts)


def test_html_main_text_only(ledger: Ledger, alice: KeyPair) -> None:
    sha = _add(ledger, alice, HTML.encode(), name="a.html")
    info, text = documents.show(ledger, sha)
    assert info.media_type == "text/html" and info.extractor == "trafilatura"
    assert "more than 440 bodies & about 30 graves were found on 16 September" in text
    assert "var x" not in text and "color" not in text and "News" not in text


def test_pdf_and_warc(ledger: Ledger, alice: KeyPair) -> None:
    from pypdf import PdfWriter
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    PdfWriter().write(out)  # a blank page has no text: refused, nothing archived
    writer_pdf = out.getvalue()
    with pytest.raises(InputError, match="no text"):
        documents.archive(ledger, writer_pdf + b"\n", key=alice)
    warc = io.BytesIO()
    writer = WARCWriter(warc, gzip=True)
    headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                               protocol="HTTP/1.1")
    writer.write_record(writer.create_warc_record(
        "https://example.org/news/1", "response", payload=io.BytesIO(HTML.encode()),
        http_headers=headers))
    data = warc.getvalue()
    with pytest.raises(InputError, match="--url"):
        documents.archive(ledger, data, key=alice)
    with pytest.raises(InputError, match="no response record"):
        documents.archive(ledger, data, key=alice, url="https://example.org/other")
    sha = _add(ledger, alice, data, url="https://example.org/news/1")
    info, text = documents.show(ledger, sha)
    assert info.media_type == "application/warc" and info.extractor == "warcio+trafilatura"
    assert "more than 440 bodies" in text
    verify(ledger.parts)


def test_anchored_quote(ledger: Ledger, alice: KeyPair) -> None:
    sha = _add(ledger, alice, ARTICLE.encode())
    claim = ledger.report(_report('"About 30 of them were children,"', sha), alice).id
    anchor = _anchor_of(ledger, claim)
    assert anchor["quote"]["exact"] == "“About 30 of them were children,”"
    assert anchor["quote"]["prefix"] == "odies had been exhumed at the site. "[-32:]
    assert anchor["position"]["end"] - anchor["position"]["start"] == len(
        anchor["quote"]["exact"]) == 33
    verify(ledger.parts)


def test_quote_not_found_or_ambiguous_is_refused(ledger: Ledger, alice: KeyPair,
                                                  nothing_written: Any) -> None:
    sha = _add(ledger, alice, ARTICLE.encode())
    with nothing_written(), pytest.raises(InputError, match="closest passage is "
                                           "\"more than 440 bodies\""):
        ledger.report(_report("more than 441 bodies", sha), alice)
    with nothing_written(), pytest.raises(InputError, match="occurs 3 times") as e:
        ledger.report(_report("the", sha), alice)
    assert "1: … " in e.value.message and "3: … " in e.value.message
    with nothing_written(), pytest.raises(InputError, match="not one of them"):
        ledger.report(_report("the", sha, occurrence=4), alice)
    with nothing_written(), pytest.raises(InputError, match="ends inside a word"):
        ledger.report(_report("the", sha, occurrence=2), alice)  # in "them"
    claim = ledger.report(_report("the", sha, occurrence=1), alice).id
    assert _anchor_of(ledger, claim)["position"]["start"] == ARTICLE.index("the site.")


def test_a_quote_cut_inside_a_word_or_number_is_refused(ledger: Ledger, alice: KeyPair,
                                                         nothing_written: Any) -> None:
    sha = _add(ledger, alice, b"Officials said 2,700 homes were flooded in 24 settlements.")
    for quote, where in [("700 homes were flooded", "starts"), ("Officials said 2,7", "ends"),
                         ("fficials said", "starts"), ("homes were flood", "ends")]:
        with nothing_written(), pytest.raises(InputError, match=f"{where} inside a word"):
            ledger.report(_report(quote, sha), alice)
    ledger.report(_report("2,700 homes were flooded", sha), alice)


def test_unanchored_quotes_keep_working(ledger: Ledger, alice: KeyPair) -> None:
    claim = ledger.report(_report("anything at all", "ab" * 32), alice).id
    assert "anchor" not in ledger.claim(claim).body
    with pytest.raises(InputError, match="archived document"):
        ledger.report(_report("anything", "ab" * 32, occurrence=1), alice)


def _tamper(ledger: Ledger, sha: str, **values: Any) -> None:
    with ledger.engine.begin() as conn:
        conn.execute(update(archive_table).where(archive_table.c.sha256 == sha)
                     .values(**values))


def _fails(ledger: Ledger, words: str) -> None:
    with pytest.raises(AuditError) as refused:
        verify(ledger.parts)
    assert words in refused.value.message, refused.value.message


def test_verify_catches_changed_bytes(ledger: Ledger, alice: KeyPair) -> None:
    sha = _add(ledger, alice, ARTICLE.encode())
    _tamper(ledger, sha, data=ARTICLE.replace("440", "44O").encode())
    _fails(ledger, f"document {sha}: the stored bytes do not match")
    with pytest.raises(VerificationError):
        documents.show(ledger, sha)


def test_verify_catches_changed_text(ledger: Ledger, alice: KeyPair) -> None:
    sha = _add(ledger, alice, ARTICLE.encode())
    _tamper(ledger, sha, text="Nothing was found.")
    _fails(ledger, "the stored text does not match")


def test_verify_catches_swapped_documents(ledger: Ledger, alice: KeyPair) -> None:
    a = _add(ledger, alice, ARTICLE.encode())
    b = _add(ledger, alice, b"Fewer than 10 bodies were found.")
    with ledger.engine.begin() as conn:
        rows = {r.sha256: r for r in conn.execute(archive_table.select())}
        for sha, other in ((a, b), (b, a)):
            conn.execute(update(archive_table).where(archive_table.c.sha256 == sha)
                         .values(data=rows[other].data, text=rows[other].text))
    _fails(ledger, f"document {a}: the stored bytes")


def test_verify_catches_a_deleted_document(ledger: Ledger, alice: KeyPair) -> None:
    sha = _add(ledger, alice, ARTICLE.encode())
    with ledger.engine.begin() as conn:
        conn.execute(archive_table.delete())
    _fails(ledger, f"document {sha} is not in the archive")


def test_verify_catches_a_consistent_rewrite_of_the_text(ledger: Ledger,
                                                         alice: KeyPair) -> None:
    """Bytes and text changed together still fail: both hashes are signed."""
    sha = _add(ledger, alice, ARTICLE.encode())
    ledger.report(_report("more than 440 bodies", sha), alice)
    moved = ARTICLE.replace("Investigators", "Police")
    _tamper(ledger, sha, data=moved.encode(), text=" ".join(moved.split()))
    _fails(ledger, f"document {sha}")


def pdf_with_text(line: str) -> bytes:
    """A one-page PDF showing `line` in Helvetica (written by hand: pypdf reads, the test
    needs a PDF that holds text)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({line}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def test_pdf_text(ledger: Ledger, alice: KeyPair) -> None:
    sha = _add(ledger, alice, pdf_with_text("At least 30 graves were opened."))
    info, text = documents.show(ledger, sha)
    assert (info.media_type, info.extractor) == ("application/pdf", "pypdf")
    assert text == "At least 30 graves were opened."
    claim = ledger.report(_report("At least 30 graves", sha), alice).id
    assert _anchor_of(ledger, claim)["position"] == {
        "type": "TextPositionSelector", "start": 0, "end": 18}
    verify(ledger.parts)
