"""Invariant 10 against the strongest insider: edit any stored field of any event, rebuild
the Merkle log over the edit, drop the checkpoints that cover it, rebuild the read model.
Then `verify` fails at exactly that position, or nothing the read commands serve changed.

The recording time and the order of events are the operator's metadata, not signed: the
last tests show what catches an edit of them (a stored or a kept checkpoint).
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from budgets import examples
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from insider import (
    drop_checkpoints_from,
    edit_row,
    full_ledger,
    rebuild,
    relog,
    rows,
    served,
    state_of,
)

from tally.ledger.application import Ledger
from tally.ledger.errors import AuditError, StorageError
from tally.ledger.model.events import EVENT_TYPES
from tally.ledger.verify.audit import verify


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory, keys: Any) -> tuple[Path, list[str], Any]:
    path = tmp_path_factory.mktemp("insider") / "pristine.db"
    claims = full_ledger(str(path), *keys)
    with Ledger.open(str(path)) as ledger:
        verify(ledger.parts)
    return path, claims, served(str(path), claims)


def _copy(pristine: tuple[Path, list[str], Any], tmp: Path) -> str:
    target = tmp / f"{uuid.uuid4().hex}.db"
    for suffix in ("", "-wal", "-shm"):
        if Path(str(pristine[0]) + suffix).exists():
            shutil.copyfile(str(pristine[0]) + suffix, str(target) + suffix)
    return str(target)


def _changed(value: Any, data: st.DataObject) -> Any:
    """Another value of the same JSON kind (or null for a string, a string for a null)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, str):
        return data.draw(st.sampled_from([value + "0", value[:-1], value.upper() + "!", "9999",
                                          None]).filter(lambda v: v != value), label="new")
    if isinstance(value, list):
        return data.draw(st.sampled_from([[*value, "hromadske"], value[:-1]]).filter(
            lambda v: v != value), label="new list")
    return "x" if value is None else None


def _edit(db: str, position: int, data: st.DataObject) -> dict[str, Any]:
    """One edit of one stored field of the event at `position`, drawn by hypothesis."""
    _, ident, version, topic, state = next(r for r in rows(db) if r[0] == position)
    stored = json.loads(state)
    field = data.draw(st.sampled_from(["body", "signature", "id", "version", "topic", "bytes",
                                       "recorded"]), label="field")
    if field == "recorded":
        return {"state": state_of(stored["body"], stored["signature"],
                                  "3026" + stored["recorded"][4:])}
    if field == "body":
        body = json.loads(stored["body"])
        key = data.draw(st.sampled_from(sorted(body)), label="body field")
        body[key] = _changed(body[key], data)
        return {"state": state_of(body, stored["signature"], stored["recorded"])}
    if field == "signature":
        i = data.draw(st.integers(0, 127), label="hex digit")
        digit = "1" if stored["signature"][i] != "1" else "2"
        signature = stored["signature"][:i] + digit + stored["signature"][i + 1:]
        return {"state": state_of(stored["body"], signature, stored["recorded"])}
    if field == "id":
        other = data.draw(st.sampled_from([r[1] for r in rows(db)] + [uuid.uuid4().hex]),
                          label="other id")
        assume(other.replace("-", "") != ident.replace("-", ""))
        return {"originator_id": other}
    if field == "version":
        return {"originator_version": data.draw(st.sampled_from([version + 5, version - 1]),
                                                label="version")}
    if field == "topic":
        return {"topic": data.draw(st.sampled_from(sorted(set(EVENT_TYPES) - {topic})),
                                   label="topic")}
    i = data.draw(st.integers(0, len(state) - 1), label="byte")
    flipped = bytearray(state)
    flipped[i] ^= data.draw(st.sampled_from([0x01, 0x20, 0x80]), label="bit")
    return {"state": bytes(flipped)}


def _only_the_time(before: bytes, after: Any) -> bool:
    """Whether an edited state differs from the original only in its recording time."""
    try:
        old, new = json.loads(before), json.loads(after)
    except (TypeError, ValueError):
        return False
    return (isinstance(new, dict) and old["recorded"] != new.get("recorded")
            and {k: v for k, v in old.items() if k != "recorded"}
            == {k: v for k, v in new.items() if k != "recorded"})


