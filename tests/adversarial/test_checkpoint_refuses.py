"""`tally checkpoint` never signs over an event that fails the audit, nor over a root the
events do not give: a forged event the insider slipped into the Merkle log, or rewritten
tree nodes, make it refuse, and no checkpoint is stored."""

from __future__ import annotations

import json
from typing import Any

import pytest
from insider import full_ledger, insert_row, relog, rows, state_of
from sqlalchemy import func, select, update

from tally.ledger.application import Ledger
from tally.ledger.errors import AuditError, VerificationError
from tally.ledger.infra.merkle_log import checkpoints, nodes
from tally.ledger.integrity.signing import body_id, canonical
from tally.ledger.model.inputs import ReportRecord
from tally.ledger.verify.audit import verify


def _stored(db: str) -> int:
    with Ledger.open(db) as ledger, ledger.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(checkpoints)).scalar_one())


def test_a_forged_event_in_the_log_is_not_signed(db_url: str, keys: Any) -> None:
    full_ledger(db_url, *keys)
    _, _, _, _, state = [r for r in rows(db_url) if r[3] == "claim.recorded"][-1]
    stored = json.loads(state)
    body = json.loads(stored["body"]) | {"value": "9999"}  # alice never signed this

    text = canonical(body)
    insert_row(db_url, body_id(text), 1, "claim.recorded",
               state_of(text, stored["signature"], stored["recorded"]))
    relog(db_url)  # the insider's own catch-up took it into the log
    position = rows(db_url)[-1][0]
    before = _stored(db_url)
    with Ledger.open(db_url) as ledger:
        with pytest.raises(VerificationError, match=f"position {position}"):
            ledger.checkpoint(keys[0])
        with pytest.raises(AuditError):
            verify(ledger.parts)
    assert _stored(db_url) == before


def test_rewritten_tree_nodes_are_not_signed(db_url: str, keys: Any) -> None:
    """An interior node rewritten so that the root would hold a leaf of the insider's
    choosing: the root recomputed from the checked events disagrees, and nothing is signed."""
    full_ledger(db_url, *keys)
    with Ledger.open(db_url) as ledger:
        ledger.report_count = None
        size = ledger.log.size()
        with ledger.engine.begin() as conn:
            top = conn.execute(select(func.max(nodes.c.level))).scalar_one()
            conn.execute(update(nodes).where(nodes.c.level == top, nodes.c.idx == 0)
                         .values(hash=b"\x00" * 32))
        before = _stored(db_url)
        # a new event past the last checkpoint, so there is something to sign
        ledger.report(ReportRecord(figure="izium/bodies", value="452", as_of="2022-10",
                                   source="hromadske"), keys[1])
        assert ledger.log.size() == size + 1
        with pytest.raises(VerificationError, match=r"no longer matches checkpoint|nodes"):
            ledger.checkpoint(keys[0])
    assert _stored(db_url) == before
