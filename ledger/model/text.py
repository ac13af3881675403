"""Hidden characters: the ones a terminal acts on or does not show.

A name holding one can pose as another name (a zero-width space, a soft hyphen),
reorder what follows it on screen (a right-to-left override) or move the cursor
(ESC, a newline). Names refuse them at input (`records.name_problem`); the CLI
shows every one it prints as an escape (`cli/safe_text.py`). One predicate serves both, by
Unicode category: Cc (C0 and C1 controls, DEL), Cf (format characters: bidi
marks, embeddings, overrides and isolates, zero-width space and joiners, word
joiner, byte order mark, soft hyphen, tags), Zl and Zp (line and paragraph
separators) and Cs (lone surrogates). Pure code: no I/O.
"""

from __future__ import annotations

import unicodedata

HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
REFUSED = "control characters, bidi marks or zero-width characters"


def is_hidden(char: str) -> bool:
    """Whether one character is a control, format or line/paragraph separator character."""
    return unicodedata.category(char) in HIDDEN_CATEGORIES


def hidden_character(text: str) -> str | None:
    """The first hidden character of `text`, or None."""
    if text.isprintable():  # the common case: printable text holds none (see str.isprintable)
        return None
    return next((c for c in text if is_hidden(c)), None)


def code_point(char: str) -> str:
    """`char` named as a reader can look it up: U+202E."""
    return f"U+{ord(char):04X}"
