"""The JSON files of a published site, for programs: one page renderer of
`projections.publish.publisher` (`JsonPages`; `json_pages` makes them alone).

- `figures/<id>.json`: the value in force, the competing claims and the history;
- `claims/<id>.json`: provenance and an inclusion proof; `claims/<id>.tlog-proof`: the
  same proof as C2SP tlog-proof@v1. The proof is against the first checkpoint that
  covers the claim (also published as `checkpoints/<size>`), so a claim's files do not
  change when the log grows; the site's `checkpoint` extends it (tiles give the
  consistency proof);
- `figures.json`, `discrepancies.json`, `sources.json`: site-wide lists.

Every file is the pydantic model's JSON with a fixed key order: the same ledger gives
the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pydantic import BaseModel, ConfigDict

from tally.ledger.errors import VerificationError
from tally.ledger.integrity.proofs import InclusionProof
from tally.ledger.tlog import log_files
from tally.projections.models import HistoryOut, ProvenanceOut, ShowOut
from tally.projections.publish.page_renderer import render
from tally.projections.publish.site.paths import claim_page, figure_page
from tally.projections.readmodel import ReadModel
from tally.projections.site_queries import FigureAnswers

PAGE_FORMAT = 1


class FigurePage(BaseModel):
    """`figures/<id>.json`. Keys: `format`, `show` (as `tally show --json`), `history` (as
    `tally history --json`)."""

    model_config = ConfigDict(frozen=True)
    format: int = PAGE_FORMAT
    show: ShowOut
    history: HistoryOut


class ClaimPage(BaseModel):
    """`claims/<id>.json`. Keys: `format`, `provenance` (as `tally provenance --json`),
    `proof` (as `tally proof` writes it, against checkpoint `provenance.checkpoint`, without
    its optional `disclosures` and `follow_ups`)."""

    model_config = ConfigDict(frozen=True)
    format: int = PAGE_FORMAT
    provenance: ProvenanceOut
    proof: InclusionProof


def _json(model: BaseModel) -> bytes:
    return (model.model_dump_json(indent=2) + "\n").encode("utf-8")


class JsonPages:
    """The JSON files of the site, as a page renderer (`projections.publish.page_renderer`)."""

    def __init__(self, model: ReadModel, checkpoint_note: str) -> None:
        self.model = model

    def site_pages(self) -> Iterator[tuple[str, bytes]]:
        model = self.model
        yield "figures.json", _json(model.figures())
        yield "discrepancies.json", _json(model.discrepancies())
        yield "sources.json", _json(model.sources())

    def figure_pages(self, answers: Sequence[FigureAnswers]) -> Iterator[tuple[str, bytes]]:
        for found in answers:
            yield (figure_page(found.figure.id, ".json"),
                   _json(FigurePage(show=found.show, history=found.history)))

    def claim_pages(self, provenances: Sequence[ProvenanceOut]) -> Iterator[tuple[str, bytes]]:
        """Each claim's JSON page and tlog-proof, the proofs read through tiles in one
        snapshot for the whole chunk."""
        wanted: list[tuple[str, int, int]] = []
        pages: dict[str, ProvenanceOut] = {}
        for provenance in provenances:
            claim = provenance.claim_id
            if provenance.checkpoint is None or provenance.leaf_index is None:
                raise VerificationError(f"claim {claim} is not covered by a checkpoint")
            pages[claim] = provenance
            wanted.append((claim, provenance.leaf_index, provenance.checkpoint))
        for proof in log_files.inclusion_proofs(self.model.ledger.parts, wanted):
            yield (claim_page(proof.claim_id, ".json"),
                   _json(ClaimPage(provenance=pages[proof.claim_id], proof=proof)))
            yield (claim_page(proof.claim_id, ".tlog-proof"),
                   proof.tlog_text().encode("utf-8"))


def json_pages(model: ReadModel, checkpoint_note: str, figures: set[str] | None,
               claims: set[str] | None) -> Iterator[tuple[str, bytes]]:
    """The JSON files of the site (`figures`/`claims` None: all of them; else only those,
    with the site-wide lists)."""
    return render([JsonPages(model, checkpoint_note)], model, figures, claims)
