"""`tally export --format F` for the interop formats: which module writes each, and where.

A file format goes to `-o FILE` or to the stream it is given; a directory format (the
data package) needs `-o DIR`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from pydantic import BaseModel

from tally.ledger.errors import ExportError
from tally.projections.interop import jsonld
from tally.projections.interop.mapping import Record


class Written(BaseModel):
    """What an export wrote. Keys: `format`, `output` (file or folder; null: stdout),
    `claims`, `files`, `warnings`."""

    format: str
    output: str | None
    claims: int
    files: int
    warnings: list[str] = []


def _jsonld(record: Record) -> str:
    return json.dumps(jsonld.dataset(record), ensure_ascii=False, indent=1) + "\n"


def _datapackage(record: Record, folder: Path) -> int:
    from tally.projections.interop.datapackage import write_package

    return write_package(record, folder)


def _prov(format_: str) -> Callable[[Record], str]:
    def write(record: Record) -> str:
        from tally.projections.interop.provenance_graph import serialize

        return serialize(record, format_)

    return write


TEXT_FORMATS: dict[str, Callable[[Record], str]] = {
    "jsonld": _jsonld, **{f: _prov(f) for f in ("prov-json", "prov-n", "prov-o")}}
FOLDER_FORMATS: dict[str, Callable[[Record, Path], int]] = {"datapackage": _datapackage}
FORMATS = (*TEXT_FORMATS, *FOLDER_FORMATS)


def write_export(format_: str, record: Record, output: Path | None, stream: TextIO) -> Written:
    """Write `record` in `format_` to `output` (or `stream`, for a text format)."""
    if format_ in FOLDER_FORMATS:
        if output is None:
            raise ExportError(f"the {format_} export is a folder: name it with -o DIR")
        files = FOLDER_FORMATS[format_](record, output)
        return Written(format=format_, output=str(output), claims=len(record.claims),
                       files=files)
    if format_ not in TEXT_FORMATS:
        raise ExportError(f"unknown export format {format_!r}: use one of "
                          + ", ".join(("jsonl", "csv", *FORMATS)))
    text = TEXT_FORMATS[format_](record)
    if output is None:
        stream.write(text)
    else:
        output.write_text(text, encoding="utf-8")
    return Written(format=format_, output=None if output is None else str(output),
                   claims=len(record.claims), files=1)
