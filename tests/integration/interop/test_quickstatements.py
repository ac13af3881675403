"""The QuickStatements export, read by a parser written here from the grammar that
docs/interop.md documents (QuickStatements version 1 commands; bounds in the 3.0 form):
every line parses, and gives its claim back; what it cannot say is a warning naming
the claim, never a guess."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
from budgets import examples
from clirunner import Tally
from hypothesis import HealthCheck, given, settings
from interop_ledgers import Expected, expected, ledgers, small_ledger

from tally.ledger.errors import ExportError
from tally.projections.interop.mapping import gather
from tally.projections.interop.quickstatements import commands
from tally.projections.interop.wikidata_map import WikidataMap, read_map

from .conftest import Izium

SANDBOX = "Q4115189"  # the Wikidata sandbox item
NUMBER = r"-?\d+(?:\.\d+)?"
VALUE = re.compile(rf"^(?:(?P<amount>{NUMBER})(?:~(?P<tolerance>{NUMBER}))?"
                   rf"|\[(?P<low>{NUMBER}),(?P<high>{NUMBER})\])(?:U(?P<unit>\d+))?$")
TIME = re.compile(r"^\+(\d{4})-(\d{2})-(\d{2})T00:00:00Z/(9|10|11)$")
STRING = re.compile(r'^"([^"\t\n]*)"$')
MONOLINGUAL = re.compile(r'^([a-z]{2,3}(?:-[a-z0-9]+)*):"([^"\t\n]*)"$')
SUMMARY = re.compile(r"^/\* Tally claim (?P<claim>[0-9a-f]{32}) leaf (?P<leaf>\d+) "
                     r"(?P<hash>[0-9a-f]{64}) checkpoint (?P<checkpoint>\d+) source "
                     r"(?P<source>\S+) signature (?P<signature>[0-9a-f]{128}) "
                     r"(?P<permalink>\S+) \*/$")
WIKIDATA_MAP = {"figures": {"izium": {"item": SANDBOX, "property": "P1114", "language": "en"},
                            "site": {"item": SANDBOX, "property": "P1114"}}}


def parse_line(line: str) -> dict[str, Any]:
    """One command: ITEM TAB !PROP TAB VALUE (TAB Pn TAB V)* (TAB Sn TAB V)* TAB SUMMARY."""
    cells = line.split("\t")
    assert re.fullmatch(r"Q\d+", cells[0]) and re.fullmatch(r"!P\d+", cells[1]), line
    value = VALUE.fullmatch(cells[2])
    assert value is not None, cells[2]
    summary = SUMMARY.fullmatch(cells[-1])
    assert summary is not None, cells[-1]
    pairs = cells[3:-1]
    assert len(pairs) % 2 == 0
    qualifiers: list[tuple[str, str]] = []
    references: dict[str, str] = {}
    for name, text in zip(pairs[::2], pairs[1::2], strict=True):
        assert re.fullmatch(r"[PS]\d+", name), name
        assert TIME.fullmatch(text) or STRING.fullmatch(text) or MONOLINGUAL.fullmatch(text) \
            or re.fullmatch(r"Q\d+", text), text
        if name.startswith("S"):
            references[name] = text
        else:
            qualifiers.append((name, text))
    return {"item": cells[0], "property": cells[1][1:], "value": value.groupdict(),
            "qualifiers": qualifiers, "references": references, **summary.groupdict()}


def _written(value: dict[str, str | None]) -> str:
    if value["low"] is not None:
        return f"{value['low']}..{value['high']}"
    return f"~{value['amount']}" if value["tolerance"] else str(value["amount"])


def _edtf(time: str) -> str:
    match = TIME.fullmatch(time)
    assert match is not None
    year, month, day, precision = match.groups()
    return {"9": year, "10": f"{year}-{month}", "11": f"{year}-{month}-{day}"}[precision]


def _as_of(qualifiers: list[tuple[str, str]]) -> str:
    found = dict(qualifiers)
    marks = {q for p, q in qualifiers if p == "P1480"}
    mark = {frozenset(): "", frozenset({"Q18122778"}): "?", frozenset({"Q5727902"}): "~",
            frozenset({"Q18122778", "Q5727902"}): "%"}[frozenset(marks)]
    if "P580" in found:
        return f"{_edtf(found['P580'])}/{_edtf(found['P582'])}"
    return _edtf(found["P585"]) + mark


def read_back(text: str) -> dict[str, Expected]:
    found: dict[str, Expected] = {}
    for line in text.splitlines():
        s = parse_line(line)
        refs = s["references"]
        url = STRING.fullmatch(refs["S854"]) if "S854" in refs else None
        quote = MONOLINGUAL.fullmatch(refs["S1683"]) if "S1683" in refs else None
        found[s["claim"]] = Expected(
            value=_written(s["value"]), as_of=_as_of(s["qualifiers"]),
            published=_edtf(refs["S577"]) if "S577" in refs else None, source=s["source"],
            url=url.group(1) if url else None, quote=quote.group(2) if quote else None,
            signature=s["signature"], leaf_index=int(s["leaf"]), leaf_hash=s["hash"])
    return found


def exported(ledger: Any, views: Any, mapping: WikidataMap) -> tuple[str, list[str]]:
    lines, warnings = commands(gather(ledger, views), mapping)
    return "".join(line + "\n" for line in lines), warnings


def assert_each_claim_back_or_warned(ledger: Any, views: Any, text: str,
                                     warnings: list[str]) -> None:
    """A claim with a line comes back unchanged (less a field a warning names as left
    out); a claim without one is named by a warning."""
    back, held = read_back(text), expected(ledger, views)
    for claim, truth in held.items():
        if claim not in back:
            assert any(w.startswith(f"claim {claim}") for w in warnings), claim
            continue
        said = " ".join(warnings)
        left_out = {field: None for field, warning in (("quote", "its quote holds"),
                                                       ("published", "its publication date"))
                    if f"claim {claim}: {warning}" in said}
        assert back[claim] == dataclasses.replace(truth, **left_out)


def test_the_izium_statements_parse_and_give_their_claims_back(izium: Izium) -> None:
    text, warnings = exported(izium.ledger, izium.views, WikidataMap.model_validate(
        WIKIDATA_MAP))
    lines = text.splitlines()
    assert 10 < len(lines) < 41  # open bounds and states have no statement
    assert all(parse_line(line)["item"] == SANDBOX for line in lines)
    assert_each_claim_back_or_warned(izium.ledger, izium.views, text, warnings)
    approx = next(parse_line(x) for x in lines if "~" in x.split("\t")[2])
    assert approx["value"]["tolerance"] == "22.5" and approx["value"]["amount"] == "450"
    assert any("cannot express the value '>=440'" in w for w in warnings)


def test_uncertain_dates_keep_their_precision_and_say_so(izium: Izium) -> None:
    text, _ = exported(izium.ledger, izium.views, WikidataMap.model_validate(WIKIDATA_MAP))
    gwara = next(parse_line(x) for x in text.splitlines() if "\t451\t" in x)
    assert ("P585", "+2022-09-00T00:00:00Z/10") in gwara["qualifiers"]
    assert ("P1480", "Q18122778") in gwara["qualifiers"]
    assert gwara["property"] == "P1114"


def test_an_unmapped_figure_is_refused_not_guessed(izium: Izium, tmp_path: Path) -> None:
    only = WikidataMap.model_validate({"figures": {"izium/burial-site/graves": {
        "item": SANDBOX, "property": "P1114"}}})
    with pytest.raises(ExportError, match="maps no prefix of izium/burial-site/"):
        commands(gather(izium.ledger, izium.views), only)
    path = tmp_path / "map.json"
    path.write_text('{"figures": {"izium": {"item": "Q1", "property": "X"}}}')
    with pytest.raises(ExportError, match=r"refused at figures\.izium\.property"):
        read_map(path)


def test_the_command_reads_the_map_and_warns(izium: Izium, tmp_path: Path) -> None:
    path = tmp_path / "map.json"
    path.write_text(json.dumps(WIKIDATA_MAP))
    tally = Tally(tmp_path, db=str(izium.db))
    answer = tally.json("export", "--format", "quickstatements", "--map", str(path),
                        "-o", str(tmp_path / "qs.txt"))
    assert answer["claims"] == len((tmp_path / "qs.txt").read_text().splitlines())
    assert answer["warnings"]
    refused = tally("export", "--format", "quickstatements", code=1)
    assert "needs --map FILE" in refused.output


@settings(max_examples=examples(10), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(ledgers)
def test_every_claim_comes_back_or_is_named_from_a_random_ledger(script: Any) -> None:
    with small_ledger(script) as (ledger, views, _):
        text, warnings = exported(ledger, views, WikidataMap.model_validate(WIKIDATA_MAP))
        assert_each_claim_back_or_warned(ledger, views, text, warnings)
