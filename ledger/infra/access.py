"""Before a ledger is opened: is this database a Tally ledger, and may it be written?

Opening a database as a ledger writes to it (the journal switches to WAL, the
event store, Merkle log and read model create their tables), so every command
but `init` first asks with a read-only connection that writes nothing: a
database is a ledger when its event store holds events and the first of them is
the genesis event, or, when that event was altered, moved or deleted, when the
Merkle log still records the genesis as its first leaf (such a ledger opens, so
that `verify` names position 1). Anything else (someone else's database, even
another eventsourcing application's, an empty file, a ledger whose events were
all deleted) is refused with one sentence and left as it was. A SQLite ledger
whose file or folder cannot be written (a read-only file, read-only media) is
then opened read-only: it answers as long as its Merkle log and read model are
caught up, and says which one lags otherwise.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from uuid import UUID

from sqlalchemy import NullPool, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from tally.ledger.errors import StorageError
from tally.ledger.infra.merkle_log import leaves
from tally.ledger.infra.storage import Store, read_only_uri, resolve
from tally.ledger.model.identity import GENESIS_ID

# The first event, and the first leaf of the Merkle log: (originator id, version) or None.
First = tuple[object, object] | None

_SQLITE_HEADER = b"SQLite format 3\x00"


def open_store(db: str | None, *, create: bool = False) -> Store:
    """The store at `db` (path or URL) as it should be opened; unless creating, StorageError
    for a missing SQLite file or a database that is not a Tally ledger (`require_ledger`),
    before anything writes to it."""
    store = resolve(db)
    path = store.sqlite_path
    if path is not None and not path.parent.is_dir():
        raise StorageError(f"the folder {path.parent} of --db {path.name} does not exist: "
                           "create it first, or give --db a path in an existing folder")
    if path is not None and not create and not path.exists():
        raise StorageError(
            f"no ledger at {path}: run 'tally init --name ORIGIN' first, or pass --db"
        )
    return store if create else require_ledger(store)


def require_ledger(store: Store) -> Store:
    """`store` as it should be opened, or StorageError if it is not a Tally ledger."""
    try:
        event, leaf = _sqlite_firsts(store) if store.is_sqlite else _postgres_firsts(store)
    except (sqlite3.Error, SQLAlchemyError, OSError) as error:
        detail = (str(getattr(error, "orig", None) or error).strip().splitlines() or ["?"])[0]
        raise StorageError(f"the database {store.describe()} cannot be read: {detail}") from None
    if event is None or not (_is_genesis(event) or _is_genesis(leaf)):
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


def _is_genesis(first: First) -> bool:
    if first is None:
        return False
    ident, version = first
    try:
        uuid = ident if isinstance(ident, UUID) else UUID(str(ident))
    except ValueError:
        return False
    return uuid == GENESIS_ID and version == 1


def _sqlite_firsts(store: Store) -> tuple[First, First]:
    path = store.sqlite_path
    assert path is not None
    with path.open("rb") as file:
        header = file.read(100)
    if len(header) < 100 or not header.startswith(_SQLITE_HEADER):
        return None, None  # an empty file, or not SQLite at all: nothing to open
    uri = read_only_uri(path)
    try:
        found = _select_firsts(uri, store.events_table)
    except sqlite3.DatabaseError:
        if "immutable" not in uri or not Path(f"{path}-wal").exists():
            raise
        found = None, None
    if found[0] is None and "immutable" in uri and Path(f"{path}-wal").exists():
        # A writer began while the file was read as immutable: read it again beside it.
        found = _select_firsts(read_only_uri(path), store.events_table)
    return found


def _select_firsts(uri: str, table: str) -> tuple[First, First]:
    connection = sqlite3.connect(uri, uri=True)
    try:
        tables = {name for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        firsts: list[First] = []
        for name, order in ((table, "rowid"), (leaves.name, "leaf_index")):
            row = None if name not in tables else connection.execute(
                f"SELECT originator_id, originator_version FROM {name} ORDER BY {order} LIMIT 1"
            ).fetchone()
            firsts.append(None if row is None else (row[0], row[1]))
        return firsts[0], firsts[1]
    finally:
        connection.close()


def _postgres_firsts(store: Store) -> tuple[First, First]:
    engine = create_engine(store.url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(postgresql_readonly=True)
            with connection.begin():
                firsts: list[First] = []
                for name, order in ((store.events_table, "notification_id"),
                                    (leaves.name, "leaf_index")):
                    table = f"public.{name}"
                    found = connection.execute(text("SELECT to_regclass(:t)"), {"t": table})
                    row = None if found.scalar() is None else connection.execute(text(
                        f"SELECT originator_id, originator_version FROM {table} "
                        f"ORDER BY {order} LIMIT 1")).first()
                    firsts.append(None if row is None else (row[0], row[1]))
                return firsts[0], firsts[1]
    finally:
        engine.dispose()
