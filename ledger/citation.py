"""Checking a citation offline: a proof file, a trusted checkpoint, the operator's key.

Accepts either proof form `tally proof` writes (JSON, or tlog-proof@v1 with the
leaf in its extra line) and also checks that the proven leaf really is the
recording event of the claim the proof names, and returns what it proved.
"""

from __future__ import annotations

from typing import Any

from ledger.envelope import parse_leaf
from ledger.errors import VerificationError
from ledger.notes import verify_checkpoint
from ledger.proofs import (
    TLOG_PROOF_HEADER,
    load_consistency_proof,
    load_inclusion_proof,
    read_tlog_proof,
    verify_consistency_proof,
    verify_inclusion_proof,
    verify_tlog_proof,
)
from ledger.signing import body_id
from ledger.statements import parse_statement


def _claim_of_leaf(leaf: bytes) -> dict[str, Any]:
    """The claim body recorded in a leaf, or VerificationError if the leaf is not the
    recording event of the claim its body identifies."""
    fields = parse_leaf(leaf)
    body = fields.get("body")
    if fields.get("type") != "claim.recorded" or fields.get("version") != 1 \
            or not isinstance(body, str):
        raise VerificationError("the proven leaf is not a claim's recording event")
    statement = parse_statement(body, "claim.recorded")
    if fields.get("id") != body_id(body):
        raise VerificationError("the proven leaf's claim id is not derived from its body")
    return {"claim_id": fields["id"], "body": statement.model_dump()}


def verify_proof_file(proof_text: str, checkpoint_note: str, operator_key: bytes) -> dict[str, Any]:
    """Verify a proof file against a checkpoint note; returns claim id, leaf index, size, claim.

    A consistency proof (JSON with `old_size`) is checked too: both of its checkpoints must
    be signed by the operator and the given checkpoint must be one of them.
    """
    if proof_text.lstrip().startswith("{") and '"old_size"' in proof_text:
        return _verify_consistency_file(proof_text, checkpoint_note, operator_key)
    if proof_text.startswith(TLOG_PROOF_HEADER):
        parsed = read_tlog_proof(proof_text)
        if parsed.extra is None:
            raise VerificationError("this tlog-proof carries no leaf: use the JSON proof")
        trusted = verify_checkpoint(checkpoint_note, operator_key)
        checkpoint = verify_tlog_proof(proof_text, parsed.extra, operator_key, trusted.origin)
        if (trusted.size, trusted.root_hash) != (checkpoint.size, checkpoint.root_hash):
            raise VerificationError("the proof's checkpoint is not the given checkpoint")
        leaf, index, claimed = parsed.extra, parsed.index, None
    else:
        proof = load_inclusion_proof(proof_text)
        checkpoint = verify_inclusion_proof(proof, checkpoint_note, operator_key)
        leaf, index, claimed = proof.leaf.encode("utf-8"), proof.leaf_index, proof.claim_id
    found = _claim_of_leaf(leaf)
    if claimed is not None and found["claim_id"] != claimed:
        raise VerificationError(f"the proven leaf records claim {found['claim_id']}, not {claimed}")
    return {
        "claim_id": found["claim_id"],
        "leaf_index": index,
        "tree_size": checkpoint.size,
        "origin": checkpoint.origin,
        "root": checkpoint.root_hash.hex(),
        "claim": found["body"],
    }


def _verify_consistency_file(
    proof_text: str, checkpoint_note: str, operator_key: bytes
) -> dict[str, Any]:
    proof = load_consistency_proof(proof_text)
    trusted = verify_checkpoint(checkpoint_note, operator_key)
    verify_consistency_proof(proof, operator_key, trusted.origin)
    if trusted.root_hash.hex() not in (proof.old_root, proof.new_root):
        raise VerificationError("the given checkpoint is neither end of this consistency proof")
    return {
        "old_size": proof.old_size,
        "new_size": proof.new_size,
        "origin": trusted.origin,
        "old_root": proof.old_root,
        "new_root": proof.new_root,
    }
