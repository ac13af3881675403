"""The HTML pages of a published site: complete, linked, honest, deterministic and semantic."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from clirunner import Tally
from published_site import (
    BODIES,
    EXHUMATION,
    GOOD_URL,
    GRAVES,
    REPORTS,
    Published,
    page,
    published_site,
    write_site,
)

from tally.ledger.errors import UnknownFigureError, VerificationError
from tally.ledger.infra.keystore import KeyStore
from tally.ledger.integrity.checkpoints import Checkpoint, sign_checkpoint, verify_checkpoint
from tally.projections.publish.site import html_pages
from tally.projections.publish.site.paths import claim_page, figure_page


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    yield from published_site(tmp_path_factory)


class Tags(HTMLParser):
    """Every start tag of a page, as (tag, attributes), and its text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag]


def pages(site: Published) -> dict[str, bytes]:
    return dict(html_pages(site.model, site.note, None, None))


def test_every_figure_and_claim_has_a_page_and_the_site_wide_pages_are_there(
        published: Published) -> None:
    paths = set(pages(published))
    assert {"index.html", "discrepancies.html", "sources.html", "static/style.css",
            "static/favicon.svg"} <= paths
    assert {figure_page(f) for f in (BODIES, EXHUMATION, GRAVES)} <= paths
    assert {claim_page(c) for c in published.claims.values()} <= paths
    assert len(paths) == 5 + 3 + len(REPORTS)


def test_the_same_ledger_gives_the_same_bytes_also_after_a_rebuild(
        published: Published) -> None:
    first = pages(published)
    assert pages(published) == first
    published.model.rebuild()
    assert pages(published) == first


def test_only_the_pages_asked_for_besides_the_site_wide_ones(published: Published) -> None:
    claim = published.claims["graves"]
    some = dict(html_pages(published.model, published.note, {GRAVES}, {claim}))
    assert set(some) == {"index.html", "discrepancies.html", "sources.html", "static/style.css",
                         "static/favicon.svg",
                         figure_page(GRAVES), claim_page(claim)}
    assert some == {p: data for p, data in pages(published).items() if p in some}
    nothing = dict(html_pages(published.model, published.note, set(), set()))
    assert figure_page(GRAVES) not in nothing and claim_page(claim) not in nothing
    with pytest.raises(UnknownFigureError):
        list(html_pages(published.model, published.note, {"izium/bodys"}, set()))


def test_every_link_stays_inside_the_site_and_finds_its_file(published: Published) -> None:
    """Relative links resolve (from any depth) to files in the site; the only links out are
    the http(s) URLs the sources published, and nothing loads from outside."""
    outside = []
    for path in pages(published):
        if not path.endswith(".html"):
            continue
        tags = Tags((published.directory / path).read_text(encoding="utf-8"))
        for tag, attrs in tags.tags:
            for name in ("href", "src"):
                url = attrs.get(name)
                if url is None or url.startswith("#"):
                    continue
                if urlsplit(url).scheme:
                    assert tag == "a" and name == "href", (path, tag, url)
                    outside.append(url)
                    continue
                target = urlsplit(urljoin(f"http://site/{path}", url)).path.lstrip("/")
                assert (published.directory / target).is_file(), (path, url)
    assert set(outside) == {GOOD_URL}


def test_index_shows_each_case_the_value_in_force_and_the_disputed_mark(
        published: Published) -> None:
    index = page(published, "index.html")
    cases = re.findall(r"<h2[^>]*>(\w+) <span", index)
    assert cases == ["izium", "kharkiv"]
    row = index.split(f'href="{figure_page(BODIES)}"', 1)[1].split("</tr>", 1)[0]
    show = published.model.show(BODIES)
    assert show.value is not None and show.value.written in row
    assert ("⚠ disputed" in row) == show.disputed
    graves_row = index.split(f'href="{figure_page(GRAVES)}"', 1)[1].split("</tr>", 1)[0]
    assert "445" in graves_row and "disputed" not in graves_row


