"""The JSON answers of the audit commands that are not read-model queries: `verify` and
`checkpoint --list` (the read model's answers are `tally.projections.models`).

Keys may be added, never renamed or dropped (docs/cli.md).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


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
