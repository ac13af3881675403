"""Invariant 3, tamper evidence: change any byte of any stored event, delete one, reorder two
or insert one by direct SQL on the SQLite file, and `verify` fails at the first bad position."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from budgets import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from tally.ledger.application import Ledger
from tally.ledger.errors import AuditError
from tally.ledger.infra.keystore import KeyStore
from tally.ledger.model.inputs import CorrectionRecord, FigureRecord, ReportRecord, SourceRecord
from tally.ledger.verify.audit import verify


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    tmp = tmp_path_factory.mktemp("tamper")
    keys = KeyStore(tmp / "home")
    operator, alice = keys.create("operator"), keys.create("alice")
    path = tmp / "t.db"
    with Ledger.open(str(path), create=True) as ledger:
        ledger.init("test.example/tamper", operator)
        ledger.add_signer("alice", alice.public_key, operator)
        ledger.add_source(SourceRecord(id="src", name="A source", kind="media"), operator)
        ledger.define_figure(FigureRecord(id="f/bodies", unit="bodies"), operator)
        claims = [
            ledger.report(
                ReportRecord(
                    figure="f/bodies", value=str(440 + i), as_of=f"2022-0{1 + i % 9}", source="src"
                ),
                alice,
            ).id
            for i in range(6)
        ]
        ledger.checkpoint(operator)
        ledger.correct(CorrectionRecord(claim=claims[0], value="447", reason="recount"), alice)
        ledger.checkpoint(operator)
        verify(ledger.parts)
        events = ledger.events.max_position()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path, events


def _tampered(
    pristine: tuple[Path, int], tmp: Path, sql: list[tuple[str, tuple[object, ...]]]
) -> int | None:
    path = tmp / "copy.db"
    shutil.copyfile(pristine[0], path)
    with sqlite3.connect(path) as db:
        for statement, params in sql:
            db.execute(statement, params)
    with Ledger.open(str(path)) as ledger, pytest.raises(AuditError) as refused:
        verify(ledger.parts)
    return refused.value.position


@settings(max_examples=examples(25))
@given(data=st.data())
def test_changing_any_byte_is_caught_at_its_position(pristine, tmp_path_factory, data) -> None:
    events = pristine[1]
    position = data.draw(st.integers(1, events), label="position")
    with sqlite3.connect(pristine[0]) as db:
        (state,) = db.execute(
            "SELECT state FROM stored_events WHERE rowid = ?", (position,)
        ).fetchone()
    offset = data.draw(st.integers(0, len(state) - 1), label="offset")
    flip = data.draw(st.integers(1, 255), label="xor")
    changed = bytearray(state)
    changed[offset] ^= flip
    tmp = tmp_path_factory.mktemp("byte")
    found = _tampered(
        pristine,
        tmp,
        [("UPDATE stored_events SET state = ? WHERE rowid = ?", (bytes(changed), position))],
    )
    assert found == position


@settings(max_examples=examples(15))
@given(data=st.data())
def test_changing_topic_or_version_is_caught(pristine, tmp_path_factory, data) -> None:
    position = data.draw(st.integers(1, pristine[1]), label="position")
    column, value = data.draw(
        st.sampled_from([("topic", "ledger.domain:Claim.Retracted"), ("originator_version", 9)])
    )
    tmp = tmp_path_factory.mktemp("column")
    found = _tampered(
        pristine,
        tmp,
        [(f"UPDATE stored_events SET {column} = ? WHERE rowid = ?", (value, position))],
    )
    assert found == position


@settings(max_examples=examples(15))
@given(data=st.data())
def test_deleting_one_event_is_caught(pristine, tmp_path_factory, data) -> None:
    position = data.draw(st.integers(1, pristine[1]), label="position")
    tmp = tmp_path_factory.mktemp("delete")
    found = _tampered(pristine, tmp, [("DELETE FROM stored_events WHERE rowid = ?", (position,))])
    assert found == position


@settings(max_examples=examples(15))
@given(data=st.data())
def test_reordering_two_events_is_caught_at_the_first(pristine, tmp_path_factory, data) -> None:
    first = data.draw(st.integers(1, pristine[1] - 1), label="first")
    second = data.draw(st.integers(first + 1, pristine[1]), label="second")
    swap = [
        ("UPDATE stored_events SET rowid = -1 WHERE rowid = ?", (first,)),
        ("UPDATE stored_events SET rowid = ? WHERE rowid = ?", (first, second)),
        ("UPDATE stored_events SET rowid = ? WHERE rowid = -1", (second,)),
    ]
    tmp = tmp_path_factory.mktemp("swap")
    assert _tampered(pristine, tmp, swap) == first


@settings(max_examples=examples(15))
@given(data=st.data())
def test_inserting_one_event_is_caught_where_it_lands(pristine, tmp_path_factory, data) -> None:
    events = pristine[1]
    at = data.draw(st.integers(2, events + 1), label="at")
    copied = data.draw(st.integers(1, events), label="copy of")
    shift = [
        ("UPDATE stored_events SET rowid = rowid + 1000000 WHERE rowid >= ?", (at,)),
        ("UPDATE stored_events SET rowid = rowid - 999999 WHERE rowid >= 1000000", ()),
        # a copy of another event under a fresh aggregate version, so no key clashes
        (
            "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
            "SELECT ?, originator_id, originator_version + 100, topic, state "
            "FROM stored_events WHERE rowid = ?",
            (at, copied if copied < at else copied + 1),
        ),
    ]
    tmp = tmp_path_factory.mktemp("insert")
    assert _tampered(pristine, tmp, shift) == at


def test_the_untampered_copy_verifies(pristine, tmp_path_factory) -> None:
    path = tmp_path_factory.mktemp("clean") / "copy.db"
    shutil.copyfile(pristine[0], path)
    with Ledger.open(str(path)) as ledger:
        audited = verify(ledger.parts)
    assert audited.checkpoints == 2 and audited.events == pristine[1]
