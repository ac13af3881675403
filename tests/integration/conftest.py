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
from factories import BODIES, ORIGIN
from sqlalchemy import text

from tally.ledger.application import Ledger
from tally.ledger.errors import LedgerError
from tally.ledger.infra.keystore import KeyStore
from tally.ledger.integrity.signing import KeyPair, canonical, sign
from tally.ledger.model.bodies import claim_body, correction_body, retraction_body
from tally.ledger.model.inputs import (
    CorrectionRecord,
    FigureRecord,
    ReportRecord,
    RetractionRecord,
    SourceRecord,
)

NOW = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)
EXHUMATION = "izium/exhumation"
STATES = ["planned", "in-progress", "completed"]
SOURCES = [
    SourceRecord(id="hromadske", name="Hromadske", kind="media"),
    SourceRecord(id="suspilne", name="Suspilne", kind="media"),
    SourceRecord(id="izium-cma", name="Izium City Military Administration", kind="official"),
]
FIGURES = [
    FigureRecord(id=BODIES, unit="bodies", cumulative=True),
    FigureRecord(id=EXHUMATION, kind="status", unit="state", states=STATES),
]


def fixed_clock() -> dt.datetime:
    return NOW


def build_ledger(
    path: Path | str,
    operator: KeyPair,
    signers: list[KeyPair],
    *,
    origin: str = ORIGIN,
    sources: list[SourceRecord] = SOURCES,
    figures: list[FigureRecord] = FIGURES,
    clock: Callable[[], dt.datetime] = fixed_clock,
) -> Ledger:
    """A new ledger at `path` (a SQLite path or a database URL), initialised, with the
    signers, sources and figures."""
    ledger = Ledger.open(str(path), create=True, clock=clock)
    ledger.init(origin, operator)
    for key in signers:
        ledger.add_signer(key.name, key.public_key, operator)
    for source in sources:
        ledger.add_source(source, operator)
    for figure in figures:
        ledger.define_figure(figure, operator)
    return ledger


def raw_events(ledger: Ledger) -> list[tuple[Any, ...]]:
    """Every row of the event store's table, as stored: position, id, version, topic, state."""
    table = ledger.store.events_table
    position = "rowid" if ledger.store.is_sqlite else "notification_id"
    with ledger.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(
            f"SELECT {position}, originator_id, originator_version, topic, state "
            f"FROM {table} ORDER BY {position}"))]


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
