"""model.inputs: the pydantic models every input line and command goes through."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from tally.ledger.errors import LedgerError
from tally.ledger.importer.lines import parse_line
from tally.ledger.model.input_errors import describe
from tally.ledger.model.inputs import (
    RECORD,
    CorrectionRecord,
    FigureRecord,
    ReportRecord,
    RetractionRecord,
    SourceRecord,
)

REPORT: dict[str, Any] = {
    "figure": "izium/burial-site/bodies-exhumed",
    "value": "447",
    "as_of": "2022-09-23",
    "source": "hromadske",
}


def refused(model: type, data: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as caught:
        model(**data)
    return caught.value.errors()  # type: ignore[return-value]


def test_a_minimal_report_gets_its_defaults() -> None:
    record = ReportRecord(**REPORT)
    assert record.type == "report"
    assert record.via == []
    assert record.url is None
    assert record.signer is None and record.signature is None and record.ledger is None


def test_a_full_report_is_accepted() -> None:
    record = ReportRecord(
        **REPORT, via=["izium-cma", "suspilne"], url="https://example.org/a", published="2022-09",
        quote="447 bodies", document_sha256="ab" * 32, signer="0123456789abcdef",
        signature="cd" * 64, ledger="ef" * 16,
    )
    assert record.via == ["izium-cma", "suspilne"]


def test_records_are_frozen() -> None:
    record = ReportRecord(**REPORT)
    with pytest.raises(ValidationError):
        record.value = "449"  # type: ignore[misc]


# --- unknown fields -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "data"),
    [
        (ReportRecord, {**REPORT, "valeu": "447"}),
        (SourceRecord, {"id": "s", "name": "S", "kind": "media", "url": "x"}),
        (FigureRecord, {"id": "f", "units": "bodies"}),
        (CorrectionRecord, {"claim": "abcd", "value": "1", "reason": "r", "note": "x"}),
        (RetractionRecord, {"claim": "abcd", "reason": "r", "value": "1"}),
    ],
)
def test_unknown_fields_are_refused(model: type, data: dict[str, Any]) -> None:
    errors = refused(model, data)
    assert errors[0]["type"] == "extra_forbidden"


# --- wrong and non-strict types -------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("value", 447),  # a number, not its written form: never a float, never coerced
        ("value", 447.0),
        ("as_of", 2022),
        ("figure", None),
        ("via", "suspilne"),  # a string is not a list of one
        ("via", ("suspilne",)),  # strict: a tuple is not a list
        ("quote", 5),
        ("url", ["https://example.org"]),
    ],
)
def test_wrong_types_are_refused_not_coerced(field: str, bad: object) -> None:
    errors = refused(ReportRecord, {**REPORT, field: bad})
    assert errors[0]["loc"][0] == field


@pytest.mark.parametrize(
    ("field", "bad"),
    [("cumulative", "true"), ("cumulative", 1), ("parts", "a,b"), ("tolerance", 0.05),
     ("states", "open")],
)
def test_figure_fields_are_strict(field: str, bad: object) -> None:
    errors = refused(FigureRecord, {"id": "f", field: bad})
    assert errors[0]["loc"][0] == field


def test_strict_json_still_accepts_json_types() -> None:
    line = json.dumps({"type": "figure", "id": "f", "cumulative": True, "parts": []})
    record = RECORD.validate_json(line)
    assert isinstance(record, FigureRecord)
    assert record.cumulative is True


def test_strict_json_refuses_a_string_boolean() -> None:
    with pytest.raises(ValidationError):
        RECORD.validate_json('{"type":"figure","id":"f","cumulative":"true"}')


@pytest.mark.parametrize("tolerance", ["0.05", "0", "1", "0.123456"])
def test_good_tolerances(tolerance: str) -> None:
    assert FigureRecord(id="f", tolerance=tolerance).tolerance == tolerance


@pytest.mark.parametrize("tolerance", ["5%", "1.5", "-0.1", "0.1234567", ".05", "2"])
def test_bad_tolerances(tolerance: str) -> None:
    assert refused(FigureRecord, {"id": "f", "tolerance": tolerance})[0]["loc"] == ("tolerance",)


# --- slugs and ids ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "slug", ["Hromadske", "-media", "_x", "with space", "a/b", "ü", "x" * 65, "", "a\n"]
)
def test_bad_source_slugs_are_refused(slug: str) -> None:
    errors = refused(SourceRecord, {"id": slug, "name": "N", "kind": "media"})
    assert errors[0]["loc"] == ("id",)


@pytest.mark.parametrize("slug", ["hromadske", "izium-cma", "a", "un.org", "x_1", "x" * 64])
def test_good_source_slugs(slug: str) -> None:
    assert SourceRecord(id=slug, name="N", kind="media").id == slug


@pytest.mark.parametrize(
    "figure", ["Izium/bodies", "izium//bodies", "/izium", "izium/", "izium/ bodies",
               "izium\\bodies", "izium/-x", "a" * 201]
)
def test_bad_figure_ids_are_refused(figure: str) -> None:
    assert refused(ReportRecord, {**REPORT, "figure": figure})[0]["loc"] == ("figure",)
    assert refused(FigureRecord, {"id": figure})[0]["loc"] == ("id",)


def test_bad_via_and_parts_name_the_item() -> None:
    errors = refused(ReportRecord, {**REPORT, "via": ["ok", "Not OK"]})
    assert errors[0]["loc"] == ("via", 1)
    errors = refused(FigureRecord, {"id": "f", "parts": ["a", "B"]})
    assert errors[0]["loc"] == ("parts", 1)


def test_bad_states_are_refused() -> None:
    assert refused(FigureRecord, {"id": "f", "kind": "status", "states": ["In Progress"]})


def test_unknown_source_kind_is_refused() -> None:
    assert refused(SourceRecord, {"id": "s", "name": "N", "kind": "blog"})[0]["loc"] == ("kind",)


@pytest.mark.parametrize("claim", ["abc", "abcg", "a" * 33, "", "ab cd"])
def test_bad_claim_refs_are_refused(claim: str) -> None:
    errors = refused(RetractionRecord, {"claim": claim, "reason": "r"})
    assert errors[0]["loc"] == ("claim",)
    assert "claim id" in errors[0]["msg"]  # written for people, not a regex


def test_a_claim_ref_is_case_insensitive() -> None:
    assert RetractionRecord(claim="ABCD", reason="r").claim == "abcd"


@pytest.mark.parametrize(
    ("field", "bad"),
    [("signer", "0123"), ("signer", "0123456789ABCDEF"), ("signature", "ab" * 63),
     ("signature", "AB" * 64), ("ledger", "ab" * 15), ("document_sha256", "ab" * 31)],
)
def test_bad_hex_fields_are_refused(field: str, bad: str) -> None:
    assert refused(ReportRecord, {**REPORT, field: bad})[0]["loc"] == (field,)


@pytest.mark.parametrize(
    ("model", "data"),
    [
        (ReportRecord, {**REPORT, "value": ""}),
        (ReportRecord, {**REPORT, "as_of": ""}),
        (ReportRecord, {**REPORT, "quote": "q" * 1001}),
        (SourceRecord, {"id": "s", "name": "", "kind": "media"}),
        (CorrectionRecord, {"claim": "abcd", "value": "1", "reason": ""}),
        (RetractionRecord, {"claim": "abcd", "reason": ""}),
    ],
)
def test_empty_and_oversized_text_is_refused(model: type, data: dict[str, Any]) -> None:
    assert refused(model, data)


# --- the tagged union of import lines -----------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "model"),
    [
        ({"type": "source", "id": "s", "name": "S", "kind": "ngo"}, SourceRecord),
        ({"type": "figure", "id": "f", "unit": "bodies"}, FigureRecord),
        ({"type": "report", **REPORT}, ReportRecord),
        ({"type": "correction", "claim": "abcd", "value": "449", "reason": "r"}, CorrectionRecord),
        ({"type": "retraction", "claim": "abcd", "reason": "r"}, RetractionRecord),
    ],
)
def test_each_line_type_selects_its_model(line: dict[str, Any], model: type) -> None:
    assert type(RECORD.validate_json(json.dumps(line))) is model


@pytest.mark.parametrize(
    ("line", "error"),
    [({"type": "claim"}, "union_tag_invalid"), ({"id": "s"}, "union_tag_not_found")],
)
def test_a_bad_or_missing_type_is_refused(line: dict[str, Any], error: str) -> None:
    with pytest.raises(ValidationError) as caught:
        RECORD.validate_json(json.dumps(line))
    assert caught.value.errors()[0]["type"] == error


@pytest.mark.parametrize("field", ["parts", "states"])
def test_a_part_or_state_listed_twice_is_refused(field: str) -> None:
    items = ["izium/a", "izium/b", "izium/a"] if field == "parts" else ["open", "shut", "open"]
    with pytest.raises(ValidationError) as caught:
        FigureRecord(id="izium/total", **{field: items})
    error = caught.value.errors()[0]
    assert (error["type"], error["loc"]) == ("duplicate", (field,))
    assert error["msg"] == f"{items[0]} is listed more than once"


def test_a_refusal_has_no_pydantic_wording() -> None:
    """A validator's own sentence, without pydantic's "Value error, " before it."""
    with pytest.raises(ValidationError) as caught:
        ReportRecord(**{**REPORT, "figure": None})
    message, field = describe(caught.value)
    assert message.startswith("figure is null: choose the figure"), message
    assert field == "figure"


@pytest.mark.parametrize("line", [
    {**REPORT, "type": "report", "occurrence": "x"},
    {**REPORT, "type": "report", "occurrence": 0},
    {**REPORT, "type": "report", "candidate": 5},
    {**REPORT, "type": "report", "salts": [1]},
    [1, 2],
])
def test_an_import_line_refusal_has_no_pydantic_wording(line: Any) -> None:
    with pytest.raises(LedgerError) as caught:
        parse_line(1, json.dumps(line).encode())
    message = caught.value.message
    assert "Input should" not in message and "Value error" not in message, message
    assert " must " in message, message
