"""Persisted generation jobs on Dask: queue, progress, cancel, retry, limits and recovery.

:class:`JobRunner` is the only writer of the job tables (DuckDB allows one writing process). It

* queues jobs in DuckDB (``submit`` creates a ``queued`` row) and starts them, at most
  ``max_concurrent`` at a time, as Dask tasks running :func:`tt_core.jobs.task.run_job`;
* receives their progress events and best-so-far checkpoints and writes them to ``job_events`` and
  the checkpoint table, calling ``on_progress(job_id, event)`` for apps and notebooks;
* cancels: a queued job is taken off the queue; a running one gets its Dask ``Event`` set, stops
  within a second and keeps its best timetable as a *partial* variant;
* retries attempts whose worker died (``KilledWorker``, lost connections) with exponential back-off,
  resuming from the last checkpoint, and fails the job with the reason after ``max_retries``;
* enforces limits: ``max_concurrent`` jobs, the per-job time limit (a task overrunning it is
  stopped, then abandoned) and the worker memory limit (the task stops itself above 90 % of it);
* recovers: at start, jobs a dead runner left ``running`` become ``interrupted`` (their checkpoint
  is kept) and :meth:`JobRunner.retry` resumes them from it.

Job states: ``queued → running → succeeded | failed | cancelled | interrupted``; ``retry`` puts a
failed, cancelled or interrupted job back to ``queued``. Every start resumes from the job's latest
checkpoint when it has one (``initial=`` the checkpoint, the budget what is left of the time limit).

The runner is the mechanics (its thread, its lock, the order of things); each concern is its own
piece, testable alone:

==========================================  ===================================================
:class:`~tt_core.jobs.scheduler.Scheduler`  slots, queue order, retry waits (memory only)
:mod:`~tt_core.jobs.policy`                 retry policy, time limits, memory limit: pure rules
:class:`~tt_core.jobs.attempt.Attempt`      one running attempt: its messages, its outcome
:class:`~tt_core.jobs.records.JobRecords`   persistence: each read and write of the job rows
:class:`~tt_core.jobs.dispatch.Dispatcher`  Dask: tasks, stop events, the progress queue
==========================================  ===================================================

Dask's own task retry is switched off for the runner's ``LocalCluster``
(``distributed.scheduler.allowed-failures = 0``): a dead worker surfaces as ``KilledWorker`` here,
and the retry resumes from the checkpoint instead of starting the task again from scratch. On a
cluster of your own, set ``allowed-failures: 0`` on its scheduler for the same behaviour; otherwise
Dask re-runs a lost task from its start by itself, which the job's events record.

The cluster: ``client=`` when given; else ``TT_DASK_SCHEDULER=tcp://host:8786`` (a real cluster);
else a ``LocalCluster`` of ``hardware.recommended_workers()`` single-threaded worker processes.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .. import hardware
from ..errors import TimetableError
from ..store import FINAL, Store
from .api import (
    check_status,
    job_with_checkpoint,
    progress_bar,
    queue_job,
    requeue_job,
    validate_settings,
    watch_events,
)
from .attempt import Attempt
from .dispatch import Dispatcher
from .policy import RetryPolicy, TimeLimits, check_time_limit, first_line, is_worker_loss, memory_bytes
from .records import JobRecords, StartPlan
from .scheduler import Scheduler

__all__ = ["JobRunner", "RunnerClosedError", "local_cluster", "progress_bar", "watch_events"]

log = logging.getLogger(__name__)

ProgressHook = Callable[[int, dict], None]
DoneHook = Callable[[int, str], None]


@dataclass
class _Start:
    """A job planned to start whose task is being handed to Dask (outside the runner's lock)."""

    job: dict
    plan: StartPlan
    attempt: int
    task: tuple         # Dispatcher.submit's arguments
    cancelled: bool = False


def local_cluster(n_workers: int | None = None, memory_limit: str | int | None = None):
    """A ``LocalCluster`` for jobs: single-threaded worker processes, no Dask retries (a lost worker
    surfaces at once and the runner retries from the checkpoint); see :func:`tt_core.cluster.local_cluster`."""
    from ..cluster import local_cluster as make

    return make(n_workers, memory_limit, allowed_failures=0)


class RunnerClosedError(RuntimeError):
    """The runner was used after :meth:`JobRunner.close`: a bug of the caller, not the user's input."""


class JobRunner:
    """Runs generation jobs persisted in a DuckDB file on a Dask cluster (see the module doc).

    Parameters
    ----------
    db_path : str or Path
        The DuckDB file (created with its schema if missing). The runner holds it for its lifetime.
    client : distributed.Client, optional
        Use this client; else ``TT_DASK_SCHEDULER`` or a new :func:`local_cluster`.
    max_concurrent : int
        Jobs running at the same time (the others wait in the queue).
    max_retries : int
        Attempts after a worker death before the job fails.
    memory_limit : str or int, optional
        Per worker; given to the ``LocalCluster`` and to each task, which stops its solve above
        90 % of it (keeping its best timetable) and the job fails saying so.
    n_workers : int, optional
        Workers of the ``LocalCluster`` (default ``hardware.recommended_workers()``).
    max_time_limit : float, optional
        Refuse jobs asking for more seconds.
    checkpoint_every : float
        Seconds between checkpoints of the best timetable. While solvers report costs but not
        timetables in their progress events, the budget is solved in segments of this length, each
        restarting from the best so far (see :mod:`tt_core.jobs.task`): longer segments lose more
        work to a crash but disturb the annealing schedule less.
    backoff : float
        First retry waits this long; each further retry twice as long.
    overrun_grace : float
        A solve still running this long (or a quarter of its time limit, if more) after its time
        limit is stopped; if it does not return within the same grace again, it is abandoned and
        the job fails. The same grace applies to a cancelled task.
    startup_allowance : float
        Seconds a task may take to report its first solver event (imports, numba compilation on a
        fresh worker) before the time limit starts to count against it.
    on_progress, on_done : callable, optional
        ``on_progress(job_id, event_dict)`` for every event; ``on_done(job_id, status)`` once per
        finished job. Called on the runner's thread: keep them short (Panel: ``pn.state.execute``).
    control : bool
        Serve the job operations to other processes (see :mod:`tt_core.jobs.control`).
    """

    def __init__(self, db_path, client=None, *, max_concurrent: int = 2, max_retries: int = 2,
                 memory_limit: str | int | None = None, n_workers: int | None = None,
                 max_time_limit: float | None = None, checkpoint_every: float = 5.0, backoff: float = 1.0,
                 overrun_grace: float = 10.0, startup_allowance: float = 120.0, on_progress: ProgressHook | None = None,
                 on_done: DoneHook | None = None, control: bool = True, tick: float = 0.1):
        self.scheduler = Scheduler(max_concurrent)
        if checkpoint_every <= 0:
            raise TimetableError(f"checkpoint_every must be positive, got {checkpoint_every}")
        self.db_path = Path(db_path)
        self.max_concurrent = self.scheduler.max_concurrent
        self.retries = RetryPolicy(int(max_retries), float(backoff))
        self.limits = TimeLimits(float(overrun_grace), float(startup_allowance))
        self.memory_limit = memory_bytes(memory_limit)
        self.max_time_limit = max_time_limit
        self.checkpoint_every = float(checkpoint_every)
        self.on_progress = on_progress
        self.on_done = on_done
        self.tick = float(tick)
        self.hardware = hardware.describe()
        log.info("job runner on %s", self.hardware)
        self._lock = threading.RLock()      # guards the connection and every state transition
        self._done_cond = threading.Condition(self._lock)
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._closing_requested = False
        self._closed = False
        self._con = Store.open(self.db_path)
        self._records = JobRecords(self._con)
        self._cluster = None
        self._own_client = False
        self._dispatch = None
        self._control = None
        self._thread = None
        self._starting: dict[int, _Start] = {}  # jobs planned and being submitted, not yet running
        try:
            self.recovered = self._recover()
            self.client = client if client is not None else self._make_client(n_workers)
            self._dispatch = Dispatcher(self.client, self.db_path)
            self._dispatch.stop_orphans(self.recovered)
            if control:
                from .control import ControlServer

                self._control = ControlServer(self, self.db_path)
                self._control.start()
            self._thread = threading.Thread(target=self._loop, name="tt-job-runner", daemon=True)
            self._thread.start()
        except BaseException:
            self._shutdown_resources()
            raise

    # ================================================================= set-up and tear-down
    def _make_client(self, n_workers):
        from ..cluster import client_for

        handle = client_for(n_workers=n_workers, memory_limit=self.memory_limit, allowed_failures=0)
        self._own_client = True
        self._cluster = handle.cluster  # closed with the client in _shutdown_resources
        return handle.client

    def close(self, *, wait: bool = False, timeout: float = 10.0) -> None:
        """Stop the runner; queued jobs stay queued for the next runner.

        Parameters
        ----------
        wait : bool
            Let the running jobs finish first (no new job starts). Otherwise they are stopped,
            keep their best timetable as a partial variant and end ``interrupted`` (``retry``
            resumes them).
        timeout : float
            Seconds to wait for stopped jobs to hand back their timetable.
        """
        if self._closed:
            return
        running = self.scheduler.running
        if not wait:
            # a stop (Ctrl-C): other commands stop reaching this runner at once and wait for the
            # database instead, however long the running jobs take to hand back their timetables
            # (and before taking the lock, which the runner's thread can hold while it submits a
            # task to a worker that is busy compiling: minutes on a fresh clone)
            self._close_control()
        with self._lock:
            self._closing_requested = True  # no new starts from here on
        if wait:
            with self._done_cond:
                while running and self._thread is not None and self._thread.is_alive():
                    self._done_cond.wait(timeout=0.5)
        with self._lock:
            for a in running.values():
                a.request_stop(shutdown=True)
                self._dispatch.set_stop(a)
        deadline = time.monotonic() + timeout
        while running and time.monotonic() < deadline and self._thread is not None and self._thread.is_alive():
            self._wake.set()
            time.sleep(self.tick)
        self._closing.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
        with self._lock:
            for a in list(running.values()):
                self._finish(a.job_id, "interrupted", "the runner shut down before the job ended; "
                             "retry resumes it from its last checkpoint")
                self._dispatch.abandon(a)
            running.clear()
            for job_id in list(self._starting):  # still being handed to a (busy) worker
                self._finish(job_id, "interrupted", "the runner shut down while the job was starting; "
                             "retry starts it again")
            self._starting.clear()
        self._shutdown_resources()
        self._closed = True

    @property
    def store(self):
        """The runner's :class:`~tt_core.store.Store`: this process's one connection to the file,
        for reading variants and scenarios next to the runner (it is safe across threads)."""
        self._check_open()
        return self._con

    def _close_control(self) -> None:
        """Stop serving other processes' commands and remove the side file that points to us."""
        if self._control is not None:
            self._control.close()
            self._control = None

    def _shutdown_resources(self) -> None:
        self._close_control()
        if self._dispatch is not None:
            self._dispatch.close()
        if self._own_client and getattr(self, "client", None) is not None:
            try:
                self.client.close()
            except Exception:  # noqa: BLE001 - closing anyway: the cluster goes next
                log.debug("closing the Dask client failed", exc_info=True)
        if self._cluster is not None:
            try:
                self._cluster.close()
            except Exception:  # noqa: BLE001 - its processes end with ours
                log.debug("closing the local cluster failed", exc_info=True)
            self._cluster = None
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None

    def __enter__(self) -> JobRunner:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ================================================================= public operations
    def submit(self, scenario: str, strategy: str | None = None, weights=None, time_limit: float = 60.0,
               seed: int = 0, initial_variant: int | None = None, pinned=None, name: str | None = None,
               user: str | None = None) -> int:
        """Queue a generation job; returns its id (``user``: who asked, kept in the job and the audit log).

        Raises
        ------
        TimetableError
            Unknown scenario or strategy, a time limit that is not positive or above the runner's
            ``max_time_limit``, an unknown ``initial_variant``, or ``pinned`` without one.
        """
        # the strategy is checked against the scenario's family when the row is written
        strategy, time_limit, seed = validate_settings(strategy, time_limit, seed, family=None)
        check_time_limit(time_limit, self.max_time_limit)
        with self._lock:
            self._check_open()
            job_id = queue_job(self._con, scenario, strategy=strategy, weights=weights, time_limit=time_limit,
                               seed=seed, initial_variant=initial_variant, pinned=pinned, name=name, user=user)
            self.scheduler.changed()
        self._wake.set()
        return job_id

    def cancel(self, job_id: int) -> str:
        """Cancel a job: a queued one at once (``"cancelled"``); a running one is asked to stop
        and ends ``cancelled`` within about a second with a partial variant (``"cancelling"``)."""
        with self._lock:
            self._check_open()
            a = self.scheduler.running.get(job_id)
            if a is not None:
                if a.request_stop():
                    self._dispatch.set_stop(a)
                    self._records.note(job_id, "cancel requested")
                self._wake.set()
                return "cancelling"
            start = self._starting.get(job_id)
            if start is not None:  # being handed to Dask right now: stopped once it is
                start.cancelled = True
                return "cancelling"
            job = self._job(job_id)
            if job["status"] == "queued":
                self.scheduler.dequeued(job_id)
                self._finish(job_id, "cancelled", "cancelled before it started")
                return "cancelled"
            if job["status"] == "running":  # not ours: left by a dead runner and not yet recovered
                self._finish(job_id, "interrupted", "its runner is gone; marked interrupted")
                return "interrupted"
            raise TimetableError(f"job {job_id} already ended ({job['status']}); nothing to cancel")

    def retry(self, job_id: int) -> str:
        """Queue a failed, cancelled or interrupted job again; it resumes from its checkpoint."""
        with self._lock:
            self._check_open()
            status = requeue_job(self._con, job_id)
            self.scheduler.retried(job_id)
        self._wake.set()
        return status

    def get_job(self, job_id: int) -> dict:
        """The job's row as a dict (status, message, parameters, variant, checkpoint summary)."""
        with self._lock:
            self._check_open()
            return job_with_checkpoint(self._con, job_id, self.db_path)

    def list_jobs(self, status: str | None = None, limit: int | None = None) -> list[dict]:
        """Jobs, newest first (optionally only those with ``status``)."""
        check_status(status)
        with self._lock:
            self._check_open()
            return self._con.jobs.list(status=status, limit=limit)

    def events(self, job_id: int, after: int = 0) -> list[dict]:
        """The job's events with a sequence number above ``after``, in order."""
        with self._lock:
            self._check_open()
            return self._con.jobs.events(job_id, after=after)

    def wait(self, job_id: int, timeout: float | None = None) -> str:
        """Block until the job has ended; returns its final status (raises TimeoutError)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._done_cond:
            while True:
                self._check_open()
                status = self._job(job_id)["status"]
                if status in FINAL and job_id not in self.scheduler.running:
                    return status
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TimeoutError(f"job {job_id} is still {status} after {timeout} s")
                self._done_cond.wait(timeout=0.5 if left is None else min(left, 0.5))

    def wait_all(self, timeout: float | None = None) -> None:
        """Block until no job is queued or running."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._done_cond:
            while self._check_open() or self.scheduler.running or self._con.jobs.list(status="queued"):
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TimeoutError(f"jobs still queued or running after {timeout} s")
                self._done_cond.wait(timeout=0.5 if left is None else min(left, 0.5))

    def watch(self, job_id: int, poll: float = 0.2) -> Iterator[dict]:
        """Yield the job's events as they are written, until it has ended."""
        yield from watch_events(self, job_id, poll=poll)

    def progress_bar(self, job_id: int, **tqdm_kwargs) -> str:
        """Show a tqdm bar of the job until it ends; returns its final status."""
        return progress_bar(self, job_id, **tqdm_kwargs)

    @property
    def active_jobs(self) -> list[int]:
        """Ids of the jobs running now (submitted to Dask and not yet ended)."""
        with self._lock:
            return sorted(self.scheduler.running)

    def attempt(self, job_id: int) -> dict | None:
        """The running attempt of a job: ``attempt``, ``worker`` address, ``pid``, ``key`` of its
        Dask task and ``checkpoint_elapsed``; None when the job is not running here."""
        with self._lock:
            a = self.scheduler.running.get(job_id)
            return None if a is None else a.summary()

    # ================================================================= the runner thread
    def _loop(self) -> None:
        while not self._closing.is_set():
            self._wake.wait(self.tick)
            self._wake.clear()
            try:
                self._drain()
                self._reap()
                self._enforce_time_limits()
                self._start_queued()
            except Exception:  # noqa: BLE001 - one bad round must not stop every job
                if self._closing.is_set():
                    break
                log.exception("job runner round failed")
                time.sleep(self.tick)

    def _drain(self) -> None:
        """Write the progress messages waiting in the queue: events, checkpoints, hooks."""
        if not self.scheduler.running:
            return  # only running attempts send messages (stale ones are dropped on the next read)
        by_job: dict[int, list[dict]] = {}
        for m in self._dispatch.messages():
            by_job.setdefault(int(m["job"]), []).append(m)
        for job_id, msgs in by_job.items():
            with self._lock:
                a = self.scheduler.running.get(job_id)
                if a is None:
                    continue  # stale messages of an attempt that has ended
                items = [item for m in msgs if m["attempt"] == a.attempt for item in m["items"]]
                events, checkpoint = a.absorb(items)
                if events or checkpoint is not None:
                    self._records.progress(job_id, events, checkpoint)
                if checkpoint is not None:
                    a.checkpoint_elapsed = checkpoint["elapsed"]
            if self.on_progress is not None:
                for ev in events:
                    self._call_hook(self.on_progress, job_id, ev)

    def _reap(self) -> None:
        """Record the ends of the attempts whose tasks are done."""
        done = [a for a in list(self.scheduler.running.values()) if a.future.done()]
        if not done:
            return
        self._drain()  # the task put its last messages before returning: read them first
        for a in done:
            try:
                self._reap_one(a)
            except Exception as exc:  # noqa: BLE001 - e.g. the scenario changed and the result no longer fits
                log.exception("job %s: could not record its result", a.job_id)
                with self._lock:
                    if self.scheduler.running.get(a.job_id) is a:
                        self._finish(a.job_id, "failed", f"could not record the result: {type(exc).__name__}: {exc}")

    def _reap_one(self, a: Attempt) -> None:
        status = a.future.status
        if status == "finished":
            try:
                summary = a.future.result()
            except Exception as exc:  # noqa: BLE001 - e.g. a result that failed to deserialise
                self._attempt_failed(a, exc)
                return
            with self._lock:
                status, _message, _vid = self._records.finish_with_result(
                    a.job_id, a.problem, summary, partial=a.partial(summary),
                    outcome=lambda what: a.outcome(summary, what))
                self._ended(a.job_id, status)
        elif status == "cancelled":  # not by us: the scheduler restarted or the connection dropped
            self._attempt_failed(a, ConnectionError("the Dask scheduler dropped the task (restarted or "
                                                    "lost the connection)"))
        else:
            exc = None
            try:
                exc = a.future.exception(timeout=1)
            except Exception:  # noqa: BLE001 - no exception to be had: reported as "ended without a result"
                log.debug("job %s: the task's exception could not be read", a.job_id, exc_info=True)
            self._attempt_failed(a, exc)

    def _attempt_failed(self, a: Attempt, exc: BaseException | None) -> None:
        lost = exc is not None and is_worker_loss(exc)
        with self._lock:
            if lost and a.cancel_requested is None:
                self._worker_lost(a, exc)
                return
            status, message = a.failure(exc, worker_lost=lost)
            self._finish(a.job_id, status, message)

    def _worker_lost(self, a: Attempt, exc: BaseException) -> None:
        """Retry from the last checkpoint after a back-off, or fail once the retries are used up."""
        n = self.scheduler.worker_lost(a.job_id)
        reason = f"{type(exc).__name__}: {first_line(exc)}"
        wait = self.retries.wait_before(n)
        if wait is not None:
            self.scheduler.retry_later(a.job_id, time.monotonic() + wait)
            self._dispatch.clear_stop(a)
            self._records.requeue(a.job_id, f"worker lost ({reason}); retry {n} of {self.retries.max_retries} in "
                                            f"{wait:g} s from the checkpoint at {a.checkpoint_elapsed:.1f} s")
            return
        self._finish(a.job_id, "failed", self.retries.gave_up(n, reason, self.memory_limit))

    def _enforce_time_limits(self) -> None:
        """Stop attempts over their time limit; abandon those that do not stop within the grace."""
        now = time.monotonic()
        with self._lock:
            for a in list(self.scheduler.running.values()):
                if a.future.done():
                    continue
                if a.overrun_at is None and a.cancel_requested is None:
                    why = self.limits.stop_reason(now=now, submitted=a.submitted, solving=a.solving,
                                                  time_limit=a.time_limit)
                    if why is not None:
                        a.overrun_at = now
                        self._dispatch.set_stop(a)
                        self._records.note(a.job_id, why, kind="limit")
                ended = self.limits.abandoned(now=now, cancelled_at=a.cancel_requested, overrun_at=a.overrun_at,
                                              time_limit=a.time_limit)
                if ended is not None:
                    self._dispatch.abandon(a)
                    self._finish(a.job_id, *ended)

    def _start_queued(self) -> None:
        """Start queued jobs while the scheduler has free slots.

        Each start is planned and recorded under the lock, but its task is handed to Dask outside
        it: that round trip can take minutes while a fresh worker compiles, and a cancel, a stop
        or another process's command must not wait for it.
        """
        if self._closing.is_set() or self._closing_requested:
            return
        with self._lock:
            now = time.monotonic()
            if not self.scheduler.should_look(now):
                return
            queued = self._con.jobs.list(status="queued", oldest_first=True)
            jobs = list(itertools.islice(self.scheduler.candidates(queued, now), self.scheduler.free()))
        for job in jobs:
            job_id = int(job["id"])
            try:
                with self._lock:
                    if self._closing_requested:
                        return  # the job stays queued for the next runner
                    job = self._con.jobs.get(job_id)  # read again: cancelled while the one before started?
                    if job is None or job["status"] != "queued":
                        continue
                    start = self._plan_start(job)
                future, stop = self._dispatch.submit(*start.task)
                with self._lock:
                    if self._con is None:
                        return  # the runner closed meanwhile and marked the job interrupted
                    self._register(start, future, stop)
            except TimetableError as exc:
                self._start_failed(job_id, str(exc))
            except Exception as exc:  # noqa: BLE001 - a broken job must not block the queue
                log.exception("job %s could not start", job_id)
                self._start_failed(job_id, f"could not start: {type(exc).__name__}: {exc}")

    def _start_failed(self, job_id: int, message: str) -> None:
        with self._lock:
            self._starting.pop(job_id, None)
            if self._con is not None:  # else the runner closed meanwhile and marked it interrupted
                self._finish(job_id, "failed", message)

    def _plan_start(self, job: dict) -> _Start:
        """Load the problem and the start timetable and mark the job running (caller holds the lock)."""
        job_id = int(job["id"])
        plan = self._records.plan_start(job)
        attempt = self._records.start_attempt(job_id)
        task_params = {"time_limit": plan.budget, "seed": plan.seed, "weights": plan.weights,
                       "initial": plan.initial, "pinned": plan.pinned, "checkpoint_every": self.checkpoint_every,
                       "elapsed_before": plan.elapsed_before, "memory_limit": self.memory_limit}
        start = _Start(job, plan, attempt, (plan.problem, plan.strategy, task_params, job_id, attempt))
        self._starting[job_id] = start
        return start

    def _register(self, start: _Start, future, stop) -> None:
        """The task is submitted: the attempt takes its slot (caller holds the lock); a cancel or a
        stop that came while it was being submitted reaches it now."""
        job_id, plan = int(start.job["id"]), start.plan
        self._starting.pop(job_id, None)
        a = Attempt(job_id, start.attempt, future, stop, plan.problem, start.job["scenario"], plan.budget,
                    checkpoint_elapsed=plan.elapsed_before)
        self.scheduler.started(a)
        future.add_done_callback(lambda _f: self._wake.set())
        self._records.note(job_id, f"attempt {start.attempt} submitted: {plan.strategy}, {plan.budget:g} s, seed "
                                   f"{plan.seed}{plan.note}", kind="start")
        if start.cancelled or self._closing_requested:
            a.request_stop(shutdown=not start.cancelled)
            self._dispatch.set_stop(a)
            if start.cancelled:
                self._records.note(job_id, "cancel requested")

    # ================================================================= helpers
    def _finish(self, job_id: int, status: str, message: str) -> None:
        """Record a final status with its last event (caller holds the lock), free the attempt, notify."""
        self._records.finish(job_id, status, message)
        self._ended(job_id, status)

    def _ended(self, job_id: int, status: str) -> None:
        """Forget a job that has ended (its rows are written), wake whoever waits for it."""
        a = self.scheduler.ended(job_id)
        if a is not None:
            self._dispatch.clear_stop(a)
        self._done_cond.notify_all()
        if self.on_done is not None:
            self._call_hook(self.on_done, job_id, status)

    def _call_hook(self, hook, *args) -> None:
        try:
            hook(*args)
        except Exception:  # noqa: BLE001 - a subscriber's bug must not stop the runner
            log.exception("job callback %r failed", hook)

    def _job(self, job_id: int) -> dict:
        job = self._con.jobs.get(job_id)
        if job is None:
            raise TimetableError(f"no job {job_id} in {self.db_path}")
        return job

    def _check_open(self) -> bool:
        """Raise when the runner is closed; returns False (so it can lead a ``while`` test)."""
        if self._con is None or self._closing.is_set() or self._closed:
            raise RunnerClosedError("the job runner is closed")
        return False

    def _recover(self) -> list[tuple[int, int]]:
        """Mark jobs left ``running`` by a dead runner ``interrupted``; returns (job, attempt) pairs."""
        with self._lock:
            return self._records.recover()
