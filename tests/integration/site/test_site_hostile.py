"""Recorded text on the published pages is shown, never acted on.

An attacker who can record a claim (a recorder's key) picks the source name, the quote,
the URL and a correction's reason. On a page they must stay text: no element, attribute
or link of theirs, no hidden character that reorders what a reader sees.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from published_site import EVIL_URL, HOSTILE_NAME, Published, published_site

from tally.projections.publish.site import html_pages
from tally.projections.publish.site.paths import claim_page, figure_page


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    yield from published_site(tmp_path_factory)


class Elements(HTMLParser):
    """The elements and attributes a browser would build from a page, and its text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.open: list[str] = []
        self.quote: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            del self.open[len(self.open) - 1 - self.open[::-1].index(tag):]

    def handle_data(self, data: str) -> None:
        if "blockquote" in self.open:
            self.quote.append(data)


def every_page(site: Published) -> dict[str, str]:
    return {path: data.decode("utf-8")
            for path, data in html_pages(site.model, site.note, None, None)
            if path.endswith(".html")}


def test_no_recorded_text_becomes_an_element_an_attribute_or_a_script(
        published: Published) -> None:
    for path, html in every_page(published).items():
        parsed = Elements(html)
        tags = {tag for tag, _ in parsed.tags}
        assert not tags & {"img", "iframe", "object", "embed", "form", "b"}, path
        # the one script a page may hold is its schema.org JSON-LD: data, never run, with
        # no '<' in it as such, so recorded text cannot close it
        scripts = [dict(attrs) for tag, attrs in parsed.tags if tag == "script"]
        assert all(a == {"type": "application/ld+json"} for a in scripts), path
        for data in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html,
                               re.S):
            assert "<" not in data and json.loads(data)["@context"] == "https://schema.org/"
        assert html.count("<script") == len(scripts) <= 1, path
        for tag, attrs in parsed.tags:
            for name, value in attrs:
                assert not name.startswith("on"), (path, tag, name)
                if name in ("href", "src", "cite", "action"):
                    assert not (value or "").lower().startswith(("javascript:", "data:")), path


def test_hostile_text_is_shown_escaped_where_it_was_recorded(published: Published) -> None:
    pages = every_page(published)
    claim = claim_page(published.claims["hostile"])
    shown = "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt; Reuters &amp; &#34;Co&#34;"
    assert shown in pages["sources.html"] and shown in pages[claim]
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages[claim]
    assert "a &lt;b&gt;typo&lt;/b&gt; in the first report" in pages[
        claim_page(published.claims["corrected"])]
    assert HOSTILE_NAME not in "".join(pages.values())


def test_a_quote_cannot_close_its_blockquote_early(published: Published) -> None:
    html = every_page(published)[claim_page(published.claims["hostile"])]
    quote = "".join(Elements(html).quote)
    assert "</blockquote> " not in html.split('id="quote"', 1)[1].split("</p>", 1)[0]
    assert quote.strip().endswith("hidden </blockquote>")


def test_hidden_characters_are_written_as_their_code_points(published: Published) -> None:
    pages = every_page(published)
    everything = "".join(pages.values())
    for hidden in ("\u202e", "\u202c", "\u200b"):
        assert hidden not in everything
    claim = pages[claim_page(published.claims["hostile"])]
    assert "[U+202E]gnp.exe[U+202C] and[U+200B]hidden" in claim
    assert "[U+202E]" in pages[figure_page("izium/bodies")]  # the quote in the history


def test_a_javascript_url_is_text_not_a_link(published: Published) -> None:
    html = every_page(published)[claim_page(published.claims["hostile"])]
    assert EVIL_URL in html
    links = [dict(attrs).get("href") for tag, attrs in Elements(html).tags if tag == "a"]
    assert EVIL_URL not in links
    assert 'cite="' not in html.split('id="quote"', 1)[0][-200:]
