"""Two worker processes for the bulk paths: the signature checks of import, verify and
rebuild, and the import's per-line work (`ledger.importer.line_workers`).

Why processes and not threads: the caller's thread is busy with Python (parsing,
hashing, SQL) and holds the GIL; a verifying thread needs the GIL between two C
calls and waits a whole switch interval (5 ms) each time. Measured here: a
verifying thread next to a busy main thread checks ~200 signatures/s; two worker
processes check ~33,000/s and leave the caller its core.

Why not `multiprocessing`: its spawn and forkserver methods re-run the caller's
`__main__` in every worker (a script without a main guard would run again), and
fork copies open database connections and threads. The workers here are plain
`python -m tally.ledger.infra.worker_pool` processes that read pickled jobs (a function
of Tally's, named by pickle as module and name, and its argument) on stdin and write each
result on stdout; two threads per worker feed and drain the pipes, so the caller never
blocks on a pipe. Only this process writes to a worker's stdin.
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
from collections.abc import Callable
from concurrent.futures import Future
from typing import IO, Any, TypeVar

_HEADER = struct.Struct("<Q")
WORKERS = 2
_A = TypeVar("_A")
_R = TypeVar("_R")


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
        self.outbox: queue.SimpleQueue[tuple[Future[Any], Any] | None] = (
            queue.SimpleQueue())
        self.waiting: queue.SimpleQueue[tuple[Future[Any], Any] | None] = (
            queue.SimpleQueue())
        self.broken = False
        threading.Thread(target=self._feed, daemon=True, name="tally-worker-feed").start()
        threading.Thread(target=self._drain, daemon=True, name="tally-worker-drain").start()

    def submit(self, job: tuple[Callable[[Any], Any], Any]) -> Future[Any]:
        future: Future[Any] = Future()
        if self.broken:
            future.set_exception(BrokenPipeError("the worker process stopped"))
        else:
            self.outbox.put((future, job))
        return future

    def _feed(self) -> None:
        assert self.proc.stdin is not None
        while True:
            job = self.outbox.get()
            if job is None:
                break
            try:
                _write(self.proc.stdin, job[1])
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

    def submit(self, job: tuple[Callable[[Any], Any], Any]) -> Future[Any]:
        worker = self.workers[self.next % len(self.workers)]
        self.next += 1
        return worker.submit(job)

    def close(self) -> None:
        for w in self.workers:
            w.close()


_pool: Pool | None = None
_failed = False
_lock = threading.Lock()


def pool() -> Pool | None:
    """The shared pool, started on first use; None where processes cannot be started."""
    global _pool, _failed
    with _lock:
        if _pool is None and not _failed:
            try:
                _pool = Pool(WORKERS)
                atexit.register(_pool.close)
            except OSError:
                _failed = True
        return _pool


def run_async(fn: Callable[[_A], _R], arg: _A, *, in_place: bool = False
              ) -> Callable[[], _R]:
    """Start `fn(arg)` in a worker process (`fn` a module-level function, `arg` picklable)
    and return a function that waits for its result, so the caller goes on meanwhile.
    With `in_place`, or where no worker can run it (none started, or one stopped), it runs
    here instead: the result is the same, only slower."""
    workers = None if in_place else pool()
    if workers is None:
        result = fn(arg)
        return lambda: result
    future = workers.submit((fn, arg))

    def wait() -> _R:
        try:
            done, result = future.result()
        except Exception:  # the worker stopped: its job is done here instead
            return fn(arg)
        # a job that raised there raises here, where its error can be seen
        return result if done else fn(arg)

    return wait


class Apart:
    """A job running in a process of its own (`run_apart`): `wait` for its result, or
    `cancel` it."""

    def __init__(self, fn: Callable[[Any], Any], arg: Any, in_place: bool) -> None:
        self._job = (fn, arg)
        self._worker: _Worker | None = None
        if in_place:
            return
        try:
            self._worker = _Worker()
            self._future = self._worker.submit(self._job)
        except OSError:  # no process to start: the job runs here, when waited for
            self._worker = None

    def wait(self) -> Any:
        fn, arg = self._job
        if self._worker is None:
            return fn(arg)
        try:
            done, result = self._future.result()
        except Exception:  # the process stopped: the job is done here instead
            done, result = False, None
        finally:
            self._worker.close()
        # a job that raised there raises here, where its error can be seen
        return result if done else fn(arg)

    def cancel(self) -> None:
        """Stop the job, if it was not waited for already."""
        if self._worker is not None and self._worker.proc.poll() is None:
            self._worker.proc.kill()
            self._worker.close()

    def __enter__(self) -> Apart:
        return self

    def __exit__(self, *_: object) -> None:
        self.cancel()  # an error before `wait`: the job's process does not outlive it


def run_apart(fn: Callable[[_A], _R], arg: _A, *, in_place: bool = False) -> Apart:
    """Start `fn(arg)` in a process of its own, not one of the shared pool's (whose workers
    the caller keeps busy meanwhile: a long job there would hold up every job queued behind
    it): for a long job beside the caller's own work. `Apart.wait()` gives its result; with
    `in_place` (`arg` cannot cross to another process) it is worked out here, then."""
    return Apart(fn, arg, in_place)


def _main() -> None:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            fn, arg = _read(stdin)
        except EOFError:
            return
        try:
            answer = (True, fn(arg))
        except Exception:  # the caller runs it again, and sees the error
            answer = (False, None)
        _write(stdout, answer)


if __name__ == "__main__":
    _main()
