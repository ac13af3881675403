"""Fixtures of the site tests: `published` (the site of `published_site.build`, once per
module) and `page` (a written page's text)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from published_site import Published, build


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    built = build(tmp_path_factory.mktemp("site"))
    yield built
    built.ledger.close()


@pytest.fixture
def page() -> Callable[[Published, str], str]:
    """`page(published, "index.html")`: a written page's text."""
    return lambda site, path: (site.directory / path).read_text(encoding="utf-8")
