"""The ledger's aggregates and their past-tense events, as the event store keeps them.

Registered entities (the genesis, signers, sources, figures) have ids derived
from their names, so a second definition lands on the same aggregate. A claim's
id is derived from its signed body, so appending the same body twice is a no-op.
Every signed event keeps the exact canonical body it was signed over.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from ledger.signing import body_uuid

NAMESPACE = uuid5(NAMESPACE_URL, "https://tally.invalid/ledger")
GENESIS_ID = uuid5(NAMESPACE, "genesis")


def as_uuid(ident: UUID | str) -> UUID:
    """An aggregate id as the event store hands it back (typed `UUID | str`) as a UUID."""
    return ident if isinstance(ident, UUID) else UUID(ident)


def registry_uuid(kind: str, name: str) -> UUID:
    """The aggregate id of a registered entity: stable, derived from kind and name."""
    return uuid5(NAMESPACE, f"{kind}:{name}")


class Genesis(Aggregate):
    """The ledger itself: created once, it records the operator's key, the trust root."""

    @staticmethod
    def create_id() -> UUID:
        return GENESIS_ID

    class Created(Aggregate.Created):
        class_version = 1
        origin: str
        ledger_id: str
        operator_public_key: str
        hash_algorithm: str
        signature_algorithm: str
        body: str
        signature: str

    @event(Created)
    def __init__(
        self,
        origin: str,
        ledger_id: str,
        operator_public_key: str,
        hash_algorithm: str,
        signature_algorithm: str,
        body: str,
        signature: str,
    ) -> None:
        self.origin = origin
        self.ledger_id = ledger_id
        self.operator_public_key = operator_public_key
        self.hash_algorithm = hash_algorithm
        self.signature_algorithm = signature_algorithm


class Signer(Aggregate):
    """An Ed25519 key allowed to sign reports; registered and revoked by the operator."""

    @staticmethod
    def create_id(key_id: str) -> UUID:
        return registry_uuid("signer", key_id)

    class Added(Aggregate.Created):
        class_version = 1
        key_id: str
        name: str
        public_key: str
        role: str
        body: str
        signature: str

    class Revoked(Aggregate.Event):
        class_version = 1
        reason: str
        body: str
        signature: str

    @event(Added)
    def __init__(
        self, key_id: str, name: str, public_key: str, role: str, body: str, signature: str
    ) -> None:
        self.key_id = key_id
        self.name = name
        self.public_key = public_key
        self.role = role
        self.revoked = False

    @event(Revoked)
    def revoke(self, reason: str, body: str, signature: str) -> None:
        self.revoked = True

    @property
    def is_operator(self) -> bool:
        return self.role == "operator"


class Source(Aggregate):
    """Who said it: an outlet, an official body, an NGO, a person."""

    @staticmethod
    def create_id(source_id: str) -> UUID:
        return registry_uuid("source", source_id)

    class Registered(Aggregate.Created):
        class_version = 1
        source_id: str
        name: str
        kind: str
        key_id: str | None

    @event(Registered)
    def __init__(self, source_id: str, name: str, kind: str, key_id: str | None) -> None:
        self.source_id = source_id
        self.name = name
        self.kind = kind
        self.key_id = key_id


class Figure(Aggregate):
    """A tracked fact with a stable slug id, a kind, and what is known of its shape."""

    @staticmethod
    def create_id(figure_id: str) -> UUID:
        return registry_uuid("figure", figure_id)

    class Defined(Aggregate.Created):
        class_version = 1
        figure_id: str
        kind: str
        unit: str
        cumulative: bool
        parts: list[str]
        tolerance: str
        states: list[str]

    @event(Defined)
    def __init__(
        self,
        figure_id: str,
        kind: str,
        unit: str,
        cumulative: bool,
        parts: list[str],
        tolerance: str,
        states: list[str],
    ) -> None:
        self.figure_id = figure_id
        self.kind = kind
        self.unit = unit
        self.cumulative = cumulative
        self.parts = list(parts)
        self.tolerance = tolerance
        self.states = list(states)

    def definition(self) -> dict[str, Any]:
        return {
            "figure_id": self.figure_id,
            "kind": self.kind,
            "unit": self.unit,
            "cumulative": self.cumulative,
            "parts": list(self.parts),
            "tolerance": self.tolerance,
            "states": list(self.states),
        }


class Claim(Aggregate):
    """One report of one figure by one source, signed; never edited, only corrected or retracted."""

    @staticmethod
    def create_id(body: str) -> UUID:
        return body_uuid(body)

    class Recorded(Aggregate.Created):
        class_version = 1
        body: str
        signature: str
        value: dict[str, Any]

    class Corrected(Aggregate.Event):
        class_version = 1
        correction_id: str
        body: str
        signature: str
        value: dict[str, Any]

    class Retracted(Aggregate.Event):
        class_version = 1
        retraction_id: str
        body: str
        signature: str

    @event(Recorded)
    def __init__(self, body: str, signature: str, value: dict[str, Any]) -> None:
        fields = json.loads(body)
        self.body = body
        self.signature = signature
        self.figure: str = fields["figure"]
        self.signer: str = fields["signer"]
        self.value = value
        self.retracted = False
        self.followups: list[str] = []

    @event(Corrected)
    def correct(self, correction_id: str, body: str, signature: str, value: dict[str, Any]) -> None:
        self.value = value
        self.followups.append(correction_id)

    @event(Retracted)
    def retract(self, retraction_id: str, body: str, signature: str) -> None:
        self.retracted = True
        self.followups.append(retraction_id)

    @property
    def claim_id(self) -> str:
        return self.id.hex
