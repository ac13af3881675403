"""Pass 1's work on each line alone, in the worker processes (`ledger.infra.worker_pool`):
the line read and validated (`lines.parse_line`), and a report's body built and signed
without the look-ups (`reports.draft_claim`). The main process reads the answers back in
file order and does what needs the ledger's state: the look-ups' checks, whether a claim
is known, follow-ups, staging.

Lines go to the workers a chunk at a time, a few chunks ahead of the main process, so the
file is read with bounded memory: a chunk holds at most CHUNK_LINES lines and about
CHUNK_BYTES, and a line longer than MAX_LINE_BYTES (a document) is read in place.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from tally.ledger.errors import ImportFileError
from tally.ledger.handlers import Context
from tally.ledger.importer.lines import MAX_LINE_BYTES, parse_line
from tally.ledger.infra.worker_pool import run_async
from tally.ledger.integrity.signing import KeyPair, private_seed
from tally.ledger.model.inputs import Record, ReportRecord
from tally.ledger.reports import Draft, draft_claim

CHUNK_LINES = 256
CHUNK_BYTES = 1 << 20
AHEAD = 4  # chunks sent before the main process waits for the first


class Refused(NamedTuple):
    """A line `parse_line` refused: its ImportFileError, as it crosses the pipe."""

    message: str
    field: str | None

    def error(self, number: int) -> ImportFileError:
        return ImportFileError(self.message, line=number, field=self.field)


# a line's answer: nothing (a blank line), its refusal, its record, or its report drafted
Read = Refused | Record | Draft | None


class Setting(NamedTuple):
    """What a worker needs beside the lines: the ledger, the day, and the import's key (its
    name and seed: pickle cannot carry the key itself)."""

    ledger_id: str
    today: dt.date
    key: tuple[str, bytes] | None

    @classmethod
    def of(cls, ctx: Context, key: KeyPair | None) -> Setting:
        return cls(ctx.ledger_id, ctx.today,
                   None if key is None else (key.name, private_seed(key.private_key)))


def read_chunk(job: tuple[Setting, list[tuple[int, bytes]]]) -> list[Read]:
    """Each line of a chunk read (in a worker process, or in place)."""
    setting, lines = job
    ctx = Context(setting.ledger_id, setting.today)
    key = None if setting.key is None else KeyPair.from_seed(*setting.key)
    return [_read(ctx, key, number, raw) for number, raw in lines]


def _read(ctx: Context, key: KeyPair | None, number: int, raw: bytes) -> Read:
    try:
        record = parse_line(number, raw)
    except ImportFileError as e:
        return Refused(e.message, e.field)
    if isinstance(record, ReportRecord):
        return draft_claim(ctx, record, key) or record
    return record


def read_lines(lines: Iterable[bytes], setting: Setting) -> Iterator[tuple[int, bytes, Read]]:
    """Each line of the file, numbered from 1, with its answer, in file order."""
    pending: deque[tuple[list[tuple[int, bytes]], Callable[[], list[Read]]]] = deque()
    for chunk, in_place in _chunks(lines):
        pending.append((chunk, run_async(read_chunk, (setting, chunk), in_place=in_place)))
        if len(pending) > AHEAD:
            yield from _answers(*pending.popleft())
    while pending:
        yield from _answers(*pending.popleft())


def _answers(chunk: list[tuple[int, bytes]], wait: Callable[[], list[Read]]
             ) -> Iterator[tuple[int, bytes, Read]]:
    for (number, raw), read in zip(chunk, wait(), strict=True):
        yield number, raw, read


def _chunks(lines: Iterable[bytes]) -> Iterator[tuple[list[tuple[int, bytes]], bool]]:
    """The numbered lines a chunk at a time, each with whether it is read in place."""
    chunk: list[tuple[int, bytes]] = []
    size = 0
    for number, raw in enumerate(lines, start=1):
        if len(raw) > MAX_LINE_BYTES:
            if chunk:
                yield chunk, False
                chunk, size = [], 0
            yield [(number, raw)], True
            continue
        chunk.append((number, raw))
        size += len(raw)
        if len(chunk) >= CHUNK_LINES or size >= CHUNK_BYTES:
            yield chunk, False
            chunk, size = [], 0
    if chunk:
        yield chunk, False
