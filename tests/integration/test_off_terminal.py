"""Off a terminal (stdout captured, no `COLUMNS`) every human answer is as wide as its
longest line: ids, keys and URLs stay whole on one line, list rows are not stacked, and
free text is not wrapped either (docs/cli.md, "Output"). An explicit `COLUMNS` still lays
answers out for that width, stacking and wrapping as on a terminal."""

from __future__ import annotations

from pathlib import Path

import pytest
from clirunner import Tally

FIGURE = ("izium/burial-site-in-the-pishchanske-cemetery-forest/"
          "bodies-exhumed-and-examined-by-the-regional-police-after-the-liberation")
SOURCE = "center-for-strategic-communications-and-information-security"
NAME = "Center for Strategic Communications"
URL = "https://example.org/news/2022/09/23/" + "exhumation-in-izium-" * 5 + "update"
QUOTE = ("the regional police said that " + "four hundred and forty-seven bodies " * 6
         + "had been exhumed")


@pytest.fixture
def ledger(tmp_path: Path, db_url: str) -> tuple[Tally, str]:
    t = Tally(tmp_path, db_url)
    t("init", "--name", "test.example/izium")
    t("keys", "new", "alice")
    t("signers", "add", "alice", "--key", "alice")
    t("sources", "add", SOURCE, "--name", NAME, "--kind", "official")
    t("figures", "define", FIGURE, "--unit", "bodies", "--cumulative")
    claim = t.json("report", FIGURE, "447", "--as-of", "2022-09-23", "--source", SOURCE,
                   "--quote", QUOTE, "--url", URL, "--key", "alice")["id"]
    t("report", FIGURE, "451", "--as-of", "2022-09-23", "--source", SOURCE, "--key", "alice")
    return t, claim


def _answers(t: Tally, claim: str) -> dict[str, str]:
    return {name: t(*args).stdout for name, args in (
        ("sources", ("sources", "list")), ("figures", ("figures", "list")),
        ("history", ("history", FIGURE, "--full")), ("show", ("show", FIGURE)),
        ("provenance", ("provenance", claim)), ("claims", ("claims", "--figure", FIGURE)),
        ("discrepancies", ("discrepancies",)))}


def _on_one_line(text: str, *parts: str) -> bool:
    return any(all(p in line for p in parts) for line in text.splitlines())


def test_off_a_terminal_nothing_wraps_stacks_or_is_cut(ledger: tuple[Tally, str],
                                                       tmp_path: Path, db_url: str) -> None:
    t, claim = ledger
    wide = Tally(tmp_path, db_url, columns=None)
    out = _answers(wide, claim)
    for name, text in out.items():
        assert _on_one_line(text, SOURCE if name == "sources" else FIGURE), (name, text)
        assert "…" not in text, (name, text)
        # as wide as its longest line (a quote beside a source id): an expanding table or
        # panel is not stretched to the unbounded width it was measured at
        assert max(len(line) for line in text.splitlines()) < 2 * len(QUOTE), (name, text)
    # a list row is one line: the id beside its name, not stacked as `column  value` lines
    assert _on_one_line(out["sources"], SOURCE, NAME, "official"), out["sources"]
    assert _on_one_line(out["figures"], FIGURE, "quantity"), out["figures"]
    for name in ("history", "provenance"):
        assert _on_one_line(out[name], claim), (name, out[name])  # the full 32-digit id
    for name in ("history", "show", "provenance"):
        assert _on_one_line(out[name], URL), (name, out[name])
        assert _on_one_line(out[name], QUOTE), (name, out[name])  # free text unwrapped
    assert "chart:" in out["history"]  # laid out as on a wide terminal, chart included
    # the JSON answers do not change
    assert wide.json("sources", "list") == t.json("sources", "list")


def test_an_explicit_width_still_wraps_and_stacks(ledger: tuple[Tally, str],
                                                  tmp_path: Path, db_url: str) -> None:
    claim = ledger[1]
    out = _answers(Tally(tmp_path, db_url, columns=60), claim)
    assert not _on_one_line(out["sources"], SOURCE, NAME)  # stacked: one value a line
    assert _on_one_line(out["sources"], SOURCE)  # ... each whole
    assert not _on_one_line(out["figures"], FIGURE, "quantity")
    for name in ("history", "show", "provenance"):
        assert not _on_one_line(out[name], QUOTE), (name, out[name])  # wrapped at 60
    # every line fits, but the figure id in the title and a URL longer than the entry
    # (listed under the table): ids and URLs run on whole, the terminal wraps them
    assert all(len(line) <= 60 or URL in line or FIGURE in line
               for line in out["history"].splitlines())
    assert _on_one_line(out["history"], URL)
