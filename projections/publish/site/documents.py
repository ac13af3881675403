"""The archived documents of a published site: each one's stored bytes, its normalised
text and its page, at content-addressed paths (`ledger.tlog.documents`).

Only documents archived by events of the published tree are written, each event checked
against its leaf (`TrustedLeaves`), and each document's bytes and text against the signed
hashes (`document_checks.check_stored`): the site never carries a document the ledger did not
sign. A document an order withheld keeps its page, which says so; its bytes and text
leave the site.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tally.ledger.bootstrap import Collaborators
from tally.ledger.errors import VerificationError
from tally.ledger.evidence.document_checks import check_stored
from tally.ledger.evidence.documents import withheld_note
from tally.ledger.model.statements import DocumentArchived, DocumentWithheld, parse_statement
from tally.ledger.tlog.documents import bytes_path, page_path, text_path
from tally.ledger.verify.trusted_leaves import TrustedLeaves
from tally.projections.publish.site import paths
from tally.projections.publish.site.render import render


@dataclass(frozen=True)
class DocumentFile:
    """A file of the site for one document; `immutable`: its bytes never change."""

    path: str
    data: bytes | None  # None: the file leaves the site (a withheld document's)
    immutable: bool


def document_files(parts: Collaborators, trusted: TrustedLeaves, origin: str
                   ) -> Iterator[DocumentFile]:
    """The bytes, text and page of every document archived in the trusted tree, in ledger
    order; for one an order in that tree withheld, its page and the removal of the rest."""
    archived: dict[str, tuple[DocumentArchived, int]] = {}
    withheld: dict[str, str] = {}
    for batch in parts.events.batches(stop=trusted.last_position,
                                       topics=["document.archived", "document.withheld"]):
        trusted.check(batch)
        for n in batch:
            event = parts.events.decode(n)
            signed = parse_statement(event.body, n.topic)
            if isinstance(signed, DocumentArchived):
                archived[signed.sha256] = (signed, n.id)
            elif isinstance(signed, DocumentWithheld):
                withheld[signed.sha256] = withheld_note(event.timestamp, signed.reason)
    for sha, (signed, position) in archived.items():
        page = page_path(sha)
        if sha in withheld:
            yield DocumentFile(bytes_path(sha), None, False)
            yield DocumentFile(text_path(sha), None, False)
        else:
            stored = parts.archive.get(sha)
            try:
                check_stored(signed, stored)
            except VerificationError as e:
                raise VerificationError(f"cannot publish: {e.message}: run 'tally verify'"
                                        ) from None
            assert stored is not None
            yield DocumentFile(bytes_path(sha), stored.data, True)
            yield DocumentFile(text_path(sha), stored.text.encode("utf-8"), True)
        yield DocumentFile(page, render("document.html", root=paths.root_of(page), path=page,
                                        origin=origin, head=None, site_wide=False,
                                        document=signed, position=position,
                                        withheld=withheld.get(sha)), False)
