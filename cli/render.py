"""Rich renderings of the read models: show, history (with a chart), discrepancies, provenance,
and the lists of the admin commands.

Every recorded text goes through `literal` (cli/safe_text.py): shown as written, markup as
brackets, a newline as `\n`, a bidi override as `\u202e`. Nothing recorded reaches rich as
a str, which rich would read as markup.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from tally.cli.safe_text import literal, visible

if TYPE_CHECKING:
    from tally.ledger.infra.cosigning import WitnessAnswer
    from tally.projections.models import (
        ClaimOut,
        DiscrepancyList,
        HistoryEntryOut,
        HistoryOut,
        ProvenanceOut,
        ShowOut,
        ValueOut,
    )

BAR_WIDTH = 24


def _chain(claim: ClaimOut | HistoryEntryOut) -> str:
    return " → ".join(visible(s) for s in [claim.source, *claim.via])


def _quote(text: str | None) -> str:
    return f"“{visible(text)}”" if text else ""


def listing(rows: list[dict[str, Any]], title: str, columns: list[str]) -> Table:
    """A table of `columns` of `rows` (None as an empty cell), for the admin lists."""
    table = Table(title=literal(title))
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(literal("" if row.get(c) is None else row.get(c)) for c in columns))
    return table


def show(out: ShowOut) -> RenderableType:
    """The value in force, its source chain, and the competing claims side by side."""
    head = Text()
    head.append(visible(out.figure), style="bold")
    head.append(f"  ({visible(out.kind)}, {visible(out.unit)})\n")
    if out.claim is None or out.value is None or out.as_of is None:
        head.append("no active claim" + (f" as of {visible(out.query_as_of)}"
                                         if out.query_as_of else ""))
        return Panel(head, title="show")
    head.append("value in force: ")
    head.append(visible(out.value.written), style="bold green")
    head.append(f"  as of {visible(out.as_of.text)}\n")
    head.append(
        f"source: {_chain(out.claim)}   signer: {visible(out.claim.signer)}   "
        f"position: {out.claim.position}\n"
    )
    if out.claim.quote:
        head.append(_quote(out.claim.quote) + "\n", style="italic")
    if out.disputed:
        head.append("DISPUTED", style="bold red")
        head.append(f": {len(out.discrepancies)} discrepancy(ies) involve it\n")
    parts: list[RenderableType] = [head]
    if out.competing:
        table = Table(title="competing claims (overlapping as_of)", expand=True)
        for column in ("value", "as of", "source chain", "quote", "claim"):
            table.add_column(column, overflow="fold")
        for c in [out.claim, *out.competing]:
            table.add_row(
                literal(c.value.written),
                literal(c.as_of.text),
                Text(_chain(c)),
                Text(_quote(c.quote)),
                literal(c.claim_id[:8]),
            )
        parts.append(table)
    subtitle = []
    if out.query_as_of:
        subtitle.append(f"as of {visible(out.query_as_of)}")
    if out.known_at is not None:
        subtitle.append(f"known at position {out.known_at}")
    return Panel(Group(*parts), title="show",
                 subtitle=Text(", ".join(subtitle)) if subtitle else None)


def _magnitude(value: ValueOut | None) -> Decimal | None:
    """A representative number for the chart: the interval's finite middle, if any."""
    interval = getattr(value, "interval", None) if value is not None else None
    if interval is None:
        return None
    try:
        low = Decimal(interval.low) if interval.low is not None else None
        high = Decimal(interval.high) if interval.high is not None else None
    except InvalidOperation:
        return None
    if low is not None and high is not None:
        return (low + high) / 2
    return low if low is not None else high


def history(out: HistoryOut) -> RenderableType:
    """The timeline in valid-time order, a bar per value; corrections and retractions marked."""
    sizes = [m for e in out.entries if (m := _magnitude(e.value)) is not None]
    top = max(sizes, default=Decimal(0))
    table = Table(title=literal(f"history of {out.figure} ({out.unit})"), expand=True)
    table.add_column("as of", no_wrap=True)
    table.add_column("event", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("chart", no_wrap=True, min_width=BAR_WIDTH // 2)
    table.add_column("source (via) / reason", overflow="fold", ratio=1)
    table.add_column("pos", justify="right", no_wrap=True)
    for e in out.entries:
        style = {"claim": "", "correction": "yellow", "retraction": "red strike"}[e.kind]
        magnitude = _magnitude(e.value)
        bar = ""
        if magnitude is not None and top > 0:
            bar = "█" * max(1, int(BAR_WIDTH // 2 * magnitude / top))
        who = _chain(e) if e.kind == "claim" else visible(e.reason or "")
        table.add_row(
            literal(e.as_of.text),
            literal(f"{e.kind} {e.claim_id[:8]}"),
            literal(e.value.written if e.value else "—"),
            Text(bar, style=style or "cyan"),
            Text(who),
            Text(str(e.position)),
            style=style or None,
        )
    return table


_KINDS = ("contradiction", "regression", "sum_mismatch")  # projections.rules.KINDS


def discrepancy_summary(counts: dict[str, int], offset: int = 0, shown: int | None = None) -> str:
    """One line: how many discrepancies of each kind, e.g. "4 discrepancies: 3 contradiction,
    0 regression, 1 sum_mismatch" (every kind named, so a zero is seen to be a zero), and
    which of them a page lists ("showing 3-4")."""
    counts = {**dict.fromkeys(_KINDS, 0), **counts}
    total = sum(counts.values())
    per_kind = ", ".join(f"{n} {k}" for k, n in counts.items())
    line = f"{total} discrepanc{'y' if total == 1 else 'ies'}: {per_kind}"
    if shown is not None and (offset or shown < total):
        line += f"; showing {offset + 1}-{offset + shown}" if shown else f"; none past {offset}"
    return line


def discrepancies(out: DiscrepancyList, claims: dict[str, ClaimOut]) -> RenderableType:
    """Discrepancies grouped per figure, with the disagreeing sources and their quotes."""
    if not any(out.counts.values()):
        what = f"no {out.kind} discrepancies" if out.kind else "no discrepancies"
        return literal(what + (f" for {out.figure}" if out.figure else ""))
    by_figure: dict[str, list[Any]] = {}
    for d in out.discrepancies:
        by_figure.setdefault(d.figure, []).append(d)
    tree = Tree(literal(discrepancy_summary(out.counts, out.offset, len(out.discrepancies))))
    for figure, items in sorted(by_figure.items()):
        node = tree.add(literal(figure, style="bold"))
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


def provenance(out: ProvenanceOut) -> RenderableType:
    """The claim's provenance as a tree: source → via → signer → signature → checkpoint."""
    root = Tree(
        Text.assemble(
            ("claim ", "bold"),
            visible(out.claim_id),
            f"  {visible(out.figure)} = ",
            (visible(out.value.written), "bold green"),
            f" as of {visible(out.as_of.text)}",
        )
    )
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
    if out.quote:
        details.add(Text(_quote(out.quote), style="italic"))
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
