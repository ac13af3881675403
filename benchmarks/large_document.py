"""What a large archived document costs `tally verify`.

    python benchmarks/large_document.py [--html-mb 43] [--claims 20]

Archives a news-style HTML page of about --html-mb MB (`evidence.html_page`), records
--claims reports whose quotes are anchored in it (the first candidates `tally extract`
proposes), then runs `tally verify` twice: wall time and peak memory of each command,
start-up included, in a fresh SQLite ledger (docs/performance.md).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from evidence import html_page  # noqa: E402
from run import TALLY, measured  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--html-mb", type=float, default=43.0)
    parser.add_argument("--claims", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        env = {**os.environ, "TALLY_HOME": str(tmp / "home"), "TALLY_DB": str(tmp / "t.db")}
        for setup in (["init", "--name", "example.org/bench", "--key", "operator"],
                      ["sources", "add", "news", "--name", "News", "--kind", "media",
                       "--key", "operator"],
                      ["figures", "define", "site/bodies", "--unit", "bodies",
                       "--key", "operator"]):
            subprocess.run([TALLY, *setup], env=env, check=True, capture_output=True)
        page = tmp / "page.html"
        page.write_bytes(html_page(args.html_mb))
        rows = [("documents add", measured([TALLY, "--json", "documents", "add", str(page),
                                            "--key", "operator"], env, tmp))]
        candidates = tmp / "candidates.jsonl"
        rows.append(("extract", measured([TALLY, "extract", str(page), "--source", "news",
                                          "--published", "2025-02-03", "-o",
                                          str(candidates)], env, tmp)))
        chosen = []
        for line in candidates.read_text().splitlines():
            fields = json.loads(line)
            if fields["as_of"] and not fields["value"].startswith(("~", ">", "<")):
                chosen.append(json.dumps({**fields, "figure": "site/bodies",
                                          "candidate": None}))
            if len(chosen) == args.claims:
                break
        lines = tmp / "claims.jsonl"
        lines.write_text("\n".join(chosen) + "\n")
        rows.append((f"import {len(chosen)} anchored claims",
                     measured([TALLY, "import", str(lines), "--key", "operator"], env, tmp)))
        for run in ("verify", "verify (again)"):
            rows.append((run, measured([TALLY, "verify"], env, tmp)))
        print(f"\n| {page.stat().st_size:,} bytes of HTML | s | peak MB |\n|---|---:|---:|")
        for label, child in rows:
            print(f"| {label} | {child.wall:.1f} | {child.rss_mb:.0f} |")


if __name__ == "__main__":
    main()
