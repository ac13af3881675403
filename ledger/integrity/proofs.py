"""Offline proof files: what a fact-checker keeps to show a claim is in the ledger.

Two forms, both verifiable with nothing but the operator's public key:

- JSON models (hex hashes): ``InclusionProof`` for one claim's leaf and
  ``ConsistencyProof`` between two checkpoints;
- the C2SP tlog-proof@v1 text (https://c2sp.org/tlog-proof), readable by
  transparency-log tooling::

      c2sp.org/tlog-proof@v1
      [extra <base64 opaque data>]
      index <decimal leaf index>
      <base64 hash>            (zero or more, leaf's sibling first)
      <empty line>
      <signed checkpoint note, verbatim>

Every verification failure, including a malformed file, is a VerificationError.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    ValidationError,
    model_serializer,
)

from tally.ledger.errors import VerificationError
from tally.ledger.integrity import merkle, strict_json
from tally.ledger.integrity.checkpoints import (
    MAX_TREE_SIZE,
    Checkpoint,
    parse_decimal,
    split_note,
    strict_b64decode,
    verify_checkpoint,
)

TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"
_HEX32 = re.compile(r"[0-9a-f]{64}")
HexHash = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class _ProofModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class FollowUpLeaf(_ProofModel):
    """A correction or retraction of the proven claim: its leaf at `leaf_index` in the same
    tree, and the audit path to that tree's root."""

    leaf_index: int = Field(ge=0, le=MAX_TREE_SIZE)
    leaf: str  # the leaf bytes, as UTF-8 text
    path: list[HexHash]


# What an inclusion proof may leave out, absent (never null), so older proofs keep their bytes.
_OPTIONAL = ("event_id", "disclosures", "follow_ups")


class InclusionProof(_ProofModel):
    """That the leaf of claim `claim_id` is at `leaf_index` in the tree the checkpoint signs:
    the claim's recording event, or with `event_id` that correction or retraction of it.
    `event_id` is absent (not null) from a claim's proof, so those keep their bytes.

    Optional: `disclosures`, format v2's disclosures of the proven body's committed fields
    (its quote, URL), each checked against its commitment; `follow_ups`, the claim's
    corrections and retractions in the same tree, each with its own audit path, from which
    a verifier tells the claim's status at the checkpoint."""

    claim_id: str
    event_id: str | None = None
    leaf_index: int = Field(ge=0, le=MAX_TREE_SIZE)
    tree_size: int = Field(ge=1, le=MAX_TREE_SIZE)
    leaf: str  # the leaf bytes, as UTF-8 text
    leaf_hash: HexHash
    path: list[HexHash]
    checkpoint: str  # the signed checkpoint note
    disclosures: list[str] | None = Field(default=None, max_length=8)
    follow_ups: list[FollowUpLeaf] | None = Field(default=None, max_length=1000)

    @model_serializer(mode="wrap")
    def _without_absent_members(self, handler: SerializerFunctionWrapHandler
                                ) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for member in _OPTIONAL:
            if data.get(member) is None:
                data.pop(member, None)
        return data

    def tlog_text(self) -> str:
        """The proof as C2SP tlog-proof@v1 text, the leaf bytes carried in its `extra` line."""
        return format_tlog_proof(self.leaf_index, [bytes.fromhex(h) for h in self.path],
                                 self.checkpoint, extra=self.leaf.encode("utf-8"))


class ConsistencyProof(_ProofModel):
    """That the tree signed in `new_checkpoint` extends the one signed in `old_checkpoint`."""

    old_size: int = Field(ge=1, le=MAX_TREE_SIZE)
    new_size: int = Field(ge=1, le=MAX_TREE_SIZE)
    old_root: HexHash
    new_root: HexHash
    path: list[HexHash]
    old_checkpoint: str
    new_checkpoint: str


def _hash(value: str, what: str) -> bytes:
    # Re-checked here: models built with model_construct or model_copy skip validation.
    if not isinstance(value, str) or _HEX32.fullmatch(value) is None:
        raise VerificationError(f"{what} is not 64 lowercase hex digits.")
    return bytes.fromhex(value)


def _path(values: Sequence[str]) -> list[bytes]:
    if not isinstance(values, list):
        raise VerificationError("the path is not a list of hashes.")
    return [_hash(value, f"path hash {number}") for number, value in enumerate(values, start=1)]


# What `tally proof --json` says beside the proof (the claim's status when it was made):
# not proven, so a verifier drops these keys and never reads them.
ANSWER_KEYS = ("status", "warning")


def load_inclusion_proof(text: str | bytes) -> InclusionProof:
    """Parse an inclusion proof JSON file (without `ANSWER_KEYS`); a malformed one is a
    VerificationError."""
    data = strict_json.loads(text, "not an inclusion proof: it", VerificationError)
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k not in ANSWER_KEYS}
    try:
        return InclusionProof.model_validate(data)
    except ValidationError as error:
        raise VerificationError(f"not an inclusion proof: {error.errors()[0]['msg']}.") from None


