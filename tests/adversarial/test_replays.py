"""The insider's replays and forgeries, on SQLite and PostgreSQL: a signed event copied to
where it does not belong, a revoked signer registered again, definitions with no valid
signature. Each is appended by SQL and re-logged; each fails `verify` at its position, and
no command serves it (the log refuses to take it, naming the position)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from insider import full_ledger, insert_row, relog, rows, state_of

from tally.ledger.application import Ledger
from tally.ledger.errors import AuditError, VerificationError
from tally.ledger.integrity.cosignature import Cosigner
from tally.ledger.integrity.signing import canonical, sign
from tally.ledger.model.bodies import witness_body
from tally.ledger.model.events import registry_uuid
from tally.ledger.model.statements import SourceRegistered
from tally.ledger.verify.audit import verify


@pytest.fixture
def ledger_db(db_url: str, keys: Any) -> str:
    full_ledger(db_url, *keys)
    return db_url


def _last(db: str, topic: str) -> tuple[int, str, int, str, bytes]:
    return [r for r in rows(db) if r[3] == topic][-1]


def _fails_at_the_replay(db: str, relogged: bool) -> None:
    position = rows(db)[-1][0]
    if relogged:
        relog(db)
    with Ledger.open(db) as ledger:
        with pytest.raises(AuditError) as refused:
            verify(ledger.parts)
        assert refused.value.position == position, refused.value.message
        if not relogged:  # what every command meets first: the log refuses to take it
            with pytest.raises(VerificationError, match=f"position {position}"):
                ledger.journal.catch_up_log()


@pytest.mark.parametrize("relogged", [False, True])
def test_a_correction_replayed_on_its_claim_fails(ledger_db: str, relogged: bool) -> None:
    _, ident, _version, topic, state = _last(ledger_db, "claim.corrected")
    last_version = max(r[2] for r in rows(ledger_db) if r[1] == ident)
    insert_row(ledger_db, ident, last_version + 1, topic, state)
    _fails_at_the_replay(ledger_db, relogged)


@pytest.mark.parametrize("relogged", [False, True])
def test_a_revoked_signer_registered_again_fails(ledger_db: str, relogged: bool) -> None:
    _, ident, _, _, state = _last(ledger_db, "signer.added")  # bob, revoked later
    insert_row(ledger_db, ident, 3, "signer.added", state)
    _fails_at_the_replay(ledger_db, relogged)


@pytest.mark.parametrize("role", ["operator"])
def test_a_registration_with_another_role_fails(ledger_db: str, role: str) -> None:
    _, _ident, _, _, state = _last(ledger_db, "signer.added")
    stored = json.loads(state)
    body = json.loads(stored["body"]) | {"role": role}
    insert_row(ledger_db, uuid.uuid4().hex, 1, "signer.added",
               state_of(body, stored["signature"], stored["recorded"]))
    _fails_at_the_replay(ledger_db, True)


@pytest.mark.parametrize("relogged", [False, True])
def test_a_source_with_a_borrowed_signature_fails(ledger_db: str, relogged: bool) -> None:
    """A definition an insider writes cannot carry a valid signature: the one borrowed from
    another source's registration does not verify over the new body."""
    _, _, _, _, state = _last(ledger_db, "source.registered")
    stored = json.loads(state)
    body = json.loads(stored["body"]) | {"id": "reuters", "name": "Reuters"}
    SourceRegistered.model_validate(body)  # a well-formed statement, only unsigned
    insert_row(ledger_db, registry_uuid("source", "reuters").hex, 1, "source.registered",
               state_of(body, stored["signature"], stored["recorded"]))
    _fails_at_the_replay(ledger_db, relogged)


def test_a_claim_signed_for_another_ledger_fails(db_url: str, new_db: Any, keys: Any) -> None:
    """The same keys, another ledger: alice's valid signature there is no signature here."""
    other = new_db("other.db")
    full_ledger(other, *keys, origin="test.example/elsewhere")
    full_ledger(db_url, *keys)
    _, ident, version, topic, state = next(r for r in rows(other) if r[3] == "claim.recorded")
    assert ident not in {r[1] for r in rows(db_url)}
    insert_row(db_url, ident, version, topic, state)
    _fails_at_the_replay(db_url, True)


