"""Commands load only what they use. Those that need no database (`--help`, `keys list`,
`verify-proof`, an auditor's offline check) import neither SQLAlchemy nor eventsourcing;
read commands on a ledger whose Merkle log and read model have caught up read the tables
with SQLAlchemy alone, and load eventsourcing (the write side) only to catch up a ledger
that lags. Each runs in a fresh interpreter, which then lists what it loaded. (How long
start-up takes is measured by benchmarks/startup.py, never here.)"""

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


def _run(tally: Tally, *args: str) -> tuple[str, set[str]]:
    """The command's stdout, and the modules it loaded: top-level names, and tally's own
    modules in full."""
    done = subprocess.run([sys.executable, "-c", RUN, *args], env={**tally.env, "PATH": ""},
                          capture_output=True, text=True, timeout=60, check=False)
    answer = json.loads(done.stderr.strip().splitlines()[-1])
    assert answer["code"] in (0, None), done.stderr
    names = answer["modules"]
    return done.stdout, {n.split(".")[0] for n in names} | {n for n in names if "tally" in n}


def _loaded(tally: Tally, *args: str) -> set[str]:
    return _run(tally, *args)[1]


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


READS = [["show", "case/count"], ["show", "case"], ["sources", "list"], ["figures", "list"],
         ["history", "case/count"], ["claims"], ["discrepancies"], ["provenance"]]
WRITE_SIDE = {"eventsourcing", "tally.ledger.application", "tally.ledger.journal",
              "tally.ledger.importer", "tally.projections.readmodel",
              "tally.ledger.infra.eventstore"}


@pytest.mark.parametrize("command", READS, ids=" ".join)
def test_read_commands_on_a_caught_up_ledger_load_no_event_store(
    proof_files: tuple[Tally, list[str]], command: list[str]
) -> None:
    tally = proof_files[0]
    if command == ["provenance"]:
        command = [*command, tally.json("claims")["claims"][0]["claim_id"][:8]]
    printed, loaded = _run(tally, *command)
    assert "sqlalchemy" in loaded  # the check sees a module that is loaded
    assert not loaded & WRITE_SIDE, loaded & WRITE_SIDE
    assert printed.strip()


def test_a_lagging_ledger_is_caught_up_and_answers_right(tmp_path: Path) -> None:
    """A read model left behind (a writer without it) or a Merkle log left behind (a
    writer killed before logging): the read command opens the event store, catches up,
    and answers with what was written."""
    from tally.ledger.application import Ledger
    from tally.ledger.handlers import define_figure
    from tally.ledger.infra.keystore import KeyStore
    from tally.ledger.model.inputs import FigureRecord, ReportRecord

    t = Tally(tmp_path)
    t("init", "--name", "example.org/startup")
    t("sources", "add", "wire", "--name", "Wire", "--kind", "media")
    t("figures", "define", "case/count")
    t("report", "case/count", "3", "--as-of", "2024", "--source", "wire", "--key", "operator")
    operator = KeyStore(Path(t.env["TALLY_HOME"])).load("operator")
    with Ledger.open(t.env["TALLY_DB"]) as ledger:  # no read model attached: it lags
        ledger.report(ReportRecord(figure="case/count", value="5", as_of="2025",
                                   source="wire"), operator)
    printed, loaded = _run(t, "--json", "show", "case/count")
    assert json.loads(printed)["value"]["written"] == "5"
    assert "eventsourcing" in loaded
    with Ledger.open(t.env["TALLY_DB"]) as ledger:  # appended, then "killed" before logging
        figure = define_figure(ledger.lookups(), ledger.context(),
                               FigureRecord(id="case/other", unit="x"), operator)
        assert figure is not None
        ledger.events.save([figure])
    done = subprocess.run([sys.executable, "-c", RUN, "figures", "list"],
                          env={**t.env, "PATH": ""}, capture_output=True, text=True,
                          timeout=60, check=False)
    assert "case/other" in done.stdout and "were not in the Merkle log" in done.stderr
    printed, loaded = _run(t, "--json", "figures", "list")  # caught up: no event store now
    assert "case/other" in printed and "eventsourcing" not in loaded
