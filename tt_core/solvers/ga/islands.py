"""The island model on Dask: each island a task of :func:`run_island`, migrants through queues."""

from __future__ import annotations

import math
import os
import threading
import time
import uuid
from dataclasses import asdict

import numpy as np

from ...cluster import client_for_while
from ...cost import evaluate
from ...model import Problem, Timetable
from ..base import Deadline, rng_from
from ..local_search import construct
from .context import Context
from .population import Exchange, evolve
from .settings import STAGE, GASettings


class _Throttled:
    """A stop flag that asks the (remote) ``flag`` at most every ``interval`` seconds."""

    def __init__(self, flag, interval: float = 0.2):
        self.flag = flag
        self.interval = interval
        self._next = 0.0
        self._set = False

    def is_set(self) -> bool:
        if not self._set and time.perf_counter() >= self._next:
            self._set = bool(self.flag.is_set())
            self._next = time.perf_counter() + self.interval
        return self._set


class _QueueExchange(Exchange):
    """Ring migration over named ``distributed.Queue`` s (see the module docstring)."""

    def __init__(self, outbox: str, inbox: str):
        from distributed import Queue

        self.outbox = Queue(outbox)
        self.inbox = Queue(inbox)

    def send(self, migrants: list[dict]) -> None:
        self.outbox.put(migrants)

    def receive(self) -> list[dict]:
        return [m for batch in self.inbox.get(batch=True) for m in batch]


def run_island(problem: Problem, seed: int, params: dict) -> dict:
    """One island of the GA, as a Dask task: ``(problem, seed, params) -> summary``.

    ``params`` holds plain values only: ``settings`` (a :class:`GASettings` as a dict),
    ``time_limit``, ``weights`` (list), ``initial`` (``[period, room]`` lists or None), ``pinned``
    (list of bools or None), ``island``, ``islands``, ``numba_threads`` and ``channels`` (names of
    the stop Event, the progress Queue and the migrant queues; None runs the island alone). The
    summary holds the best timetable (``period``, ``room``), its ``hard``/``soft`` values, counts
    (evaluations, generations, annealing steps, migrants) and ``params`` itself.
    """
    threads = params.get("numba_threads")
    if threads:
        import numba

        numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    settings = GASettings(**params["settings"])
    L = problem.n_lectures
    pinned = np.zeros(L, bool) if params.get("pinned") is None else np.asarray(params["pinned"], bool)
    initial = None
    if params.get("initial") is not None:
        initial = Timetable(np.asarray(params["initial"][0]), np.asarray(params["initial"][1]))
    ctx = Context(problem, np.asarray(params["weights"], np.float64), pinned, settings)
    island = int(params.get("island", 0))
    channels = params.get("channels")
    stop = exchange = progress_q = None
    if channels:
        from distributed import Event, Queue

        stop = _Throttled(Event(channels["stop"]))
        progress_q = Queue(channels["progress"])
        if params["islands"] > 1:
            exchange = _QueueExchange(channels["migrants"][(island + 1) % params["islands"]],
                                      channels["migrants"][island])
    deadline = Deadline(float(params["time_limit"]), stop)

    def on_progress(info: dict) -> None:
        if progress_q is not None:
            progress_q.put(info)

    summary = evolve(ctx, rng_from(int(seed)), deadline, initial=initial, on_progress=on_progress,
                     exchange=exchange, island=island)
    summary["history"] = [list(h) for h in summary["history"]]
    summary["seed"] = int(seed)
    summary["params"] = params
    summary["worker_pid"] = os.getpid()
    return summary


def _warm_driver(problem: Problem, w: np.ndarray) -> None:
    evaluate(problem, Timetable.empty(problem), w)
    _backend_name()


class _Merger:
    """Merges the islands' progress dicts into one ``ProgressEvent`` stream (best over islands)."""

    def __init__(self, problem: Problem, deadline: Deadline, islands: int, progress):
        self.problem = problem
        self.deadline = deadline
        self.islands = islands
        self.progress = progress
        self.latest: dict[int, dict] = {}
        self.trace: list[tuple[float, float, int]] = []
        self.last = -1.0

    def update(self, infos) -> None:
        for info in infos:
            self.latest[int(info["island"])] = info

    def best(self) -> tuple[int, float] | None:
        known = [(v["hard"], v["soft"]) for v in self.latest.values() if v["hard"] >= 0]
        return min(known) if known else None

    def emit(self, message: str = "", force: bool = True) -> None:
        if not force and self.deadline.elapsed() - self.last < 0.25:
            return
        best = self.best()
        gens = max((v["generation"] for v in self.latest.values()), default=0)
        evals = sum(v["evaluations"] for v in self.latest.values())
        msg = message or (f"{len(self.latest)}/{self.islands} islands reporting, generation {gens}, "
                          f"{evals} evaluations")
        if best is None:
            ev = self.deadline.event(STAGE, math.inf, self.problem.n_lectures, msg)
        else:
            ev = self.deadline.event(STAGE, best[1], best[0], msg)
            self.trace.append((ev.elapsed, ev.best_cost, ev.hard_violations))
        if self.progress is not None:
            self.progress(ev)
        self.last = self.deadline.elapsed()


