"""`tally` run in-process (typer's CliRunner) against one ledger and one key directory: the
runner the CLI tests share (`from clirunner import Tally`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from tally.cli.main import app


class Tally:
    """`tally(*args, code=0)` runs one command and checks its exit code and that no
    traceback or escaping exception got out; `json(*args)` parses its `--json` output;
    `refused(*args, fragment=...)` checks a refusal in one sentence."""

    def __init__(self, tmp: Path, db: str | None = None, columns: int | None = 100) -> None:
        """`columns` None: no `COLUMNS`, so answers take the width they need (the runner's
        stdout is not a terminal)."""
        self.env = {"TALLY_HOME": str(tmp / "home"), "TALLY_DB": db or str(tmp / "t.db")}
        if columns is not None:
            self.env["COLUMNS"] = str(columns)
        self.tmp = tmp
        self.keys = tmp / "home" / "keys"

    def __call__(self, *args: str, code: int = 0) -> Any:
        result = CliRunner().invoke(app, list(args), env={"COLUMNS": None, **self.env})
        assert result.exit_code == code, (args, result.output, result.exception)
        assert "Traceback" not in result.output
        # an exception escaping the command is exit code 1 for CliRunner too
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            result.exception)
        return result

    def json(self, *args: str, code: int = 0) -> Any:
        return json.loads(self("--json", *args, code=code).stdout)

    def refused(self, *args: str, fragment: str) -> str:
        """Runs a command that must fail: one line on stderr holding `fragment`, exit 1, and
        the same with --json as {"error": ...} on stdout."""
        result = self(*args, code=1)
        message = result.stderr.strip()
        assert message.startswith("error: ") and len(message.splitlines()) == 1, message
        assert fragment in message, message
        assert "error" in json.loads(self("--json", *args, code=1).stdout)
        return str(message)
