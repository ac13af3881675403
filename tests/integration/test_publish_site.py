"""Publishing the Izium ledger as a static site, cloning it over HTTP, and monitoring it.

A real HTTP server on 127.0.0.1 serves the published directory. Every fault a site can
carry (a fork published over the first site with the same operator key, a flipped byte
in a tile, a bundle or the checkpoint, a deleted partial tile) makes `monitor` exit 1
naming the entry, with and without a replica, and writes the evidence file.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from budgets import examples
from clirunner import Tally
from factories import GRAVES, copy_of, izium_ledger, report_graves, site_files, site_operator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from site_faults import publish_bad_signature
from static_server import Server, copy_db


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path / "site")
    yield running
    running.close()


@pytest.fixture(scope="module")
def izium(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return izium_ledger(tmp_path_factory.mktemp("izium"))


@pytest.fixture
def tally(izium: Path, tmp_path: Path) -> Tally:
    return copy_of(izium, tmp_path)


def test_publish_is_deterministic_incremental_and_atomic(tally: Tally) -> None:
    site, again = tally.tmp / "site", tally.tmp / "again"
    first = tally.json("publish", str(site))
    assert first["size"] == 83 and first["previous_size"] == 0
    assert tally.json("publish", str(again))["written"] == first["written"]
    assert site_files(site) == site_files(again)
    assert tally.json("publish", str(site))["written"] == 0  # nothing changed
    assert (site / "tile" / "0" / "000.p" / "83").stat().st_size == 83 * 32
    assert (site / "tile" / "entries" / "000.p" / "83").exists()
    log = json.loads((site / "log.json").read_text())
    assert log["operator_vkey"].startswith("tally.example/izium+")
    before = {f: f.read_bytes() for f in site.rglob("*") if f.is_file()}
    report_graves(tally, "452")
    grown = tally.json("publish", str(site))
    changed = sorted(str(f.relative_to(site)) for f in site.rglob("*")
                     if f.is_file() and before.get(f) != f.read_bytes())
    claim = next(c for c in changed if c.startswith("claims/") and c.endswith(".json"))
    ident = claim.removeprefix("claims/").removesuffix(".json")
    # the new tile, bundle and checkpoint, log.json, the claim's files and page, its
    # figure's JSON and page, the site-wide pages that show the figure's value, and the
    # exports and feed that list every claim; nothing else (the other claims' proofs
    # keep their first checkpoint)
    assert set(changed) == {
        "checkpoint", "checkpoints/84", "log.json", "tile/0/000.p/84",
        "tile/entries/000.p/84", f"claims/{ident}.json", f"claims/{ident}.tlog-proof",
        f"claims/{ident}.html", f"figures/{GRAVES}.json", f"figures/{GRAVES}.html",
        "index.html", "sources.html", "exports/claims.jsonld", f"exports/credentials/{ident}.json",
        "exports/datapackage/claims.csv", "exports/datapackage/datapackage.json",
        "feed.atom"} | (set(changed) & {"discrepancies.html",
                                                         "discrepancies.json"})
    assert grown["written"] == len(changed) and grown["previous_size"] == 83
    assert (site / "tile" / "0" / "000.p" / "83").exists()  # partial tiles are kept
    assert not list(site.rglob(".*.tmp"))
    # the claim pages' proofs (read through tiles) are those `tally proof` makes, without
    # the quote's disclosure and the follow-ups that `tally proof` adds beside the path
    for claim in tally.json("history", GRAVES)["entries"]:
        page = json.loads((site / "claims" / f"{claim['claim_id']}.json").read_text())
        made = json.loads(tally("proof", claim["claim_id"], "--checkpoint",
                                str(page["provenance"]["checkpoint"])).stdout)
        made.pop("disclosures", None)
        made.pop("follow_ups", None)
        assert page["proof"] == made
    fresh = tally.tmp / "fresh"
    tally("publish", str(fresh))
    assert site_files(fresh) == site_files(site)  # incremental = from scratch, byte for byte


def test_clone_over_http_resumes_and_exports_the_same(tally: Tally, server: Server) -> None:
    tally("publish", str(tally.tmp / "site"))
    replica = str(tally.tmp / "replica.db")
    server.fail_after = 2  # the checkpoint and one tile, then the server fails
    tally("--db", replica, "clone", server.url, "--operator-key", site_operator(tally), code=1)
    server.fail_after = None
    done = tally.json("--db", replica, "clone", server.url, "--operator-key", site_operator(tally))
    assert done["size"] == 83
    assert tally("--db", replica, "export").stdout == tally("export").stdout
    tally("--db", replica, "verify")
    claim = tally.json("history", GRAVES)["entries"][0]["claim_id"]
    for command in (["show", GRAVES], ["history", GRAVES], ["discrepancies"],
                    ["provenance", claim]):
        assert tally.json("--db", replica, *command) == tally.json(*command)
    assert tally("--db", replica, "proof", claim).stdout == tally("proof", claim).stdout
    # grow, publish, and the replica and a state-file monitor follow
    tally.env.pop("TALLY_DB")
    state = ["--state", str(tally.tmp / "state.json")]
    tally("monitor", server.url, "--operator-key", site_operator(tally), *state)
    report_graves(tally, "452", str(tally.tmp / "t.db"))
    tally("--db", str(tally.tmp / "t.db"), "publish", str(tally.tmp / "site"))
    assert tally.json("monitor", server.url, *state)["size"] == 84
    assert tally.json("--db", replica, "monitor", server.url)["previous_size"] == 83


def test_a_clone_interrupted_after_some_batches_resumes_to_the_same_replica(
        tally: Tally, server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three bundles (603 entries), a commit after each: the server fails on the third
    bundle, leaving a staged update of two committed bundles beside the replica (which
    stays at its last good checkpoint: none yet), and the clone resumes from there to a
    replica that exports and verifies as the original and as an uninterrupted clone."""
    from tally.ledger.application import Ledger
    from tally.ledger.tlog import replica as following

    lines = tally.tmp / "more.jsonl"
    lines.write_text("".join(json.dumps({"type": "report", "figure": GRAVES,
                                         "value": str(500 + i), "as_of": "2023-01",
                                         "source": "suspilne"}) + "\n" for i in range(520)))
    tally("import", str(lines), "--key", "recorder")
    assert tally.json("publish", str(tally.tmp / "site"))["size"] == 603
    monkeypatch.setattr(following, "BATCH", 256)  # one bundle a transaction
    replica, key = str(tally.tmp / "replica.db"), site_operator(tally)
    # the checkpoint, log.json, 3 level-0 tiles, 2 bundles and the disclosures of the first
    # (the Izium claims' quotes; the second's claims have none); then 500s
    server.fail_after = 8
    tally("--db", replica, "clone", server.url, "--operator-key", key, code=1)
    assert not Path(replica).exists()  # the replica is switched in only once complete
    with Ledger.open(replica + ".staging") as partial:
        assert partial.log.size() == 512  # two batches committed, the third not
        assert not partial.log.checkpoints()
    server.fail_after = None
    done = tally.json("--db", replica, "clone", server.url, "--operator-key", key)
    assert done["previous_size"] == 512 and done["size"] == 603
    whole = str(tally.tmp / "whole.db")
    tally("--db", whole, "clone", server.url, "--operator-key", key)
    exported = tally("export").stdout
    assert tally("--db", replica, "export").stdout == exported
    assert tally("--db", whole, "export").stdout == exported
    assert tally.json("--db", replica, "verify")["ok"]
    claim = tally.json("history", GRAVES)["entries"][-1]["claim_id"]
    assert tally.json("--db", replica, "provenance", claim) == \
        tally.json("--db", whole, "provenance", claim) == tally.json("provenance", claim)


