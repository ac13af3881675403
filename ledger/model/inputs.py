"""Input records, validated with pydantic: one model per JSONL line type and per command.

The same models check `tally report` arguments and import lines, so a value that
is refused on the command line is refused in a file, with the same message.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from tally.ledger.model.kinds import FigureKind, MediaType, SourceKind
from tally.ledger.model.text import REFUSED, code_point, hidden_character

SLUG = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
FIGURE_ID = r"^[a-z0-9][a-z0-9_.-]*(/[a-z0-9][a-z0-9_.-]*)*$"
KEY_ID = r"^[0-9a-f]{16}$"
HEX64 = r"^[0-9a-f]{64}$"
SIGNATURE = r"^[0-9a-f]{128}$"
LEDGER_ID = r"^[0-9a-f]{32}$"
TOLERANCE = r"^0(\.[0-9]{1,6})?$|^1$"
# What each pattern means, in the words a refusal uses (`ledger.model.input_errors`)
PATTERN_MEANINGS = {
    SLUG: "must be lowercase letters, digits, '.', '_' or '-' (starting with a letter or "
          "digit, at most 64), e.g. hromadske",
    FIGURE_ID: "must be lowercase letters, digits, '.', '_' or '-' in parts separated by '/', "
               "e.g. izium/burial-site/bodies-exhumed",
    KEY_ID: "must be a key id, 16 hex digits (0-9, a-f), as 'tally signers list' shows",
    HEX64: "must be 64 hex digits (0-9, a-f), e.g. the output of sha256sum",
    SIGNATURE: "must be 128 hex digits (0-9, a-f), an Ed25519 signature",
    LEDGER_ID: "must be a ledger id, 32 hex digits (0-9, a-f)",
    TOLERANCE: "must be a fraction from 0 to 1 with at most 6 decimals, e.g. 0.05 for 5%",
}

Slug = Annotated[str, StringConstraints(pattern=SLUG, max_length=64)]
FigureId = Annotated[str, StringConstraints(pattern=FIGURE_ID, max_length=200)]
def id_ref_problem(ref: str, what: str, digits: int) -> str | None:
    """Why `ref` cannot name a `what` (its id of `digits` hex digits, or a prefix of at
    least 4), or None: the one prefix rule of every id a command takes (claims and their
    follow-ups, documents)."""
    if not ref or any(c not in "0123456789abcdef" for c in ref.lower()):
        return f"{ref!r} is not a {what}: a {what} is made of hex digits (0-9, a-f)"
    if len(ref) < 4:
        return f"{what} prefix {ref!r} is too short: give at least 4 hex digits"
    if len(ref) > digits:
        return f"{ref!r} is not a {what}: a {what} has {digits} hex digits"
    return None


def claim_ref_problem(ref: str) -> str | None:
    """Why `ref` cannot name a claim (its id, or a prefix of at least 4 hex digits)."""
    return id_ref_problem(ref, "claim id", 32)


def _claim_ref(ref: str) -> str:
    problem = claim_ref_problem(ref)
    if problem is not None:
        raise PydanticCustomError("claim_ref", problem.replace("{", "{{"))
    return ref.lower()


ClaimRef = Annotated[str, AfterValidator(_claim_ref)]
KeyId = Annotated[str, StringConstraints(pattern=KEY_ID)]
Hex64 = Annotated[str, StringConstraints(pattern=HEX64)]
Signature = Annotated[str, StringConstraints(pattern=SIGNATURE)]
Text = Annotated[str, StringConstraints(max_length=1000)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200)]


# C0 controls but tab and newline, DEL and C1: NUL cannot be stored in a PostgreSQL text
# column (the read model would stop at that event), and ESC sequences would reach the
# terminal of whoever runs `tally show`. Escaped in JSON ("\u0000") they pass the
# importer's raw-byte checks, so every text field refuses them here.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def has_control_character(text: str) -> bool:
    """Whether `text` holds a character no text of the ledger may hold (also used for the
    signer and ledger names, which are not records)."""
    return _CONTROL.search(text) is not None


def name_problem(text: str) -> str | None:
    """Why `text` cannot be a name (of a source, signer or ledger, or a unit), or None.

    Quotes and reasons may hold newlines and bidi marks, which the CLI shows escaped; a
    name may not, so that two names that look the same on screen are the same name."""
    found = hidden_character(text)
    return None if found is None else f"must not contain {REFUSED} (found {code_point(found)})"


def _visible_name(value: str | None) -> str | None:
    if value is None:  # an optional name not given
        return None
    problem = name_problem(value)
    if problem is not None:
        raise PydanticCustomError("hidden_character", problem.replace("{", "{{"))
    return value


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and has_control_character(text):
                raise PydanticCustomError(
                    "control_character", "control characters such as NUL or ESC are not allowed")
        return value


class _Signed(_Record):
    ledger: Annotated[str, StringConstraints(pattern=LEDGER_ID)] | None = None
    signer: KeyId | None = None
    signature: Signature | None = None


class SourceRecord(_Signed):
    type: Literal["source"] = "source"
    id: Slug
    name: ShortText
    kind: SourceKind
    key_id: KeyId | None = None

    _visible_name = field_validator("name", mode="after")(_visible_name)


class CaseRecord(_Signed):
    """A case's definition: `id` is the first segment of its figures' ids."""

    type: Literal["case"] = "case"
    id: Slug
    name: ShortText
    description: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    place: ShortText
    period: Annotated[str, StringConstraints(min_length=1, max_length=64)]

    _visible_names = field_validator("name", "place", mode="after")(_visible_name)


class FigureRecord(_Signed):
    type: Literal["figure"] = "figure"
    id: FigureId
    kind: FigureKind = "quantity"
    unit: Annotated[str, StringConstraints(min_length=1, max_length=32)] = "count"
    cumulative: bool = False
    parts: list[FigureId] = Field(default_factory=list, max_length=100)
    tolerance: Annotated[str, StringConstraints(pattern=TOLERANCE)] = "0.05"
    states: list[Slug] = Field(default_factory=list, max_length=100)
    integer: bool = False  # counts things: whole numbers only
    name: ShortText | None = None  # what a reader calls it
    description: Annotated[str, StringConstraints(min_length=1, max_length=1000)] | None = None

    _visible_unit = field_validator("unit", "name", mode="after")(_visible_name)

    @field_validator("parts", "states", mode="after")
    @classmethod
    def _each_once(cls, items: list[str]) -> list[str]:
        # a part listed twice would be counted twice in the sum its figure is checked against
        seen: set[str] = set()
        for item in items:
            if item in seen:
                raise PydanticCustomError(
                    "duplicate", "{item} is listed more than once", {"item": item})
            seen.add(item)
        return items



def _web_address(url: str) -> str:
    """An absolute http or https URL with a host: where a reader can find the report."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or " " in url:
        raise PydanticCustomError(
            "url", "must be an absolute http or https URL, e.g. https://example.org/news/1")
    return url


