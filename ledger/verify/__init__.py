"""Verification: the rules replayed, the full audit, the tail audit, trusted leaves,
events inspected by position and proof files checked offline."""
