"""What the libraries alone cost an event, beside the budget each target of issue 26 leaves.

A target such as "the streaming audit at 0.8 x the 2-thread Ed25519 verify rate" is a
budget of CPU time per event: on 2 cores at rate R, 2 / R seconds an event, workers
included. This script measures, one core at a time, the calls that every event of each
command must make into a library, whatever Tally's own code around them does:

- `eventsourcing`'s recorder reading the stored events (`select_notifications`);
- the standard library's JSON reader, on each stored state and on the body inside it;
- Ed25519: a verification with libsodium, a signature with OpenSSL (`cryptography`);
- pydantic validating a report line into its record;
- SQLite (the driver alone, no SQLAlchemy) inserting an event's read-model rows;
- `eventsourcing`'s recorder inserting the stored events, 1,000 a transaction, as the import
  appends them.

Then, for each target, it adds the floors that command cannot avoid and prints them beside
the budget: where the sum is over the budget, the target cannot be met with these libraries
on this machine, whatever the rest of the code does.

    .venv/bin/python benchmarks/floors.py LEDGER.db [--events 20000]

LEDGER.db is a ledger `benchmarks/run.py --workdir DIR` left (DIR/tally.db).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def per_call(fn: Callable[[], object], calls: int, repeat: int = 3) -> float:
    """Microseconds a call, the best of `repeat` runs of `fn` (which makes `calls` calls)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        fn()
        best = min(best, time.process_time() - started)
    return 1e6 * best / calls


def measure(db: Path, events: int) -> dict[str, float]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from nacl.bindings import crypto_sign_open

    from tally.ledger.application import Ledger
    from tally.ledger.importer.lines import parse_line

    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT state FROM stored_events WHERE topic = 'claim.recorded' "
                            "LIMIT ?", (events,)).fetchall()
        history = conn.execute("SELECT * FROM tally_view_history LIMIT ?", (events,)).fetchall()
    states = [bytes(r[0]) for r in rows]
    bodies = [json.loads(s)["body"] for s in states]
    n = len(states)
    floors: dict[str, float] = {}

    with Ledger.open(str(db)) as ledger:
        recorder = ledger.events._app.recorder  # the library's own reader, nothing around it
        floors["eventsourcing: read a stored event"] = per_call(
            lambda: recorder.select_notifications(start=1, limit=n), n)
    floors["json: the stored state"] = per_call(lambda: [json.loads(s) for s in states], n)
    floors["json: the body inside it"] = per_call(lambda: [json.loads(b) for b in bodies], n)

    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    messages = [b.encode() for b in bodies[:5000]]
    signed = [key.sign(m) + m for m in messages]
    floors["Ed25519: verify (libsodium)"] = per_call(
        lambda: [crypto_sign_open(s, public) for s in signed], len(signed))
    floors["Ed25519: sign (OpenSSL)"] = per_call(
        lambda: [key.sign(m) for m in messages], len(messages))

    lines = [json.dumps({"type": "report", **{k: v for k, v in json.loads(b).items()
                                             if k in REPORT_FIELDS}}).encode()
             for b in bodies[:5000]]
    floors["pydantic: a report line into its record"] = per_call(
        lambda: [parse_line(i, raw) for i, raw in enumerate(lines, 1)], len(lines))

    with tempfile.TemporaryDirectory() as tmp:
        scratch = sqlite3.connect(Path(tmp) / "rows.db")
        marks = ", ".join(["?"] * len(history[0]))
        columns = ", ".join(f"c{i}" for i in range(len(history[0])))

        def insert() -> None:
            scratch.execute("DROP TABLE IF EXISTS h")
            scratch.execute(f"CREATE TABLE h ({columns}, PRIMARY KEY (c0))")
            scratch.execute("CREATE INDEX h_figure ON h (c4, c12)")
            scratch.execute("CREATE INDEX h_claim ON h (c3)")
            scratch.executemany(f"INSERT INTO h VALUES ({marks})", history)
            scratch.commit()
        floors["SQLite: insert a history row, its two indexes"] = per_call(
            insert, len(history))
        scratch.close()
        floors["eventsourcing: recorder insert of a stored event"] = per_call(
            lambda: _recorder_inserts(Path(tmp), rows), len(rows), repeat=1)
    return floors


