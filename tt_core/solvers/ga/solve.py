"""The GA's front door: :func:`solve_ga`, on one population here or on Dask islands."""

from __future__ import annotations

import time
from dataclasses import asdict

import numpy as np

from ...cost import evaluate, resolve_weights
from ...errors import TimetableError
from ...model import Problem, Timetable
from ..base import Deadline, SolveResult, check_pinned, rng_from
from .context import Context
from .islands import _backend_name, _solve_islands, _totals
from .population import evolve
from .settings import STAGE, GASettings, settings_from


def solve_ga(problem: Problem, *, weights=None, time_limit: float = 60.0, seed: int = 0, initial=None, pinned=None,
             progress=None, stop=None, settings: GASettings | None = None, islands: int = 1, client=None,
             workers: int | None = None, numba_threads: int | None = None, **options) -> SolveResult:
    """Memetic GA, on one population or on ``islands`` Dask islands (see the module docstring).

    Parameters
    ----------
    problem, weights, time_limit, seed, initial, pinned, progress, stop
        As for :func:`tt_core.solvers.solve`. Same seed, ``islands=1`` and a fixed
        ``generations`` give the same timetable.
    settings : GASettings, optional
        The GA's settings (default :class:`GASettings`: population, generations, operators,
        memetic annealing, migration, batch back end).
    **options
        Any field of :class:`GASettings` by name (``population=12``, ``crossover="course"``…),
        replacing that field of ``settings``; an unknown name is refused with the list of fields.
    islands : int
        1 (without ``client``/``workers``): run here, in this process. Otherwise one Dask task
        per island (on ``client``, else ``TT_DASK_SCHEDULER``, else a private ``LocalCluster`` of
        ``workers`` processes).
    client : distributed.Client, optional
        Cluster to run the islands on.
    workers : int, optional
        Processes of the private ``LocalCluster`` (default: ``islands``).
    numba_threads : int, optional
        numba threads per island process (default: cores / Dask worker threads).

    Returns
    -------
    SolveResult
        Strategy ``"ga"``; ``stats`` holds evaluations (and per second), generations per island,
        annealing steps, migrants sent/received, and the batch evaluation time.
    """
    settings = settings_from(settings, options)
    if islands < 1:
        raise TimetableError(f"islands must be at least 1, got {islands}")
    w = resolve_weights(weights)
    L = problem.n_lectures
    flags = check_pinned(problem, pinned, initial)
    pinned = None if pinned is None else flags
    rng = rng_from(seed)
    start = time.perf_counter()
    if islands == 1 and client is None and workers is None:
        deadline = Deadline(time_limit, stop)
        trace: list[tuple[float, float, int]] = []

        def on_progress(info: dict) -> None:
            hard = info["hard"] if info["hard"] >= 0 else L
            ev = deadline.event(STAGE, info["soft"], hard, info["message"] or f"generation {info['generation']}")
            if info["hard"] >= 0:
                trace.append((ev.elapsed, ev.best_cost, ev.hard_violations))
            if progress is not None:
                progress(ev)

        ctx = Context(problem, w, np.zeros(L, bool) if pinned is None else pinned, settings)
        summary = evolve(ctx, rng, deadline, initial=initial, on_progress=on_progress, exchange=None)
        final = Timetable(summary["period"], summary["room"])
        stats = _totals([summary], deadline.elapsed())
        stats.update(islands=1, first_generation=(summary["first_hard"], summary["first_soft"]),
                     history=summary["history"])
        if summary["stopped_during"]:
            stats["stopped_during"] = summary["stopped_during"]
        stopped = deadline.stopped()
    else:
        final, trace, stats = _solve_islands(problem, settings=settings, w=w, time_limit=time_limit, rng=rng,
                                             initial=initial, pinned=pinned, progress=progress, stop=stop,
                                             islands=islands, client=client, workers=workers,
                                             numba_threads=numba_threads)
        stopped = stop is not None and stop.is_set()
    report = evaluate(problem, final, w)
    stats["settings"] = asdict(settings)
    stats["backend"] = settings.backend or _backend_name()
    return SolveResult(timetable=final, report=report, strategy="ga",
                       seed=int(seed) if not isinstance(seed, np.random.Generator) else -1,
                       elapsed=time.perf_counter() - start, trace=trace, stats=stats, stopped=stopped)
