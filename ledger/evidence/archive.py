"""The archived documents' bytes and normalised text, content-addressed, in the ledger's
database (a SQLAlchemy table, so on SQLite and PostgreSQL alike, and in every backup).

Nothing here is trusted: the signed `document.archived` event holds the hashes of both,
and the audit re-hashes what is stored here against them (`digests`: one column at a
time, the text encoded a chunk at a time, so a large document costs the audit its size
once, never a copy of everything it holds).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

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

from tally.ledger.evidence.normalise import text_sha256
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
        row = self._row(sha256, conn, documents.c.data, documents.c.text)
        return None if row is None else Stored(bytes(row[0]), str(row[1]))

    def reader(self, conn: Connection | None = None) -> ArchiveReader:
        """The archive as the audit reads it: in `conn`'s snapshot, if given."""
        return ArchiveReader(self, conn)

    def digests(self, sha256: str, conn: Connection | None = None) -> tuple[str, str] | None:
        """The SHA-256 of a document's stored bytes and of its stored text (UTF-8), or None
        if it is not stored; a value of the wrong type (an insider's edit) hashes as ""."""
        row = self._row(sha256, conn, documents.c.data)
        if row is None:
            return None
        data = row[0]
        data_sha = hashlib.sha256(data).hexdigest() if isinstance(data, bytes | memoryview) \
            else ""
        del row, data
        text = self.text(sha256, conn)
        return data_sha, "" if text is None else text_sha256(text)

    def text(self, sha256: str, conn: Connection | None = None) -> str | None:
        """A document's stored text alone (None if not stored, or not text)."""
        row = self._row(sha256, conn, documents.c.text)
        return row[0] if row is not None and isinstance(row[0], str) else None

    def _row(self, sha256: str, conn: Connection | None, *columns: Any) -> Any:
        if not self.present:
            return None
        query = select(*columns).where(documents.c.sha256 == sha256)
        if conn is not None:
            return conn.execute(query).first()
        with self.engine.connect() as own:
            return own.execute(query).first()


@dataclass(frozen=True)
class ArchiveReader:
    """`Archive.digests` and `Archive.text`, bound to a connection (or to none)."""

    archive: Archive
    conn: Connection | None

    def digests(self, sha256: str) -> tuple[str, str] | None:
        return self.archive.digests(sha256, self.conn)

    def text(self, sha256: str) -> str | None:
        return self.archive.text(sha256, self.conn)

