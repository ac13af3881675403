"""Witnesses for real: three C2SP witnesses on 127.0.0.1 (ports from the OS), a ledger that
gathers their cosignatures as it grows, readers that require a quorum of two, a split view
every witness refuses, a witness restarted (and one restored from an old backup) that
keeps its word, and every HTTP status of tlog-witness."""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from clirunner import Tally
from running_witness import RunningWitness

from tally.ledger.infra.keystore import KeyStore
from tally.ledger.integrity import merkle
from tally.ledger.integrity.checkpoints import (
    Checkpoint,
    sign_checkpoint,
    split_note,
    verifier_key,
)
from tally.ledger.integrity.witness_protocol import format_add_checkpoint

ORIGIN = "example.org/witnessed"


@pytest.fixture
def witnesses(tmp_path: Path) -> Iterator[list[RunningWitness]]:
    running = [RunningWitness(tmp_path / f"w{i}", f"w{i}.example") for i in (1, 2, 3)]
    yield running
    for w in running:
        if w.server is not None:
            w.stop()


@pytest.fixture
def tally(tmp_path: Path, witnesses: list[RunningWitness]) -> Tally:
    t = Tally(tmp_path)
    t("init", "--name", ORIGIN)
    log_vkey = t.json("witnesses", "list")["log_vkey"]
    for n, w in enumerate(witnesses, start=1):
        t("witness", "add-log", ORIGIN, "--vkey", log_vkey, "--dir", str(w.folder))
        t("witnesses", "add", f"w{n}", "--url", w.url, "--vkey", w.vkey)
    return t


_added = iter(range(10**6))


def _grow(t: Tally, n: int) -> None:
    for _ in range(n):
        t("sources", "add", f"s{next(_added)}", "--name", "A source", "--kind", "media")


def _checkpoint(t: Tally) -> dict:
    out = t.json("checkpoint")
    out["by"] = {a["name"]: a["outcome"] for a in out["witnesses"]}
    return out


def _policy(path: Path, witnesses: list[RunningWitness], quorum: str) -> Path:
    lines = [f"witness w{n} {w.vkey}" for n, w in enumerate(witnesses, start=1)]
    path.write_text("\n".join([*lines, quorum, ""]), encoding="utf-8")
    return path


def _operator(t: Tally) -> tuple[bytes, object]:
    info = t.json("witnesses", "list")
    pair = KeyStore(t.tmp / "home").load("operator")
    assert info["origin"] == ORIGIN
    return pair.public_key, pair.private_key


def test_growth_quorum_restart_and_a_witness_that_is_down(
        tally: Tally, witnesses: list[RunningWitness], tmp_path: Path) -> None:
    t = tally
    two_of_three = _policy(tmp_path / "two.policy", witnesses,
                           "group all3 2 w1 w2 w3\nquorum all3")
    all_three = _policy(tmp_path / "all.policy", witnesses, "group all3 all w1 w2 w3\nquorum all3")
    op_hex = _operator(t)[0].hex()
    first = _checkpoint(t)
    assert first["by"] == {"w1": "cosigned", "w2": "cosigned", "w3": "cosigned"}
    for _round in range(2):  # growth: each witness checks a consistency proof
        _grow(t, 3)
        assert set(_checkpoint(t)["by"].values()) == {"cosigned"}

    # w3 goes down: the checkpoint is still made, with two cosignatures, quickly
    witnesses[2].stop()
    _grow(t, 2)
    began = time.monotonic()
    down = _checkpoint(t)
    assert time.monotonic() - began < 15  # bounded by the client's timeouts, not by w3
    assert down["by"] == {"w1": "cosigned", "w2": "cosigned", "w3": "unreachable"}
    note_file = tmp_path / "cp.txt"
    note_file.write_text(down["note"], encoding="utf-8")
    claim_proof = tmp_path / "consistency.json"
    t("consistency", str(first["size"]), str(down["size"]), "-o", str(claim_proof))
    ok = t.json("verify-proof", str(claim_proof), "--checkpoint", str(note_file),
                "--operator-key", op_hex, "--policy", str(two_of_three))
    assert ok["witnessed_by"] == ["w1", "w2"]
    refused = t.json("verify-proof", str(claim_proof), "--checkpoint", str(note_file),
                     "--operator-key", op_hex, "--policy", str(all_three), code=1)
    assert "no cosignature from w3" in refused["error"]
    assert t.json("verify", "--policy", str(two_of_three))["ok"]
    assert "w3" in t.json("verify", "--policy", str(all_three), code=1)["problem"]

    # w3 restarts on its port: it kept its state, and catches up with one proof
    witnesses[2].start()
    assert _checkpoint(t)["by"] == {"w1": "already cosigned", "w2": "already cosigned",
                                    "w3": "cosigned"}
    assert t.json("verify", "--policy", str(all_three))["ok"]
    listed = t.json("checkpoint", "--list")["checkpoints"]
    assert listed[-1]["size"] == down["size"] and "w3.example" in listed[-1]["note"]

    # w1 restored from an old backup: its 409 names its size, the log retries from there
    witnesses[0].stop()
    backup = tmp_path / "w1-backup"
    shutil.copytree(witnesses[0].folder, backup)
    witnesses[0].start()
    backup_size = t.json("checkpoint", "--list")["checkpoints"][-1]["size"]
    _grow(t, 1)
    assert _checkpoint(t)["by"]["w1"] == "cosigned"
    witnesses[0].stop()
    shutil.rmtree(witnesses[0].folder)
    shutil.copytree(backup, witnesses[0].folder)
    witnesses[0].start()
    _grow(t, 1)
    retried = next(a for a in _checkpoint(t)["witnesses"] if a["name"] == "w1")
    assert retried["outcome"] == "cosigned" and retried["old_size"] == backup_size


