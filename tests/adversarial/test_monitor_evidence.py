"""What a monitor run refuses, and the evidence it keeps (issue 23, points 2 and 3).

- A run reads the site's checkpoint once: a server that answers one checkpoint to the
  check and another (a fork) to the audit cannot get both seen and `ok` printed.
- Two checkpoints the operator signed for one size with different roots, across runs,
  are the evidence: both notes go into the file.
- Every refusal writes evidence, a checkpoint that is not UTF-8 and a short tile too.
- A ledger with history of its own is never turned into a replica.

Sites are served over HTTP on 127.0.0.1.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from clirunner import Tally
from newsroom import follower, newsroom, operator_key
from static_server import Server, copy_db


def report(tally: Tally, value: str, db: Path) -> None:
    tally("--db", str(db), "report", "site/bodies", value, "--as-of", "2022-09-16",
          "--source", "news", "--key", "alice")


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Tally, Server]]:
    """The operator's runner (its ledger at t.db, a copy at base.db) and a server of its
    published site, seen once by a state-file monitor and cloned into replica.db."""
    tally = newsroom(tmp_path, str(tmp_path / "t.db"))
    report(tally, ">440", tmp_path / "t.db")
    tally("publish", str(tmp_path / "site"))
    copy_db(tmp_path / "t.db", tmp_path / "base.db")
    server = Server(tmp_path / "site")
    try:
        key = operator_key(tmp_path / "site")
        follower(tmp_path)("monitor", server.url, "--operator-key", key, "--state",
                           str(tmp_path / "state.json"))
        tally("--db", str(tmp_path / "replica.db"), "clone", server.url, "--operator-key", key)
        yield tally, server
    finally:
        server.close()


def fork_checkpoint(tally: Tally) -> bytes:
    """A checkpoint of the same size as the site's next one, over another history."""
    report(tally, "460", tally.tmp / "base.db")
    tally("--db", str(tally.tmp / "base.db"), "publish", str(tally.tmp / "forked"))
    return (tally.tmp / "forked" / "checkpoint").read_bytes()


def test_a_run_reads_the_checkpoint_once_and_a_fork_of_one_size_is_evidence(
        site: tuple[Tally, Server]) -> None:
    tally, server = site
    report(tally, "452", tally.tmp / "t.db")
    tally("publish", str(tally.tmp / "site"))
    honest = (tally.tmp / "site" / "checkpoint").read_bytes()
    forked = fork_checkpoint(tally)
    answers = iter([honest])
    server.answers["checkpoint"] = lambda: next(answers, forked)  # the fork from the 2nd GET
    state, evidence = tally.tmp / "state.json", tally.tmp / "evidence.json"
    watch = ["monitor", server.url, "--state", str(state), "--evidence", str(evidence)]
    before = server.requests_for.get("checkpoint", 0)
    assert follower(tally.tmp).json(*watch)["ok"]
    assert server.requests_for["checkpoint"] == before + 1
    out = follower(tally.tmp)(*watch, code=1).output  # now the fork, of the same size
    assert "forked" in out
    found = json.loads(evidence.read_text())
    assert found["old_checkpoint"] == honest.decode() and found["new_checkpoint"] == \
        forked.decode()
    assert found["old_size"] == found["new_size"]
    # a replica that kept the honest checkpoint keeps both notes too
    tally("--db", str(tally.tmp / "replica.db"), "monitor", server.url, "--evidence",
          str(evidence), code=1)
    server.answers.pop("checkpoint")
    tally("--db", str(tally.tmp / "replica.db"), "monitor", server.url)
    server.answers["checkpoint"] = lambda: forked
    evidence.unlink()
    tally("--db", str(tally.tmp / "replica.db"), "monitor", server.url, "--evidence",
          str(evidence), code=1)
    found = json.loads(evidence.read_text())
    assert {found["old_checkpoint"], found["new_checkpoint"]} == {honest.decode(),
                                                                   forked.decode()}


def _not_utf8(site: Path) -> None:
    (site / "checkpoint").write_bytes(b"\xff\xfe" + (site / "checkpoint").read_bytes())


def _short_tile(site: Path) -> None:
    size = json.loads((site / "log.json").read_text())["checkpoints"][-1]
    tile = site / "tile" / "0" / "000.p" / str(size)
    tile.write_bytes(tile.read_bytes()[:-1])


@pytest.mark.parametrize("fault", [_not_utf8, _short_tile], ids=["not utf-8", "short tile"])
@pytest.mark.parametrize("mode", ["replica", "state"])
def test_every_refusal_writes_evidence(site: tuple[Tally, Server], fault: object,
                                       mode: str) -> None:
    tally, server = site
    report(tally, "452", tally.tmp / "t.db")
    tally("publish", str(tally.tmp / "site"))
    assert callable(fault)
    fault(tally.tmp / "site")
    evidence = tally.tmp / "evidence.json"
    where = ((["--db", str(tally.tmp / "replica.db")], []) if mode == "replica"
             else ([], ["--state", str(tally.tmp / "state.json")]))
    out = follower(tally.tmp)(*where[0], "monitor", server.url, *where[1], "--evidence",
                              str(evidence), code=1).output
    assert "evidence written to" in out
    found = json.loads(evidence.read_text())
    assert found["problem"] and found["new_checkpoint"] and found["old_checkpoint"]


def test_monitor_and_clone_refuse_the_operators_own_ledger(
        site: tuple[Tally, Server]) -> None:
    tally, server = site  # TALLY_DB is the operator's ledger, as the demo exports it
    key = operator_key(tally.tmp / "site")
    for command in (["monitor", server.url], ["clone", server.url, "--operator-key", key]):
        out = tally(*command, code=1).output
        assert "history of its own" in out and "another --db" in out, command
    assert not (tally.tmp / "evidence.json").exists()
    assert not list(tally.tmp.glob("t.db.staging*"))
    report(tally, "452", tally.tmp / "t.db")  # the ledger still takes writes
    assert tally.json("verify")["ok"]


def test_an_explicit_state_file_watches_the_site_whatever_TALLY_DB_names(
        site: tuple[Tally, Server]) -> None:
    """`--state FILE` asks for the state mode: with TALLY_DB exported (as the demo does), the
    site is watched without a replica, and the operator's ledger is left alone; `--db` on
    the command line still names a replica to update."""
    tally, server = site
    key = operator_key(tally.tmp / "site")
    state = tally.tmp / "watch.json"
    before = (tally.tmp / "t.db").read_bytes()
    watched = tally.json("monitor", server.url, "--operator-key", key, "--state", str(state))
    assert watched["mode"] == "state" and state.exists()
    assert (tally.tmp / "t.db").read_bytes() == before
    # --db on the command line still names the replica to update, as before
    replica = str(tally.tmp / "r.db")
    tally("--db", replica, "clone", server.url, "--operator-key", key)
    both = tally.json("--db", replica, "monitor", server.url, "--state", str(state))
    assert both["mode"] == "replica"
