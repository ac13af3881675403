"""The read model through a real ledger (SQLite and PostgreSQL): current, history,
discrepancies, provenance, as_of and known_at queries, rebuild, and the comparison that
verify relies on."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pytest
from factories import projected_in_workers
from sqlalchemy import select, update

from tally.ledger.application import Ledger
from tally.ledger.errors import UnknownClaimError, UnknownFigureError
from tally.ledger.infra.keystore import KeyStore
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.model.inputs import (
    CorrectionRecord,
    FigureRecord,
    ReportRecord,
    RetractionRecord,
    SourceRecord,
)
from tally.projections import tables as t
from tally.projections.compare import snapshot
from tally.projections.readmodel import ReadModel

BODIES = "izium/bodies"
PARTS = ["izium/women", "izium/men", "izium/undetermined", "izium/children", "izium/military"]


class World:
    """A ledger with an operator, a signer, a first-party source, and the Izium figures."""

    def __init__(self, db_url: str, tmp_path: Path) -> None:
        keys = KeyStore(tmp_path / "home")
        self.operator, self.alice = keys.create("operator"), keys.create("alice")
        self.official: KeyPair = keys.create("official")
        self.url = db_url
        self.ledger = Ledger.open(db_url, create=True)
        self.rm = ReadModel(self.ledger).attach()
        led = self.ledger
        led.init("example.org/izium", self.operator)
        led.add_signer("alice", self.alice.public_key, self.operator)
        led.add_signer("official", self.official.public_key, self.operator)
        led.add_source(SourceRecord(id="hromadske", name="Hromadske", kind="media"), self.operator)
        led.add_source(SourceRecord(id="suspilne", name="Suspilne", kind="media"), self.operator)
        led.add_source(SourceRecord(id="police", name="Police", kind="official",
                                    key_id=self.official.key_id), self.operator)
        for part in PARTS:
            led.define_figure(FigureRecord(id=part, unit="bodies"), self.operator)
        led.define_figure(FigureRecord(id=BODIES, unit="bodies", cumulative=True, parts=PARTS),
                          self.operator)
        led.define_figure(FigureRecord(id="izium/exhumation", kind="status", unit="status",
                                       states=["started", "completed"]), self.operator)

    def report(self, figure: str, value: str, as_of: str, source: str = "hromadske",
               key: KeyPair | None = None, **kw: Any) -> str:
        record = ReportRecord(figure=figure, value=value, as_of=as_of, source=source, **kw)
        return self.ledger.report(record, key or self.alice).id


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Any:
    w = World(db_url, tmp_path)
    yield w
    w.ledger.close()


def test_show_reports_the_value_in_force_with_its_claim(world: World) -> None:
    first = world.report(BODIES, "440", "2022-09-16", quote="440 bodies")
    latest = world.report(BODIES, "447", "2022-09-23", source="suspilne", via=["hromadske"],
                          url="https://example.org/a", published="2022-09", quote="447")
    shown = world.rm.show(BODIES)
    assert shown.value is not None and shown.value.written == "447"
    assert shown.value.interval is not None and shown.value.interval.low == "447"
    assert shown.claim is not None and shown.claim.claim_id == latest
    assert shown.claim.source == "suspilne" and shown.claim.via == ["hromadske"]
    assert shown.claim.quote == "447" and shown.claim.signer == world.alice.key_id
    assert shown.competing == [] and not shown.disputed and shown.discrepancies == []
    assert shown.as_of is not None and shown.as_of.text == "2022-09-23"
    assert world.rm.show(BODIES, as_of="2022-09-20").claim.claim_id == first  # type: ignore[union-attr]
    empty = world.rm.show("izium/exhumation")
    assert empty.value is None and empty.claim is None and empty.kind == "status"


def test_contradiction_is_flagged_and_cleared_by_a_retraction(world: World) -> None:
    a = world.report(BODIES, "447", "2022-09")
    b = world.report(BODIES, "451", "2022-09")
    shown = world.rm.show(BODIES)
    assert shown.claim is not None and shown.claim.claim_id == b
    assert [c.claim_id for c in shown.competing] == [a] and shown.disputed
    (flag,) = world.rm.discrepancies().discrepancies
    assert flag.kind == "contradiction" and flag.claims == sorted([a, b])
    world.ledger.retract(RetractionRecord(claim=b, reason="misread"), world.alice)
    assert world.rm.discrepancies().discrepancies == []
    shown = world.rm.show(BODIES)
    assert shown.claim is not None and shown.claim.claim_id == a and not shown.disputed
    kinds = [(e.kind, e.claim_id) for e in world.rm.history(BODIES).entries]
    assert kinds == [("claim", a), ("claim", b), ("retraction", b)]


def test_a_correction_replaces_the_value_and_reconciles(world: World) -> None:
    a = world.report(BODIES, "447", "2022-09")
    b = world.report(BODIES, "451", "2022-09")
    fix = world.ledger.correct(CorrectionRecord(claim=b, value="447", reason="typo"), world.alice)
    assert world.rm.discrepancies(BODIES).discrepancies == []
    shown = world.rm.show(BODIES)
    assert shown.claim is not None and shown.claim.value.written == "447"
    assert shown.claim.reported.written == "451" and shown.claim.corrections == [fix.id]
    assert [c.claim_id for c in shown.competing] == [a]
    entries = world.rm.history(BODIES).entries
    assert [e.kind for e in entries] == ["claim", "claim", "correction"]
    assert entries[-1].reason == "typo" and entries[-1].value.written == "447"  # type: ignore[union-attr]


def test_status_contradiction_and_regression_and_sum_mismatch(world: World) -> None:
    world.report("izium/exhumation", "started", "2022-09")
    world.report("izium/exhumation", "completed", "2022-09-23")
    early = world.report(BODIES, "447", "2022-09-23")
    late = world.report(BODIES, "440", "2023-01")
    parts = [world.report(p, v, "2022-09-23") for p, v in zip(PARTS, ["215", "194", "11", "5",
                                                                      "20"], strict=True)]
    flags = {(f.kind, f.figure): f for f in world.rm.discrepancies().discrepancies}
    assert set(flags) == {("contradiction", "izium/exhumation"), ("regression", BODIES),
                          ("sum_mismatch", BODIES)}
    assert flags[("regression", BODIES)].claims == sorted([early, late])
    assert flags[("sum_mismatch", BODIES)].claims == sorted([early, *parts])
    # A part's own view lists the total's sum mismatch it takes part in.
    assert [f.kind for f in world.rm.discrepancies("izium/military").discrepancies] == [
        "sum_mismatch"]
    world.ledger.correct(CorrectionRecord(claim=parts[-1], value="22", reason="recount"),
                         world.alice)
    kinds = {f.kind for f in world.rm.discrepancies(BODIES).discrepancies}
    assert kinds == {"regression"}


def test_provenance_first_party_attestation_signature_and_checkpoint(world: World) -> None:
    attested = world.report(BODIES, "447", "2022-09-23", via=["suspilne"],
                            document_sha256="ab" * 32)
    first_party = world.report(BODIES, "449", "2022-11", source="police", key=world.official)
    fix = world.ledger.correct(CorrectionRecord(claim=first_party, value="450", reason="r"),
                               world.official)
    prov = world.rm.provenance(attested)
    assert prov.mode == "attestation" and not prov.first_party
    assert prov.signer.name == "alice" and prov.signer.role == "signer"
    assert prov.signature_status == "valid" and prov.document_sha256 == "ab" * 32
    assert [v.name for v in prov.via] == ["Suspilne"] and prov.source.name == "Hromadske"
    assert prov.checkpoint is None and prov.leaf_index is not None
    size, _ = world.ledger.checkpoint(world.operator)
    assert world.rm.provenance(attested).checkpoint == size
    prov = world.rm.provenance(first_party)
    assert prov.first_party and prov.mode == "first-party"
    assert [c.id for c in prov.corrections] == [fix.id] and prov.value.written == "450"
    assert prov.corrections[0].signature_status == "valid" and prov.reported.written == "449"
    world.ledger.revoke_signer(world.official.key_id, world.operator, "key rotated")
    prov = world.rm.provenance(first_party)
    assert prov.signer.revoked and prov.signature_status == "valid"  # signed before revocation
    assert world.rm.diff_against_rebuild() == []
    world.ledger.retract(RetractionRecord(claim=attested, reason="dup"), world.alice)
    prov = world.rm.provenance(attested)
    assert prov.retracted and prov.retraction is not None and prov.retraction.reason == "dup"
    with pytest.raises(UnknownClaimError):
        world.rm.provenance("0" * 32)


def test_provenance_reverifies_the_signature_against_the_registered_key(world: World) -> None:
    claim = world.report(BODIES, "447", "2022-09-23")
    assert world.rm.provenance(claim).signature_status == "valid"
    signer = world.rm.provenance(claim).signer.key_id
    with world.ledger.engine.begin() as conn:  # a key altered in the tables
        conn.execute(update(t.signers).where(t.signers.c.key_id == signer)
                     .values(public_key="00" * 32))
    assert world.rm.provenance(claim).signature_status == "invalid"


def test_unknown_figure_suggests_the_closest_id(world: World) -> None:
    with pytest.raises(UnknownFigureError, match="did you mean 'izium/bodies'"):
        world.rm.show("izium/bodie")
    with pytest.raises(UnknownFigureError):
        world.rm.history("nothing/like/it")


def test_known_at_answers_what_the_ledger_knew_then(world: World) -> None:
    a = world.report(BODIES, "447", "2022-09")
    k = world.ledger.events.max_position()
    b = world.report(BODIES, "451", "2022-09")
    world.ledger.correct(CorrectionRecord(claim=a, value="449", reason="r"), world.alice)
    world.ledger.retract(RetractionRecord(claim=a, reason="r"), world.alice)
    then = world.rm.show(BODIES, known_at=k)
    assert then.claim is not None and then.claim.claim_id == a and then.known_at == k
    assert then.claim.value.written == "447" and then.claim.corrections == []
    assert not then.claim.retracted
    assert then.discrepancies == [] and [e.claim_id for e in world.rm.history(
        BODIES, known_at=k).entries] == [a]
    middle = world.rm.show(BODIES, known_at=k + 1)
    assert middle.disputed and len(middle.discrepancies) == 1
    now = world.rm.show(BODIES)
    assert now.claim is not None and now.claim.claim_id == b and not now.disputed
    assert world.rm.show(BODIES, known_at=world.ledger.events.max_position()) == now.model_copy(
        update={"known_at": world.ledger.events.max_position()})
    with pytest.raises(UnknownFigureError):
        world.rm.show(BODIES, known_at=3)  # before the figure was defined
    stamp = world.rm.history(BODIES).entries[0].recorded_at
    assert world.rm.show(BODIES, known_at=stamp).known_at == k
    with pytest.raises(UnknownFigureError):  # a day earlier the ledger did not exist
        world.rm.show(BODIES, known_at=stamp - dt.timedelta(days=1))


def test_as_of_restricts_to_claims_that_started_by_then(world: World) -> None:
    world.report(BODIES, "447", "2022-09-23")
    later = world.report(BODIES, "449", "2025-11-24")
    assert world.rm.show(BODIES, as_of="2022-12").value.written == "447"  # type: ignore[union-attr]
    assert world.rm.show(BODIES, as_of="2025").claim.claim_id == later  # type: ignore[union-attr]
    assert world.rm.show(BODIES, as_of="2021").value is None


def test_rebuild_equals_incremental_and_diff_detects_an_altered_row(world: World) -> None:
    a = world.report(BODIES, "447", "2022-09")
    world.report(BODIES, "451", "2022-09")
    world.ledger.correct(CorrectionRecord(claim=a, value="449", reason="r"), world.alice)
    assert world.rm.diff_against_rebuild() == []
    with world.ledger.engine.connect() as conn:
        before = snapshot(conn)
    seen: list[tuple[str, int, int]] = []
    assert world.rm.rebuild(progress=lambda *phase_done_total: seen.append(phase_done_total)
                            ) == world.ledger.events.max_position()
    projected = [s for s in seen if s[0] == "projecting events"]
    assert projected[-1][1] == projected[-1][2] == world.ledger.events.max_position()
    settled = [s for s in seen if s[0] == "settling figures"]
    figures = len(world.rm.figures().figures)  # every figure was touched (defined)
    assert settled and settled[-1][1] == settled[-1][2] == figures
    assert seen.index(projected[-1]) < seen.index(settled[0])
    with world.ledger.engine.connect() as conn:
        assert snapshot(conn) == before
    with world.ledger.engine.begin() as conn:
        conn.execute(update(t.current).where(t.current.c.figure == BODIES)
                     .values(disputed=False))
    problems = world.rm.diff_against_rebuild()
    assert len(problems) == 1 and "tally_view_current" in problems[0]
    assert "disputed" in problems[0]
    with world.ledger.engine.begin() as conn:
        conn.execute(t.discrepancies.delete())
    assert any("missing" in p for p in world.rm.diff_against_rebuild())


def test_a_rebuild_with_the_workers_help_equals_one_made_here(world: World) -> None:
    """The facts read ahead in the workers and the figures settled there, a figure a job (a
    total and its parts in different jobs), give the rows this process gives."""
    started = world.report("izium/exhumation", "started", "2022-09")
    world.report("izium/exhumation", "completed", "2022-09-23")
    early = world.report(BODIES, "447", "2022-09-23")
    world.report(BODIES, "440", "2023-01")
    parts = [world.report(p, v, "2022-09-23") for p, v in zip(PARTS, ["215", "194", "11", "5",
                                                                      "20"], strict=True)]
    world.ledger.correct(CorrectionRecord(claim=parts[0], value="216", reason="r"),
                         world.alice)
    world.ledger.correct(CorrectionRecord(claim=parts[1], value="190", reason="r"),
                         world.alice)
    world.ledger.retract(RetractionRecord(claim=started, reason="r"), world.alice)
    world.rm.rebuild()
    with world.ledger.engine.connect() as conn:
        here = snapshot(conn)
    assert any(f.kind == "sum_mismatch" and early in f.claims
               for f in world.rm.discrepancies(BODIES).discrepancies)
    with projected_in_workers():
        world.rm.rebuild()
    with world.ledger.engine.connect() as conn:
        assert snapshot(conn) == here


def test_catch_up_is_exactly_once_and_tracks_its_position(world: World) -> None:
    world.report(BODIES, "447", "2022-09")
    position = world.rm.position()
    assert position == world.ledger.events.max_position()
    assert world.rm.catch_up() == position  # nothing new: no change, no duplicate rows
    assert world.rm.diff_against_rebuild() == []
    # Another reader of the same tables (another process) finds nothing left to do.
    other = ReadModel(world.ledger)
    assert other.catch_up(batch_size=1) == position
    with world.ledger.engine.connect() as conn:
        rows = conn.execute(select(t.tracking)).all()
    assert [tuple(r) for r in rows] == [("Tally", position)]


def test_listings(world: World) -> None:
    figures = world.rm.figures().figures
    assert [f.id for f in figures] == sorted([*PARTS, BODIES, "izium/exhumation"])
    total = next(f for f in figures if f.id == BODIES)
    assert total.cumulative and total.parts == PARTS and total.tolerance == "0.05"
    sources = world.rm.sources().sources
    assert [s.id for s in sources] == ["hromadske", "police", "suspilne"]
    assert sources[1].key_id == world.official.key_id


def test_concurrent_catch_ups_serialise_and_apply_each_event_once(
    db_url: str, tmp_path: Path
) -> None:
    world = World(db_url, tmp_path)
    world.ledger.journal.listeners.clear()  # leave the projection behind, then race to catch it up
    for i in range(12):
        world.report(BODIES, str(440 + i), f"2022-{1 + i % 12:02d}")
    errors: list[BaseException] = []

    def catch_up() -> None:
        try:
            with Ledger.open(db_url) as ledger:
                ReadModel(ledger).catch_up(batch_size=3)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=catch_up) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert world.rm.position() == world.ledger.events.max_position()
    assert world.rm.diff_against_rebuild() == []
    world.ledger.close()


def test_claims_and_flat_claim_rows(world: World) -> None:
    a = world.report(BODIES, "447", "2022-09-23", via=["suspilne"])
    b = world.report(BODIES, "~450", "2022-09")
    world.ledger.correct(CorrectionRecord(claim=a, value="449", reason="r"), world.alice)
    world.ledger.retract(RetractionRecord(claim=b, reason="r"), world.alice)
    listed = world.rm.claims(BODIES)
    assert [c.claim_id for c in listed] == [b, a]  # valid-time order: the month starts first
    assert listed[0].retracted and listed[1].value.written == "449"
    assert [c.claim_id for c in world.rm.claims(BODIES, known_at=listed[1].position)] == [a]
    rows = {r["claim_id"]: r for r in world.rm.claim_rows()}
    assert rows[a]["value"] == "449" and rows[a]["reported"] == "447"
    assert rows[a]["via"] == "suspilne" and rows[b]["retracted"] == "yes"
    assert rows[b]["low"] == "427.5" and rows[b]["high"] == "472.5"


def test_a_catch_up_by_another_process_invalidates_cached_history(world: World) -> None:
    world.report(BODIES, "447", "2022-09")  # the attached read model now caches BODIES
    world.ledger.journal.listeners.clear()
    middle = world.report(BODIES, "451", "2022-09")
    with Ledger.open(world.url) as elsewhere:
        ReadModel(elsewhere).catch_up()  # "another process" projects `middle`
    world.rm.attach()
    world.report(BODIES, "449", "2023-01")
    assert world.rm.diff_against_rebuild() == []
    flags = world.rm.discrepancies(BODIES).discrepancies
    assert any(middle in f.claims for f in flags)


def test_figures_left_unsettled_are_answered_from_history_until_settled(world: World) -> None:
    """A catch-up killed between its batches and `settle` leaves figures listed as dirty:
    `show` must not serve their stale rows, and the next catch-up settles them."""
    world.report(BODIES, "447", "2022-09-23")
    world.ledger.journal.listeners.clear()
    latest = world.report(BODIES, "451", "2022-09-24")
    world.report("izium/children", "7", "2022-09-24")
    world.rm.catch_up(settle=False)  # projected, not settled: `current` still says 447
    with world.ledger.engine.connect() as conn:
        stale = conn.execute(select(t.current.c.value)
                             .where(t.current.c.figure == BODIES)).scalar_one()
        listed = set(conn.execute(select(t.dirty.c.figure)).scalars())
    assert stale == "447" and listed == {BODIES, "izium/children"}
    unsettled = world.rm.show(BODIES)
    assert unsettled.claim is not None and unsettled.claim.claim_id == latest
    world.rm.catch_up()
    settled = world.rm.show(BODIES)
    assert settled == unsettled
    assert world.rm.diff_against_rebuild() == []
    with world.ledger.engine.connect() as conn:
        assert conn.execute(select(t.dirty)).first() is None


def test_a_read_model_of_another_schema_version_is_rebuilt(world: World) -> None:
    world.report(BODIES, "447", "2022-09-23")
    with world.ledger.engine.begin() as conn:
        conn.execute(update(t.schema).values(version=t.SCHEMA_VERSION - 1))
        conn.execute(update(t.current).values(value="999"))
    again = ReadModel(world.ledger)  # sees the old version: drops and re-creates the tables
    assert again.position() == 0
    again.catch_up()
    shown = again.show(BODIES)
    assert shown.value is not None and shown.value.written == "447"
    assert again.diff_against_rebuild() == []


def test_a_read_model_with_its_own_engine_answers_as_the_attached_one(world: World) -> None:
    """The read side stands alone: kept in another database, it asks the ledger (not the
    ledger's tables) for signed bodies, leaves and checkpoints, provenance included."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import StaticPool

    claim = world.report(BODIES, "447", "2022-09")
    world.ledger.checkpoint(world.operator)
    later = world.report(BODIES, "451", "2022-10")  # in the log, under no checkpoint yet
    engine = create_engine("sqlite://", poolclass=StaticPool)
    try:
        apart = ReadModel(world.ledger, engine)
        apart.catch_up()
        for ident in (claim, later):
            assert apart.provenance(ident) == world.rm.provenance(ident)
        assert apart.provenance(claim).checkpoint is not None
        assert apart.provenance(later).checkpoint is None
        assert apart.show(BODIES) == world.rm.show(BODIES)
    finally:
        engine.dispose()
