"""How long the auditor's navigation takes on a synthetic ledger (benchmarks/generate.py):
`tally log` (a page of 50 from the middle), `tally event` (checks included), and `tally
claims` by SQL filters alone and with `--text` (which reads the signed bodies of the
claims the other filters keep). Each command is a whole process, start-up included;
the median of three runs is printed, beside `tally --help` for scale.

    python benchmarks/navigation.py [--claims 20000] [--seed 1]
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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import Workload, write
from run import create_ledger

TALLY = str(Path(sys.executable).with_name("tally"))


def run(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([TALLY, *args], env=env, capture_output=True, text=True, check=False)
    took = time.perf_counter() - started
    if done.returncode != 0 and args[0] != "event":  # event exits 1 on a failed check
        raise SystemExit(f"{args} failed: {done.stderr}")
    return took, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tally-nav-") as tmp:
        root = Path(tmp)
        workload = Workload(options.claims, options.seed)
        source = root / "claims.jsonl"
        write(workload, source)
        db, home = root / "tally.db", root / "home"
        create_ledger(db, home, workload)
        env = {k: v for k, v in os.environ.items() if not k.startswith("TALLY_")}
        env |= {"TALLY_HOME": str(home), "TALLY_DB": str(db), "COLUMNS": "100"}
        run(["import", str(source), "--key", "signer0"], env)
        run(["checkpoint"], env)
        last = json.loads(run(["--json", "log", "--type", "claim", "--from", "1",
                               "--limit", "1"], env)[1])["events"][0]["position"]
        middle = str(options.claims // 2 + last)
        figure = json.loads(run(["--json", "figures", "list"], env)[1])["figures"][0]["id"]
        case = figure.split("/")[0]
        commands = {
            "tally --help": ["--help"],
            "log --from MIDDLE (50 events)": ["log", "--from", middle],
            "event MIDDLE": ["event", middle],
            "claims --figure FIGURE": ["claims", "--figure", figure],
            "claims --figure CASE --limit 50": ["claims", "--figure", case, "--limit", "50"],
            "claims --text bodies --limit 50 (all claims)": ["claims", "--text", "bodies",
                                                             "--limit", "50"],
            "claims --figure CASE --text bodies": ["claims", "--figure", case, "--text",
                                                   "bodies"],
        }
        print(f"{options.claims:,} claims; median of 3 runs, start-up included")
        for name, args in commands.items():
            took = statistics.median(run(args, env)[0] for _ in range(3))
            print(f"  {name:48} {took:6.2f} s")


if __name__ == "__main__":
    main()
