"""The one adapter to the `eventsourcing` library: appends, reads, decodes, translates errors.

Nothing else in Tally imports the library, apart from the module that declares the
aggregates (`model.events`). The event table's layout and the checks a stored row must
pass live in `event_rows`, which this adapter reads through and the read commands use
without the library. Everything here returns Tally's types or the library's
plain records (`Notification`, `StoredEvent`, re-exported below), and raises only
`LedgerError`s: a library or database error becomes one `StorageError` sentence, an
event that cannot be decoded a `VerificationError` naming its position.

Two things differ from the library's defaults, both on purpose:

- The environment is only what `storage.resolve` gives. The library would merge
  `os.environ` (so `COMPRESSOR_TOPIC`, `CIPHER_TOPIC` or `TALLY_SQLITE_DBNAME` in
  the user's shell would change where and how events are written).
- The mapper writes Tally's own stored-event format (`integrity.envelope`): the type
  name, and a state of body, signature and recording time. The library's mapper
  would persist Python module paths and its private JSON transcoding, and would
  import any module a stored topic names; this one knows the ledger's type names.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    IntegrityError,
    JSONTranscoder,
    Mapper,
    Notification,
    PersistenceError,
    StoredEvent,
)
from eventsourcing.utils import Environment, EnvType
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from tally.ledger.errors import LedgerError, StorageError, VerificationError
from tally.ledger.infra.event_rows import (
    APPLICATION,
    EventRows,
    SignedEvent,
    as_id,
    at_position,
    check_type_and_id,
    state_bytes,
)
from tally.ledger.infra.storage import Store, create_tables, in_chunks, prepare_sqlite
from tally.ledger.integrity.envelope import Stored, Withheld, decode_state, encode_state
from tally.ledger.model.events import CREATED_TOPICS, EVENT_TYPES

__all__ = ["EventStore", "Notification", "StoredEvent", "storage_error"]

# one aggregate's stored events: (position, version, type, state)
Places = dict[UUID, list[tuple[int, int, str, bytes]]]


def storage_error(store: Store, error: Exception, what: str) -> StorageError:
    """One sentence for a database error (SQLAlchemy's text adds the statement and a link)."""
    detail = (str(getattr(error, "orig", None) or error).strip().splitlines() or ["?"])[0]
    if "locked" in detail:
        return StorageError(f"the database {store.describe()} is locked by another writer; "
                            "try again when it finishes")
    return StorageError(f"the database {store.describe()} {what}: {detail}")


class _Mapper(Mapper[UUID]):
    """Domain events to and from Tally's stored-event format, version 1."""

    def __init__(self) -> None:
        super().__init__(transcoder=JSONTranscoder())  # unused: states are encoded here

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=domain_event.TOPIC,
            state=encode_state(domain_event.body, domain_event.signature,
                               domain_event.timestamp))

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        return event_from(stored_event, decode_state(state_bytes(stored_event.state)))


def event_from(stored_event: StoredEvent, stored: Stored) -> Any:
    """The domain event of a stored event whose state is decoded already."""
    originator = check_type_and_id(stored_event)
    cls = EVENT_TYPES[stored_event.topic][0]
    state: dict[str, Any] = {
        "originator_id": originator,
        "originator_version": stored_event.originator_version,
        "timestamp": stored.recorded,
        "body": stored.body,
        "signature": stored.signature,
    }
    if stored_event.topic in CREATED_TOPICS:
        state["originator_topic"] = CREATED_TOPICS[stored_event.topic]
    domain_event = object.__new__(cls)
    object.__setattr__(domain_event, "__dict__", state)
    return domain_event


class _Application(Application[UUID]):
    name = APPLICATION

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        return Environment(name, dict(env or {}))

    def construct_mapper(self) -> Mapper[UUID]:
        return _Mapper()


