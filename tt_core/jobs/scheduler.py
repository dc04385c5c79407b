"""Which queued jobs the runner starts, and when: its slots, the queue order and retry waits.

The :class:`Scheduler` is the runner's bookkeeping of what runs where, in memory only (the queue
itself is the ``queued`` job rows, oldest first): at most ``max_concurrent`` attempts at a time, a
job whose worker died waits its back-off before it is started again, and the queue is looked at
when something changed (a job queued, retried or ended), when a retry is due, and once every
``look_every`` seconds (rows queued by other code sharing the runner's store). No Dask, no
database: the runner holds its lock around every call.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..errors import TimetableError
from .attempt import Attempt


class Scheduler:
    """Slots and queue order of one runner (see the module doc).

    Parameters
    ----------
    max_concurrent : int
        Attempts running at the same time; the other queued jobs wait.
    look_every : float
        Seconds between two looks at the queue when nothing told the scheduler it changed.
    """

    def __init__(self, max_concurrent: int, *, look_every: float = 1.0):
        if max_concurrent < 1:
            raise TimetableError(f"max_concurrent must be at least 1, got {max_concurrent}")
        self.max_concurrent = int(max_concurrent)
        self.look_every = float(look_every)
        #: job id -> its running attempt
        self.running: dict[int, Attempt] = {}
        self._retry_at: dict[int, float] = {}   # job -> monotonic time before which it must wait
        self._losses: dict[int, int] = {}       # job -> workers lost so far
        self._changed = True                    # look at the queue in the next round
        self._next_look = 0.0

    def free(self) -> int:
        """Slots free now."""
        return self.max_concurrent - len(self.running)

    def changed(self) -> None:
        """The queue changed (a job was queued or retried): look at it in the next round."""
        self._changed = True

    def should_look(self, now: float) -> bool:
        """Whether to read the queued jobs now."""
        if self.free() <= 0:
            return False
        due = any(t <= now for t in self._retry_at.values())
        return self._changed or due or now >= self._next_look

    def candidates(self, queued: Iterable[dict], now: float) -> Iterator[dict]:
        """The queued jobs (oldest first) to start now, while a slot is free.

        A job counts as started once :meth:`started` is called for it; one that fails to start
        leaves its slot to the next job.
        """
        self._changed = False
        self._next_look = now + self.look_every
        for job in queued:
            if self.free() <= 0:
                return
            job_id = int(job["id"])
            if job_id in self.running or self._retry_at.get(job_id, 0) > now:
                continue
            self._retry_at.pop(job_id, None)
            yield job

    def started(self, attempt: Attempt) -> None:
        """An attempt was submitted: it holds a slot until :meth:`ended` or :meth:`retry_later`."""
        self.running[attempt.job_id] = attempt

    def ended(self, job_id: int) -> Attempt | None:
        """The job has ended: free its slot; returns the attempt that ran, if any."""
        attempt = self.running.pop(job_id, None)
        if attempt is not None:
            self._changed = True  # a slot is free
        self._losses.pop(job_id, None)
        return attempt

    def worker_lost(self, job_id: int) -> int:
        """Count a worker lost by the job; returns how many it has lost."""
        n = self._losses.get(job_id, 0) + 1
        self._losses[job_id] = n
        return n

    def retry_later(self, job_id: int, at: float) -> Attempt | None:
        """The job goes back to the queue and may start again at ``at``; frees its slot."""
        self._retry_at[job_id] = at
        return self.running.pop(job_id, None)

    def dequeued(self, job_id: int) -> None:
        """A queued job was cancelled: forget its retry wait."""
        self._retry_at.pop(job_id, None)

    def retried(self, job_id: int) -> None:
        """The user queued an ended job again: it starts with a fresh count of lost workers."""
        self._losses.pop(job_id, None)
        self._changed = True
