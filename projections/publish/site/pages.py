"""The HTML pages of a published site, for people: one page renderer of `tally publish`.

`HtmlPages` makes (relative path, bytes) for the index, a page per figure and per
claim, the discrepancies and sources pages and the static assets (`html_pages` makes
them alone). Pages show only what the read model answers (signed bodies, re-verified
signatures) and the checkpoints the operator signed: each checkpoint a page cites is
verified against the operator's key first, so a page never vouches for a tree head that
was not signed. The same ledger gives the same bytes: nothing depends on the clock, the
machine or the order of a set.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

from tally.ledger.integrity.checkpoints import Checkpoint, verify_checkpoint
from tally.projections.models import FigureOut, ProvenanceOut
from tally.projections.publish.page_renderer import render as render_pages
from tally.projections.publish.site import chart, paths
from tally.projections.publish.site.render import render, static_files
from tally.projections.readmodel import ReadModel
from tally.projections.site_queries import FigureAnswers, IndexRow


@dataclass(frozen=True)
class SignedHead:
    """A checkpoint the operator signed, and its note as published."""

    checkpoint: Checkpoint
    note: str

    @property
    def root_hex(self) -> str:
        return self.checkpoint.root_hash.hex()


class _Site:
    """What every page shares: the ledger's identity, the published head, the figures."""

    def __init__(self, model: ReadModel, checkpoint_note: str, base_url: str | None) -> None:
        self.model = model
        info = model.ledger.info()
        self.origin = info.origin
        self.operator_key = info.operator_public_key
        self.head = self._verified(checkpoint_note)
        self.base_url = None if base_url is None else base_url.rstrip("/") + "/"
        self._heads: dict[int, SignedHead] = {self.head.checkpoint.size: self.head}
        from tally.projections.interop.site_exports import EmbeddedJsonLd  # imports site.paths

        self.embedded = EmbeddedJsonLd(model, self.base_url)

    def _verified(self, note: str) -> SignedHead:
        checkpoint = verify_checkpoint(note, bytes.fromhex(self.operator_key), self.origin)
        return SignedHead(checkpoint, note)

    @cached_property
    def figures(self) -> dict[str, FigureOut]:
        return {f.id: f for f in self.model.figures().figures}

    @cached_property
    def figure_names(self) -> dict[str, str | None]:
        """Each figure's signed name by its id (None: unnamed): shown with the id beside."""
        return {f.id: f.name for f in self.figures.values()}

    @cached_property
    def source_names(self) -> dict[str, str]:
        """Each source's name by its id: the pages show names, the id beside them."""
        return {s.id: s.name for s in self.model.sources().sources}

    def covering(self, provenance: ProvenanceOut) -> SignedHead | None:
        """The first checkpoint that covers the claim (its proof is against it), if the
        published head covers the claim too; None when the site does not prove it yet."""
        size = provenance.checkpoint
        if size is None or provenance.leaf_index is None or size > self.head.checkpoint.size:
            return None
        if size not in self._heads:
            self._heads[size] = self._verified(self.model.ledger.log.checkpoint_note(size))
        return self._heads[size]

    def page(self, template: str, path: str, site_wide: bool = False, **context: object
             ) -> tuple[str, bytes]:
        """A page; only `site_wide` ones (rewritten at every publish) may show the head."""
        return path, render(template, root=paths.root_of(path), path=path,
                            origin=self.origin, head=self.head, site_wide=site_wide,
                            sources=self.source_names, figure_names=self.figure_names,
                            **context)

    def permalink(self, path: str) -> str:
        """The URL a citation gives: absolute under the configured base URL, else relative
        to the site's root (the reader prefixes the address they found the site at)."""
        return path if self.base_url is None else self.base_url + path


class HtmlPages:
    """The HTML pages and static assets of the site, as a page renderer
    (`projections.publish.page_renderer`); `base_url` (the address the site is served at) makes
    the permalinks in "cite this claim" absolute."""

    def __init__(self, model: ReadModel, checkpoint_note: str, *,
                 base_url: str | None = None) -> None:
        self.site = _Site(model, checkpoint_note, base_url)

    def site_pages(self) -> Iterator[tuple[str, bytes]]:
        site, model = self.site, self.site.model
        yield from static_files()
        yield site.page("index.html", "index.html", cases=_cases(model.index()),
                        defined={c.id: c for c in model.cases().cases}, site_wide=True)
        yield site.page("discrepancies.html", "discrepancies.html",
                        listing=model.discrepancies(), site_wide=True)
        yield site.page("sources.html", "sources.html", listed=model.sources().sources,
                        site_wide=True)

    def figure_pages(self, answers: Sequence[FigureAnswers]) -> Iterator[tuple[str, bytes]]:
        for found in answers:
            yield _figure_page(self.site, found)

    def claim_pages(self, provenances: Sequence[ProvenanceOut]) -> Iterator[tuple[str, bytes]]:
        for provenance in provenances:
            yield _claim_page(self.site, provenance)


def html_pages(model: ReadModel, checkpoint_note: str, figures: set[str] | None,
               claims: set[str] | None, *, base_url: str | None = None,
               ) -> Iterator[tuple[str, bytes]]:
    """The HTML pages and static assets of the site, as (relative path, bytes).

    `figures`/`claims` None: every figure's and claim's page; else only theirs, with the
    site-wide pages (index, discrepancies, sources, static).
    """
    return render_pages([HtmlPages(model, checkpoint_note, base_url=base_url)], model, figures,
                  claims)


def _cases(rows: list[IndexRow]) -> list[tuple[str, list[IndexRow]]]:
    cases: dict[str, list[IndexRow]] = {}
    for row in rows:
        cases.setdefault(paths.case_of(row.figure.id), []).append(row)
    return sorted(cases.items())


def _figure_page(site: _Site, found: FigureAnswers) -> tuple[str, bytes]:
    figure, show = found.figure, found.show
    in_force = None if show.claim is None else show.claim.claim_id
    drawn = chart.layout(found.claims, figure=figure.id, unit=figure.unit,
                         status=figure.kind == "status", states=figure.states,
                         in_force=in_force)
    return site.page("figure.html", paths.figure_page(figure.id), figure=figure, show=show,
                     history=found.history, claims=found.claims, chart=drawn,
                     labels=chart.KIND_LABELS, totals=found.totals,
                     jsonld=site.embedded.figure(figure.id))


def _claim_page(site: _Site, provenance: ProvenanceOut) -> tuple[str, bytes]:
    path = paths.claim_page(provenance.claim_id)
    covering = site.covering(provenance)
    return site.page("claim.html", path, claim=provenance,
                     figure=site.figures[provenance.figure], covering=covering,
                     operator_key=site.operator_key, permalink=site.permalink(path),
                     base_url=site.base_url, jsonld=site.embedded.claim(provenance.claim_id))
