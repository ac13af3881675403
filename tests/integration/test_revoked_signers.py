"""A signer revoked after it signed: what it signed stays recorded, and appending or importing
it again is "already recorded" (a no-op), while anything new it signs is refused.

The existence check comes before the revocation check, in the single commands and in the
bulk import (where existence is settled per chunk, after the line was read: the refusal
must still name the line).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from factories import report_record

from tally.ledger.application import Ledger
from tally.ledger.errors import ImportFileError, RevokedSignerError
from tally.ledger.exporter import export_lines
from tally.ledger.importer import import_lines, validator
from tally.ledger.integrity.signing import KeyPair, body_id, canonical
from tally.ledger.model.bodies import claim_body
from tally.ledger.model.inputs import CorrectionRecord, RetractionRecord


def lines(*records: Any) -> list[bytes]:
    return [r.model_dump_json(exclude_none=True).encode() + b"\n" for r in records]


# --- the API -----------------------------------------------------------------------------------


def test_a_claim_reported_again_after_its_signer_was_revoked_is_already_recorded(
    ledger: Ledger, alice: KeyPair, operator: KeyPair, nothing_written: Any
) -> None:
    first = ledger.report(report_record(), alice)
    ledger.revoke_signer(alice.key_id, operator, "key lost")
    with nothing_written():
        again = ledger.report(report_record(), alice)
    assert (again.id, again.status, again.position) == (first.id, "already recorded", None)


def test_a_pre_signed_copy_after_the_signer_was_revoked_is_already_recorded(
    ledger: Ledger, alice: KeyPair, operator: KeyPair, signed_elsewhere: Any,
    nothing_written: Any,
) -> None:
    first = ledger.report(report_record(), alice)
    ledger.revoke_signer(alice.key_id, operator, "key lost")
    with nothing_written():
        again = ledger.report(
            signed_elsewhere(report_record(), alice, ledger.info().ledger_id), None)
    assert (again.id, again.status) == (first.id, "already recorded")


def test_follow_ups_appended_again_after_the_signer_was_revoked_are_already_recorded(
    ledger: Ledger, alice: KeyPair, operator: KeyPair, nothing_written: Any
) -> None:
    claim = ledger.report(report_record(), alice).id
    fix = CorrectionRecord(claim=claim, value="449", reason="final count")
    drop = RetractionRecord(claim=claim, reason="withdrawn")
    corrected = ledger.correct(fix, alice)
    retracted = ledger.retract(drop, alice)
    ledger.revoke_signer(alice.key_id, operator, "key lost")
    with nothing_written():
        assert ledger.correct(fix, alice).status == "already recorded"
        assert ledger.retract(drop, alice).status == "already recorded"
    assert ledger.correct(fix, alice).id == corrected.id
    assert ledger.retract(drop, alice).id == retracted.id


@pytest.mark.parametrize("command", ["report", "correct", "retract"])
def test_anything_new_signed_by_a_revoked_signer_is_refused(
    ledger: Ledger, alice: KeyPair, operator: KeyPair, command: str, nothing_written: Any,
    one_sentence: Any,
) -> None:
    claim = ledger.report(report_record(), alice).id
    ledger.revoke_signer(alice.key_id, operator, "key lost")
    record = {"report": report_record("451", source="suspilne"),
              "correct": CorrectionRecord(claim=claim, value="449", reason="final count"),
              "retract": RetractionRecord(claim=claim, reason="withdrawn")}[command]
    with nothing_written(), pytest.raises(RevokedSignerError) as caught:
        getattr(ledger, command)(record, alice)
    one_sentence(caught.value, "signer")
    assert alice.key_id in caught.value.message


def test_a_new_pre_signed_claim_of_a_revoked_signer_is_refused(
    ledger: Ledger, alice: KeyPair, operator: KeyPair, signed_elsewhere: Any,
    nothing_written: Any,
) -> None:
    ledger.report(report_record(), alice)
    record = signed_elsewhere(report_record("451"), alice, ledger.info().ledger_id)
    ledger.revoke_signer(alice.key_id, operator, "key lost")
    with nothing_written(), pytest.raises(RevokedSignerError):
        ledger.report(record, None)


# --- the bulk import ---------------------------------------------------------------------------


def test_an_export_reimported_after_its_signer_was_revoked_is_all_skipped(
    ledger: Ledger, alice: KeyPair, operator: KeyPair, nothing_written: Any
) -> None:
    claim = ledger.report(report_record(), alice).id
    other = ledger.report(report_record("~450", as_of="2022-09", source="suspilne"), alice).id
    ledger.correct(CorrectionRecord(claim=claim, value="449", reason="final count"), alice)
    ledger.retract(RetractionRecord(claim=other, reason="withdrawn"), alice)
    exported = [line.encode() + b"\n" for line in export_lines(ledger)]
    ledger.revoke_signer(alice.key_id, operator, "key lost")
    with nothing_written():
        summary = import_lines(ledger, exported, None)  # every line carries its signature
        # signed anew: the same signature
        again = import_lines(ledger, lines(report_record()), alice)
    assert (summary.lines, summary.added, summary.skipped) == (len(exported), 0, len(exported))
    assert summary.by_type == {}
    assert (again.added, again.skipped) == (0, 1)


def test_a_new_claim_by_a_revoked_signer_in_a_file_is_refused_naming_its_line(
    ledger: Ledger, alice: KeyPair, operator: KeyPair, nothing_written: Any
) -> None:
    ledger.report(report_record(), alice)
    ledger.revoke_signer(alice.key_id, operator, "key lost")
    file = lines(report_record(), report_record(), report_record("451", source="suspilne"),
                 report_record())
    with nothing_written(), pytest.raises(ImportFileError) as caught:
        import_lines(ledger, file, alice)
    error = caught.value
    assert (error.line, error.field) == (3, "signer")
    assert error.message.startswith("line 3: ") and alice.key_id in error.message
    assert "revoked" in error.message


def test_a_pre_signed_new_claim_by_a_revoked_signer_is_refused_naming_its_line(
    ledger: Ledger, alice: KeyPair, operator: KeyPair, signed_elsewhere: Any,
    nothing_written: Any,
) -> None:
    lid = ledger.info().ledger_id
    old = signed_elsewhere(report_record(), alice, lid)
    new = signed_elsewhere(report_record("451", source="suspilne"), alice, lid)
    ledger.report(old, None)
    ledger.revoke_signer(alice.key_id, operator, "key lost")
    with nothing_written(), pytest.raises(ImportFileError) as caught:
        import_lines(ledger, lines(old, new, old), None)
    assert (caught.value.line, caught.value.field) == (2, "signer")


def test_the_first_of_several_refused_lines_is_named(
    ledger: Ledger, alice: KeyPair, operator: KeyPair, nothing_written: Any
) -> None:
    """Two new claims by a revoked signer, then a correction of the first, which settles
    the chunk early (while reading line 3): the refusal names line 1, not line 2 or 3."""
    ledger.revoke_signer(alice.key_id, operator, "key lost")
    first = report_record(as_of="2022-09-20")
    claim = body_id(canonical(claim_body(ledger.info().ledger_id, alice.key_id, first, "447")))
    file = lines(first, report_record(as_of="2022-09-21"),
                 CorrectionRecord(claim=claim, value="460", reason="recount"))
    with nothing_written(), pytest.raises(ImportFileError) as caught:
        import_lines(ledger, file, alice)
    assert (caught.value.line, caught.value.field) == (1, "signer")


def test_revoked_claims_across_chunks_are_skipped_or_refused(
    ledger: Ledger, alice: KeyPair, operator: KeyPair, nothing_written: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(validator, "CHUNK", 3)
    recorded = [report_record(str(400 + i)) for i in range(7)]
    for r in recorded:
        ledger.report(r, alice)
    ledger.revoke_signer(alice.key_id, operator, "key lost")
    with nothing_written():
        summary = import_lines(ledger, lines(*recorded), alice)
    assert (summary.added, summary.skipped) == (0, 7)
    file = lines(*recorded[:5], report_record("500"), *recorded[5:])
    with nothing_written(), pytest.raises(ImportFileError) as caught:
        import_lines(ledger, file, alice)
    assert (caught.value.line, caught.value.field) == (6, "signer")


# --- the CLI -----------------------------------------------------------------------------------


def test_cli_report_again_after_revocation_and_reimport_of_an_export(
    tmp_path: Path, db_url: str
) -> None:
    from typer.testing import CliRunner

    from tally.cli.main import app

    env = {"TALLY_HOME": str(tmp_path / "home"), "TALLY_DB": db_url, "COLUMNS": "100"}
    runner = CliRunner()

    def tally(*args: str, code: int = 0) -> Any:
        result = runner.invoke(app, list(args), env=env)
        assert result.exit_code == code, (args, result.output, result.exception)
        assert "Traceback" not in result.output
        return result

    figure = "izium/burial-site/bodies-exhumed"
    tally("init", "--name", "test.example/izium")
    tally("keys", "new", "alice")
    key_id = json.loads(tally("--json", "signers", "add", "alice", "--key", "alice").stdout)["id"]
    tally("sources", "add", "hromadske", "--name", "Hromadske", "--kind", "media")
    tally("figures", "define", figure, "--unit", "bodies", "--cumulative")
    args = ["report", figure, "447", "--as-of", "2022-09", "--source", "hromadske",
            "--key", "alice"]
    claim = json.loads(tally("--json", *args).stdout)
    tally("correct", claim["id"][:8], "449", "--reason", "final count", "--key", "alice")
    exported = tally("export").stdout
    (tmp_path / "out.jsonl").write_text(exported)
    tally("signers", "revoke", key_id, "--reason", "key lost")

    again = tally(*args)
    assert "already recorded" in again.stdout
    as_json = json.loads(tally("--json", *args).stdout)
    assert (as_json["id"], as_json["status"]) == (claim["id"], "already recorded")
    imported = json.loads(tally("--json", "import", str(tmp_path / "out.jsonl")).stdout)
    assert imported["added"] == 0 and imported["skipped"] == len(exported.splitlines())

    refused = tally("report", figure, "451", "--as-of", "2022-09", "--source", "hromadske",
                    "--key", "alice", code=1)
    assert "revoked" in refused.stderr and len(refused.stderr.strip().splitlines()) <= 2


def test_a_refused_new_claim_just_before_an_unparsable_line_is_named(
    ledger: Ledger, alice: KeyPair, operator: KeyPair, nothing_written: Any
) -> None:
    ledger.revoke_signer(alice.key_id, operator, "key lost")
    file = [*lines(report_record()), b'{"type": "report", "figure": "izium/bodies"}\n']
    with nothing_written(), pytest.raises(ImportFileError) as caught:
        import_lines(ledger, file, alice)
    assert (caught.value.line, caught.value.field) == (1, "signer")
