"""Frictionless Data Package with CSVW metadata: a folder of `claims.csv` (one row per
claim version: the claim, then each correction and retraction, each with its signer,
signature, leaf index, leaf hash and checkpoint), `figures.csv`, `sources.csv`,
`datapackage.json` (typed Table Schemas, primary and foreign keys) and
`claims.csv-metadata.json` (CSVW, its columns mapped to schema.org and PROV terms).

Each table's columns are listed once (`Column`), and both descriptors are made from them.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tally.ledger.errors import ExportError
from tally.projections.interop.mapping import ClaimRecord, LogEntry, Record, Value

SDO, PROV = "http://schema.org/", "http://www.w3.org/ns/prov#"
_CSVW_TYPES = {"string": "string", "integer": "integer", "number": "decimal",
               "date": "date", "datetime": "dateTime", "boolean": "boolean"}


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # a Table Schema type
    description: str
    term: str | None = None  # the schema.org or PROV property it holds
    required: bool = False


CLAIM_COLUMNS = [
    Column("claim_id", "string", "the claim id (32 hex)", SDO + "identifier", True),
    Column("version", "integer", "1: the claim as recorded; 2, 3 ...: its corrections and "
           "retraction, in order", None, True),
    Column("event", "string", "recorded, correction or retraction", None, True),
    Column("event_id", "string", "the id of this version's signed body", None, True),
    Column("permalink", "string", "the claim's page", SDO + "url", True),
    Column("figure", "string", "the figure id", SDO + "variableMeasured", True),
    Column("value", "string", "the value as written (empty for a retraction)",
           SDO + "value"),
    Column("kind", "string", "exact, at_least, more_than, at_most, fewer_than, about, "
           "range or status"),
    Column("low", "number", "lowest value it allows (empty: unbounded)", SDO + "minValue"),
    Column("high", "number", "highest value it allows (empty: unbounded)", SDO + "maxValue"),
    Column("unit", "string", "the figure's unit", SDO + "unitText", True),
    Column("as_of", "string", "EDTF date the value was true", SDO + "observationDate", True),
    Column("as_of_earliest", "date", "first day as_of may mean", None, True),
    Column("as_of_latest", "date", "last day as_of may mean", None, True),
    Column("source", "string", "who said it (a source id)", SDO + "author", True),
    Column("via", "string", "who relayed it, outermost last, joined with ';'"),
    Column("url", "string", "the article", PROV + "hadPrimarySource"),
    Column("published", "string", "EDTF date the source published it", SDO + "datePublished"),
    Column("quote", "string", "the words quoted from the article", SDO + "text"),
    Column("document_sha256", "string", "the archived article's SHA-256", SDO + "archivedAt"),
    Column("reason", "string", "a correction's or retraction's reason"),
    Column("signer", "string", "key id of the signer", PROV + "wasAttributedTo", True),
    Column("signer_public_key", "string", "the signer's Ed25519 public key (hex)"),
    Column("signature", "string", "Ed25519 signature of the signed body (hex)", None, True),
    Column("position", "integer", "position in the event store", None, True),
    Column("leaf_index", "integer", "leaf index in the Merkle log", None, True),
    Column("leaf_hash", "string", "RFC 9162 leaf hash (hex)", None, True),
    Column("checkpoint", "integer", "size of the first checkpoint covering the leaf", None,
           True),
    Column("checkpoint_url", "string", "where that checkpoint is published", None, True),
    Column("recorded_at", "datetime", "when the ledger recorded it (UTC)",
           PROV + "generatedAtTime", True),
]
FIGURE_COLUMNS = [
    Column("id", "string", "the figure id", SDO + "identifier", True),
    Column("name", "string", "its signed name (empty: unnamed)", SDO + "name"),
    Column("permalink", "string", "the figure's page", SDO + "url", True),
    Column("kind", "string", "quantity or status", None, True),
    Column("unit", "string", "its unit", SDO + "unitText", True),
    Column("cumulative", "boolean", "it only grows", None, True),
    Column("integer", "boolean", "whole numbers only", None, True),
    Column("parts", "string", "the figures that sum to it, joined with ';'"),
]
SOURCE_COLUMNS = [
    Column("id", "string", "the source id", SDO + "identifier", True),
    Column("name", "string", "its name", SDO + "name", True),
    Column("kind", "string", "official, media, ngo, individual, academic or other", None,
           True),
]


def _field(c: Column) -> dict[str, Any]:
    field: dict[str, Any] = {"name": c.name, "type": c.type, "description": c.description}
    if c.type == "boolean":
        field.update(trueValues=["true"], falseValues=["false"])
    if c.type == "datetime":
        field["format"] = "%Y-%m-%dT%H:%M:%S.%fZ"
    if c.term:
        field["rdfType"] = c.term
    if c.required:
        field["constraints"] = {"required": True}
    return field


def _resource(name: str, columns: list[Column], key: list[str],
              foreign: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"fields": [_field(c) for c in columns], "primaryKey": key}
    if foreign:
        schema["foreignKeys"] = foreign
    return {"name": name, "path": f"{name}.csv", "profile": "tabular-data-resource",
            "format": "csv", "mediatype": "text/csv", "encoding": "utf-8", "schema": schema}


def descriptor(record: Record) -> dict[str, Any]:
    """`datapackage.json`."""
    references = [{"fields": "figure", "reference": {"resource": "figures", "fields": "id"}},
                  {"fields": "source", "reference": {"resource": "sources", "fields": "id"}}]
    return {
        "name": "tally-" + record.ledger_id, "title": f"Tally ledger {record.origin}",
        "homepage": record.base_url, "profile": "tabular-data-package",
        "description": f"Claims of reported figures, each signed and logged; checked "
                       f"against checkpoint {record.checkpoint_size} of {record.origin}.",
        "resources": [_resource("claims", CLAIM_COLUMNS, ["claim_id", "version"], references),
                      _resource("figures", FIGURE_COLUMNS, ["id"]),
                      _resource("sources", SOURCE_COLUMNS, ["id"])],
    }


def csvw_metadata(record: Record) -> dict[str, Any]:
    """`claims.csv-metadata.json`: CSVW (W3C) metadata of claims.csv."""
    columns = [{"name": c.name, "titles": c.name, "dc:description": c.description,
                "datatype": _CSVW_TYPES[c.type], "required": c.required,
                **({"propertyUrl": c.term} if c.term else {})} for c in CLAIM_COLUMNS]
    return {"@context": "http://www.w3.org/ns/csvw", "url": "claims.csv",
            "dc:title": f"Claims of {record.origin}",
            "tableSchema": {"columns": columns, "primaryKey": ["claim_id", "version"],
                            "aboutUrl": "{+permalink}"}}


def _value_cells(value: Value | None) -> dict[str, Any]:
    if value is None:
        return {"value": "", "kind": "", "low": "", "high": ""}
    return {"value": value.written, "kind": value.kind, "low": value.low or "",
            "high": value.high or ""}


def _log_cells(log: LogEntry) -> dict[str, Any]:
    return {"signature": log.signature, "position": log.position,
            "leaf_index": log.leaf_index, "leaf_hash": log.leaf_hash,
            "checkpoint": log.checkpoint, "checkpoint_url": log.checkpoint_url}


def _when(moment: Any) -> str:
    return str(moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))


def claim_rows(claim: ClaimRecord) -> list[dict[str, Any]]:
    """The claim as recorded, then one row a correction or retraction."""
    base = {"claim_id": claim.id, "permalink": claim.permalink, "figure": claim.figure,
            "unit": claim.unit, "as_of": claim.as_of,
            "as_of_earliest": claim.as_of_earliest.isoformat(),
            "as_of_latest": claim.as_of_latest.isoformat(), "source": claim.source.id,
            "via": ";".join(v.id for v in claim.via), "url": claim.url or "",
            "published": claim.published or "", "quote": claim.quote or "",
            "document_sha256": claim.document_sha256 or ""}
    rows = [{**base, "version": 1, "event": "recorded", "event_id": claim.id,
             **_value_cells(claim.reported), "reason": "", "signer": claim.signer.id,
             "signer_public_key": claim.signer_public_key, **_log_cells(claim.log),
             "recorded_at": _when(claim.recorded_at)}]
    for version, f in enumerate(claim.followups, start=2):
        rows.append({**base, "version": version, "event": f.kind, "event_id": f.id,
                     **_value_cells(f.value), "reason": f.reason, "signer": f.signer,
                     "signer_public_key": "", **_log_cells(f.log),
                     "recorded_at": _when(f.recorded_at)})
    return rows


def _csv(columns: list[Column], rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=[c.name for c in columns], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def package_files(record: Record) -> dict[str, bytes]:
    """The package's files by name."""
    figures = [{"id": f.id, "name": f.name or "", "permalink": f.permalink, "kind": f.kind,
                "unit": f.unit,
                "cumulative": str(f.cumulative).lower(), "integer": str(f.integer).lower(),
                "parts": ";".join(f.parts)} for f in record.figures]
    sources = [{"id": s.id, "name": s.name, "kind": s.kind} for s in record.sources]
    documents = {"datapackage.json": descriptor(record),
                 "claims.csv-metadata.json": csvw_metadata(record)}
    return {"claims.csv": _csv(CLAIM_COLUMNS, [row for c in record.claims
                                               for row in claim_rows(c)]),
            "figures.csv": _csv(FIGURE_COLUMNS, figures),
            "sources.csv": _csv(SOURCE_COLUMNS, sources),
            **{name: (json.dumps(d, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
               for name, d in documents.items()}}


def write_package(record: Record, folder: Path) -> int:
    """Write the package into `folder` (made if missing); the number of files written."""
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{folder} is a file: the datapackage export needs a folder")
    folder.mkdir(parents=True, exist_ok=True)
    files = package_files(record)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return len(files)
