"""The read model a publish renders from, kept between publishes under the operator's seal.

A publish renders every page from a read model built from audited events, never from
the live tables. Rebuilding it from the first event on every publish costs as much
as the ledger is large, so after a publish the read model is kept, as a SQLite file
in the key home (`<home>/read-models/<ledger id>.db`), with a seal beside it
(`<ledger id>.seal`): the operator's Ed25519 signature over the file's SHA-256, the
size and root of the signed tree it was built from, and the positions of the
registry events in that tree (the rules' state the next publish audits new events
with).

The next publish takes the file only if all of these hold, and rebuilds from scratch
after the full audit otherwise (no file, an edited file, another key's seal, a
ledger rewritten since):
- the seal verifies with the ledger's operator key and names this ledger;
- its root is the root of the first `size` leaves of the tree being published (so
  the events it was built from are the signed ones, byte for byte);
- the file hashes to the sealed digest. It is hashed while it is copied into the
  publish's private folder, and the copy is what is used: what was checked is what
  is read.

An insider who can write the key home can also take the operator's key, and then
sign anything: the seal adds no trust the key does not already carry.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from tally.ledger.errors import SignatureError
from tally.ledger.integrity.signing import KeyPair, canonical, check_signature, sign
from tally.ledger.verify.trusted_leaves import TrustedLeaves

SEAL_FORMAT = 1
# What the operator key signs, distinct from every other message it signs: event bodies
# are JSON objects ("{"), checkpoint notes start with the log's origin.
_DOMAIN = "tally sealed read model v1\n"
_SEAL_MAX_BYTES = 16 * 2**20
_CHUNK = 2**20


class Seal(BaseModel):
    """The `.seal` file: what the signature covers, and the signature."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    format: int = SEAL_FORMAT
    ledger_id: str
    size: int
    root: str  # hex
    sha256: str  # of the read model file
    registry: list[int]  # positions of the registry events among the tree's events
    signature: str = ""

    def message(self) -> str:
        return _DOMAIN + canonical(self.model_dump(exclude={"signature"}))


class SealedReadModels:
    """The sealed read model of one ledger in `home/read-models`."""

    def __init__(self, home: Path, ledger_id: str, operator_key: bytes) -> None:
        self.directory = home / "read-models"
        self.ledger_id = ledger_id
        self.operator_key = operator_key
        self.file = self.directory / f"{ledger_id}.db"
        self.seal_file = self.directory / f"{ledger_id}.seal"

    def take(self, trusted: TrustedLeaves, into: Path) -> tuple[Seal | None, str]:
        """Copy the sealed read model to `into` if it may be used for `trusted`'s tree:
        (its seal, "") or (None, why not)."""
        try:
            with self.seal_file.open("rb") as f:
                raw = f.read(_SEAL_MAX_BYTES + 1)
        except FileNotFoundError:
            return None, "no read model was kept"
        except OSError as e:
            return None, f"the seal cannot be read ({e.strerror})"
        try:
            seal = Seal.model_validate_json(raw)
            check_signature(self.operator_key, seal.message(), seal.signature)
        except (ValidationError, SignatureError):
            return None, "the kept read model's seal does not verify with the operator key"
        if seal.format != SEAL_FORMAT or seal.ledger_id != self.ledger_id:
            return None, "the kept read model is another ledger's"
        if not 0 < seal.size <= trusted.size or trusted.root(seal.size).hex() != seal.root:
            return None, "the kept read model is of a tree this checkpoint does not extend"
        try:
            digest = _copy_hashing(self.file, into)
        except OSError as e:
            return None, f"the kept read model cannot be read ({e.strerror})"
        if digest != seal.sha256:
            into.unlink(missing_ok=True)
            return None, "the kept read model was changed after it was sealed"
        return seal, ""

    def keep(self, built: Path, trusted: TrustedLeaves, registry: list[int],
             operator: KeyPair) -> None:
        """Keep `built` (closed: no connection open on it), the read model of `trusted`'s
        whole tree, sealed. The file is replaced first, then the seal: a crash between
        leaves a seal the file does not match, and the next publish rebuilds."""
        self.directory.mkdir(parents=True, exist_ok=True)
        temporary = self.file.with_name(f".{self.file.name}.tmp")
        digest = _copy_hashing(built, temporary)
        unsigned = Seal(ledger_id=self.ledger_id, size=trusted.size,
                        root=trusted.root(trusted.size).hex(), sha256=digest,
                        registry=sorted(registry))
        seal = unsigned.model_copy(update={"signature": sign(operator.private_key,
                                                             unsigned.message())})
        os.replace(temporary, self.file)
        temporary_seal = self.seal_file.with_name(f".{self.seal_file.name}.tmp")
        temporary_seal.write_text(seal.model_dump_json(), encoding="utf-8")
        os.replace(temporary_seal, self.seal_file)


def _copy_hashing(source: Path, target: Path) -> str:
    """Copy `source` to `target` and return the SHA-256 of the bytes copied."""
    digest = hashlib.sha256()
    with source.open("rb") as reader, target.open("wb") as writer:
        while chunk := reader.read(_CHUNK):
            digest.update(chunk)
            writer.write(chunk)
    return digest.hexdigest()

