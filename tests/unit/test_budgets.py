"""Example budgets scale with the active hypothesis profile, so `ci` really runs more."""

from __future__ import annotations

from budgets import DEV_EXAMPLES, examples
from hypothesis import settings


def test_budgets_follow_the_profile() -> None:
    assert settings.get_profile("dev").max_examples == DEV_EXAMPLES
    assert examples(DEV_EXAMPLES) == settings.default.max_examples
    assert examples(300) == 300 * settings.default.max_examples // DEV_EXAMPLES
    assert examples(0) == 1
