"""Witnesses removed and moved (`tally witnesses remove`, `tally witnesses update`): signed
by the operator, never asked again once removed, asked at the new URL once moved, carried
by export and import, replayed by the audit, and a forged removal fails it at its place."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from clirunner import Tally
from running_witness import RunningWitness

from tally.ledger.application import Ledger
from tally.ledger.errors import NotAuthorisedError
from tally.ledger.infra.keystore import KeyStore
from tally.ledger.integrity.cosignature import Cosigner
from tally.ledger.integrity.signing import KeyPair, canonical, sign

ORIGIN = "example.org/moved"


def _vkey(name: str, seed: int) -> str:
    return Cosigner(f"{name}.example", bytes([seed]) * 32).vkey


@pytest.fixture
def t(tmp_path: Path) -> Tally:
    tally = Tally(tmp_path)
    tally("init", "--name", ORIGIN)
    tally("witnesses", "add", "w1", "--url", "http://127.0.0.1:9/a", "--vkey", _vkey("w1", 1))
    tally("witnesses", "add", "w2", "--url", "http://127.0.0.1:9/b", "--vkey", _vkey("w2", 2))
    return tally


def test_a_removed_witness_is_listed_as_removed_and_left_out_of_the_policy(
        t: Tally, tmp_path: Path) -> None:
    out = t.json("witnesses", "remove", "w2", "--reason", "shut down")
    assert out["status"] == "recorded"
    listed = t.json("witnesses", "list")
    assert [w["name"] for w in listed["witnesses"]] == ["w1"]
    assert [(w["name"], w["reason"]) for w in listed["removed"]] == [("w2", "shut down")]
    assert "removed witnesses" in t("witnesses", "list").stdout
    written = t.json("witnesses", "policy", "-o", str(tmp_path / "policy.txt"))
    assert written["witnesses"] == ["w1"]
    policy = (tmp_path / "policy.txt").read_text()  # (a random vkey may hold "w2")
    assert "witness w2 " not in policy and "group witnesses all w1\n" in policy
    (event,) = t.json("log", "--type", "witness.removed")["events"]
    assert t.json("event", str(event["position"]))["verified"]
    assert t.json("verify")["ok"]


def test_a_removed_witness_is_not_removed_moved_or_added_again(t: Tally) -> None:
    t("witnesses", "remove", "w2", "--reason", "shut down")
    t.refused("witnesses", "remove", "w2", "--reason", "again", fragment="was removed")
    t.refused("witnesses", "update", "w2", "--url", "http://127.0.0.1:9/c",
              fragment="was removed (shut down)")
    message = t.refused("witnesses", "add", "w2", "--url", "http://127.0.0.1:9/c", "--vkey",
                        _vkey("w2", 2), fragment="choose another name")
    assert "shut down" in message
    # under another name, with its key again, it is a witness anew
    t("witnesses", "add", "w2b", "--url", "http://127.0.0.1:9/c", "--vkey", _vkey("w2", 2))
    assert t.json("verify")["ok"]


def test_an_update_moves_the_witness_once(t: Tally) -> None:
    assert t.json("witnesses", "update", "w1", "--url",
                  "http://127.0.0.1:9/new")["status"] == "recorded"
    again = t.json("witnesses", "update", "w1", "--url", "http://127.0.0.1:9/new")
    assert again["status"] == "already recorded"
    assert len(t.json("log", "--type", "witness.updated")["events"]) == 1
    (w1,) = [w for w in t.json("witnesses", "list")["witnesses"] if w["name"] == "w1"]
    assert (w1["url"], w1["vkey"]) == ("http://127.0.0.1:9/new", _vkey("w1", 1))
    assert t.json("verify")["ok"]


def test_unknown_witnesses_and_bad_urls_are_refused(t: Tally) -> None:
    t.refused("witnesses", "remove", "w3", "--reason", "gone", fragment="not configured")
    t.refused("witnesses", "update", "w11", "--url", "http://127.0.0.1:9/x",
              fragment="did you mean 'w1'")
    t.refused("witnesses", "update", "w1", "--url", "ftp://elsewhere", fragment="url")
    t("witnesses", "remove", "w1", code=2)  # --reason is required


def test_only_the_operator_removes_or_moves_a_witness(t: Tally, tmp_path: Path) -> None:
    t("keys", "new", "alice")
    t("signers", "add", "alice", "--key", "alice")
    alice = KeyStore(tmp_path / "home").load("alice")
    with Ledger.open(str(tmp_path / "t.db")) as ledger:
        with pytest.raises(NotAuthorisedError):
            ledger.remove_witness("w1", "not mine", alice)
        with pytest.raises(NotAuthorisedError):
            ledger.update_witness("w1", "http://127.0.0.1:9/x", alice)
    assert len(t.json("witnesses", "list")["witnesses"]) == 2


@pytest.fixture
def running(tmp_path: Path) -> Iterator[RunningWitness]:
    w = RunningWitness(tmp_path / "w", "w.example")
    yield w
    if w.server is not None:
        w.stop()


def test_the_checkpoint_asks_a_moved_witness_at_its_new_url_and_a_removed_one_never(
        tmp_path: Path, running: RunningWitness) -> None:
    t = Tally(tmp_path)
    t("init", "--name", ORIGIN)
    t("witness", "add-log", ORIGIN, "--vkey", t.json("witnesses", "list")["log_vkey"],
      "--dir", str(running.folder))
    t("witnesses", "add", "w", "--url", running.url, "--vkey", running.vkey)
    t("witnesses", "add", "gone", "--url", "http://127.0.0.1:9", "--vkey", _vkey("gone", 3))
    t("witnesses", "remove", "gone", "--reason", "never ran")
    by = {a["name"]: a["outcome"] for a in t.json("checkpoint")["witnesses"]}
    assert by == {"w": "cosigned"}
    old = running.url
    running.stop()
    running.port = 0  # the witness moves to another port
    running.start()
    assert running.url != old
    t("sources", "add", "s1", "--name", "A source", "--kind", "media")
    by = {a["name"]: a["outcome"] for a in t.json("checkpoint")["witnesses"]}
    assert by == {"w": "unreachable"}
    t("witnesses", "update", "w", "--url", running.url)
    by = {a["name"]: a["outcome"] for a in t.json("checkpoint")["witnesses"]}
    assert by == {"w": "cosigned"}
    assert t.json("verify")["ok"]


def test_export_and_import_carry_the_changes(t: Tally, tmp_path: Path) -> None:
    t("witnesses", "update", "w1", "--url", "http://127.0.0.1:9/new")
    t("witnesses", "remove", "w2", "--reason", "shut down")
    t("checkpoint")
    t("export", "-o", str(tmp_path / "out.jsonl"))
    lines = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [x["type"] for x in lines] == ["witness", "witness", "witness-update",
                                          "witness-removal"]
    (tmp_path / "again").mkdir()
    again = Tally(tmp_path / "again")
    again.env["TALLY_HOME"] = t.env["TALLY_HOME"]
    again("init", "--name", ORIGIN)
    again("import", str(tmp_path / "out.jsonl"))
    assert again.json("witnesses", "list") == t.json("witnesses", "list")
    assert again.json("verify")["ok"]
    # read back into either ledger, the same lines record nothing
    for ledger in (t, again):
        before = ledger.json("verify")["events"]
        ledger("import", str(tmp_path / "out.jsonl"))
        assert ledger.json("verify")["events"] == before
    # the two new statements are format v2 leaves
    for kind in ("witness.updated", "witness.removed"):
        (event,) = t.json("log", "--type", kind)["events"]
        shown = t.json("event", str(event["position"]))
        assert json.loads(shown["leaf"])["v"] == 2, shown


def _forged_removal(db: str, insider: KeyPair, name: str) -> None:
    """A witness.removed signed by a registered signer who is not the operator, appended by
    SQL at the witness's next version (the insider's best forgery)."""
    from sqlalchemy import text

    from tally.ledger.model.events import registry_uuid

    with Ledger.open(db) as ledger:
        info = ledger.info()
        body = canonical({"ledger": info.ledger_id, "name": name, "reason": "forged",
                          "signer": insider.key_id, "type": "witness.removed"})
        with ledger.engine.begin() as conn:
            last = conn.execute(text(f"SELECT state FROM {ledger.store.events_table} "
                                     "ORDER BY rowid DESC LIMIT 1")).scalar_one()
            state = canonical({"body": body, "recorded": json.loads(last)["recorded"],
                               "signature": sign(insider.private_key, body)}).encode()
            conn.execute(text(f"INSERT INTO {ledger.store.events_table} (originator_id, "
                              "originator_version, topic, state) VALUES (:i, 2, "
                              "'witness.removed', :s)"),
                         {"i": registry_uuid("witness", name).hex, "s": state})


def test_a_removal_the_operator_did_not_sign_fails_the_audit_at_its_position(
        t: Tally, tmp_path: Path) -> None:
    t("keys", "new", "alice")
    t("signers", "add", "alice", "--key", "alice")
    t("checkpoint")
    events = t.json("verify")["events"]
    _forged_removal(str(tmp_path / "t.db"), KeyStore(tmp_path / "home").load("alice"), "w1")
    # the witness was added before the checkpoint, whose sealed registry omits witnesses:
    # the check of the unlogged tail still refuses it, at its position
    error = t.json("verify", code=1)["error"]
    assert f"position {events + 1} fails the audit" in error, error
    assert "only the ledger's operator key may sign witness changes" in error, error
