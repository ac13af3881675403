"""Hostile input: every bad import line is refused with one clear sentence, and nothing is written.

"Nothing" is checked as strictly as each engine allows: every row of every table
(events, Merkle log, checkpoints, read models) and the highest position, and on
SQLite also the bytes of the database file and its write-ahead log. Each bad line
sits between two good, new lines, so a partial write could not go unnoticed; each
is refused through the API (`import_lines`) and through `tally import`.

A hypothesis fuzz test then feeds generated JSONL files (valid-looking records with
random mutations, and random bytes) to the importer: it either imports them or
refuses them with an ImportFileError naming the line, and a refusal leaves the
database byte for byte as it was.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nacl.bindings as nacl
import pytest
from budgets import examples
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from tally.cli.main import app
from tally.ledger.application import Ledger
from tally.ledger.errors import ImportFileError, LedgerError
from tally.ledger.importer import import_lines
from tally.ledger.infra.keystore import KeyStore
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.model.inputs import ReportRecord
from tally.projections.readmodel import ReadModel

BODIES = "izium/bodies"
GOOD = {"type": "report", "figure": BODIES, "value": "447", "as_of": "2022-09-23",
        "source": "hromadske"}


def good_line(n: int) -> bytes:
    """A valid, new report line (each n a different claim)."""
    return json.dumps({**GOOD, "quote": f"good line {n}"}).encode() + b"\n"


def as_line(record: dict[str, Any] | ReportRecord) -> bytes:
    if isinstance(record, ReportRecord):
        return record.model_dump_json(exclude_none=True).encode() + b"\n"
    return json.dumps(record).encode() + b"\n"


# --- the state of a database ------------------------------------------------------------


def state(ledger: Ledger) -> dict[str, Any]:
    """Every row of every table (sorted), the highest position, and SQLite's file bytes."""
    with ledger.engine.connect() as conn:
        tables = sorted(inspect(conn).get_table_names())
        rows = {t: sorted(repr(tuple(r)) for r in conn.execute(text(f'SELECT * FROM "{t}"')))
                for t in tables}
    found: dict[str, Any] = {"max_position": ledger.events.max_position(), "rows": rows}
    path = ledger.store.sqlite_path
    if path is not None:
        wal = path.with_name(path.name + "-wal")
        found["file"] = hashlib.sha256(path.read_bytes()).hexdigest()
        found["wal"] = hashlib.sha256(wal.read_bytes()).hexdigest() if wal.exists() else None
    return found


@pytest.fixture(autouse=True)
def views(ledger: Ledger) -> ReadModel:
    """The read model, attached and caught up, as every `tally` command has it."""
    read_model = ReadModel(ledger).attach()
    read_model.catch_up()
    return read_model


@pytest.fixture
def unchanged(ledger: Ledger) -> Callable[[], Any]:
    """`with unchanged(): ...` fails if the block changed any row or (SQLite) any byte."""

    @contextmanager
    def check() -> Iterator[None]:
        before = state(ledger)
        assert before["rows"]["tally_log_leaves"], "the state should cover the Merkle log"
        assert before["rows"]["tally_view_figures"], "and the read model"
        yield
        after = state(ledger)
        assert after["max_position"] == before["max_position"]
        changed = [t for t in before["rows"] if before["rows"][t] != after["rows"].get(t)]
        assert not changed, f"tables changed: {changed}"
        assert after == before

    return check


def assert_one_clear_sentence(message: str, line: int) -> None:
    assert message.startswith(f"line {line}"), message
    assert "\n" not in message and "Traceback" not in message
    assert len(message) < 300, message
    # one sentence: no full stop followed by another sentence
    assert not any(message[i] in ".!?" and message[i + 1:i + 3].strip()[:1].isupper()
                   for i in range(len(message) - 2) if message[i + 1] == " "), message


# --- refused lines: (id, the bad line, what the sentence says, the field it names) -------

BIG = b'{"type":"report","figure":"izium/bodies","value":"447","as_of":"2022-09",' \
      b'"source":"hromadske","quote":"' + b"x" * (10 * 1024 * 1024) + b'"}\n'

