"""An honest `show`: what became of the value in force, only the discrepancies that involve
it, competitors that agree between the table and the JSON, and its URL and published date;
rendered at 80 columns in the rich style."""

from __future__ import annotations

import io
import re

from rich.console import Console

from tally.cli import render
from tally.ledger.application import Ledger
from tally.ledger.infra.keystore import KeyPair
from tally.ledger.model.inputs import CorrectionRecord, ReportRecord, RetractionRecord
from tally.projections.readmodel import ReadModel

BODIES = "izium/bodies"  # cumulative, defined by the conftest's ledger


def text(renderable: object, width: int = 80) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None, legacy_windows=False)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def report(ledger: Ledger, key: KeyPair, value: str, as_of: str, source: str = "hromadske",
           **kw: object) -> str:
    return ledger.report(ReportRecord(figure=BODIES, value=value, as_of=as_of, source=source,
                                      **kw), key).id  # type: ignore[arg-type]


def test_a_corrected_value_says_what_it_was_who_corrected_it_and_why(
        ledger: Ledger, alice: KeyPair) -> None:
    views = ReadModel(ledger).attach()
    claim = report(ledger, alice, "440..451", "2022-09-23", url="https://example.org/a",
                   published="2022-09-24", quote="between 440 and 451 bodies")
    ledger.correct(CorrectionRecord(claim=claim, value="446", reason="police final count"),
                   alice)
    out = views.show(BODIES)
    assert out.claim is not None and out.claim.correction is not None
    assert (out.claim.correction.value and out.claim.correction.value.written) == "446"
    assert out.claim.correction.signer_name == "alice"
    shown = text(render.show(out))
    assert "446 (corrected from 440..451 by alice: police final count)" in shown
    assert "published 2022-09-24" in shown and "https://example.org/a" in shown
    assert all(len(line) <= 80 for line in shown.splitlines())


def test_disputed_counts_only_the_contradictions_of_the_claim_in_force(
        ledger: Ledger, alice: KeyPair) -> None:
    views = ReadModel(ledger).attach()
    report(ledger, alice, "440", "2022-09-23")
    report(ledger, alice, "451", "2022-09-23", source="suspilne")
    latest = report(ledger, alice, "460", "2025-11-24")
    out = views.show(BODIES)
    assert out.claim is not None and out.claim.claim_id == latest
    assert len(out.discrepancies) == 1 and out.claim_discrepancies == []
    assert not out.disputed
    shown = text(render.show(out))
    assert "DISPUTED" not in shown and "FLAGGED" not in shown
    assert "1 other discrepancy on this figure" in shown


def test_a_regression_of_the_value_in_force_is_flagged_on_it(
        ledger: Ledger, alice: KeyPair) -> None:
    views = ReadModel(ledger).attach()
    report(ledger, alice, "447", "2022-09-23")
    report(ledger, alice, "300", "2023-01")
    out = views.show(BODIES)
    assert out.value is not None and out.value.written == "300"
    (flag,) = out.discrepancies
    assert flag.kind == "regression" and out.claim_discrepancies == [flag.id]
    shown = text(render.show(out))
    assert f"FLAGGED regression {flag.id}" in shown and "DISPUTED" not in shown


def test_the_competing_table_and_the_json_list_the_same_claims(
        ledger: Ledger, alice: KeyPair) -> None:
    views = ReadModel(ledger).attach()
    report(ledger, alice, "447", "2022-09-23")
    report(ledger, alice, "451", "2022-09?", source="suspilne")
    gone = report(ledger, alice, "452", "2022-09", source="izium-cma")
    ledger.retract(RetractionRecord(claim=gone, reason="a duplicate"), alice)
    out = views.show(BODIES)
    assert out.claim is not None and out.claim.value.written == "447"
    shown = text(render.show(out))
    table = shown[shown.index("competing claims"):]
    listed = set(re.findall(r"\b[0-9a-f]{8}\b", table))
    assert listed == {c.claim_id[:8] for c in out.competing}
    assert out.claim.claim_id[:8] not in listed and gone[:8] not in listed
    assert "DISPUTED: 1 contradiction involves it" in shown


def test_an_uncertain_month_answers_from_its_first_day_as_written(
        ledger: Ledger, alice: KeyPair) -> None:
    views = ReadModel(ledger).attach()
    report(ledger, alice, "451", "2022-09?")
    assert views.show(BODIES, as_of="2022-08-02").claim is None
    found = views.show(BODIES, as_of="2022-09-01").value
    assert found is not None and found.written == "451"
    assert "no active claim as of 2022-08-02" in text(render.show(
        views.show(BODIES, as_of="2022-08-02")))