def test_figure_page_is_honest_about_corrections_retractions_and_competitors(
        published: Published) -> None:
    html = page(published, figure_page(BODIES))
    show = published.model.show(BODIES)
    assert show.claim is not None
    in_force = html.split('id="value-in-force"', 1)[1].split("</p>", 1)[0]
    assert show.claim.value.written in in_force
    for competitor in show.competing:
        assert competitor.claim_id[:12] in html.split('id="competing"', 1)[1]
    claims = html.split('id="claims-table"', 1)[1].split("</table>", 1)[0]
    corrected = claims.split(published.claims["corrected"][:12], 1)[1].split("</tr>", 1)[0]
    assert "449" in corrected and "corrected from 451" in corrected
    retracted = claims.split(published.claims["retracted"][:12], 1)[1].split("</tr>", 1)[0]
    assert "<del>500</del>" in retracted and "retracted" in retracted
    history = html.split('id="history-heading"', 1)[1]
    assert history.count("<tr>") == 1 + len([r for r in REPORTS.values() if r[0] == BODIES]) + 2
    assert "a &lt;b&gt;typo&lt;/b&gt; in the first report" in history


def _groups(svg: str) -> dict[str, str]:
    """claim id -> the markup of its mark in the chart."""
    return dict(re.findall(r'<g class="mark [^"]*" data-claim="([0-9a-f]+)">(.*?)</g>', svg,
                           re.S))


def test_the_chart_draws_each_kind_of_value_its_own_way(published: Published) -> None:
    html = page(published, figure_page(BODIES))
    svg = html.split("<svg class=\"chart\"", 1)[1].split("</svg>", 1)[0]
    marks = _groups(svg)
    c = published.claims
    assert len(marks) == len([r for r in REPORTS.values() if r[0] == BODIES])
    assert 'class="arrow"' in marks[c["at_least"]] and 'class="dot"' in marks[c["at_least"]]
    assert 'class="dot open"' in marks[c["more_than"]]
    assert 'class="arrow"' in marks[c["at_most"]] and 'class="dot open"' in marks[c["fewer_than"]]
    assert 'class="band"' in marks[c["about"]] and 'class="bar"' not in marks[c["about"]]
    assert 'class="bar"' in marks[c["range"]]
    assert 'class="reported"' in marks[c["corrected"]]
    assert 'class="correction"' in marks[c["corrected"]]
    # a retracted claim draws no value: a cross on the time axis and its as_of span only
    assert 'class="cross"' in marks[c["retracted"]]
    assert not re.search(r'class="(dot|bar|band|arrow|bound)', marks[c["retracted"]])
    # an as_of over several days is drawn as a span
    assert 'class="span"' in marks[c["range"]] and 'class="span"' not in marks[c["exact"]]
    assert '<g class="mark mark-' in svg and "<title id=\"chart-title\">" in svg
    assert 'role="img"' in svg and 'aria-labelledby="chart-title chart-desc"' in svg
    y_axis = svg.split('class="axis axis-y"', 1)[1].split("</g>", 1)[0]
    y_labels = re.findall(r'text-anchor="end">([^<]+)</text>', y_axis)
    assert y_labels and all(re.fullmatch(r"[0-9]+", label) for label in y_labels), y_labels
    status = page(published, figure_page(EXHUMATION))
    rows = re.findall(r'text-anchor="end">([^<]+)</text>',
                      status.split('class="axis axis-y"', 1)[1].split("</g>", 1)[0])
    assert rows == ["planned", "in-progress", "completed"]
    status_chart = status.split('<svg class="chart"', 1)[1].split("</svg>", 1)[0]
    assert status_chart.count('<rect class="dot"') == 2


