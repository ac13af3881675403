"""Format v2 on the published site, over HTTP on 127.0.0.1: disclosures travel in
`disclosures/<N>`, a redaction takes the value off the site and off every replica that
follows it, and a site that drops or alters a disclosure nobody ordered taken down is
refused, naming the entry, with the replica left as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clirunner import Tally
from factories import GRAVES, copy_of, izium_ledger, site_operator
from static_server import Server

SECRET = "the volunteer Olena K. counted them"


@pytest.fixture(scope="module")
def izium(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return izium_ledger(tmp_path_factory.mktemp("izium-v2"))


@pytest.fixture
def tally(izium: Path, tmp_path: Path) -> Tally:
    return copy_of(izium, tmp_path)


@pytest.fixture
def server(tmp_path: Path) -> object:
    running = Server(tmp_path / "site")
    yield running
    running.close()


def _claim_with_secret(tally: Tally) -> str:
    out = tally.json("report", GRAVES, "452", "--as-of", "2023-01", "--source", "suspilne",
                     "--quote", SECRET, "--key", "recorder")
    return str(out["id"])


def _bytes_under(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file())


def test_a_redaction_leaves_the_site_and_the_replica_that_follows_it(
        tally: Tally, server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    from tally.ledger.tlog import replica as following

    claim = _claim_with_secret(tally)
    site = tally.tmp / "site"
    tally("publish", str(site))
    assert SECRET.encode() in _bytes_under(site / "disclosures")
    replica, key = str(tally.tmp / "replica.db"), site_operator(tally)
    tally("--db", replica, "clone", server.url, "--operator-key", key)
    assert SECRET in tally("--db", replica, "provenance", claim).stdout
    tally("redact", claim, "--field", "quote", "--reason", "names a witness")
    # many small batches: the claim and its order reach the replica in different ones
    monkeypatch.setattr(following, "BATCH", 1)
    tally("publish", str(site))
    assert SECRET.encode() not in _bytes_under(site)
    tally("--db", replica, "monitor", server.url)
    assert tally.json("--db", replica, "verify")["ok"]
    shown = tally("--db", replica, "provenance", claim).stdout
    assert SECRET not in shown and "names a witness" in shown
    assert SECRET.encode() not in Path(replica).read_bytes()
    # a fresh clone takes the claim without its quote, and the order that says why
    fresh = str(tally.tmp / "fresh.db")
    tally("--db", fresh, "clone", server.url, "--operator-key", key)
    assert tally("--db", fresh, "export").stdout == tally("export").stdout


@pytest.mark.parametrize("fault", ["dropped", "altered"])
def test_a_disclosure_the_site_lost_without_an_order_is_refused(
        tally: Tally, server: Server, fault: str) -> None:
    claim = _claim_with_secret(tally)
    site = tally.tmp / "site"
    tally("publish", str(site))
    bundle = next((site / "disclosures").rglob("*"))
    held = json.loads(bundle.read_text())
    commitment = next(c for c, d in held.items() if SECRET in d)
    if fault == "dropped":
        del held[commitment]
    else:
        held[commitment] = held[commitment].replace("Olena", "Irina")
    bundle.write_text(json.dumps(held))
    replica = str(tally.tmp / "replica.db")
    out = tally("--db", replica, "clone", server.url, "--operator-key", site_operator(tally),
                code=1)
    if fault == "dropped":
        position = tally.json("provenance", claim)["position"]
        assert f"entry {position - 1}" in out.output and "no signed order" in out.output
    else:
        assert "disclosures/000 (the disclosures of entries 0..)" in out.output
        assert "does not hash" in out.output


def _grown_past_a_bundle(tally: Tally) -> None:
    lines = tally.tmp / "more.jsonl"
    lines.write_text("".join(json.dumps({"type": "report", "figure": GRAVES,
                                         "value": str(600 + i), "as_of": "2023-03",
                                         "source": "suspilne"}) + "\n" for i in range(300)))
    tally("import", str(lines), "--key", "recorder")


@pytest.mark.parametrize("site_lost_a_quote", [False, True])
def test_a_stopped_clone_resumes_and_still_needs_the_order(
        tally: Tally, server: Server, monkeypatch: pytest.MonkeyPatch,
        site_lost_a_quote: bool) -> None:
    """The clone stops after committing the bundle that holds a claim whose quote the site
    lacks; the order that redacted it is in the next bundle. The resumed run takes it and
    passes. If the site also lost another claim's quote, which no order names, the resumed
    run refuses it, naming its entry (it must not forget what the stopped run saw)."""
    from tally.ledger.tlog import replica as following

    redacted = _claim_with_secret(tally)
    lost = str(tally.json("report", GRAVES, "453", "--as-of", "2023-02", "--source",
                          "suspilne", "--quote", "Irina P. counted them", "--key",
                          "recorder")["id"])
    _grown_past_a_bundle(tally)
    tally("redact", redacted, "--field", "quote", "--reason", "names a witness")
    site = tally.tmp / "site"
    tally("publish", str(site))
    if site_lost_a_quote:
        bundle = site / "disclosures" / "000"
        held = json.loads(bundle.read_text())
        bundle.write_text(json.dumps({c: d for c, d in held.items() if "Irina" not in d}))
    monkeypatch.setattr(following, "BATCH", 1)  # a transaction a bundle
    second = next((site / "tile" / "entries").glob("001*"))
    path = str(second.relative_to(site)) if second.is_file() else \
        str(next(p for p in second.rglob("*") if p.is_file()).relative_to(site))

    # a clone to count the requests before the second bundle's
    seen: list[int] = []
    server.answers[path] = lambda: seen.append(server.requests) or (site / path).read_bytes()
    replica, key = str(tally.tmp / "replica.db"), site_operator(tally)
    tally("--db", str(tally.tmp / "count.db"), "clone", server.url, "--operator-key", key,
          code=1 if site_lost_a_quote else 0)
    del server.answers[path]
    server.fail_after, server.requests = seen[0] - 1, 0  # then the network goes away
    tally("--db", replica, "clone", server.url, "--operator-key", key, code=1)
    assert Path(replica + ".staging").exists()  # the first bundle is committed there
    server.fail_after = None
    if site_lost_a_quote:
        out = tally("--db", replica, "clone", server.url, "--operator-key", key, code=1)
        position = tally.json("provenance", lost)["position"]
        assert f"entry {position - 1}" in out.output and "no signed order" in out.output
        assert not Path(replica).exists()
        return
    assert tally.json("--db", replica, "clone", server.url, "--operator-key", key)["size"]
    assert tally.json("--db", replica, "verify")["ok"]
    assert SECRET.encode() not in Path(replica).read_bytes()


def test_a_claim_withheld_whole_leaves_the_site_every_bundle_and_the_replica(
        tally: Tally, server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """A claim's whole body (`--field body`) comes down after the site and a replica took
    it: the next publish rewrites the entry bundles of earlier publishes with its stub and
    takes its pages off, the replica that follows stubs its copy, and both verify."""
    from tally.ledger.tlog import replica as following

    claim = _claim_with_secret(tally)
    tally("correct", claim, "453", "--reason", "a recount by Olena K.", "--key", "recorder")
    site = tally.tmp / "site"
    tally("checkpoint")
    tally("publish", str(site))
    assert SECRET.encode() in _bytes_under(site)
    assert b"a recount by Olena K." in _bytes_under(site / "tile" / "entries")
    replica, key = str(tally.tmp / "replica.db"), site_operator(tally)
    tally("--db", replica, "clone", server.url, "--operator-key", key)
    tally("redact", claim[:8], "--field", "body", "--reason", "a court order")
    monkeypatch.setattr(following, "BATCH", 1)
    tally("checkpoint")
    tally("publish", str(site))
    assert SECRET.encode() not in _bytes_under(site)
    assert b"a recount by Olena K." not in _bytes_under(site)
    assert not list(site.rglob(f"{claim}.*"))
    tally("--db", replica, "monitor", server.url)
    for db in (replica, tally.env["TALLY_DB"]):
        assert tally.json("--db", db, "verify")["ok"]
        assert SECRET.encode() not in Path(db).read_bytes()
        assert b"a recount by Olena K." not in Path(db).read_bytes()
        shown = tally("--db", db, "log", "--type", "claim").stdout
        assert "[withheld on " in shown and "a court order" in shown
    fresh = str(tally.tmp / "fresh.db")
    tally("--db", fresh, "clone", server.url, "--operator-key", key)
    assert tally.json("--db", fresh, "verify")["ok"]
    assert tally("--db", fresh, "export").stdout == tally("export").stdout
