"""An import line is read once (`lines.parse_line`: Python's JSON reader, then pydantic on
what it read) and answers exactly as reading it twice did: the strict JSON checks, then
pydantic reading the raw line again. Same record, or the same refusal word for word.

The lines are valid records with fields swapped for arbitrary JSON, dropped or repeated,
or wrapped in bytes the two readers disagree on (a byte-order mark, escaped surrogates,
non-finite numbers, a top level that is no object)."""

from __future__ import annotations

import json
from typing import Any

from budgets import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tally.ledger.errors import ImportFileError, InputError
from tally.ledger.importer.lines import MAX_LINE_BYTES, parse_line
from tally.ledger.integrity import strict_json
from tally.ledger.model.input_errors import describe
from tally.ledger.model.inputs import RECORD, DocumentRecord, Record

VALID: list[dict[str, Any]] = [
    {"type": "report", "figure": "izium/bodies", "value": "447", "as_of": "2022-09-23",
     "source": "hromadske", "via": ["suspilne"], "url": "https://example.org/a",
     "quote": "447 bodies", "document_sha256": None, "occurrence": None,
     "salts": {"quote": "0" * 32}, "candidate": {"score": 1.5}, "anchor": None,
     "ledger": "a" * 32, "signer": "b" * 16, "signature": "c" * 128},
    {"type": "figure", "id": "izium/bodies", "unit": "bodies", "cumulative": True,
     "parts": ["izium/a"], "states": [], "integer": False, "tolerance": "0.05"},
    {"type": "source", "id": "hromadske", "name": "Hromadske", "kind": "media"},
    {"type": "correction", "claim": "ab12", "value": "449", "reason": "updated"},
    {"type": "document", "sha256": "d" * 64, "media_type": "text/plain",
     "extractor": "plain", "extractor_version": "1", "text_sha256": "e" * 64,
     "data": "aGk=", "text": "hi"},
]
SCALARS = (st.none() | st.booleans() | st.integers() | st.floats()
           | st.text(max_size=12) | st.sampled_from(["\ud800", "x\udfff", "\U0001f600"]))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)


@st.composite
def lines(draw: st.DrawFn) -> bytes:
    record = dict(draw(st.sampled_from(VALID)))
    for name in draw(st.lists(st.sampled_from(sorted(record)), max_size=2, unique=True)):
        if draw(st.booleans()):
            record[name] = draw(JSON)
        else:
            del record[name]
    text = json.dumps(record, ensure_ascii=draw(st.booleans()))
    if draw(st.integers(0, 4)) == 0:  # a key given twice
        text = text[:-1] + ', "type": "source"}' if len(record) else text
    wrap = draw(st.sampled_from(["", "", "", "", "", "bom", "array", "number", "nan"]))
    if wrap == "bom":
        return b"\xef\xbb\xbf" + text.encode("utf-8", "surrogatepass")
    if wrap == "array":
        text = f"[{text}]"
    if wrap == "number":
        text = draw(st.sampled_from(["1", "NaN", "-Infinity", "1e400", '"report"']))
    if wrap == "nan" and len(record):
        text = text[:-1] + ', "occurrence": NaN}'
    return text.encode("utf-8", "surrogatepass")


def read_twice(number: int, raw: bytes) -> Record | None:
    """The line as the import read it before: strict JSON, then pydantic on the raw line."""
    if not raw.strip():
        return None
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportFileError(f"line {number} is not valid UTF-8", line=number) from None
    try:
        strict_json.loads(raw, f"line {number}")
    except InputError as e:
        raise ImportFileError(e.message, line=number) from None
    try:
        record = RECORD.validate_json(raw)
    except ValidationError as e:
        if e.errors()[0]["type"] == "json_invalid":
            raise ImportFileError(f"line {number} is not valid JSON", line=number) from None
        if len(raw) > MAX_LINE_BYTES and e.errors()[0]["loc"][:1] != ("document",):
            raise ImportFileError(f"line {number} is longer than 1 MiB", line=number) from None
        message, fieldname = describe(e)
        raise ImportFileError(f"line {number}: {message}", line=number, field=fieldname) from None
    assert isinstance(record, DocumentRecord) or len(raw) <= MAX_LINE_BYTES
    return record


def answer(read: Any, raw: bytes) -> Any:
    try:
        return "record", read(7, raw)
    except ImportFileError as e:
        return "refused", e.message, e.field, e.line


@settings(max_examples=examples(300))
@given(lines())
def test_a_line_read_once_answers_as_read_twice(raw: bytes) -> None:
    assert answer(parse_line, raw) == answer(read_twice, raw)


def test_the_lines_the_two_readers_disagree_on_are_read_as_before() -> None:
    source = '{"type": "source", "id": "a", "name": "%s", "kind": "media"}'
    for raw in [b"\xef\xbb\xbf" + (source % "n").encode(), (source % "\\ud800").encode(),
                (source % "\\ud83d\\ude00").encode(), b"[1]", b'"report"',
                (source % "n").replace('"media"', "NaN").encode()]:
        assert answer(parse_line, raw) == answer(read_twice, raw), raw
