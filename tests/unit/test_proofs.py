"""ledger.integrity.proofs: offline proof files round-trip, verify, and refuse every alteration."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import assume, given
from hypothesis import strategies as st

from tally.ledger.errors import VerificationError
from tally.ledger.integrity import checkpoints as notes
from tally.ledger.integrity import merkle, proofs
from tally.ledger.integrity.checkpoints import Checkpoint
from tally.ledger.integrity.proofs import ConsistencyProof, InclusionProof

ORIGIN = "tally.example/izium"
OPERATOR = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OPERATOR_PUB = OPERATOR.public_key().public_bytes_raw()
STRANGER = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))

SIZE = 21
LEAVES = [
    json.dumps(
        {"claim": f"c{i:02d}", "figure": "izium/bodies", "value": str(440 + i), "src": "Ізюм"}
    ).encode("utf-8")
    for i in range(SIZE)
]
STORE = merkle.MemoryNodes([merkle.leaf_hash(leaf) for leaf in LEAVES])


def claim_id_of(leaf: bytes) -> str:
    return str(json.loads(leaf)["claim"])


def checkpoint_note(size: int, key: Ed25519PrivateKey = OPERATOR, origin: str = ORIGIN) -> str:
    cp = Checkpoint(origin=origin, size=size, root_hash=merkle.root(size, STORE.get))
    return notes.sign_checkpoint(cp, key)


NOTES = {size: checkpoint_note(size) for size in range(1, SIZE + 1)}


def inclusion(index: int, size: int = SIZE) -> InclusionProof:
    path = merkle.inclusion_path(index, size, STORE.get)
    return InclusionProof(
        claim_id=f"c{index:02d}",
        leaf_index=index,
        tree_size=size,
        leaf=LEAVES[index].decode("utf-8"),
        leaf_hash=merkle.leaf_hash(LEAVES[index]).hex(),
        path=[h.hex() for h in path],
        checkpoint=NOTES[size],
    )


def consistency(old: int, new: int) -> ConsistencyProof:
    return ConsistencyProof(
        old_size=old,
        new_size=new,
        old_root=merkle.root(old, STORE.get).hex(),
        new_root=merkle.root(new, STORE.get).hex(),
        path=[h.hex() for h in merkle.consistency_path(old, new, STORE.get)],
        old_checkpoint=NOTES[old],
        new_checkpoint=NOTES[new],
    )


def flip_hex(value: str, bit: int) -> str:
    raw = bytearray(bytes.fromhex(value))
    raw[bit // 8] ^= 1 << (bit % 8)
    return raw.hex()


def test_every_inclusion_proof_verifies() -> None:
    for size in (1, 2, 7, 8, SIZE):
        for index in range(size):
            proof = inclusion(index, size)
            cp = proofs.verify_inclusion_proof(
                proof, NOTES[size], OPERATOR_PUB, ORIGIN, claim_id_of=claim_id_of
            )
            assert (cp.origin, cp.size) == (ORIGIN, size)


def test_every_consistency_proof_verifies() -> None:
    for new in range(1, SIZE + 1):
        for old in range(1, new + 1):
            proofs.verify_consistency_proof(consistency(old, new), OPERATOR_PUB, ORIGIN)


def test_inclusion_proof_json_round_trip() -> None:
    proof = inclusion(5)
    text = proof.model_dump_json()
    assert InclusionProof.model_validate_json(text) == proof
    assert proofs.load_inclusion_proof(text) == proof
    data = json.loads(text)
    assert set(data) == {
        "claim_id",
        "leaf_index",
        "tree_size",
        "leaf",
        "leaf_hash",
        "path",
        "checkpoint",
    }
    assert data["leaf_hash"] == merkle.leaf_hash(LEAVES[5]).hex()
    assert data["path"] == [h.hex() for h in merkle.inclusion_path(5, SIZE, STORE.get)]
    assert data["leaf"] == LEAVES[5].decode("utf-8")


def test_consistency_proof_json_round_trip() -> None:
    proof = consistency(6, 19)
    text = proof.model_dump_json()
    assert ConsistencyProof.model_validate_json(text) == proof
    assert proofs.load_consistency_proof(text) == proof
    assert json.loads(text)["old_root"] == merkle.root(6, STORE.get).hex()


@pytest.mark.parametrize(
    "change",
    [
        {"leaf_hash": "AB" * 32},  # uppercase hex
        {"leaf_hash": "ab" * 31},
        {"path": ["zz" * 32]},
        {"leaf_index": "3"},
        {"leaf_index": -1},
        {"tree_size": 0},
        {"extra_field": 1},
    ],
)
def test_malformed_json_proofs_are_verification_errors(change: dict[str, Any]) -> None:
    data = json.loads(inclusion(3).model_dump_json()) | change
    with pytest.raises(VerificationError):
        proofs.load_inclusion_proof(json.dumps(data))
    with pytest.raises(VerificationError):
        proofs.load_consistency_proof("{}")
    with pytest.raises(VerificationError):
        proofs.load_inclusion_proof("not json")


# --- Every alteration of an inclusion proof is refused. ---

# Each mutation takes (proof, draw) and returns (proof, checkpoint note, operator key, origin).
Draw = Callable[[Any], Any]
Mutated = tuple[InclusionProof, str, bytes, "str | None"]
CMutated = tuple[ConsistencyProof, bytes]


def _with(proof: InclusionProof, **changes: Any) -> Mutated:
    return proof.model_copy(update=changes), NOTES[proof.tree_size], OPERATOR_PUB, ORIGIN


def _other(draw: Draw, current: int, low: int, high: int) -> int:
    near = st.sampled_from([current - 1, current + 1])
    value: int = draw(st.one_of(near, st.integers(low, high)).filter(lambda v: v != current))
    return value


def _bit(draw: Draw) -> int:
    value: int = draw(st.integers(0, 255))
    return value


def m_claim_id(p: InclusionProof, draw: Draw) -> Mutated:
    ids = [f"c{i:02d}" for i in range(SIZE)] + ["", "x"]
    return _with(p, claim_id=draw(st.sampled_from(ids).filter(lambda c: c != p.claim_id)))


def m_leaf_index(p: InclusionProof, draw: Draw) -> Mutated:
    return _with(p, leaf_index=_other(draw, p.leaf_index, -5, 2**64))


def m_tree_size(p: InclusionProof, draw: Draw) -> Mutated:
    return _with(p, tree_size=_other(draw, p.tree_size, -5, 2**64))


def m_leaf_text(p: InclusionProof, draw: Draw) -> Mutated:
    at = draw(st.integers(0, len(p.leaf) - 1))
    char = draw(st.characters(codec="utf-8").filter(lambda c: c != p.leaf[at]))
    return _with(p, leaf=p.leaf[:at] + char + p.leaf[at + 1 :])


def m_leaf_and_hash(p: InclusionProof, draw: Draw) -> Mutated:
    # A consistent forgery: another leaf with its own correct hash, or another real one.
    other = draw(st.sampled_from(LEAVES).filter(lambda b: b.decode() != p.leaf))
    return _with(p, leaf=other.decode(), leaf_hash=merkle.leaf_hash(other).hex())


def m_leaf_hash(p: InclusionProof, draw: Draw) -> Mutated:
    return _with(p, leaf_hash=flip_hex(p.leaf_hash, _bit(draw)))


def m_path_bit(p: InclusionProof, draw: Draw) -> Mutated:
    i = draw(st.integers(0, len(p.path) - 1))
    path = list(p.path)
    path[i] = flip_hex(path[i], _bit(draw))
    return _with(p, path=path)


def m_path_truncated(p: InclusionProof, draw: Draw) -> Mutated:
    keep = draw(st.integers(0, len(p.path) - 1))
    return _with(p, path=p.path[:keep])


def m_path_extended(p: InclusionProof, draw: Draw) -> Mutated:
    extra = draw(st.binary(min_size=32, max_size=32)).hex()
    at = draw(st.integers(0, len(p.path)))
    return _with(p, path=[*p.path[:at], extra, *p.path[at:]])


def m_path_swapped(p: InclusionProof, draw: Draw) -> Mutated:
    assume(len(p.path) >= 2)  # the last leaf of a 2^k + 1 tree has a one-hash path
    i = draw(st.integers(0, len(p.path) - 2))
    j = draw(st.integers(i + 1, len(p.path) - 1))
    path = list(p.path)
    path[i], path[j] = path[j], path[i]
    return _with(p, path=path)


def m_path_not_hex(p: InclusionProof, draw: Draw) -> Mutated:
    return _with(p, path=[h.upper() for h in p.path])


def m_embedded_checkpoint(p: InclusionProof, draw: Draw) -> Mutated:
    other = draw(st.sampled_from(sorted(NOTES)).filter(lambda s: s != p.tree_size))
    return _with(p, checkpoint=NOTES[other])


def m_embedded_checkpoint_resigned(p: InclusionProof, draw: Draw) -> Mutated:
    return _with(p, checkpoint=checkpoint_note(p.tree_size, STRANGER))


def m_embedded_checkpoint_tampered(p: InclusionProof, draw: Draw) -> Mutated:
    note = p.checkpoint
    at = draw(st.integers(0, len(note) - 1))
    char = draw(st.sampled_from("A0/+\n= ").filter(lambda c: c != note[at]))
    return _with(p, checkpoint=note[:at] + char + note[at + 1 :])


def m_given_checkpoint(p: InclusionProof, draw: Draw) -> Mutated:
    other = draw(st.sampled_from(sorted(NOTES)).filter(lambda s: s != p.tree_size))
    return p, NOTES[other], OPERATOR_PUB, ORIGIN


def m_both_checkpoints_and_size(p: InclusionProof, draw: Draw) -> Mutated:
    # The proof claims another (honestly signed) tree size throughout; its path is for p.tree_size.
    other = draw(st.sampled_from(sorted(NOTES)).filter(lambda s: s != p.tree_size))
    changed = p.model_copy(update={"tree_size": other, "checkpoint": NOTES[other]})
    return changed, NOTES[other], OPERATOR_PUB, ORIGIN


def m_operator_key(p: InclusionProof, draw: Draw) -> Mutated:
    return p, p.checkpoint, STRANGER.public_key().public_bytes_raw(), ORIGIN


def m_origin(p: InclusionProof, draw: Draw) -> Mutated:
    return (
        p,
        p.checkpoint,
        OPERATOR_PUB,
        draw(st.sampled_from(["tally.example/other", ORIGIN + "x"])),
    )


def m_other_log(p: InclusionProof, draw: Draw) -> Mutated:
    # Same operator key, another log: the checkpoint must name the expected origin.
    note = checkpoint_note(p.tree_size, origin="tally.example/other")
    return p.model_copy(update={"checkpoint": note}), note, OPERATOR_PUB, ORIGIN


INCLUSION_MUTATIONS = [
    m_claim_id, m_leaf_index, m_tree_size, m_leaf_text, m_leaf_and_hash, m_leaf_hash,
    m_path_bit, m_path_truncated, m_path_extended, m_path_swapped, m_path_not_hex,
    m_embedded_checkpoint, m_embedded_checkpoint_resigned, m_embedded_checkpoint_tampered,
    m_given_checkpoint, m_both_checkpoints_and_size, m_operator_key, m_origin, m_other_log,
]  # fmt: skip


@pytest.mark.parametrize("mutate", INCLUSION_MUTATIONS, ids=lambda f: f.__name__)
@given(data=st.data())
def test_any_altered_inclusion_proof_is_refused(
    mutate: Callable[[InclusionProof, Draw], Mutated], data: st.DataObject
) -> None:
    size = data.draw(st.integers(2, SIZE))  # from 2 leaves up, every path has a hash
    proof = inclusion(data.draw(st.integers(0, size - 1)), size)
    changed, note, key, origin = mutate(proof, data.draw)
    with pytest.raises(VerificationError):
        proofs.verify_inclusion_proof(changed, note, key, origin, claim_id_of=claim_id_of)


def test_claim_id_is_only_bound_when_the_caller_says_how() -> None:
    proof = inclusion(3).model_copy(update={"claim_id": "c04"})
    proofs.verify_inclusion_proof(proof, NOTES[SIZE], OPERATOR_PUB)  # a label, unchecked
    with pytest.raises(VerificationError, match="claim c04"):
        proofs.verify_inclusion_proof(proof, NOTES[SIZE], OPERATOR_PUB, claim_id_of=claim_id_of)


# --- Every alteration of a consistency proof is refused. ---


def _cwith(proof: ConsistencyProof, **changes: Any) -> CMutated:
    return proof.model_copy(update=changes), OPERATOR_PUB


def c_sizes(p: ConsistencyProof, draw: Draw) -> CMutated:
    field = draw(st.sampled_from(["old_size", "new_size"]))
    return _cwith(p, **{field: _other(draw, getattr(p, field), -2, 2**64)})


def c_roots(p: ConsistencyProof, draw: Draw) -> CMutated:
    field = draw(st.sampled_from(["old_root", "new_root"]))
    return _cwith(p, **{field: flip_hex(getattr(p, field), _bit(draw))})


def c_path_bit(p: ConsistencyProof, draw: Draw) -> CMutated:
    i = draw(st.integers(0, len(p.path) - 1))
    path = list(p.path)
    path[i] = flip_hex(path[i], _bit(draw))
    return _cwith(p, path=path)


def c_path_length(p: ConsistencyProof, draw: Draw) -> CMutated:
    if draw(st.booleans()):
        return _cwith(p, path=p.path[: draw(st.integers(0, len(p.path) - 1))])
    at = draw(st.integers(0, len(p.path)))
    extra = draw(st.binary(min_size=32, max_size=32)).hex()
    return _cwith(p, path=[*p.path[:at], extra, *p.path[at:]])


def c_path_swapped(p: ConsistencyProof, draw: Draw) -> CMutated:
    i = draw(st.integers(0, len(p.path) - 2))
    j = draw(st.integers(i + 1, len(p.path) - 1))
    path = list(p.path)
    path[i], path[j] = path[j], path[i]
    return _cwith(p, path=path)


def c_checkpoints(p: ConsistencyProof, draw: Draw) -> CMutated:
    # Swap in another honestly signed checkpoint and make every field agree with it.
    which = draw(st.sampled_from(["old", "new"]))
    current = p.old_size if which == "old" else p.new_size
    other = draw(st.sampled_from(sorted(NOTES)).filter(lambda s: s != current))
    root = merkle.root(other, STORE.get).hex()
    changes = {f"{which}_size": other, f"{which}_root": root, f"{which}_checkpoint": NOTES[other]}
    return _cwith(p, **changes)


def c_swapped_checkpoints(p: ConsistencyProof, draw: Draw) -> CMutated:
    return _cwith(
        p, old_size=p.new_size, new_size=p.old_size, old_root=p.new_root, new_root=p.old_root,
        old_checkpoint=p.new_checkpoint, new_checkpoint=p.old_checkpoint,
    )  # fmt: skip


def c_resigned(p: ConsistencyProof, draw: Draw) -> CMutated:
    field = draw(st.sampled_from(["old_checkpoint", "new_checkpoint"]))
    size = p.old_size if field == "old_checkpoint" else p.new_size
    return _cwith(p, **{field: checkpoint_note(size, STRANGER)})


def c_other_log(p: ConsistencyProof, draw: Draw) -> CMutated:
    return _cwith(p, new_checkpoint=checkpoint_note(p.new_size, origin="tally.example/other"))


def c_operator_key(p: ConsistencyProof, draw: Draw) -> CMutated:
    return p, STRANGER.public_key().public_bytes_raw()


CONSISTENCY_MUTATIONS = [
    c_sizes, c_roots, c_path_bit, c_path_length, c_path_swapped, c_checkpoints,
    c_swapped_checkpoints, c_resigned, c_other_log, c_operator_key,
]  # fmt: skip


@pytest.mark.parametrize("mutate", CONSISTENCY_MUTATIONS, ids=lambda f: f.__name__)
@given(data=st.data())
def test_any_altered_consistency_proof_is_refused(
    mutate: Callable[[ConsistencyProof, Draw], CMutated],
    data: st.DataObject,
) -> None:
    # 3 <= old < new and old not a power of two: every proof has >= 2 hashes.
    new = data.draw(st.integers(4, SIZE))
    old = data.draw(st.integers(3, new - 1).filter(lambda m: m & (m - 1)))
    changed, key = mutate(consistency(old, new), data.draw)
    with pytest.raises(VerificationError):
        proofs.verify_consistency_proof(changed, key, ORIGIN)


# --- tlog-proof@v1 (https://c2sp.org/tlog-proof). ---


def test_tlog_proof_has_the_c2sp_layout() -> None:
    path = merkle.inclusion_path(5, SIZE, STORE.get)
    text = proofs.format_tlog_proof(5, path, NOTES[SIZE])
    b64 = [base64.b64encode(h).decode() for h in path]
    assert (
        text
        == "c2sp.org/tlog-proof@v1\nindex 5\n" + "".join(h + "\n" for h in b64) + "\n" + NOTES[SIZE]
    )
    with_extra = proofs.format_tlog_proof(5, path, NOTES[SIZE], extra=b"leaf")
    assert with_extra.startswith("c2sp.org/tlog-proof@v1\nextra bGVhZg==\nindex 5\n")


@given(
    index=st.integers(0, 2**63 - 1),
    path=st.lists(st.binary(min_size=32, max_size=32), max_size=64),
    extra=st.none() | st.binary(max_size=200),
    size=st.sampled_from(sorted(NOTES)),
)
def test_tlog_proof_round_trip(
    index: int, path: list[bytes], extra: bytes | None, size: int
) -> None:
    text = proofs.format_tlog_proof(index, path, NOTES[size], extra=extra)
    assert proofs.parse_tlog_proof(text) == (index, path, NOTES[size])
    assert proofs.read_tlog_proof(text) == proofs.TlogProof(index, path, NOTES[size], extra)


def test_tlog_proof_verifies_for_every_leaf() -> None:
    for index in range(SIZE):
        text = proofs.format_tlog_proof(
            index, merkle.inclusion_path(index, SIZE, STORE.get), NOTES[SIZE], extra=LEAVES[index]
        )
        cp = proofs.verify_tlog_proof(text, LEAVES[index], OPERATOR_PUB, ORIGIN)
        assert cp.size == SIZE
        with pytest.raises(VerificationError):
            proofs.verify_tlog_proof(text, LEAVES[(index + 1) % SIZE], OPERATOR_PUB, ORIGIN)
        with pytest.raises(VerificationError):
            proofs.verify_tlog_proof(text, LEAVES[index], OPERATOR_PUB, "tally.example/other")


@given(data=st.data())
def test_any_altered_tlog_proof_is_refused(data: st.DataObject) -> None:
    index = data.draw(st.integers(0, SIZE - 1))
    path = merkle.inclusion_path(index, SIZE, STORE.get)
    text = proofs.format_tlog_proof(index, path, NOTES[SIZE])
    # Any one character changed anywhere in the file, the checkpoint included.
    at = data.draw(st.integers(0, len(text) - 1))
    char = data.draw(st.sampled_from("0159AZaz+/=\n -").filter(lambda c: c != text[at]))
    with pytest.raises(VerificationError):
        proofs.verify_tlog_proof(text[:at] + char + text[at + 1 :], LEAVES[index], OPERATOR_PUB)


GOOD_HASH = base64.b64encode(bytes(32)).decode()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "c2sp.org/tlog-proof@v1",
        "c2sp.org/tlog-proof@v2\nindex 0\n\n" + NOTES[1],
        "C2SP.org/tlog-proof@v1\nindex 0\n\n" + NOTES[1],
        "c2sp.org/tlog-proof@v1\r\nindex 0\r\n\r\n" + NOTES[1],
        "c2sp.org/tlog-proof@v1\nindex 00\n\n" + NOTES[1],
        "c2sp.org/tlog-proof@v1\nindex 01\n\n" + NOTES[1],
        "c2sp.org/tlog-proof@v1\nindex -1\n\n" + NOTES[1],
        "c2sp.org/tlog-proof@v1\nindex +1\n\n" + NOTES[1],
        "c2sp.org/tlog-proof@v1\nindex  1\n\n" + NOTES[1],
        "c2sp.org/tlog-proof@v1\nindex 1 \n\n" + NOTES[1],
        f"c2sp.org/tlog-proof@v1\nindex {2**63}\n\n" + NOTES[1],
        "c2sp.org/tlog-proof@v1\nindex\n\n" + NOTES[1],
        "c2sp.org/tlog-proof@v1\n\n" + NOTES[1],  # no index line
        "c2sp.org/tlog-proof@v1\nextra !!\nindex 0\n\n" + NOTES[1],
        "c2sp.org/tlog-proof@v1\nextra YQ\nindex 0\n\n" + NOTES[1],  # unpadded
        "c2sp.org/tlog-proof@v1\nindex 0\nextra YQ==\n\n" + NOTES[1],  # out of order
        f"c2sp.org/tlog-proof@v1\nindex 0\n{GOOD_HASH[:-2]}=\n\n" + NOTES[1],
        f"c2sp.org/tlog-proof@v1\nindex 0\n{base64.b64encode(bytes(33)).decode()}\n\n" + NOTES[1],
        f"c2sp.org/tlog-proof@v1\nindex 0\n{bytes(32).hex()}\n\n" + NOTES[1],
        f"c2sp.org/tlog-proof@v1\nindex 0\n{GOOD_HASH}\n" + NOTES[1],  # no empty line
        f"c2sp.org/tlog-proof@v1\nindex 0\n{GOOD_HASH}",
        "c2sp.org/tlog-proof@v1\nindex 0\n\n",  # no checkpoint
        "c2sp.org/tlog-proof@v1\nindex 0\n\n" + NOTES[1].split("\n\n")[0] + "\n",  # unsigned
        "c2sp.org/tlog-proof@v1\nindex 0\n\n" + NOTES[1] + "trailing\n",
        "c2sp.org/tlog-proof@v1\nindex 0\n\n"
        + notes.sign_note("not\na checkpoint\n", ORIGIN, OPERATOR),
    ],
)
def test_malformed_tlog_proofs_are_refused(text: str) -> None:
    with pytest.raises(VerificationError):
        proofs.parse_tlog_proof(text)
