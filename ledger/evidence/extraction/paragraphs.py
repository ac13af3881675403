"""Where a document's paragraphs end in its normalised text, so that a quote never runs
from a headline or a byline into the body, and where its body ends, before a list of
related articles.

Normalising collapses line breaks, so they are read again from the reader's own output:
trafilatura (HTML, and HTML in a WARC) gives one paragraph per line, with navigation,
comment counters and "related" lists already dropped; plain text and PDF separate
paragraphs by a blank line, and the lines at the top that end without a full stop
(headline, byline, date line) are paragraphs of their own.
"""

from __future__ import annotations

import re

from tally.ledger.errors import LedgerError
from tally.ledger.evidence.extractors import read
from tally.ledger.evidence.normalise import normalise
from tally.ledger.model.kinds import MediaType

# a paragraph that is only one of these heads a list of links to other articles, which
# runs to the end of the page (trafilatura drops such lists from HTML; plain text and
# PDF copied from a page keep them)
_RELATED = re.compile(r"(?:explore more|related|related (?:articles|stories|news)|more stories"
                      r"|more on this( story| topic)?|you may also like|most read|recommended"
                      r"|read also|see also)[:.]?", re.I)
_BLANK_LINE = re.compile(r"\n\s*\n")
_ENDS_SENTENCE = re.compile(r"[.!?:;,\"”’)]\s*$")


def _plain_paragraphs(raw: str) -> list[str]:
    blocks = _BLANK_LINE.split(raw.strip())
    lines = blocks[0].splitlines() if blocks else []
    heading = 0
    # a headline, byline or date line: no full stop, and the next line starts anew (a
    # hard-wrapped sentence's next line may start with a digit or a small letter)
    while heading < len(lines) - 1 and not _ENDS_SENTENCE.search(lines[heading]) \
            and lines[heading + 1].lstrip()[:1].isupper():
        heading += 1
    first = [*lines[:heading], "\n".join(lines[heading:])] if heading else blocks[:1]
    return first + blocks[1:]


def split(raw: str, extractor: str) -> list[str]:
    """The paragraphs of a reader's output, normalised."""
    found = raw.splitlines() if extractor.endswith("trafilatura") else _plain_paragraphs(raw)
    return [p for p in map(normalise, found) if p]


def ends(text: str, paragraphs: list[str]) -> tuple[int, ...]:
    """The positions in `text` where the paragraphs (in order) end, before its end."""
    found, at = [], 0
    for paragraph in paragraphs:
        start = text.find(paragraph, at)
        if start < 0:
            continue
        at = start + len(paragraph)
        if at < len(text):
            found.append(at)
    return tuple(found)


def body_end(text: str, ends: tuple[int, ...]) -> int:
    """Where the body ends: at the first paragraph that heads a list of related articles
    (its numbers are other articles' figures), else at the end of the text."""
    for start, end in zip((0, *ends), (*ends, len(text)), strict=True):
        if _RELATED.fullmatch(text[start:end].strip()):
            return start
    return len(text)


def paragraph_ends(data: bytes, media_type: MediaType, url: str | None,
                   text: str) -> tuple[int, ...]:
    """Where the paragraphs of a document (its bytes, as archived) end in its normalised
    `text`; none if its bytes cannot be read again."""
    try:
        extractor, _, raw = read(data, media_type, url)
    except LedgerError:
        return ()
    return ends(text, split(raw, extractor))
