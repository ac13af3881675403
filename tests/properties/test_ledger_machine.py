"""The ledger as a state machine, checked step by step against a plain Python model.

In the style of HypothesisWorks' tests/nocover/test_database_agreement.py: the
rules drive a real SQLite ledger and a model side by side (definitions, valid and
invalid reports, corrections, retractions, revocations, file imports, tampered
pre-signed lines) and the invariants after every step are the design's:
(1) append-only, (4) signature soundness, (5) idempotence, (9) bad input changes
nothing, and the model's claims are the ledger's claims.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from budgets import examples
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.utils import get_topic
from factories import projected_in_workers
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from tally.ledger.application import Ledger
from tally.ledger.errors import (
    AuditError,
    ClaimStateError,
    DuplicateDefinitionError,
    ImportFileError,
    InputError,
    InvalidDateError,
    InvalidValueError,
    LedgerError,
    NotAuthorisedError,
    RevokedSignerError,
    SignatureError,
    UnknownClaimError,
    UnknownFigureError,
    UnknownSignerError,
    UnknownSourceError,
)
from tally.ledger.exporter import report_line
from tally.ledger.importer import import_lines
from tally.ledger.integrity import signing
from tally.ledger.integrity.cosignature import Cosigner
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.model.events import Claim, Signer, redaction_uuid
from tally.ledger.model.inputs import (
    CorrectionRecord,
    FigureRecord,
    RedactionRecord,
    ReportRecord,
    RetractionRecord,
    SourceRecord,
)
from tally.ledger.verify.audit import verify
from tally.projections.readmodel import ReadModel

ORIGIN = "example.org/machine"
NOW = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)
# Keys are made once: a ledger's id and every signature depend only on them and the input.
OPERATOR = KeyPair("operator", Ed25519PrivateKey.generate())
SIGNERS = [KeyPair("s1", Ed25519PrivateKey.generate()), KeyPair("s2", Ed25519PrivateKey.generate())]
STRANGER = KeyPair("stranger", Ed25519PrivateKey.generate())
KEYS = {k.key_id: k for k in [OPERATOR, *SIGNERS, STRANGER]}
WITNESS_NAMES = ["w1", "w2"]
WITNESS_VKEYS = {name: Cosigner(f"{name}.example", bytes([n]) * 32).vkey
                 for n, name in enumerate(WITNESS_NAMES, start=1)}

VOCABULARY = ["planned", "in-progress", "completed"]
FIGURE_POOL = [
    FigureRecord(id="izium/bodies", unit="bodies", cumulative=True),
    FigureRecord(id="izium/bodies", unit="graves", cumulative=True),
    FigureRecord(id="izium/exhumation", kind="status", unit="state", states=VOCABULARY),
    FigureRecord(id="izium/children", unit="bodies"),
    FigureRecord(id="izium/children", unit="people"),
    FigureRecord(id="izium/total", unit="bodies", parts=["izium/children"]),
    FigureRecord(id="izium/site", kind="status", unit="state"),
]
INITIAL_FIGURES = [FIGURE_POOL[0], FIGURE_POOL[2]]
SOURCE_POOL = [
    SourceRecord(id="hromadske", name="Hromadske", kind="media"),
    SourceRecord(id="suspilne", name="Suspilne", kind="media"),
    SourceRecord(id="empr", name="EMPR", kind="media"),
    SourceRecord(id="empr", name="EMPR", kind="ngo"),
]
INITIAL_SOURCES = SOURCE_POOL[:2]
QUANTITIES = ["447", "449", "451", "~450", ">=440", "440..451", "0", "22"]
DATES = ["2022-09-23", "2022-09", "2025-01", "2025-11-24", "2022-09-16/2022-09-23", "2022-09?"]
REASONS = ["typo", "updated by the source"]
QUOTES = [None, "447 bodies were exhumed", "Olena K. saw them"]
INVALID = ["unknown figure", "bad value", "negative", "future", "bad date", "unknown source",
           "unknown via", "unknown signer", "revoked signer", "outside vocabulary"]
CLAIM_TOPIC = get_topic(Claim.Recorded)
REVOKED_TOPIC = get_topic(Signer.Revoked)


@dataclass
class ModelClaim:
    record: ReportRecord
    figure: str
    signer: str
    value: str
    retracted: bool = False
    followups: set[tuple[str, ...]] = field(default_factory=set)
    redacted: set[str] = field(default_factory=set)  # fields an order took down
    withheld: bool = False  # an order took its whole body down


Row = tuple[Any, ...]


class LedgerMachine(RuleBasedStateMachine):
    claims = Bundle("claims")

    @initialize()
    def create_ledger(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="tally-machine-"))
        self.ledger = Ledger.open(str(self.dir / "t.db"), create=True, clock=lambda: NOW)
        self.ledger.init(ORIGIN, OPERATOR)
        for key in SIGNERS:
            self.ledger.add_signer(key.name, key.public_key, OPERATOR)
        for source in INITIAL_SOURCES:
            self.ledger.add_source(source, OPERATOR)
        for figure in INITIAL_FIGURES:
            self.ledger.define_figure(figure, OPERATOR)
        self.ledger_id = self.ledger.info().ledger_id
        # the model
        self.figures: dict[str, FigureRecord] = {f.id: f for f in INITIAL_FIGURES}
        self.sources: dict[str, SourceRecord] = {s.id: s for s in INITIAL_SOURCES}
        self.revoked: set[str] = set()
        self.witnesses: dict[str, str] = {}  # configured: URL by name
        self.removed_witnesses: set[str] = set()
        self.model: dict[str, ModelClaim] = {}
        self.reported: dict[tuple[Any, ...], str] = {}
        # what the ledger returned so far, and the keys revoked as of the last event seen
        self.seen: list[Row] = []
        self.revoked_seen: set[str] = set()
        self.kept: list[str] = []  # checkpoints an auditor kept, as they were signed
        self.views = ReadModel(self.ledger).attach()
        self.check_new_events()

    def teardown(self) -> None:
        if hasattr(self, "ledger"):
            self.ledger.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- helpers ------------------------------------------------------------------------

    def raw(self) -> tuple[int, list[Row]]:
        with sqlite3.connect(self.dir / "t.db") as conn:
            rows = conn.execute(
                "SELECT rowid, originator_id, originator_version, topic, state "
                "FROM stored_events ORDER BY rowid").fetchall()
        return self.ledger.events.max_position(), rows

    def refused(self, error: type[LedgerError], command: Callable[[], Any]) -> LedgerError:
        """Run a command that must be refused with `error`; invariant 9: nothing changed."""
        before = self.raw()
        with pytest.raises(error) as caught:
            command()
        assert self.raw() == before
        return caught.value

    def refused_if_withheld(self, claim: str, command: Callable[[], Any]) -> bool:
        """Invariant 13 for a claim withheld whole: every command on it is refused."""
        if self.model[claim].withheld:
            self.refused(ClaimStateError, command)
        return self.model[claim].withheld

    def active_keys(self) -> list[KeyPair]:
        return [OPERATOR, *(k for k in SIGNERS if k.key_id not in self.revoked)]

    def values_for(self, figure: str) -> st.SearchStrategy[str]:
        definition = self.figures[figure]
        if definition.kind == "status":
            return st.sampled_from(definition.states)
        return st.sampled_from(QUANTITIES)

    def draw_report(self, data: st.DataObject) -> ReportRecord:
        figure = data.draw(st.sampled_from(sorted(self.figures)), label="figure")
        sources = sorted(self.sources)
        return ReportRecord(
            figure=figure,
            value=data.draw(self.values_for(figure), label="value"),
            as_of=data.draw(st.sampled_from(DATES), label="as_of"),
            source=(source := data.draw(st.sampled_from(sources), label="source")),
            via=data.draw(st.lists(st.sampled_from([s for s in sources if s != source]),
                                   max_size=1), label="via"),
            quote=data.draw(st.sampled_from(QUOTES), label="quote"),
            url=data.draw(st.sampled_from([None, "https://example.org/a"]), label="url"),
        )

    def expect_report(self, record: ReportRecord, key: KeyPair) -> tuple[str | None, str]:
        """What the model says reporting `record` signed by `key` does: (known id, status)."""
        known = self.reported.get((record.model_dump_json(), key.key_id))
        return known, "already recorded" if known else "recorded"

    def remember(self, record: ReportRecord, key: KeyPair, claim_id: str) -> None:
        self.reported[(record.model_dump_json(), key.key_id)] = claim_id
        if claim_id not in self.model:
            self.model[claim_id] = ModelClaim(record, record.figure, key.key_id, record.value)

    def follow_up_key(self, claim: ModelClaim, who: str) -> KeyPair:
        if who == "signer":
            return KEYS[claim.signer]
        if who == "operator":
            return OPERATOR
        return next(k for k in SIGNERS if k.key_id != claim.signer)

    def follow_up_refusal(
        self, claim: ModelClaim, key: KeyPair, mark: tuple[str, ...]
    ) -> type[LedgerError] | None:
        if mark in claim.followups:  # already recorded, even if its signer was revoked since
            return None
        if key.key_id in self.revoked:
            return RevokedSignerError
        if key.key_id != claim.signer and key is not OPERATOR:
            return NotAuthorisedError
        return None

    # -- definitions ------------------------------------------------------------------------

    @rule(figure=st.sampled_from(FIGURE_POOL))
    def define_figure(self, figure: FigureRecord) -> None:
        if any(part not in self.figures for part in figure.parts):
            self.refused(UnknownFigureError, lambda: self.ledger.define_figure(figure, OPERATOR))
        elif figure.kind == "status" and not figure.states:
            self.refused(InputError, lambda: self.ledger.define_figure(figure, OPERATOR))
        elif figure.id in self.figures and self.figures[figure.id] != figure:
            self.refused(DuplicateDefinitionError, lambda: self.ledger.define_figure(figure,
                                                                                     OPERATOR))
        else:
            known = figure.id in self.figures
            before = self.ledger.events.max_position()
            appended = self.ledger.define_figure(figure, OPERATOR)
            assert appended.status == ("already recorded" if known else "recorded")
            assert self.ledger.events.max_position() == before + (0 if known else 1)
            self.figures[figure.id] = figure

    @rule(source=st.sampled_from(SOURCE_POOL))
    def add_source(self, source: SourceRecord) -> None:
        if source.id in self.sources and self.sources[source.id] != source:
            self.refused(DuplicateDefinitionError, lambda: self.ledger.add_source(source, OPERATOR))
        else:
            known = source.id in self.sources
            assert self.ledger.add_source(source, OPERATOR).status == (
                "already recorded" if known else "recorded")
            self.sources[source.id] = source

    @rule(key=st.sampled_from(SIGNERS))
    def revoke_signer(self, key: KeyPair) -> None:
        appended = self.ledger.revoke_signer(key.key_id, OPERATOR, "key lost")
        assert appended.status == ("already recorded" if key.key_id in self.revoked
                                   else "recorded")
        self.revoked.add(key.key_id)

    # -- witnesses -------------------------------------------------------------------------------

    @rule(name=st.sampled_from(WITNESS_NAMES), port=st.integers(0, 2))
    def add_witness(self, name: str, port: int) -> None:
        url = f"http://127.0.0.1:{9000 + port}"

        def add() -> Any:
            return self.ledger.add_witness(name, url, WITNESS_VKEYS[name], OPERATOR)
        if name in self.removed_witnesses:
            assert "choose another name" in self.refused(DuplicateDefinitionError, add).message
        elif name in self.witnesses and self.witnesses[name] != url:
            self.refused(DuplicateDefinitionError, add)
        else:
            assert add().status == ("already recorded" if name in self.witnesses
                                    else "recorded")
            self.witnesses[name] = url

    @rule(name=st.sampled_from(WITNESS_NAMES), port=st.integers(0, 2))
    def move_witness(self, name: str, port: int) -> None:
        url = f"http://127.0.0.1:{9000 + port}"

        def move() -> Any:
            return self.ledger.update_witness(name, url, OPERATOR)
        if name in self.removed_witnesses:
            self.refused(ClaimStateError, move)
        elif name not in self.witnesses:
            self.refused(InputError, move)
        else:
            assert move().status == ("already recorded" if self.witnesses[name] == url
                                     else "recorded")
            self.witnesses[name] = url

    @rule(name=st.sampled_from(WITNESS_NAMES))
    def remove_witness(self, name: str) -> None:
        def remove() -> Any:
            return self.ledger.remove_witness(name, "shut down", OPERATOR)
        if name in self.removed_witnesses:
            self.refused(ClaimStateError, remove)
        elif name not in self.witnesses:
            self.refused(InputError, remove)
        else:
            assert remove().status == "recorded"
            del self.witnesses[name]
            self.removed_witnesses.add(name)

    # -- reports ---------------------------------------------------------------------------------

    @rule(target=claims, data=st.data())
    def report(self, data: st.DataObject) -> str:
        record = self.draw_report(data)
        key = data.draw(st.sampled_from(self.active_keys()), label="key")
        known, status = self.expect_report(record, key)
        if known and self.refused_if_withheld(known, lambda: self.ledger.report(record, key)):
            return known
        before = self.ledger.events.max_position()
        appended = self.ledger.report(record, key)
        assert appended.status == status
        if known:
            assert appended.id == known
            assert self.ledger.events.max_position() == before
        else:
            assert appended.id not in self.model
            assert appended.position == before + 1 == self.ledger.events.max_position()
        self.remember(record, key, appended.id)
        return appended.id

    @rule(claim=claims)
    def report_again(self, claim: str) -> None:
        """Invariant 5 for single reports: the same report again is already recorded, even
        after its signer was revoked."""
        model = self.model[claim]
        key = KEYS[model.signer]
        if self.refused_if_withheld(claim, lambda: self.ledger.report(model.record, key)):
            return
        before = self.raw()
        appended = self.ledger.report(model.record, key)
        assert (appended.id, appended.status) == (claim, "already recorded")
        assert self.raw() == before

    @rule(data=st.data(), kind=st.sampled_from(INVALID))
    def report_invalid(self, data: st.DataObject, kind: str) -> None:
        record = self.draw_report(data)
        key = data.draw(st.sampled_from(self.active_keys()), label="key")
        error: type[LedgerError]
        change: dict[str, Any] = {}
        if kind == "unknown figure":
            change, error = {"figure": "izium/bodys"}, UnknownFigureError
        elif kind == "bad value":
            change, error = {"value": "4 47"}, InvalidValueError
        elif kind == "negative":
            change, error = {"value": "-5"}, InvalidValueError
        elif kind == "future":
            change, error = {"as_of": "2026-02"}, InvalidDateError
        elif kind == "bad date":
            change, error = {"as_of": "2022-13-01"}, InvalidDateError
        elif kind == "unknown source":
            change, error = {"source": "nobody"}, UnknownSourceError
        elif kind == "unknown via":
            change, error = {"via": ["nobody"]}, UnknownSourceError
        elif kind == "unknown signer":
            key, error = STRANGER, UnknownSignerError
        elif kind == "revoked signer" and self.revoked:
            key, error = KEYS[sorted(self.revoked)[0]], RevokedSignerError
        elif kind == "revoked signer":
            key, error = STRANGER, UnknownSignerError
        else:  # a state outside the exhumation's vocabulary, or a number for a state
            change, error = {"figure": "izium/exhumation", "value": "abandoned"}, InvalidValueError
        bad = record.model_copy(update=change)
        if error is RevokedSignerError and self.expect_report(bad, key)[0]:
            # what a revoked key signed before stays recorded: again, it is a no-op
            assert self.ledger.report(bad, key).status == "already recorded"
            return
        self.refused(error, lambda: self.ledger.report(bad, key))

    @rule(claim=claims, altered=st.sampled_from(["value", "as_of", "source", None]))
    def pre_signed_copy(self, claim: str, altered: str | None) -> None:
        """A line carrying a stored claim's signature: verifies as is, refused if altered."""
        model = self.model[claim]
        if self.refused_if_withheld(claim, lambda: self.ledger.claim(claim)):
            return
        stored = self.ledger.claim(claim)
        # as `tally export` writes it: a v2 claim's fields opened, with their salts, or
        # its signed body where an order took a field down
        record = ReportRecord.model_validate(report_line(self.ledger, stored.body,
                                                         stored.signature))
        body = record.model_dump()
        if altered is not None:
            choices = {"value": [*self.figures[model.figure].states, "planned", "449", "451"],
                       "as_of": ["2025-01", "2022-09"], "source": ["suspilne", "hromadske"]}
            if self.figures[model.figure].kind == "quantity":
                choices["value"] = ["449", "451"]
            new = next(c for c in choices[altered] if c != body[altered])
            record = record.model_copy(update={altered: new})
            if record.body is not None:  # the body is what is signed: alter it there
                record = record.model_copy(update={"body": record.body.replace(
                    f'"{altered}":"{body[altered]}"', f'"{altered}":"{new}"')})
        if altered is not None:  # a new claim: the signature fails first, revoked or not
            error = self.refused(SignatureError, lambda: self.ledger.report(record, None))
            assert type(error) is SignatureError
        else:
            before = self.raw()
            appended = self.ledger.report(record, None)
            assert (appended.id, appended.status) == (claim, "already recorded")
            assert self.raw() == before

    @rule(claim=claims, field=st.sampled_from(["quote", "url"]))
    def redact(self, claim: str, field: str) -> None:
        """Invariant 13: a signed order takes a v2 claim's field down; the audit (an
        invariant) still passes, and the value is served nowhere."""
        model = self.model[claim]
        value = getattr(model.record, field)
        order = RedactionRecord(claim=claim, field=field, reason="names a witness")
        if self.refused_if_withheld(claim, lambda: self.ledger.redact(order, OPERATOR)):
            return
        if value is None:
            self.refused(InputError, lambda: self.ledger.redact(order, OPERATOR))
            return
        appended = self.ledger.redact(order, OPERATOR)
        assert appended.status == ("already recorded" if field in model.redacted
                                   else "recorded")
        model.redacted.add(field)
        shown = self.views.provenance(claim).model_dump_json()
        assert "[redacted on" in shown
        if not any(getattr(m.record, field) == value and field not in m.redacted
                   and not m.withheld for m in self.model.values()):
            assert json.dumps(value)[1:-1] not in shown

    @rule(claim=claims)
    def withhold(self, claim: str) -> None:
        """Invariant 13, whole: a signed order takes a claim and its follow-ups down. Their
        stored events, and only those, become stubs that keep their leaf hashes; the audit
        (an invariant) still passes with every checkpoint kept; no view shows the claim."""
        model = self.model[claim]
        order = RedactionRecord(claim=claim, field="body", reason="a court order")
        appended = self.ledger.redact(order, OPERATOR)
        assert appended.status == ("already recorded" if model.withheld else "recorded")
        model.withheld = True
        now = [(n.id, n.originator_id, n.originator_version, n.topic, n.state)
               for n in self.ledger.events.notifications(1, 100_000)]
        for i, (before, after) in enumerate(zip(self.seen, now, strict=False)):
            if before != after:
                assert before[:4] == after[:4] and after[1].hex == claim
                assert json.loads(after[4]) == {"withheld": after[4][13:-2].decode()}
                self.seen[i] = after
        assert all(r[4].startswith(b'{"withheld"') for r in self.seen if r[1].hex == claim)
        assert claim not in self.views.history(model.figure).model_dump_json()
        with pytest.raises(UnknownClaimError):
            self.views.provenance(claim)

    # -- follow-ups ------------------------------------------------------------------------------

    @rule(claim=claims, who=st.sampled_from(["signer", "operator", "other"]), data=st.data())
    def correct(self, claim: str, who: str, data: st.DataObject) -> None:
        model = self.model[claim]
        key = self.follow_up_key(model, who)
        value = data.draw(self.values_for(model.figure), label="value")
        reason = data.draw(st.sampled_from(REASONS), label="reason")
        record = CorrectionRecord(claim=claim, value=value, reason=reason)
        if self.refused_if_withheld(claim, lambda: self.ledger.correct(record, key)):
            return
        mark = ("correction", value, reason, key.key_id)
        error = self.follow_up_refusal(model, key, mark)
        if error is None and mark not in model.followups and (
                model.retracted or value == model.value):  # a correction must change it
            error = ClaimStateError
        if error is not None:
            self.refused(error, lambda: self.ledger.correct(record, key))
            return
        appended = self.ledger.correct(record, key)
        if mark in model.followups:
            assert appended.status == "already recorded"
        else:
            assert appended.status == "recorded"
            model.followups.add(mark)
            model.value = value

    @precondition(lambda self: any(c.retracted and not c.withheld for c in self.model.values()))
    @rule(data=st.data())
    def correct_retracted(self, data: st.DataObject) -> None:
        """A retracted claim stays retracted: rare by chance, so a rule of its own."""
        retracted = sorted(i for i, c in self.model.items() if c.retracted and not c.withheld)
        claim = data.draw(st.sampled_from(retracted), label="claim")
        model = self.model[claim]
        key = OPERATOR if model.signer in self.revoked else KEYS[model.signer]
        value = data.draw(self.values_for(model.figure), label="value")
        record = CorrectionRecord(claim=claim, value=value, reason=REASONS[0])
        if ("correction", value, REASONS[0], key.key_id) in model.followups:
            assert self.ledger.correct(record, key).status == "already recorded"
        else:
            self.refused(ClaimStateError, lambda: self.ledger.correct(record, key))

    @rule(claim=claims, who=st.sampled_from(["signer", "operator", "other"]),
          reason=st.sampled_from(REASONS))
    def retract(self, claim: str, who: str, reason: str) -> None:
        model = self.model[claim]
        key = self.follow_up_key(model, who)
        record = RetractionRecord(claim=claim[:8], reason=reason)
        if self.refused_if_withheld(claim, lambda: self.ledger.retract(record, key)):
            return
        mark = ("retraction", reason, key.key_id)
        error = self.follow_up_refusal(model, key, mark)
        if error is None and mark not in model.followups and model.retracted:
            error = ClaimStateError
        if error is not None:
            self.refused(error, lambda: self.ledger.retract(record, key))
            return
        appended = self.ledger.retract(record, key)
        assert appended.status == ("already recorded" if mark in model.followups else "recorded")
        model.followups.add(mark)
        model.retracted = True

    # -- files -------------------------------------------------------------------------------------

    @rule(target=claims, data=st.data(), bad_last_line=st.booleans())
    def import_twice(self, data: st.DataObject, bad_last_line: bool) -> Any:
        key = data.draw(st.sampled_from([OPERATOR, *SIGNERS]), label="key")
        source = data.draw(st.sampled_from(SOURCE_POOL), label="source line")
        count = data.draw(st.integers(1, 3), label="reports")
        reports = [self.draw_report(data) for _ in range(count)]
        lines = [source.model_dump_json().encode() + b"\n", b"\n"]
        lines += [r.model_dump_json().encode() + b"\n" for r in reports]
        if bad_last_line:
            lines.append(b'{"type": "report", "figure": "izium/bodies", "value": "-1"}\n')
        # a new source line is signed by the key too: refused if the key is revoked
        source_conflicts = ((source.id in self.sources and self.sources[source.id] != source)
                            or (source.id not in self.sources and key.key_id in self.revoked))
        # a revoked key may not sign a new claim; one it signed before is skipped
        revoked_at = next((3 + i for i, r in enumerate(reports) if key.key_id in self.revoked
                           and not self.expect_report(r, key)[0]), None)
        # a report of a claim withheld whole since is refused (invariant 13)
        withheld_at = next((3 + i for i, r in enumerate(reports)
                            if (known := self.expect_report(r, key)[0])
                            and self.model[known].withheld), None)
        if source_conflicts or revoked_at or withheld_at or bad_last_line:
            # invariant 9 for files: the first bad line stops it, and nothing is written
            first_bad = 1 if source_conflicts else min(
                (at for at in (revoked_at, withheld_at) if at), default=len(lines))
            error = self.refused(ImportFileError, lambda: import_lines(self.ledger, lines, key))
            assert error.line == first_bad
            return multiple()
        import_lines(self.ledger, lines, key)
        self.sources[source.id] = source
        before = self.raw()
        again = import_lines(self.ledger, lines, key)
        assert self.raw() == before  # invariant 5
        assert again.added == 0
        ids = []
        for record in reports:
            appended = self.ledger.report(record, key)
            assert appended.status == "already recorded"
            self.remember(record, key, appended.id)
            ids.append(appended.id)
        return multiple(*ids)

    # -- audit -------------------------------------------------------------------------------------

    @rule()
    def checkpoint(self) -> None:
        size, note = self.ledger.checkpoint(OPERATOR)
        assert size == self.ledger.events.max_position()
        self.kept.append(note)

    @rule(data=st.data())
    def tamper_with_a_copy(self, data: st.DataObject) -> None:
        """Invariant 3 on the ledger the machine has built: one changed byte of one stored
        event of a copy, and verify names exactly that position (the ledger itself goes on)."""
        copy = self.dir / "copy.db"
        with sqlite3.connect(self.dir / "t.db") as source, sqlite3.connect(copy) as target:
            source.backup(target)  # a consistent copy, WAL included
        position = data.draw(st.integers(1, self.ledger.events.max_position()), label="position")
        with sqlite3.connect(copy) as conn:
            state = bytearray(conn.execute("SELECT state FROM stored_events WHERE rowid = ?",
                                           (position,)).fetchone()[0])
            i = data.draw(st.integers(0, len(state) - 1), label="byte")
            state[i] ^= 0x01
            conn.execute("UPDATE stored_events SET state = ? WHERE rowid = ?",
                         (bytes(state), position))
        with Ledger.open(str(copy)) as tampered, pytest.raises(AuditError) as refused:
            verify(tampered.parts, kept=self.kept)
        assert refused.value.position == position, refused.value.message
        copy.unlink()

    @rule(in_workers=st.booleans())
    def read_models_equal_a_rebuild(self, in_workers: bool) -> None:
        """Invariant 2: caught up after every command, the read model equals a rebuild, made
        in this process or with the workers' help (`factories.projected_in_workers`)."""
        with projected_in_workers() if in_workers else nullcontext():
            assert self.views.diff_against_rebuild() == []

    # -- invariants --------------------------------------------------------------------------------

    @invariant()
    def check_new_events(self) -> None:
        """(1) every event returned before is still there, byte-identical, at its position;
        (4) every new signed event verifies with its signer's key, a key not revoked then."""
        notifications = self.ledger.events.notifications(1, 100_000)
        rows = [(n.id, n.originator_id, n.originator_version, n.topic, n.state)
                for n in notifications]
        assert rows[: len(self.seen)] == self.seen
        assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
        for n in notifications[len(self.seen):]:
            event = self.ledger.events.decode(n)
            body = json.loads(event.body) if hasattr(event, "body") else None
            if body is not None:
                assert signing.canonical(body) == event.body
                assert body["ledger"] == self.ledger_id
                signing.check_signature(KEYS[body["signer"]].public_key, event.body,
                                        event.signature)
                assert body["type"] == n.topic  # Tally's own type names, signed
                if body["type"] in {"claim.recorded", "claim.corrected", "claim.retracted"}:
                    assert body["signer"] not in self.revoked_seen
                if body["type"] == "claim.recorded":
                    assert n.originator_id.hex == signing.body_id(event.body)
                elif body["type"] == "claim.redacted":
                    assert n.originator_id == redaction_uuid(body["claim"], body["field"])
                else:
                    assert body.get("claim", n.originator_id.hex) == n.originator_id.hex
            if n.topic == REVOKED_TOPIC:
                self.revoked_seen.add(self.ledger.events.get(n.originator_id).key_id)
        self.seen = rows

    @invariant()
    def the_audit_passes(self) -> None:
        """Every rule, signature, leaf, stored checkpoint and kept checkpoint holds."""
        assert verify(self.ledger.parts, kept=self.kept).kept == len(self.kept)

    @invariant()
    def claims_agree(self) -> None:
        recorded = {row[1].hex for row in self.seen if row[3] == CLAIM_TOPIC}
        assert recorded == set(self.model)
        registry = self.ledger.lookups()
        for claim_id, model in self.model.items():
            if model.withheld:
                continue
            claim = registry.claim(claim_id)
            assert claim.signer == model.signer
            assert claim.retracted == model.retracted
            assert claim.value == model.value

    @invariant()
    def registrations_agree(self) -> None:
        assert set(self.ledger.directory.figure_ids()) == set(self.figures)
        assert {s.id: s for s in self.ledger.directory.sources()} == self.sources
        assert {s.key_id for s in self.ledger.directory.signers() if s.revoked} == self.revoked
        assert {w.name: w.url for w in self.ledger.directory.witnesses()} == self.witnesses
        assert {w.name for w, _ in self.ledger.directory.removed_witnesses()} == (
            self.removed_witnesses)


LedgerMachine.TestCase.settings = settings(
    max_examples=examples(25), stateful_step_count=20, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestLedgerMachine = LedgerMachine.TestCase
