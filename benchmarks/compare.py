"""Two runs of benchmarks/run.py side by side: each measure, and its ratio to the reference
measured in the same run, so that a regression shows whatever the machine's load was.

    python benchmarks/run.py --claims 50000 --compare old.json    (after the run)
    python benchmarks/compare.py old.json new.json                 (two saved runs)

A throughput is divided by the run's 2-thread Ed25519 verify rate (`sig`; the import with
`--key` by its 2-thread sign rate, `sign`) and a time by the run's import floor; "change" is
the new ratio over the old one, oriented so that above 1 is better (a time that halved shows
2.00). The CPU seconds each command used (its workers included) are compared as they are:
on a machine other sessions share they move less than wall times do. Measures a run lacks
are left out.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Measure:
    name: str
    key: str
    unit: str
    higher_is_better: bool
    reference: str  # "sig", "sign", "floor" or "" (compared as is)


MEASURES = (
    Measure("bulk import", "import_claims_s", "claims/s", True, "sig"),
    Measure("import with --key", "keyed_claims_s", "claims/s", True, "sign"),
    Measure("streaming audit", "audit_events_s", "events/s", True, "sig"),
    Measure("tally verify", "verify_events_s", "events/s", True, "sig"),
    Measure("tally rebuild", "rebuild_events_s", "events/s", True, "sig"),
    Measure("tally report", "report_ms", "ms", False, "floor"),
    Measure("CPU time of the import", "cpu_s.import", "s", False, ""),
    Measure("CPU time of the import with --key", "cpu_s.keyed", "s", False, ""),
    Measure("CPU time of the audit", "cpu_s.audit", "s", False, ""),
    Measure("CPU time of tally verify", "cpu_s.verify", "s", False, ""),
    Measure("CPU time of tally rebuild", "cpu_s.rebuild", "s", False, ""),
    Measure("disk per claim", "disk_per_claim", "B", False, ""),
    Measure("peak RSS import", "rss_mb.import", "MB", False, ""),
    Measure("peak RSS tally verify", "rss_mb.verify", "MB", False, ""),
    Measure("peak RSS rebuild", "rss_mb.rebuild", "MB", False, ""),
)


def _get(run: dict[str, Any], key: str) -> float | None:
    node: Any = run
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return float(node) if isinstance(node, int | float) else None


def reference(run: dict[str, Any], name: str) -> float | None:
    """The run's own reference: its 2-thread Ed25519 verify or sign rate, or its import
    floor."""
    if name == "sig":
        return _get(run, "ed25519.sodium_2")
    if name == "sign":
        return _get(run, "ed25519.openssl_sign_2")
    if name == "floor":
        return _get(run, "import_floor_ms")
    return 1.0


@dataclass(frozen=True)
class Row:
    name: str
    old: str
    new: str
    old_ratio: str
    new_ratio: str
    change: float  # > 1: the new run is better, in ratio to its reference


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[Row]:
    rows = []
    for m in MEASURES:
        values = [_get(old, m.key), _get(new, m.key)]
        refs = [reference(old, m.reference), reference(new, m.reference)]
        if None in values or None in refs or 0 in values or 0 in refs:
            continue
        (a, b), (ra, rb) = values, refs
        assert a is not None and b is not None and ra is not None and rb is not None
        ratio_a, ratio_b = a / ra, b / rb
        change = ratio_b / ratio_a if m.higher_is_better else ratio_a / ratio_b
        shown = [f"{r:.3g} x {m.reference}" if m.reference else "" for r in (ratio_a, ratio_b)]
        rows.append(Row(m.name, f"{_number(a)} {m.unit}", f"{_number(b)} {m.unit}", *shown,
                        change))
    return rows


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def print_comparison(old: dict[str, Any], new: dict[str, Any], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in ("measure", "old", "new", "old ratio", "new ratio", "change"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    for r in compare(old, new):
        style = "bold red" if r.change < 0.9 else None
        table.add_row(r.name, r.old, r.new, r.old_ratio, r.new_ratio, f"{r.change:.2f}",
                      style=style)
    Console(width=160).print(table)
    print("(change = new ratio / old ratio, above 1 is better; red: worse by over 10%)")


def main() -> None:
    parser = argparse.ArgumentParser(description="Compare two benchmarks/run.py --json files")
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    args = parser.parse_args()
    old, new = (json.loads(p.read_text()) for p in (args.old, args.new))
    print_comparison(old, new, f"{args.old.name} -> {args.new.name}")


if __name__ == "__main__":
    main()
