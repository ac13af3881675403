"""One mapping of Tally's concepts, that every interop format reads.

`gather` turns the read model's provenance answers, and the log's leaves and checkpoints,
into `Record`: the ledger, its figures and sources, and each claim with everything a
consumer needs to go back to the log (its permalink, leaf index, leaf hash and the
checkpoint that covers it; the same for each correction and retraction). The formats
(`jsonld`, `datapackage`, `provenance_graph`, ...) only rename what is here.

A field an operator's order took down is absent here (and so from every export), never
the `[redacted ...]` text the views show in its place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

from tally.ledger.application import Ledger
from tally.ledger.errors import ExportError
from tally.projections.claim_search import ClaimFilters
from tally.projections.models import FollowupOut, ProvenanceOut, SourceOut, ValueOut
from tally.projections.publish.page_renderer import all_claims
from tally.projections.publish.site.paths import checkpoint_file, claim_page, figure_page
from tally.projections.readmodel import ReadModel


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class LogEntry(_Model):
    """Where an event sits in the log. Keys: `position`, `leaf_index`, `leaf_hash` (hex),
    `checkpoint` (size of the first checkpoint that covers it), `checkpoint_url`, `signature`
    (the signer's Ed25519 signature of its body, hex), `body` (the signed body),
    `disclosures` (format v2: the disclosures that open its commitments, those an order
    took down left out)."""

    position: int
    leaf_index: int
    leaf_hash: str
    checkpoint: int
    checkpoint_url: str
    signature: str
    body: str
    disclosures: list[str] = []


class Value(_Model):
    """A value as reported. Keys: `written`, `kind`, `low`, `high` (decimal strings or null:
    unbounded), `low_open`, `high_open` (null for a status)."""

    written: str
    kind: str
    low: str | None = None
    high: str | None = None
    low_open: bool = False
    high_open: bool = False


class Agent(_Model):
    """A source or a signer. Keys: `id` (source slug or key id), `name`, `kind`."""

    id: str
    name: str
    kind: str


class Followup(_Model):
    """A correction or retraction. Keys: `kind`, `id`, `value` (null for a retraction),
    `reason`, `signer` (key id), `recorded_at`, `log` (LogEntry)."""

    kind: Literal["correction", "retraction"]
    id: str
    value: Value | None
    reason: str
    signer: str
    recorded_at: dt.datetime
    log: LogEntry


class ClaimRecord(_Model):
    """A claim. Keys: `id`, `permalink`, `figure`, `unit`, `reported` (Value as first
    written), `value` (Value in force after corrections), `as_of` (EDTF), `as_of_earliest`,
    `as_of_latest`, `source`, `via` (Agents, outermost last), `url`, `published`, `quote`
    (null when absent or redacted), `document_sha256`, `signer` (Agent), `signer_public_key`
    (hex), `recorded_at`, `status`, `log` (LogEntry), `followups`."""

    id: str
    permalink: str
    figure: str
    unit: str
    reported: Value
    value: Value
    as_of: str
    as_of_earliest: dt.date
    as_of_latest: dt.date
    source: Agent
    via: list[Agent]
    url: str | None
    published: str | None
    quote: str | None
    document_sha256: str | None
    signer: Agent
    signer_public_key: str
    recorded_at: dt.datetime
    status: str
    log: LogEntry
    followups: list[Followup]


class FigureRecord(_Model):
    """A figure. Keys: `id`, `permalink`, `kind`, `unit`, `cumulative`, `integer`, `parts`,
    `name` and `description` (signed with its definition; null when not given)."""

    id: str
    permalink: str
    kind: str
    unit: str
    cumulative: bool
    integer: bool
    parts: list[str]
    name: str | None = None
    description: str | None = None


class Record(_Model):
    """What an export holds. Keys: `origin`, `ledger_id`, `operator_key_id`,
    `operator_public_key` (hex), `base_url`, `checkpoint` (the latest signed note),
    `checkpoint_size`, `figures`, `sources`, `claims` (by position)."""

    origin: str
    ledger_id: str
    operator_key_id: str
    operator_public_key: str
    base_url: str
    checkpoint: str
    checkpoint_size: int
    figures: list[FigureRecord]
    sources: list[Agent]
    claims: list[ClaimRecord]


def default_base_url(origin: str) -> str:
    """A log's origin names where it is served (C2SP): `https://ORIGIN/` by default."""
    return f"https://{origin.rstrip('/')}/"


def checked_base_url(url: str) -> str:
    """`url` with one trailing '/', if it is an absolute http(s) URL with a host and no
    query or fragment; else ExportError, in one sentence."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query \
            or parts.fragment or any(c.isspace() for c in url):
        raise ExportError(f"the base URL {url!r} is not an absolute http or https URL "
                          "without a query or fragment")
    return url.rstrip("/") + "/"


def _value(out: ValueOut) -> Value:
    i = out.interval
    if i is None:
        return Value(written=out.written, kind=out.kind)
    return Value(written=out.written, kind=out.kind, low=i.low, high=i.high,
                 low_open=i.low_open, high_open=i.high_open)


def _agent(source: SourceOut) -> Agent:
    return Agent(id=source.id, name=source.name, kind=source.kind)


class _Log:
    """Leaf indexes, leaf hashes, checkpoints and signatures of events by position."""

    def __init__(self, ledger: Ledger, base_url: str, positions: Sequence[int]) -> None:
        self.ledger, self.base_url = ledger, base_url
        self.cover = ledger.log.coverages(positions)
        self.signed = ledger.events.signed(positions)
        # one range query for every leaf hash, not one a claim
        self.hashes = (ledger.log.leaf_hashes(min(positions), max(positions))
                       if positions else {})

    def entry(self, position: int, what: str) -> LogEntry:
        index, size = self.cover[position]
        if index is None or size is None:
            raise ExportError(f"{what} at position {position} is not yet covered by a "
                              "checkpoint: sign one with 'tally checkpoint' and export again")
        signed = self.signed[position]
        return LogEntry(position=position, leaf_index=index,
                        leaf_hash=self.hashes[position].hex(),
                        checkpoint=size, checkpoint_url=self.base_url + checkpoint_file(size),
                        signature=signed.signature, body=signed.body,
                        disclosures=sorted(signed.disclosed.values()))


def _followup(f: FollowupOut, log: _Log) -> Followup:
    return Followup(kind=f.kind, id=f.id, value=None if f.value is None else _value(f.value),
                    reason=f.reason, signer=f.signer.key_id, recorded_at=f.recorded_at,
                    log=log.entry(f.position, f"the {f.kind} {f.id}"))


def _claim(p: ProvenanceOut, unit: str, key: str, base_url: str, log: _Log) -> ClaimRecord:
    taken = {r.field for r in p.redacted}
    followups = p.corrections + ([p.retraction] if p.retraction else [])
    return ClaimRecord(
        id=p.claim_id, permalink=base_url + claim_page(p.claim_id), figure=p.figure,
        unit=unit, reported=_value(p.reported), value=_value(p.value), as_of=p.as_of.text,
        as_of_earliest=p.as_of.earliest, as_of_latest=p.as_of.latest,
        source=_agent(p.source), via=[_agent(v) for v in p.via],
        url=None if "url" in taken else p.url, published=p.published,
        quote=None if "quote" in taken else p.quote, document_sha256=p.document_sha256,
        signer=Agent(id=p.signer.key_id, name=p.signer.name, kind=p.signer.role),
        signer_public_key=key, recorded_at=p.recorded_at, status=p.status,
        log=log.entry(p.position, f"the claim {p.claim_id}"),
        followups=[_followup(f, log) for f in followups])


def _selected(p: ProvenanceOut, since: int | None) -> bool:
    if since is None:
        return True
    positions = [p.position] + [f.position for f in p.corrections]
    positions += [p.retraction.position] if p.retraction else []
    return max(positions) > since


def gather(ledger: Ledger, views: ReadModel, *, figure: str | None = None,
           since: int | None = None, base_url: str | None = None) -> Record:
    """The record of the claims of `figure` (an id or a prefix of ids) recorded, corrected
    or retracted after position `since`, with absolute links under `base_url`."""
    info = ledger.info()
    base = (checked_base_url(base_url) if base_url is not None
            else default_base_url(info.origin))
    ids = (all_claims(views) if figure is None else
           [c.claim_id for c in views.claims_matching(ClaimFilters(figure=figure)).claims])
    provenances = [p for p in views.provenances(ids) if _selected(p, since)]
    positions = [p.position for p in provenances]
    positions += [f.position for p in provenances for f in p.corrections]
    positions += [p.retraction.position for p in provenances if p.retraction]
    log = _Log(ledger, base, positions)
    defined = {f.id: f for f in views.figures().figures}
    lookups = ledger.lookups()
    keys = {p.signer.key_id: lookups.signer(p.signer.key_id).public_key for p in provenances}
    claims = sorted((_claim(p, defined[p.figure].unit, keys[p.signer.key_id], base, log)
                     for p in provenances), key=lambda c: c.log.position)
    used = {c.figure for c in claims}
    figures = [FigureRecord(id=f.id, permalink=base + figure_page(f.id), kind=f.kind,
                            unit=f.unit, cumulative=f.cumulative, integer=f.integer,
                            parts=f.parts, name=f.name, description=f.description)
               for f in defined.values() if f.id in used]
    sources = {a.id: a for c in claims for a in [c.source, *c.via]}
    note = ledger.log.checkpoint_note() if claims else ""
    return Record(origin=info.origin, ledger_id=info.ledger_id,
                  operator_key_id=info.operator_key_id,
                  operator_public_key=info.operator_public_key, base_url=base,
                  checkpoint=note, checkpoint_size=int(note.splitlines()[1]) if note else 0,
                  figures=sorted(figures, key=lambda f: f.id),
                  sources=sorted(sources.values(), key=lambda a: a.id), claims=claims)
