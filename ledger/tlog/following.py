"""`tally clone` and `tally monitor` as library calls: a published site followed into a
replica, or checked against a state file (`ledger.tlog.monitor`); a refused site leaves
its evidence file and its mark on the replica. Each returns a typed answer (its
`--json`) or raises `SiteError` naming the entry."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tally.ledger.errors import InputError, SiteError
from tally.ledger.infra.bounded_files import read_regular
from tally.ledger.integrity.checkpoints import verify_checkpoint
from tally.ledger.integrity.tlog_policy import Policy, witnessed_by
from tally.ledger.progress import Progress
from tally.ledger.tlog.monitor import MonitorState, evidence, note_size, watch
from tally.ledger.tlog.replica_update import record_refusal, update
from tally.ledger.tlog.source import SiteSource

MAX_STATE_BYTES = 2**20  # a state file holds a note and O(log n) hashes


class _Answer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Cloned(_Answer):
    """What `clone` took: the replica's size before and after, and its checkpoint."""

    source: str
    size: int
    previous_size: int
    checkpoint: str
    origin: str = Field(exclude=True)  # for the text answer


class Monitored(_Answer):
    """What `monitor` checked: the site grew from `previous_size` to `size` consistently,
    in a replica (`--db`) or against a state file; `witnessed_by`: the policy's witnesses
    that cosigned the checkpoint (empty without a policy)."""

    ok: Literal[True] = True  # a site that fails raises SiteError instead
    source: str
    mode: Literal["replica", "state"]
    previous_size: int
    size: int
    witnessed_by: list[str]


def clone(db: str | None, site: SiteSource, operator_key: bytes, evidence_file: Path,
          progress: Progress | None = None) -> Cloned:
    """Build (or resume) the replica at `db` from the site alone (`replica_update.update`)."""
    with evidence_on_refusal(db, site.location, evidence_file):
        done = update(db, site, operator_key, create=True, progress=progress)
    return Cloned(source=site.location, size=done.size, previous_size=done.previous_size,
                  checkpoint=done.checkpoint, origin=done.origin)


def monitor(db: str | None, site: SiteSource, operator_key: bytes | None, state_file: Path,
            evidence_file: Path, policy: Policy | None = None,
            progress: Progress | None = None) -> Monitored:
    """Check the site's growth: with `db`, update that replica; without it, against the
    state file, auditing in the private replica beside it (`monitor.watch`), and write the
    new state. InputError when there is neither a state file nor an operator key."""
    seen = None
    if db is None and state_file.exists():
        seen = read_state(state_file)
        operator_key = operator_key or bytes.fromhex(seen.operator_public_key)
    with evidence_on_refusal(db, site.location, evidence_file,
                             None if seen is None else seen.checkpoint):
        if db is not None:
            done = update(db, site, operator_key, progress=progress, policy=policy)
            before, size, note = done.previous_size, done.size, done.checkpoint
            key = bytes.fromhex(done.operator_public_key)
        else:
            if operator_key is None:
                raise InputError("give the operator's key on the first look",
                                 field="operator-key")
            key = operator_key
            new = watch(site, key, seen, state_file, policy, progress)
            replace_file(state_file, new.model_dump_json(indent=2) + "\n")
            before = 0 if seen is None else note_size(seen.checkpoint) or 0
            size, note = note_size(new.checkpoint) or 0, new.checkpoint
    cosigned = [] if policy is None else witnessed_by(
        policy, [note], verify_checkpoint(note, key).origin, key)
    return Monitored(source=site.location, mode="replica" if db is not None else "state",
                     previous_size=before, size=size, witnessed_by=cosigned)


@contextmanager
def evidence_on_refusal(db: str | None, source: str, evidence_file: Path,
                        old_note: str | None = None) -> Iterator[None]:
    """A refused site: the evidence file written, the refusal noted on the replica (every
    read command repeats it), and one sentence naming both."""
    try:
        yield
    except SiteError as e:
        replace_file(evidence_file,
                     evidence(e, source, old_note).model_dump_json(indent=2) + "\n")
        if db is not None:
            record_refusal(db, e.message, evidence_file)
        raise SiteError(f"{e.message} (evidence written to {evidence_file})",
                        entry=e.entry) from None


def read_state(path: Path) -> MonitorState:
    """The monitor's state file; InputError if it is not one."""
    try:
        text = read_regular(path, MAX_STATE_BYTES, "state file").decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"the state file {path} is not UTF-8 text") from None
    try:
        return MonitorState.model_validate_json(text)
    except ValidationError:
        raise InputError(f"{path} is not a monitor state file", field="state") from None


def replace_file(path: Path, text: str) -> None:
    """Write a whole file under a temporary name, then rename it: never half a state file."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
