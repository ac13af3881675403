"""The read model's tables, in the ledger's own database, all prefixed `tally_view_`.

Every row here is derived from the events and can be dropped and rebuilt
(`tally rebuild`). JSON-valued columns hold canonical JSON text (sorted keys)
so that rows compare byte for byte between a live database and a rebuild.
Decimal numbers are kept as their written decimal strings, never as floats.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()


def _ts(name: str) -> Column[dt.datetime]:
    return Column(name, DateTime(timezone=True), nullable=False)


figures = Table(
    "tally_view_figures", metadata,
    Column("figure_id", String(200), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("unit", String(32), nullable=False),
    Column("cumulative", Boolean, nullable=False),
    Column("parts", Text, nullable=False),  # JSON list of figure ids
    Column("tolerance", String(16), nullable=False),
    Column("states", Text, nullable=False),  # JSON list of state names
    Column("position", BigInteger, nullable=False),
)

sources = Table(
    "tally_view_sources", metadata,
    Column("source_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("key_id", String(16)),
    Column("position", BigInteger, nullable=False),
)

signers = Table(
    "tally_view_signers", metadata,
    Column("key_id", String(16), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("public_key", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("revoked_position", BigInteger),
    Column("revoked_reason", Text),
)

# One row per claim, correction and retraction. Follow-ups repeat their claim's
# figure, as_of and source so that a figure's history is one indexed range scan.
history = Table(
    "tally_view_history", metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),  # claim | correction | retraction
    Column("event_id", String(64), nullable=False),  # the claim, correction or retraction id
    Column("claim_id", String(32), nullable=False),
    Column("figure", String(200), nullable=False),
    Column("value", String(80)),  # as written; a status' state; None for a retraction
    Column("value_kind", String(16)),  # a quantity kind, or "status"
    Column("low", String(40)),
    Column("high", String(40)),
    Column("low_open", Boolean),
    Column("high_open", Boolean),
    Column("as_of", String(64), nullable=False),
    Column("as_of_earliest", Date, nullable=False),
    Column("as_of_latest", Date, nullable=False),
    Column("source", String(64), nullable=False),
    Column("via", Text, nullable=False),  # JSON list of source ids
    Column("url", Text),
    Column("published", String(64)),
    Column("quote", Text),
    Column("document_sha256", String(64)),
    Column("reason", Text),
    Column("signer", String(16), nullable=False),
    Column("signature", String(128), nullable=False),
    Column("body", Text, nullable=False),  # the exact signed canonical body
    _ts("recorded_at"),
    Index("ix_tally_view_history_figure_as_of", "figure", "as_of_earliest"),
    Index("ix_tally_view_history_claim", "claim_id"),
)

current = Table(
    "tally_view_current", metadata,
    Column("figure", String(200), primary_key=True),
    Column("claim_id", String(32)),  # None while the figure has no active claim
    Column("value", String(80)),
    Column("value_kind", String(16)),
    Column("low", String(40)),
    Column("high", String(40)),
    Column("low_open", Boolean),
    Column("high_open", Boolean),
    Column("as_of", String(64)),
    Column("position", BigInteger),
    Column("competing", Text, nullable=False),  # JSON list of claim ids
    Column("disputed", Boolean, nullable=False),
    Column("active_claims", Integer, nullable=False),
)

discrepancies = Table(
    "tally_view_discrepancies", metadata,
    Column("id", String(16), primary_key=True),  # hash of kind + sorted claim ids
    Column("kind", String(16), nullable=False),
    Column("figure", String(200), nullable=False, index=True),  # a sum_mismatch: the total
    Column("claim_ids", Text, nullable=False),  # JSON list, sorted
    Column("detail", Text, nullable=False),
)

provenance = Table(
    "tally_view_provenance", metadata,
    Column("claim_id", String(32), primary_key=True),
    Column("figure", String(200), nullable=False),
    Column("source", String(64), nullable=False),
    Column("via", Text, nullable=False),  # JSON list of source ids
    Column("signer", String(16), nullable=False),
    Column("signer_name", String(200), nullable=False),
    Column("signer_role", String(16), nullable=False),
    Column("first_party", Boolean, nullable=False),
    Column("signature_status", String(32), nullable=False),
    Column("document_sha256", String(64)),
    Column("corrections", Text, nullable=False),  # JSON list of correction ids, in order
    Column("retraction_id", String(64)),
    Column("position", BigInteger, nullable=False),
    _ts("recorded_at"),
)

# Every event's position and recorded time, so a `known_at` timestamp maps to the
# last position recorded at or before it without reading the event store.
events = Table(
    "tally_view_events", metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, index=True),
    Column("topic", String(64), nullable=False),
    Column("originator_id", String(32), nullable=False),
)

# Single-row tracking per upstream application, as eventsourcing's own recorders
# keep it: the last notification id whose effects are in the rows above.
tracking = Table(
    "tally_view_tracking", metadata,
    Column("application_name", String(64), primary_key=True),
    Column("notification_id", BigInteger, nullable=False),
)

VIEWS = (figures, sources, signers, history, current, discrepancies, provenance, events)
