"""Look-ups of registered entities for one command or one import, with an overlay.

An import validates the whole file before writing anything, so definitions made
earlier in the same file must be visible to later lines: they sit in the
overlay until the file is written. Look-ups are memoised for the look-ups'
life (one command), so a million-line import reads each figure once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

from tally.ledger.errors import (
    ClaimStateError,
    UnknownClaimError,
    UnknownFigureError,
    UnknownSignerError,
    UnknownSourceError,
)
from tally.ledger.infra.cosigning import WitnessTarget
from tally.ledger.integrity.envelope import Withheld
from tally.ledger.model.events import (
    Aggregate,
    Case,
    Claim,
    Document,
    Figure,
    Redaction,
    Signer,
    Source,
    Witness,
    redaction_uuid,
    registry_uuid,
)
from tally.ledger.model.suggest import hint

A = TypeVar("A", bound=Aggregate)


class Lookups:
    def __init__(self, get: Callable[[UUID], Any | None],
                 figure_ids: Callable[[], list[str]],
                 source_ids: Callable[[], list[str]] = list,
                 signer_names: Callable[[], dict[str, str]] = dict,
                 witnesses: Callable[[], list[WitnessTarget]] = list) -> None:
        self._read = get  # an aggregate by id, or None (`EventStore.get`)
        # what the refusals of unknown names suggest from (read only on that path)
        self._figure_ids = figure_ids
        self._source_ids = source_ids
        self._signer_names = signer_names  # key id -> name
        self._witnesses = witnesses  # the configured ones, in order
        self._configured: dict[str, tuple[str, str]] | None = None
        self._memo: dict[UUID, Any] = {}
        self.pending: dict[UUID, Aggregate] = {}

    def _get(self, uuid: UUID, cls: type[A]) -> A | None:
        if uuid in self.pending:
            found = self.pending[uuid]
            return found if isinstance(found, cls) else None
        if uuid not in self._memo:
            self._memo[uuid] = self._read(uuid)
        found = self._memo[uuid]
        return found if isinstance(found, cls) else None

    def stage(self, aggregate: Aggregate) -> None:
        """Make a not-yet-saved aggregate visible to later look-ups in this lookups."""
        self.pending[aggregate.id] = aggregate

    def find_figure(self, figure_id: str) -> Figure | None:
        return self._get(registry_uuid("figure", figure_id), Figure)

    def figure(self, figure_id: str) -> Figure:
        found = self.find_figure(figure_id)
        if found is None:
            known = self._figure_ids() + [
                a.figure_id for a in self.pending.values() if isinstance(a, Figure)
            ]
            raise UnknownFigureError(f"figure {figure_id!r} is not defined"
                                     + hint(figure_id, known,
                                            "define it with 'tally figures define'"))
        return found

    def find_document(self, sha256: str) -> Document | None:
        return self._get(registry_uuid("document", sha256), Document)

    def find_source(self, source_id: str) -> Source | None:
        return self._get(registry_uuid("source", source_id), Source)

    def source(self, source_id: str, field: str = "source") -> Source:
        found = self.find_source(source_id)
        if found is None:
            known = self._source_ids() + [
                a.source_id for a in self.pending.values() if isinstance(a, Source)
            ]
            raise UnknownSourceError(
                f"{field} {source_id!r} is not a registered source"
                + hint(source_id, known, "add it with 'tally sources add'"),
                field=field,
            )
        return found

    def find_signer(self, key_id: str) -> Signer | None:
        return self._get(registry_uuid("signer", key_id), Signer)

    def signer(self, key_id: str) -> Signer:
        found = self.find_signer(key_id)
        if found is None:
            names = self._signer_names()
            by_name = [k for k, name in names.items() if name == key_id]
            suggestion = (f"; did you mean {by_name[0]} (the key id of signer {key_id!r})?"
                          if len(by_name) == 1 else
                          hint(key_id, names, "an operator must run 'tally signers add'"))
            raise UnknownSignerError(
                f"signer {key_id!r} is not registered in this ledger{suggestion}")
        return found

    def witnesses(self) -> dict[str, tuple[str, str]]:
        """The configured witnesses' (url, vkey) by name, with those staged since (added,
        moved or removed)."""
        if self._configured is None:
            self._configured = {w.name: (w.url, w.vkey) for w in self._witnesses()}
        configured = dict(self._configured)
        for a in self.pending.values():
            if isinstance(a, Witness):
                if a.removed is None:
                    configured[a.name] = (a.url, a.vkey)
                else:
                    configured.pop(a.name, None)
        return configured

    def find_witness(self, name: str) -> Witness | None:
        """The witness of this name, configured or removed."""
        return self._get(registry_uuid("witness", name), Witness)

    def signer_by_key_or_name(self, key_or_name: str) -> Signer:
        """The signer with this key id or, failing that, the only signer with this name."""
        found = self.find_signer(key_or_name)
        if found is not None:
            return found
        named = [k for k, name in self._signer_names().items() if name == key_or_name]
        return self.signer(named[0] if len(named) == 1 else key_or_name)

    def find_case(self, case_id: str) -> Case | None:
        return self._get(registry_uuid("case", case_id), Case)

    def find_redaction(self, claim_id: str, field: str) -> Redaction | None:
        return self._get(redaction_uuid(claim_id, field), Redaction)

    def find_claim(self, uuid: UUID) -> Claim | None:
        try:
            return self._get(uuid, Claim)
        except Withheld:
            raise _withheld(uuid.hex) from None


    def claim(self, claim_id: str) -> Claim:
        """A claim to follow up or redact: refused once an order withholds its body."""
        if self.find_redaction(claim_id, "body") is not None:
            raise _withheld(claim_id)
        found = self.find_claim(UUID(hex=claim_id))
        if found is None:
            raise UnknownClaimError(f"claim {claim_id} is not in this ledger")
        return found


def _withheld(claim_id: str) -> ClaimStateError:
    return ClaimStateError(f"claim {claim_id} is withheld by an order of the operator: it "
                           "can be neither recorded again, corrected, retracted nor redacted")
