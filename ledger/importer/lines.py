"""One line of an import file: its size limits, and its validated record."""

from __future__ import annotations

import codecs
import re
from typing import Any

from pydantic import ValidationError

from tally.ledger.errors import ImportFileError, InputError
from tally.ledger.integrity import strict_json
from tally.ledger.model.input_errors import describe
from tally.ledger.model.inputs import RECORD, DocumentRecord, Record

MAX_LINE_BYTES = 1 << 20
MAX_DOCUMENT_LINE_BYTES = 256 << 20  # a `document` line carries a document of up to 50 MiB
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def parse_line(number: int, raw: bytes) -> Record | None:
    """One JSONL line as a validated record (None for a blank line)."""
    if len(raw) > MAX_DOCUMENT_LINE_BYTES:
        raise ImportFileError(f"line {number} is longer than 1 MiB (256 MiB for a document)",
                              line=number)
    if not raw.strip():
        return None
    if b"\x00" in raw:
        raise ImportFileError(f"line {number} contains a NUL byte", line=number)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportFileError(f"line {number} is not valid UTF-8", line=number) from None
    try:  # a key given twice: pydantic would take the last, a reader may see the first
        data = strict_json.loads(raw, f"line {number}")
    except InputError as e:
        raise ImportFileError(e.message, line=number) from None
    try:
        record = _validated(raw, data)
    except ValidationError as e:
        if e.errors()[0]["type"] == "json_invalid":
            raise ImportFileError(f"line {number} is not valid JSON", line=number) from None
        if len(raw) > MAX_LINE_BYTES and e.errors()[0]["loc"][:1] != ("document",):
            raise ImportFileError(f"line {number} is longer than 1 MiB", line=number) from None
        message, fieldname = describe(e)
        raise ImportFileError(f"line {number}: {message}", line=number, field=fieldname) from None
    if len(raw) > MAX_LINE_BYTES and not isinstance(record, DocumentRecord):
        raise ImportFileError(f"line {number} is longer than 1 MiB", line=number)
    return record


def _validated(raw: bytes, data: Any) -> Record:
    """The line's record, from the JSON already read (`data`) where that gives what pydantic
    reading `raw` gives, which it does but for a refusal's wording (an object is "a valid
    dictionary" to one, "an object" to the other), a byte-order mark and an escaped lone
    surrogate (Python's reader takes them, pydantic's refuses them as not JSON): those lines,
    and every refusal, are read again from `raw`, so every answer is pydantic's reading of
    the line, once for a valid one."""
    if raw.startswith(codecs.BOM_UTF8) or _SURROGATE_ESCAPE.search(raw):
        return RECORD.validate_json(raw)
    try:
        return RECORD.validate_python(data)
    except ValidationError:
        return RECORD.validate_json(raw)


