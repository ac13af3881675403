"""An insider's consistent rewrite (an event cut, the Merkle log rebuilt, the stored
checkpoints deleted) passes an audit that trusts the database alone; a checkpoint the
auditor kept catches it: `tally verify --checkpoint FILE`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from insider import drop_checkpoints_from, full_ledger, rebuild, relog, rows
from sqlalchemy import text
from typer.testing import CliRunner

from tally.cli.main import app
from tally.ledger.application import Ledger


@pytest.fixture
def rewritten(db_url: str, keys: Any, tmp_path: Path) -> tuple[str, Path]:
    """The ledger after the rewrite, and the file of the checkpoint kept before it."""
    full_ledger(db_url, *keys)
    with Ledger.open(db_url) as ledger:
        _, note = ledger.checkpoint(keys[0])
    kept = tmp_path / "kept.txt"
    kept.write_text(note, encoding="utf-8")
    # the last claim, recorded by alice: cut it
    last = max(r[0] for r in rows(db_url) if r[3] == "claim.recorded")
    with Ledger.open(db_url) as ledger, ledger.engine.begin() as conn:
        where = "rowid" if ledger.store.is_sqlite else "notification_id"
        conn.execute(text(f"DELETE FROM {ledger.store.events_table} WHERE {where} = :p"),
                     {"p": last})
    relog(db_url)
    drop_checkpoints_from(db_url, 1)
    rebuild(db_url)
    return db_url, kept


def _verify(db: str, tmp_path: Path, *options: str) -> tuple[int, dict[str, Any]]:
    env = {"TALLY_DB": db, "TALLY_HOME": str(tmp_path / "home")}
    result = CliRunner().invoke(app, ["--json", "verify", *options], env=env)
    return result.exit_code, json.loads(result.stdout)


def test_the_rewrite_passes_without_a_kept_checkpoint(
    rewritten: tuple[str, Path], tmp_path: Path
) -> None:
    code, out = _verify(rewritten[0], tmp_path)
    assert code == 0 and out["ok"], out  # what the database alone can tell: nothing


def test_a_kept_checkpoint_catches_the_rewrite(
    rewritten: tuple[str, Path], tmp_path: Path
) -> None:
    code, out = _verify(rewritten[0], tmp_path, "--checkpoint", str(rewritten[1]))
    assert code == 1 and not out["ok"]
    assert "you kept" in out["problem"] and "more events than the ledger holds" in out["problem"]


def test_a_kept_checkpoint_of_another_ledger_is_refused(
    rewritten: tuple[str, Path], tmp_path: Path, keys: Any, new_db: Any
) -> None:
    other = new_db("other.db")
    full_ledger(other, *keys, origin="test.example/elsewhere")
    with Ledger.open(other) as ledger:
        _, note = ledger.checkpoint(keys[0])
    foreign = tmp_path / "foreign.txt"
    foreign.write_text(note, encoding="utf-8")
    code, out = _verify(rewritten[0], tmp_path, "--checkpoint", str(foreign))
    assert code == 1 and "not one of this ledger's" in out["problem"]


def test_an_unreadable_checkpoint_file_is_one_sentence(
    rewritten: tuple[str, Path], tmp_path: Path
) -> None:
    env = {"TALLY_DB": rewritten[0], "TALLY_HOME": str(tmp_path / "home")}
    result = CliRunner().invoke(app, ["verify", "--checkpoint", str(tmp_path / "nope.txt")],
                                env=env)
    assert result.exit_code == 1
    assert "cannot read the checkpoint file" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_the_human_report_of_a_kept_checkpoint_failure_is_one_sentence(
    rewritten: tuple[str, Path], tmp_path: Path
) -> None:
    env = {"TALLY_DB": rewritten[0], "TALLY_HOME": str(tmp_path / "home")}
    result = CliRunner().invoke(app, ["verify", "--checkpoint", str(rewritten[1])], env=env)
    assert result.exit_code == 1
    lines = [line for line in result.stderr.strip().splitlines() if line]
    assert len(lines) == 1 and "you kept" in lines[0] and "None" not in lines[0], lines
