"""The sealed read model a re-publish renders from, tried as an insider would.

After a publish the read model its pages came from is kept in the key home under the
operator's seal, and the next publish audits only the events after it. Each test
changes one thing the insider can reach (the kept file, its seal, an event under the
site's checkpoint, a registry event the rules depend on) and checks the site never
carries the change: the publish either rebuilds from every event after the full
audit, or refuses, naming the event. (A deleted registry event is in
tests/adversarial/test_publish_insider.py.)
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from clirunner import Tally
from factories import GRAVES, copy_of, izium_ledger, report_graves, site_files

from tally.ledger.infra.keystore import KeyStore
from tally.ledger.integrity.cosignature import Cosigner
from tally.projections.publish.sealed_readmodel import Seal


@pytest.fixture(scope="module")
def izium(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return izium_ledger(tmp_path_factory.mktemp("izium"))


@pytest.fixture
def tally(izium: Path, tmp_path: Path) -> Tally:
    return copy_of(izium, tmp_path)


def _kept(tally: Tally) -> tuple[Path, Path]:
    [seal] = (tally.tmp / "home" / "read-models").glob("*.seal")
    return seal.with_suffix(".db"), seal


def test_a_republish_from_the_kept_model_equals_a_full_publish(tally: Tally) -> None:
    site, fresh = tally.tmp / "site", tally.tmp / "fresh"
    first = tally.json("publish", str(site))
    assert first["read_model"].startswith("rebuilt from every event")
    report_graves(tally, "452")
    again = tally.json("publish", str(site))
    assert again["read_model"] == "kept at checkpoint 83"
    assert tally.json("publish", str(site))["read_model"] == "kept at checkpoint 84"
    # the same bytes as a publish of the whole ledger from scratch, without a kept model
    for kept in _kept(tally):
        kept.unlink()
    assert tally.json("publish", str(fresh))["read_model"].startswith("rebuilt")
    assert site_files(site).keys() >= site_files(fresh).keys()
    ours = site_files(site)
    for path, data in site_files(fresh).items():
        if not path.startswith(("tile/", "checkpoints/")):
            assert ours[path] == data, path


def test_an_edited_kept_model_is_not_used(tally: Tally) -> None:
    """The insider changes which claim is in force in the kept file: its digest no longer
    matches the seal, the publish rebuilds, and the page shows the signed answer."""
    site = tally.tmp / "site"
    tally("publish", str(site))
    in_force = json.loads((site / "figures" / f"{GRAVES}.json").read_text())
    in_force_id = in_force["show"]["claim"]["claim_id"]
    database, _ = _kept(tally)
    with sqlite3.connect(database) as conn:
        other = conn.execute("SELECT claim_id FROM tally_view_history WHERE figure = ? AND "
                             "claim_id != ?", (GRAVES, in_force_id)).fetchone()[0]
        conn.execute("UPDATE tally_view_current SET claim_id = ? WHERE figure = ?",
                     (other, GRAVES))
    conn.close()
    report_graves(tally, "452", None)
    out = tally.json("publish", str(site))
    assert out["read_model"] == ("rebuilt from every event (the kept read model was changed "
                                 "after it was sealed)")
    page = json.loads((site / "figures" / f"{GRAVES}.json").read_text())
    assert other not in json.dumps(page["show"]["claim"])


def test_a_seal_by_another_key_is_not_used(tally: Tally) -> None:
    """The insider rebuilds the kept model as they like and seals it with their own key."""
    site = tally.tmp / "site"
    tally("publish", str(site))
    database, seal_file = _kept(tally)
    seal = Seal.model_validate_json(seal_file.read_text())
    mallory = KeyStore(tally.tmp / "mallory").create("mallory")
    forged = seal.model_copy(update={"signature": mallory.private_key.sign(
        seal.message().encode()).hex()})
    seal_file.write_text(forged.model_dump_json())
    out = tally.json("publish", str(site))
    assert "does not verify with the operator key" in out["read_model"]
    assert database.exists()


def test_a_seal_of_another_tree_is_not_used(tally: Tally) -> None:
    """A genuine seal whose root is not the root of the published tree's first leaves (the
    ledger was rewritten since, or the seal is another ledger's at the same size)."""
    site = tally.tmp / "site"
    tally("publish", str(site))
    _, seal_file = _kept(tally)
    seal = Seal.model_validate_json(seal_file.read_text())
    operator = KeyStore(tally.tmp / "home").find_by_public_key(
        bytes.fromhex(json.loads((site / "log.json").read_text())["operator_public_key"]))
    assert operator is not None
    moved = seal.model_copy(update={"root": "00" * 32})
    moved = moved.model_copy(update={"signature": operator.private_key.sign(
        moved.message().encode()).hex()})
    seal_file.write_text(moved.model_dump_json())
    out = tally.json("publish", str(site))
    assert out["read_model"].endswith("a tree this checkpoint does not extend)")


def test_an_edited_event_the_republish_reads_is_refused(tally: Tally) -> None:
    """An event under the site's checkpoint is edited (another figure's, so no page of the
    kept model needs it); the re-publish reads it again for the grown entry bundle (the
    Izium log fits one partial tile), finds it differs from its signed leaf, and refuses,
    leaving the site as it was. `tally verify` names the event."""
    site = tally.tmp / "site"
    tally("publish", str(site))
    db = str(tally.tmp / "t.db")
    with sqlite3.connect(db) as conn:
        row, state = conn.execute(
            "SELECT rowid, state FROM stored_events WHERE topic = 'claim.recorded' "
            "AND CAST(state AS TEXT) NOT LIKE ? ORDER BY rowid LIMIT 1",
            (f"%{GRAVES}%",)).fetchone()
        # the value: signed in clear in every format (a v2 quote is a commitment)
        edited = bytes(state).replace(b'\\"value\\":\\"', b'\\"value\\":\\"1', 1)
        assert edited != bytes(state)
        conn.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (edited, row))
    conn.close()
    published = site_files(site)
    report_graves(tally, "452")
    out = tally("publish", str(site), code=1)
    assert "differs from its" in out.output
    assert site_files(site) == published
    assert f"position {row}" in tally("verify", code=1).output


def test_a_read_model_that_cannot_be_kept_does_not_fail_the_publish(tally: Tally) -> None:
    site = tally.tmp / "site"
    (tally.tmp / "home" / "read-models").write_text("a file where the folder goes")
    out = tally.json("publish", str(site))
    assert out["read_model"].endswith("read-models: File exists")
    assert (site / "checkpoint").exists()
    assert tally.json("publish", str(site))["read_model"].startswith("rebuilt")


def test_a_witness_removed_after_the_kept_model_is_audited_from_its_tree(tally: Tally) -> None:
    """A witness configured before the kept read model's tree and removed after it: the
    re-publish audits the removal from the witnesses of that tree (read from its events,
    each against its leaf: the seal lists none), and renders from the kept model."""
    vkey = Cosigner("w1.example", bytes(32)).vkey
    tally("witnesses", "add", "w1", "--url", "http://127.0.0.1:9/w1", "--vkey", vkey)
    site = tally.tmp / "site"
    tally("publish", str(site))
    tally("witnesses", "remove", "w1", "--reason", "shut down")
    assert tally.json("publish", str(site))["read_model"].startswith("kept at checkpoint")
