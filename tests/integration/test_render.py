"""What a person sees: show, history, discrepancies and provenance rendered at 80 columns."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from tally.cli import render
from tally.ledger.application import Ledger
from tally.ledger.infra.keystore import KeyStore
from tally.ledger.model.inputs import CorrectionRecord, FigureRecord, ReportRecord, SourceRecord
from tally.projections.readmodel import ReadModel

FIGURE = "izium/bodies"


def text(renderable: object) -> str:
    console = Console(file=io.StringIO(), width=80, color_system=None, legacy_windows=False)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


@pytest.fixture
def views(tmp_path: Path) -> ReadModel:
    keys = KeyStore(tmp_path / "home")
    operator, alice = keys.create("operator"), keys.create("alice")
    ledger = Ledger.open(str(tmp_path / "t.db"), create=True)
    ledger.init("test.example/render", operator)
    ledger.add_signer("alice", alice.public_key, operator)
    for source, name in (
        ("hromadske", "Hromadske"),
        ("gwara", "Gwara Media"),
        ("police", "National Police"),
    ):
        ledger.add_source(SourceRecord(id=source, name=name, kind="media"), operator)
    ledger.define_figure(FigureRecord(id=FIGURE, unit="bodies", cumulative=True), operator)
    views = ReadModel(ledger).attach()
    first = ledger.report(
        ReportRecord(
            figure=FIGURE,
            value="440",
            as_of="2022-09-23",
            source="police",
            via=["hromadske"],
            quote="440 bodies",
        ),
        alice,
    )
    ledger.report(
        ReportRecord(
            figure=FIGURE,
            value="451",
            as_of="2022-09",
            source="gwara",
            quote="451 bodies were found",
        ),
        alice,
    )
    ledger.correct(CorrectionRecord(claim=first.id, value="447", reason="final count"), alice)
    ledger.checkpoint(operator)
    views.first_claim = first.id  # type: ignore[attr-defined]
    return views


def test_show_puts_the_value_in_force_beside_its_competitors(views: ReadModel) -> None:
    out = text(render.show(views.show(FIGURE)))
    assert "value in force: 447 (corrected from 440 by alice: final count)" in out
    assert "as of 2022-09-23" in out
    assert "police → hromadske" in out and "DISPUTED" in out
    assert "451" in out and "gwara" in out and "“451 bodies" in out
    assert all(len(line) <= 80 for line in out.splitlines())


def test_history_marks_corrections_and_draws_bars(views: ReadModel) -> None:
    out = text(render.history(views.history(FIGURE)))
    rows = [line for line in out.splitlines() if "2022-09" in line]
    assert [("correction" in r, "█" in r) for r in rows] == [
        (False, True),
        (False, True),
        (True, True),
    ]
    assert "final count" in " ".join(out.split())


def test_discrepancies_group_per_figure_with_quotes(views: ReadModel) -> None:
    claims = {c.claim_id: c for c in views.claims(FIGURE)}
    found = views.discrepancies()
    out = text(render.discrepancies(found, claims))
    assert " ".join(out.split()).startswith(  # the summary, wrapped at 80 columns
        "1 discrepancy: 1 contradiction, 0 possible conflicts, 0 regressions, 0 sum mismatches ")
    assert FIGURE in out and f"contradiction {found.discrepancies[0].id}: " in out
    assert "contradiction" in out and "“451 bodies were found”" in out and "gwara" in out


def test_provenance_is_a_tree_from_source_to_checkpoint(views: ReadModel) -> None:
    out = text(render.provenance(views.provenance(views.first_claim)))  # type: ignore[attr-defined]
    order = [
        "source National Police",
        "via Hromadske",
        "signer alice",
        "signature valid",
        "checkpoint",
    ]
    positions = [out.index(label) for label in order]
    assert positions == sorted(positions)
    assert "reported as 440, corrected since" in out and "corrected to 447" in out


def test_the_summary_names_every_kind_the_rules_know() -> None:
    from tally.projections.rules.figure import KINDS

    assert tuple(render._KINDS) == KINDS
    assert render.discrepancy_summary({}) == (
        "0 discrepancies: 0 contradictions, 0 possible conflicts, 0 regressions, "
        "0 sum mismatches")
    page = render.discrepancy_summary({"contradiction": 3, "sum_mismatch": 1}, 2, 2)
    assert page == ("4 discrepancies: 3 contradictions, 0 possible conflicts, 0 regressions, "
                    "1 sum mismatch; showing 3-4")
    assert render.discrepancy_summary({"regression": 1}, 5, 0).endswith("; none past 5")
