"""The batched queries a publish reads give exactly what the one-by-one queries give: for
every claim, `ReadModel.provenances` what `ReadModel.provenance` gives; for every figure,
`ReadModel.figure_answers` what `show`, `history` and `claims` give, and `ReadModel.index`
what `show` says of its value in force (settled, and while a catch-up has not settled the
figures yet). On the Izium ledger (totals and their parts), and on a generated one with
via chains, corrections, retractions, a revoked signer, a signature broken in the store,
and claims before, between and after checkpoints."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from budgets import examples
from clirunner import Tally
from factories import izium_ledger, report_graves
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from tally.ledger.application import Ledger
from tally.ledger.errors import LedgerError, UnknownClaimError, UnknownFigureError
from tally.ledger.infra.keystore import KeyStore
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.model.inputs import (
    CorrectionRecord,
    FigureRecord,
    ReportRecord,
    RetractionRecord,
)
from tally.projections.publish.page_renderer import all_claims
from tally.projections.readmodel import ReadModel

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


def _figures_same_as_one_by_one(model: ReadModel) -> int:
    listed = {f.id: f for f in model.figures().figures}
    names = list(listed)
    answers = model.figure_answers(names)
    assert [a.figure.id for a in answers] == names
    for found in answers:
        figure = found.figure.id
        assert found.figure == listed[figure]
        assert found.totals == sorted(f for f, d in listed.items() if figure in d.parts)
        assert found.show == model.show(figure), figure
        assert found.history == model.history(figure), figure
        assert found.claims == model.claims(figure), figure
    # any order and chunk of ids, repeated ids included
    picked = random.Random(len(names)).sample(names, len(names))[: len(names) // 2 + 1]
    assert model.figure_answers([*picked, picked[0]]) == [
        next(a for a in answers if a.figure.id == f) for f in [*picked, picked[0]]]
    rows = model.index()
    assert [r.figure for r in rows] == list(listed.values())
    for row in rows:
        show = model.show(row.figure.id)
        assert (row.value, row.as_of, row.disputed, row.corrected) == (
            show.value, None if show.as_of is None else show.as_of.text, show.disputed,
            show.claim is not None and bool(show.claim.corrections)), row.figure.id
    with pytest.raises(UnknownFigureError, match="izium/bodys"):
        model.figure_answers([names[0], "izium/bodys"])
    return sum(1 for r in rows if r.value is not None)


def test_izium_batched_equals_one_by_one(tmp_path: Path) -> None:
    tally = Tally(izium_ledger(tmp_path))
    tally("checkpoint")
    report_graves(tally, "452")  # past the checkpoint: covered by none
    with Ledger.open(str(tmp_path / "t.db")) as ledger:
        model = ReadModel(ledger)
        model.catch_up()
        assert _same_as_one_by_one(model) == 42
        assert _figures_same_as_one_by_one(model) > 10


# a total and its parts, beside the default figures (izium/bodies, izium/exhumation)
TOTAL = FigureRecord(id="izium/dead", unit="bodies", cumulative=True,
                     parts=["izium/dead/civilians", "izium/dead/soldiers"])
PARTS = [FigureRecord(id=p, unit="bodies") for p in TOTAL.parts]
QUANTITIES = ("izium/bodies", TOTAL.id, *TOTAL.parts)


def _generated(ledger: Ledger, operator: KeyPair, signers: list[KeyPair], seed: int) -> None:
    rng = random.Random(seed)
    for figure in [*PARTS, TOTAL]:
        ledger.define_figure(figure, operator)
    claims: list[tuple[str, KeyPair]] = []
    for n in range(rng.randrange(20, 60)):
        signer = rng.choice(signers)
        roll = rng.random()
        try:
            if roll < 0.65 or not claims:
                via = rng.sample(SOURCES, rng.randrange(0, 3))
                source = rng.choice([s for s in SOURCES if s not in via])
                done = ledger.report(ReportRecord(
                    figure=rng.choice(QUANTITIES) if rng.random() < 0.8
                    else "izium/exhumation",
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
    _figures_same_as_one_by_one(model)


def test_figures_a_catch_up_has_not_settled(
        make_ledger: object, keys: tuple[KeyPair, list[KeyPair]]) -> None:
    """Figures projected but not settled yet (a crash between the two steps) are answered
    as `show` answers them, recomputed from their history; settled, from their rows."""
    operator, signers = keys
    ledger = make_ledger("unsettled", operator, list(signers))  # type: ignore[operator]
    model = ReadModel(ledger)  # not attached: caught up below, by hand
    _generated(ledger, operator, list(signers), 11)
    model.catch_up(settle=False)
    assert _figures_same_as_one_by_one(model) > 0
    model.settle()
    assert _figures_same_as_one_by_one(model) > 0


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
    _figures_same_as_one_by_one(model)
    statuses = [p.signature_status for p in model.provenances(all_claims(model))]
    assert statuses.count("invalid") == 1
    with pytest.raises(UnknownClaimError, match="f" * 32):
        model.provenances([claim, "f" * 32])
