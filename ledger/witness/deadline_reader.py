"""Reading a socket against an overall deadline: each receive waits at most the time
left, so a client that sends one byte every few seconds (each read quick, the request
endless) is cut off when the deadline passes, with a TimeoutError."""

from __future__ import annotations

import io
import socket
import time


class DeadlineReader(io.RawIOBase):
    def __init__(self, connection: socket.socket) -> None:
        self._connection = connection
        self._deadline = time.monotonic()

    def start(self, seconds: float) -> None:
        """A new deadline, `seconds` from now."""
        self._deadline = time.monotonic() + seconds

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request took longer than its deadline")
        self._connection.settimeout(left)
        return self._connection.recv_into(buffer)
