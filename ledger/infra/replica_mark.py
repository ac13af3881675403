"""The mark a replica carries: the site it follows, so nothing is ever recorded into it.

A replica's events are a published log's, taken by `tally clone` and `tally monitor`;
a claim recorded locally would fork it from the site it follows (and the next monitor
run would refuse the site). Every append but the replica's own is refused instead.
"""

from __future__ import annotations

from sqlalchemy import Column, Engine, MetaData, Table, Text, inspect, select

from tally.ledger.infra.storage import create_tables, writing

metadata = MetaData()
replica = Table("tally_replica", metadata, Column("source", Text, nullable=False))


def mark(engine: Engine, source: str) -> None:
    """Mark the database as a replica of `source` (once; the first source stays)."""
    create_tables(engine, metadata.create_all)
    with writing(engine) as conn:
        if conn.execute(select(replica.c.source)).first() is None:
            conn.execute(replica.insert().values(source=source))


def source_of(engine: Engine) -> str | None:
    """The site this database is a replica of, or None for a ledger of its own."""
    if not inspect(engine).has_table(replica.name):
        return None
    with engine.connect() as conn:
        found = conn.execute(select(replica.c.source)).scalar()
    return None if found is None else str(found)
