"""Tally's read side: SQLAlchemy read models rebuilt from the ledger's events.

`readmodel.ReadModel(ledger).attach()` keeps the `tally_view_*` tables caught up after
every write; its queries (`reader.Views`) return the pydantic models of
`projections.models`, the stable JSON shapes the CLI prints. Nothing is imported here:
a read command that finds the tables caught up loads `reader` alone, not the write side
`readmodel` needs (see `reader.open_views`).
"""
