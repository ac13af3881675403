"""Wikidata QuickStatements (version 1 commands, tab-separated, one a line): one forced
new statement (`!P…`) per report on the item and property its figure maps to.

```
ITEM  !PROP  VALUE  P585 TIME [P1480 QUALIFIER]  S854 "URL"  S1683 LANG:"QUOTE"
      S577 TIME  S813 TIME  [S248 ITEM]  /* Tally claim … */
```

- VALUE: `447`, `450~22.5` (symmetric bounds only), or `[440,451]` (bounds, the
  QuickStatements 3.0 form, with a warning); `U` and the unit's QID after it. An open
  bound (`>=440`, `<30`), a state and a retracted claim have no statement: a warning
  names each.
- TIME: `+2022-09-23T00:00:00Z/11`, the precision always explicit (11 day, 10 month,
  9 year); an uncertain date (`?`) is qualified `P1480 Q18122778` (presumably), an
  approximate one (`~`) `P1480 Q5727902` (circa); an interval is `P580`/`P582`.
- References: the article's URL (`S854`), the quote as monolingual text (`S1683`, in the
  figure's mapped language), its publication date (`S577`), retrieved (`S813`: the day
  the claim was recorded), and `S248` the source's item when the map names one.
- The edit summary names the claim, its leaf index, leaf hash, checkpoint, source,
  signature and permalink.
"""

from __future__ import annotations

import re
from decimal import Decimal

from tally.ledger.errors import ExportError
from tally.projections.interop.mapping import ClaimRecord, Record, Value
from tally.projections.interop.wikidata_map import Target, WikidataMap

PRESUMABLY, CIRCA = "Q18122778", "Q5727902"
_DAY = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?([?~%]?)$")
_UNSAFE = re.compile(r'["\t\n\r]')


def _number(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def quantity(value: Value, target: Target) -> tuple[str | None, str | None]:
    """The value in QuickStatements, or None; and a warning, or None."""
    unit = f"U{target.unit[1:]}" if target.unit else ""
    low, high = value.low, value.high
    if value.kind == "exact" and low is not None:
        return _number(low) + unit, None
    if value.kind == "about" and low is not None and high is not None:
        middle, half = (Decimal(low) + Decimal(high)) / 2, (Decimal(high) - Decimal(low)) / 2
        return f"{_number(str(middle))}~{_number(str(half))}{unit}", None
    if value.kind == "range" and low is not None and high is not None:
        return (f"[{_number(low)},{_number(high)}]{unit}",
                "written as bounds [l,u], which only QuickStatements 3.0 reads")
    return None, f"QuickStatements cannot express the value {value.written!r} ({value.kind})"


def point_in_time(edtf: str, qualifier: str = "P585") -> list[str] | None:
    """A date as QuickStatements time commands with explicit precision, or None."""
    if "/" in edtf:
        start, _, end = edtf.partition("/")
        first, last = point_in_time(start, "P580"), point_in_time(end, "P582")
        return None if first is None or last is None else first + last
    match = _DAY.fullmatch(edtf)
    if match is None:
        return None
    year, month, day, mark = match.groups()
    precision = 11 if day else 10 if month else 9
    time = f"+{year}-{month or '00'}-{day or '00'}T00:00:00Z/{precision}"
    marks = {"?": [PRESUMABLY], "~": [CIRCA], "%": [PRESUMABLY, CIRCA], "": []}[mark]
    return [qualifier, time] + [x for q in marks for x in ("P1480", q)]


def _references(claim: ClaimRecord, target: Target, sources: dict[str, str],
                warn: list[str]) -> list[str]:
    refs: list[str] = []
    if claim.url is not None and not _UNSAFE.search(claim.url):
        refs += ["S854", f'"{claim.url}"']
    if claim.quote is not None:
        if _UNSAFE.search(claim.quote):
            warn.append(f"claim {claim.id}: its quote holds a double quote, tab or line "
                        "break, which a QuickStatements string cannot: left out")
        else:
            refs += ["S1683", f'{target.language}:"{claim.quote}"']
    if claim.published is not None:
        published = point_in_time(claim.published)
        if published is None or len(published) != 2:
            warn.append(f"claim {claim.id}: its publication date {claim.published!r} has "
                        "no exact QuickStatements time: left out")
        else:
            refs += ["S577", published[1]]
    refs += ["S813", f"+{claim.recorded_at.date().isoformat()}T00:00:00Z/11"]
    if claim.source.id in sources:
        refs += ["S248", sources[claim.source.id]]
    return refs


def summary(claim: ClaimRecord) -> str:
    log = claim.log
    return (f"/* Tally claim {claim.id} leaf {log.leaf_index} {log.leaf_hash} checkpoint "
            f"{log.checkpoint} source {claim.source.id} signature {log.signature} "
            f"{claim.permalink} */")


def statement(claim: ClaimRecord, mapping: WikidataMap, warn: list[str]) -> str | None:
    """The claim's command line, or None (and a warning) when it has none."""
    target = mapping.target(claim.figure)
    assert target is not None
    if claim.status == "retracted":
        warn.append(f"claim {claim.id} is retracted: no statement")
        return None
    value, problem = quantity(claim.value, target)
    if problem is not None:
        warn.append(f"claim {claim.id}: {problem}" + ("" if value else ": no statement"))
    when = point_in_time(claim.as_of)
    if when is None:
        warn.append(f"claim {claim.id}: its date {claim.as_of!r} has no QuickStatements "
                    "time: no statement")
    if value is None or when is None:
        return None
    cells = [target.item, "!" + target.property, value, *when,
             *_references(claim, target, mapping.sources, warn)]
    return "\t".join(cells) + "\t" + summary(claim)


def commands(record: Record, mapping: WikidataMap) -> tuple[list[str], list[str]]:
    """The command lines and the warnings; ExportError if a figure has no mapping."""
    unmapped = sorted({c.figure for c in record.claims if mapping.target(c.figure) is None})
    if unmapped:
        raise ExportError(f"the mapping file maps no prefix of {', '.join(unmapped[:5])}"
                          f"{' …' if len(unmapped) > 5 else ''}: map it, or leave it out "
                          "with --figure")
    warn: list[str] = []
    lines = [line for c in record.claims if (line := statement(c, mapping, warn))]
    return lines, warn

