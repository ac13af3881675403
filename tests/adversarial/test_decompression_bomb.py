"""A WARC whose record is a gzip bomb: 0.4 MB on disk, 384 MiB inflated.

The record was read whole before the 50 MiB check (a 2 MB file of this kind made 4.3 GB
and a MemoryError). The WARC is now inflated as a stream with a running cap, so the
refusal comes after at most the cap, whatever the record claims.
"""

from __future__ import annotations

import tracemalloc
import zlib

import pytest

from tally.ledger.errors import InputError
from tally.ledger.evidence.extractors import extract

URL = "https://example.org/bomb"
INFLATED = 384 * 2**20


def _bomb() -> bytes:
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"
    head = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: " + URL.encode()
            + b"\r\nWARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000000>"
            + b"\r\nContent-Type: application/http; msgtype=response\r\nContent-Length: "
            + str(len(http) + INFLATED).encode() + b"\r\n\r\n" + http)
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [packer.compress(head)]
    zeros = bytes(2**24)
    out += [packer.compress(zeros) for _ in range(INFLATED // len(zeros))]
    out += [packer.compress(b"\r\n\r\n"), packer.flush()]
    return b"".join(out)


def test_a_gzip_bomb_in_a_warc_is_refused_in_bounded_memory() -> None:
    bomb = _bomb()
    assert len(bomb) < 2**20
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match="larger than"):
            extract(bomb, "application/warc", URL)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 160 * 2**20, f"{peak / 2**20:.0f} MiB"
