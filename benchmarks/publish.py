"""Publishing, re-publishing and cloning a site, on the embedded SQLite default.

    python benchmarks/publish.py --claims 100000

With the generated file of benchmarks/generate.py (the same as benchmarks/run.py):
`tally import` of the claims (the reference rate), `tally publish` of the whole ledger
(files, bytes, seconds), 1,000 more claims imported and published again (files and
bytes written, seconds, and the share of the full publish), then `tally clone` of the
site over HTTP from `python -m http.server` on 127.0.0.1, in claims/s, and `tally
monitor` of that replica after 1,000 more (staged in a copy of the replica, switched in
once checked: the copy's share is timed alone).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import Workload, cached  # noqa: E402
from run import TALLY, create_ledger, measured  # noqa: E402


def more_claims(db: Path, count: int, path: Path) -> None:
    """`count` new report lines on the ledger's quantity figures (signed by --key)."""
    from tally.ledger.application import Ledger

    with Ledger.open(str(db)) as ledger:
        figures = [f["figure_id"] for f in ledger.directory.figures() if f["kind"] == "quantity"]
        source = ledger.directory.sources()[0].id
    with path.open("w") as out:
        for i in range(count):
            out.write(json.dumps({"type": "report", "figure": figures[i % len(figures)],
                                  "value": str(1000 + i), "as_of": "2025-06-01",
                                  "source": source, "quote": f"more {i}"}) + "\n")


def stage_copy(replica: Path) -> tuple[float, int]:
    """Seconds to make the staged copy a replica update starts from, and the file's size."""
    from tally.ledger.tlog.replica_update import _copy, discard, staging_path

    start = time.perf_counter()
    _copy(replica, staging_path(replica))
    took = time.perf_counter() - start
    discard(staging_path(replica))
    return took, replica.stat().st_size


def tree(directory: Path) -> tuple[int, int]:
    paths = [p for p in directory.rglob("*") if p.is_file()]
    return len(paths), sum(p.stat().st_size for p in paths)


def main() -> None:
    parser = argparse.ArgumentParser(description="publish/clone benchmark (see docstring)")
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "tally-bench")
    args = parser.parse_args()
    workload = Workload(args.claims, 1)
    source = cached(workload, args.cache)
    tmp = Path(tempfile.mkdtemp(prefix="tally-publish-bench-"))
    db, home, site = tmp / "tally.db", tmp / "home", tmp / "site"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TALLY_")}
    env["TALLY_HOME"] = str(home)
    base = [TALLY, "--db", str(db), "--json"]
    create_ledger(db, home, workload)
    print(f"ledger and site in {tmp}", flush=True)
    imported = measured([*base, "import", str(source), "--key", "signer0"], env, tmp)
    claims = json.loads(imported.stdout)["by_type"]["report"]
    measured([*base, "checkpoint"], env, tmp)
    full = measured([*base, "publish", str(site)], env, tmp)
    files, size = tree(site)
    extra = tmp / "more.jsonl"
    more_claims(db, 1000, extra)
    measured([*base, "import", str(extra), "--key", "signer0"], env, tmp)
    again = measured([*base, "publish", str(site)], env, tmp)
    republished = json.loads(again.stdout)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind",
                               "127.0.0.1", "--directory", str(site)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):  # bounded wait for the server to listen
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.1)
        cloned = measured([TALLY, "--db", str(tmp / "replica.db"), "--json", "clone",
                           f"http://127.0.0.1:{port}/", "--operator-key",
                           workload.operator.public_key.hex()], env, tmp)
        more_claims(db, 1000, extra)
        measured([*base, "import", str(extra), "--key", "signer0"], env, tmp)
        measured([*base, "publish", str(site)], env, tmp)
        followed = measured([TALLY, "--db", str(tmp / "replica.db"), "--json", "monitor",
                             f"http://127.0.0.1:{port}/"], env, tmp)
    finally:
        server.terminate()
        server.wait(timeout=10)
    total = claims + 1000
    staged, replica_size = stage_copy(tmp / "replica.db")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    rows = [
        ("import (reference)", f"{claims / imported.wall:,.0f} claims/s", f"{imported.wall:.1f} s"),
        ("publish, full", f"{files:,} files, {size / 2**20:.1f} MiB", f"{full.wall:.1f} s"),
        ("publish, +1,000 claims", f"{republished['written']:,} files, "
         f"{republished['bytes_written'] / 2**20:.1f} MiB written, read model "
         f"{republished['read_model']}",
         f"{again.wall:.1f} s ({100 * again.wall / full.wall:.1f}% of full)"),
        ("clone over HTTP", f"{total / cloned.wall:,.0f} claims/s "
         f"({total / cloned.wall / (claims / imported.wall):.2f} x import)",
         f"{cloned.wall:.1f} s"),
        ("monitor, +1,000 claims (staged)", f"{1000 / followed.wall:,.0f} claims/s; of "
         f"which the replica's copy ({replica_size / 2**20:.0f} MiB) {staged:.2f} s",
         f"{followed.wall:.1f} s"),
    ]
    print(f"\n{claims:,} claims ({os.cpu_count()} cores, load average {load} at the end)")
    for row in rows:
        print(f"| {row[0]} | {row[1]} | {row[2]} |")


if __name__ == "__main__":
    main()
