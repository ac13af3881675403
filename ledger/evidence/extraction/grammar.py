"""A small rule grammar for numeric mentions in news text.

Hand-written because no maintained library maps English hedges ("more than", "at
least", "between … and …", "hundreds of") to Tally's value grammar; number words are
read by `text2num`. Each mention names the rule that matched, so precision and recall
can be measured per rule (docs/extraction.md). What a number stands for is read first
(`kinds`): years, dates, money, identifiers, ages, durations, clock times, ordinals and
page furniture are never counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from text_to_num import text2num

from tally.ledger.evidence.extraction.kinds import currency, kind

_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
          "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
          "seventeen", "eighteen", "nineteen"]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_MULTIPLIERS = {"thousand": 10**3, "million": 10**6, "billion": 10**9}
_WORD = "(?:{})".format("|".join(sorted(_UNITS + _TENS + ["hundred", *_MULTIPLIERS],
                                         key=len, reverse=True)))
_WORDS = rf"{_WORD}(?:(?:[- ]|\s+and\s+){_WORD})*(?:\s+dozen)?"
_DIGITS = (r"(?:\d{1,3}(?:[,\u202f]\d{3})+(?!\d)|\d+(?:\.\d+)?)"
           r"(?:\s+(?:thousand|million|billion)\b)?")
_NUMBER = rf"(?:{_DIGITS}|a\s+dozen|{_WORDS})"

_HEDGES = [  # (rule, regex prefix, operator)
    ("more-than", r"(?:more\s+than|over|in\s+excess\s+of)", ">"),
    ("at-least", r"(?:at\s+least|no\s+fewer\s+than|no\s+less\s+than)", ">="),
    ("about", r"(?:about|around|nearly|almost|approximately|roughly|some|close\s+to)", "~"),
    ("up-to", r"(?:up\s+to|at\s+most|no\s+more\s+than)", "<="),
    ("fewer-than", r"(?:fewer\s+than|less\s+than|under)", "<"),
]
_VAGUE = {"dozens": (">=", 24), "hundreds": (">=", 200), "thousands": (">=", 2000)}
# a share in words, as a percentage: (percent, exact); thirds are only ever about
_FRACTIONS = {"half": ("50", True), "a quarter": ("25", True), "three quarters": ("75", True),
              "a third": ("33", False), "two thirds": ("67", False)}
_HEDGE = "|".join(f"(?P<h_{i}>{h})" for i, (_, h, _) in enumerate(_HEDGES))

_PATTERN = re.compile(
    rf"(?P<between>\bbetween\s+(?P<low>{_NUMBER})\s+and\s+(?P<high>{_NUMBER}))"
    rf"|(?P<vague>\b(?:dozens|hundreds|thousands)\s+of)\b"
    rf"|(?P<fraction>(?:\b(?P<f_hedge>about|around|nearly|almost|roughly|some|more\s+than|over"
    rf"|at\s+least|less\s+than|under)\s+)?"
    rf"\b(?P<share>half|a\s+quarter|three\s+quarters|a\s+third|two\s+thirds)\s+of)\b"
    rf"|(?:\b(?P<hedge>{_HEDGE})"
    rf"\s+)?(?P<currency>[$€£₴]\s?|\b(?:UAH|USD|EUR|GBP|US\$)\s?)?"
    rf"(?P<number>(?<![\w.,:/+#№-])(?:{_DIGITS}|\ba\s+dozen\b|\b{_WORDS}\b))"
    rf"(?P<percent>\s*(?:%|per\s*cent\b|percent\b))?",
    re.IGNORECASE)
_NOUN = re.compile(r"^\s*(?:of\s+(?:the\s+|them\s+|these\s+)?)?"
                   r"(?:(?:more|further|additional|new|other)\s+)?([a-z][a-z-]*)", re.I)


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    value: str  # in Tally's value grammar
    rule: str
    noun: str | None
    vague: bool = False
    percent: bool = False


# more digits than any value Tally records (below 10**15): not a count (and a run of
# 1,000,000 digits would not even convert)
MAX_DIGITS = 16


def number_value(text: str) -> int | Decimal:
    """The number a token of `_NUMBER` writes: digits with separators and a multiplier
    ("3.5 million"), or words ("two dozen"); ValueError if it has more than MAX_DIGITS
    digits or does not read as a number."""
    if sum(ch.isdigit() for ch in text) > MAX_DIGITS:
        raise ValueError("too many digits for a count")
    token = " ".join(text.lower().split())
    if token == "a dozen":
        return 12
    if token.endswith(" dozen"):
        return 12 * int(number_value(token.removesuffix(" dozen")))
    if token[0].isdigit():
        digits, _, multiplier = token.partition(" ")
        plain = Decimal(digits.replace(",", "").replace("\u202f", ""))
        value = plain * _MULTIPLIERS.get(multiplier, 1)
        return int(value) if value == value.to_integral_value() else value
    return int(text2num(token.replace(" and ", " "), "en"))


def _written(number: int | Decimal) -> str:
    return str(number) if isinstance(number, int) else f"{number:f}".rstrip("0").rstrip(".")


def _noun(text: str, end: int) -> str | None:
    found = _NOUN.match(text[end:end + 40])
    return found.group(1).lower() if found else None


def _hedged(m: re.Match[str]) -> str:
    """The operator of the hedge before the number, or ""."""
    return next((op for i, (_, _, op) in enumerate(_HEDGES) if m.group(f"h_{i}")), "")


def mentions(text: str, money: bool = False) -> list[Mention]:
    """Every numeric mention in `text`, in order; amounts of money too (rule `money`, the
    currency as the noun) if `money`."""
    return _ranges(text, _read(text, money))


_PLAIN = ("digits", "number-words")
_TO = re.compile(r"\s+to\s+")
_CHANGE_BEFORE = re.compile(r"\b(?:from|rose|fell|grew|dropped|increased|decreased|up|down"
                            r"|risen|fallen|climbed)\s+$", re.I)


def _ranges(text: str, found: list[Mention]) -> list[Mention]:
    """Two plain counts joined by "to" ("6 to 8 people") are one range, `6..8`, unless
    they are a change ("rose from 6 to 8")."""
    merged: list[Mention] = []
    for m in found:
        low = merged[-1] if merged else None
        if low is not None and low.rule in _PLAIN and m.rule in _PLAIN \
                and _TO.fullmatch(text, low.end, m.start) \
                and not _CHANGE_BEFORE.search(text, max(0, low.start - 12), low.start) \
                and Decimal(low.value) < Decimal(m.value):
            merged[-1] = Mention(low.start, m.end, f"{low.value}..{m.value}", "range",
                                 m.noun)
            continue
        merged.append(m)
    return merged


def _read(text: str, money: bool) -> list[Mention]:
    found: list[Mention] = []
    for m in _PATTERN.finditer(text):
        if m.group("between"):
            try:
                low, high = number_value(m.group("low")), number_value(m.group("high"))
            except ValueError:
                continue
            if low > high:
                continue
            found.append(Mention(m.start(), m.end(), f"{_written(low)}..{_written(high)}",
                                 "between", _noun(text, m.end())))
            continue
        if m.group("vague"):
            op, floor = _VAGUE[m.group("vague").split()[0].lower()]
            found.append(Mention(m.start(), m.end(), f"{op}{floor}", "vague-plural",
                                 _noun(text, m.start() + len(m.group("vague").split()[0])),
                                 vague=True))
            continue
        if m.group("fraction"):
            share, exact = _FRACTIONS[" ".join(m.group("share").lower().split())]
            hedge = " ".join((m.group("f_hedge") or "").lower().split())
            op = {"": "" if exact else "~", "more than": ">", "over": ">", "at least": ">=",
                  "less than": "<", "under": "<"}.get(hedge, "~")
            found.append(Mention(m.start(), m.end(), f"{op}{share}", "fraction", "%",
                                 percent=True))
            continue
        token = m.group("number")
        if token.lower() == "one" and not m.group("hedge"):
            continue  # "one of them", "one official": a pronoun far more often than a count
        try:
            number = number_value(token)
        except ValueError:
            continue
        what = kind(text, m.start("number"), m.end("number"), token)
        if what == "money" and money:
            before = text[max(0, m.start("number") - 40):m.start("number")]
            found.append(Mention(m.start(), m.end(), f"{_hedged(m)}{_written(number)}",
                                 "money", currency(before, text[m.end("number"):][:40])))
            continue
        if what != "count":
            continue
        rule, op = "number-words" if token[0].isalpha() else "digits", _hedged(m)
        for i, (name, _, _) in enumerate(_HEDGES):
            if m.group(f"h_{i}"):
                rule = name
        percent = bool(m.group("percent"))
        if percent:
            rule = "percent" if not op else rule
        found.append(Mention(m.start(), m.end(), f"{op}{_written(number)}", rule,
                             "%" if percent else _noun(text, m.end()), percent=percent))
    return found
