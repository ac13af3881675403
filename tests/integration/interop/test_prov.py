"""The W3C PROV exports, read by real consumers: PROV-JSON and PROV-N round-trip through
the `prov` package to the very document Tally made, whose records give each claim back;
PROV-O (TriG) parses with rdflib into PROV-O's own terms."""

from __future__ import annotations

from typing import Any

from budgets import examples
from hypothesis import HealthCheck, given, settings
from interop_ledgers import Expected, assert_round_trip, ledgers, small_ledger
from prov.model import (
    PROV_ATTR_GENERATED_ENTITY,
    PROV_ATTR_USED_ENTITY,
    ProvBundle,
    ProvDerivation,
    ProvDocument,
    ProvEntity,
    ProvInvalidation,
)
from rdflib import Dataset, Namespace

from tally.ledger.model.inputs import ReportRecord
from tally.projections.interop.mapping import gather
from tally.projections.interop.provenance_graph import document, serialize

from .conftest import Izium

PROV = Namespace("http://www.w3.org/ns/prov#")


def round_trip(text: str, format_: str) -> ProvDocument:
    return ProvDocument.deserialize(content=text, format=format_)


def _attribute(record: Any, name: str) -> Any:
    values = [v for k, v in record.attributes if k.localpart == name]
    return values[0] if values else None


def read_back(doc: ProvDocument) -> dict[str, Expected]:
    """Each claim entity's attributes, its quote read from the entity it was quoted into."""
    quotes = {str(e.identifier): _attribute(e, "value")
              for b in doc.bundles for e in b.get_records(ProvEntity)
              if str(_attribute(e, "type")) == "tally:Quote"}
    found: dict[str, Expected] = {}
    for bundle in doc.bundles:
        for entity in bundle.get_records(ProvEntity):
            if str(_attribute(entity, "type")) != "tally:Claim":
                continue
            ident = str(entity.identifier).removeprefix("claim:").removesuffix(".html")
            quote = quotes.get(f"claim:{ident}.quote")
            found[ident] = Expected(
                value=_attribute(entity, "value"), as_of=_attribute(entity, "asOf"),
                published=_attribute(entity, "published"), source=_attribute(entity, "source"),
                url=_attribute(entity, "url"), quote=None if quote is None else str(quote),
                signature=_attribute(entity, "signature"),
                leaf_index=_attribute(entity, "leafIndex"),
                leaf_hash=_attribute(entity, "leafHash"))
    return found


def _relations(bundle: ProvBundle, kind: str) -> set[tuple[str, str]]:
    return {(str(r.get_attribute(PROV_ATTR_GENERATED_ENTITY).pop()),
             str(r.get_attribute(PROV_ATTR_USED_ENTITY).pop()))
            for r in bundle.get_records(ProvDerivation)
            if kind in {str(t) for t in r.get_asserted_types()}}


def test_prov_json_and_prov_n_round_trip_through_prov(izium: Izium) -> None:
    record = gather(izium.ledger, izium.views)
    made = document(record)
    for format_, name in (("prov-json", "json"), ("prov-n", "provn")):
        back = round_trip(serialize(record, format_), name)
        assert back == made, format_
    back = round_trip(serialize(record, "prov-json"), "json")
    assert {str(b.identifier) for b in back.bundles} == {
        f"checkpoint:{record.checkpoint_size}"}
    assert_round_trip(izium.ledger, izium.views, read_back(back))


def test_the_quote_the_claim_and_the_article_are_related_as_prov_says(izium: Izium) -> None:
    record = gather(izium.ledger, izium.views)
    bundle = next(iter(round_trip(serialize(record, "prov-json"), "json").bundles))
    quoted = next(c for c in record.claims if c.quote is not None)
    ident = f"claim:{quoted.id}"
    assert (f"{ident}.quote", f"{ident}.article") in _relations(bundle, "prov:Quotation")
    assert (f"{ident}.html", f"{ident}.article") in _relations(bundle, "prov:PrimarySource")
    relayed = next(c for c in record.claims if len(c.via) == 1)
    said = f"claim:{relayed.id}.said-by.{relayed.source.id}"
    derived = {(str(r.get_attribute(PROV_ATTR_GENERATED_ENTITY).pop()),
                str(r.get_attribute(PROV_ATTR_USED_ENTITY).pop()))
               for r in bundle.get_records(ProvDerivation)}
    assert (f"claim:{relayed.id}.article", said) in derived


def test_a_correction_is_a_revision_and_a_retraction_an_invalidation() -> None:
    reports = [ReportRecord(figure="site/graves", value=v, as_of="2022-09", source="police")
               for v in ("445", "450")]
    with small_ledger((reports, [("correct", 0, "446"), ("retract", 1, "")])) as (
            ledger, views, _):
        record = gather(ledger, views)
        back = round_trip(serialize(record, "prov-json"), "json")
    first, second = (c for c in record.claims)
    revisions = {r for b in back.bundles for r in _relations(b, "prov:Revision")}
    assert any(new.startswith(f"claim:{first.id}.correction.")
               and old == f"claim:{first.id}.html" for new, old in revisions)
    invalidated = {str(r.args[0]) for b in back.bundles for r in b.get_records(ProvInvalidation)}
    assert invalidated == {f"claim:{second.id}.html"}


def test_prov_o_parses_with_rdflib_into_prov_terms(izium: Izium) -> None:
    """prov writes the typed derivations in PROV-O's qualified form."""
    record = gather(izium.ledger, izium.views, figure="izium/burial-site/bodies-exhumed")
    graph = Dataset(default_union=True)
    graph.parse(data=serialize(record, "prov-o"), format="trig")
    claims = {str(s) for s in graph.subjects(PROV.qualifiedPrimarySource, None)}
    assert claims == {c.permalink for c in record.claims}
    assert {str(g.identifier) for g in graph.graphs()} >= {record.claims[0].log.checkpoint_url}
    quoted = {str(s) for s in graph.subjects(PROV.qualifiedQuotation, None)}
    assert quoted == {c.permalink.removesuffix(".html") + ".quote" for c in record.claims
                      if c.quote is not None}


@settings(max_examples=examples(10), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(ledgers)
def test_every_claim_comes_back_from_a_random_ledger(script: Any) -> None:
    with small_ledger(script) as (ledger, views, _):
        text = serialize(gather(ledger, views), "prov-json")
        assert_round_trip(ledger, views, read_back(round_trip(text, "json")))
