"""`tally export --format F` for the interop formats: which module writes each, and where.

A file format goes to `-o FILE` or to the stream it is given; a directory format (the
data package) needs `-o DIR`. Each writer returns its text and its warnings.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from pydantic import BaseModel

from tally.ledger.application import Ledger
from tally.ledger.errors import ExportError
from tally.ledger.integrity.signing import KeyPair
from tally.projections.interop.mapping import Record


class Written(BaseModel):
    """What an export wrote. Keys: `format`, `output` (file or folder; null: stdout),
    `claims` (claims exported), `files`, `warnings` (what a format could not say)."""

    format: str
    output: str | None
    claims: int
    files: int
    warnings: list[str] = []


@dataclass(frozen=True)
class Options:
    """What some formats need besides the record: `map_file` (quickstatements); the
    `ledger` and the `operator`'s key (vc: the inclusion proofs, the issuer's signature)."""

    map_file: Path | None = None
    ledger: Ledger | None = None
    operator: KeyPair | None = None


Rendered = tuple[str, list[str], int]  # text, warnings, claims in it


def _jsonld(record: Record, options: Options) -> Rendered:
    from tally.projections.interop.jsonld import dataset

    return json.dumps(dataset(record), ensure_ascii=False, indent=1) + "\n", [], len(
        record.claims)


def _prov(format_: str) -> Callable[[Record, Options], Rendered]:
    def write(record: Record, options: Options) -> Rendered:
        from tally.projections.interop.provenance_graph import serialize

        return serialize(record, format_), [], len(record.claims)

    return write


def _quickstatements(record: Record, options: Options) -> Rendered:
    from tally.projections.interop.quickstatements import commands
    from tally.projections.interop.wikidata_map import read_map

    if options.map_file is None:
        raise ExportError("the quickstatements export needs --map FILE: which Wikidata item "
                          "and property each figure prefix is reported on")
    lines, warnings = commands(record, read_map(options.map_file))
    return "".join(line + "\n" for line in lines), warnings, len(lines)


def _vc(record: Record, options: Options) -> Rendered:
    from tally.ledger.model.moments import iso_utc
    from tally.projections.interop.credentials import credentials

    if options.ledger is None or options.operator is None:
        raise ExportError("the vc export is signed by the operator: its key must be at hand")
    created = iso_utc(options.ledger.clock(), "seconds")
    issued = credentials(record, options.ledger, options.operator, created)
    return json.dumps(issued, ensure_ascii=False, indent=1) + "\n", [], len(issued)


def _datapackage(record: Record, folder: Path) -> int:
    from tally.projections.interop.datapackage import write_package

    return write_package(record, folder)


TEXT_FORMATS: dict[str, Callable[[Record, Options], Rendered]] = {
    "jsonld": _jsonld, **{f: _prov(f) for f in ("prov-json", "prov-n", "prov-o")},
    "quickstatements": _quickstatements, "vc": _vc}
FOLDER_FORMATS: dict[str, Callable[[Record, Path], int]] = {"datapackage": _datapackage}
FORMATS = (*TEXT_FORMATS, *FOLDER_FORMATS)


def check_format(format_: str) -> None:
    """ExportError, in one sentence, for a format no module writes."""
    if format_ not in FORMATS:
        raise ExportError(f"unknown export format {format_!r}: use one of "
                          + ", ".join(("jsonl", "csv", *FORMATS)))


def write_export(format_: str, record: Record, output: Path | None, stream: TextIO,
                 options: Options | None = None) -> Written:
    """Write `record` in `format_` to `output` (or `stream`, for a text format)."""
    check_format(format_)
    if format_ in FOLDER_FORMATS:
        if output is None:
            raise ExportError(f"the {format_} export is a folder: name it with -o DIR")
        files = FOLDER_FORMATS[format_](record, output)
        return Written(format=format_, output=str(output), claims=len(record.claims),
                       files=files)
    text, warnings, claims = TEXT_FORMATS[format_](record, options or Options())
    if output is None:
        stream.write(text)
    else:
        output.write_text(text, encoding="utf-8")
    return Written(format=format_, output=None if output is None else str(output),
                   claims=claims, files=1, warnings=warnings)
