"""An insider with the database and a revoked (leaked) key, against a re-publish.

They delete the revocation and append a claim signed with the leaked key. The ledger's
tail audit and `tally checkpoint` replay the rules from the registry events the
database holds now, so they take the claim in; a re-publish must not: it audits the
events after its kept read model from the sealed registry events, and one of those
is gone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from insider import delete_row, full_ledger, leaked_claim, rows

from tally.ledger.application import Ledger
from tally.ledger.errors import VerificationError
from tally.projections.publish.publisher import publish
from tally.projections.readmodel import ReadModel


def _files(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def test_a_deleted_revocation_does_not_let_the_leaked_key_publish(
        db_url: str, keys: Any, tmp_path: Path) -> None:
    operator, _, bob = keys  # bob's key was revoked: "key rotated"
    full_ledger(db_url, *keys)
    site, home = tmp_path / "site", tmp_path / "home"
    with Ledger.open(db_url) as ledger:
        first = publish(ledger.parts, ReadModel(ledger), site, operator, keep=home)
    assert first.read_model.startswith("rebuilt")
    revocation = next(r for r in rows(db_url) if r[3] == "signer.revoked")
    delete_row(db_url, revocation[0])
    leaked_claim(db_url, bob)
    published = _files(site)
    with Ledger.open(db_url) as ledger, pytest.raises(VerificationError,
                                                      match=f"position {revocation[0]}"):
        publish(ledger.parts, ReadModel(ledger), site, operator, keep=home)
    assert _files(site) == published
