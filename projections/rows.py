"""Conversions between table rows and the pure facts the rules use.

Intervals are stored as decimal strings with open/closed flags, JSON lists as
canonical text, timestamps as UTC; these helpers are the one place that knows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from tally.ledger.errors import SignatureError, VerificationError
from tally.ledger.infra.event_rows import SignedEvent
from tally.ledger.integrity import signing
from tally.ledger.integrity.disclosure import FIELDS, open_body
from tally.ledger.model.moments import utc as utc
from tally.ledger.model.values import Interval, decimal_text
from tally.projections.rules.claims import Entry, EntryKind, FigureDef

if TYPE_CHECKING:
    from tally.ledger.infra.eventstore import Notification

Row = Mapping[Any, Any]  # a dict, or SQLAlchemy's RowMapping

VALID = "valid"
INVALID = "invalid"
UNKNOWN_SIGNER = "unknown signer"
REVOKED_SIGNER = "revoked signer"


# The signed fields an answer shows that the history table does not copy: each is read
# from the body signed at the row's position (None where a body lacks it).
SIGNED_FIELDS = ("url", "published", "quote", "document_sha256", "reason")
# positions -> their signed events (body, signature, disclosures, orders)
Signed = Callable[[Collection[int]], Mapping[int, SignedEvent]]
# what a committed field shows when its disclosure is missing and no order took it down
UNDISCLOSED = "[not disclosed: run 'tally verify']"
# (events, the position projected before them or None): raises VerificationError on a bad one
EventCheck = Callable[[Sequence["Notification"], int | None], None]
# a position -> (its leaf index, the size of the first checkpoint covering it), from the log
Coverage = Callable[[int], tuple[int | None, int | None]]
# the same for many positions at once (`MerkleLog.coverages`)
Coverages = Callable[[Collection[int]], dict[int, tuple[int | None, int | None]]]


def with_signed(rows: Iterable[Row], signed: Signed) -> list[dict[str, Any]]:
    """History rows completed with their signed body, signature and `SIGNED_FIELDS` (a v2
    body's committed fields opened with their checked disclosures; one taken down by an
    order shows the order, `redacted` lists them)."""
    found = [dict(r) for r in rows]
    events = signed([int(r["position"]) for r in found])
    for row in found:
        event = events.get(int(row["position"]))
        body, signature = (event.body, event.signature) if event else ("", "")
        try:
            fields = json.loads(body) if body else {}
        except ValueError:  # a tampered body: shown as missing, flagged by its signature
            fields = {}
        if not isinstance(fields, dict):
            fields = {}
        redacted: list[dict[str, str]] = []
        if event is not None:
            fields, redacted = opened(fields, event)
        row.update({k: fields.get(k) for k in SIGNED_FIELDS}, body=body, signature=signature,
                   opened=fields, redacted=redacted)
    return found


def opened(fields: dict[str, Any], event: SignedEvent
           ) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """A v2 body's fields with each commitment replaced by its disclosed value, or, where
    an order took it down, by `[redacted on DATE by operator: REASON]` (the orders listed);
    a disclosure that does not match (an insider's edit) shows as withheld from view."""
    try:
        fields, missing = open_body(fields, event.disclosed)
    except VerificationError:
        fields, missing = open_body(fields, {})
    orders = {}
    for recorded, order_body in event.orders:
        order = json.loads(order_body)
        orders[order.get("field")] = {"field": str(order.get("field")),
                                      "reason": str(order.get("reason")),
                                      "recorded": recorded}
    shown: list[dict[str, str]] = []
    for path in missing:
        field = next(f for f, paths in FIELDS.items() if path in paths)
        order = orders.get(field)
        note = (UNDISCLOSED if order is None else
                f"[redacted on {order['recorded'][:10]} by operator: {order['reason']}]")
        # an anchor's context says it once, in its `exact`
        _put(fields, path, "" if path.endswith(("prefix", "suffix")) else note)
        if order is not None and order not in shown:
            shown.append(order)
    return fields, shown


def _put(fields: dict[str, Any], path: str, value: str) -> None:
    *parents, last = path.split(".")
    node = fields
    for part in parents:
        node = node[part]
    node[last] = value


def dumps(value: object) -> str:
    """Canonical JSON text, so equal values are equal strings in every row."""
    if value == []:  # most `via` and `corrections` lists: skip the encoder
        return "[]"
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def str_list(text: str | None) -> list[str]:
    return [str(x) for x in json.loads(text)] if text else []


def _number(d: Decimal | None) -> str | None:
    if d is None:
        return None
    return decimal_text(d)


def interval_columns(i: Interval | None) -> dict[str, Any]:
    """The low/high/low_open/high_open columns; all None for a status or a retraction."""
    if i is None:
        return {"low": None, "high": None, "low_open": None, "high_open": None}
    return {"low": _number(i.low), "high": _number(i.high),
            "low_open": i.low_open, "high_open": i.high_open}


def interval_of(row: Row) -> Interval | None:
    if row["low_open"] is None:
        return None
    low, high = row["low"], row["high"]
    return Interval(None if low is None else Decimal(low), None if high is None else Decimal(high),
                    bool(row["low_open"]), bool(row["high_open"]))


def entry_of(row: Row) -> Entry:
    """A history row as an entry for `claims.fold`."""
    return Entry(
        kind=cast(EntryKind, row["kind"]), claim_id=row["claim_id"], figure=row["figure"],
        position=int(row["position"]), written=row["value"], value_kind=row["value_kind"],
        interval=interval_of(row), as_of=row["as_of"], earliest=row["as_of_earliest"],
        latest=row["as_of_latest"], source=row["source"],
    )


def figure_def(row: Row) -> FigureDef:
    return FigureDef(
        figure_id=row["figure_id"], kind=row["kind"], cumulative=bool(row["cumulative"]),
        parts=tuple(str_list(row["parts"])), tolerance=Decimal(row["tolerance"]),
        unit=row["unit"], states=tuple(str_list(row["states"])),
    )


def signature_status(signer: Row | None, body: str, signature: str, position: int) -> str:
    """Re-verify a signed body against its signer's registered key, as of `position`.

    A key revoked later does not invalidate what it signed before its revocation.
    """
    if signer is None:
        return UNKNOWN_SIGNER
    revoked = signer["revoked_position"]
    if revoked is not None and int(revoked) < position:
        return REVOKED_SIGNER
    try:
        signing.check_signature(bytes.fromhex(signer["public_key"]), body, signature)
    except (SignatureError, ValueError):
        return INVALID
    return VALID
