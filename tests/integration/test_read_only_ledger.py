"""A SQLite ledger on read-only media (or a read-only file in a read-only folder) answers.

Before this, every command switched the journal to WAL and created tables first, so a
ledger on a read-only medium failed to open at all. Now it opens read-only: it answers
where its Merkle log and read model are caught up, says in one sentence which one lags
otherwise, and a command that writes is refused in one sentence. Nothing in the
ledger's folder changes.

The medium is a read-only bind mount in a private mount namespace (`unshare -m`) when
the tests run as root, who can write to any file; otherwise the folder and the file
lose their write permissions.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tally.ledger.application import Ledger
from tally.ledger.handlers import define_figure
from tally.ledger.infra.keystore import KeyStore
from tally.ledger.model.inputs import FigureRecord, ReportRecord, SourceRecord
from tally.projections.readmodel import ReadModel

ORIGIN = "example.org/read-only"
FIGURE = "izium/bodies"
TALLY = [sys.executable, "-c", "from tally.cli.main import main; main()"]
READS = [
    ["show", FIGURE],
    ["history", FIGURE],
    ["discrepancies"],
    ["sources", "list"],
    ["signers", "list"],
    ["figures", "list"],
    ["checkpoint", "--list"],
    ["export"],
    ["verify"],
]

Run = Callable[..., "subprocess.CompletedProcess[str]"]


def _can_mount_read_only(folder: Path) -> bool:
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", 'mount --bind -o ro "$0" "$0"', str(folder)],
        capture_output=True, check=False)
    return probe.returncode == 0


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


@pytest.fixture
def on_read_only_media(data: Path, tmp_path: Path) -> Iterator[Run]:
    """`run(*args)`: `tally` in a process that sees `data` read-only."""
    env = {**os.environ, "TALLY_DB": str(data / "t.db"), "TALLY_HOME": str(tmp_path / "home")}
    if os.geteuid() == 0:
        if shutil.which("unshare") is None or not _can_mount_read_only(data):
            pytest.skip("root cannot be kept from writing without a read-only mount")
        wrap = ["unshare", "-m", "sh", "-c",
                'mount --bind -o ro "$0" "$0" && shift && exec "$@"', str(data), "--"]
    else:
        wrap = []

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*wrap, *TALLY, *args], env=env, capture_output=True, text=True,
                              check=False, timeout=120)

    if wrap:
        yield run
        return
    modes = [(p, p.stat().st_mode) for p in [data, *data.iterdir()]]
    for path, mode in modes:
        path.chmod(mode & 0o555)
    try:
        yield run
    finally:
        for path, mode in modes:
            path.chmod(mode)


@pytest.fixture
def claim(data: Path, tmp_path: Path) -> str:
    """A ledger with one claim and a checkpoint, closed cleanly (no -wal file left)."""
    keys = KeyStore(tmp_path / "home")
    operator, alice = keys.create("operator"), keys.create("alice")
    with Ledger.open(str(data / "t.db"), create=True) as ledger:
        ReadModel(ledger).attach()
        ledger.init(ORIGIN, operator)
        ledger.add_signer("alice", alice.public_key, operator)
        ledger.add_source(SourceRecord(id="wire", name="Wire", kind="media"), operator)
        ledger.define_figure(FigureRecord(id=FIGURE, unit="bodies"), operator)
        found = ledger.report(ReportRecord(figure=FIGURE, value="447", as_of="2022-09",
                                           source="wire"), alice).id
        ledger.checkpoint(operator)
    return found


def _fingerprint(folder: Path) -> list[tuple[str, str]]:
    return sorted((p.name, hashlib.sha256(p.read_bytes()).hexdigest()) for p in folder.iterdir())


def _one_sentence(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert fragment in result.stderr


def test_a_caught_up_ledger_answers_from_read_only_media(
    claim: str, data: Path, on_read_only_media: Run
) -> None:
    before = _fingerprint(data)
    assert "-wal" not in str(before)
    for args in [*READS, ["provenance", claim[:8]], ["proof", claim[:8]]]:
        result = on_read_only_media(*args)
        assert result.returncode == 0, (args, result.stderr)
    assert "447" in on_read_only_media("show", FIGURE).stdout
    assert "ok" in on_read_only_media("verify").stdout
    assert _fingerprint(data) == before


def test_a_copy_of_a_ledger_in_use_answers_from_read_only_media(
    claim: str, data: Path, tmp_path: Path, on_read_only_media: Run
) -> None:
    # Copied while a writer had it open: the last transactions are still in the -wal file.
    live = tmp_path / "live"
    shutil.copytree(data, live)
    for path in data.iterdir():
        path.unlink()
    holder = sqlite3.connect(live / "t.db")
    holder.execute("PRAGMA wal_autocheckpoint=0")
    holder.execute("CREATE TABLE IF NOT EXISTS scratch_of_the_copy (x)")
    holder.commit()
    with Ledger.open(str(live / "t.db")) as ledger:
        ReadModel(ledger).attach()
        ledger.report(ReportRecord(figure=FIGURE, value="451", as_of="2022-10",
                                   source="wire"), KeyStore(tmp_path / "home").load("alice"))
    for name in ("t.db", "t.db-wal", "t.db-shm"):
        shutil.copyfile(live / name, data / name)
    holder.close()
    assert (data / "t.db-wal").stat().st_size > 0
    before = _fingerprint(data)
    result = on_read_only_media("show", FIGURE)
    assert result.returncode == 0, result.stderr
    assert "451" in result.stdout
    assert _fingerprint(data) == before


def test_a_lagging_read_model_is_one_sentence(
    claim: str, data: Path, tmp_path: Path, on_read_only_media: Run
) -> None:
    with Ledger.open(str(data / "t.db")) as ledger:  # no read model attached: it lags
        ledger.report(ReportRecord(figure=FIGURE, value="451", as_of="2022-10", source="wire"),
                      KeyStore(tmp_path / "home").load("alice"))
        last = ledger.events.max_position()
    before = _fingerprint(data)
    for args in (["show", FIGURE], ["sources", "list"]):
        _one_sentence(on_read_only_media(*args),
                      f"read model stops at position {last - 1} of {last}")
    assert _fingerprint(data) == before


def test_a_lagging_merkle_log_is_one_sentence(
    claim: str, data: Path, on_read_only_media: Run
) -> None:
    operator = KeyStore(data.parent / "home").load("operator")
    with Ledger.open(str(data / "t.db")) as ledger:  # appended, then "killed" before logging
        figure = define_figure(ledger.lookups(), ledger.context(),
                               FigureRecord(id="izium/other", unit="x"), operator)
        assert figure is not None
        ledger.events.save([figure])
        last = ledger.events.max_position()
    before = _fingerprint(data)
    for args in (["show", FIGURE], ["verify"]):
        _one_sentence(on_read_only_media(*args),
                      f"Merkle log stops at position {last - 1} of {last}")
    assert _fingerprint(data) == before


def test_a_command_that_writes_is_one_sentence(
    claim: str, data: Path, on_read_only_media: Run
) -> None:
    before = _fingerprint(data)
    _one_sentence(on_read_only_media("sources", "add", "s2", "--name", "S", "--kind", "media"),
                  "t.db")
    _one_sentence(on_read_only_media("rebuild"), "can only be read here")
    assert _fingerprint(data) == before
