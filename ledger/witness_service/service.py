"""The witness: its key and state in one folder, and the add-checkpoint rules of C2SP
tlog-witness, each refusal a WitnessRefusalError carrying its HTTP status.

A witness cosigns a checkpoint only after it has checked, in one write transaction
that also stores the result, that the checkpoint extends the last one it cosigned for
that log (RFC 9162 consistency proof) or repeats it exactly. So it never cosigns two
views of one log, and a restart forgets nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select

from tally.ledger.errors import (
    DuplicateDefinitionError,
    InputError,
    StorageError,
    VerificationError,
    WitnessRefusalError,
)
from tally.ledger.infra.keystore import KeyStore
from tally.ledger.infra.storage import writing
from tally.ledger.integrity import merkle
from tally.ledger.integrity.checkpoints import (
    Checkpoint,
    is_valid_key_name,
    key_hash,
    open_note,
    parse_verifier_key,
    signature_line,
    split_note,
)
from tally.ledger.integrity.cosignature import Cosigner, cosign
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.integrity.witness_protocol import AddCheckpoint, parse_add_checkpoint
from tally.ledger.witness_service.state import DATABASE, identity, latest, logs, open_engine

KEY_NAME = "witness"


def origin_hash(origin: str) -> str:
    """The path segment under which a witness serves a log's checkpoint to monitors."""
    return hashlib.sha256(origin.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class LogEntry:
    origin: str
    vkey: str
    size: int  # of the latest checkpoint cosigned, 0 if none


class Witness:
    """A witness whose key and state live in `folder`."""

    def __init__(self, folder: Path, name: str, key: KeyPair, engine: Engine,
                 clock: Callable[[], float] = time.time) -> None:
        self.folder, self.name, self.key, self.engine = folder, name, key, engine
        self.clock = clock

    @property
    def cosigner(self) -> Cosigner:
        return Cosigner(self.name, self.key.public_key)

    @classmethod
    def init(cls, folder: Path, name: str) -> tuple[Witness, bool]:
        """Create the witness (key and state) in `folder`; idempotent for the same name."""
        if not is_valid_key_name(name):
            raise InputError(f"the witness name {name!r} must be a note key name: no spaces, "
                             "'+' or control characters", field="name")
        if (folder / DATABASE).exists():
            witness = cls.open(folder)
            if witness.name != name:
                raise DuplicateDefinitionError(
                    f"{folder} already holds the witness {witness.name!r}", field="name")
            return witness, False
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        keys = KeyStore(folder)
        key = keys.load(KEY_NAME) if keys.exists(KEY_NAME) else keys.create(KEY_NAME)
        engine = open_engine(folder)
        with writing(engine) as conn:
            conn.execute(identity.insert().values(name=name))
        return cls(folder, name, key, engine), True

    @classmethod
    def open(cls, folder: Path) -> Witness:
        if not (folder / DATABASE).exists():
            raise StorageError(f"no witness in {folder}: run 'tally witness init --name NAME'")
        engine = open_engine(folder)
        with engine.connect() as conn:
            name = conn.execute(select(identity.c.name)).scalar_one_or_none()
        if name is None:
            raise StorageError(f"the witness state in {folder} has no name: run 'tally witness "
                               "init --name NAME' again")
        return cls(folder, str(name), KeyStore(folder).load(KEY_NAME), engine)

    def close(self) -> None:
        self.engine.dispose()

    def add_log(self, vkey: str) -> LogEntry:
        """Witness the log whose checkpoints `vkey` (its origin and Ed25519 key) signs."""
        origin, _ = parse_verifier_key(vkey.strip())
        with writing(self.engine) as conn:
            known = conn.execute(select(logs.c.vkey).where(logs.c.origin == origin)).scalar()
            if known is not None and known != vkey.strip():
                raise DuplicateDefinitionError(
                    f"the witness already follows log {origin!r} under another key", field="vkey")
            if known is None:
                conn.execute(logs.insert().values(origin=origin, vkey=vkey.strip()))
        return next(entry for entry in self.logs() if entry.origin == origin)

    def logs(self) -> list[LogEntry]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(logs.c.origin, logs.c.vkey, latest.c.size)
                .join(latest, latest.c.origin == logs.c.origin, isouter=True)
                .order_by(logs.c.origin)).all()
        return [LogEntry(o, v, int(s or 0)) for o, v, s in rows]

    def latest_note(self, hashed_origin: str) -> str | None:
        """The latest cosigned checkpoint of the log whose origin hashes to `hashed_origin`."""
        with self.engine.connect() as conn:
            for origin, note in conn.execute(select(latest.c.origin, latest.c.note)):
                if hmac.compare_digest(origin_hash(origin), hashed_origin):
                    return str(note)
        return None

    def add_checkpoint(self, body: str) -> str:
        """Check and cosign the checkpoint of an add-checkpoint request body; the answer's
        cosignature line. WitnessRefusalError (with its HTTP status) when refused."""
        try:
            request = parse_add_checkpoint(body)
            text, _ = split_note(request.note)
        except VerificationError as e:
            raise WitnessRefusalError(e.message, status=400) from None
        origin = text.split("\n", 1)[0]
        with writing(self.engine) as conn:  # check, cosign and store: one transaction
            vkey = conn.execute(select(logs.c.vkey).where(logs.c.origin == origin)).scalar()
            if vkey is None:
                raise WitnessRefusalError(f"this witness does not follow log {origin!r}",
                                          status=404)
            _, log_key = parse_verifier_key(str(vkey))
            try:
                open_note(request.note, origin, log_key)
            except VerificationError as e:
                raise WitnessRefusalError(e.message, status=403) from None
            try:
                checkpoint = Checkpoint.parse_body(text)
            except VerificationError as e:
                raise WitnessRefusalError(e.message, status=400) from None
            row = conn.execute(select(latest.c.size, latest.c.root)
                               .where(latest.c.origin == origin)).first()
            stored_size, stored_root = (int(row[0]), bytes(row[1])) if row else (0, None)
            _check(request, checkpoint, stored_size, stored_root)
            line = cosign(text, self.name, self.key.private_key, max(1, int(self.clock())))
            kept = signature_line(origin, key_hash(origin, log_key) + _log_signature(
                request.note, origin, log_key))
            note = f"{text}\n{kept}{line}"
            values = dict(size=checkpoint.size, root=checkpoint.root_hash, note=note)
            if row is None:
                conn.execute(latest.insert().values(origin=origin, **values))
            else:
                conn.execute(latest.update().where(latest.c.origin == origin).values(**values))
        return line


