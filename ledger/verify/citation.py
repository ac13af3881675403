"""Checking a citation offline: a proof file, a trusted checkpoint, the operator's key.

Accepts either proof form `tally proof` writes (JSON, or tlog-proof@v1 with the
leaf in its extra line) and also checks that the proven leaf really is the
recording event of the claim the proof names, and returns what it proved. With a
consistency proof, the trusted checkpoint may be newer than the proof's own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tally.ledger.errors import VerificationError
from tally.ledger.integrity.checkpoints import Checkpoint, verify_checkpoint
from tally.ledger.integrity.disclosure import commitment_of, commitments, open_body
from tally.ledger.integrity.envelope import parse_leaf
from tally.ledger.integrity.proofs import (
    TLOG_PROOF_HEADER,
    FollowUpLeaf,
    load_consistency_proof,
    load_inclusion_proof,
    read_tlog_proof,
    verify_consistency_proof,
    verify_extended_inclusion,
    verify_extension,
    verify_follow_up,
    verify_inclusion_proof,
    verify_tlog_proof,
)
from tally.ledger.integrity.signing import body_id
from tally.ledger.integrity.tlog_policy import Policy, witnessed_by
from tally.ledger.model.inputs import claim_ref_problem
from tally.ledger.model.statements import parse_statement

_ID = re.compile(r"[0-9a-f]{32}")
MAX_FILE_BYTES = 8 * 2**20  # far above any proof or checkpoint file `tally` writes


def file_text(data: bytes, name: str) -> str:
    """The text of a proof or checkpoint file read as bytes (at most MAX_FILE_BYTES + 1);
    VerificationError if it is too big or not UTF-8 text (a binary, say)."""
    if len(data) > MAX_FILE_BYTES:
        raise VerificationError(f"{name} is not a proof or checkpoint file: it is too big")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise VerificationError(
            f"{name} is not a proof or checkpoint file: it is not UTF-8 text"
        ) from None


FOLLOW_UPS = {"claim.corrected": "correction", "claim.retracted": "retraction"}


def _absent() -> Any:
    """A key that only some checks give: left out of the answer, not null, without them."""
    return Field(default=None, exclude_if=lambda value: value is None)


class _Proven(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    ok: Literal[True] = True  # a check that fails raises VerificationError instead


class ProvenEvent(_Proven):
    """What an inclusion proof proved (`tally verify-proof --json`): the claim, what its
    leaf records (`kind`: claim, correction or retraction, and its `event_id`), where, in
    which signed tree, the signed statement (`claim` too, for a claim), and the claim's
    status at that checkpoint as far as the follow-ups the proof carries show it."""

    claim_id: str
    kind: Literal["claim", "correction", "retraction"]
    event_id: str
    leaf_index: int
    tree_size: int
    origin: str
    root: str
    claim: dict[str, Any] | None
    statement: dict[str, Any]
    # the statement with the committed fields the proof discloses opened
    opened: dict[str, Any]
    # the claim's corrections and retractions the proof carries, each proven into the same
    # tree, and the status they give at the checkpoint (`_status`)
    follow_ups: list[dict[str, Any]]
    status_at_checkpoint: Literal["live", "corrected", "retracted"]
    corrected_to: str | None
    # through a consistency proof: the newer, trusted checkpoint that extends the proof's
    trusted_tree_size: int | None = _absent()
    trusted_root: str | None = _absent()
    # with a policy: its witnesses that cosigned the trusted checkpoint
    witnessed_by: list[str] | None = _absent()


class ProvenConsistency(_Proven):
    """What a consistency proof proved: checkpoint `new_size` extends `old_size`."""

    old_size: int
    new_size: int
    origin: str
    old_root: str
    new_root: str
    witnessed_by: list[str] | None = _absent()  # as for `ProvenEvent`


def _event_of_leaf(leaf: bytes) -> dict[str, Any]:
    """What a proven leaf records: a claim (`claim.recorded`, version 1, its id derived from
    its body) or a correction or retraction of one (a later version of the claim it names).
    VerificationError for any other leaf, or one stored where its body does not put it."""
    fields = parse_leaf(leaf)
    body, kind, version = fields.get("body"), fields.get("type"), fields.get("version")
    if not isinstance(body, str) or type(version) is not int:
        raise VerificationError("the proven leaf is not a claim's event")
    if kind == "claim.recorded":
        statement = parse_statement(body, "claim.recorded")
        if version != 1 or fields.get("id") != body_id(body):
            raise VerificationError("the proven leaf's claim id is not derived from its body")
        return {"kind": "claim", "claim_id": fields["id"], "event_id": fields["id"],
                "statement": statement.model_dump()}
    if kind not in FOLLOW_UPS:
        raise VerificationError("the proven leaf is not a claim's, correction's or "
                                "retraction's event")
    statement = parse_statement(body, str(kind))
    claim = getattr(statement, "claim", None)
    if version < 2 or fields.get("id") != claim:
        raise VerificationError(f"the proven {FOLLOW_UPS[str(kind)]} is not stored on the "
                                "claim it names")
    return {"kind": FOLLOW_UPS[str(kind)], "claim_id": claim, "event_id": body_id(body),
            "statement": statement.model_dump()}


def _opened(statement: dict[str, Any], disclosures: list[str] | None) -> dict[str, Any]:
    """The statement with its committed fields opened by the proof's disclosures, each
    checked against its signed commitment (None where the proof discloses none)."""
    given = {commitment_of(text): text for text in disclosures or []}
    unknown = set(given) - set(commitments(statement).values())
    if unknown:
        raise VerificationError("a disclosure in the proof opens no commitment of the proven "
                                "body")
    return open_body(statement, given)[0]


def _follow_ups(leaves: list[FollowUpLeaf], checkpoint: Checkpoint, proven: dict[str, Any],
                index: int) -> list[dict[str, Any]]:
    """The corrections and retractions of the proven claim that the proof carries, each
    checked into the checkpoint's tree: kind, event id, leaf index, value, reason."""
    found: list[dict[str, Any]] = []
    for follow_up in leaves:
        event = _event_of_leaf(verify_follow_up(follow_up, checkpoint))
        if event["kind"] == "claim" or event["claim_id"] != proven["claim_id"]:
            raise VerificationError(f"the follow-up at leaf {follow_up.leaf_index} is not a "
                                    f"correction or retraction of claim {proven['claim_id']}")
        if follow_up.leaf_index == index or (found and follow_up.leaf_index
                                              <= found[-1]["leaf_index"]):
            raise VerificationError("the proof's follow-ups are not in log order, once each")
        found.append({"kind": event["kind"], "event_id": event["event_id"],
                      "leaf_index": follow_up.leaf_index,
                      "value": event["statement"].get("value"),
                      "reason": event["statement"]["reason"]})
    return found


