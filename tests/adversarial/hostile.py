"""A small ledger driven through the CLI, for the hostile-input tests: an operator, a
recorder `alice`, a source `news` and a figure `site/bodies`."""

from __future__ import annotations

from pathlib import Path

from clirunner import Tally


def recorder(tmp_path: Path) -> Tally:
    t = Tally(tmp_path)
    t("init", "--name", "example.org/hostile")
    t("keys", "new", "alice")
    t("signers", "add", "alice", "--key", "alice")
    t("sources", "add", "news", "--name", "News", "--kind", "media")
    t("figures", "define", "site/bodies", "--unit", "bodies")
    return t


def fifo(path: Path) -> Path:
    import os

    os.mkfifo(path)
    return path


def operator_key(tally: Tally) -> str:
    """The operator's public key, in hex, as a reader takes it from the operator."""
    from tally.ledger.infra.keystore import KeyStore

    return KeyStore(tally.tmp / "home").load("operator").public_key.hex()
