"""The streaming comparison of two copies of the read model (`projections.compare`).

Two SQLite databases with the read-model tables, rows written directly: a missing row, an
extra row and a changed column are each reported, equal tables give nothing, the list
stops at MAX_DIFFERENCES, text keys are merged in code-point order (no fallback), and the
order-independent fallback gives the same answer. A property test checks the merge against
a plain dict-based oracle on random rows of a table with a composite (text, integer) key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    insert,
    update,
)
from sqlalchemy.pool import StaticPool

from tally.projections import compare as cmp
from tally.projections import tables as t
from tally.projections.compare import (
    MAX_DIFFERENCES,
    compare,
    differences,
    read_model_tables,
    snapshot,
)
from tally.projections.rows import utc

EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def value(column: Column[Any], n: int) -> Any:
    """A value of the column's type, distinct for each n (schema-agnostic on purpose)."""
    kind = column.type
    if isinstance(kind, Boolean):
        return n % 2 == 0
    if isinstance(kind, DateTime):
        return EPOCH + dt.timedelta(seconds=n)
    if isinstance(kind, Date):
        return EPOCH.date() + dt.timedelta(days=n)
    if isinstance(kind, Integer):
        return n
    if isinstance(kind, String):  # Text too
        return f"v{n}"
    raise AssertionError(f"no test value for {column}")


def row(table: Table, n: int) -> dict[str, Any]:
    return {c.name: value(c, n) for c in table.columns}


def key_text(table: Table, n: int) -> str:
    return ", ".join(str(value(c, n)) for c in table.primary_key.columns)


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Engine, Engine]]:
    """A live and a rebuilt database, each with every read-model table and the same rows."""
    engines = (create_engine(f"sqlite:///{tmp_path / 'live.db'}"),
               create_engine(f"sqlite:///{tmp_path / 'rebuilt.db'}"))
    for engine in engines:
        t.metadata.create_all(engine)
        with engine.begin() as conn:
            for table in read_model_tables():
                conn.execute(insert(table), [row(table, n) for n in range(1, 8)])
    yield engines
    for engine in engines:
        engine.dispose()


def diff(pair: tuple[Engine, Engine], **kw: Any) -> list[str]:
    live, rebuilt = pair
    with live.connect() as a, rebuilt.connect() as b:
        return compare(a, b, **kw)


def test_equal_tables_give_no_differences(pair: tuple[Engine, Engine]) -> None:
    assert diff(pair) == []


def test_empty_tables_give_no_differences(tmp_path: Path) -> None:
    live, rebuilt = (create_engine(f"sqlite:///{tmp_path / n}") for n in ("a.db", "b.db"))
    t.metadata.create_all(live)
    t.metadata.create_all(rebuilt)
    assert diff((live, rebuilt)) == []


def test_a_missing_row_an_extra_row_and_a_changed_column_are_reported(
        pair: tuple[Engine, Engine]) -> None:
    live, _ = pair
    table = t.tracking
    changed = next(c for c in table.columns if not c.primary_key)
    with live.begin() as conn:
        conn.execute(insert(table), row(table, 9))  # only in the live tables
        conn.execute(delete(table).where(  # the rebuild has it, the live tables lost it
            *(c == value(c, 3) for c in table.primary_key.columns)))
        conn.execute(update(table).where(
            *(c == value(c, 5) for c in table.primary_key.columns)).values(
            {changed.name: value(changed, 99)}))
    name = table.name
    assert diff(pair) == [
        f"{name}: row ({key_text(table, 3)}) of a fresh rebuild is missing",
        f"{name}: row ({key_text(table, 5)}) has {changed.name} = "
        f"{cmp._normal(value(changed, 99))!r}, a fresh rebuild gives "
        f"{cmp._normal(value(changed, 5))!r}",
        f"{name}: row ({key_text(table, 9)}) is not in a fresh rebuild",
    ]


def test_every_table_is_compared(pair: tuple[Engine, Engine]) -> None:
    live, _ = pair
    with live.begin() as conn:
        for table in read_model_tables():
            conn.execute(insert(table), row(table, 50))
    found = diff(pair)
    assert found == [f"{table.name}: row ({key_text(table, 50)}) is not in a fresh rebuild"
                     for table in read_model_tables()]


