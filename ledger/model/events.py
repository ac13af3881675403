"""The ledger's aggregates and their past-tense events, as the event store keeps them.

Every event holds exactly a signed body and its signature (and the library's
id, version and recording time); each aggregate derives its state from the
bodies, never from unsigned fields. Event types carry Tally's own names
(`TOPIC`, e.g. `claim.recorded`), which is what the store persists.

Registered entities (the genesis, signers, sources, figures) have ids derived
from their names, so a second definition lands on the same aggregate. A claim's
id is derived from its signed body, so appending the same body twice is a no-op.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate as Aggregate
from eventsourcing.domain import event
from eventsourcing.utils import get_topic

from tally.ledger.integrity.signing import body_id, body_uuid

# re-exported: the ledger's modules import them from here, with the aggregates
from tally.ledger.model.identity import GENESIS_ID as GENESIS_ID
from tally.ledger.model.identity import NAMESPACE as NAMESPACE
from tally.ledger.model.identity import as_uuid as as_uuid
from tally.ledger.model.identity import redaction_uuid as redaction_uuid
from tally.ledger.model.kinds import FigureKind, Role, SourceKind


def registry_uuid(kind: str, name: str) -> UUID:
    """The aggregate id of a registered entity: stable, derived from kind and name."""
    return uuid5(NAMESPACE, f"{kind}:{name}")


class Genesis(Aggregate):
    """The ledger itself: created once, it records the operator's key, the trust root."""

    @staticmethod
    def create_id() -> UUID:
        return GENESIS_ID

    class Created(Aggregate.Created):
        TOPIC = "ledger.created"
        class_version = 1
        body: str
        signature: str

    @event(Created)
    def __init__(self, body: str, signature: str) -> None:
        fields = json.loads(body)
        self.origin: str = fields["origin"]
        self.ledger_id: str = fields["ledger"]
        self.operator_public_key: str = fields["operator_public_key"]


class Signer(Aggregate):
    """An Ed25519 key allowed to sign; registered and revoked by the operator."""

    @staticmethod
    def create_id(body: str) -> UUID:
        return registry_uuid("signer", json.loads(body)["key_id"])

    class Added(Aggregate.Created):
        TOPIC = "signer.added"
        class_version = 1
        body: str
        signature: str

    class Revoked(Aggregate.Event):
        TOPIC = "signer.revoked"
        class_version = 1
        body: str
        signature: str

    @event(Added)
    def __init__(self, body: str, signature: str) -> None:
        fields = json.loads(body)
        self.key_id: str = fields["key_id"]
        self.name: str = fields["name"]
        self.public_key: str = fields["public_key"]
        self.role: Role = fields["role"]
        self.revoked = False

    @event(Revoked)
    def revoke(self, body: str, signature: str) -> None:
        self.revoked = True

    @property
    def is_operator(self) -> bool:
        return self.role == "operator"


class Source(Aggregate):
    """Who said it: an outlet, an official body, an NGO, a person."""

    @staticmethod
    def create_id(body: str) -> UUID:
        return registry_uuid("source", json.loads(body)["id"])

    class Registered(Aggregate.Created):
        TOPIC = "source.registered"
        class_version = 1
        body: str
        signature: str

    @event(Registered)
    def __init__(self, body: str, signature: str) -> None:
        fields = json.loads(body)
        self.source_id: str = fields["id"]
        self.name: str = fields["name"]
        self.kind: SourceKind = fields["kind"]
        self.key_id: str | None = fields["key_id"]


class Figure(Aggregate):
    """A tracked fact with a stable slug id, a kind, and what is known of its shape."""

    @staticmethod
    def create_id(body: str) -> UUID:
        return registry_uuid("figure", json.loads(body)["id"])

    class Defined(Aggregate.Created):
        TOPIC = "figure.defined"
        class_version = 1
        body: str
        signature: str

    @event(Defined)
    def __init__(self, body: str, signature: str) -> None:
        fields = json.loads(body)
        self.figure_id: str = fields["id"]
        self.kind: FigureKind = fields["kind"]
        self.unit: str = fields["unit"]
        self.integer: bool = fields.get("integer", False)
        self.cumulative: bool = fields["cumulative"]
        self.parts: list[str] = list(fields["parts"])
        self.tolerance: str = fields["tolerance"]
        self.states: list[str] = list(fields["states"])
        self.name: str | None = fields.get("name")
        self.description: str | None = fields.get("description")

    def definition(self) -> dict[str, Any]:
        return {
            "figure_id": self.figure_id,
            "kind": self.kind,
            "unit": self.unit,
            "cumulative": self.cumulative,
            "parts": list(self.parts),
            "tolerance": self.tolerance,
            "states": list(self.states),
            "integer": self.integer,
            "name": self.name,
            "description": self.description,
        }


class Claim(Aggregate):
    """One report of one figure by one source, signed; never edited, only corrected or retracted."""

    # Format v2: the disclosures of a new claim's commitments. Not an event field: the
    # journal stores them beside the event (`infra.disclosure_store`), never in its state.
    disclosures: tuple[str, ...] = ()

    @staticmethod
    def create_id(body: str) -> UUID:
        return body_uuid(body)

    class Recorded(Aggregate.Created):
        TOPIC = "claim.recorded"
        class_version = 1
        body: str
        signature: str

    class Corrected(Aggregate.Event):
        TOPIC = "claim.corrected"
        class_version = 1
        body: str
        signature: str

    class Retracted(Aggregate.Event):
        TOPIC = "claim.retracted"
        class_version = 1
        body: str
        signature: str

    @event(Recorded)
    def __init__(self, body: str, signature: str) -> None:
        fields = json.loads(body)
        self.body = body
        self.signature = signature
        self.figure: str = fields["figure"]
        self.signer: str = fields["signer"]
        self.value: str = fields["value"]
        self.retracted = False
        self.followups: list[str] = []

    @event(Corrected)
    def correct(self, body: str, signature: str) -> None:
        self.value = json.loads(body)["value"]
        self.followups.append(body_id(body))

    @event(Retracted)
    def retract(self, body: str, signature: str) -> None:
        self.retracted = True
        self.followups.append(body_id(body))

    @property
    def claim_id(self) -> str:
        return self.id.hex


