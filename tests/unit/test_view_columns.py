"""What the read model stores fits its columns on every engine: SQLite does not enforce a
VARCHAR's length, PostgreSQL refuses the row (a `possible_conflict` once did)."""

from __future__ import annotations

from sqlalchemy import String

from tally.projections import tables
from tally.projections.rules.figure import KINDS


def test_every_discrepancy_kind_fits_its_column() -> None:
    column = tables.discrepancies.c.kind.type
    assert isinstance(column, String) and column.length is not None
    assert max(len(kind) for kind in KINDS) <= column.length
