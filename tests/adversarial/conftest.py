"""Keys for the insider's playbook: an operator and two recorders, made once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tally.ledger.infra.keystore import KeyStore
from tally.ledger.integrity.signing import KeyPair


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[KeyPair, KeyPair, KeyPair]:
    store = KeyStore(Path(tmp_path_factory.mktemp("adversarial-keys")))
    return store.create("operator"), store.create("alice"), store.create("bob")
