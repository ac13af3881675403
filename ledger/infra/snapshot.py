"""Reading the event store on the caller's connection, inside its `storage.reading` snapshot.

The eventsourcing recorder reads through a pool of its own, so a query that read
the Merkle log or the read model on one connection and the events through the
recorder saw two snapshots. These reads return what the recorder's
`select_notifications` returns, row for row (a test compares them), from the same
table, on the connection given.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.persistence import Notification
from sqlalchemy import Connection

from tally.ledger.infra.storage import Store


def notifications(
    conn: Connection, store: Store, start: int, limit: int, stop: int | None = None
) -> list[Notification]:
    """Stored events in global order from position `start` (inclusive), at most `limit`,
    up to `stop` (inclusive) when given."""
    position = "rowid" if store.is_sqlite else "notification_id"
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    query = (f"SELECT {position}, originator_id, originator_version, topic, state "
             f"FROM {store.events_table} WHERE {position} >= {mark}")
    params: list[int] = [start]
    if stop is not None:
        query += f" AND {position} <= {mark}"
        params.append(stop)
    query += f" ORDER BY {position} LIMIT {mark}"
    params.append(limit)
    # Values as the recorder passes them on (even a tampered, mistyped one), apart from
    # the id's type and a driver's memoryview.
    return [
        Notification(
            id=ident,
            originator_id=originator if isinstance(originator, UUID) else UUID(str(originator)),
            originator_version=version,
            topic=topic,
            state=bytes(state) if isinstance(state, memoryview) else state,
        )
        for ident, originator, version, topic, state in conn.exec_driver_sql(
            query, tuple(params)
        )
    ]