def test_a_split_view_is_refused_by_every_witness(
        tally: Tally, witnesses: list[RunningWitness], tmp_path: Path) -> None:
    t = tally
    _grow(t, 2)
    honest = _checkpoint(t)
    size = honest["size"]
    _, private = _operator(t)
    # the operator signs another history of a size the witnesses already cosigned
    forged = sign_checkpoint(Checkpoint(origin=ORIGIN, size=size,
                                        root_hash=hashlib.sha256(b"other").digest()), private)
    for w in witnesses:  # tlog-witness: the same size with another root is a 409
        assert _post(w.url, format_add_checkpoint(size, [], forged))[:2] == (
            409, "text/x.tlog.size")
    # and a longer fork from it: no proof reaches the cosigned root
    fork = merkle.MemoryNodes([merkle.leaf_hash(bytes([i])) for i in range(size + 3)])
    longer = sign_checkpoint(Checkpoint(origin=ORIGIN, size=size + 3,
                                        root_hash=merkle.root(size + 3, fork.get)), private)
    proof = merkle.consistency_path(size, size + 3, fork.get)
    for w in witnesses:
        assert _post(w.url, format_add_checkpoint(size, proof, longer))[0] == 422
    policy = _policy(tmp_path / "p", witnesses, "group q 2 w1 w2 w3\nquorum q")
    (tmp_path / "forged.txt").write_text(forged, encoding="utf-8")
    (tmp_path / "honest.txt").write_text(honest["note"], encoding="utf-8")
    refused = t.json("verify", "--checkpoint", str(tmp_path / "forged.txt"),
                     "--policy", str(policy), code=1)
    assert refused["ok"] is False
    # the witnesses still cosign the honest history
    _grow(t, 1)
    assert set(_checkpoint(t)["by"].values()) == {"cosigned"}