def _status(follow_ups: list[dict[str, Any]]) -> dict[str, Any]:
    """The claim's status at the checkpoint as far as the proven follow-ups show it: a
    retraction, else the last correction's value, else live. That no follow-up was left
    out of the file is the ledger's word, not proven: a Merkle log proves presence only."""
    retraction = next((f for f in follow_ups if f["kind"] == "retraction"), None)
    corrections = [f for f in follow_ups if f["kind"] == "correction"]
    if retraction is not None:
        return {"status_at_checkpoint": "retracted", "corrected_to": None}
    if corrections:
        return {"status_at_checkpoint": "corrected", "corrected_to": corrections[-1]["value"]}
    return {"status_at_checkpoint": "live", "corrected_to": None}


def _same_size(own_note: str, given_note: str, operator_key: bytes,
               cited: Callable[[], str]) -> None:
    """Refuse a proof against a checkpoint of another size than the given one, naming the
    commands that bridge the two (`cited`: the id the proof names, for the hint)."""
    given = verify_checkpoint(given_note, operator_key)
    own = verify_checkpoint(own_note, operator_key, given.origin)
    if own.size == given.size:
        return
    try:
        ident = cited()
    except VerificationError:
        ident = "ID"
    ident = ident if _ID.fullmatch(ident) else "ID"
    remake = f"'tally proof {ident} --checkpoint {given.size}'"
    bridge = (f"make one against it with {remake}, or bridge the two with 'tally consistency "
              f"{own.size} {given.size} -o link.json' and '--consistency link.json'"
              if own.size < given.size else
              f"make one against it with {remake} (if the claim is in that tree), or check "
              f"this one against checkpoint {own.size} or a newer one you trust")
    raise VerificationError(f"the proof's checkpoint (size {own.size}) is not the given "
                            f"checkpoint (size {given.size}): {bridge}")


def verify_proof_file(
    proof_text: str,
    checkpoint_note: str,
    operator_key: bytes,
    consistency_text: str | None = None,
    policy: Policy | None = None,
) -> ProvenEvent | ProvenConsistency:
    """Verify a proof file against a checkpoint note; VerificationError if it does not hold.
    A checkpoint of another size than the proof's is refused naming the commands that
    bridge them.

    With a C2SP tlog `policy`, the checkpoint must also be cosigned to its quorum; the
    answer names the policy's witnesses that cosigned it (`witnessed_by`).

    A consistency proof (JSON with `old_size`) is checked too: both of its checkpoints must
    be signed by the operator and the given checkpoint must be one of them.

    With `consistency_text`, the inclusion proof is checked against its own checkpoint,
    and the consistency proof from that checkpoint to the given (newer, trusted) one
    (`proofs.verify_extension`); the answer adds `trusted_tree_size` and `trusted_root`.
    """
    proven = _verify(proof_text, checkpoint_note, operator_key, consistency_text)
    if policy is None:
        return proven
    return proven.model_copy(update={"witnessed_by": witnessed_by(
        policy, [checkpoint_note], proven.origin, operator_key)})


