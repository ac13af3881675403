"""Row-for-row comparison of two copies of the read model (live tables vs a fresh rebuild).

Values are normalised first (timestamps to UTC ISO text, dates to ISO text)
so that two engines that store them differently still compare equal.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, Table, select

from projections import tables as t
from projections.rows import utc

Snapshot = dict[str, dict[tuple[Any, ...], dict[str, Any]]]
MAX_DIFFERENCES = 50


def _normal(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return utc(value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _table(conn: Connection, table: Table) -> dict[tuple[Any, ...], dict[str, Any]]:
    keys = [c.name for c in table.primary_key.columns]
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in conn.execute(select(table)).mappings():
        normal = {k: _normal(v) for k, v in row.items()}
        rows[tuple(normal[k] for k in keys)] = normal
    return rows


def snapshot(conn: Connection) -> Snapshot:
    """Every row of every read-model table, keyed by table name and primary key."""
    return {table.name: _table(conn, table) for table in (*t.VIEWS, t.tracking)}


def _key(key: tuple[Any, ...]) -> str:
    return ", ".join(str(k) for k in key)


def differences(live: Snapshot, rebuilt: Snapshot) -> list[str]:
    """Human-readable differences between the live tables and a rebuild; empty when equal."""
    found: list[str] = []
    for name in sorted(set(live) | set(rebuilt)):
        ours, theirs = live.get(name, {}), rebuilt.get(name, {})
        for key in sorted(set(ours) | set(theirs), key=repr):
            if key not in theirs:
                found.append(f"{name}: row ({_key(key)}) is not in a fresh rebuild")
            elif key not in ours:
                found.append(f"{name}: row ({_key(key)}) of a fresh rebuild is missing")
            else:
                for column in sorted(set(ours[key]) | set(theirs[key])):
                    a, b = ours[key].get(column), theirs[key].get(column)
                    if a != b:
                        found.append(f"{name}: row ({_key(key)}) has {column} = {a!r}, "
                                     f"a fresh rebuild gives {b!r}")
    if len(found) > MAX_DIFFERENCES:
        more = len(found) - MAX_DIFFERENCES
        found = [*found[:MAX_DIFFERENCES], f"… and {more} more differences"]
    return found
