"""The signed statements: one pydantic model per event type, the body every event carries.

A body is the RFC 8785 canonical JSON of one of these models. It names its own
event type, the ledger it belongs to and the key id that signs it, so it cannot
be replayed into another ledger, under another type, or credited to another key.
Everything a reader is shown comes from a body: nothing is stored unsigned
beside it but the operator's recording time (see docs/formats.md).

`parse_statement` is strict: the text must be exactly the canonical form of a
valid model, so one statement has one byte string and one id.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from tally.ledger.errors import VerificationError
from tally.ledger.integrity.cosignature import parse_cosigner_vkey
from tally.ledger.integrity.signing import canonical_of_plain
from tally.ledger.model.inputs import MAX_WITHHELD_EVENTS, FigureId, Hex64, KeyId, Slug
from tally.ledger.model.kinds import FigureKind, MediaType, Role, SourceKind
from tally.ledger.model.text import REFUSED, code_point, hidden_character

LedgerId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
ClaimId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
# No control characters in anything a statement names (ids, names, units, reasons…): the
# same rule as the input records, enforced again here because a body may come from anywhere.
_SAFE = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$"


def _visible(text: str) -> str:
    """Names refuse hidden characters (ledger.model.text), as their input records do."""
    found = hidden_character(text)
    if found is not None:
        raise ValueError(f"a name must not contain {REFUSED} (found {code_point(found)})")
    return text


Line = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_visible)]
Written = Annotated[str, StringConstraints(pattern=_SAFE, min_length=1, max_length=80)]
Edtf = Annotated[str, StringConstraints(pattern=_SAFE, min_length=1, max_length=64)]
Reason = Annotated[str, StringConstraints(pattern=_SAFE, min_length=1, max_length=1000)]
Quote = Annotated[str, StringConstraints(pattern=_SAFE, max_length=1000)]
Url = Annotated[str, StringConstraints(pattern=_SAFE, max_length=2048)]
Unit = Annotated[str, StringConstraints(min_length=1, max_length=32), AfterValidator(_visible)]
# `ledger.integrity.disclosure.FIELDS`, and the whole body of the claim's events
RedactableField = Literal["quote", "url", "body"]
Tolerance = Annotated[str, StringConstraints(pattern=r"^0(\.[0-9]{0,5}[1-9])?$|^1$")]


class _Statement(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    ledger: LedgerId
    signer: KeyId


class LedgerCreated(_Statement):
    type: Literal["ledger.created"] = "ledger.created"
    origin: Line
    operator_public_key: Hex64
    hash_algorithm: Literal["sha256"] = "sha256"
    signature_algorithm: Literal["ed25519"] = "ed25519"


class SignerAdded(_Statement):
    type: Literal["signer.added"] = "signer.added"
    key_id: KeyId
    public_key: Hex64
    name: Line
    role: Role


class SignerRevoked(_Statement):
    type: Literal["signer.revoked"] = "signer.revoked"
    key_id: KeyId
    reason: Reason


class SourceRegistered(_Statement):
    type: Literal["source.registered"] = "source.registered"
    id: Slug
    name: Line
    kind: SourceKind
    key_id: KeyId | None


class FigureDefined(_Statement):
    type: Literal["figure.defined"] = "figure.defined"
    id: FigureId
    kind: FigureKind
    unit: Unit
    cumulative: bool
    parts: list[FigureId] = Field(max_length=100)
    tolerance: Tolerance
    states: list[Slug] = Field(max_length=100)
    # A figure that counts things (bodies, graves): whole numbers only. Present, as true,
    # only on such figures: the bodies of every other figure are as before (format v1).
    integer: Literal[True] | None = None
    # What a reader calls it, and what it counts: absent (never null) when not given, so
    # the bodies of unnamed figures are as before (format v1, additive).
    name: Line | None = None
    description: Reason | None = None

    @model_validator(mode="before")
    @classmethod
    def _absent_not_null(cls, data: object) -> object:
        if isinstance(data, dict) and any(
                k in data and data[k] is None for k in ("name", "description")):
            raise ValueError("name and description are absent, never null")
        return data


class CaseDefined(_Statement):
    """A case, the first segment of its figures' ids (`izium`): what a reader calls it, what
    it is about, where and when."""

    type: Literal["case.defined"] = "case.defined"
    id: Slug
    name: Line
    description: Reason
    place: Line
    period: Edtf


class Commitment(BaseModel):
    """Format v2: an erasable value signed as the SHA-256 of its salted disclosure
    (`ledger.integrity.disclosure`)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    commitment: Hex64


