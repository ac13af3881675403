"""What a number token is, read from the words around it: a count, or one of the things
that are never counts (a year, a day of a month, money, an identifier, an age, a
duration, a clock time, an ordinal, a ratio, page furniture).

Hand-written: price-parser reads one price string and text2num one number, but neither
says what a number in running text stands for; these are the few English patterns news
uses. Money is recognised so that it can be proposed as an amount (with its currency)
when asked, never as a count.
"""

from __future__ import annotations

import re
from typing import Literal

Kind = Literal["count", "year", "date", "money", "identifier", "age", "duration", "time",
               "ordinal", "furniture", "share-of-money", "ratio"]

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december"]
MONTH = "(?:{})".format("|".join(MONTHS))
# a day of a month may follow an abbreviated month too ("Feb 27", "Sept. 3")
_MONTH_OR_ABBREVIATION = "(?:{}|(?:jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\\.?)".format(
    "|".join(MONTHS))

# currency before the number ($1.2 billion, UAH 3.5 million) or after it (40,000 euros)
CURRENCY_SIGNS = {"$": "USD", "€": "EUR", "£": "GBP", "₴": "UAH"}
_CODES = {"uah": "UAH", "usd": "USD", "eur": "EUR", "gbp": "GBP", "dollars": "USD",
          "dollar": "USD", "euros": "EUR", "euro": "EUR", "pounds": "GBP",
          "hryvnias": "UAH", "hryvnia": "UAH", "hryvnas": "UAH", "hryvnyas": "UAH"}
_CODE = "(?:{})".format("|".join(_CODES))
_CURRENCY_BEFORE = re.compile(rf"(?:[$€£₴]|\b(?:US\$|{_CODE})\s*)$", re.I)
_CURRENCY_AFTER = re.compile(rf"^\s*(?:{_CODE})\b", re.I)
_SHARE_OF_MONEY = re.compile(r"^\s*(?:%|per\s*cent|percent)\s+of\s+(?:the\s+|its\s+|their\s+)?"
                             r"(?:\w+\s+)?(?:budget|gdp|revenue|funds?|spending|income)\b",
                             re.I)
_IDENTIFIER_BEFORE = re.compile(
    r"(?:\b(?:route|line|lines|flight|hotline|phone|tel|telephone|case|article|articles"
    r"|page|pages|p|pp|no|nos|number|bus|tram|road|highway|motorway|call|dial|room"
    r"|building|house|apartment|flat|platform|gate|exit|channel|code|postcode|zip|ext"
    r"|extension|section|paragraph|chapter|resolution|decree|unit|brigade|regiment"
    r"|battalion|school|lyceum|gymnasium|hospital|ward|block|item|version|model)\.?"
    r"\s*(?:no\.?\s*|number\s*|#\s*)?|[#+№]\s*|\d[\s-])$", re.I)
# "one in ten farms": a share, not two counts
_SMALL = (r"(?:\d{1,3}(?![\d,])|one|two|three|four|five|six|seven|eight|nine|ten"
          r"|a\s+hundred|hundred)")
_RATIO_AFTER = re.compile(rf"^\s+in\s+(?:every\s+)?{_SMALL}\b", re.I)
_RATIO_BEFORE = re.compile(rf"\b{_SMALL}\s+in\s+(?:every\s+)?$", re.I)
_DIGIT_GROUP_AFTER = re.compile(r"^[\s/-]\d")  # 0 800 500 335, 12/345, 044-123
_ORDINAL_AFTER = re.compile(r"^(?:st|nd|rd|th)\b", re.I)
_AGE_AFTER = re.compile(r"^(?:-|\s)(?:year|yr|month|week|day)s?(?:-|\s)old\b"
                        r"|^\s+(?:years?|months?)\s+old\b", re.I)
_AGE_BEFORE = re.compile(r"\b(?:aged|age|ages|age\s+of)\s+(?:\d+\s+(?:to|and|or)\s+)?"
                         r"(?:between\s+)?$", re.I)
_DURATION_AFTER = re.compile(r"^(?:\s+|-)(?:full\s+)?(?:years?|months?|weeks?|days?|hours?"
                             r"|minutes?|seconds?|decades?|centuries|nights?)\b", re.I)
