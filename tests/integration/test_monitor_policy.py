"""`tally monitor --policy`: three real witnesses on 127.0.0.1, a published site followed
by a replica and by a state-file monitor. A checkpoint cosigned by two of three meets a
quorum of two; against a policy that needs all three it is refused, naming the missing
witness, and nothing is taken (the replica, the state file and the private replica stay
as they were)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from clirunner import Tally
from running_witness import RunningWitness

from tally.ledger.infra.keystore import KeyStore

ORIGIN = "example.org/witnessed"


@pytest.fixture
def witnesses(tmp_path: Path) -> Iterator[list[RunningWitness]]:
    running = [RunningWitness(tmp_path / f"w{i}", f"w{i}.example") for i in (1, 2, 3)]
    yield running
    for w in running:
        if w.server is not None:
            w.stop()


def _policy(path: Path, witnesses: list[RunningWitness], threshold: str) -> str:
    lines = [f"witness w{n} {w.vkey}" for n, w in enumerate(witnesses, start=1)]
    path.write_text("\n".join([*lines, f"group g {threshold} w1 w2 w3", "quorum g", ""]),
                    encoding="utf-8")
    return str(path)


def test_monitor_requires_the_policy_quorum(tmp_path: Path,
                                            witnesses: list[RunningWitness]) -> None:
    t = Tally(tmp_path)
    t("init", "--name", ORIGIN)
    log_vkey = t.json("witnesses", "list")["log_vkey"]
    for n, w in enumerate(witnesses, start=1):
        t("witness", "add-log", ORIGIN, "--vkey", log_vkey, "--dir", str(w.folder))
        t("witnesses", "add", f"w{n}", "--url", w.url, "--vkey", w.vkey)
    two, every = _policy(tmp_path / "two.policy", witnesses, "2"), \
        _policy(tmp_path / "all.policy", witnesses, "all")
    site, db = str(tmp_path / "site"), str(tmp_path / "t.db")
    t.env.pop("TALLY_DB")
    t("--db", db, "sources", "add", "s1", "--name", "One", "--kind", "media")
    t("--db", db, "publish", site)  # checkpointed, cosigned by all three
    key = KeyStore(tmp_path / "home").load("operator").public_key.hex()
    replica, state = str(tmp_path / "replica.db"), tmp_path / "state.json"
    t("--db", replica, "clone", site, "--operator-key", key)
    first = t.json("monitor", site, "--operator-key", key, "--state", str(state),
                   "--policy", every)
    assert first["witnessed_by"] == ["w1", "w2", "w3"]
    assert t.json("--db", replica, "monitor", site, "--policy", every)["witnessed_by"] == \
        ["w1", "w2", "w3"]

    # w3 is down: the next checkpoint has two cosignatures
    witnesses[2].stop()
    t("--db", db, "sources", "add", "s2", "--name", "Two", "--kind", "media")
    t("--db", db, "publish", site)
    seen = state.read_bytes()
    private = (tmp_path / "state.json.db").read_bytes()
    size = t.json("--db", replica, "verify")["events"]
    for where, watched in (["--db", replica], []), ([], ["--state", str(state)]):
        evidence = tmp_path / "evidence.json"
        refused = t.json(*where, "monitor", site, *watched, "--policy", every,
                         "--evidence", str(evidence), code=1)
        assert "short of the policy's quorum" in refused["error"], where
        assert "no cosignature from w3" in refused["error"]
        assert not evidence.exists()  # a late witness is no evidence against the operator
    assert state.read_bytes() == seen
    assert (tmp_path / "state.json.db").read_bytes() == private
    assert t.json("--db", replica, "verify")["events"] == size  # nothing taken

    # two of three meet the other policy; both monitors take the growth
    grown = t.json("--db", replica, "monitor", site, "--policy", two)
    assert grown["witnessed_by"] == ["w1", "w2"] and grown["size"] == size + 1
    watched_two = t.json("monitor", site, "--state", str(state), "--policy", two)
    assert watched_two["witnessed_by"] == ["w1", "w2"]
    assert watched_two["size"] == grown["size"]

