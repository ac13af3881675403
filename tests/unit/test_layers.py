"""Dependencies point inward: the write side loads no read side and no terminal library."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import ledger

ROOT = Path(__file__).resolve().parents[2]


def test_importing_ledger_loads_neither_rich_typer_nor_projections() -> None:
    code = (
        "import ledger, ledger.importer, sys; "
        "loaded = sorted(m for m in sys.modules "
        "if m.split('.')[0] in {'rich', 'typer', 'projections', 'cli'}); "
        "assert not loaded, loaded"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_public_api_is_pinned() -> None:
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
        assert getattr(ledger, name).__module__.startswith("ledger.")