def test_a_clone_refuses_another_operator_key(tally: Tally) -> None:
    tally("publish", str(tally.tmp / "site"))
    evidence = tally.tmp / "evidence.json"
    out = tally("--db", str(tally.tmp / "r.db"), "clone", str(tally.tmp / "site"),
                "--operator-key", "00" * 32, "--evidence", str(evidence), code=1)
    assert "checkpoint does not verify" in out.output and evidence.exists()



def test_nothing_is_recorded_into_a_replica(tally: Tally) -> None:
    """A claim recorded into a replica would fork it from the site it follows: every write
    is refused, by command and by import, and the replica still follows its site."""
    site = tally.tmp / "site"
    tally("publish", str(site))
    replica = str(tally.tmp / "r.db")
    tally("--db", replica, "clone", str(site), "--operator-key", site_operator(tally))
    before = tally.json("--db", replica, "verify")["events"]
    out = tally("--db", replica, "report", GRAVES, "453", "--as-of", "2023-02", "--source",
                "suspilne", "--key", "recorder", code=1)
    assert "is a replica of" in out.output
    lines = tally.tmp / "more.jsonl"
    lines.write_text('{"type":"source","id":"other","name":"Other","kind":"media"}\n')
    out = tally("--db", replica, "import", str(lines), "--key", "recorder", code=1)
    assert "is a replica of" in out.output
    out = tally("--db", replica, "sources", "add", "other", "--name", "Other", "--kind",
                "media", code=1)
    assert "is a replica of" in out.output
    assert tally.json("--db", replica, "verify")["events"] == before
    report_graves(tally, "452")
    tally("publish", str(site))
    assert tally.json("--db", replica, "monitor", str(site))["size"] == before + 1

