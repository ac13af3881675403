"""Fixtures for tests that run a real ledger, on each engine of `db_url` (SQLite, PostgreSQL).

`ledger` is a fresh ledger with the operator, alice as a signer, three sources,
a quantity figure (`izium/bodies`) and a status figure (`izium/exhumation`),
recording at a fixed "now" (`NOW`) so that future-date checks do not depend on
the day the tests run. `nothing_written` checks that a refused command left the
events table byte for byte as it was.

Helpers reach test modules as fixtures (`nothing_written`, `signed_elsewhere`,
`one_sentence`, `make_ledger`): importing from a conftest is fragile.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from factories import build_ledger, fixed_clock, raw_events

from tally.ledger.application import Ledger
from tally.ledger.errors import LedgerError
from tally.ledger.infra.keystore import KeyStore
from tally.ledger.integrity.signing import KeyPair, canonical, sign
from tally.ledger.model.bodies import claim_body, correction_body, retraction_body
from tally.ledger.model.inputs import (
    CorrectionRecord,
    ReportRecord,
    RetractionRecord,
)


def sign_elsewhere(
    record: ReportRecord | CorrectionRecord | RetractionRecord,
    key: KeyPair,
    ledger_id: str,
    *,
    claim_id: str | None = None,
    name_ledger: bool = False,
) -> Any:
    """The record signed elsewhere by `key` for ledger `ledger_id`, as an import line carries it.

    Values must be written in canonical form (as `447`, not ` 447`): what is signed
    is the canonical value. Corrections and retractions need the full `claim_id`.
    """
    if isinstance(record, ReportRecord):
        body = claim_body(ledger_id, key.key_id, record, record.value)
    elif isinstance(record, CorrectionRecord):
        assert claim_id is not None
        body = correction_body(ledger_id, key.key_id, claim_id, record, record.value)
    else:
        assert claim_id is not None
        body = retraction_body(ledger_id, key.key_id, claim_id, record)
    update: dict[str, Any] = {"signer": key.key_id, "signature": sign(key.private_key,
                                                                      canonical(body))}
    if name_ledger:
        update["ledger"] = ledger_id
    return record.model_copy(update=update)


def assert_one_sentence(error: LedgerError, field: str, named: str | None = None) -> None:
    """The error's `.field` is `field`; its message is one line, one sentence, naming the
    field (or `named`, when the sentence names the thing rather than the field)."""
    assert error.field == field
    message = error.message
    word = named or field
    assert "\n" not in message
    assert not re.search(r"[.!?]\s+[A-Z]", message), f"more than one sentence: {message}"
    assert re.search(rf"\b{re.escape(word)}\b", message), f"{word!r} not named in: {message}"


@pytest.fixture
def home(tmp_path: Path) -> KeyStore:
    return KeyStore(tmp_path / "home")


@pytest.fixture
def operator(home: KeyStore) -> KeyPair:
    return home.create("operator")


@pytest.fixture
def alice(home: KeyStore) -> KeyPair:
    return home.create("alice")


@pytest.fixture
def bob(home: KeyStore) -> KeyPair:
    """A key that is not registered in the ledger unless a test registers it."""
    return home.create("bob")


@pytest.fixture
def clock() -> Callable[[], dt.datetime]:
    return fixed_clock


@pytest.fixture
def ledger(
    db_url: str, operator: KeyPair, alice: KeyPair, clock: Callable[[], dt.datetime]
) -> Iterator[Ledger]:
    with build_ledger(db_url, operator, [alice], clock=clock) as ledger:
        yield ledger


@pytest.fixture
def nothing_written(ledger: Ledger) -> Callable[[], Any]:
    """`with nothing_written(): ...` fails if the block changed any stored event."""

    @contextmanager
    def check() -> Iterator[None]:
        position, events, log = ledger.events.max_position(), raw_events(ledger), ledger.log.size()
        yield
        assert ledger.events.max_position() == position
        assert raw_events(ledger) == events
        assert ledger.log.size() == log

    return check


@pytest.fixture
def signed_elsewhere() -> Callable[..., Any]:
    return sign_elsewhere


@pytest.fixture
def one_sentence() -> Callable[..., None]:
    return assert_one_sentence


@pytest.fixture
def make_ledger(new_db: Callable[[str], str]) -> Iterator[Callable[..., Ledger]]:
    """Build more ledgers (`make_ledger("b.db", operator, [alice], origin=...)`) on the
    engine under test, closed after."""
    opened: list[Ledger] = []

    def make(name: str, operator: KeyPair, signers: list[KeyPair], **options: Any) -> Ledger:
        opened.append(build_ledger(new_db(name), operator, signers, **options))
        return opened[-1]

    yield make
    for ledger in opened:
        ledger.close()
