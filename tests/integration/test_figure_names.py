"""Figures have names (issue 28, point 1): an optional, signed `name` and `description` on
a figure's definition (format v1, additive: a figure without them has the body it had),
listed, shown with the id beside them, exported and imported, and the Izium example names
every figure."""

from __future__ import annotations

import json
from pathlib import Path

from clirunner import Tally
from factories import FIGURE, IZIUM, cli_ledger

NAME = "Bodies exhumed at the Izium burial site"
DESCRIPTION = "Bodies exhumed in the Pishchanske cemetery forest from 16 September 2022."


def _named(tmp_path: Path) -> Tally:
    t = cli_ledger(Tally(tmp_path), figures={"izium/burial-site/graves": ("--unit", "graves")})
    t("figures", "define", FIGURE, "--unit", "bodies", "--name", NAME,
      "--description", DESCRIPTION)
    t("report", FIGURE, "447", "--as-of", "2022-09-23", "--source", "hromadske", "--key",
      "alice")
    return t


def test_a_figure_is_defined_with_a_signed_name_and_description(tmp_path: Path) -> None:
    t = _named(tmp_path)
    figures = {f["id"]: f for f in t.json("figures", "list")["figures"]}
    assert (figures[FIGURE]["name"], figures[FIGURE]["description"]) == (NAME, DESCRIPTION)
    assert figures["izium/burial-site/graves"]["name"] is None
    bodies = [t.json("event", str(e["position"]))["statement"]
              for e in t.json("log", "--type", "figure.defined")["events"]]
    named = next(b for b in bodies if b["id"] == FIGURE)
    assert (named["name"], named["description"]) == (NAME, DESCRIPTION)
    bare = next(b for b in bodies if b["id"] != FIGURE)
    assert "name" not in bare and "description" not in bare  # the body as before


def test_show_and_history_name_the_figure_beside_its_id(tmp_path: Path) -> None:
    t = _named(tmp_path)
    for command in ("show", "history"):
        out = " ".join(t(command, FIGURE).stdout.split())
        assert NAME in out and FIGURE in out, (command, out)


def test_exports_carry_the_name_and_the_import_keeps_it(tmp_path: Path) -> None:
    t = _named(tmp_path)
    t("export", "-o", str(tmp_path / "out.jsonl"))
    lines = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    (line,) = [x for x in lines if x["type"] == "figure" and x["id"] == FIGURE]
    assert (line["name"], line["description"]) == (NAME, DESCRIPTION)
    csv = t("export", "--format", "csv").stdout
    assert NAME in csv and FIGURE in csv
    (tmp_path / "again").mkdir()
    again = Tally(tmp_path / "again")
    again.env["TALLY_HOME"] = t.env["TALLY_HOME"]
    again("init", "--name", "test.example/izium")
    again("import", str(tmp_path / "out.jsonl"))
    (figure,) = [f for f in again.json("figures", "list")["figures"] if f["id"] == FIGURE]
    assert figure["name"] == NAME


def test_the_izium_example_names_every_figure() -> None:
    figures = [json.loads(x) for x in IZIUM.read_text().splitlines()
               if json.loads(x)["type"] == "figure"]
    assert figures and all(f.get("name") for f in figures), [
        f["id"] for f in figures if not f.get("name")]


def test_the_site_shows_the_name_with_the_id_beside_it(tmp_path: Path) -> None:
    t = _named(tmp_path)
    t("publish", str(tmp_path / "site"))
    page = (tmp_path / "site" / "figures" / f"{FIGURE}.html").read_text()
    assert f'{NAME} <small class="muted figure-id">{FIGURE}</small>' in page
    assert DESCRIPTION in page
    index = (tmp_path / "site" / "index.html").read_text()
    assert NAME in index


def test_the_interop_exports_carry_the_name_and_the_id(tmp_path: Path) -> None:
    t = _named(tmp_path)
    t("checkpoint")
    t("export", "--format", "jsonld", "-o", str(tmp_path / "out.jsonld"))
    graph = json.loads((tmp_path / "out.jsonld").read_text())
    (variable,) = [v for v in graph["variableMeasured"] if v["identifier"] == FIGURE]
    assert (variable["name"], variable["description"]) == (NAME, DESCRIPTION)
    t("export", "--format", "datapackage", "-o", str(tmp_path / "package"))
    figures = (tmp_path / "package" / "figures.csv").read_text()
    assert f"{FIGURE}," in figures and NAME in figures


def test_provenance_names_the_figure(tmp_path: Path) -> None:
    t = _named(tmp_path)
    (claim,) = t.json("claims", "--figure", FIGURE)["claims"]
    assert t.json("provenance", claim["claim_id"])["figure_name"] == NAME
    out = " ".join(t("provenance", claim["claim_id"]).stdout.split())
    assert NAME in out and FIGURE in out, out


def test_discrepancies_name_the_figure(tmp_path: Path) -> None:
    t = _named(tmp_path)
    t("report", FIGURE, "451", "--as-of", "2022-09-23", "--source", "hromadske", "--key",
      "alice")
    out = " ".join(t("discrepancies").stdout.split())
    assert f"{NAME} ({FIGURE})" in out, out
