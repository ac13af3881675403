"""The mapping file of the QuickStatements export (`--map FILE`): which Wikidata item and
property each figure prefix is reported on, and (optionally) the item of each source.

```json
{"figures": {"izium/burial-site/bodies-exhumed": {"item": "Q113000000", "property": "P1120",
                                                   "unit": null, "language": "en"}},
 "sources": {"suspilne": "Q4508296"}}
```

A figure takes the mapping of the longest prefix that is its id or an ancestor of it
(`izium/burial-site` maps `izium/burial-site/graves`). A figure with none is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from tally.ledger.errors import ExportError
from tally.ledger.infra.bounded_files import read_regular
from tally.ledger.integrity import strict_json

Item = Annotated[str, StringConstraints(pattern=r"^Q[1-9][0-9]{0,11}$")]
Property = Annotated[str, StringConstraints(pattern=r"^P[1-9][0-9]{0,11}$")]
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[a-z0-9]{1,8})*$")]
MAX_MAP_BYTES = 1 << 20


class Target(BaseModel):
    """Where a figure's reports go: `item` (QID), `property` (PID), `unit` (QID or null:
    a count), `language` of its quotes (`und` when unknown)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    item: Item
    property: Property
    unit: Item | None = None
    language: Language = "und"


class WikidataMap(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    figures: dict[str, Target]
    sources: dict[str, Item] = {}

    def target(self, figure: str) -> Target | None:
        """The mapping of the longest prefix that is `figure` or an ancestor of it."""
        parts = figure.split("/")
        for end in range(len(parts), 0, -1):
            found = self.figures.get("/".join(parts[:end]))
            if found is not None:
                return found
        return None


def read_map(path: Path) -> WikidataMap:
    """The mapping file at `path`; ExportError, in one sentence, if it is not one."""
    data = strict_json.loads(read_regular(path, MAX_MAP_BYTES, "mapping file", ExportError),
                             f"the mapping file {path}", ExportError)
    try:
        return WikidataMap.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ExportError(f"the mapping file {path} is refused at {where}: "
                          f"{first['msg']}") from None