CASES: list[tuple[str, bytes, str, str | None]] = [
    ("malformed JSON", b'{"type": "report", "figure": \n', "not valid JSON", None),
    ("trailing garbage", as_line(GOOD)[:-1] + b" }\n", "not valid JSON", None),
    ("single quotes", b"{'type': 'report'}\n", "not valid JSON", None),
    ("a JSON array", b"[1, 2]\n", "line 2", None),
    ("a JSON string", b'"report"\n', "line 2", None),
    ("a 10 MB line", BIG, "longer than 1 MiB", None),
    ("a number for the value", as_line({**GOOD, "value": 447}), "value", "value"),
    ("a float for the value", as_line({**GOOD, "value": 447.0}), "value", "value"),
    ("a string for via", as_line({**GOOD, "via": "suspilne"}), "via", "via"),
    ("null for the figure", as_line({**GOOD, "figure": None}), "figure", "figure"),
    ("an object for as_of", as_line({**GOOD, "as_of": {"year": 2022}}), "as_of", "as_of"),
    ("a string for cumulative", as_line({"type": "figure", "id": "izium/x",
                                         "cumulative": "yes"}), "cumulative", "cumulative"),
    ("an unknown field", as_line({**GOOD, "colour": "red"}), "unknown field", "colour"),
    ("a field in capitals", as_line({**GOOD, "Quote": "x"}), "unknown field", "Quote"),
    ("an unknown type", as_line({**GOOD, "type": "claim"}), "type must be one of", None),
    ("no type", as_line({k: v for k, v in GOOD.items() if k != "type"}), "no 'type'", None),
    ("a NUL byte", as_line(GOOD)[:20] + b"\x00" + as_line(GOOD)[20:], "NUL byte", None),
    ("a NUL escaped in JSON", as_line({**GOOD, "quote": "a\x00b"}), "control characters",
     "quote"),
    ("an ESC sequence", as_line({**GOOD, "quote": "\x1b]0;pwned\x07"}), "control characters",
     "quote"),
    ("invalid UTF-8", b'{"type":"report","quote":"\xff\xfe"}\n', "not valid UTF-8", None),
    ("overlong UTF-8", b'{"type":"report","quote":"\xc0\xaf"}\n', "not valid UTF-8", None),
    ("a lone surrogate", b'{"type":"report","quote":"\\ud800"}\n', "not valid JSON", None),
    ("year 0", as_line({**GOOD, "as_of": "0000"}), "year before 1000", "as_of"),
    ("year 0, a day", as_line({**GOOD, "as_of": "0000-01-01"}), "year before 1000", "as_of"),
    ("month 13, day 45", as_line({**GOOD, "as_of": "2022-13-45"}), "not a date in the calendar",
     "as_of"),
    ("the far future", as_line({**GOOD, "as_of": "9999-12-31"}), "future", "as_of"),
    ("a five-digit year", as_line({**GOOD, "as_of": "Y10000"}), "as_of", "as_of"),
    ("published in the future", as_line({**GOOD, "published": "2999"}), "future", "published"),
    ("published before as_of", as_line({**GOOD, "published": "2022-08"}), "before", "published"),
    ("a bidi override in a source name", as_line({"type": "source", "id": "evil", "kind": "media",
                                                  "name": "Reuters\u202e"}), "U+202E", "name"),
    ("a newline in a source name", as_line({"type": "source", "id": "evil", "kind": "media",
                                            "name": "a\nb"}), "U+000A", "name"),
    ("a zero-width space in a unit", as_line({"type": "figure", "id": "izium/zw",
                                              "unit": "bodies\u200b"}), "zero-width", "unit"),
    ("a part listed twice", as_line({"type": "figure", "id": "izium/total",
                                     "parts": [BODIES, BODIES]}), "more than once", "parts"),
    ("a state listed twice", as_line({"type": "figure", "id": "izium/stage", "kind": "status",
                                      "states": ["open", "open"]}), "more than once", "states"),
    ("a negative count", as_line({**GOOD, "value": "-1"}), "non-negative", "value"),
    ("about a negative count", as_line({**GOOD, "value": "~-3"}), "non-negative", "value"),
    ("10^40", as_line({**GOOD, "value": "1" + "0" * 40}), "too large", "value"),
    ("10^40 as an exponent", as_line({**GOOD, "value": "1e40"}), "exponent", "value"),
    ("10^40 as a JSON number", b'{"type":"report","figure":"izium/bodies","value":'
     + b"1" + b"0" * 40 + b',"as_of":"2022-09","source":"hromadske"}\n', "value", "value"),
    ("NaN", as_line({**GOOD, "value": "NaN"}), "not a number", "value"),
    ("Infinity", as_line({**GOOD, "value": "Infinity"}), "not a number", "value"),
    ("NaN as a JSON number", b'{"type":"report","figure":"izium/bodies","value":NaN,'
     b'"as_of":"2022-09","source":"hromadske"}\n', "line 2", None),
    ("a status outside the vocabulary", as_line({**GOOD, "figure": "izium/exhumation",
                                                 "value": "demolished"}), "value", "value"),
]


