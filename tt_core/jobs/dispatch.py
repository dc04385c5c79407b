"""The runner's Dask side: submitting an attempt's task, its stop event, the progress queue.

Why a Dask ``Queue`` for progress. Events must arrive complete and in order (the event log is the
job's history), they come from several workers at once, and the runner reads them in batches on
its own schedule. A distributed ``Queue`` is FIFO, keeps messages on the scheduler until read
(``get(batch=True)`` takes all waiting ones in one round trip) and is shared by all jobs of a
runner. A ``Variable`` keeps only the last value (events would be lost between two reads); Dask
2026 has no Pub/Sub any more, and Pub/Sub dropped messages nobody was subscribed to. Messages are
small (a worker batches its events every 0.2 s; a checkpoint is two int lists per few seconds), as
the queue's data passes through the scheduler. Cancellation uses one Dask ``Event`` per attempt:
the worker long-polls it (``wait(timeout)``), so setting it reaches the solver within milliseconds.

Names on the scheduler carry a key of the database file, so that runners of different databases
can share one cluster, and a new runner of the same file can stop the tasks a dead one left
running (:meth:`Dispatcher.stop_orphans`).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import uuid
from pathlib import Path

from .attempt import Attempt
from .task import run_job

log = logging.getLogger(__name__)


class Dispatcher:
    """Runs attempts as Dask tasks of :func:`~tt_core.jobs.task.run_job` on ``client``'s cluster.

    Parameters
    ----------
    client : distributed.Client
        The runner's client (the runner owns it and closes it).
    db_path : str or Path
        The runner's database (named in the scheduler's keys).
    """

    def __init__(self, client, db_path: str | Path):
        from distributed import Queue

        self.client = client
        self.db_key = hashlib.sha1(str(Path(db_path).resolve()).encode()).hexdigest()[:10]
        self.channel = f"tt-progress-{uuid.uuid4().hex}"
        self._queue = Queue(self.channel, client=client)

    def _stop_name(self, job_id: int, attempt: int) -> str:
        return f"tt-stop-{self.db_key}-{job_id}-{attempt}"

    def submit(self, problem, strategy: str, task_params: dict, job_id: int, attempt: int):
        """Start one attempt's task; returns ``(future, stop event)``."""
        from distributed import Event

        stop_name = self._stop_name(job_id, attempt)
        stop = Event(stop_name, client=self.client)
        future = self.client.submit(run_job, problem, strategy, task_params, job_id, attempt, self.channel,
                                    stop_name, key=f"tt-job-{self.db_key}-{job_id}-{attempt}", pure=False)
        return future, stop

    def messages(self) -> list[dict]:
        """Every progress message waiting in the queue (``{"job", "attempt", "items"}``), in order."""
        try:
            return self._queue.get(batch=True)
        except Exception as exc:  # noqa: BLE001 - scheduler gone: the futures will say so
            log.warning("cannot read the progress queue: %s", exc)
            return []

    def set_stop(self, a: Attempt) -> None:
        """Ask the attempt's task to stop (its solver returns its best timetable within a second)."""
        try:
            a.stop.set()
        except Exception as exc:  # noqa: BLE001 - the overrun guard abandons the task later
            log.warning("job %s: could not set its stop event: %s", a.job_id, exc)

    def clear_stop(self, a: Attempt) -> None:
        """Release the attempt's stop event on the scheduler."""
        # a cleared Dask Event with no waiters is deleted from the scheduler
        with contextlib.suppress(Exception):
            a.stop.clear()

    def abandon(self, a: Attempt) -> None:
        """Stop waiting for the attempt's task (Dask cancels it where it can)."""
        with contextlib.suppress(Exception):
            a.future.cancel()

    def stop_orphans(self, jobs: list[tuple[int, int]]) -> None:
        """On a shared cluster a dead runner's tasks may still run: set the stop events of those
        ``(job, attempt)`` pairs."""
        from distributed import Event

        for job_id, attempt in jobs:
            with contextlib.suppress(Exception):
                Event(self._stop_name(job_id, attempt), client=self.client).set()

    def close(self) -> None:
        """Release the progress queue (the client stays open: its owner closes it)."""
        with contextlib.suppress(Exception):
            self._queue.close()
