"""Updating a replica so that a refused update leaves it exactly as it was.

`tally clone` and `tally monitor` follow a site (`ledger.tlog.replica.follow`) in a staged
copy of a SQLite replica (`<replica>.staging`, made with SQLite's backup API) and switch
it in with one `os.replace` only once the whole update passed: every tile, bundle and
checkpoint, every entry's rules and signature, every document's hashes and every
anchored quote. A refused update (`SiteError`, or any other check that fails) deletes
the staged copy: the replica keeps its last good checkpoint, and answers every read
command, which repeats the refusal in one line (`replica_mark.last_refusal`).

An update stopped by the network, the machine or the user keeps its staged copy, and
the next one resumes from it (the copy's committed bundles are checked against the
site again, as a resumed clone always was). One update runs at a time on a replica
(`<replica>.lock`); another is refused in one sentence.

A PostgreSQL replica is followed in place (`follow` commits a bundle batch at a time):
it cannot be copied cheaply, and the event store and the Merkle log are written over two
connections, so no single transaction can hold a whole update. Everything but an entry
failing the rules or its signature is refused before anything is written; such an entry
stops the Merkle log at its position, and the events of its batch, which the log did not
take, are deleted, so the replica keeps the batches before it, checked and readable.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import quote

from tally.ledger.application import Ledger
from tally.ledger.errors import InputError, LedgerError, SiteError, StorageError
from tally.ledger.infra import replica_mark
from tally.ledger.infra.merkle_log import last_position
from tally.ledger.infra.storage import LOCK_TIMEOUT_SECONDS, resolve, writing
from tally.ledger.integrity.checkpoints import Checkpoint
from tally.ledger.integrity.tlog_policy import Policy
from tally.ledger.progress import Progress
from tally.ledger.tlog.replica import Followed, follow, refuse_a_ledger_of_its_own
from tally.ledger.tlog.source import SiteSource


def staging_path(path: Path) -> Path:
    """Where the update of the SQLite replica at `path` is staged."""
    return path.with_name(path.name + ".staging")


def update(db: str | None, source: SiteSource, operator_key: bytes | None, *,
           create: bool = False, progress: Progress | None = None,
           policy: Policy | None = None, fetched: tuple[str, Checkpoint] | None = None) -> Followed:
    """Bring the replica at `db` up to the site's checkpoint, all or nothing (SQLite);
    `operator_key` None: the replica's own. A SiteError carries the replica's last
    checkpoint as `old_checkpoint` when it names no other."""
    path = resolve(db).sqlite_path
    if path is None:
        with Ledger.open(db, create=create) as ledger:
            try:
                return _follow(ledger, source, operator_key, progress, policy, fetched)
            except SiteError:
                _drop_unlogged(ledger)
                raise
    staged = staging_path(path)
    with _only_update(path):
        return _staged(db, path, staged, source, operator_key, create, progress, policy,
                       fetched)


def _staged(db: str | None, path: Path, staged: Path, source: SiteSource,
            operator_key: bytes | None, create: bool, progress: Progress | None,
            policy: Policy | None, fetched: tuple[str, Checkpoint] | None) -> Followed:
    if not staged.exists():
        if path.exists():
            with Ledger.open(str(path), create=create) as current:
                refuse_a_ledger_of_its_own(current)
            _copy(path, staged)
        elif not create:
            Ledger.open(str(path)).close()  # the usual refusal of a missing ledger
    try:
        with Ledger.open(str(staged), create=True) as ledger:
            done = _follow(ledger, source, operator_key, progress, policy, fetched)
            replica_mark.clear_refusal(ledger.engine)
    except LedgerError as e:
        if not isinstance(e, StorageError):  # refused: the staged copy goes
            discard(staged)
        raise
    _switch(staged, path)
    return done


@contextmanager
def _only_update(path: Path) -> Iterator[None]:
    """Hold `<replica>.lock` for the update: two runs on one replica would share its stage
    (the lock goes with the process that holds it, however it ends)."""
    with path.with_name(path.name + ".lock").open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StorageError(f"another clone or monitor is updating {path}: run this one "
                               "when it is done") from None
        yield


def record_refusal(db: str | None, problem: str, evidence: Path | None) -> None:
    """Note on the replica at `db` (if there is one yet) that its site was refused, so
    every read command says so."""
    path = resolve(db).sqlite_path
    if path is not None and not path.exists():
        return
    with Ledger.open(db) as ledger:
        if replica_mark.source_of(ledger.engine) is None:
            return
        at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        replica_mark.record_refusal(ledger.engine, problem, at,
                                    None if evidence is None else str(evidence.absolute()))


def _follow(ledger: Ledger, source: SiteSource, operator_key: bytes | None,
            progress: Progress | None, policy: Policy | None,
            fetched: tuple[str, Checkpoint] | None) -> Followed:
    ledger.journal.catch_up_log()  # events a killed update appended, checked first
    previous = ledger.log.checkpoint_note() if ledger.log.checkpoints() else None
    if operator_key is None:
        if not ledger.log.size():
            raise InputError("give the operator's key to follow a site into an empty replica",
                             field="operator_key")
        operator_key = bytes.fromhex(ledger.info().operator_public_key)
    try:
        return follow(ledger, source, operator_key, progress, policy, fetched=fetched)
    except SiteError as e:
        if e.old_checkpoint is None:
            e.old_checkpoint = previous
        raise


def _drop_unlogged(ledger: Ledger) -> None:
    """A replica followed in place (PostgreSQL) drops the events of a refused batch, which
    the Merkle log did not take: what it took before stays, and stays readable."""
    with writing(ledger.engine) as conn:
        ledger.events.rows.delete_after(conn, last_position(conn))


def _copy(path: Path, staged: Path) -> None:
    """A consistent copy of the SQLite file at `path` (its WAL included)."""
    with closing(sqlite3.connect(path)) as src, closing(sqlite3.connect(staged)) as dst:
        src.backup(dst)


def _fold(path: Path) -> None:
    """Move the WAL of the SQLite file at `path` into it and empty it (the file alone then
    holds every committed transaction); StorageError if a reader keeps it from emptying."""
    uri = f"file:{quote(str(path))}?mode=rw"  # never creates a file
    with closing(sqlite3.connect(uri, uri=True, timeout=LOCK_TIMEOUT_SECONDS)) as conn:
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    if busy:
        raise StorageError(f"{path} is being read: the update is staged in "
                           f"{staging_path(path)}; run it again to switch to it")


def _switch(staged: Path, path: Path) -> None:
    """Replace the replica by its staged update in one rename, neither file's WAL left
    holding frames the other would read."""
    _fold(staged)
    if path.exists():
        _fold(path)
    os.replace(staged, path)


def discard(staged: Path) -> None:
    """Delete a staged update and its side files."""
    for leftover in (staged, Path(f"{staged}-wal"), Path(f"{staged}-shm")):
        leftover.unlink(missing_ok=True)
