"""The interop side of `tally publish`: the base URL (given, or kept in the site's
`log.json`), the HTML pages made with it (absolute permalinks, embedded JSON-LD), and the
export files and feed the site carries (`site_exports`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from tally.ledger.integrity.signing import KeyPair
from tally.projections.interop.mapping import checked_base_url, gather
from tally.projections.interop.site_exports import site_exports
from tally.projections.publish.files import SiteFiles
from tally.projections.publish.page_renderer import PageRenderer, Pages
from tally.projections.publish.site import HtmlPages
from tally.projections.readmodel import ReadModel

MAX_LOG_INFO_BYTES = 1 << 20


@dataclass
class SiteInterop:
    """`base_url` as given (None: keep the site's); the operator key signs credentials
    (None: the site carries no credentials)."""

    base_url: str | None
    operator: KeyPair | None
    moved: bool = field(default=False, init=False)  # a new base URL: every page again

    def __post_init__(self) -> None:
        if self.base_url is not None:
            self.base_url = checked_base_url(self.base_url)

    def base_url_of(self, files: SiteFiles) -> str | None:
        """The given base URL, else the one the site's log.json keeps (a hint: only ever
        used to spell links, so a wrong one misdirects links, never a check)."""
        kept: str | None = None
        data = files.read("log.json", MAX_LOG_INFO_BYTES)
        if data is not None and len(data) <= MAX_LOG_INFO_BYTES:
            try:
                found = json.loads(data).get("base_url")
            except (ValueError, AttributeError):
                found = None
            kept = found if isinstance(found, str) else None
        self.moved = self.base_url is not None and self.base_url != kept
        return self.base_url if self.base_url is not None else kept

    @staticmethod
    def renderer(renderer: PageRenderer, model: ReadModel, note: str,
                 base_url: str | None) -> Pages:
        if renderer is HtmlPages:
            return HtmlPages(model, note, base_url=base_url)
        return renderer(model, note)

    def files(self, model: ReadModel, base_url: str | None, claims: set[str] | None
              ) -> Iterator[tuple[str, bytes]]:
        """The exports and the feed; credentials of `claims` only (None: all)."""
        record = gather(model.ledger, model, base_url=base_url)
        yield from site_exports(record, model, self.operator, claims)
