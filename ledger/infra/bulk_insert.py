"""Many new rows of one table in one driver-level executemany.

`conn.execute(table.insert(), rows)` runs SQLAlchemy's parameter machinery for every
row of every batch, which cost more than the inserts themselves (docs/performance.md).
Here each column's own bind processor (the one SQLAlchemy would apply: dates to text
on SQLite, for example) is looked up once per call and applied to the values, and the
rows go to the driver as tuples, so the stored values are the same
(`tests/integration/test_bulk_insert.py` compares the two paths on each engine).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]],
                *, unless_present: bool = False) -> None:
    """Insert `rows` (each with the same keys, all of them columns of `table`); with
    `unless_present`, skip each row whose primary key is in the table already (ON CONFLICT
    DO NOTHING, which SQLite since 3.24 and PostgreSQL both take)."""
    if not rows:
        return
    dialect = conn.dialect
    names = list(rows[0])
    columns = [table.c[name] for name in names]
    processors = [(i, p) for i, c in enumerate(columns)
                  if (p := c.type.dialect_impl(dialect).bind_processor(dialect)) is not None]
    values = itemgetter(*names)
    params = ([values(row) for row in rows] if len(names) > 1
              else [(values(row),) for row in rows])
    if processors:
        converted = []
        for row in params:
            fields = list(row)
            for i, process in processors:
                fields[i] = process(fields[i])
            converted.append(tuple(fields))
        params = converted
    quote = dialect.identifier_preparer
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    keys = ", ".join(quote.quote(c.name) for c in table.primary_key.columns)
    conn.exec_driver_sql(
        f"INSERT INTO {quote.format_table(table)} "
        f"({', '.join(quote.quote(c.name) for c in columns)}) "
        f"VALUES ({', '.join([mark] * len(columns))})"
        + (f" ON CONFLICT ({keys}) DO NOTHING" if unless_present else ""), params)
