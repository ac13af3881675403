"""The `--json` answers of commands that open no database: this module loads no database
library (`tests/integration/test_startup.py`), unlike `cli.answers`, whose answers carry the
ledger's own types."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from tally.ledger.infra.keystore import KeyInfo


class KeyList(BaseModel):
    """`tally keys list`: the key folder and the keys in it (`cli.state.show_list`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    dir: str
    keys: list[KeyInfo]
