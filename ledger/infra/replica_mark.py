"""The mark a replica carries: the site it follows, so nothing is ever recorded into it,
and the last refusal of that site, which every read command repeats.

A replica's events are a published log's, taken by `tally clone` and `tally monitor`;
a claim recorded locally would fork it from the site it follows (and the next monitor
run would refuse the site). Every append but the replica's own is refused instead.
"""

from __future__ import annotations

from sqlalchemy import Column, Engine, MetaData, Table, Text, delete, inspect, select

from tally.ledger.infra.storage import create_tables, writing

metadata = MetaData()
replica = Table("tally_replica", metadata, Column("source", Text, nullable=False))
# the last update the replica refused: what the site did, and where its evidence is
refusal = Table("tally_replica_refusal", metadata, Column("problem", Text, nullable=False),
                Column("at", Text, nullable=False), Column("evidence", Text))


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


def record_refusal(engine: Engine, problem: str, at: str, evidence: str | None) -> None:
    """Note that an update of this replica was refused (the last refusal only)."""
    create_tables(engine, metadata.create_all)
    with writing(engine) as conn:
        conn.execute(delete(refusal))
        conn.execute(refusal.insert().values(problem=problem, at=at, evidence=evidence))


def clear_refusal(engine: Engine) -> None:
    """Forget the last refusal: the site was followed since."""
    if inspect(engine).has_table(refusal.name):
        with writing(engine) as conn:
            conn.execute(delete(refusal))


def last_refusal(engine: Engine) -> str | None:
    """One line on the last refused update of this replica, or None."""
    if not inspect(engine).has_table(refusal.name):
        return None
    with engine.connect() as conn:
        row = conn.execute(select(refusal.c.problem, refusal.c.at, refusal.c.evidence)).first()
    if row is None:
        return None
    where = f"; evidence in {row.evidence}" if row.evidence else ""
    return (f"this replica is at its last good checkpoint: its site failed on {row.at} "
            f"({row.problem}){where}")
