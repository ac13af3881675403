"""Example budgets that follow the active hypothesis profile (HYPOTHESIS_PROFILE).

A test states its budget under the `dev` profile; `examples(n)` scales it by the active
profile's `max_examples` over dev's, so `ci` (and any heavier profile) runs every such
test proportionally longer instead of leaving hard-coded budgets where they were.
"""

from __future__ import annotations

from hypothesis import settings

DEV_EXAMPLES = 30  # the dev profile's max_examples (tests/conftest.py)


def examples(dev: int) -> int:
    return max(1, dev * settings.default.max_examples // DEV_EXAMPLES)
