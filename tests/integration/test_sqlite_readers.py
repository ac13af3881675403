"""On SQLite, reading never waits for a writer: queries, the audit, proofs and the
read-model comparison run in deferred (snapshot) transactions in WAL mode, while only
the transactions that write take the write lock up front (`storage.writing`)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from tally.ledger.application import Ledger
from tally.ledger.infra.keystore import KeyStore
from tally.ledger.infra.storage import LOCK_TIMEOUT_SECONDS
from tally.ledger.model.inputs import FigureRecord, ReportRecord, SourceRecord
from tally.ledger.verify.audit import verify
from tally.projections.readmodel import ReadModel


def test_reads_go_on_while_another_process_holds_the_write_lock(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "home")
    operator, alice = keys.create("operator"), keys.create("alice")
    db = tmp_path / "t.db"
    with Ledger.open(str(db), create=True) as ledger:
        views = ReadModel(ledger).attach()
        ledger.init("example.org/readers", operator)
        ledger.add_signer("alice", alice.public_key, operator)
        ledger.add_source(SourceRecord(id="src", name="Src", kind="media"), operator)
        ledger.define_figure(FigureRecord(id="fig"), operator)
        claim = ledger.report(ReportRecord(figure="fig", value="7", as_of="2024-01",
                                           source="src"), alice).id
        ledger.checkpoint(operator)

        writer = sqlite3.connect(db, isolation_level=None)  # another process, mid-write
        writer.execute("BEGIN IMMEDIATE")
        try:
            started = time.monotonic()
            shown = views.show("fig")
            assert shown.claim is not None and shown.claim.claim_id == claim
            assert [e.claim_id for e in views.history("fig").entries] == [claim]
            assert views.provenance(claim).signature_status == "valid"
            assert ledger.inclusion_proof(claim).leaf_index >= 0
            verify(ledger.parts)
            assert views.diff_against_rebuild() == []
            assert time.monotonic() - started < LOCK_TIMEOUT_SECONDS / 3
        finally:
            writer.rollback()
            writer.close()
