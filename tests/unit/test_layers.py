"""The layers, enforced: what each part of `tally` may load, checked module by module.

Each module is imported alone in a fresh interpreter, and the top-level packages it
pulled in are compared with what its layer allows:

- `tally.ledger.model` and `tally.ledger.integrity` are pure: no SQLAlchemy, no database
  drivers; `integrity` loads no eventsourcing and nothing from `model` either. The one
  module that declares the aggregates (`model.events`) may load eventsourcing.
- nothing under `tally.ledger` loads the read side, the CLI or a terminal library;
- `tally.projections` loads no rich, typer or CLI, and its `rules` are pure: no SQLAlchemy,
  no database drivers, no eventsourcing, nothing of the publisher;
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = {"ledger": "tally.ledger", "projections": "tally.projections", "cli": "tally.cli"}
DATABASE = {"sqlalchemy", "psycopg", "psycopg_pool", "sqlite3", "eventsourcing"}
TERMINAL = {"rich", "typer", "click"}


def modules() -> list[str]:
    names = []
    for folder, package in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            names.append(".".join((package, *parts)))
    return names


def forbidden(module: str) -> set[str]:
    """The top-level names (or tally subpackages) `module` must not load."""
    banned: set[str] = set()
    if module.startswith("tally.ledger"):
        banned |= TERMINAL | {"tally.projections", "tally.cli"}
    if module.startswith("tally.ledger.integrity"):
        banned |= DATABASE | {"tally.ledger.model"}
    if module.startswith("tally.ledger.model"):
        banned |= DATABASE - ({"eventsourcing"} if module == "tally.ledger.model.events" else set())
    if module.startswith("tally.projections"):
        banned |= TERMINAL | {"tally.cli"}
    if module.startswith("tally.projections.rules"):
        banned |= DATABASE | {"tally.projections.publish"}
    return banned


_PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
loaded = set()
for name in sys.modules:
    top = name.split('.')[0]
    loaded.add(top)
    if top == 'tally':
        loaded.add('.'.join(name.split('.')[:3]))
print(json.dumps(sorted(loaded)))
"""


def loaded_by(module: str) -> set[str]:
    result = subprocess.run([sys.executable, "-c", _PROBE, module], cwd=ROOT / "tests",
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout))


def test_every_module_is_seen() -> None:
    found = modules()
    assert "tally.ledger.integrity.merkle" in found
    assert "tally.ledger.verify.audit" in found
    assert "tally.ledger.tlog.replica" in found
    assert "tally.projections.rules.figure" in found
    assert "tally.projections.publish.site.pages" in found
    assert "tally.ledger.model.statements" in found
    assert len(found) > 50


@pytest.mark.parametrize("module", [m for m in modules() if forbidden(m)])
def test_module_keeps_to_its_layer(module: str) -> None:
    loaded = loaded_by(module)
    assert not loaded & forbidden(module), f"{module} loads {sorted(loaded & forbidden(module))}"


def test_the_probe_sees_a_violation() -> None:
    # the cli loads rich: if the probe missed it, every check above would pass vacuously
    assert "rich" in loaded_by("tally.cli.output")
    assert "sqlalchemy" in loaded_by("tally.ledger.infra.storage")


def test_public_api_is_pinned() -> None:
    import tally.ledger as ledger

    assert ledger.__all__ == [
        "Appended",
        "KeyPair",
        "KeyStore",
        "Ledger",
        "LedgerError",
        "LedgerInfo",
        "SignerInfo",
    ]
    for name in ledger.__all__:
        assert getattr(ledger, name).__module__.startswith("tally.ledger.")


def test_the_read_side_asks_the_ledger_instead_of_reading_its_tables() -> None:
    """`projections` imports no write-side table (the log's leaves and checkpoints, the
    event store's rows): it asks the ledger's API, so a ReadModel can live elsewhere. Both
    import forms count: `from tally.ledger.infra.merkle_log import leaves` and `from
    tally.ledger.infra import merkle_log`."""
    import ast

    write_side = {"tally.ledger.infra.merkle_log", "tally.ledger.infra.eventstore"}
    allowed = {
        ("eventstore", "Notification"),  # a record type, not a table
        # the read commands' lean path, when nothing lags: merkle_log's read functions
        # (coverage, last_position) on the read model's own connection (architecture.md)
        ("reader", "tally.ledger.infra.merkle_log"),
    }
    for path in sorted((ROOT / "projections").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or node.module is None:
                continue
            for alias in node.names:
                whole = f"{node.module}.{alias.name}"
                if whole in write_side:
                    used = (path.stem, whole)
                elif node.module in write_side:
                    used = (node.module.rsplit(".", 1)[1], alias.name)
                else:
                    continue
                assert used in allowed, f"{path.name} imports {whole}"
