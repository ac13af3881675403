"""The batched provenance query (`ReadModel.provenances`, what a publish reads) gives, for
every claim, exactly what `ReadModel.provenance` gives one claim at a time: on the Izium
ledger, and on a generated one with via chains, corrections, retractions, a revoked
signer, a signature broken in the store, and claims before, between and after checkpoints."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from budgets import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from tally.ledger.application import Ledger
from tally.ledger.errors import LedgerError, UnknownClaimError
from tally.ledger.infra.keystore import KeyPair, KeyStore
from tally.ledger.model.inputs import CorrectionRecord, ReportRecord, RetractionRecord
from tally.projections.page_renderer import all_claims
from tally.projections.readmodel import ReadModel

ROOT = Path(__file__).resolve().parents[2]
IZIUM = ROOT / "examples" / "izium" / "izium.jsonl"
SOURCES = ("hromadske", "suspilne", "izium-cma")


def _same_as_one_by_one(model: ReadModel) -> int:
    claims = all_claims(model)
    assert claims
    batched = model.provenances(claims)
    assert [p.claim_id for p in batched] == claims
    for claim, found in zip(claims, batched, strict=True):
        assert found == model.provenance(claim), claim
    # any order and any chunk of ids gives the same answers, repeated ids included
    shuffled = random.Random(len(claims)).sample(claims, len(claims))
    picked = shuffled[: len(claims) // 2] + shuffled[:1]
    assert model.provenances(picked) == [model.provenance(c) for c in picked]
    return len(claims)


def test_izium_batched_equals_one_by_one(tmp_path: Path) -> None:
    from clirunner import Tally

    tally = Tally(tmp_path)
    tally("init", "--name", "tally.example/izium")
    tally("keys", "new", "recorder")
    tally("signers", "add", "recorder", "--key", "recorder")
    tally("import", str(IZIUM), "--key", "recorder")
    tally("checkpoint")
    tally("report", "izium/burial-site/graves", "452", "--as-of", "2023-01", "--source",
          "suspilne", "--key", "recorder")  # past the checkpoint: covered by none
    with Ledger.open(str(tmp_path / "t.db")) as ledger:
        model = ReadModel(ledger)
        model.catch_up()
        assert _same_as_one_by_one(model) == 42


def _generated(ledger: Ledger, operator: KeyPair, signers: list[KeyPair], seed: int) -> None:
    rng = random.Random(seed)
    claims: list[tuple[str, KeyPair]] = []
    for n in range(rng.randrange(20, 60)):
        signer = rng.choice(signers)
        roll = rng.random()
        try:
            if roll < 0.65 or not claims:
                via = rng.sample(SOURCES, rng.randrange(0, 3))
                source = rng.choice([s for s in SOURCES if s not in via])
                done = ledger.report(ReportRecord(
                    figure="izium/bodies" if rng.random() < 0.8 else "izium/exhumation",
                    value=str(400 + n) if rng.random() < 0.8 else "completed",
                    as_of=f"2022-09-{rng.randrange(1, 29):02d}", source=source, via=via,
                    url=rng.choice([None, f"https://news.example/{n}"]),
                    quote=rng.choice([None, f"about {400 + n} bodies"])), signer)
                claims.append((done.id, signer))
            elif roll < 0.8:
                claim, by = rng.choice(claims)
                ledger.correct(CorrectionRecord(claim=claim, value=str(500 + n),
                                                reason="recount"), by)
            elif roll < 0.9:
                claim, by = rng.choice(claims)
                ledger.retract(RetractionRecord(claim=claim, reason="withdrawn"), by)
            elif roll < 0.97:
                ledger.checkpoint(operator)
            elif len(signers) > 1:
                gone = signers.pop()
                ledger.revoke_signer(gone.key_id, operator, "left")
        except LedgerError:
            continue  # refused (a figure's kind, a retracted claim...): not recorded


@pytest.fixture
def keys(tmp_path: Path) -> tuple[KeyPair, list[KeyPair]]:
    home = KeyStore(tmp_path / "home")
    return home.create("operator"), [home.create(n) for n in ("alice", "bob", "carol")]


@settings(max_examples=examples(4), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32))
def test_generated_batched_equals_one_by_one(
        make_ledger: object, keys: tuple[KeyPair, list[KeyPair]], seed: int) -> None:
    operator, signers = keys
    ledger = make_ledger(f"g{seed}", operator, list(signers))  # type: ignore[operator]
    model = ReadModel(ledger).attach()
    model.catch_up()
    _generated(ledger, operator, list(signers), seed)
    _same_as_one_by_one(model)


def test_a_broken_signature_and_an_unknown_id(
        make_ledger: object, keys: tuple[KeyPair, list[KeyPair]]) -> None:
    """A body changed in the store shows as invalid in both answers; an id that is no
    claim's is refused by name, never skipped."""
    operator, signers = keys
    ledger = make_ledger("broken", operator, list(signers))  # type: ignore[operator]
    model = ReadModel(ledger).attach()
    model.catch_up()
    _generated(ledger, operator, list(signers), 7)
    claim = all_claims(model)[0]
    with ledger.engine.begin() as conn:  # an insider rewrites one claim's signed body
        table = ledger.store.events_table
        where = "rowid" if ledger.store.is_sqlite else "notification_id"
        row = conn.execute(text(f"SELECT {where}, state FROM {table} WHERE originator_id "
                                f"= :c ORDER BY {where}"), {"c": claim}).all()[0]
        state = bytes(row[1]).replace(b"izium/", b"izium_", 1)
        assert state != bytes(row[1])
        conn.execute(text(f"UPDATE {table} SET state = :s WHERE {where} = :n"),
                     {"s": state, "n": row[0]})
    assert _same_as_one_by_one(model)
    statuses = [p.signature_status for p in model.provenances(all_claims(model))]
    assert statuses.count("invalid") == 1
    with pytest.raises(UnknownClaimError, match="f" * 32):
        model.provenances([claim, "f" * 32])
