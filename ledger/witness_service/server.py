"""The witness over HTTP (stdlib ThreadingHTTPServer): ``POST /add-checkpoint`` and, for
monitors, ``GET /<sha256 hex of the origin>/checkpoint``, as C2SP tlog-witness says.

The standard library's server is enough for a witness: requests are small, each is one
short SQLite transaction, and the protocol needs no framework. What a hostile client
could hold is bounded: each request has an overall deadline (a client trickling one byte
at a time is cut off; `deadline_reader`), at most `max_threads` connections are served
at once (past them, a 503 with `Retry-After` at once), and the listen backlog is 128.
"""

from __future__ import annotations

import io
import re
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tally.ledger.errors import WitnessRefusalError
from tally.ledger.infra.deadline_reader import DeadlineReader
from tally.ledger.integrity.witness_protocol import (
    ADD_CHECKPOINT,
    MAX_BODY,
    SIZE_CONTENT_TYPE,
    format_size,
)
from tally.ledger.witness_service.service import Witness

_CHECKPOINT_PATH = re.compile(r"/([0-9a-f]{64})/checkpoint")
REQUEST_SECONDS = 10.0  # a request (or an idle keep-alive wait) holds a thread at most this
MAX_THREADS = 64
_BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
         b"Retry-After: 1\r\nConnection: close\r\nContent-Length: 38\r\n\r\n"
         b"the witness is busy: try again shortly\n")


class WitnessServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the listen backlog (5 reset 20 of 39 concurrent clients)

    def __init__(self, witness: Witness, address: tuple[str, int], *,
                 request_seconds: float = REQUEST_SECONDS,
                 max_threads: int = MAX_THREADS) -> None:
        self.witness = witness
        self.request_seconds = request_seconds
        self._slots = threading.BoundedSemaphore(max_threads)
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Serve the connection in a thread of its own, if one of `max_threads` is free;
        else answer 503 now, from the accepting thread, and close it."""
        if not self._slots.acquire(blocking=False):
            try:
                request.settimeout(1.0)
                request.sendall(_BUSY)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _Handler(BaseHTTPRequestHandler):
    server: WitnessServer
    protocol_version = "HTTP/1.1"  # keep-alive, as the spec recommends

    def setup(self) -> None:
        super().setup()
        self._reader = DeadlineReader(self.connection)
        self.rfile = io.BufferedReader(self._reader)

    def handle_one_request(self) -> None:
        """One request, from the wait for its first byte to its answer, within the
        deadline: past it the read fails with TimeoutError, and the connection is closed."""
        self._reader.start(self.server.request_seconds)
        super().handle_one_request()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the witness's answers are its record, not stderr."""

    def _answer(self, status: int, body: str, content_type: str = "text/plain") -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8"
                         if content_type == "text/plain" else content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        if self.path != ADD_CHECKPOINT:
            self._answer(HTTPStatus.NOT_FOUND, "not found\n")
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self.close_connection = True
            self._answer(HTTPStatus.BAD_REQUEST, "a body of at most 64 KiB with its length\n")
            return
        try:
            body = self.rfile.read(length).decode("utf-8")
        except UnicodeDecodeError:
            self._answer(HTTPStatus.BAD_REQUEST, "the body is not UTF-8 text\n")
            return
        try:
            line = self.server.witness.add_checkpoint(body)
        except WitnessRefusalError as e:
            if e.status == HTTPStatus.CONFLICT:
                self._answer(e.status, format_size(e.size or 0), SIZE_CONTENT_TYPE)
            else:
                self._answer(e.status, e.message + "\n")
            return
        self._answer(HTTPStatus.OK, line)

    def do_GET(self) -> None:
        found = _CHECKPOINT_PATH.fullmatch(self.path)
        note = self.server.witness.latest_note(found.group(1)) if found else None
        if note is None:
            self._answer(HTTPStatus.NOT_FOUND, "no cosigned checkpoint of that log\n")
        else:
            self._answer(HTTPStatus.OK, note)


def parse_listen(listen: str) -> tuple[str, int]:
    """HOST:PORT (port 0: any free port) as a server address; ValueError if malformed."""
    host, colon, port = listen.rpartition(":")
    if not colon or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"--listen {listen!r} is not HOST:PORT")
    return host.strip("[]"), int(port)
