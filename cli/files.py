"""Output files opened before the work that fills them, so a bad path costs nothing."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def output_file(path: Path | None) -> Iterator[Callable[[str], None]]:
    """Yields `write(text)` for `path` (a no-op for None), having opened it first.

    `tally checkpoint -o FILE` signs and stores a checkpoint: a FILE that cannot be
    written must fail before that, not after. The file is opened (created if
    missing) without truncating it, and replaced only by `write`: if the block
    fails, a file that was there is left as it was and one created here is removed.
    """
    if path is None:
        yield lambda text: None
        return
    created = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o666)
    written = False

    def write(text: str) -> None:
        nonlocal written
        os.ftruncate(fd, 0)
        data = memoryview(text.encode("utf-8"))
        while data:
            data = data[os.write(fd, data):]
        written = True

    try:
        yield write
    finally:
        os.close(fd)
        if created and not written:
            path.unlink(missing_ok=True)
