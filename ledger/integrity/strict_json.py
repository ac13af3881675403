"""JSON read from outside, strictly: no key given twice in an object (parsers disagree on
which one counts, so a line could say one thing to a reader and another to the signer),
and no nesting deep enough to exhaust the parser's stack (a RecursionError)."""

from __future__ import annotations

import json
from typing import Any

from tally.ledger.errors import InputError, LedgerError


def loads(text: str | bytes, what: str, error: type[LedgerError] = InputError) -> Any:
    """The value `text` holds; `error`, in one sentence naming `what`, if it is not JSON,
    gives a key twice in one object, or nests too deeply to read."""
    try:
        return json.loads(text, object_pairs_hook=_unique)
    except _DuplicateKey as e:
        raise error(f"{what} gives the key {e.key!r} twice in one object") from None
    except RecursionError:
        raise error(f"{what} nests too deeply to be read") from None
    except ValueError:
        raise error(f"{what} is not valid JSON") from None


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _DuplicateKey(key)
        found[key] = value
    return found
