"""A labelled corpus for `tally extract`: news-style sentences written for this project,
each with the numeric mentions a reviewer expects (the mention's text, its value in
Tally's grammar, the rule that should match it). Sentences with no expected mention
hold the things that are never quantities: years, dates, ages, clock times, ordinals.

`measure()` gives precision and recall per rule (docs/extraction.md quotes it):

    python tests/unit/extraction/corpus.py
"""

from __future__ import annotations

from collections import Counter

from tally.ledger.evidence.extraction.grammar import mentions

Expected = tuple[str, str, str]  # (mention text, value, rule)

CORPUS: list[tuple[str, list[Expected]]] = [
    ("Rescuers recovered 447 bodies from the forest by Friday evening.",
     [("447", "447", "digits")]),
    ("The regional prosecutor said more than 440 bodies had been exhumed.",
     [("more than 440", ">440", "more-than")]),
    ("At least 30 of the dead showed signs of violence, according to investigators.",
     [("At least 30", ">=30", "at-least")]),
    ("About 450 graves were marked with simple wooden crosses.",
     [("About 450", "~450", "about")]),
    ("Around 1,200 residents left the town during the first week.",
     [("Around 1,200", "~1200", "about")]),
    ("Nearly 90 homes were destroyed in the shelling.",
     [("Nearly 90", "~90", "about")]),
    ("Officials estimated that up to 30 people were still missing.",
     [("up to 30", "<=30", "up-to")]),
    ("Between 440 and 451 bodies were counted, depending on the source.",
     [("Between 440 and 451", "440..451", "between")]),
    ("Hundreds of bodies were moved to the morgue in Kharkiv.",
     [("Hundreds of", ">=200", "vague-plural")]),
    ("Dozens of volunteers helped to dig the trenches.",
     [("Dozens of", ">=24", "vague-plural")]),
    ("Thousands of families are still waiting for news.",
     [("Thousands of", ">=2000", "vague-plural")]),
    ("Seven children were among the victims.", [("Seven", "7", "number-words")]),
    ("Twenty-two soldiers were identified by their tattoos.",
     [("Twenty-two", "22", "number-words")]),
    ("A dozen experts from the national police joined the team.",
     [("A dozen", "12", "number-words")]),
    ("Forty-five graves remained unmarked.", [("Forty-five", "45", "number-words")]),
    ("Unemployment in the district rose to 12% last year.",
     [("12%", "12", "percent")]),
    ("Only 35 percent of the victims have been identified so far.",
     [("35 percent", "35", "percent")]),
    ("Around half of the village was still without power on Sunday.",
     [("Around half of", "~50", "fraction")]),
    ("More than a quarter of the wells were found to be contaminated.",
     [("More than a quarter of", ">25", "fraction")]),
    ("The convoy reached the checkpoint half an hour late.", []),
    ("The team identified 215 women and 194 men.",
     [("215", "215", "digits"), ("194", "194", "digits")]),
    ("Of those, 5 were children and 22 were soldiers.",
     [("5", "5", "digits"), ("22", "22", "digits")]),
    ("Fewer than 10 bodies were returned to their families in March.",
     [("Fewer than 10", "<10", "fewer-than")]),
    ("Police said over 100 witnesses had given statements.",
     [("over 100", ">100", "more-than")]),
    ("The mayor said no fewer than 17 people had been tortured.",
     [("no fewer than 17", ">=17", "at-least")]),
    ("Investigators opened 146 graves on the first day and 59 on the second.",
     [("146", "146", "digits"), ("59", "59", "digits")]),
    ("The fund paid 2,500,000 hryvnias in compensation.", []),
    ("Roughly 3.5 square kilometres were searched.",
     [("Roughly 3.5", "~3.5", "about")]),
    ("Almost twenty volunteers worked in shifts.",
     [("Almost twenty", "~20", "about")]),
    ("More than a dozen graves held more than one body.",
     [("More than a dozen", ">12", "more-than"), ("more than one", ">1", "more-than")]),
    ("Three of the bodies were never claimed.", [("Three", "3", "number-words")]),
    ("Some 40 investigators worked at the site.", [("Some 40", "~40", "about")]),
    ("Exhumations began on 16 September 2022.", []),
    ("The work ended in November 2025, officials said.", []),
    ("In 2023 the site was declared a memorial.", []),
    ("A 45-year-old man was among the victims.", []),
    ("The victims were aged 60 and 72.", []),
    ("The briefing started at 10:30 a.m. local time.", []),
    ("The team met again at 9 am on Monday.", []),
    ("It was the 3rd mass grave found in the region.", []),
    ("On September 23 the prosecutor gave a press conference.", []),
    ("The second exhumation started on 5 May.", []),
    ("One of the investigators spoke to reporters.", []),
    ("The identification of 449 people was completed on 24 November 2025.",
     [("449", "449", "digits")]),
    ("About a hundred people gathered at the cemetery.",
     [("About a hundred", "~100", "about")]),
    ("The figure was revised to four hundred and forty-seven.",
     [("four hundred and forty-seven", "447", "number-words")]),
    ("Two hundred graves were dug in the pine forest.",
     [("Two hundred", "200", "number-words")]),
    ("A further 30 bodies were found in a separate grave in 2023.",
     [("30", "30", "digits")]),
]


def measure() -> dict[str, dict[str, float]]:
    """Per rule: expected, found, true positives, precision and recall. A found mention is
    right when its text and value are an expected mention's (the rule is the one the
    expected mention names for recall, the found one for precision)."""
    tp_found: Counter[str] = Counter()
    tp_expected: Counter[str] = Counter()
    found_n: Counter[str] = Counter()
    expected_n: Counter[str] = Counter()
    for sentence, expected in CORPUS:
        got = [(sentence[m.start:m.end], m.value, m.rule) for m in mentions(sentence)]
        for _, _, rule in expected:
            expected_n[rule] += 1
        for _, _, rule in got:
            found_n[rule] += 1
        wanted = {(t, v): r for t, v, r in expected}
        for text, value, rule in got:
            if (text, value) in wanted:
                tp_found[rule] += 1
                tp_expected[wanted[(text, value)]] += 1
    table = {}
    for rule in sorted(set(expected_n) | set(found_n)):
        table[rule] = {
            "expected": expected_n[rule], "found": found_n[rule],
            "precision": tp_found[rule] / found_n[rule] if found_n[rule] else 1.0,
            "recall": tp_expected[rule] / expected_n[rule] if expected_n[rule] else 1.0,
        }
    total_expected, total_found = sum(expected_n.values()), sum(found_n.values())
    table["all"] = {"expected": total_expected, "found": total_found,
                    "precision": sum(tp_found.values()) / total_found,
                    "recall": sum(tp_expected.values()) / total_expected}
    return table


if __name__ == "__main__":
    print("| rule | expected | found | precision | recall |")
    print("|---|---:|---:|---:|---:|")
    for rule, row in measure().items():
        print(f"| {rule} | {row['expected']} | {row['found']} | {row['precision']:.2f} | "
              f"{row['recall']:.2f} |")
