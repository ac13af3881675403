"""A small newsroom ledger for the evidence and site tests: a signer, a source, a figure,
and a short article written for these tests (a.txt in the test's folder); and archiving
another with a quote anchored in it."""

from __future__ import annotations

import json
from pathlib import Path

from clirunner import Tally

ARTICLE = ("On 16 September 2022 officials said more than 440 bodies had been exhumed. "
           "About 30 graves were opened, a 45-year-old volunteer said at 10:30.")


def newsroom(tmp_path: Path, db_url: str) -> Tally:
    t = Tally(tmp_path, db_url)
    t("init", "--name", "example.org/evidence")
    t("keys", "new", "alice")
    t("signers", "add", "alice", "--key", "alice")
    t("sources", "add", "news", "--name", "News", "--kind", "media")
    t("figures", "define", "site/bodies", "--unit", "bodies")
    (tmp_path / "a.txt").write_text(ARTICLE)
    return t

LATER = ("A week later the coroner said 452 bodies had been exhumed in total, and the "
         "search went on.")


def archive_and_report(t: Tally, path: Path, text: str, value: str, quote: str,
                       as_of: str) -> tuple[str, str]:
    """Archive `text` (written to `path`) and report `value` on site/bodies with `quote`
    anchored in it; (document sha256, claim id)."""
    path.write_text(text)
    sha = str(t.json("documents", "add", str(path), "--key", "alice", "--source",
                     "news")["id"])
    claim = str(t.json("report", "site/bodies", value, "--as-of", as_of, "--source", "news",
                       "--document", sha, "--quote", quote, "--key", "alice")["id"])
    return sha, claim


def operator_key(site: Path) -> str:
    """The operator's public key, as the site's log.json gives it."""
    return str(json.loads((site / "log.json").read_text())["operator_public_key"])


def follower(tmp_path: Path) -> Tally:
    """A runner with no default database: a monitor with a state file, or `--db REPLICA`."""
    t = Tally(tmp_path)
    t.env.pop("TALLY_DB")
    return t
