"""Figure ids to site paths: injective, and no id's file is another id's folder, even on a
file system that ignores case (projections/publish/site/paths.py)."""

from __future__ import annotations

from budgets import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from tally.projections.publish.site.paths import figure_page

segment = st.text(alphabet="abxyzHX.0_-~", min_size=1, max_size=8)
ids = st.lists(segment, min_size=1, max_size=4).map("/".join)


@settings(max_examples=examples(300))
@given(st.lists(ids, min_size=2, max_size=8, unique=True))
def test_no_two_ids_share_a_file_or_make_a_folder_of_a_file(figures: list[str]) -> None:
    files = {figure_page(f, s).lower(): f for f in figures for s in (".html", ".json")}
    assert len(files) == 2 * len(figures)
    folders = {p.rsplit("/", n)[0] for p in files for n in range(1, p.count("/"))}
    assert not set(files) & folders


def test_plain_ids_keep_their_paths() -> None:
    assert figure_page("izium/burial-site/graves") == "figures/izium/burial-site/graves.html"
    assert figure_page("x.html/y", ".json") == "figures/x.html~/y.json"
