"""Property: an article made from a template, filled with random counts and ranges,
years, amounts of money, identifiers, ages, durations, ratios and dates, gives back
exactly its counts, in order, each with a quote that holds it and is cut inside no word
or number."""

from __future__ import annotations

from budgets import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from tally.ledger.evidence.anchors import inside
from tally.ledger.evidence.extraction.candidates import candidates

NOUNS = ["people", "homes", "residents", "graves", "families", "shelters", "volunteers"]
HEDGES = [("", ""), ("more than ", ">"), ("about ", "~"), ("at least ", ">="),
          ("up to ", "<=")]
MONTHS = ["January", "March", "May", "September", "December"]


def _written(n: int, separators: bool) -> str:
    return f"{n:,}" if separators else str(n)


@st.composite
def count_sentence(draw: st.DrawFn) -> tuple[str, str, str]:
    """A sentence with one count: (sentence, value, the number as written)."""
    n = draw(st.integers(min_value=2, max_value=9_999_999))
    written = _written(n, n >= 10_000 or draw(st.booleans()))
    words, op = draw(st.sampled_from(HEDGES))
    intro = draw(st.sampled_from(["Officials said", "Police counted", "The agency reported",
                                  "By Friday, rescuers had moved"]))
    noun = draw(st.sampled_from(NOUNS))
    day = f" on {draw(st.integers(1, 28))} {draw(st.sampled_from(MONTHS))}"
    date = draw(st.sampled_from(["", " on Monday", " in 2023", day]))
    return f"{intro} {words}{written} {noun}{date}.", f"{op}{n}", written


@st.composite
def other_sentence(draw: st.DrawFn) -> str:
    """A sentence with numbers that are never counts."""
    year = draw(st.integers(min_value=1800, max_value=2100))
    amount = draw(st.integers(min_value=2, max_value=9_999_999))
    ident = draw(st.integers(min_value=1, max_value=9999))
    small = draw(st.integers(min_value=2, max_value=99))
    return draw(st.sampled_from([
        f"In {year} the bridge was rebuilt.", f"The museum was founded in {year}.",
        f"The {year} budget was cut.", f"Since {year} the town has grown.",
        f"The fund paid ${amount:,} to the town.", f"Donors gave {amount:,} euros.",
        f"The council approved UAH {small}.5 million for roads.",
        f"Route {ident} was closed.", f"Call {ident} for help.", f"Flight {ident} landed.",
        f"See page {ident} of the report.", f"A {small}-year-old man was hurt.",
        f"The siege lasted {small} days.", f"The curfew starts at {small % 24}:00.",
        f"It was the {small}th attempt.", f"Work began on {small % 28 + 1} March.",
        f"One in {small} homes was damaged.",
    ]))


@st.composite
def range_sentence(draw: st.DrawFn) -> tuple[str, str, str]:
    """A sentence with a range of counts: "teams of 6 to 8 people"."""
    low = draw(st.integers(min_value=2, max_value=999))
    high = draw(st.integers(min_value=low + 1, max_value=1000))
    return f"Teams of {low} to {high} people worked.", f"{low}..{high}", f"{low} to {high}"


articles = st.lists(st.one_of(count_sentence(), range_sentence(), other_sentence()),
                    min_size=1, max_size=12)


@settings(max_examples=examples(100), deadline=None)
@given(parts=articles)
def test_a_templated_article_gives_back_exactly_its_counts(
        parts: list[tuple[str, str, str] | str]) -> None:
    text = "Flood update\n" + " ".join(p if isinstance(p, str) else p[0] for p in parts)
    counts = [p for p in parts if not isinstance(p, str)]
    found = candidates(text, sha256="0" * 64, source="s", published="2025-03-14", url=None,
                       figures=[], paragraph_ends=(len("Flood update"),))
    assert [c["value"] for c in found] == [value for _, value, _ in counts], text
    for line, (_, _, written) in zip(found, counts, strict=True):
        assert written in line["quote"], (line["quote"], written)
        start, end = line["anchor"]["position"]["start"], line["anchor"]["position"]["end"]
        assert not inside(text, start) and not inside(text, end), line["quote"]
        assert "Flood update" not in line["quote"]