@pytest.mark.parametrize(("bad", "fragment", "field"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_a_hostile_line_is_refused_in_one_sentence_and_nothing_is_written(
    ledger: Ledger, alice: KeyPair, unchanged: Any, bad: bytes, fragment: str,
    field: str | None,
) -> None:
    with unchanged(), pytest.raises(ImportFileError) as caught:
        import_lines(ledger, [good_line(1), bad, good_line(3)], alice)
    error = caught.value
    assert error.line == 2
    assert fragment in error.message, error.message
    if field is not None:
        assert error.field == field
    assert_one_clear_sentence(error.message, 2)


def run_import(tmp_path: Path, db_url: str, home: KeyStore, lines: list[bytes],
               *args: str) -> Any:
    path = tmp_path / "hostile.jsonl"
    path.write_bytes(b"".join(lines))
    return CliRunner().invoke(app, [*args, "import", str(path), "--key", "alice"],
                              env={"TALLY_DB": db_url, "TALLY_HOME": str(home.home),
                                   "COLUMNS": "200"})


@pytest.mark.parametrize(("bad", "fragment"), [c[1:3] for c in CASES], ids=[c[0] for c in CASES])
def test_tally_import_refuses_a_hostile_file_in_one_sentence_and_writes_nothing(
    ledger: Ledger, alice: KeyPair, home: KeyStore, db_url: str, tmp_path: Path,
    unchanged: Any, bad: bytes, fragment: str,
) -> None:
    with unchanged():
        result = run_import(tmp_path, db_url, home, [good_line(1), bad, good_line(3)])
        as_json = run_import(tmp_path, db_url, home, [good_line(1), bad, good_line(3)],
                             "--json")
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    message = result.stderr.strip()
    assert message.startswith("error: line 2"), message
    assert fragment in message
    assert len(message.splitlines()) == 1 and "Traceback" not in message
    assert "\x1b" not in message and "\x00" not in message
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["line"] == 2


# --- signatures ---------------------------------------------------------------------------------


def sign_with_nonce(key: KeyPair, message: str, nonce: bytes) -> str:
    """An Ed25519 signature of `message` with a chosen nonce (RFC 8032 §5.1.6 with r given).

    As valid as the deterministic one `cryptography` makes, and different from it:
    another implementation may pick its nonces this way.
    """
    seed = key.private_key.private_bytes_raw()
    digest = bytearray(hashlib.sha512(seed).digest()[:32])
    digest[0] &= 248
    digest[31] &= 127
    digest[31] |= 64
    a = nacl.crypto_core_ed25519_scalar_reduce(bytes(digest) + bytes(32))
    r = nacl.crypto_core_ed25519_scalar_reduce(hashlib.sha512(nonce).digest())
    big_r = nacl.crypto_scalarmult_ed25519_base_noclamp(r)
    k = nacl.crypto_core_ed25519_scalar_reduce(
        hashlib.sha512(big_r + key.public_key + message.encode()).digest())
    s = nacl.crypto_core_ed25519_scalar_add(r, nacl.crypto_core_ed25519_scalar_mul(k, a))
    return (big_r + s).hex()


def refused(ledger: Ledger, lines: list[bytes], key: KeyPair | None, unchanged: Any,
            fragment: str, field: str) -> ImportFileError:
    with unchanged(), pytest.raises(ImportFileError) as caught:
        import_lines(ledger, lines, key)
    error = caught.value
    assert (error.line, error.field) == (2, field), error.message
    assert fragment in error.message, error.message
    assert_one_clear_sentence(error.message, 2)
    return error


@pytest.mark.parametrize("names_its_ledger", [True, False])
def test_a_signature_replayed_from_another_ledger_is_refused(
    ledger: Ledger, make_ledger: Any, operator: KeyPair, alice: KeyPair, unchanged: Any,
    names_its_ledger: bool,
) -> None:
    other = make_ledger("other.db", operator, [alice], origin="example.org/elsewhere")
    claim = other.claim(other.report(ReportRecord(**GOOD), alice).id)
    replay = {**GOOD, "signer": alice.key_id, "signature": claim.signature}
    if names_its_ledger:
        replay["ledger"] = other.info().ledger_id
    refused(ledger, [good_line(1), as_line(replay), good_line(3)], alice, unchanged,
            "ledger" if names_its_ledger else "does not verify",
            "ledger" if names_its_ledger else "signature")


def test_a_signature_by_a_revoked_key_is_refused(
    ledger: Ledger, alice: KeyPair, operator: KeyPair, signed_elsewhere: Any, unchanged: Any
) -> None:
    record = signed_elsewhere(ReportRecord(**GOOD), alice, ledger.info().ledger_id)
    ledger.revoke_signer(alice.key_id, operator, "key lost")
    refused(ledger, [good_line(1), as_line(record), good_line(3)], operator, unchanged,
            "revoked", "signer")


def test_a_duplicate_body_with_a_different_signature_is_refused(
    ledger: Ledger, alice: KeyPair, unchanged: Any
) -> None:
    stored = ledger.claim(ledger.report(ReportRecord(**GOOD), alice).id)
    other = sign_with_nonce(alice, stored.body, b"another implementation's nonce")
    assert other != stored.signature
    alice.private_key.public_key().verify(bytes.fromhex(other), stored.body.encode())  # valid
    record = {**GOOD, "signer": alice.key_id, "signature": other}
    refused(ledger, [good_line(1), as_line(record), good_line(3)], alice, unchanged,
            "already recorded with a different signature", "signature")


def test_a_duplicate_body_with_the_same_signature_is_already_recorded(
    ledger: Ledger, alice: KeyPair, unchanged: Any
) -> None:
    stored = ledger.claim(ledger.report(ReportRecord(**GOOD), alice).id)
    record = {**GOOD, "signer": alice.key_id, "signature": stored.signature}
    with unchanged():
        summary = import_lines(ledger, [as_line(record)], None)
    assert (summary.added, summary.skipped) == (0, 1)


# --- fuzzing --------------------------------------------------------------------------------------

SLUGS = st.sampled_from(["hromadske", "suspilne", "izium-cma", "kyiv-post", "Hromadske", ""])
FIGURES = st.sampled_from([BODIES, "izium/exhumation", "izium/bodie", "izium/new", "IZIUM", ""])
VALUES = st.sampled_from(["447", "~450", ">=440", ">440", "<=30", "<30", "440..451", "0", "-1",
                          "1e40", "NaN", "completed", "planned", " 447 ", "4 47", "451..440"])
DATES = st.sampled_from(["2022-09-23", "2025-01", "2022-09?", "2022-09-16/2022-09-23", "0000",
                         "2022-13-45", "9999", "2026-01-16", "2022/..", "yesterday", ""])
JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                         st.text(max_size=20))
RECORDS = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("report"), "figure": FIGURES, "value": VALUES, "as_of": DATES,
         "source": SLUGS},
        optional={"via": st.lists(SLUGS, max_size=3), "quote": st.text(max_size=40),
                  "url": st.text(max_size=20), "published": DATES,
                  "document_sha256": st.sampled_from(["ab" * 32, "AB" * 32, "ab"])}),
    st.fixed_dictionaries(
        {"type": st.just("source"), "id": SLUGS, "name": st.text(max_size=20),
         "kind": st.sampled_from(["media", "official", "ngo", "blog"])}),
    st.fixed_dictionaries(
        {"type": st.just("figure"), "id": FIGURES},
        optional={"unit": st.text(max_size=10), "cumulative": st.booleans(),
                  "parts": st.lists(FIGURES, max_size=3), "tolerance": st.sampled_from(
                      ["0.05", "0.5", "1", "2", "-0.1"]),
                  "kind": st.sampled_from(["quantity", "status", "other"]),
                  "states": st.lists(SLUGS, max_size=3)}),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["correction", "retraction"]),
         "claim": st.sampled_from(["0" * 32, "ffff", "xyz", ""]), "reason": st.text(max_size=20)},
        optional={"value": VALUES}),
)


