"""What `tally publish` adds to a site from the interop formats: the JSON-LD and the data
package under `exports/`, a credential a claim under `exports/credentials/` (when the
operator key is at hand), and the Atom feed `feed.atom`; and the JSON-LD a claim or figure
page embeds.

A claim's credential is made only when its page is (a new, corrected or retracted claim,
or every claim on a full publish), dated when the checkpoint that covers it was signed, so
publishing the same head twice writes the same bytes and a publish of a few new claims
signs a few credentials, not one a claim of the ledger."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cached_property
from typing import Any

from tally.ledger.errors import ExportError
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.model.moments import iso_utc
from tally.projections.interop import jsonld
from tally.projections.interop.atom_feed import feed
from tally.projections.interop.datapackage import package_files
from tally.projections.interop.mapping import ClaimRecord, FigureRecord, Record, gather
from tally.projections.readmodel import ReadModel

EXPORTS = "exports/"


def _json(document: Any) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def credential_path(claim_id: str) -> str:
    return f"{EXPORTS}credentials/{claim_id}.json"


def site_exports(record: Record, model: ReadModel, operator: KeyPair | None,
                 claims: set[str] | None) -> Iterator[tuple[str, bytes]]:
    """(path in the site, bytes) of each export file and of the feed; credentials only
    for `claims` (None: every claim)."""
    yield EXPORTS + "claims.jsonld", _json(jsonld.dataset(record))
    for name, data in package_files(record).items():
        yield f"{EXPORTS}datapackage/{name}", data
    if operator is not None:
        from tally.projections.interop.credentials import credential

        signed_at = {size: when for size, _, when in model.ledger.log.checkpoints()}
        for claim in record.claims:
            if claims is None or claim.id in claims:
                created = iso_utc(signed_at[claim.log.checkpoint], "seconds")
                yield credential_path(claim.id), _json(
                    credential(claim, model.ledger, operator, created))
    yield "feed.atom", feed(record)


def script_json(document: dict[str, Any]) -> str:
    """JSON safe inside an HTML `<script>` element: no `<`, `>` or `&` in it as such, and
    ASCII only, so no hidden character (a bidi mark) is written as itself in a page."""
    text = json.dumps(document, ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class EmbeddedJsonLd:
    """The JSON-LD of each claim and figure page, from one record of the whole site."""

    def __init__(self, model: ReadModel, base_url: str | None) -> None:
        self.model, self.base_url = model, base_url

    @cached_property
    def record(self) -> Record | None:
        """None while a claim is past the last checkpoint (a publish never is): its page
        then embeds nothing rather than a claim no checkpoint covers."""
        try:
            return gather(self.model.ledger, self.model, base_url=self.base_url)
        except ExportError:
            return None

    @cached_property
    def _claims(self) -> dict[str, ClaimRecord]:
        return {c.id: c for c in self.record.claims} if self.record else {}

    @cached_property
    def _figures(self) -> dict[str, FigureRecord]:
        return {f.id: f for f in self.record.figures} if self.record else {}

    def claim(self, claim_id: str) -> str | None:
        claim, record = self._claims.get(claim_id), self.record
        if claim is None or record is None:
            return None
        node = jsonld.claim_node(claim, self._figures[claim.figure], record.base_url)
        return script_json({"@context": jsonld.CONTEXT, **node})

    def figure(self, figure_id: str) -> str | None:
        figure = self._figures.get(figure_id)
        if figure is None:
            return None
        return script_json({"@context": jsonld.CONTEXT, **jsonld.variable_node(figure)})
