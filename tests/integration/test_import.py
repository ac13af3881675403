"""JSONL import: definitions, reports and follow-ups in one file; idempotent; all-or-nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tally.ledger.application import Ledger
from tally.ledger.errors import ImportFileError
from tally.ledger.importer import ImportSummary, import_lines
from tally.ledger.integrity import disclosure
from tally.ledger.integrity.cosignature import Cosigner
from tally.ledger.integrity.signing import KeyPair, body_id, canonical
from tally.ledger.model.bodies import claim_body
from tally.ledger.model.inputs import CorrectionRecord, ReportRecord, RetractionRecord
from tally.ledger.reports import salts_of
from tally.projections.readmodel import ReadModel

DEFINITIONS: list[dict[str, Any]] = [
    {"type": "source", "id": "empr", "name": "EMPR", "kind": "media"},
    {"type": "source", "id": "hromadske", "name": "Hromadske", "kind": "media"},  # known
    {"type": "figure", "id": "izium/children", "unit": "bodies"},
    {"type": "figure", "id": "izium/adults", "unit": "bodies"},
    {"type": "figure", "id": "izium/total", "unit": "bodies",
     "parts": ["izium/children", "izium/adults"]},
]
REPORTS: list[dict[str, Any]] = [
    {"type": "report", "figure": "izium/bodies", "value": "447", "as_of": "2022-09-23",
     "source": "hromadske", "via": [], "url": None, "published": "2022-09",
     "quote": "447 bodies were exhumed", "document_sha256": None},
    {"type": "report", "figure": "izium/bodies", "value": "~450", "as_of": "2022-09",
     "source": "empr", "via": ["izium-cma", "suspilne"]},
    {"type": "report", "figure": "izium/children", "value": "5", "as_of": "2022-09-23",
     "source": "hromadske"},
    {"type": "report", "figure": "izium/exhumation", "value": "completed",
     "as_of": "2022-09-23", "source": "izium-cma"},
]


def jsonl(*lines: dict[str, Any] | str) -> list[bytes]:
    """Lines as a file opened in binary mode yields them: each ends with a newline."""
    return [(x if isinstance(x, str) else json.dumps(x)).encode() + b"\n" for x in lines]


def written(ledger: Ledger, claim: str) -> str:
    return ledger.claim(claim).value


@pytest.fixture
def claim_ids(make_ledger: Any, operator: KeyPair, alice: KeyPair) -> list[str]:
    """The ids of REPORTS signed by alice: imported once into a twin ledger (same name,
    same operator), then asked of the API, which answers "already recorded" with the id."""
    twin: Ledger = make_ledger("twin.db", operator, [alice])
    import_lines(twin, jsonl(*DEFINITIONS, *REPORTS), alice)
    ids = []
    for line in REPORTS:
        appended = twin.report(ReportRecord(**line), alice)
        assert appended.status == "already recorded"
        ids.append(appended.id)
    return ids


@pytest.fixture
def small_file(claim_ids: list[str]) -> list[bytes]:
    return jsonl(
        *DEFINITIONS, "", *REPORTS, "   ",
        {"type": "correction", "claim": claim_ids[0], "value": "449",
         "reason": "the article was updated"},
        {"type": "retraction", "claim": claim_ids[2], "reason": "a misprint"},
    )


def test_a_small_file_is_imported(
    ledger: Ledger, alice: KeyPair, small_file: list[bytes], claim_ids: list[str]
) -> None:
    start = ledger.events.max_position()
    summary = import_lines(ledger, small_file, alice)
    assert summary == ImportSummary(
        lines=11, added=10, skipped=1,
        by_type={"source": 1, "figure": 3, "report": 4, "correction": 1, "retraction": 1},
    )
    assert ledger.events.max_position() == start + 10
    assert "empr" in [s.id for s in ledger.directory.sources()]
    total = next(f for f in ledger.directory.figures() if f["figure_id"] == "izium/total")
    assert total["parts"] == ["izium/children", "izium/adults"]
    assert written(ledger, claim_ids[0]) == "449"
    assert written(ledger, claim_ids[1]) == "~450"
    assert ledger.claim(claim_ids[2]).retracted
    assert written(ledger, claim_ids[3]) == "completed"
    assert all(ledger.claim(c).signer == alice.key_id for c in claim_ids)


def test_claim_ids_are_the_hash_of_the_signed_body(
    ledger: Ledger, alice: KeyPair, claim_ids: list[str]
) -> None:
    record = ReportRecord(**REPORTS[0])
    plain = claim_body(ledger.info().ledger_id, alice.key_id, record, "447")
    # format v2: the key commits to the erasable fields (their salts derived from it)
    body = canonical(disclosure.commit(plain, salts_of(alice, plain))[0])
    assert claim_ids[0] == body_id(body)


def test_importing_the_same_file_twice_changes_nothing(
    ledger: Ledger, alice: KeyPair, small_file: list[bytes], nothing_written: Any
) -> None:
    first = import_lines(ledger, small_file, alice)
    with nothing_written():
        second = import_lines(ledger, small_file, alice)
    assert second.lines == first.lines
    assert (second.added, second.skipped, second.by_type) == (0, first.lines, {})


def test_a_file_whose_lines_were_appended_through_the_api_adds_nothing(
    ledger: Ledger, alice: KeyPair, nothing_written: Any
) -> None:
    ledger.report(ReportRecord(**REPORTS[0]), alice)
    with nothing_written():
        summary = import_lines(ledger, jsonl(REPORTS[0], REPORTS[0]), alice)
    assert (summary.added, summary.skipped) == (0, 2)


def test_a_line_repeated_within_a_file_is_added_once(ledger: Ledger, alice: KeyPair) -> None:
    start = ledger.events.max_position()
    summary = import_lines(ledger, jsonl(REPORTS[0], REPORTS[0]), alice)
    assert (summary.added, summary.skipped) == (1, 1)
    assert ledger.events.max_position() == start + 1


def test_the_same_file_in_two_ledgers_of_the_same_name_and_operator_gives_the_same_ids(
    ledger: Ledger, alice: KeyPair, small_file: list[bytes], make_ledger: Any,
    operator: KeyPair,
) -> None:
    import_lines(ledger, small_file, alice)
    copy: Ledger = make_ledger("copy.db", operator, [alice])
    import_lines(copy, small_file, alice)
    mine = [(n.originator_id, n.originator_version, n.topic)
            for n in ledger.events.notifications(1, 100)]
    theirs = [(n.originator_id, n.originator_version, n.topic)
              for n in copy.events.notifications(1, 100)]
    assert mine == theirs


def test_blank_lines_are_ignored(ledger: Ledger, alice: KeyPair) -> None:
    lines = [b"\n", b"", b"  \t \r\n", *jsonl(REPORTS[0]), b"\n"]
    summary = import_lines(ledger, lines, alice)
    assert (summary.lines, summary.added) == (1, 1)


def test_a_correction_may_name_a_stored_claim_by_prefix(
    ledger: Ledger, alice: KeyPair, claim_ids: list[str]
) -> None:
    import_lines(ledger, jsonl(REPORTS[0]), alice)
    import_lines(ledger, jsonl({"type": "correction", "claim": claim_ids[0][:8],
                                "value": "449", "reason": "updated"}), alice)
    assert written(ledger, claim_ids[0]) == "449"


def test_progress_is_reported(ledger: Ledger, alice: KeyPair, small_file: list[bytes]) -> None:
    calls: list[tuple[str, int, int]] = []
    ReadModel(ledger).attach()
    import_lines(ledger, small_file, alice, progress=lambda *a: calls.append(a),
                 total=len(small_file))
    assert calls[0] == ("validating", 1, len(small_file))
    assert ("validating", len(small_file), len(small_file)) in calls
    # appended per event, in file order: 1 new source, 3 figures, 4 claims, 2 follow-ups,
    # then the figures they touched are settled once
    assert ("appending", 10, 10) in calls
    settling = [c for c in calls if c[0] == "settling figures"]
    assert settling and settling[-1][1] == settling[-1][2] > 0
    assert calls.index(("appending", 10, 10)) < calls.index(settling[0])


# --- a bad line writes nothing ----------------------------------------------------------------


BAD_LINES: list[tuple[str, dict[str, Any] | str, str | None]] = [
    ("unknown figure", {**REPORTS[0], "figure": "izium/bodie"}, "figure"),
    ("unknown source", {**REPORTS[0], "source": "kyiv-post"}, "source"),
    ("unknown via", {**REPORTS[0], "via": ["kyiv-post"]}, "via"),
    ("bad value", {**REPORTS[0], "value": "about 450"}, "value"),
    ("negative count", {**REPORTS[0], "value": "-1"}, "value"),
    ("bad date", {**REPORTS[0], "as_of": "2022-13"}, "as_of"),
    ("future date", {**REPORTS[0], "as_of": "2027"}, "as_of"),
    ("status outside the vocabulary", {**REPORTS[3], "value": "abandoned"}, "value"),
    ("unknown field", {**REPORTS[0], "colour": "red"}, "colour"),
    ("wrong type", {**REPORTS[0], "value": 447}, "value"),
    ("bad slug", {**REPORTS[0], "source": "Hromadske"}, "source"),
    ("unknown type", {"type": "claim", "id": "x"}, "type"),
    ("not JSON", '{"type": "report", ', None),
    ("figure redefined differently", {"type": "figure", "id": "izium/bodies", "unit": "graves"},
     "id"),
    ("unknown claim", {"type": "retraction", "claim": "0" * 32, "reason": "r"}, "claim"),
    ("part not defined", {"type": "figure", "id": "izium/x", "parts": ["izium/y"]}, "figure"),
]


@pytest.mark.parametrize(("bad", "field"), [b[1:] for b in BAD_LINES],
                         ids=[b[0] for b in BAD_LINES])
def test_a_bad_line_in_the_middle_writes_nothing_and_names_line_and_field(
    ledger: Ledger, alice: KeyPair, bad: dict[str, Any] | str, field: str | None,
    nothing_written: Any,
) -> None:
    lines = jsonl(*DEFINITIONS, "", bad, *REPORTS)
    number = len(DEFINITIONS) + 2  # the blank line counts: numbers are the file's own
    with nothing_written(), pytest.raises(ImportFileError) as caught:
        import_lines(ledger, lines, alice)
    error = caught.value
    assert error.line == number
    assert error.field == field
    assert error.message.startswith(f"line {number}")
    assert "\n" not in error.message
    if field is not None:
        assert field in error.message


def test_a_bad_last_line_after_good_ones_writes_nothing(
    ledger: Ledger, alice: KeyPair, small_file: list[bytes], nothing_written: Any
) -> None:
    lines = [*small_file, *jsonl({**REPORTS[0], "value": "x"})]
    with nothing_written(), pytest.raises(ImportFileError) as caught:
        import_lines(ledger, lines, alice)
    assert caught.value.line == len(lines)


@pytest.mark.parametrize(
    ("raw", "why"),
    [(b"\xff\xfe{}\n", "UTF-8"), (b'{"type":"source"\x00}\n', "NUL"),
     (b"[1, 2]\n", "line 1")],
)
def test_lines_that_are_not_text_or_objects_are_refused(
    ledger: Ledger, alice: KeyPair, raw: bytes, why: str, nothing_written: Any
) -> None:
    with nothing_written(), pytest.raises(ImportFileError, match=why) as caught:
        import_lines(ledger, [raw], alice)
    assert caught.value.line == 1


def test_lines_without_a_key_or_a_signature_are_refused(
    ledger: Ledger, nothing_written: Any
) -> None:
    with nothing_written(), pytest.raises(ImportFileError) as caught:
        import_lines(ledger, jsonl(REPORTS[0]), None)
    assert (caught.value.line, caught.value.field) == (1, "key")


# --- lines signed elsewhere ------------------------------------------------------------------


def test_lines_pre_signed_by_another_key_verify(
    ledger: Ledger, alice: KeyPair, bob: KeyPair, operator: KeyPair, signed_elsewhere: Any
) -> None:
    ledger.add_signer("bob", bob.public_key, operator)
    lid = ledger.info().ledger_id
    records = [signed_elsewhere(ReportRecord(**r), bob, lid, name_ledger=i == 0)
               for i, r in enumerate(REPORTS[:1] + REPORTS[2:])]
    lines = [r.model_dump_json().encode() + b"\n" for r in records]
    # the rest of the file is signed with --key (alice); a pre-signed line keeps its signer
    summary = import_lines(ledger, [*jsonl(*DEFINITIONS), *lines, *jsonl(REPORTS[1])], alice)
    assert summary.by_type["report"] == 4
    claims = [ledger.claim(body_id(canonical(claim_body(lid, bob.key_id, ReportRecord(**r),
                                                         r["value"]))))
              for r in REPORTS[:1] + REPORTS[2:]]
    assert [c.signer for c in claims] == [bob.key_id] * 3
    assert [c.signature for c in claims] == [r.signature for r in records]


def test_pre_signed_follow_ups_verify(
    ledger: Ledger, alice: KeyPair, bob: KeyPair, operator: KeyPair, signed_elsewhere: Any,
    claim_ids: list[str],
) -> None:
    ledger.add_signer("bob", bob.public_key, operator)
    import_lines(ledger, jsonl(*DEFINITIONS, *REPORTS), alice)
    lid = ledger.info().ledger_id
    fix = signed_elsewhere(CorrectionRecord(claim=claim_ids[0], value="449", reason="r"),
                           alice, lid, claim_id=claim_ids[0])
    drop = signed_elsewhere(RetractionRecord(claim=claim_ids[1], reason="r"),
                            operator, lid, claim_id=claim_ids[1])
    summary = import_lines(ledger, [fix.model_dump_json().encode(),
                                    drop.model_dump_json().encode()], bob)
    assert summary.added == 2
    assert written(ledger, claim_ids[0]) == "449"
    assert ledger.claim(claim_ids[1]).retracted


def test_a_pre_signed_line_altered_after_signing_writes_nothing(
    ledger: Ledger, alice: KeyPair, signed_elsewhere: Any, nothing_written: Any
) -> None:
    record = signed_elsewhere(ReportRecord(**REPORTS[0]), alice, ledger.info().ledger_id)
    tampered = json.loads(record.model_dump_json())
    tampered["value"] = "451"
    with nothing_written(), pytest.raises(ImportFileError) as caught:
        import_lines(ledger, jsonl(*DEFINITIONS, *REPORTS[1:], tampered), alice)
    assert (caught.value.line, caught.value.field) == (len(DEFINITIONS) + 4, "signature")


def test_a_pre_signed_line_by_an_unregistered_key_writes_nothing(
    ledger: Ledger, alice: KeyPair, bob: KeyPair, signed_elsewhere: Any, nothing_written: Any
) -> None:
    record = signed_elsewhere(ReportRecord(**REPORTS[0]), bob, ledger.info().ledger_id)
    with nothing_written(), pytest.raises(ImportFileError) as caught:
        import_lines(ledger, [record.model_dump_json().encode()], alice)
    assert (caught.value.line, caught.value.field) == (1, "signer")
    assert bob.key_id in caught.value.message


def test_a_forged_line_in_a_batch_checked_early_is_still_refused(
    ledger: Ledger, alice: KeyPair, signed_elsewhere: Any, nothing_written: Any
) -> None:
    """The signatures of pre-signed lines are checked in batches. A line that is already in
    the ledger makes the import wait for the batch up to that line; a forged signature
    later in the same batch must not be forgotten then."""
    lid = ledger.info().ledger_id
    known = signed_elsewhere(ReportRecord(**REPORTS[0]), alice, lid)
    ledger.report(ReportRecord(**REPORTS[0]), alice)  # line 1 is a duplicate
    fresh = [signed_elsewhere(ReportRecord(**{**REPORTS[0], "value": str(500 + n)}), alice,
                              lid) for n in range(30)]
    forged = fresh[20].model_copy(update={"signature": fresh[21].signature})
    lines = [r.model_dump_json().encode() + b"\n"
             for r in [known, *fresh[:20], forged, *fresh[21:]]]
    with nothing_written(), pytest.raises(ImportFileError) as caught:
        import_lines(ledger, lines, None)
    assert caught.value.line == 22 and "signature does not verify" in caught.value.message


def test_two_witnesses_sharing_a_key_are_refused(
    ledger: Ledger, operator: KeyPair, nothing_written: Any
) -> None:
    """The rule `tally witnesses add` keeps holds on import too: one key cosigning under two
    names would count as two witnesses."""
    vkey = Cosigner("w.example", bytes(range(32))).vkey
    lines = jsonl({"type": "witness", "name": "w1", "url": "http://127.0.0.1:9001", "vkey": vkey},
                  {"type": "witness", "name": "w2", "url": "http://127.0.0.1:9002", "vkey": vkey})
    with nothing_written(), pytest.raises(ImportFileError, match="this key") as caught:
        import_lines(ledger, lines, operator)
    assert (caught.value.line, caught.value.field) == (2, "vkey")
