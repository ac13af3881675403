"""`ledger.infra.bulk_insert.insert_rows` (the driver's executemany, with SQLAlchemy's bind
processors applied by hand) stores exactly what SQLAlchemy's own `insert()` stores, on each
engine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Table, text

from tally.ledger.application import Ledger
from tally.ledger.infra.bulk_insert import insert_rows
from tally.projections import tables as t
from tally.projections.readmodel import ReadModel

RECORDED = dt.datetime(2026, 1, 15, 12, 0, 0, 123456, tzinfo=dt.UTC)
ROWS: dict[Table, list[dict[str, Any]]] = {
    t.events: [{"position": p, "recorded_at": RECORDED + dt.timedelta(seconds=p)}
               for p in (1, 2, 3)],
    t.history: [
        {"position": 2, "kind": "claim", "event_id": None, "claim_id": "ab" * 16,
         "figure": "izium/bodies", "value": "~450", "value_kind": "about", "low": "427.5",
         "high": "472.5", "low_open": False, "high_open": True, "as_of": "2022-09?",
         "as_of_earliest": dt.date(2022, 9, 1), "as_of_latest": dt.date(2022, 9, 30),
         "source": "empr", "via": '["relay"]', "signer": "0123456789abcdef",
         "recorded_at": RECORDED},
        # the same keys in another order, and the NULLs of a retraction
        {"recorded_at": RECORDED, "signer": "0123456789abcdef", "position": 3,
         "kind": "retraction", "event_id": "cd" * 16, "claim_id": "ab" * 16,
         "figure": "izium/bodies", "value": None, "value_kind": None, "low": None,
         "high": None, "low_open": None, "high_open": None, "as_of": "2022-09?",
         "as_of_earliest": dt.date(2022, 9, 1), "as_of_latest": dt.date(2022, 9, 30),
         "source": "empr", "via": "[]"},
    ],
    t.figures: [{"figure_id": "izium/bodies", "kind": "quantity", "unit": "bodies",
                 "cumulative": True, "integer": False, "parts": "[]", "tolerance": "0.05",
                 "states": "[]", "position": 1}],
    t.dirty: [{"figure": "izium/bodies"}],
}


def stored(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables, as the driver returns them (no SQLAlchemy types between)."""
    return {table.name: [tuple(r) for r in conn.execute(text(
        f"SELECT * FROM {table.name} ORDER BY 1"))] for table in ROWS}


def test_insert_rows_stores_what_sqlalchemy_stores(new_db: Callable[[str], str]) -> None:
    found = []
    for name, write in (("orm.db", lambda c, tb, rows: c.execute(tb.insert(), rows)),
                        ("bulk.db", insert_rows)):
        with Ledger.open(new_db(name), create=True) as ledger:
            ReadModel(ledger)  # creates the tables
            with ledger.engine.begin() as conn:
                for table, rows in ROWS.items():
                    write(conn, table, rows)
            with ledger.engine.connect() as conn:
                found.append(stored(conn))
    assert found[0] == found[1]
    assert all(found[1][table.name] for table in ROWS)


def test_unless_present_skips_the_keys_the_table_holds_and_keeps_their_rows(
        new_db: Callable[[str], str]) -> None:
    with Ledger.open(new_db("present.db"), create=True) as ledger:
        ReadModel(ledger)
        first = [{"position": 1, "recorded_at": RECORDED}]
        again = [{"position": 1, "recorded_at": RECORDED + dt.timedelta(days=1)},
                 {"position": 2, "recorded_at": RECORDED}]
        with ledger.engine.begin() as conn:
            insert_rows(conn, t.events, first)
            insert_rows(conn, t.events, again, unless_present=True)
            insert_rows(conn, t.events, again, unless_present=True)  # all present: nothing
        with ledger.engine.connect() as conn:
            rows = [tuple(r) for r in conn.execute(text(
                "SELECT position FROM tally_view_events ORDER BY 1"))]
            kept = conn.execute(text(
                "SELECT recorded_at FROM tally_view_events WHERE position = 1")).scalar_one()
        assert rows == [(1,), (2,)]
        assert "2026-01-15" in str(kept)  # the first row's, not the skipped one's