def _playbook(db: str, pristine: tuple[Any, list[str], Any], data: st.DataObject) -> None:
    """Edit one field of one event, hide the edit, and check what verify and the reads say.

    The recording time is the one stored field no signature covers (docs/security.md):
    an edit of it alone is caught by the checkpoints an auditor kept, not by the database."""
    position = data.draw(st.integers(1, len(rows(db))), label="position")
    with Ledger.open(db) as ledger:
        kept = [note for _, note, _ in ledger.log.checkpoints()]
    original = next(r for r in rows(db) if r[0] == position)[4]
    changes = _edit(db, position, data)
    try:
        edit_row(db, position, **changes)
    except Exception:  # the edit breaks a constraint (a duplicate id and version)
        assume(False)
    try:
        relog(db)
        drop_checkpoints_from(db, position)
        rebuild(db, in_workers=data.draw(st.booleans(), label="rebuilt with the workers"))
        with Ledger.open(db) as ledger:
            verify(ledger.parts)
    except StorageError as e:  # the genesis no longer reads as one: nothing opens it at all
        assert "not a Tally ledger" in e.message and position == 1, (e.message, changes)
    except AuditError as e:
        assert e.position == position, (e.message, changes)
        served(db, pristine[1])  # the reads without the event store answer as the others do
    else:
        if set(changes) == {"state"} and _only_the_time(original, changes["state"]):
            with Ledger.open(db) as ledger, pytest.raises(AuditError, match="checkpoint"):
                verify(ledger.parts, kept=kept)
        else:
            assert served(db, pristine[1]) == pristine[2], (
                f"served changed, verify passed: {changes}")


@settings(max_examples=examples(40), suppress_health_check=[HealthCheck.function_scoped_fixture],
          deadline=None)
@given(data=st.data())
def test_an_edited_field_fails_verify_at_its_position_or_changes_nothing_served(
    pristine: tuple[Path, list[str], Any], tmp_path: Path, data: st.DataObject,
) -> None:
    _playbook(_copy(pristine, tmp_path), pristine, data)


@pytest.fixture
def pg_pristine(db_engine: str, new_db: Any, keys: Any) -> tuple[str, list[str], Any]:
    """The pristine ledger on PostgreSQL (built once per run of the test below)."""
    if db_engine != "postgres":
        pytest.skip("on SQLite, the test above runs the larger sample")
    url = new_db("pristine")
    claims = full_ledger(url, *keys)
    return url, claims, served(url, claims)


@settings(max_examples=examples(8), suppress_health_check=[HealthCheck.function_scoped_fixture],
          deadline=None)
@given(data=st.data())
def test_the_playbook_on_postgresql(pg_pristine: tuple[str, list[str], Any],
                                    data: st.DataObject) -> None:
    """A sample of the same matrix on PostgreSQL: each example on a copy of the pristine
    database (CREATE DATABASE … TEMPLATE)."""
    import psycopg

    name = f"tally_copy_{uuid.uuid4().hex}"
    pristine = pg_pristine[0].rsplit("/", 1)[1]
    with psycopg.connect(autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pristine}"')
    try:
        _playbook(f"postgresql:///{name}", pg_pristine, data)
    finally:
        with psycopg.connect(autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("keep", ["stored", "kept"])
def test_an_edited_recording_time_is_caught_by_a_checkpoint(
    pristine: tuple[Path, list[str], Any], tmp_path: Path, keep: str,
) -> None:
    db = _copy(pristine, tmp_path)
    with Ledger.open(db) as ledger:
        notes = [note for _, note, _ in ledger.log.checkpoints()]
    position = 3  # covered by both checkpoints
    _, _, _, _, state = next(r for r in rows(db) if r[0] == position)
    stored = json.loads(state)
    edit_row(db, position, state=state_of(stored["body"], stored["signature"],
                                          "2020-01-01T00:00:00.000000+00:00"))
    relog(db)
    if keep == "kept":
        drop_checkpoints_from(db, 1)
    with Ledger.open(db) as ledger, pytest.raises(AuditError, match="checkpoint"):
        verify(ledger.parts, kept=notes if keep == "kept" else ())


def test_the_genesis_recording_time_moved_a_thousand_years_is_caught_by_a_kept_checkpoint(
    pristine: tuple[Path, list[str], Any], tmp_path: Path,
) -> None:
    """The case hypothesis found: a flipped bit turned the genesis's "2026" into "3026".
    Nothing signed changed, so the database alone cannot tell; a kept checkpoint does."""
    db = _copy(pristine, tmp_path)
    with Ledger.open(db) as ledger:
        kept = [note for _, note, _ in ledger.log.checkpoints()]
    stored = json.loads(next(r for r in rows(db) if r[0] == 1)[4])
    edit_row(db, 1, state=state_of(stored["body"], stored["signature"],
                                   "3026" + stored["recorded"][4:]))
    relog(db)
    drop_checkpoints_from(db, 1)
    with Ledger.open(db) as ledger:
        verify(ledger.parts)  # what the database alone can tell
        with pytest.raises(AuditError, match="checkpoint") as caught:
            verify(ledger.parts, kept=kept)
    assert caught.value.position is not None