class ReportRecord(_Signed):
    type: Literal["report"] = "report"
    figure: FigureId
    value: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    as_of: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    source: Slug
    via: list[Slug] = Field(default_factory=list, max_length=20)
    url: Annotated[str, StringConstraints(max_length=2048), AfterValidator(_web_address)] | None = (
        None)
    published: Annotated[str, StringConstraints(max_length=64)] | None = None
    quote: Text | None = None
    document_sha256: Hex64 | None = None
    # With an archived document: which occurrence of the quote (from 1), or the anchor an
    # export wrote (its position is taken, and the whole anchor must come out the same)
    occurrence: int | None = Field(default=None, ge=1)
    anchor: dict[str, Any] | None = None
    # Format v2, a line signed elsewhere: the salt of each committed field
    # (`ledger.integrity.disclosure`), as `tally export` writes them. Absent: a v1 body.
    salts: dict[Annotated[str, StringConstraints(max_length=32)],
                Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]] | None = None
    # Format v2, a line whose fields an order took down (`tally export` writes it): the
    # signed body itself, and the disclosures still held. The fields above are then only
    # for people; the body is what is checked and stored.
    body: Annotated[str, StringConstraints(max_length=60000)] | None = None
    disclosures: list[Annotated[str, StringConstraints(max_length=3000)]] | None = Field(
        default=None, max_length=5)
    # review notes written by `tally extract`: ignored, never signed
    candidate: dict[str, Any] | None = None

    @field_validator("figure", mode="before")
    @classmethod
    def _figure_chosen(cls, value: object) -> object:
        if value is None:
            raise ValueError("is null: choose the figure this candidate reports (its "
                             "candidate.suggestions lists close ones) before importing")
        return value

    @model_validator(mode="after")
    def _chain_without_repeats(self) -> ReportRecord:
        # a source cannot pass on what it said itself, nor a hop be passed through twice
        for hop in self.via:
            if hop == self.source:
                raise PydanticCustomError(
                    "via", "via names the source {source} itself: list only the sources it "
                    "came through", {"source": hop})
        if len(set(self.via)) != len(self.via):
            raise PydanticCustomError("via", "via lists a source more than once")
        return self


