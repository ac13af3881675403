"""A static HTTP server on 127.0.0.1 for one published directory, shared by the tests that
clone and monitor a site over HTTP (`from static_server import Server`), and `copy_db`,
the consistent copy of a SQLite ledger they fork sites from."""

from __future__ import annotations

import functools
import http.server
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path


class Server:
    """Serves `directory` on 127.0.0.1. After `fail_after` requests it answers 500 to every
    request (an interrupted transfer); `answers[path]`, when set, makes the body of a GET
    of that path (a site that answers differently from one request to the next);
    `requests_for[path]` counts the GETs of each path."""

    def __init__(self, directory: Path) -> None:
        self.fail_after: int | None = None
        self.requests = 0
        self.answers: dict[str, Callable[[], bytes]] = {}
        self.requests_for: dict[str, int] = {}
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests += 1
                path = self.path.lstrip("/")
                server.requests_for[path] = server.requests_for.get(path, 0) + 1
                if server.fail_after is not None and server.requests > server.fail_after:
                    self.send_error(500)
                    return
                answer = server.answers.get(path)
                if answer is not None:
                    body = answer()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                super().do_GET()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Handler, directory=str(directory)))
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


def copy_db(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite ledger (its WAL included)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    dst.close()
    src.close()
