"""Every event a publish reads is checked against its leaf in the signed tree.

The audit runs first, the pages are rendered after: an insider who edits or deletes a
row in between (or edits the Merkle log's leaves) must not reach the site. Hypothesis
picks the event and the change; the read model a publish renders from refuses to
project it, or to show its signed body, naming its position.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from budgets import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from insider import delete_row, edit_row, full_ledger, rows
from sqlalchemy import update

from tally.ledger.application import Ledger
from tally.ledger.errors import VerificationError
from tally.ledger.infra.merkle_log import nodes
from tally.ledger.integrity.checkpoints import verify_checkpoint
from tally.ledger.verify.trusted_leaves import TrustedLeaves
from tally.projections.readmodel import ReadModel, scratch_engine


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, keys: Any) -> tuple[Path, list[str]]:
    folder = tmp_path_factory.mktemp("trusted")
    claims = full_ledger(str(folder / "t.db"), *keys)
    return folder / "t.db", claims


def _trusted(ledger: Ledger) -> TrustedLeaves:
    info = ledger.info()
    head = verify_checkpoint(ledger.log.checkpoint_note(),
                             bytes.fromhex(info.operator_public_key), info.origin)
    return TrustedLeaves.load(ledger.engine, head)


def _changed(db: str, position: int, change: str) -> None:
    if change == "delete":
        delete_row(db, position)
        return
    # a year earlier: the event still decodes and its signature still verifies (the time
    # is not signed), only its leaf differs
    state = next(r[4] for r in rows(db) if r[0] == position)
    edited = re.sub(rb'"recorded":"(\d{4})',
                    lambda m: b'"recorded":"%d' % (int(m.group(1)) - 1), state, count=1)
    assert edited != state
    edit_row(db, position, state=edited)


REFUSALS = {"delete": "deleted after it was signed", "recorded": "differs from its leaf"}


@settings(max_examples=examples(8), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_change_after_the_leaves_were_trusted_is_refused(
        template: tuple[Path, list[str]], tmp_path_factory: pytest.TempPathFactory,
        data: st.DataObject) -> None:
    db = tmp_path_factory.mktemp("copy") / "t.db"
    shutil.copy(template[0], db)
    with Ledger.open(str(db)) as ledger:
        trusted = _trusted(ledger)
        last = trusted.last_position
    position = data.draw(st.integers(1, last), label="position")
    change = data.draw(st.sampled_from(sorted(REFUSALS)), label="change")
    _changed(str(db), position, change)
    with Ledger.open(str(db)) as ledger, pytest.raises(VerificationError) as caught:
        engine = scratch_engine(tmp_path_factory.mktemp("model") / "m.db")
        try:
            model = ReadModel(ledger, engine, trusted.check)
            model.catch_up(stop=trusted.last_position)
            trusted.check_reached(model.position())
        finally:
            engine.dispose()
    assert caught.value.position == position
    assert REFUSALS[change] in caught.value.message


def test_a_signed_body_changed_after_projection_is_not_shown(
        template: tuple[Path, list[str]], tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    shutil.copy(template[0], db)
    claim = template[1][1]
    with Ledger.open(str(db)) as ledger:
        trusted = _trusted(ledger)
        engine = scratch_engine(tmp_path / "m.db")
        model = ReadModel(ledger, engine, trusted.check)
        model.catch_up(stop=trusted.last_position)
        shown = model.provenance(claim)
        position = shown.position if hasattr(shown, "position") else None
        recorded = next(r[0] for r in rows(str(db)) if r[1].replace("-", "") == claim)
        assert position in (None, recorded)
        _changed(str(db), recorded, "recorded")
        with pytest.raises(VerificationError, match=f"position {recorded} differs"):
            model.provenance(claim)
        _changed(str(db), recorded, "delete")
        with pytest.raises(VerificationError, match=f"position {recorded} is no longer"):
            model.provenance(claim)
        engine.dispose()


def test_edited_leaves_are_not_trusted(template: tuple[Path, list[str]], tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    shutil.copy(template[0], db)
    with Ledger.open(str(db)) as ledger:
        with ledger.engine.begin() as conn:
            conn.execute(update(nodes).where(nodes.c.level == 0, nodes.c.idx == 3)
                         .values(hash=b"\x01" * 32))
        with pytest.raises(VerificationError, match="do not give the root"):
            _trusted(ledger)
