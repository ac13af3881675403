"""The pure parts of the site's pages: safe links, shown text, chart scales and pixels."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tally.projections.publish.site.paths import root_of
from tally.projections.publish.site.render import pixels, shown, web_url
from tally.projections.publish.site.scales import TimeScale, ValueScale


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JavaScript://news.example/%0aalert(1)", "data:text/html,<b>",
    "vbscript:x", "//news.example/a", "/etc/passwd", "file:///etc/passwd", "https://",
    "https://news.example/\u202eexe", "https://news.example/a b", "ftp://news.example/",
    "http://[::1", "",
])
def test_only_http_urls_to_a_host_become_links(url: str) -> None:
    assert web_url(url) is None


@pytest.mark.parametrize("url", ["https://news.example/a?b=1&c=<2>", "http://x.example"])
def test_web_urls_are_kept_as_written(url: str) -> None:
    assert web_url(url) == url


def test_hidden_characters_are_named_and_the_rest_kept() -> None:
    assert shown("a\u202eb\u200bc\nd<e>") == "a[U+202E]b[U+200B]c[U+000A]d<e>"
    assert shown(None) == ""


def test_pixels_have_at_most_one_decimal_and_no_float_artefacts() -> None:
    assert [pixels(x) for x in (118.39999999, 5.0, -0.04, 0.1 + 0.2, 640.05)] == [
        "118.4", "5", "0", "0.3", "640"]


def test_links_climb_out_of_nested_figure_folders() -> None:
    assert [root_of(p) for p in ("index.html", "claims/ab.html", "figures/a/b/c.html")] == [
        "", "../", "../../../"]


@given(st.lists(st.decimals(min_value=0, max_value=10**12, places=3), min_size=1, max_size=8))
def test_the_value_scale_holds_every_number_at_nice_ticks(numbers: list[Decimal]) -> None:
    scale = ValueScale.over(numbers, bottom=264, top=16)
    assert scale.low <= min(numbers) and max(numbers) <= scale.high
    ticks = scale.ticks()
    assert 2 <= len(ticks) <= 12
    assert all(16 <= t.at <= 264 for t in ticks)
    assert all("e" not in t.label.lower() for t in ticks)
    assert scale.low >= 0  # counts never draw a negative axis


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)),
       st.integers(min_value=0, max_value=20000))
def test_the_time_scale_places_every_day_inside_the_plot(first: dt.date, days: int) -> None:
    last = first + dt.timedelta(days=days)
    scale = TimeScale.over(first, last, 64, 704)
    x1, x2 = scale.span(first, last)
    assert 64 <= x1 <= x2 <= 704
    ticks = scale.ticks()
    assert 1 <= len(ticks) <= 7
    assert all(64 <= t.at <= 704 for t in ticks)
    assert [t.at for t in ticks] == sorted(t.at for t in ticks)
