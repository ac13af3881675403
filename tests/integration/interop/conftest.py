"""The Izium ledger, checkpointed, that the interop formats' tests export; and a JSON-LD
document loader that serves the contexts shipped in tests/data (no network)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tally.ledger.application import Ledger
from tally.ledger.importer import import_lines
from tally.ledger.infra.keystore import KeyStore
from tally.ledger.integrity.signing import KeyPair
from tally.projections.readmodel import ReadModel

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "izium" / "izium.jsonl"
CONTEXTS = {"https://schema.org/": ROOT / "tests" / "data" / "contexts" / "schemaorg-30.0.jsonld"}


@dataclass
class Izium:
    ledger: Ledger
    views: ReadModel
    operator: KeyPair
    db: Path
    home: Path


@pytest.fixture(scope="package")
def izium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Izium]:
    tmp = tmp_path_factory.mktemp("izium-interop")
    keys = KeyStore(tmp / "home")
    operator, recorder = keys.create("operator"), keys.create("recorder")
    ledger = Ledger.open(str(tmp / "izium.db"), create=True)
    ledger.init("tally.example/izium", operator)
    ledger.add_signer("recorder", recorder.public_key, operator)
    views = ReadModel(ledger).attach()
    with EXAMPLE.open("rb") as lines:
        import_lines(ledger, lines, recorder)
    ledger.checkpoint(operator)
    yield Izium(ledger, views, operator, tmp / "izium.db", tmp / "home")
    ledger.close()


def offline_loader(url: str, options: Any = None) -> dict[str, Any]:
    """pyld's document loader: the shipped contexts only; any other URL is an error."""
    path = CONTEXTS.get(url)
    if path is None:
        raise ValueError(f"no network in the tests: {url} is not shipped in tests/data")
    return {"contextUrl": None, "documentUrl": url,
            "document": json.loads(path.read_text(encoding="utf-8"))}


@pytest.fixture
def loader() -> Callable[[str, Any], dict[str, Any]]:
    return offline_loader
