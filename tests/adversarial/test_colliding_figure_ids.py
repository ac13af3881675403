"""A signer who defines figure ids that collide as site paths, to stop publication.

`x` is the page `figures/x.html`; `x.html/y` would need a folder of that name, and so
would `x.json/y` beside `figures/x.json`. Events cannot be removed, so a collision
would stop every later `tally publish` for good. Paths are an injective, lowercase
mapping of the ids (projections/publish/site/paths.py), so every valid id gets its own files.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from clirunner import Tally

from tally.projections.publish.site.paths import figure_page

COLLIDING = ["x", "x.html/y", "x.json/y", "x.html/y.json/z", "x/y", "x.html", "a.b/c", "a.b.html"]


def test_figure_ids_that_collide_as_paths_do_not_stop_publish(tmp_path: Path) -> None:
    tally = Tally(tmp_path)
    tally("init", "--name", "example.org/collisions")
    for figure in COLLIDING:
        tally("figures", "define", figure, "--unit", "things")
    site = tmp_path / "site"
    tally("publish", str(site))
    tally("publish", str(site))  # and again, over the first site
    for figure in COLLIDING:
        assert (site / figure_page(figure)).is_file(), figure
        assert (site / figure_page(figure, ".json")).is_file(), figure


def test_no_two_ids_share_a_file_or_a_folder_case_insensitively() -> None:
    ids = [*COLLIDING, "x.HTML/y", "X", "a~2e/b", "x.html~/y"]
    files = {figure_page(f, s).lower() for f in ids for s in (".html", ".json")}
    assert len(files) == 2 * len(ids)
    folders = {p.lower().rsplit("/", n)[0] for p in files for n in range(1, p.count("/"))}
    assert not files & folders
    for a, b in itertools.combinations(ids, 2):
        assert figure_page(a).lower() != figure_page(b).lower()