# The largest document the archive takes, its bytes as base64, and a bound on its text
# (generous: a compressed PDF or WARC may read to more characters than it has bytes)
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
MAX_DOCUMENT_BASE64 = 4 * -(-MAX_DOCUMENT_BYTES // 3)
MAX_DOCUMENT_TEXT = 2 * MAX_DOCUMENT_BYTES


class DocumentRecord(_Signed):
    """An archived document as `export` writes it: the signed `document.archived` fields,
    its bytes (`data`, standard base64) and its normalised text (`text`: a newer reader may
    read the bytes differently, and the signed `text_sha256` holds this text)."""

    type: Literal["document"] = "document"
    sha256: Hex64
    media_type: MediaType
    url: Annotated[str, StringConstraints(max_length=2048)] | None = None
    retrieved: Annotated[str, StringConstraints(max_length=64)] | None = None
    source: Slug | None = None
    extractor: ShortText
    extractor_version: ShortText
    text_sha256: Hex64
    # null, both, for a document an operator's order withheld (a signed line, followed in
    # its file by that order)
    data: Annotated[str, StringConstraints(max_length=MAX_DOCUMENT_BASE64)] | None
    text: Annotated[str, StringConstraints(min_length=1, max_length=MAX_DOCUMENT_TEXT)] | None


class CorrectionRecord(_Signed):
    type: Literal["correction"] = "correction"
    claim: ClaimRef
    value: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class RetractionRecord(_Signed):
    type: Literal["retraction"] = "retraction"
    claim: ClaimRef
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class SignerRecord(_Signed):
    """A signer registration (signed by the operator key), as `tally export` writes it."""

    type: Literal["signer"] = "signer"
    key_id: KeyId | None = None  # derived from the key; checked when given
    public_key: Hex64
    name: ShortText
    role: Literal["signer", "operator"] = "signer"

    _visible_name = field_validator("name", mode="after")(_visible_name)


class RevocationRecord(_Signed):
    """A signer's revocation (signed by the operator key)."""

    type: Literal["revocation"] = "revocation"
    key_id: KeyId
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class WitnessRecord(_Signed):
    """A witness the operator asks to cosign checkpoints (checked as the statement is)."""

    type: Literal["witness"] = "witness"
    name: ShortText
    url: Annotated[str, StringConstraints(min_length=1, max_length=2048)]
    vkey: Annotated[str, StringConstraints(min_length=1, max_length=400)]


class WitnessRemovalRecord(_Signed):
    """The operator's removal of a configured witness: it is no longer asked to cosign."""

    type: Literal["witness-removal"] = "witness-removal"
    name: ShortText
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class WitnessUpdateRecord(_Signed):
    """A configured witness's new submission URL."""

    type: Literal["witness-update"] = "witness-update"
    name: ShortText
    url: Annotated[str, StringConstraints(min_length=1, max_length=2048)]


MAX_WITHHELD_EVENTS = 1000  # a claim's events one order may withhold: it and its follow-ups


class RedactionRecord(_Signed):
    """The operator's order taking down a v2 claim's quote (with its anchor's text) or URL,
    or the whole body of a claim of either format and of its follow-ups (`body`)."""

    type: Literal["redaction"] = "redaction"
    claim: ClaimRef
    field: Literal["quote", "url", "body"]
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    # as `tally export` writes a signed order: checked against the claim's
    commitments: list[Hex64] | None = Field(default=None, max_length=MAX_WITHHELD_EVENTS)


class WithholdingRecord(_Signed):
    """The operator's order taking down an archived document's bytes and text."""

    type: Literal["withholding"] = "withholding"
    sha256: Hex64
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


Record = Annotated[
    SourceRecord | FigureRecord | ReportRecord | CorrectionRecord | RetractionRecord
    | SignerRecord | RevocationRecord | WitnessRecord | WitnessRemovalRecord
    | WitnessUpdateRecord | DocumentRecord | RedactionRecord | WithholdingRecord | CaseRecord,
    Field(discriminator="type"),
]
RECORD = TypeAdapter(Record)
