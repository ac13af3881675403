"""Row-for-row comparison of two copies of the read model (live tables vs a fresh rebuild).

Values are normalised first (timestamps to UTC ISO text, dates to ISO text)
so that two engines that store them differently still compare equal.

`compare` streams: each table is read from both connections ordered by its
primary key and merged, a batch of rows at a time, so memory stays flat
whatever the size of the tables. Text keys are ordered bytewise on every
engine (SQLite's BINARY, PostgreSQL's "C" collation), which for UTF-8 is the
order of Python's `str` comparison that the merge uses. The merge also checks
that each side really arrives in that order; if an engine disagrees (another
database encoding, a tampered column), that table is compared again by
looking its keys up in batches, which does not depend on any order.

`snapshot` and `differences` are the in-memory forms (every row in dicts),
for tests and small read models.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Connection, Table, select, tuple_
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import Date, DateTime, String

from tally.projections import tables as t
from tally.projections.rows import utc

Snapshot = dict[str, dict[tuple[Any, ...], dict[str, Any]]]
Key = tuple[Any, ...]
MAX_DIFFERENCES = 50
BATCH = 1000  # rows fetched at a time from each side
LOOKUP_PARAMETERS = 900  # bound parameters per look-up query (old SQLite allows 999)


def _normal(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return utc(value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def read_model_tables() -> tuple[Table, ...]:
    """The tables a rebuild must reproduce, in the order their differences are listed."""
    by_name = {table.name: table for table in (*t.VIEWS, t.tracking)}
    return tuple(by_name[name] for name in sorted(by_name))


# -- collecting messages --------------------------------------------------------------------

class _Found:
    """The first `limit` messages, and a count of the ones after them."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.messages: list[str] = []
        self.more = 0

    def add(self, message: str) -> None:
        if len(self.messages) < self.limit:
            self.messages.append(message)
        else:
            self.more += 1

    def mark(self) -> tuple[int, int]:
        return len(self.messages), self.more

    def reset(self, mark: tuple[int, int]) -> None:
        del self.messages[mark[0]:]
        self.more = mark[1]

    def result(self) -> list[str]:
        if self.more:
            return [*self.messages, f"… and {self.more} more differences"]
        return list(self.messages)


def _shown(key: Key) -> str:
    return ", ".join(str(k) for k in key)


def _rows_differ(name: str, key: Key, ours: Mapping[str, Any], theirs: Mapping[str, Any],
                 found: _Found) -> None:
    for column in sorted(set(ours) | set(theirs)):
        a, b = ours.get(column), theirs.get(column)
        if a != b:
            found.add(f"{name}: row ({_shown(key)}) has {column} = {a!r}, "
                      f"a fresh rebuild gives {b!r}")


def _not_rebuilt(name: str, key: Key) -> str:
    return f"{name}: row ({_shown(key)}) is not in a fresh rebuild"


def _missing(name: str, key: Key) -> str:
    return f"{name}: row ({_shown(key)}) of a fresh rebuild is missing"


# -- the merge --------------------------------------------------------------------------------

class _OutOfOrder(Exception):
    """A side did not arrive in strictly increasing key order (as Python compares them)."""


def _rank(value: Any) -> tuple[int, Any]:
    """A total order over one key column's normalised values: NULL, numbers, text, bytes
    (SQLite's order of storage classes), so that mixed types compare instead of raising."""
    if value is None:
        return (0, 0)
    if isinstance(value, bool | int | float | Decimal):
        return (1, value)
    if isinstance(value, str):
        return (2, value)
    if isinstance(value, bytes | bytearray | memoryview):
        return (3, bytes(value))
    return (4, repr(value))


def _order(key: Key) -> tuple[tuple[int, Any], ...]:
    return tuple(_rank(k) for k in key)


def _less(x: Any, y: Any) -> bool:
    """x < y, for two keys' orders; keys that do not compare count as out of order."""
    try:
        return bool(x < y)
    except TypeError:
        raise _OutOfOrder from None


Rows = Iterable[tuple[Key, dict[str, Any]]]


def _ascending(rows: Rows) -> Iterator[tuple[Any, Key, dict[str, Any]]]:
    """(order, key, row) for each row, raising _OutOfOrder unless the keys strictly increase."""
    previous: Any = None
    for key, row in rows:
        order = _order(key)
        if previous is not None and not _less(previous, order):
            raise _OutOfOrder
        previous = order
        yield order, key, row


def _merge(name: str, ours: Rows, theirs: Rows, found: _Found) -> None:
    """Report the differences between two row streams, both ordered by key."""
    a_rows, b_rows = _ascending(ours), _ascending(theirs)
    a, b = next(a_rows, None), next(b_rows, None)
    while a is not None or b is not None:
        if b is None or (a is not None and _less(a[0], b[0])):
            assert a is not None
            found.add(_not_rebuilt(name, a[1]))
            a = next(a_rows, None)
        elif a is None or _less(b[0], a[0]):
            found.add(_missing(name, b[1]))
            b = next(b_rows, None)
        else:
            if a[2] != b[2]:
                _rows_differ(name, a[1], a[2], b[2], found)
            a, b = next(a_rows, None), next(b_rows, None)


# -- reading the tables -----------------------------------------------------------------------

def _keys(table: Table) -> list[Column[Any]]:
    return list(table.primary_key.columns)


def _ordering(conn: Connection, column: Column[Any]) -> ColumnElement[Any]:
    """`column` as an ORDER BY term that sorts text bytewise on this connection's engine."""
    if isinstance(column.type, String):
        if conn.dialect.name == "postgresql":
            return column.collate("C")
        if conn.dialect.name == "sqlite":
            return column.collate("BINARY")
    return column


