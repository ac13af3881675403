"""Tally's write side: signed, immutable claims on an event store, with a Merkle log.

Importing `ledger` loads neither the read side nor any terminal library, and
the pure integrity modules (merkle, notes, proofs, citation, signing, values,
dates) load no database code: the public names below are resolved lazily.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ledger.application import Appended, Ledger, LedgerInfo, SignerInfo
    from ledger.errors import LedgerError
    from ledger.keystore import KeyPair, KeyStore

__all__ = ["Appended", "KeyPair", "KeyStore", "Ledger", "LedgerError", "LedgerInfo", "SignerInfo"]

_HOMES = {
    "Appended": "ledger.application",
    "Ledger": "ledger.application",
    "LedgerInfo": "ledger.application",
    "SignerInfo": "ledger.application",
    "LedgerError": "ledger.errors",
    "KeyPair": "ledger.keystore",
    "KeyStore": "ledger.keystore",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'ledger' has no attribute {name!r}")
