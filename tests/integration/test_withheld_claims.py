"""A claim withheld whole (`tally redact CLAIM --field body`), as a v1 claim can only be:
its events become stubs that keep their Merkle leaf hashes, so every signature, leaf,
checkpoint and proof of the ledger holds; the body is gone from the database, the views
and the exports; and a stub nobody ordered fails verify at its position."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import pytest

from tally.ledger.application import Ledger
from tally.ledger.errors import (
    AuditError,
    ClaimStateError,
    NotAuthorisedError,
    UnknownClaimError,
    VerificationError,
)
from tally.ledger.exporter import export_lines
from tally.ledger.importer import import_lines
from tally.ledger.integrity.envelope import encode_stub
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.model.inputs import CorrectionRecord, RedactionRecord, ReportRecord
from tally.ledger.orders import claim_leaves
from tally.ledger.verify.audit import verify
from tally.ledger.verify.citation import verify_proof_file
from tally.ledger.verify.inspector import Inspector
from tally.projections.readmodel import ReadModel

SECRET = "Olena Kovalenko saw 447 bodies"
REASON = "a recount Olena K. asked for"


def _v1_claim(ledger: Ledger, alice: KeyPair, signed_elsewhere: object) -> str:
    record = ReportRecord(figure="izium/bodies", value="447", as_of="2022-09-23",
                          source="hromadske", quote=SECRET)
    claim = ledger.report(signed_elsewhere(record, alice, ledger.info().ledger_id),  # type: ignore[operator]
                          None).id
    ledger.correct(CorrectionRecord(claim=claim, value="448", reason=REASON), alice)
    return claim


def _other(ledger: Ledger, alice: KeyPair) -> str:
    return ledger.report(ReportRecord(figure="izium/bodies", value="451", as_of="2022-10",
                                      source="hromadske"), alice).id


def _served(ledger: Ledger) -> str:
    views = ReadModel(ledger)
    views.catch_up()
    log = Inspector(ledger).log(limit=1000)
    return "\n".join([views.show("izium/bodies").model_dump_json(),
                      views.history("izium/bodies").model_dump_json(),
                      log.model_dump_json(), *export_lines(ledger)])


def _database_bytes(ledger: Ledger) -> bytes:
    path = ledger.store.sqlite_path
    assert path is not None
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_withholding_a_v1_claim_keeps_every_proof_and_takes_the_body_away(
        ledger: Ledger, operator: KeyPair, alice: KeyPair, signed_elsewhere: object) -> None:
    claim = _v1_claim(ledger, alice, signed_elsewhere)
    other = _other(ledger, alice)
    _, before = ledger.checkpoint(operator)
    proof = ledger.inclusion_proof(other).model_dump_json()
    assert SECRET in _served(ledger)
    order = RedactionRecord(claim=claim[:8], field="body", reason="a court order")
    with pytest.raises(NotAuthorisedError):
        ledger.redact(order, alice)
    assert ledger.redact(order, operator).status == "recorded"
    assert ledger.redact(order, operator).status == "already recorded"
    _, after = ledger.checkpoint(operator)
    key = operator.public_key
    audited = verify(ledger.parts, operator_key=key, kept=[before, after])
    assert audited.signatures == audited.events - 2  # the claim's two events are stubs
    assert verify_proof_file(proof, before, key).claim_id == other
    assert verify_proof_file(ledger.inclusion_proof(other).model_dump_json(), after,
                             key).claim_id == other
    served = _served(ledger)
    assert SECRET not in served and REASON not in served and claim not in _history(ledger)
    assert "[withheld on " in served and "by operator: a court order]" in served
    if ledger.store.is_sqlite:
        assert SECRET.encode() not in _database_bytes(ledger)
        assert REASON.encode() not in _database_bytes(ledger)
    with pytest.raises(ClaimStateError):
        ledger.correct(CorrectionRecord(claim=claim, value="449", reason="x"), alice)
    with pytest.raises(ClaimStateError):
        ledger.redact(RedactionRecord(claim=claim, field="quote", reason="x"), operator)
    with pytest.raises(VerificationError):
        ledger.inclusion_proof(claim)
    views = ReadModel(ledger)
    for ask in (views.provenance, views.cite):
        with pytest.raises(UnknownClaimError) as named:
            ask(claim[:8])
        assert "withheld whole [withheld on " in named.value.message


def _history(ledger: Ledger) -> str:
    views = ReadModel(ledger)
    views.catch_up()
    return views.history("izium/bodies").model_dump_json()


def test_a_stub_nobody_ordered_fails_verify_at_its_position(
        ledger: Ledger, operator: KeyPair, alice: KeyPair, signed_elsewhere: object) -> None:
    """The insider's version: the body replaced by a stub with the right leaf hash, and no
    order. The log still matches; the audit wants the order, and names the position."""
    claim = _v1_claim(ledger, alice, signed_elsewhere)
    position = ledger.events.max_position() - 1
    ledger.checkpoint(operator)
    stubs = {s.version: s.state() for s in claim_leaves(ledger.events, claim).values()
             if s.version == 1}
    with ledger.engine.begin() as conn:
        ledger.events.rows.replace_states(conn, UUID(hex=claim), stubs)
    with pytest.raises(AuditError, match="no signed order took it down") as refused:
        verify(ledger.parts)
    assert refused.value.position == position, refused.value.message


def test_a_stub_with_another_leaf_hash_fails_at_its_position(
        ledger: Ledger, operator: KeyPair, alice: KeyPair, signed_elsewhere: object) -> None:
    claim = _v1_claim(ledger, alice, signed_elsewhere)
    position = ledger.events.max_position() - 1
    ledger.redact(RedactionRecord(claim=claim, field="body", reason="x"), operator)
    with ledger.engine.begin() as conn:
        ledger.events.rows.replace_states(conn, UUID(hex=claim), {1: encode_stub(bytes(32))})
    with pytest.raises(AuditError) as refused:
        verify(ledger.parts)
    assert refused.value.position == position, refused.value.message


def test_an_export_of_a_withheld_claim_imports_into_a_copy_and_again(
        ledger: Ledger, operator: KeyPair, alice: KeyPair, signed_elsewhere: object,
        make_ledger: Callable[..., Ledger]) -> None:
    claim = _v1_claim(ledger, alice, signed_elsewhere)
    ledger.redact(RedactionRecord(claim=claim, field="body", reason="a court order"),
                  operator)
    lines = [line.encode() for line in export_lines(ledger)]
    assert not any(SECRET.encode() in line for line in lines)
    again = import_lines(ledger, lines, None)
    assert again.added == 0
    copy = make_ledger("copy.db", operator, [alice])
    summary = import_lines(copy, lines, None)
    assert summary.not_held == 1  # the order: the copy has no claim to withhold
    verify(copy.parts)


def test_checkpoint_refuses_a_stub_nobody_ordered_since_the_last_one(
        ledger: Ledger, operator: KeyPair, alice: KeyPair, signed_elsewhere: object) -> None:
    """The check before signing (`recheck_from`) sees the stub as the audit does."""
    ledger.checkpoint(operator)
    claim = _v1_claim(ledger, alice, signed_elsewhere)
    position = ledger.events.max_position() - 1
    stubs = {s.version: s.state() for s in claim_leaves(ledger.events, claim).values()}
    with ledger.engine.begin() as conn:
        ledger.events.rows.replace_states(conn, UUID(hex=claim), stubs)
    with pytest.raises(VerificationError) as refused:
        ledger.checkpoint(operator)
    assert refused.value.position == position
    ledger.redact(RedactionRecord(claim=claim, field="body", reason="a court order"),
                  operator)
    ledger.checkpoint(operator)  # with the order, the same stubs hold
    verify(ledger.parts)


def test_stubs_swapped_between_a_claims_events_fail_at_the_first(
        ledger: Ledger, operator: KeyPair, alice: KeyPair, signed_elsewhere: object) -> None:
    """Both hashes are named by the order, so only the log tells where each belongs: the
    first swapped stub is reported, not the checkpoint after it."""
    claim = _v1_claim(ledger, alice, signed_elsewhere)
    position = ledger.events.max_position() - 1
    ledger.redact(RedactionRecord(claim=claim, field="body", reason="a court order"),
                  operator)
    ledger.checkpoint(operator)
    stubs = {s.version: s.state() for s in claim_leaves(ledger.events, claim).values()}
    with ledger.engine.begin() as conn:
        ledger.events.rows.replace_states(conn, UUID(hex=claim), {1: stubs[2], 2: stubs[1]})
    with pytest.raises(AuditError, match="changed after it was appended") as refused:
        verify(ledger.parts)
    assert refused.value.position == position
