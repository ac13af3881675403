"""Tally's record in the formats other tools read: one mapping (`mapping`), one module a
format. See docs/interop.md."""
