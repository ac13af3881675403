"""Clean quotes (never cut inside a number, never run from a headline into the body) and
dates read from the text (weekdays and relative phrases against the published date,
a running total's start kept apart from the as_of)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tally.ledger.evidence.extraction.candidates import candidates
from tally.ledger.evidence.extraction.paragraphs import body_end, paragraph_ends
from tally.ledger.evidence.extractors import extract, sniff

ROOT = Path(__file__).resolve().parents[3]


def _lines(text: str, published: str | None = "2025-03-14",
           ends: tuple[int, ...] = ()) -> list[dict[str, Any]]:
    return candidates(text, sha256="0" * 64, source="s", published=published, url=None,
                      figures=[], paragraph_ends=ends)


@pytest.mark.parametrize(("text", "value", "quote"), [
    ("Officials said 2,700 homes were flooded in 24 settlements.", "24",
     "Officials said 2,700 homes were flooded in 24 settlements"),
    ("The agency counted 12,500 displaced people and 40 shelters.", "40",
     "The agency counted 12,500 displaced people and 40 shelters"),
    ("Between 1,800 and 2,100 people, officials said, had left.", "1800..2100",
     "Between 1,800 and 2,100 people"),
    ("Dr. Smith said 12 nurses stayed.", "12", "Dr. Smith said 12 nurses stayed"),
])
def test_a_quote_is_never_cut_inside_a_number(text: str, value: str, quote: str) -> None:
    [line] = [c for c in _lines(text) if c["value"] == value]
    assert line["quote"] == quote


def test_a_headline_and_byline_are_not_fused_with_the_body() -> None:
    data = (ROOT / "examples" / "evidence" / "report.html").read_bytes()
    media_type = sniff(data, "report.html")
    text = extract(data, media_type).text
    lines = _lines(text, ends=paragraph_ends(data, media_type, None, text))
    [graves] = [c for c in lines if c["value"] == "126"]
    assert graves["quote"].startswith("Search teams at the former quarry")


def test_plain_text_headline_lines_are_paragraphs_of_their_own() -> None:
    raw = "Flood waters recede in Northbank\nBy Ana Petrenko\n\nRescuers moved 300 " \
          "people to higher ground on Monday.\n"
    data = raw.encode()
    text = extract(data, "text/plain").text
    [line] = _lines(text, ends=paragraph_ends(data, "text/plain", None, text))
    assert line["quote"] == "Rescuers moved 300 people to higher ground on Monday"
    assert line["as_of"] == "2025-03-10" and line["candidate"]["as_of_inferred"]


def test_a_running_total_start_is_not_the_as_of() -> None:
    text = ("Search teams said on Thursday that they had opened 126 graves since work "
            "began on 3 March 2025.")
    [line] = _lines(text)
    assert line["as_of"] == "2025-03-13"  # the Thursday before Friday 14 March
    assert line["candidate"]["as_of_inferred"] and not line["candidate"]["as_of_guessed"]
    assert line["candidate"]["since"] == "2025-03-03"


@pytest.mark.parametrize(("text", "value", "as_of", "how"), [
    ("The count rose to 140, up from 118 on Monday.", "118", "2025-03-10", "inferred"),
    ("The count rose to 140 yesterday.", "140", "2025-03-13", "inferred"),
    ("A day earlier 97 families had registered.", "97", "2025-03-13", "inferred"),
    ("Some 300 homes were rebuilt last year.", "~300", "2024", "inferred"),
    ("By 13 March, more than 140 bodies had been recovered.", ">140", "2025-03-13",
     "text"),
    ("Rescuers found 12 survivors.", "12", "2025-03-14", "guessed"),
])
def test_dates_from_the_text(text: str, value: str, as_of: str, how: str) -> None:
    [line] = [c for c in _lines(text) if c["value"] == value]
    notes = line["candidate"]
    assert (line["as_of"], notes["as_of_inferred"], notes["as_of_guessed"]) == (
        as_of, how == "inferred", how == "guessed")


def test_a_weekday_needs_a_day_precise_publication_date() -> None:
    [line] = _lines("Rescuers found 12 survivors on Monday.", published="2025-03")
    assert line["as_of"] == "2025-03" and line["candidate"]["as_of_guessed"]


def test_a_hard_wrapped_first_paragraph_is_not_taken_for_a_headline() -> None:
    data = b"Officials said on Monday that\n300 people had left the\ntown by bus.\n"
    text = extract(data, "text/plain").text
    [line] = _lines(text, ends=paragraph_ends(data, "text/plain", None, text))
    assert line["quote"] == "Officials said on Monday that 300 people had left the town by bus"


def test_a_list_of_related_articles_is_not_read() -> None:
    raw = ("Rescuers moved 300 people on Monday.\n\nExplore more\n\n4 people killed, "
           "including 2 children\n\nRead More\n")
    data = raw.encode()
    text = extract(data, "text/plain").text
    ends = paragraph_ends(data, "text/plain", None, text)
    assert [c["value"] for c in _lines(text, ends=ends)] == ["300", "4", "2"]
    lines = candidates(text, sha256="0" * 64, source="s", published=None, url=None,
                       figures=[], paragraph_ends=ends, body_end=body_end(text, ends))
    assert [c["value"] for c in lines] == ["300"]
