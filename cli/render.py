"""Rich renderings of the read models: show, history (with a chart), discrepancies, provenance,
and the lists of the admin commands.

Every recorded text goes through `literal` (cli/safe_text.py): shown as written, markup as
brackets, a newline as `\n`, a bidi override as `\u202e`. Nothing recorded reaches rich as
a str, which rich would read as markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from tally.cli.safe_text import literal, visible
from tally.cli.words import counted, yes_no

if TYPE_CHECKING:
    from tally.ledger.infra.cosigning import WitnessAnswer
    from tally.projections.models import (
        CaseOut,
        ClaimOut,
        DiscrepancyList,
        HistoryOut,
        ProvenanceOut,
        ShowOut,
    )


def _chain(claim: Any) -> str:
    return " → ".join(visible(s) for s in [claim.source, *claim.via])


def _quote(text: str | None) -> str:
    return f"“{visible(text)}”" if text else ""


def _cell(value: Any) -> str:
    return "" if value is None else yes_no(value) if isinstance(value, bool) else str(value)


def listing(rows: list[dict[str, Any]], title: str, columns: list[str],
            width: int | None) -> RenderableType:
    """The admin lists: a table of `columns` of `rows` (None as an empty cell), in which
    ids, keys, hashes and URLs (values without spaces) are never cut or wrapped, only
    free text is. When the ids alone do not fit in `width`, each row is a block of
    `column  value` lines instead, so nothing a reader may copy is ever shortened; with
    no `width` (off a terminal, see `output.emit`) the table is as wide as it needs."""
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    by_column = [[row[i] for row in cells] for i in range(len(columns))]
    whole = [any(cell and " " not in cell for cell in column) and
             all(" " not in cell for cell in column) for column in by_column]
    widest = [max([len(c), *(len(cell) for cell in column)])
              for c, column in zip(columns, by_column, strict=True)]
    needed = sum(w + 3 for w, keep in zip(widest, whole, strict=True) if keep) + \
        sum(min(w, 12) + 3 for w, keep in zip(widest, whole, strict=True) if not keep) + 1
    if cells and width is not None and needed > width:
        # one `column  value` line each, printed with soft wrap: a value longer than the
        # screen runs on whole (the terminal wraps it), never cut
        label = max(len(c) for c in columns)
        lines: list[RenderableType] = [Text(visible(title), style="bold")]
        for row in cells:
            lines += [Text.assemble((visible(column.ljust(label)), "dim"), "  ", literal(cell))
                      for column, cell in zip(columns, row, strict=True)]
            lines.append(Text(""))
        return Group(*lines)
    table = Table(title=literal(title))
    for column, keep, size in zip(columns, whole, widest, strict=True):
        table.add_column(column, no_wrap=keep, min_width=size if keep else None)
    for row in cells:
        table.add_row(*(literal(cell) for cell in row))
    return table


def amended(claim: ClaimOut) -> str:
    """What became of a claim, in words: "" when it stands as reported, else e.g.
    "corrected from 440..451 by alice: police final count" or "retracted by bob: duplicate"."""
    notes = []
    for what, change, extra in (("corrected", claim.correction,
                                 f" from {claim.reported.written}"),
                                ("retracted", claim.retraction, "")):
        if change is not None:
            who = change.signer_name or change.signer
            notes.append(f"{what}{extra} by {who}: {change.reason}")
    return "; ".join(notes)


def _published(claim: ClaimOut) -> str:
    parts = [f"published {claim.published}" if claim.published else "", claim.url or ""]
    return "   ".join(p for p in parts if p)


def show(out: ShowOut) -> RenderableType:
    """The value in force (and what became of it), its source chain, the discrepancies that
    involve it, and the claims competing with it (the claim in force is not among them)."""
    head = Text()
    if out.name:
        head.append(visible(out.name) + "\n", style="bold")
    head.append(visible(out.figure), style="dim" if out.name else "bold")
    head.append(f"  ({visible(out.kind)}, {visible(out.unit)})\n")
    if out.claim is None or out.value is None or out.as_of is None:
        head.append("no active claim" + (f" as of {visible(out.query_as_of)}"
                                         if out.query_as_of else ""))
        return Panel(head, title="show")
    head.append("value in force: ")
    head.append(visible(out.value.written), style="bold green")
    note = amended(out.claim)
    if note:
        head.append(f" ({visible(note)})", style="yellow")
    head.append(f"\nas of {visible(out.as_of.text)}   source: {_chain(out.claim)}\n")
    head.append(f"claim: {visible(out.claim.claim_id[:8])}   signer: {visible(out.claim.signer)}   "
                f"position: {out.claim.position}\n")
    if _published(out.claim):
        head.append(visible(_published(out.claim)) + "\n")
    if out.claim.quote:
        head.append(_quote(out.claim.quote) + "\n", style="italic")
    involving = [d for d in out.discrepancies if d.id in set(out.claim_discrepancies)]
    contradictions = [d for d in involving if d.kind == "contradiction"]
    if contradictions:
        head.append("DISPUTED", style="bold red")
        n = len(contradictions)
        head.append(f": {n} contradiction{'s involve' if n > 1 else ' involves'} it\n")
    for d in involving:
        if d.kind != "contradiction":
            head.append("FLAGGED", style="bold red")
            head.append(f" {visible(d.kind)} {visible(d.id)}: {visible(d.detail)}\n")
    others = len(out.discrepancies) - len(involving)
    if others:
        head.append(f"{others} other discrepanc{'y' if others == 1 else 'ies'} on this "
                    f"figure: tally discrepancies {visible(out.figure)}\n", style="dim")
    parts: list[RenderableType] = [head]
    if out.competing:
        table = Table(title="competing claims (overlapping as_of)", expand=True)
        table.add_column("value", no_wrap=True)
        table.add_column("as of", no_wrap=True)
        table.add_column("source, quote, published, url", overflow="fold", ratio=1)
        table.add_column("claim", no_wrap=True)
        for c in out.competing:
            value = literal(c.value.written)
            if amended(c):
                value.append(" ✎" if not c.retracted else " ✗", style="yellow")
            details = Text(_chain(c))
            for line, style in ((_quote(c.quote), "italic"), (visible(_published(c)), ""),
                                (visible(amended(c)), "yellow")):
                if line:
                    details.append("\n" + line, style=style)
            table.add_row(value, literal(c.as_of.text), details, literal(c.claim_id[:8]))
        parts.append(table)
    subtitle = []
    if out.query_as_of:
        subtitle.append(f"as of {visible(out.query_as_of)}")
    if out.known_at is not None:
        subtitle.append(f"known at position {out.known_at}")
    return Panel(Group(*parts), title="show",
                 subtitle=Text(", ".join(subtitle)) if subtitle else None)


def case(out: CaseOut) -> RenderableType:
    """One row per figure of a case: its value in force, as_of and disputed flag."""
    case = out.prefix.strip().rstrip("/")
    lines = [f"figures of {case}/ (value in force, as of, active claims)"]
    if out.case is not None:  # the case's signed definition first
        c = out.case
        lines[:0] = [f"{c.name} ({c.id}): {c.place}, {c.period}", c.description]
    table = Table(title=Text("\n").join(literal(line) for line in lines),
                  title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("figure", overflow="fold")
    table.add_column("value", no_wrap=True, justify="right")
    table.add_column("as of", no_wrap=True)
    table.add_column("claims", no_wrap=True, justify="right")
    table.add_column("", no_wrap=True, min_width=len("DISPUTED"))
    for f in out.figures:
        name = f.figure.removeprefix(case + "/") if f.figure != case else f.figure
        table.add_row(literal(name), literal(f.value.written if f.value else "—"),
                      literal(f.as_of or ""), Text(str(f.active_claims)),
                      Text("DISPUTED", style="bold red") if f.disputed else Text(""))
    return table


def history(out: HistoryOut, full: bool = False) -> RenderableType:
    """The timeline in valid-time order with a chart, fitted to the width (cli/history_view)."""
    from tally.cli.history_view import History

    return History(out, full)


# projections.rules.KINDS, in words: (singular, plural)
_KINDS = {"contradiction": ("contradiction", "contradictions"),
          "possible_conflict": ("possible conflict", "possible conflicts"),
          "regression": ("regression", "regressions"),
          "sum_mismatch": ("sum mismatch", "sum mismatches")}


def discrepancy_summary(counts: dict[str, int], offset: int = 0, shown: int | None = None) -> str:
    """One line: how many discrepancies of each kind, e.g. "4 discrepancies: 3
    contradictions, 0 possible conflicts, 0 regressions, 1 sum mismatch" (every kind named,
    so a zero is seen to be a zero), and which of them a page lists ("showing 3-4")."""
    counts = {**dict.fromkeys(_KINDS, 0), **counts}
    total = sum(counts.values())
    per_kind = ", ".join(counted(n, *_KINDS.get(k, (visible(k), visible(k))))
                         for k, n in counts.items())
    line = f"{total} discrepanc{'y' if total == 1 else 'ies'}: {per_kind}"
    if shown is not None and (offset or shown < total):
        line += f"; showing {offset + 1}-{offset + shown}" if shown else f"; none past {offset}"
    return line


def discrepancies(out: DiscrepancyList, claims: dict[str, ClaimOut],
                  names: dict[str, str] | None = None) -> RenderableType:
    """Discrepancies grouped per figure (by its signed name, the id beside, when it has
    one), with the disagreeing sources and their quotes."""
    names = names or {}
    if not any(out.counts.values()):
        what = f"no {out.kind} discrepancies" if out.kind else "no discrepancies"
        return literal(what + (f" for {out.figure}" if out.figure else ""))
    by_figure: dict[str, list[Any]] = {}
    for d in out.discrepancies:
        by_figure.setdefault(d.figure, []).append(d)
    tree = Tree(literal(discrepancy_summary(out.counts, out.offset, len(out.discrepancies))))
    for figure, items in sorted(by_figure.items()):
        named = f"{names[figure]} ({figure})" if figure in names else figure
        node = tree.add(literal(named, style="bold"))
        for d in items:
            flag = node.add(Text.assemble((visible(d.kind), "bold red"), " ",
                                          (visible(d.id), "dim"), f": {visible(d.detail)}"))
            for claim_id in d.claims:
                c = claims.get(claim_id)
                if c is None:
                    flag.add(literal(claim_id[:8]))
                    continue
                part = f"{visible(c.figure.rsplit('/', 1)[-1])} " if c.figure != figure else ""
                flag.add(
                    Text.assemble(
                        part,
                        (visible(c.value.written), "bold"),
                        f" as of {visible(c.as_of.text)} — ",
                        _chain(c),
                        " ",
                        (_quote(c.quote), "italic"),
                        f" [{visible(claim_id[:8])}]",
                    )
                )
    return tree


def _revoked_meaning(out: ProvenanceOut) -> str:
    """What a revocation of the claim's signer means for the claim."""
    if out.signer.revoked_at is not None and out.position < out.signer.revoked_at:
        return (f"the claim, signed at position {out.position} before that, stays valid when "
                "signed: the revocation refuses only what the key signs after it")
    return "the claim was recorded after it: its signer was not entitled to sign"


