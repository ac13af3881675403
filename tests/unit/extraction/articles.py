"""The labelled articles in tests/data/extraction/: twelve short news articles written
for this project (fictional places and figures), each with the counts a recorder
expects (`counts`: where, its value, the phenomenon it tests, and for some the as_of
and how the date is told) and the numbers that are not counts (`not_counts`: years,
dates, money, identifiers, ages, durations, times, ordinals, furniture, a pronoun).
`at` marks the token in brackets within a phrase that occurs once in the article.

`measure()` reads each article as `tally extract` does (the reader, the paragraphs,
the candidates) and scores it; docs/extraction.md quotes it:

    python tests/unit/extraction/articles.py
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tally.ledger.evidence.anchors import inside
from tally.ledger.evidence.extraction.candidates import candidates
from tally.ledger.evidence.extraction.paragraphs import body_end, paragraph_ends
from tally.ledger.evidence.extractors import extract, sniff

DATA = Path(__file__).resolve().parents[2] / "data" / "extraction"


def read(name: str, published: str | None) -> tuple[str, list[dict[str, Any]]]:
    """An article's normalised text and its candidates, as `tally extract` makes them."""
    data = (DATA / name).read_bytes()
    media_type = sniff(data, name)
    text = extract(data, media_type).text
    ends = paragraph_ends(data, media_type, None, text)
    return text, candidates(text, sha256="0" * 64, source="s", published=published,
                            url=None, figures=[], paragraph_ends=ends,
                            body_end=body_end(text, ends))


def span(text: str, at: str) -> tuple[int, int]:
    """Where the bracketed token of `at` is in `text` (the phrase must occur once)."""
    phrase = at.replace("[", "").replace("]", "")
    assert text.count(phrase) == 1, (at, text.count(phrase))
    start = text.index(phrase) + at.index("[")
    return start, start + at.index("]") - at.index("[") - 1


@dataclass
class Score:
    expected: Counter[str] = field(default_factory=Counter)  # counts per phenomenon
    found: Counter[str] = field(default_factory=Counter)  # right text and value
    proposed: Counter[str] = field(default_factory=Counter)  # candidates over a label
    rejected: Counter[str] = field(default_factory=Counter)  # not-counts not proposed
    not_counts: Counter[str] = field(default_factory=Counter)
    dated: Counter[str] = field(default_factory=Counter)  # as_of labels per way told
    dated_right: Counter[str] = field(default_factory=Counter)
    candidates: int = 0
    unlabelled: list[str] = field(default_factory=list)  # candidates over no label
    cut: list[str] = field(default_factory=list)  # quotes cut inside a word or number
    fused: list[str] = field(default_factory=list)  # quotes running over a paragraph
    boilerplate: list[str] = field(default_factory=list)  # furniture left in the text

    @property
    def precision(self) -> float:
        return sum(self.found.values()) / self.candidates

    @property
    def recall(self) -> float:
        return sum(self.found.values()) / sum(self.expected.values())


def measure() -> Score:
    labels = json.loads((DATA / "labels.json").read_text())
    score = Score()
    for name, article in labels.items():
        text, lines = read(name, article["published"])
        score.candidates += len(lines)
        score.boilerplate += [f"{name}: {a}" for a in article.get("absent", []) if a in text]
        paragraphs = set(paragraph_ends((DATA / name).read_bytes(),
                                        sniff((DATA / name).read_bytes(), name), None, text))
        for c in lines:
            start, end = c["anchor"]["position"]["start"], c["anchor"]["position"]["end"]
            if inside(text, start) or inside(text, end):
                score.cut.append(f"{name}: {c['quote']}")
            if any(start < p < end for p in paragraphs):
                score.fused.append(f"{name}: {c['quote']}")
        labelled: set[int] = set()
        for label in article["counts"]:
            start, end = span(text, label["at"])
            kind = label["kind"]
            score.expected[kind] += 1
            over = [(i, c) for i, c in enumerate(lines)
                    if c["candidate"]["span"][0] < end and start < c["candidate"]["span"][1]]
            labelled |= {i for i, _ in over}
            score.proposed[kind] += len(over)
            right = [c for _, c in over if c["candidate"]["span"] == [start, end]
                     and c["value"] == label["value"]]
            score.found[kind] += bool(right)
            if "as_of" in label:
                score.dated[label["date"]] += 1
                score.dated_right[label["date"]] += bool(right) and right[0]["as_of"] == \
                    label["as_of"]
        for label in article["not_counts"]:
            start, end = span(text, label["at"])
            score.not_counts[label["kind"]] += 1
            over = [i for i, c in enumerate(lines)
                    if c["candidate"]["span"][0] < end and start < c["candidate"]["span"][1]]
            labelled |= set(over)
            score.rejected[label["kind"]] += not over
        score.unlabelled += [f"{name}: {c['candidate']['text']}" for i, c in enumerate(lines)
                             if i not in labelled]
    return score


def report(score: Score) -> str:
    rows = ["| counts | expected | found | proposed over them | precision | recall |",
            "|---|---:|---:|---:|---:|---:|"]
    for kind in sorted(score.expected):
        e, f, p = score.expected[kind], score.found[kind], score.proposed[kind]
        rows.append(f"| {kind} | {e} | {f} | {p} | {f / p if p else 1:.2f} | {f / e:.2f} |")
    rows.append(f"| all | {sum(score.expected.values())} | {sum(score.found.values())} | "
                f"{score.candidates} candidates | {score.precision:.2f} | "
                f"{score.recall:.2f} |")
    rows += ["", "| not counts | labelled | not proposed |", "|---|---:|---:|"]
    rows += [f"| {kind} | {n} | {score.rejected[kind]} |"
             for kind, n in sorted(score.not_counts.items())]
    rows += ["", "| as_of told | labelled | right |", "|---|---:|---:|"]
    rows += [f"| {kind} | {n} | {score.dated_right[kind]} |"
             for kind, n in sorted(score.dated.items())]
    rows += ["", f"quotes cut inside a word or number: {len(score.cut)}; quotes over a "
             f"paragraph end: {len(score.fused)}; furniture left in the text: "
             f"{len(score.boilerplate)}; candidates over no label: {score.unlabelled}"]
    return "\n".join(rows)


if __name__ == "__main__":
    print(report(measure()))
