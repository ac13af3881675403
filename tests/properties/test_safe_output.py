"""Recorded text reaches the terminal literally (issue 12, part 7).

Every renderer is fed answers whose every text field is hostile: rich markup, ESC
sequences, newlines, C1 controls, bidi overrides, zero-width characters. What it
prints must hold no hidden character but the line breaks rich draws, must show each
recorded text as `visible` writes it (markup as brackets, `\\n`, `\\u202e`), and JSON
must carry the exact text. Answers from an old ledger, or from a database an insider
edited, can hold names that input would refuse today: the renderers cannot trust them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import types
import unittest.mock
from typing import Any, Literal, Union, get_args, get_origin

from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel
from rich.console import Console
from rich.text import Text

from tally.cli import output, render
from tally.cli.output import emit_json
from tally.cli.safe_text import json_text, literal, visible
from tally.ledger.model.text import is_hidden
from tally.projections.models import (
    CaseOut,
    ClaimOut,
    DiscrepancyList,
    DiscrepancyOut,
    HistoryOut,
    IntervalOut,
    ProvenanceOut,
    ShowOut,
)

TOKENS = [
    "[link=https://evil.example]", "[/link]", "[bold red]", "[/]", "[", "]", "\\", ":warning:",
    "\n", "\r\n", "\t", "\x1b[2J", "\x1b]8;;https://evil.example\x07", "\x07", "\x7f", "\x85",
    "\x9b", "\u202e", "\u2066", "\u200f", "\u061c", "\u200b", "\u200d", "\u2060", "\ufeff",
    "\u2028", "\u00ad", "\U000e0041", "value in force: 9999", "│ fake │", "Reuters", "447", "ш",
]
hostile = st.lists(st.one_of(st.sampled_from(TOKENS), st.characters(blacklist_categories=["Cs"])),
                   max_size=4).map("".join)
numeric = st.one_of(st.none(), st.integers(0, 10**6).map(str))


def strategy(tp: Any, name: str = "") -> st.SearchStrategy[Any]:
    """Values of a field type of the read models, every string hostile."""
    origin, args = get_origin(tp), get_args(tp)
    if origin in (Union, types.UnionType):
        return st.one_of(*(strategy(a, name) for a in args))
    if tp is type(None):
        return st.none()
    if origin is list:
        return st.lists(strategy(args[0], name), max_size=2)
    if origin is Literal:
        return st.sampled_from(args)
    if tp is str:
        return hostile
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers(0, 10**6)
    if tp is dt.datetime:
        return st.datetimes(timezones=st.just(dt.UTC))
    if tp is dt.date:
        return st.dates()
    if tp is IntervalOut:  # numbers the ledger parsed, not recorded text
        return st.builds(IntervalOut, low=numeric, high=numeric, low_open=st.booleans(),
                         high_open=st.booleans())
    assert isinstance(tp, type) and issubclass(tp, BaseModel), tp
    return st.builds(tp, **{n: strategy(f.annotation, n) for n, f in tp.model_fields.items()})


def rendered(renderable: object) -> str:
    """Wide enough that no recorded text is wrapped or folded."""
    console = Console(file=io.StringIO(), width=1000, color_system=None, legacy_windows=False)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def assert_safe(out: str, *recorded: str | None) -> None:
    hidden = sorted({f"U+{ord(c):04X}" for c in out if is_hidden(c) and c != "\n"})
    assert not hidden, hidden
    flat = " ".join(out.split())  # rich trims and pads cells: compare words, not spacing
    for text in recorded:
        if text:
            assert " ".join(visible(text).split()) in flat, (text, out)


# --- the function itself ----------------------------------------------------------------------


@given(text=hostile)
def test_visible_leaves_no_hidden_character_and_names_each(text: str) -> None:
    shown = visible(text)
    assert not any(is_hidden(c) for c in shown)
    for c in {c for c in text if is_hidden(c)}:
        escape = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(c) or (
            f"\\x{ord(c):02x}" if ord(c) < 0x100 else
            f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}")
        assert escape in shown


@given(text=st.text(st.characters(blacklist_categories=["Cc", "Cf", "Zl", "Zp", "Cs"])))
def test_visible_text_is_left_as_it_is(text: str) -> None:
    assert visible(text) == text


@given(text=hostile)
def test_literal_prints_the_text_as_visible_writes_it(text: str) -> None:
    assert rendered(literal(text)) == visible(text) + "\n"
    assert rendered(Text.assemble(("ok", "green"), ": ", literal(text, "dim"))) == (
        "ok: " + visible(text) + "\n")


@given(text=hostile)
def test_success_error_and_warn_print_it_as_visible_writes_it(text: str) -> None:
    for show, console in ((lambda: output.success(Text.assemble("done: ", literal(text))),
                           "console"),
                          (lambda: output.error(f"no {text}", as_json=False), "err_console"),
                          (lambda: output.warn(f"see {text}"), "err_console")):
        target = Console(file=io.StringIO(), width=1000, color_system=None, highlight=False,
                         emoji=False)
        with unittest.mock.patch.object(output, console, target):
            show()
        printed = target.file.getvalue()  # type: ignore[attr-defined]
        assert visible(text) in printed
        assert not any(is_hidden(c) and c != "\n" for c in printed)


@given(data=st.recursive(st.none() | hostile, lambda inner: st.lists(inner, max_size=3)
                         | st.dictionaries(hostile, inner, max_size=3)))
def test_json_carries_the_exact_text_with_no_hidden_character(data: Any) -> None:
    document = json_text(json.dumps(data, ensure_ascii=False, indent=2))
    assert json.loads(document) == data
    assert not any(is_hidden(c) and c != "\n" for c in document)


@given(data=strategy(ShowOut))
def test_emit_json_carries_the_exact_text(data: ShowOut) -> None:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        emit_json(data)
    printed = buffer.getvalue()
    assert json.loads(printed) == data.model_dump(mode="json")
    assert not any(is_hidden(c) and c != "\n" for c in printed)


# --- every renderer ---------------------------------------------------------------------------


def claim_texts(c: ClaimOut) -> list[str | None]:
    return [c.value.written, c.as_of.text, c.source, *c.via, c.quote]


@given(out=strategy(ShowOut))
def test_show(out: ShowOut) -> None:
    if out.claim is not None:  # the value in force is the claim's
        out = out.model_copy(update={"value": out.claim.value, "as_of": out.claim.as_of})
    texts: list[str | None] = [out.figure, out.kind, out.unit, out.query_as_of]
    if out.claim is not None:
        texts += [out.value.written if out.value else None, out.as_of.text if out.as_of else None,
                  out.claim.signer, *claim_texts(out.claim)]
        for c in out.competing:
            texts += claim_texts(c)
    assert_safe(rendered(render.show(out)), *texts)


@given(out=strategy(HistoryOut))
def test_history(out: HistoryOut) -> None:
    texts: list[str | None] = [out.figure, out.unit]
    for e in out.entries:
        texts += [e.as_of.text, e.value.written if e.value else None]
        texts += [e.source, *e.via] if e.kind == "claim" else [e.reason]
    assert_safe(rendered(render.history(out)), *texts)


@given(out=strategy(CaseOut))
def test_case(out: CaseOut) -> None:
    texts: list[str | None] = []
    for f in out.figures:
        texts += [f.as_of, f.value.written if f.value else None]
    assert_safe(rendered(render.case(out)), *texts)


@given(flags=st.lists(strategy(DiscrepancyOut), max_size=3),
       claims=st.lists(strategy(ClaimOut), min_size=1, max_size=3), figure=hostile | st.none())
def test_discrepancies(flags: list[DiscrepancyOut], claims: list[ClaimOut],
                       figure: str | None) -> None:
    claims = [c.model_copy(update={"claim_id": f"{i:032x}"}) for i, c in enumerate(claims)]
    ids = [c.claim_id for c in claims]
    flags = [f.model_copy(update={"claims": ids}) for f in flags]
    counts: dict[str, int] = {}
    for f in flags:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    out = DiscrepancyList(figure=figure, kind=None, known_at=None, counts=counts, offset=0,
                          discrepancies=flags)
    texts: list[str | None] = [figure] if not flags else []
    for f in flags:
        texts += [f.figure, f.kind, f.detail]
    for c in claims if flags else []:
        texts += [c.value.written, c.as_of.text, c.source, *c.via, c.quote]
    assert_safe(rendered(render.discrepancies(out, {c.claim_id: c for c in claims})), *texts)


@given(out=strategy(ProvenanceOut))
def test_provenance(out: ProvenanceOut) -> None:
    texts: list[str | None] = [
        out.claim_id, out.figure, out.value.written, out.as_of.text, out.source.name,
        out.source.id, out.source.kind, out.signer.name, out.signer.key_id, out.mode,
        out.signature_status, out.url, out.published, out.document_sha256,
    ]
    # an anchored quote is shown as its signed anchor (its `exact` is the quote), in context
    texts += [out.quote] if out.anchor is None else [
        out.anchor.quote.prefix, out.anchor.quote.exact, out.anchor.quote.suffix]
    for hop in out.via:
        texts += [hop.name, hop.id]
    for c in out.corrections:
        texts += [c.reason, c.signer.key_id]
    if out.retraction is not None:
        texts += [out.retraction.reason, out.retraction.signer.key_id]
    assert_safe(rendered(render.provenance(out)), *texts)


@given(rows=st.lists(st.fixed_dictionaries({"id": hostile, "name": hostile,
                                            "kind": hostile | st.none()}), max_size=3),
       title=hostile, width=st.sampled_from([30, 200]))
def test_lists(rows: list[dict[str, object]], title: str, width: int) -> None:
    # a narrow width stacks the rows (`column  value` lines), a wide one draws a table
    out = rendered(render.listing(rows, title, ["id", "name", "kind"], width))
    assert_safe(out, *(str(v) for row in rows for v in row.values() if v is not None))
    # the title wraps to the table's width
    assert "".join(visible(title).split()) in "".join(out.split())
