"""What an import did: the lines it read, the events it added, the lines already recorded."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ImportSummary:
    lines: int = 0
    added: int = 0
    skipped: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    # orders withholding a claim this ledger does not hold (an export's, read into a copy)
    not_held: int = 0
