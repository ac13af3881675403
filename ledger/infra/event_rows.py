"""The event store's table read as plain rows, with SQLAlchemy alone: the one place that
knows its layout (the library's `stored_events` table: a position, the aggregate id and
version, the type name and the state), and the checks a stored row must pass before its
signed body is shown.

`EventStore` (the eventsourcing adapter) reads through this, building the library's
`Notification`s; the read commands use it directly when the Merkle log and the read model
have caught up, so that they never load the library (`projections.reader`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import Any, NamedTuple, Protocol, TypeVar
from uuid import UUID

from sqlalchemy import Connection, text

from tally.ledger.errors import VerificationError
from tally.ledger.infra import disclosure_store
from tally.ledger.infra.storage import Store, in_chunks
from tally.ledger.integrity.disclosure import FIELDS, commitments
from tally.ledger.integrity.envelope import Stored, decode_state
from tally.ledger.integrity.signing import body_id
from tally.ledger.model.identity import TYPE_NAMES, redaction_uuid

# the eventsourcing application's name: its tracking records (the read model's) carry it
APPLICATION = "Tally"


class EventRow(NamedTuple):
    """One stored event, as the table holds it (the library's `Notification` fields)."""

    id: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes


class Positioned(Protocol):
    """A stored row of some type (EventRow, or the library's Notification): its position."""

    @property
    def id(self) -> int: ...


R = TypeVar("R", bound=Positioned)
# builds a row from the fields above, in that order (EventRow, or the library's Notification)
Make = Callable[..., R]


class EventRows:
    """Reads of one ledger's event table."""

    def __init__(self, store: Store) -> None:
        self.table = store.events_table
        self.position = "rowid" if store.is_sqlite else "notification_id"
        self.mark = "?" if store.is_sqlite else "%s"
        self.is_sqlite = store.is_sqlite

    def max_position(self, conn: Connection) -> int:
        found = conn.execute(text(f"SELECT max({self.position}) FROM {self.table}")).scalar()
        return int(found or 0)

    def delete_after(self, conn: Connection, position: int) -> int:
        """Delete the events stored past `position`; how many. Only a replica's update that
        the site's audit refused does this, to the events the Merkle log did not take."""
        done = conn.execute(text(f"DELETE FROM {self.table} WHERE {self.position} > :p"),
                            {"p": position})
        return int(done.rowcount or 0)

    def replace_states(self, conn: Connection, ident: UUID, states: Mapping[int, bytes]) -> None:
        """Overwrite the states of this aggregate's events at these versions: only the stubs
        of a withheld claim's events (`envelope.encode_stub`), as an operator's order takes
        their bodies down. The eventsourcing library has no erase: its recorder only
        appends, so this is the one UPDATE of the event table."""
        key = ident.hex if self.is_sqlite else ident
        for version, state in sorted(states.items()):
            conn.execute(text(f"UPDATE {self.table} SET state = :state WHERE originator_id = "
                              ":ident AND originator_version = :version"),
                         {"state": state, "ident": key, "version": version})

    def select(self, conn: Connection, start: int, limit: int, stop: int | None,
               topics: Sequence[str], make: Make[R]) -> list[R]:
        """Rows from position `start`, at most `limit`, up to `stop`, of these `topics` (all
        when empty), in order: what the recorder's `select_notifications` returns."""
        mark = self.mark
        query = (f"SELECT {self.position}, originator_id, originator_version, topic, state "
                 f"FROM {self.table} WHERE {self.position} >= {mark}")
        params: list[Any] = [start]
        if stop is not None:
            query += f" AND {self.position} <= {mark}"
            params.append(stop)
        if topics:
            query += f" AND topic IN ({', '.join([mark] * len(topics))})"
            params.extend(topics)
        query += f" ORDER BY {self.position} LIMIT {mark}"
        params.append(limit)
        return self.rows(conn, query, params, make)

    def at(self, conn: Connection, positions: Collection[int], make: Make[R]) -> Iterator[R]:
        """The rows at these positions, by position, one query a chunk of positions."""
        for chunk in in_chunks(sorted(set(positions))):
            yield from self.rows(conn, (
                f"SELECT {self.position}, originator_id, originator_version, topic, "
                f"state FROM {self.table} WHERE {self.position} IN "
                f"({', '.join([self.mark] * len(chunk))}) ORDER BY {self.position}"), chunk, make)

    @staticmethod
    def rows(conn: Connection, query: str, params: Sequence[Any], make: Make[R]) -> list[R]:
        # values as the recorder passes them on (even a tampered, mistyped one), apart from
        # the id's type and a driver's memoryview
        return [
            make(ident, as_id(originator), version, topic,
                 bytes(state) if isinstance(state, memoryview) else state)
            for ident, originator, version, topic, state in conn.exec_driver_sql(
                query, tuple(params))
        ]

    def of_aggregates(self, conn: Connection, ids: Sequence[UUID], make: Make[R]) -> list[R]:
        """Every stored row of these aggregates."""
        found: list[R] = []
        for chunk in in_chunks(ids):
            params = tuple(u.hex for u in chunk) if self.is_sqlite else tuple(chunk)
            found.extend(self.rows(conn, (
                f"SELECT {self.position}, originator_id, originator_version, topic, state "
                f"FROM {self.table} WHERE originator_id IN "
                f"({', '.join([self.mark] * len(chunk))})"), params, make))
        return found

    def signed(self, conn: Connection, positions: Collection[int], make: Make[R],
               check: Callable[[Sequence[R]], None] | None = None
               ) -> dict[int, SignedEvent]:
        """The signed body and signature of the events at these positions (rows built by
        `make`), each checked as `checked` checks it, with their v2 disclosures and the
        take-down orders of what is not disclosed. With `check`, each row is passed to
        it first, and a position missing from the table is a VerificationError (the
        caller vouched for it)."""
        found: dict[int, tuple[str, str]] = {}
        for row in self.at(conn, positions, make):
            if check is not None:
                check([row])
            stored = checked(row)
            found[row.id] = (stored.body, stored.signature)
        if check is not None and len(found) != len(set(positions)):
            missing = min(set(positions) - set(found))
            raise VerificationError(f"the event at position {missing} is no longer in the "
                                    "event store: it was deleted (run 'tally verify')",
                                    position=missing)
        return self._disclosed(conn, found)

    def _disclosed(self, conn: Connection, found: dict[int, tuple[str, str]]
                   ) -> dict[int, SignedEvent]:
        committed = {p: commitments(json.loads(b)) for p, (b, _) in found.items()
                     if '"commitment"' in b}
        committed = {p: c for p, c in committed.items() if c}
        disclosed = disclosure_store.read(conn, [c for cs in committed.values()
                                                 for c in cs.values()]) if committed else {}
        undisclosed = {p: found[p][0] for p, cs in committed.items()
                       if not set(cs.values()) <= set(disclosed)}
        orders: dict[str, list[tuple[str, str]]] = {}
        wanted = [redaction_uuid(body_id(b), f) for b in undisclosed.values() for f in FIELDS]
        for row in self.of_aggregates(conn, wanted, EventRow):
            try:
                stored = checked(row)
                claim = json.loads(stored.body)["claim"]
            except (VerificationError, ValueError, KeyError, TypeError):
                continue  # a tampered order: not shown, flagged by verify at its position
            orders.setdefault(claim, []).append((stored.time_text(), stored.body))
        return {p: SignedEvent(b, s, {c: disclosed[c] for c in committed.get(p, {}).values()
                                      if c in disclosed},
                               tuple(orders.get(body_id(b), ()) if p in undisclosed else ()))
                for p, (b, s) in found.items()}


    def withholdings(self, conn: Connection, claim_ids: Collection[str]) -> dict[str, str]:
        """The note a view shows for each of these claims that an order of the operator
        withheld whole (`[withheld on DATE by operator: REASON]`); a tampered order is
        passed over here and flagged by verify at its position."""
        found: dict[str, str] = {}
        wanted = [redaction_uuid(c, "body") for c in claim_ids]
        for row in self.of_aggregates(conn, wanted, EventRow):
            try:
                stored = checked(row)
                order = json.loads(stored.body)
                found[str(order["claim"])] = withheld_note(stored.time_text(),
                                                           str(order["reason"]))
            except (VerificationError, ValueError, KeyError, TypeError):
                continue
        return found


def withheld_note(recorded: str, reason: str) -> str:
    return f"[withheld on {recorded[:10]} by operator: {reason}]"


class SignedEvent(NamedTuple):
    """A stored event's signed body and signature; for a v2 claim, the disclosures of its
    commitments that are stored, and (recorded time, body) of the take-down orders on it."""

    body: str
    signature: str
    disclosed: Mapping[str, str] = {}
    orders: tuple[tuple[str, str], ...] = ()


def as_id(value: Any) -> Any:
    """The aggregate id as a UUID; a value that is not one (a column retyped by an insider)
    is passed on as it is, for `check_type_and_id` to name its position."""
    if isinstance(value, UUID):
        return value
    try:
        return UUID(value) if isinstance(value, str) else value
    except ValueError:
        return value


def state_bytes(state: Any) -> bytes:
    """A stored state as bytes: a BLOB as it is, text (its column retyped) in UTF-8, so the
    same bytes hash to the same leaf; VerificationError for anything else (NULL, a number)."""
    if isinstance(state, bytes | bytearray | memoryview):
        return bytes(state)
    if isinstance(state, str):
        try:
            return state.encode("utf-8")
        except UnicodeEncodeError:
            raise VerificationError("the stored state is not UTF-8 text") from None
    raise VerificationError("the stored state is NULL" if state is None
                            else f"the stored state is not bytes but {type(state).__name__}")


def checked(row: Any) -> Stored:
    """A stored row's decoded state, if the row is a Tally event: its state decodes, its
    type is one a ledger stores and its aggregate id is a UUID; else VerificationError
    naming its position."""
    try:
        stored = decode_state(state_bytes(row.state))
        check_type_and_id(row)
    except VerificationError as e:
        raise at_position(row.id, e) from None
    return stored


def check_type_and_id(row: Any) -> UUID:
    """The row's aggregate id, once its type is known to be one a ledger stores."""
    if not isinstance(row.topic, str) or row.topic not in TYPE_NAMES:
        raise VerificationError(f"the stored event has an unknown type {str(row.topic)[:40]!r}")
    try:
        return row.originator_id if isinstance(row.originator_id, UUID) \
            else UUID(str(row.originator_id)) if isinstance(row.originator_id, str) \
            else UUID(row.originator_id)
    except (ValueError, TypeError, AttributeError):
        raise VerificationError("the stored event's aggregate id is not a UUID") from None


def at_position(position: int, error: VerificationError) -> VerificationError:
    return VerificationError(f"the event at position {position} is not a valid Tally event: "
                             f"{error.message}", position=position)