def test_the_list_stops_at_max_differences_and_counts_the_rest(
        pair: tuple[Engine, Engine]) -> None:
    live, rebuilt = pair
    table = t.tracking
    with live.begin() as conn:
        conn.execute(insert(table), [row(table, n) for n in range(100, 130)])
    with rebuilt.begin() as conn:
        conn.execute(insert(table), [row(table, n) for n in range(200, 240)])
    found = diff(pair)
    assert len(found) == MAX_DIFFERENCES + 1
    assert found[-1] == f"… and {30 + 40 - MAX_DIFFERENCES} more differences"
    assert all("fresh rebuild" in f for f in found[:-1])
    assert diff(pair, limit=1000)[:MAX_DIFFERENCES] == found[:-1]


def test_the_in_memory_form_gives_the_same_messages(pair: tuple[Engine, Engine]) -> None:
    live, rebuilt = pair
    with live.begin() as conn:
        conn.execute(insert(t.tracking), row(t.tracking, 40))
        conn.execute(delete(t.tracking).where(
            *(c == value(c, 2) for c in t.tracking.primary_key.columns)))
    with live.connect() as a, rebuilt.connect() as b:
        assert differences(snapshot(a), snapshot(b)) == compare(a, b) != []


TRICKY = ["B", "a", "b", "Z", "é", "e", "É", "ß", "ss", "İ", "z-", "z_", "z.", "z 1", "z1",
          "日本", "😀", "\uffff", "a\u0301", "á", "-", "_", "~", "", "A b", "a B"]


def test_text_keys_merge_in_code_point_order_without_fallback(
        pair: tuple[Engine, Engine], monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fallback(*_: Any) -> None:
        raise AssertionError("the merge fell back to look-ups")

    monkeypatch.setattr(cmp, "_compare_by_lookup", no_fallback)
    live, rebuilt = pair
    table = t.tracking
    text_key, other = (c.name for c in table.columns)
    rows = [{text_key: k, other: i} for i, k in enumerate(TRICKY)]
    for engine in pair:
        with engine.begin() as conn:
            conn.execute(insert(table), rows)
    assert diff(pair) == []
    with live.begin() as conn:
        conn.execute(delete(table).where(table.c[text_key] == "é"))
        conn.execute(update(table).where(table.c[text_key] == "😀").values({other: -1}))
    with rebuilt.begin() as conn:
        conn.execute(delete(table).where(table.c[text_key] == "ß"))
    assert sorted(diff(pair)) == sorted([
        f"{table.name}: row (é) of a fresh rebuild is missing",
        f"{table.name}: row (😀) has {other} = -1, a fresh rebuild gives {TRICKY.index('😀')}",
        f"{table.name}: row (ß) is not in a fresh rebuild",
    ])


def test_an_engine_that_orders_differently_falls_back_to_look_ups(
        pair: tuple[Engine, Engine], monkeypatch: pytest.MonkeyPatch) -> None:
    live, rebuilt = pair
    with live.begin() as conn:
        conn.execute(insert(t.tracking), row(t.tracking, 30))
        conn.execute(update(t.figures).where(t.figures.c.figure_id == value(
            t.figures.c.figure_id, 4)).values(position=1234))
    with rebuilt.begin() as conn:
        conn.execute(delete(t.history).where(t.history.c.position == 6))
    expected = diff(pair)
    assert len(expected) == 3
    looked_up: list[str] = []
    fallback = cmp._compare_by_lookup

    def recording(name: str, *args: Any) -> None:
        looked_up.append(name)
        fallback(name, *args)

    monkeypatch.setattr(cmp, "_compare_by_lookup", recording)
    monkeypatch.setattr(cmp, "_ordering", lambda _conn, column: column.desc())
    assert sorted(diff(pair)) == sorted(expected)
    # tables of one row arrive in order whatever the ORDER BY; the others fell back
    assert set(looked_up) >= {t.figures.name, t.history.name}


def test_a_fallback_table_keeps_the_messages_of_the_tables_before_it(
        pair: tuple[Engine, Engine], monkeypatch: pytest.MonkeyPatch) -> None:
    live, _ = pair
    first, *_, last = read_model_tables()
    with live.begin() as conn:
        conn.execute(insert(first), row(first, 60))
        conn.execute(insert(last), row(last, 60))
    expected = diff(pair, limit=1)
    assert expected[-1] == "… and 1 more differences"

    def ordering(conn: Any, column: Column[Any]) -> Any:  # only the last table misorders
        return column.desc() if column.table is last else column

    monkeypatch.setattr(cmp, "_ordering", ordering)
    assert diff(pair, limit=1) == expected


# -- property: the streaming merge against a dict-based oracle ---------------------------------

scratch = MetaData()
SAMPLE = Table(
    "sample", scratch,
    Column("name", String(40), primary_key=True),
    Column("n", BigInteger, primary_key=True, autoincrement=False),
    Column("label", Text),
    Column("count", Integer),
    Column("flag", Boolean),
    Column("day", Date),
    Column("at", DateTime(timezone=True)),
)

names = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
                max_size=4)