def _verify(proof_text: str, checkpoint_note: str, operator_key: bytes,
            consistency_text: str | None) -> ProvenEvent | ProvenConsistency:
    if proof_text.lstrip().startswith("{") and '"old_size"' in proof_text:
        if consistency_text is not None:
            raise VerificationError(
                "this is a consistency proof: --consistency goes with an inclusion proof"
            )
        return _verify_consistency_file(proof_text, checkpoint_note, operator_key)
    link = None if consistency_text is None else load_consistency_proof(consistency_text)
    newer = None
    if proof_text.startswith(TLOG_PROOF_HEADER):
        parsed = read_tlog_proof(proof_text)
        if parsed.extra is None:
            raise VerificationError("this tlog-proof carries no leaf: use the JSON proof")
        if link is None:
            _same_size(parsed.checkpoint, checkpoint_note, operator_key,
                       lambda: _event_of_leaf(parsed.extra or b"")["event_id"])
        else:
            _, newer = verify_extension(parsed.checkpoint, checkpoint_note, link, operator_key)
        anchor = checkpoint_note if link is None else parsed.checkpoint
        trusted = verify_checkpoint(anchor, operator_key)
        checkpoint = verify_tlog_proof(proof_text, parsed.extra, operator_key, trusted.origin)
        if (trusted.size, trusted.root_hash) != (checkpoint.size, checkpoint.root_hash):
            raise VerificationError("the proof's checkpoint is not the given checkpoint")
        leaf, index, claimed = parsed.extra, parsed.index, None
    else:
        proof = load_inclusion_proof(proof_text)
        if link is None:
            _same_size(proof.checkpoint, checkpoint_note, operator_key,
                       lambda: proof.event_id or proof.claim_id)
            checkpoint = verify_inclusion_proof(proof, checkpoint_note, operator_key)
        else:
            checkpoint, newer = verify_extended_inclusion(
                proof, checkpoint_note, link, operator_key
            )
        leaf, index, claimed = proof.leaf.encode("utf-8"), proof.leaf_index, proof.claim_id
    found = _event_of_leaf(leaf)
    opened = _opened(found["statement"], None if claimed is None else proof.disclosures)
    follow_ups = [] if claimed is None else _follow_ups(proof.follow_ups or [], checkpoint,
                                                        found, index)
    if claimed is not None:
        # what the file names must be what its leaf records: a claim's proof (no event_id)
        # never passes for a correction's, nor one follow-up's for another's
        named = proof.event_id or claimed
        if (found["claim_id"], found["event_id"]) != (claimed, named):
            what = "claim" if proof.event_id is None else "event"
            raise VerificationError(f"the proven leaf records {found['kind']} "
                                    f"{found['event_id']}, not {what} {named}")
    return ProvenEvent(
        claim_id=found["claim_id"], kind=found["kind"], event_id=found["event_id"],
        leaf_index=index, tree_size=checkpoint.size, origin=checkpoint.origin,
        root=checkpoint.root_hash.hex(),
        claim=found["statement"] if found["kind"] == "claim" else None,
        statement=found["statement"], opened=opened, follow_ups=follow_ups,
        **_status(follow_ups),
        trusted_tree_size=None if newer is None else newer.size,
        trusted_root=None if newer is None else newer.root_hash.hex())


def _verify_consistency_file(
    proof_text: str, checkpoint_note: str, operator_key: bytes
) -> ProvenConsistency:
    proof = load_consistency_proof(proof_text)
    trusted = verify_checkpoint(checkpoint_note, operator_key)
    verify_consistency_proof(proof, operator_key, trusted.origin)
    if trusted.root_hash.hex() not in (proof.old_root, proof.new_root):
        raise VerificationError("the given checkpoint is neither end of this consistency proof")
    return ProvenConsistency(old_size=proof.old_size, new_size=proof.new_size,
                             origin=trusted.origin, old_root=proof.old_root,
                             new_root=proof.new_root)


def require_claim(checked: ProvenEvent | ProvenConsistency, claim: str) -> None:
    """Refuse a proof that proves another claim than the one cited (`claim`: its id, or a
    prefix of at least 4 hex digits, as a citation prints it; for a correction's or a
    retraction's proof, that follow-up's own id). A proof file renamed, or a
    page that links another claim's proof, would otherwise pass as this claim's."""
    ref = claim.strip().lower()
    problem = claim_ref_problem(ref)
    if problem is not None:
        raise VerificationError(problem)
    if isinstance(checked, ProvenConsistency):
        raise VerificationError("this is a consistency proof: it proves no claim")
    # what the proof proves: the claim, or a correction or retraction of it by its own id
    kind, proven = checked.kind, checked.event_id
    if not proven.startswith(ref):
        of = "" if kind == "claim" else f" of claim {checked.claim_id}"
        raise VerificationError(f"the proof is of {kind} {proven}{of}, not of {claim}")
