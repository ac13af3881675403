"""A witness's HTTP server against a forking log and hostile clients.

- The same size with another root (a fork) got 422; C2SP tlog-witness asks for 409 with
  the witness's size as the body, typed `text/x.tlog.size`.
- A client sending one byte every few seconds held a thread for good: each read had a
  timeout, the request none.
- Connections were served by as many threads as clients opened, and the listen backlog
  was 5 (39 concurrent requests got 20 resets). Past its cap of threads, the witness now
  answers 503 at once; the backlog is 128.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tally.ledger.infra.keystore import KeyStore
from tally.ledger.integrity import merkle
from tally.ledger.integrity.checkpoints import Checkpoint, sign_checkpoint, verifier_key
from tally.ledger.integrity.witness_protocol import format_add_checkpoint
from tally.ledger.witness_service.server import WitnessServer
from tally.ledger.witness_service.service import Witness

ORIGIN = "example.org/forked"


class _Served:
    def __init__(self, tmp: Path, **options: float) -> None:
        witness, _ = Witness.init(tmp / "witness", "w.example")
        self.key = KeyStore(tmp / "log").create("log")
        witness.add_log(verifier_key(ORIGIN, self.key.public_key))
        self.server = WitnessServer(witness, ("127.0.0.1", 0), **options)  # type: ignore[arg-type]
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def note(self, size: int, root: bytes) -> str:
        return sign_checkpoint(Checkpoint(origin=ORIGIN, size=size, root_hash=root),
                               self.key.private_key)

    def post(self, body: str) -> tuple[int, str, str]:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/add-checkpoint",
                                         data=body.encode(), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                return r.status, r.headers.get("Content-Type"), r.read().decode()
        except urllib.error.HTTPError as e:
            with e:
                return e.code, e.headers.get("Content-Type"), e.read().decode()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.server.witness.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[_Served]:
    running = _Served(tmp_path)
    yield running
    running.stop()


def test_the_same_size_with_another_root_is_a_409_with_the_size(served: _Served) -> None:
    root = merkle.root(3, merkle.MemoryNodes([merkle.leaf_hash(bytes([i]))
                                              for i in range(3)]).get)
    assert served.post(format_add_checkpoint(0, [], served.note(3, root)))[0] == 200
    assert served.post(format_add_checkpoint(3, [], served.note(3, root)))[0] == 200
    fork = served.note(3, bytes(32))
    assert served.post(format_add_checkpoint(3, [], fork)) == (409, "text/x.tlog.size", "3\n")


def test_a_client_that_trickles_its_request_is_cut_off(tmp_path: Path) -> None:
    running = _Served(tmp_path, request_seconds=1.0)
    try:
        with socket.create_connection(("127.0.0.1", running.port), timeout=10) as client:
            client.sendall(b"POST /add-checkpoint HTTP/1.1\r\n")
            for _ in range(40):  # a byte every 0.25 s: each read is quick, the request not
                try:
                    client.sendall(b"X")
                except OSError:
                    break
                time.sleep(0.25)
                if _closed(client):
                    break
            else:
                pytest.fail("the witness still read the request after 10 s")
    finally:
        running.stop()


def _closed(client: socket.socket) -> bool:
    client.setblocking(False)
    try:
        return client.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        client.setblocking(True)


def test_past_the_thread_cap_a_client_gets_503_at_once(tmp_path: Path) -> None:
    running = _Served(tmp_path, max_threads=2, request_seconds=30.0)
    idle = [socket.create_connection(("127.0.0.1", running.port)) for _ in range(2)]
    try:
        time.sleep(0.2)  # both idle connections hold their threads
        with socket.create_connection(("127.0.0.1", running.port), timeout=5) as third:
            third.sendall(b"GET /x/checkpoint HTTP/1.1\r\nHost: w\r\n\r\n")
            answer = third.recv(4096).decode()
        assert answer.startswith("HTTP/1.1 503 "), answer
        assert "Retry-After:" in answer
    finally:
        for s in idle:
            s.close()
        running.stop()


def test_many_concurrent_clients_get_answers_not_resets(served: _Served) -> None:
    assert served.server.request_queue_size >= 128
    url = f"http://127.0.0.1:{served.port}/{'0' * 64}/checkpoint"

    def get(_: int) -> int:
        try:
            with urllib.request.urlopen(url, timeout=20) as r:
                return int(r.status)
        except urllib.error.HTTPError as e:
            with e:
                return e.code

    with ThreadPoolExecutor(64) as pool:
        statuses = list(pool.map(get, range(64)))
    assert set(statuses) <= {404, 503}, statuses
