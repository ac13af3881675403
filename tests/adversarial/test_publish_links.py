"""Symbolic links planted in a site's folder, to make `publish` write elsewhere.

`publish` wrote each file under a temporary name it opened by following links, then
renamed it: a link planted at `.log.json.tmp` made it write `log.json` into the linked
file, and a `figures` link made it write pages into the linked folder. Files are now
created with O_EXCL|O_NOFOLLOW, folders opened without following links, and a link
anywhere inside the site is refused in one sentence, with nothing written through it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile import recorder


@pytest.fixture
def published(tmp_path: Path) -> tuple[Path, object]:
    tally = recorder(tmp_path)
    site = tmp_path / "site"
    tally("publish", str(site))
    tally("report", "site/bodies", "447", "--as-of", "2022-09", "--source", "news",
          "--key", "alice")  # a new claim: the next publish rewrites log.json and pages
    return site, tally


def test_a_planted_temporary_file_link_is_not_written_through(
        published: tuple[Path, object], tmp_path: Path) -> None:
    site, tally = published
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    for name in ("log.json", "checkpoint", "index.html"):
        (site / f".{name}.tmp").symlink_to(victim)
    tally("publish", str(site))  # type: ignore[operator]
    assert victim.read_text() == "precious\n"
    assert not (site / "log.json").is_symlink() and (site / "log.json").stat().st_size > 2


def test_a_linked_folder_inside_the_site_is_refused(
        published: tuple[Path, object], tmp_path: Path) -> None:
    site, tally = published
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for folder in (site / "figures").iterdir():
        folder.rename(elsewhere / folder.name)
    (site / "figures").rmdir()
    (site / "figures").symlink_to(elsewhere)
    before = sorted(p.name for p in elsewhere.rglob("*"))
    out = tally("publish", str(site), code=1).output  # type: ignore[operator]
    assert "is a symbolic link" in out and "figures" in out, out
    assert sorted(p.name for p in elsewhere.rglob("*")) == before


def test_a_linked_file_inside_the_site_is_refused(
        published: tuple[Path, object], tmp_path: Path) -> None:
    site, tally = published
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (site / "log.json").unlink()
    (site / "log.json").symlink_to(victim)
    out = tally("publish", str(site), code=1).output  # type: ignore[operator]
    assert "log.json" in out and "is a symbolic link" in out, out
    assert victim.read_text() == "precious\n"


def test_a_fifo_or_a_giant_file_planted_in_the_site_is_not_read_whole(
        published: tuple[Path, object]) -> None:
    import os

    site, tally = published
    (site / "index.html").unlink()
    os.mkfifo(site / "index.html")  # reading it blocked publish for good
    out = tally("publish", str(site), code=1).output  # type: ignore[operator]
    assert "index.html" in out and "not a regular file" in out, out
    (site / "index.html").unlink()
    with (site / "index.html").open("wb") as giant:  # sparse: 8 GiB, read to compare
        giant.truncate(8 << 30)
    tally("publish", str(site))  # type: ignore[operator]
    assert (site / "index.html").stat().st_size < 1 << 20