_TIME_AFTER = re.compile(r"^(?::\d\d|\s*(?:a\.?m\.?|p\.?m\.?|o'clock)(?!\w)|\s+hrs\b)", re.I)
_DOTTED_TIME = re.compile(r"\d{1,2}\.\d\d")
_TIME_BEFORE = re.compile(r"\b(?:at|from|until|by)\s+$", re.I)
_MONTH_BEFORE = re.compile(rf"\b{_MONTH_OR_ABBREVIATION}\s+$", re.I)
_MONTH_AFTER = re.compile(rf"^\s+{_MONTH_OR_ABBREVIATION}(?!\w)", re.I)
_FURNITURE_AFTER = re.compile(r"^\s+(?:comments?|shares?|likes?|views?|replies|reactions?"
                              r"|min(?:ute)?s?\s+read|things\s+to|ways\s+to|reasons\s+to)\b",
                              re.I)
# what makes a four-digit token a year whatever follows it: a date, or a word that
# introduces one ("in 2023", "since 1991", "the 2024 budget"); after any other word it is
# a year unless a noun follows ("by 2030" is a year, "of 1950 people" a count)
_YEAR_BEFORE = re.compile(
    rf"(?:\b(?:in|since|year|the|early|late|mid|spring|summer|autumn|fall|winter|end\s+of"
    rf"|start\s+of|{MONTH}|\d{{1,2}}\s+{MONTH}|{MONTH}\s+\d{{1,2}},?)\s+|[-–/]|\bmid-)$",
    re.I)
# a word after a number that makes it a count: a noun, not a function word or a verb
_WORD_AFTER = re.compile(r"^\s+([a-z][a-z-]*)")
_NOT_NOUNS = frozenset([
    "the", "a", "an", "and", "or", "but", "when", "as", "was", "were", "is", "are", "had",
    "has", "have", "to", "at", "on", "in", "for", "with", "by", "of", "from", "after",
    "before", "while", "during", "that", "this", "these", "those", "it", "its", "their",
    "his", "her", "there", "which", "who", "saw", "brought", "marked", "began", "ended",
    "became"])


_BEFORE, _AFTER = 24, 32


def currency(before: str, after: str) -> str | None:
    """The ISO code of the currency written just before or after a number, if any."""
    sign = _CURRENCY_BEFORE.search(before)
    if sign:
        written = sign.group(0).strip()
        return CURRENCY_SIGNS.get(written[-1]) or _CODES[written.lower()]
    code = _CURRENCY_AFTER.match(after)
    return _CODES[code.group(0).strip().lower()] if code else None


def _year(token: str, before: str, after: str) -> bool:
    if not (token.isdigit() and len(token) == 4 and 1000 <= int(token) <= 2100):
        return False
    if _YEAR_BEFORE.search(before):
        return True
    word = _WORD_AFTER.match(after)
    return word is None or word.group(1).lower() in _NOT_NOUNS


def kind(text: str, start: int, end: int, token: str) -> Kind:
    """What the number text[start:end] (written `token`, hedge words excluded) is."""
    # the words that tell are the two or three next to the number: short windows keep a
    # megabyte of mentions linear and quick
    before, after = text[max(0, start - _BEFORE):start], text[end:end + _AFTER]
    plain = token.replace(",", "").replace("\u202f", "")
    if currency(before, after):
        return "money"
    if _SHARE_OF_MONEY.match(after):
        return "share-of-money"
    if _ORDINAL_AFTER.match(after):
        return "ordinal"
    if _RATIO_AFTER.match(after) or _RATIO_BEFORE.search(before):
        return "ratio"
    if _AGE_AFTER.match(after) or _AGE_BEFORE.search(before):
        return "age"
    if _TIME_AFTER.match(after) or (_DOTTED_TIME.fullmatch(token)
                                    and _TIME_BEFORE.search(before)):
        return "time"  # 10:30, 9 am, "at 9.30"
    if plain.isdigit() and int(plain) <= 31 and (_MONTH_AFTER.match(after)
                                                 or _MONTH_BEFORE.search(before)):
        return "date"
    if _year(token, before, after):
        return "year"
    if token[0].isdigit() and (_IDENTIFIER_BEFORE.search(before)
                               or _DIGIT_GROUP_AFTER.match(after)
                               or (len(plain) > 1 and plain[0] == "0")):
        return "identifier"
    if _DURATION_AFTER.match(after):
        return "duration"
    if _FURNITURE_AFTER.match(after):
        return "furniture"
    return "count"
