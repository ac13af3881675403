"""An insider who changes a stored value's type rather than its bytes.

The state column's value made TEXT or NULL, or the aggregate id made a BLOB: `verify`
crashed with a traceback (`bytes(str)`, `UUID("b'…'")`), and `--json` printed no JSON.
Now a state is read as bytes whatever its column's type (text in UTF-8: the same bytes
hash to the same leaf), and a value that cannot be read names its position.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from hostile import recorder

EDITS = {
    "state as text": ("UPDATE stored_events SET state = CAST(state AS TEXT) WHERE rowid = 3",
                      None),
    "state null": ("UPDATE stored_events SET state = NULL WHERE rowid = 3", "NULL"),
    "state a number": ("UPDATE stored_events SET state = 7 WHERE rowid = 3", "not bytes"),
    "id a blob": ("UPDATE stored_events SET originator_id = CAST(originator_id AS BLOB) "
                  "WHERE rowid = 3", "not a UUID"),
    "id null": ("UPDATE stored_events SET originator_id = NULL WHERE rowid = 3",
                "not a UUID"),
    "claim state null": ("UPDATE stored_events SET state = NULL WHERE rowid = 6", "NULL"),
    "claim id a blob": ("UPDATE stored_events SET originator_id = "
                        "CAST(originator_id AS BLOB) WHERE rowid = 6", "not a UUID"),
}


@pytest.mark.parametrize("edit", EDITS)
def test_a_retyped_value_is_named_at_its_position(tmp_path: Path, edit: str) -> None:
    tally = recorder(tmp_path)
    tally("report", "site/bodies", "447", "--as-of", "2022-09", "--source", "news",
          "--key", "alice")
    tally("report", "site/bodies", "451", "--as-of", "2022-09", "--source", "news",
          "--key", "alice")
    statement, problem = EDITS[edit]
    position = 6 if edit.startswith("claim") else 3
    with sqlite3.connect(tmp_path / "t.db") as db:
        db.execute(statement)
    if problem is None:  # the same bytes, in a text column: the same event
        assert tally.json("verify")["ok"] is True
        return
    out = tally("verify", code=1).output
    assert f"position {position}" in out and problem in out, out
    answer = json.loads(tally("--json", "verify", code=1).stdout)
    assert answer["ok"] is False and answer["position"] == position, answer
