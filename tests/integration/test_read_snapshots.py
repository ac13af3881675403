"""`show`, `history`, `provenance` and `proof` each read one consistent snapshot.

Before this, `show` read the read model on one connection and the signed bodies on
the event store's own; `proof` read the leaf, the checkpoint, the nodes and the event
on four; and on PostgreSQL every statement saw the latest commit (READ COMMITTED), so
a write committed in the middle of a read could be half in its answer. Now each read
is one transaction on one connection (SQLite: one deferred transaction, a WAL
snapshot; PostgreSQL: REPEATABLE READ, read only). Two tests on each engine:

- structural: the read begins exactly one transaction on the ledger's engine and never
  touches the event store's own connections;
- behavioural: a correction, a new claim and a checkpoint committed by another writer
  just after the read's first query change nothing in its answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from tally.ledger.application import Ledger
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.model.inputs import CorrectionRecord, ReportRecord
from tally.projections.readmodel import ReadModel

BODIES = "izium/bodies"


@pytest.fixture
def views(ledger: Ledger, operator: KeyPair, alice: KeyPair) -> ReadModel:
    views = ReadModel(ledger).attach()
    views.catch_up()
    ledger.report(ReportRecord(figure=BODIES, value="447", as_of="2022-09",
                               source="hromadske", quote="447 bodies"), alice)
    ledger.checkpoint(operator)
    ledger.info()  # the trust root (genesis), read once per process and kept
    return views


def _claim(views: ReadModel) -> str:
    shown = views.show(BODIES)
    assert shown.claim is not None
    return shown.claim.claim_id


READS: dict[str, Callable[[ReadModel, str], Any]] = {
    "show": lambda v, c: v.show(BODIES),
    "history": lambda v, c: v.history(BODIES),
    "provenance": lambda v, c: v.provenance(c[:8]),
    "proof": lambda v, c: v.ledger.inclusion_proof(c[:8]),
}


@contextmanager
def _transactions(ledger: Ledger) -> Iterator[list[dict[str, Any]]]:
    """The execution options of every transaction begun on the ledger's engine; any read
    through the event store's own connections fails."""
    begun: list[dict[str, Any]] = []

    def on_begin(conn: Any) -> None:
        begun.append(dict(conn.get_execution_options()))

    def elsewhere(*_: Any, **__: Any) -> Any:
        raise AssertionError("read outside the snapshot, through the event store's own pool")

    recorder = ledger.events._app.recorder  # the library's own pool
    saved = {name: getattr(recorder, name)
             for name in ("select_notifications", "max_notification_id", "select_events")}
    event.listen(ledger.engine, "begin", on_begin)
    for name in saved:
        setattr(recorder, name, elsewhere)
    try:
        yield begun
    finally:
        event.remove(ledger.engine, "begin", on_begin)
        for name, method in saved.items():
            setattr(recorder, name, method)


@pytest.mark.parametrize("read", READS, ids=str)
def test_a_read_is_one_transaction_on_one_connection(
    views: ReadModel, read: str, db_engine: str
) -> None:
    claim = _claim(views)
    with _transactions(views.ledger) as begun:
        READS[read](views, claim)
    assert len(begun) == 1, begun
    if db_engine == "postgres":
        assert begun[0].get("isolation_level") == "REPEATABLE READ"
        assert begun[0].get("postgresql_readonly") is True


@contextmanager
def _write_after_first_query(ledger: Ledger, write: Callable[[], None]) -> Iterator[list[int]]:
    """Run `write` (on other connections) once, right after the first SELECT on `ledger`."""
    fired: list[int] = []

    def after(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not fired and statement.lstrip().upper().startswith("SELECT"):
            fired.append(1)
            write()

    event.listen(ledger.engine, "after_cursor_execute", after)
    try:
        yield fired
    finally:
        event.remove(ledger.engine, "after_cursor_execute", after)


@pytest.mark.parametrize("read", READS, ids=str)
def test_a_write_committed_during_a_read_is_not_half_in_its_answer(
    views: ReadModel, read: str, db_url: str, operator: KeyPair, alice: KeyPair,
    clock: Callable[[], Any],
) -> None:
    claim = _claim(views)
    before = READS[read](views, claim)
    writer = Ledger.open(db_url, clock=clock)
    ReadModel(writer).attach()

    def write() -> None:
        writer.correct(CorrectionRecord(claim=claim, value="449", reason="recount"), alice)
        writer.report(ReportRecord(figure=BODIES, value="452", as_of="2022-10",
                                   source="suspilne"), alice)
        writer.checkpoint(operator)

    try:
        with _write_after_first_query(views.ledger, write) as fired:
            during = READS[read](views, claim)
        assert fired
        after = READS[read](views, claim)
    finally:
        writer.close()
    assert during == before
    assert after != before  # the write did change the answer, once it was committed


def test_events_read_in_a_snapshot_are_the_recorders_row_for_row(views: ReadModel) -> None:
    from tally.ledger.infra.merkle_log import leaf_bytes
    from tally.ledger.infra.storage import reading

    ledger = views.ledger
    last = ledger.events.max_position()
    expected = ledger.events.notifications(1, last + 10)
    with reading(ledger.engine) as conn:
        events = ledger.events
        assert events.notifications(1, last + 10, conn=conn) == expected
        assert events.notifications(2, 3, stop=3, conn=conn) == expected[1:3]
        assert [leaf_bytes(n) for n in events.notifications(1, last, conn=conn)] == [
            leaf_bytes(n) for n in expected]
        assert events.signed(range(1, last + 1), conn) == events.signed(range(1, last + 1))
        topics = ["claim.recorded"]
        assert events.notifications(1, last, conn=conn, topics=topics) == list(
            events.notifications(1, last, topics=topics))
