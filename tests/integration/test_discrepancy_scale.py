"""Competing claims on one figure make one discrepancy whose size grows linearly with them."""

from __future__ import annotations

import io
import json
from pathlib import Path

from tally.ledger.application import Ledger
from tally.ledger.importer import import_lines
from tally.ledger.infra.keystore import KeyStore
from tally.projections.readmodel import ReadModel

CLAIMS = 2_000
FIGURE = "scale/bodies"


def _lines() -> bytes:
    rows: list[dict[str, object]] = [
        {"type": "source", "id": "wire", "name": "Wire", "kind": "media"},
        {"type": "figure", "id": FIGURE, "unit": "bodies", "cumulative": False},
    ]
    rows += [{"type": "report", "figure": FIGURE, "value": str(v), "as_of": "2022-09-23",
              "source": "wire", "via": [], "url": None, "published": None,
              "quote": f"report {v}", "document_sha256": None} for v in range(CLAIMS)]
    return b"".join(json.dumps(r).encode() + b"\n" for r in rows)


def test_2000_competing_reports_make_one_contradiction_of_2000_claims(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "home")
    operator, recorder = keys.create("operator"), keys.create("recorder")
    ledger = Ledger.open(str(tmp_path / "scale.db"), create=True)
    ledger.init("tally.example/scale", operator)
    ledger.add_signer("recorder", recorder.public_key, operator)
    views = ReadModel(ledger).attach()
    summary = import_lines(ledger, io.BytesIO(_lines()), recorder)
    assert summary.by_type == {"source": 1, "figure": 1, "report": CLAIMS}

    (flag,) = views.discrepancies().discrepancies
    assert flag.kind == "contradiction" and len(flag.claims) == CLAIMS
    assert sorted(int(m.value) for m in flag.members) == list(range(CLAIMS))
    assert {m.source for m in flag.members} == {"wire"}
    assert [m.claim for m in flag.members] == flag.claims
    assert len(flag.model_dump_json().encode()) < 2_048 * CLAIMS
    # The same group whether read from the projected rows or evaluated for an as_of query.
    assert views.show(FIGURE).discrepancies == [flag]
    assert views.show(FIGURE, as_of="2022-09-23").discrepancies == [flag]
