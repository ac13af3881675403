"""Recorded text made safe for a terminal: shown literally, never acted on.

Names, quotes, reasons and URLs come from whoever recorded them, or from a database
someone edited. Printed raw, rich markup in them would be interpreted (a source
named `[link=https://evil.example]Reuters[/link]` would show as a link "Reuters"),
a newline would draw a fake table row, ESC would drive the terminal, and a bidi
override or a zero-width character would make one text pose as another. Every
command shows recorded text through this module: `visible` writes each hidden
character (see `ledger/model/text.py`) as an escape such as `\\n` or `\\u202e`; `literal`
makes that a rich Text, which rich never reads as markup (nor as emoji codes), so
recorded text never goes inside a markup string (rich's own `escape` cannot keep a
backslash before a bracket as written). Backslashes
are left as they are, so `\\n` may also be a backslash and an n that were written.
JSON output keeps the exact text: `json_text` writes hidden characters as JSON
escapes, which decode to the same string.
"""

from __future__ import annotations

import re

from rich.style import Style
from rich.text import Text

from tally.ledger.model.text import is_hidden

_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
_OUTSIDE_ASCII = re.compile(r"[^\x20-\x7e\n]")  # candidates: json.dumps escapes the rest


def _escape(char: str) -> str:
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(text: str) -> str:
    """`text` with every hidden character written as an escape (`\\n`, `\\x1b`, `\\u202e`)."""
    if text.isprintable():  # the common case: printable text holds none
        return text
    return "".join(_escape(c) if is_hidden(c) else c for c in text)


def literal(text: object, style: str | Style = "") -> Text:
    """A rich Text showing `text` as `visible` writes it: never read as markup."""
    return Text(visible(str(text)), style=style)


def _json_escape(match: re.Match[str]) -> str:
    char = match[0]
    if not is_hidden(char):
        return char
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # a UTF-16 surrogate pair, as JSON writes a character past U+FFFF
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_text(document: str) -> str:
    """A JSON document (from `json.dumps(..., ensure_ascii=False)`) with every hidden
    character written as a JSON escape: the same values, nothing a terminal acts on."""
    return _OUTSIDE_ASCII.sub(_json_escape, document)
