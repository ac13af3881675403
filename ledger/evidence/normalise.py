"""The one normalisation of a document's text (docs/formats.md, "Normalised text").

Extracted text is normalised before it is hashed, stored and searched, so that the
same article read twice gives the same text, and positions (counted in code points)
mean the same thing to every verifier. Matching also folds typographic quotes and
dashes to their ASCII forms, one code point for one, so a position found in the
folded text is the same position in the normalised text.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_CHUNK = 1 << 20  # characters encoded and hashed at a time

# every run of Unicode whitespace (NBSP, line and paragraph separators included)
_SPACE = re.compile(r"\s+")
# one code point for one: folding never moves a position
_FOLD = str.maketrans({
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\uff07", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb\uff02", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d", "-"),
})


def _kept(ch: str) -> bool:
    """Control (Cc) and format (Cf: soft hyphens, zero-width and bidi controls) characters
    are dropped; whitespace controls (TAB, LF…) become spaces first."""
    return ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf")


def normalise(text: str) -> str:
    """NFC, control and format characters dropped, whitespace collapsed to one space,
    no leading or trailing space."""
    nfc = unicodedata.normalize("NFC", text)
    return _SPACE.sub(" ", "".join(ch for ch in nfc if _kept(ch))).strip()


def fold(text: str) -> str:
    """Typographic quotes and dashes as ASCII, for matching only; same length as `text`."""
    return text.translate(_FOLD)


def text_sha256(normalised: str) -> str:
    """The SHA-256 of the text in UTF-8, encoded a chunk at a time (a large document's
    text is not copied whole)."""
    digest = hashlib.sha256()
    for at in range(0, len(normalised), _CHUNK):
        digest.update(normalised[at:at + _CHUNK].encode("utf-8"))
    return digest.hexdigest()
