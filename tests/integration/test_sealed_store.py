"""The event store is sealed from the user's environment: settings the `eventsourcing`
library would read from `os.environ` (compression, encryption, another database, another
persistence module) change nothing Tally writes or reads."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from factories import build_ledger, raw_events

from tally.ledger.application import Ledger
from tally.ledger.errors import AuditError, VerificationError
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.model.inputs import ReportRecord
from tally.ledger.verify.audit import verify

HOSTILE = {
    "COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor",
    "TALLY_COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor",
    "CIPHER_TOPIC": "eventsourcing.cipher:AESCipher",
    "CIPHER_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "PERSISTENCE_MODULE": "eventsourcing.popo",
    "TALLY_PERSISTENCE_MODULE": "eventsourcing.popo",
    "IS_SNAPSHOTTING_ENABLED": "y",
}


def test_library_settings_in_the_environment_change_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, operator: KeyPair, alice: KeyPair,
) -> None:
    elsewhere = tmp_path / "elsewhere.db"
    for name, value in {**HOSTILE, "SQLITE_DBNAME": str(elsewhere),
                        "TALLY_SQLITE_DBNAME": str(elsewhere)}.items():
        monkeypatch.setenv(name, value)
    db = str(tmp_path / "t.db")
    with build_ledger(db, operator, [alice]) as ledger:
        ledger.report(ReportRecord(figure="izium/bodies", value="447", as_of="2022-09-23",
                                   source="hromadske"), alice)
        events = raw_events(ledger)
    assert not elsewhere.exists()
    for _, _, _, topic, state in events:  # plain canonical JSON, Tally's own type names
        assert set(json.loads(bytes(state))) == {"body", "recorded", "signature"}
        assert "." in topic and ":" not in topic
    with Ledger.open(db) as ledger:
        verify(ledger.parts)
        assert raw_events(ledger) == events


def test_a_stored_topic_naming_a_python_object_is_refused_not_imported(
    tmp_path: Path, operator: KeyPair, alice: KeyPair,
) -> None:
    """The library's mapper would import whatever module a topic names; ours knows eight."""
    with build_ledger(str(tmp_path / "t.db"), operator, [alice]) as ledger:
        with ledger.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE stored_events SET topic = 'antigravity:fly' "
                                 "WHERE rowid = 3")
        with pytest.raises(AuditError) as refused:
            verify(ledger.parts)
        with pytest.raises(VerificationError, match="unknown type 'antigravity:fly'"):
            ledger.events.decode(ledger.events.notifications(3, 1)[0])
    assert refused.value.position == 3
    assert "antigravity" not in sys.modules
