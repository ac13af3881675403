"""What a page renderer of a published site is, and how the pages of several are made.

A page renderer (`json_pages.JsonPages`, `site.pages.HtmlPages`) is made from the read
model and the published checkpoint note, and makes its pages in three steps:
`site_pages()` (the site-wide pages), then `figure_pages(answers)` for one chunk of
figures after another, then `claim_pages(provenances)` for one chunk of claims after
another.

What the pages show is read once, in batches, and handed to every renderer: each figure's
`show`, `history` and `claims` (`ReadModel.figure_answers`) and each claim's provenance
(a claim's signed body, its signers and sources, its leaf and covering checkpoint:
`ReadModel.provenances`), so adding a renderer adds no query per figure or claim, and
memory stays one chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Protocol

from sqlalchemy import select

from tally.ledger.infra.storage import reading
from tally.projections import tables as t
from tally.projections.models import ProvenanceOut
from tally.projections.readmodel import ReadModel
from tally.projections.site_queries import FigureAnswers

CLAIM_CHUNK = 1000  # claims whose provenance is read (and pages made) at a time
FIGURE_CHUNK = 200  # figures whose answers are read (and pages made) at a time


class Pages(Protocol):
    def site_pages(self) -> Iterable[tuple[str, bytes]]: ...

    def figure_pages(self, answers: Sequence[FigureAnswers]
                     ) -> Iterable[tuple[str, bytes]]: ...

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
        yield from renderer.site_pages()
    names = ([f.id for f in model.figures().figures] if figures is None
             else sorted(figures))
    for first in range(0, len(names), FIGURE_CHUNK):
        answers = model.figure_answers(names[first : first + FIGURE_CHUNK])
        for renderer in renderers:
            yield from renderer.figure_pages(answers)
    ids = all_claims(model) if claims is None else sorted(claims)
    for first in range(0, len(ids), CLAIM_CHUNK):
        chunk = model.provenances(ids[first : first + CLAIM_CHUNK])
        for renderer in renderers:
            yield from renderer.claim_pages(chunk)
