"""Navigation an auditor needs, through the CLI: `tally log` (events by position), `tally
event` (one event and its checks), `tally claims` (claims by filters), `tally proof` of a
correction or retraction and its warning; their JSON shapes, and their tables at 80
columns (no line wider, no id split); timestamps in UTC with `Z`."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from clirunner import Tally
from factories import CUMULATIVE_BODIES, FIGURE, cli_ledger, cli_report

from tally.ledger.errors import VerificationError
from tally.ledger.verify.citation import verify_proof_file

CHILDREN = "izium/burial-site/children"
Z_TIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{6})?Z$")


@pytest.fixture
def tally(tmp_path: Path, db_url: str) -> Tally:
    bodies = ("--unit", "bodies")
    return cli_ledger(Tally(tmp_path, db_url, columns=80), signers=("alice", "bob"),
                      sources=("hromadske", "suspilne"),
                      figures={FIGURE: CUMULATIVE_BODIES, CHILDREN: bodies,
                               "kharkiv/bodies": bodies})


def narrow(output: str) -> list[str]:
    lines = output.splitlines()
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    return lines


@pytest.fixture
def case(tally: Tally) -> dict[str, Any]:
    """Three claims (one corrected, one retracted), a checkpoint, then one more claim."""
    first = cli_report(tally, FIGURE, "447", "2022-09-23", quote="447 Bodies were recovered")
    second = cli_report(tally, FIGURE, "451", "2022-09", source="suspilne", key="bob",
                    quote="451 bodies")
    child = cli_report(tally, CHILDREN, "5", "2022-09-23", quote="five children")
    tally("checkpoint")
    fix = tally.json("correct", first, "446", "--reason", "police final count", "--key",
                     "alice")["id"]
    gone = tally.json("retract", child, "--reason", "misread", "--key", "alice")["id"]
    late = cli_report(tally, "kharkiv/bodies", "12", "2023-01", quote="twelve BODIES")
    return {"first": first, "second": second, "child": child, "fix": fix, "gone": gone,
            "late": late}


# -- log ---------------------------------------------------------------------------------


def test_log_lists_every_event_by_position_with_its_signer_and_time(
        tally: Tally, case: dict[str, Any]) -> None:
    out = tally.json("log", "--limit", "100")
    events = out["events"]
    assert [e["position"] for e in events] == list(range(1, len(events) + 1))
    assert out["next_position"] is None and out["from_position"] == 1
    assert set(events[0]) == {"position", "leaf_index", "type", "aggregate_id", "version",
                              "id", "signer", "signer_name", "recorded_at", "summary",
                              "signature_status"}
    assert [e["leaf_index"] for e in events] == list(range(len(events)))
    assert all(Z_TIME.match(e["recorded_at"]) and e["signature_status"] == "valid"
               for e in events)
    by_id = {e["id"]: e for e in events}
    assert by_id[case["first"]]["type"] == "claim.recorded"
    assert by_id[case["first"]]["signer_name"] == "alice"
    assert by_id[case["second"]]["signer_name"] == "bob"
    assert by_id[case["fix"]]["type"] == "claim.corrected"  # its own id, as history shows
    assert by_id[case["fix"]]["aggregate_id"] == case["first"]
    assert by_id[case["first"]]["summary"] == f"{FIGURE} = 447 as of 2022-09-23 from hromadske"


def test_log_pages_and_filters_by_type_and_position(tally: Tally, case: dict[str, Any]) -> None:
    page = tally.json("log", "--type", "claim", "--limit", "2")
    assert [e["id"] for e in page["events"]] == [case["first"], case["second"]]
    rest = tally.json("log", "--type", "claim", "--from", str(page["next_position"]))
    assert [e["type"] for e in rest["events"]] == ["claim.recorded", "claim.corrected",
                                                   "claim.retracted", "claim.recorded"]
    both = tally.json("log", "--type", "claim.corrected", "--type", "signer.added")
    assert {e["type"] for e in both["events"]} == {"claim.corrected", "signer.added"}
    window = tally.json("log", "--from", "3", "--to", "4")
    assert [e["position"] for e in window["events"]] == [3, 4]
    assert "no event type 'claims'" in tally("log", "--type", "claims", code=1).stderr
    assert "--limit" in tally("log", "--limit", "0", code=2).stderr  # malformed: exit 2


def test_log_at_80_columns_splits_no_id(tally: Tally, case: dict[str, Any]) -> None:
    lines = narrow(tally("log").stdout)
    shown = "\n".join(lines)
    for key in ("first", "fix", "late"):
        assert case[key][:8] in shown
    assert "recorded (UTC)" in shown and "pos" in lines[2]
    assert re.search(r"\b20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\b", shown)
    assert "more: tally log --from 3" in tally("log", "--limit", "2").stdout


# -- event -------------------------------------------------------------------------------


def test_event_shows_the_signed_body_verbatim_and_every_check(
        tally: Tally, case: dict[str, Any]) -> None:
    position = next(e["position"] for e in tally.json("log")["events"]
                    if e["id"] == case["first"])
    out = tally.json("event", str(position))
    assert out["verified"] and out["problems"] == []
    assert out["signature_status"] == "valid" and out["signer_name"] == "alice"
    assert out["leaf_status"] == "matches the log" and out["inclusion"] == "verified"
    leaf = json.loads(out["leaf"])
    assert leaf["body"] == out["body"] and leaf["signature"] == out["signature"]
    assert out["statement"] == json.loads(out["body"])
    assert Z_TIME.match(out["recorded_at"]) and out["checkpoint"] == 12
    shown = tally("event", str(position)).stdout
    narrow(shown)
    assert shown.startswith("✓ verified") and '"value": "447"' in shown
    assert "signature ✓ valid: against the key of alice" in shown


def test_an_event_no_checkpoint_covers_says_so(tally: Tally, case: dict[str, Any]) -> None:
    last = tally.json("log", "--type", "claim")["events"][-1]
    out = tally.json("event", str(last["position"]))
    assert out["verified"] and out["checkpoint"] is None and out["inclusion"] is None
    assert "no checkpoint covers it yet" in tally("event", str(last["position"])).stdout


def test_event_past_the_end_is_one_sentence(tally: Tally, case: dict[str, Any]) -> None:
    err = tally("event", "999", code=1).stderr
    assert "no event at position 999" in err and len(err.strip().splitlines()) <= 2
    assert tally.json("event", "999", code=1)["field"] == "position"


# -- claims ------------------------------------------------------------------------------


def ids(out: dict[str, Any]) -> list[str]:
    return [c["claim_id"] for c in out["claims"]]


def test_claims_filter_by_figure_prefix_source_signer_and_period(
        tally: Tally, case: dict[str, Any]) -> None:
    everything = tally.json("claims")
    assert everything["total"] == 4 and set(everything) == {"filters", "total", "offset",
                                                            "limit", "claims"}
    assert ids(tally.json("claims", "--figure", "izium")) == [
        case["second"], case["first"], case["child"]]  # by figure, then as_of
    assert ids(tally.json("claims", "--figure", CHILDREN)) == [case["child"]]
    assert ids(tally.json("claims", "--source", "suspilne")) == [case["second"]]
    assert ids(tally.json("claims", "--signer", "bob")) == [case["second"]]
    signers = tally.json("signers", "list")
    bob = next(s["key_id"] for s in (signers if isinstance(signers, list)
                                     else signers["signers"]) if s["name"] == "bob")
    assert ids(tally.json("claims", "--signer", bob)) == [case["second"]]
    # as written: "2022-09" (all of September) meets the 23rd, "2023-01" does not
    assert ids(tally.json("claims", "--as-of", "2022-09-23")) == [
        case["second"], case["first"], case["child"]]
    assert ids(tally.json("claims", "--as-of", "2023..")) == [case["late"]]
    found = tally.json("claims", "--figure", FIGURE)["claims"][1]
    assert found["value"]["written"] == "446" and found["reported"]["written"] == "447"
    assert found["correction"]["id"] == case["fix"]


def test_claims_text_is_read_from_the_signed_quotes_in_any_case(
        tally: Tally, case: dict[str, Any]) -> None:
    assert ids(tally.json("claims", "--text", "bodies")) == [
        case["second"], case["first"], case["late"]]
    assert ids(tally.json("claims", "--text", "BODIES were", "--figure", "izium")) == [
        case["first"]]
    assert tally.json("claims", "--text", "nowhere")["total"] == 0


def test_claims_known_at_and_paging(tally: Tally, case: dict[str, Any]) -> None:
    position = next(e["position"] for e in tally.json("log")["events"]
                    if e["id"] == case["child"])
    then = tally.json("claims", "--known-at", str(position))
    assert then["total"] == 3 and then["filters"]["known_at"] == position
    child = next(c for c in then["claims"] if c["claim_id"] == case["child"])
    assert not child["retracted"]  # retracted later
    page = tally.json("claims", "--limit", "2", "--offset", "1")
    assert page["total"] == 4 and ids(page) == ids(tally.json("claims"))[1:3]
    text_page = tally.json("claims", "--text", "bodies", "--limit", "1", "--offset", "2")
    assert text_page["total"] == 3 and ids(text_page) == [case["late"]]


def test_claims_at_80_columns(tally: Tally, case: dict[str, Any]) -> None:
    lines = narrow(tally("claims", "--limit", "3").stdout)
    shown = "\n".join(lines)
    assert lines[0].startswith("4 claims match; showing 1-3")
    assert case["first"][:8] in shown and "446 ✎" in shown
    assert "corrected from 447 by alice: police final count" in " ".join(shown.split())
    assert "1 claim matches" in tally("claims", "--source", "suspilne").stdout
    assert "no signer 'carol'" in tally("claims", "--signer", "carol", code=1).stderr


# -- proofs of corrections and retractions, and their warnings -----------------------------


def operator_key(tally: Tally) -> bytes:
    return bytes.fromhex(tally.json("init", "--name", "test.example/izium")[
        "operator_public_key"])


def test_corrections_and_retractions_are_proven_and_verify_offline(
        tally: Tally, case: dict[str, Any], tmp_path: Path) -> None:
    tally("checkpoint")
    key = operator_key(tally)
    note = tally("checkpoint", "--list", "--json").stdout
    stored = json.loads(note)
    checkpoint = (stored if isinstance(stored, list) else stored["checkpoints"])[-1]["note"]
    for ident, kind in ((case["fix"], "correction"), (case["gone"], "retraction")):
        out = tally.json("proof", ident[:8])
        assert out["event_id"] == ident and out["status"] in ("corrected", "retracted")
        assert verify_proof_file(json.dumps(out), checkpoint, key).kind == kind
        written = tally.json("proof", ident, "-o", str(tmp_path / "q.json"))
        assert (written["kind"], written["id"]) == (kind, ident)
        tally("proof", ident, "-o", str(tmp_path / "p.json"))
        checked = verify_proof_file((tmp_path / "p.json").read_text(), checkpoint, key)
        assert (checked.kind, checked.event_id) == (kind, ident)
        tlog = tally("proof", ident, "--tlog").stdout
        assert verify_proof_file(tlog, checkpoint, key).event_id == ident
        shown = tally("verify-proof", str(tmp_path / "p.json"), "--checkpoint",
                      str(_write(tmp_path / "cp.txt", checkpoint)), "--operator-key",
                      key.hex()).stdout
        assert f"{kind} {ident}" in " ".join(shown.split())
        cite = ["verify-proof", str(tmp_path / "p.json"), "--checkpoint",
                str(tmp_path / "cp.txt"), "--operator-key", key.hex(), "--claim"]
        tally(*cite, ident[:8])  # cited by its own id
        refused = tally(*cite, case["first"], code=1).stderr
        assert f"the proof is of {kind} {ident} of claim" in " ".join(refused.split())
    claim_proof = tally("proof", case["second"]).stdout
    assert "event_id" not in claim_proof  # a claim's proof is what it always was


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_proof_file_cannot_pass_for_another_event(
        tally: Tally, case: dict[str, Any], tmp_path: Path) -> None:
    """A correction's leaf under a claim's name (event_id dropped), a claim's leaf under a
    correction's name, or one follow-up's leaf under another's id: all refused."""
    tally("checkpoint")
    key = operator_key(tally)
    fix = json.loads(tally("proof", case["fix"]).stdout)
    claim = json.loads(tally("proof", case["first"]).stdout)
    forged = [
        {k: v for k, v in fix.items() if k != "event_id"},
        {**claim, "event_id": case["fix"]},
        {**fix, "event_id": case["gone"]},
        {**fix, "claim_id": case["child"]},
    ]
    for proof in forged:
        with pytest.raises(VerificationError, match="the proven leaf records"):
            verify_proof_file(json.dumps(proof), fix["checkpoint"], key)


