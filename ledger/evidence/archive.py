"""The archived documents' bytes and normalised text, content-addressed, in the ledger's
database (a SQLAlchemy table, so on SQLite and PostgreSQL alike, and in every backup).

Nothing here is trusted: the signed `document.archived` event holds the hashes of both,
and the audit re-hashes what is stored here against them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError

from tally.ledger.infra.disclosure_store import scrub
from tally.ledger.infra.storage import create_tables, writing

metadata = MetaData()

documents = Table(
    "tally_documents", metadata,
    Column("sha256", String(64), primary_key=True),
    Column("data", LargeBinary, nullable=False),
    Column("text", Text, nullable=False),
)


@dataclass(frozen=True)
class Stored:
    data: bytes
    text: str


class Archive:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        create_tables(engine, metadata.create_all)
        # a read-only ledger from before documents existed has no table: it holds none
        self.present = inspect(engine).has_table(documents.name)

    def put(self, sha256: str, data: bytes, text: str) -> None:
        """Store a document's bytes and text once; the same bytes again change nothing."""
        try:
            with writing(self.engine) as conn:
                if conn.execute(select(documents.c.sha256)
                                .where(documents.c.sha256 == sha256)).first() is None:
                    conn.execute(documents.insert().values(sha256=sha256, data=data,
                                                           text=text))
        except IntegrityError:  # another writer stored the same bytes at the same time
            pass

    def erase(self, sha256: str) -> None:
        """Delete a document's bytes and text so that they are not left in the file (a
        withholding order: see `disclosure_store.scrub`)."""
        with writing(self.engine) as conn:
            if conn.dialect.name == "sqlite":
                conn.execute(text("PRAGMA secure_delete = ON"))
            conn.execute(documents.delete().where(documents.c.sha256 == sha256))
        scrub(self.engine, documents.name)

    def get(self, sha256: str, conn: Connection | None = None) -> Stored | None:
        if not self.present:
            return None
        query = select(documents.c.data, documents.c.text).where(documents.c.sha256 == sha256)
        if conn is not None:
            row = conn.execute(query).first()
        else:
            with self.engine.connect() as own:
                row = own.execute(query).first()
        return None if row is None else Stored(bytes(row[0]), str(row[1]))
