"""Solving one stage-1 group (a Dask task or a call in this process): greedy start, CP-SAT
feasibility when it breaks a hard constraint, and a short annealing."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from ...cost import evaluate
from ...errors import InfeasibleError
from ...model import Problem, Timetable
from ..base import Deadline, ProgressEvent, SolveResult, rng_from
from ..local_search import construct, solve_local
from .decomposition import SubProblem


class _Until:
    """A stop flag set by a wall-clock time (``time.perf_counter``) or by an outer flag."""

    def __init__(self, end: float, outer=None):
        self.end = end
        self.outer = outer
        self.flag = False

    def is_set(self) -> bool:
        return self.flag or time.perf_counter() >= self.end or (self.outer is not None and self.outer.is_set())


@dataclass
class GroupTask:
    """Everything one stage-1 group needs; plain data, so it pickles to a Dask worker."""

    index: int
    sub: SubProblem
    weights: np.ndarray
    time_limit: float
    seed: int
    anneal: bool = True
    cpsat: bool = True
    hard_weight: float = 20.0
    pinned: np.ndarray | None = None      # sub lectures kept as given (blockers are added)
    start: Timetable | None = None        # sub timetable of the pinned lectures
    name: str = ""


@dataclass
class GroupResult:
    """The outcome of one group: its sub timetable and where the time went."""

    index: int
    period: np.ndarray
    room: np.ndarray
    hard_violations: int
    soft_cost: float
    seconds: float
    construct_hard: int
    construct_seconds: float
    cpsat_status: str = "not run"
    cpsat_seconds: float = 0.0
    anneal_seconds: float = 0.0
    lectures: int = 0
    rooms: int = 0
    blockers: int = 0
    name: str = ""


def solve_group(task: GroupTask, stop=None, progress=None) -> GroupResult:
    """Solve one stage-1 group: greedy start, CP-SAT feasibility if needed, short annealing.

    A pure top-level function (Dask maps it over the groups). Never raises on an infeasible
    group: the best timetable found is returned with its hard violations, and stage 3 repairs it.
    """

    t0 = time.perf_counter()
    until = _Until(t0 + task.time_limit, stop)
    sub = task.sub
    pb = sub.problem
    pinned = sub.blocker_mask
    start = sub.restrict(None) if task.start is None else task.start.copy()
    if task.pinned is not None:
        pinned |= task.pinned
    any_pin = bool(pinned.any())
    rng = rng_from(task.seed)
    # the group's own budget is a share, not a limit (a group may overrun it a little); ``stop``
    # (in this process: the pipeline's user stop and its time limit) is the limit
    tt = construct(pb, weights=task.weights, seed=rng, pinned=pinned if any_pin else None,
                   initial=start if any_pin else None, deadline=None if stop is None else Deadline(math.inf, stop))
    rep = evaluate(pb, tt, task.weights)
    out = GroupResult(task.index, tt.period, tt.room, rep.hard_violations, rep.soft_cost, 0.0,
                      rep.hard_violations, time.perf_counter() - t0, lectures=sub.n_real_lectures,
                      rooms=len(sub.room_ids), blockers=pb.n_lectures - sub.n_real_lectures, name=task.name)
    if rep.hard_violations and task.cpsat and not until.is_set():
        from ..cpsat import solve_cpsat  # OR-tools loads only when a group needs it

        tc = time.perf_counter()
        # at least 0.3 s: a department's model builds in ~0.1 s and a feasible one is solved in
        # 0.1-0.2 s (measured on large); the group's own deadline moves by what it needs
        budget = max(0.3, 0.5 * (until.end - tc))
        until.end = max(until.end, tc + budget + 0.05)
        try:
            res = solve_cpsat(pb, weights=task.weights, time_limit=budget, seed=int(rng.integers(2**31)),
                              initial=tt, pinned=pinned if any_pin else None, workers=1,
                              objective="feasibility", stop=_Until(tc + budget, until))
            out.cpsat_status = str(res.stats.get("status", "no solution"))
            if res.hard_violations < rep.hard_violations:
                tt, rep = res.timetable, res.report
        except InfeasibleError:
            out.cpsat_status = "INFEASIBLE"
        out.cpsat_seconds = time.perf_counter() - tc
    if task.anneal and not until.is_set():
        ta = time.perf_counter()
        res = anneal_part(pb, weights=task.weights, time_limit=max(0.01, until.end - ta), seed=rng, initial=tt,
                      pinned=pinned, stop=until, progress=progress, hard_weight=task.hard_weight, use_cpsat=False)
        tt, rep = res.timetable, res.report
        out.anneal_seconds = time.perf_counter() - ta
    out.period, out.room = tt.period, tt.room
    out.hard_violations, out.soft_cost = rep.hard_violations, rep.soft_cost
    out.seconds = time.perf_counter() - t0
    return out


def anneal_part(problem: Problem, *, weights, time_limit: float, seed, initial: Timetable | None, pinned,
            stop=None, progress=None, use_cpsat: bool = True, **options) -> SolveResult:
    """``solve_local``'s phases, keeping the time limit also when the start is infeasible.

    ``solve_local`` (commits a495cfe, 86e5ff6) runs: greedy start → hard-only repair (≤ 10% of
    the budget) → CP-SAT feasibility if still infeasible → annealing. After a repair phase it sizes
    its first annealing chunk from the repair's iterations over ~0 s of annealing time, so that
    chunk is 2 million moves (5–15 s) whatever the time limit or the stop flag (comp05 at
    ``time_limit=2`` took 18 s). A feasible start skips the repair, so the same phases run here
    one by one: the repair as an iterations-mode call (chunks of 20k moves) that a stop flag ends
    once feasible or at 10% of the budget, CP-SAT as in ``solve_local``, then the annealing from
    the repaired start (in iterations mode, sized by the measured speed, if it is still
    infeasible). ``solve_local`` now sizes its chunks from annealing moves only (issue 17), so this
    wrapper can go once the pipeline's benchmark has been re-measured without it.
    """

    t_start = time.perf_counter()
    end = t_start + time_limit
    keep = None if pinned is None or not np.asarray(pinned).any() else np.asarray(pinned, bool)
    start = initial
    if start is None or start.n_unplaced:
        start = construct(problem, weights=weights, seed=seed, pinned=keep, initial=initial,
                          deadline=Deadline(time_limit, stop))
    hard = evaluate(problem, start, weights).hard_violations
    if hard == 0:
        return solve_local(problem, weights=weights, time_limit=max(0.01, end - time.perf_counter()), seed=seed,
                           initial=start, pinned=keep, stop=stop, progress=progress, use_cpsat=False, **options)
    flag = _Until(t_start + 0.1 * time_limit, stop)

    def watch(ev: ProgressEvent) -> None:
        if progress is not None:
            progress(ev)
        if ev.hard_violations == 0:
            flag.flag = True

    res = solve_local(problem, weights=weights, time_limit=max(0.01, end - time.perf_counter()), seed=seed,
                      initial=start, pinned=keep, stop=flag, progress=watch, iterations=2**62, use_cpsat=False,
                      **options)
    start, hard = res.timetable, res.hard_violations
    if hard and use_cpsat and not _Until(end, stop).is_set():
        from ..cpsat import solve_cpsat

        budget = min(0.25 * (end - time.perf_counter()), 60.0)
        if budget >= 0.5:
            try:
                cp = solve_cpsat(problem, weights=weights, time_limit=budget, seed=int(rng_from(seed).integers(2**31)),
                                 initial=start, pinned=keep, stop=stop, workers=1, objective="feasibility")
                if cp.hard_violations < hard:
                    start, hard = cp.timetable, cp.hard_violations
            except InfeasibleError:
                pass  # the annealing below still returns the timetable with the fewest violations
    now = time.perf_counter()
    if now >= end or (stop is not None and stop.is_set()):
        if start is not res.timetable:  # CP-SAT improved on the repair
            res = SolveResult(timetable=start, report=evaluate(problem, start, weights), strategy="local",
                              seed=res.seed, elapsed=now - t_start, trace=res.trace, stats=res.stats,
                              stopped=stop is not None and stop.is_set())
        return res
    if hard:
        # still infeasible: a time-mode call would repair again and hit the long chunk, so anneal
        # in iterations mode with as many moves as the measured speed fits in the time left
        rate = res.stats.get("iterations_per_s", 0.0)
        return solve_local(problem, weights=weights, time_limit=max(0.01, end - now), seed=seed, initial=start,
                           pinned=keep, stop=_Until(end, stop), progress=progress, use_cpsat=False,
                           iterations=max(1000, int(rate * (end - now))), **options)
    return solve_local(problem, weights=weights, time_limit=max(0.01, end - now), seed=seed, initial=start,
                       pinned=keep, stop=stop, progress=progress, use_cpsat=False, **options)


# ============================================================================ progress
