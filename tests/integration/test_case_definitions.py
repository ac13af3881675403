"""Cases have a signed definition (issue 28, point 1): `tally cases define ID` with a name,
a description, a place and a period, replayed by the audit, exported and imported, shown by
`show PREFIX` and on the site; the Izium example defines its case."""

from __future__ import annotations

import json
from pathlib import Path

from clirunner import Tally
from factories import FIGURE, IZIUM, cli_ledger

NAME = "Izium burial site"
DESCRIPTION = "The mass burial site in the Pishchanske cemetery forest, found in September 2022."
PLACE = "Izium, Kharkiv region, Ukraine"
PERIOD = "2022-09-16/2025-11-24"
DEFINE = ("cases", "define", "izium", "--name", NAME, "--description", DESCRIPTION,
          "--place", PLACE, "--period", PERIOD)


def _defined(tmp_path: Path, db_url: str | None = None) -> Tally:
    t = cli_ledger(Tally(tmp_path, db_url))
    t(*DEFINE)
    t("report", FIGURE, "447", "--as-of", "2022-09-23", "--source", "hromadske", "--key",
      "alice")
    return t


def test_a_case_is_defined_once_signed_and_listed(tmp_path: Path, db_url: str) -> None:
    t = _defined(tmp_path, db_url)
    (case,) = t.json("cases", "list")["cases"]
    assert (case["id"], case["name"], case["description"], case["place"], case["period"]) == (
        "izium", NAME, DESCRIPTION, PLACE, PERIOD)
    assert t.json(*DEFINE)["status"] == "already recorded"
    refused = t(*DEFINE[:4], "another name", *DEFINE[5:], code=1)
    assert "already defined differently" in refused.stderr
    late = t("cases", "define", "kharkiv", "--name", "x", "--description", "y", "--place", "z",
             "--period", "last autumn", code=1)
    assert "not an EDTF date" in late.stderr
    (event,) = t.json("log", "--type", "case.defined")["events"]
    assert t.json("event", str(event["position"]))["verified"]
    assert t.json("verify")["ok"]


def test_show_of_the_case_names_it(tmp_path: Path) -> None:
    t = _defined(tmp_path)
    assert t.json("show", "izium")["case"]["name"] == NAME
    out = " ".join(t("show", "izium").stdout.split())
    assert NAME in out and PLACE in out, out


def test_the_case_is_exported_imported_and_on_the_site(tmp_path: Path) -> None:
    t = _defined(tmp_path)
    t("export", "-o", str(tmp_path / "out.jsonl"))
    lines = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    (line,) = [x for x in lines if x["type"] == "case"]
    assert (line["id"], line["name"], line["period"]) == ("izium", NAME, PERIOD)
    (tmp_path / "again").mkdir()
    again = Tally(tmp_path / "again")
    again.env["TALLY_HOME"] = t.env["TALLY_HOME"]
    again("init", "--name", "test.example/izium")
    again("import", str(tmp_path / "out.jsonl"))
    assert again.json("cases", "list") == t.json("cases", "list")
    t("publish", str(tmp_path / "site"))
    index = (tmp_path / "site" / "index.html").read_text()
    assert NAME in index and PLACE in index


def test_the_izium_demo_defines_its_case() -> None:
    """The demo defines the case after importing the example (the example file keeps its
    83 events, which other tests count on)."""
    demo = (IZIUM.parent / "demo.sh").read_text()
    define = demo[demo.index("tally cases define izium"):]
    for option in ("--name", "--description", "--place", "--period"):
        assert option in define.split("\n\n")[0], option


def test_the_cases_table_is_rebuilt_and_compared(tmp_path: Path, db_url: str) -> None:
    """A rebuild reproduces it, and an insider's edit of it makes `verify` fail."""
    from sqlalchemy import create_engine, text

    from tally.ledger.infra.storage import resolve

    t = _defined(tmp_path, db_url)
    t("rebuild")
    assert t.json("cases", "list")["cases"][0]["name"] == NAME
    engine = create_engine(resolve(db_url).url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE tally_view_cases SET name = 'Somewhere else'"))
    engine.dispose()
    assert not t.json("verify", code=1)["ok"]
