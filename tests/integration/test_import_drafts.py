"""A report drafted in a worker process (`reports.draft_claim`) and checked against the
registry (`reports.claim_from_draft`) comes out as `prepare_claim` makes it in one go: the
same claim, the same signature queued, or the same refusal; or, when an assumption of the
draft fails (an archived document), no answer, and the import prepares the line again."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tally.ledger.application import Ledger
from tally.ledger.errors import ImportFileError, LedgerError
from tally.ledger.evidence import documents
from tally.ledger.handlers import Deferred
from tally.ledger.importer import import_lines
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.model.inputs import FigureRecord, ReportRecord
from tally.ledger.reports import PreparedClaim, claim_from_draft, draft_claim, prepare_claim

ARTICLE = b"The police said 447 bodies were exhumed at the site in Izium.\n"


def report(**fields: Any) -> ReportRecord:
    line = {"figure": "izium/bodies", "value": "447", "as_of": "2022-09-23",
            "source": "hromadske", **fields}
    return ReportRecord(**line)


def outcome(run: Callable[[Deferred], PreparedClaim | None]) -> tuple[Any, ...]:
    """What a preparation gives: the claim (its signer by key id) and the signatures it
    queued, or the refusal's class, message and field."""
    defer: Deferred = []
    try:
        prepared = run(defer)
    except LedgerError as e:
        return type(e), e.message, e.field
    if prepared is None:
        return (None,)
    return (prepared.uuid, prepared.body, prepared.signature, prepared.value.written,
            prepared.signer.key_id, prepared.disclosures, tuple(defer))


@pytest.fixture
def graves(ledger: Ledger, operator: KeyPair) -> str:
    ledger.define_figure(FigureRecord(id="izium/graves", unit="graves", integer=True),
                         operator)
    return "izium/graves"


CASES: dict[str, dict[str, Any]] = {
    "a quantity": {},
    "written loosely": {"value": " ~450 "},
    "a range, via sources": {"value": "440..451", "via": ["suspilne", "izium-cma"]},
    "a state": {"figure": "izium/exhumation", "value": "completed"},
    "a number for a state": {"figure": "izium/exhumation", "value": "447"},
    "a state not allowed": {"figure": "izium/exhumation", "value": "stopped"},
    "a state for a quantity": {"value": "completed"},
    "a fraction of whole things": {"figure": "izium/graves", "value": "4.5"},
    "an unknown figure": {"figure": "izium/unknown"},
    "an unknown source": {"source": "nobody"},
    "an unknown hop": {"via": ["nobody"]},
    "a future date": {"as_of": "2030-01-01"},
    "a document not archived": {"document_sha256": "ab" * 32, "quote": "447 bodies"},
    "an occurrence without a document": {"quote": "447", "occurrence": 1},
    "a quote and a URL (format v2)": {"quote": "447 bodies", "url": "https://example.org/a"},
}
UNDRAFTED = {"a future date", "an occurrence without a document"}


@pytest.mark.parametrize("signed", ["key", "elsewhere", "unregistered", "tampered",
                                    "foreign"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_draft_is_prepared_as_in_one_go(
    ledger: Ledger, alice: KeyPair, bob: KeyPair, graves: str,
    signed_elsewhere: Callable[..., Any], case: str, signed: str,
) -> None:
    ctx = ledger.context()
    record, key = report(**CASES[case]), None
    if signed == "key":
        key = alice
    else:
        signer = bob if signed == "unregistered" else alice
        ledger_id = "0" * 32 if signed == "foreign" else ctx.ledger_id
        record = signed_elsewhere(record, signer, ledger_id, name_ledger=signed == "foreign")
        if signed == "tampered":
            forged = ("0" if record.signature[0] != "0" else "1") + record.signature[1:]
            record = record.model_copy(update={"signature": forged})
    whole = outcome(lambda defer: prepare_claim(ledger.lookups(), ctx, record, key, defer))
    draft = draft_claim(ctx, record, key)
    # only what needs no registry to refuse goes undrafted
    assert (draft is None) == (case in UNDRAFTED or signed == "foreign")
    if draft is None:  # the import prepares such a line in one go
        assert whole[0] is not None and issubclass(whole[0], LedgerError), whole
        return
    assert outcome(lambda defer: claim_from_draft(ledger.lookups(), ctx, draft, defer)) == whole


def test_a_draft_of_a_report_in_an_archived_document_is_prepared_again(
    ledger: Ledger, alice: KeyPair
) -> None:
    sha = documents.archive(ledger, ARTICLE, key=alice).id
    record = report(document_sha256=sha, quote="447 bodies were exhumed")
    ctx = ledger.context()
    draft = draft_claim(ctx, record, alice)
    assert draft is not None
    assert claim_from_draft(ledger.lookups(), ctx, draft, []) is None
    anchored = prepare_claim(ledger.lookups(), ctx, record, alice)
    assert anchored.body != draft.body  # the quote's anchor is signed with it
    line = json.dumps(record.model_dump(exclude_none=True)).encode()
    assert import_lines(ledger, [line], alice).added == 1
    assert ledger.claim(anchored.uuid.hex).value == "447"


def test_a_figure_defined_in_the_file_refuses_a_later_report_as_the_command_does(
    ledger: Ledger, alice: KeyPair
) -> None:
    status = {"type": "figure", "id": "izium/reburial", "kind": "status", "unit": "state",
              "states": ["started", "completed"]}
    line = {"type": "report", "figure": "izium/reburial", "value": "12",
            "as_of": "2022-09-23", "source": "hromadske"}
    lines = [json.dumps(status).encode(), b"", json.dumps(line).encode()]
    with pytest.raises(ImportFileError) as refused:
        import_lines(ledger, lines, alice)
    import_lines(ledger, lines[:1], alice)
    with pytest.raises(LedgerError) as command:
        ledger.report(ReportRecord(**{k: v for k, v in line.items() if k != "type"}), alice)
    assert refused.value.line == 3
    assert refused.value.message == f"line 3: {command.value.message}"
    assert refused.value.field == command.value.field
