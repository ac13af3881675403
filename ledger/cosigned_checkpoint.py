"""A new checkpoint, signed over events that pass the audit, then cosigned: ask the
operator's witnesses, keep the cosignatures that verify; and the tlog-policy a reader can
require of them (`tally witnesses policy`).

The witnesses come from the ledger's signed `witness.added` events, as of now: at the URL
of their latest `witness.updated`, and never one a `witness.removed` took out; each is sent a
consistency proof from the largest checkpoint it cosigned before (`infra.cosigning`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tally.ledger.errors import VerificationError
from tally.ledger.infra.cosigning import WitnessAnswer, gather
from tally.ledger.integrity.checkpoints import verifier_key
from tally.ledger.integrity.cosignature import Cosigner, cosignatures, with_signatures
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.integrity.tlog_policy import policy_text
from tally.ledger.integrity.tree_head_signer import TreeHeadSigner

if TYPE_CHECKING:
    from tally.ledger.bootstrap import Collaborators


def sign(parts: Collaborators, operator: KeyPair) -> tuple[int, str]:
    """Sign the current tree head with the operator key; returns (size, signed note)."""
    parts.check_operator(operator)
    log, tail_audit = parts.log, parts.tail_audit
    with parts.events.errors():
        log.catch_up(tail_audit)
        # never sign over events that fail the audit, nor over a root read from nodes
        # an insider could have written: the events since the last checkpoint are
        # checked again (rules, signatures, leaves) and the root recomputed from them
        info = parts.info()
        frontier = log.trusted_frontier(bytes.fromhex(info.operator_public_key), info.origin)
        first = log.position_of_leaf(frontier.size)
        registry: set[int] = set()
        if first is not None:
            # the rules' state from the registry events the last checkpoint sealed, each
            # checked against its signed leaf: never from what the database holds now
            state, _ = tail_audit.checkpointed_state(registry)
            tail_audit.recheck_from(first, log.leaf_hashes, frontier.append, state, registry)
        return log.sign_checkpoint(TreeHeadSigner(info.origin, operator), parts.clock(),
                                   frontier, sorted(registry))


def sign_cosigned(parts: Collaborators, operator: KeyPair
                  ) -> tuple[int, str, list[WitnessAnswer]]:
    """A new checkpoint (`sign`), with the cosignatures of the configured witnesses that
    verified (`gather_cosignatures`): its size, the note and each witness's answer."""
    size, note = sign(parts, operator)
    note, answers = gather_cosignatures(parts, size, note)
    return size, note, answers


def witness_policy(parts: Collaborators, threshold: int | None) -> str:
    """The C2SP tlog-policy for this log and its configured witnesses: `threshold` of them
    (all when None) must cosign a checkpoint."""
    info = parts.info()
    log_vkey = verifier_key(info.origin, bytes.fromhex(info.operator_public_key))
    return policy_text(log_vkey, [(w.name, w.vkey, w.url) for w in parts.directory.witnesses()],
                       threshold)


def last_cosigned_size(parts: Collaborators, cosigner: Cosigner) -> int:
    """The largest stored checkpoint that carries a valid cosignature by `cosigner`."""
    for size, note, _ in reversed(parts.log.checkpoints()):
        try:
            if cosignatures(note, [cosigner]):
                return size
        except VerificationError:
            continue  # a planted bad line: the witness's 409 tells the truth
    return 0


def gather_cosignatures(parts: Collaborators, size: int, note: str
                        ) -> tuple[str, list[WitnessAnswer]]:
    """Ask every configured witness to cosign checkpoint `size`; store and return the
    note with the cosignatures that verified, and each witness's answer."""
    targets = parts.directory.witnesses()
    if not targets:
        return note, []
    with parts.events.errors():
        answers = gather(note, targets, lambda cosigner: last_cosigned_size(parts, cosigner),
                         lambda old: parts.log.consistency_hashes(old, size))
        cosigned = with_signatures(note, [line for a in answers for line in a.lines])
        if cosigned != note:
            parts.log.store_cosigned(size, cosigned)
    return cosigned, answers
