"""An honest `show`: what became of the value in force, only the discrepancies that involve
it, competitors that agree between the table and the JSON, and its URL and published date;
rendered at 80 columns in the rich style."""

from __future__ import annotations

import io
import re

from rich.console import Console

from tally.cli import render
from tally.ledger.application import Ledger
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.model.inputs import CorrectionRecord, ReportRecord, RetractionRecord
from tally.projections.readmodel import ReadModel

BODIES = "izium/bodies"  # cumulative, defined by the conftest's ledger


def text(renderable: object, width: int = 80) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None, legacy_windows=False)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def words(shown: str) -> str:
    """The text without the tree's and the table's rules, one space between words."""
    return " ".join(re.sub(r"[│├└─┃┏┓┗┛━]+", " ", shown).split())


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


def test_provenance_warns_when_a_claim_was_retracted_or_corrected(
        ledger: Ledger, alice: KeyPair) -> None:
    views = ReadModel(ledger).attach()
    kept, fixed, gone = (report(ledger, alice, v, "2022-09-23", source=s) for v, s in
                         (("447", "hromadske"), ("440", "suspilne"), ("451", "izium-cma")))
    ledger.correct(CorrectionRecord(claim=fixed, value="446", reason="final count"), alice)
    ledger.retract(RetractionRecord(claim=gone, reason="a duplicate"), alice)
    assert views.provenance(kept).status == "active"
    assert "WARNING" not in text(render.provenance(views.provenance(kept)))
    corrected = views.provenance(fixed)
    assert corrected.status == "corrected"
    assert "WARNING: this claim was corrected at position" in text(render.provenance(corrected))
    assert "it now stands at 446" in words(text(render.provenance(corrected)))
    retracted = views.provenance(gone)
    assert retracted.status == "retracted"
    shown = words(text(render.provenance(retracted)))
    assert "WARNING: this claim was retracted" in shown and "a duplicate" in shown


def test_a_case_prefix_lists_and_summarises_its_figures(ledger: Ledger, alice: KeyPair) -> None:
    views = ReadModel(ledger).attach()
    report(ledger, alice, "447", "2022-09-23")
    report(ledger, alice, "451", "2022-09-23", source="suspilne")
    assert [f.id for f in views.figures("izium").figures] == ["izium/bodies", "izium/exhumation"]
    assert [f.id for f in views.figures("izium/bod").figures] == []  # a path, not a string
    assert [f.id for f in views.figures("izium/bodies/").figures] == ["izium/bodies"]
    case = views.show_or_case("izium")
    assert hasattr(case, "prefix")
    rows = {f.figure: f for f in case.figures}  # type: ignore[union-attr]
    assert rows["izium/bodies"].disputed and rows["izium/bodies"].active_claims == 2
    assert rows["izium/exhumation"].value is None and not rows["izium/exhumation"].disputed
    shown = text(render.case(case))
    assert "bodies" in shown and "DISPUTED" in shown and "exhumation" in shown
    assert all(len(line) <= 80 for line in shown.splitlines())
    assert not hasattr(views.show_or_case("izium/bodies"), "prefix")
