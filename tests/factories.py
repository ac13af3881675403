"""Test data built one way: ledgers set up through the CLI or in-process, reports (as the
CLI records them and as input records), the Izium ledger and copies of it, and what a
published site holds.

Test modules take their helpers from here (or from `clirunner`, `newsroom`), never from
one another.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from clirunner import Tally
from sqlalchemy import text
from static_server import copy_db

from tally.ledger.application import Ledger
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.model.inputs import FigureRecord, ReportRecord, SourceRecord
from tally.projections import readmodel, recompute

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


# -- ledgers built in-process (the integration tests' `ledger` fixture builds one) ------

NOW = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)
EXHUMATION = "izium/exhumation"
STATES = ["planned", "in-progress", "completed"]
SOURCE_RECORDS = [
    SourceRecord(id="hromadske", name="Hromadske", kind="media"),
    SourceRecord(id="suspilne", name="Suspilne", kind="media"),
    SourceRecord(id="izium-cma", name="Izium City Military Administration", kind="official"),
]
FIGURE_RECORDS = [
    FigureRecord(id=BODIES, unit="bodies", cumulative=True),
    FigureRecord(id=EXHUMATION, kind="status", unit="state", states=STATES),
]


def fixed_clock() -> dt.datetime:
    return NOW


def build_ledger(
    path: Path | str,
    operator: KeyPair,
    signers: list[KeyPair],
    *,
    origin: str = ORIGIN,
    sources: list[SourceRecord] = SOURCE_RECORDS,
    figures: list[FigureRecord] = FIGURE_RECORDS,
    clock: Callable[[], dt.datetime] = fixed_clock,
) -> Ledger:
    """A new ledger at `path` (a SQLite path or a database URL), initialised, with the
    signers, sources and figures."""
    ledger = Ledger.open(str(path), create=True, clock=clock)
    ledger.init(origin, operator)
    for key in signers:
        ledger.add_signer(key.name, key.public_key, operator)
    for source in sources:
        ledger.add_source(source, operator)
    for figure in figures:
        ledger.define_figure(figure, operator)
    return ledger


def raw_events(ledger: Ledger) -> list[tuple[Any, ...]]:
    """Every row of the event store's table, as stored: position, id, version, topic, state."""
    table = ledger.store.events_table
    position = "rowid" if ledger.store.is_sqlite else "notification_id"
    with ledger.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(
            f"SELECT {position}, originator_id, originator_version, topic, state "
            f"FROM {table} ORDER BY {position}"))]


@contextmanager
def projected_in_workers() -> Iterator[None]:
    """Every catch-up takes its worker paths, whatever its size: each next batch's facts
    worked out in the worker processes (`projections.event_facts`), the figures settled
    there (`recompute._in_workers`), a figure a job, so that a total and its parts are
    settled in different jobs. What it projects must not change."""
    saved = readmodel.READ_AHEAD_FROM, readmodel.SETTLE_IN_WORKERS_FROM, recompute.WORKER_FIGURES
    readmodel.READ_AHEAD_FROM = readmodel.SETTLE_IN_WORKERS_FROM = 0
    recompute.WORKER_FIGURES = 1
    try:
        yield
    finally:
        (readmodel.READ_AHEAD_FROM, readmodel.SETTLE_IN_WORKERS_FROM,
         recompute.WORKER_FIGURES) = saved