@st.composite
def mutated_line(draw: st.DrawFn) -> bytes:
    record: dict[str, Any] = dict(draw(RECORDS))
    mutation = draw(st.sampled_from(["none", "drop", "add", "retype", "bytes"]))
    if mutation == "drop" and record:
        record.pop(draw(st.sampled_from(sorted(record))))
    elif mutation == "add":
        record[draw(st.sampled_from(["colour", "Type", "signer", "signature", "ledger", "id"]))] = \
            draw(JSON_SCALARS)
    elif mutation == "retype":
        record[draw(st.sampled_from(sorted(record)))] = draw(
            st.one_of(JSON_SCALARS, st.lists(JSON_SCALARS, max_size=2),
                      st.dictionaries(st.text(max_size=3), JSON_SCALARS, max_size=2)))
    raw = json.dumps(record, ensure_ascii=draw(st.booleans())).encode()
    if mutation == "bytes":
        at = draw(st.integers(0, len(raw)))
        cut = draw(st.integers(0, 4))
        raw = raw[:at] + draw(st.binary(max_size=4)) + raw[at + cut:]
    return raw + b"\n"


VALID = st.builds(
    lambda value, as_of, quote: as_line({**GOOD, "value": value, "as_of": as_of, "quote": quote}),
    st.sampled_from(["447", "~450", ">=440", "440..451", "0"]),
    st.sampled_from(["2022-09-23", "2025-01", "2022-09?", "2022-09-16/2022-09-23"]),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), max_size=30))


