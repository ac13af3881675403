"""Recording one reviewed candidate (`tally extract --interactive`): the line, as the
recorder edited it, checked as `tally import` checks a line, then signed and appended as
`tally report` appends a claim, its quote anchored again in the document."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tally.ledger.errors import InputError
from tally.ledger.importer import parse_line
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.model.inputs import ReportRecord

if TYPE_CHECKING:
    from tally.ledger.application import Appended, Ledger

EDITABLE = ("value", "as_of", "figure")


def edited(line: dict[str, Any], **changes: str | None) -> dict[str, Any]:
    """The candidate with `value`, `as_of` or `figure` changed (the rest is the document's:
    the quote and its anchor are not edited, they are found again when recorded)."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InputError(f"only {', '.join(EDITABLE)} can be edited", field=sorted(unknown)[0])
    return {**line, **changes}


def accept(ledger: Ledger, number: int, line: dict[str, Any], key: KeyPair) -> Appended:
    """Record candidate `number` (its line in `tally extract`'s output) signed by `key`."""
    record = parse_line(number, json.dumps(line, ensure_ascii=False).encode())
    assert isinstance(record, ReportRecord)
    return ledger.report(record, key)