class TextQuoteSelector(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    type: Literal["TextQuoteSelector"]
    exact: Annotated[str, StringConstraints(pattern=_SAFE, min_length=1,
                                            max_length=1000)] | Commitment
    prefix: Annotated[str, StringConstraints(pattern=_SAFE, max_length=32)] | Commitment
    suffix: Annotated[str, StringConstraints(pattern=_SAFE, max_length=32)] | Commitment


class TextPositionSelector(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    type: Literal["TextPositionSelector"]
    start: int = Field(ge=0, le=2**31)
    end: int = Field(ge=1, le=2**31)


class Anchor(BaseModel):
    """Where a claim's quote is in its document's normalised text (W3C selectors)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    quote: TextQuoteSelector
    position: TextPositionSelector


class ClaimRecorded(_Statement):
    type: Literal["claim.recorded"] = "claim.recorded"
    figure: FigureId
    value: Written
    as_of: Edtf
    source: Slug
    via: list[Slug] = Field(max_length=20)
    url: Url | Commitment | None
    published: Edtf | None
    quote: Quote | Commitment | None
    document_sha256: Hex64 | None
    # The one member that may be absent (never null): only an anchored quote has it, so
    # the bodies of unanchored claims are what they were before documents existed.
    anchor: Anchor | None = None

    @model_validator(mode="before")
    @classmethod
    def _anchor_absent_not_null(cls, data: object) -> object:
        if isinstance(data, dict) and "anchor" in data and data["anchor"] is None:
            raise ValueError("anchor is absent, never null, when a quote is not anchored")
        return data

    def plain(self) -> dict[str, object]:
        """The body's members: `anchor` only when there is one."""
        return self.model_dump(exclude={"anchor"} if self.anchor is None else set())


class DocumentArchived(_Statement):
    type: Literal["document.archived"] = "document.archived"
    sha256: Hex64
    media_type: MediaType
    url: Url | None
    retrieved: Edtf | None
    source: Slug | None
    extractor: Line
    extractor_version: Line
    text_sha256: Hex64


class ClaimCorrected(_Statement):
    type: Literal["claim.corrected"] = "claim.corrected"
    claim: ClaimId
    value: Written
    reason: Reason


class ClaimRetracted(_Statement):
    type: Literal["claim.retracted"] = "claim.retracted"
    claim: ClaimId
    reason: Reason


class ClaimRedacted(_Statement):
    """The operator's order to take down one erasable field of a v2 claim (its quote, with
    the anchor's text, or its URL): the commitments stay signed, the disclosures go. For
    the field `body` (a claim of either format), the "commitments" are the Merkle leaf
    hashes of the claim's events: the leaves stay logged, the stored events become stubs
    that keep only their leaf hash (`integrity.envelope.Withheld`)."""

    type: Literal["claim.redacted"] = "claim.redacted"
    claim: ClaimId
    field: RedactableField
    commitments: list[Hex64] = Field(min_length=1, max_length=MAX_WITHHELD_EVENTS)
    reason: Reason


class DocumentWithheld(_Statement):
    """The operator's order to take down an archived document's bytes and text."""

    type: Literal["document.withheld"] = "document.withheld"
    sha256: Hex64
    reason: Reason


def _cosigner_vkey(vkey: str) -> str:
    """A witness's C2SP cosignature vkey (type 0x04), its key id checked."""
    try:
        parse_cosigner_vkey(vkey)
    except VerificationError as e:
        raise ValueError(e.message) from None
    if vkey != vkey.strip():
        raise ValueError("a vkey has no surrounding spaces")
    return vkey


WitnessName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
WitnessUrl = Annotated[str, StringConstraints(pattern=r"^https?://[!-~]+$", max_length=2048)]
Vkey = Annotated[str, StringConstraints(max_length=400), AfterValidator(_cosigner_vkey)]


class WitnessAdded(_Statement):
    """A witness the operator asks to cosign this ledger's checkpoints (docs/witnessing.md)."""

    type: Literal["witness.added"] = "witness.added"
    name: WitnessName
    url: WitnessUrl
    vkey: Vkey


class WitnessRemoved(_Statement):
    """The operator's order that a configured witness is no longer asked to cosign."""

    type: Literal["witness.removed"] = "witness.removed"
    name: WitnessName
    reason: Reason


class WitnessUpdated(_Statement):
    """A configured witness's new submission URL (its name and key stay)."""

    type: Literal["witness.updated"] = "witness.updated"
    name: WitnessName
    url: WitnessUrl


Statement = (LedgerCreated | SignerAdded | SignerRevoked | SourceRegistered | FigureDefined
             | ClaimRecorded | ClaimCorrected | ClaimRetracted | WitnessAdded
             | WitnessRemoved | WitnessUpdated | DocumentArchived | ClaimRedacted
             | DocumentWithheld | CaseDefined)
_STATEMENT: TypeAdapter[Statement] = TypeAdapter(
    Annotated[Statement, Field(discriminator="type")])

TYPES: tuple[str, ...] = tuple(
    m.model_fields["type"].default for m in (
        LedgerCreated, SignerAdded, SignerRevoked, SourceRegistered, FigureDefined,
        ClaimRecorded, ClaimCorrected, ClaimRetracted, WitnessAdded,
        WitnessRemoved, WitnessUpdated, DocumentArchived, ClaimRedacted, DocumentWithheld,
        CaseDefined))

def parse_statement(text: str, expected_type: str | None = None) -> Statement:
    """The statement a body holds; VerificationError unless `text` is exactly the canonical
    form of a valid statement (of `expected_type`, when given)."""
    try:
        fields = json.loads(text)
    except ValueError:
        raise VerificationError("the signed body is not JSON") from None
    try:
        statement = _STATEMENT.validate_python(fields)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:]) or "body"
        raise VerificationError(f"the signed body is not a valid statement ({where}: "
                                f"{first['msg']})") from None
    if expected_type is not None and statement.type != expected_type:
        raise VerificationError(
            f"the signed body is a {statement.type!r} statement stored as {expected_type!r}")
    # valid, so its keys are ASCII and its values strings, booleans, nulls and lists of
    # strings: what the fast encoder writes as RFC 8785 does
    if canonical_of_plain(fields) != text:
        raise VerificationError("the signed body is not in canonical form (RFC 8785)")
    return statement
