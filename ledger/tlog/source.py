"""Reading a published site, from a directory or over http(s), file by file.

The standard library's urllib is enough for plain GETs of static files; what a hostile
server could stretch is bounded (`fetch`: a deadline for each request, redirects
kept to the site's scheme and host), and so is the whole run (`run_seconds`, the
commands' `--timeout`). Nothing read here is trusted until it is checked against a
signed checkpoint.
"""

from __future__ import annotations

import time
import urllib.error
from pathlib import Path

from tally.ledger.errors import MissingFileError, StorageError, VerificationError
from tally.ledger.infra.bounded_files import open_regular
from tally.ledger.tlog.fetch import fetch

TIMEOUT = 30.0  # seconds a read or a write may wait
REQUEST_SECONDS = 120.0  # seconds a request may take in all (16 MiB at 140 kB/s)
MAX_FILE = 16 * 2**20  # far above a bundle of 256 entries of 64 KiB


class SiteSource:
    """A site at a directory path or an http(s) URL."""

    def __init__(self, location: str, *, request_seconds: float = REQUEST_SECONDS,
                 run_seconds: float | None = None, follow_redirects: bool = False) -> None:
        """`run_seconds`: every request must be done that long from now (`--timeout`);
        `follow_redirects`: follow a redirect to another scheme or host too."""
        self.location = location
        self.request_seconds = request_seconds
        self.run_seconds = run_seconds
        self.run_deadline = None if run_seconds is None else time.monotonic() + run_seconds
        self.follow_redirects = follow_redirects
        self.remote = location.startswith(("http://", "https://"))
        if not self.remote and not Path(location).is_dir():
            raise StorageError(f"no published site at {location}: give a directory or an "
                               "http(s) URL")

    def get(self, relative: str, limit: int = MAX_FILE) -> bytes:
        """The bytes of one file, at most `limit`; MissingFileError if the site does not
        have it."""
        if not self.remote:
            path = Path(self.location, relative)
            if not path.exists():
                raise MissingFileError(f"{relative} is missing from the site")
            with open_regular(path, "site's file", VerificationError) as file:
                return file.read(limit)  # a FIFO or a device is refused, unread
        url = self.location.rstrip("/") + "/" + relative
        deadline = time.monotonic() + self.request_seconds
        if self.run_deadline is not None and self.run_deadline < deadline:
            deadline = self.run_deadline
            if deadline <= time.monotonic():
                raise StorageError(f"the run took longer than --timeout {self.run_seconds:g} "
                                   f"seconds; {relative} was not fetched")
        try:
            return fetch(url, deadline=deadline, per_read=TIMEOUT,
                         follow_redirects=self.follow_redirects, limit=limit)
        except TimeoutError:
            raise self._late(url, deadline) from None
        except urllib.error.HTTPError as e:
            if e.code == 404:
                raise MissingFileError(f"{relative} is missing from the site") from None
            raise StorageError(f"{url} answered HTTP {e.code}: try again later") from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            if isinstance(reason, TimeoutError):
                raise self._late(url, deadline) from None
            raise StorageError(f"cannot fetch {url}: {reason}") from None

    def _late(self, url: str, deadline: float) -> StorageError:
        if deadline == self.run_deadline:
            return StorageError(f"the run took longer than --timeout {self.run_seconds:g} "
                                f"seconds, fetching {url}")
        return StorageError(f"{url} did not answer within its deadline of "
                            f"{self.request_seconds:g} seconds: try again later")

    def text(self, relative: str) -> str:
        try:
            return self.get(relative).decode("utf-8")
        except UnicodeDecodeError:
            raise VerificationError(f"{relative} on the site is not UTF-8 text") from None
