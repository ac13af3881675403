"""Archiving documents and reading them back: the `tally documents` use cases.

The bytes and text are stored first (content-addressed, so a crash between the two
writes leaves only an unreferenced copy, and adding the file again completes it),
then the signed `document.archived` event is appended.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from tally.ledger.errors import InputError, SignatureError, VerificationError
from tally.ledger.evidence.document_checks import check_stored, stored_text
from tally.ledger.evidence.extractors import extract, sniff
from tally.ledger.evidence.normalise import text_sha256
from tally.ledger.infra.bounded_files import read_regular
from tally.ledger.integrity import signing
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.model.bodies import document_body
from tally.ledger.model.dates import parse_edtf_date
from tally.ledger.model.events import Document
from tally.ledger.model.inputs import MAX_DOCUMENT_BYTES, id_ref_problem
from tally.ledger.model.policy import signer_may_sign
from tally.ledger.model.statements import DocumentArchived, DocumentWithheld, parse_statement

if TYPE_CHECKING:
    from tally.ledger.application import Appended, Ledger


class DocumentInfo(BaseModel):
    """`tally documents list` / `show`: what the signed `document.archived` event says.
    Keys: `sha256`, `media_type`, `url`, `retrieved`, `source`, `extractor`,
    `extractor_version`, `text_sha256`, `signer` (key id), `position`, `withheld` (null, or
    `withheld on DATE by operator: REASON` when an order took its bytes and text down)."""

    sha256: str
    media_type: str
    url: str | None
    retrieved: str | None
    source: str | None
    extractor: str
    extractor_version: str
    text_sha256: str
    signer: str
    position: int
    withheld: str | None = None


class ArchivedFile(BaseModel):
    """`tally documents add --json`: `id` (the SHA-256), `status`, `position`, `url`, the
    URL the document is archived with (the first one given, when the same bytes were
    archived before), and `file`, the file that was read, every link resolved (`linked`:
    the path given was a link)."""

    id: str
    status: str
    position: int | None
    url: str | None
    file: str
    linked: bool


def read_document(path: Path) -> tuple[bytes, Path]:
    """A document file's bytes (a regular file of at most MAX_DOCUMENT_BYTES, links
    followed) and the file they come from, every link resolved."""
    resolved = path.resolve()
    return read_regular(resolved, MAX_DOCUMENT_BYTES, "document"), resolved


def archive_file(ledger: Ledger, path: Path, *, url: str | None = None,
                 retrieved: str | None = None, source: str | None = None,
                 key: KeyPair | None) -> ArchivedFile:
    """`archive` the file at `path`, saying which file that was."""
    data, resolved = read_document(path)
    done = archive(ledger, data, name=path.name, url=url, retrieved=retrieved,
                   source=source, key=key)
    archived = ledger.lookups().find_document(done.id)
    return ArchivedFile(id=done.id, status=done.status, position=done.position,
                        url=None if archived is None else archived.url,
                        file=str(resolved), linked=resolved != _lexical(path))


def _lexical(path: Path) -> Path:
    """`path` made absolute from the real current folder, '..' dropped, no link followed."""
    return Path(os.path.normpath(Path.cwd().resolve() / path))


def archive(ledger: Ledger, data: bytes, *, name: str = "", url: str | None = None,
            retrieved: str | None = None, source: str | None = None,
            key: KeyPair | None) -> Appended:
    """Archive a document as a signed event; the same bytes again are a no-op."""
    from tally.ledger.application import Appended

    sha = hashlib.sha256(data).hexdigest()
    lookups = ledger.lookups()
    if lookups.find_document(sha) is not None:
        return Appended(sha, "already recorded", None)
    ctx = ledger.context()
    if retrieved is not None:
        parse_edtf_date(retrieved, field="retrieved", now=ctx.today)
    if source is not None:
        lookups.source(source)
    extracted = extract(data, sniff(data, name), url)
    if key is None:
        raise SignatureError("no key to sign with: pass --key NAME", field="key")
    signer = lookups.signer(key.key_id)
    signer_may_sign(signer, signer.key_id)
    body = signing.canonical(document_body(
        ctx.ledger_id, signer.key_id, sha, extracted.media_type, url, retrieved, source,
        extracted.extractor, extracted.extractor_version, text_sha256(extracted.text)))
    ledger.archive.put(sha, data, extracted.text)
    positions = ledger.journal.save([Document(body=body, signature=signing.sign(key.private_key,
                                                                        body))])
    return Appended(sha, "recorded", positions[-1])


def _signed(ledger: Ledger, sha: str) -> tuple[DocumentArchived, int]:
    for n in ledger.events.all_notifications(topics=["document.archived"]):
        event = ledger.events.decode(n)
        statement = parse_statement(event.body, "document.archived")
        assert isinstance(statement, DocumentArchived)
        if statement.sha256 == sha:
            return statement, n.id
    raise InputError(f"no archived document has SHA-256 {sha}", field="document")


def _info(s: DocumentArchived, position: int) -> DocumentInfo:
    return DocumentInfo(sha256=s.sha256, media_type=s.media_type, url=s.url,
                        retrieved=s.retrieved, source=s.source, extractor=s.extractor,
                        extractor_version=s.extractor_version, text_sha256=s.text_sha256,
                        signer=s.signer, position=position)


def documents(ledger: Ledger) -> list[DocumentInfo]:
    """Every archived document, in ledger order, as its signed events say."""
    found: dict[str, DocumentInfo] = {}
    for n in ledger.events.all_notifications(topics=["document.archived",
                                                     "document.withheld"]):
        event = ledger.events.decode(n)
        statement = parse_statement(event.body, n.topic)
        if isinstance(statement, DocumentArchived):
            found[statement.sha256] = _info(statement, n.id)
        elif isinstance(statement, DocumentWithheld) and statement.sha256 in found:
            found[statement.sha256].withheld = withheld_note(event.timestamp,
                                                            statement.reason)
    return list(found.values())


def withheld_note(recorded: dt.datetime, reason: str) -> str:
    """What every view shows in place of a withheld document."""
    return f"withheld on {recorded.date().isoformat()} by operator: {reason}"


def resolve(ledger: Ledger, ref: str) -> str:
    """The full SHA-256 of an archived document from its hash or a unique prefix of 4 or more
    hex digits (the prefix rule of claims)."""
    ref = ref.strip().lower()
    problem = id_ref_problem(ref, "document hash", 64)
    if problem is not None:
        raise InputError(problem, field="document")
    matches = [d.sha256 for d in documents(ledger) if d.sha256.startswith(ref)]
    if not matches:
        raise InputError(f"no archived document has a SHA-256 starting with {ref!r}",
                         field="document")
    if len(matches) > 1:
        raise InputError(f"document prefix {ref!r} is ambiguous: give more digits",
                         field="document")
    return matches[0]


def reference(ledger: Ledger, ref: str) -> str:
    """The SHA-256 of an archived document named by a file (its bytes' hash), its hash or a
    unique prefix of it."""
    path = Path(ref)
    if path.exists():
        sha = hashlib.sha256(read_document(path)[0]).hexdigest()
        if ledger.lookups().find_document(sha) is None:
            raise InputError(f"{ref} is not archived: add it first with 'tally documents add'",
                             field="document")
        return sha
    return resolve(ledger, ref)


def show(ledger: Ledger, ref: str) -> tuple[DocumentInfo, str]:
    """A document's signed facts and its stored text, checked against the signed hashes
    (what is served is what was signed, or the command fails)."""
    sha = resolve(ledger, ref)
    info = next(d for d in documents(ledger) if d.sha256 == sha)
    if info.withheld is not None:
        return info, f"[{info.withheld}]"
    statement, position = _signed(ledger, sha)
    stored = ledger.archive.get(statement.sha256)
    try:
        check_stored(statement, stored)
    except VerificationError as e:
        raise VerificationError(f"{e.message}: run 'tally verify'") from None
    return _info(statement, position), stored_text(statement.sha256, statement.text_sha256,
                                                   ledger.archive.get)
