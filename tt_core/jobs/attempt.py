"""One running attempt of a job, as the runner sees it, and what its messages and its end mean.

An :class:`Attempt` lives in the runner's memory only (the database knows the job, not its Dask
handles). It turns the courier's messages (:mod:`tt_core.jobs.task`) into the events and the
checkpoint the runner writes, keeps the attempt's clocks for the time limits
(:class:`~tt_core.jobs.policy.TimeLimits`), and decides the job's final status when the attempt
ends: whether it was cancelled, stopped for overrunning, stopped by the runner's shutdown, or
simply used its budget. Pure bookkeeping: no Dask, no database, so each rule is tested alone.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..errors import TimetableError
from .api import info_event

#: the fields of a solver progress event the runner keeps (the event log's columns)
PROGRESS_FIELDS = ("stage", "fraction", "best_cost", "hard_violations", "elapsed", "eta", "message")


@dataclass
class Attempt:
    """One running attempt of a job (runner memory only).

    The clocks are ``time.monotonic()`` readings of the runner's process.
    """

    job_id: int
    attempt: int
    future: object
    stop: object                # the attempt's Dask Event (see tt_core.jobs.dispatch)
    problem: object
    scenario: str
    time_limit: float           # this attempt's solver budget
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None  # when the worker reported "started"
    solving: float | None = None  # when the first solver event arrived (after imports and warm-up)
    worker: str | None = None
    pid: int | None = None
    cancel_requested: float | None = None
    overrun_at: float | None = None  # when the runner stopped it for overrunning its time limit
    checkpoint_elapsed: float = 0.0
    shutdown: bool = False           # stopped by the runner's close(), not by the user

    def absorb(self, items: list[dict], now: float | None = None) -> tuple[list[dict], dict | None]:
        """The events to write and the latest checkpoint among the courier's ``items``.

        The caller notes the checkpoint's ``elapsed`` in :attr:`checkpoint_elapsed` once it is written.

        ``started`` items note the worker (a second one means Dask re-ran the task from its start
        after losing a worker), solver events start the solving clock (the warm-up does not).
        """
        now = time.monotonic() if now is None else now
        events: list[dict] = []
        checkpoint = None
        for item in items:
            kind = item["kind"]
            if kind == "started":
                if self.started is not None:  # a cluster with Dask retries re-ran the task
                    events.append(info_event(f"the worker {self.worker} (pid {self.pid}) of attempt {self.attempt} "
                                             "was lost and Dask re-ran the task from its start", kind="retry"))
                    self.solving = None
                self.started, self.worker, self.pid = now, item["worker"], item["pid"]
                events.append(info_event(f"attempt {self.attempt} running on {item['worker'] or 'this process'} "
                                         f"(pid {item['pid']})"))
            elif kind == "checkpoint":
                checkpoint = item
            else:
                if self.solving is None and item.get("stage") != "warm-up":
                    self.solving = now
                events.append({k: item.get(k) for k in PROGRESS_FIELDS} | {"kind": "progress"})
        return events, checkpoint

    def request_stop(self, now: float | None = None, *, shutdown: bool = False) -> bool:
        """Note a cancel (or the runner's shutdown); False when a stop was already requested."""
        if self.cancel_requested is not None:
            return False
        self.cancel_requested = time.monotonic() if now is None else now
        self.shutdown = shutdown
        return True

    def outcome(self, summary: dict, what: str) -> tuple[str, str]:
        """``(final status, message)`` of an attempt that returned ``summary``; ``what`` describes
        the variant its timetable was saved as."""
        ended_by = summary.get("ended_by", "time")
        if self.overrun_at is not None:
            return "failed", (f"exceeded its time limit of {self.time_limit:g} s and was stopped; kept its best "
                              f"timetable as partial {what}")
        if ended_by == "memory":
            return "failed", (f"stopped at the memory limit: {summary.get('reason')}; kept its best timetable "
                              f"as partial {what}")
        if self.shutdown:
            return "interrupted", f"the runner shut down; kept its best timetable as partial {what}; retry resumes it"
        if ended_by == "cancel" or self.cancel_requested is not None:
            return "cancelled", f"cancelled; kept its best timetable as partial {what}"
        return "succeeded", f"saved {what}"

    def partial(self, summary: dict) -> bool:
        """True when the returned timetable did not get its whole budget."""
        return summary.get("ended_by", "time") != "time" or self.overrun_at is not None

    def failure(self, exc: BaseException | None, worker_lost: bool) -> tuple[str, str]:
        """``(final status, message)`` of an attempt that ended without a result (``exc``: why,
        ``worker_lost``: it is a lost worker, which ends a cancelled attempt too)."""
        if exc is None:
            message = f"the task ended without a result (future status {getattr(self.future, 'status', None)})"
        elif isinstance(exc, TimetableError):
            message = str(exc)
        else:
            message = f"{type(exc).__name__}: {exc}"
        if self.shutdown:
            return "interrupted", f"the runner shut down ({message}); retry resumes it"
        if self.cancel_requested is not None and (exc is None or worker_lost):
            return "cancelled", f"cancelled ({message})"
        return "failed", message

    def summary(self) -> dict:
        """What :meth:`JobRunner.attempt <tt_core.jobs.runner.JobRunner.attempt>` shows of it."""
        return {"attempt": self.attempt, "worker": self.worker, "pid": self.pid,
                "key": getattr(self.future, "key", None), "checkpoint_elapsed": self.checkpoint_elapsed,
                "solving": self.solving is not None}
