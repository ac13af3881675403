"""The look-ups of one import: figures kept as small views, not as aggregates, and the
ledger's documents listed once (a claim's document hash is looked up per line)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from tally.ledger.application import Ledger
from tally.ledger.errors import UnknownFigureError
from tally.ledger.lookups import Lookups
from tally.ledger.model.events import (
    Aggregate,
    Document,
    Figure,
    Signer,
    Source,
    as_uuid,
    registry_uuid,
)
from tally.ledger.model.suggest import hint


class FigureView:
    """What validation needs of a figure: its definition, without the aggregate."""

    __slots__ = ("_definition", "figure_id", "integer", "kind", "states")

    def __init__(self, definition: dict[str, Any]) -> None:
        self._definition = definition
        self.figure_id: str = definition["figure_id"]
        self.kind: str = definition["kind"]
        self.states: list[str] = list(definition["states"])
        self.integer: bool = definition["integer"]

    def definition(self) -> dict[str, Any]:
        d = dict(self._definition)
        d["parts"], d["states"] = list(d["parts"]), list(d["states"])
        return d


class ImportLookups(Lookups):
    """The lookups of one import: figures kept as small views, not as aggregates."""

    def __init__(self, ledger: Ledger) -> None:
        super().__init__(ledger.events.get, ledger.directory.figure_ids,
                         ledger.directory.source_ids, ledger.directory.signer_names,
                         ledger.directory.witnesses)
        self.figures: dict[str, FigureView | None] = {}
        self._by_name: dict[tuple[str, str], Any] = {}
        self._events = ledger.events
        self._documents: set[UUID] | None = None  # the ledger's archived documents' ids

    def find_source(self, source_id: str) -> Source | None:
        key = ("source", source_id)
        if key not in self._by_name:
            self._by_name[key] = super().find_source(source_id)
        return self._by_name[key]  # type: ignore[no-any-return]

    def find_signer(self, key_id: str) -> Signer | None:
        key = ("signer", key_id)
        if key not in self._by_name:
            self._by_name[key] = super().find_signer(key_id)
        return self._by_name[key]  # type: ignore[no-any-return]

    def find_figure(self, figure_id: str) -> Figure | None:
        if figure_id not in self.figures:
            found = super().find_figure(figure_id)
            self._memo.pop(registry_uuid("figure", figure_id), None)
            self.figures[figure_id] = None if found is None else FigureView(found.definition())
        return self.figures[figure_id]  # type: ignore[return-value]

    def find_document(self, sha256: str) -> Document | None:
        # Most claims name a document that is not archived: one query for the ledger's few
        # documents instead of an aggregate read per claim (8% of an import otherwise).
        uuid = registry_uuid("document", sha256)
        if uuid not in self.pending:
            if self._documents is None:
                self._documents = {as_uuid(n.originator_id) for n in
                                   self._events.all_notifications(topics=("document.archived",))}
            if uuid not in self._documents:
                return None
        return super().find_document(sha256)

    def figure(self, figure_id: str) -> Figure:
        found = self.find_figure(figure_id)
        if found is None:
            # the same refusal and hint as Lookups.figure, counting this file's figures
            known = self._figure_ids() + [f for f, v in self.figures.items() if v is not None]
            raise UnknownFigureError(f"figure {figure_id!r} is not defined"
                                     + hint(figure_id, known,
                                            "define it with 'tally figures define'"))
        return found

    def stage(self, aggregate: Aggregate) -> None:
        if isinstance(aggregate, Figure):
            self.figures[aggregate.figure_id] = FigureView(aggregate.definition())
            return
        if isinstance(aggregate, Source):
            self._by_name[("source", aggregate.source_id)] = aggregate
        if isinstance(aggregate, Signer):
            self._by_name[("signer", aggregate.key_id)] = aggregate
        super().stage(aggregate)


