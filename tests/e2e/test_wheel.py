"""The built wheel installs one import package, `tally`, holding every module of the tree.

Three top-level packages named `ledger`, `projections` and `cli` would overwrite, or be
overwritten by, any other distribution's package of the same name, silently.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = {"ledger": "tally/ledger", "projections": "tally/projections", "cli": "tally/cli"}


@pytest.mark.slow
def test_wheel_holds_only_tally_and_every_module(tmp_path: Path) -> None:
    # built from a copy, so the build leaves no build/ folder in the working tree
    source = tmp_path / "source"
    for folder in FOLDERS:
        shutil.copytree(ROOT / folder, source / folder,
                        ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--wheel-dir", str(wheels), str(source)],
                   check=True, capture_output=True, timeout=300)
    (wheel,) = wheels.glob("tally-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"tally", next(t for t in tops if t.endswith(".dist-info"))}
    expected = {
        f"{package}/{path.relative_to(ROOT / folder).as_posix()}"
        for folder, package in FOLDERS.items()
        for path in (ROOT / folder).rglob("*")
        # modules, markers, and the site's templates and static files (package data)
        if path.suffix in {".py", ".typed", ".html", ".svg", ".css"}
        and "__pycache__" not in path.parts
    }
    missing = expected - set(names)
    assert not missing, f"not in the wheel (list the package in pyproject.toml): {sorted(missing)}"
