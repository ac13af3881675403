"""Tokens before rules: numbers with separators and multipliers are read whole, a
four-digit token is a year only where the grammar says so, and money, identifiers, ages,
durations, times, ordinals and page furniture are never proposed as counts."""

from __future__ import annotations

import pytest

from tally.ledger.evidence.extraction.grammar import mentions


def _found(sentence: str, money: bool = False) -> list[tuple[str, str]]:
    return [(sentence[m.start:m.end], m.value) for m in mentions(sentence, money=money)]


@pytest.mark.parametrize(("sentence", "expected"), [
    ("More than 2,000 residents had been evacuated.", [("More than 2,000", ">2000")]),
    ("Shelters took in 1,950 people overnight.", [("1,950", "1950")]),
    ("Buses carried 2,100 people out of the town.", [("2,100", "2100")]),
    ("Around 2,000 homes lost power.", [("Around 2,000", "~2000")]),
    ("1,799 and 2,101 people were counted.", [("1,799", "1799"), ("2,101", "2101")]),
    ("Volunteers fed 1950 people a day.", [("1950", "1950")]),
    ("Two dozen houses burned.", [("Two dozen", "24")]),
    ("The census found 3.5 million residents.", [("3.5 million", "3500000")]),
    ("The region lost 1.2 million trees.", [("1.2 million", "1200000")]),
    ("Teams of 6 to 8 people work in shifts.", [("6 to 8", "6..8")]),
    ("Teams of six to eight people work in shifts.", [("six to eight", "6..8")]),
    ("The count rose from 6 to 8 people.", [("6", "6"), ("8", "8")]),
])
def test_counts_are_read_whole(sentence: str, expected: list[tuple[str, str]]) -> None:
    assert _found(sentence) == expected


@pytest.mark.parametrize("sentence", [
    "In 2023 the site was declared a memorial.",
    "The museum, founded in 1920, was shelled.",
    "The town has been contested since 1991.",
    "The 2024 budget was cut.",
    "Exhumations began on 16 September 2022.",
    "Matthew Parish • Feb 27 • 1 min read",
    "Updated 3 Sept. 2024",
    "The fund paid $1.2 billion to the region.",
    "Donors pledged UAH 3.5 million for the hospital.",
    "Repairs will cost 40,000 euros.",
    "Route 66 trucks were stopped at the border.",
    "Call 1545 for help.",
    "Call the hotline on 0 800 500 335 at any time.",
    "The case number 12/345 was opened.",
    "See page 12 of the report.",
    "Flight 752 was shot down.",
    "A 45-year-old man was among the victims.",
    "The victims were aged 60 and 72.",
    "Men aged 18 to 60 may not leave.",
    "The siege lasted 36 days.",
    "The curfew starts at 23:00.",
    "The briefing started at 10:30 a.m. local time.",
    "The ambulances arrived at 9.30.",
    "It was the 3rd mass grave found in the region.",
    "24 comments",
    "5 things to do in Kyiv this weekend",
    "Only 2% of the budget was spent.",
    "Fewer than one in ten farms are insured.",
    "One in five homes was damaged.",
])
def test_not_counts(sentence: str) -> None:
    assert _found(sentence) == []


def test_money_is_an_amount_with_its_currency_when_asked() -> None:
    sentence = "The fund paid $1.2 billion and UAH 3.5 million to 40 families."
    assert _found(sentence) == [("40", "40")]
    found = mentions(sentence, money=True)
    assert [(m.value, m.noun, m.rule) for m in found] == [
        ("1200000000", "USD", "money"), ("3500000", "UAH", "money"), ("40", "families",
                                                                     "digits")]
