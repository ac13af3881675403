"""Reading a socket against an overall deadline: each receive waits at most the time
left, so a peer that sends one byte every few seconds (each read quick, the whole
endless) is cut off when the deadline passes, with a TimeoutError."""

from __future__ import annotations

import io
import socket
import time


class DeadlineReader(io.RawIOBase):
    def __init__(self, connection: socket.socket, raw: io.RawIOBase | None = None) -> None:
        """`raw`: the socket's own reader (`makefile("rb", buffering=0)`), read through
        when given: it keeps the socket open until it is closed itself."""
        self._connection = connection
        self._raw = raw
        self._deadline = time.monotonic()

    def start(self, seconds: float) -> None:
        """A new deadline, `seconds` from now."""
        self._deadline = time.monotonic() + seconds

    def until(self, deadline: float) -> None:
        """A new deadline, at `deadline` (time.monotonic())."""
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request took longer than its deadline")
        self._connection.settimeout(left)
        if self._raw is not None:
            return self._raw.readinto(buffer) or 0
        return self._connection.recv_into(buffer)

    def close(self) -> None:
        if self._raw is not None:
            self._raw.close()
        super().close()
