"""Many Ed25519 signatures checked at once, for the bulk paths (import, verify, clone): in
the worker processes (`ledger.infra.worker_pool`, where the reasons are), small batches
in place, and the first bad one found exactly where checking one at a time finds it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tally.ledger.infra.worker_pool import run_async
from tally.ledger.integrity.signing import SignedItem, verify_chunk

PARALLEL_FROM = 512  # fewer signatures than this are checked in the calling process
_CHUNK = 512


def verify_many_async(items: Sequence[SignedItem]) -> Callable[[], list[bool]]:
    """Start checking the signatures and return a function that waits for the results,
    so the caller goes on (parsing, hashing, writing) while they are checked."""
    in_place = len(items) < PARALLEL_FROM
    waits = [run_async(verify_chunk, items[i : i + _CHUNK], in_place=in_place)
             for i in range(0, len(items), _CHUNK)]
    return lambda: [ok for wait in waits for ok in wait()]


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