def test_claim_page_shows_source_chain_quote_signer_checkpoint_and_proof(
        published: Published) -> None:
    claim = published.claims["exact"]
    html = page(published, claim_page(claim))
    provenance = published.model.provenance(claim)
    assert provenance.checkpoint is not None
    assert provenance.checkpoint < published.ledger.log.size()  # the earlier checkpoint
    chain = html.split('class="chain"', 1)[1].split("</ol>", 1)[0]
    assert "Hromadske" in chain and "via Suspilne" in chain
    assert "report number 0: 447" in html.split('id="quote"', 1)[1].split("</blockquote>")[0]
    assert "✓ valid" in html and provenance.signer.key_id in html
    covered = html.split('id="covered"', 1)[1].split("</p>", 1)[0]
    stored = verify_checkpoint(published.ledger.log.checkpoint_note(provenance.checkpoint),
                               bytes.fromhex(published.operator_key))
    assert stored.root_hash.hex() in covered and f"leaf {provenance.leaf_index}" in covered
    assert f'href="{claim}.tlog-proof" download' in html
    assert f'href="../claims/{claim}.json"' in html
    citation = html.split('id="citation"', 1)[1].split("</div>", 1)[0]
    assert claim in citation and f'href="../claims/{claim}.html"' in citation


def test_the_offline_command_on_a_claim_page_verifies_its_proof(
        published: Published, tmp_path: Path) -> None:
    """Download what the page offers under the names it gives, run the command it shows."""
    for label in ("exact", "corrected"):
        claim = published.claims[label]
        html = page(published, claim_page(claim))
        folder = tmp_path / label
        folder.mkdir()
        for href, name in re.findall(r'href="([^"]+)" download="([^"]+)"', html):
            source = urljoin(f"http://site/{claim_page(claim)}", href)
            shutil.copy(published.directory / urlsplit(source).path.lstrip("/"), folder / name)
        command = Tags(html.split('id="verify-command">', 1)[1].split("</code>")[0]).text
        args = "".join(command).split()
        assert args[:2] == ["tally", "verify-proof"]
        tally = Tally(tmp_path)
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(folder)
            checked = tally.json(*args[1:])
        assert checked["claim_id"] == claim
        # a proof with one hash changed is refused; another claim's proof under this
        # claim's name is refused too (the page's command names the claim it cites)
        proof = folder / f"{claim}.tlog-proof"
        lines = proof.read_text().split("\n")
        lines[3] = ("B" if lines[3][0] != "B" else "C") + lines[3][1:]
        proof.write_text("\n".join(lines))
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(folder)
            tally(*args[1:], code=1)
        other = published.claims["graves"]
        shutil.copy(published.directory / claim_page(other, ".tlog-proof"), proof)
        shutil.copy(published.directory / "checkpoint", folder / args[4])
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(folder)
            refused = tally(*args[1:], code=1)
        assert f"the proof is of claim {other}, not of {claim}" in refused.stderr
        assert args[-2:] == ["--claim", claim]


def test_a_checkpoint_the_operator_did_not_sign_is_refused(published: Published,
                                                           tmp_path: Path) -> None:
    stranger = KeyStore(tmp_path / "keys").create("stranger")
    head = verify_checkpoint(published.note, bytes.fromhex(published.operator_key))
    forged = sign_checkpoint(Checkpoint(origin=head.origin, size=head.size,
                                        root_hash=bytes(32)), stranger.private_key)
    with pytest.raises(VerificationError):
        list(html_pages(published.model, forged, set(), set()))


def test_a_base_url_makes_the_permalink_absolute(published: Published, tmp_path: Path) -> None:
    claim = published.claims["graves"]
    write_site(published.model, published.note, tmp_path, base_url="https://tally.example/site/")
    html = (tmp_path / claim_page(claim)).read_text(encoding="utf-8")
    permalink = f"https://tally.example/site/claims/{claim}.html"
    assert f'<a class="permalink" href="{permalink}">{permalink}</a>' in html


@pytest.mark.parametrize("path", ["index.html", "discrepancies.html", "sources.html",
                                  figure_page(BODIES), figure_page(EXHUMATION)])
def test_pages_are_semantic(published: Published, path: str) -> None:
    html = page(published, path)
    tags = Tags(html)
    assert tags.all("html") == [{"lang": "en"}]
    head = Tags(html.split("</head>", 1)[0])
    assert len(head.all("title")) == 1 and len(tags.all("h1")) == 1
    assert tags.all("main") and tags.all("nav")
    assert all(th.get("scope") in ("col", "row") for th in tags.all("th"))
    assert html.count("<table") == html.count('<div class="table-wrap">')
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
