"""Storage faults found while testing both engines under load and crashes, each pinned down.

- Processes opening one new database at once: on PostgreSQL the event store's DDL
  (`CREATE TYPE`, `CREATE OR REPLACE FUNCTION`) failed with "tuple concurrently
  updated" unless it is serialised; on SQLite all but one failed to switch the new
  file to WAL ("database is locked", at once, with a traceback).
- A checkpoint of an unchanged log: on SQLite it waited for its own write lock
  until the lock timeout, then failed with a traceback.
- A writer killed between committing events and logging them: `tally verify`
  reported "this event is not in the Merkle log" until some later write.
- A locked database: SQLAlchemy's error escaped as a traceback.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tally.cli.main import app
from tally.ledger.application import Ledger
from tally.ledger.errors import StorageError
from tally.ledger.infra import storage
from tally.ledger.infra.keystore import KeyStore
from tally.ledger.model.inputs import FigureRecord, ReportRecord, SourceRecord
from tally.ledger.verify.audit import verify
from tally.projections.readmodel import ReadModel

OPENERS, ROUNDS = 4, 20
# In each round every process waits for all the others, then opens (on SQLite a new file
# each round, on PostgreSQL the one database again) together with them.
OPENER = """
import sys, time
from pathlib import Path
from tally.ledger.application import Ledger
from tally.projections.readmodel import ReadModel
url, me, work, count, rounds = sys.argv[1], sys.argv[2], Path(sys.argv[3]), *map(int, sys.argv[4:])
for i in range(rounds):
    (work / f"ready-{i}-{me}").touch()
    while len(list(work.glob(f"ready-{i}-*"))) < count:
        if (work / "stop").exists():
            sys.exit(3)
        time.sleep(0.001)
    with Ledger.open(url if "://" in url else f"{url}-{i}.db", create=True) as ledger:
        ReadModel(ledger)
"""


def test_processes_opening_one_new_database_at_once(db_url: str, tmp_path: Path) -> None:
    work = tmp_path / "barrier"
    work.mkdir()
    procs = [subprocess.Popen([sys.executable, "-c", OPENER, db_url, str(n), str(work),
                               str(OPENERS), str(ROUNDS)], stderr=subprocess.PIPE, text=True)
             for n in range(OPENERS)]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        codes = [p.poll() for p in procs]
        if None not in codes:
            break
        if any(code not in (None, 0) for code in codes):
            (work / "stop").touch()  # the others would wait for it at the next round
        time.sleep(0.05)
    for p in procs:
        if p.poll() is None:
            p.kill()
    errors = [p.communicate()[1] for p in procs]
    failed = [e for p, e in zip(procs, errors, strict=True) if p.returncode not in (0, 3)]
    assert not failed and all(p.returncode == 0 for p in procs), "\n".join(failed)


@pytest.fixture
def short_lock_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail within a second instead of 30 when a lock is never released."""
    monkeypatch.setattr(storage, "LOCK_TIMEOUT_SECONDS", 1)


@pytest.mark.usefixtures("short_lock_timeout")
def test_a_checkpoint_of_an_unchanged_log_returns_the_last_one(
    db_url: str, tmp_path: Path
) -> None:
    keys = KeyStore(tmp_path / "home")
    operator = keys.create("operator")
    with Ledger.open(db_url, create=True) as ledger:
        ledger.init("example.org/faults", operator)
        first = ledger.checkpoint(operator)
        began = time.monotonic()
        assert ledger.checkpoint(operator) == first
        assert time.monotonic() - began < 0.9
        assert [size for size, _, _ in ledger.log.checkpoints()] == [first[0]]
    runner = CliRunner()
    env = {"TALLY_DB": db_url, "TALLY_HOME": str(tmp_path / "home")}
    for _ in range(2):
        result = runner.invoke(app, ["--json", "checkpoint"], env=env)
        assert result.exit_code == 0, result.output


def test_the_next_command_logs_events_a_killed_writer_left_unlogged(
    db_url: str, tmp_path: Path
) -> None:
    keys = KeyStore(tmp_path / "home")
    operator, alice = keys.create("operator"), keys.create("alice")
    with Ledger.open(db_url, create=True) as ledger:
        ReadModel(ledger).attach()
        ledger.init("example.org/faults", operator)
        ledger.add_signer("alice", alice.public_key, operator)
        ledger.add_source(SourceRecord(id="wire", name="Wire", kind="media"), operator)
        ledger.define_figure(FigureRecord(id="f/bodies", unit="bodies"), operator)
        ledger.checkpoint(operator)
        # What a writer killed right after its commit leaves: events, no leaves, no rows.
        ledger.journal.listeners.clear()
        ledger.journal.after_write = lambda *_, **__: None  # type: ignore[method-assign]
        claim = ledger.report(ReportRecord(figure="f/bodies", value="447", as_of="2022-09",
                                           source="wire"), alice).id
        assert ledger.log.size() == ledger.events.max_position() - 1
        # verify itself never repairs: it checks the unlogged event as the log would, and
        # counts it as pending (a writer commits its events, then logs them)
        audited = verify(ledger.parts)
        assert audited.pending == 1 and audited.size == ledger.log.size()
    runner = CliRunner()
    env = {"TALLY_DB": db_url, "TALLY_HOME": str(tmp_path / "home")}
    result = runner.invoke(app, ["--json", "verify"], env=env)
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["--json", "provenance", claim[:8]], env=env)
    assert result.exit_code == 0, result.output
    with Ledger.open(db_url) as ledger:
        assert ledger.log.size() == ledger.events.max_position()
        assert ReadModel(ledger).position() == ledger.events.max_position()


@pytest.mark.usefixtures("short_lock_timeout")
def test_a_locked_sqlite_database_is_one_sentence(tmp_path: Path) -> None:
    env = {"TALLY_DB": str(tmp_path / "t.db"), "TALLY_HOME": str(tmp_path / "home")}
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--name", "example.org/locked"], env=env).exit_code == 0
    operator = KeyStore(tmp_path / "home").load("operator")
    opened = Ledger.open(str(tmp_path / "t.db"))
    holder = sqlite3.connect(tmp_path / "t.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        # through the API, on a ledger opened before the lock was taken
        for write in (lambda: opened.checkpoint(operator), opened.journal.after_write,
                      lambda: opened.add_source(SourceRecord(id="w", name="W", kind="media"),
                                                operator)):
            with pytest.raises(StorageError, match="is locked by another writer"):
                write()
        # through the CLI, which cannot even open it
        for args in (["sources", "add", "wire", "--name", "Wire", "--kind", "media"],
                     ["checkpoint"]):
            result = runner.invoke(app, args, env=env)
            assert result.exit_code == 1, result.output
            assert "Traceback" not in result.output
            message = result.stderr.strip()
            assert len(message.splitlines()) == 1, message
            assert "is locked by another writer" in message, message
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        opened.close()
    assert runner.invoke(app, ["sources", "add", "wire", "--name", "Wire", "--kind", "media"],
                         env=env).exit_code == 0
