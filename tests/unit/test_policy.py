"""The ledger's rules (`ledger/model/policy.py`) on their own, over plain facts: each rule
accepts what it must and refuses the rest with the error its callers expect."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from tally.ledger.errors import (
    ClaimStateError,
    DuplicateDefinitionError,
    InputError,
    InvalidDateError,
    InvalidValueError,
    NotAuthorisedError,
    RevokedSignerError,
    UnknownFigureError,
    UnknownSignerError,
)
from tally.ledger.model import policy
from tally.ledger.model.kinds import FigureKind, Role
from tally.ledger.model.values import Quantity, Status

OPERATOR = "op-key"
TODAY = dt.date(2026, 1, 15)


@dataclass
class Signer:
    key_id: str
    role: Role = "recorder"
    revoked: bool = False


@dataclass
class ClaimState:
    claim_id: str = "c1"
    figure: str = "izium/bodies"
    signer: str = "alice"
    retracted: bool = False
    followups: list[str] = field(default_factory=list)


@dataclass
class Figure:
    figure_id: str = "izium/bodies"
    kind: FigureKind = "quantity"
    states: list[str] = field(default_factory=list)
    integer: bool = False


def test_a_registered_signer_may_sign() -> None:
    alice = Signer("alice")
    assert policy.signer_may_sign(alice, "alice") is alice


def test_an_unknown_or_revoked_signer_may_not() -> None:
    with pytest.raises(UnknownSignerError, match="not registered"):
        policy.signer_may_sign(None, "nobody")
    with pytest.raises(RevokedSignerError, match="revoked"):
        policy.signer_may_sign(Signer("alice", revoked=True), "alice")


def test_only_the_operator_signs_registrations() -> None:
    policy.operator_only(OPERATOR, OPERATOR, "signer registrations")
    with pytest.raises(NotAuthorisedError, match="operator key may sign signer registrations"):
        policy.operator_only("alice", OPERATOR, "signer registrations")


def test_the_operator_key_cannot_be_revoked() -> None:
    policy.may_revoke("alice", OPERATOR)
    with pytest.raises(NotAuthorisedError, match="trust root"):
        policy.may_revoke(OPERATOR, OPERATOR)


@pytest.mark.parametrize("correcting", [True, False])
def test_the_claims_signer_or_an_operator_may_follow_up(correcting: bool) -> None:
    claim = ClaimState()
    assert policy.followup_is_new(claim, "f1", Signer("alice"), correcting=correcting)
    assert policy.followup_is_new(claim, "f1", Signer(OPERATOR, role="operator"),
                                  correcting=correcting)


def test_a_followup_already_recorded_is_not_new() -> None:
    claim = ClaimState(followups=["f1"], retracted=True)
    # already recorded: answered before any rule, so a repeat is "already recorded"
    assert not policy.followup_is_new(claim, "f1", Signer("mallory", revoked=True),
                                      correcting=True)


def test_a_followup_is_refused_to_others_the_revoked_and_on_a_retracted_claim() -> None:
    with pytest.raises(NotAuthorisedError, match="only the claim's signer"):
        policy.followup_is_new(ClaimState(), "f1", Signer("bob"), correcting=True)
    with pytest.raises(RevokedSignerError):
        policy.followup_is_new(ClaimState(), "f1", Signer("alice", revoked=True), correcting=True)
    retracted = ClaimState(retracted=True)
    with pytest.raises(ClaimStateError, match="cannot be corrected"):
        policy.followup_is_new(retracted, "f1", Signer("alice"), correcting=True)
    with pytest.raises(ClaimStateError, match="already retracted"):
        policy.followup_is_new(retracted, "f1", Signer("alice"), correcting=False)


def _defined(known: set[str]) -> Callable[[str], None]:
    """`defined` as the commands pass it: raises for a figure not defined."""
    def defined(figure_id: str) -> None:
        if figure_id not in known:
            raise UnknownFigureError(f"figure {figure_id!r} is not defined")
    return defined


def test_a_figure_shape_that_holds() -> None:
    policy.check_figure_shape("izium/total", "quantity", True, ["izium/a", "izium/b"], [],
                              _defined({"izium/a", "izium/b"}))
    policy.check_figure_shape("izium/state", "status", False, [], ["planned", "done"],
                              _defined(set()))


@pytest.mark.parametrize(("kind", "cumulative", "parts", "states", "refusal"), [
    ("status", True, [], ["a"], "status figure cannot be cumulative"),
    ("status", False, ["izium/a"], ["a"], "status figure cannot be cumulative or have parts"),
    ("quantity", False, [], ["a"], "only a status figure has states"),
    ("quantity", False, ["izium/total"], [], "cannot be one of its own parts"),
    ("quantity", False, ["izium/a", "izium/a"], [], "parts must not repeat"),
    ("status", False, [], ["a", "a"], "states must not repeat"),
])
def test_a_figure_shape_that_cannot_hold(kind: str, cumulative: bool, parts: list[str],
                                         states: list[str], refusal: str) -> None:
    with pytest.raises(InputError, match=refusal):
        policy.check_figure_shape("izium/total", kind, cumulative, parts, states,
                                  _defined({"izium/a", "izium/total"}))


def test_a_figures_parts_are_defined_first() -> None:
    with pytest.raises(UnknownFigureError):
        policy.check_figure_shape("izium/total", "quantity", False, ["izium/missing"], [],
                                  _defined(set()))


def test_values_follow_the_figures_kind() -> None:
    assert isinstance(policy.value_for(Figure(), "447"), Quantity)
    status = Figure(kind="status", states=["planned", "completed"])
    assert isinstance(policy.value_for(status, "completed"), Status)
    with pytest.raises(InvalidValueError):
        policy.value_for(status, "exploded")


def test_a_counting_figure_takes_whole_numbers_only() -> None:
    assert isinstance(policy.value_for(Figure(), "2.5"), Quantity)
    with pytest.raises(InvalidValueError, match="whole numbers"):
        policy.value_for(Figure(integer=True), "2.5")
    assert isinstance(policy.value_for(Figure(integer=True), "447"), Quantity)


def test_dates_parse_are_not_in_the_future_and_publication_follows() -> None:
    policy.check_dates("2022-09-23", None, TODAY)
    policy.check_dates("2022-09", "2022-09-30", TODAY)
    policy.check_dates("2022-09", "2022-09-01", TODAY)  # overlapping uncertainty is fine
    with pytest.raises(InvalidDateError):
        policy.check_dates("2027-01-01", None, TODAY)
    with pytest.raises(InvalidDateError, match="before as_of"):
        policy.check_dates("2022-09-23", "2022-09-01", TODAY)
    with pytest.raises(InvalidDateError):
        policy.check_dates("not a date", None, TODAY)


def test_an_id_is_defined_once() -> None:
    assert policy.defined_once(None, ("Hromadske", "media"), "taken", "id")
    assert not policy.defined_once(("Hromadske", "media"), ("Hromadske", "media"), "taken", "id")
    with pytest.raises(DuplicateDefinitionError, match="taken") as caught:
        policy.defined_once(("Hromadske", "media"), ("Hromadske", "ngo"), "taken", "id")
    assert caught.value.field == "id"


W1 = ("http://127.0.0.1:9001", "w1.example+0a0b0c0d+AQ")


def test_a_new_witness_or_the_same_again() -> None:
    assert policy.witness_is_new("w2", "http://127.0.0.1:9002", "w2.example+1+AQ", {"w1": W1})
    assert not policy.witness_is_new("w1", *W1, {"w1": W1})


def test_a_witness_name_holds_one_url_and_key() -> None:
    with pytest.raises(DuplicateDefinitionError, match="another URL or key") as caught:
        policy.witness_is_new("w1", "http://127.0.0.1:9009", W1[1], {"w1": W1})
    assert caught.value.field == "name"


def test_a_witness_key_is_configured_under_one_name() -> None:
    with pytest.raises(DuplicateDefinitionError, match="'w1' is already configured with this "
                       "key") as caught:
        policy.witness_is_new("w2", "http://127.0.0.1:9002", W1[1], {"w1": W1})
    assert caught.value.field == "vkey"


def test_a_removed_witness_name_is_not_configured_again() -> None:
    with pytest.raises(DuplicateDefinitionError, match=r"'w1' was removed \(shut down\): "
                       "choose another name") as caught:
        policy.witness_is_new("w1", *W1, {}, {"w1": "shut down"})
    assert caught.value.field == "name"
    # its key, no longer asked, may be configured under another name
    assert policy.witness_is_new("w1b", *W1, {}, {"w1": "shut down"})


def test_only_a_configured_witness_is_removed_or_moved() -> None:
    assert policy.witness_configured("w1", {"w1": W1}) == W1
    with pytest.raises(ClaimStateError, match=r"'w1' was removed \(shut down\)"):
        policy.witness_configured("w1", {}, {"w1": "shut down"})
    with pytest.raises(InputError, match="'w2' is not configured: see 'tally witnesses list'"):
        policy.witness_configured("w2", {"w1": W1})
    with pytest.raises(InputError, match="did you mean 'w1'"):
        policy.witness_configured("w11", {"w1": W1})


def test_a_move_changes_the_url() -> None:
    assert policy.witness_url_changes(W1[0], "http://127.0.0.1:9009")
    assert not policy.witness_url_changes(W1[0], W1[0])
