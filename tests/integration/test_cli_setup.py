"""Set-up and input checks of the CLI, as a new user meets them: every refusal is one
sentence a person can act on (a did-you-mean where a name was mistyped), and a refused
command leaves nothing behind."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from clirunner import Tally
from factories import BODIES, cli_ledger


@pytest.fixture
def tally(tmp_path: Path) -> Tally:
    return cli_ledger(Tally(tmp_path), "example.org/setup", sources=("suspilne", "izium-cma"),
                      figures={BODIES: ("--unit", "bodies")})


def _error(tally: Tally, *args: str) -> str:
    return str(tally.json(*args, code=1)["error"])


REPORT = ["report", "izium/bodies", "447", "--as-of", "2022-09-23", "--key", "alice"]


def test_mistyped_names_get_a_did_you_mean(tally: Tally) -> None:
    assert "did you mean 'suspilne'?" in _error(tally, *REPORT, "--source", "suspilnee")
    assert "via 'izium-cmaa' is not a registered source; did you mean 'izium-cma'?" in _error(
        tally, *REPORT, "--source", "suspilne", "--via", "izium-cmaa")
    assert "no key named 'alicee'" in (error := _error(
        tally, "report", "izium/bodies", "1", "--as-of", "2022", "--source", "suspilne",
        "--key", "alicee")) and "did you mean 'alice'?" in error
    assert "signer 'alicee' is not registered" in _error(tally, "signers", "revoke", "alicee")
    assert "did you mean 'izium/bodies'?" in _error(tally, "show", "izium/bodie")


def test_via_takes_repeats_and_commas_but_not_the_source_itself(tally: Tally) -> None:
    tally("sources", "add", "hromadske", "--name", "Hromadske", "--kind", "media")
    made = tally.json(*REPORT, "--source", "suspilne", "--via", "izium-cma,hromadske")
    assert tally.json("provenance", made["id"])["via"][1]["id"] == "hromadske"
    again = tally.json(*REPORT, "--source", "suspilne", "--via", "izium-cma", "--via",
                       "hromadske")
    assert again["id"] == made["id"] and again["status"] == "already recorded"
    assert "names the source suspilne itself" in _error(
        tally, *REPORT, "--source", "suspilne", "--via", "suspilne")
    assert "more than once" in _error(
        tally, *REPORT, "--source", "suspilne", "--via", "izium-cma,izium-cma")


@pytest.mark.parametrize("url", ["ftp://example.org/a", "example.org/a", "/news/1", "https://"])
def test_url_must_be_absolute_http(tally: Tally, url: str) -> None:
    error = _error(tally, *REPORT, "--source", "suspilne", "--url", url)
    assert error == "url must be an absolute http or https URL, e.g. https://example.org/news/1"


def test_source_key_id_must_be_a_registered_signer(tally: Tally) -> None:
    error = _error(tally, "sources", "add", "mod", "--name", "MoD", "--kind", "official",
                   "--key-id", "0123456789abcdef")
    assert "signer '0123456789abcdef' is not registered" in error
    alice = tally.json("signers", "list")["signers"][1]["key_id"]
    assert tally.json("sources", "add", "mod", "--name", "MoD", "--kind", "official",
                      "--key-id", alice)["status"] == "recorded"


@pytest.mark.parametrize(("args", "expected"), [
    (["sources", "add", "Suspilne", "--name", "S", "--kind", "media"],
     "id must be lowercase letters, digits, '.', '_' or '-'"),
    (["sources", "add", "s2", "--name", "S", "--kind", "press"],
     "kind must be one of official, media, ngo, individual, academic or other"),
    (["figures", "define", "Izium/X"], "id must be lowercase letters"),
    (["figures", "define", "x", "--tolerance", "5%"], "tolerance must be a fraction from 0 to 1"),
    (["sources", "add", "s3", "--name", "S", "--kind", "media", "--key-id", "alice"],
     "key_id must be a key id, 16 hex digits"),
])
def test_refusals_are_written_for_people(tally: Tally, args: list[str], expected: str) -> None:
    error = _error(tally, *args)
    assert error.startswith(expected), error
    assert "pattern" not in error and "String should" not in error


def test_claim_ids_take_one_prefix_rule_everywhere(tally: Tally) -> None:
    claim = tally.json(*REPORT, "--source", "suspilne")["id"]
    tally("checkpoint")
    for command in (["provenance"], ["proof"], ["correct", "CLAIM", "449", "--reason", "r",
                                                   "--key", "alice"],
                    ["retract", "CLAIM", "--reason", "r", "--key", "alice"]):
        def run(ref: str, command: list[str] = command) -> str:
            args = [ref if a == "CLAIM" else a for a in command]
            return _error(tally, *(args if "CLAIM" in command else [*args, ref]))
        assert "too short: give at least 4 hex digits" in run("abc"), command
        assert "is not a claim id" in run("xyz1"), command
    assert tally.json("provenance", claim[:4].upper())["claim_id"] == claim


def test_an_import_names_every_bad_line_and_writes_nothing(tally: Tally) -> None:
    good = {"type": "report", "figure": "izium/bodies", "value": "447", "as_of": "2022-09-23",
            "source": "suspilne"}
    lines = [good, {**good, "source": "nobody"}, {**good, "value": "lots"}, good,
             {"type": "claim"}, *([{**good, "as_of": "someday"}] * 30)]
    path = tally.tmp / "bad.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    before = tally.json("export", "-o", str(tally.tmp / "before.jsonl"))["lines"]
    refused = tally.json("import", str(path), "--key", "alice", code=1)
    assert refused["line"] == 2
    numbers = [p["line"] for p in refused["lines"]]
    assert numbers[:3] == [2, 3, 5] and len(numbers) == 20  # stops at 20
    assert refused["error"].startswith("20 lines are refused and nothing was imported: line 2:")
    assert tally.json("export", "-o", str(tally.tmp / "after.jsonl"))["lines"] == before


def test_a_failed_init_leaves_no_files(tmp_path: Path) -> None:
    t = Tally(tmp_path, db=str(tmp_path / "missing" / "t.db"))
    error = t.json("init", "--name", "example.org/x", code=1)["error"]
    assert "the folder" in error and "does not exist" in error
    assert not (tmp_path / "home").exists() and not (tmp_path / "missing").exists()
    refused = Tally(tmp_path, db=str(tmp_path / "t.db"))
    assert "must not contain spaces" in refused.json("init", "--name", "example org", code=1)[
        "error"]
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_missing_folder_is_named_for_every_command(tmp_path: Path) -> None:
    t = Tally(tmp_path, db=str(tmp_path / "nowhere" / "t.db"))
    assert "the folder" in t.json("sources", "list", code=1)["error"]


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server on 127.0.0.1 that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(5)
    for conn in held:
        conn.close()
    server.close()


def test_an_unreachable_postgresql_fails_within_5_seconds(tmp_path: Path,
                                                          silent_server: int) -> None:
    t = Tally(tmp_path, db=f"postgresql+psycopg://tally@127.0.0.1:{silent_server}/tally")
    started = time.monotonic()
    answer: Any = t.json("sources", "list", code=1)
    assert time.monotonic() - started < 15  # 5 s per attempt; libpq's default is forever
    assert "cannot be read" in answer["error"] or "timeout" in answer["error"]


def test_a_figure_that_counts_refuses_fractions(tally: Tally) -> None:
    tally("figures", "define", "izium/graves", "--unit", "graves", "--integer")
    report = ["report", "izium/graves", "--as-of", "2022-09-23", "--source", "suspilne",
              "--key", "alice"]
    error = _error(tally, *report[:2], "2.5", *report[2:])
    assert error == ("figure 'izium/graves' counts things (defined with --integer): '2.5' "
                     "must use whole numbers")
    for value in ("447", "440..451", "~450", ">=440"):
        assert tally.json(*report[:2], value, *report[2:])["status"] == "recorded"
    claim = tally.json("history", "izium/graves")["entries"][0]["claim_id"]
    assert "whole numbers" in _error(tally, "correct", claim, "447.5", "--reason", "r",
                                     "--key", "alice")
    # the figures that do not count things take fractions as before
    assert tally.json(*report[:1], "izium/bodies", "2.5", *report[2:])["status"] == "recorded"


def test_figures_list_says_which_figures_count_things(tally: Tally) -> None:
    """`figures list` shows `integer` (defined with --integer), in JSON and in its table."""
    tally("figures", "define", "izium/graves", "--unit", "graves", "--integer")
    listed = {f["id"]: f["integer"] for f in tally.json("figures", "list", "izium")["figures"]}
    assert listed == {"izium/graves": True, "izium/bodies": False}
    lines = tally("figures", "list", "izium").stdout.splitlines()
    names = [c.strip() for c in next(line for line in lines if "cumulative" in line)
             .split("┃")[1:-1]]
    rows = [dict(zip(names, (c.strip() for c in line.split("│")[1:-1]), strict=True))
            for line in lines if "izium/" in line]
    assert {row["id"]: row["integer"] for row in rows} == {"izium/graves": "yes",
                                                            "izium/bodies": "no"}
