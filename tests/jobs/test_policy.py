"""The runner's rules (tt_core/jobs/policy.py), without a cluster: retry back-off, time limits,
the runner's maximum time limit, memory limits, which errors mean a lost worker."""

from __future__ import annotations

import pytest

from tt_core.errors import TimetableError
from tt_core.jobs.policy import RetryPolicy, TimeLimits, check_time_limit, first_line, is_worker_loss, memory_bytes


def test_retries_back_off_exponentially_then_give_up_with_the_reason():
    policy = RetryPolicy(max_retries=3, backoff=0.5)
    assert [policy.wait_before(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, None]
    assert RetryPolicy(max_retries=0).wait_before(1) is None
    message = policy.gave_up(4, "KilledWorker: boom", memory_limit=None)
    assert message == "its worker died 4 times (last: KilledWorker: boom); gave up after 3 retries"
    hinted = RetryPolicy(max_retries=0).gave_up(1, "KilledWorker: boom", memory_limit=2**30)
    assert hinted.startswith("its worker died 1 time (last") and "memory limit of 1024 MiB" in hinted
    with pytest.raises(TimetableError, match="max_retries cannot be negative"):
        RetryPolicy(max_retries=-1)


def test_the_time_limit_counts_from_the_first_solver_event():
    limits = TimeLimits(overrun_grace=10.0, startup_allowance=120.0)
    # still starting (imports, numba): the start-up allowance applies
    over, what = limits.overrun(now=200.0, submitted=100.0, solving=None, time_limit=30.0)
    assert over == pytest.approx(200 - 100 - 30 - 120) and over < 0
    assert "no progress 100 s after it was submitted" in what
    over, _ = limits.overrun(now=260.0, submitted=100.0, solving=None, time_limit=30.0)
    assert over > 0
    # solving: the limit plus the grace (or a quarter of the limit, when more)
    over, what = limits.overrun(now=145.0, submitted=0.0, solving=100.0, time_limit=30.0)
    assert over == pytest.approx(45 - 30 - 10) and "over its time limit of 30 s" in what
    over, _ = limits.overrun(now=100.0 + 400 + 100 - 1, submitted=0.0, solving=100.0, time_limit=400.0)
    assert over < 0  # a quarter of 400 s is the grace here, not 10 s


def test_a_stopped_attempt_is_abandoned_after_the_grace():
    limits = TimeLimits(overrun_grace=10.0)
    assert not limits.abandon(now=100.0, stopped_at=None)
    assert not limits.abandon(now=109.0, stopped_at=100.0)
    assert limits.abandon(now=110.5, stopped_at=100.0)
    assert limits.stop_reason(now=139.0, submitted=0.0, solving=100.0, time_limit=30.0) is None
    assert limits.stop_reason(now=141.0, submitted=0.0, solving=100.0, time_limit=30.0) == (
        "still solving 41 s after it began, over its time limit of 30 s; stopping it")
    assert limits.abandoned(now=105.0, cancelled_at=None, overrun_at=100.0, time_limit=30.0) is None
    assert limits.abandoned(now=111.0, cancelled_at=None, overrun_at=100.0, time_limit=30.0) == (
        "failed", "exceeded its time limit of 30 s and did not stop within 10 s; its worker task was abandoned")
    assert limits.abandoned(now=111.0, cancelled_at=100.0, overrun_at=None, time_limit=30.0) == (
        "cancelled", "did not stop after being cancelled within 10 s; its worker task was abandoned")
    assert limits.abandoned(now=500.0, cancelled_at=None, overrun_at=None, time_limit=30.0) is None


def test_the_runner_refuses_longer_jobs_than_its_maximum():
    check_time_limit(600.0, None)
    check_time_limit(60.0, 60.0)
    with pytest.raises(TimetableError, match="above this runner's limit of 60 s; ask for less"):
        check_time_limit(61.0, 60.0)


def test_memory_limits_and_lost_workers():
    assert memory_bytes(None) is None
    assert memory_bytes("2GiB") == 2 * 2**30
    assert memory_bytes(1000) == 1000
    from distributed import KilledWorker

    assert is_worker_loss(KilledWorker("task", "worker", allowed_failures=0))
    assert is_worker_loss(ConnectionError("gone")) and is_worker_loss(TimeoutError())
    assert not is_worker_loss(ValueError("the job is wrong"))
    assert first_line(ValueError("one\ntwo")) == "one" and first_line(ValueError()) == "ValueError"
