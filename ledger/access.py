"""Before a ledger is opened: is this database a Tally ledger, and may it be written?

Opening a database as a ledger writes to it (the journal switches to WAL, the
event store, Merkle log and read model create their tables), so every command
but `init` first asks with a read-only connection that writes nothing: a
database is a ledger when its event store exists and its first event is the
genesis event. Anything else (someone else's SQLite file, an empty file, a
ledger whose events were deleted) is refused with one sentence and left as it
was. A SQLite ledger whose file or folder cannot be written (a read-only file,
read-only media) is then opened read-only: it answers as long as its Merkle log
and read model are caught up, and says which one lags otherwise.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from uuid import UUID

from sqlalchemy import NullPool, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from ledger.domain import GENESIS_ID
from ledger.errors import StorageError
from ledger.storage import Store, read_only_uri

_SQLITE_HEADER = b"SQLite format 3\x00"


def require_ledger(store: Store) -> Store:
    """`store` as it should be opened, or StorageError if it is not a Tally ledger."""
    try:
        first = _first_sqlite_event(store) if store.is_sqlite else _first_postgres_event(store)
    except (sqlite3.Error, SQLAlchemyError, OSError) as error:
        detail = (str(getattr(error, "orig", None) or error).strip().splitlines() or ["?"])[0]
        raise StorageError(f"the database {store.describe()} cannot be read: {detail}") from None
    if not _is_genesis(first):
        raise StorageError(
            f"{store.describe()} is not a Tally ledger, and was left as it is: "
            "pass --db with a ledger, or run 'tally init --name ORIGIN' to make one"
        )
    path = store.sqlite_path
    if path is not None and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
        return store.reading_only()
    return store


def lag_error(store: Store, lag: str) -> StorageError:
    """The sentence for a ledger opened read-only whose Merkle log or read model lags, e.g.
    `lag` = "Merkle log stops at position 7 of 9"."""
    return StorageError(
        f"the database {store.describe()} can only be read here and its {lag}: "
        "run any command once where it can be written, to catch it up"
    )


def _is_genesis(first: tuple[object, object] | None) -> bool:
    if first is None:
        return False
    ident, version = first
    try:
        uuid = ident if isinstance(ident, UUID) else UUID(str(ident))
    except ValueError:
        return False
    return uuid == GENESIS_ID and version == 1


def _first_sqlite_event(store: Store) -> tuple[object, object] | None:
    path = store.sqlite_path
    assert path is not None
    with path.open("rb") as file:
        header = file.read(100)
    if len(header) < 100 or not header.startswith(_SQLITE_HEADER):
        return None  # an empty file, or not SQLite at all: nothing to open
    uri = read_only_uri(path)
    try:
        first = _select_first(uri, store.events_table)
    except sqlite3.DatabaseError:
        if "immutable" not in uri or not Path(f"{path}-wal").exists():
            raise
        first = None
    if first is None and "immutable" in uri and Path(f"{path}-wal").exists():
        # A writer began while the file was read as immutable: read it again beside it.
        first = _select_first(read_only_uri(path), store.events_table)
    return first


def _select_first(uri: str, table: str) -> tuple[object, object] | None:
    connection = sqlite3.connect(uri, uri=True)
    try:
        exists = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
        if exists is None:
            return None
        row = connection.execute(
            f"SELECT originator_id, originator_version FROM {table} ORDER BY rowid LIMIT 1"
        ).fetchone()
        return None if row is None else (row[0], row[1])
    finally:
        connection.close()


def _first_postgres_event(store: Store) -> tuple[object, object] | None:
    engine = create_engine(store.url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(postgresql_readonly=True)
            with connection.begin():
                table = f"public.{store.events_table}"
                found = connection.execute(text("SELECT to_regclass(:t)"), {"t": table})
                if found.scalar() is None:
                    return None
                row = connection.execute(text(
                    f"SELECT originator_id, originator_version FROM {table} "
                    "ORDER BY notification_id LIMIT 1")).first()
                return None if row is None else (row[0], row[1])
    finally:
        engine.dispose()
