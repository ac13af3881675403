"""Where a ledger lives: one database URL gives the event store's settings and a SQLAlchemy engine.

The event store is the `eventsourcing` library's own sqlite/postgres persistence
module (see docs/architecture.md for the measurement behind that choice); every
other table (the Merkle log, checkpoints, read models) is SQLAlchemy, in the
same database.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

from sqlalchemy import Connection, Engine, QueuePool, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from tally.ledger.errors import StorageError

DEFAULT_DB = "tally.db"
LOCK_TIMEOUT_SECONDS = 30
CONNECT_TIMEOUT_SECONDS = 5  # an unreachable PostgreSQL server


@dataclass(frozen=True)
class Store:
    """A resolved database: the eventsourcing environment and the SQLAlchemy URL."""

    url: URL
    env: dict[str, str]
    events_table: str
    read_only: bool = False  # SQLite only: see `reading_only`

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        return Path(self.url.database) if self.is_sqlite and self.url.database else None

    def describe(self) -> str:
        return str(self.sqlite_path) if self.is_sqlite else self.url.render_as_string()

    def sqlite_uri(self) -> str:
        """The read-only `file:` URI of a SQLite ledger (see `reading_only`)."""
        path = self.sqlite_path
        assert path is not None
        return read_only_uri(path)

    def reading_only(self) -> Store:
        """This SQLite store opened read-only: the event store and the engine connect with a
        `mode=ro` URI and create no table, and `writing` refuses with one sentence."""
        env = {**self.env, "SQLITE_DBNAME": self.sqlite_uri(), "CREATE_TABLE": "false"}
        return replace(self, env=env, read_only=True)

    def engine(self) -> Engine:
        if self.is_sqlite and self.read_only:
            uri = self.sqlite_uri()
            engine = create_engine(
                "sqlite://",
                creator=lambda: sqlite3.connect(
                    uri, uri=True, timeout=LOCK_TIMEOUT_SECONDS, check_same_thread=False
                ),
                poolclass=QueuePool,
            )
            engine.update_execution_options(**{_READ_ONLY: self.describe()})
            event.listen(engine, "connect", _sqlite_cache)
            install_sqlite_locking(engine)
            return engine
        if self.is_sqlite:
            engine = create_engine(
                self.url, connect_args={"timeout": LOCK_TIMEOUT_SECONDS}
            )
            event.listen(engine, "connect", _sqlite_pragmas)
            install_sqlite_locking(engine)
            return engine
        return create_engine(self.url, pool_pre_ping=True)


def read_only_uri(path: Path) -> str:
    """A `file:` URI that opens `path` read-only and creates no file beside it.

    A read-only connection to a WAL database creates its `-wal` and `-shm` files and,
    unable to delete them, leaves them behind; on read-only media it cannot create
    them and fails. When a file in WAL mode has no `-wal` file, every committed
    transaction is in the main file, which is then read as `immutable` (no locks, no
    side files); otherwise (a WAL file in use, or a file not in WAL mode) `mode=ro`
    alone adds no file.
    """
    uri = "file:" + quote(str(path)) + "?mode=ro"
    return uri + "&immutable=1" if wal_without_log(path) else uri


def wal_without_log(path: Path) -> bool:
    """Whether the SQLite file at `path` is in WAL mode (header bytes 18-19) with no -wal file."""
    try:
        with path.open("rb") as file:
            header = file.read(20)
    except OSError:
        return False
    return len(header) == 20 and 2 in header[18:20] and not Path(f"{path}-wal").exists()


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    _sqlite_cache(dbapi_connection, _record)


def _sqlite_cache(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    # 32 MiB of page cache (the default is 2 MiB): a catch-up inserts into indexes keyed by
    # figure and claim id in no particular order, which thrashes a small cache on a big file
    cursor.execute("PRAGMA cache_size=-32768")
    cursor.close()


def resolve(db: str | None) -> Store:
    """Turn `--db` (a path or a SQLAlchemy URL), TALLY_DB, or the default into a Store."""
    text = db or os.environ.get("TALLY_DB") or DEFAULT_DB
    if "://" not in text:
        text = f"sqlite:///{Path(text).expanduser().absolute()}"
    try:
        url = make_url(text)
    except ArgumentError:
        raise StorageError(f"database URL {text!r} is not a valid SQLAlchemy URL") from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise StorageError("an in-memory database cannot hold a ledger: give a file path")
        path = str(Path(url.database).expanduser().absolute())
        url = url.set(database=path, drivername="sqlite")
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": str(LOCK_TIMEOUT_SECONDS),
        }
        return Store(url, env, "stored_events")
    if backend == "postgresql":
        # Parts missing from the URL come from libpq's usual PG* variables.
        pg = os.environ
        url = url.set(
            drivername="postgresql+psycopg",
            host=url.host or pg.get("PGHOST") or "localhost",
            port=url.port or int(pg.get("PGPORT", "5432")),
            username=url.username or pg.get("PGUSER") or None,
            password=url.password or pg.get("PGPASSWORD") or None,
            database=url.database or pg.get("PGDATABASE") or "postgres",
        )
        # an unreachable server fails in seconds, not libpq's default of waiting forever
        # (nor the library's 30 s); a URL's own connect_timeout wins
        if "connect_timeout" not in url.query:
            url = url.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT_SECONDS)})
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": str(url.database),
            "POSTGRES_HOST": str(url.host),
            "POSTGRES_PORT": str(url.port),
            "POSTGRES_USER": url.username or "",
            "POSTGRES_PASSWORD": url.password or "",
            "POSTGRES_LOCK_TIMEOUT": str(LOCK_TIMEOUT_SECONDS),
            "POSTGRES_CONNECT_TIMEOUT": str(url.query["connect_timeout"]),
            "POSTGRES_POOL_SIZE": "2",
            # The library would run its DDL on every open, and two processes opening at
            # once fail ("tuple concurrently updated"): Ledger runs it under create_tables.
            "CREATE_TABLE": "false",
        }
        return Store(url, env, "tally_events")
    raise StorageError(
        f"database engine {backend!r} is not supported: use a SQLite path or a postgresql:// URL"
    )


def prepare_sqlite(path: Path) -> None:
    """Put a SQLite file (created if missing) in WAL mode before anything else opens it.

    Switching the journal mode needs the file to itself, and SQLite refuses at
    once ("database is locked", whatever the busy timeout) while another
    connection has it open: processes opening a new ledger together failed in
    the event store's own switch. Done here, retried until the lock timeout,
    the library and the engine find WAL already on and have nothing to switch.
    """
    deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS
    while True:
        connection = sqlite3.connect(path, timeout=LOCK_TIMEOUT_SECONDS)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
        finally:
            connection.close()
        time.sleep(0.01)


def install_sqlite_locking(engine: Engine) -> None:
    """Make SQLAlchemy write transactions on SQLite (`writing`) start with BEGIN IMMEDIATE.

    pysqlite's own transaction handling defers the write lock until the first
    write, so two catch-ups that both read then write deadlock; taking the write
    lock up front (the recipe from SQLAlchemy's SQLite dialect docs) serialises them.
    Every other transaction only reads (nothing else commits) and begins deferred:
    in WAL mode it reads a snapshot beside the writer, so an audit, a comparison or
    a query never holds the write lock.
    """

    @event.listens_for(engine, "connect")
    def _autocommit_driver(dbapi_connection: object, _record: object) -> None:
        dbapi_connection.isolation_level = None  # type: ignore[attr-defined]

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        writes = connection.get_execution_options().get(_WRITING, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


_WRITING = "tally_writing"
_READ_ONLY = "tally_read_only"  # on an engine opened read-only: the database's description


def read_only(engine: Engine) -> bool:
    return bool(engine.get_execution_options().get(_READ_ONLY))


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A transaction that writes: committed at the end of the block, rolled back on error.
    On SQLite it holds the write lock from its first statement (see install_sqlite_locking).
    On a read-only ledger it refuses with one sentence.
    """
    where = engine.get_execution_options().get(_READ_ONLY)
    if where:
        raise StorageError(
            f"the database {where} can only be read here (a read-only file or medium) "
            "and this command writes to it"
        )
    with engine.connect() as connection:
        connection.execution_options(**{_WRITING: True})
        with connection.begin():
            yield connection


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """One read-only transaction: every statement in the block sees one snapshot.

    On SQLite a deferred transaction (install_sqlite_locking), which in WAL mode reads
    the snapshot of its first statement beside any writer; on PostgreSQL REPEATABLE
    READ (the default READ COMMITTED gives each statement a newer snapshot), read only.
    Read the event store through `snapshot` on this connection too, not through the
    event store's own pool.
    """
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        with connection.begin():
            yield connection


def lock_for_writing(connection: Connection, name: str) -> None:
    """Serialise writers of one derived table set (Merkle log, a projection) across processes.

    SQLite already holds its write lock (BEGIN IMMEDIATE); PostgreSQL takes a
    transaction-scoped advisory lock keyed by `name`.
    """
    if connection.dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


SCHEMA_LOCK = "tally_schema"


def create_tables(engine: Engine, *creators: Callable[[Connection], object]) -> None:
    """Create missing tables, one process at a time.

    Each creator gets the connection (SQLAlchemy's `metadata.create_all` takes it
    as its bind). On PostgreSQL, concurrent `CREATE TABLE`/`CREATE OR REPLACE
    FUNCTION` of the same objects fail with a unique violation or "tuple
    concurrently updated", so the creators run holding an advisory lock until the
    DDL is committed; SQLite's BEGIN IMMEDIATE serialises them already. A ledger
    opened read-only creates nothing: it was found to be a ledger before it was opened,
    and what it lacks shows as a lag (see `access`).
    """
    if read_only(engine):
        return
    with writing(engine) as connection:
        lock_for_writing(connection, SCHEMA_LOCK)
        for create in creators:
            create(connection)


T = TypeVar("T")
IN_CHUNK = 500  # values per `IN (...)` list, well under every engine's parameter limit


def in_chunks(items: Iterable[T], size: int = IN_CHUNK) -> Iterator[list[T]]:
    """`items` in lists of at most `size`, for `IN (...)` queries over many values."""
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
