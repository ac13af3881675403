"""Inflating a gzip stream (one member or many, as a WARC file's records are) as a
stream with a running cap: a bomb of a few KB that inflates to gigabytes is refused as
soon as its output passes the cap, never held whole."""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator

from tally.ledger.errors import InputError

_CHUNK = 1 << 16


def gunzipped(data: bytes, cap: int, what: str) -> io.BufferedReader:
    """A reader of the inflated `data`; reading past `cap` bytes of output, or a broken or
    cut stream, raises InputError naming `what`."""
    return io.BufferedReader(_Chunks(_inflate(data, cap, what)), _CHUNK)


def _inflate(data: bytes, cap: int, what: str) -> Iterator[bytes]:
    rest, total = data, 0
    try:
        while rest:
            member, pending = zlib.decompressobj(wbits=31), rest
            while not member.eof:
                out = member.decompress(pending, _CHUNK)
                pending = member.unconsumed_tail
                if not out and not pending:
                    raise InputError(f"the {what} is cut short", field="document")
                total += len(out)
                if total > cap:
                    raise InputError(f"the {what} inflates to more than {cap // 2**20} MiB",
                                     field="document")
                yield out
            rest = member.unused_data
    except zlib.error as e:
        raise InputError(f"the {what} cannot be inflated: {e}", field="document") from None


class _Chunks(io.RawIOBase):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks, self._left = chunks, memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._left:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._left = memoryview(chunk)
        n = min(len(buffer), len(self._left))
        buffer[:n] = self._left[:n]
        self._left = self._left[n:]
        return n
