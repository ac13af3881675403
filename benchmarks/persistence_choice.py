"""Compare eventsourcing's own SQLite module with eventsourcing-sqlalchemy on SQLite.

Measures batched appends (events/s) and raw notification reads (events/s) with
the same aggregate and batch size. Needs `pip install eventsourcing-sqlalchemy`
(not a Tally dependency). Usage: python benchmarks/persistence_choice.py [N]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event


class Item(Aggregate):
    @event("Recorded")
    def __init__(self, body: str, signature: str) -> None:
        self.body = body


class Bench(Application[UUID]):
    name = "Bench"


def run(env: dict[str, str], n: int, batch: int = 500) -> tuple[float, float]:
    app = Bench(env=env)
    body = '{"figure":"izium/bodies","value":"447","as_of":"2022-09-23"}' * 4
    started = time.perf_counter()
    for _start in range(0, n, batch):
        app.save(*[Item(body=body, signature="ab" * 64) for _ in range(batch)])
    append = n / (time.perf_counter() - started)
    started = time.perf_counter()
    position, read = 1, 0
    while True:
        got = app.recorder.select_notifications(start=position, limit=1000)
        read += len(got)
        if len(got) < 1000:
            break
        position = got[-1].id + 1
    reads = read / (time.perf_counter() - started)
    app.close()
    return append, reads


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    with tempfile.TemporaryDirectory() as tmp:
        native = run({"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                      "SQLITE_DBNAME": os.path.join(tmp, "a.db")}, n)
        alchemy = run({"PERSISTENCE_MODULE": "eventsourcing_sqlalchemy",
                       "SQLALCHEMY_URL": f"sqlite:///{os.path.join(tmp, 'b.db')}"}, n)
    print(f"{n} events, batches of 500, {os.cpu_count()} cores")
    print(f"{'module':28} {'append ev/s':>12} {'read ev/s':>12}")
    print(f"{'eventsourcing.sqlite':28} {native[0]:12,.0f} {native[1]:12,.0f}")
    print(f"{'eventsourcing_sqlalchemy':28} {alchemy[0]:12,.0f} {alchemy[1]:12,.0f}")


if __name__ == "__main__":
    main()
