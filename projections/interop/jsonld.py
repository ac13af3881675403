"""schema.org JSON-LD: the export is a `Dataset`, each figure a `StatisticalVariable`,
each claim a `Claim` whose `appearance` is the article and which is `about` an
`Observation` of the figure.

The values schema.org has no term for (the value as written, the EDTF date, the leaf,
the checkpoint, the signature) are `additionalProperty` `PropertyValue`s, named by a
`propertyID` listed in `PROPERTIES`, so a consumer that knows only schema.org still
reads them as name/value pairs. PROV terms (`prov:wasDerivedFrom`, `prov:wasAttributedTo`)
use the `prov` prefix the schema.org context defines.
"""

from __future__ import annotations

import re
from typing import Any

from tally.projections.interop.mapping import Agent, ClaimRecord, FigureRecord, Record, Value
from tally.projections.publish.site.paths import document_page

CONTEXT = "https://schema.org/"
# propertyID → what it holds
PROPERTIES = {
    "tally:value": "the value as written (`447`, `>=440`, `~450`, `440..451`, a state)",
    "tally:reported": "the value first written, before any correction",
    "tally:asOf": "the EDTF date the value was true",
    "tally:published": "the EDTF date the source published it",
    "tally:via": "who relayed it, outermost last (source ids)",
    "tally:leafIndex": "the leaf index of its event in the Merkle log",
    "tally:leafHash": "hex SHA-256 leaf hash (RFC 9162) of that leaf",
    "tally:checkpoint": "size of the first signed checkpoint that covers the leaf",
    "tally:checkpointUrl": "where that checkpoint is published",
    "tally:signer": "key id of the recorder who signed it",
    "tally:signerPublicKey": "the recorder's Ed25519 public key (hex)",
    "tally:signature": "the recorder's Ed25519 signature of the signed body (hex)",
    "tally:body": "the signed body (RFC 8785 JSON), as the leaf holds it",
    "tally:status": "active, corrected or retracted (a correction: correction or retraction)",
    "tally:operatorPublicKey": "the operator's Ed25519 public key (hex), that signs checkpoints",
}
_ISO_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _prop(name: str, value: Any) -> dict[str, Any]:
    return {"@type": "PropertyValue", "propertyID": name, "value": value}


def _number(text: str) -> Any:
    return int(text) if re.fullmatch(r"-?\d+", text) else {"@value": text,
                                                            "@type": "xsd:decimal"}


def observed_value(value: Value) -> dict[str, Any]:
    """`value`, or `minValue`/`maxValue` for a bound or a range; a state as text."""
    if value.kind == "status":
        return {"value": value.written}
    if value.kind == "exact" and value.low is not None:
        return {"value": _number(value.low)}
    bounds: dict[str, Any] = {}
    if value.low is not None:
        bounds["minValue"] = _number(value.low)
    if value.high is not None:
        bounds["maxValue"] = _number(value.high)
    return bounds


def _author(agent: Agent, base: str) -> dict[str, Any]:
    kind = "Person" if agent.kind == "individual" else "Organization"
    return {"@type": kind, "@id": f"{base}sources#{agent.id}", "identifier": agent.id,
            "name": agent.name}


def _dated(edtf: str | None) -> str | None:
    return edtf if edtf is not None and _ISO_DATE.fullmatch(edtf) else None


def log_properties(claim: ClaimRecord) -> list[dict[str, Any]]:
    log = claim.log
    return [_prop("tally:leafIndex", log.leaf_index), _prop("tally:leafHash", log.leaf_hash),
            _prop("tally:checkpoint", log.checkpoint),
            _prop("tally:checkpointUrl", log.checkpoint_url),
            _prop("tally:signer", claim.signer.id),
            _prop("tally:signerPublicKey", claim.signer_public_key),
            _prop("tally:signature", log.signature), _prop("tally:body", log.body)]


def _appearance(claim: ClaimRecord, base: str) -> dict[str, Any]:
    article: dict[str, Any] = {"@type": "CreativeWork", "@id": claim.permalink + "#appearance"}
    if claim.url is not None:
        article["url"] = claim.url
    if claim.document_sha256 is not None:
        article["archivedAt"] = base + document_page(claim.document_sha256)
    if (published := _dated(claim.published)) is not None:
        article["datePublished"] = published
    article["publisher"] = _author(claim.via[-1] if claim.via else claim.source, base)
    return article


