"""The site as a reader cites it (issue 28, point 4): the "Cite this claim" block reads as
one sentence per fact (no `.”.` after a quote that ends its own sentence), sum mismatches
name the part figure of each claim as `tally discrepancies` does, figure pages name the
sources (the id beside the name), and `--base-url` makes the permalink absolute."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from published_site import write_site

from tally.ledger.application import Ledger
from tally.ledger.infra.keystore import KeyStore
from tally.ledger.model.inputs import FigureRecord, ReportRecord, SourceRecord
from tally.projections.publish.site.paths import claim_page, figure_page
from tally.projections.readmodel import ReadModel

NOW = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)
TOTAL, WOMEN, MEN = "izium/bodies", "izium/bodies/women", "izium/bodies/men"
QUOTE = "In total 447 bodies were exhumed."


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A total of 447 whose parts (215 women, 194 men) cannot reach it, quoted with a
    sentence of its own, published with a base URL."""
    tmp = tmp_path_factory.mktemp("cite")
    keys = KeyStore(tmp / "home")
    operator, alice = keys.create("operator"), keys.create("alice")
    ledger = Ledger.open(str(tmp / "site.db"), create=True, clock=lambda: NOW)
    model = ReadModel(ledger).attach()
    ledger.init("example.org/izium", operator)
    ledger.add_signer("alice", alice.public_key, operator)
    ledger.add_source(SourceRecord(id="izium-cma", name="Izium City Military Administration",
                                   kind="official"), operator)
    for part in (WOMEN, MEN):
        ledger.define_figure(FigureRecord(id=part, unit="bodies"), operator)
    ledger.define_figure(FigureRecord(id=TOTAL, unit="bodies", parts=[WOMEN, MEN]), operator)
    claims = {figure: ledger.report(ReportRecord(
        figure=figure, value=value, as_of="2022-09-23", source="izium-cma",
        quote=QUOTE if figure == TOTAL else None), alice).id
        for figure, value in ((TOTAL, "447"), (WOMEN, "215"), (MEN, "194"))}
    _, note = ledger.checkpoint(operator)
    write_site(model, note, tmp / "site", base_url="https://tally.example/izium/")
    ledger.close()
    return tmp / "site", claims


def _text(html: str) -> str:
    """The page's text, its tags dropped and its spaces folded."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _page(site: tuple[Path, dict[str, str]], path: str) -> str:
    return (site[0] / path).read_text(encoding="utf-8")


def test_a_quote_that_ends_its_sentence_is_not_followed_by_a_stray_period(site) -> None:  # type: ignore[no-untyped-def]
    html = _page(site, claim_page(site[1][TOTAL]))
    citation = html[html.index('id="citation"'):]
    assert "”." not in citation and ".”" in citation, citation[:400]


def test_the_permalink_is_absolute_under_the_base_url(site) -> None:  # type: ignore[no-untyped-def]
    html = _page(site, claim_page(site[1][TOTAL]))
    assert f'href="https://tally.example/izium/{claim_page(site[1][TOTAL])}"' in html


def test_a_sum_mismatch_names_the_part_figure_of_each_claim(site) -> None:  # type: ignore[no-untyped-def]
    listing = _page(site, "discrepancies.html")
    row = listing[listing.index("tag-sum_mismatch"):]
    row = _text(row[:row.index("</tr>")])
    for figure, value in ((WOMEN, "215"), (MEN, "194")):
        assert f"{figure} {value}" in row, row


def test_figure_pages_name_the_sources(site) -> None:  # type: ignore[no-untyped-def]
    text = _text(_page(site, figure_page(TOTAL)))
    assert "by source Izium City Military Administration (izium-cma)" in text, text
    claims = text[text.index("Every claim on this figure"):]
    assert "Izium City Military Administration (izium-cma)" in claims


def test_history_tables_keep_dates_and_ids_whole(site) -> None:  # type: ignore[no-untyped-def]
    """Point 13: the tables' dates and ids are cells that never break (`2022-`/`09?`)."""
    html = _page(site, figure_page(TOTAL))
    history = html[html.index('class="history"'):]
    assert '<td class="date">2022-09-23</td>' in history, history[:600]
    css = (site[0] / "static" / "style.css").read_text()
    rule = re.search(r"td\.date, th code\.id, td code\.id \{([^}]*)\}", css)
    assert rule is not None and "white-space: nowrap" in rule[1]
