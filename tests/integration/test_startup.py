"""Commands that need no database load no database library: `--help`, `keys list` and
`verify-proof` (an auditor's offline check) import neither SQLAlchemy nor eventsourcing.
Each runs in a fresh interpreter, which then lists what it loaded. (How long start-up takes
is measured by benchmarks/startup.py, never here.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from clirunner import Tally

RUN = """
import json, sys
from tally.cli.main import app
try:
    app(sys.argv[1:])
except SystemExit as e:
    code = e.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""
HEAVY = ("sqlalchemy", "eventsourcing")


def _loaded(tally: Tally, *args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", RUN, *args], env={**tally.env, "PATH": ""},
                          capture_output=True, text=True, timeout=60, check=False)
    answer = json.loads(done.stderr.strip().splitlines()[-1])
    assert answer["code"] in (0, None), done.stderr
    return {name.split(".")[0] for name in answer["modules"]}


@pytest.fixture(scope="module")
def proof_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Tally, list[str]]:
    tmp: Path = tmp_path_factory.mktemp("startup")
    t = Tally(tmp)
    key = t.json("init", "--name", "example.org/startup")["operator_public_key"]
    t("sources", "add", "wire", "--name", "Wire", "--kind", "media")
    t("figures", "define", "case/count")
    claim = t.json("report", "case/count", "3", "--as-of", "2024", "--source", "wire",
                   "--key", "operator")["id"]
    t("checkpoint", "-o", str(tmp / "cp.txt"))
    t("proof", claim, "-o", str(tmp / "proof.json"))
    return t, ["verify-proof", str(tmp / "proof.json"), "--checkpoint", str(tmp / "cp.txt"),
               "--operator-key", key]


@pytest.mark.parametrize("command", [["--help"], ["keys", "list"], ["report", "-h"], None])
def test_commands_without_a_database_load_no_database_library(
    proof_files: tuple[Tally, list[str]], command: list[str] | None
) -> None:
    tally, verify_proof = proof_files
    loaded = _loaded(tally, *(command or verify_proof))
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_the_check_sees_a_database_command_load_them(
    proof_files: tuple[Tally, list[str]]
) -> None:
    assert set(HEAVY) <= _loaded(proof_files[0], "sources", "list")
