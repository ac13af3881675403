"""The one progress callback every long job reports to: `(phase, done, total)`.

`phase` names the work ("validating", "verifying", "projecting"...), `done` and `total`
count its units (lines, positions, figures); a total of 0 means not known yet.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]
