"""The bulk import builds claim events directly (not through the aggregates): the stored
events must be exactly those the single commands store for the same lines."""

from __future__ import annotations

import json
from typing import Any

from tally.ledger.application import Ledger
from tally.ledger.importer import import_lines
from tally.ledger.integrity.envelope import decode_state
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.model.inputs import (
    CorrectionRecord,
    FigureRecord,
    ReportRecord,
    RetractionRecord,
    SourceRecord,
)
from tally.projections.readmodel import ReadModel

SOURCE = {"type": "source", "id": "empr", "name": "EMPR", "kind": "media"}
RELAY = {"type": "source", "id": "relay", "name": "Relay", "kind": "media"}
FIGURES = [{"type": "figure", "id": "izium/children", "unit": "bodies", "cumulative": True},
           {"type": "figure", "id": "izium/total", "unit": "bodies", "parts": ["izium/children"]},
           {"type": "figure", "id": "izium/state", "kind": "status",
            "states": ["ongoing", "completed"]}]
REPORTS = [
    {"type": "report", "figure": "izium/total", "value": " ~450 ", "as_of": "2022-09?",
     "source": "empr", "via": ["relay"], "url": "https://x.example/1", "published": "2022-09-30",
     "quote": "«близько 450» \u2028 \"quoted\"", "document_sha256": "ab" * 32},
    {"type": "report", "figure": "izium/children", "value": "5..7",
     "as_of": "2022-09-16/2022-09-23", "source": "empr"},
    {"type": "report", "figure": "izium/state", "value": "ongoing", "as_of": "2022",
     "source": "empr"},
]


def stored(ledger: Ledger, start: int) -> list[tuple[Any, ...]]:
    """Every stored field of the events from `start`, the state without its recording time."""
    out = []
    for n in ledger.events.notifications(start, 100):
        state = json.loads(n.state)
        assert list(state) == ["body", "recorded", "signature"]
        state.pop("recorded")
        out.append((n.originator_id, n.originator_version, n.topic, list(state.items())))
    return out


def test_imported_events_are_the_events_the_commands_store(
    make_ledger: Any, operator: KeyPair, alice: KeyPair
) -> None:
    by_api: Ledger = make_ledger("api.db", operator, [alice])
    by_file: Ledger = make_ledger("file.db", operator, [alice])
    start = by_api.events.max_position() + 1
    assert start == by_file.events.max_position() + 1
    by_api.add_source(SourceRecord(**SOURCE), alice)
    by_api.add_source(SourceRecord(**RELAY), alice)
    for f in FIGURES:
        by_api.define_figure(FigureRecord(**f), alice)
    ids = [by_api.report(ReportRecord(**r), alice).id for r in REPORTS]
    followups = [
        {"type": "correction", "claim": ids[0], "value": "449", "reason": "final count"},
        {"type": "correction", "claim": ids[2], "value": "completed", "reason": "done"},
        {"type": "retraction", "claim": ids[1], "reason": "misattributed"},
        {"type": "retraction", "claim": ids[0], "reason": "withdrawn"},
    ]
    for f in followups:
        if f["type"] == "correction":
            by_api.correct(CorrectionRecord(**f), alice)
        else:
            by_api.retract(RetractionRecord(**f), alice)
    lines = [json.dumps(x, ensure_ascii=False).encode() for x in
             (SOURCE, RELAY, *FIGURES, *REPORTS, *followups)]
    summary = import_lines(by_file, lines, alice)
    assert summary.added == len(lines)
    assert stored(by_file, start) == stored(by_api, start)


def test_the_read_model_reuses_the_states_the_merkle_log_decoded(
    make_ledger: Any, operator: KeyPair, alice: KeyPair
) -> None:
    ledger: Ledger = make_ledger("decoded.db", operator, [alice])
    ReadModel(ledger).attach().catch_up()
    lines = [json.dumps(x, ensure_ascii=False).encode() for x in (SOURCE, RELAY, *FIGURES,
                                                                  *REPORTS)]
    decode_state.cache_clear()
    import_lines(ledger, lines, alice)
    # each appended event decoded once by the log, and found again by the read model
    assert decode_state.cache_info().hits >= len(lines)
    assert decode_state.cache_info().misses <= len(lines) + 1  # the staging's own read
