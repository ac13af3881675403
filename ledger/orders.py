"""The operator's take-down orders (format v2): redact a claim's quote or URL, withhold an
archived document. Each is a signed event in the log; the value itself then leaves the
database (`Disclosures.erase`, `Archive.erase`) while every signature, leaf and proof
stays valid, because what was signed and logged is the commitment or the hash.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import text

from tally.ledger.errors import InputError
from tally.ledger.handlers import Context, Deferred, operator_signed
from tally.ledger.infra.disclosure_store import scrub
from tally.ledger.infra.storage import writing
from tally.ledger.integrity import disclosure, envelope, merkle
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.lookups import Lookups
from tally.ledger.model.bodies import redaction_body, withholding_body
from tally.ledger.model.events import Document, Redaction
from tally.ledger.model.inputs import RedactionRecord, WithholdingRecord

if TYPE_CHECKING:
    from tally.ledger.bootstrap import Collaborators
    from tally.ledger.infra.eventstore import EventStore


def field_commitments(claim_id: str, claim_body: str, field: str) -> list[str]:
    """The commitments a redaction of `field` takes down: InputError if there are none (a
    claim signed before format v2, or one without that field)."""
    committed = disclosure.commitments(json.loads(claim_body))
    found = [committed[p] for p in disclosure.FIELDS[field] if p in committed]
    if not found:
        raise InputError(
            f"claim {claim_id} has no committed {field}: it has none, or it was signed "
            "before format v2, whose fields can only come down with the whole claim "
            "(--field body)",
            field="field")
    return found


def claim_leaves(events: EventStore, claim_id: str) -> dict[str, Stub]:
    """The leaf hash (hex) of each stored event of a claim, with what withholding its body
    writes in its place (`body` None for one withheld already)."""
    uuid = UUID(hex=claim_id)
    found: dict[str, Stub] = {}
    for _, version, type_name, state in sorted(events.aggregate_events([uuid]).get(uuid, [])):
        try:
            stored = envelope.decode_state(state)
        except envelope.Withheld as w:
            found[w.leaf_hash.hex()] = Stub(version, None, w.leaf_hash)
            continue
        leaf = merkle.leaf_hash(envelope.leaf_from(type_name, claim_id, version, stored,
                                                   envelope.state_sha256(state)))
        found[leaf.hex()] = Stub(version, stored.body, leaf)
    return found


@dataclass(frozen=True)
class Stub:
    """One event of a claim whose body an order withholds: its version, its body while the
    database still holds it, and what its stub keeps."""

    version: int
    body: str | None
    leaf_hash: bytes

    def state(self) -> bytes:
        return envelope.encode_stub(self.leaf_hash)


def withhold_bodies(parts: Collaborators, claim_id: str, leaves: Collection[str]) -> None:
    """Replace the claim's events of these leaf hashes by their stubs, erase their v2
    disclosures, and rewrite the database so that no byte of them is left (the order that
    names them is in the log already; run again, this finishes what a crash cut short)."""
    held = [stub for leaf, stub in claim_leaves(parts.events, claim_id).items()
            if leaf in leaves and stub.body is not None]
    if not held:
        return
    with parts.events.errors(), writing(parts.engine) as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("PRAGMA secure_delete = ON"))
        parts.events.rows.replace_states(conn, UUID(hex=claim_id),
                                         {stub.version: stub.state() for stub in held})
    parts.disclosures.erase([c for stub in held if stub.body is not None
                             for c in disclosure.commitments(json.loads(stub.body)).values()])
    scrub(parts.engine, parts.store.events_table)


def redact_claim(lookups: Lookups, ctx: Context, commitments: list[str],
                 record: RedactionRecord, key: KeyPair | None, defer: Deferred | None = None
                 ) -> tuple[list[str], Redaction | None]:
    """The commitments to erase (for the field `body`, the leaf hashes of the claim's events
    whose bodies go), and the order (None when this field was redacted already: erasing
    again is harmless, and finishes an erasure a crash interrupted, of what that order
    names). `record.claim` is the claim's full id; `commitments` what its field has now
    (`field_commitments`, `claim_leaves`)."""
    if record.commitments is not None and sorted(record.commitments) != sorted(commitments):
        raise InputError(f"the order's commitments are not those of the claim's "
                         f"{record.field}", field="commitments")
    existing = lookups.find_redaction(record.claim, record.field)
    if existing is not None:
        return existing.commitments, None
    body, signature = operator_signed(
        lookups, ctx, record, key,
        lambda s: redaction_body(ctx.ledger_id, s, record, commitments), defer,
        "take-down orders")
    order = Redaction(body=body, signature=signature)
    lookups.stage(order)
    return commitments, order


def withhold_document(lookups: Lookups, ctx: Context, record: WithholdingRecord,
                      key: KeyPair | None, defer: Deferred | None = None) -> Document | None:
    """The document with its withholding pending, or None when it is withheld already."""
    document = lookups.find_document(record.sha256)
    if document is None:
        raise InputError(f"document {record.sha256} is not archived in this ledger",
                         field="sha256")
    if document.withheld:
        return None
    body, signature = operator_signed(
        lookups, ctx, record, key, lambda s: withholding_body(ctx.ledger_id, s, record),
        defer, "take-down orders")
    document.withhold(body=body, signature=signature)
    return document


def taken_down(events: Iterable[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """The commitments and the documents that these (type, signed body) events order taken
    down (events checked already: a replica erases what the site's orders name)."""
    commitments: list[str] = []
    documents: list[str] = []
    for type_name, body in events:
        if type_name == "claim.redacted":
            commitments.extend(json.loads(body)["commitments"])
        elif type_name == "document.withheld":
            documents.append(json.loads(body)["sha256"])
    return commitments, documents


def withheld_bodies(orders: Iterable[str]) -> Iterator[tuple[str, list[str]]]:
    """(claim id, leaf hashes) of each of these checked `claim.redacted` bodies that
    withholds a claim's whole body (a replica erases what the site's orders name)."""
    for body in orders:
        order = json.loads(body)
        if order["field"] == "body":
            yield str(order["claim"]), list(order["commitments"])
