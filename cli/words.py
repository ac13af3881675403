"""Words every answer shares: a count with its noun in the right number, yes or no."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`1 checkpoint`, `2 checkpoints`, `0 sum mismatches` (with `plural` when it is not
    the noun and an s)."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def yes_no(value: bool) -> str:
    """A flag as a table or a spreadsheet shows it, never Python's True or False."""
    return "yes" if value else "no"
