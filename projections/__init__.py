"""Tally's read side: SQLAlchemy read models rebuilt from the ledger's events.

`ReadModel(ledger).attach()` keeps the `tally_view_*` tables caught up after
every write; its queries return the pydantic models of `projections.models`,
the stable JSON shapes the CLI prints.
"""

from __future__ import annotations

from tally.projections.readmodel import ReadModel

__all__ = ["ReadModel"]