class EventStore:
    """The ledger's events: the library's application, behind Tally's own vocabulary."""

    name = _Application.name

    def __init__(self, store: Store, engine: Engine) -> None:
        self.store = store
        self.engine = engine
        try:
            if store.sqlite_path is not None and not store.read_only:
                prepare_sqlite(store.sqlite_path)
            self._app = _Application(env=store.env)
            if not store.is_sqlite:  # the library's own DDL, serialised across processes
                recorder: Any = self._app.recorder
                create_tables(engine, lambda _: recorder.create_table())
        except (PersistenceError, SQLAlchemyError, sqlite3.Error, OSError) as e:
            raise storage_error(store, e, "cannot be opened") from None
        self.rows = EventRows(store)
        self._position, self._mark = self.rows.position, self.rows.mark

    def close(self) -> None:
        self._app.close()

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Translate the library's and the database's errors into one StorageError."""
        try:
            yield
        except LedgerError:
            raise
        except (PersistenceError, SQLAlchemyError, sqlite3.Error) as e:
            raise storage_error(self.store, e, "failed") from None

    # -- writing -------------------------------------------------------------------

    def save(self, aggregates: Sequence[Aggregate]) -> list[int]:
        """Append the aggregates' pending events in one transaction; their positions."""
        with self._appending():
            return [r.notification.id for r in self._app.save(*aggregates)]

    def insert(self, events: Sequence[StoredEvent]) -> list[int]:
        """Append already-mapped events (`to_stored`) in one transaction; their positions."""
        with self._appending():
            return list(self._app.recorder.insert_events(list(events)) or [])

    @contextmanager
    def _appending(self) -> Iterator[None]:
        with self.errors():
            try:
                yield
            except IntegrityError:
                raise StorageError(
                    "another writer appended the same events at once; run the command again"
                ) from None

    def to_stored(self, event: Any) -> StoredEvent:
        return self._app.mapper.to_stored_event(event)

    # -- decoding ------------------------------------------------------------------

    def decode(self, n: Notification) -> Any:
        """The domain event at a position; VerificationError naming it if it is not valid."""
        try:
            return self._app.mapper.to_domain_event(n)
        except Withheld:
            raise
        except VerificationError as e:
            raise _at(n, e) from None

    @staticmethod
    def event_from(n: Notification, stored: Stored) -> Any:
        """`decode`, for a caller that decoded the state already (the audit)."""
        try:
            return event_from(n, stored)
        except VerificationError as e:
            raise _at(n, e) from None

    # -- reading -------------------------------------------------------------------

    def get(self, ident: UUID) -> Any | None:
        """The aggregate with this id as its events make it, or None."""
        with self.errors():
            try:
                return self._app.repository.get(ident)
            except AggregateNotFoundError:
                return None

    def notifications(self, start: int, limit: int, stop: int | None = None,
                      conn: Connection | None = None, topics: Sequence[str] = ()
                      ) -> Sequence[Notification]:
        """Stored events in global order from position `start` (inclusive), at most
        `limit`, up to `stop` when given; read on `conn` (and so in its snapshot, see
        `storage.reading`) when given, else through the library's own pool."""
        with self.errors():
            if conn is None:
                return self._app.recorder.select_notifications(
                    start=start, limit=limit, stop=stop, topics=topics)
            return self._select(conn, start, limit, stop, topics)

    def all_notifications(self, start: int = 1, *, batch: int = 1000,
                          stop: int | None = None, conn: Connection | None = None,
                          topics: Sequence[str] = ()) -> Iterator[Notification]:
        """Every stored event from `start` in order, read `batch` at a time."""
        for found in self.batches(start, batch=batch, stop=stop, conn=conn, topics=topics):
            yield from found

    def batches(self, start: int = 1, *, batch: int = 1000, stop: int | None = None,
                conn: Connection | None = None, topics: Sequence[str] = ()
                ) -> Iterator[Sequence[Notification]]:
        """The stored events from `start` (up to `stop`) in order, `batch` at a time: the
        one paging loop over the event store."""
        while True:
            found = self.notifications(start, batch, stop, conn, topics)
            if found:
                yield found
            if len(found) < batch:
                return
            start = found[-1].id + 1

    def max_position(self, conn: Connection | None = None) -> int:
        with self.errors():
            if conn is None:
                return self._app.recorder.max_notification_id() or 0
            return self.rows.max_position(conn)

    def _select(self, conn: Connection, start: int, limit: int, stop: int | None,
                topics: Sequence[str]) -> list[Notification]:
        """What the recorder's `select_notifications` returns, row for row (a test compares
        them), on the caller's connection: the recorder reads through a pool of its own,
        so a query that read the log or the read model on one connection and the events
        through the recorder would see two snapshots."""
        return self.rows.select(conn, start, limit, stop, topics, _notification)

    def signed(self, positions: Collection[int], conn: Connection | None = None,
               check: Callable[[Sequence[Notification]], None] | None = None
               ) -> dict[int, SignedEvent]:
        """The signed body and signature of the events at these positions, checked as
        `decode` checks them (`event_rows.checked`). With `check`, each event is passed
        to it first, and a position missing from the store is a VerificationError (the
        caller vouched for it)."""
        if conn is None:
            with self.errors(), self.engine.connect() as own:
                return self.signed(positions, own, check)
        with self.errors():
            return self.rows.signed(conn, positions, _notification, check)

    def at(self, positions: Collection[int], conn: Connection | None = None
           ) -> Iterator[Notification]:
        """The stored events at these positions, by position, one query a chunk of
        positions, on `conn` (in its snapshot) when given, else on a connection of its own."""
        if conn is None:
            with self.engine.connect() as own:
                yield from self.at(positions, own)
            return
        with self.errors():
            yield from self.rows.at(conn, positions, _notification)

    def _chunked(self, conn: Connection, select: str, ids: Sequence[UUID]
                 ) -> Iterator[tuple[Any, ...]]:
        """Rows of `select ... WHERE originator_id IN (...)` for many ids, a chunk at a
        time (the one place a query takes a list of aggregate ids)."""
        for chunk in in_chunks(ids):
            marks = ", ".join([self._mark] * len(chunk))
            params = tuple(u.hex for u in chunk) if self.store.is_sqlite else tuple(chunk)
            yield from conn.exec_driver_sql(f"{select} originator_id IN ({marks})", params)

    def existing(self, ids: Sequence[UUID]) -> set[UUID]:
        """Which of these aggregate ids have events in the store."""
        select = (f"SELECT originator_id FROM {self.store.events_table} "
                  f"WHERE originator_version = 1 AND")
        with self.errors(), self.engine.connect() as conn:
            return {as_id(ident) for (ident,) in self._chunked(conn, select, ids)}

    def aggregate_events(self, ids: Sequence[UUID], conn: Connection | None = None,
                         states: bool = True) -> Places:
        """Every stored event of these aggregates: (position, version, type, state) each
        (the state empty with `states` False: where they are is all the caller needs).

        Pass the caller's connection when it has one open: on SQLite every SQLAlchemy
        transaction here takes the write lock (see storage.install_sqlite_locking)."""
        if conn is None:
            with self.errors(), self.engine.connect() as own:
                return self.aggregate_events(ids, own, states)
        select = (f"SELECT originator_id, {self._position}, originator_version, topic, "
                  f"{'state' if states else 'NULL'} FROM {self.store.events_table} WHERE")
        found: Places = {}
        with self.errors():
            for ident, pos, version, topic, state in self._chunked(conn, select, ids):
                try:
                    data = state_bytes(state) if states else b""
                except VerificationError as e:
                    raise at_position(int(pos), e) from None
                found.setdefault(as_id(ident), []).append(
                    (int(pos), int(version), str(topic), data))
        return found

    def repeated_places(self, conn: Connection) -> Places:
        """The events whose (aggregate id, version) another event also has, in one query:
        the event store's primary key forbids it, but an insider can drop that key. A
        window function sorts the table once (O(n log n) in the database) where a look-up
        per claim recorded would cost a query a batch."""
        query = (f"SELECT originator_id, pos, originator_version, topic FROM ("
                 f"SELECT originator_id, {self._position} AS pos, originator_version, topic, "
                 f"count(*) OVER (PARTITION BY originator_id, originator_version) AS copies "
                 f"FROM {self.store.events_table}) AS counted WHERE copies > 1")
        found: Places = {}
        with self.errors():
            for ident, pos, version, topic in conn.exec_driver_sql(query):
                found.setdefault(as_id(ident), []).append((int(pos), int(version), str(topic),
                                                           b""))
        return found


def _at(n: Notification, error: VerificationError) -> VerificationError:
    return at_position(n.id, error)


def _notification(ident: int, originator_id: UUID, originator_version: int, topic: str,
                  state: bytes) -> Notification:
    return Notification(id=ident, originator_id=originator_id,
                        originator_version=originator_version, topic=topic, state=state)