def _post(url: str, body: str | bytes, path: str = "/add-checkpoint") -> tuple[int, str, str]:
    data = body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(url + path, data=data, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as r:
            return r.status, r.headers.get_content_type(), r.read().decode()
    except urllib.error.HTTPError as e:
        with e:
            return e.code, e.headers.get_content_type(), e.read().decode()


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        with e:
            return e.code, e.read().decode()


def test_every_status_of_the_protocol(tally: Tally, witnesses: list[RunningWitness]) -> None:
    t = tally
    w = witnesses[0]
    public, private = _operator(t)
    nodes = merkle.MemoryNodes([merkle.leaf_hash(bytes([i])) for i in range(8)])

    def note(size: int, key: object = private, origin: str = ORIGIN) -> str:
        root = merkle.root(size, nodes.get) if size else merkle.EMPTY_ROOT
        return sign_checkpoint(Checkpoint(origin=origin, size=size, root_hash=root), key)

    monitor = f"{w.url}/{hashlib.sha256(ORIGIN.encode()).hexdigest()}/checkpoint"
    assert _get(monitor)[0] == 404  # nothing cosigned yet
    assert _post(w.url, format_add_checkpoint(0, [], note(5)))[0] == 200
    status, kind, body = _post(w.url, format_add_checkpoint(0, [], note(6)))
    assert (status, kind, body) == (409, "text/x.tlog.size", "5\n")
    assert _post(w.url, format_add_checkpoint(7, [], note(6)))[0] == 400  # old past size
    assert _post(w.url, "old 5\nnot a hash\n\n" + note(6))[0] == 400
    assert _post(w.url, b"\xff\xfe")[0] == 400
    assert _post(w.url, format_add_checkpoint(0, [], note(5, origin="unknown.org/log")))[0] == 404
    stranger = KeyStore(t.tmp / "other").create("stranger").private_key
    assert _post(w.url, format_add_checkpoint(5, [], note(6, stranger)))[0] == 403
    tampered = note(6)[:-6] + ("AAAA=\n" if not note(6).endswith("AAAA=\n") else "BBBB=\n")
    assert _post(w.url, format_add_checkpoint(5, [], tampered))[0] in (400, 403)
    good = merkle.consistency_path(5, 8, nodes.get)
    bad = [*good[:-1], hashlib.sha256(b"x").digest()]
    assert _post(w.url, format_add_checkpoint(5, bad, note(8)))[0] == 422
    other_root = sign_checkpoint(Checkpoint(origin=ORIGIN, size=5, root_hash=bytes(32)), private)
    assert _post(w.url, format_add_checkpoint(5, [], other_root)) == (
        409, "text/x.tlog.size", "5\n")  # a fork at the witness's own size
    status, kind, line = _post(w.url, format_add_checkpoint(5, good, note(8)))
    assert status == 200 and line.startswith("— w1.example ")
    status, served = _get(monitor)
    assert status == 200 and served.startswith(split_note(note(8))[0]) and served.endswith(line)
    assert _get(f"{w.url}/{'0' * 64}/checkpoint")[0] == 404
    # a fresh witness: size 0 needs the empty root, and old 0 an empty proof
    fresh = witnesses[1]
    zero = sign_checkpoint(Checkpoint(origin=ORIGIN, size=0, root_hash=bytes(32)), private)
    assert _post(fresh.url, format_add_checkpoint(0, [], zero))[0] == 422
    assert _post(fresh.url, format_add_checkpoint(0, good, note(8)))[0] == 422
    assert _post(fresh.url, format_add_checkpoint(0, [], note(0)))[0] == 200
    assert _post(w.url, "old 5\n\n" + note(8), path="/elsewhere")[0] == 404
    assert public  # the operator key the witnesses trust


def test_a_witness_that_accepts_but_never_answers_costs_seconds_not_the_checkpoint(
        tally: Tally, tmp_path: Path) -> None:
    t = tally
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # the kernel accepts connections; nobody ever answers
    try:
        port = silent.getsockname()[1]
        vkey = RunningWitness(tmp_path / "mute", "mute.example").vkey
        t("witnesses", "add", "mute", "--url", f"http://127.0.0.1:{port}", "--vkey", vkey)
        began = time.monotonic()
        out = _checkpoint(t)
        assert time.monotonic() - began < 15
        assert out["by"]["mute"] == "unreachable" and out["size"] > 0
    finally:
        silent.close()


def test_witness_commands_and_their_refusals(tmp_path: Path) -> None:
    t = Tally(tmp_path)
    w = tmp_path / "w"
    created = t.json("witness", "init", "--name", "w.example", "--dir", str(w))
    assert created["vkey"].startswith("w.example+") and created["created"]
    assert not t.json("witness", "init", "--name", "w.example", "--dir", str(w))["created"]
    assert "already holds" in t.json("witness", "init", "--name", "x", "--dir", str(w),
                                     code=1)["error"]
    assert "note key name" in t.json("witness", "init", "--name", "a b", "--dir",
                                     str(tmp_path / "v"), code=1)["error"]
    key = KeyStore(tmp_path / "k").create("log").public_key
    vkey = verifier_key("log.example", key)
    assert t.json("witness", "add-log", "log.example", "--vkey", vkey, "--dir", str(w))["size"] == 0
    assert "another log" in t.json("witness", "add-log", "other.example", "--vkey", vkey,
                                   "--dir", str(w), code=1)["error"]
    logs = t.json("witness", "logs", "--dir", str(w))["logs"]
    assert [r["origin"] for r in logs] == ["log.example"]
    assert "no witness" in t.json("witness", "logs", "--dir", str(tmp_path / "none"),
                                  code=1)["error"]
    t("init", "--name", ORIGIN)
    assert "vkey" in t.json("witnesses", "add", "w", "--url", "http://x", "--vkey", vkey,
                            code=1)["error"]
    assert "url" in t.json("witnesses", "add", "w", "--url", "ftp://x", "--vkey",
                           created["vkey"], code=1)["error"]
    t("witnesses", "add", "w", "--url", "http://127.0.0.1:9", "--vkey", created["vkey"])
    assert "already configured" in t.json("witnesses", "add", "w", "--url", "http://127.0.0.1:8",
                                           "--vkey", created["vkey"], code=1)["error"]
    assert json.dumps(t.json("witnesses", "list")["witnesses"]).count("w.example") == 1
    assert t.json("verify")["ok"]
