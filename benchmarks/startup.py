"""Start-up time of `tally` commands, as ratios to references measured in the same run.

Each command runs in a fresh interpreter, `--runs` times; the figure is the median wall
time. References, measured alongside:

- `python -c pass`: the interpreter alone;
- importing the libraries the commands need: `typer` (`--help`); with `rich`, `pydantic`
  and `cryptography` (`keys list`, `verify-proof`); with `sqlalchemy` and `eventsourcing`
  too (every command that opens a ledger), so what Tally adds on top of its libraries
  is visible.

A small ledger (a source, a figure, a claim and a checkpoint) is made in a temporary folder
first, so the read commands and `verify-proof` do real work.

    .venv/bin/python benchmarks/startup.py --runs 15
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = sys.executable
TALLY = [str(Path(PYTHON).parent / "tally")]  # the console script, as a user runs it

REFERENCES = {
    "python -c pass": "pass",
    "import typer": "import typer",
    "+ rich, pydantic, cryptography": "import typer, rich.table, pydantic, "
    "cryptography.hazmat.primitives.asymmetric.ed25519",
    "+ sqlalchemy, eventsourcing": "import typer, rich.table, pydantic, "
    "cryptography.hazmat.primitives.asymmetric.ed25519, sqlalchemy, eventsourcing.application",
}


def _time(argv: list[str], env: dict[str, str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _ledger(folder: Path, env: dict[str, str]) -> dict[str, str]:
    def tally(*args: str) -> str:
        return subprocess.run([*TALLY, *args], env=env, check=True, capture_output=True,
                              text=True).stdout

    info = json.loads(tally("--json", "init", "--name", "example.org/startup"))
    tally("sources", "add", "wire", "--name", "Wire", "--kind", "media")
    tally("figures", "define", "case/count", "--unit", "people")
    claim = json.loads(tally("--json", "report", "case/count", "12", "--as-of", "2024-01",
                             "--source", "wire", "--key", "operator"))["id"]
    tally("checkpoint", "-o", str(folder / "checkpoint.txt"))
    tally("proof", claim, "-o", str(folder / "proof.json"))
    return {"key": info["operator_public_key"], "claim": claim}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        env = {**os.environ, "TALLY_HOME": str(folder / "home"),
               "TALLY_DB": str(folder / "t.db")}
        made = _ledger(folder, env)
        commands = {
            "tally --help": ["--help"],
            "tally keys list": ["keys", "list"],
            "tally verify-proof": ["verify-proof", str(folder / "proof.json"), "--checkpoint",
                                   str(folder / "checkpoint.txt"), "--operator-key",
                                   made["key"]],
            "tally sources list": ["sources", "list"],
            "tally show": ["show", "case/count"],
            "tally provenance": ["provenance", made["claim"][:8]],
        }
        seconds = {label: _time([PYTHON, "-c", code], env, options.runs)
                   for label, code in REFERENCES.items()}
        seconds |= {label: _time([*TALLY, *args], env, options.runs)
                    for label, args in commands.items()}
    base = seconds["python -c pass"]
    print(f"median of {options.runs} runs; ratio to `python -c pass` ({base * 1000:.0f} ms)")
    for label, value in seconds.items():
        print(f"{label:40} {value * 1000:7.0f} ms  {value / base:5.1f}x")
    if options.json:
        options.json.write_text(json.dumps(seconds, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
