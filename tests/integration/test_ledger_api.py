"""The ledger through its Python API: the whole path, then every refusal.

Each refusal asserts the error class, its `.field`, a one-sentence message
naming that field, and that nothing was written (invariant 9).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from factories import BODIES, EXHUMATION, ORIGIN, report_record

from tally.ledger.application import Ledger
from tally.ledger.errors import (
    ClaimStateError,
    DuplicateDefinitionError,
    ForeignLedgerError,
    ImportFileError,
    InvalidDateError,
    InvalidValueError,
    LedgerError,
    NotAuthorisedError,
    RevokedSignerError,
    SignatureError,
    StorageError,
    UnknownClaimError,
    UnknownFigureError,
    UnknownSignerError,
    UnknownSourceError,
)
from tally.ledger.importer import import_lines
from tally.ledger.integrity import signing
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.model.bodies import claim_body, ledger_id
from tally.ledger.model.events import Claim
from tally.ledger.model.inputs import (
    CorrectionRecord,
    FigureRecord,
    ReportRecord,
    RetractionRecord,
    SourceRecord,
)


def correction(claim: str, value: str = "449", reason: str = "typo in the article") -> Any:
    return CorrectionRecord(claim=claim, value=value, reason=reason)


def retraction(claim: str, reason: str = "the article was withdrawn") -> Any:
    return RetractionRecord(claim=claim, reason=reason)


def written(claim: Claim) -> str:
    return claim.value


def line(record: Any) -> bytes:
    return record.model_dump_json(exclude_none=True).encode()


# --- the whole path ---------------------------------------------------------------------------


def test_init_creates_the_genesis_and_the_operator_signer(
    db_url: str, operator: KeyPair
) -> None:
    with Ledger.open(db_url, create=True) as ledger:
        with pytest.raises(StorageError) as caught:
            ledger.info()
        assert caught.value.field == "db"
        info, created = ledger.init(ORIGIN, operator)
        assert created
        assert info.origin == ORIGIN
        assert info.ledger_id == ledger_id(ORIGIN, operator.public_key)
        assert info.operator_public_key == operator.public_key.hex()
        assert info.operator_key_id == operator.key_id
        assert ledger.events.max_position() == 2
        [signer] = ledger.directory.signers()
        assert (signer.key_id, signer.role, signer.revoked) == (operator.key_id, "operator", False)


def test_init_is_idempotent(ledger: Ledger, operator: KeyPair, nothing_written: Any) -> None:
    first = ledger.info()
    with nothing_written():
        info, created = ledger.init(ORIGIN, operator)
    assert not created
    assert info == first


@pytest.mark.parametrize("origin", ["example.org/other", ""])
def test_init_with_another_name_is_refused(
    ledger: Ledger, operator: KeyPair, origin: str, nothing_written: Any, one_sentence: Any
) -> None:
    with nothing_written(), pytest.raises(DuplicateDefinitionError) as caught:
        ledger.init(origin, operator)
    one_sentence(caught.value, "name", named="ledger")


def test_init_with_another_operator_is_refused(
    ledger: Ledger, alice: KeyPair, nothing_written: Any
) -> None:
    with nothing_written(), pytest.raises(DuplicateDefinitionError):
        ledger.init(ORIGIN, alice)


def test_opening_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="tally init"):
        Ledger.open(str(tmp_path / "missing.db"))


def test_a_claim_is_recorded_corrected_and_retracted(ledger: Ledger, alice: KeyPair) -> None:
    start = ledger.events.max_position()
    recorded = ledger.report(report_record(via=["izium-cma", "suspilne"], quote="447 bodies",
                                    published="2022-09"), alice)
    assert recorded.status == "recorded"
    assert recorded.position == start + 1 == ledger.events.max_position()
    assert len(recorded.id) == 32

    claim = ledger.claim(recorded.id)
    assert claim.figure == BODIES
    assert claim.signer == alice.key_id
    assert written(claim) == "447"
    body = json.loads(claim.body)
    assert body["ledger"] == ledger.info().ledger_id
    assert body["via"] == ["izium-cma", "suspilne"]
    assert signing.body_id(claim.body) == recorded.id
    signing.check_signature(alice.public_key, claim.body, claim.signature)

    corrected = ledger.correct(correction(recorded.id[:8]), alice)
    assert corrected.status == "recorded"
    assert corrected.position == start + 2
    claim = ledger.claim(recorded.id)
    assert written(claim) == "449"
    assert claim.followups == [corrected.id]
    assert not claim.retracted

    retracted = ledger.retract(retraction(recorded.id), alice)
    assert retracted.status == "recorded"
    assert retracted.position == start + 3
    claim = ledger.claim(recorded.id)
    assert claim.retracted
    assert claim.followups == [corrected.id, retracted.id]
    assert claim.version == 3


def test_a_status_in_the_vocabulary_is_recorded(ledger: Ledger, alice: KeyPair) -> None:
    recorded = ledger.report(
        ReportRecord(figure=EXHUMATION, value="completed", as_of="2022-09-23",
                     source="izium-cma"), alice)
    assert recorded.status == "recorded"
    assert ledger.claim(recorded.id).value == "completed"


@pytest.mark.parametrize("value", ["~450", ">=440", ">440", "<=30", "<30", "440..451", "0"])
def test_every_written_form_is_recorded(ledger: Ledger, alice: KeyPair, value: str) -> None:
    assert ledger.report(report_record(value), alice).status == "recorded"


@pytest.mark.parametrize("as_of", ["2025-01", "2022-09?", "2022-09-16/2022-09-23", "2026-01-15"])
def test_edtf_dates_up_to_today_are_recorded(ledger: Ledger, alice: KeyPair, as_of: str) -> None:
    assert ledger.report(report_record(as_of=as_of), alice).status == "recorded"


def test_appending_the_same_report_twice_is_already_recorded(
    ledger: Ledger, alice: KeyPair, nothing_written: Any
) -> None:
    first = ledger.report(report_record(), alice)
    with nothing_written():
        again = ledger.report(report_record(), alice)
        # the canonical written form is what is signed: spacing does not fork a claim
        spaced = ledger.report(report_record(" 447 "), alice)
    assert again.status == spaced.status == "already recorded"
    assert again.id == spaced.id == first.id
    assert again.position is None


def test_a_pre_signed_copy_of_a_recorded_claim_is_already_recorded(
    ledger: Ledger, alice: KeyPair, signed_elsewhere: Any, nothing_written: Any
) -> None:
    first = ledger.report(report_record(), alice)
    with nothing_written():
        again = ledger.report(
            signed_elsewhere(report_record(), alice, ledger.info().ledger_id), None)
    assert (again.id, again.status) == (first.id, "already recorded")


def test_the_same_correction_twice_is_already_recorded(
    ledger: Ledger, alice: KeyPair, nothing_written: Any
) -> None:
    claim = ledger.report(report_record(), alice).id
    first = ledger.correct(correction(claim), alice)
    with nothing_written():
        again = ledger.correct(correction(claim), alice)
    assert (again.id, again.status) == (first.id, "already recorded")


def test_the_same_retraction_twice_is_already_recorded(
    ledger: Ledger, alice: KeyPair, nothing_written: Any
) -> None:
    claim = ledger.report(report_record(), alice).id
    first = ledger.retract(retraction(claim), alice)
    with nothing_written():
        again = ledger.retract(retraction(claim), alice)
    assert (again.id, again.status) == (first.id, "already recorded")


def test_an_operator_key_may_correct_and_retract_a_signers_claim(
    ledger: Ledger, alice: KeyPair, operator: KeyPair
) -> None:
    claim = ledger.report(report_record(), alice).id
    assert ledger.correct(correction(claim), operator).status == "recorded"
    assert ledger.retract(retraction(claim), operator).status == "recorded"
    assert ledger.claim(claim).retracted


def test_a_revoked_signers_earlier_claims_stand(
    ledger: Ledger, alice: KeyPair, operator: KeyPair
) -> None:
    claim = ledger.report(report_record(), alice).id
    ledger.revoke_signer(alice.key_id, operator, "key lost")
    assert written(ledger.claim(claim)) == "447"
    assert [s.revoked for s in ledger.directory.signers() if s.key_id == alice.key_id] == [True]
    again = ledger.revoke_signer(alice.key_id, operator, "key lost")
    assert again.status == "already recorded"


def test_signers_sources_and_figures_are_listed(
    ledger: Ledger, alice: KeyPair, operator: KeyPair,
) -> None:
    assert [s.name for s in ledger.directory.signers()] == ["operator", "alice"]
    assert [s.id for s in ledger.directory.sources()] == ["hromadske", "izium-cma", "suspilne"]
    assert [f["figure_id"] for f in ledger.directory.figures()] == [BODIES, EXHUMATION]
    assert ledger.directory.figure_ids() == [BODIES, EXHUMATION]


def test_a_signer_added_twice_is_already_recorded(
    ledger: Ledger, alice: KeyPair, operator: KeyPair, nothing_written: Any
) -> None:
    with nothing_written():
        again = ledger.add_signer("alice", alice.public_key, operator)
    assert (again.id, again.status) == (alice.key_id, "already recorded")


def test_only_the_operator_adds_signers(
    ledger: Ledger, alice: KeyPair, bob: KeyPair, nothing_written: Any, one_sentence: Any
) -> None:
    with nothing_written(), pytest.raises(NotAuthorisedError) as caught:
        ledger.add_signer("bob", bob.public_key, alice)
    one_sentence(caught.value, "key")


def test_a_revoked_key_cannot_be_registered_again(
    ledger: Ledger, alice: KeyPair, operator: KeyPair, nothing_written: Any
) -> None:
    ledger.revoke_signer(alice.key_id, operator, "key lost")
    with nothing_written(), pytest.raises(ClaimStateError) as caught:
        ledger.add_signer("alice", alice.public_key, operator)
    assert caught.value.field == "key"


def test_the_operator_key_cannot_be_revoked(
    ledger: Ledger, operator: KeyPair, nothing_written: Any, one_sentence: Any
) -> None:
    with nothing_written(), pytest.raises(NotAuthorisedError) as caught:
        ledger.revoke_signer(operator.key_id, operator, "no")
    one_sentence(caught.value, "key")
    assert "trust root" in caught.value.message


def test_a_signer_added_as_operator_can_be_revoked(
    ledger: Ledger, operator: KeyPair, bob: KeyPair, alice: KeyPair
) -> None:
    ledger.add_signer("bob", bob.public_key, operator, role="operator")
    claim = ledger.report(report_record(), alice).id
    assert ledger.revoke_signer(bob.key_id, operator, "left").status == "recorded"
    assert [s.revoked for s in ledger.directory.signers() if s.key_id == bob.key_id] == [True]
    with pytest.raises(RevokedSignerError):
        ledger.retract(retraction(claim), bob)


def test_a_figure_redefined_identically_is_a_no_op(
    ledger: Ledger, nothing_written: Any, operator: KeyPair,
) -> None:
    with nothing_written():
        again = ledger.define_figure(FigureRecord(id=BODIES, unit="bodies", cumulative=True),
                                     operator)
        # "0.050" is the same tolerance as the default "0.05"
        same = ledger.define_figure(FigureRecord(id=BODIES, unit="bodies", cumulative=True,
                                                 tolerance="0.050"), operator)
    assert again.status == same.status == "already recorded"


@pytest.mark.parametrize(
    "figure",
    [
        FigureRecord(id=BODIES, unit="graves", cumulative=True),
        FigureRecord(id=BODIES, unit="bodies"),
        FigureRecord(id=BODIES, unit="bodies", cumulative=True, tolerance="0.1"),
        FigureRecord(id=EXHUMATION, kind="status", unit="state", states=["planned"]),
    ],
)
def test_a_figure_redefined_differently_is_refused(
    ledger: Ledger, figure: FigureRecord, nothing_written: Any, one_sentence: Any,
    operator: KeyPair,
) -> None:
    with nothing_written(), pytest.raises(DuplicateDefinitionError) as caught:
        ledger.define_figure(figure, operator)
    one_sentence(caught.value, "id", named="figure")


def test_a_source_redefined(
    ledger: Ledger, nothing_written: Any, one_sentence: Any, operator: KeyPair,
) -> None:
    with nothing_written():
        same = ledger.add_source(SourceRecord(id="hromadske", name="Hromadske", kind="media"),
                                 operator)
        assert same.status == "already recorded"
        with pytest.raises(DuplicateDefinitionError) as caught:
            ledger.add_source(SourceRecord(id="hromadske", name="Hromadske", kind="ngo"), operator)
    one_sentence(caught.value, "id", named="source")


@pytest.mark.parametrize(
    ("figure", "field"),
    [
        (FigureRecord(id="izium/total", parts=["izium/nope"]), "figure"),
        (FigureRecord(id="izium/s", kind="status", cumulative=True), "kind"),
        (FigureRecord(id="izium/q", states=["open"]), "states"),
        (FigureRecord(id=BODIES + "2", parts=[BODIES + "2"]), "figure"),
    ],
)
def test_bad_figure_definitions_are_refused(
    ledger: Ledger, figure: FigureRecord, field: str, nothing_written: Any, operator: KeyPair,
) -> None:
    with nothing_written(), pytest.raises(LedgerError) as caught:
        ledger.define_figure(figure, operator)
    assert caught.value.field == field


# --- refusals of reports ----------------------------------------------------------------------


def refuses(
    ledger: Ledger, record: Any, key: KeyPair | None, error: type[LedgerError], field: str,
    nothing_written: Any, one_sentence: Callable[..., None],
    command: str = "report",
) -> LedgerError:
    with nothing_written(), pytest.raises(error) as caught:
        getattr(ledger, command)(record, key)
    assert type(caught.value) is error
    one_sentence(caught.value, field)
    return caught.value


def test_an_unknown_figure_is_refused_with_a_hint(
    ledger: Ledger, alice: KeyPair, nothing_written: Any, one_sentence: Any
) -> None:
    error = refuses(ledger, report_record(figure="izium/bodie"), alice, UnknownFigureError,
                    "figure",
                    nothing_written, one_sentence)
    assert "did you mean 'izium/bodies'?" in error.message


def test_an_unknown_figure_with_nothing_close_says_how_to_define_it(
    ledger: Ledger, alice: KeyPair, nothing_written: Any, one_sentence: Any
) -> None:
    error = refuses(ledger, report_record(figure="kharkiv/rainfall"), alice, UnknownFigureError,
                    "figure", nothing_written, one_sentence)
    assert "tally figures define" in error.message


@pytest.mark.parametrize(
    ("fields", "error", "field"),
    [
        ({"source": "kyiv-post"}, UnknownSourceError, "source"),
        ({"via": ["suspilne", "kyiv-post"]}, UnknownSourceError, "via"),
        ({"value": "abc"}, InvalidValueError, "value"),
        ({"value": "4 47"}, InvalidValueError, "value"),
        ({"value": "1e3"}, InvalidValueError, "value"),
        ({"value": "1,000"}, InvalidValueError, "value"),
        ({"value": "451..440"}, InvalidValueError, "value"),
        ({"value": "-3"}, InvalidValueError, "value"),
        ({"value": "~-3"}, InvalidValueError, "value"),
        ({"value": "NaN"}, InvalidValueError, "value"),
        ({"as_of": "2022-13-45"}, InvalidDateError, "as_of"),
        ({"as_of": "23.09.2022"}, InvalidDateError, "as_of"),
        ({"as_of": "2022-02-30"}, InvalidDateError, "as_of"),
        ({"as_of": "2026-02"}, InvalidDateError, "as_of"),  # future of NOW (2026-01-15)
        ({"as_of": "2026-01-16"}, InvalidDateError, "as_of"),
        ({"as_of": "2030"}, InvalidDateError, "as_of"),
        ({"published": "yesterday"}, InvalidDateError, "published"),
        ({"published": "2027-01"}, InvalidDateError, "published"),
    ],
)
def test_bad_reports_are_refused(
    ledger: Ledger, alice: KeyPair, fields: dict[str, Any], error: type[LedgerError],
    field: str, nothing_written: Any, one_sentence: Any,
) -> None:
    refuses(ledger, report_record(**fields), alice, error, field, nothing_written, one_sentence)


def test_a_negative_count_says_counts_are_non_negative(
    ledger: Ledger, alice: KeyPair, nothing_written: Any, one_sentence: Any
) -> None:
    error = refuses(ledger, report_record("-3"), alice, InvalidValueError, "value",
                    nothing_written, one_sentence)
    assert "non-negative" in error.message


def test_a_future_date_names_the_recording_time(
    ledger: Ledger, alice: KeyPair, nothing_written: Any, one_sentence: Any
) -> None:
    error = refuses(ledger, report_record(as_of="2026-02"), alice, InvalidDateError, "as_of",
                    nothing_written, one_sentence)
    assert "future" in error.message and "2026-01-15" in error.message


@pytest.mark.parametrize("value", ["demolished", "447", "Completed"])
def test_a_status_outside_the_vocabulary_is_refused(
    ledger: Ledger, alice: KeyPair, value: str, nothing_written: Any, one_sentence: Any
) -> None:
    record = ReportRecord(figure=EXHUMATION, value=value, as_of="2022-09", source="izium-cma")
    refuses(ledger, record, alice, InvalidValueError, "value", nothing_written, one_sentence)


def test_an_unknown_signer_is_refused(
    ledger: Ledger, bob: KeyPair, nothing_written: Any, one_sentence: Any
) -> None:
    error = refuses(ledger, report_record(), bob, UnknownSignerError, "signer",
                    nothing_written, one_sentence)
    assert bob.key_id in error.message


def test_a_revoked_signer_is_refused(
    ledger: Ledger, alice: KeyPair, operator: KeyPair, nothing_written: Any, one_sentence: Any
) -> None:
    ledger.revoke_signer(alice.key_id, operator, "key lost")
    refuses(ledger, report_record(), alice, RevokedSignerError, "signer", nothing_written,
            one_sentence)


def test_a_pre_signed_line_of_a_revoked_signer_is_refused(
    ledger: Ledger, alice: KeyPair, operator: KeyPair, signed_elsewhere: Any,
    nothing_written: Any, one_sentence: Any,
) -> None:
    record = signed_elsewhere(report_record(), alice, ledger.info().ledger_id)
    ledger.revoke_signer(alice.key_id, operator, "key lost")
    refuses(ledger, record, None, RevokedSignerError, "signer", nothing_written, one_sentence)


def test_no_key_and_no_signature_is_refused(
    ledger: Ledger, nothing_written: Any, one_sentence: Any
) -> None:
    refuses(ledger, report_record(), None, SignatureError, "key", nothing_written, one_sentence)


def test_a_key_other_than_the_named_signer_is_refused(
    ledger: Ledger, alice: KeyPair, operator: KeyPair, nothing_written: Any
) -> None:
    with nothing_written(), pytest.raises(SignatureError) as caught:
        ledger.report(report_record(signer=operator.key_id), alice)
    assert caught.value.field == "signer"


def test_a_pre_signed_report_verifies(
    ledger: Ledger, alice: KeyPair, signed_elsewhere: Any
) -> None:
    record = signed_elsewhere(report_record(), alice, ledger.info().ledger_id)
    recorded = ledger.report(record, None)
    assert recorded.status == "recorded"
    assert ledger.claim(recorded.id).signature == record.signature


@pytest.mark.parametrize(
    "altered",
    [{"value": "449"}, {"as_of": "2022-09-24"}, {"source": "suspilne"}, {"via": ["suspilne"]},
     {"quote": "altered"}, {"url": "https://example.org/x"}],
)
def test_a_body_altered_after_signing_is_refused(
    ledger: Ledger, alice: KeyPair, altered: dict[str, Any], signed_elsewhere: Any,
    nothing_written: Any, one_sentence: Any,
) -> None:
    record = signed_elsewhere(report_record(), alice, ledger.info().ledger_id)
    tampered = record.model_copy(update=altered)
    error = refuses(ledger, tampered, None, SignatureError, "signature",
                    nothing_written, one_sentence)
    assert "does not verify" in error.message


def test_a_signature_attributed_to_another_signer_is_refused(
    ledger: Ledger, alice: KeyPair, operator: KeyPair, signed_elsewhere: Any,
    nothing_written: Any, one_sentence: Any,
) -> None:
    record = signed_elsewhere(report_record(), alice, ledger.info().ledger_id)
    refuses(ledger, record.model_copy(update={"signer": operator.key_id}), None,
            SignatureError, "signature", nothing_written, one_sentence)


def test_a_signature_without_a_signer_is_refused(
    ledger: Ledger, alice: KeyPair, signed_elsewhere: Any, nothing_written: Any
) -> None:
    record = signed_elsewhere(report_record(), alice, ledger.info().ledger_id)
    with nothing_written(), pytest.raises(SignatureError) as caught:
        ledger.report(record.model_copy(update={"signer": None}), None)
    assert caught.value.field == "signer"


@pytest.fixture
def other_ledger(make_ledger: Any, operator: KeyPair, alice: KeyPair) -> Ledger:
    """Ledger A: same operator, same signer, same figures, another name (so another id)."""
    ledger: Ledger = make_ledger("a.db", operator, [alice], origin="example.org/elsewhere")
    return ledger


def test_a_claim_signed_in_another_ledger_naming_it_is_refused(
    ledger: Ledger, other_ledger: Ledger, alice: KeyPair, nothing_written: Any,
    one_sentence: Any,
) -> None:
    recorded = other_ledger.report(report_record(), alice)
    original = other_ledger.claim(recorded.id)
    record = report_record().model_copy(update={
        "signer": alice.key_id, "signature": original.signature,
        "ledger": other_ledger.info().ledger_id})
    error = refuses(ledger, record, None, ForeignLedgerError, "ledger",
                    nothing_written, one_sentence)
    assert other_ledger.info().ledger_id in error.message
    with nothing_written(), pytest.raises(ImportFileError) as caught:
        import_lines(ledger, [line(record)], None)
    assert (caught.value.line, caught.value.field) == (1, "ledger")


def test_a_claim_signed_in_another_ledger_not_naming_it_is_refused(
    ledger: Ledger, other_ledger: Ledger, alice: KeyPair, nothing_written: Any,
    one_sentence: Any,
) -> None:
    recorded = other_ledger.report(report_record(), alice)
    original = other_ledger.claim(recorded.id)
    record = report_record().model_copy(update={"signer": alice.key_id,
                                         "signature": original.signature})
    refuses(ledger, record, None, SignatureError, "signature", nothing_written, one_sentence)
    with nothing_written(), pytest.raises(ImportFileError) as caught:
        import_lines(ledger, [line(record)], None)
    assert (caught.value.line, caught.value.field) == (1, "signature")


# --- a second, valid signature of the same body ---------------------------------------------
# Ed25519 as `cryptography` does it is deterministic, so the same key never signs
# the same body twice differently. Another implementation may pick another nonce:
# its signature is just as valid, and must not make a second claim. This is RFC 8032
# §6's reference code with the nonce as a parameter.

_P = 2**255 - 19
_Q = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _add(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    x = (a[1] - a[0]) * (b[1] - b[0]) % _P
    y = (a[1] + a[0]) * (b[1] + b[0]) % _P
    c, d = 2 * a[3] * b[3] * _D % _P, 2 * a[2] * b[2] % _P
    e, f, g, h = y - x, d - c, d + c, y + x
    return e * f, g * h, f * g, e * h


def _mul(s: int, point: tuple[int, ...]) -> tuple[int, ...]:
    result: tuple[int, ...] = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            result = _add(result, point)
        point = _add(point, point)
        s >>= 1
    return result


def _base() -> tuple[int, ...]:
    y = 4 * pow(5, _P - 2, _P) % _P
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P)
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P:
        x = x * _SQRT_M1 % _P
    if x & 1:
        x = _P - x
    return x, y, 1, x * y % _P


def _compress(point: tuple[int, ...]) -> bytes:
    z = pow(point[2], _P - 2, _P)
    x, y = point[0] * z % _P, point[1] * z % _P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def sign_with_nonce(key: KeyPair, message: str, nonce: int) -> str:
    seed = key.private_key.private_bytes_raw()
    digest = hashlib.sha512(seed).digest()
    a = (int.from_bytes(digest[:32], "little") & ((1 << 254) - 8)) | (1 << 254)
    public = _compress(_mul(a, _base()))
    r_point = _compress(_mul(nonce % _Q, _base()))
    h = int.from_bytes(hashlib.sha512(r_point + public + message.encode()).digest(), "little")
    s = (nonce + h * a) % _Q
    return (r_point + s.to_bytes(32, "little")).hex()


def test_the_reference_signer_matches_cryptography(alice: KeyPair) -> None:
    # With the RFC's own nonce, the reference code gives the library's signature.
    seed = alice.private_key.private_bytes_raw()
    prefix = hashlib.sha512(seed).digest()[32:]
    nonce = int.from_bytes(hashlib.sha512(prefix + b"{}").digest(), "little")
    assert sign_with_nonce(alice, "{}", nonce) == signing.sign(alice.private_key, "{}")


def test_a_duplicate_body_with_a_different_signature_is_refused(
    ledger: Ledger, alice: KeyPair, nothing_written: Any, one_sentence: Any
) -> None:
    recorded = ledger.report(report_record(), alice)
    body = ledger.claim(recorded.id).body
    assert body == signing.canonical(claim_body(ledger.info().ledger_id, alice.key_id,
                                                report_record(), "447"))
    other = sign_with_nonce(alice, body, nonce=12345)
    signing.check_signature(alice.public_key, body, other)  # valid, yet not the stored one
    assert other != ledger.claim(recorded.id).signature
    record = report_record().model_copy(update={"signer": alice.key_id, "signature": other})
    error = refuses(ledger, record, None, SignatureError, "signature",
                    nothing_written, one_sentence)
    assert "already recorded with a different signature" in error.message


def test_a_duplicate_body_with_a_broken_signature_is_refused(
    ledger: Ledger, alice: KeyPair, nothing_written: Any, one_sentence: Any
) -> None:
    recorded = ledger.report(report_record(), alice)
    signature = bytearray(bytes.fromhex(ledger.claim(recorded.id).signature))
    signature[40] ^= 0xFF
    record = report_record().model_copy(
        update={"signer": alice.key_id, "signature": signature.hex()})
    refuses(ledger, record, None, SignatureError, "signature", nothing_written, one_sentence)


# --- refusals of corrections and retractions ----------------------------------------------------


@pytest.fixture
def claim_id(ledger: Ledger, alice: KeyPair) -> str:
    return ledger.report(report_record(), alice).id


@pytest.mark.parametrize("command", ["correct", "retract"])
def test_only_the_claims_signer_or_an_operator_may_follow_up(
    ledger: Ledger, claim_id: str, bob: KeyPair, operator: KeyPair, command: str,
    nothing_written: Any, one_sentence: Any,
) -> None:
    ledger.add_signer("bob", bob.public_key, operator)
    record = correction(claim_id) if command == "correct" else retraction(claim_id)
    error = refuses(ledger, record, bob, NotAuthorisedError, "signer", nothing_written,
                    one_sentence, command=command)
    assert claim_id in error.message


@pytest.mark.parametrize("command", ["correct", "retract"])
def test_an_unknown_signer_may_not_follow_up(
    ledger: Ledger, claim_id: str, bob: KeyPair, command: str, nothing_written: Any,
    one_sentence: Any,
) -> None:
    record = correction(claim_id) if command == "correct" else retraction(claim_id)
    refuses(ledger, record, bob, UnknownSignerError, "signer", nothing_written, one_sentence,
            command=command)


def test_a_correction_of_a_retracted_claim_is_refused(
    ledger: Ledger, claim_id: str, alice: KeyPair, nothing_written: Any, one_sentence: Any
) -> None:
    ledger.retract(retraction(claim_id), alice)
    error = refuses(ledger, correction(claim_id), alice, ClaimStateError, "claim",
                    nothing_written, one_sentence, command="correct")
    assert "retracted" in error.message


def test_a_second_retraction_is_refused(
    ledger: Ledger, claim_id: str, alice: KeyPair, nothing_written: Any, one_sentence: Any
) -> None:
    ledger.retract(retraction(claim_id), alice)
    refuses(ledger, retraction(claim_id, "another reason"), alice, ClaimStateError, "claim",
            nothing_written, one_sentence, command="retract")


@pytest.mark.parametrize("value", ["-1", "abc"])
def test_a_correction_with_a_bad_value_is_refused(
    ledger: Ledger, claim_id: str, alice: KeyPair, value: str, nothing_written: Any,
    one_sentence: Any,
) -> None:
    refuses(ledger, correction(claim_id, value), alice, InvalidValueError, "value",
            nothing_written, one_sentence, command="correct")


@pytest.mark.parametrize("ref", ["ffff", "0" * 32])
def test_a_follow_up_of_an_unknown_claim_is_refused(
    ledger: Ledger, claim_id: str, alice: KeyPair, ref: str, nothing_written: Any,
    one_sentence: Any,
) -> None:
    ref = ref if not claim_id.startswith(ref) else "eeee"
    refuses(ledger, correction(ref), alice, UnknownClaimError, "claim", nothing_written,
            one_sentence, command="correct")


def test_a_correction_altered_after_signing_is_refused(
    ledger: Ledger, claim_id: str, alice: KeyPair, signed_elsewhere: Any,
    nothing_written: Any, one_sentence: Any,
) -> None:
    record = signed_elsewhere(correction(claim_id), alice, ledger.info().ledger_id,
                              claim_id=claim_id)
    assert ledger.correct(record, None).status == "recorded"
    tampered = record.model_copy(update={"value": "450"})
    refuses(ledger, tampered, None, SignatureError, "signature", nothing_written, one_sentence,
            command="correct")

