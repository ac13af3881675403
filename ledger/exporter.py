"""Export the ledger as JSONL import lines that re-import to an identical ledger.

Every signed line carries its ledger id, signer and signature, so importing it
into a ledger created with the same name and operator key verifies the original
signatures instead of re-signing: the signers (and their revocations) come first in
the file as they came first in the ledger, so later lines find their signers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tally.ledger.application import Ledger
from tally.ledger.evidence.transfer import document_line
from tally.ledger.integrity import disclosure
from tally.ledger.integrity.envelope import Withheld
from tally.ledger.model.events import (
    Case,
    Claim,
    Document,
    Figure,
    Redaction,
    Signer,
    Source,
    Witness,
)


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def _signed(kind: str, body: str, signature: str, keep: tuple[str, ...]) -> dict[str, Any]:
    fields = json.loads(body)
    record: dict[str, Any] = {"type": kind}
    record.update({k: fields[k] for k in keep if k in fields})  # `integer` only when true
    record.update(ledger=fields["ledger"], signer=fields["signer"], signature=signature)
    return record


def report_line(ledger: Ledger, body: str, signature: str) -> dict[str, Any]:
    """A claim's line: a v2 claim's fields opened, with their salts (so the import
    rebuilds the same body); where an order took one down, the signed body itself, with
    what is still disclosed."""
    record = _signed("report", body, signature, _REPORT)
    fields = json.loads(body)
    committed = disclosure.commitments(fields)
    if not committed:
        return record
    disclosed = ledger.disclosures.get(committed.values())
    opened, missing = disclosure.open_body(fields, disclosed)
    record.update({k: opened[k] for k in _REPORT if k in opened})
    if missing:
        record.update(body=body, disclosures=[disclosed[c] for c in committed.values()
                                              if c in disclosed])
    else:
        record["salts"] = {path: disclosure.parse_disclosure(disclosed[c])[0]
                           for path, c in committed.items()}
    return record


_REPORT = ("figure", "value", "as_of", "source", "via", "url", "published", "quote",
           "document_sha256", "anchor")
# the import line type and the body fields it carries, by event type
_LINES: dict[type, tuple[str, tuple[str, ...]]] = {
    Signer.Added: ("signer", ("key_id", "public_key", "name", "role")),
    Signer.Revoked: ("revocation", ("key_id", "reason")),
    Witness.Added: ("witness", ("name", "url", "vkey")),
    Witness.Removed: ("witness-removal", ("name", "reason")),
    Witness.Updated: ("witness-update", ("name", "url")),
    Source.Registered: ("source", ("id", "name", "kind", "key_id")),
    Case.Defined: ("case", ("id", "name", "description", "place", "period")),
    Figure.Defined: ("figure", ("id", "kind", "unit", "cumulative", "parts", "tolerance",
                                "states", "integer", "name", "description")),
    Claim.Corrected: ("correction", ("claim", "value", "reason")),
    Claim.Retracted: ("retraction", ("claim", "reason")),
    Redaction.Ordered: ("redaction", ("claim", "field", "commitments", "reason")),
    Document.Withheld: ("withholding", ("sha256", "reason")),
}


def export_lines(ledger: Ledger) -> Iterator[str]:
    """One JSON line per signer, revocation, witness, source, figure, document, claim,
    correction and retraction, in ledger order: all a ledger created with the same name
    and operator key needs to become this one. The genesis and the operator's own
    registration are not lines: `tally init` makes them, identically."""
    operator = ledger.info().operator_key_id
    withheld = _withheld_claims(ledger)
    for n in ledger.events.all_notifications():
        try:
            event: Any = ledger.events.decode(n)
        except Withheld:  # a claim's event taken down: its order says so, not a line
            continue
        line = _LINES.get(type(event))
        if isinstance(event, Signer.Added) and json.loads(event.body)["key_id"] == operator:
            continue
        if isinstance(event, Redaction.Ordered) and _names(event.body, withheld):
            continue  # a field of a claim whose whole body an order took down since
        if isinstance(event, Document.Archived):
            yield _line(document_line(ledger, event.body, event.signature))
        if isinstance(event, Claim.Recorded):
            yield _line(report_line(ledger, event.body, event.signature))
        if line is not None:
            yield _line(_signed(line[0], event.body, event.signature, line[1]))


def _withheld_claims(ledger: Ledger) -> set[str]:
    """The claims whose whole body an order of the operator took down: their lines, and
    those of the orders that took down a field of them first, are left out (a copy cannot
    recreate them; the order withholding the body is a line, skipped by such a copy)."""
    found = set()
    for n in ledger.events.all_notifications(topics=("claim.redacted",)):
        order = json.loads(ledger.events.decode(n).body)
        if order["field"] == "body":
            found.add(str(order["claim"]))
    return found


def _names(order_body: str, withheld: set[str]) -> bool:
    order = json.loads(order_body)
    return order["field"] != "body" and order["claim"] in withheld
