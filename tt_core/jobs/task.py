"""The worker side of a generation job: one pure top-level function run on a Dask worker.

:func:`run_job` ``(problem, strategy, params, job_id, attempt, channel, stop_name) -> summary``
solves one job and returns a plain, msgpack-friendly summary (the best timetable as lists, its cost
breakdown, statistics and why it ended). While it runs, a *courier* thread in the worker

* forwards progress events and best-so-far checkpoints to the runner through the runner's Dask
  ``Queue`` (see :mod:`tt_core.jobs.runner` for why a queue),
* long-polls the job's Dask ``Event`` and turns it into a local ``threading.Event`` that the solver
  polls as ``stop`` (so a cancel costs one scheduler notification, not a round trip per poll),
* watches the worker's resident memory and stops the solve, keeping its best timetable, before the
  nanny would kill the process at 95 % of its memory limit.

Checkpoints. A solver reports costs, not timetables, in its progress events; the best timetable so
far is only known when ``solve`` returns. So unless ``ProgressEvent`` carries a ``timetable`` (then
one solve runs and the event timetables are checkpointed), the budget is split into *segments* of
``checkpoint_every`` seconds: each segment is a ``solve`` started from the best timetable so far
(``initial=``), and its result is the checkpoint. A killed worker thus loses at most one segment
(a killed worker loses only the running step). For the simulated annealing this is
annealing with restarts from the best, which the solver also does between its cycles.

Both problem families run here through :func:`tt_core.solvers.solve`: for a class-based problem
(:class:`~tt_core.classes.ClassProblem`) the timetable lists are each class's time option
(``period``) and room option (``room``) plus the students' classes (``student_ptr``,
``student_classes``), and the cost is the weighted total of the class evaluator.

No DuckDB here: workers never touch the database (only the runner process writes).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import threading
import time

import numpy as np

log = logging.getLogger(__name__)

# Seconds between two flushes of buffered events (and memory checks) by the courier.
FLUSH_EVERY = 0.2
# The task stops its solve when the worker's memory passes this share of its limit; the Dask nanny
# kills the process at 95 % (distributed.worker.memory.terminate), losing the segment.
MEMORY_STOP_FRACTION = 0.9

_warm: set[str] = set()
_warm_lock = threading.Lock()


def _warm_up(family: str = "curriculum") -> bool:
    """Compile/load one problem family's numba kernels once per worker process; True when it did
    the work now."""
    with _warm_lock:
        if family in _warm:
            return False
        if family == "classes":
            from ..solvers.classes.warmup import warm_up
        else:
            from ..benchmark import warm_up

        warm_up()
        _warm.add(family)
        return True


def _finite(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _events_carry_timetables() -> bool:
    from ..solvers.base import ProgressEvent

    return any(f.name == "timetable" for f in dataclasses.fields(ProgressEvent))


class Courier:
    """Buffers messages of one job attempt and sends them to the runner's queue in order.

    All puts happen on one thread (the courier's, then the task's after the courier has stopped),
    so the runner receives events and checkpoints in the order they were produced.
    """

    def __init__(self, job_id: int, attempt: int, queue, stop_event, local_stop: threading.Event,
                 memory_limit: int | None):
        self.job_id = job_id
        self.attempt = attempt
        self.queue = queue
        self.stop_event = stop_event
        self.local_stop = local_stop
        self.memory_limit = memory_limit
        self.ended_by: str | None = None  # "cancel" or "memory" when the courier stopped the solve
        self.reason = ""
        self.peak_rss = 0
        self.send_errors = 0
        self._buffer: list[dict] = []
        self._buffer_lock = threading.Lock()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"tt-job-{job_id}-courier", daemon=True)
        self._proc = None
        try:
            import psutil

            self._proc = psutil.Process()
        except Exception:  # noqa: BLE001 - memory watching is best effort without psutil
            self._proc = None

    # ---------------------------------------------------------------- producers (any thread)
    def post(self, message: dict) -> None:
        with self._buffer_lock:
            self._buffer.append(message)

    # ---------------------------------------------------------------- the thread
    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        """Stop the thread and send what is left (called by the task before it returns)."""
        self._done.set()
        self._thread.join(timeout=5.0)
        self.flush()

    def _loop(self) -> None:
        while not self._done.is_set():
            if self.local_stop.is_set() or self.stop_event is None:
                self._done.wait(FLUSH_EVERY)
            else:
                try:
                    # long poll on the scheduler: returns as soon as the runner sets the event
                    if self.stop_event.wait(timeout=FLUSH_EVERY):
                        if self.ended_by is None:
                            self.ended_by, self.reason = "cancel", "cancelled by the user"
                        self.local_stop.set()
                except Exception as exc:  # noqa: BLE001 - scheduler gone: keep solving, report at the end
                    log.warning("job %s: cannot poll the stop event (%s)", self.job_id, exc)
                    self._done.wait(FLUSH_EVERY)
            self._check_memory()
            self.flush()

    def _check_memory(self) -> None:
        if self._proc is None or not self.memory_limit:
            return
        try:
            rss = self._proc.memory_info().rss
        except Exception:  # noqa: BLE001
            return
        self.peak_rss = max(self.peak_rss, rss)
        if rss > MEMORY_STOP_FRACTION * self.memory_limit and not self.local_stop.is_set():
            self.ended_by = "memory"
            self.reason = (f"worker memory {rss / 2**20:.0f} MiB passed {MEMORY_STOP_FRACTION:.0%} of "
                           f"its {self.memory_limit / 2**20:.0f} MiB limit; raise the runner's "
                           "memory_limit or solve a smaller scenario")
            self.local_stop.set()

    def flush(self) -> None:
        with self._buffer_lock:
            items, self._buffer = self._buffer, []
        if not items or self.queue is None:
            return
        try:
            self.queue.put({"job": self.job_id, "attempt": self.attempt, "items": items})
        except Exception as exc:  # noqa: BLE001 - progress is lost, the result still comes back
            self.send_errors += 1
            log.warning("job %s: could not send %d progress message(s): %s", self.job_id, len(items), exc)


def _timetable_lists(timetable) -> dict:
    """A timetable of either family as plain lists (a :class:`~tt_core.classes.ClassSolution`
    gives its time and room options as ``period``/``room`` and its students' classes)."""
    if hasattr(timetable, "student_classes"):
        return {"period": [int(x) for x in timetable.time], "room": [int(x) for x in timetable.room],
                "student_ptr": [int(x) for x in timetable.student_ptr],
                "student_classes": [int(x) for x in timetable.student_classes],
                "solution_meta": dict(timetable.meta)}
    return {"period": [int(x) for x in timetable.period], "room": [int(x) for x in timetable.room]}


def _timetable_message(timetable, soft_cost: float, hard: int, elapsed: float) -> dict:
    message = {"kind": "checkpoint", **_timetable_lists(timetable), "best_cost": _finite(soft_cost),
               "hard_violations": int(hard), "elapsed": float(elapsed)}
    message.pop("solution_meta", None)
    return message


def _start_timetable(problem, initial: dict | None, family: str):
    """``params["initial"]`` as the family's timetable, checked against ``problem``."""
    if initial is None:
        return None
    if family == "classes":
        from ..classes.model import ClassSolution

        ptr = initial.get("student_ptr")
        if ptr is None:  # placements only: the solver sections the students afresh
            ptr, classes = np.zeros(problem.n_students + 1, np.int32), np.zeros(0, np.int32)
        else:
            classes = initial["student_classes"]
        sol = ClassSolution(time=np.asarray(initial["period"], np.int32), room=np.asarray(initial["room"], np.int32),
                            student_ptr=np.asarray(ptr, np.int32), student_classes=np.asarray(classes, np.int32))
        sol.check(problem)
        return sol
    from ..model import Timetable

    tt = Timetable(np.asarray(initial["period"]), np.asarray(initial["room"]))
    tt.check_shape(problem)
    return tt


def _pinned_flags(problem, pinned, family: str):
    """Pinned lecture (class) indices as one flag per lecture (class), or None."""
    if not pinned:
        return None
    n, what = (problem.n_classes, "class") if family == "classes" else (problem.n_lectures, "lecture")
    flags = np.zeros(n, bool)
    ids = np.asarray(pinned, np.int64)
    if ids.min() < 0 or ids.max() >= n:
        from ..errors import TimetableError

        raise TimetableError(f"pinned {what} ids must be between 0 and {n - 1}")
    flags[ids] = True
    return flags


def _summary(best, family: str) -> dict:
    """The best result's timetable lists and cost breakdown (the variant's numbers)."""
    report = best.report
    if family == "classes":
        return {**_timetable_lists(best.timetable), "soft_cost": float(report.total),
                "hard_violations": int(report.hard_violations),
                "by_constraint": {k: [int(v), float(report.weighted.get(k, 0))] for k, v in report.units.items()}}
    return {**_timetable_lists(best.timetable), "soft_cost": _finite(report.soft_cost),
            "hard_violations": int(report.hard_violations),
            "by_constraint": {k: [int(u), float(w)] for k, (u, w) in report.by_constraint().items()}}


def solve_in_segments(problem, strategy: str | None, params: dict, *, stop, post) -> dict:
    """Solve with checkpoints; ``post(message)`` receives progress and checkpoint messages.

    ``params``: ``time_limit`` (this attempt's budget), ``seed``, ``weights``, ``initial``
    (``{"period": [...], "room": [...]}`` or None; for a class problem the time and room options
    and maybe ``student_ptr``/``student_classes``), ``pinned`` (lecture or class ids), ``checkpoint_every``,
    ``elapsed_before`` (solver seconds spent by earlier attempts, for the progress fraction).
    Returns the summary of :func:`run_job` without the worker fields.
    """
    from ..solvers import problem_family, solve

    family = problem_family(problem)
    time_limit = float(params["time_limit"])
    every = float(params.get("checkpoint_every") or 5.0)
    before = float(params.get("elapsed_before") or 0.0)
    total = before + time_limit
    seed = int(params.get("seed") or 0)
    weights = params.get("weights")
    initial = _start_timetable(problem, params.get("initial"), family)
    pinned = _pinned_flags(problem, params.get("pinned"), family)
    single = _events_carry_timetables()
    start = time.perf_counter()
    best = None  # SolveResult with the lowest (hard, soft)
    last_checkpoint = [start]
    stats_all: list[dict] = []
    segment = 0
    stopped = False
    while True:
        used = time.perf_counter() - start
        remaining = time_limit - used
        if segment > 0 and (remaining < 0.25 or stop.is_set()):
            break
        # the last segment takes the rest when less than 1.5 segments are left (no tiny tail)
        budget = remaining if (single or remaining <= 1.5 * every) else every
        budget = max(budget, 0.05)
        offset = used
        last = budget >= remaining

        def progress(ev, offset=offset, last=last, segment=segment, best=best):
            el = before + offset + ev.elapsed
            cost, hard = ev.best_cost, ev.hard_violations
            if best is not None and (best.hard_violations, best.cost) < (hard, cost):
                cost, hard = best.cost, best.hard_violations
            post({"kind": "event", "stage": ev.stage, "fraction": min(1.0, el / total) if total > 0 else 1.0,
                  "best_cost": _finite(cost), "hard_violations": int(hard), "elapsed": el,
                  "eta": max(0.0, total - el),
                  "message": f"segment {segment + 1} done" if ev.message == "done" and not last else ev.message})
            tt = getattr(ev, "timetable", None)
            now = time.perf_counter()
            if single and tt is not None and now - last_checkpoint[0] >= every:
                post(_timetable_message(tt, ev.best_cost, ev.hard_violations, el))
                last_checkpoint[0] = now

        result = solve(problem, strategy=strategy, weights=weights, time_limit=budget, seed=seed + segment,
                       initial=initial if best is None else best.timetable, pinned=pinned,
                       progress=progress, stop=stop)
        stats_all.append(result.stats)
        if best is None or (result.hard_violations, result.cost) < (best.hard_violations, best.cost):
            best = result
        segment += 1
        stopped = result.stopped or stop.is_set()
        elapsed = before + time.perf_counter() - start
        post(_timetable_message(best.timetable, best.cost, best.hard_violations, elapsed))
        last_checkpoint[0] = time.perf_counter()
        if stopped:
            break
    return {
        **_summary(best, family),
        "strategy": best.strategy,
        "segments": segment,
        "stopped": bool(stopped),
        "elapsed": float(time.perf_counter() - start),
        "elapsed_total": float(before + time.perf_counter() - start),
        "iterations": int(sum(int(s.get("iterations", 0)) for s in stats_all)),
    }


def _refrozen(problem, family: str):
    """Unpickled numpy arrays are writeable, and numba compiles a separate specialisation for
    writeable arrays (seconds to minutes on a busy machine); re-freeze them as the models do."""
    if family == "classes":
        for value in vars(problem).values():  # the arrays own their data once unpickled
            if isinstance(value, np.ndarray) and value.flags.writeable:
                value.setflags(write=False)
        return problem
    return problem.replace()


def run_job(problem, strategy: str | None, params: dict, job_id: int, attempt: int,
            channel: str | None, stop_name: str | None) -> dict:
    """Run one attempt of a job on a Dask worker (or in-process when ``channel`` is None).

    Parameters
    ----------
    problem : Problem or ClassProblem
    strategy : str or None
        A name of ``tt_core.solvers.STRATEGIES`` (``CLASS_STRATEGIES`` for a class problem).
    params : dict
        See :func:`solve_in_segments`; plus ``memory_limit`` (bytes, optional): stop above 90 % of
        it (default: the Dask worker's own memory limit).
    job_id, attempt : int
        Identify the messages sent back.
    channel : str or None
        Name of the runner's Dask ``Queue``.
    stop_name : str or None
        Name of this attempt's Dask ``Event``; setting it stops the solve within about a second.

    Returns
    -------
    dict
        ``period``/``room`` lists of the best timetable (for a class problem also ``student_ptr``,
        ``student_classes`` and ``solution_meta``), ``soft_cost`` (a class problem's weighted
        total), ``hard_violations``,
        ``by_constraint``, ``ended_by`` (``"time"``, ``"cancel"`` or ``"memory"``), ``reason``,
        ``worker``, ``pid`` and statistics.
    """
    queue = stop_event = None
    worker_address = None
    memory_limit = params.get("memory_limit")
    if channel is not None:
        from distributed import Event, Queue, get_client, get_worker

        client = get_client()
        queue = Queue(channel, client=client)
        stop_event = Event(stop_name, client=client) if stop_name else None
        try:
            worker = get_worker()
            worker_address = worker.address
            memory_limit = memory_limit or worker.memory_manager.memory_limit
        except ValueError:  # not on a worker (client.submit on a local client)
            pass
    from ..solvers import problem_family

    family = problem_family(problem)
    problem = _refrozen(problem, family)
    local_stop = threading.Event()
    courier = Courier(job_id, attempt, queue, stop_event, local_stop, memory_limit)
    courier.post({"kind": "started", "worker": worker_address, "pid": os.getpid()})
    courier.start()
    try:
        if _warm_up(family):
            courier.post({"kind": "event", "stage": "warm-up", "fraction": 0.0, "best_cost": None,
                          "hard_violations": 0, "elapsed": float(params.get("elapsed_before") or 0.0),
                          "eta": float(params["time_limit"]), "message": "numba kernels loaded on this worker"})
        summary = solve_in_segments(problem, strategy, params, stop=local_stop, post=courier.post)
    finally:
        courier.close()
        if queue is not None:  # drop this task's reference to the runner's queue on the scheduler
            try:
                queue.close()
            except Exception:  # noqa: BLE001 - the scheduler may be gone; nothing to release then
                pass
    summary.update(ended_by=courier.ended_by or ("cancel" if summary["stopped"] else "time"),
                   reason=courier.reason, worker=worker_address, pid=os.getpid(),
                   peak_rss=int(courier.peak_rss), send_errors=courier.send_errors,
                   job_id=job_id, attempt=attempt)
    return summary
