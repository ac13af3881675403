"""Format v2 redaction through the API, on each engine: a signed order takes a value down
everywhere while every signature, proof and `verify` stays green; a removal nobody
signed is tampering, named at its position."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tally.ledger.application import Ledger
from tally.ledger.errors import AuditError, InputError, NotAuthorisedError, SignatureError
from tally.ledger.evidence import documents
from tally.ledger.exporter import export_lines
from tally.ledger.importer import import_lines
from tally.ledger.infra.disclosure_store import Disclosures
from tally.ledger.integrity import disclosure, signing
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.model.inputs import (
    RedactionRecord,
    ReportRecord,
    SourceRecord,
    WithholdingRecord,
)
from tally.ledger.verify.audit import verify
from tally.ledger.verify.citation import verify_proof_file
from tally.projections.readmodel import ReadModel

SECRET = "Olena Kovalenko saw 447 bodies"
SECRET_URL = "https://witness.example/olena-kovalenko"
KEPT = "the city administration counted 451"


def _report(ledger: Ledger, key: KeyPair, value: str, quote: str, url: str) -> str:
    return ledger.report(ReportRecord(figure="izium/bodies", value=value, as_of="2022-09-23",
                                      source="hromadske", quote=quote, url=url), key).id


def _everything_served(ledger: Ledger, claim: str) -> str:
    views = ReadModel(ledger)
    views.catch_up()
    out = [views.show("izium/bodies").model_dump_json(),
           views.history("izium/bodies").model_dump_json(),
           views.provenance(claim).model_dump_json(),
           *export_lines(ledger)]
    return "\n".join(out)


def _database_bytes(ledger: Ledger) -> bytes:
    path = ledger.store.sqlite_path
    assert path is not None
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_a_v2_claim_signs_commitments_and_shows_its_disclosed_values(
        ledger: Ledger, alice: KeyPair) -> None:
    claim = _report(ledger, alice, "447", SECRET, SECRET_URL)
    body = json.loads(ledger.lookups().claim(claim).body)
    assert set(disclosure.commitments(body)) == {"quote", "url"}
    assert SECRET not in json.dumps(body) and SECRET_URL not in json.dumps(body)
    served = _everything_served(ledger, claim)
    assert SECRET in served and SECRET_URL in served
    # the same report again is the same body: salts are derived, not drawn
    assert _report(ledger, alice, "447", SECRET, SECRET_URL) == claim


def test_redaction_keeps_signatures_and_proofs_and_removes_the_value(
        ledger: Ledger, operator: KeyPair, alice: KeyPair) -> None:
    claim = _report(ledger, alice, "447", SECRET, SECRET_URL)
    other = _report(ledger, alice, "451", KEPT, "https://kept.example/a")
    _, before = ledger.checkpoint(operator)
    proof = ledger.inclusion_proof(claim).model_dump_json()
    ledger.redact(RedactionRecord(claim=claim[:8], field="quote", reason="names a witness"),
                  operator)
    ledger.redact(RedactionRecord(claim=claim, field="url", reason="names a witness"),
                  operator)
    _, after = ledger.checkpoint(operator)
    key = operator.public_key
    assert verify_proof_file(proof, before, key).claim_id == claim
    assert verify_proof_file(ledger.inclusion_proof(claim).model_dump_json(), after,
                             key).claim_id == claim
    verify(ledger.parts, operator_key=key, kept=[before, after])
    served = _everything_served(ledger, claim)
    assert SECRET not in served and SECRET_URL not in served
    assert "[redacted on " in served and "by operator: names a witness]" in served
    assert KEPT in served  # the other claim's quote stays
    assert other in served
    if ledger.store.is_sqlite:
        assert SECRET.encode() not in _database_bytes(ledger)
        assert SECRET_URL.encode() not in _database_bytes(ledger)


def test_redacting_twice_is_already_recorded_and_only_the_operator_may(
        ledger: Ledger, operator: KeyPair, alice: KeyPair) -> None:
    claim = _report(ledger, alice, "447", SECRET, SECRET_URL)
    with pytest.raises(NotAuthorisedError):
        ledger.redact(RedactionRecord(claim=claim, field="quote", reason="x"), alice)
    order = RedactionRecord(claim=claim, field="quote", reason="names a witness")
    assert ledger.redact(order, operator).status == "recorded"
    assert ledger.redact(order, operator).status == "already recorded"


def test_a_v1_claim_cannot_have_a_field_redacted(
        ledger: Ledger, operator: KeyPair, alice: KeyPair, signed_elsewhere) -> None:
    record = ReportRecord(figure="izium/bodies", value="447", as_of="2022-09-23",
                          source="hromadske", quote=SECRET)
    claim = ledger.report(signed_elsewhere(record, alice, ledger.info().ledger_id), None).id
    with pytest.raises(InputError) as refused:
        ledger.redact(RedactionRecord(claim=claim, field="quote", reason="x"), operator)
    assert "before format v2" in refused.value.message


def _delete_disclosure(ledger: Ledger, value: str) -> None:
    with ledger.engine.begin() as conn:
        deleted = conn.execute(text("DELETE FROM tally_disclosures WHERE disclosure LIKE :v"),
                               {"v": f"%{value}%"}).rowcount
    assert deleted == 1


def test_a_disclosure_deleted_without_an_order_fails_verify_at_its_claim(
        ledger: Ledger, alice: KeyPair) -> None:
    claim = _report(ledger, alice, "447", SECRET, SECRET_URL)
    position = ledger.events.max_position()
    _delete_disclosure(ledger, SECRET)
    with pytest.raises(AuditError, match="no signed order took it down") as refused:
        verify(ledger.parts)
    assert refused.value.position == position
    assert "[not disclosed" in _everything_served(ledger, claim)


def test_an_edited_disclosure_fails_verify_and_is_never_shown(
        ledger: Ledger, alice: KeyPair) -> None:
    claim = _report(ledger, alice, "447", SECRET, SECRET_URL)
    position = ledger.events.max_position()
    with ledger.engine.begin() as conn:
        conn.execute(text("UPDATE tally_disclosures SET disclosure = "
                          "replace(disclosure, '447', '999')"))
    with pytest.raises(AuditError) as refused:
        verify(ledger.parts)
    assert refused.value.position == position
    views = ReadModel(ledger)
    views.catch_up()
    shown = views.provenance(claim).model_dump_json()
    assert "999 bodies" not in shown and "[not disclosed" in shown


def test_an_order_for_another_field_does_not_cover_a_deletion(
        ledger: Ledger, operator: KeyPair, alice: KeyPair) -> None:
    claim = _report(ledger, alice, "447", SECRET, SECRET_URL)
    position = ledger.events.max_position()
    ledger.redact(RedactionRecord(claim=claim, field="url", reason="dox"), operator)
    verify(ledger.parts)
    _delete_disclosure(ledger, SECRET)  # the quote: no order names it
    with pytest.raises(AuditError) as refused:
        verify(ledger.parts)
    assert refused.value.position == position


def test_export_and_import_keep_redactions_and_signatures(
        ledger: Ledger, operator: KeyPair, alice: KeyPair, make_ledger, tmp_path: Path) -> None:
    claim = _report(ledger, alice, "447", SECRET, SECRET_URL)
    _report(ledger, alice, "451", KEPT, "https://kept.example/a")
    ledger.redact(RedactionRecord(claim=claim, field="quote", reason="names a witness"),
                  operator)
    lines = list(export_lines(ledger))
    assert not any(SECRET in line for line in lines)
    copy = make_ledger("copy.db", operator, [])
    import_lines(copy, [line.encode() for line in lines], None)
    verify(copy.parts)
    assert sorted(export_lines(copy)) == sorted(lines)  # the copy defined its sources first
    assert copy.lookups().claim(claim).body == ledger.lookups().claim(claim).body


def test_a_body_line_is_refused_for_its_signature_first_then_for_its_fields(
        ledger: Ledger, operator: KeyPair, alice: KeyPair) -> None:
    """A line carrying a redacted claim's body: altered, its signature fails before any
    field is read; re-signed with a body no report could have (the source in its own
    via), a clear refusal, never a validation traceback."""
    claim = ledger.report(ReportRecord(figure="izium/bodies", value="447",
                                       as_of="2022-09-23", source="hromadske",
                                       via=["suspilne"], quote=SECRET, url=SECRET_URL),
                          alice).id
    ledger.redact(RedactionRecord(claim=claim, field="quote", reason="names a witness"),
                  operator)
    line = next(json.loads(t) for t in export_lines(ledger) if json.loads(t).get("body"))
    bad = json.loads(line["body"]) | {"source": "suspilne"}
    forged = ReportRecord.model_validate(line | {"body": signing.canonical(bad)})
    with pytest.raises(SignatureError):
        ledger.report(forged, None)
    resigned = ReportRecord.model_validate(
        line | {"body": signing.canonical(bad),
                "signature": signing.sign(alice.private_key, signing.canonical(bad))})
    with pytest.raises(InputError, match="via names the source suspilne itself"):
        ledger.report(resigned, None)


def test_a_document_withheld_before_a_checkpoint_stops_no_later_check(
        ledger: Ledger, operator: KeyPair, alice: KeyPair, db_url: str) -> None:
    """The rules' state before the events a check reads is rebuilt from the registry
    events (the sealed ones of the last checkpoint, then those since): a document archived
    there whose bytes an order withheld is no missing document. Neither the next
    checkpoint's recheck nor another process's check of new events may say so."""
    sha = documents.archive(ledger, b"A notice to come down.\n", name="notice.txt",
                            key=operator).id
    ledger.withhold(WithholdingRecord(sha256=sha, reason="take-down notice"), operator)
    ledger.add_source(SourceRecord(id="suspilne", name="Suspilne", kind="media"), operator)
    # another process appends: this one checks its events from the registry's state
    with Ledger.open(db_url) as other:
        other.add_source(SourceRecord(id="wire", name="Wire", kind="media"), operator)
    ledger.checkpoint(operator)  # the order sealed in no registry: before the fix, refused
    ledger.add_source(SourceRecord(id="gwara", name="Gwara", kind="media"), operator)
    ledger.checkpoint(operator)
    with Ledger.open(db_url) as other:
        other.add_source(SourceRecord(id="other", name="Other", kind="media"), operator)
    ledger.checkpoint(operator)
    verify(ledger.parts)
    # an insider deletes the bytes of a document, archived before a checkpoint, with no
    # order: the next checkpoint's recheck does not look back that far, the full audit does
    kept = documents.archive(ledger, b"A report that stays.\n", name="kept.txt",
                             key=operator).id
    position = ledger.events.max_position()
    ledger.checkpoint(operator)
    with ledger.engine.begin() as conn:
        conn.execute(text("DELETE FROM tally_documents WHERE sha256 = :s"), {"s": kept})
    with pytest.raises(AuditError, match="no signed order took it down") as refused:
        verify(ledger.parts)
    assert refused.value.position == position


def test_claims_anchored_in_a_withheld_document_export_and_import_again(
        ledger: Ledger, operator: KeyPair, alice: KeyPair, make_ledger) -> None:
    """A claim anchored in a document an order withheld keeps its signed anchor in the
    export: the import reads it back (into the same ledger, a no-op; into a copy, the same
    body), though the text it points into is gone. No new quote is anchored there."""
    sha = documents.archive(ledger, (b"Officials said 447 bodies had been exhumed at the "
                                     b"site.\n"), name="a.txt", key=alice).id
    anchored = ReportRecord(figure="izium/bodies", value="447", as_of="2022-09-23",
                            source="hromadske", quote="447 bodies had been exhumed",
                            document_sha256=sha)
    claim = ledger.report(anchored, alice).id
    ledger.withhold(WithholdingRecord(sha256=sha, reason="court order"), operator)
    lines = list(export_lines(ledger))
    again = import_lines(ledger, [line.encode() for line in lines], None)
    assert again.added == 0
    copy = make_ledger("copy.db", operator, [])
    import_lines(copy, [line.encode() for line in lines], None)
    assert copy.lookups().claim(claim).body == ledger.lookups().claim(claim).body
    verify(copy.parts)
    verify(ledger.parts)
    with pytest.raises(InputError, match="withheld by the operator's order") as refused:
        ledger.report(anchored.model_copy(update={"value": "448"}), alice)
    assert refused.value.field == "document_sha256"

def test_the_disclosures_are_clustered_on_their_commitment(tmp_path: Path) -> None:
    """On SQLite the table is its key's own B-tree, with no second index repeating it."""
    engine = create_engine(f"sqlite:///{tmp_path / 'd.db'}")
    Disclosures(engine)
    with engine.connect() as conn:
        ddl = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'tally_disclosures'")
                           ).scalar_one()
        indexes = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'index' AND "
                                    "tbl_name = 'tally_disclosures'")).scalars().all()
    engine.dispose()
    assert "WITHOUT ROWID" in ddl and indexes == []
