"""Crash safety: `tally import` killed with SIGKILL at random moments, on each engine.

Each round starts a real `tally import big.jsonl` process and kills it with
SIGKILL after a random delay spread over the import's running time (measured
first, on a scratch ledger). After each kill:

- the ledger holds whole committed batches only: the events the file added are a
  multiple of the importer's batch size, or the whole file, and they are the
  file's first events in file order;
- the next command (`tally verify` through the CLI, or opening the ledger and
  `after_write()` through the API, in turn) brings the Merkle log and the read
  model up to date, the projections equal a rebuild, and a new checkpoint verifies;
- the next round re-runs the same import, which continues where the last one stopped.

When a round finds the file fully imported, the next one starts on a new ledger.
At the end, an import run to completion leaves every claim exactly once, and one
more run adds nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from eventsourcing.persistence import Notification
from typer.testing import CliRunner

from tally.cli.main import app
from tally.ledger import importer
from tally.ledger.application import Ledger
from tally.ledger.importer import import_lines
from tally.ledger.infra.keystore import KeyStore
from tally.ledger.integrity.signing import KeyPair, body_id, canonical
from tally.ledger.model.bodies import claim_body
from tally.ledger.model.inputs import ReportRecord
from tally.ledger.verify.audit import verify
from tally.projections.readmodel import ReadModel

KILLS = 20  # at least this many processes killed mid-run
PARTIAL = 5  # and at least this many kills that left part of the file imported
MAX_ROUNDS = 120
ORIGIN = "example.org/crash"
FIGURE = "crash/bodies"
DEFINITIONS = [{"type": "source", "id": "wire", "name": "Wire", "kind": "media"},
               {"type": "figure", "id": FIGURE, "unit": "bodies"}]
START = dt.date(2000, 1, 1)
TALLY = [sys.executable, "-c", "from tally.cli.main import main; main()"]


def reports(count: int) -> list[dict[str, object]]:
    return [{"type": "report", "figure": FIGURE, "value": str(i),
             "as_of": (START + dt.timedelta(days=i)).isoformat(), "source": "wire"}
            for i in range(count)]


def claim_ids(ledger_id: str, key: KeyPair, lines: list[dict[str, object]]) -> list[str]:
    ids = []
    for line in lines:
        record = ReportRecord(**{k: v for k, v in line.items() if k != "type"})
        ids.append(body_id(canonical(claim_body(ledger_id, key.key_id, record, record.value))))
    return ids


def all_events(ledger: Ledger) -> list[Notification]:
    found: list[Notification] = []
    while True:
        batch = ledger.events.notifications(found[-1].id + 1 if found else 1, 5000)
        found += batch
        if len(batch) < 5000:
            return found


def recorded_claims(events: list[Notification]) -> list[str]:
    return [n.originator_id.hex for n in events  # type: ignore[attr-defined]
            if n.topic == "claim.recorded"]


class Rounds:
    """The ledgers under test: a new one whenever the file has been fully imported."""

    def __init__(self, new_db: Callable[[str], str], home: Path, operator: KeyPair,
                 alice: KeyPair, path: Path) -> None:
        self.new_db, self.home, self.operator, self.alice = new_db, home, operator, alice
        self.path = path
        self.made = 0
        self.url = ""
        self.base = 0

    def fresh(self) -> str:
        self.made += 1
        self.url = self.new_db(f"crash{self.made}.db")
        with Ledger.open(self.url, create=True) as ledger:
            ledger.init(ORIGIN, self.operator)
            ledger.add_signer("alice", self.alice.public_key, self.operator)
            self.base = ledger.events.max_position()
        return self.url

    def start(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [*TALLY, "--db", self.url, "--home", str(self.home), "import", str(self.path),
             "--key", "alice"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def next_command_via_cli(url: str, home: Path) -> None:
    """`tally verify` is the next command a user runs: it must catch up, then pass."""
    result = CliRunner().invoke(app, ["--json", "verify"],
                                env={"TALLY_DB": url, "TALLY_HOME": str(home)})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ok"]


def check_after_kill(rounds: Rounds, expected: list[str], via_cli: bool) -> int:
    """Check the ledger a kill left behind; returns how many of the file's events it holds."""
    batch, total = importer.BATCH, len(DEFINITIONS) + len(expected)
    with Ledger.open(rounds.url) as ledger:
        events = all_events(ledger)
        added = len(events) - rounds.base
        assert added == total or added % batch == 0, (
            f"{added} events of {total}: not whole batches of {batch}")
        claims = recorded_claims(events)
        assert claims == expected[:len(claims)], "the committed claims are not the file's first"
        assert len(claims) == max(0, added - len(DEFINITIONS))

        views = ReadModel(ledger).attach()
        if via_cli:  # verifies, and compares the read model with a rebuild
            next_command_via_cli(rounds.url, rounds.home)
        else:
            ledger.journal.after_write()
            assert views.diff_against_rebuild() == []
            verify(ledger.parts)
        positions = ledger.log.positions()
        assert [p for _, p in positions] == [n.id for n in events]
        assert [i for i, _ in positions] == list(range(len(events)))
        assert views.position() == ledger.events.max_position()
        # a checkpoint after each crash: the next round's verify checks it against the log
        size, _ = ledger.checkpoint(rounds.operator)
        assert size == len(events)
        return added


