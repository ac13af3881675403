"""A small ledger with every kind of value, a correction, a retraction and hostile text, and
its site: `html_pages` written to a folder beside the proof files `tally proof` makes (what
`tally publish` writes next to the pages). `write_site` stands in for the publisher in
these tests, and writes only what the HTML pages link to.

Each test module makes its `published` fixture with `published_site(tmp_path_factory)`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tally.ledger.application import Ledger
from tally.ledger.infra.keystore import KeyStore
from tally.ledger.model.inputs import (
    CorrectionRecord,
    FigureRecord,
    ReportRecord,
    RetractionRecord,
    SourceRecord,
)
from tally.projections.publish.site import html_pages
from tally.projections.publish.site.paths import CHECKPOINT, LOG_INFO, checkpoint_file, claim_page
from tally.projections.readmodel import ReadModel

NOW = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)
BODIES, EXHUMATION, GRAVES = "izium/bodies", "izium/exhumation", "kharkiv/region/graves"
HOSTILE_NAME = '<script>alert("name")</script> Reuters & "Co"'
HOSTILE_QUOTE = ("said <img src=x onerror=alert(1)> \u202egnp.exe\u202c and\u200bhidden "
                 "</blockquote>")
EVIL_URL = "javascript:alert(document.domain)"
GOOD_URL = "https://news.example/izium?a=1&b=<2>"

# label -> (figure, value, as_of, source); values of every kind, in one month of 2022
REPORTS = {
    "exact": (BODIES, "447", "2022-09-23", "hromadske"),
    "at_least": (BODIES, ">=440", "2022-09", "suspilne"),
    "more_than": (BODIES, ">440", "2022-09-16", "izium-cma"),
    "at_most": (BODIES, "<=460", "2022-10", "suspilne"),
    "fewer_than": (BODIES, "<470", "2022-10-02", "hromadske"),
    "about": (BODIES, "~450", "2022-09-20", "izium-cma"),
    "range": (BODIES, "440..451", "2022-09-16/2022-09-23", "hromadske"),
    "corrected": (BODIES, "451", "2022-09-25", "suspilne"),
    "retracted": (BODIES, "500", "2022-09-26", "izium-cma"),
    "hostile": (BODIES, "449", "2022-10-05", "evil"),
    "status": (EXHUMATION, "completed", "2022-09-23", "izium-cma"),
    "status-early": (EXHUMATION, "in-progress", "2022-09-16", "hromadske"),
    "graves": (GRAVES, "445", "2022-09", "suspilne"),
}


@dataclass
class Published:
    directory: Path
    ledger: Ledger
    model: ReadModel
    claims: dict[str, str]  # label (REPORTS) -> claim id
    note: str  # the site's checkpoint
    operator_key: str


def write_site(model: ReadModel, note: str, directory: Path, **options: object) -> list[str]:
    """`html_pages` into `directory`, with the files its pages link to that the publisher
    writes: each claim's proof (JSON and tlog-proof) against its first covering checkpoint,
    the checkpoints, a `log.json`, and the JSON lists. Returns the paths html_pages gave."""
    written = []
    for path, data in html_pages(model, note, None, None, **options):  # type: ignore[arg-type]
        target = directory / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(path)
    ledger = model.ledger
    for path in written:
        if path.startswith("claims/"):
            claim = path.removeprefix("claims/").removesuffix(".html")
            proof = ledger.inclusion_proof(claim, model.provenance(claim).checkpoint)
            (directory / claim_page(claim, ".json")).write_text(proof.model_dump_json())
            (directory / claim_page(claim, ".tlog-proof")).write_text(
                proof.tlog_text())
        elif path.startswith("figures/"):
            (directory / path.removesuffix(".html")).with_suffix(".json").write_text("{}")
    for size, stored, _ in ledger.log.checkpoints():
        (directory / checkpoint_file(size)).parent.mkdir(exist_ok=True)
        (directory / checkpoint_file(size)).write_text(stored)
    (directory / CHECKPOINT).write_text(note)
    (directory / LOG_INFO).write_text(json.dumps({"origin": ledger.info().origin}))
    for name in ("discrepancies.json", "sources.json"):
        (directory / name).write_text("{}")
    return written


def build(directory: Path) -> Published:
    """The ledger of REPORTS, checkpointed twice (so claims have different covering
    checkpoints), and its site in `directory / "site"`."""
    keys = KeyStore(directory / "home")
    operator, alice = keys.create("operator"), keys.create("alice")
    ledger = Ledger.open(str(directory / "site.db"), create=True, clock=lambda: NOW)
    model = ReadModel(ledger).attach()
    ledger.init("example.org/izium", operator)
    ledger.add_signer("alice", alice.public_key, operator)
    for registered in (SourceRecord(id="hromadske", name="Hromadske", kind="media"),
                   SourceRecord(id="suspilne", name="Suspilne", kind="media"),
                   SourceRecord(id="izium-cma", name="Izium City Military Administration",
                                kind="official"),
                   SourceRecord(id="evil", name=HOSTILE_NAME, kind="other")):
        ledger.add_source(registered, operator)
    ledger.define_figure(FigureRecord(id=BODIES, unit="bodies", cumulative=True), operator)
    ledger.define_figure(FigureRecord(id=EXHUMATION, kind="status", unit="state",
                                      states=["planned", "in-progress", "completed"]), operator)
    ledger.define_figure(FigureRecord(id=GRAVES, unit="graves"), operator)
    claims = {}
    for number, (label, (figure, value, as_of, source)) in enumerate(REPORTS.items()):
        hostile = label == "hostile"
        record = ReportRecord(
            figure=figure, value=value, as_of=as_of, source=source,
            via=["suspilne"] if label == "exact" else [],
            url=GOOD_URL if label == "exact" else None,
            quote=HOSTILE_QUOTE if hostile else f"report number {number}: {value}")
        if hostile:  # `report` refuses it now, but a signed statement may hold it (an older
            # ledger, another tool): the site must show it harmlessly
            record = record.model_copy(update={"url": EVIL_URL})
        claims[label] = ledger.report(record, alice).id
        if label == "range":
            ledger.checkpoint(operator)  # the claims so far are covered by an earlier one
    ledger.correct(CorrectionRecord(claim=claims["corrected"], value="449",
                                    reason="a <b>typo</b> in the first report"), alice)
    ledger.retract(RetractionRecord(claim=claims["retracted"], reason="wrong figure"), alice)
    size, note = ledger.checkpoint(operator)
    assert size == ledger.log.size()
    site = directory / "site"
    write_site(model, note, site)
    return Published(site, ledger, model, claims, note, ledger.info().operator_public_key)


def published_site(factory: pytest.TempPathFactory) -> Iterator[Published]:
    """The body of a module's `published` fixture: the site of `build`, closed after."""
    built = build(factory.mktemp("site"))
    yield built
    built.ledger.close()


def page(site: Published, path: str) -> str:
    """A written page's text."""
    return (site.directory / path).read_text(encoding="utf-8")
