"""Slots, queue order and retry waits (tt_core/jobs/scheduler.py), without a cluster."""

from __future__ import annotations

import pytest

from tt_core.errors import TimetableError
from tt_core.jobs.attempt import Attempt
from tt_core.jobs.scheduler import Scheduler


def _attempt(job_id: int) -> Attempt:
    return Attempt(job_id, 1, future=None, stop=None, problem=None, scenario="s", time_limit=1.0)


def _queue(*ids: int) -> list[dict]:
    return [{"id": i} for i in ids]


def _start_all(s: Scheduler, queued: list[dict], now: float) -> list[int]:
    started = []
    for job in s.candidates(queued, now):
        s.started(_attempt(job["id"]))
        started.append(job["id"])
    return started


def test_at_most_max_concurrent_start_oldest_first():
    s = Scheduler(2)
    assert s.should_look(0.0)
    assert _start_all(s, _queue(3, 4, 5), now=0.0) == [3, 4]
    assert s.free() == 0 and not s.should_look(100.0)  # no slot: no need to read the queue
    assert s.ended(3).job_id == 3
    assert s.should_look(0.1)  # a slot came free: look at once
    assert _start_all(s, _queue(4, 5), now=0.1) == [5]  # 4 runs already


def test_a_job_that_fails_to_start_leaves_its_slot_to_the_next():
    s = Scheduler(1)
    given = []
    for job in s.candidates(_queue(1, 2, 3), now=0.0):
        given.append(job["id"])
        if job["id"] == 2:
            s.started(_attempt(2))
    assert given == [1, 2]  # 1 did not start; 2 took the slot; 3 waits


def test_the_queue_is_read_when_it_changed_or_once_a_second():
    s = Scheduler(2, look_every=1.0)
    assert _start_all(s, [], now=10.0) == []
    assert not s.should_look(10.5)
    assert s.should_look(11.0)  # rows queued by other code sharing the store
    _start_all(s, [], now=11.0)
    s.changed()  # submit / retry
    assert s.should_look(11.1)


def test_a_job_whose_worker_died_waits_its_back_off():
    s = Scheduler(2)
    _start_all(s, _queue(7), now=0.0)
    assert s.worker_lost(7) == 1 and s.worker_lost(7) == 2
    assert s.retry_later(7, at=5.0).job_id == 7 and 7 not in s.running
    _start_all(s, [], now=1.0)
    assert not s.should_look(1.5)
    assert _start_all(s, _queue(7, 8), now=2.0) == [8]  # 7 waits until 5.0
    assert s.should_look(5.0)  # its retry is due
    assert _start_all(s, _queue(7), now=5.0) == [7]
    assert s.worker_lost(7) == 3  # the count survives the retry ...
    s.ended(7)
    assert s.worker_lost(7) == 1  # ... and ends with the job


def test_cancel_of_a_waiting_job_and_a_users_retry():
    s = Scheduler(1)
    _start_all(s, _queue(1), now=0.0)
    s.worker_lost(1)
    s.retry_later(1, at=100.0)
    s.dequeued(1)  # cancelled while waiting: no wait remembered
    assert _start_all(s, _queue(1), now=1.0) == [1]
    s.worker_lost(1)
    s.retried(1)  # the user's retry starts a fresh count
    assert s.worker_lost(1) == 1


def test_at_least_one_slot():
    with pytest.raises(TimetableError, match="max_concurrent must be at least 1"):
        Scheduler(0)
