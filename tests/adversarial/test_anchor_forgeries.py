"""A recorder who holds a key but bypasses the commands, writing signed claims straight
into the event store: an anchor that is not where its quote is never passes the audit,
nor the check of a tail that no process of ours appended."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tally.ledger.application import Ledger
from tally.ledger.errors import AuditError, LedgerError
from tally.ledger.evidence import documents
from tally.ledger.evidence.anchors import selector
from tally.ledger.infra.keystore import KeyStore
from tally.ledger.integrity.signing import KeyPair, canonical, sign
from tally.ledger.model.bodies import claim_body
from tally.ledger.model.events import Claim
from tally.ledger.model.inputs import FigureRecord, ReportRecord, SourceRecord
from tally.ledger.verify.audit import verify

TEXT = "Officials said 447 bodies were exhumed. Later 451 bodies were counted."
NOW = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def setup(tmp_path: Any) -> Any:
    home = KeyStore(tmp_path / "home")
    operator, alice = home.create("operator"), home.create("alice")
    ledger = Ledger.open(str(tmp_path / "t.db"), create=True, clock=lambda: NOW)
    ledger.init("example.org/forgery", operator)
    ledger.add_signer("alice", alice.public_key, operator)
    ledger.add_source(SourceRecord(id="news", name="News", kind="media"), operator)
    ledger.define_figure(FigureRecord(id="site/bodies", unit="bodies"), operator)
    sha = documents.archive(ledger, TEXT.encode(), key=alice).id
    yield ledger, alice, sha
    ledger.close()


def _forged(ledger: Ledger, key: KeyPair, sha: str | None, quote: str,
            anchor: dict[str, Any]) -> Claim:
    record = ReportRecord(figure="site/bodies", value="451", as_of="2022-09", source="news",
                          quote=quote, document_sha256=sha)
    fields = claim_body(ledger.info().ledger_id, key.key_id, record, "451", anchor)
    body = canonical({**fields, "quote": quote})  # the signed quote, whatever the anchor says
    return Claim(body=body, signature=sign(key.private_key, body))


def _cases(sha: str) -> list[tuple[str | None, str, dict[str, Any], str]]:
    at447 = TEXT.index("447 bodies")
    moved = selector(TEXT, at447, at447 + 10)
    moved["quote"]["exact"] = "451 bodies"  # the text it claims, at the other number's place
    unarchived = "cd" * 32
    return [
        (sha, "451 bodies", moved, "not in its document at"),
        (sha, "451 bodies", {**selector(TEXT, 0, 9)}, "the claim's quote is not the text"),
        (sha, "452 bodies", selector(TEXT.replace("451", "452"), TEXT.index("451"),
                                     TEXT.index("451") + 10), "not in its document at"),
        (unarchived, "451 bodies", selector(TEXT, TEXT.index("451"), TEXT.index("451") + 10),
         "not archived before it"),
        (sha, "451 bodies", selector(TEXT, len(TEXT) - 3, len(TEXT) + 7), "outside"),
    ]


@pytest.mark.parametrize("case", range(5))
def test_audit_refuses_forged_anchors(setup: Any, case: int) -> None:
    ledger, alice, sha = setup
    doc, quote, anchor, words = _cases(sha)[case]
    ledger.journal.save([_forged(ledger, alice, doc, quote, anchor)])
    with pytest.raises(AuditError) as refused:
        verify(ledger.parts)
    assert words in refused.value.message, refused.value.message
    assert refused.value.position == ledger.events.max_position()


def test_a_forged_anchor_left_in_the_tail_stops_the_log(setup: Any) -> None:
    ledger, alice, sha = setup
    doc, quote, anchor, _ = _cases(sha)[0]
    logged = ledger.journal.logged_position()
    ledger.events.save([_forged(ledger, alice, doc, quote, anchor)])  # not through the commands
    with pytest.raises(LedgerError, match="not in its document"):
        ledger.journal.catch_up_log()
    assert ledger.journal.logged_position() == logged


def test_the_honest_anchor_passes(setup: Any) -> None:
    ledger, alice, sha = setup
    at = TEXT.index("451 bodies")
    ledger.journal.save([_forged(ledger, alice, sha, "451 bodies", selector(TEXT, at, at + 10))])
    verify(ledger.parts)
