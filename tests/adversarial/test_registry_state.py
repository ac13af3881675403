"""The rules' state a new event is checked with cannot be rewritten under a checkpoint.

An event no process of ours appended, and every event `tally checkpoint` signs, is
checked against the rules as the registry events before it set them: who is a signer,
who was revoked. An insider with the database and a revoked (leaked) key deletes or
retypes the revocation, which an earlier checkpoint covers, and appends a claim signed
with that key. The claim must never be logged as valid, and never signed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from insider import delete_row, edit_row, full_ledger, leaked_claim, rows
from sqlalchemy import func, select

from tally.ledger.application import Ledger
from tally.ledger.errors import AuditError, VerificationError
from tally.ledger.infra.merkle_log import checkpoints, registry_seals
from tally.ledger.integrity.checkpoints import verify_checkpoint
from tally.ledger.model.kinds import REGISTRY_TYPES
from tally.ledger.verify.audit import verify


def _stored(db: str) -> int:
    with Ledger.open(db) as ledger, ledger.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(checkpoints)).scalar_one())


def _change_seal(db: str, how: str) -> None:
    with Ledger.open(db) as ledger, ledger.engine.begin() as conn:
        if how == "dropped":
            conn.execute(registry_seals.delete())
        elif how == "forged":
            revocation = next(r for r in rows(db) if r[3] == "signer.revoked")[0]
            for size, positions in conn.execute(select(registry_seals.c.size,
                                                       registry_seals.c.positions)).all():
                kept = [p for p in json.loads(positions) if p != revocation]
                conn.execute(registry_seals.update().where(registry_seals.c.size == size)
                             .values(positions=json.dumps(kept)))


def _hide_revocation(db: str, how: str) -> int:
    revocation = next(r for r in rows(db) if r[3] == "signer.revoked")
    if how == "delete":
        delete_row(db, revocation[0])
    else:  # retyped: no longer read as a registry event
        edit_row(db, revocation[0], topic="claim.retracted")
    return revocation[0]


def test_each_checkpoint_seals_its_registry_events(db_url: str, keys: Any) -> None:
    full_ledger(db_url, *keys)
    registry = [r[0] for r in rows(db_url) if r[3] in REGISTRY_TYPES]
    with Ledger.open(db_url) as ledger, ledger.engine.connect() as conn:
        sealed = {int(s): str(p) for s, p in conn.execute(
            select(registry_seals.c.size, registry_seals.c.positions))}
        info = ledger.info()
        for size, note, _ in ledger.log.checkpoints():
            head = verify_checkpoint(note, bytes.fromhex(info.operator_public_key), info.origin)
            positions = ledger.log.sealed_registry(head, bytes.fromhex(
                info.operator_public_key), info.origin)
            last = ledger.log.position_of_leaf(size - 1)
            assert positions == json.loads(sealed[size]) == [p for p in registry if p <= last]


@pytest.mark.parametrize("seal", ["sealed", "dropped", "forged"])
@pytest.mark.parametrize("how", ["delete", "retype"])
def test_a_hidden_revocation_does_not_let_the_leaked_key_be_signed(
        db_url: str, keys: Any, how: str, seal: str) -> None:
    """With the registry seal, without it (a checkpoint signed by an older Tally: every
    event of its tree is checked instead), and with one the insider rewrote to leave the
    revocation out (it does not verify: the same as none)."""
    operator, _, bob = keys  # bob's key was revoked ("key rotated") under checkpoint 2
    full_ledger(db_url, *keys)
    _change_seal(db_url, seal)
    _hide_revocation(db_url, how)
    leaked_claim(db_url, bob)
    leaked = rows(db_url)[-1][0]
    before = _stored(db_url)
    with Ledger.open(db_url) as ledger:
        with pytest.raises(VerificationError):
            ledger.checkpoint(operator)
        assert ledger.log.position_of_leaf(ledger.log.size() - 1) != leaked
        with pytest.raises(AuditError):
            verify(ledger.parts)
    assert _stored(db_url) == before


@pytest.mark.parametrize("seal", ["dropped", "forged"])
def test_verify_names_an_edited_registry_seal_and_accepts_none(
        db_url: str, keys: Any, seal: str) -> None:
    full_ledger(db_url, *keys)
    _change_seal(db_url, seal)
    with Ledger.open(db_url) as ledger:
        if seal == "dropped":  # a ledger whose checkpoints were signed before seals existed
            verify(ledger.parts)
        else:
            with pytest.raises(AuditError, match="registry seal of checkpoint"):
                verify(ledger.parts)
