"""Export the ledger as JSONL import lines that re-import to an identical ledger.

Every signed line carries its ledger id, signer and signature, so importing it
into a ledger created with the same name and operator key (and the same signers
registered) verifies the original signatures instead of re-signing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ledger.application import Ledger
from ledger.domain import Claim, Figure, Source


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def _signed(kind: str, body: str, signature: str, keep: tuple[str, ...]) -> dict[str, Any]:
    fields = json.loads(body)
    record: dict[str, Any] = {"type": kind}
    record.update({k: fields[k] for k in keep})
    record.update(ledger=fields["ledger"], signer=fields["signer"], signature=signature)
    return record


_REPORT = ("figure", "value", "as_of", "source", "via", "url", "published", "quote",
           "document_sha256")


def export_lines(ledger: Ledger) -> Iterator[str]:
    """One JSON line per source, figure, claim, correction and retraction, in ledger order."""
    start = 1
    while True:
        batch = ledger.notifications(start, 1000)
        for n in batch:
            event = ledger.app.mapper.to_domain_event(n)
            if isinstance(event, Source.Registered):
                yield _line({"type": "source", "id": event.source_id, "name": event.name,
                             "kind": event.kind, "key_id": event.key_id})
            elif isinstance(event, Figure.Defined):
                yield _line({"type": "figure", "id": event.figure_id, "kind": event.kind,
                             "unit": event.unit, "cumulative": event.cumulative,
                             "parts": event.parts, "tolerance": event.tolerance,
                             "states": event.states})
            elif isinstance(event, Claim.Recorded):
                yield _line(_signed("report", event.body, event.signature, _REPORT))
            elif isinstance(event, Claim.Corrected):
                yield _line(_signed("correction", event.body, event.signature,
                                    ("claim", "value", "reason")))
            elif isinstance(event, Claim.Retracted):
                yield _line(_signed("retraction", event.body, event.signature,
                                    ("claim", "reason")))
        if len(batch) < 1000:
            return
        start = batch[-1].id + 1
