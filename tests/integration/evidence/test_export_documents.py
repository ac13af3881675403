"""An export carries the archived documents (`document` lines: signed fields, bytes, text),
so export → import into a fresh ledger with the same name and operator key gives the same
signed events, the same archive and the same anchored claims; a document line whose bytes,
text or signed fields were altered is refused, naming the line, and nothing is written."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from tally.ledger.application import Ledger
from tally.ledger.errors import ImportFileError
from tally.ledger.evidence import documents
from tally.ledger.exporter import export_lines
from tally.ledger.importer import import_lines
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.model.inputs import CorrectionRecord, ReportRecord
from tally.ledger.verify.audit import verify

TEXT = ("Officials said on Friday that 447 bodies were exhumed at the site.\r\n"
        "\u201cAbout 30 of them were children,\u201d an official said.").encode()
HTML = (b"<html><body><nav>Home | News</nav><article><p>Investigators said that more "
        b"than 440 bodies &amp; about 30 graves were found on 16&nbsp;September.</p>"
        b"</article></body></html>")


def _events(ledger: Ledger) -> list[tuple[str, str, str]]:
    """Every event as signed: type, body, signature, in ledger order."""
    out = []
    for n in ledger.events.notifications(1, 1000):
        event: Any = ledger.events.decode(n)
        out.append((n.topic, event.body, event.signature))
    return out


def _archive(ledger: Ledger) -> dict[str, tuple[bytes, str]]:
    found = {}
    for d in documents.documents(ledger):
        stored = ledger.archive.get(d.sha256)
        assert stored is not None
        found[d.sha256] = (stored.data, stored.text)
    return found


def _fill(ledger: Ledger, alice: KeyPair) -> None:
    text = documents.archive(ledger, TEXT, url="https://example.org/a", retrieved="2025-01-02",
                             source="hromadske", key=alice).id
    html = documents.archive(ledger, HTML, name="b.html", key=alice).id
    claim = ledger.report(ReportRecord(
        figure="izium/bodies", value="447", as_of="2022-09", source="hromadske",
        quote="447 bodies were exhumed", document_sha256=text), alice).id
    ledger.report(ReportRecord(
        figure="izium/bodies", value=">440", as_of="2022-09-16", source="suspilne",
        quote='more than 440 bodies & about 30 graves', document_sha256=html), alice)
    ledger.report(ReportRecord(  # a document never archived: the quote stays unanchored
        figure="izium/bodies", value="~450", as_of="2022-09", source="suspilne",
        quote="about 450", document_sha256="ab" * 32), alice)
    ledger.correct(CorrectionRecord(claim=claim, value="449", reason="recount"), alice)


def _twin(make_ledger: Callable[..., Ledger], operator: KeyPair, alice: KeyPair) -> Ledger:
    """A fresh ledger with the same name and operator key (and alice): nothing else."""
    return make_ledger("twin.db", operator, [alice], sources=[], figures=[])


def _lines(records: list[dict[str, Any]]) -> list[bytes]:
    return [json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records]


def test_export_import_gives_the_same_ledger(ledger: Ledger, alice: KeyPair,
                                             operator: KeyPair,
                                             make_ledger: Callable[..., Ledger]) -> None:
    _fill(ledger, alice)
    exported = list(export_lines(ledger))
    lines = [json.loads(line) for line in exported]
    assert [r["type"] for r in lines].count("document") == 2
    twin = _twin(make_ledger, operator, alice)
    summary = import_lines(twin, [line.encode() + b"\n" for line in exported], key=None)
    assert summary.by_type["document"] == 2
    assert _events(twin) == _events(ledger)
    assert _archive(twin) == _archive(ledger)
    anchored = [json.loads(b).get("anchor") for t, b, _ in _events(twin)
                if t == "claim.recorded"]
    assert [a is not None for a in anchored] == [True, True, False]
    verify(twin.parts)
    assert list(export_lines(twin)) == exported
    # importing the same file again changes nothing
    before = twin.events.max_position()
    again = import_lines(twin, [line.encode() + b"\n" for line in exported], key=None)
    assert twin.events.max_position() == before and again.skipped == again.lines


def _changed_bytes(r: dict[str, Any]) -> dict[str, Any]:
    data = bytearray(base64.b64decode(r["data"]))
    data[0] ^= 1
    return {**r, "data": base64.b64encode(bytes(data)).decode()}


def _rehashed(r: dict[str, Any]) -> dict[str, Any]:
    import hashlib

    changed = _changed_bytes(r)
    return {**changed, "sha256": hashlib.sha256(base64.b64decode(changed["data"])).hexdigest()}


def _swapped(r: dict[str, Any]) -> dict[str, Any]:
    """Another document, every hash consistent with it: only the signature can tell."""
    import hashlib

    data = b"Officials said 448 bodies were exhumed."
    return {**r, "data": base64.b64encode(data).decode(), "text": data.decode(),
            "sha256": hashlib.sha256(data).hexdigest(),
            "text_sha256": hashlib.sha256(data).hexdigest()}


@pytest.mark.parametrize(("change", "message"), [
    (_swapped, "signature does not verify"),
    (_changed_bytes, "bytes do not match its sha256"),
    (_rehashed, "reading its bytes again does not give its signed text"),
    (lambda r: {**r, "data": r["data"][:-2] + "!="}, "not standard base64"),
    (lambda r: {**r, "text": r["text"].replace("447", "448")}, "text hash"),
    (lambda r: {**r, "text": r["text"] + " "}, "not normalised"),
    (lambda r: {**r, "url": "https://example.org/b"}, "signature does not verify"),
    (lambda r: {**r, "extractor_version": "2"}, "signature does not verify"),
    (lambda r: {**r, "signature": "0" * 128}, "signature does not verify"),
], ids=["another document", "bytes", "bytes and hash", "base64", "text", "unnormalised text", "url",
        "extractor version", "signature"])
def test_an_altered_document_line_is_refused(
        ledger: Ledger, alice: KeyPair, operator: KeyPair,
        make_ledger: Callable[..., Ledger], change: Callable[[dict[str, Any]], dict[str, Any]],
        message: str) -> None:
    _fill(ledger, alice)
    lines = [json.loads(line) for line in export_lines(ledger)]
    at = next(i for i, r in enumerate(lines) if r["type"] == "document")
    lines[at] = change(lines[at])
    twin = _twin(make_ledger, operator, alice)
    position = twin.events.max_position()
    with pytest.raises(ImportFileError, match=rf"line {at + 1}\b.*{message}"):
        import_lines(twin, _lines(lines), key=None)
    assert twin.events.max_position() == position and not documents.documents(twin)
    assert twin.archive.get(lines[at]["sha256"]) is None


def test_an_anchored_claim_without_its_document_is_refused(
        ledger: Ledger, alice: KeyPair, operator: KeyPair,
        make_ledger: Callable[..., Ledger]) -> None:
    _fill(ledger, alice)
    lines = [json.loads(line) for line in export_lines(ledger) if '"type":"document"' not in
             line]
    twin = _twin(make_ledger, operator, alice)
    with pytest.raises(ImportFileError, match="archived document"):
        import_lines(twin, _lines(lines), key=None)


def test_a_document_line_signed_by_the_import_key(ledger: Ledger, alice: KeyPair,
                                                  operator: KeyPair,
                                                  make_ledger: Callable[..., Ledger]) -> None:
    """Without a signature, `--key` signs the document line, like every other line."""
    _fill(ledger, alice)
    [line] = [json.loads(x) for x in export_lines(ledger) if '"b.html"' in x or
              '"media_type":"text/html"' in x]
    unsigned = {k: v for k, v in line.items() if k not in ("ledger", "signer", "signature")}
    twin = _twin(make_ledger, operator, alice)
    import_lines(twin, _lines([unsigned]), key=alice)
    [info] = documents.documents(twin)
    assert (info.sha256, info.signer) == (line["sha256"], alice.key_id)
    verify(twin.parts)


def test_a_document_line_may_be_longer_than_other_lines(
        ledger: Ledger, alice: KeyPair, operator: KeyPair,
        make_ledger: Callable[..., Ledger]) -> None:
    big = b"Officials counted 447 bodies. " * 60_000  # 1.8 MB: a line of about 4 MB
    documents.archive(ledger, big, key=alice)
    exported = [line.encode() + b"\n" for line in export_lines(ledger)]
    assert max(map(len, exported)) > 1 << 20
    twin = _twin(make_ledger, operator, alice)
    import_lines(twin, exported, key=None)
    assert _archive(twin) == _archive(ledger)
    verify(twin.parts)