@st.composite
def files(draw: st.DrawFn) -> list[bytes]:
    """Valid new lines around one hostile line (a mutated record, or random bytes)."""
    lines = draw(st.lists(VALID, max_size=4))
    hostile = draw(st.one_of(mutated_line(), mutated_line(),
                             st.binary(max_size=60).map(lambda b: b + b"\n")))
    lines.insert(draw(st.integers(0, len(lines))), hostile)
    return lines


@settings(max_examples=examples(300), suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                   HealthCheck.too_slow])
@given(lines=files())
def test_fuzzed_import_files_are_imported_or_refused_without_a_trace(
    ledger: Ledger, alice: KeyPair, lines: list[bytes]
) -> None:
    before = state(ledger)
    try:
        summary = import_lines(ledger, lines, alice)
        event(f"imported: {min(summary.added, 3)}+ added")
    except ImportFileError as e:
        event(f"refused at line {min(e.line or 0, 3)}+ ({e.field or 'not a record'})")
        assert e.line is not None and 1 <= e.line <= len(lines)
        assert e.message.startswith(f"line {e.line}") and "\n" not in e.message
        assert state(ledger) == before, f"refused ({e.message}), yet the database changed"
    except LedgerError as e:  # pragma: no cover - shown on failure
        pytest.fail(f"import_lines raised {type(e).__name__}, not ImportFileError: {e.message}")


# --- what a user wrote is printed as written ------------------------------------------------


def test_markup_and_control_codes_in_input_reach_the_terminal_as_plain_text(
    ledger: Ledger, home: KeyStore, db_url: str
) -> None:
    """rich parses "[...]" as markup: a refusal quoting "[/x]" was a traceback, and a stored
    url or reason with "[/y]" made `tally provenance` and `tally history` crash for everyone."""
    env = {"TALLY_DB": db_url, "TALLY_HOME": str(home.home), "COLUMNS": "250"}

    def tally(*args: str, code: int = 0) -> Any:
        result = CliRunner().invoke(app, list(args), env=env)
        assert result.exit_code == code, (args, result.output)
        assert "Traceback" not in result.output
        return result

    refused = tally("report", BODIES, "[/x]", "--as-of", "2022-09", "--source", "hromadske",
                    "--key", "alice", code=1)
    assert "'[/x]'" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    refused = tally("report", BODIES, "[bold]447", "--as-of", "2022-09", "--source",
                    "hromadske", "--key", "alice", code=1)
    assert "'[bold]447'" in refused.stderr
    tally("figures", "define", "izium/odd", "--unit", "[/u]")
    claim = json.loads(tally("--json", "report", "izium/odd", "447", "--as-of", "2022-09",
                             "--source", "hromadske", "--key", "alice", "--quote",
                             "a [/x] quote", "--url", "https://example.org/[/y]").stdout)["id"]
    tally("correct", claim[:8], "449", "--reason", "see [/z] and [red]", "--key", "alice")
    assert "[/x]" in tally("show", "izium/odd").stdout
    history = tally("history", "izium/odd").stdout
    assert "[/u]" in history and "[/z]" in history
    provenance = tally("provenance", claim).stdout
    assert "https://example.org/[/y]" in provenance and "[/z]" in provenance
