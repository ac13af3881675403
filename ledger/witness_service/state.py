"""The witness's state: its name, the logs it witnesses, and the latest checkpoint it
cosigned for each, in one SQLite file (SQLAlchemy), next to its key in the same folder."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

from tally.ledger.infra.storage import create_tables, resolve

metadata = MetaData()

identity = Table(
    "witness_identity", metadata,
    Column("name", String(255), primary_key=True),
)
logs = Table(
    "witness_logs", metadata,
    Column("origin", String(255), primary_key=True),
    Column("vkey", Text, nullable=False),
)
# one row per log: the latest checkpoint cosigned, replaced atomically (tlog-witness asks
# that the check of the old size and the update be one step)
latest = Table(
    "witness_latest", metadata,
    Column("origin", String(255), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
)

DATABASE = "witness.db"


def open_engine(folder: Path) -> Engine:
    """The witness database in `folder`, its tables created if missing."""
    engine = resolve(str(folder / DATABASE)).engine()
    create_tables(engine, metadata.create_all)
    return engine
