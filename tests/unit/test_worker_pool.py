"""The worker processes run any of Tally's functions: a job's result comes back from a
worker, and a job that raises there raises in the caller (run again in place) while the
worker goes on answering."""

from __future__ import annotations

import time

import pytest

from tally.ledger.infra import worker_pool
from tally.ledger.integrity.signing import canonical


def test_a_job_runs_in_a_worker_and_an_error_is_raised_where_it_was_asked() -> None:
    workers = worker_pool.pool()
    if workers is None:
        pytest.skip("no worker process can be started here")
    assert worker_pool.run_async(canonical, {"b": [1], "a": "x"})() == '{"a":"x","b":[1]}'
    with pytest.raises(ValueError, match="invalid literal"):
        worker_pool.run_async(int, "not a number")()
    for _ in workers.workers:  # each worker, round-robin
        assert worker_pool.run_async(int, "12")() == 12
    assert all(w.proc.poll() is None and not w.broken for w in workers.workers)


def test_a_job_in_place_runs_here() -> None:
    wait = worker_pool.run_async(int, "12", in_place=True)
    assert wait() == 12


def test_a_job_apart_runs_in_its_own_process_and_is_gone_after() -> None:
    apart = worker_pool.run_apart(canonical, {"b": [1], "a": "x"})
    worker = apart._worker
    if worker is None:
        pytest.skip("no worker process can be started here")
    shared = worker_pool.pool()
    assert shared is None or all(worker is not w for w in shared.workers)
    assert apart.wait() == '{"a":"x","b":[1]}'
    assert worker.proc.wait(timeout=10) == 0  # it ends once its one job is answered
    with pytest.raises(ValueError, match="invalid literal"):
        worker_pool.run_apart(int, "not a number").wait()
    assert worker_pool.run_apart(int, "12", in_place=True).wait() == 12


def test_a_job_apart_that_is_not_waited_for_is_stopped() -> None:
    with worker_pool.run_apart(time.sleep, 60) as apart:
        worker = apart._worker
        if worker is None:
            pytest.skip("no worker process can be started here")
    assert worker.proc.wait(timeout=10) != 0  # killed, not left to sleep its minute
