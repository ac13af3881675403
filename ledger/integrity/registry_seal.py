"""The operator's seal over which events of a signed tree set the rules' state.

Checking a new event needs the rules' state before it: the registry events (signers,
revocations, sources, figures, documents) of the tree the last checkpoint signed.
Reading them back by type from the database would trust the database: an insider
could delete or retype a revocation and get a leaked key's claim checked, logged and
signed. So `tally checkpoint` also signs, with the operator key, the positions of the
registry events in the tree it signs. The next check fetches exactly those, each
checked against its leaf in the signed tree (`ledger.verify.trusted_leaves`).
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tally.ledger.errors import SignatureError
from tally.ledger.integrity.signing import canonical, check_signature, sign

# Distinct from every other message the operator key signs: event bodies are JSON
# objects ("{"), checkpoint notes start with the log's origin, sealed read models
# with their own line.
_DOMAIN = "tally registry v1\n"


def registry_message(origin: str, size: int, root: bytes, positions: Sequence[int]) -> str:
    return _DOMAIN + canonical({"origin": origin, "registry": list(positions), "root": root.hex(),
                                "size": size})


def seal_registry(private_key: Ed25519PrivateKey, origin: str, size: int, root: bytes,
                  positions: Sequence[int]) -> str:
    """The signature (hex) over the registry positions of the tree (`size`, `root`)."""
    return sign(private_key, registry_message(origin, size, root, positions))


def registry_sealed(public_key: bytes, origin: str, size: int, root: bytes,
                    positions: Sequence[int], signature: str) -> bool:
    try:
        check_signature(public_key, registry_message(origin, size, root, positions), signature)
    except SignatureError:
        return False
    return True
