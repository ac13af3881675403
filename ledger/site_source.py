"""Reading a published site, from a directory or over http(s), file by file.

The standard library's urllib is enough for plain GETs of static files with a
timeout; nothing read here is trusted until it is checked against a signed
checkpoint.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

from tally.ledger.errors import StorageError, VerificationError

TIMEOUT = 30.0  # seconds per request
MAX_FILE = 16 * 2**20  # far above a bundle of 256 entries of 64 KiB


class MissingFileError(VerificationError):
    """Raised when a file the checkpoint requires is not on the site."""


class SiteSource:
    """A site at a directory path or an http(s) URL."""

    def __init__(self, location: str) -> None:
        self.location = location
        self.remote = location.startswith(("http://", "https://"))
        if not self.remote and not Path(location).is_dir():
            raise StorageError(f"no published site at {location}: give a directory or an "
                               "http(s) URL")

    def get(self, relative: str, limit: int = MAX_FILE) -> bytes:
        """The bytes of one file, at most `limit`; MissingFileError if the site does not
        have it."""
        if not self.remote:
            try:
                with Path(self.location, relative).open("rb") as file:
                    return file.read(limit)
            except (FileNotFoundError, NotADirectoryError):
                raise MissingFileError(f"{relative} is missing from the site") from None
        url = self.location.rstrip("/") + "/" + relative
        try:
            request = urllib.request.Request(url, headers={"User-Agent": "tally"})
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                data: bytes = response.read(limit)
                return data
        except urllib.error.HTTPError as e:
            if e.code == 404:
                raise MissingFileError(f"{relative} is missing from the site") from None
            raise StorageError(f"{url} answered HTTP {e.code}: try again later") from None
        except (urllib.error.URLError, TimeoutError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise StorageError(f"cannot fetch {url}: {reason}") from None

    def text(self, relative: str) -> str:
        try:
            return self.get(relative).decode("utf-8")
        except UnicodeDecodeError:
            raise VerificationError(f"{relative} on the site is not UTF-8 text") from None
