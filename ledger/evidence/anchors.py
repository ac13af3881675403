"""Quotes anchored in a document's normalised text: finding them and checking them.

An anchor is a W3C Web Annotation TextQuoteSelector (`exact`, and up to 32 code points
of `prefix` and `suffix`) with a TextPositionSelector (`start`, `end`, code points into
the normalised text). Both are fully determined by the text and the position, so
`check` can demand exact equality: a quote moved, altered or not in the document fails.
"""

from __future__ import annotations

import difflib
from typing import Any

from tally.ledger.errors import InputError, VerificationError
from tally.ledger.evidence.normalise import fold, normalise

CONTEXT = 32


def selector(text: str, start: int, end: int) -> dict[str, Any]:
    """The anchor of text[start:end]."""
    return {
        "quote": {"type": "TextQuoteSelector", "exact": text[start:end],
                  "prefix": text[max(0, start - CONTEXT):start],
                  "suffix": text[end:end + CONTEXT]},
        "position": {"type": "TextPositionSelector", "start": start, "end": end},
    }


def occurrences(text: str, quote: str) -> list[int]:
    """Where the normalised, folded quote starts in the folded text (overlaps included)."""
    needle, haystack = fold(normalise(quote)), fold(text)
    found: list[int] = []
    if not needle:
        return found
    at = haystack.find(needle)
    while at >= 0:
        found.append(at)
        at = haystack.find(needle, at + 1)
    return found


def in_context(anchor: dict[str, Any]) -> str:
    q = anchor["quote"]
    return f"… {q['prefix']}**{q['exact']}**{q['suffix']} …"


def closest(text: str, quote: str) -> str:
    """The passage of `text` most like `quote` (same length, word-aligned), for a refusal."""
    needle = fold(normalise(quote))
    folded = fold(text)
    starts = [0] + [i + 1 for i, ch in enumerate(folded) if not ch.isalnum()]
    best, best_at = -1.0, 0
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(needle)
    for at in starts:
        matcher.set_seq1(folded[at:at + len(needle)])
        if matcher.real_quick_ratio() <= best or matcher.quick_ratio() <= best:
            continue
        ratio = matcher.ratio()
        if ratio > best:
            best, best_at = ratio, at
    return text[best_at:best_at + len(needle)]


def inside(text: str, at: int) -> bool:
    """Whether position `at` of `text` falls inside a word or a number ("2,|700", "3.|5")."""
    if at <= 0 or at >= len(text):
        return False
    left, right = text[at - 1], text[at]
    if left.isalnum() and right.isalnum():
        return True
    return (left in ",." and right.isdigit() and at >= 2 and text[at - 2].isdigit()) or (
        right in ",." and left.isdigit() and at + 1 < len(text) and text[at + 1].isdigit())


def _whole(text: str, start: int, end: int, whole: bool = True) -> dict[str, Any]:
    """The anchor of text[start:end]; InputError, if `whole`, when it starts or ends
    inside a word or a number (a quote cut there says what the source did not)."""
    for at, where in ((start, "starts"), (end, "ends")) if whole else ():
        if inside(text, at):
            raise InputError(f"the quote {where} inside a word or number (\"{text[start:end]}\" "
                             f"in \"{text[max(0, start - 12):end + 12]}\"): quote whole words",
                             field="quote")
    return selector(text, start, end)


def anchor(text: str, quote: str, occurrence: int | None = None,
           position: tuple[int, int] | None = None, whole: bool = True) -> dict[str, Any]:
    """The anchor of `quote` in `text`: the one occurrence, the `occurrence`-th (from 1) or
    the one at `position`; InputError, naming the closest passage or every context, if
    that is not exactly one place, or (if `whole`) if the quote starts or ends inside a
    word or number."""
    found = occurrences(text, quote)
    length = len(normalise(quote))
    if not found:
        raise InputError(f"the quote is not in the document; the closest passage is "
                         f"\"{closest(text, quote)}\"", field="quote")
    if position is not None:
        if position[0] not in found or position[1] != position[0] + length:
            raise InputError(f"the quote is not at {position[0]}..{position[1]} in the "
                             "document", field="quote")
        return _whole(text, *position, whole)
    if occurrence is not None:
        if not 1 <= occurrence <= len(found):
            raise InputError(f"the quote occurs {len(found)} time(s); --occurrence "
                             f"{occurrence} is not one of them", field="occurrence")
        start = found[occurrence - 1]
        return _whole(text, start, start + length, whole)
    if len(found) > 1:
        contexts = "; ".join(f"{n}: {in_context(selector(text, s, s + length))}"
                             for n, s in enumerate(found, start=1))
        raise InputError(f"the quote occurs {len(found)} times in the document, pick one "
                         f"with --occurrence N (or \"occurrence\" in a line): {contexts}",
                         field="quote")
    return _whole(text, found[0], found[0] + length, whole)


def check_position(text: str, anchor_fields: dict[str, Any]) -> tuple[int, int]:
    """An anchor's position lies in `text` (all a redacted anchor leaves to check)."""
    start, end = anchor_fields["position"]["start"], anchor_fields["position"]["end"]
    if not 0 <= start < end <= len(text):
        raise VerificationError(f"the anchored quote's position {start}..{end} is outside "
                                "its document's text")
    return start, end


def check(text: str, quote: str | None, anchor_fields: dict[str, Any]) -> None:
    """An anchor holds: it is exactly the selector of its position in `text`, and the
    claim's quote is its `exact` text. VerificationError otherwise."""
    start, end = check_position(text, anchor_fields)
    if selector(text, start, end) != anchor_fields:
        raise VerificationError(f"the anchored quote is not in its document at {start}..{end}")
    if quote != anchor_fields["quote"]["exact"]:
        raise VerificationError("the claim's quote is not the text anchored in its document")
