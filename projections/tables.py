"""The read model's tables, in the ledger's own database, all prefixed `tally_view_`.

Every row here is derived from the events and can be dropped and rebuilt
(`tally rebuild`). JSON-valued columns hold canonical JSON text (sorted keys)
so that rows compare byte for byte between a live database and a rebuild.
Decimal numbers are kept as their written decimal strings, never as floats.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

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

# Raised whenever a table or column, or what its rows mean, changes: the read model then
# rebuilds itself. 6: a contradiction, regression or sum mismatch row is one group of claims,
# not a pair or one total, with its members. 7: the value in force is ranked by its as_of as
# written, before uncertainty widens it (docs/concepts.md). 8: an index on the follow-ups'
# ids (`tally proof` takes them). 9: a figure's `integer` (it counts things). 10: a conflict
# that only the uncertainty of the dates makes is a possible_conflict, not a contradiction;
# each discrepancy member names its figure; a figure's `name` and `description`; the cases.
SCHEMA_VERSION = 10


def _ts(name: str) -> Column[dt.datetime]:
    return Column(name, DateTime(timezone=True), nullable=False)


# A ledger position as the primary key: on SQLite an INTEGER PRIMARY KEY is the rowid
# itself, so the table needs no second index for it (BIGINT would get one).
POSITION_KEY = BigInteger().with_variant(Integer(), "sqlite")

# Tables keyed by text are stored clustered on their key on SQLite (WITHOUT ROWID),
# instead of as a rowid table plus an index repeating every key.
CLUSTERED: dict[str, Any] = {"sqlite_with_rowid": False}


cases = Table(
    "tally_view_cases", metadata,
    Column("case_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("place", String(200), nullable=False),
    Column("period", String(64), nullable=False),
    Column("position", BigInteger, nullable=False),
)

figures = Table(
    "tally_view_figures", metadata,
    Column("figure_id", String(200), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("unit", String(32), nullable=False),
    Column("cumulative", Boolean, nullable=False),
    Column("integer", Boolean, nullable=False),  # counts things: whole numbers only
    Column("name", String(200)),  # what a reader calls it (null: unnamed)
    Column("description", Text),
    Column("parts", Text, nullable=False),  # JSON list of figure ids
    Column("tolerance", String(16), nullable=False),
    Column("states", Text, nullable=False),  # JSON list of state names
    Column("position", BigInteger, nullable=False),
    **CLUSTERED,
)

# Which totals each figure is a part of, so that recomputing a figure finds the totals
# it feeds with one indexed look-up (`figures.parts` is JSON text).
parts = Table(
    "tally_view_parts", metadata,
    Column("part", String(200), primary_key=True),
    Column("total", String(200), primary_key=True),
    **CLUSTERED,
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
# What only an answer shows (url, quote, reason, signature…) is not copied: it is
# read from the signed event at the row's position (`rows.SIGNED_FIELDS`).
history = Table(
    "tally_view_history", metadata,
    Column("position", POSITION_KEY, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),  # claim | correction | retraction
    Column("event_id", String(64)),  # a correction's or retraction's id; None for a claim
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
    Column("signer", String(16), nullable=False),
    _ts("recorded_at"),
    Index("ix_tally_view_history_figure_as_of", "figure", "as_of_earliest"),
    Index("ix_tally_view_history_claim", "claim_id"),
    Index("ix_tally_view_history_event", "event_id"),
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
    **CLUSTERED,
)

# Keyed by figure first: a figure's flags are one range of the clustered table.
discrepancies = Table(
    "tally_view_discrepancies", metadata,
    Column("figure", String(200), primary_key=True),  # a sum_mismatch: the total
    Column("id", String(16), primary_key=True),  # hash of kind + sorted claim ids
    Column("kind", String(32), nullable=False),
    Column("claim_ids", Text, nullable=False),  # JSON list, sorted; a contradiction: its group
    Column("detail", Text, nullable=False),
    # JSON list of {claim, value, source}, one per claim id, in the same order.
    Column("members", Text, nullable=False),
    **CLUSTERED,
)

# What a claim's history rows do not say: whether its source holds the signing key,
# and its follow-ups' ids. (Its signature status is not projected: `tally provenance`
# checks the body as stored against the signer's key on every query.)
provenance = Table(
    "tally_view_provenance", metadata,
    Column("claim_id", String(32), primary_key=True),
    Column("first_party", Boolean, nullable=False),
    Column("corrections", Text, nullable=False),  # JSON list of correction ids, in order
    Column("retraction_id", String(64)),
    **CLUSTERED,
)

# Every event's position and recorded time, so a `known_at` timestamp maps to the
# last position recorded at or before it without reading the event store.
events = Table(
    "tally_view_events", metadata,
    Column("position", POSITION_KEY, primary_key=True, autoincrement=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, index=True),
)

# Figures whose `current` row and flags lag their history rows: a catch-up projects
# batches of events first and re-evaluates each figure they touched once at the end
# (`views.settle`), in transactions of its own. Queries of a figure listed here
# evaluate it from its history instead of reading the lagging rows.
dirty = Table(
    "tally_view_dirty", metadata,
    Column("figure", String(200), primary_key=True),
    **CLUSTERED,
)

# Single-row tracking per upstream application, as eventsourcing's own recorders
# keep it: the last notification id whose effects are in the rows above.
tracking = Table(
    "tally_view_tracking", metadata,
    Column("application_name", String(64), primary_key=True),
    Column("notification_id", BigInteger, nullable=False),
)

schema = Table(
    "tally_view_schema", metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
)

VIEWS = (figures, parts, sources, signers, history, current, discrepancies, provenance, events,
         dirty, cases)
