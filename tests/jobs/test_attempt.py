"""One running attempt (tt_core/jobs/attempt.py), without a cluster: what the courier's messages
become, and which final status each way of ending gives."""

from __future__ import annotations

from tt_core.errors import TimetableError
from tt_core.jobs.attempt import Attempt


class _Future:
    status = "error"
    key = "tt-job-x-1-1"


def _attempt(**fields) -> Attempt:
    return Attempt(1, 2, future=_Future(), stop=None, problem=None, scenario="s", time_limit=30.0, **fields)


def _event(stage: str, elapsed: float) -> dict:
    return {"kind": "event", "stage": stage, "fraction": 0.1, "best_cost": 5.0, "hard_violations": 0,
            "elapsed": elapsed, "eta": 1.0, "message": None}


def test_messages_become_events_and_the_latest_checkpoint():
    a = _attempt()
    events, checkpoint = a.absorb([{"kind": "started", "worker": "tcp://w1", "pid": 11},
                                   _event("warm-up", 0.0)], now=5.0)
    assert a.started == 5.0 and (a.worker, a.pid) == ("tcp://w1", 11)
    assert a.solving is None  # the warm-up does not start the time limit's clock
    assert [e["kind"] for e in events] == ["info", "progress"] and checkpoint is None
    assert events[0]["message"] == "attempt 2 running on tcp://w1 (pid 11)"
    cp1 = {"kind": "checkpoint", "elapsed": 1.0, "period": [0], "room": [0]}
    cp2 = {"kind": "checkpoint", "elapsed": 2.0, "period": [1], "room": [0]}
    events, checkpoint = a.absorb([_event("anneal", 0.5), cp1, cp2], now=6.0)
    assert a.solving == 6.0 and checkpoint is cp2
    assert events == [{"stage": "anneal", "fraction": 0.1, "best_cost": 5.0, "hard_violations": 0, "elapsed": 0.5,
                       "eta": 1.0, "message": None, "kind": "progress"}]
    assert a.checkpoint_elapsed == 0.0  # noted by the runner once the checkpoint is written


def test_a_second_start_means_dask_re_ran_the_task():
    a = _attempt()
    a.absorb([{"kind": "started", "worker": "tcp://w1", "pid": 11}, _event("anneal", 0.1)], now=1.0)
    events, _ = a.absorb([{"kind": "started", "worker": "tcp://w2", "pid": 12}], now=9.0)
    assert [e["kind"] for e in events] == ["retry", "info"]
    assert "the worker tcp://w1 (pid 11) of attempt 2 was lost and Dask re-ran the task" in events[0]["message"]
    assert a.solving is None and a.worker == "tcp://w2"  # the clock starts again with the new solve


def test_how_a_returned_attempt_ends():
    what = "variant 4 (cost 3, 0 hard violation(s))"
    assert _attempt().outcome({"ended_by": "time"}, what) == ("succeeded", f"saved {what}")
    assert not _attempt().partial({"ended_by": "time"})
    cancelled = _attempt()
    assert cancelled.request_stop(now=1.0) and not cancelled.request_stop(now=2.0)  # asked once
    assert cancelled.cancel_requested == 1.0
    assert cancelled.outcome({"ended_by": "cancel"}, what) == ("cancelled", f"cancelled; kept its best timetable "
                                                                            f"as partial {what}")
    assert cancelled.partial({"ended_by": "cancel"})
    shut = _attempt()
    shut.request_stop(shutdown=True)
    assert shut.outcome({"ended_by": "cancel"}, what)[0] == "interrupted"
    overrun = _attempt(overrun_at=3.0)
    status, message = overrun.outcome({"ended_by": "cancel"}, what)
    assert status == "failed" and message.startswith("exceeded its time limit of 30 s")
    assert overrun.partial({"ended_by": "time"})
    status, message = _attempt().outcome({"ended_by": "memory", "reason": "worker memory 950 MiB"}, what)
    assert status == "failed" and "stopped at the memory limit: worker memory 950 MiB" in message


def test_how_an_attempt_without_a_result_ends():
    assert _attempt().failure(TimetableError("pinned lecture ids must be between 0 and 9"), worker_lost=False) == \
        ("failed", "pinned lecture ids must be between 0 and 9")  # the user's message as it is
    assert _attempt().failure(ValueError("bad"), worker_lost=False) == ("failed", "ValueError: bad")
    assert _attempt().failure(None, worker_lost=False) == (
        "failed", "the task ended without a result (future status error)")
    cancelled = _attempt()
    cancelled.request_stop()
    assert cancelled.failure(ConnectionError("worker lost"), worker_lost=True)[0] == "cancelled"
    assert cancelled.failure(ValueError("bad"), worker_lost=False)[0] == "failed"
    shut = _attempt()
    shut.request_stop(shutdown=True)
    status, message = shut.failure(ValueError("bad"), worker_lost=False)
    assert status == "interrupted" and message.endswith("retry resumes it")
    assert _attempt(worker="w", pid=3).summary() == {"attempt": 2, "worker": "w", "pid": 3, "key": "tt-job-x-1-1",
                                                     "checkpoint_elapsed": 0.0, "solving": False}
