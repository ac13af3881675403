"""Discrepancies at scale: N competing reports of one figure vs N reports over N/10 figures.

    python benchmarks/discrepancies.py --reports 20000      (the issue 14 target)

Both workloads report one as_of and distinct exact values, so every claim conflicts:
the first is one figure with N claims (one contradiction of N claims), the second
N/10 figures of 10 claims (N/10 contradictions of 10). Each is imported in its own
process (ledger created, the read model attached, `import_lines` end to end: signing,
the event store, the Merkle log, the catch-up and the discrepancy rules), which then
reports its wall time, its peak RSS and the size of `discrepancies --json`.
Targets (issue 14): the competing import within 2x the spread one, peak RSS <= 300 MB,
and under 2 KB of JSON per claim involved. Not run by the tests.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PER_FIGURE = 10  # claims per figure in the spread workload


def lines(reports: int, figures: int) -> bytes:
    """A JSONL import file: one source, `figures` figures, `reports` reports over them."""
    rows: list[dict[str, object]] = [{"type": "source", "id": "wire", "name": "Wire",
                                      "kind": "media"}]
    rows += [{"type": "figure", "id": f"bench/f{f:05d}", "unit": "bodies", "cumulative": False}
             for f in range(figures)]
    rows += [{"type": "report", "figure": f"bench/f{i % figures:05d}", "value": str(i),
              "as_of": "2022-09-23", "source": "wire", "via": [], "url": None,
              "published": None, "quote": f"report {i}", "document_sha256": None}
             for i in range(reports)]
    return b"".join(json.dumps(r).encode() + b"\n" for r in rows)


def child(reports: int, figures: int, workdir: Path) -> None:
    """Import one workload in this process and print its figures as one JSON line."""
    from tally.ledger.application import Ledger
    from tally.ledger.importer import import_lines
    from tally.ledger.infra.keystore import KeyStore
    from tally.projections.readmodel import ReadModel

    data = lines(reports, figures)
    keys = KeyStore(workdir / "home")
    operator, recorder = keys.create("operator"), keys.create("recorder")
    ledger = Ledger.open(str(workdir / "bench.db"), create=True)
    ledger.init("tally.example/bench", operator)
    ledger.add_signer("recorder", recorder.public_key, operator)
    views = ReadModel(ledger).attach()
    started = time.perf_counter()
    import_lines(ledger, io.BytesIO(data), recorder)
    imported = time.perf_counter() - started
    started = time.perf_counter()
    found = views.discrepancies()
    out = found.model_dump_json().encode()
    queried = time.perf_counter() - started
    involved = sum(len(d.claims) for d in found.discrepancies)
    print(json.dumps({"import_s": imported, "query_s": queried,
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "flags": len(found.discrepancies), "involved": involved,
                      "json_bytes": len(out)}))


def run(reports: int, figures: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="tally-disc-") as tmp:
        done = subprocess.run([sys.executable, __file__, "--child", str(reports), str(figures),
                               tmp], check=True, stdout=subprocess.PIPE, text=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(int(args.child[0]), int(args.child[1]), Path(args.child[2]))
        return
    n = args.reports
    rows = {"competing (1 figure)": run(n, 1),
            f"spread ({n // PER_FIGURE:,} figures)": run(n, max(1, n // PER_FIGURE))}
    print(f"{n:,} reports | import s | discrepancies s | peak RSS MB | flags | "
          "JSON bytes per claim")
    for name, r in rows.items():
        print(f"{name} | {r['import_s']:.1f} | {r['query_s']:.2f} | {r['rss_mb']:.0f} | "
              f"{r['flags']:,.0f} | {r['json_bytes'] / max(1, r['involved']):.0f}")
    competing, spread = rows.values()
    print(f"competing / spread import time: {competing['import_s'] / spread['import_s']:.2f}x "
          "(target <= 2x)")


if __name__ == "__main__":
    main()
