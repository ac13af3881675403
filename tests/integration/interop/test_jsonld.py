"""The schema.org JSON-LD export, read by real consumers: pyld expands it against the
schema.org context shipped in tests/data (no network, and no property dropped), and rdflib
parses the expansion into triples that give each claim back."""

from __future__ import annotations

import json
from typing import Any

from budgets import examples
from clirunner import Tally
from hypothesis import HealthCheck, given, settings
from interop_ledgers import Expected, assert_round_trip, ledgers, small_ledger
from pyld import jsonld
from rdflib import RDF, Graph, Literal, Namespace, URIRef

from tally.projections.interop.jsonld import dataset
from tally.projections.interop.mapping import gather

from .conftest import Izium, offline_loader

SDO = Namespace("http://schema.org/")
PROV = Namespace("http://www.w3.org/ns/prov#")


def consume(document: dict[str, Any]) -> Graph:
    """pyld expands (refusing any property it would drop), rdflib parses the result."""
    dropped: list[str | None] = []
    expanded = jsonld.expand(document, {"documentLoader": offline_loader},
                             on_property_dropped=dropped.append)
    assert dropped == [], f"terms schema.org does not define: {dropped}"
    return Graph().parse(data=json.dumps(expanded), format="json-ld")


def _property(graph: Graph, node: Any, name: str) -> Any:
    for pv in graph.objects(node, SDO.additionalProperty):
        if graph.value(pv, SDO.propertyID) == Literal(name):
            return graph.value(pv, SDO.value).toPython()
    return None


def read_back(graph: Graph) -> dict[str, Expected]:
    """Each claim as the triples give it."""
    found: dict[str, Expected] = {}
    for claim in graph.subjects(RDF.type, SDO.Claim):
        url = graph.value(graph.value(claim, SDO.appearance), SDO.url)
        quote = graph.value(claim, SDO.text)
        found[str(graph.value(claim, SDO.identifier))] = Expected(
            value=_property(graph, claim, "tally:value"),
            as_of=_property(graph, claim, "tally:asOf"),
            published=_property(graph, claim, "tally:published"),
            source=str(graph.value(graph.value(claim, SDO.author), SDO.identifier)),
            url=None if url is None else str(url), quote=None if quote is None else str(quote),
            signature=_property(graph, claim, "tally:signature"),
            leaf_index=_property(graph, claim, "tally:leafIndex"),
            leaf_hash=_property(graph, claim, "tally:leafHash"))
    return found


def test_the_izium_export_expands_and_gives_every_claim_back(izium: Izium) -> None:
    graph = consume(dataset(gather(izium.ledger, izium.views)))
    assert len(list(graph.subjects(RDF.type, SDO.Claim))) == 41
    assert len(list(graph.subjects(RDF.type, SDO.StatisticalVariable))) == 24
    assert len(list(graph.subjects(RDF.type, SDO.Dataset))) == 1
    assert_round_trip(izium.ledger, izium.views, read_back(graph))


def test_an_observation_carries_the_value_as_schema_org_expects_it(izium: Izium) -> None:
    graph = consume(dataset(gather(izium.ledger, izium.views, figure="izium/burial-site")))
    by_value = {_property(graph, c, "tally:value"): graph.value(c, SDO.about)
                for c in graph.subjects(RDF.type, SDO.Claim)}
    exact, at_least, about = by_value["447"], by_value[">=440"], by_value["~450"]
    assert graph.value(exact, SDO.value) == Literal(447)
    assert graph.value(at_least, SDO.minValue) == Literal(440)
    assert graph.value(at_least, SDO.maxValue) is None
    assert (graph.value(about, SDO.minValue).toPython(),
            graph.value(about, SDO.maxValue).toPython()) == (427.5, 472.5)
    assert str(graph.value(exact, SDO.observationDate)) == "2022-09-23"
    assert graph.value(exact, RDF.type) == SDO.Observation
    assert graph.value(exact, SDO.unitText) == Literal("bodies")
    variable = graph.value(exact, SDO.variableMeasured)
    assert graph.value(variable, RDF.type) == SDO.StatisticalVariable
    assert str(graph.value(variable, SDO.identifier)) == "izium/burial-site/bodies-exhumed"


def test_a_claim_points_at_its_article_and_its_log_entry(izium: Izium) -> None:
    record = gather(izium.ledger, izium.views, base_url="https://tally.example/site")
    graph = consume(dataset(record))
    claim = record.claims[0]
    node = URIRef(f"https://tally.example/site/claims/{claim.id}.html")
    article = graph.value(node, SDO.appearance)
    assert graph.value(node, SDO.firstAppearance) == article
    assert graph.value(node, PROV.wasDerivedFrom) == article
    assert graph.value(article, SDO.publisher) is not None
    leaf = _property(graph, node, "tally:leafIndex")
    assert _property(graph, node, "tally:leafHash") == (
        izium.ledger.log.logged_leaf_hash(leaf).hex())
    assert _property(graph, node, "tally:checkpointUrl") == (
        f"https://tally.example/site/checkpoints/{claim.log.checkpoint}")


def test_the_command_writes_it_and_says_what_it_wrote(izium: Izium) -> None:
    tally = Tally(izium.db.parent, db=str(izium.db))
    out = izium.db.parent / "bodies.jsonld"
    answer = tally.json("export", "--format", "jsonld", "-o", str(out),
                        "--figure", "izium/burial-site/bodies-exhumed")
    assert answer == {"format": "jsonld", "output": str(out), "claims": 4, "files": 1,
                      "warnings": []}
    assert len(list(consume(json.loads(out.read_text())).subjects(RDF.type, SDO.Claim))) == 4
    later = tally.json("export", "--format", "jsonld", "-o", str(out), "--since", "100000")
    assert later["claims"] == 0
    refused = tally("export", "--format", "jsonl", "--figure", "izium", code=2)
    assert "apply to the interop formats" in refused.output
    unknown = tally("export", "--format", "rdfxml", code=1)
    assert "unknown export format 'rdfxml': use one of jsonl, csv, jsonld" in unknown.output


@settings(max_examples=examples(10), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(ledgers)
def test_every_claim_comes_back_from_a_random_ledger(script: Any) -> None:
    with small_ledger(script) as (ledger, views, _):
        assert_round_trip(ledger, views, read_back(consume(dataset(gather(ledger, views)))))
