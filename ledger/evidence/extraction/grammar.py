"""A small rule grammar for numeric mentions in news text.

Hand-written because no maintained library maps English hedges ("more than", "at
least", "between … and …", "hundreds of") to Tally's value grammar; number words are
read by `text2num`. Each mention names the rule that matched, so precision and recall
can be measured per rule (docs/extraction.md). Years, dates, ages, clock times and
ordinals are never mentions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from text_to_num import text2num

_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
          "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
          "seventeen", "eighteen", "nineteen"]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_WORD = "(?:{})".format("|".join(sorted(_UNITS + _TENS + ["hundred", "thousand", "million"],
                                         key=len, reverse=True)))
_WORDS = rf"{_WORD}(?:(?:[- ]|\s+and\s+){_WORD})*"
_DIGITS = r"\d{1,3}(?:[,\u202f]\d{3})+(?!\d)|\d+(?:\.\d+)?"
_NUMBER = rf"(?:{_DIGITS}|a\s+dozen|{_WORDS})"
_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december"]
_MONTH = "(?:{})".format("|".join(_MONTHS))

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
    rf"\s+)?(?P<number>(?<![\w.,:/-])(?:{_DIGITS}|\ba\s+dozen\b|\b{_WORDS}\b))"
    rf"(?P<percent>\s*(?:%|per\s*cent\b|percent\b))?",
    re.IGNORECASE)
_ORDINAL_AFTER = re.compile(r"^(?:st|nd|rd|th)\b", re.IGNORECASE)
_AGE_AFTER = re.compile(r"^(?:-|\s)(?:year|yr)s?(?:-|\s)old\b|^\s+years?\s+old\b", re.I)
_AGE_BEFORE = re.compile(r"\b(?:aged|age|ages)\s+$", re.IGNORECASE)
_TIME_AFTER = re.compile(r"^(?::\d\d|\s*(?:a\.?m\.?|p\.?m\.?|o'clock)(?!\w))", re.I)
_MONTH_BEFORE = re.compile(rf"\b{_MONTH}\s+$", re.IGNORECASE)
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


def number_value(text: str) -> int | float:
    """The number a token of `_NUMBER` writes: digits with separators, or words;
    ValueError if it has more than MAX_DIGITS digits or does not read as a number."""
    if sum(ch.isdigit() for ch in text) > MAX_DIGITS:
        raise ValueError("too many digits for a count")
    token = " ".join(text.lower().split())
    if token[0].isdigit():
        plain = token.replace(",", "").replace("\u202f", "")
        return float(plain) if "." in plain else int(plain)
    if token == "a dozen":
        return 12
    return int(text2num(token.replace(" and ", " "), "en"))


def _written(number: int | float) -> str:
    return str(number) if isinstance(number, int) else f"{number:f}".rstrip("0").rstrip(".")


def _excluded(text: str, start: int, end: int, token: str) -> bool:
    """A year, a date, an age, a clock time or an ordinal: not a quantity."""
    before, after = text[max(0, start - 12):start], text[end:end + 16]
    if _ORDINAL_AFTER.match(after) or _AGE_AFTER.match(after) or _AGE_BEFORE.search(before):
        return True
    if _TIME_AFTER.match(after):
        return True
    if token.isdigit() and 1800 <= int(token) <= 2100:  # a year
        return True
    # a day of a month
    return token.isdigit() and int(token) <= 31 and bool(
        re.match(rf"^\s+{_MONTH}\b", after, re.I) or _MONTH_BEFORE.search(before))


def _noun(text: str, end: int) -> str | None:
    found = _NOUN.match(text[end:end + 40])
    return found.group(1).lower() if found else None


def mentions(text: str) -> list[Mention]:
    """Every numeric mention in `text`, in order."""
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
        if _excluded(text, m.start("number"), m.end("number"), token.replace(",", "")):
            continue
        rule, op = "number-words" if token[0].isalpha() else "digits", ""
        for i, (name, _, operator) in enumerate(_HEDGES):
            if m.group(f"h_{i}"):
                rule, op = name, operator
        percent = bool(m.group("percent"))
        if percent:
            rule = "percent" if not op else rule
        found.append(Mention(m.start(), m.end(), f"{op}{_written(number)}", rule,
                             "%" if percent else _noun(text, m.end()), percent=percent))
    return found
