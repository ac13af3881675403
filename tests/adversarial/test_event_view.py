"""`tally event` and `tally log` against an insider: a stored event changed by SQL is shown
as failing, never as verified, whether or not the insider also rebuilt the Merkle log.

The insider edits the event store (a claim's signed body, or only its unsigned recording
time), then, to hide it, throws the Merkle log away and builds it again from the edited
events (`relog`). The body's signature, the leaf against the log, and the leaf's inclusion
in the checkpoint signed before the edit are what catch each variant.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from insider import edit_row, full_ledger, relog, rows, state_of
from rich.console import Console

from tally.cli import navigate_view
from tally.ledger.application import Ledger
from tally.ledger.integrity.signing import KeyPair, canonical
from tally.ledger.verify.inspector import EventView, Inspector


def _shown(out: object) -> str:
    console = Console(file=io.StringIO(), width=80, color_system=None)
    console.print(out)
    return console.file.getvalue()  # type: ignore[attr-defined]


def _claim_position(db: str) -> tuple[int, dict[str, str]]:
    """The first claim's position and its stored state's fields."""
    position, _, _, _, state = next(r for r in rows(db) if r[3] == "claim.recorded")
    return position, json.loads(state)


def _event(db: str, position: int) -> EventView:
    with Ledger.open(db) as ledger:
        return Inspector(ledger).event(position)


def _failing(out: EventView) -> str:
    assert not out.verified and out.problems
    shown = _shown(navigate_view.event(out))
    assert "FAILS" in shown and "verified" not in shown.split("\n")[0]
    return shown


@pytest.fixture
def db(tmp_path: Path, keys: tuple[KeyPair, KeyPair, KeyPair]) -> str:
    path = str(tmp_path / "ledger.db")
    full_ledger(path, *keys)
    return path


def _altered_body(state: dict[str, str]) -> str:
    body = json.loads(state["body"])
    body["value"] = "999"
    return canonical(body)


def test_an_untouched_event_is_verified_in_its_checkpoint(db: str) -> None:
    position, _ = _claim_position(db)
    out = _event(db, position)
    assert out.verified and out.signature_status == "valid"
    assert out.leaf_status == "matches the log" and out.inclusion == "verified"
    assert _shown(navigate_view.event(out)).startswith("✓ verified")


@pytest.mark.parametrize("cover", [False, True], ids=["as edited", "log rebuilt"])
def test_an_altered_body_is_shown_failing(db: str, cover: bool) -> None:
    position, state = _claim_position(db)
    edit_row(db, position, state=state_of(_altered_body(state), state["signature"],
                                          state["recorded"]))
    if cover:
        relog(db)
    out = _event(db, position)
    assert out.signature_status == "invalid"
    assert out.leaf_status == ("matches the log" if cover else "differs from the log")
    assert out.inclusion == "fails"
    assert '"value": "999"' in _failing(out)  # what is stored is shown, flagged
    with Ledger.open(db) as ledger:  # and the log listing marks it too
        listed = Inspector(ledger).log(position, position)
    assert [e.signature_status for e in listed.events] == ["invalid"]
    assert "✗ invalid" in _shown(navigate_view.log(listed))


@pytest.mark.parametrize("cover", [False, True], ids=["as edited", "log rebuilt"])
def test_an_altered_recording_time_is_shown_failing(db: str, cover: bool) -> None:
    """The time is not signed: the leaf binds it, and the signed checkpoint binds the leaf."""
    position, state = _claim_position(db)
    edit_row(db, position, state=state_of(state["body"], state["signature"],
                                          "2020-01-01T00:00:00.000000+00:00"))
    if cover:
        relog(db)
    out = _event(db, position)
    assert out.signature_status == "valid"  # the body is untouched
    assert out.leaf_status == ("matches the log" if cover else "differs from the log")
    assert out.inclusion == "fails"
    _failing(out)


def test_an_event_that_does_not_decode_is_shown_failing(db: str) -> None:
    position, _ = _claim_position(db)
    edit_row(db, position, state=b'{"not": "a state"}')
    out = _event(db, position)
    assert out.signature_status == "unreadable" and out.body is None
    _failing(out)


def test_a_claim_signed_by_a_key_no_signed_registration_names_fails(
        db: str, tmp_path: Path) -> None:
    """The insider signs a new body with a key of their own and names it as the signer: no
    registration the operator signed registers that key."""
    from tally.ledger.infra.keystore import KeyStore
    from tally.ledger.integrity.signing import sign

    insider = KeyStore(tmp_path / "insider").create("mallory")
    position, state = _claim_position(db)
    body = json.loads(_altered_body(state))
    body["signer"] = insider.key_id
    text = canonical(body)
    edit_row(db, position, state=state_of(text, sign(insider.private_key, text),
                                          state["recorded"]))
    out = _event(db, position)
    assert out.signature_status == "unknown signer"
    _failing(out)
