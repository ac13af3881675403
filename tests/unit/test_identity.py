"""The type names the read side checks stored rows against (`model.identity`, no
eventsourcing) are exactly those of the aggregates' events (`model.events`)."""

from __future__ import annotations

from tally.ledger.model import events, identity


def test_the_type_names_are_the_events_types() -> None:
    assert set(events.EVENT_TYPES) == identity.TYPE_NAMES
    assert events.GENESIS_ID == identity.GENESIS_ID
