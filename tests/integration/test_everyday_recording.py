"""What a new user tripped over while recording (issue 28): status figures, corrections that
change nothing, revoking by name, documents' URLs, and the messages around them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from clirunner import Tally
from factories import CUMULATIVE_BODIES, cli_ledger, cli_report

from tally.ledger import KeyPair, Ledger
from tally.ledger.integrity.signing import canonical, sign
from tally.ledger.model.bodies import figure_body
from tally.ledger.model.inputs import CorrectionRecord, FigureRecord, ReportRecord
from tally.ledger.verify.audit import verify

FIGURE = "izium/bodies"
REPORT = ("--as-of", "2022-09", "--source", "hromadske", "--key", "alice")


@pytest.fixture
def tally(tmp_path: Path, db_url: str) -> Tally:
    return cli_ledger(Tally(tmp_path, db_url), "test.example/everyday",
                      figures={FIGURE: CUMULATIVE_BODIES})


# --- point 6: status figures -----------------------------------------------------------------


def test_a_status_figure_needs_its_states(tally: Tally) -> None:
    tally.refused("figures", "define", "izium/stage", "--kind", "status",
                  fragment="--states")
    assert "izium/stage" not in [f["id"] for f in tally.json("figures", "list")["figures"]]


def test_a_status_figure_refuses_a_number(tally: Tally) -> None:
    tally("figures", "define", "izium/stage", "--kind", "status", "--states", "ongoing,done")
    message = tally.refused("report", "izium/stage", "5", *REPORT, fragment="is a number")
    assert "ongoing, done" in message
    tally("report", "izium/stage", "ongoing", *REPORT)


def test_figures_list_shows_no_unit_or_tolerance_for_a_status_figure(tally: Tally) -> None:
    tally("figures", "define", "izium/stage", "--kind", "status", "--states", "ongoing,done")
    table = tally("figures", "list").stdout
    row = next(line for line in table.splitlines() if "izium/stage" in line)
    assert "count" not in row and "0.05" not in row
    assert "ongoing,done" in row


# --- point 7: corrections that change nothing ------------------------------------------------


def test_a_correction_to_the_value_in_force_is_refused(tally: Tally) -> None:
    claim = cli_report(tally, FIGURE, "440", "2022-09")
    before = tally.json("log")
    tally.refused("correct", claim, "440", "--reason", "same", "--key", "alice",
                  fragment="already has the value 440")
    assert tally.json("log") == before
    tally("correct", claim, "3", "--reason", "typo", "--key", "alice")
    before = tally.json("log")
    message = tally.refused("correct", claim, "3", "--reason", "again", "--key", "alice",
                            fragment="already has the value 3")
    assert "nothing was recorded" in message
    assert tally.json("log") == before
    tally("correct", claim, "440", "--reason", "back", "--key", "alice")  # a change again


def test_the_same_correction_twice_is_already_recorded(tally: Tally) -> None:
    claim = cli_report(tally, FIGURE, "440", "2022-09")
    first = tally.json("correct", claim, "3", "--reason", "typo", "--key", "alice")
    again = tally.json("correct", claim, "3", "--reason", "typo", "--key", "alice")
    assert again == {**first, "status": "already recorded", "position": again["position"]}


# --- point 8: revoking by name ---------------------------------------------------------------


def test_signers_revoke_takes_the_signer_name(tally: Tally) -> None:
    alice = next(s for s in tally.json("signers", "list")["signers"] if s["name"] == "alice")
    out = tally.json("signers", "revoke", "alice", "--reason", "left")
    assert out["id"] == alice["key_id"] and out["status"] == "recorded"
    revoked = {s["name"]: s["revoked"] for s in tally.json("signers", "list")["signers"]}
    assert revoked["alice"] is True
    tally.refused("signers", "revoke", "alicia", fragment="not registered")


# --- point 9: documents and URLs -------------------------------------------------------------


def article(tally: Tally) -> str:
    path = tally.tmp / "article.txt"
    path.write_text("In Izium, 447 bodies were exhumed by 23 September 2022.\n")
    return str(path)


def test_documents_add_again_with_another_url_says_which_url_is_kept(tally: Tally) -> None:
    first = tally.json("documents", "add", article(tally), "--url", "https://a.example/1",
                       "--key", "alice")
    assert first["url"] == "https://a.example/1"
    again = tally("documents", "add", article(tally), "--url", "https://b.example/2",
                  "--key", "alice")
    assert "https://a.example/1" in again.stderr and "https://b.example/2" in again.stderr
    assert "already recorded" in again.output
    out = tally.json("documents", "add", article(tally), "--url", "https://b.example/2",
                     "--key", "alice")
    assert out["status"] == "already recorded" and out["url"] == "https://a.example/1"
    assert [d["url"] for d in tally.json("documents", "list")["documents"]] == [
        "https://a.example/1"]


def test_a_report_on_a_document_takes_its_url(tally: Tally) -> None:
    sha = tally.json("documents", "add", article(tally), "--url", "https://a.example/1",
                     "--key", "alice")["id"]
    claim = tally.json("report", FIGURE, "447", *REPORT, "--document", sha,
                       "--quote", "447 bodies were exhumed")["id"]
    assert tally.json("provenance", claim)["url"] == "https://a.example/1"
    own = tally.json("report", FIGURE, "445", *REPORT, "--document", sha,
                     "--url", "https://c.example/3")["id"]
    assert tally.json("provenance", own)["url"] == "https://c.example/3"


# --- point 11: a figure not yet defined ------------------------------------------------------


@pytest.mark.parametrize("command", ["show", "history"])
def test_known_at_before_a_figure_existed_says_when_it_was_defined(tally: Tally,
                                                                   command: str) -> None:
    defined = tally.json("figures", "define", "izium/graves", "--unit", "graves")["position"]
    message = tally.refused(command, "izium/graves", "--known-at", "3",
                            fragment=f"not yet defined at position 3 (defined at position "
                                     f"{defined})")
    assert "tally figures define" not in message
    tally.refused(command, "izium/gravse", "--known-at", "3", fragment="is not defined")


# --- point 12: import messages ---------------------------------------------------------------


def test_an_import_signed_for_another_ledger_names_the_cause_once(tmp_path: Path,
                                                                  db_url: str) -> None:
    for folder in ("theirs", "ours"):
        (tmp_path / folder).mkdir()
    theirs = cli_ledger(Tally(tmp_path / "theirs"), "test.example/everyday",
                        figures={FIGURE: CUMULATIVE_BODIES})
    cli_report(theirs, FIGURE, "447", "2022-09")
    export = tmp_path / "theirs.jsonl"
    theirs("export", "-o", str(export))
    ours = cli_ledger(Tally(tmp_path / "ours", db_url), "test.example/everyday", figures={})
    message = ours.refused("import", str(export), "--key", "alice",
                           fragment="signed for ledger")
    assert message.count("signed for ledger") == 1
    assert "operator key" in message and "--key" in message
    assert "not defined" not in message
    assert len(message) < 400


def bad_import(tally: Tally, count: int) -> Path:
    path = tally.tmp / "bad.jsonl"
    path.write_text("".join(
        f'{{"type": "report", "figure": "{FIGURE}", "value": "447", "as_of": "2022-09", '
        f'"source": "nobody-{n}"}}\n' for n in range(count)), encoding="utf-8")
    return path


def test_an_import_prints_one_refused_line_per_line(tally: Tally) -> None:
    err = tally("import", str(bad_import(tally, 3)), "--key", "alice", code=1).stderr
    lines = err.strip().splitlines()
    assert lines[0] == "error: 3 lines are refused and nothing was imported:"
    assert [line.split(":")[0].strip() for line in lines[1:]] == ["line 1", "line 2", "line 3"]
    assert "nobody-2" in lines[3]


def test_an_import_caps_the_lines_it_prints_with_a_count(tally: Tally) -> None:
    err = tally("import", str(bad_import(tally, 30)), "--key", "alice", code=1).stderr
    lines = err.strip().splitlines()
    assert lines[0] == "error: 20 lines are refused and nothing was imported:"
    assert len(lines) == 1 + 10 + 1
    assert "10 more" in lines[-1] and "--json" in lines[-1]
    assert len(tally.json("import", str(bad_import(tally, 30)), "--key", "alice",
                          code=1)["lines"]) == 20


# --- point 14: one prefix rule ---------------------------------------------------------------


def test_documents_take_the_prefix_rule_of_claims(tally: Tally) -> None:
    sha = tally.json("documents", "add", article(tally), "--key", "alice")["id"]
    assert tally.json("documents", "show", sha[:4].upper())["sha256"] == sha
    tally.refused("documents", "show", sha[:3], fragment="too short: give at least 4 hex")
    tally.refused("documents", "show", "zzzz", fragment="is not a document hash")
    tally.refused("documents", "show", sha + "0", fragment="has 64 hex digits")


def test_provenance_of_a_correction_names_its_claim(tally: Tally) -> None:
    claim = cli_report(tally, FIGURE, "440", "2022-09")
    correction = tally.json("correct", claim, "446", "--reason", "final", "--key", "alice")["id"]
    tally.refused("provenance", correction[:8],
                  fragment=f"is a correction of claim {claim}: run 'tally provenance {claim}'")


# --- point 15: wording -----------------------------------------------------------------------


def operator_key(tally: Tally) -> str:
    return str(next(s["public_key"] for s in tally.json("signers", "list")["signers"]
                    if s["role"] == "operator"))


def test_counts_agree_with_their_nouns(tally: Tally) -> None:
    cli_report(tally, FIGURE, "447", "2022-09")
    tally("report", FIGURE, "451", "--as-of", "2022-09", "--source", "hromadske", "--key",
          "alice", "--quote", "451 bodies")
    tally("checkpoint")
    assert "1 checkpoint verified" in tally("verify").stdout
    summary = tally("discrepancies").stdout.splitlines()[0]
    assert summary == ("1 discrepancy: 1 contradiction, 0 possible conflicts, 0 regressions, "
        "0 sum mismatches")


def test_monitor_says_unchanged_when_nothing_grew(tally: Tally) -> None:
    cli_report(tally, FIGURE, "447", "2022-09")
    tally("checkpoint")
    site, state = str(tally.tmp / "site"), ["--state", str(tally.tmp / "state.json")]
    tally("publish", site)
    key = operator_key(tally)
    tally.env.pop("TALLY_DB")  # a monitor with a state file, and no database
    tally("monitor", site, "--operator-key", key, *state)
    again = tally("monitor", site, *state).stdout
    assert "unchanged" in again and "grew" not in again


def test_tables_and_csv_say_yes_or_no(tally: Tally) -> None:
    claim = cli_report(tally, FIGURE, "447", "2022-09")
    tally("retract", claim, "--reason", "duplicate", "--key", "alice")
    row = next(line for line in tally("figures", "list").stdout.splitlines() if FIGURE in line)
    assert "yes" in row and "no" in row and "True" not in row and "False" not in row
    csv = tally.tmp / "claims.csv"
    tally("export", "--format", "csv", "-o", str(csv))
    header, line = csv.read_text().splitlines()
    assert dict(zip(header.split(","), line.split(","), strict=True))["retracted"] == "yes"


def test_export_to_a_file_says_what_it_wrote(tally: Tally) -> None:
    out = tally.tmp / "ledger.jsonl"
    err = tally("export", "-o", str(out)).stderr
    lines = len(out.read_text().splitlines())
    assert err.strip() == f"wrote {lines} lines of jsonl to {out}"


def test_witness_init_says_how_to_serve_that_folder(tally: Tally) -> None:
    folder = tally.tmp / "w1"
    out = tally("witness", "init", "--name", "witness.example/w1", "--dir", str(folder)).stdout
    assert f"tally witness serve --dir {folder}" in " ".join(out.split())


# --- discrepancies on uncertain dates --------------------------------------------------------


def test_a_conflict_only_uncertain_dates_make_is_a_possible_conflict(tally: Tally) -> None:
    tally("report", FIGURE, "~480", "--as-of", "2023-04-15", "--source", "hromadske",
          "--key", "alice")
    tally("report", FIGURE, "510", "--as-of", "2023-05?", "--source", "hromadske",
          "--key", "alice")
    found = tally.json("discrepancies")
    assert found["counts"]["contradiction"] == 0 and found["counts"]["possible_conflict"] == 1
    (flag,) = tally.json("discrepancies", "--kind", "possible_conflict")["discrepancies"]
    assert {m["value"] for m in flag["members"]} == {"~480", "510"}
    assert tally.json("discrepancies", "--kind", "contradiction")["discrepancies"] == []
    assert not tally.json("show", FIGURE)["disputed"]
    assert "cannot all hold" not in tally("discrepancies").stdout


# --- point 10: witnesses ---------------------------------------------------------------------


def witness_vkey(tally: Tally, name: str) -> str:
    return str(tally.json("witness", "init", "--name", f"{name}.example",
                          "--dir", str(tally.tmp / name))["vkey"])


def test_witnesses_policy_writes_the_tlog_policy_of_the_configured_witnesses(
        tally: Tally) -> None:
    vkeys = {name: witness_vkey(tally, name) for name in ("w1", "w2")}
    for name, vkey in vkeys.items():
        tally("witnesses", "add", name, "--url", f"http://127.0.0.1:9/{name}", "--vkey", vkey)
    path = tally.tmp / "policy.txt"
    out = tally.json("witnesses", "policy", "-o", str(path), "--quorum", "1")
    assert out == {"output": str(path), "witnesses": ["w1", "w2"], "quorum": 1}
    text = path.read_text()
    log_vkey = tally.json("witnesses", "list")["log_vkey"]
    assert text.splitlines()[0] == f"log {log_vkey}"
    assert f"witness w1 {vkeys['w1']} http://127.0.0.1:9/w1" in text
    assert "group witnesses 1 w1 w2\nquorum witnesses\n" in text
    tally("checkpoint")  # the witnesses are unreachable: no cosignature
    assert "no cosignature from w1, w2" in tally.json("verify", "--policy", str(path),
                                                      code=1)["problem"]
    tally.refused("witnesses", "policy", "-o", str(path), "--quorum", "3",
                  fragment="between 1 and 2")


# --- the new rules refuse no honest ledger ---------------------------------------------------


def test_lines_signed_before_the_new_rules_still_append_and_verify(
        ledger: Ledger, operator: KeyPair, alice: KeyPair,
        signed_elsewhere: Callable[..., Any]) -> None:
    """A stateless status figure and a correction that changes nothing, signed when they
    were allowed (an export's lines), are appended as they were and pass the audit."""
    lid = ledger.info().ledger_id
    stateless = FigureRecord(id="izium/stage", kind="status")
    body = figure_body(lid, operator.key_id, stateless, "0.05")
    signed = stateless.model_copy(update={"signer": operator.key_id,
                                          "signature": sign(operator.private_key,
                                                            canonical(body))})
    assert ledger.define_figure(signed, None).status == "recorded"
    claim = ledger.report(ReportRecord(figure="izium/stage", value="5", as_of="2022-09",
                                       source="hromadske"), alice).id
    same = signed_elsewhere(CorrectionRecord(claim=claim, value="5", reason="again"), alice,
                            lid, claim_id=claim)
    assert ledger.correct(same, None).status == "recorded"
    verify(ledger.parts)