@pytest.mark.slow
def test_sigkill_during_import_leaves_whole_batches_and_a_rerun_completes(
    new_db: Callable[[str], str], tmp_path: Path
) -> None:
    keys = KeyStore(tmp_path / "home")
    operator, alice = keys.create("operator"), keys.create("alice")
    lines = reports(2 * importer.BATCH + importer.BATCH // 2 - len(DEFINITIONS))
    path = tmp_path / "big.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in [*DEFINITIONS, *lines]))
    rounds = Rounds(new_db, tmp_path / "home", operator, alice, path)
    total = len(DEFINITIONS) + len(lines)

    # How long an import runs, start to exit, sets the range of the random kill times.
    rounds.fresh()
    began = time.monotonic()
    calibration = rounds.start()
    assert calibration.wait(timeout=300) == 0, calibration.stderr.read()  # type: ignore[union-attr]
    duration = time.monotonic() - began
    with Ledger.open(rounds.url) as ledger:
        expected = claim_ids(ledger.info().ledger_id, alice, lines)

    rng = random.Random(os.environ.get("TALLY_CRASH_SEED") or None)
    outcomes = {"unchanged": 0, "partial": 0, "complete": 0, "finished": 0}
    # A re-run has less to append: how long one runs from each state, learnt as we go.
    durations = {0: duration}
    before = 0  # events of the file the ledger holds
    rounds.fresh()
    for round_number in range(MAX_ROUNDS):
        if outcomes["unchanged"] + outcomes["partial"] + outcomes["complete"] >= KILLS and (
                outcomes["partial"] >= PARTIAL):
            break
        proc = rounds.start()
        delay = rng.uniform(0.2, 1.0) * durations.get(before, duration)
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        else:
            durations[before] = delay
        code = proc.wait(timeout=300)
        err = proc.stderr.read().decode() if proc.stderr else ""  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]
        assert code in (0, -signal.SIGKILL), err
        added = check_after_kill(rounds, expected, via_cli=round_number % 2 == 0)
        kind = ("finished" if code == 0 else "unchanged" if added == 0
                else "complete" if added == total else "partial")
        outcomes[kind] += 1
        before = added
        if added == total:
            rounds.fresh()
            before = 0
    else:
        pytest.fail(f"not enough kills mid-import in {MAX_ROUNDS} rounds: {outcomes}")

    # Re-running the import completes it, with every claim once; once more adds nothing.
    with Ledger.open(rounds.url) as ledger:
        ReadModel(ledger).attach()
        with path.open("rb") as f:
            import_lines(ledger, f, alice)
        claims = recorded_claims(all_events(ledger))
        assert claims == expected
        position = ledger.events.max_position()
        with path.open("rb") as f:
            again = import_lines(ledger, f, alice)
        assert (again.added, again.skipped) == (0, total)
        assert ledger.events.max_position() == position
        verify(ledger.parts)
