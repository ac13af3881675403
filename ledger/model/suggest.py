"""Did-you-mean: the one helper every refusal of an unknown name uses (figures, sources,
`--via`, local keys, signers)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name most like `name`, if one is close enough to be a typo of it."""
    found = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return found[0] if found else None


def hint(name: str, known: Iterable[str], otherwise: str) -> str:
    """The end of a refusal: "; did you mean 'x'?" for a close name, else ": " + `otherwise`."""
    found = closest(name, known)
    return f"; did you mean {found!r}?" if found is not None else f": {otherwise}"
