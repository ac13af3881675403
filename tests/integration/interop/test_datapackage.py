"""The Frictionless Data Package export, read by its real consumer: `frictionless`
validates it (types, required cells, primary and foreign keys), and its claims.csv gives
each claim back, one row per claim version."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import frictionless
from budgets import examples
from clirunner import Tally
from hypothesis import HealthCheck, given, settings
from interop_ledgers import Expected, assert_round_trip, ledgers, small_ledger

from tally.projections.interop.datapackage import write_package
from tally.projections.interop.mapping import gather

from .conftest import Izium


def validated(folder: Path) -> list[dict[str, Any]]:
    """frictionless' verdict on the package; its rows of claims.csv when it is valid."""
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "message"])
    with (folder / "claims.csv").open(encoding="utf-8", newline="") as rows:
        return list(csv.DictReader(rows))


def read_back(rows: list[dict[str, Any]]) -> dict[str, Expected]:
    """Each claim from its rows: the value in force is the last version's that has one."""
    found: dict[str, Expected] = {}
    for row in sorted(rows, key=lambda r: (r["claim_id"], int(r["version"]))):
        first = row["version"] == "1"
        held = found.get(row["claim_id"])
        value = row["value"] or (held.value if held else "")
        if first:
            found[row["claim_id"]] = Expected(
                value=value, as_of=row["as_of"], published=row["published"] or None,
                source=row["source"], url=row["url"] or None, quote=row["quote"] or None,
                signature=row["signature"], leaf_index=int(row["leaf_index"]),
                leaf_hash=row["leaf_hash"])
        elif held is not None:
            found[row["claim_id"]] = Expected(**{**held.__dict__, "value": value})
    return found


def test_the_izium_package_validates_and_gives_every_claim_back(izium: Izium,
                                                               tmp_path: Path) -> None:
    write_package(gather(izium.ledger, izium.views), tmp_path / "pkg")
    rows = validated(tmp_path / "pkg")
    assert len(rows) == 41
    assert_round_trip(izium.ledger, izium.views, read_back(rows))
    metadata = json.loads((tmp_path / "pkg" / "claims.csv-metadata.json").read_text())
    header = (tmp_path / "pkg" / "claims.csv").read_text().splitlines()[0].split(",")
    assert [c["name"] for c in metadata["tableSchema"]["columns"]] == header
    terms = {c["name"]: c.get("propertyUrl") for c in metadata["tableSchema"]["columns"]}
    assert terms["value"] == "http://schema.org/value"
    assert terms["url"] == "http://www.w3.org/ns/prov#hadPrimarySource"


def test_a_row_naming_an_unknown_figure_breaks_the_foreign_key(izium: Izium,
                                                               tmp_path: Path) -> None:
    folder = tmp_path / "pkg"
    write_package(gather(izium.ledger, izium.views), folder)
    claims = folder / "claims.csv"
    claims.write_text(claims.read_text().replace("izium/burial-site/graves,",
                                                 "izium/nowhere,", 1))
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert not report.valid
    assert "foreign-key" in {e[0] for e in report.flatten(["type"])}


def test_the_command_needs_a_folder(izium: Izium, tmp_path: Path) -> None:
    tally = Tally(tmp_path, db=str(izium.db))
    answer = tally.json("export", "--format", "datapackage", "-o", str(tmp_path / "out"))
    assert (answer["claims"], answer["files"]) == (41, 5)
    assert len(validated(tmp_path / "out")) == 41
    refused = tally("export", "--format", "datapackage", code=1)
    assert "-o DIR" in refused.output


@settings(max_examples=examples(10), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(ledgers)
def test_every_claim_comes_back_from_a_random_ledger(script: Any) -> None:
    with small_ledger(script) as (ledger, views, _), TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_package(gather(ledger, views), folder)
        assert_round_trip(ledger, views, read_back(validated(folder)))