@pytest.mark.parametrize("relogged", [False, True])
def test_a_claim_copied_after_the_stores_key_was_dropped_fails(
    tmp_path: Any, keys: Any, relogged: bool
) -> None:
    """The event store's primary key keeps (aggregate id, version) unique, but an insider
    can rebuild the table without it: the audit and the log's check count copies
    themselves."""
    db = str(tmp_path / "t.db")
    full_ledger(db, *keys)
    with Ledger.open(db) as ledger, ledger.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE keyless (originator_id TEXT, originator_version "
                             "INTEGER, topic TEXT, state BLOB)")
        conn.exec_driver_sql("INSERT INTO keyless (rowid, originator_id, originator_version, "
                             "topic, state) SELECT rowid, originator_id, originator_version, "
                             "topic, state FROM stored_events")
        conn.exec_driver_sql("DROP TABLE stored_events")
        conn.exec_driver_sql("ALTER TABLE keyless RENAME TO stored_events")
    _, ident, version, topic, state = _last(db, "claim.recorded")
    insert_row(db, ident, version, topic, state)
    _fails_at_the_replay(db, relogged)


def _witness_body(ledger_id: str, signer: str, name: str = "w1") -> dict[str, Any]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from tally.ledger.integrity.cosignature import Cosigner

    key = Ed25519PrivateKey.from_private_bytes(bytes([5]) * 32).public_key()
    return {"type": "witness.added", "ledger": ledger_id, "signer": signer, "name": name,
            "url": "https://w.example", "vkey": Cosigner("w.example", key.public_bytes_raw()).vkey}


@pytest.mark.parametrize("relogged", [False, True])
def test_a_witness_added_by_a_key_that_is_not_the_operators_fails(
        ledger_db: str, keys: Any, relogged: bool) -> None:
    """A recorder's key, validly signing a witness configuration: only the operator may."""
    from tally.ledger.integrity.signing import canonical, sign

    _, alice, _ = keys
    _, _, _, _, state = _last(ledger_db, "source.registered")
    stored = json.loads(state)
    body = _witness_body(json.loads(stored["body"])["ledger"], alice.key_id)
    text_body = canonical(body)
    insert_row(ledger_db, registry_uuid("witness", "w1").hex, 1, "witness.added",
               state_of(text_body, sign(alice.private_key, text_body), stored["recorded"]))
    _fails_at_the_replay(ledger_db, relogged)


def test_a_witness_added_twice_fails(ledger_db: str, keys: Any) -> None:
    from tally.ledger.integrity.signing import canonical, sign

    operator = keys[0]
    _, _, _, _, state = _last(ledger_db, "source.registered")
    stored = json.loads(state)
    text_body = canonical(_witness_body(json.loads(stored["body"])["ledger"], operator.key_id))
    row = state_of(text_body, sign(operator.private_key, text_body), stored["recorded"])
    insert_row(ledger_db, registry_uuid("witness", "w1").hex, 1, "witness.added", row)
    relog(ledger_db)
    with Ledger.open(ledger_db) as ledger:
        verify(ledger.parts)  # the operator's own, once: it holds
    insert_row(ledger_db, uuid.uuid4().hex, 1, "witness.added", row)
    _fails_at_the_replay(ledger_db, True)


@pytest.mark.parametrize("relogged", [False, True])
def test_a_fraction_signed_for_a_figure_that_counts_fails(
        db_url: str, keys: Any, relogged: bool) -> None:
    """A recorder validly signs 2.5 bodies for a figure defined with `integer`, and an
    insider appends it by SQL: the commands would refuse it, the audit must too."""
    from tally.ledger.integrity.signing import body_uuid, canonical, sign
    from tally.ledger.model.inputs import FigureRecord

    operator, alice, bob = keys
    full_ledger(db_url, operator, alice, bob)
    with Ledger.open(db_url) as ledger:
        ledger.define_figure(FigureRecord(id="izium/graves", unit="graves", integer=True),
                             operator)
    _, _, _, _, state = _last(db_url, "claim.recorded")
    stored = json.loads(state)
    body = {**json.loads(stored["body"]), "figure": "izium/graves", "value": "2.5",
            "signer": alice.key_id, "via": []}
    text_body = canonical(body)
    insert_row(db_url, body_uuid(text_body).hex, 1, "claim.recorded",
               state_of(text_body, sign(alice.private_key, text_body), stored["recorded"]))
    _fails_at_the_replay(db_url, relogged)


@pytest.mark.parametrize("relogged", [False, True])
def test_two_witnesses_sharing_a_key_fail(ledger_db: str, keys: Any, relogged: bool) -> None:
    """A second witness under another name with the first one's key, signed by the operator
    (as an import once let through): the audit and the log refuse it, as `tally witnesses
    add` does. (The first is configured after the last checkpoint here; one configured
    before it is the next test's.)"""
    operator = keys[0]
    vkey = Cosigner("w.example", bytes(range(32))).vkey
    with Ledger.open(ledger_db) as ledger:
        ledger.add_witness("w1", "http://127.0.0.1:9001", vkey, operator)
        lid = ledger.info().ledger_id
        recorded = json.loads(_last(ledger_db, "witness.added")[4])["recorded"]
    body = witness_body(lid, operator.key_id, "w2", "http://127.0.0.1:9002", vkey)
    insert_row(ledger_db, registry_uuid("witness", "w2").hex, 1, "witness.added",
               state_of(body, sign(operator.private_key, canonical(body)), recorded))
    _fails_at_the_replay(ledger_db, relogged)