def load_consistency_proof(text: str | bytes) -> ConsistencyProof:
    """Parse a consistency proof JSON file; a malformed one is a VerificationError."""
    try:
        return ConsistencyProof.model_validate_json(text)
    except ValidationError as error:
        raise VerificationError(f"not a consistency proof: {error.errors()[0]['msg']}.") from None


def _integer(value: object, what: str) -> int:
    # Models built with model_construct or model_copy skip validation.
    if type(value) is not int:
        raise VerificationError(f"{what} is not an integer.")
    return value


def verify_inclusion_proof(
    proof: InclusionProof,
    checkpoint_note: str,
    operator_key: bytes,
    origin: str | None = None,
    *,
    claim_id_of: Callable[[bytes], str] | None = None,
) -> Checkpoint:
    """Check `proof` against the trusted `checkpoint_note`; return that checkpoint.

    Both the given checkpoint and the one inside the proof must be signed by the
    operator and name the same tree (origin, size, root). `claim_id` is only a
    label unless `claim_id_of` (leaf bytes -> the claim id they record) is given:
    how a leaf names its claim belongs to the event format, not to this module.
    """
    checkpoint = verify_checkpoint(checkpoint_note, operator_key, origin)
    embedded = verify_checkpoint(proof.checkpoint, operator_key, checkpoint.origin)
    if (embedded.size, embedded.root_hash) != (checkpoint.size, checkpoint.root_hash):
        raise VerificationError(
            f"the proof's checkpoint (size {embedded.size}) is not the given checkpoint "
            f"(size {checkpoint.size})."
        )
    tree_size = _integer(proof.tree_size, "the tree size")
    if tree_size != checkpoint.size:
        raise VerificationError(
            f"the proof is for tree size {tree_size}, the checkpoint for {checkpoint.size}."
        )
    try:
        leaf = proof.leaf.encode("utf-8")
    except (AttributeError, UnicodeEncodeError):
        raise VerificationError("the leaf is not UTF-8 text.") from None
    leaf_hash = _hash(proof.leaf_hash, "the leaf hash")
    if merkle.leaf_hash(leaf) != leaf_hash:
        raise VerificationError("the leaf hash is not the hash of the leaf.")
    if claim_id_of is not None and claim_id_of(leaf) != proof.claim_id:
        raise VerificationError(f"the leaf does not record claim {proof.claim_id}.")
    index = _integer(proof.leaf_index, "the leaf index")
    merkle.verify_inclusion(leaf_hash, index, tree_size, _path(proof.path), checkpoint.root_hash)
    return checkpoint


def verify_follow_up(follow_up: FollowUpLeaf, checkpoint: Checkpoint) -> bytes:
    """The leaf bytes of a follow-up, after checking its audit path to the root of the
    (already verified) `checkpoint`; VerificationError otherwise."""
    try:
        leaf = follow_up.leaf.encode("utf-8")
    except (AttributeError, UnicodeEncodeError):
        raise VerificationError("a follow-up's leaf is not UTF-8 text.") from None
    index = _integer(follow_up.leaf_index, "a follow-up's leaf index")
    try:
        merkle.verify_inclusion(merkle.leaf_hash(leaf), index, checkpoint.size,
                                _path(follow_up.path), checkpoint.root_hash)
    except VerificationError as e:
        raise VerificationError(f"the follow-up at leaf {index} is not in the signed tree: "
                                f"{e.message}") from None
    return leaf


def verify_consistency_proof(
    proof: ConsistencyProof, operator_key: bytes, origin: str | None = None
) -> None:
    """Check both signatures, that they match the proof's sizes and roots, and the path."""
    old = verify_checkpoint(proof.old_checkpoint, operator_key, origin)
    new = verify_checkpoint(proof.new_checkpoint, operator_key, old.origin)
    old_root, new_root = (
        _hash(proof.old_root, "the old root"),
        _hash(proof.new_root, "the new root"),
    )
    old_size, new_size = _integer(proof.old_size, "old size"), _integer(proof.new_size, "new size")
    if (old_size, old_root) != (old.size, old.root_hash):
        raise VerificationError("the old size and root are not those of the old checkpoint.")
    if (new_size, new_root) != (new.size, new.root_hash):
        raise VerificationError("the new size and root are not those of the new checkpoint.")
    merkle.verify_consistency(old.size, new.size, old.root_hash, new.root_hash, _path(proof.path))


