"""`tally proof ID`: what ID names (a claim, or a correction or retraction of one, by the ids
`history` and `provenance` show), its inclusion proof, and what became of the claim since.

The read model finds the event; the ledger proves it from its own log and refuses unless
the stored event is exactly the one named (`Inspector.prove`, `Ledger.inclusion_proof`),
so a read model an insider edited cannot misdirect a proof. The status is the claim's as
the read model knows it now: a proof says what was recorded, not that it still stands.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, select

from tally.ledger.application import Ledger
from tally.ledger.errors import UnknownClaimError
from tally.ledger.infra.event_rows import SignedEvent
from tally.ledger.integrity.proofs import FollowUpLeaf, InclusionProof
from tally.ledger.integrity.signing import id_prefix_range
from tally.ledger.model.inputs import claim_ref_problem
from tally.ledger.verify.inspector import Inspector
from tally.projections import tables as t
from tally.projections.models import ClaimOut
from tally.projections.outputs import claim_out
from tally.projections.queries import signer_names
from tally.projections.rows import Signed, with_signed

Kind = Literal["claim", "correction", "retraction"]
Status = Literal["active", "corrected", "retracted"]


class Cited(BaseModel):
    """A proof and what it proves: `kind` and `id` of the proven event, `claim` (the claim
    as it stands now), `status` (`active`, `corrected`, `retracted`) and `warning` (a
    sentence when the proven event is no longer what stands, else None)."""

    model_config = ConfigDict(frozen=True)

    proof: InclusionProof
    kind: Kind
    id: str
    claim: ClaimOut
    status: Status
    warning: str | None


def _found(conn: Connection, ref: str) -> list[tuple[Kind, str, str, int]]:
    """(kind, id, claim id, position) of up to two claims or follow-ups whose id starts
    with `ref`."""
    problem = claim_ref_problem(ref)
    bounds = id_prefix_range(ref)
    if problem is not None or bounds is None:
        raise UnknownClaimError(problem or f"{ref!r} is not a claim, correction or "
                                "retraction id")
    h = t.history.c
    columns = (h.kind, h.event_id, h.claim_id, h.position)
    rows = [*conn.execute(select(*columns).where(
                h.kind == "claim", h.claim_id >= bounds[0], h.claim_id < bounds[1]).limit(2)),
            *conn.execute(select(*columns).where(
                h.event_id >= bounds[0], h.event_id < bounds[1]).limit(2))]
    return [(kind, event_id or claim_id, claim_id, int(position))
            for kind, event_id, claim_id, position in rows]


def _warning(kind: Kind, ident: str, claim: ClaimOut) -> str | None:
    """What stands now, when it is not the proven event: a claim corrected or retracted
    since, or a correction another correction or a retraction followed."""
    latest = claim.retraction or claim.correction
    if latest is None or latest.id == ident:
        return None
    who = latest.signer_name or latest.signer
    proven = "this claim" if kind == "claim" else f"this {kind} of claim {claim.claim_id}"
    how = (f"retracted at position {latest.position} by {who}: {latest.reason}; it is no "
           "longer counted" if claim.retracted else
           f"corrected at position {latest.position} by {who}: {latest.reason}; it now "
           f"stands at {claim.value.written}")
    return f"{proven} no longer stands: the claim was {how}"


def _with_status_evidence(proof: InclusionProof, rows: list[dict[str, Any]], ledger: Ledger,
                          ledger_conn: Connection | None,
                          event: SignedEvent | None) -> InclusionProof:
    """The proof with what a verifier needs to show the claim as it stood at the proof's
    checkpoint: the proven claim's stored disclosures (its quote, URL), and the claim's
    corrections and retractions in that tree, each proven by the ledger from its own log."""
    inspector = Inspector(ledger)
    follow_ups = []
    for row in rows:
        if row["kind"] == "claim" or row["event_id"] == proof.event_id:
            continue
        index, _ = ledger.log.coverage(int(row["position"]), ledger_conn)
        if index is None or index >= proof.tree_size:
            continue
        made = inspector.prove(int(row["position"]), proof.claim_id, row["event_id"],
                               proof.tree_size, ledger_conn)
        follow_ups.append(FollowUpLeaf(leaf_index=made.leaf_index, leaf=made.leaf,
                                       path=made.path))
    disclosures = sorted(event.disclosed.values()) if event is not None else []
    return proof.model_copy(update={
        "disclosures": disclosures or None,
        "follow_ups": sorted(follow_ups, key=lambda f: f.leaf_index) or None})


def cite(conn: Connection, ledger: Ledger, ref: str, size: int | None, signed: Signed,
         ledger_conn: Connection | None) -> Cited:
    """Resolve `ref` (4+ hex digits of a claim's, a correction's or a retraction's id),
    prove its event against the checkpoint of `size` (the latest by default), and say what
    became of its claim; `ledger_conn` is `conn` when the read model shares the ledger's
    database (one snapshot), else None."""
    ref = ref.strip().lower()
    found = _found(conn, ref)
    if not found:
        raise UnknownClaimError(f"no claim, correction or retraction id starts with {ref!r}")
    if len(found) > 1:
        raise UnknownClaimError(f"the prefix {ref!r} is ambiguous: give more digits")
    kind, ident, claim_id, position = found[0]
    if kind == "claim":
        proof = ledger.inclusion_proof(claim_id, size)
    else:
        proof = Inspector(ledger).prove(position, claim_id, ident, size, ledger_conn)
    rows = with_signed(conn.execute(select(t.history).where(
        t.history.c.claim_id == claim_id)).mappings(), signed)
    proof = _with_status_evidence(proof, rows, ledger, ledger_conn,
                                  signed([position]).get(position) if kind == "claim" else None)
    claim = claim_out(rows, signer_names(conn))
    status: Status = ("retracted" if claim.retracted else "corrected" if claim.corrections
                      else "active")
    return Cited(proof=proof, kind=kind, id=ident, claim=claim, status=status,
                 warning=_warning(kind, ident, claim))
