"""The staging area of one import: a private temporary SQLite file holding the validated
events and the claims of the file, so that a million lines stay flat in memory."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from uuid import UUID

from tally.ledger.infra.eventstore import StoredEvent
from tally.ledger.infra.storage import in_chunks
from tally.ledger.integrity.envelope import decode_state
from tally.ledger.model.events import (
    as_uuid,
)

DISCLOSURES_PER_WRITE = 1000


@dataclass
class ClaimState:
    """What follow-ups need of a claim: from this file or from the ledger."""

    uuid: UUID
    figure: str
    signer: str
    signature: str
    version: int
    retracted: bool
    followups: list[str]
    line: int = 0  # the line that records it, while its presence in the ledger is unknown
    tentative: bool = False
    revoked: bool = False  # its signer is revoked: refused unless it is recorded already

    @property
    def claim_id(self) -> str:
        return self.uuid.hex


class Staging:
    """A private temporary SQLite file: the validated events, and the claims of this file."""

    def __init__(self) -> None:
        fd, self.path = tempfile.mkstemp(prefix="tally-import-", suffix=".db")
        os.close(fd)
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("PRAGMA cache_size=-8192")
        self.db.execute("BEGIN")
        self.db.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, id BLOB, version INTEGER, "
                        "topic TEXT, state BLOB)")
        self.db.execute("CREATE TABLE claims (id BLOB PRIMARY KEY, figure TEXT, signer TEXT, "
                        "signature TEXT, version INTEGER, retracted INTEGER, followups TEXT)")
        self.db.execute("CREATE TABLE disclosures (text TEXT PRIMARY KEY)")
        self._disclosures: list[tuple[str]] = []  # not yet written

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *_: object) -> None:
        self.db.close()
        for suffix in ("", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path + suffix)

    def add_events(self, events: list[StoredEvent]) -> None:
        self.db.executemany(
            "INSERT INTO events (id, version, topic, state) VALUES (?, ?, ?, ?)",
            [(as_uuid(e.originator_id).bytes, e.originator_version, e.topic, e.state)
             for e in events])

    def add_disclosures(self, texts: Iterable[str]) -> None:
        """Keep these disclosures (written a thousand at a time: a claim has two or three)."""
        self._disclosures.extend((t,) for t in texts)
        if len(self._disclosures) >= DISCLOSURES_PER_WRITE:
            self._write_disclosures()

    def _write_disclosures(self) -> None:
        self.db.executemany("INSERT OR IGNORE INTO disclosures VALUES (?)", self._disclosures)
        self._disclosures.clear()

    def disclosures(self, size: int) -> Iterator[list[str]]:
        """The disclosures of the file's v2 claims, in batches."""
        self._write_disclosures()
        cursor = self.db.execute("SELECT text FROM disclosures")
        while rows := cursor.fetchmany(size):
            yield [r[0] for r in rows]

    def claim_body(self, uuid: UUID) -> str | None:
        """The signed body of a claim this file records (staged already), or None."""
        row = self.db.execute("SELECT state FROM events WHERE id = ? AND version = 1 "
                              "AND topic = 'claim.recorded'", (uuid.bytes,)).fetchone()
        return None if row is None else decode_state(row[0]).body

    def put_claims(self, claims: Iterable[ClaimState]) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(c.uuid.bytes, c.figure, c.signer, c.signature, c.version, int(c.retracted),
              "\n".join(c.followups)) for c in claims])

    def claim(self, uuid: UUID) -> ClaimState | None:
        row = self.db.execute("SELECT figure, signer, signature, version, retracted, followups "
                              "FROM claims WHERE id = ?", (uuid.bytes,)).fetchone()
        if row is None:
            return None
        return ClaimState(uuid, row[0], row[1], row[2], row[3], bool(row[4]),
                           row[5].split("\n") if row[5] else [])

    def known(self, uuids: list[UUID]) -> set[UUID]:
        found: set[UUID] = set()
        for chunk in in_chunks([u.bytes for u in uuids]):
            marks = ", ".join("?" * len(chunk))
            found.update(UUID(bytes=r[0]) for r in self.db.execute(
                f"SELECT id FROM claims WHERE id IN ({marks})", chunk))
        return found

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM events").fetchone()[0])

    def batches(self, size: int) -> Iterator[list[StoredEvent]]:
        self.db.execute("COMMIT")
        cursor = self.db.execute("SELECT id, version, topic, state FROM events ORDER BY seq")
        while True:
            rows = cursor.fetchmany(size)
            if not rows:
                return
            yield [StoredEvent(originator_id=UUID(bytes=r[0]), originator_version=r[1],
                               topic=r[2], state=r[3]) for r in rows]


