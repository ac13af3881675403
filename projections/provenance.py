"""The provenance query: where a claim came from, who signed it, and what covers it.

The signature is re-verified on every query against the signer's registered
key; the Merkle leaf and the first checkpoint that covers the claim are read
from the ledger's log tables at query time (checkpoints are not projected).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from tally.ledger.errors import UnknownClaimError
from tally.ledger.infra.storage import in_chunks
from tally.projections import tables as t
from tally.projections.models import ClaimOut, FollowupOut, ProvenanceOut
from tally.projections.outputs import as_of_out, claim_out, signer_out, source_out, value_out
from tally.projections.queries import resolve_claim
from tally.projections.rows import (
    Coverage,
    Coverages,
    Row,
    Signed,
    signature_status,
    utc,
    with_signed,
)


def _signers(conn: Connection, key_ids: set[str]) -> dict[str, Row]:
    rows = conn.execute(select(t.signers).where(t.signers.c.key_id.in_(sorted(key_ids))))
    return {r["key_id"]: r for r in rows.mappings()}


def _sources(conn: Connection, source_ids: set[str]) -> dict[str, Row]:
    rows = conn.execute(select(t.sources).where(t.sources.c.source_id.in_(sorted(source_ids))))
    return {r["source_id"]: r for r in rows.mappings()}


def _figure_names(conn: Connection, figure_ids: set[str]) -> dict[str, str | None]:
    """The signed names of these figures (None: unnamed), a chunk of ids a query."""
    f = t.figures.c
    return {r.figure_id: r.name for chunk in in_chunks(sorted(figure_ids))
            for r in conn.execute(select(f.figure_id, f.name).where(f.figure_id.in_(chunk)))}


def _followup(row: Row, signers: dict[str, Row]) -> FollowupOut:
    signer = signers.get(row["signer"])
    return FollowupOut(
        kind=row["kind"], id=row["event_id"], value=value_out(row), reason=row["reason"] or "",
        signer=signer_out(row["signer"], signer),
        signature_status=signature_status(signer, row["body"], row["signature"],
                                          int(row["position"])),
        position=int(row["position"]), recorded_at=utc(row["recorded_at"]),
    )


def provenance(conn: Connection, claim_id: str, signed: Signed, coverage: Coverage
               ) -> ProvenanceOut:
    """Source chain, signer, signature status, follow-ups and covering checkpoint of a claim.

    `signed` reads the signed bodies at some positions from the event store (the read
    model does not copy them); `coverage` asks the ledger's Merkle log for the leaf index
    of a position and the first checkpoint that covers it."""
    full = resolve_claim(conn, claim_id)
    prov = conn.execute(
        select(t.provenance).where(t.provenance.c.claim_id == full)).mappings().one()
    rows = sorted(with_signed(conn.execute(
        select(t.history).where(t.history.c.claim_id == full)).mappings(), signed),
        key=lambda r: int(r["position"]))
    claim = claim_out(rows)
    signers = _signers(conn, {r["signer"] for r in rows})
    sources = _sources(conn, {claim.source, *claim.via})
    return _provenance_out(prov, rows, claim, signers, sources,
                           coverage(int(rows[0]["position"])),
                           _figure_names(conn, {claim.figure}))


def provenances(conn: Connection, claim_ids: Sequence[str], signed: Signed,
                coverages: Coverages) -> list[ProvenanceOut]:
    """`provenance` of each of these full claim ids, in their order, with a few queries
    for all of them (a chunk of ids each), not a few a claim; UnknownClaimError names the
    first id that is no claim's."""
    wanted = list(dict.fromkeys(claim_ids))
    found: dict[str, Row] = {}
    history: dict[str, list[Row]] = {c: [] for c in wanted}
    for chunk in in_chunks(wanted):
        found.update((r["claim_id"], r) for r in conn.execute(
            select(t.provenance).where(t.provenance.c.claim_id.in_(chunk))).mappings())
        for row in conn.execute(
                select(t.history).where(t.history.c.claim_id.in_(chunk))).mappings():
            history[row["claim_id"]].append(row)
    missing = next((c for c in wanted if c not in found or not history[c]), None)
    if missing is not None:
        raise UnknownClaimError(f"no claim has the id {missing!r}")
    rows = with_signed([r for c in wanted for r in history[c]], signed)
    by_claim: dict[str, list[dict[str, Any]]] = {c: [] for c in wanted}
    for signed_row in sorted(rows, key=lambda r: int(r["position"])):
        by_claim[signed_row["claim_id"]].append(signed_row)
    claims = {c: claim_out(by_claim[c]) for c in wanted}
    signers = _signers(conn, {r["signer"] for r in rows})
    sources = _sources(conn, {s for c in claims.values() for s in (c.source, *c.via)})
    covered = coverages([int(by_claim[c][0]["position"]) for c in wanted])
    names = _figure_names(conn, {c.figure for c in claims.values()})
    made = {c: _provenance_out(found[c], by_claim[c], claims[c], signers, sources,
                               covered[int(by_claim[c][0]["position"])], names)
            for c in wanted}
    return [made[c] for c in claim_ids]


def _provenance_out(prov: Row, rows: list[dict[str, Any]], claim: ClaimOut,
                    signers: dict[str, Row], sources: dict[str, Row],
                    covered: tuple[int | None, int | None],
                    figure_names: dict[str, str | None]) -> ProvenanceOut:
    """A claim's provenance from its row, its history rows (with their signed bodies, by
    position) and the claim they make, the signers and sources they name, and its leaf
    and first checkpoint."""
    claim_row = rows[0]
    position = int(claim_row["position"])
    via = claim.via
    followups = [_followup(r, signers) for r in rows[1:]]
    leaf_index, checkpoint = covered
    first_party = bool(prov["first_party"])
    return ProvenanceOut(
        claim_id=prov["claim_id"], figure=claim.figure, value=claim.value,
        reported=claim.reported,
        as_of=as_of_out(claim_row), source=source_out(claim.source, sources),
        via=[source_out(v, sources) for v in via], url=claim.url, published=claim.published,
        quote=claim.quote, document_sha256=claim.document_sha256,
        signer=signer_out(claim.signer, signers.get(claim.signer)),
        first_party=first_party, mode="first-party" if first_party else "attestation",
        signature_status=signature_status(signers.get(claim.signer), claim_row["body"],
                                          claim_row["signature"], position),
        corrections=[f for f in followups if f.kind == "correction"],
        retraction=next((f for f in followups if f.kind == "retraction"), None),
        retracted=prov["retraction_id"] is not None, position=position,
        leaf_index=leaf_index, checkpoint=checkpoint, recorded_at=claim.recorded_at,
        status="retracted" if any(f.kind == "retraction" for f in followups)
        else "corrected" if any(f.kind == "correction" for f in followups) else "active",
        anchor=claim_row["opened"].get("anchor"),  # the signed bytes, disclosures opened
        redacted=claim_row["redacted"], figure_name=figure_names.get(claim.figure),
    )
