"""`ReadModel.diff_against_rebuild` and the streaming comparison on each engine (SQLite,
PostgreSQL): the rebuild goes to a throwaway SQLite file that is removed afterwards (also
on error), differences are found, and text keys ordered by a live PostgreSQL database with
a linguistic collation still merge with the SQLite copy without falling back."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    insert,
    select,
    text,
    update,
)

from tally.ledger.application import Ledger
from tally.ledger.infra.storage import resolve
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.model.inputs import ReportRecord
from tally.projections import compare as cmp
from tally.projections import tables as t
from tally.projections.readmodel import ReadModel

BODIES = "izium/bodies"


@pytest.fixture
def views(ledger: Ledger, alice: KeyPair) -> ReadModel:
    rm = ReadModel(ledger).attach()
    rm.catch_up()
    for value in ("447", "451"):
        ledger.report(ReportRecord(figure=BODIES, value=value, as_of="2022-09",
                                   source="hromadske"), alice)
    return rm


@pytest.fixture
def scratch_dirs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The temporary directories that diff_against_rebuild makes."""
    made: list[str] = []
    real = tempfile.mkdtemp

    def mkdtemp(*args: Any, **kw: Any) -> str:
        made.append(real(*args, **kw))
        return made[-1]

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    return made


def test_the_rebuild_is_a_throwaway_file_removed_afterwards(
        views: ReadModel, scratch_dirs: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    real = cmp.compare

    def spy(live: Connection, rebuilt: Connection, **options: Any) -> list[str]:
        seen["file"] = rebuilt.engine.url.database
        seen["exists"] = os.path.exists(seen["file"])
        seen["journal"] = rebuilt.exec_driver_sql("PRAGMA journal_mode").scalar()
        seen["synchronous"] = rebuilt.exec_driver_sql("PRAGMA synchronous").scalar()
        return real(live, rebuilt, **options)

    monkeypatch.setattr("tally.projections.readmodel.compare", spy)
    assert views.diff_against_rebuild() == []
    assert len(scratch_dirs) == 1 and seen["exists"]
    assert Path(seen["file"]).parent == Path(scratch_dirs[0])
    assert seen["journal"] == "off" and seen["synchronous"] == 0
    assert not os.path.exists(scratch_dirs[0])


@pytest.mark.parametrize("failing", ["catch_up", "compare"])
def test_the_throwaway_file_is_removed_on_error(
        views: ReadModel, scratch_dirs: list[str], monkeypatch: pytest.MonkeyPatch,
        failing: str) -> None:
    def fail(*_: Any, **__: Any) -> Any:
        raise RuntimeError("boom")

    if failing == "compare":
        monkeypatch.setattr("tally.projections.readmodel.compare", fail)
    else:
        monkeypatch.setattr(ReadModel, "catch_up", fail)
    with pytest.raises(RuntimeError, match="boom"):
        views.diff_against_rebuild()
    assert len(scratch_dirs) == 1 and not os.path.exists(scratch_dirs[0])


def test_differences_from_a_rebuild_are_reported(views: ReadModel) -> None:
    assert views.diff_against_rebuild() == []
    engine = views.engine
    with engine.begin() as conn:
        last = conn.execute(select(t.events.c.position).order_by(
            t.events.c.position.desc()).limit(1)).scalar_one()
        conn.execute(delete(t.events).where(t.events.c.position == last))
        conn.execute(update(t.figures).where(t.figures.c.figure_id == BODIES)
                     .values(position=99_999))
    found = views.diff_against_rebuild()
    assert f"tally_view_events: row ({last}) of a fresh rebuild is missing" in found
    assert any(f.startswith(f"tally_view_figures: row ({BODIES}) has position = 99999, ")
               for f in found)


# -- text keys ordered by PostgreSQL -------------------------------------------------------

KEYS = ["B", "a", "b", "Z", "é", "e", "É", "ß", "ss", "z-", "z_", "z.", "z 1", "z1", "日本",
        "😀", "a\u0301", "á", "-", "_", "~", "A b", "a B", "a-b", "ab", "a b"]
LINGUISTIC = ["en-x-icu", "und-x-icu", "en_US.utf8", "en_US.UTF-8", "de_DE.utf8"]


def sample(collation: str | None) -> Table:
    return Table("tally_test_sample", MetaData(),
                 Column("name", String(40, collation=collation), primary_key=True),
                 Column("n", Integer, nullable=False))


def linguistic_collation(engine: Engine) -> str | None:
    """A collation of this PostgreSQL server that does not order text bytewise, if any."""
    with engine.connect() as conn:
        names = conn.execute(text("SELECT collname FROM pg_collation WHERE collname = ANY(:n) "
                                  "AND collencoding IN (-1, pg_char_to_encoding('UTF8'))"),
                             {"n": LINGUISTIC}).scalars().all()
    return next((n for n in LINGUISTIC if n in names), None)


@pytest.fixture
def live_and_rebuilt(db_url: str, tmp_path: Path) -> Iterator[tuple[Engine, Engine, Table]]:
    live = resolve(db_url).engine()
    rebuilt = create_engine(f"sqlite:///{tmp_path / 'rebuilt.db'}")
    collation = linguistic_collation(live) if live.dialect.name == "postgresql" else None
    sample(collation).create(live)
    table = sample(None)
    table.create(rebuilt)
    for engine in (live, rebuilt):
        with engine.begin() as conn:
            conn.execute(insert(table), [{"name": k, "n": i} for i, k in enumerate(KEYS)])
    if collation is not None:  # the live engine's own order is not the merge's
        with live.connect() as conn:
            own = conn.execute(select(table.c.name).order_by(table.c.name)).scalars().all()
        assert own != sorted(KEYS)
    yield live, rebuilt, table
    live.dispose()
    rebuilt.dispose()


def test_text_keys_merge_without_fallback_on_every_engine(
        live_and_rebuilt: tuple[Engine, Engine, Table],
        monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fallback(*_: Any) -> None:
        raise AssertionError("the merge fell back to look-ups")

    monkeypatch.setattr(cmp, "_compare_by_lookup", no_fallback)
    live, rebuilt, table = live_and_rebuilt

    def diff() -> list[str]:
        with live.connect() as a, rebuilt.connect() as b:
            return cmp.compare(a, b, tables=[table])

    assert diff() == []
    with live.begin() as conn:
        conn.execute(delete(table).where(table.c.name == "é"))
        conn.execute(update(table).where(table.c.name == "a B").values(n=-1))
        conn.execute(insert(table).values(name="Ω", n=0))
    with rebuilt.begin() as conn:
        conn.execute(delete(table).where(table.c.name == "ß"))
    assert diff() == [
        f"{table.name}: row (a B) has n = -1, a fresh rebuild gives {KEYS.index('a B')}",
        f"{table.name}: row (ß) is not in a fresh rebuild",
        f"{table.name}: row (é) of a fresh rebuild is missing",
        f"{table.name}: row (Ω) is not in a fresh rebuild",
    ]
