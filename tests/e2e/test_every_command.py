"""One ledger that uses everything at once, and every command of the tree run against it.

Features built apart break together. The ledger here holds every event type: signers
added and revoked, sources, figures (a sum with its part, a status figure), claims with
anchored quotes in an archived document (format v2), a correction, a retraction, a
redacted quote, a claim withheld whole with its correction, a withheld document, and
checkpoints cosigned by a witness that is a real
`tally witness serve` process on 127.0.0.1. It is published, and cloned into a replica.

Then every leaf command of the typer tree is run with `--json`, from the table below
(a command added later fails `test_the_table_names_every_command` until it has a row):
read commands against the ledger and against the replica, write commands against the
ledger, in order. Each must exit as its row says, print one JSON document and no
traceback; the ledger and the replica must still verify afterwards, and answer alike.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import typer
from clirunner import Tally
from factories import projected_in_workers
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from tally.cli.main import app
from tally.ledger.application import Ledger
from tally.projections.compare import snapshot
from tally.projections.readmodel import ReadModel

ORIGIN = "test.example/everything"
BODIES, CHILDREN, WORK = "izium/bodies", "izium/children", "izium/exhumation"
ARTICLE = ("Officials said on Friday that 447 bodies had been exhumed at the site, "
           "among them 5 children. The work was completed on 23 September.\n")
NOTICE = "A page under a take-down notice.\n"
# the witness answers within this many seconds, or the test fails (every wait is bounded)
WITNESS_START = 30.0


@dataclass
class World:
    """The ledger, its replica, and what the commands need to name."""

    tally: Tally
    replica: str
    site: str
    operator_key: str
    claims: dict[str, str]
    document: str
    withheld: str
    witness_dir: str
    files: Path
    answers: dict[str, Any] = field(default_factory=dict)


def _tree() -> list[str]:
    def leaves(command: Any, path: tuple[str, ...] = ()) -> list[str]:
        children = getattr(command, "commands", None)
        if not children:
            return [" ".join(path)]
        return [leaf for name, sub in sorted(children.items())
                for leaf in leaves(sub, (*path, name))]
    return leaves(typer.main.get_command(app))


@pytest.fixture(scope="module")
def witness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """`tally witness serve` for real: its url, its vkey and its folder."""
    folder = tmp_path_factory.mktemp("witness") / "w1"
    tally = Tally(folder.parent)
    made = tally.json("witness", "init", "--name", "w.example/w1", "--dir", str(folder))
    server = subprocess.Popen(
        [sys.executable, "-c", "from tally.cli.main import main; main()", "--json",
         "witness", "serve", "--listen", "127.0.0.1:0", "--dir", str(folder)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "TALLY_HOME": str(folder.parent / "home")})
    try:
        assert server.stdout is not None
        ready, _, _ = select.select([server.stdout], [], [], WITNESS_START)
        assert ready, "tally witness serve did not answer"
        started = json.loads(server.stdout.readline())
        assert started["vkey"] == made["vkey"] and started["url"].startswith("http://127.0.0.1:")
        yield started["url"], started["vkey"], folder
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory,
          witness: tuple[str, str, Path]) -> World:
    tmp = tmp_path_factory.mktemp("everything")
    t = Tally(tmp)
    url, vkey, folder = witness
    t("init", "--name", ORIGIN)
    t("witness", "add-log", ORIGIN, "--vkey", t.json("witnesses", "list")["log_vkey"],
      "--dir", str(folder))
    t("witnesses", "add", "w1", "--url", url, "--vkey", vkey)
    for name in ("alice", "bob"):
        t("keys", "new", name)
        t("signers", "add", name, "--key", name)
    for sid, name in (("hromadske", "Hromadske"), ("suspilne", "Suspilne")):
        t("sources", "add", sid, "--name", name, "--kind", "media")
    t("cases", "define", "izium", "--name", "Izium burial site", "--description",
      "Exhumations at the Izium burial site", "--place", "Izium, Ukraine",
      "--period", "2022-09-16/2022-09-30")
    t("figures", "define", CHILDREN, "--unit", "bodies", "--name", "Children exhumed")
    t("figures", "define", BODIES, "--unit", "bodies", "--cumulative", "--parts", CHILDREN)
    t("figures", "define", WORK, "--kind", "status", "--states", "started,completed")
    files = tmp / "files"
    files.mkdir()
    (files / "article.txt").write_text(ARTICLE, encoding="utf-8")
    (files / "notice.txt").write_text(NOTICE, encoding="utf-8")
    document = t.json("documents", "add", str(files / "article.txt"), "--key", "alice",
                      "--url", "https://news.example/izium", "--source", "hromadske")["id"]
    withheld = t.json("documents", "add", str(files / "notice.txt"), "--key", "alice")["id"]

    def report(figure: str, value: str, source: str, key: str, *extra: str) -> str:
        return str(t.json("report", figure, value, "--as-of", "2022-09-23", "--source",
                          source, "--key", key, *extra)["id"])
    claims = {
        "bodies": report(BODIES, "447", "hromadske", "alice", "--document", document,
                         "--quote", "447 bodies had been exhumed",
                         "--url", "https://news.example/izium"),
        "children": report(CHILDREN, "5", "hromadske", "alice", "--document", document,
                           "--quote", "5 children"),
        "other": report(BODIES, "451", "suspilne", "bob", "--quote", "451 in all",
                        "--url", "https://suspilne.example/a", "--via", "hromadske"),
        "work": report(WORK, "completed", "suspilne", "bob"),
    }
    t("checkpoint")
    t("correct", claims["bodies"], "449", "--reason", "recount", "--key", "alice")
    t("retract", claims["children"], "--reason", "misread", "--key", "alice")
    t("redact", claims["other"], "--field", "quote", "--reason", "names a witness")
    gone = report(CHILDREN, "6", "suspilne", "bob", "--quote", "Olena saw six")
    t("correct", gone, "7", "--reason", "Olena recounted", "--key", "bob")
    t("redact", gone, "--field", "body", "--reason", "a court order")  # withheld whole
    t("documents", "withhold", withheld, "--reason", "take-down notice")
    t("signers", "revoke", "bob", "--reason", "key rotated")
    t("checkpoint")
    site = str(tmp / "site")
    t("publish", site)
    operator_key = next(s["public_key"] for s in t.json("signers", "list")["signers"]
                        if s["role"] == "operator")
    replica = str(tmp / "replica.db")
    t("--db", replica, "clone", site, "--operator-key", operator_key)
    return World(t, replica, site, operator_key, claims, document, withheld, str(folder),
                 files)


# -- the table ---------------------------------------------------------------------------
# command -> how to run it: (arguments, exit code) for the ledger; the replica runs the
# read commands (READ) with the same arguments. An argument builder gets the world.
Row = Callable[[World], list[str]]


def _proof(w: World) -> list[str]:
    path = w.files / "proof.json"
    if not path.exists():
        w.tally("proof", w.claims["bodies"], "-o", str(path))
    return [str(path)]


def _checkpoint_file(w: World) -> str:
    path = w.files / "checkpoint.txt"
    if not path.exists():
        w.tally("checkpoint", "-o", str(path))
    return str(path)


def _first_and_last_checkpoints(w: World) -> list[str]:
    sizes = [c["size"] for c in w.tally.json("checkpoint", "--list")["checkpoints"]]
    return [str(min(sizes)), str(max(sizes))]


READ: dict[str, Row] = {
    "cases list": lambda w: [],
    "claims": lambda w: ["--figure", "izium"],
    "checkpoint": lambda w: ["--list"],
    "consistency": lambda w: _first_and_last_checkpoints(w),
    "discrepancies": lambda w: [],
    "documents list": lambda w: [],
    "documents show": lambda w: [w.document],
    "event": lambda w: ["1"],
    "export": lambda w: ["--format", "jsonld", "-o", str(w.files / "export.jsonld")],
    "figures list": lambda w: [],
    "history": lambda w: [BODIES],
    "keys list": lambda w: [],
    "log": lambda w: ["--limit", "100"],
    "proof": lambda w: [w.claims["other"]],
    "provenance": lambda w: [w.claims["other"]],
    "show": lambda w: [BODIES],
    "signers list": lambda w: [],
    "sources list": lambda w: [],
    "verify": lambda w: ["--operator-key", w.operator_key],
    "verify-proof": lambda w: [*_proof(w), "--checkpoint", _checkpoint_file(w),
                               "--operator-key", w.operator_key],
    "witnesses list": lambda w: [],
    "monitor": lambda w: [w.site, "--operator-key", w.operator_key,
                          "--state", str(w.files / "monitor-state.json")],
    "rebuild": lambda w: [],
    "witness logs": lambda w: ["--dir", w.witness_dir],
}
# where the replica runs a read command otherwise: it follows the site itself
ON_REPLICA: dict[str, Row] = {"monitor": lambda w: [w.site, "--operator-key", w.operator_key]}
# in this order, on the ledger; each leaves it verifiable
WRITE: dict[str, Row] = {
    "keys new": lambda w: ["carol"],
    "signers add": lambda w: ["carol", "--key", "carol"],
    "sources add": lambda w: ["wire", "--name", "Wire", "--kind", "media"],
    "figures define": lambda w: ["izium/graves", "--unit", "graves", "--name", "Graves"],
    "cases define": lambda w: ["kharkiv", "--name", "Kharkiv", "--description", "Another case",
                               "--place", "Kharkiv, Ukraine", "--period", "2022"],
    "witnesses policy": lambda w: ["-o", str(w.files / "policy.txt"), "--quorum", "1"],
    "documents add": lambda w: [str(w.files / "article.txt"), "--key", "carol"],
    "extract": lambda w: [str(w.files / "article.txt"), "--source", "hromadske",
                          "--published", "2022-09-24", "--dry-run"],
    "report": lambda w: ["izium/graves", "445", "--as-of", "2022-09-24", "--source", "wire",
                         "--key", "carol", "--document", w.document, "--quote",
                         "exhumed at the site"],
    "correct": lambda w: [w.claims["other"], "452", "--reason", "typo", "--key", "operator"],
    "retract": lambda w: [w.claims["work"], "--reason", "too early", "--key", "operator"],
    "redact": lambda w: [w.claims["bodies"], "--field", "url", "--reason", "dead link"],
    "documents withhold": lambda w: [w.document, "--reason", "court order"],
    "signers revoke": lambda w: ["carol", "--reason", "left"],
    "witnesses add": lambda w: ["w2", "--url", "http://127.0.0.1:9", "--vkey", w.tally.json(
        "witness", "init", "--name", "w.example/w2", "--dir", str(w.files / "w2"))["vkey"]],
    "witnesses update": lambda w: ["w2", "--url", "http://127.0.0.1:10"],
    "witnesses remove": lambda w: ["w2", "--reason", "never ran"],
    "checkpoint": lambda w: [],
    "export": lambda w: ["-o", str(w.files / "all.jsonl")],
    "publish": lambda w: [w.site],
    "import": lambda w: [str(w.files / "all.jsonl")],
    "rebuild": lambda w: [],
}
# run elsewhere in this module: the fixtures above run them for real
BY_FIXTURE = {"init", "clone", "witness init", "witness add-log", "witness serve"}


def test_the_table_names_every_command() -> None:
    assert set(_tree()) == set(READ) | set(WRITE) | BY_FIXTURE


@pytest.mark.parametrize("command", sorted(READ))
def test_every_read_command_answers_alike_on_the_ledger_and_its_replica(
        world: World, command: str) -> None:
    t = world.tally
    args = READ[command](world)
    on_ledger = t.json(*command.split(), *args)
    if command in ("witness logs", "keys list", "witnesses list"):
        return  # the key folder's and the witness's own answers: no replica involved
    args = ON_REPLICA.get(command, READ[command])(world)
    on_replica = t.json("--db", world.replica, *command.split(), *args)
    if command in ("show", "history", "claims", "discrepancies", "figures list",
                   "sources list", "provenance", "documents show", "event", "cases list"):
        assert on_replica == on_ledger, command


def test_a_rebuild_with_the_workers_help_equals_one_made_here(world: World) -> None:
    """The read-ahead facts and the settling jobs of the workers, on a ledger with every
    kind of event (stubs of a claim withheld whole, redactions, documents, witnesses): the
    same rows as a rebuild in this process, and nothing of the withheld claim."""
    snapshots = []
    with Ledger.open(world.tally.env["TALLY_DB"]) as ledger:
        for workers in (False, True):
            engine = create_engine("sqlite://", poolclass=StaticPool)
            with projected_in_workers() if workers else nullcontext():
                ReadModel(ledger, engine).catch_up(batch_size=7)
            with engine.connect() as conn:
                snapshots.append(snapshot(conn))
            engine.dispose()
    assert snapshots[0] == snapshots[1]
    assert "Olena" not in repr(snapshots[1])


def test_what_the_views_show_is_what_was_signed_and_ordered(world: World) -> None:
    t = world.tally
    for where in ([], ["--db", world.replica]):
        redacted = t.json(*where, "provenance", world.claims["other"])
        assert "451 in all" not in json.dumps(redacted)
        assert redacted["redacted"], where
        shown = t.json(*where, "documents", "show", world.withheld)
        assert NOTICE.strip() not in json.dumps(shown)
        retracted = t.json(*where, "history", CHILDREN)
        assert "retract" in json.dumps(retracted)
        assert "Olena" not in json.dumps(retracted)  # the claim withheld whole
        log = json.dumps(t.json(*where, "log", "--type", "claim", "--limit", "1000"))
        assert "Olena" not in log and "by operator: a court order]" in log


def test_every_write_command_leaves_a_ledger_that_verifies_and_a_replica_that_follows(
        world: World) -> None:
    t = world.tally
    for command, row in WRITE.items():
        out = t.json(*command.split(), *row(world))
        assert isinstance(out, dict), command
        assert t.json("verify")["ok"], command
    followed = t.json("--db", world.replica, "monitor", world.site, "--operator-key",
                      world.operator_key)
    assert followed["size"] == t.json("verify")["events"]
    assert t.json("--db", world.replica, "verify", "--operator-key", world.operator_key)["ok"]
    assert t.json("--db", world.replica, "show", "izium/graves") == t.json("show", "izium/graves")
