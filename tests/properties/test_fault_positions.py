"""Exact positions (issue 12, part 3): one fault of a random kind at a random position of a
ledger of a few thousand events, and `verify` names exactly that position.

The ledger spans several audit batches and several signature jobs in the worker
processes, where a late answer once moved the reported position (a bad signature at
100 of 5,014 was reported at 4,000). The kinds: a changed byte, a deleted event, two
events swapped, an event inserted (with the Merkle log left as it was), and a forged
signature or a replayed follow-up under a Merkle log rebuilt over the fault.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from budgets import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tally.ledger.application import Ledger
from tally.ledger.errors import AuditError
from tally.ledger.importer import import_lines
from tally.ledger.infra.keystore import KeyStore
from tally.ledger.infra.merkle_log import MerkleLog, leaves, nodes
from tally.ledger.integrity.signing import canonical
from tally.ledger.verify.audit import verify

REPORTS = 2_600


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    tmp = tmp_path_factory.mktemp("positions")
    keys = KeyStore(tmp / "home")
    operator, alice = keys.create("operator"), keys.create("alice")
    path = tmp / "big.db"
    lines = [{"type": "source", "id": "wire", "name": "Wire", "kind": "media"},
             {"type": "figure", "id": "f/bodies", "unit": "bodies"}]
    lines += [{"type": "report", "figure": "f/bodies", "value": str(i),
               "as_of": f"{2000 + i % 25}-{1 + i % 12:02d}", "source": "wire"}
              for i in range(REPORTS)]
    with Ledger.open(str(path), create=True) as ledger:
        ledger.init("test.example/positions", operator)
        ledger.add_signer("alice", alice.public_key, operator)
        import_lines(ledger, [json.dumps(x).encode() for x in lines], alice)
        claims = [n.originator_id.hex for n in ledger.events.notifications(1, 10_000)
                  if n.topic == "claim.recorded"]
        follow = [{"type": "correction", "claim": c, "value": "7", "reason": "recount"}
                  for c in claims[::7]]
        import_lines(ledger, [json.dumps(x).encode() for x in follow], alice)
        ledger.checkpoint(operator)
        verify(ledger.parts)
        events = ledger.events.max_position()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path, events


def _state(db: sqlite3.Connection, position: int) -> bytes:
    return bytes(db.execute("SELECT state FROM stored_events WHERE rowid = ?",
                            (position,)).fetchone()[0])


def _relog(path: Path) -> None:
    """The insider's cover: the Merkle log rebuilt over the faulted events, with no check,
    and the checkpoints dropped."""
    with Ledger.open(str(path)) as ledger:
        with ledger.engine.begin() as conn:
            conn.execute(leaves.delete())
            conn.execute(nodes.delete())
            conn.exec_driver_sql("DELETE FROM tally_checkpoints")
        log = MerkleLog(ledger.engine, ledger.events)
        with ledger.engine.begin() as conn:
            log._append(conn, 0, ledger.events.notifications(1, 100_000))


def _fault(path: Path, kind: str, position: int, other: int, events: int) -> int:
    """Apply one fault; returns the position verify must name."""
    with sqlite3.connect(path) as db:
        if kind == "byte":
            state = bytearray(_state(db, position))
            state[other % len(state)] ^= 0x01
            db.execute("UPDATE stored_events SET state = ? WHERE rowid = ?",
                       (bytes(state), position))
            return position
        if kind == "delete":
            db.execute("DELETE FROM stored_events WHERE rowid = ?", (position,))
            return position
        if kind == "swap":
            low, high = sorted((position, other))
            if low == high:
                high = low + 1 if low < events else low - 1
                low, high = sorted((low, high))
            for a, b in ((low, -1), (high, low), (-1, high)):
                db.execute("UPDATE stored_events SET rowid = ? WHERE rowid = ?", (b, a))
            return low
        if kind == "insert":
            db.execute("UPDATE stored_events SET rowid = rowid + 1000000 WHERE rowid >= ?",
                       (position,))
            db.execute("UPDATE stored_events SET rowid = rowid - 999999 WHERE rowid >= 1000000")
            db.execute("INSERT INTO stored_events (rowid, originator_id, originator_version, "
                       "topic, state) SELECT ?, originator_id, originator_version + 100, topic, "
                       "state FROM stored_events WHERE rowid = ?",
                       (position, other if other < position else other + 1))
            return position
        # a forged signature, which only the signature check can see
        stored = json.loads(_state(db, position))
        digit = "0" if stored["signature"][5] != "0" else "1"
        stored["signature"] = stored["signature"][:5] + digit + stored["signature"][6:]
        db.execute("UPDATE stored_events SET state = ? WHERE rowid = ?",
                   (canonical(stored).encode(), position))
    _relog(path)
    return position


@settings(max_examples=examples(25), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_verify_names_the_faulted_position(
    big: tuple[Path, int], tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    events = big[1]
    kind = data.draw(st.sampled_from(["byte", "delete", "swap", "insert", "signature"]),
                     label="kind")
    low = 2 if kind == "insert" else 1
    position = data.draw(st.integers(low, events), label="position")
    other = data.draw(st.integers(1, events - 1), label="other")
    path = tmp_path_factory.mktemp("fault") / "copy.db"
    shutil.copyfile(big[0], path)
    expected = _fault(path, kind, position, other, events)
    with Ledger.open(str(path)) as ledger, pytest.raises(AuditError) as refused:
        verify(ledger.parts)
    assert refused.value.position == expected, (kind, refused.value.message)
