"""What `tally verify-proof` proved, drawn under its `ok` line: the signed statement's
fields and the claim's status at the proof's checkpoint, from proven leaves only."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from tally.cli.safe_text import literal
from tally.ledger.verify.citation import ProvenEvent

# the statement's fields a reader checks a citation by, in the order they read it
_SHOWN = (("figure", "figure"), ("value", "value"), ("as_of", "as of"), ("source", "source"),
          ("quote", "quote"), ("reason", "reason"))
NOT_DISCLOSED = "(signed as a commitment; this proof does not disclose it)"


def _status(checked: ProvenEvent) -> Text:
    """Live, corrected to X or retracted, with the follow-up that says so; for live, what a
    Merkle proof cannot show."""
    size = checked.tree_size
    follow_ups = checked.follow_ups
    state = checked.status_at_checkpoint
    if state == "live":
        return Text(f"live at checkpoint {size}: the proof carries no correction or "
                    "retraction of the claim, and cannot show that none exists ('tally "
                    "provenance' on the ledger or the site can)")
    last = next(f for f in reversed(follow_ups)
                if f["kind"] == ("retraction" if state == "retracted" else "correction"))
    how = (("retracted", "") if state == "retracted"
           else ("corrected to ", literal(checked.corrected_to or "")))
    return Text.assemble(*how, f" at checkpoint {size} ({last['kind']} ",
                         literal(last["event_id"]), f", leaf {last['leaf_index']}: ",
                         literal(last["reason"]), ")")


def proven_statement(checked: ProvenEvent) -> Table:
    """The proven statement's fields (its committed quote as the proof discloses it) and,
    for a claim's or a follow-up's proof, the claim's status at the checkpoint."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    opened = checked.opened
    for key, label in _SHOWN:
        if key not in opened or (opened[key] is None and key != "quote"):
            continue
        value = opened[key]
        committed = isinstance(checked.statement.get(key), dict)
        if value is None:
            grid.add_row(label, NOT_DISCLOSED if committed else "(none)")
        else:
            grid.add_row(label, literal(value))
    grid.add_row("status", _status(checked))
    return grid
