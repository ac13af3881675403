"""The operator's signatures over a tree head: its checkpoint note and its registry seal,
made with one key for one log. `MerkleLog.sign_checkpoint` is handed a signer: the log
stores what is signed and never holds the operator's private key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tally.ledger.integrity.checkpoints import Checkpoint, sign_checkpoint
from tally.ledger.integrity.registry_seal import seal_registry
from tally.ledger.integrity.signing import KeyPair


@dataclass(frozen=True)
class TreeHeadSigner:
    origin: str
    operator: KeyPair

    @property
    def public_key(self) -> bytes:
        return self.operator.public_key

    def checkpoint(self, size: int, root: bytes) -> str:
        """The signed C2SP checkpoint note of the tree (`size`, `root`)."""
        return sign_checkpoint(Checkpoint(origin=self.origin, size=size, root_hash=root),
                               self.operator.private_key)

    def seal(self, size: int, root: bytes, positions: Sequence[int]) -> str:
        """The seal (hex) over the registry events' positions of the tree (`size`, `root`)."""
        return seal_registry(self.operator.private_key, self.origin, size, root, positions)