def _solve_islands(problem, *, settings: GASettings, w: np.ndarray, time_limit: float, rng, initial, pinned,
                   progress, stop, islands: int, client, workers: int | None, numba_threads: int | None):
    """Run ``islands`` :func:`run_island` tasks on Dask; returns ``(timetable, trace, stats)``."""
    from distributed import Event, Queue

    from ... import hardware

    deadline = Deadline(time_limit, stop)
    merger = _Merger(problem, deadline, islands, progress)
    n_workers = workers or islands
    merger.emit(f"starting {islands} islands")
    handle = client_for_while(deadline.done, lambda msg: merger.emit(msg, force=False), client, n_workers=n_workers)
    if handle is None:  # stopped (or out of time) before the cluster was up: a greedy timetable
        merger.emit("stopped while the Dask cluster was starting")
        tt = construct(problem, weights=w, seed=rng, pinned=pinned if pinned is not None and pinned.any() else None,
                       initial=initial, hard_weight=settings.hard_weight)
        return tt, merger.trace, {"islands": islands, "evaluations": 0, "evaluations_per_s": 0.0,
                                  "generations": [], "stopped_during_startup": True}
    client, private = handle.client, handle.private
    run = f"tt-ga-{uuid.uuid4().hex[:12]}"
    channels = {"stop": f"{run}-stop", "progress": f"{run}-progress",
                "migrants": [f"{run}-migrants-{i}" for i in range(islands)]}
    queues = []
    try:
        stop_event = Event(channels["stop"], client=client)
        progress_q = Queue(channels["progress"], client=client)
        queues = [progress_q] + [Queue(name, client=client) for name in channels["migrants"]]
        slots = max(1, sum(client.nthreads().values()))
        if numba_threads is None:
            numba_threads = max(1, hardware.cpu_cores() // max(1, slots)) if private else 1
        base = {"settings": asdict(settings), "weights": w.tolist(),
                "initial": None if initial is None else [initial.period.tolist(), initial.room.tolist()],
                "pinned": None if pinned is None else np.asarray(pinned, bool).tolist(),
                "islands": islands, "channels": channels, "numba_threads": numba_threads}
        seeds = [int(x) for x in rng.integers(2**62, size=islands)]
        problem_f = client.scatter(problem, broadcast=True)
        # the islands' own clocks are a fallback: the stop Event below ends them on time
        island_limit = max(0.5, deadline.remaining())
        futures = [client.submit(run_island, problem_f, seeds[i], dict(base, island=i, time_limit=island_limit),
                                 pure=False, key=f"{run}-island-{i}") for i in range(islands)]
        merger.emit(f"{islands} islands submitted to {slots} Dask worker thread(s)")
        # while the islands run, load what the end of the solve needs in this process (numba's
        # evaluator, hardware detection: seconds on a busy machine) in a helper thread, so that
        # neither the progress stream nor the answer to a stop waits for it
        warm = threading.Thread(target=_warm_driver, args=(problem, w), name="tt-ga-warm")
        warm.start()
        stop_sent = False
        while not all(f.done() for f in futures):
            merger.update(progress_q.get(batch=True))
            if not stop_sent and deadline.done():
                stop_event.set()
                stop_sent = True
            merger.emit(force=False)
            time.sleep(0.05)
        summaries = client.gather(futures)
        merger.update(progress_q.get(batch=True))
        while warm.is_alive():
            merger.emit("loading the evaluator", force=False)
            warm.join(0.25)
    finally:
        for q in queues:
            try:
                q.close()
            except Exception:  # noqa: BLE001 - cleanup against a scheduler that may be gone
                pass
        if handle.owns_client:
            # closing a LocalCluster takes seconds on a busy machine: do it in a helper thread,
            # keep reporting meanwhile, and after a user's stop return without waiting for it
            closer = threading.Thread(target=handle.close, name="tt-ga-dask-close")
            closer.start()
            while closer.is_alive() and not deadline.stopped():
                merger.emit("closing the Dask cluster", force=False)
                closer.join(0.25)
    best = min(summaries, key=lambda sm: (sm["hard"], sm["soft"]))
    merger.update([{"island": sm["island"], "hard": sm["hard"], "soft": sm["soft"], "generation": sm["generations"],
                    "evaluations": sm["evaluations"]} for sm in summaries])
    merger.emit("done")
    stats = _totals(summaries, deadline.elapsed())
    stats.update(islands=islands, dask_threads=slots, numba_threads=numba_threads, best_island=best["island"],
                 dask_cluster="private LocalCluster" if private else "given client / TT_DASK_SCHEDULER",
                 island_summaries=[{k: v for k, v in sm.items() if k not in ("period", "room", "params", "history")}
                                   for sm in summaries])
    return Timetable(np.asarray(best["period"]), np.asarray(best["room"])), merger.trace, stats


def _totals(summaries: list[dict], elapsed: float) -> dict:
    evals = sum(sm["evaluations"] for sm in summaries)
    steps = sum(sm["local_iterations"] for sm in summaries)
    return {"evaluations": evals, "evaluations_per_s": evals / max(elapsed, 1e-9),
            "local_iterations": steps, "local_iterations_per_s": steps / max(elapsed, 1e-9),
            "generations": [sm["generations"] for sm in summaries],
            "migrants_sent": sum(sm["migrants_sent"] for sm in summaries),
            "migrants_received": sum(sm["migrants_received"] for sm in summaries),
            "batch_calls": sum(sm["batch_calls"] for sm in summaries),
            "batch_seconds": sum(sm["batch_seconds"] for sm in summaries),
            "cpu_seconds": sum(sm["cpu_seconds"] for sm in summaries)}


def _backend_name() -> str:
    from ...hardware import batch_backend

    return batch_backend()
