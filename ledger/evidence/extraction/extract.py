"""`tally extract`: candidate report lines from an archived document (or a file, archived
first unless it is a dry run), for review. Nothing is appended to the ledger but the
document itself, and with `dry_run` not even that."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from tally.ledger.errors import InputError
from tally.ledger.evidence import documents, extractors
from tally.ledger.evidence.extraction.candidates import candidates
from tally.ledger.evidence.extraction.paragraphs import body_end, paragraph_ends
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.model.dates import parse_edtf_date

if TYPE_CHECKING:
    from tally.ledger.application import Ledger
    from tally.ledger.model.kinds import MediaType


def _read(ledger: Ledger, ref: str, source: str, key: KeyPair | None,
          dry_run: bool) -> tuple[str, str | None, str, tuple[int, ...]]:
    """The document's SHA-256, url, normalised text and paragraph ends."""
    path = Path(ref)
    if path.exists():
        data, _ = documents.read_document(path)
        sha = hashlib.sha256(data).hexdigest()
        if ledger.lookups().find_document(sha) is None:
            if dry_run:  # read as archiving would, but keep nothing
                media_type = extractors.sniff(data, path.name)
                text = extractors.extract(data, media_type).text
                return sha, None, text, paragraph_ends(data, media_type, None, text)
            if key is None:
                raise InputError(f"{ref} is not archived yet: pass --key to archive it "
                                 "(or try it with --dry-run)", field="key")
            documents.archive(ledger, data, name=path.name, source=source, key=key)
    info, text = documents.show(ledger, documents.reference(ledger, ref))
    stored = ledger.archive.get(info.sha256)
    ends = () if stored is None or info.withheld else paragraph_ends(
        stored.data, cast("MediaType", info.media_type), info.url, text)
    return info.sha256, info.url, text, ends


def extract(ledger: Ledger, ref: str, *, source: str, published: str | None,
            key: KeyPair | None, dry_run: bool = False, money: bool = False,
            quotes: Mapping[str, Sequence[str]] | None = None) -> list[dict[str, Any]]:
    """The candidate lines of the document `ref` (SHA-256, prefix, or a file: a file not
    yet archived is archived first, signed by `key`, unless `dry_run`); amounts of money
    too if `money`; `quotes`, each figure's recent quotes, rank the suggested figures."""
    ledger.lookups().source(source)
    if published is not None:
        parse_edtf_date(published, field="published", now=ledger.context().today)
    sha, url, text, ends = _read(ledger, ref, source, key, dry_run)
    return candidates(text, sha256=sha, source=source, published=published, url=url,
                      figures=ledger.directory.figures(), money=money,
                      paragraph_ends=ends, body_end=body_end(text, ends), quotes=quotes)