def _log_signature(note: str, origin: str, log_key: bytes) -> bytes:
    """The signature bytes of the log's own (verified) line, kept for monitors."""
    wanted = key_hash(origin, log_key)
    return next(s.signature for s in split_note(note)[1]
                if s.name == origin and s.key_id == wanted)


def _check(request: AddCheckpoint, checkpoint: Checkpoint, stored_size: int,
           stored_root: bytes | None) -> None:
    """The tlog-witness consistency rules, in the spec's order."""
    old, size = request.old_size, checkpoint.size
    if old > size:
        raise WitnessRefusalError(f"old size {old} is past the checkpoint's size {size}",
                                  status=400)
    if old != stored_size:
        raise WitnessRefusalError(f"the witness's latest size for this log is {stored_size}, "
                                  f"not {old}", status=409, size=stored_size)
    if size == 0 and checkpoint.root_hash != merkle.EMPTY_ROOT:
        raise WitnessRefusalError("a checkpoint of size 0 must have the empty tree's root",
                                  status=422)
    if old == 0:
        if request.proof:
            raise WitnessRefusalError("a proof from size 0 must be empty", status=422)
        return
    assert stored_root is not None
    if size == old and checkpoint.root_hash != stored_root:  # a fork: the spec's 409
        raise WitnessRefusalError(f"the witness cosigned another checkpoint of size {old}",
                                  status=409, size=stored_size)
    try:
        merkle.verify_consistency(old, size, stored_root, checkpoint.root_hash, request.proof)
    except VerificationError as e:
        raise WitnessRefusalError(e.message, status=422) from None
