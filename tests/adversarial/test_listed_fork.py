"""A validly signed checkpoint of a fork, of a size the replica already holds, placed on the
site and listed in its log.json (issue 23, point 9): a resumed clone and a monitor check it
against the replica's tree, refuse the site, and keep both notes as evidence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clirunner import Tally
from factories import copy_of, izium_ledger, site_operator

from tally.ledger.infra.keystore import KeyStore
from tally.ledger.integrity import merkle, tiles
from tally.ledger.integrity.checkpoints import Checkpoint, sign_checkpoint


@pytest.fixture(scope="module")
def izium(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return izium_ledger(tmp_path_factory.mktemp("izium-listed-fork"))


def _plant_a_signed_fork(site: Path, home: Path, size: int) -> str:
    """The operator signs another tree of `size` entries (the last one changed), and the
    site lists that checkpoint beside its own: what an operator showing two histories does."""
    log = json.loads((site / "log.json").read_text())
    bundle = next(p for p in (site / "tile" / "entries").rglob("*") if p.is_file())
    entries = list(tiles.iter_bundle(bundle.read_bytes()))[:size]
    hashes = [merkle.leaf_hash(e) for e in entries[:-1]] + [merkle.leaf_hash(b"a fork")]
    key = KeyStore(home).find_by_public_key(bytes.fromhex(log["operator_public_key"]))
    assert key is not None
    note = sign_checkpoint(Checkpoint(origin=log["origin"], size=size,
                                      root_hash=merkle.root(size, merkle.MemoryNodes(
                                          hashes).get)), key.private_key)
    (site / "checkpoints" / str(size)).write_text(note)
    log["checkpoints"] = sorted({*log["checkpoints"], size})
    (site / "log.json").write_text(json.dumps(log))
    return note


def test_a_listed_signed_fork_below_the_replicas_size_is_a_fork(
        izium: Path, tmp_path: Path) -> None:
    tally: Tally = copy_of(izium, tmp_path)
    site = tmp_path / "site"
    tally("publish", str(site))
    replica, evidence = str(tmp_path / "replica.db"), tmp_path / "evidence.json"
    tally("--db", replica, "clone", str(site), "--operator-key", site_operator(tally))
    tally("report", "izium/burial-site/graves", "452", "--as-of", "2023-01", "--source",
          "suspilne", "--key", "recorder")
    tally("publish", str(site))  # the site grows: the monitor has something to take
    fork = _plant_a_signed_fork(site, tmp_path / "home", 40)
    out = tally("--db", replica, "monitor", str(site), "--evidence", str(evidence), code=1)
    assert "checkpoint 40" in out.output and "two trees" in out.output
    kept = json.loads(evidence.read_text())
    assert kept["new_checkpoint"] == fork and kept["old_checkpoint"]
    assert kept["old_checkpoint"] != fork
    assert tally.json("--db", replica, "verify")["ok"]  # the replica stays as it was