def _witness_change(db: str, key: Any, body: dict[str, Any], version: int) -> None:
    """A witness.removed or witness.updated of witness `body["name"]`, signed with `key`,
    appended by SQL at `version` of its aggregate."""
    _, _, _, _, state = _last(db, "source.registered")
    stored = json.loads(state)
    body = {"ledger": json.loads(stored["body"])["ledger"], "signer": key.key_id, **body}
    text_body = canonical(body)
    insert_row(db, registry_uuid("witness", body["name"]).hex, version, body["type"],
               state_of(text_body, sign(key.private_key, text_body), stored["recorded"]))


@pytest.mark.parametrize("relogged", [False, True])
@pytest.mark.parametrize("change", [{"type": "witness.removed", "reason": "forged"},
                                    {"type": "witness.updated", "url": "http://evil.example"}])
def test_a_witness_change_by_a_key_that_is_not_the_operators_fails(
        ledger_db: str, keys: Any, relogged: bool, change: dict[str, str]) -> None:
    """A recorder's key, validly signing the removal or the move of witness `wa` (added,
    then moved, in the full ledger): only the operator may. The tail audit refuses it too."""
    _witness_change(ledger_db, keys[1], {"name": "wa", **change}, 3)
    _fails_at_the_replay(ledger_db, relogged)


@pytest.mark.parametrize("relogged", [False, True])
@pytest.mark.parametrize("change", [{"type": "witness.removed", "reason": "again"},
                                    {"type": "witness.updated", "url": "http://back.example"}])
def test_a_removed_witness_changed_again_fails_the_audit(
        ledger_db: str, keys: Any, change: dict[str, str], relogged: bool) -> None:
    """The operator's own signature on a change of witness `wb`, which it removed: the
    audit refuses it (nothing follows a removal), as the commands do, and so does the
    log's tail audit, which reads the checkpointed tree's witness events."""
    _witness_change(ledger_db, keys[0], {"name": "wb", **change}, 3)
    _fails_at_the_replay(ledger_db, relogged)
    with Ledger.open(ledger_db) as ledger, pytest.raises(AuditError) as refused:
        verify(ledger.parts)
    assert "'wb' was removed (shut down)" in refused.value.message


@pytest.mark.parametrize("relogged", [False, True])
@pytest.mark.parametrize("version", [4, 9])
def test_a_witness_change_stored_at_another_version_fails_the_audit(
        ledger_db: str, keys: Any, version: int, relogged: bool) -> None:
    """The operator's valid move of `wa` (at version 2 already), stored where its place in
    the aggregate's history is not: the audit refuses it, and so does the log."""
    _witness_change(ledger_db, keys[0], {"name": "wa", "type": "witness.updated",
                                         "url": "http://127.0.0.1:11/wa"}, version)
    _fails_at_the_replay(ledger_db, relogged)
    with Ledger.open(ledger_db) as ledger, pytest.raises(AuditError) as refused:
        verify(ledger.parts)
    assert "not where its signed body puts it (version 3" in refused.value.message


def test_a_witness_reusing_a_checkpointed_witness_key_is_refused_by_the_next_checkpoint(
        ledger_db: str, keys: Any) -> None:
    """Another process appends a witness under a new name with the key of `wa`, configured
    before the last checkpoint, signed by the operator: the next `tally checkpoint` refuses
    it at its position (the operator's seal lists no witnesses: their events are read from
    the checkpointed tree, each checked against its leaf), as the audit does."""
    operator, alice, _ = keys
    with Ledger.open(ledger_db) as ledger:
        lid = ledger.info().ledger_id
    recorded = json.loads(_last(ledger_db, "witness.added")[4])["recorded"]
    vkey = Cosigner("wa.example", alice.public_key).vkey
    body = witness_body(lid, operator.key_id, "wc", "http://127.0.0.1:9/wc", vkey)
    insert_row(ledger_db, registry_uuid("witness", "wc").hex, 1, "witness.added",
               state_of(body, sign(operator.private_key, canonical(body)), recorded))
    position = rows(ledger_db)[-1][0]
    with Ledger.open(ledger_db) as ledger:
        with pytest.raises(VerificationError, match="'wa' is already configured with this "
                                                    "key") as refused:
            ledger.checkpoint(operator)
        assert refused.value.position == position
    _fails_at_the_replay(ledger_db, True)
