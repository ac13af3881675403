"""Which figures a numeric mention may be about, best first: ranked by how many words
around the number the figure's id, its unit and its recent quotes share.

A word counts once per place it is found: the unit (the noun after the number matching
it counts twice), the id's segments, then the recent quotes (half as much, since they
also hold words about other figures). Figures that share nothing are not suggested.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any

_WORD = re.compile(r"[a-z]+")
_IGNORED = frozenset(["the", "a", "an", "of", "in", "on", "at", "and", "or", "to", "by",
                      "for", "with", "from", "had", "has", "have", "been", "was", "were",
                      "is", "are", "that", "this", "said", "more", "than", "about", "least",
                      "up", "as", "it", "its", "their", "they", "there"])
TOP = 5


@functools.lru_cache(maxsize=4096)  # the same ids, units and quotes, mention after mention
def words(text: str) -> frozenset[str]:
    """The content words of `text`, lowercase, a final "s" dropped."""
    return frozenset(w[:-1] if len(w) > 3 and w.endswith("s") else w
                     for w in _WORD.findall(text.lower()) if w not in _IGNORED)


def score(around: frozenset[str], noun: str | None, figure: dict[str, Any],
          quotes: Sequence[str]) -> float:
    """How well `figure` fits a number with these words around it."""
    unit = words(figure["unit"])
    points = 2.0 * len(unit & words(noun or "")) + len(unit & around)
    points += len(words(figure["figure_id"].replace("/", " ").replace("-", " ")) & around)
    recent: set[str] = set().union(*map(words, quotes)) if quotes else set()
    return points + 0.5 * len(recent & around)


def ranked(around: str, noun: str | None, figures: Sequence[dict[str, Any]],
           quotes: Mapping[str, Sequence[str]]) -> list[str]:
    """The ids of the quantity figures that fit, best first (ties by id), at most TOP."""
    if not figures:
        return []
    context = words(around)
    scored = [(score(context, noun, f, quotes.get(f["figure_id"], ())), f["figure_id"])
              for f in figures if f["kind"] == "quantity"]
    return [fid for points, fid in sorted(scored, key=lambda s: (-s[0], s[1]))
            if points > 0][:TOP]
