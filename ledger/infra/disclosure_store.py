"""Format v2's disclosures, content-addressed by their commitment, in the ledger's database
(a SQLAlchemy table beside the events: a state never holds them, so deleting one leaves
every stored event, leaf and proof as it was).

Nothing here is trusted: the audit hashes each disclosure against the commitment its
signed body holds. Erasing (an operator's signed redaction or withholding order) deletes
rows so the bytes cannot be read back from the file: SQLite's `secure_delete` zeroes
the freed content and a VACUUM rewrites the file (the WAL is checkpointed and truncated
first and after); PostgreSQL's VACUUM FULL rewrites the table.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    select,
    text,
)

from tally.ledger.infra.bulk_insert import insert_rows
from tally.ledger.infra.storage import create_tables, in_chunks, writing
from tally.ledger.integrity.disclosure import commitment_of

metadata = MetaData()

# Clustered on the commitment on SQLite (WITHOUT ROWID): a rowid table would repeat every
# 64-digit key in a second index, about 150 bytes a claim (docs/performance.md).
disclosures = Table(
    "tally_disclosures", metadata,
    Column("commitment", String(64), primary_key=True),
    Column("disclosure", Text, nullable=False),
    sqlite_with_rowid=False,
)


class Disclosures:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        create_tables(engine, metadata.create_all)
        # a read-only ledger from before format v2 has no table: it discloses nothing
        self.present = inspect(engine).has_table(disclosures.name)

    def put(self, texts: Iterable[str]) -> None:
        """Store disclosures once each (the same again changes nothing)."""
        rows = {commitment_of(t): t for t in texts}
        if not rows:
            return
        with writing(self.engine) as conn:  # another writer's same rows are skipped too
            insert_rows(conn, disclosures, [{"commitment": c, "disclosure": rows[c]}
                                            for c in sorted(rows)], unless_present=True)

    def get(self, commitments: Collection[str], conn: Connection | None = None
            ) -> dict[str, str]:
        """The stored disclosures of these commitments (as stored: the caller checks them)."""
        if not self.present or not commitments:
            return {}
        if conn is None:
            with self.engine.connect() as own:
                return read(own, commitments)
        return read(conn, commitments)

    def erase(self, commitments: Collection[str]) -> None:
        """Delete these disclosures so that their bytes are not left in the file."""
        if not commitments:
            return
        with writing(self.engine) as conn:
            if conn.dialect.name == "sqlite":
                conn.execute(text("PRAGMA secure_delete = ON"))
            for chunk in in_chunks(sorted(set(commitments))):
                conn.execute(disclosures.delete().where(disclosures.c.commitment.in_(chunk)))
        scrub(self.engine, disclosures.name)


def read(conn: Connection, commitments: Collection[str]) -> dict[str, str]:
    """The stored disclosures of these commitments, on `conn` (the read side's way in)."""
    found: dict[str, str] = {}
    for chunk in in_chunks(sorted(set(commitments))):
        found.update((str(c), str(d)) for c, d in conn.execute(
            select(disclosures.c.commitment, disclosures.c.disclosure)
            .where(disclosures.c.commitment.in_(chunk))))
    return found


def scrub(engine: Engine, *tables: str) -> None:
    """Rewrite the database (SQLite) or these tables (PostgreSQL) so that deleted rows
    leave no bytes behind (see the module doc). VACUUM runs outside any transaction, so on
    the driver's own connection rather than through the pool's transactional wrapper."""
    raw = engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        if engine.dialect.name == "sqlite":
            if driver.in_transaction:
                driver.commit()
            for statement in ("PRAGMA wal_checkpoint(TRUNCATE)", "VACUUM",
                              "PRAGMA wal_checkpoint(TRUNCATE)"):
                driver.execute(statement)
        else:
            driver.rollback()
            driver.autocommit = True
            try:
                for table in tables:
                    driver.execute(f'VACUUM FULL "{table}"')
            finally:
                driver.autocommit = False
    finally:
        raw.close()
