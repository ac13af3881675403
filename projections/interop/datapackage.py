"""Frictionless Data Package with CSVW metadata: written in a later commit."""

from __future__ import annotations

from pathlib import Path

from tally.ledger.errors import ExportError
from tally.projections.interop.mapping import Record


def write_package(record: Record, folder: Path) -> int:
    raise ExportError("the datapackage export is not written yet")
