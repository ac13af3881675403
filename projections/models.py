"""The JSON shapes of the read side's answers: what `tally ... --json` prints.

These keys are a contract: add keys if you must, never rename or drop one.
Numbers inside values are decimal strings (never floats); dates are ISO
`YYYY-MM-DD`; timestamps are ISO 8601 in UTC; claim ids are 32 hex digits.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class IntervalOut(_Out):
    """Keys: `low`, `high` (decimal strings; null = unbounded), `low_open`, `high_open`."""

    low: str | None
    high: str | None
    low_open: bool
    high_open: bool


class ValueOut(_Out):
    """Keys: `written` (as written: "447", ">=440", "~450", "completed"), `kind` (exact,
    at_least, more_than, at_most, fewer_than, about, range, or status), `interval`
    (IntervalOut; null for a status)."""

    written: str
    kind: str
    interval: IntervalOut | None


class AsOfOut(_Out):
    """Keys: `text` (EDTF as written), `earliest`, `latest` (the days it may mean)."""

    text: str
    earliest: dt.date
    latest: dt.date


class AmendmentOut(_Out):
    """A correction or retraction in brief. Keys: `kind` (correction, retraction), `id`,
    `value` (the corrected value; null for a retraction), `reason`, `signer` (key id),
    `signer_name` (empty if unknown), `position`, `recorded_at`."""

    kind: Literal["correction", "retraction"]
    id: str
    value: ValueOut | None
    reason: str
    signer: str
    signer_name: str
    position: int
    recorded_at: dt.datetime


class ClaimOut(_Out):
    """A claim as known. Keys: `claim_id`, `figure`, `value` (after corrections),
    `reported` (the value first written), `corrections` (correction ids, in order),
    `retracted`, `as_of`, `source`, `via` (source ids, outermost last), `url`, `published`,
    `quote`, `document_sha256`, `signer` (key id), `position`, `recorded_at`, `correction`
    (AmendmentOut of the correction whose value is in force, or null), `retraction`
    (AmendmentOut, or null)."""

    claim_id: str
    figure: str
    value: ValueOut
    reported: ValueOut
    corrections: list[str]
    retracted: bool
    as_of: AsOfOut
    source: str
    via: list[str]
    url: str | None
    published: str | None
    quote: str | None
    document_sha256: str | None
    signer: str
    position: int
    recorded_at: dt.datetime
    correction: AmendmentOut | None = None
    retraction: AmendmentOut | None = None


class MemberOut(_Out):
    """A claim in a discrepancy. Keys: `claim` (its id), `value` (as written), `source`,
    `figure` (the claim's: a part's, in a sum mismatch)."""

    claim: str
    value: str
    source: str
    figure: str


class DiscrepancyOut(_Out):
    """Keys: `id` (hash of kind + sorted claim ids), `kind` (contradiction,
    possible_conflict, regression, sum_mismatch), `figure` (a sum_mismatch: the total),
    `claims` (sorted claim ids), `detail`, `members` (each claim once, in the order of
    `claims`, with its value and source). A contradiction is a group: every claim of one
    as_of group that conflicts with another; a possible conflict, the same when only the
    uncertainty of the dates makes their as_of overlap."""

    id: str
    kind: str
    figure: str
    claims: list[str]
    detail: str
    members: list[MemberOut]


class ShowOut(_Out):
    """`tally show`. Keys: `figure`, `kind`, `unit`, `value` (ValueOut in force, or null),
    `as_of` (of the value in force), `claim` (ClaimOut in force), `competing` (ClaimOuts whose
    as_of overlaps it), `disputed` (the claim in force is in a contradiction), `discrepancies`
    (flags on this figure, and sum_mismatch flags of totals it is a part of), `query_as_of`,
    `known_at` (the position the answer is as of; null = everything), `claim_discrepancies`
    (ids of the `discrepancies` that involve the claim in force, of any kind), `name` (the
    figure's signed name, or null)."""

    figure: str
    kind: str
    unit: str
    value: ValueOut | None
    as_of: AsOfOut | None
    claim: ClaimOut | None
    competing: list[ClaimOut]
    disputed: bool
    discrepancies: list[DiscrepancyOut]
    query_as_of: str | None
    known_at: int | None
    claim_discrepancies: list[str] = []
    name: str | None = None


class HistoryEntryOut(_Out):
    """One history entry. Keys: `kind` (claim, correction, retraction), `id` (its own id),
    `claim_id`, `value` (null for a retraction), `as_of` (the claim's), `source`, `via`, `url`,
    `published`, `quote`, `document_sha256` (claims only), `reason` (follow-ups only), `signer`,
    `signature`, `position`, `recorded_at`."""

    kind: Literal["claim", "correction", "retraction"]
    id: str
    claim_id: str
    value: ValueOut | None
    as_of: AsOfOut
    source: str
    via: list[str]
    url: str | None
    published: str | None
    quote: str | None
    document_sha256: str | None
    reason: str | None
    signer: str
    signature: str
    position: int
    recorded_at: dt.datetime


class HistoryOut(_Out):
    """`tally history`. Keys: `figure`, `kind`, `unit`, `known_at`, `entries` (in valid-time
    order: as_of earliest, then latest, then position), `period` (the `--as-of FROM..TO` the
    entries were limited to, or null), `name` (the figure's signed name, or null)."""

    figure: str
    kind: str
    unit: str
    known_at: int | None
    entries: list[HistoryEntryOut]
    period: str | None = None
    name: str | None = None


class DiscrepancyList(_Out):
    """`tally discrepancies`. Keys: `figure` and `kind` (the filters, or null), `known_at` (a
    position, or null), `counts` (per kind, of every discrepancy that matches, before paging),
    `offset` (of the first one listed), `discrepancies` (the page)."""

    figure: str | None
    kind: str | None
    known_at: int | None
    counts: dict[str, int]
    offset: int
    discrepancies: list[DiscrepancyOut]


class SourceOut(_Out):
    """Keys: `id`, `name`, `kind`, `key_id` (the source's own signing key, or null)."""

    id: str
    name: str
    kind: str
    key_id: str | None


class SignerOut(_Out):
    """Keys: `key_id`, `name` (empty if unknown), `role` (operator, signer), `revoked`, and
    for a revoked key `revoked_at` (the revocation's position) and `revoked_reason` (else
    null)."""

    key_id: str
    name: str
    role: str
    revoked: bool
    revoked_at: int | None = None
    revoked_reason: str | None = None


class FollowupOut(_Out):
    """A correction or retraction. Keys: `kind`, `id`, `value` (null for a retraction),
    `reason`, `signer` (SignerOut), `signature_status`, `position`, `recorded_at`."""

    kind: Literal["correction", "retraction"]
    id: str
    value: ValueOut | None
    reason: str
    signer: SignerOut
    signature_status: str
    position: int
    recorded_at: dt.datetime


class TextQuoteSelectorOut(_Out):
    """W3C TextQuoteSelector. Keys: `type`, `exact`, `prefix`, `suffix`."""

    type: Literal["TextQuoteSelector"]
    exact: str
    prefix: str
    suffix: str


class TextPositionSelectorOut(_Out):
    """W3C TextPositionSelector. Keys: `type`, `start`, `end` (code points)."""

    type: Literal["TextPositionSelector"]
    start: int
    end: int


class AnchorOut(_Out):
    """Where a quote is in its document's normalised text. Keys: `quote`, `position`."""

    quote: TextQuoteSelectorOut
    position: TextPositionSelectorOut


class RedactionOut(_Out):
    """A take-down order on a claim's field. Keys: `field` ("quote" or "url"), `reason`,
    `recorded` (when the operator signed it into the ledger)."""

    field: str
    reason: str
    recorded: str


class ProvenanceOut(_Out):
    """`tally provenance`. Keys: `claim_id`, `figure`, `value` (after corrections),
    `reported`, `as_of`, `source` (SourceOut), `via` (SourceOuts), `url`, `published`,
    `quote`, `document_sha256`, `signer` (SignerOut), `first_party` (signed by the source's
    own key), `mode` ("first-party" or "attestation"), `signature_status` ("valid", "invalid",
    "unknown signer", "revoked signer"; re-verified on every query), `corrections`
    (FollowupOuts), `retraction` (FollowupOut or null), `retracted`, `position`,
    `leaf_index` (null until the Merkle log has it), `checkpoint` (size of the first
    checkpoint that covers it, or null), `recorded_at`, `status` ("active", "corrected" or
    "retracted": what the claim stands as now), `anchor` (the signed W3C selectors
    of a quote anchored in the document `document_sha256`: `quote` {`exact`, `prefix`,
    `suffix`} and `position` {`start`, `end`}; null for an unanchored quote), `redacted`
    (RedactionOuts: the operator's take-down orders on its quote or URL, whose places
    then read `[redacted on DATE by operator: REASON]`), `figure_name` (the figure's
    signed name, or null)."""

    claim_id: str
    figure: str
    value: ValueOut
    reported: ValueOut
    as_of: AsOfOut
    source: SourceOut
    via: list[SourceOut]
    url: str | None
    published: str | None
    quote: str | None
    document_sha256: str | None
    signer: SignerOut
    first_party: bool
    mode: Literal["first-party", "attestation"]
    signature_status: str
    corrections: list[FollowupOut]
    retraction: FollowupOut | None
    retracted: bool
    position: int
    leaf_index: int | None
    checkpoint: int | None
    recorded_at: dt.datetime
    status: Literal["active", "corrected", "retracted"] = "active"
    anchor: AnchorOut | None = None
    redacted: list[RedactionOut] = []
    figure_name: str | None = None


class FigureOut(_Out):
    """Keys: `id`, `kind`, `unit`, `cumulative`, `integer` (it counts things: whole
    numbers only), `parts`, `tolerance` (decimal string), `states`, `position` (where it
    was defined), `name` and `description` (signed with the definition; null when not
    given)."""

    id: str
    kind: str
    unit: str
    cumulative: bool
    integer: bool
    parts: list[str]
    tolerance: str
    states: list[str]
    position: int
    name: str | None = None
    description: str | None = None


class FigureList(_Out):
    """`tally figures list`. Keys: `figures` (FigureOuts by id)."""

    figures: list[FigureOut]


class CaseFigureOut(_Out):
    """One figure of a case. Keys: `figure`, `kind`, `unit`, `value` (ValueOut in force, or
    null), `as_of` (its EDTF text, or null), `claim_id` (in force, or null), `disputed`,
    `active_claims`."""

    figure: str
    kind: str
    unit: str
    value: ValueOut | None
    as_of: str | None
    claim_id: str | None
    disputed: bool
    active_claims: int


class CaseDefinitionOut(_Out):
    """A case's signed definition. Keys: `id` (the first segment of its figures' ids),
    `name`, `description`, `place`, `period` (EDTF), `position`."""

    id: str
    name: str
    description: str
    place: str
    period: str
    position: int


class CaseList(_Out):
    """`tally cases list`. Keys: `cases` (CaseDefinitionOuts by id)."""

    cases: list[CaseDefinitionOut]


class CaseOut(_Out):
    """`tally show PREFIX` when PREFIX is not a figure id. Keys: `prefix`, `figures`
    (CaseFigureOuts by id), `case` (the signed definition of the case PREFIX is in, or
    null)."""

    prefix: str
    figures: list[CaseFigureOut]
    case: CaseDefinitionOut | None = None


class SourceList(_Out):
    """`tally sources list`. Keys: `sources` (SourceOuts by id)."""

    sources: list[SourceOut]
