"""`tally extract`'s reading of hostile text, against a budget.

    python benchmarks/extraction.py [--megabytes 1] [--budget 10]

Reads, in process, the candidates of texts of about --megabytes MB written to be slow:
one sentence of dates, hedged mentions and commas (every mention's date and clause were
searched over the whole sentence: quadratic), a run of digits as long as the text, and
news-style sentences for comparison. Prints the seconds each took and exits 1 if any took
more than --budget seconds (the bar for 1 MB: "in seconds", issue 23). Timing lives here,
never in the test suite (`tests/adversarial/test_extraction_input.py` checks the answers).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from evidence import _sentences  # noqa: E402

from tally.ledger.evidence.extraction.candidates import candidates  # noqa: E402

FIGURES = [{"figure_id": "site/bodies", "unit": "bodies", "kind": "quantity"}]


def _repeat(unit: str, size: int) -> str:
    return unit * (size // len(unit))


TEXTS: dict[str, Callable[[int], str]] = {
    "one sentence of dated mentions": lambda size: _repeat("in May 2024 about 12 bodies, ",
                                                           size) + "they said.",
    "one run of digits": lambda size: "There were " + "7" * size + " graves.",
    "news sentences": lambda size: " ".join(_sentences(size // 70))[:size],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=float, default=1.0)
    parser.add_argument("--budget", type=float, default=10.0, help="seconds per text")
    args = parser.parse_args()
    size, over = int(args.megabytes * 2**20), []
    print(f"| text ({args.megabytes:g} MB) | candidates | seconds |\n|---|---:|---:|")
    for name, make in TEXTS.items():
        text = make(size)
        start = time.perf_counter()
        found = candidates(text, sha256="0" * 64, source="news", published="2025-01-02",
                           url=None, figures=FIGURES)
        took = time.perf_counter() - start
        print(f"| {name} | {len(found):,} | {took:.2f} |")
        if took > args.budget:
            over.append(name)
    if over:
        print(f"over the budget of {args.budget:g} s: {', '.join(over)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