def test_proof_warns_when_what_it_proves_no_longer_stands(
        tally: Tally, case: dict[str, Any]) -> None:
    tally("checkpoint")
    corrected = tally("proof", case["first"])
    assert "warning: this claim no longer stands" in " ".join(corrected.stderr.split())
    assert "it now stands at 446" in " ".join(corrected.stderr.split())
    out = tally.json("proof", case["first"])
    assert out["status"] == "corrected" and "police final count" in out["warning"]
    retracted = tally.json("proof", case["child"])
    assert retracted["status"] == "retracted" and "no longer counted" in retracted["warning"]
    # the proof of what stands now carries no warning
    assert tally.json("proof", case["fix"])["warning"] is None
    assert tally.json("proof", case["gone"])["warning"] is None
    active = tally("proof", case["second"])
    assert active.stderr == "" and tally.json("proof", case["second"])["status"] == "active"


# -- timestamps --------------------------------------------------------------------------


def test_every_timestamp_is_utc_with_z(tally: Tally, case: dict[str, Any]) -> None:
    rows = list(csv.DictReader(io.StringIO(tally("export", "--format", "csv").stdout)))
    assert rows and all(Z_TIME.match(r["recorded_at"]) for r in rows)
    listed = json.loads(tally("checkpoint", "--list", "--json").stdout)
    listed = listed if isinstance(listed, list) else listed["checkpoints"]
    assert all(Z_TIME.match(c["signed_at"]) for c in listed)
    assert "+00:00" not in tally("checkpoint", "--list").stdout
    history = tally.json("history", FIGURE)
    assert all(Z_TIME.match(e["recorded_at"]) for e in history["entries"])
