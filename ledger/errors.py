"""Every error the ledger raises, under one root.

LedgerError
├── InputError                 bad input from a user or a file; nothing was written
│   ├── InvalidValueError      a value that does not parse, is negative or out of range
│   ├── InvalidDateError       an EDTF date that does not parse, is absurd or in the future
│   ├── UnknownFigureError     a figure id that is not defined (with a did-you-mean)
│   ├── UnknownSourceError     a source id that is not registered
│   ├── UnknownClaimError      a claim id (or prefix) that matches no claim, or several
│   ├── DuplicateDefinitionError  a figure/source/signer defined again differently
│   ├── ImportFileError        a JSONL file with a bad line (names the line)
│   └── ExportError            an export that cannot be made (an unmapped figure, no checkpoint yet)
├── SignatureError             a signature that does not verify, or is not allowed
│   ├── UnknownSignerError     a key id that is not a registered signer
│   ├── RevokedSignerError     a signer revoked before the event
│   ├── ForeignLedgerError     a body signed for another ledger
│   └── NotAuthorisedError     a correction/retraction by neither the claim's signer nor an operator
├── ClaimStateError            a correction of a retracted claim, and the like
├── KeyStoreError              a local key that is missing, unreadable or too open
├── StorageError               a database that is missing, locked or not a ledger
│   └── TrackingConflictError  a read model's tracking moved under a batch (caught: retried)
└── VerificationError          a proof, checkpoint or log that fails verification
    ├── AuditError             a ledger that fails the full audit (with how far it got)
    ├── WitnessRefusalError    a checkpoint a witness will not cosign (with its HTTP status)
    ├── MissingFileError       a file a published site's checkpoint requires is not there
    └── SiteError              a published site that fails a check (names the entry)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class LedgerError(Exception):
    """Root of every error Tally raises on purpose; its message is one sentence for a user."""

    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        if field is not None:
            self.field = field

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else type(self).__name__


class InputError(LedgerError):
    """Raised when a command or a file carries input that cannot be accepted."""


class InvalidValueError(InputError):
    """Raised when a value does not parse, is negative, NaN, or out of range."""

    field = "value"


class InvalidDateError(InputError):
    """Raised when an EDTF date does not parse, is absurd, or lies in the future."""

    field = "as_of"


class UnknownFigureError(InputError):
    """Raised when a report names a figure that has not been defined."""

    field = "figure"


class UnknownSourceError(InputError):
    """Raised when a report names a source (or a via) that is not registered."""

    field = "source"


class UnknownClaimError(InputError):
    """Raised when a claim id or prefix matches no claim, or more than one."""

    field = "claim"


class DuplicateDefinitionError(InputError):
    """Raised when a figure, source or signer is defined again with different attributes."""


class ExportError(InputError):
    """Raised when an interop export cannot be made as asked: a figure the mapping file
    does not map, claims no checkpoint covers yet, a mapping file that does not parse."""


class ImportFileError(InputError):
    """Raised when a line of an import file is refused; the message names the line."""

    def __init__(self, message: str, *, line: int, field: str | None = None,
                 problems: list[ImportFileError] | None = None,
                 summary: str | None = None) -> None:
        super().__init__(message, field=field)
        self.line = line
        # every refused line an import found (up to MAX_PROBLEMS), this one first
        self.problems: list[ImportFileError] = problems or [self]
        # the message without the lines it lists, for a reader who is shown them one a line
        self.summary = summary or message

    @classmethod
    def of_lines(cls, problems: list[ImportFileError]) -> ImportFileError:
        """One error naming every refused line, in file order."""
        by_line: dict[int, ImportFileError] = {}
        for problem in problems:  # a line's first refusal names it
            by_line.setdefault(problem.line, problem)
        ordered = [by_line[line] for line in sorted(by_line)]
        first = ordered[0]
        if len(ordered) == 1:
            return first
        listed = "; ".join(p.message for p in ordered)
        summary = f"{len(ordered)} lines are refused and nothing was imported"
        return cls(f"{summary}: {listed}", line=first.line, field=first.field,
                   problems=ordered, summary=summary)


class SignatureError(LedgerError):
    """Raised when a signature does not verify against the signer's key."""

    field = "signature"


class UnknownSignerError(SignatureError):
    """Raised when a key id is not registered as a signer of this ledger."""

    field = "signer"


class RevokedSignerError(SignatureError):
    """Raised when a signer's key was revoked before the event it signs."""

    field = "signer"


class ForeignLedgerError(SignatureError):
    """Raised when a body was signed for another ledger (replay protection)."""

    field = "ledger"


class NotAuthorisedError(SignatureError):
    """Raised when a correction or retraction is signed by neither the claim's signer nor
    an operator key."""

    field = "signer"


class ClaimStateError(LedgerError):
    """Raised when a command does not fit the claim's state (e.g. correcting a retracted claim)."""

    field = "claim"


class KeyStoreError(LedgerError):
    """Raised when a local key is missing, unreadable, or readable by group or others."""

    field = "key"


class StorageError(LedgerError):
    """Raised when the database is missing, locked, unreadable, or not a Tally ledger."""

    field = "db"


class TrackingConflictError(StorageError):
    """Raised when another writer advanced a read model's tracking record first; the batch
    was rolled back (the read model catches it and reads on from the new position)."""


class VerificationError(LedgerError):
    """Raised when a proof, a checkpoint or the log fails verification; names what failed."""

    def __init__(self, message: str, *, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


@dataclass(frozen=True)
class Checked:
    """How far the full audit got: the events it checked, their signatures, the stored and
    the kept checkpoints that matched, the valid events past the Merkle log's end (a writer
    was still logging them), and the tree it recomputed (size 0 and no root until the last
    event is checked)."""

    events: int = 0
    signatures: int = 0
    checkpoints: int = 0
    kept: int = 0
    pending: int = 0
    size: int = 0
    root: str = ""


class AuditError(VerificationError):
    """Raised when the ledger fails the full audit (`tally verify`): `position` is the first
    bad one (None when no one event is to blame: a checkpoint past the ledger's end, a
    witness missing from the policy's quorum), `checked` what the audit had checked."""

    def __init__(self, message: str, *, position: int | None, checked: Checked) -> None:
        super().__init__(message, position=position)
        self.checked = checked


class WitnessRefusalError(VerificationError):
    """Raised by a witness that will not cosign a checkpoint; `status` is the C2SP
    tlog-witness HTTP status that says why (400, 403, 404, 409 or 422)."""

    def __init__(self, message: str, *, status: int, size: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.size = size  # the witness's current size, with a 409


class MissingFileError(VerificationError):
    """Raised when a file the checkpoint requires is not on the site."""


class SiteError(VerificationError):
    """Raised when a published site fails a check: a bad checkpoint, a fork, a tampered or
    missing tile or bundle, or an entry that fails the audit; `entry` is the leaf index
    when one entry is to blame, `old_checkpoint` the other signed note of a fork found on
    the site or in the replica (else the evidence names the one seen before)."""

    def __init__(self, message: str, *, entry: int | None = None,
                 new_checkpoint: str | None = None, proof: Sequence[bytes] | None = None,
                 old_checkpoint: str | None = None) -> None:
        super().__init__(message)
        self.entry = entry
        self.new_checkpoint = new_checkpoint
        # the other signed checkpoint of a fork, when it is not the one seen before
        self.old_checkpoint = old_checkpoint
        self.proof = None if proof is None else list(proof)
