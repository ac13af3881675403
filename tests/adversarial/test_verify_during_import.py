"""`tally verify` run while `tally import` writes never fails (issue 12, part 6): the audit
reads one snapshot, and events committed but not yet logged by the importer are checked as
the log would check them, not reported as tampering. Bounded: at most 40 verify runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from tally.cli.main import app

LINES = 10_000
TALLY = str(Path(sys.executable).parent / "tally")  # the console script of this environment


def _tally(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([TALLY, *args], env=env, text=True,
                          capture_output=True, timeout=300)


def test_verify_in_a_loop_during_a_10000_line_import_never_fails(
    db_url: str, tmp_path: Path
) -> None:
    env = {**os.environ, "TALLY_DB": db_url, "TALLY_HOME": str(tmp_path / "home")}
    runner = CliRunner()

    def tally(*args: str) -> str:
        result = runner.invoke(app, list(args), env=env)
        assert result.exit_code == 0, (args, result.output)
        return result.stdout

    tally("init", "--name", "test.example/concurrent")
    tally("keys", "new", "alice")
    tally("signers", "add", "alice", "--key", "alice")
    lines = [{"type": "source", "id": "wire", "name": "Wire", "kind": "media"},
             {"type": "figure", "id": "load/bodies", "unit": "bodies"}]
    lines += [{"type": "report", "figure": "load/bodies", "value": str(i),
               "as_of": f"{2000 + i % 20}-0{1 + i % 9}", "source": "wire"}
              for i in range(LINES - 2)]
    (tmp_path / "big.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    importer = subprocess.Popen([TALLY, "import",
                                 str(tmp_path / "big.jsonl"), "--key", "alice"],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
    runs, during = 0, 0
    try:
        while runs < 40:
            running = importer.poll() is None
            out = _tally(env, "--json", "verify")
            assert out.returncode == 0, out.stdout + out.stderr
            assert json.loads(out.stdout)["ok"]
            runs, during = runs + 1, during + running
            if not running:
                break
            time.sleep(0.05)
    finally:
        _stdout, stderr = importer.communicate(timeout=300)
    assert importer.returncode == 0, stderr
    assert during >= 2, "the import ended before verify could run beside it"
    final = json.loads(_tally(env, "--json", "verify").stdout)
    assert final["ok"] and final["events"] >= LINES
