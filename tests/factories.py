"""Test data built one way: ledgers set up through the CLI, reports (as the CLI records them
and as input records), the Izium ledger and copies of it, and what a published site holds.

Test modules take their helpers from here (or from `clirunner`, `newsroom`), never from
one another.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from clirunner import Tally
from static_server import copy_db

from tally.ledger.model.inputs import ReportRecord

ROOT = Path(__file__).resolve().parents[1]
IZIUM = ROOT / "examples" / "izium" / "izium.jsonl"

ORIGIN = "example.org/izium"
FIGURE = "izium/burial-site/bodies-exhumed"
BODIES = "izium/bodies"
GRAVES = "izium/burial-site/graves"
CUMULATIVE_BODIES = ("--unit", "bodies", "--cumulative")

# every source a test registers: id -> (name, kind)
SOURCES = {
    "hromadske": ("Hromadske", "media"),
    "gwara": ("Gwara Media", "media"),
    "suspilne": ("Suspilne", "media"),
    "izium-cma": ("Izium CMA", "official"),
    "wire": ("Wire", "media"),
}

T = TypeVar("T", bound=Tally)


def cli_ledger(t: T, name: str = "test.example/izium", *, signers: Sequence[str] = ("alice",),
               sources: Sequence[str] = ("hromadske",),
               figures: Mapping[str, Sequence[str]] | None = None) -> T:
    """A ledger made with `t`: each signer a local key registered under its name, the
    sources named from `SOURCES`, and the figures with their `figures define` options
    (by default `FIGURE`, cumulative bodies)."""
    t("init", "--name", name)
    for signer in signers:
        t("keys", "new", signer)
        t("signers", "add", signer, "--key", signer)
    for source in sources:
        label, kind = SOURCES[source]
        t("sources", "add", source, "--name", label, "--kind", kind)
    for figure, options in (figures or {FIGURE: CUMULATIVE_BODIES}).items():
        t("figures", "define", figure, *options)
    return t


def cli_report(t: Tally, figure: str, value: str, as_of: str, source: str = "hromadske",
               key: str = "alice", quote: str | None = None) -> str:
    """`tally report`, recorded; the new claim's id."""
    extra = ["--quote", quote] if quote else []
    out = t.json("report", figure, value, "--as-of", as_of, "--source", source, "--key", key,
                 *extra)
    assert out["status"] == "recorded", out
    return str(out["id"])


def report_record(value: str = "447", as_of: str = "2022-09-23", **fields: Any) -> ReportRecord:
    """A report on `BODIES` from hromadske, as the API and the importer take it."""
    return ReportRecord(**{"figure": BODIES, "source": "hromadske",
                           "value": value, "as_of": as_of, **fields})


def izium_ledger(tmp: Path) -> Path:
    """An Izium ledger (83 events, checkpointed) and its keys, in `tmp`."""
    tally = Tally(tmp)
    tally("init", "--name", "tally.example/izium")
    tally("keys", "new", "recorder")
    tally("signers", "add", "recorder", "--key", "recorder")
    tally("import", str(IZIUM), "--key", "recorder")
    return tmp


def copy_of(izium: Path, tmp: Path) -> Tally:
    """A copy of the ledger and keys of `izium` in `tmp`, and its runner."""
    shutil.copytree(izium / "home", tmp / "home")
    copy_db(izium / "t.db", tmp / "t.db")
    return Tally(tmp)


def report_graves(tally: Tally, value: str, db: str | None = None) -> None:
    """A report on the Izium ledger's `GRAVES` (in `db` when given)."""
    where = ["--db", db] if db else []
    tally(*where, "report", GRAVES, value, "--as-of", "2023-01", "--source", "suspilne",
          "--key", "recorder")


def site_operator(tally: Tally) -> str:
    """The operator key a site published in `tally.tmp / "site"` names."""
    return str(json.loads((tally.tmp / "site" / "log.json").read_text())["operator_public_key"])


def site_files(directory: Path) -> dict[str, bytes]:
    """Every file of a site, by its path in it."""
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}
