"""A database that is not a Tally ledger is refused, and left exactly as it was.

Before this, a read command on someone else's SQLite file added the ledger's tables
to it and switched its journal to WAL, and `tally verify` on an empty file or a wiped
ledger said "ok: 0 events". Now every command but `init` first asks, read-only,
whether the event store exists and starts with the genesis event, and refuses with
one sentence otherwise. Each case runs on SQLite and PostgreSQL (`db_url`).
"""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner

from tally.cli.main import app
from tally.ledger.application import Ledger
from tally.ledger.errors import StorageError
from tally.ledger.infra.keystore import KeyStore
from tally.ledger.infra.storage import resolve

ORIGIN = "example.org/not-a-ledger"
FIGURE = "izium/bodies"
HEX = "00" * 32

COMMANDS = [
    ["show", FIGURE],
    ["history", FIGURE],
    ["discrepancies"],
    ["provenance", "abcd"],
    ["sources", "list"],
    ["signers", "list"],
    ["figures", "list"],
    ["verify"],
    ["verify", "--operator-key", HEX],
    ["checkpoint", "--list"],
    ["checkpoint"],
    ["proof", "abcd"],
    ["consistency", "1", "1"],
    ["export"],
    ["rebuild"],
    ["sources", "add", "s", "--name", "S", "--kind", "media"],
    ["figures", "define", FIGURE],
    ["report", FIGURE, "1", "--as-of", "2022", "--source", "s", "--key", "alice"],
]


def _database(db_engine: str, db_url: str, tmp_path: Path) -> str:
    """The database under test: on SQLite a file alone in its own directory."""
    if db_engine == "sqlite":
        (tmp_path / "data").mkdir()
        return str(tmp_path / "data" / "t.db")
    return db_url


def _fingerprint(db: str) -> object:
    """SQLite: the directory listing and every file's sha256. PostgreSQL: every table of
    the database and its rows."""
    if "://" not in db:
        folder = Path(db).parent
        return sorted((p.name, hashlib.sha256(p.read_bytes()).hexdigest())
                      for p in folder.iterdir())
    engine = create_engine(resolve(db).url)
    try:
        with engine.connect() as conn:
            tables = sorted(inspect(conn).get_table_names())
            return [(name, sorted(map(repr, conn.execute(text(f'SELECT * FROM "{name}"')))))
                    for name in tables]
    finally:
        engine.dispose()


def _foreign(db: str) -> None:
    """Someone else's database: a table of their own with a row in it."""
    if "://" not in db:
        conn = sqlite3.connect(db)
        conn.execute("CREATE TABLE people (name TEXT)")
        conn.execute("INSERT INTO people VALUES ('Olena')")
        conn.commit()
        conn.close()
        return
    engine = create_engine(resolve(db).url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE people (name TEXT)"))
        conn.execute(text("INSERT INTO people VALUES ('Olena')"))
    engine.dispose()


def _eventsourcing(db: str) -> None:
    """Another eventsourcing application's database: the event store table Tally uses, but
    no genesis in it, and no Merkle log."""
    table = resolve(db).events_table
    row = (uuid.uuid4().hex, 1, "shop.domain:Order.Created", b"{}")
    if "://" not in db:
        conn = sqlite3.connect(db)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"CREATE TABLE {table} (originator_id TEXT, originator_version INTEGER, "
                     "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))")
        conn.execute(f"INSERT INTO {table} VALUES (?, ?, ?, ?)", row)
        conn.commit()
        conn.close()
        return
    engine = create_engine(resolve(db).url)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE {table} (originator_id uuid, originator_version bigint, "
                          "topic text, state bytea, notification_id bigserial)"))
        conn.execute(text(f"INSERT INTO {table} VALUES (:i, :v, :t, :s)"),
                     dict(zip("ivts", row, strict=True)))
    engine.dispose()


def _empty(db: str) -> None:
    """A 0-byte file on SQLite; a new database with no table at all on PostgreSQL."""
    if "://" not in db:
        Path(db).touch()


def _wiped(db: str, home: KeyStore) -> None:
    """A ledger whose event store was emptied by someone with write access."""
    with Ledger.open(db, create=True) as ledger:
        ledger.init(ORIGIN, home.create("operator"))
        table = ledger.store.events_table
    if "://" not in db:
        conn = sqlite3.connect(db)
        conn.execute(f"DELETE FROM {table}")
        conn.commit()
        conn.close()
        return
    engine = create_engine(resolve(db).url)
    with engine.begin() as conn:
        conn.execute(text(f"DELETE FROM {table}"))
    engine.dispose()


@pytest.fixture(params=["foreign", "eventsourcing", "empty", "wiped"])
def not_a_ledger(request: pytest.FixtureRequest, db_engine: str, db_url: str,
                 tmp_path: Path) -> str:
    db = _database(db_engine, db_url, tmp_path)
    home = KeyStore(tmp_path / "home")
    home.create("alice")
    makers = {"foreign": _foreign, "eventsourcing": _eventsourcing, "empty": _empty}
    makers.get(request.param, lambda d: _wiped(d, home))(db)
    return db


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: "-".join(a[:2]))
def test_every_command_but_init_refuses_it_and_changes_nothing(
    not_a_ledger: str, tmp_path: Path, args: list[str]
) -> None:
    before = _fingerprint(not_a_ledger)
    env = {"TALLY_DB": not_a_ledger, "TALLY_HOME": str(tmp_path / "home")}
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 1, (result.output, result.exception)
    assert "is not a Tally ledger" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.output
    assert _fingerprint(not_a_ledger) == before


def test_the_api_refuses_it_too(not_a_ledger: str) -> None:
    before = _fingerprint(not_a_ledger)
    with pytest.raises(StorageError, match="is not a Tally ledger"):
        Ledger.open(not_a_ledger)
    assert _fingerprint(not_a_ledger) == before


def test_init_still_creates_a_ledger_there(new_db: Callable[[str], str], tmp_path: Path) -> None:
    db = new_db("fresh.db")
    env = {"TALLY_DB": db, "TALLY_HOME": str(tmp_path / "home")}
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--name", ORIGIN], env=env).exit_code == 0
    shown = runner.invoke(app, ["--json", "signers", "list"], env=env)
    assert shown.exit_code == 0 and '"operator"' in shown.stdout
    verified = runner.invoke(app, ["verify"], env=env)
    assert verified.exit_code == 0 and "ok" in verified.stdout


def test_a_ledger_whose_genesis_was_deleted_opens_for_verify_to_name_position_1(
    db_engine: str, db_url: str, tmp_path: Path
) -> None:
    db = _database(db_engine, db_url, tmp_path)
    with Ledger.open(db, create=True) as ledger:
        ledger.init(ORIGIN, KeyStore(tmp_path / "home").create("operator"))
        table = ledger.store.events_table
        position = "rowid" if ledger.store.is_sqlite else "notification_id"
    engine = create_engine(resolve(db).url)
    with engine.begin() as conn:
        conn.execute(text(f"DELETE FROM {table} WHERE {position} = 1"))
    engine.dispose()
    result = CliRunner().invoke(app, ["verify"], env={"TALLY_DB": db,
                                                      "TALLY_HOME": str(tmp_path / "home")})
    assert result.exit_code == 1
    assert "position 1" in result.stderr and "not a Tally ledger" not in result.stderr
