"""Tally's write side: signed, immutable claims on an event store, with a Merkle log.

Importing `ledger` loads neither the read side nor any terminal library, and
the pure integrity modules (merkle, notes, proofs, citation, signing, values,
dates) load no database code: the public names below are resolved lazily.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tally.ledger.application import Appended, Ledger
    from tally.ledger.bootstrap import LedgerInfo
    from tally.ledger.directory import SignerInfo
    from tally.ledger.errors import LedgerError
    from tally.ledger.infra.keystore import KeyStore
    from tally.ledger.integrity.signing import KeyPair

__all__ = ["Appended", "KeyPair", "KeyStore", "Ledger", "LedgerError", "LedgerInfo", "SignerInfo"]

_HOMES = {
    "Appended": "tally.ledger.application",
    "Ledger": "tally.ledger.application",
    "LedgerInfo": "tally.ledger.bootstrap",
    "SignerInfo": "tally.ledger.directory",
    "LedgerError": "tally.ledger.errors",
    "KeyPair": "tally.ledger.integrity.signing",
    "KeyStore": "tally.ledger.infra.keystore",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'ledger' has no attribute {name!r}")
