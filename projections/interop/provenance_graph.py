"""W3C PROV, made with the `prov` package and written as PROV-JSON, PROV-N or PROV-O
(TriG: a named graph a checkpoint).

Per claim: the article is an entity, the quote an entity that `wasQuotedFrom` it, the
claim an entity that `wasDerivedFrom` the quote and `hadPrimarySource` the article. The
via chain is a chain of entities (what each hop said, `wasDerivedFrom` the hop before it)
each attributed to its agent, the article to the outermost. The recorder is an agent, the
recording an activity that used the article and generated the claim. A correction is an
entity that `wasRevisionOf` the claim; a retraction an activity that invalidates it. Each
checkpoint is a bundle, holding the events it is the first to cover.
"""

from __future__ import annotations

from typing import Any

from prov.identifier import Identifier, Namespace
from prov.model import PROV, ProvBundle, ProvDocument

from tally.projections.interop.mapping import ClaimRecord, Followup, LogEntry, Record

TALLY = Namespace("tally", "https://tally.invalid/ns/interop#")  # names, not resolvable
Attributes = dict[str | Identifier, Any]
SERIALIZATIONS = {"prov-json": ("json", {}), "prov-n": ("provn", {}),
                  "prov-o": ("rdf", {"rdf_format": "trig"})}


def _log(log: LogEntry) -> Attributes:
    return {"tally:leafIndex": log.leaf_index, "tally:leafHash": log.leaf_hash,
            "tally:checkpoint": log.checkpoint, "tally:checkpointUrl": log.checkpoint_url,
            "tally:signature": log.signature, "tally:position": log.position}


def _optional(**values: str | None) -> Attributes:
    return {f"tally:{k}": v for k, v in values.items() if v is not None}


def _permalink(claim: ClaimRecord) -> str:
    """The claim entity's name: its IRI is the claim's permalink."""
    return f"claim:{claim.id}.html"


def _chain(bundle: ProvBundle, claim: ClaimRecord, article: str) -> None:
    """What the source said, then each relay's telling, the article the outermost's."""
    hops = [claim.source, *claim.via]
    told: str | None = None
    for at, hop in enumerate(hops):
        entity = article if at == len(hops) - 1 else f"claim:{claim.id}.said-by.{hop.id}"
        if entity != article:
            bundle.entity(entity, {"prov:type": TALLY["Telling"]})
        bundle.wasAttributedTo(entity, f"source:{hop.id}")
        if told is not None:
            bundle.wasDerivedFrom(entity, told)
        told = entity


def _claim(bundle: ProvBundle, claim: ClaimRecord) -> None:
    ident, article = _permalink(claim), f"claim:{claim.id}.article"
    bundle.entity(article, {"prov:type": TALLY["Article"],
                            **_optional(url=claim.url, published=claim.published,
                                        documentSha256=claim.document_sha256)})
    _chain(bundle, claim, article)
    bundle.entity(ident, {
        "prov:type": TALLY["Claim"], "tally:permalink": claim.permalink,
        "tally:figure": claim.figure, "tally:value": claim.value.written,
        "tally:reported": claim.reported.written, "tally:unit": claim.unit,
        "tally:asOf": claim.as_of, "tally:source": claim.source.id,
        "tally:via": ";".join(v.id for v in claim.via), "tally:status": claim.status,
        "tally:signer": claim.signer.id, "tally:signerPublicKey": claim.signer_public_key,
        **_optional(published=claim.published, url=claim.url), **_log(claim.log)})
    if claim.quote is not None:
        quote = f"claim:{claim.id}.quote"
        bundle.entity(quote, {"prov:type": TALLY["Quote"], "prov:value": claim.quote})
        bundle.quotation(quote, article)
        bundle.wasDerivedFrom(ident, quote)
    bundle.hadPrimarySource(ident, article)
    recording = f"claim:{claim.id}.recording"
    bundle.activity(recording, claim.recorded_at, claim.recorded_at,
                    {"prov:type": TALLY["Recording"]})
    bundle.used(recording, article)
    bundle.wasGeneratedBy(ident, recording, claim.recorded_at)
    bundle.wasAssociatedWith(recording, f"signer:{claim.signer.id}")
    bundle.wasAttributedTo(ident, f"signer:{claim.signer.id}")


def _followup(bundle: ProvBundle, claim: ClaimRecord, f: Followup) -> None:
    ident = f"claim:{claim.id}.{f.kind}.{f.id}"
    attributes: Attributes = {"tally:reason": f.reason, "tally:signer": f.signer, **_log(f.log)}
    if f.kind == "correction":
        assert f.value is not None
        bundle.entity(ident, {"prov:type": TALLY["Correction"],
                              "tally:value": f.value.written, **attributes})
        bundle.wasRevisionOf(ident, _permalink(claim))
        bundle.wasAttributedTo(ident, f"signer:{f.signer}")
    else:
        bundle.activity(ident, f.recorded_at, f.recorded_at,
                        {"prov:type": TALLY["Retraction"], **attributes})
        bundle.wasInvalidatedBy(_permalink(claim), ident, f.recorded_at)
        bundle.wasAssociatedWith(ident, f"signer:{f.signer}")


def document(record: Record) -> ProvDocument:
    """The PROV document of the record: agents at the top, a bundle a checkpoint."""
    doc = ProvDocument()
    doc.add_namespace(TALLY)
    doc.add_namespace("claim", record.base_url + "claims/")
    doc.add_namespace("source", record.base_url + "sources#")
    doc.add_namespace("signer", record.base_url + "signers#")
    doc.add_namespace("checkpoint", record.base_url + "checkpoints/")
    for source in record.sources:
        kind = PROV["Person"] if source.kind == "individual" else PROV["Organization"]
        doc.agent(f"source:{source.id}", {"prov:type": kind,
                                          "tally:name": source.name,
                                          "tally:kind": source.kind})
    for key in sorted({c.signer.id for c in record.claims}
                      | {f.signer for c in record.claims for f in c.followups}):
        doc.agent(f"signer:{key}", {"prov:type": PROV["SoftwareAgent"]})
    bundles: dict[int, ProvBundle] = {}

    def bundle(size: int) -> ProvBundle:
        if size not in bundles:
            bundles[size] = doc.bundle(f"checkpoint:{size}")
        return bundles[size]

    for claim in record.claims:
        _claim(bundle(claim.log.checkpoint), claim)
        for f in claim.followups:
            _followup(bundle(f.log.checkpoint), claim, f)
    return doc


def serialize(record: Record, format_: str) -> str:
    """The record as `prov-json`, `prov-n` or `prov-o` (TriG: a named graph a checkpoint)."""
    name, options = SERIALIZATIONS[format_]
    text = document(record).serialize(format=name, **options)
    assert text is not None
    return text if text.endswith("\n") else text + "\n"
