"""What `tally` prints of recorded text is that text, shown literally (issue 12, part 7).

A source named `[link=https://evil.example]Reuters[/link]` is listed with its brackets,
not as a link "Reuters"; a quote with newlines cannot draw a fake "value in force"
line inside `show`; bidi overrides and zero-width characters show as `\\u202e` and
`\\u200b`. Names holding them are refused at input, but a ledger written before that
rule, or a database an insider edited, may still hold them: those are shown escaped
too, and a newline in a name cannot draw a fake table row. `--json` carries the exact
text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from clirunner import Tally as BaseTally

from tally.ledger.application import Ledger
from tally.ledger.model.text import is_hidden
from tally.projections import tables

LINK = "[link=https://evil.example]Reuters[/link]"
FAKE = "440 bodies\nvalue in force: 9999\n"
FIGURE = "izium/bodies"


class Tally(BaseTally):
    """Also checks that no hidden character reached the terminal; returns what it printed."""

    def __call__(self, *args: str, code: int = 0) -> str:  # type: ignore[override]
        result = super().__call__(*args, code=code)
        printed = result.stdout + result.stderr
        hidden = sorted({f"U+{ord(c):04X}" for c in printed if is_hidden(c) and c != "\n"})
        assert not hidden, (args, hidden)
        return str(result.stdout if code == 0 else result.stderr)

    def json(self, *args: str, code: int = 0) -> Any:
        return json.loads(self("--json", *args, code=code))


@pytest.fixture
def tally(tmp_path: Path, db_url: str) -> Tally:
    t = Tally(tmp_path, db_url, columns=200)
    t("init", "--name", "test.example/[bold]terminal[/bold]")
    t("keys", "new", "mallory")
    t("signers", "add", "[red]Mallory[/red] \\[x]", "--key", "mallory")
    lines = [
        {"type": "source", "id": "reuters", "name": LINK, "kind": "media"},
        {"type": "source", "id": "other", "name": "Other :warning:", "kind": "media"},
        {"type": "figure", "id": FIGURE, "unit": "[red]bodies[/red]"},
        {"type": "figure", "id": "izium/a", "unit": "x"},
        {"type": "figure", "id": "izium/total", "unit": "x", "parts": ["izium/a"]},
    ]
    path = tmp_path / "hostile.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    t("import", str(path), "--key", "mallory")
    return t


def report(t: Tally, value: str, source: str, **options: str) -> str:
    extra = [a for k, v in options.items() for a in (f"--{k.replace('_', '-')}", v)]
    return str(t.json("report", FIGURE, value, "--as-of", "2022-09", "--source", source,
                      "--key", "mallory", *extra)["id"])


def test_markup_in_names_ids_and_units_is_shown_as_brackets(tally: Tally) -> None:
    sources = tally("sources", "list")
    assert LINK in sources and "Other :warning:" in sources
    assert "[red]Mallory[/red] \\[x]" in tally("signers", "list")
    assert "[red]bodies[/red]" in tally("figures", "list")
    assert "test.example/[bold]terminal[/bold]" in tally("init", "--name",
                                                         "test.example/[bold]terminal[/bold]")
    claim = report(tally, "447", "reuters")
    assert LINK in tally("provenance", claim)
    assert "[red]Mallory[/red] \\[x]" in tally("provenance", claim)
    assert "[red]bodies[/red]" in tally("history", FIGURE)
    assert "[red]bodies[/red]" in tally("show", FIGURE)


def test_a_quote_with_newlines_cannot_draw_a_fake_value_in_force(tally: Tally) -> None:
    report(tally, "447", "reuters", quote=FAKE)
    report(tally, "451", "other", quote="451 bodies")
    shown = tally("show", FIGURE)
    starts = [line.strip("│ ") for line in shown.splitlines()]
    assert [line for line in starts if line.startswith("value in force")] == [
        next(line for line in starts if line.startswith("value in force: 4"))]
    assert "440 bodies\\nvalue in force: 9999\\n" in shown
    out = tally.json("show", FIGURE)
    assert {c["quote"] for c in [out["claim"], *out["competing"]]} == {FAKE, "451 bodies"}


def test_bidi_and_zero_width_characters_in_what_was_recorded_are_shown_escaped(
    tally: Tally,
) -> None:
    quote = "\u202e447 bodies\u202c, not\u200b 744"
    url = "https://example.org/\u2066report\u2069"
    claim = report(tally, "447", "reuters", quote=quote, url=url)
    tally("correct", claim[:8], "449", "--reason", "typo\u200f\nsee\tabove", "--key", "mallory")
    report(tally, "460", "other", quote="460\u2028bodies")
    for command in (("show", FIGURE), ("history", FIGURE), ("provenance", claim),
                    ("discrepancies",)):
        printed = tally(*command)
        assert "\\u202e447 bodies\\u202c, not\\u200b 744" in printed or command[0] == "history"
    provenance = tally("provenance", claim)
    assert "https://example.org/\\u2066report\\u2069" in provenance
    assert "typo\\u200f\\nsee\\tabove" in provenance
    assert "typo\\u200f\\nsee\\tabove" in tally("history", FIGURE)
    assert "460\\u2028bodies" in tally("discrepancies")


def test_json_carries_the_exact_text(tally: Tally) -> None:
    quote = "\u202e447 bodies\n\u200b"
    claim = report(tally, "447", "reuters", quote=quote)
    assert tally.json("provenance", claim)["quote"] == quote
    assert tally.json("show", FIGURE)["claim"]["quote"] == quote
    assert tally.json("history", FIGURE)["entries"][0]["quote"] == quote
    assert {s["name"] for s in tally.json("sources", "list")["sources"]} == {
        LINK, "Other :warning:"}
    tally("checkpoint")
    assert json.loads(tally("proof", claim))["claim_id"] == claim


@pytest.mark.parametrize(("name", "shown"), [
    ("Reuters\u202e", "Reuters\\u202e"),
    ("Reuters\u200b", "Reuters\\u200b"),
    ("line one\n│ fake │ row │", "line one\\n│ fake │ row │"),
    ("\x1b[2Jcleared", "\\x1b[2Jcleared"),
    ("bell\x07", "bell\\x07"),
    ("next\x85line", "next\\x85line"),
])
def test_a_name_input_would_refuse_today_is_shown_escaped(
    tally: Tally, db_url: str, name: str, shown: str
) -> None:
    """Written past the checks into the read model, as an insider's edit would hold it (a
    signed statement cannot hold such a name: the audit refuses it)."""
    with Ledger.open(db_url) as ledger, ledger.engine.begin() as conn:
        conn.execute(tables.sources.insert().values(
            source_id="planted", name=name, kind="media", key_id=None, position=3))
    listed = tally("sources", "list")
    rows = [line for line in listed.splitlines() if line.startswith("│")]
    assert len(rows) == 3  # other, planted, reuters: one line each
    assert shown in listed
    assert tally.json("sources", "list")["sources"][1]["name"] == name


def test_an_error_quoting_recorded_text_shows_it_escaped(tally: Tally) -> None:
    message = tally("report", FIGURE, "[/x]\u202e", "--as-of", "2022-09", "--source", "reuters",
                    "--key", "mallory", code=1)
    assert "[/x]\\u202e" in message and len(message.strip().splitlines()) == 1


def test_a_file_name_in_a_message_is_shown_literally(tally: Tally, tmp_path: Path) -> None:
    path = tmp_path / "[bold red]x[link=evil]\u202e.jsonl"  # a file name holds no "/"
    path.write_text("", encoding="utf-8")
    assert "[bold red]x[link=evil]\\u202e.jsonl" in tally(
        "import", str(path), "--key", "mallory")
