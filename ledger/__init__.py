"""Tally's write side: signed, immutable claims on an event store, with a Merkle log.

Importing `ledger` loads neither the read side nor any terminal library.
"""

from __future__ import annotations

from ledger.application import Appended, Ledger, LedgerInfo, SignerInfo
from ledger.errors import LedgerError
from ledger.keystore import KeyPair, KeyStore

__all__ = ["Appended", "KeyPair", "KeyStore", "Ledger", "LedgerError", "LedgerInfo", "SignerInfo"]
