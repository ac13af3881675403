"""Signer and ledger names are refused with a hidden character (NUL, ESC, CR, tab, newline,
DEL, C1, bidi marks, zero-width characters ...), through the API and the CLI, in one sentence
and without writing anything."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tally.cli.main import app
from tally.ledger.application import Ledger
from tally.ledger.errors import DuplicateDefinitionError, InputError
from tally.ledger.infra.keystore import KeyStore
from tally.ledger.integrity.signing import KeyPair

BAD = ["\x00", "\x1b[31m", "\r", "\x07", "\x7f", "\x85", "\x9b", "\t", "\n", "\u202e",
       "\u2066", "\u200f", "\u061c", "\u200b", "\u200d", "\u2060", "\ufeff", "\u2028"]


@pytest.mark.parametrize("control", BAD, ids=[f"U+{ord(c[0]):04X}" for c in BAD])
def test_a_signer_name_with_a_control_character_is_refused(
    ledger: Ledger, bob: KeyPair, operator: KeyPair, control: str, nothing_written: Any,
    one_sentence: Any,
) -> None:
    with nothing_written(), pytest.raises(InputError) as caught:
        ledger.add_signer(f"bob{control}smith", bob.public_key, operator)
    one_sentence(caught.value, "name", named="signer")
    assert "control characters" in caught.value.message
    assert bob.key_id not in [s.key_id for s in ledger.directory.signers()]


@pytest.mark.parametrize("name", ["Bob Smith", "Боб — «редактор»", "[bold]bob[/]", "b" * 200,
                                  "بوب", "bob\u00a0smith"])
def test_signer_names_without_one_are_accepted(
    ledger: Ledger, bob: KeyPair, operator: KeyPair, name: str
) -> None:
    assert ledger.add_signer(name, bob.public_key, operator).status == "recorded"
    assert [s.name for s in ledger.directory.signers() if s.key_id == bob.key_id] == [name]


@pytest.mark.parametrize("control", BAD, ids=[f"U+{ord(c[0]):04X}" for c in BAD])
def test_a_ledger_name_with_a_control_character_is_refused(
    db_url: str, operator: KeyPair, control: str, one_sentence: Any
) -> None:
    with Ledger.open(db_url, create=True) as ledger:
        with pytest.raises(InputError) as caught:
            ledger.init(f"example.org/{control}izium", operator)
        one_sentence(caught.value, "name", named="ledger")
        assert ledger.events.max_position() == 0
        info, created = ledger.init("example.org/izium-bis", operator)
        assert created and info.origin == "example.org/izium-bis"


@pytest.mark.parametrize("origin", ["my ledger", "example.org/a+b", "tab\there"])
def test_a_ledger_name_that_cannot_name_its_checkpoints_is_refused(
    db_url: str, operator: KeyPair, origin: str, one_sentence: Any
) -> None:
    """The origin is the checkpoints' first line and the note's key name: no spaces, no '+'
    (a name that init accepted and checkpoint then failed on was a traceback)."""
    with Ledger.open(db_url, create=True) as ledger:
        with pytest.raises(InputError) as caught:
            ledger.init(origin, operator)
        one_sentence(caught.value, "name", named="ledger")
        assert ledger.events.max_position() == 0


def test_the_cli_refuses_them_in_one_sentence_exit_1(tmp_path: Path, db_url: str) -> None:
    runner = CliRunner()
    env = {"TALLY_HOME": str(tmp_path / "home"), "TALLY_DB": db_url, "COLUMNS": "100"}

    def tally(*args: str, code: int = 0) -> Any:
        result = runner.invoke(app, list(args), env=env)
        assert result.exit_code == code, (args, result.output, result.exception)
        assert "Traceback" not in result.output
        return result

    refused = tally("init", "--name", "example.org/\x1b[2Jizium", code=1)
    assert "ledger name" in refused.stderr and "\x1b" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    tally("init", "--name", "example.org/izium")
    tally("keys", "new", "bob")
    refused = tally("signers", "add", "bob\x00", "--key", "bob", code=1)
    assert "signer name" in refused.stderr
    out = json.loads(tally("--json", "signers", "add", "bob\x9b", "--key", "bob", code=1).stdout)
    assert out["field"] == "name"
    refused = tally("signers", "add", "bob\u202eevil", "--key", "bob", code=1)
    assert "U+202E" in refused.stderr and "\u202e" not in refused.stderr
    listed = json.loads(tally("--json", "signers", "list").stdout)["signers"]
    assert [s["name"] for s in listed] == [
        "operator"]


@pytest.mark.parametrize("name", ["", "   ", "two\nlines", "x" * 201])
def test_a_ledger_name_must_be_one_short_line(tmp_path: Path, name: str) -> None:
    operator = KeyStore(tmp_path / "home").create("operator")
    with Ledger.open(str(tmp_path / "t.db"), create=True) as ledger:
        with pytest.raises(InputError, match="one non-empty line") as refused:
            ledger.init(name, operator)
        assert not isinstance(refused.value, DuplicateDefinitionError)
        assert refused.value.field == "name" and ledger.events.max_position() == 0
