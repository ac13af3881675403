"""What names a stored event without the aggregates (and so without the eventsourcing
library): the namespace of aggregate ids, the genesis aggregate's id, and the type names
a ledger stores. `model.events` declares the aggregates with these; a unit test checks
that its `EVENT_TYPES` are exactly `TYPE_NAMES`. The read side checks a stored row with
them alone (`infra.event_rows`)."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

NAMESPACE = uuid5(NAMESPACE_URL, "https://tally.invalid/ledger")
GENESIS_ID = uuid5(NAMESPACE, "genesis")

TYPE_NAMES = frozenset({
    "ledger.created", "signer.added", "signer.revoked", "source.registered",
    "figure.defined", "claim.recorded", "claim.corrected", "claim.retracted",
    "document.archived", "witness.added", "claim.redacted", "document.withheld",
    "case.defined", "witness.removed", "witness.updated",
})


def redaction_uuid(claim_id: str, field: str) -> UUID:
    """The aggregate of the one order that may take down a claim's field: derived, so a
    reader finds a claim's orders by id, and a field is redacted once."""
    return uuid5(NAMESPACE, f"redaction:{claim_id}:{field}")


def as_uuid(ident: UUID | str) -> UUID:
    """An aggregate id as the event store hands it back (typed `UUID | str`) as a UUID."""
    return ident if isinstance(ident, UUID) else UUID(ident)