def test_publish_serves_only_what_the_audit_passed(tally: Tally) -> None:
    """An insider with the database edits the read model (which claim is in force) or an
    event already in the log; the operator then publishes. The site must never carry the
    edit: publish renders from a read model built from the audited events, never from the
    live tables, and checks every event it reads against its leaf in the signed tree."""
    site, db = tally.tmp / "site", str(tally.tmp / "t.db")
    with sqlite3.connect(db) as conn:
        in_force = conn.execute("SELECT claim_id FROM tally_view_current WHERE figure = ?",
                                (GRAVES,)).fetchone()[0]
        other = conn.execute("SELECT claim_id FROM tally_view_history WHERE figure = ? "
                             "AND claim_id != ?", (GRAVES, in_force)).fetchone()[0]
        conn.execute("UPDATE tally_view_current SET claim_id = ? WHERE figure = ?",
                     (other, GRAVES))
    assert tally.json("show", GRAVES)["claim"]["claim_id"] == other  # the edit bites locally
    tally("publish", str(site))
    page = json.loads((site / "figures" / f"{GRAVES}.json").read_text())
    assert page["show"]["claim"]["claim_id"] == in_force
    # an edited event (its leaf and checkpoint unchanged), under an incremental publish that
    # re-renders its figure: refused, and the site keeps its last good checkpoint
    published = (site / "checkpoint").read_bytes()
    with sqlite3.connect(db) as conn:
        row, state = conn.execute(
            "SELECT rowid, state FROM stored_events WHERE topic = 'claim.recorded' "
            "AND CAST(state AS TEXT) LIKE ? LIMIT 1", (f"%{GRAVES}%",)).fetchone()
        edited = bytes(state).replace(b'\\"value\\":\\"', b'\\"value\\":\\"1', 1)
        assert edited != bytes(state)
        conn.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (edited, row))
    report_graves(tally, "452")
    out = tally("publish", str(site), code=1)
    assert "differs from its" in out.output and "tally verify" in out.output
    assert (site / "checkpoint").read_bytes() == published

# --- faults ------------------------------------------------------------------------------

FAULTS = ("fork", "tile", "bundle", "checkpoint", "partial")


def _entry_at(bundle: bytes, offset: int) -> int:
    index, position = 0, 0
    while True:
        end = position + 2 + int.from_bytes(bundle[position : position + 2], "big")
        if offset < end:
            return index
        index, position = index + 1, end


def _fault(tally: Tally, kind: str, at: int) -> int | None:
    """Damage the published site (grown from 83 to 85 entries); the entry to be named."""
    site = tally.tmp / "site"
    if kind == "fork":
        # a copy of the ledger at 83 entries, extended differently, checkpointed with the
        # same operator key, published, and copied over the first site
        fork = tally.tmp / "fork.db"
        copy_db(tally.tmp / "base.db", fork)
        report_graves(tally, "460", str(fork))
        report_graves(tally, "461", str(fork))
        tally("--db", str(fork), "publish", str(tally.tmp / "forked"))
        shutil.copytree(tally.tmp / "forked", site, dirs_exist_ok=True)
        return 83
    if kind == "checkpoint":
        path = site / "checkpoint"
        data = bytearray(path.read_bytes())
        data[at % len(data)] ^= 0x01
        path.write_bytes(bytes(data))
        return None
    if kind == "partial":
        (site / "tile" / "0" / "000.p" / "85").unlink()
        return 0
    path = site / "tile" / ("0" if kind == "tile" else "entries") / "000.p" / "85"
    data = bytearray(path.read_bytes())
    offset = at % len(data)
    entry = offset // 32 if kind == "tile" else _entry_at(bytes(data), offset)
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))
    return entry


