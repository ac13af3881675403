"""Which handler takes each registration and order: one table for the `Ledger`'s commands
and the import (`ledger.importer.validator`); the audit's replay has the same for events
(`ledger.verify.replay.RULES`).

A handler checks a record against the ledger's look-ups with the rules of `ledger.model.policy`
and returns the aggregate whose new events to save, or None when the same thing is
recorded already. A report, a correction, a retraction, a redaction and a document need
more than the record (the claim they refer to, the document's bytes): their handlers,
in `ledger.reports`, `ledger.handlers`, `ledger.orders` and `ledger.evidence.transfer`,
are called by name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tally.ledger.handlers import (
    Context,
    Deferred,
    add_signer,
    add_witness,
    change_witness,
    define_case,
    define_figure,
    define_source,
    revoke_signer,
)
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.lookups import Lookups
from tally.ledger.model.events import Aggregate
from tally.ledger.model.inputs import (
    CaseRecord,
    FigureRecord,
    RevocationRecord,
    SignerRecord,
    SourceRecord,
    WithholdingRecord,
    WitnessRecord,
    WitnessRemovalRecord,
    WitnessUpdateRecord,
)
from tally.ledger.orders import withhold_document

Handler = Callable[[Lookups, Context, Any, KeyPair | None, Deferred | None], Aggregate | None]

HANDLERS: dict[type[Any], Handler] = {
    SourceRecord: define_source,
    FigureRecord: define_figure,
    CaseRecord: define_case,
    SignerRecord: add_signer,
    RevocationRecord: revoke_signer,
    WitnessRecord: add_witness,
    WitnessRemovalRecord: change_witness,
    WitnessUpdateRecord: change_witness,
    WithholdingRecord: withhold_document,
}


def handle(lookups: Lookups, ctx: Context, record: Any, key: KeyPair | None,
           defer: Deferred | None = None) -> Aggregate | None:
    """The record's handler, from `HANDLERS`."""
    return HANDLERS[type(record)](lookups, ctx, record, key, defer)
