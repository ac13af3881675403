"""Charts fit the data, not the screen (issue 28, point 16): the site's time axis spans the
claims with a margin (not a month past three days of claims), a bound's arrow is clipped
so that it does not run through the other values, and the CLI chart's scale is chosen
from the data alone, the same at every terminal width."""

from __future__ import annotations

import io
import re

from rich.console import Console

from tally.cli import render
from tally.ledger.application import Ledger
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.model.inputs import ReportRecord
from tally.projections.publish.site import chart
from tally.projections.readmodel import ReadModel

BODIES = "izium/bodies"
REPORTS = (("447", "2022-09-23"), ("<=600", "2022-09-24"), ("451", "2022-09-25"))


def _recorded(ledger: Ledger, alice: KeyPair) -> ReadModel:
    views = ReadModel(ledger).attach()
    for value, as_of in REPORTS:
        ledger.report(ReportRecord(figure=BODIES, value=value, as_of=as_of,
                                   source="hromadske"), alice)
    return views


def _site_chart(views: ReadModel) -> chart.Chart:
    (found,) = views.figure_answers([BODIES])
    in_force = None if found.show.claim is None else found.show.claim.claim_id
    drawn = chart.layout(found.claims, figure=BODIES, unit="bodies", status=False,
                         states=[], in_force=in_force)
    assert drawn is not None
    return drawn


def test_the_time_axis_fits_claims_made_over_three_days(ledger: Ledger,
                                                        alice: KeyPair) -> None:
    drawn = _site_chart(_recorded(ledger, alice))
    plotted = drawn.right - drawn.left
    spans = [m.x2 - m.x1 for m in drawn.marks]
    # three one-day claims take most of the axis: a margin, not a month, around them
    assert sum(spans) >= plotted / 2, (spans, plotted)


def test_a_bound_arrow_stops_short_of_the_other_values(ledger: Ledger,
                                                       alice: KeyPair) -> None:
    drawn = _site_chart(_recorded(ledger, alice))
    (bound,) = [m for m in drawn.marks if m.shape == "at_most"]
    others = [m.y for m in drawn.marks if m.shape == "exact"]
    low, high = sorted((bound.y, bound.y_end))
    assert bound.y_end != bound.y
    assert all(not low <= y <= high for y in others), (bound, others)
    assert drawn.top <= low and high <= drawn.bottom


def _cli(views: ReadModel, width: int) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(render.history(views.history(BODIES)))
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_the_cli_chart_scale_does_not_change_with_the_width(ledger: Ledger,
                                                            alice: KeyPair) -> None:
    views = _recorded(ledger, alice)
    scales = {re.search(r"chart: (0 to \d+ bodies, one cell = \d+)", _cli(views, width))[1]
              for width in (80, 100, 160)}  # type: ignore[index]
    assert len(scales) == 1, scales
