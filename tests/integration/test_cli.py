"""The `tally` command as a user runs it: every command, its JSON, its errors, its help."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from clirunner import Tally
from factories import FIGURE, cli_ledger, cli_report
from sqlalchemy import update
from typer.main import get_command

from tally.cli.main import app
from tally.ledger.application import Ledger
from tally.projections import tables as t

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tally(tmp_path: Path, db_url: str) -> Tally:
    return cli_ledger(Tally(tmp_path, db_url), sources=("hromadske", "gwara"))


def report(t: Tally, value: str, source: str = "hromadske", as_of: str = "2022-09") -> str:
    return cli_report(t, FIGURE, value, as_of, source, quote=f"{value} bodies")


def test_from_init_to_a_verified_proof(tally: Tally) -> None:
    claim = report(tally, "447", as_of="2022-09-23")
    tally("checkpoint", "-o", str(tally.tmp / "cp.txt"))
    tally("proof", claim[:8], "-o", str(tally.tmp / "proof.json"))
    operator = next(s for s in tally.json("signers", "list")["signers"] if s["role"] == "operator")
    out = tally.json("verify-proof", str(tally.tmp / "proof.json"), "--checkpoint",
                     str(tally.tmp / "cp.txt"), "--operator-key", operator["public_key"])
    assert out["ok"] and out["claim_id"] == claim and out["claim"]["value"] == "447"
    tally("proof", claim, "--tlog", "-o", str(tally.tmp / "proof.tlog"))
    assert (tally.tmp / "proof.tlog").read_text().startswith("c2sp.org/tlog-proof@v1\n")
    tally("verify-proof", str(tally.tmp / "proof.tlog"), "--checkpoint",
          str(tally.tmp / "cp.txt"), "--operator-key", operator["public_key"])
    verified = tally.json("verify", "--operator-key", operator["public_key"])
    assert verified["ok"] and verified["checkpoints"] == 1


def test_verify_names_a_read_model_row_that_differs_from_a_rebuild(tally: Tally) -> None:
    """The comparison runs in a process of its own beside the audit: what it finds is still
    the answer, in both forms, with exit 1."""
    report(tally, "447")
    report(tally, "451", source="gwara")
    assert tally.json("verify")["projection_differences"] == []
    with Ledger.open(tally.env["TALLY_DB"]) as ledger, ledger.engine.begin() as conn:
        conn.execute(update(t.current).values(active_claims=7))
    out = tally.json("verify", code=1)
    assert not out["ok"] and out["problem"] is None
    assert "tally_view_current" in out["projection_differences"][0]
    assert "active_claims" in out["projection_differences"][0]
    assert "read models differ from a rebuild" in tally("verify", code=1).stderr


def test_a_forged_proof_is_refused(tally: Tally) -> None:
    claim = report(tally, "447")
    report(tally, "451", source="gwara")
    tally("checkpoint", "-o", str(tally.tmp / "cp.txt"))
    proof = tally.json("proof", claim)
    proof["leaf"] = proof["leaf"].replace('"version":1', '"version":2')
    (tally.tmp / "forged.json").write_text(json.dumps(proof))
    operator = tally.json("init", "--name", "test.example/izium")["operator_public_key"]
    out = tally.json("verify-proof", str(tally.tmp / "forged.json"), "--checkpoint",
                     str(tally.tmp / "cp.txt"), "--operator-key", operator, code=1)
    assert "leaf" in out["error"]



def test_verify_proof_refuses_the_proof_of_another_claim(tally: Tally) -> None:
    """A fact-checker cites one claim; a proof of another claim (a renamed file, a page
    linking the wrong proof) must not pass for it."""
    cited = report(tally, "447", as_of="2022-09-23")
    other = report(tally, "451", source="gwara", as_of="2022-09-23")
    tally("checkpoint", "-o", str(tally.tmp / "cp.txt"))
    operator = next(s for s in tally.json("signers", "list")["signers"] if s["role"] == "operator")
    check = ["--checkpoint", str(tally.tmp / "cp.txt"), "--operator-key", operator["public_key"]]
    for form in ((), ("--tlog",)):
        tally("proof", other, *form, "-o", str(tally.tmp / "cited.proof"))
        out = tally("verify-proof", str(tally.tmp / "cited.proof"), *check, "--claim", cited,
                    code=1)
        assert f"the proof is of claim {other}, not of {cited}" in out.stderr
        tally("proof", cited, *form, "-o", str(tally.tmp / "cited.proof"))
        ok = tally.json("verify-proof", str(tally.tmp / "cited.proof"), *check,
                        "--claim", cited[:8])
        assert ok["claim_id"] == cited
    assert "too short" in tally("verify-proof", str(tally.tmp / "cited.proof"), *check,
                                "--claim", cited[:3], code=1).stderr

def test_show_history_discrepancies_provenance(tally: Tally) -> None:
    first = report(tally, "447")
    report(tally, "451", source="gwara")
    shown = tally.json("show", FIGURE)
    assert shown["disputed"] is True and len(shown["competing"]) == 1
    assert {d["kind"] for d in tally.json("discrepancies")["discrepancies"]} == {"contradiction"}
    tally("correct", first[:8], "451", "--reason", "recount", "--key", "alice")
    assert tally.json("discrepancies")["discrepancies"] == []
    kinds = [e["kind"] for e in tally.json("history", FIGURE)["entries"]]
    assert sorted(kinds) == ["claim", "claim", "correction"]
    prov = tally.json("provenance", first)
    assert prov["value"]["written"] == "451" and prov["reported"]["written"] == "447"
    assert prov["signature_status"] == "valid" and prov["mode"] == "attestation"
    tally("retract", first[:8], "--reason", "duplicate", "--key", "alice")
    assert tally.json("show", FIGURE)["disputed"] is False
    for command in (["show", FIGURE], ["history", FIGURE], ["discrepancies"],
                    ["provenance", first], ["figures", "list"], ["sources", "list"],
                    ["signers", "list"], ["keys", "list"], ["checkpoint", "--list"]):
        assert tally(*command).stdout.strip()


def test_discrepancies_summary_kind_filter_and_ids(tally: Tally) -> None:
    report(tally, "447")
    report(tally, "451", source="gwara")
    (flag,) = tally.json("discrepancies")["discrepancies"]
    assert [m["value"] for m in flag["members"]] != [] and len(flag["members"]) == 2
    only = tally.json("discrepancies", "--kind", "contradiction")
    assert only["kind"] == "contradiction" and only["discrepancies"] == [flag]
    assert tally.json("discrepancies", "--kind", "regression")["discrepancies"] == []
    lines = tally("discrepancies").stdout.splitlines()
    assert lines[0] == ("1 discrepancy: 1 contradiction, 0 possible conflicts, 0 regressions, "
        "0 sum mismatches")
    assert any(flag["id"] in line and "contradiction" in line for line in lines)
    assert "no regression discrepancies" in tally("discrepancies", "--kind", "regression").stdout
    assert "--kind" in tally("discrepancies", "--kind", "pair", code=2).stderr


def test_discrepancies_known_at_limit_and_offset(tally: Tally) -> None:
    report(tally, "447")
    report(tally, "451", source="gwara")
    before = tally.json("show", FIGURE)["claim"]["position"] - 1
    report(tally, "460", source="gwara", as_of="2022-10")
    report(tally, "470", as_of="2022-10")
    now = tally.json("discrepancies")
    assert now["counts"] == {"contradiction": 2, "possible_conflict": 0, "regression": 0,
                             "sum_mismatch": 0}
    first, second = now["discrepancies"]
    then = tally.json("discrepancies", "--known-at", str(before))
    assert then["known_at"] == before and then["counts"]["contradiction"] == 0
    page = tally.json("discrepancies", "--limit", "1", "--offset", "1")
    assert page["discrepancies"] == [second] and page["counts"] == now["counts"]
    assert page["offset"] == 1
    assert tally.json("discrepancies", "--limit", "1")["discrepancies"] == [first]
    out = " ".join(tally("discrepancies", "--limit", "1").stdout.split())  # wrapped summary
    assert out.startswith("2 discrepancies: ") and "sum mismatches; showing 1-1 " in out
    known = tally.json("discrepancies", "--known-at", "9999")
    assert known["discrepancies"] == now["discrepancies"]
    tally("discrepancies", "--limit", "0", code=2)
    tally("discrepancies", "--offset", "-1", code=2)


def test_known_at_answers_what_the_ledger_knew(tally: Tally) -> None:
    report(tally, "447")
    position = tally.json("show", FIGURE)["claim"]["position"]
    report(tally, "451", source="gwara", as_of="2022-10")
    assert tally.json("show", FIGURE)["value"]["written"] == "451"
    then = tally.json("show", FIGURE, "--known-at", str(position))
    assert then["value"]["written"] == "447" and then["known_at"] == position
    tally("show", FIGURE, "--known-at", "yesterday", code=2)


def test_import_export_round_trip(tally: Tally, tmp_path: Path) -> None:
    report(tally, "447")
    report(tally, "451", source="gwara")
    exported = tally("export").stdout
    (tmp_path / "out.jsonl").write_text(exported)
    again = tally.json("import", str(tmp_path / "out.jsonl"))
    assert again["added"] == 0 and again["skipped"] == len(exported.splitlines())
    csv_text = tally("export", "--format", "csv").stdout
    assert csv_text.count("\n") == 3 and "claim_id" in csv_text.splitlines()[0]


def test_a_bad_import_line_names_line_and_field_and_writes_nothing(tally: Tally) -> None:
    before = tally.json("history", FIGURE)
    lines = [json.dumps({"type": "report", "figure": FIGURE, "value": str(400 + i),
                         "as_of": "2022-09", "source": "hromadske"}) for i in range(20)]
    lines[12] = lines[12].replace('"value": "412"', '"value": "-3"')
    path = tally.tmp / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    out = tally.json("import", str(path), "--key", "alice", code=1)
    assert out["line"] == 13 and out["field"] == "value"
    assert tally.json("history", FIGURE) == before


@pytest.mark.parametrize(("args", "fragment"), [
    (["report", "izium/burial-site/bodies-exhume", "447", "--as-of", "2022-09",
      "--source", "hromadske", "--key", "alice"], "did you mean"),
    (["report", FIGURE, "44x", "--as-of", "2022-09", "--source", "hromadske", "--key", "alice"],
     "value"),
    (["report", FIGURE, "447", "--as-of", "2099-01", "--source", "hromadske", "--key", "alice"],
     "future"),
    (["report", FIGURE, "447", "--as-of", "2022-09", "--source", "nobody", "--key", "alice"],
     "source"),
    (["report", FIGURE, "447", "--as-of", "2022-09", "--source", "hromadske", "--key", "bob"],
     "tally keys new bob"),
    (["provenance", "ffffffff"], "no claim"),
])
def test_refusals_are_one_sentence_exit_1(tally: Tally, args: list[str], fragment: str) -> None:
    result = tally(*args, code=1)
    assert fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2
    assert "error" in tally.json(*args, code=1)


def test_missing_database_and_usage_errors(tmp_path: Path) -> None:
    t = Tally(tmp_path)
    assert "tally init" in t("show", FIGURE, code=1).stderr
    t("report", code=2)
    t("no-such-command", code=2)


def test_world_readable_key_is_refused(tally: Tally) -> None:
    key = tally.tmp / "home" / "keys" / "alice.key"
    key.chmod(0o644)
    result = tally("report", FIGURE, "447", "--as-of", "2022-09", "--source", "hromadske",
                   "--key", "alice", code=1)
    assert "chmod 600" in result.stderr


def _commands(group: object, prefix: str = "") -> list[tuple[str, object]]:
    found: list[tuple[str, object]] = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        if hasattr(command, "commands"):
            found += _commands(command, f"{prefix}{name} ")
        else:
            found.append((prefix + name, command))
    return found


def test_every_command_has_help_and_is_documented() -> None:
    docs = (ROOT / "docs" / "cli.md").read_text()
    commands = _commands(get_command(app))  # type: ignore[arg-type]
    assert len(commands) >= 20
    for name, command in commands:
        assert command.help and len(command.help) > 20, name  # type: ignore[attr-defined]
        assert re.search(rf"`tally {re.escape(name)}\b", docs), f"{name} missing from docs/cli.md"


def test_real_process_help_and_error_exit_codes(tmp_path: Path) -> None:
    tally = [sys.executable, "-c", "from tally.cli.main import main; main()"]
    helped = subprocess.run([*tally, "--help"], capture_output=True, text=True, check=False)
    assert helped.returncode == 0 and "verify-proof" in helped.stdout
    env = {"TALLY_DB": str(tmp_path / "none.db"), "TALLY_HOME": str(tmp_path), "PATH": ""}
    failed = subprocess.run([*tally, "show", FIGURE], capture_output=True, text=True,
                            check=False, env=env)
    assert failed.returncode == 1 and "Traceback" not in failed.stderr


def test_consistency_proof_between_checkpoints(tally: Tally) -> None:
    report(tally, "447")
    first = tally.json("checkpoint", "-o", str(tally.tmp / "old.txt"))["size"]
    report(tally, "451", source="gwara")
    second = tally.json("checkpoint", "-o", str(tally.tmp / "new.txt"))["size"]
    tally("consistency", str(first), str(second), "-o", str(tally.tmp / "c.json"))
    operator = tally.json("init", "--name", "test.example/izium")["operator_public_key"]
    args = ["verify-proof", str(tally.tmp / "c.json"), "--operator-key", operator, "--checkpoint"]
    out = tally.json(*args, str(tally.tmp / "new.txt"))
    assert out["ok"] and (out["old_size"], out["new_size"]) == (first, second)
    proof = json.loads((tally.tmp / "c.json").read_text())
    proof["path"][0] = "0" * 64 if proof["path"][0] != "0" * 64 else "1" * 64
    (tally.tmp / "c.json").write_text(json.dumps(proof))
    tally(*args, str(tally.tmp / "new.txt"), code=1)
    tally("consistency", str(second), str(first), code=1)


def test_user_text_is_never_read_as_markup(tmp_path: Path) -> None:
    t = Tally(tmp_path)
    out = t("init", "--name", "example.org/[/x]").stdout
    assert "example.org/[/x]" in out
    t("keys", "new", "bob")
    assert "signer [/x]" in t("signers", "add", "[/x]", "--key", "bob").stdout


@pytest.mark.parametrize("command", [("verify",), ("figures", "list"), ("show", FIGURE)])
def test_every_command_says_when_it_logged_events_a_killed_writer_left_unlogged(
    tally: Tally, command: tuple[str, ...]
) -> None:
    from tally.ledger.application import Ledger
    from tally.ledger.handlers import define_figure
    from tally.ledger.infra.keystore import KeyStore
    from tally.ledger.model.inputs import FigureRecord

    assert tally.json("verify")["logged_on_open"] == 0
    operator = KeyStore(Path(tally.env["TALLY_HOME"])).find_by_public_key(
        bytes.fromhex(tally.json("signers", "list")["signers"][0]["public_key"]))
    with Ledger.open(tally.env["TALLY_DB"]) as ledger:  # appended, then "killed" before logging
        figure = define_figure(ledger.lookups(), ledger.context(),
                               FigureRecord(id="izium/other", unit="x"), operator)
        assert figure is not None
        ledger.events.save([figure])
    out = tally(*command)
    assert "were not in the Merkle log" in out.stderr and "checked" in out.stderr
    again = tally.json("verify")
    assert again["ok"] and again["logged_on_open"] == 0


def test_a_damaged_database_file_is_one_sentence(tally: Tally) -> None:
    """A corrupt page met by a read: exit 1 and one sentence, not a traceback."""
    if "://" in tally.env["TALLY_DB"]:
        pytest.skip("a damaged page is a SQLite file's")
    path = Path(tally.env["TALLY_DB"])
    tally("verify")
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    page = 4096
    for start in range(2 * page, len(data), page):  # every page but the schema's
        data[start:start + page] = b"\xff" * page
    path.write_bytes(bytes(data))
    for command in (("show", FIGURE), ("history", FIGURE), ("verify",)):
        out = tally(*command, code=1)
        assert len(out.output.strip().splitlines()) == 1, out.output


def test_checkpoint_to_stdout_is_the_note_alone(tally: Tally) -> None:
    """`tally checkpoint > checkpoint.txt` keeps a note that verifies: the note byte for byte
    on stdout, the status line on stderr."""
    claim = report(tally, "447", as_of="2022-09-23")
    out = tally("checkpoint")
    assert out.stdout.startswith("test.example/izium\n") and "checkpoint of size" in out.stderr
    (tally.tmp / "cp.txt").write_text(out.stdout, encoding="utf-8")
    tally("proof", claim[:8], "-o", str(tally.tmp / "proof.json"))
    operator = next(s for s in tally.json("signers", "list")["signers"] if s["role"] == "operator")
    checked = tally.json("verify-proof", str(tally.tmp / "proof.json"), "--checkpoint",
                         str(tally.tmp / "cp.txt"), "--operator-key", operator["public_key"])
    assert checked["ok"] and checked["claim_id"] == claim


def test_via_takes_repeats_and_commas(tally: Tally) -> None:
    tally("sources", "add", "izium-cma", "--name", "Izium CMA", "--kind", "official")
    one = tally.json("report", FIGURE, "447", "--as-of", "2022-09-23", "--source", "hromadske",
                     "--via", "izium-cma,gwara", "--key", "alice")["id"]
    two = tally.json("report", FIGURE, "447", "--as-of", "2022-09-23", "--source", "hromadske",
                     "--via", "izium-cma", "--via", "gwara", "--key", "alice")
    assert two["id"] == one and two["status"] == "already recorded"  # the same signed body
    assert [v["id"] for v in tally.json("provenance", one)["via"]] == ["izium-cma", "gwara"]


def test_init_refuses_a_bad_name_before_it_makes_a_key(tmp_path: Path) -> None:
    t = Tally(tmp_path)
    t("init", "--name", "my ledger", code=1)
    assert not (tmp_path / "home" / "keys").exists() or not any(
        (tmp_path / "home" / "keys").iterdir())
    assert not (tmp_path / "t.db").exists()


@pytest.mark.parametrize("command", [("provenance",), ("proof",), ("correct", "-", "5"),
                                     ("retract", "-")])
@pytest.mark.parametrize(("ref", "says"), [("abc", "too short"), ("zz12", "hex digits")])
def test_one_claim_prefix_rule_everywhere(
    tally: Tally, command: tuple[str, ...], ref: str, says: str
) -> None:
    args = [ref if a == "-" else a for a in command]
    if len(args) == 1:
        args.append(ref)
    if args[0] in {"correct", "retract"}:
        args += ["--reason", "r", "--key", "alice"]
    out = tally(*args, code=1)
    assert says in out.output and len(out.output.strip().splitlines()) == 1, out.output


def test_checkpoint_list_shows_the_root_in_hex(tally: Tally) -> None:
    report(tally, "447", as_of="2022-09-23")
    tally("checkpoint")
    root = tally.json("verify")["root"]
    listed = Tally(tally.tmp, tally.env["TALLY_DB"], columns=200)("checkpoint", "--list").stdout
    assert root in listed  # the same hex the audit prints, not the note's base64


def test_discrepancies_of_a_case_prefix(tally: Tally) -> None:
    """`tally discrepancies PREFIX` lists the discrepancies of every figure of a case."""
    tally("figures", "define", "izium/other", "--unit", "bodies")
    tally("figures", "define", "iziumx/other", "--unit", "bodies")
    report(tally, "447")
    report(tally, "451", source="gwara")
    for figure in ("izium/other", "iziumx/other"):
        for value, source in (("10", "hromadske"), ("12", "gwara")):
            tally("report", figure, value, "--as-of", "2022-09", "--source", source,
                  "--key", "alice")
    case = tally.json("discrepancies", "izium")
    assert {d["figure"] for d in case["discrepancies"]} == {FIGURE, "izium/other"}
    assert case["counts"]["contradiction"] == 2
    position = tally.json("show", FIGURE)["claim"]["position"]
    then = tally.json("discrepancies", "izium", "--known-at", str(position))
    assert {d["figure"] for d in then["discrepancies"]} == {FIGURE}
    assert tally.json("discrepancies", "izium/other")["counts"]["contradiction"] == 1
    assert "did you mean" in tally("discrepancies", "izium/othr", code=1).stderr


@pytest.mark.parametrize("columns", [50, 80, 120, 250])
def test_list_tables_never_cut_ids_keys_or_hashes(tmp_path: Path, db_url: str,
                                                  columns: int) -> None:
    """Ids, keys and hashes a reader copies are printed whole at any width: a table when
    they fit, else one `column  value` line each; free text may wrap, ids never do."""
    t = Tally(tmp_path, db_url, columns=columns)
    t("init", "--name", "test.example/izium")
    t("keys", "new", "alice")
    t("signers", "add", "alice", "--key", "alice")
    t("sources", "add", "center-for-strategic-communications", "--name",
      "Center for Strategic Communications of a long name", "--kind", "official")
    t("figures", "define", FIGURE, "--unit", "bodies", "--cumulative")
    for command, key, fields in ((("signers", "list"), "signers", ("key_id", "public_key")),
                                 (("keys", "list"), "keys", ("key_id", "public_key")),
                                 (("sources", "list"), "sources", ("id",)),
                                 (("figures", "list"), "figures", ("id",))):
        printed = t(*command).stdout
        for row in t.json(*command)[key]:
            for field in fields:
                assert str(row[field]) in printed, (command, field, columns, printed)
