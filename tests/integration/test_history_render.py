"""A readable `history`, rendered in the rich style at 80 columns (and 40, 60, 120): whole
headers and ids, quote, URL and published date, a chart with a scale that draws each kind of
value its own way and marks corrected and retracted claims, and `--as-of FROM..TO`."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from tally.cli import chart, render
from tally.ledger.application import Ledger
from tally.ledger.errors import InputError
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.model.inputs import CorrectionRecord, ReportRecord, RetractionRecord
from tally.projections.models import HistoryOut
from tally.projections.readmodel import ReadModel

BODIES = "izium/bodies"
VALUES = {"exact": ("447", "2022-09-23"), "at_least": (">=440", "2022-09-16"),
          "more_than": (">440", "2022-09-17"), "about": ("~450", "2022-09-18"),
          "range": ("440..451", "2022-09-19"), "at_most": ("<=300", "2022-09-20"),
          "corrected": ("449", "2022-10"), "retracted": ("452", "2022-11"),
          "later": ("460", "2023-02")}


def text(renderable: object, width: int) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None, legacy_windows=False)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


@pytest.fixture
def recorded(ledger: Ledger, alice: KeyPair) -> tuple[ReadModel, dict[str, str]]:
    views = ReadModel(ledger).attach()
    ids = {}
    for name, (value, as_of) in VALUES.items():
        ids[name] = ledger.report(ReportRecord(
            figure=BODIES, value=value, as_of=as_of, source="hromadske", via=["suspilne"],
            url=f"https://example.org/{name}", published="2023-03",
            quote=f"the {name} report said {value} bodies were found at the site"), alice).id
    ledger.correct(CorrectionRecord(claim=ids["corrected"], value="450", reason="recount"),
                   alice)
    ledger.retract(RetractionRecord(claim=ids["retracted"], reason="a duplicate"), alice)
    return views, ids


def first_line(out: str, claim_id: str) -> str:
    (line,) = [x for x in out.splitlines() if f"claim {claim_id[:8]} #" in x]
    return line


def headers_whole(out: str, *names: str) -> None:
    head = next(i for i, x in enumerate(out.splitlines()) if "entry" in x)
    line = out.splitlines()[head]
    for name in names:
        assert name in line, (name, line)


@pytest.mark.parametrize("width", [80, 120])
def test_the_chart_draws_each_kind_of_value_its_own_way(
        recorded: tuple[ReadModel, dict[str, str]], width: int) -> None:
    views, ids = recorded
    out = text(render.history(views.history(BODIES)), width)
    assert all(len(line) <= width for line in out.splitlines())
    headers_whole(out, "as of", "value", "entry")
    scale = re.search(r"chart: 0 to (\d+) bodies, one cell = (\d+);", out)
    assert scale is not None and 460 <= int(scale[1]) <= 2 * 460
    assert re.search(rf"\b0 +{scale[1]}\b", out)  # the scale heads the chart column
    ends = {"exact": "█ ", "at_least": chart.AT_LEAST, "more_than": chart.MORE_THAN,
            "about": chart.ABOUT, "range": chart.RANGE, "at_most": chart.AT_MOST,
            "corrected": chart.CORRECTED}
    for name, glyph in ends.items():
        assert glyph in first_line(out, ids[name]), name
    retracted = first_line(out, ids["retracted"])
    assert chart.RETRACTED in retracted and chart.SOLID not in retracted
    assert len({first_line(out, ids[n]).count(chart.SOLID) for n in ("exact", "at_most")}) == 2
    legend = " ".join(out.split())
    assert all(item in legend for item in chart.legend(chart.CORRECTED + chart.RETRACTED))
    for claim_id in ids.values():
        assert re.search(rf"\b{claim_id[:8]}\b", out)
    assert "https://example.org/exact" in out and "published 2023-03" in out
    assert "hromadske → suspilne" in out and "“the exact report said 447" in out
    words = " ".join(re.sub(r"[│ ]+", " ", out).split())
    assert "of claim" in words and "recount" in words and "duplicate" in words


def test_a_narrow_terminal_drops_the_chart_then_stacks_columns(
        recorded: tuple[ReadModel, dict[str, str]]) -> None:
    views, ids = recorded
    history = views.history(BODIES)
    sixty = text(render.history(history), 60)
    assert all(len(line) <= 60 for line in sixty.splitlines())
    headers_whole(sixty, "as of", "value", "entry")
    assert chart.SOLID not in sixty and "chart hidden below 72 columns" in sixty
    forty = text(render.history(history), 40)
    assert all(len(line) <= 40 for line in forty.splitlines())
    assert "as of" not in forty and "2022-09-23  447" in forty
    for claim_id in ids.values():
        assert re.search(rf"\b{claim_id[:8]}\b", sixty) and re.search(
            rf"\b{claim_id[:8]}\b", forty)


def test_full_shows_whole_ids_and_signers_at_80_columns(
        recorded: tuple[ReadModel, dict[str, str]], alice: KeyPair) -> None:
    views, ids = recorded
    out = text(render.history(views.history(BODIES), full=True), 80)
    assert all(len(line) <= 80 for line in out.splitlines())
    for claim_id in ids.values():
        assert re.search(rf"\b{claim_id}\b", out)  # 32 digits on one line
    assert f"signer {alice.key_id}" in out and "recorded " in out


def test_as_of_from_to_limits_the_rows(recorded: tuple[ReadModel, dict[str, str]]) -> None:
    views, ids = recorded
    def claims(out: HistoryOut) -> set[str]:
        return {e.claim_id for e in out.entries}
    autumn = views.history(BODIES, period="2022-10..2022-11")
    assert claims(autumn) == {ids["corrected"], ids["retracted"]}
    assert [e.kind for e in autumn.entries] == ["claim", "correction", "claim", "retraction"]
    assert autumn.period == "2022-10..2022-11"
    assert claims(views.history(BODIES, period="2023..")) == {ids["later"]}
    assert claims(views.history(BODIES, period="..2022-09-16")) == {ids["at_least"]}
    assert claims(views.history(BODIES, period="2022-09-20")) == {ids["at_most"]}
    for bad in ("2023..2022", "..", "2022-13"):
        with pytest.raises(InputError):
            views.history(BODIES, period=bad)
    empty = text(render.history(views.history(BODIES, period="2024..")), 80)
    assert "no entries with as_of in 2024.." in empty
