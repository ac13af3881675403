"""Whether a quote states the value reported with it: every number of the value
(`>=1200`: 1200; `440..451`: 440 and 451) is written in the quote, in digits (with or
without separators) or words, as the extraction grammar reads them. `tally report`
warns when it does not: the quote may be the wrong passage."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from tally.ledger.evidence.extraction.grammar import mentions

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_DIGITS = re.compile(r"\d{1,3}(?:[,\u202f]\d{3})+(?!\d)|\d+(?:\.\d+)?")


def _numbers(written: str) -> set[Decimal]:
    return {Decimal(n) for n in _NUMBER.findall(written)}


def states_value(quote: str, value: str) -> bool:
    """True if every number of `value` is in `quote` (a status value has none)."""
    wanted = _numbers(value)
    if not wanted:
        return True
    try:
        said = {Decimal(d.replace(",", "").replace("\u202f", ""))
                for d in _DIGITS.findall(quote)}
    except InvalidOperation:
        said = set()
    for mention in mentions(quote, money=True):
        said |= _numbers(mention.value)
    return wanted <= said
