"""proofs.verify_extended_inclusion: an old inclusion proof, a newer trusted checkpoint
and a consistency proof between them.

An auditor who kept a newer checkpoint can check a proof made against an older one:
the proof holds in its own checkpoint's tree, and the consistency proof shows that
the trusted tree extends exactly that tree. Every field of the consistency proof
altered, the two checkpoints swapped, a checkpoint of another log or key, and a
"newer" checkpoint smaller than the proof's are all refused.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from tally.ledger.errors import VerificationError
from tally.ledger.integrity import checkpoints as notes
from tally.ledger.integrity import merkle, proofs
from tally.ledger.integrity.checkpoints import Checkpoint
from tally.ledger.integrity.proofs import ConsistencyProof, InclusionProof

ORIGIN = "tally.example/izium"
OPERATOR = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
KEY = OPERATOR.public_key().public_bytes_raw()
STRANGER = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))

SIZE = 21
LEAVES = [json.dumps({"claim": f"c{i:02d}", "value": str(440 + i)}).encode() for i in range(SIZE)]
STORE = merkle.MemoryNodes([merkle.leaf_hash(leaf) for leaf in LEAVES])
OLD, NEW, INDEX = 11, 19, 6  # 11 is not a power of two: its consistency proofs are not short


def note(size: int, key: Ed25519PrivateKey = OPERATOR, origin: str = ORIGIN) -> str:
    return notes.sign_checkpoint(
        Checkpoint(origin=origin, size=size, root_hash=merkle.root(size, STORE.get)), key
    )


def inclusion(index: int = INDEX, size: int = OLD) -> InclusionProof:
    return InclusionProof(
        claim_id=f"c{index:02d}", leaf_index=index, tree_size=size,
        leaf=LEAVES[index].decode(), leaf_hash=merkle.leaf_hash(LEAVES[index]).hex(),
        path=[h.hex() for h in merkle.inclusion_path(index, size, STORE.get)],
        checkpoint=note(size),
    )  # fmt: skip


def consistency(old: int = OLD, new: int = NEW, *, old_note: str | None = None,
                new_note: str | None = None) -> ConsistencyProof:
    return ConsistencyProof(
        old_size=old, new_size=new,
        old_root=merkle.root(old, STORE.get).hex(), new_root=merkle.root(new, STORE.get).hex(),
        path=[h.hex() for h in merkle.consistency_path(old, new, STORE.get)],
        old_checkpoint=old_note or note(old), new_checkpoint=new_note or note(new),
    )  # fmt: skip


def check(proof: InclusionProof, trusted: str, link: ConsistencyProof,
          key: bytes = KEY) -> tuple[Checkpoint, Checkpoint]:
    return proofs.verify_extended_inclusion(proof, trusted, link, key)


def flip(value: str, bit: int = 0) -> str:
    raw = bytearray(bytes.fromhex(value))
    raw[bit // 8] ^= 1 << (bit % 8)
    return raw.hex()


def test_an_old_proof_verifies_through_a_newer_checkpoint() -> None:
    older, trusted = check(inclusion(), note(NEW), consistency())
    assert (older.size, trusted.size) == (OLD, NEW)
    assert trusted.root_hash == merkle.root(NEW, STORE.get)


def test_every_old_proof_verifies_through_every_newer_checkpoint() -> None:
    for old in range(1, SIZE + 1):
        for new in range(old, SIZE + 1):
            check(inclusion(old - 1, old), note(new), consistency(old, new))


def _consistency_changes() -> list[tuple[str, dict[str, Any]]]:
    p = consistency()
    path = list(p.path)
    return [
        ("old_size", {"old_size": OLD + 1}),
        ("old_size down", {"old_size": OLD - 1}),
        ("new_size", {"new_size": NEW + 1}),
        ("new_size down", {"new_size": NEW - 1}),
        ("old_size not int", {"old_size": str(OLD)}),
        ("old_root", {"old_root": flip(p.old_root)}),
        ("new_root", {"new_root": flip(p.new_root, 255)}),
        ("old_root upper", {"old_root": p.old_root.upper()}),
        ("path bit", {"path": [flip(path[0]), *path[1:]]}),
        ("path last bit", {"path": [*path[:-1], flip(path[-1], 100)]}),
        ("path short", {"path": path[:-1]}),
        ("path long", {"path": [*path, "00" * 32]}),
        ("path empty", {"path": []}),
        ("path swapped", {"path": [path[1], path[0], *path[2:]]}),
        ("path not a list", {"path": path[0]}),
        ("old checkpoint of another size", {"old_checkpoint": note(OLD + 1)}),
        ("new checkpoint of another size", {"new_checkpoint": note(NEW - 1)}),
        ("old checkpoint by another key", {"old_checkpoint": note(OLD, STRANGER)}),
        ("new checkpoint by another key", {"new_checkpoint": note(NEW, STRANGER)}),
        ("old checkpoint of another log", {"old_checkpoint": note(OLD, origin="x.example/y")}),
        ("new checkpoint of another log", {"new_checkpoint": note(NEW, origin="x.example/y")}),
        ("new checkpoint tampered", {"new_checkpoint": p.new_checkpoint.replace(
            f"\n{NEW}\n", f"\n{NEW + 1}\n")}),
        ("checkpoints swapped", {"old_checkpoint": p.new_checkpoint,
                                 "new_checkpoint": p.old_checkpoint}),
        ("everything swapped", {"old_size": NEW, "new_size": OLD, "old_root": p.new_root,
                                "new_root": p.old_root, "old_checkpoint": p.new_checkpoint,
                                "new_checkpoint": p.old_checkpoint}),
    ]


@pytest.mark.parametrize(("name", "change"), _consistency_changes(),
                         ids=[n for n, _ in _consistency_changes()])
def test_every_field_of_the_consistency_proof_altered_is_refused(
    name: str, change: dict[str, Any]
) -> None:
    altered = consistency().model_copy(update=change)
    with pytest.raises(VerificationError):
        check(inclusion(), note(NEW), altered)


@given(st.sampled_from(["old_size", "new_size", "old_root", "new_root", "path"]),
       st.integers(0, 255), st.integers(-3, 3).filter(bool))
def test_any_bit_or_size_of_the_consistency_proof_altered_is_refused(
    field: str, bit: int, delta: int
) -> None:
    p = consistency()
    value: Any = getattr(p, field)
    if field.endswith("size"):
        value += delta
    elif field == "path":
        value = [flip(h, bit) if i == abs(delta) % len(value) else h for i, h in enumerate(value)]
    else:
        value = flip(value, bit)
    with pytest.raises(VerificationError):
        check(inclusion(), note(NEW), p.model_copy(update={field: value}))


def test_a_valid_consistency_proof_between_other_checkpoints_is_refused() -> None:
    for old, new in [(OLD - 1, NEW), (OLD, NEW - 1), (OLD + 1, NEW), (OLD, SIZE), (1, NEW)]:
        with pytest.raises(VerificationError, match="consistency proof"):
            check(inclusion(), note(NEW), consistency(old, new))


def test_swapped_checkpoints_are_refused() -> None:
    # the proof made at NEW, the "trusted" checkpoint the older one, the link reversed or not
    newer_proof = inclusion(INDEX, NEW)
    for link in (consistency(), consistency(OLD, NEW).model_copy(update={
            "old_size": NEW, "new_size": OLD, "old_checkpoint": note(NEW),
            "new_checkpoint": note(OLD)})):
        with pytest.raises(VerificationError):
            check(newer_proof, note(OLD), link)


def test_a_newer_checkpoint_smaller_than_the_proofs_is_refused() -> None:
    with pytest.raises(VerificationError, match=f"size {OLD - 2}.*size {OLD}"):
        check(inclusion(), note(OLD - 2), consistency(OLD - 2, OLD))


def test_a_trusted_checkpoint_of_another_log_or_key_is_refused() -> None:
    other_log = note(NEW, origin="tally.example/other")
    with pytest.raises(VerificationError):
        check(inclusion(), other_log, consistency())
    with pytest.raises(VerificationError):
        check(inclusion(), other_log, consistency(new_note=other_log))
    with pytest.raises(VerificationError):
        check(inclusion(), note(NEW, STRANGER), consistency())
    with pytest.raises(VerificationError):  # everything signed by another key
        check(inclusion(), note(NEW), consistency(), STRANGER.public_key().public_bytes_raw())


def test_a_proof_from_another_log_with_the_same_key_is_refused() -> None:
    theirs = inclusion().model_copy(update={"checkpoint": note(OLD, origin="tally.example/b")})
    with pytest.raises(VerificationError):
        check(theirs, note(NEW), consistency())


def test_an_altered_inclusion_proof_is_still_refused() -> None:
    for change in ({"leaf_index": INDEX + 1}, {"path": inclusion().path[:-1]},
                   {"leaf": LEAVES[INDEX + 1].decode()}, {"tree_size": NEW}):
        with pytest.raises(VerificationError):
            check(inclusion().model_copy(update=change), note(NEW), consistency())
