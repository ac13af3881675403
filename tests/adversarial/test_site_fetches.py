"""A site's server that stalls or redirects, against `clone` and `monitor`.

Each request had a 30 s timeout per socket operation and none in all: a site sending one
byte every 5 s held `clone` and `monitor` forever. urllib followed redirects anywhere,
ftp:// included. Now each request has an overall deadline, the whole run a `--timeout`,
and redirects are followed only to the same scheme and host (`--follow-redirects` to
allow others); ftp:// and file:// never.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hostile import operator_key, recorder

from tally.ledger.errors import StorageError
from tally.ledger.tlog.source import SiteSource


class _Hostile(BaseHTTPRequestHandler):
    site: Path
    redirect = ""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.startswith("/trickle-head"):
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            for _ in range(100):
                self.wfile.write(b"X")
                self.wfile.flush()
                time.sleep(0.2)
            return
        if self.path.startswith("/trickle"):
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            for _ in range(100):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.2)
            return
        if self.path.startswith("/moved/"):
            self.send_response(302)
            self.send_header("Location", self.redirect + self.path[len("/moved/"):])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path = self.site / self.path.lstrip("/")
        if not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Quiet(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that gave up (a broken pipe) is what these tests do."""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, type[_Hostile]]]:
    handler = type("Handler", (_Hostile,), {"site": tmp_path / "site"})
    httpd = _Quiet(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("path", ["trickle", "trickle-head"])
def test_a_trickling_answer_is_cut_off_at_the_request_deadline(
        server: tuple[str, type[_Hostile]], path: str) -> None:
    url, _ = server
    source = SiteSource(url, request_seconds=1.0)
    with pytest.raises(StorageError, match="deadline"):
        source.get(path)


def test_the_whole_run_has_a_timeout(tmp_path: Path,
                                     server: tuple[str, type[_Hostile]]) -> None:
    url, _ = server
    source = SiteSource(f"{url}/", run_seconds=1.0)
    with pytest.raises(StorageError, match="--timeout"):
        for _ in range(10):
            source.get("trickle")
    tally = recorder(tmp_path)
    out = tally("--db", str(tmp_path / "r.db"), "clone", f"{url}/trickle-head/",
                "--operator-key", operator_key(tally), "--timeout", "1", code=1).output
    assert "--timeout" in out, out


def test_redirects_stay_on_the_site_unless_allowed(
        tmp_path: Path, server: tuple[str, type[_Hostile]]) -> None:
    url, handler = server
    tally = recorder(tmp_path)
    tally("publish", str(tmp_path / "site"))
    key = operator_key(tally)
    handler.redirect = url + "/"  # the same scheme and host: followed
    assert tally.json("--db", str(tmp_path / "a.db"), "clone", f"{url}/moved/",
                      "--operator-key", key)["size"] > 0
    handler.redirect = url.replace("127.0.0.1", "localhost") + "/"  # another host
    out = tally("--db", str(tmp_path / "b.db"), "clone", f"{url}/moved/", "--operator-key",
                key, code=1).output
    assert "redirect" in out and "--follow-redirects" in out, out
    assert tally.json("--db", str(tmp_path / "b.db"), "clone", f"{url}/moved/",
                      "--operator-key", key, "--follow-redirects")["size"] > 0
    for elsewhere in ("ftp://127.0.0.1/", "file:///etc/"):
        handler.redirect = elsewhere
        out = tally("--db", str(tmp_path / "c.db"), "clone", f"{url}/moved/",
                    "--operator-key", key, "--follow-redirects", code=1).output
        assert "redirect" in out and "refused" in out, out
