"""The provenance query: where a claim came from, who signed it, and what covers it.

The signature is re-verified on every query against the signer's registered
key; the Merkle leaf and the first checkpoint that covers the claim are read
from the ledger's log tables at query time (checkpoints are not projected).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from tally.projections import tables as t
from tally.projections.models import FollowupOut, ProvenanceOut
from tally.projections.outputs import as_of_out, claim_out, signer_out, source_out, value_out
from tally.projections.queries import resolve_claim
from tally.projections.rows import Coverage, Row, Signed, signature_status, utc, with_signed


def _signers(conn: Connection, key_ids: set[str]) -> dict[str, Row]:
    rows = conn.execute(select(t.signers).where(t.signers.c.key_id.in_(sorted(key_ids))))
    return {r["key_id"]: r for r in rows.mappings()}


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
    claim_row: dict[str, Any] = rows[0]
    position = int(claim_row["position"])
    claim = claim_out(rows)
    signers = _signers(conn, {r["signer"] for r in rows})
    via = claim.via
    sources = {r["source_id"]: r for r in conn.execute(
        select(t.sources).where(t.sources.c.source_id.in_([claim.source, *via]))).mappings()}
    followups = [_followup(r, signers) for r in rows[1:]]
    leaf_index, checkpoint = coverage(position)
    first_party = bool(prov["first_party"])
    return ProvenanceOut(
        claim_id=full, figure=claim.figure, value=claim.value, reported=claim.reported,
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
        anchor=json.loads(claim_row["body"]).get("anchor"),  # from the signed bytes
    )