def _recorder_inserts(tmp: Path, rows: list[tuple[bytes]]) -> None:
    """The stored states appended through the library's recorder alone, 1,000 a
    transaction, into a fresh SQLite file (as the import appends: no aggregates)."""
    import uuid

    from eventsourcing.persistence import StoredEvent
    from eventsourcing.sqlite import SQLiteFactory

    path = tmp / f"recorder-{uuid.uuid4().hex}.db"
    factory = SQLiteFactory({"SQLITE_DBNAME": str(path)})
    recorder: Any = factory.application_recorder()  # the SQLite one, which creates its table
    recorder.create_table()
    events = [StoredEvent(originator_id=uuid.uuid4(), originator_version=1,
                          topic="claim.recorded", state=state) for (state,) in rows]
    for start in range(0, len(events), 1000):
        recorder.insert_events(events[start:start + 1000])


# the fields of a claim's body a report line carries as they are
REPORT_FIELDS = ("figure", "value", "as_of", "source", "via", "published")


def budgets(floors: dict[str, float], sig_2: float, sign_2: float) -> list[tuple[str, float,
                                                                                 float]]:
    """(target, CPU budget an event on 2 cores, the floors the command cannot avoid)."""
    read = (floors["eventsourcing: read a stored event"] + floors["json: the stored state"]
            + floors["json: the body inside it"])
    verify = floors["Ed25519: verify (libsodium)"]
    return [
        ("streaming audit >= 0.8 x sig", 2e6 / (0.8 * sig_2), read + verify),
        ("tally rebuild >= 50,000 events/s", 2e6 / 50_000,
         read + floors["SQLite: insert a history row, its two indexes"]),
        ("tally verify >= 0.5 x sig", 2e6 / (0.5 * sig_2),
         2 * read + verify + floors["SQLite: insert a history row, its two indexes"]),
        ("bulk import >= 0.5 x sig", 2e6 / (0.5 * sig_2),
         floors["pydantic: a report line into its record"] + verify
         + floors["eventsourcing: recorder insert of a stored event"]),
        ("import with --key >= 0.5 x sign", 2e6 / (0.5 * sign_2),
         floors["pydantic: a report line into its record"] + floors["Ed25519: sign (OpenSSL)"]
         + floors["eventsourcing: recorder insert of a stored event"]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("db", type=Path, help="a ledger benchmarks/run.py left")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    floors = measure(args.db, args.events)
    sig_1 = 1e6 / floors["Ed25519: verify (libsodium)"]
    sign_1 = 1e6 / floors["Ed25519: sign (OpenSSL)"]
    # the 2-thread rates, as if both cores did nothing else (the references' best case)
    rows = budgets(floors, 2 * sig_1, 2 * sign_1)

    from rich.console import Console
    from rich.table import Table

    console = Console(width=120)
    table = Table(title="Library floors, one core, CPU microseconds an event")
    table.add_column("call")
    table.add_column("us", justify="right")
    for name, us in floors.items():
        table.add_row(name, f"{us:,.1f}")
    console.print(table)
    table = Table(title="Budgets on 2 cores against the floors the command cannot avoid")
    for column in ("target", "budget us/event", "floors us/event", "floors / budget"):
        table.add_column(column, justify="left" if column == "target" else "right")
    for name, budget, floor in rows:
        table.add_row(name, f"{budget:,.1f}", f"{floor:,.1f}", f"{floor / budget:.2f}",
                      style="bold red" if floor > budget else None)
    console.print(table)
    print("(a ratio above 1: the libraries alone take more than the target allows)")
    if args.json:
        args.json.write_text(json.dumps({"floors_us": floors, "budgets": [
            {"target": n, "budget_us": b, "floors_us": f} for n, b, f in rows]}, indent=2))


if __name__ == "__main__":
    main()