def _normal_row(row: Mapping[Any, Any], keys: Sequence[str]) -> tuple[Key, dict[str, Any]]:
    normal = {k: _normal(v) for k, v in row.items()}
    return tuple(normal[k] for k in keys), normal


# The tables a catch-up recomputes per figure once it has projected every batch (settling):
# their rows of a figure still listed in `dirty` are stale by design, and queries compute
# that figure from `history` instead (which is compared).
SETTLED = frozenset({t.current.name, t.discrepancies.name, t.dirty.name})


def _skipped(table: Table, row: Mapping[Any, Any], unsettled: frozenset[str]) -> bool:
    return table.name in SETTLED and row.get("figure") in unsettled


def _ordered_rows(conn: Connection, table: Table, unsettled: frozenset[str] = frozenset()
                  ) -> Iterator[tuple[Key, dict[str, Any]]]:
    """Every row of `table`, normalised, in primary-key order, fetched BATCH at a time (but
    the rows of `unsettled` figures in the tables settling recomputes)."""
    keys = _keys(table)
    query = (select(table).order_by(*(_ordering(conn, c) for c in keys))
             .execution_options(yield_per=BATCH))
    result = conn.execute(query)
    names = list(result.keys())
    at = {name: i for i, name in enumerate(names)}
    key_at = [at[c.name] for c in keys]
    # only a Date or DateTime column gives a value `_normal` changes (every other column
    # comes back as the driver's str, int, bool or bytes): the others are taken as they are
    timed = [at[c.name] for c in table.columns if isinstance(c.type, Date | DateTime)]
    figure_at = at.get("figure") if table.name in SETTLED and unsettled else None
    try:
        for row in result:
            values = list(row)
            if figure_at is not None and values[figure_at] in unsettled:
                continue
            for i in timed:
                values[i] = _normal(values[i])
            yield tuple(values[i] for i in key_at), dict(zip(names, values, strict=True))
    finally:
        result.close()


def _lookup(conn: Connection, table: Table, raw_keys: list[Key]) -> dict[Any, dict[str, Any]]:
    """The rows of `table` with these primary keys, normalised, by the order of their key."""
    keys = _keys(table)
    names = [c.name for c in keys]
    where = (keys[0].in_([k[0] for k in raw_keys]) if len(keys) == 1
             else tuple_(*keys).in_(raw_keys))
    rows = {}
    for row in conn.execute(select(table).where(where)).mappings():
        key, normal = _normal_row(row, names)
        rows[_order(key)] = normal
    return rows


def _compare_by_lookup(name: str, live: Connection, rebuilt: Connection, table: Table,
                       found: _Found, unsettled: frozenset[str] = frozenset()) -> None:
    """Compare one table whatever order the engines return it in: the rows of each side are
    read in batches and looked up by key on the other side (slower, memory still bounded)."""
    keys = _keys(table)
    names = [c.name for c in keys]
    batch = max(1, LOOKUP_PARAMETERS // len(keys))
    for ours, theirs, live_side in ((live, rebuilt, True), (rebuilt, live, False)):
        result = ours.execute(select(table).execution_options(yield_per=batch))
        try:
            for chunk in result.mappings().partitions(batch):
                here = {}
                for row in chunk:
                    if _skipped(table, row, unsettled):
                        continue
                    key, normal = _normal_row(row, names)
                    here[_order(key)] = (key, tuple(row[n] for n in names), normal)
                there = _lookup(theirs, table, [raw for _, raw, _ in here.values()])
                for order in sorted(here):
                    key, _, normal = here[order]
                    if order not in there:
                        found.add(_not_rebuilt(name, key) if live_side else _missing(name, key))
                    elif live_side:
                        _rows_differ(name, key, normal, there[order], found)
        finally:
            result.close()


def compare(live: Connection, rebuilt: Connection, tables: Iterable[Table] | None = None,
            limit: int = MAX_DIFFERENCES, unsettled: frozenset[str] = frozenset()) -> list[str]:
    """Human-readable differences between the live tables and a rebuild; empty when equal.

    At most `limit` messages, then one "… and N more differences"; every row is compared
    (to count them) but only a batch of each side's rows is held at a time. The rows of
    `unsettled` figures (listed dirty by a catch-up that has more to come) in the tables
    settling recomputes are left out on both sides.
    """
    found = _Found(limit)
    for table in read_model_tables() if tables is None else tables:
        mark = found.mark()
        try:
            _merge(table.name, _ordered_rows(live, table, unsettled),
                   _ordered_rows(rebuilt, table, unsettled), found)
        except _OutOfOrder:
            found.reset(mark)
            _compare_by_lookup(table.name, live, rebuilt, table, found, unsettled)
    return found.result()


# -- in memory ----------------------------------------------------------------------------------

def _table(conn: Connection, table: Table) -> dict[tuple[Any, ...], dict[str, Any]]:
    names = [c.name for c in _keys(table)]
    return dict(_normal_row(row, names) for row in conn.execute(select(table)).mappings())


def snapshot(conn: Connection) -> Snapshot:
    """Every row of every read-model table, keyed by table name and primary key (in memory:
    for tests and small read models; `compare` streams)."""
    return {table.name: _table(conn, table) for table in read_model_tables()}


def differences(live: Snapshot, rebuilt: Snapshot, limit: int = MAX_DIFFERENCES) -> list[str]:
    """`compare` for two snapshots: the same messages, from rows already in memory."""
    found = _Found(limit)
    for name in sorted(set(live) | set(rebuilt)):
        ours, theirs = live.get(name, {}), rebuilt.get(name, {})
        _merge(name, sorted(ours.items(), key=lambda item: _order(item[0])),
               sorted(theirs.items(), key=lambda item: _order(item[0])), found)
    return found.result()