@pytest.fixture
def grown(tally: Tally) -> Tally:
    """A site published at 84 entries, seen by a replica and a state file, then grown to 85
    (the ledger kept at 83 entries, to fork from)."""
    tally.env.pop("TALLY_DB")
    db = str(tally.tmp / "t.db")
    copy_db(tally.tmp / "t.db", tally.tmp / "base.db")
    report_graves(tally, "452", db)
    tally("--db", db, "publish", str(tally.tmp / "site"))
    tally("--db", str(tally.tmp / "replica.db"), "clone", str(tally.tmp / "site"),
          "--operator-key", site_operator(tally))
    tally("monitor", str(tally.tmp / "site"), "--operator-key", site_operator(tally),
          "--state", str(tally.tmp / "state.json"))
    report_graves(tally, "453", db)
    tally("--db", db, "publish", str(tally.tmp / "site"))
    for name in ("site", "replica.db", "state.json"):
        source, kept = tally.tmp / name, tally.tmp / f"kept-{name}"
        if source.is_dir():
            shutil.copytree(source, kept)
        else:
            shutil.copyfile(source, kept)
    return tally


def _restore(tally: Tally) -> None:
    for name in ("site", "replica.db", "state.json"):
        target, kept = tally.tmp / name, tally.tmp / f"kept-{name}"
        if kept.is_dir():
            shutil.rmtree(target)
            shutil.copytree(kept, target)
        else:
            shutil.copyfile(kept, target)
    for leftover in ("forked", "fork.db"):
        path = tally.tmp / leftover
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)


def _check_caught(tally: Tally, kind: str, entry: int | None) -> None:
    site, evidence = str(tally.tmp / "site"), tally.tmp / "evidence.json"
    for where in (["--db", str(tally.tmp / "replica.db")], []):
        evidence.unlink(missing_ok=True)
        out = tally(*where, "monitor", site, "--state", str(tally.tmp / "state.json"),
                    "--evidence", str(evidence), code=1).output
        found = json.loads(evidence.read_text())
        assert found["entry"] == entry, (kind, where, out)
        if entry is not None:
            assert f"{entry}" in out
        else:
            assert "checkpoint" in out
        assert found["old_checkpoint"].startswith("tally.example/izium\n84\n")
        assert found["new_checkpoint"]
        if kind == "fork":
            assert found["new_size"] == 85 and found["consistency_proof"]


def test_monitor_accepts_the_untouched_growth(grown: Tally) -> None:
    state = ["--state", str(grown.tmp / "state.json")]
    assert grown.json("monitor", str(grown.tmp / "site"), *state)["size"] == 85
    assert grown.json("--db", str(grown.tmp / "replica.db"), "monitor",
                      str(grown.tmp / "site"))["size"] == 85


@pytest.mark.parametrize("kind", FAULTS)
def test_monitor_catches_each_fault(grown: Tally, kind: str) -> None:
    _check_caught(grown, kind, _fault(grown, kind, 83 * 32 + 5))


@settings(max_examples=examples(5), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(FAULTS[1:]), at=st.integers(0, 1 << 20))
def test_monitor_catches_faults_anywhere(grown: Tally, kind: str, at: int) -> None:
    try:
        _check_caught(grown, kind, _fault(grown, kind, at))
    finally:
        _restore(grown)


def test_an_entry_that_fails_the_audit_is_named(grown: Tally) -> None:
    """The operator publishes, under a valid checkpoint, an entry whose signature is bad:
    the tiles and the root agree, and the audit names the entry, with a replica and
    without (the monitor's private replica beside its state file)."""
    publish_bad_signature(grown.tmp / "site", grown.tmp / "home", "tally.example/izium",
                          site_operator(grown), 85)
    site = grown.tmp / "site"
    state = grown.tmp / "state.json"
    seen = state.read_bytes()
    for where, watched in (["--db", str(grown.tmp / "replica.db")], []), ([], ["--state",
                                                                            str(state)]):
        evidence = grown.tmp / "evidence.json"
        evidence.unlink(missing_ok=True)
        out = grown(*where, "monitor", str(site), *watched, "--evidence", str(evidence),
                    code=1).output
        assert "entry 84 fails the audit" in out, where
        assert json.loads(evidence.read_text())["entry"] == 84
    assert state.read_bytes() == seen  # the state file does not move past a bad entry
    # a monitor whose private replica was lost rebuilds it from the genesis entry, and
    # still names the entry
    (grown.tmp / "state.json.db").unlink()
    out = grown("monitor", str(site), "--state", str(state), "--evidence",
                str(grown.tmp / "evidence.json"), code=1).output
    assert "entry 84 fails the audit" in out
