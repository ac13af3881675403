"""`tally export` then `tally import` into a fresh ledger with the same name and operator key
gives the identical ledger: the same events (bodies and signatures) in the same order, so
the same ids, and `verify` ok. Small random ledgers, with every kind of event a ledger can
hold: signers (operators too), revocations, witnesses (moved and removed), sources, figures, claims,
corrections and retractions, including refused commands along the way."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tally.ledger.application import Ledger
from tally.ledger.errors import LedgerError
from tally.ledger.exporter import export_lines
from tally.ledger.importer import import_lines
from tally.ledger.infra.keystore import KeyStore
from tally.ledger.integrity.cosignature import Cosigner
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.model.inputs import (
    CorrectionRecord,
    FigureRecord,
    ReportRecord,
    RetractionRecord,
    SourceRecord,
)
from tally.ledger.verify.audit import verify

ORIGIN = "example.org/round-trip"
NOW = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)
WITNESS = Cosigner("w.example", bytes(range(32))).vkey

KEYS = st.integers(0, 2)
OPERATIONS = st.lists(st.one_of(
    st.tuples(st.just("signer"), KEYS, st.booleans()),
    st.tuples(st.just("revoke"), KEYS),
    st.tuples(st.just("witness"), st.integers(0, 1)),
    st.tuples(st.just("move witness"), st.integers(0, 1), st.integers(0, 2)),
    st.tuples(st.just("remove witness"), st.integers(0, 1)),
    st.tuples(st.just("source"), st.integers(0, 1)),
    st.tuples(st.just("figure"), st.integers(0, 1), st.booleans()),
    st.tuples(st.just("report"), KEYS, st.integers(0, 1), st.integers(0, 1),
              st.sampled_from(["3", "2.5", "~40", "10..12"]), st.integers(2020, 2025)),
    st.tuples(st.just("correct"), KEYS, st.integers(0, 5), st.integers(0, 500)),
    st.tuples(st.just("retract"), KEYS, st.integers(0, 5)),
), max_size=14)


def _apply(ledger: Ledger, operator: KeyPair, keys: list[KeyPair], op: tuple[Any, ...],
           claims: list[str]) -> None:
    kind = op[0]
    if kind == "signer":
        ledger.add_signer(keys[op[1]].name, keys[op[1]].public_key, operator,
                          role="operator" if op[2] else "signer")
    elif kind == "revoke":
        ledger.revoke_signer(keys[op[1]].key_id, operator, "lost")
    elif kind == "witness":
        ledger.add_witness(f"w{op[1]}", f"http://127.0.0.1:{9000 + op[1]}",
                           WITNESS if op[1] == 0 else Cosigner("v.example", bytes(32)).vkey,
                           operator)
    elif kind == "move witness":
        ledger.update_witness(f"w{op[1]}", f"http://127.0.0.1:{9100 + op[2]}", operator)
    elif kind == "remove witness":
        ledger.remove_witness(f"w{op[1]}", "gone", operator)
    elif kind == "source":
        ledger.add_source(SourceRecord(id=f"s{op[1]}", name=f"Source {op[1]}", kind="media"),
                          operator)
    elif kind == "figure":
        ledger.define_figure(FigureRecord(id=f"case/f{op[1]}", cumulative=op[1] == 0,
                                          integer=op[2]), operator)
    elif kind == "report":
        record = ReportRecord(figure=f"case/f{op[2]}", value=op[4], as_of=str(op[5]),
                              source=f"s{op[3]}")
        claims.append(ledger.report(record, keys[op[1]]).id)
    elif claims:
        claim = claims[op[2] % len(claims)]
        if kind == "correct":
            ledger.correct(CorrectionRecord(claim=claim, value=str(op[3]), reason="recount"),
                           keys[op[1]])
        else:
            ledger.retract(RetractionRecord(claim=claim, reason="withdrawn"), keys[op[1]])


def _events(ledger: Ledger) -> list[tuple[Any, ...]]:
    """Each event's type, aggregate, version, signed body and signature, in order (not the
    recording time, which is the import's)."""
    decoded = [ledger.events.decode(n) for n in ledger.events.all_notifications()]
    return [(type(e).__name__, e.originator_id, e.originator_version, e.body,
             getattr(e, "signature", None)) for e in decoded]


@settings(max_examples=max(5, settings.default.max_examples // 3))
@given(operations=OPERATIONS)
def test_export_then_import_rebuilds_the_same_ledger(operations: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        store = KeyStore(tmp / "home")
        operator = store.create("operator")
        keys = [store.create(name) for name in ("alice", "bob", "carol")]
        original = Ledger.open(str(tmp / "a.db"), create=True, clock=lambda: NOW)
        original.init(ORIGIN, operator)
        claims: list[str] = []
        for op in operations:
            with contextlib.suppress(LedgerError):  # a refused command writes nothing
                _apply(original, operator, keys, op, claims)
        exported = "".join(line + "\n" for line in export_lines(original))

        copy = Ledger.open(str(tmp / "b.db"), create=True, clock=lambda: NOW)
        copy.init(ORIGIN, operator)
        import_lines(copy, io.BytesIO(exported.encode()), None)  # every line is signed

        assert _events(copy) == _events(original)
        assert "".join(line + "\n" for line in export_lines(copy)) == exported
        assert copy.directory.signers() == original.directory.signers()
        assert copy.directory.witnesses() == original.directory.witnesses()
        assert copy.directory.removed_witnesses() == original.directory.removed_witnesses()
        verify(copy.parts)
        original.close()
        copy.close()
