"""Bulk import of JSONL files: validate every line first, then append in batches.

Nothing is written unless the whole file is valid: the first bad line stops the
import with its line number and field. Then the events are appended in batches,
one transaction each; a crash leaves whole batches, and running the import
again skips what is already recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from uuid import UUID

from eventsourcing.domain import Aggregate
from pydantic import ValidationError

from ledger.application import Ledger
from ledger.commands import correct_claim, define_figure, define_source, record_claim, retract_claim
from ledger.errors import ImportFileError, LedgerError
from ledger.keystore import KeyPair
from ledger.records import (
    RECORD,
    CorrectionRecord,
    FigureRecord,
    ReportRecord,
    RetractionRecord,
    SourceRecord,
)

MAX_LINE_BYTES = 1 << 20
BATCH = 500

Progress = Callable[[str, int, int], None]


@dataclass
class ImportSummary:
    lines: int = 0
    added: int = 0
    skipped: int = 0
    by_type: dict[str, int] = field(default_factory=dict)


def _describe(error: ValidationError) -> tuple[str, str | None]:
    first = error.errors()[0]
    loc = ".".join(str(p) for p in first["loc"] if not isinstance(p, int) or len(first["loc"]) > 1)
    fieldname = str(first["loc"][-1]) if first["loc"] else None
    # pydantic puts the union tag first in the location ("report.value"); drop it.
    parts = loc.split(".")
    if parts and parts[0] in {"source", "figure", "report", "correction", "retraction"}:
        loc = ".".join(parts[1:]) or loc
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown field"
    elif first["type"] == "union_tag_invalid":
        message = "type must be one of source, figure, report, correction, retraction"
    elif first["type"] == "union_tag_not_found":
        message = "the line has no 'type' field"
    return (f"{loc}: {message}" if loc else message), fieldname


def parse_line(number: int, raw: bytes) -> SourceRecord | FigureRecord | ReportRecord | CorrectionRecord | RetractionRecord | None:
    """One JSONL line as a validated record (None for a blank line)."""
    if len(raw) > MAX_LINE_BYTES:
        raise ImportFileError(f"line {number} is longer than 1 MiB", line=number)
    if not raw.strip():
        return None
    if b"\x00" in raw:
        raise ImportFileError(f"line {number} contains a NUL byte", line=number)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportFileError(f"line {number} is not valid UTF-8", line=number) from None
    try:
        return RECORD.validate_json(raw)  # type: ignore[no-any-return]
    except ValidationError as e:
        if e.errors()[0]["type"] == "json_invalid":
            raise ImportFileError(f"line {number} is not valid JSON", line=number) from None
        message, fieldname = _describe(e)
        raise ImportFileError(f"line {number}: {message}", line=number, field=fieldname) from None


def import_lines(
    ledger: Ledger,
    lines: Iterable[bytes],
    key: KeyPair | None,
    progress: Progress | None = None,
    total: int = 0,
) -> ImportSummary:
    """Validate every line, then append; raises ImportFileError before writing anything."""
    registry = ledger.registry()
    ctx = ledger.context()
    summary = ImportSummary()
    touched: dict[UUID, Aggregate] = {}
    for number, raw in enumerate(lines, start=1):
        record = parse_line(number, raw)
        if progress:
            progress("validating", number, total)
        if record is None:
            continue
        summary.lines += 1
        try:
            changed = _apply(ledger, registry, ctx, record, key)
        except ImportFileError:
            raise
        except LedgerError as e:
            raise ImportFileError(f"line {number}: {e.message}", line=number,
                                  field=e.field) from None
        if changed is None:
            summary.skipped += 1
        else:
            touched.setdefault(changed.id, changed)
            summary.added += 1
            summary.by_type[record.type] = summary.by_type.get(record.type, 0) + 1
    aggregates = list(touched.values())
    for start in range(0, len(aggregates), BATCH):
        ledger.save(aggregates[start:start + BATCH])
        if progress:
            progress("appending", min(start + BATCH, len(aggregates)), len(aggregates))
    return summary


def _apply(ledger: Ledger, registry, ctx, record, key: KeyPair | None) -> Aggregate | None:  # type: ignore[no-untyped-def]
    if isinstance(record, SourceRecord):
        return define_source(registry, record)
    if isinstance(record, FigureRecord):
        return define_figure(registry, record)
    if isinstance(record, ReportRecord):
        return record_claim(registry, ctx, record, key)[1]
    claim_id = record.claim if len(record.claim) == 32 else ledger.resolve_claim(record.claim)
    claim = registry.claim(claim_id)
    if isinstance(record, CorrectionRecord):
        return correct_claim(registry, ctx, claim, record, key)[1]
    assert isinstance(record, RetractionRecord)
    return retract_claim(registry, ctx, claim, record, key)[1]
