"""Reading a file a user named, in bounded time and memory.

A device (`/dev/zero`), a FIFO or a link to either never ends, or blocks: every file a
command reads on a user's word is opened without blocking, refused unless it is a
regular file, and read to at most its cap + 1 bytes, so that a larger one is refused
rather than cut.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from tally.ledger.errors import InputError, LedgerError

_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def open_regular(path: Path, what: str,
                 error: type[LedgerError] = InputError) -> BinaryIO:
    """The regular file at `path` (links followed), open for reading; `error`, in one
    sentence naming the `what` and the path, if it is anything else or cannot be opened."""
    try:
        fd = os.open(path, _FLAGS)
    except OSError as e:
        raise error(f"cannot read the {what} {path}: {e.strerror}") from None
    file = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        file.close()
        raise error(f"the {what} {path} is not a regular file")
    return file


def bounded_lines(file: BinaryIO, cap: int) -> Iterator[bytes]:
    """The file's lines, none read past `cap` + 1 bytes: a longer one is yielded cut there
    (for its reader to refuse), and the file is read no further."""
    while line := file.readline(cap + 1):
        yield line
        if len(line) > cap:
            return


def read_regular(path: Path, cap: int, what: str,
                 error: type[LedgerError] = InputError) -> bytes:
    """At most `cap` bytes of the regular file at `path` (links followed); `error`, in one
    sentence naming the `what` and the path, if it is anything else or larger."""
    with open_regular(path, what, error) as file:
        try:
            data = file.read(cap + 1)
        except OSError as e:
            raise error(f"cannot read the {what} {path}: {e.strerror}") from None
    if len(data) > cap:
        raise error(f"the {what} {path} is larger than {_size(cap)}: refused")
    return data


def _size(cap: int) -> str:
    return f"{cap // 2**20} MiB" if cap >= 2**20 else f"{cap} bytes"