def _observation(claim: ClaimRecord, variable: str) -> dict[str, Any]:
    observation: dict[str, Any] = {
        "@type": "Observation", "@id": claim.permalink + "#observation",
        "variableMeasured": {"@id": variable}, "unitText": claim.unit,
        "temporalCoverage": f"{claim.as_of_earliest}/{claim.as_of_latest}",
        **observed_value(claim.value)}
    if (day := _dated(claim.as_of)) is not None:
        observation["observationDate"] = day
    return observation


def _correction(claim: ClaimRecord) -> list[dict[str, Any]]:
    return [{"@type": "CorrectionComment", "@id": f"{claim.permalink}#{f.id}",
             "identifier": f.id, "text": f.reason, "dateCreated": f.recorded_at.isoformat(),
             "additionalProperty": [_prop("tally:status", f.kind),
                                    _prop("tally:leafIndex", f.log.leaf_index),
                                    _prop("tally:leafHash", f.log.leaf_hash),
                                    _prop("tally:checkpoint", f.log.checkpoint),
                                    _prop("tally:signature", f.log.signature),
                                    *([_prop("tally:value", f.value.written)] if f.value else [])]}
            for f in claim.followups]


def claim_node(claim: ClaimRecord, figure: FigureRecord, base: str) -> dict[str, Any]:
    """One claim as a schema.org `Claim` (what a claim page embeds)."""
    appearance = _appearance(claim, base)
    node: dict[str, Any] = {
        "@type": "Claim", "@id": claim.permalink, "url": claim.permalink,
        "identifier": claim.id, "author": _author(claim.source, base),
        "appearance": appearance, "firstAppearance": {"@id": appearance["@id"]},
        "dateCreated": claim.recorded_at.isoformat(),
        "about": _observation(claim, figure.permalink),
        "creativeWorkStatus": claim.status,
        "prov:wasDerivedFrom": {"@id": appearance["@id"]},
        "prov:wasAttributedTo": {"@id": f"{base}signers#{claim.signer.id}"},
        "additionalProperty": [
            _prop("tally:value", claim.value.written),
            _prop("tally:reported", claim.reported.written), _prop("tally:asOf", claim.as_of),
            *([_prop("tally:published", claim.published)] if claim.published else []),
            *([_prop("tally:via", [v.id for v in claim.via])] if claim.via else []),
            *log_properties(claim)],
    }
    if claim.quote is not None:
        node["text"] = claim.quote
    if (published := _dated(claim.published)) is not None:
        node["datePublished"] = published
    if claim.followups:
        node["correction"] = _correction(claim)
    return node


def variable_node(figure: FigureRecord) -> dict[str, Any]:
    """A figure: its signed name (its id when unnamed) and description, and its id."""
    node = {"@type": "StatisticalVariable", "@id": figure.permalink, "url": figure.permalink,
            "identifier": figure.id, "name": figure.name or figure.id,
            "measuredProperty": {"@id": "https://schema.org/value"},
            "statType": {"@id": "https://schema.org/measuredValue"}}
    if figure.description:
        node["description"] = figure.description
    return node


def dataset(record: Record) -> dict[str, Any]:
    """The whole export: a `Dataset` of the figures' variables and the claims."""
    figures = {f.id: f for f in record.figures}
    return {
        "@context": CONTEXT, "@type": "Dataset", "@id": record.base_url,
        "url": record.base_url, "name": f"Tally ledger {record.origin}",
        "identifier": record.ledger_id,
        "description": "Reported figures, each claim signed and logged in a Merkle log "
                       "with signed checkpoints.",
        "additionalProperty": [_prop("tally:checkpoint", record.checkpoint_size),
                               _prop("tally:operatorPublicKey", record.operator_public_key)],
        "variableMeasured": [variable_node(f) for f in record.figures],
        "hasPart": [claim_node(c, figures[c.figure], record.base_url) for c in record.claims],
    }
