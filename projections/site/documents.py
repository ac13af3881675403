"""The archived documents of a published site: each one's stored bytes, its normalised
text and its page, at content-addressed paths (`ledger.site_documents`).

Only documents archived by events of the published tree are written, each event checked
against its leaf (`TrustedLeaves`), and each document's bytes and text against the signed
hashes (`checks.check_stored`): the site never carries a document the ledger did not
sign. A withheld document (`site_documents.may_be_missing`) is left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tally.ledger.application import Ledger
from tally.ledger.errors import VerificationError
from tally.ledger.evidence.checks import check_stored
from tally.ledger.model.statements import DocumentArchived, parse_statement
from tally.ledger.site_documents import bytes_path, may_be_missing, page_path, text_path
from tally.ledger.trusted_log import TrustedLeaves
from tally.projections.site import paths
from tally.projections.site.render import render


@dataclass(frozen=True)
class DocumentFile:
    """A file of the site for one document; `immutable`: its bytes never change."""

    path: str
    data: bytes
    immutable: bool


def document_files(ledger: Ledger, trusted: TrustedLeaves, origin: str,
                   withheld: frozenset[str]) -> Iterator[DocumentFile]:
    """The bytes, text and page of every document archived in the trusted tree and not
    withheld, in ledger order."""
    for batch in ledger.events.batches(stop=trusted.last_position,
                                       topics=["document.archived"]):
        trusted.check(batch)
        for n in batch:
            signed = parse_statement(ledger.events.decode(n).body, "document.archived")
            assert isinstance(signed, DocumentArchived)
            if may_be_missing(signed.sha256, withheld):
                continue
            stored = ledger.archive.get(signed.sha256)
            try:
                check_stored(signed, stored)
            except VerificationError as e:
                raise VerificationError(f"cannot publish: {e.message}: run 'tally verify'"
                                        ) from None
            assert stored is not None
            yield DocumentFile(bytes_path(signed.sha256), stored.data, True)
            yield DocumentFile(text_path(signed.sha256), stored.text.encode("utf-8"), True)
            page = page_path(signed.sha256)
            yield DocumentFile(page, render("document.html", root=paths.root_of(page),
                                            path=page, origin=origin, head=None,
                                            site_wide=False, document=signed,
                                            position=n.id), False)
