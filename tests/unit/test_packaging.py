"""pyproject.toml names every folder the wheel installs as a package: setuptools warns
about a folder of package data that is not one (`make demo` printed those warnings)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = {"ledger": "tally.ledger", "projections": "tally.projections", "cli": "tally.cli"}


def test_every_folder_that_ships_files_is_a_listed_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    shipped = {
        ".".join([package, *path.parent.relative_to(ROOT / folder).parts])
        for folder, package in FOLDERS.items()
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert shipped - listed == set()
