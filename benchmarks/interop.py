"""The interop exports, timed on the embedded SQLite default.

    python benchmarks/interop.py --claims 2000

With the generated file of benchmarks/generate.py: imports it, signs a checkpoint, then
times the mapping (`gather`) and each format's export of the whole ledger, in claims/s,
with the size of what it wrote. The QuickStatements export maps every figure to one item.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import Workload, cached  # noqa: E402
from run import create_ledger  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=ROOT / "benchmarks" / ".cache")
    args = parser.parse_args()
    from tally.ledger.application import Ledger
    from tally.ledger.importer import import_lines
    from tally.projections.interop.formats import FORMATS, Options, write_export
    from tally.projections.interop.mapping import gather
    from tally.projections.readmodel import ReadModel

    workload = Workload(args.claims, args.seed)
    source = cached(workload, args.cache)
    with tempfile.TemporaryDirectory() as tmp:
        db, home = Path(tmp) / "t.db", Path(tmp) / "home"
        create_ledger(db, home, workload)
        with Ledger.open(str(db)) as ledger:
            views = ReadModel(ledger).attach()
            with source.open("rb") as lines:
                import_lines(ledger, lines, workload.operator)
            ledger.checkpoint(workload.operator)
            started = time.perf_counter()
            record = gather(ledger, views)
            took = time.perf_counter() - started
            claims = len(record.claims)
            print(f"| mapping (gather) | {claims} | {took:.2f} s | {claims / took:,.0f} |  |")
            mapping = Path(tmp) / "map.json"
            mapping.write_text(json.dumps({"figures": {
                f.id.split("/")[0]: {"item": "Q4115189", "property": "P1114"}
                for f in record.figures}}))
            options = Options(map_file=mapping, ledger=ledger, operator=workload.operator)
            for format_ in FORMATS:
                out = Path(tmp) / f"export.{format_}"
                started = time.perf_counter()
                write_export(format_, gather(ledger, views), out, sys.stdout, options)
                took = time.perf_counter() - started
                size = (sum(p.stat().st_size for p in out.iterdir()) if out.is_dir()
                        else out.stat().st_size)
                print(f"| {format_} (with the mapping) | {claims} | {took:.2f} s | "
                      f"{claims / took:,.0f} | {size / claims:,.0f} B/claim |")


if __name__ == "__main__":
    main()
