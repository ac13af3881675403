"""JSON written to crash a parser or to say two things at once.

A deeply nested proof file crashed `verify-proof` with a RecursionError; an import line
that gives a key twice (`"value": "447", …, "value": "451"`) was signed with the last
value, while a reader of the line may see the first. Both are refused in one sentence.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hostile import operator_key, recorder

DEEP = 100_000

PROOFS = {
    "array": "[" * DEEP + "]" * DEEP,
    "object": '{"a":' * DEEP + "1" + "}" * DEEP,
    "consistency": '{"old_size": ' + "[" * DEEP + "]" * DEEP + "}",
    "inclusion": '{"leaf_index": 0, "leaf": ' + "[" * DEEP + "]" * DEEP + "}",
}


@pytest.mark.parametrize("shape", PROOFS)
def test_a_deeply_nested_proof_is_refused_in_one_sentence(tmp_path: Path, shape: str) -> None:
    tally = recorder(tmp_path)
    tally("checkpoint", "-o", str(tmp_path / "checkpoint.txt"))
    key = operator_key(tally)
    proof = tmp_path / "proof.json"
    proof.write_text(PROOFS[shape])
    out = tally("verify-proof", str(proof), "--checkpoint", str(tmp_path / "checkpoint.txt"),
                "--operator-key", key, code=1).output
    assert out.startswith("error:") and out.count("\n") == 1, out
    answer = tally.json("verify-proof", str(proof), "--checkpoint",
                        str(tmp_path / "checkpoint.txt"), "--operator-key", key, code=1)
    assert "error" in answer


def _report(**fields: str) -> str:
    return json.dumps({"type": "report", "figure": "site/bodies", "as_of": "2024-05",
                       "source": "news", **fields})


def test_an_import_line_with_a_key_twice_is_refused(tmp_path: Path) -> None:
    tally = recorder(tmp_path)
    line = _report(value="447")[:-1] + ', "value": "451"}'
    assert json.loads(line)["value"] == "451"
    lines = tmp_path / "twice.jsonl"
    lines.write_text(_report(value="12") + "\n" + line + "\n")
    out = tally("import", str(lines), "--key", "alice", code=1).output
    assert "line 2" in out and "'value' twice" in out, out
    assert tally.json("history", "site/bodies")["entries"] == []


def test_a_nested_duplicate_key_is_refused_too(tmp_path: Path) -> None:
    tally = recorder(tmp_path)
    line = _report(value="447")[:-1] + ', "anchor": {"a": 1, "a": 2}}'
    lines = tmp_path / "nested.jsonl"
    lines.write_text(line + "\n")
    out = tally("import", str(lines), "--key", "alice", code=1).output
    assert "'a' twice" in out, out
