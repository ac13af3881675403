"""What a page renderer of a published site is, and how the pages of several are made.

A page renderer (`json_pages.JsonPages`, `site.pages.HtmlPages`) is made from the read
model and the published checkpoint note, and makes its pages in two steps:
`site_pages(figures)` (the site-wide pages, and the pages of `figures`, None for all),
then `claim_pages(provenances)` for one chunk of claims after another.

The claims' provenance is the costly part of a publish (a claim's signed body, its
signers and sources, its leaf and covering checkpoint): `render` reads it once a chunk,
with the batched query (`ReadModel.provenances`), and hands the same answers to every
renderer, so adding a renderer adds no query per claim and memory stays one chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Protocol

from sqlalchemy import select

from tally.ledger.infra.storage import reading
from tally.projections import tables as t
from tally.projections.models import ProvenanceOut
from tally.projections.readmodel import ReadModel

CLAIM_CHUNK = 1000  # claims whose provenance is read (and pages made) at a time


class Pages(Protocol):
    def site_pages(self, figures: set[str] | None) -> Iterable[tuple[str, bytes]]: ...

    def claim_pages(self, provenances: Sequence[ProvenanceOut]
                    ) -> Iterable[tuple[str, bytes]]: ...


# renderer(model, checkpoint_note) -> its Pages
PageRenderer = Callable[[ReadModel, str], Pages]


def all_claims(model: ReadModel) -> list[str]:
    """Every claim id of the read model, sorted."""
    with reading(model.engine) as conn:
        return sorted(str(c) for c in conn.execute(select(t.provenance.c.claim_id)).scalars())


def render(renderers: Sequence[Pages], model: ReadModel, figures: set[str] | None,
           claims: set[str] | None) -> Iterator[tuple[str, bytes]]:
    """(relative path, bytes) of every page of these renderers: site-wide pages, the pages
    of `figures` and of `claims` (None: every figure's, every claim's)."""
    for renderer in renderers:
        yield from renderer.site_pages(figures)
    ids = all_claims(model) if claims is None else sorted(claims)
    for first in range(0, len(ids), CLAIM_CHUNK):
        chunk = model.provenances(ids[first : first + CLAIM_CHUNK])
        for renderer in renderers:
            yield from renderer.claim_pages(chunk)
