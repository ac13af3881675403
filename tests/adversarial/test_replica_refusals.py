"""A replica never breaks: each kind of update a site can be refused for (a missing or
changed document, a forked log, a truncated tile) leaves the replica at its last good
checkpoint, every read command answers from it and says, in one line, that the site
failed and where the evidence is; once the site is put right, the next run follows it.

A newsroom ledger with an anchored quote is published and cloned over HTTP (127.0.0.1);
the site then grows by a document and a claim anchored in it, and is damaged.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from clirunner import Tally
from newsroom import ARTICLE, LATER, archive_and_report, newsroom, operator_key
from static_server import Server, copy_db

FAULTS = ("missing document", "document bytes", "document text", "fork", "truncated tile")
READS = (["verify"], ["log"], ["figures", "list"], ["show", "site/bodies"])


@pytest.fixture
def grown(tmp_path: Path) -> Iterator[tuple[Tally, Server, str]]:
    """(the operator's runner, the server, the new document's sha256): a replica cloned at
    the first publish, the site grown by one document and one anchored claim since."""
    tally = newsroom(tmp_path, str(tmp_path / "t.db"))
    archive_and_report(tally, tmp_path / "a.txt", ARTICLE, ">440", "more than 440 bodies",
                       "2022-09-16")
    tally("publish", str(tmp_path / "site"))
    copy_db(tmp_path / "t.db", tmp_path / "base.db")
    server = Server(tmp_path / "site")
    try:
        tally("--db", str(tmp_path / "replica.db"), "clone", server.url, "--operator-key",
              operator_key(tmp_path / "site"))
        sha, _ = archive_and_report(tally, tmp_path / "b.txt", LATER, "452",
                                    "452 bodies had been exhumed", "2022-09-23")
        tally("publish", str(tmp_path / "site"))
        yield tally, server, sha
    finally:
        server.close()


def damage(tally: Tally, kind: str, sha: str) -> Path:
    """Damage the grown site; the file to put back to repair it (a copy is kept)."""
    site = tally.tmp / "site"
    if kind == "fork":  # from the entries the replica had before the growth it took
        fork = tally.tmp / "fork.db"
        copy_db(tally.tmp / "base.db", fork)
        for value in ("460", "461", "462"):
            tally("--db", str(fork), "report", "site/bodies", value, "--as-of", "2022-09-20",
                  "--source", "news", "--key", "alice")
        tally("--db", str(fork), "publish", str(tally.tmp / "forked"))
        shutil.copytree(site, tally.tmp / "kept-site")
        shutil.copytree(tally.tmp / "forked", site, dirs_exist_ok=True)
        return site
    size = json.loads((site / "log.json").read_text())["checkpoints"][-1]
    path = {"missing document": site / "documents" / sha,
            "document bytes": site / "documents" / sha,
            "document text": site / "documents" / f"{sha}.txt",
            "truncated tile": site / "tile" / "0" / "000.p" / str(size)}[kind]
    shutil.copyfile(path, tally.tmp / "kept")
    if kind == "missing document":
        path.unlink()
    elif kind == "truncated tile":
        path.write_bytes(path.read_bytes()[:-7])
    else:
        path.write_bytes(path.read_bytes().replace(b"452", b"453"))
    return path


def repair(tally: Tally, path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
        shutil.copytree(tally.tmp / "kept-site", path)
    else:
        shutil.copyfile(tally.tmp / "kept", path)


@pytest.mark.parametrize("kind", FAULTS)
def test_a_refused_update_leaves_the_replica_readable(
        grown: tuple[Tally, Server, str], kind: str) -> None:
    tally, server, sha = grown
    replica, evidence = str(tally.tmp / "replica.db"), tally.tmp / "evidence.json"
    if kind == "fork":  # the replica takes the growth, then the site forks from before it
        tally("--db", replica, "monitor", server.url)
    before = tally.json("--db", replica, "verify")
    exported = tally("--db", replica, "export").stdout
    damaged = damage(tally, kind, sha)
    out = tally("--db", replica, "monitor", server.url, "--evidence", str(evidence),
                code=1).output
    assert "evidence written to" in out
    found = json.loads(evidence.read_text())
    assert found["problem"] and found["new_checkpoint"]
    if kind != "fork" and kind != "truncated tile":
        assert sha in found["problem"]
    for command in READS:
        answer = tally("--db", replica, *command).output
        assert "warning: this replica is at its last good checkpoint" in answer, command
        assert str(evidence.absolute()) in answer.replace("\n", ""), (command, answer)
    after = tally.json("--db", replica, "verify")
    assert after["ok"] and after["events"] == before["events"]
    assert tally("--db", replica, "export").stdout == exported
    assert not Path(replica + ".staging").exists()
    if kind == "fork":
        return  # the operator signed two histories: no repair makes the site good again
    repair(tally, damaged)
    followed = tally.json("--db", replica, "monitor", server.url, "--evidence", str(evidence))
    assert followed["size"] > followed["previous_size"]
    assert "warning" not in tally("--db", replica, "verify").output
    assert tally.json("--db", replica, "verify")["events"] > before["events"]


def test_a_second_update_of_one_replica_waits_its_turn(
        grown: tuple[Tally, Server, str]) -> None:
    """Two updates would share the replica's stage (and the second could switch in what the
    first left): while one holds `<replica>.lock`, another is refused in one sentence and
    the replica is untouched."""
    import fcntl

    tally, server, _ = grown
    replica = tally.tmp / "replica.db"
    before = tally.json("--db", str(replica), "verify")["events"]
    with (tally.tmp / "replica.db.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        out = tally("--db", str(replica), "monitor", server.url, "--evidence",
                    str(tally.tmp / "evidence.json"), code=1).output
    assert "another clone or monitor is updating" in out
    assert not (tally.tmp / "evidence.json").exists()
    assert tally.json("--db", str(replica), "verify")["events"] == before
    assert tally.json("--db", str(replica), "monitor", server.url)["size"] > before


def test_an_entry_failing_the_audit_leaves_the_replica_readable(
        tmp_path: Path, new_db: Callable[[str], str]) -> None:
    """The operator publishes, under a checkpoint it signed, an entry whose signature is
    bad. On SQLite the staged update is discarded; on PostgreSQL, followed in place, the
    events of the refused batch are deleted. Either way the replica answers and verifies."""
    from site_faults import publish_bad_signature

    db_url = new_db("replica.db")
    tally = newsroom(tmp_path, str(tmp_path / "t.db"))
    archive_and_report(tally, tmp_path / "a.txt", ARTICLE, ">440", "more than 440 bodies",
                       "2022-09-16")
    site = tmp_path / "site"
    tally("publish", str(site))
    key = operator_key(site)
    tally("--db", db_url, "clone", str(site), "--operator-key", key)
    before = tally.json("--db", db_url, "verify")["events"]
    tally("report", "site/bodies", "452", "--as-of", "2022-09-23", "--source", "news",
          "--key", "alice")
    size = tally.json("publish", str(site))["size"]
    publish_bad_signature(site, tmp_path / "home", "example.org/evidence", key, size)
    evidence = tmp_path / "evidence.json"
    out = tally("--db", db_url, "monitor", str(site), "--evidence", str(evidence),
                code=1).output
    assert f"entry {size - 1} fails the audit" in out
    answer = tally("--db", db_url, "show", "site/bodies").output
    assert "warning: this replica is at its last good checkpoint" in answer
    after = tally.json("--db", db_url, "verify")
    assert after["ok"] and after["events"] == before
