"""Fetching one file of a published site over http(s), within bounds a hostile server
cannot stretch.

- A deadline for the whole request, redirects included: every receive and send waits
  at most the time left (`infra.deadline_reader`), so a server that sends one byte every
  few seconds, in its headers or its body, is cut off when the deadline passes.
- Redirects are followed only to the same scheme and host, unless the caller allows
  others (`--follow-redirects`); a redirect to anything but http(s) (ftp://, file://) is
  refused always.
"""

from __future__ import annotations

import http.client
import io
import ssl
import time
import urllib.error
import urllib.request
from typing import IO, Any
from urllib.parse import urljoin, urlsplit

from tally.ledger.errors import StorageError
from tally.ledger.infra.deadline_reader import DeadlineReader


def fetch(url: str, *, deadline: float, per_read: float, follow_redirects: bool,
          limit: int) -> bytes:
    """At most `limit` bytes of the answer to a GET of `url`, before `deadline`
    (time.monotonic()). urllib's HTTPError (404 and the like), URLError or TimeoutError
    when the request fails; StorageError for a refused redirect."""
    opener = urllib.request.build_opener(
        _Http(deadline), _Https(deadline), _Redirects(url, follow_redirects))
    request = urllib.request.Request(url, headers={"User-Agent": "tally"})
    with opener.open(request, timeout=per_read) as response:
        data: bytes = response.read(limit)
        return data


class _DeadlineSocket:
    """A connected socket whose reads and writes end by the deadline."""

    def __init__(self, sock: Any, deadline: float) -> None:
        self._sock, self._deadline = sock, deadline

    def makefile(self, mode: str = "rb", *_: Any, **__: Any) -> IO[bytes]:
        reader = DeadlineReader(self._sock, self._sock.makefile("rb", buffering=0))
        reader.until(self._deadline)
        return io.BufferedReader(reader)

    def sendall(self, data: bytes) -> None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request took longer than its deadline")
        self._sock.settimeout(left)
        self._sock.sendall(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _Deadline:
    """A connection whose socket reads and writes against the request's overall deadline
    (mixed into HTTP and HTTPS connections alike)."""

    sock: Any

    def __init__(self, host: str, *, deadline: float, **options: Any) -> None:
        super().__init__(host, **options)  # type: ignore[call-arg]
        self.deadline = deadline

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self.sock = _DeadlineSocket(self.sock, self.deadline)


class _HttpConnection(_Deadline, http.client.HTTPConnection):
    pass


class _HttpsConnection(_Deadline, http.client.HTTPSConnection):
    pass


class _Http(urllib.request.HTTPHandler):
    def __init__(self, deadline: float) -> None:
        super().__init__()
        self._deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        def connection(host: str, /, **options: Any) -> http.client.HTTPConnection:
            return _HttpConnection(host, deadline=self._deadline, **options)

        return self.do_open(connection, req)


class _Https(urllib.request.HTTPSHandler):
    def __init__(self, deadline: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(context=self._tls)
        self._deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        def connection(host: str, /, **options: Any) -> http.client.HTTPConnection:
            return _HttpsConnection(host, deadline=self._deadline, **options)

        return self.do_open(connection, req, context=self._tls)


class _Redirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, url: str, follow: bool) -> None:
        self._site = urlsplit(url)
        self._follow = follow

    def http_error_302(self, req: urllib.request.Request, fp: IO[bytes], code: int,
                       msg: str, headers: http.client.HTTPMessage) -> Any:
        location = headers.get("location") or headers.get("uri")
        if location:  # checked before urllib's own check, which says only "HTTP 302"
            self._check(req.full_url, urljoin(req.full_url, location))
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    def _check(self, url: str, newurl: str) -> None:
        target = urlsplit(newurl)
        if target.scheme not in ("http", "https"):
            raise StorageError(f"{url} redirects to {newurl}: refused (only http and https "
                               "are followed)")
        same = (target.scheme, target.netloc) == (self._site.scheme, self._site.netloc)
        if not same and not self._follow:
            raise StorageError(f"{url} redirects to {newurl}, another scheme or host: "
                               "refused; pass --follow-redirects to follow it")
