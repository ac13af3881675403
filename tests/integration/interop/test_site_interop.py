"""`tally publish --base-url`: the base URL is kept in log.json; claim and figure pages
embed their schema.org JSON-LD (which pyld expands); the site carries the jsonld,
datapackage and vc exports, each read by its consumer, and an Atom feed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from clirunner import Tally
from rdflib import RDF, URIRef

from tally.ledger.errors import ExportError
from tally.projections.interop.mapping import checked_base_url
from tally.projections.publish.publisher import publish

from .conftest import Izium
from .test_datapackage import validated
from .test_jsonld import SDO, consume
from .test_vc import verify

BASE = "https://tally.example/izium/"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def site(izium: Izium, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("site")
    publish(izium.ledger.parts, izium.views, directory, izium.operator, base_url=BASE)
    return directory


def _embedded(page: Path) -> dict[str, object]:
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>',
                       page.read_text(), re.S)
    assert len(found) == 1
    document: dict[str, object] = json.loads(found[0])
    return document


def test_claim_and_figure_pages_embed_their_json_ld(izium: Izium, site: Path) -> None:
    claim = next(iter((site / "claims").glob("*.html")))
    graph = consume(_embedded(claim))
    node = URIRef(BASE + "claims/" + claim.name)
    assert (node, RDF.type, SDO.Claim) in graph
    figure = site / "figures" / "izium" / "burial-site" / "graves.html"
    variable = consume(_embedded(figure))
    assert (URIRef(BASE + "figures/izium/burial-site/graves.html"), RDF.type,
            SDO.StatisticalVariable) in variable
    assert BASE + "claims/" + claim.name in claim.read_text()  # the citation's permalink


def test_the_site_carries_the_exports_each_read_by_its_consumer(site: Path) -> None:
    dataset = consume(json.loads((site / "exports" / "claims.jsonld").read_text()))
    assert len(set(dataset.subjects(RDF.type, SDO.Claim))) == 41
    assert len(validated(site / "exports" / "datapackage")) == 41
    issued = [json.loads(f.read_text()) for f in (site / "exports" / "credentials").iterdir()]
    assert len(issued) == 41
    for vc in issued:
        verify(vc)


def test_the_feed_lists_every_claim_under_the_base_url(site: Path) -> None:
    feed = ET.parse(site / "feed.atom").getroot()
    assert feed.tag == ATOM + "feed"
    entries = feed.findall(ATOM + "entry")
    assert len(entries) == 41
    assert all(e.findtext(ATOM + "id", "").startswith(BASE + "claims/") for e in entries)
    times = [e.findtext(ATOM + "updated", "") for e in entries]
    assert times == sorted(times, reverse=True)


def test_the_base_url_is_kept_for_the_next_publish(izium: Izium, site: Path) -> None:
    assert json.loads((site / "log.json").read_text())["base_url"] == BASE
    tally = Tally(izium.db.parent, db=str(izium.db))
    tally("publish", str(site))
    assert json.loads((site / "log.json").read_text())["base_url"] == BASE
    refused = tally("publish", str(site), "--base-url", "ftp://x", code=1)
    assert "not an absolute http or https URL" in refused.output


def test_a_base_url_must_be_absolute_http() -> None:
    assert checked_base_url("https://a.example/site") == "https://a.example/site/"
    for wrong in ("/site", "https://a.example/?q=1", "javascript:alert(1)"):
        with pytest.raises(ExportError):
            checked_base_url(wrong)
