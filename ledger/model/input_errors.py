"""pydantic's refusals of input records, said in one sentence for people.

pydantic writes "String should match pattern '^[a-z0-9][a-z0-9_.-]{0,63}$'"; a person
needs "id must be lowercase letters, digits, '.', '_' or '-' ..., e.g. hromadske". Every
place that validates user input with a pydantic model (the commands' options, import
lines, witness settings) describes the first error with `describe`.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from tally.ledger.model.inputs import PATTERN_MEANINGS

LINE_TYPES = ("signer", "revocation", "witness", "witness-removal", "witness-update", "source",
              "figure", "document", "report", "correction", "retraction")


_PYDANTIC = "Input should"


def _location(loc: tuple[int | str, ...]) -> str:
    # pydantic puts the union tag first ("report.value"): drop it; list items are "via[2]"
    parts = list(loc)
    if len(parts) > 1 and parts[0] in LINE_TYPES:
        parts = parts[1:]
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _meaning(error: Any) -> str | None:
    """`must ...` for the errors whose pydantic message is not for people, else None."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "string_pattern_mismatch":
        return PATTERN_MEANINGS.get(str(ctx.get("pattern")), "is not in the expected form")
    if kind == "string_too_long":
        return f"must have at most {ctx['max_length']} characters"
    if kind == "string_too_short":
        return "must not be empty" if ctx.get("min_length") == 1 else (
            f"must have at least {ctx['min_length']} characters")
    if kind == "too_long":
        return f"may list at most {ctx['max_length']} items"
    if kind == "literal_error":
        return f"must be one of {str(ctx['expected']).replace(chr(39), '')}"
    if kind in ("string_type", "list_type", "bool_type"):
        what = {"string_type": "text", "list_type": "a list", "bool_type": "true or false"}
        return f"must be {what[kind]}"
    if kind == "missing":
        return "is required"
    if kind == "value_error":  # a validator's own words, without pydantic's "Value error, "
        return str(ctx["error"])
    return None


def describe(error: ValidationError) -> tuple[str, str | None]:
    """One sentence for the first error, and the field it names (or None)."""
    first = error.errors()[0]
    loc = _location(first["loc"])
    field = str(first["loc"][-1]) if first["loc"] else None
    kind = first["type"]
    if kind == "extra_forbidden":
        return f"unknown field {loc!r}", field
    if kind == "union_tag_invalid":
        return f"type must be one of {', '.join(LINE_TYPES)}", "type"
    if kind == "union_tag_not_found":
        return "the line has no 'type' field", "type"
    message = str(first["msg"])
    if message.startswith(_PYDANTIC):  # "Input should be an object": "must be an object"
        message = "must" + message.removeprefix(_PYDANTIC)
    meaning = _meaning(first) or (message if message.startswith("must ") else None)
    if meaning is not None:
        return (f"{loc} {meaning}" if loc else f"the line {meaning}"), field
    return (f"{loc}: {message}" if loc else message), field
