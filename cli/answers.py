"""The `--json` answers the commands compose from a library call and their options (where
a file was written, whether a thing was created): the read model's answers are
`tally.projections.models`, the library's typed results are answers of their own
(`ProvenEvent`, `Cloned`, `Monitored`, ...).

Keys may be added, never renamed or dropped (docs/cli.md).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tally.ledger.directory import SignerInfo
from tally.ledger.evidence.documents import DocumentInfo
from tally.ledger.infra.cosigning import WitnessAnswer
from tally.ledger.integrity.proofs import InclusionProof
from tally.ledger.witness_service.service import LogEntry


class _Answer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class VerifyAnswer(_Answer):
    ok: bool
    events: int
    signatures: int
    checkpoints: int
    kept_checkpoints: int
    pending: int  # valid events past the Merkle log's end: a writer still logging them
    tree_size: int
    root: str
    problem: str | None
    position: int | None
    projection_differences: list[str]
    logged_on_open: int
    witnessed_by: list[str]


class StoredCheckpoint(_Answer):
    """One stored checkpoint, read with the checkpoint parser: `verified` says whether the
    operator key signed it for this origin; `root` (hex) is None when it does not parse."""

    size: int
    signed_at: str  # ISO 8601 UTC with Z, as every time Tally prints
    root: str | None
    verified: bool
    problem: str | None
    note: str


class CheckpointList(_Answer):
    checkpoints: list[StoredCheckpoint]


class Initialised(_Answer):
    """`tally init`."""

    ledger_id: str
    origin: str
    operator_public_key: str
    operator_key_id: str
    database: str
    created: bool


class NewKey(_Answer):
    """`tally keys new`."""

    name: str
    key_id: str
    public_key: str


class NewWitness(_Answer):
    """`tally witness init`: the witness's key name, vkey and folder."""

    name: str
    vkey: str
    dir: str
    created: bool


class ConfiguredWitness(_Answer):
    name: str
    url: str
    vkey: str


class RemovedWitness(ConfiguredWitness):
    """A witness the operator removed (never asked again), with the reason."""

    reason: str


class WitnessList(_Answer):
    """`tally witnesses list`: this log's origin and vkey, the witnesses it asks, and those
    it no longer asks."""

    origin: str
    log_vkey: str
    witnesses: list[ConfiguredWitness]
    removed: list[RemovedWitness]


class SignedCheckpoint(_Answer):
    """`tally checkpoint`: the note, with the cosignatures gathered, and each witness's
    answer."""

    size: int
    note: str
    witnesses: list[WitnessAnswer]


class ProofWritten(_Answer):
    """`tally proof -o FILE`."""

    claim_id: str
    kind: str
    id: str
    leaf_index: int
    tree_size: int
    output: str
    status: str
    warning: str | None


class TlogProof(_Answer):
    """`tally proof --tlog`: the C2SP tlog-proof text."""

    claim_id: str
    kind: str
    id: str
    tlog_proof: str
    status: str
    warning: str | None


class ProofAnswer(InclusionProof):
    """`tally proof`: the proof, and beside it what stands now (`status`, `warning`)."""

    status: str
    warning: str | None


class ConsistencyWritten(_Answer):
    """`tally consistency -o FILE`."""

    old_size: int
    new_size: int
    output: str


class Rebuilt(_Answer):
    """`tally rebuild`: the read models' position."""

    position: int


class Published(_Answer):
    """`tally publish`."""

    directory: str
    size: int
    previous_size: int
    written: int
    unchanged: int
    bytes_written: int
    read_model: str


class Exported(_Answer):
    """`tally export -o FILE` (jsonl or csv): how many lines it wrote."""

    format: str
    output: str
    lines: int


class CandidatesWritten(_Answer):
    """`tally extract -o FILE`."""

    candidates: int
    output: str


class Candidates(_Answer):
    """`tally extract` without `-o`: the candidate report lines themselves."""

    candidates: int
    lines: list[dict[str, Any]]


class WitnessPolicyWritten(_Answer):
    """`tally witnesses policy -o FILE`: the witnesses it names, and the quorum (None: all)."""

    output: str
    witnesses: list[str]
    quorum: int | None


# The list commands: each answer is an object whose one list is named after what it lists,
# so that keys can be added beside it (`cli.state.show_list`)

class SignerList(_Answer):
    """`tally signers list`."""

    signers: list[SignerInfo]


class DocumentList(_Answer):
    """`tally documents list`."""

    documents: list[DocumentInfo]


class WitnessedLogs(_Answer):
    """`tally witness logs`: the logs a witness follows, each with the size it last
    cosigned."""

    logs: list[LogEntry]


class DocumentShown(DocumentInfo):
    """`tally documents show`: the signed facts, and with --text the normalised text."""

    text: str | None = Field(default=None, exclude_if=lambda value: value is None)
