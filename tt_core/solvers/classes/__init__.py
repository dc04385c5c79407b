"""Solving class problems (ITC2019-style real university data): ``solve_classes``.

The strategy, after cpsolver (UniTime) and with the numba kernels of :mod:`tt_core.classes`:

* :mod:`.domain` — each class's values (time × room option), those a room's unavailability rules out;
* :mod:`.conflicts` — the hard conflicts of a value and moves that eject them (consistency);
* :mod:`.construction` — iterative forward search with conflict-based statistics;
* :mod:`.attendance` — the student pair graph and placement cache behind the student term;
* :mod:`.sectioning` — students into configs and classes (parents, limits), and student moves;
* :mod:`.search` — simulated annealing with ejection chains over times and rooms;
* :mod:`.worker` — one run: start, construct, then alternate the time/room and student searches;
* :mod:`.portfolio` — several runs in threads sharing their best;
* :mod:`.warmup` — every phase once on a tiny problem, to load numba's cache before a timed solve;
* :mod:`.result` — :class:`ClassSolveResult`.

``tt_core.solvers.solve`` sends a :class:`~tt_core.classes.ClassProblem` here (strategy ``classes``
of ``CLASS_STRATEGIES``).

The numba functions here are cached on disk (``cache=True``): compiling the solver takes minutes
on a busy machine. Numba invalidates a cached function when *its own* file changes, not when a
kernel it calls (``tt_core/classes/kernels.py``) does; after changing the kernels, clear
``tt_core/solvers/classes/__pycache__/*.nb*`` (or touch these files) so the solver recompiles
against them.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterable, Mapping

import numpy as np

from ...classes.evaluator import evaluate
from ...classes.model import WEIGHT_NAMES, ClassProblem, ClassSolution
from ...errors import TimetableError
from ..base import Deadline, ProgressEvent
from .domain import build_domain
from .portfolio import Board, run_threads
from .result import ClassSolveResult
from .sectioning import build_sections
from .worker import Run, Settings

TECHNIQUE = ("iterative forward search with conflict-based statistics, simulated annealing with "
             "ejection chains, student sectioning (timetable studio)")


def solve_classes(problem: ClassProblem, *, time_limit: float = 60.0, seed: int = 0,
                  initial: ClassSolution | None = None, pinned=None, progress=None, stop=None,
                  workers: int = 1, weights: Mapping[str, int] | None = None, maxblock: str = "competition",
                  share: bool = True, settings: Settings | None = None, **options) -> ClassSolveResult:
    """Solve a class problem: a valid timetable and sectioning first, then a low weighted total.

    Parameters
    ----------
    problem : ClassProblem
    time_limit : float
        Wall-clock budget in seconds (numba compilation on a first run included).
    seed : int
        Worker ``k`` uses ``seed + k``. With one worker, the same seed gives the same search
        path while the clock allows the same number of iterations.
    initial : ClassSolution, optional
        Start from it: its placements are kept where they do not conflict, its sectioning where
        it is whole.
    pinned : bool array [classes] or iterable of class ids, optional
        Classes that keep their time and room from ``initial`` (required then).
    progress : callable, optional
        Receives a :class:`~tt_core.solvers.base.ProgressEvent` at least every 0.5 s;
        ``best_cost`` is the weighted total, ``hard_violations`` the unassigned classes while
        constructing, ``timetable`` the best :class:`ClassSolution` so far.
    stop : object with ``is_set()``, optional
        The solve returns within about a second of it being set, with its best so far.
    workers : int
        Searches run in threads (a portfolio); ``share`` lets them adopt the best one's state.
    weights : mapping, optional
        Override of the problem's four weights (``time``, ``room``, ``distribution``, ``student``).
    maxblock : {"competition", "rules"}
        The MaxBlock reading (see :mod:`tt_core.classes.distributions`).
    settings : Settings, optional
        The search's knobs (defaults measured on the public instances).

    Returns
    -------
    ClassSolveResult
        The best solution with its exact :class:`~tt_core.classes.ClassReport`.
    """
    if options:
        raise TimetableError(f"unknown option(s) for the classes strategy: {', '.join(sorted(options))}")
    if not isinstance(problem, ClassProblem):
        raise TimetableError("the classes strategy solves class problems (ITC2019 XML); got "
                             f"{type(problem).__name__}")
    if time_limit is None or not time_limit > 0:
        raise TimetableError(f"time limit must be a positive number of seconds, got {time_limit!r}")
    workers = int(workers)
    if workers < 1:
        raise TimetableError(f"workers must be at least 1, got {workers}")
    if weights is not None:
        problem = _reweighted(problem, weights)
    flags = _pinned_flags(problem, pinned, initial)
    clock = Deadline(float(time_limit), stop)
    ka, dm = build_domain(problem, flags, maxblock)
    sa = build_sections(problem)
    emitter = _Emitter(problem, clock, progress)
    board = Board() if workers > 1 and share else None
    runs = [Run(problem, ka, dm, sa, seed=int(seed) + k, clock=clock, settings=settings, initial=initial,
                report=emitter, board=board) for k in range(workers)]

    def drive(run: Run) -> None:
        run.start()
        if run.construct():
            run.optimise()

    if workers == 1:
        drive(runs[0])
    else:
        run_threads(runs, drive)
    best = min(runs, key=lambda r: (r.best.hard, r.best.total))
    elapsed = clock.elapsed()
    meta = {"name": problem.name, "runtime": f"{elapsed:.1f}", "cores": str(workers), "technique": TECHNIQUE}
    solution = best.solution(meta)
    report = evaluate(problem, solution, maxblock=maxblock)
    stats = dict(best.stats)
    valid_times = [r.stats["time_to_valid"] for r in runs if r.stats["time_to_valid"] is not None]
    stats["time_to_valid"] = min(valid_times) if valid_times else None
    stats["workers"] = workers
    stats["worker_totals"] = [int(r.best.total) if r.best.hard == 0 else None for r in runs]
    emitter.final(report, solution)
    return ClassSolveResult(solution=solution, report=report, strategy="classes", seed=int(seed),
                            elapsed=elapsed, trace=list(best.best.trace), stats=stats, stopped=clock.stopped())


class _Emitter:
    """Progress events at least every 0.5 s from whichever worker is running (the best of all)."""

    def __init__(self, problem, clock: Deadline, progress):
        self.problem = problem
        self.clock = clock
        self.progress = progress
        self.lock = threading.Lock()
        self.last = -1.0
        self.runs: list[Run] = []
        self._sent_key = None
        self._sent_solution = None

    def __call__(self, run: Run, stage: str) -> None:
        if self.progress is None:
            return
        with self.lock:
            if run not in self.runs:
                self.runs.append(run)
            now = time.perf_counter()
            if now - self.last < 0.25:
                return
            self.last = now
            lead = min(self.runs, key=lambda r: (r.best.hard, r.best.total))
            if lead.best.time is None:
                hard, cost, sol, msg = lead.unassigned, float("inf"), None, f"{lead.unassigned} classes to place"
            else:
                hard, cost = lead.best.hard, float(lead.best.total)
                key = (id(lead), lead.best.total, lead.best.hard)
                if key != self._sent_key:
                    self._sent_key, self._sent_solution = key, lead.solution()
                sol, msg = self._sent_solution, ""
            el = self.clock.elapsed()
        self.progress(ProgressEvent(stage=stage, fraction=self.clock.fraction(), best_cost=cost,
                                    hard_violations=int(hard), elapsed=el,
                                    eta=max(0.0, self.clock.time_limit - el), message=msg, timetable=sol))

    def final(self, report, solution) -> None:
        if self.progress is None:
            return
        el = self.clock.elapsed()
        self.progress(ProgressEvent(stage="done", fraction=1.0, best_cost=float(report.total),
                                    hard_violations=report.hard_violations, elapsed=el, eta=0.0,
                                    message="done", timetable=solution))


def _reweighted(problem: ClassProblem, weights: Mapping[str, int]) -> ClassProblem:
    if not isinstance(weights, Mapping):
        raise TimetableError("weights of a class problem are a mapping of some of "
                             f"{', '.join(WEIGHT_NAMES)} to whole numbers, got {type(weights).__name__}")
    unknown = set(weights) - set(WEIGHT_NAMES)
    if unknown:
        raise TimetableError(f"unknown weight(s) {', '.join(sorted(unknown))}; the class model has "
                             f"{', '.join(WEIGHT_NAMES)}")
    w = problem.weight
    w.update({k: int(v) for k, v in weights.items()})
    return dataclasses.replace(problem, weights=np.array([w[k] for k in WEIGHT_NAMES], np.int64))


def _pinned_flags(problem: ClassProblem, pinned, initial: ClassSolution | None) -> np.ndarray:
    C = problem.n_classes
    if initial is not None:
        initial.check(problem)
    if pinned is None:
        return np.zeros(C, bool)
    arr = np.asarray(list(pinned) if isinstance(pinned, Iterable) and not isinstance(pinned, np.ndarray)
                     else pinned)
    if arr.dtype == bool:
        if arr.shape != (C,):
            raise TimetableError(f"pinned must have one flag per class ({C}), got shape {arr.shape}")
        flags = arr.copy()
    else:
        flags = np.zeros(C, bool)
        index = problem.index.klass
        for cid in arr.tolist():
            if str(cid) not in index:
                raise TimetableError(f"pinned class {cid!r} is not a class of {problem.name}")
            flags[index[str(cid)]] = True
    if flags.any():
        if initial is None:
            raise TimetableError("pinned classes need an initial solution that says where they are pinned")
        bad = [problem.class_ids[c] for c in np.flatnonzero(flags)
               if initial.time[c] < 0 or (problem.class_needs_room[c] and initial.room[c] < 0)]
        if bad:
            raise TimetableError(f"pinned class(es) {', '.join(bad[:10])} have no time or room in the initial solution")
    return flags


__all__ = ["solve_classes", "ClassSolveResult", "Settings", "TECHNIQUE"]
