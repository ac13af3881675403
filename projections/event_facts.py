"""What a claim, a correction or a retraction puts in the read model's rows that needs
nothing but the event itself: its recording time, and its body's fields as the rows hold
them (the as_of's days, the `via` list as canonical JSON, a follow-up's id).

The projector works these out for each event it decodes (`Projector._apply`). A long
catch-up has them worked out beforehand in the worker processes (`event_facts`, run through
`ledger.infra.worker_pool`), for the batch after the one the main process is writing: the
decoding of the stored state and of the body, about 40% of projecting an event, then runs
beside the writing. A worker decodes a state exactly as the main process does
(`envelope.decode_state`); what it does not answer (another type of event, a stub, a state
or a body it cannot read) it leaves as None, and the main process decodes that event itself,
so a refusal names the event as it always did.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple, cast

from tally.ledger.errors import InvalidDateError, InvalidValueError
from tally.ledger.integrity.envelope import decode_state
from tally.ledger.integrity.signing import body_id
from tally.ledger.model.dates import parse_edtf_date
from tally.ledger.model.kinds import FigureKind
from tally.ledger.model.values import DEFAULT_TOLERANCE, Quantity, decimal_text, parse_value
from tally.projections.rows import dumps, interval_columns

RECORDED, CORRECTED, RETRACTED = "claim.recorded", "claim.corrected", "claim.retracted"
# A worker does not know the figure a value is of. It works the value's columns out as if the
# figure were a quantity of the default tolerance, as most are (parsing a value is about 40 us,
# a tenth of projecting a claim); the main process takes them when the figure is one.
ASSUMED_FIGURE = ("quantity", decimal_text(DEFAULT_TOLERANCE))
Columns = dict[str, Any]  # value, value_kind, low, high, low_open, high_open


@lru_cache(maxsize=8192)
def value_columns(written: str, kind: str, tolerance: str, states: str) -> Columns:
    """A value's history columns under a figure's kind, tolerance and states (JSON), from its
    signed written form; small counts repeat a lot, so each distinct one is parsed once
    (callers copy)."""
    parsed = parse_value(written, kind=cast(FigureKind, kind),
                         states=json.loads(states) or None)
    columns: Columns = {"value": parsed.written, "value_kind": parsed.to_dict()["kind"]}
    interval = None
    if isinstance(parsed, Quantity):
        interval = parsed.interval(Decimal(tolerance))
    return columns | interval_columns(interval)


def _assumed(written: str) -> Columns | None:
    try:
        return value_columns(written, *ASSUMED_FIGURE, "[]")
    except InvalidValueError:  # a state, or a value the figure will refuse: the main process's
        return None


class ClaimFacts(NamedTuple):
    recorded: dt.datetime
    figure: str
    value: str  # as written in the body
    as_of: str
    earliest: dt.date
    latest: dt.date
    source: str
    via: str  # canonical JSON list of source ids
    signer: str
    columns: Columns | None = None  # worked out by a worker (see ASSUMED_FIGURE)


class FollowUpFacts(NamedTuple):
    recorded: dt.datetime
    event_id: str
    value: str | None  # a correction's new value as written; None for a retraction
    signer: str
    columns: Columns | None = None


Facts = ClaimFacts | FollowUpFacts


def as_of_dates(text: str, recorded: dt.datetime) -> tuple[dt.date, dt.date]:
    try:
        # An open end ("2022-09/..") runs to the recording date, as when it was appended.
        parsed = parse_edtf_date(text, now=recorded.date())
    except InvalidDateError:
        # Only a writer whose clock ran ahead of the event's timestamp gets here.
        parsed = parse_edtf_date(text, now=dt.date.max)
    return parsed.earliest, parsed.latest


def claim_facts(recorded: dt.datetime, body: Mapping[str, Any]) -> ClaimFacts:
    earliest, latest = as_of_dates(body["as_of"], recorded)
    return ClaimFacts(recorded, body["figure"], body["value"], body["as_of"], earliest, latest,
                      body["source"], dumps(list(body["via"])), body["signer"])


def follow_up_facts(recorded: dt.datetime, signed_body: str, body: Mapping[str, Any],
                    correcting: bool) -> FollowUpFacts:
    return FollowUpFacts(recorded, body_id(signed_body),
                         body["value"] if correcting else None, body["signer"])


def event_facts(events: Sequence[tuple[str, bytes]]) -> list[Facts | None]:
    """Each (topic, stored state)'s facts, or None where the main process must decode the
    event itself (a worker job: see `ledger.infra.worker_pool`)."""
    return [_facts(topic, state) for topic, state in events]


def _facts(topic: str, state: bytes) -> Facts | None:
    if topic not in (RECORDED, CORRECTED, RETRACTED):
        return None
    try:
        stored = decode_state.__wrapped__(state)  # each state once: nothing to keep
        body = json.loads(stored.body)
        if topic == RECORDED:
            claim = claim_facts(stored.recorded, body)
            return claim._replace(columns=_assumed(claim.value))
        follow_up = follow_up_facts(stored.recorded, stored.body, body, topic == CORRECTED)
        if follow_up.value is None:
            return follow_up
        return follow_up._replace(columns=_assumed(follow_up.value))
    except Exception:  # a stub, or anything amiss: the main process decodes it and says
        return None
