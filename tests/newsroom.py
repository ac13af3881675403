"""A small newsroom ledger for the evidence CLI tests: a signer, a source, a figure, and a
short article written for these tests (a.txt in the test's folder)."""

from __future__ import annotations

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
