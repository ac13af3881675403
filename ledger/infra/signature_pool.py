"""Ed25519 checks in worker processes, for the bulk paths (import, verify, rebuild).

Why processes and not threads: the caller's thread is busy with Python (parsing,
hashing, SQL) and holds the GIL; a verifying thread needs the GIL between two C
calls and waits a whole switch interval (5 ms) each time. Measured here: a
verifying thread next to a busy main thread checks ~200 signatures/s; two worker
processes check ~33,000/s and leave the caller its core.

Why not `multiprocessing`: its spawn and forkserver methods re-run the caller's
`__main__` in every worker (a script without a main guard would run again), and
fork copies open database connections and threads. The workers here are plain
`python -m ledger.infra.signature_pool` processes that read pickled batches on stdin and write
the results on stdout; two threads per worker feed and drain the pipes, so the
caller never blocks on a pipe.
"""

from __future__ import annotations

import atexit
import contextlib
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import IO, Any

from tally.ledger.integrity.signing import SignedItem, verify_chunk

_HEADER = struct.Struct("<Q")


def _read(stream: IO[bytes]) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


def _write(stream: IO[bytes], obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


class _Worker:
    def __init__(self) -> None:
        # the worker runs this very module, found the way this process found it
        self.proc = subprocess.Popen(
            [sys.executable, "-m", __spec__.name], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.outbox: queue.SimpleQueue[tuple[Future[list[bool]], Any] | None] = (
            queue.SimpleQueue())
        self.waiting: queue.SimpleQueue[tuple[Future[list[bool]], Any] | None] = (
            queue.SimpleQueue())
        self.broken = False
        threading.Thread(target=self._feed, daemon=True, name="tally-verify-feed").start()
        threading.Thread(target=self._drain, daemon=True, name="tally-verify-drain").start()

    def submit(self, items: Sequence[Any]) -> Future[list[bool]]:
        future: Future[list[bool]] = Future()
        if self.broken:
            future.set_exception(BrokenPipeError("the verifier process stopped"))
        else:
            self.outbox.put((future, items))
        return future

    def _feed(self) -> None:
        assert self.proc.stdin is not None
        while True:
            job = self.outbox.get()
            if job is None:
                break
            try:
                _write(self.proc.stdin, list(job[1]))
            except (OSError, ValueError) as e:
                self.broken = True
                job[0].set_exception(e)
                continue
            self.waiting.put(job)
        self.waiting.put(None)
        with contextlib.suppress(OSError):
            self.proc.stdin.close()

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        while True:
            job = self.waiting.get()
            if job is None:
                return
            try:
                job[0].set_result(_read(self.proc.stdout))
            except (OSError, EOFError, pickle.UnpicklingError) as e:
                self.broken = True
                job[0].set_exception(e)

    def close(self) -> None:
        self.outbox.put(None)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Pool:
    """Worker processes, used round-robin; futures complete in submission order per worker."""

    def __init__(self, workers: int) -> None:
        self.workers = [_Worker() for _ in range(workers)]
        self.next = 0

    def submit(self, items: Sequence[Any]) -> Future[list[bool]]:
        worker = self.workers[self.next % len(self.workers)]
        self.next += 1
        return worker.submit(items)

    def close(self) -> None:
        for w in self.workers:
            w.close()


_pool: Pool | None = None
_failed = False
_lock = threading.Lock()


def pool(workers: int) -> Pool | None:
    """The shared pool, started on first use; None where processes cannot be started."""
    global _pool, _failed
    with _lock:
        if _pool is None and not _failed:
            try:
                _pool = Pool(workers)
                atexit.register(_pool.close)
            except OSError:
                _failed = True
        return _pool


# -- checking many signatures ---------------------------------------------------------------
# Bulk checks (import, verify, clone) run in the worker processes; small batches are
# checked in place.

VERIFY_WORKERS = 2
PARALLEL_FROM = 512  # fewer signatures than this are checked in the calling process
_CHUNK = 512


def verify_many_async(items: Sequence[SignedItem]) -> Callable[[], list[bool]]:
    """Start checking the signatures and return a function that waits for the results,
    so the caller goes on (parsing, hashing, writing) while they are checked."""
    workers = pool(VERIFY_WORKERS) if len(items) >= PARALLEL_FROM else None
    if workers is None:
        results = verify_chunk(items)
        return lambda: results
    futures = [workers.submit(items[i : i + _CHUNK]) for i in range(0, len(items), _CHUNK)]

    def wait() -> list[bool]:
        out: list[bool] = []
        for n, f in enumerate(futures):
            try:
                out.extend(f.result())
            except Exception:  # a worker stopped: check its share here instead
                out.extend(verify_chunk(items[n * _CHUNK : (n + 1) * _CHUNK]))
        return out

    return wait




class SignatureQueue:
    """Signatures checked in order: queued with the number of what they sign (a line of an
    import, a position of the audit), sent to the workers a batch at a time while the
    caller reads on, and waited for up to a number, so that the first bad one is found
    exactly where checking one at a time would have found it."""

    def __init__(self, batch: int | None = None) -> None:
        self.batch = batch  # send a job whenever this many are queued (None: on `first_bad`)
        self.queued: list[tuple[int, SignedItem]] = []
        self.jobs: list[tuple[list[int], Callable[[], list[bool]]]] = []
        # bad ones numbered past the `upto` of the call that waited for their job: kept for
        # the next call, never dropped (a forgery later in a batch must still be refused)
        self.bad_later: list[int] = []

    def add(self, number: int, item: SignedItem) -> None:
        self.queued.append((number, item))
        if self.batch is not None and len(self.queued) >= self.batch:
            self.send()

    def send(self) -> None:
        if self.queued:
            self.jobs.append(([n for n, _ in self.queued],
                              verify_many_async([i for _, i in self.queued])))
            self.queued = []

    def first_bad(self, upto: int | None = None, keep: int = 0) -> int | None:
        """Wait for the checks of everything numbered up to `upto` (all with None), leaving
        the last `keep` jobs running; the first number whose signature does not verify."""
        found = self._wait(upto, keep)
        return min(found) if found else None

    def all_bad(self, upto: int | None = None) -> list[int]:
        """Wait as `first_bad` does; every number up to `upto` whose signature does not
        verify, in order (an import names each refused line)."""
        return self._wait(upto, 0)

    def _wait(self, upto: int | None, keep: int) -> list[int]:
        if self.queued and (upto is None or self.queued[0][0] <= upto):
            self.send()
        while len(self.jobs) > keep and (upto is None or self.jobs[0][0][0] <= upto):
            numbers, wait = self.jobs.pop(0)
            self.bad_later += [n for n, ok in zip(numbers, wait(), strict=True) if not ok]
        found = sorted(n for n in self.bad_later if upto is None or n <= upto)
        self.bad_later = [n for n in self.bad_later if n not in found]
        return found


def _main() -> None:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            items = _read(stdin)
        except EOFError:
            return
        _write(stdout, verify_chunk(items))


if __name__ == "__main__":
    _main()
