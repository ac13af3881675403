"""A new checkpoint, cosigned: ask the operator's witnesses, keep the cosignatures that verify;
and the tlog-policy a reader can require of them (`tally witnesses policy`).

The witnesses come from the ledger's signed `witness.added` events, as of now: at the URL
of their latest `witness.updated`, and never one a `witness.removed` took out; each is sent a
consistency proof from the largest checkpoint it cosigned before (`infra.cosigning`).
"""

from __future__ import annotations

from tally.ledger.application import Ledger
from tally.ledger.errors import VerificationError
from tally.ledger.infra.cosigning import WitnessAnswer, gather
from tally.ledger.integrity.checkpoints import verifier_key
from tally.ledger.integrity.cosignature import Cosigner, cosignatures, with_signatures
from tally.ledger.integrity.tlog_policy import policy_text


def witness_policy(ledger: Ledger, threshold: int | None) -> str:
    """The C2SP tlog-policy for this log and its configured witnesses: `threshold` of them
    (all when None) must cosign a checkpoint."""
    info = ledger.info()
    log_vkey = verifier_key(info.origin, bytes.fromhex(info.operator_public_key))
    return policy_text(log_vkey, [(w.name, w.vkey, w.url) for w in ledger.directory.witnesses()],
                       threshold)


def last_cosigned_size(ledger: Ledger, cosigner: Cosigner) -> int:
    """The largest stored checkpoint that carries a valid cosignature by `cosigner`."""
    for size, note, _ in reversed(ledger.log.checkpoints()):
        try:
            if cosignatures(note, [cosigner]):
                return size
        except VerificationError:
            continue  # a planted bad line: the witness's 409 tells the truth
    return 0


def gather_cosignatures(ledger: Ledger, size: int, note: str
                        ) -> tuple[str, list[WitnessAnswer]]:
    """Ask every configured witness to cosign checkpoint `size`; store and return the
    note with the cosignatures that verified, and each witness's answer."""
    targets = ledger.directory.witnesses()
    if not targets:
        return note, []
    with ledger.events.errors():
        answers = gather(note, targets, lambda cosigner: last_cosigned_size(ledger, cosigner),
                         lambda old: ledger.log.consistency_hashes(old, size))
        cosigned = with_signatures(note, [line for a in answers for line in a.lines])
        if cosigned != note:
            ledger.log.store_cosigned(size, cosigned)
    return cosigned, answers
