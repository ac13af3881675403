"""Reading a file a user named, in bounded time and memory.

A device (`/dev/zero`), a FIFO or a link to either never ends, or blocks: every file a
command reads on a user's word is opened without blocking, refused unless it is a
regular file, and read to at most its cap + 1 bytes, so that a larger one is refused
rather than cut.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tally.ledger.errors import InputError, LedgerError

_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def read_regular(path: Path, cap: int, what: str,
                 error: type[LedgerError] = InputError) -> bytes:
    """At most `cap` bytes of the regular file at `path` (links followed); `error`, in one
    sentence naming the `what` and the path, if it is anything else or larger."""
    try:
        fd = os.open(path, _FLAGS)
    except OSError as e:
        raise error(f"cannot read the {what} {path}: {e.strerror}") from None
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise error(f"the {what} {path} is not a regular file")
        try:
            data = file.read(cap + 1)
        except OSError as e:
            raise error(f"cannot read the {what} {path}: {e.strerror}") from None
    if len(data) > cap:
        raise error(f"the {what} {path} is larger than {_size(cap)}: refused")
    return data


def _size(cap: int) -> str:
    return f"{cap // 2**20} MiB" if cap >= 2**20 else f"{cap} bytes"
