"""The Izium case built from the seed articles: what the ledger must show about it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tally.ledger.application import Ledger
from tally.ledger.importer import import_lines
from tally.ledger.infra.keystore import KeyStore
from tally.projections.readmodel import ReadModel

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "izium" / "izium.jsonl"
SEEDS = ROOT.parent / "shared" / "seeds"
SITE = "izium/burial-site"


@pytest.fixture(scope="module")
def izium(tmp_path_factory: pytest.TempPathFactory) -> ReadModel:
    tmp = tmp_path_factory.mktemp("izium")
    keys = KeyStore(tmp / "home")
    operator, recorder = keys.create("operator"), keys.create("recorder")
    ledger = Ledger.open(str(tmp / "izium.db"), create=True)
    ledger.init("tally.example/izium", operator)
    ledger.add_signer("recorder", recorder.public_key, operator)
    views = ReadModel(ledger).attach()
    with EXAMPLE.open("rb") as lines:
        summary = import_lines(ledger, lines, recorder)
    assert summary.skipped == 0 and summary.by_type == {"source": 15, "figure": 24, "report": 41}
    return views


def _flags(views: ReadModel) -> set[tuple[str, str, tuple[str, ...]]]:
    out = set()
    for d in views.discrepancies().discrepancies:
        values = tuple(sorted(c.value.written for f in {d.figure} | _parts(views, d)
                              for c in views.claims(f) if c.claim_id in d.claims))
        out.add((d.kind, d.figure.removeprefix(SITE + "/"), values))
    return out


def _parts(views: ReadModel, d: object) -> set[str]:
    parts = {f.id: f.parts for f in views.figures().figures}
    return set(parts[d.figure]) if d.kind == "sum_mismatch" else set()  # type: ignore[attr-defined]


def test_the_contradictions_the_articles_really_contain(izium: ReadModel) -> None:
    assert _flags(izium) == {
        ("contradiction", "bodies-exhumed", ("447", "451")),
        ("contradiction", "bodies-exhumed-children", ("5", "7")),
        ("contradiction", "bodies-with-torture-signs", ("17", ">=30")),
        # Gwara's 451 cannot be met by the breakdown, even with its own 7 children.
        ("sum_mismatch", "bodies-exhumed", ("11", "194", "215", "22", "451", "7")),
    }


def test_disagreements_that_are_not_contradictions(izium: ReadModel) -> None:
    graves = izium.show(f"{SITE}/graves")
    assert {c.value.written for c in [graves.claim, *graves.competing]} == {">=440", "445", "~450"}
    assert not graves.disputed and not graves.discrepancies
    # ">440" and ">=200" found before the exhumation fit both 447 and 451.
    involved = {c for d in izium.discrepancies(f"{SITE}/bodies-exhumed").discrepancies
                for c in d.claims}
    lower_bounds = [c for c in izium.claims(f"{SITE}/bodies-exhumed")
                    if c.value.written in (">440", ">=200")]
    assert len(lower_bounds) == 2 and not {c.claim_id for c in lower_bounds} & involved


def test_the_breakdown_sums_to_the_official_total(izium: ReadModel) -> None:
    official = [c for f in ("women", "men", "sex-undetermined", "children", "military")
                for c in izium.claims(f"{SITE}/bodies-exhumed-{f}") if c.source == "war-ukraine-ua"]
    assert sum(int(c.value.written) for c in official) == 447
    total = next(c for c in izium.claims(f"{SITE}/bodies-exhumed") if c.value.written == "447")
    flagged = [d for d in izium.discrepancies().discrepancies if total.claim_id in d.claims]
    assert [d.kind for d in flagged] == ["contradiction"]  # with 451, not with its parts


def test_value_in_force_is_the_final_exhumation_count(izium: ReadModel) -> None:
    shown = izium.show(f"{SITE}/bodies-exhumed")
    assert shown.value is not None and shown.value.written == "447" and shown.disputed
    assert shown.as_of is not None and shown.as_of.text == "2022-09-23"


def test_unidentified_and_reburied_over_time(izium: ReadModel) -> None:
    unidentified = izium.history(f"{SITE}/people-unidentified").entries
    assert [(e.as_of.text, e.value.written) for e in unidentified] == [("2025-01", "22")]
    reburied = izium.history(f"{SITE}/bodies-identified-reburied").entries
    assert [(e.as_of.text, e.value.written) for e in reburied] == [("2025-11-24", "449")]
    reburial = izium.history(f"{SITE}/reburial").entries
    assert [(e.as_of.text, e.value.written) for e in reburial] == [
        ("2023-02", "started"), ("2025-11-24", "completed")]
    assert izium.show(f"{SITE}/identification").value.written == "completed"  # type: ignore[union-attr]
    in_jan_2025 = izium.show(f"{SITE}/reburial", as_of="2025-01")
    assert in_jan_2025.value is not None and in_jan_2025.value.written == "started"


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed articles are in ../shared/seeds")
def test_every_quote_is_a_clause_of_a_seed_article() -> None:
    seeds = [_normalise(p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt"))]
    reports = [json.loads(line) for line in EXAMPLE.read_text().splitlines()
               if '"type":"report"' in line]
    assert len(reports) == 41
    for report in reports:
        quote = _normalise(report["quote"])
        assert 0 < len(quote.split()) <= 25, quote
        assert any(quote in seed for seed in seeds), f"not in any seed: {quote!r}"