def provenance(out: ProvenanceOut) -> RenderableType:
    """The claim's provenance as a tree: source → via → signer → signature → checkpoint."""
    named = f"{out.figure_name} ({out.figure})" if out.figure_name else out.figure
    root = Tree(
        Text.assemble(
            ("claim ", "bold"),
            visible(out.claim_id),
            f"  {visible(named)} = ",
            (visible(out.value.written), "bold green"),
            f" as of {visible(out.as_of.text)}",
        )
    )
    if out.status != "active":
        changes = [out.retraction] if out.status == "retracted" else out.corrections
        last = changes[-1] if changes and changes[-1] is not None else None
        how = "" if last is None else (f" at position {last.position} by "
                                       f"{last.signer.name or last.signer.key_id}: {last.reason}")
        now = (f"; it now stands at {out.value.written}" if out.status == "corrected"
               else "; it is no longer counted")
        root.add(literal(f"WARNING: this claim was {out.status}{how}{now}", style="bold red"))
    if out.value.written != out.reported.written:
        root.add(literal(f"reported as {out.reported.written}, corrected since"))
    source = out.source
    node = root.add(
        Text.assemble(
            ("source ", "bold"), visible(f"{source.name} ({source.id}, {source.kind})")
        )
    )
    for hop in out.via:
        node = node.add(Text.assemble(("via ", "bold"), visible(f"{hop.name} ({hop.id})")))
    signer = node.add(
        Text.assemble(
            ("signer ", "bold"), visible(f"{out.signer.name} {out.signer.key_id} ({out.mode})")
        )
    )
    ok = out.signature_status == "valid"
    signature = signer.add(
        Text.assemble(
            ("signature ", "bold"), (visible(out.signature_status), "green" if ok else "bold red")
        )
    )
    where = f"position {out.position}"
    if out.leaf_index is not None:
        where += f", leaf {out.leaf_index}"
    checkpoint = (
        f"checkpoint {out.checkpoint}"
        if out.checkpoint is not None
        else "no checkpoint yet: run 'tally checkpoint'"
    )
    signature.add(Text.assemble(("log ", "bold"), f"{where}; {checkpoint}"))
    details = root.add("details")
    if out.signer.revoked_at is not None:
        details.add(literal(f"signer revoked at position {out.signer.revoked_at}: "
                            f"{out.signer.revoked_reason}; " + _revoked_meaning(out),
                            style="yellow"))
    if out.anchor is not None:
        q, at = out.anchor.quote, out.anchor.position
        details.add(Text.assemble("… ", visible(q.prefix), (f"**{visible(q.exact)}**", "bold"),
                                  visible(q.suffix), " …"))
        details.add(literal(f"quote anchored in document {out.document_sha256} at "
                            f"{at.start}..{at.end} of its normalised text"))
    elif out.quote:
        details.add(Text(_quote(out.quote), style="italic"))
        details.add(literal("quote unanchored: not checked against a document", style="dim"))
    for label, value in (
        ("url", out.url),
        ("published", out.published),
        ("document sha256", out.document_sha256),
    ):
        if value:
            details.add(literal(f"{label}: {value}"))
    for c in out.corrections:
        details.add(
            literal(
                f"corrected to {c.value.written if c.value else '?'} by "
                f"{c.signer.key_id}: {c.reason} (position {c.position})",
                style="yellow",
            )
        )
    if out.retraction is not None:
        details.add(
            literal(
                f"retracted by {out.retraction.signer.key_id}: {out.retraction.reason} "
                f"(position {out.retraction.position})",
                style="red",
            )
        )
    return root


def witness_answer(answer: WitnessAnswer) -> Text:
    """One witness's answer to `tally checkpoint`, for stderr."""
    style = {"cosigned": "green", "already cosigned": "green"}.get(answer.outcome, "yellow")
    line = Text.assemble("witness ", literal(answer.name, "bold"), ": ",
                         (answer.outcome, style))
    if answer.detail:
        line.append(" (")
        line.append_text(literal(answer.detail))
        line.append(")")
    return line