class Document(Aggregate):
    """An archived document: its bytes' hash, how its text was read, and that text's hash.
    The bytes and text sit content-addressed in `ledger.evidence.archive`."""

    @staticmethod
    def create_id(body: str) -> UUID:
        return registry_uuid("document", json.loads(body)["sha256"])

    class Archived(Aggregate.Created):
        TOPIC = "document.archived"
        class_version = 1
        body: str
        signature: str

    class Withheld(Aggregate.Event):
        TOPIC = "document.withheld"
        class_version = 1
        body: str
        signature: str

    @event(Archived)
    def __init__(self, body: str, signature: str) -> None:
        fields = json.loads(body)
        self.body = body
        self.sha256: str = fields["sha256"]
        self.text_sha256: str = fields["text_sha256"]
        self.url: str | None = fields["url"]
        self.withheld = False

    @event(Withheld)
    def withhold(self, body: str, signature: str) -> None:
        self.withheld = True


class Redaction(Aggregate):
    """The operator's order taking down one field of one claim (`redaction_uuid`)."""

    @staticmethod
    def create_id(body: str) -> UUID:
        fields = json.loads(body)
        return redaction_uuid(fields["claim"], fields["field"])

    class Ordered(Aggregate.Created):
        TOPIC = "claim.redacted"
        class_version = 1
        body: str
        signature: str

    @event(Ordered)
    def __init__(self, body: str, signature: str) -> None:
        fields = json.loads(body)
        self.claim: str = fields["claim"]
        self.field: str = fields["field"]
        self.commitments: list[str] = list(fields["commitments"])


class Case(Aggregate):
    """A case: the first segment of its figures' ids, with a name, a description, a place
    and a period."""

    @staticmethod
    def create_id(body: str) -> UUID:
        return registry_uuid("case", json.loads(body)["id"])

    class Defined(Aggregate.Created):
        TOPIC = "case.defined"
        class_version = 1
        body: str
        signature: str

    @event(Defined)
    def __init__(self, body: str, signature: str) -> None:
        fields = json.loads(body)
        self.case_id: str = fields["id"]
        self.definition: tuple[str, str, str, str] = (
            fields["name"], fields["description"], fields["place"], fields["period"])


class Witness(Aggregate):
    """A witness the operator configured: its name, submission URL and cosigning vkey."""

    @staticmethod
    def create_id(body: str) -> UUID:
        return registry_uuid("witness", json.loads(body)["name"])

    class Added(Aggregate.Created):
        TOPIC = "witness.added"
        class_version = 1
        body: str
        signature: str

    class Removed(Aggregate.Event):
        TOPIC = "witness.removed"
        class_version = 1
        body: str
        signature: str

    class Updated(Aggregate.Event):
        TOPIC = "witness.updated"
        class_version = 1
        body: str
        signature: str

    @event(Added)
    def __init__(self, body: str, signature: str) -> None:
        fields = json.loads(body)
        self.name: str = fields["name"]
        self.url: str = fields["url"]
        self.vkey: str = fields["vkey"]
        self.removed: str | None = None  # the removal's reason
        self.bodies: set[str] = {body}  # what it recorded: a signed line read back is a no-op

    @event(Removed)
    def remove(self, body: str, signature: str) -> None:
        self.removed = json.loads(body)["reason"]
        self.bodies.add(body)

    @event(Updated)
    def update(self, body: str, signature: str) -> None:
        self.url = json.loads(body)["url"]
        self.bodies.add(body)


# The event store persists these names (see ledger.infra.eventstore); never a Python path.
EVENT_TYPES: dict[str, tuple[type[Aggregate.Event], type[Aggregate]]] = {
    cls.TOPIC: (cls, aggregate)
    for aggregate, classes in (
        (Genesis, (Genesis.Created,)),
        (Signer, (Signer.Added, Signer.Revoked)),
        (Source, (Source.Registered,)),
        (Figure, (Figure.Defined,)),
        (Claim, (Claim.Recorded, Claim.Corrected, Claim.Retracted)),
        (Document, (Document.Archived, Document.Withheld)),
        (Redaction, (Redaction.Ordered,)),
        (Witness, (Witness.Added, Witness.Removed, Witness.Updated)),
        (Case, (Case.Defined,)),
    )
    for cls in classes
}


def type_name(cls: type[Aggregate.Event]) -> str:
    return str(cls.TOPIC)  # type: ignore[attr-defined]


# A created event names its aggregate's class the library's way (the library builds the
# aggregate from it); this is the only place such a path is made, and it is never stored.
CREATED_TOPICS: dict[str, str] = {
    name: get_topic(aggregate) for name, (cls, aggregate) in EVENT_TYPES.items()
    if issubclass(cls, Aggregate.Created)
}
CLAIM_TOPIC = get_topic(Claim)
