"""Concurrent writers: 4 OS processes append 2,000 claims each at once, on each engine.

Each writer is a fresh Python process (its own connections, its own catch-ups)
that imports its claims in files of 100 lines with the read model attached, as
`tally import` does. Afterwards nothing is lost or duplicated, the Merkle log has
one leaf per event with gap-free indexes, a checkpoint verifies, and the
projections (caught up by the writers themselves) equal a rebuild.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tally.ledger.application import Ledger
from tally.ledger.infra.keystore import KeyStore
from tally.ledger.integrity import disclosure
from tally.ledger.integrity.signing import KeyPair, body_id, canonical
from tally.ledger.model.bodies import claim_body
from tally.ledger.model.inputs import FigureRecord, ReportRecord, SourceRecord
from tally.ledger.reports import salts_of
from tally.ledger.verify.audit import verify
from tally.projections.readmodel import ReadModel

WRITERS = 4
CLAIMS = 2000
BATCH = 100
START = dt.date(2000, 1, 1)

# One writer: open the ledger, attach the read model, say it is ready, wait for "go",
# then import its claims BATCH lines at a time. Prints its totals as JSON.
WRITER = """
import json, sys, time
from pathlib import Path
from tally.ledger.application import Ledger
from tally.ledger.importer import import_lines
from tally.ledger.infra.keystore import KeyStore
from tally.projections.readmodel import ReadModel

url, home, index, count, batch, work = sys.argv[1:]
index, count, batch, work = int(index), int(count), int(batch), Path(work)
key = KeyStore(Path(home)).load(f"writer{index}")
lines = (work / f"writer{index}.jsonl").read_bytes().splitlines(keepends=True)
added = 0
with Ledger.open(url) as ledger:
    ReadModel(ledger).attach()
    (work / f"ready{index}").touch()
    while not (work / "go").exists():
        time.sleep(0.005)
    for start in range(0, count, batch):
        added += import_lines(ledger, lines[start:start + batch], key).added
print(json.dumps({"added": added}))
"""


def report_line(index: int, i: int) -> dict[str, object]:
    """Claim i of writer `index`: its own figure, one day each, so no claim disputes another."""
    return {"type": "report", "figure": f"load/writer{index}", "value": str(i),
            "as_of": (START + dt.timedelta(days=i)).isoformat(), "source": "wire",
            "quote": f"writer {index} claim {i}"}


def expected_claim_ids(ledger_id: str, key: KeyPair, index: int) -> set[str]:
    ids = set()
    for i in range(CLAIMS):
        record = ReportRecord(**{k: v for k, v in report_line(index, i).items() if k != "type"})
        plain = claim_body(ledger_id, key.key_id, record, record.value)
        # format v2: the key commits to the erasable fields as `tally report` does
        ids.add(body_id(canonical(disclosure.commit(plain, salts_of(key, plain))[0])))
    return ids


def run_writers(url: str, home: Path, work: Path) -> list[dict[str, int]]:
    """Start WRITERS processes, release them together, and wait for all of them."""
    procs = [subprocess.Popen(
        [sys.executable, "-c", WRITER, url, str(home), str(index), str(CLAIMS), str(BATCH),
         str(work)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for index in range(WRITERS)]
    try:
        deadline = time.monotonic() + 120
        while not all((work / f"ready{i}").exists() for i in range(WRITERS)):
            failed = [p for p in procs if p.poll() not in (None, 0)]
            assert not failed, failed[0].communicate()[1]
            assert time.monotonic() < deadline, "the writers did not start"
            time.sleep(0.01)
        (work / "go").touch()
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=900)
            assert proc.returncode == 0, err
            assert "Traceback" not in err, err
            results.append(json.loads(out))
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.mark.slow
def test_four_writers_lose_nothing_duplicate_nothing_and_verify(
    db_url: str, tmp_path: Path
) -> None:
    keys = KeyStore(tmp_path / "home")
    operator = keys.create("operator")
    writers = [keys.create(f"writer{i}") for i in range(WRITERS)]
    with Ledger.open(db_url, create=True) as ledger:
        ledger.init("example.org/load", operator)
        for key in writers:
            ledger.add_signer(key.name, key.public_key, operator)
        ledger.add_source(SourceRecord(id="wire", name="Wire", kind="media"), operator)
        for i in range(WRITERS):
            ledger.define_figure(FigureRecord(id=f"load/writer{i}", unit="bodies"), operator)
        ReadModel(ledger).catch_up()
        base = ledger.events.max_position()
        lid = ledger.info().ledger_id
    for i in range(WRITERS):
        (tmp_path / f"writer{i}.jsonl").write_text(
            "".join(json.dumps(report_line(i, n)) + "\n" for n in range(CLAIMS)))

    results = run_writers(db_url, tmp_path / "home", tmp_path)
    assert [r["added"] for r in results] == [CLAIMS] * WRITERS

    with Ledger.open(db_url) as ledger:
        # Nothing lost, nothing duplicated: every expected claim id once, nothing else.
        owner = {claim: i for i, k in enumerate(writers) for claim in expected_claim_ids(lid, k, i)}
        expected = set(owner)
        assert len(expected) == WRITERS * CLAIMS
        events = [n for start in range(1, ledger.events.max_position() + 1, 5000)
                  for n in ledger.events.notifications(start, 5000)]
        recorded = [n.originator_id.hex for n in events if n.topic == "claim.recorded"]
        assert len(recorded) == len(set(recorded)) == WRITERS * CLAIMS
        assert set(recorded) == expected
        # The writers really ran at once: their batches interleave in the global order.
        switches = sum(owner[a] != owner[b] for a, b in itertools.pairwise(recorded))
        assert switches >= 2 * WRITERS, f"only {switches} switches between writers"
        assert len(events) == base + WRITERS * CLAIMS
        ids = [n.id for n in events]
        assert ids == sorted(set(ids)) and ids[-1] == ledger.events.max_position()

        # The writers' own catch-ups left the log and the projections complete.
        positions = ledger.log.positions()
        assert [index for index, _ in positions] == list(range(len(events)))
        assert [position for _, position in positions] == ids
        views = ReadModel(ledger)
        assert views.position() == ledger.events.max_position()
        assert len(views.claim_rows()) == WRITERS * CLAIMS
        assert views.diff_against_rebuild() == []

        size, _ = ledger.checkpoint(operator)
        assert size == len(events)
        audited = verify(ledger.parts)
        assert audited.events == len(events) and audited.checkpoints == 1