def verify_extension(
    older_note: str, trusted_note: str, link: ConsistencyProof, operator_key: bytes
) -> tuple[Checkpoint, Checkpoint]:
    """Check that the trusted checkpoint extends the older one append-only; return both.

    Both are signed by the operator for one origin, the trusted one is no smaller, and
    `link` is a valid consistency proof (its own two checkpoints signed and matching its
    sizes and roots) from exactly the older tree to exactly the trusted one.
    """
    trusted = verify_checkpoint(trusted_note, operator_key)
    older = verify_checkpoint(older_note, operator_key, trusted.origin)
    if older.size > trusted.size:
        raise VerificationError(
            f"the trusted checkpoint (size {trusted.size}) is older than the proof's "
            f"checkpoint (size {older.size})."
        )
    verify_consistency_proof(link, operator_key, trusted.origin)
    old = (_integer(link.old_size, "old size"), _hash(link.old_root, "the old root"))
    new = (_integer(link.new_size, "new size"), _hash(link.new_root, "the new root"))
    if old != (older.size, older.root_hash):
        raise VerificationError(
            f"the consistency proof starts at size {old[0]}, not at the proof's checkpoint "
            f"(size {older.size})."
        )
    if new != (trusted.size, trusted.root_hash):
        raise VerificationError(
            f"the consistency proof ends at size {new[0]}, not at the trusted checkpoint "
            f"(size {trusted.size})."
        )
    return older, trusted


def verify_extended_inclusion(
    proof: InclusionProof,
    trusted_note: str,
    link: ConsistencyProof,
    operator_key: bytes,
    *,
    claim_id_of: Callable[[bytes], str] | None = None,
) -> tuple[Checkpoint, Checkpoint]:
    """Check an inclusion proof made against an older checkpoint, through a newer trusted
    one: the proof in its own (signed) checkpoint's tree, then `verify_extension` from
    that checkpoint to the trusted one. Returns (the proof's checkpoint, the trusted one).
    """
    trusted = verify_checkpoint(trusted_note, operator_key)
    verify_inclusion_proof(
        proof, proof.checkpoint, operator_key, trusted.origin, claim_id_of=claim_id_of
    )
    return verify_extension(proof.checkpoint, trusted_note, link, operator_key)


@dataclass(frozen=True)
class TlogProof:
    """A parsed tlog-proof@v1 file; `extra` is unauthenticated and must not be trusted."""

    index: int
    path: list[bytes]
    checkpoint: str
    extra: bytes | None = None


def format_tlog_proof(
    index: int, path: list[bytes], checkpoint_note: str, extra: bytes | None = None
) -> str:
    """The tlog-proof@v1 text for the leaf at `index` under a signed checkpoint note."""
    if index < 0 or any(len(h) != merkle.HASH_SIZE for h in path):
        raise ValueError("index must be >= 0 and every path hash 32 bytes")
    lines = [TLOG_PROOF_HEADER]
    if extra is not None:
        lines.append("extra " + base64.b64encode(extra).decode("ascii"))
    lines.append(f"index {index}")
    lines.extend(base64.b64encode(h).decode("ascii") for h in path)
    return "\n".join(lines) + "\n\n" + checkpoint_note


def read_tlog_proof(text: str) -> TlogProof:
    """Parse a tlog-proof@v1 text strictly (the checkpoint's signatures are not checked here)."""

    def bad(why: str) -> VerificationError:
        return VerificationError(f"malformed tlog-proof: {why}.")

    header, sep, rest = text.partition("\n")
    if not sep or header != TLOG_PROOF_HEADER:
        raise bad(f"the first line must be {TLOG_PROOF_HEADER}")
    extra = None
    if rest.startswith("extra "):
        line, sep, rest = rest[len("extra ") :].partition("\n")
        extra = strict_b64decode(line)
        if not sep or extra is None:
            raise bad("the extra line is not base64")
    line, sep, rest = rest.partition("\n")
    index = (
        parse_decimal(line[len("index ") :], MAX_TREE_SIZE) if line.startswith("index ") else None
    )
    if not sep or index is None:
        raise bad("expected 'index <decimal>' with no leading zeros")
    path: list[bytes] = []
    while True:
        line, sep, rest = rest.partition("\n")
        if not sep:
            raise bad("the proof hashes must end with an empty line")
        if not line:
            break
        value = strict_b64decode(line)
        if value is None or len(value) != merkle.HASH_SIZE:
            raise bad(f"proof line {len(path) + 1} is not the base64 of a 32-byte hash")
        path.append(value)
    # The checkpoint is verbatim: it must at least be a well-formed signed checkpoint.
    Checkpoint.parse_body(split_note(rest)[0])
    return TlogProof(index, path, rest, extra)


def parse_tlog_proof(text: str) -> tuple[int, list[bytes], str]:
    """(index, path, checkpoint note) of a tlog-proof@v1 text; read_tlog_proof also gives extra."""
    parsed = read_tlog_proof(text)
    return parsed.index, parsed.path, parsed.checkpoint


def verify_tlog_proof(
    text: str, leaf: bytes, operator_key: bytes, origin: str | None = None
) -> Checkpoint:
    """Verify a tlog-proof@v1 text for raw leaf bytes `leaf`; return its signed checkpoint."""
    parsed = read_tlog_proof(text)
    checkpoint = verify_checkpoint(parsed.checkpoint, operator_key, origin)
    merkle.verify_inclusion(
        merkle.leaf_hash(leaf), parsed.index, checkpoint.size, parsed.path, checkpoint.root_hash
    )
    return checkpoint