keys = st.tuples(names, st.integers(-(2 ** 40), 2 ** 40))
values = st.fixed_dictionaries({
    "label": st.none() | st.text(max_size=6),
    "count": st.none() | st.integers(-1000, 1000),
    "flag": st.none() | st.booleans(),
    "day": st.none() | st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)),
    "at": st.none() | st.datetimes(dt.datetime(1970, 1, 2), dt.datetime(2100, 1, 1),
                                   timezones=st.just(dt.UTC)),
})
tables = st.dictionaries(keys, values, max_size=40)


def oracle(live: dict[Any, dict[str, Any]], rebuilt: dict[Any, dict[str, Any]]) -> set[str]:
    """Every message, computed the simple way: everything in dicts."""
    def normal(v: Any) -> Any:
        if isinstance(v, dt.datetime):
            return utc(v).isoformat()
        return v.isoformat() if isinstance(v, dt.date) else v

    found = set()
    for key in set(live) | set(rebuilt):
        shown = f"sample: row ({key[0]}, {key[1]})"
        if key not in rebuilt:
            found.add(f"{shown} is not in a fresh rebuild")
        elif key not in live:
            found.add(f"{shown} of a fresh rebuild is missing")
        else:
            for column in live[key]:
                a, b = normal(live[key][column]), normal(rebuilt[key][column])
                if a != b:
                    found.add(f"{shown} has {column} = {a!r}, a fresh rebuild gives {b!r}")
    return found


@given(live=tables, dropped=st.sets(st.integers(0, 39)), added=tables,
       changed=st.dictionaries(st.integers(0, 39), values), misordered=st.booleans())
def test_the_merge_reports_exactly_the_rows_that_differ(
        live: dict[Any, dict[str, Any]], dropped: set[int], added: dict[Any, dict[str, Any]],
        changed: dict[int, dict[str, Any]], misordered: bool) -> None:
    """... and so does the fallback, when the engines return the rows in another order."""
    ordered = list(live)
    rebuilt = {k: live[k] for i, k in enumerate(ordered) if i not in dropped}
    rebuilt |= {ordered[i]: v for i, v in changed.items() if i < len(ordered)}
    rebuilt |= added
    engines = [create_engine("sqlite://", poolclass=StaticPool) for _ in range(2)]
    try:
        for engine, rows in zip(engines, (live, rebuilt), strict=True):
            scratch.create_all(engine)
            with engine.begin() as conn:
                if rows:
                    conn.execute(insert(SAMPLE), [
                        {"name": k[0], "n": k[1], **v} for k, v in rows.items()])
        ordering = (lambda _conn, column: column.desc()) if misordered else cmp._ordering
        with (engines[0].connect() as a, engines[1].connect() as b,
              patch.object(cmp, "_ordering", ordering)):
            found = compare(a, b, tables=[SAMPLE], limit=10_000)
        assert len(found) == len(set(found))
        assert set(found) == oracle(live, rebuilt)
    finally:
        for engine in engines:
            engine.dispose()
