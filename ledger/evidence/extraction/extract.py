"""`tally extract`: candidate report lines from an archived document (or a file, archived
first), for review. Nothing is appended to the ledger but the document itself."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tally.ledger.errors import InputError
from tally.ledger.evidence import documents
from tally.ledger.evidence.extraction.candidates import candidates
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.model.dates import parse_edtf_date

if TYPE_CHECKING:
    from tally.ledger.application import Ledger


def extract(ledger: Ledger, ref: str, *, source: str, published: str | None,
            key: KeyPair | None) -> list[dict[str, Any]]:
    """The candidate lines of the document `ref` (SHA-256, prefix, or a file: a file not
    yet archived is archived first, signed by `key`)."""
    path = Path(ref)
    if path.exists():
        data, _ = documents.read_document(path)
        if ledger.registry().find_document(hashlib.sha256(data).hexdigest()) is None:
            if key is None:
                raise InputError(f"{ref} is not archived yet: pass --key to archive it",
                                 field="key")
            documents.archive(ledger, data, name=path.name, source=source, key=key)
    ledger.registry().source(source)
    if published is not None:
        parse_edtf_date(published, field="published", now=ledger.context().today)
    info, text = documents.show(ledger, documents.reference(ledger, ref))
    return candidates(text, sha256=info.sha256, source=source, published=published,
                      url=info.url, figures=ledger.directory.figures())
