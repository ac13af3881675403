"""Small random ledgers for the interop formats' property tests (`from interop_ledgers
import ...`), and the one check every format's round trip must pass: each claim's value,
dates, source, URL, quote and signature come back as the ledger holds them, and its leaf
hash is the one the log stores at its leaf index."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from hypothesis import strategies as st

from tally.ledger.application import Ledger
from tally.ledger.errors import LedgerError
from tally.ledger.infra.keystore import KeyStore
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.model.inputs import (
    CorrectionRecord,
    FigureRecord,
    RedactionRecord,
    ReportRecord,
    RetractionRecord,
    SourceRecord,
)
from tally.projections.readmodel import ReadModel

ORIGIN = "example.org/interop"
FIGURES = [FigureRecord(id="site/graves"), FigureRecord(id="site/bodies", unit="bodies"),
           FigureRecord(id="site/reburial", kind="status", unit="status",
                        states=["started", "completed"])]
SOURCES = ["police", "gwara-media", "suspilne"]
QUANTITIES = ["447", "12.5", ">=440", ">440", "<=30", "<30", "~450", "440..451"]
AS_OF = ["2022-09", "2022-09-23", "2022-09?", "2023", "2022-09-16/2022-09-23"]


@dataclass(frozen=True)
class Expected:
    """A claim as the ledger holds it, for comparing an export against."""

    value: str
    as_of: str
    published: str | None
    source: str
    url: str | None
    quote: str | None
    signature: str
    leaf_index: int
    leaf_hash: str


report = st.builds(
    lambda f, v, a, s, url, quote, published: ReportRecord(
        figure=f.id, value=(v if f.kind == "quantity" else
                            ("started" if v[0].isdigit() else "completed")),
        as_of=a, source=s, url=url, quote=quote, published=published),
    st.sampled_from(FIGURES), st.sampled_from(QUANTITIES), st.sampled_from(AS_OF),
    st.sampled_from(SOURCES),
    st.sampled_from([None, "https://example.org/news/1", "https://example.org/a?b=c&d=é"]),
    st.sampled_from([None, "447 bodies were found", "«Про 450 могил»", 'a "quoted" <b>']),
    st.sampled_from([None, "2024-01-02"]))
followup = st.tuples(st.sampled_from(["correct", "retract", "redact-quote", "redact-url"]),
                     st.integers(0, 10), st.sampled_from(["445", ">=446", "~460"]))
ledgers = st.tuples(st.lists(report, min_size=1, max_size=5),
                    st.lists(followup, max_size=3))


@contextmanager
def small_ledger(script: tuple[list[ReportRecord], list[tuple[str, int, str]]]
                 ) -> Iterator[tuple[Ledger, ReadModel, KeyPair]]:
    """A ledger holding these reports and follow-ups (those the rules refuse are left
    out), with a checkpoint that covers them all; its read model and operator key."""
    reports, followups = script
    with TemporaryDirectory() as tmp:
        keys = KeyStore(Path(tmp) / "home")
        operator, alice = keys.create("operator"), keys.create("alice")
        ledger = Ledger.open(str(Path(tmp) / "t.db"), create=True)
        views = ReadModel(ledger).attach()
        ledger.init(ORIGIN, operator)
        ledger.add_signer("alice", alice.public_key, operator)
        for s in SOURCES:
            ledger.add_source(SourceRecord(id=s, name=s.title(), kind="media"), operator)
        for f in FIGURES:
            ledger.define_figure(f, operator)
        ids = [ledger.report(r, alice).id for r in reports]
        for kind, at, value in followups:
            claim = ids[at % len(ids)]
            try:
                if kind == "correct":
                    ledger.correct(CorrectionRecord(claim=claim, value=value, reason="typo"),
                                   alice)
                elif kind == "retract":
                    ledger.retract(RetractionRecord(claim=claim, reason="wrong"), alice)
                else:
                    field = "quote" if kind == "redact-quote" else "url"
                    ledger.redact(RedactionRecord(claim=claim, field=field, reason="order"),
                                  operator)
            except LedgerError:
                pass  # a follow-up the rules refuse (a retracted claim, a state value, ...)
        ledger.checkpoint(operator)
        try:
            yield ledger, views, operator
        finally:
            ledger.close()


def expected(ledger: Ledger, views: ReadModel) -> dict[str, Expected]:
    """Each claim by id, as the ledger holds it (a redacted field absent)."""
    found: dict[str, Expected] = {}
    for claim in views.claims_matching(_all()).claims:
        p = views.provenance(claim.claim_id)
        taken = {r.field for r in p.redacted}
        signed = ledger.events.signed([p.position])[p.position]
        assert p.leaf_index is not None
        found[p.claim_id] = Expected(
            value=p.value.written, as_of=p.as_of.text, published=p.published,
            source=p.source.id, url=None if "url" in taken else p.url,
            quote=None if "quote" in taken else p.quote, signature=signed.signature,
            leaf_index=p.leaf_index,
            leaf_hash=ledger.log.logged_leaf_hash(p.leaf_index).hex())
    return found


def _all() -> Any:
    from tally.projections.claim_search import ClaimFilters

    return ClaimFilters()


def assert_round_trip(ledger: Ledger, views: ReadModel, exported: dict[str, Expected]) -> None:
    """What a consumer read back equals what the ledger holds, claim by claim."""
    assert exported == expected(ledger, views)
