"""Bulk import of JSONL files: validate every line first, then append in batches.

Nothing is written unless the whole file is valid: the first bad line stops the
import with its line number and field. Then the events are appended in batches,
one transaction each; a crash leaves whole batches, and running the import
again skips what is already recorded.

How a million lines stay fast and flat in memory:

The package: `lines` (a line's limits and validated record), `line_workers` (pass 1's
work on each line alone), `validator` (pass 1), `staging` (the staging file), `lookups`
(what validation looks up, figures as small views), `summary` (what an import did), and
this module (pass 2).

- The worker processes read the lines a few chunks ahead (`line_workers`): each line is
  parsed and validated, and a report's body is built (and signed, with `--key`) without
  the ledger's state (`reports.draft_claim`).
- Pass 1 then takes the lines in file order, with the same checks as the single
  commands (`ledger.handlers`): what needs the look-ups is checked here (for a drafted
  report, `reports.claim_from_draft`, which also checks the draft's assumptions and
  sends the line back to `prepare_claim` when one fails). It builds each new event
  directly (a claim's `Claim.Recorded`, `Corrected` or `Retracted`, exactly as the
  aggregate would) and maps it to its stored form at once. The stored events go to a
  private temporary SQLite file (the staging area), not to memory, nor to the ledger.
- Pre-signed lines have their signatures checked in the worker processes
  (`infra.signature_pool.SignatureQueue`), overlapping the validation of the next lines. Any
  refusal waits for the checks of the lines before it, so the error named is always
  that of the first bad line, as if every line were checked in turn.
- Whether a new claim is already in the ledger is asked once per chunk of lines
  (`Ledger.existing`), not once per line. Claims recorded in this file, and the
  state that later follow-ups need (figure, signer, version, follow-ups,
  retracted), also live in the staging file.
- Pass 2 streams the staged events into the event store in batches
  (`Journal.append_stored`), each followed by the Merkle log and read-model catch-up;
  the figures they touched are recomputed once, after the last batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from tally.ledger.importer import lines as line_limits
from tally.ledger.importer.lines import parse_line
from tally.ledger.importer.summary import ImportSummary

if TYPE_CHECKING:
    from tally.ledger.application import Ledger
    from tally.ledger.integrity.signing import KeyPair
    from tally.ledger.progress import Progress

BATCH = 1000  # events per append transaction
# disclosures per transaction: each commit costs about 9 ms of CPU (the WAL's pages), so
# 90,000 of them took 2.0 s a thousand at a time, 0.7 s ten thousand at a time (about 1 MB)
DISCLOSURES = 10_000

__all__ = ["BATCH", "ImportSummary", "import_file", "import_lines", "parse_line"]


def import_file(ledger: Ledger, path: Path, key: KeyPair | None,
                progress: Progress | None = None) -> ImportSummary:
    """`import_lines` of the file at `path`: a regular file (a device or a FIFO is
    refused), whose lines are read to at most the longest a line may be, plus one byte."""
    from tally.ledger.infra.bounded_files import bounded_lines, open_regular

    cap = line_limits.MAX_DOCUMENT_LINE_BYTES
    with open_regular(path, "import file") as file:
        total = sum(1 for _ in bounded_lines(file, cap))
        file.seek(0)
        return import_lines(ledger, bounded_lines(file, cap), key, progress, total)


def import_lines(
    ledger: Ledger,
    lines: Iterable[bytes],
    key: KeyPair | None,
    progress: Progress | None = None,
    total: int = 0,
) -> ImportSummary:
    """Validate every line, then append; raises ImportFileError before writing anything."""
    # loaded here, not with the package: the worker processes load the package for its
    # lines alone (`line_workers`), and the write side would cost each a second to load
    from tally.ledger.importer.staging import Staging
    from tally.ledger.importer.validator import Validator
    from tally.ledger.orders import withhold_bodies

    with Staging() as staging:
        validator = Validator(ledger, key, staging, progress, total)
        summary = validator.run(lines)
        # the bytes first, then the events that sign them (as `tally documents add` does)
        for sha, stored in validator.documents:
            ledger.archive.put(sha, stored.data, stored.text)
        appended = 0
        count = staging.count()
        for texts in staging.disclosures(DISCLOSURES):  # as the documents: before their events
            ledger.disclosures.put(texts)
        for batch in staging.batches(BATCH):
            # the read model catches up once, at the end, over every batch: its next batch's
            # facts worked out in the workers meanwhile, each figure settled once
            ledger.journal.append_stored(batch, project=False)
            appended += len(batch)
            if progress:
                progress("appending", appended, count)
        if appended:
            ledger.journal.after_write(progress=progress)
        # what the file's take-down orders name leaves the database (it may have held it)
        ledger.disclosures.erase(validator.redacted)
        for claim_id, leaves in validator.bodies.items():
            withhold_bodies(ledger.parts, claim_id, leaves)
        for sha in validator.withheld:
            ledger.archive.erase(sha)
    return summary


