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

Why a Dask ``Queue`` for progress. Events must arrive complete and in order (the event log is the
job's history), they come from several workers at once, and the runner reads them in batches on
its own schedule. A distributed ``Queue`` is FIFO, keeps messages on the scheduler until read
(``get(batch=True)`` takes all waiting ones in one round trip) and is shared by all jobs of a
runner. A ``Variable`` keeps only the last value (events would be lost between two reads); Dask
2026 has no Pub/Sub any more, and Pub/Sub dropped messages nobody was subscribed to. Messages are
small (a worker batches its events every 0.2 s; a checkpoint is two int lists per few seconds), as
the queue's data passes through the scheduler. Cancellation uses one Dask ``Event`` per attempt:
the worker long-polls it (``wait(timeout)``), so setting it reaches the solver within milliseconds.

Dask's own task retry is switched off for the runner's ``LocalCluster``
(``distributed.scheduler.allowed-failures = 0``): a dead worker surfaces as ``KilledWorker`` here,
and the retry resumes from the checkpoint instead of starting the task again from scratch. On a
cluster of your own, set ``allowed-failures: 0`` on its scheduler for the same behaviour; otherwise
Dask re-runs a lost task from its start by itself, which the job's events record.

The cluster: ``client=`` when given; else ``TT_DASK_SCHEDULER=tcp://host:8786`` (a real cluster);
else a ``LocalCluster`` of ``hardware.recommended_workers()`` single-threaded worker processes.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from .. import hardware
from ..errors import TimetableError
from ..store import FINAL, Store
from .api import check_status, info_event, job_with_checkpoint, progress_bar, queue_job, requeue_job, \
    validate_settings, watch_events
from .policy import RetryPolicy, TimeLimits, first_line, is_worker_loss, memory_bytes
from .records import JobRecords
from .task import run_job

log = logging.getLogger(__name__)

ProgressHook = Callable[[int, dict], None]
DoneHook = Callable[[int, str], None]


def local_cluster(n_workers: int | None = None, memory_limit: str | int | None = None):
    """A ``LocalCluster`` for jobs: single-threaded worker processes, no Dask retries (a lost worker
    surfaces at once and the runner retries from the checkpoint); see :func:`tt_core.cluster.local_cluster`."""
    from ..cluster import local_cluster as make

    return make(n_workers, memory_limit, allowed_failures=0)


class RunnerClosedError(RuntimeError):
    """The runner was used after :meth:`JobRunner.close`: a bug of the caller, not the user's input."""


@dataclass
class _Attempt:
    """One running attempt of a job (runner memory only)."""

    job_id: int
    attempt: int
    future: object
    stop: object                # dask Event
    stop_name: str
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
    shutdown: bool = False           # stopped by close(), not by the user


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
        if max_concurrent < 1:
            raise TimetableError(f"max_concurrent must be at least 1, got {max_concurrent}")
        if checkpoint_every <= 0:
            raise TimetableError(f"checkpoint_every must be positive, got {checkpoint_every}")
        self.db_path = Path(db_path)
        self.max_concurrent = int(max_concurrent)
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
        self._active: dict[int, _Attempt] = {}
        self._retry_at: dict[int, float] = {}   # job -> monotonic time before which it must wait
        self._worker_losses: dict[int, int] = {}
        self._closing_requested = False
        self._closed = False
        self._queue_changed = True   # look at the queued jobs in the next round
        self._next_queue_look = 0.0
        self._db_key = hashlib.sha1(str(self.db_path.resolve()).encode()).hexdigest()[:10]
        self._con = Store.open(self.db_path)
        self._records = JobRecords(self._con)
        self._cluster = None
        self._own_client = False
        self._control = None
        self._thread = None
        try:
            self.recovered = self._recover()
            self.client = client if client is not None else self._make_client(n_workers)
            from distributed import Queue

            self._channel = f"tt-progress-{uuid.uuid4().hex}"
            self._queue = Queue(self._channel, client=self.client)
            self._stop_orphans(self.recovered)
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
        with self._lock:
            self._closing_requested = True  # no new starts from here on
        if wait:
            with self._done_cond:
                while self._active and self._thread is not None and self._thread.is_alive():
                    self._done_cond.wait(timeout=0.5)
        with self._lock:
            for a in self._active.values():
                if a.cancel_requested is None:
                    a.shutdown = True
                    a.cancel_requested = time.monotonic()
                self._set_stop(a)
        deadline = time.monotonic() + timeout
        while self._active and time.monotonic() < deadline and self._thread is not None and self._thread.is_alive():
            self._wake.set()
            time.sleep(self.tick)
        self._closing.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
        with self._lock:
            for a in list(self._active.values()):
                self._finish(a.job_id, "interrupted", "the runner shut down before the job ended; "
                             "retry resumes it from its last checkpoint")
                with contextlib.suppress(Exception):
                    a.future.cancel()
            self._active.clear()
        self._shutdown_resources()
        self._closed = True

    @property
    def store(self):
        """The runner's :class:`~tt_core.store.Store`: this process's one connection to the file,
        for reading variants and scenarios next to the runner (it is safe across threads)."""
        self._check_open()
        return self._con

    def _shutdown_resources(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        q = getattr(self, "_queue", None)
        if q is not None:
            with contextlib.suppress(Exception):
                q.close()
        if self._own_client and getattr(self, "client", None) is not None:
            with contextlib.suppress(Exception):
                self.client.close()
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close()
            self._cluster = None
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None

    def __enter__(self) -> "JobRunner":
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
        strategy, time_limit, seed = validate_settings(strategy, time_limit, seed)
        if self.max_time_limit is not None and time_limit > self.max_time_limit:
            raise TimetableError(f"time limit {time_limit:g} s is above this runner's limit of "
                                 f"{self.max_time_limit:g} s; ask for less or raise max_time_limit")
        with self._lock:
            self._check_open()
            job_id = queue_job(self._con, scenario, strategy=strategy, weights=weights, time_limit=time_limit,
                               seed=seed, initial_variant=initial_variant, pinned=pinned, name=name, user=user)
            self._queue_changed = True
        self._wake.set()
        return job_id

    def cancel(self, job_id: int) -> str:
        """Cancel a job: a queued one at once (``"cancelled"``); a running one is asked to stop
        and ends ``cancelled`` within about a second with a partial variant (``"cancelling"``)."""
        with self._lock:
            self._check_open()
            a = self._active.get(job_id)
            if a is not None:
                if a.cancel_requested is None:
                    a.cancel_requested = time.monotonic()
                    self._set_stop(a)
                    self._records.note(job_id, "cancel requested")
                self._wake.set()
                return "cancelling"
            job = self._job(job_id)
            if job["status"] == "queued":
                self._retry_at.pop(job_id, None)
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
            self._worker_losses.pop(job_id, None)
            self._queue_changed = True
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
                if status in FINAL and job_id not in self._active:
                    return status
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TimeoutError(f"job {job_id} is still {status} after {timeout} s")
                self._done_cond.wait(timeout=0.5 if left is None else min(left, 0.5))

    def wait_all(self, timeout: float | None = None) -> None:
        """Block until no job is queued or running."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._done_cond:
            while self._check_open() or self._active or self._con.jobs.list(status="queued"):
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
            return sorted(self._active)

    def attempt(self, job_id: int) -> dict | None:
        """The running attempt of a job: ``attempt``, ``worker`` address, ``pid``, ``key`` of its
        Dask task and ``checkpoint_elapsed``; None when the job is not running here."""
        with self._lock:
            a = self._active.get(job_id)
            if a is None:
                return None
            return {"attempt": a.attempt, "worker": a.worker, "pid": a.pid, "key": a.future.key,
                    "checkpoint_elapsed": a.checkpoint_elapsed, "solving": a.solving is not None}

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
        if not self._active:
            return  # only running attempts send messages (stale ones are dropped on the next read)
        try:
            messages = self._queue.get(batch=True)
        except Exception as exc:  # noqa: BLE001 - scheduler gone: the futures will say so
            log.warning("cannot read the progress queue: %s", exc)
            return
        by_job: dict[int, list[dict]] = {}
        for m in messages:
            by_job.setdefault(int(m["job"]), []).append(m)
        for job_id, msgs in by_job.items():
            with self._lock:
                a = self._active.get(job_id)
                events, checkpoint = [], None
                for m in msgs:
                    if a is None or m["attempt"] != a.attempt:
                        continue  # a stale message of an attempt that has ended
                    for item in m["items"]:
                        kind = item["kind"]
                        if kind == "started":
                            if a.started is not None:  # a cluster with Dask retries re-ran the task
                                events.append(info_event(f"the worker {a.worker} (pid {a.pid}) of attempt {a.attempt} "
                                                    "was lost and Dask re-ran the task from its start", kind="retry"))
                                a.solving = None
                            a.started, a.worker, a.pid = time.monotonic(), item["worker"], item["pid"]
                            events.append(info_event(f"attempt {a.attempt} running on {item['worker'] or 'this process'} "
                                                f"(pid {item['pid']})"))
                        elif kind == "checkpoint":
                            checkpoint = item
                        else:
                            if a.solving is None and item.get("stage") != "warm-up":
                                a.solving = time.monotonic()
                            events.append({k: item.get(k) for k in ("stage", "fraction", "best_cost",
                                                                      "hard_violations", "elapsed", "eta", "message")}
                                          | {"kind": "progress"})
                if events or checkpoint is not None:
                    self._records.progress(job_id, events, checkpoint)
                if checkpoint is not None:
                    a.checkpoint_elapsed = checkpoint["elapsed"]
            if self.on_progress is not None:
                for ev in events:
                    self._call_hook(self.on_progress, job_id, ev)

    def _reap(self) -> None:
        done = [a for a in list(self._active.values()) if a.future.done()]
        if not done:
            return
        self._drain()  # the task put its last messages before returning: read them first
        for a in done:
            try:
                self._reap_one(a)
            except Exception as exc:  # noqa: BLE001 - e.g. the scenario changed and the result no longer fits
                log.exception("job %s: could not record its result", a.job_id)
                with self._lock:
                    if self._active.get(a.job_id) is a:
                        self._finish(a.job_id, "failed", f"could not record the result: {type(exc).__name__}: {exc}")

    def _reap_one(self, a: _Attempt) -> None:
        status = a.future.status
        if status == "finished":
            try:
                summary = a.future.result()
            except Exception as exc:  # noqa: BLE001 - e.g. a result that failed to deserialise
                self._attempt_failed(a, exc)
            else:
                self._attempt_finished(a, summary)
        elif status == "cancelled":  # not by us: the scheduler restarted or the connection dropped
            self._attempt_failed(a, ConnectionError("the Dask scheduler dropped the task (restarted or "
                                                    "lost the connection)"))
        else:
            exc = None
            with contextlib.suppress(Exception):
                exc = a.future.exception(timeout=1)
            self._attempt_failed(a, exc)

    def _attempt_finished(self, a: _Attempt, summary: dict) -> None:
        ended_by = summary.get("ended_by", "time")
        partial = ended_by != "time" or a.overrun_at is not None

        def outcome(what: str) -> tuple[str, str]:
            if a.overrun_at is not None:
                return "failed", (f"exceeded its time limit of {a.time_limit:g} s and was stopped; kept its best "
                                  f"timetable as partial {what}")
            if ended_by == "memory":
                return "failed", (f"stopped at the memory limit: {summary.get('reason')}; kept its best timetable "
                                  f"as partial {what}")
            if a.shutdown:
                return "interrupted", f"the runner shut down; kept its best timetable as partial {what}; retry resumes it"
            if ended_by == "cancel" or a.cancel_requested is not None:
                return "cancelled", f"cancelled; kept its best timetable as partial {what}"
            return "succeeded", f"saved {what}"

        with self._lock:
            status, _message, _vid = self._records.finish_with_result(a.job_id, a.problem, summary, partial=partial,
                                                                      outcome=outcome)
            self._ended(a.job_id, status)

    def _attempt_failed(self, a: _Attempt, exc: BaseException | None) -> None:
        with self._lock:
            if exc is not None and is_worker_loss(exc) and a.cancel_requested is None:
                self._worker_lost(a, exc)
                return
            if exc is None:
                message = f"the task ended without a result (future status {a.future.status})"
            elif isinstance(exc, TimetableError):
                message = str(exc)
            else:
                message = f"{type(exc).__name__}: {exc}"
            if a.shutdown:
                self._finish(a.job_id, "interrupted", f"the runner shut down ({message}); retry resumes it")
            elif a.cancel_requested is not None and (exc is None or is_worker_loss(exc)):
                self._finish(a.job_id, "cancelled", f"cancelled ({message})")
            else:
                self._finish(a.job_id, "failed", message)

    def _worker_lost(self, a: _Attempt, exc: BaseException) -> None:
        """Retry from the last checkpoint after a back-off, or fail once the retries are used up."""
        n = self._worker_losses.get(a.job_id, 0) + 1
        self._worker_losses[a.job_id] = n
        reason = f"{type(exc).__name__}: {first_line(exc)}"
        wait = self.retries.wait_before(n)
        if wait is not None:
            self._active.pop(a.job_id, None)
            self._clear_stop(a)
            self._retry_at[a.job_id] = time.monotonic() + wait
            self._records.requeue(a.job_id, f"worker lost ({reason}); retry {n} of {self.retries.max_retries} in "
                                            f"{wait:g} s from the checkpoint at {a.checkpoint_elapsed:.1f} s")
            return
        hint = ""
        if self.memory_limit:
            hint = (f"; workers have a memory limit of {self.memory_limit / 2**20:.0f} MiB, a worker "
                    "killed for memory also ends this way")
        self._finish(a.job_id, "failed", f"its worker died {n} time{'s' if n != 1 else ''} (last: "
                     f"{reason}); gave up after {self.retries.max_retries} retries{hint}")

    def _enforce_time_limits(self) -> None:
        now = time.monotonic()
        with self._lock:
            for a in list(self._active.values()):
                if a.future.done():
                    continue
                over, what = self.limits.overrun(now=now, submitted=a.submitted, solving=a.solving,
                                                 time_limit=a.time_limit)
                if a.overrun_at is None and a.cancel_requested is None and over > 0:
                    a.overrun_at = now
                    self._set_stop(a)
                    self._records.note(a.job_id, f"{what}; stopping it", kind="limit")
                if self.limits.abandon(now=now, stopped_at=a.overrun_at or a.cancel_requested):
                    with contextlib.suppress(Exception):
                        a.future.cancel()
                    why = ("did not stop after being cancelled" if a.overrun_at is None
                           else f"exceeded its time limit of {a.time_limit:g} s and did not stop")
                    self._finish(a.job_id, "cancelled" if a.overrun_at is None else "failed",
                                 f"{why} within {self.limits.overrun_grace:g} s; its worker task was abandoned")

    def _start_queued(self) -> None:
        if self._closing.is_set() or self._closing_requested:
            return
        with self._lock:
            free = self.max_concurrent - len(self._active)
            now = time.monotonic()
            # look at the queue when something changed, a retry is due, or once a second (rows
            # queued by other code sharing runner.store)
            due = any(t <= now for t in self._retry_at.values())
            if free <= 0 or not (self._queue_changed or due or now >= self._next_queue_look):
                return
            self._queue_changed = False
            self._next_queue_look = now + 1.0
            for job in self._con.jobs.list(status="queued", oldest_first=True):
                if free <= 0:
                    break
                job_id = int(job["id"])
                if job_id in self._active or self._retry_at.get(job_id, 0) > now:
                    continue
                self._retry_at.pop(job_id, None)
                try:
                    self._start(job)
                    free -= 1
                except TimetableError as exc:
                    self._finish(job_id, "failed", str(exc))
                except Exception as exc:  # noqa: BLE001 - a broken job must not block the queue
                    log.exception("job %s could not start", job_id)
                    self._finish(job_id, "failed", f"could not start: {type(exc).__name__}: {exc}")

    def _start(self, job: dict) -> None:
        """Load the problem and the start timetable, mark the job running and submit its task."""
        from distributed import Event

        job_id = int(job["id"])
        params = dict(job["params"] or {})
        # rows may come from other writers (apps, scripts): check them as submit does
        strategy, time_limit, _seed = validate_settings(params.get("strategy") or job.get("strategy"),
                                                        params.get("time_limit"), params.get("seed", 0))
        params["strategy"] = strategy
        problem = self._con.scenarios.load_problem(job["scenario"])
        initial = None
        elapsed_before = 0.0
        cp = self._con.jobs.read_checkpoint(job_id)
        note = ""
        if cp is not None:
            initial = {"period": np.asarray(cp["period"]).tolist(), "room": np.asarray(cp["room"]).tolist()}
            elapsed_before = float(cp["elapsed"] or 0.0)
            note = f"; resumes from the checkpoint at {elapsed_before:.1f} s (cost {cp['soft_cost']})"
        elif params.get("initial_variant") is not None:
            tt = self._con.variants.load_timetable(int(params["initial_variant"]))
            initial = {"period": [int(x) for x in tt.period], "room": [int(x) for x in tt.room]}
        if initial is not None and len(initial["period"]) != problem.n_lectures:
            raise TimetableError(f"the start timetable has {len(initial['period'])} lectures but scenario "
                                 f"{job['scenario']!r} now has {problem.n_lectures}; submit a new job")
        # what is left of the budget; a job resumed at the very end still gets a short polish
        budget = max(time_limit - elapsed_before, min(time_limit, 1.0))
        attempt = self._con.jobs.start_attempt(job_id)
        stop_name = f"tt-stop-{self._db_key}-{job_id}-{attempt}"
        stop = Event(stop_name, client=self.client)
        task_params = {"time_limit": budget, "seed": int(params.get("seed", 0)), "weights": params.get("weights"),
                       "initial": initial, "pinned": params.get("pinned"), "checkpoint_every": self.checkpoint_every,
                       "elapsed_before": elapsed_before, "memory_limit": self.memory_limit}
        future = self.client.submit(run_job, problem, params.get("strategy"), task_params, job_id, attempt,
                                    self._channel, stop_name, key=f"tt-job-{self._db_key}-{job_id}-{attempt}",
                                    pure=False)
        a = _Attempt(job_id, attempt, future, stop, stop_name, problem, job["scenario"], budget)
        a.checkpoint_elapsed = elapsed_before
        self._active[job_id] = a
        future.add_done_callback(lambda _f: self._wake.set())
        self._records.note(job_id, f"attempt {attempt} submitted: {params.get('strategy')}, {budget:g} s, seed "
                                   f"{params.get('seed', 0)}{note}", kind="start")

    # ================================================================= helpers
    def _finish(self, job_id: int, status: str, message: str, variant_id: int | None = None) -> None:
        """Record a final status with its last event (caller holds the lock), free the attempt, notify."""
        self._records.finish(job_id, status, message, variant_id=variant_id)
        self._ended(job_id, status)

    def _ended(self, job_id: int, status: str) -> None:
        """Forget a job that has ended (its rows are written), wake whoever waits for it."""
        a = self._active.pop(job_id, None)
        if a is not None:
            self._clear_stop(a)
            self._queue_changed = True  # a slot is free
        self._worker_losses.pop(job_id, None)
        self._done_cond.notify_all()
        if self.on_done is not None:
            self._call_hook(self.on_done, job_id, status)

    def _set_stop(self, a: _Attempt) -> None:
        try:
            a.stop.set()
        except Exception as exc:  # noqa: BLE001 - the overrun guard abandons the task later
            log.warning("job %s: could not set its stop event: %s", a.job_id, exc)

    def _clear_stop(self, a: _Attempt) -> None:
        # a cleared Dask Event with no waiters is deleted from the scheduler
        with contextlib.suppress(Exception):
            a.stop.clear()

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

    def _stop_orphans(self, jobs: list[tuple[int, int]]) -> None:
        """On a shared cluster the dead runner's tasks may still run: set their stop events."""
        from distributed import Event

        for job_id, attempt in jobs:
            with contextlib.suppress(Exception):
                Event(f"tt-stop-{self._db_key}-{job_id}-{attempt}", client=self.client).set()
