"""The quick start's demo runs end to end, and prints no terminal escape codes when its
output goes to a file or a pipe (as in CI, or `make demo > log`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import frictionless
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_demo_runs_and_writes_plain_text_to_a_pipe(tmp_path: Path) -> None:
    env = {**os.environ, "TALLY_HOME": str(tmp_path / "home"), "TALLY_DB": str(tmp_path / "t.db"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(["bash", str(ROOT / "examples" / "izium" / "demo.sh")], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "\x1b" not in done.stdout and "\x1b" not in done.stderr
    assert "ok: " in done.stdout and "$ tally verify --operator-key" in done.stdout
    # two witnesses it started cosigned the checkpoint, which meets the demo's policy
    assert "witness w1: cosigned" in done.stderr and "witness w2: cosigned" in done.stderr
    assert "cosigned to the policy's quorum by w1, w2" in done.stdout
    # the published site carries the cosigned checkpoint and the HTML, and was cloned back
    published = (ROOT / "demo" / "site" / "checkpoint").read_text()
    signers = [line.split()[1] for line in published.splitlines() if line.startswith("— ")]
    assert {"w1.witness.example", "w2.witness.example"} <= set(signers), published
    assert (ROOT / "demo" / "site" / "index.html").is_file()
    assert "$ tally --db demo/replica.db verify" in done.stdout
    # the five interop exports of the Izium ledger, next to the site (docs/interop.md)
    exports = ROOT / "demo" / "exports"
    for name in ("izium.jsonld", "izium.prov.json", "izium.credentials.json"):
        assert json.loads((exports / name).read_text()), name
    assert (exports / "izium.quickstatements.txt").read_text().startswith("Q4115189\t!P1114\t")
    report = frictionless.validate(str(exports / "datapackage" / "datapackage.json"))
    assert report.valid, report.flatten(["type", "message"])
    assert json.loads((ROOT / "demo" / "site" / "log.json").read_text())["base_url"] == (
        "https://tally.example/izium/")
    # the evidence example's reviewed import: every date read from the text, no quote
    # fused with the headline or byline, the running total dated when it was told
    reviewed = [json.loads(line) for line in
                (ROOT / "demo" / "reviewed.jsonl").read_text().splitlines()]
    assert len(reviewed) == 3
    assert not any(c["candidate"]["as_of_guessed"] for c in reviewed)
    assert not any("second week" in c["quote"] or "staff reporter" in c["quote"]
                   for c in reviewed)
    graves = next(c for c in reviewed if c["value"] == "126")
    assert (graves["as_of"], graves["candidate"]["since"]) == ("2025-03-13", "2025-03-03")
