"""The three stages as one solve: progress reporting, the stage budgets, and each stage."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from ...cost import evaluate, resolve_weights
from ...errors import TimetableError
from ...model import Problem, Timetable
from ..base import Deadline, ProgressEvent, SolveResult, check_pinned, rng_from
from ..local_search import construct
from .decomposition import department_groups, room_shares, subproblem, violating_lectures
from .groups import GroupResult, GroupTask, anneal_part, solve_group

STAGE_1 = "stage 1: departments"
STAGE_2 = "stage 2: electives"
STAGE_3 = "stage 3: global"
STAGES = (STAGE_1, STAGE_2, STAGE_3)

CORE, ELECTIVE, OPEN = 0, 1, 2

HEARTBEAT = 0.45  # seconds between progress events at the latest (the contract is 0.5 s)


class _Reporter:
    """Sends progress events of the whole pipeline (overall clock) with a heartbeat thread.

    Inner solvers report on their own clock and on sub-instances; ``forward`` re-labels their
    events with the stage name and the pipeline's elapsed time and budget.
    """

    def __init__(self, deadline: Deadline, progress):
        self.deadline = deadline
        self.progress = progress
        self.trace: list[tuple[float, float, int]] = []  # (elapsed, soft cost, hard) of whole timetables
        self.stage = STAGE_1
        self.cost = math.inf
        self.hard = 0
        self.message = ""
        self._last = -math.inf
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread = None
        if progress is not None:
            self._thread = threading.Thread(target=self._beat, name="hierarchical-heartbeat", daemon=True)

    def start(self, hard: int) -> None:
        self.hard = hard
        if self._thread is not None:
            self._thread.start()

    def close(self) -> None:
        self._done.set()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join()

    def emit(self, stage: str, cost: float | None = None, hard: int | None = None, message: str = "",
             timetable: Timetable | None = None) -> None:
        """Send an event; ``timetable`` (a complete one, whole-problem ids) rides along once, for
        the job runner's checkpoints."""
        with self._lock:
            self.stage = stage
            if cost is not None:
                self.cost = float(cost)
            if hard is not None:
                self.hard = int(hard)
            self.message = message
            self._send(timetable)

    def _send(self, timetable: Timetable | None = None) -> None:
        self._last = time.perf_counter()
        if self.progress is not None:
            self.progress(self.deadline.event(self.stage, self.cost, self.hard, self.message, timetable))
        self.message = ""  # a heartbeat does not repeat the last message

    def forward(self, stage: str, *, whole: bool, prefix: str = ""):
        """A callback for an inner solver; ``whole``: its costs are those of the whole timetable."""
        def inner(ev: ProgressEvent) -> None:
            msg = (prefix + (ev.message or "")).strip()
            if whole:
                self.emit(stage, ev.best_cost, ev.hard_violations, msg, getattr(ev, "timetable", None))
                self.trace.append((self.deadline.elapsed(), float(ev.best_cost), int(ev.hard_violations)))
            else:
                self.emit(stage, None, None, msg)
        return inner

    def _beat(self) -> None:
        while not self._done.wait(0.05):
            with self._lock:
                if time.perf_counter() - self._last >= HEARTBEAT and not self._done.is_set():
                    self._send()


# ============================================================================ the pipeline


@dataclass
class _Pipeline:
    problem: Problem
    weights: np.ndarray
    deadline: Deadline
    reporter: _Reporter
    rng: np.random.Generator
    hard_weight: float
    timetable: Timetable
    fixed: np.ndarray            # lectures kept where they are in stages 1-2 (pinned or given)
    pinned: np.ndarray           # lectures kept in every stage (the user's pins)
    stages: list = field(default_factory=list)
    # placed lectures that take part in no hard violation as far as known (pinned in stage 2)
    clean: np.ndarray | None = None
    hints: Timetable | None = None  # stage 1's places of the departmental electives
    closers: list = field(default_factory=list)  # threads closing a private Dask cluster

    def record(self, stage: str, t_start: float, detail: dict) -> dict:
        """Evaluate the timetable so far: whole-problem trace point and the stage's statistics."""
        pb = self.problem
        rep = evaluate(pb, self.timetable, self.weights)
        placed = np.flatnonzero((self.timetable.period >= 0) & (self.timetable.room >= 0))
        courses = np.unique(pb.lecture_course[placed])
        if len(courses) == pb.n_courses:
            soft, hard = rep.soft_cost, rep.hard_violations
        else:
            # the cost of what is scheduled so far: the sub-instance of the placed courses
            part = subproblem(pb, courses, name=f"{pb.name}/scheduled")
            prep = evaluate(part.problem, part.restrict(self.timetable), self.weights)
            soft, hard = prep.soft_cost, prep.hard_violations
        now = self.deadline.elapsed()
        self.reporter.trace.append((now, float(rep.soft_cost), rep.hard_violations))
        row = {"stage": stage, "seconds": now - t_start, "end": now, "courses": int(len(courses)),
               "lectures": int(len(placed)), "soft_cost": soft, "hard_violations": int(hard),
               "whole_soft_cost": rep.soft_cost, "whole_hard_violations": rep.hard_violations}
        row.update(detail)
        self.stages.append(row)
        complete = self.timetable.n_unplaced == 0
        self.reporter.emit(stage, rep.soft_cost, rep.hard_violations,
                           f"done: {len(courses)} courses, {hard} hard violations, cost {soft:g}",
                           self.timetable.copy() if complete else None)
        return row


def solve_hierarchical(problem: Problem, *, weights=None, time_limit: float = 60.0, seed: int = 0,
                       initial: Timetable | None = None, pinned=None, progress=None, stop=None,
                       client=None, parallel: bool = False, shares: tuple[float, float] = (0.3, 0.15),
                       cpsat: bool = True, hard_weight: float = 20.0, perturbation_weight: float = 5.0,
                       t0: float | None = None) -> SolveResult:
    """Solve by departments, electives, then globally (see the module docstring).

    Parameters
    ----------
    problem, weights, time_limit, seed, progress
        As for every strategy (``tt_core.solvers.solve``). Progress stages are ``STAGES``.
    stop : object with ``is_set()``, optional
        Ends the pipeline within ~1 s (a greedy construction under way finishes first: ~2 s on
        the ``large`` preset); lectures of groups or stages not reached stay unplaced (-1).
    initial : Timetable, optional
        Placed lectures stay where they are during stages 1 and 2 and are the start of stage 3;
        a complete ``initial`` skips straight to stage 3.
    pinned : bool array over lectures, optional
        Lectures that keep their ``initial`` period and room in every stage.
    client : dask.distributed.Client, optional
        Run the stage-1 groups on this client's workers.
    parallel : bool
        Without a ``client``: run stage 1 on the cluster of ``TT_DASK_SCHEDULER`` when it is set,
        else on a private ``LocalCluster`` (``hardware.recommended_workers()`` single-threaded
        workers) closed in the background while stages 2-3 run (a close still under way at the
        time limit completes after the return); see :func:`tt_core.cluster.client_for`. Otherwise
        stage 1 runs in this process, group after group. Groups not back from the workers by
        the stage-1 budget plus 10% of the time limit get their greedy start in this process.
    shares : (float, float)
        Upper bounds of the budget shares of stages 1 and 2 (see the module docstring); stage 3
        gets the rest.
    cpsat : bool
        Stage 1: run CP-SAT for feasibility on a group whose greedy start breaks a hard constraint.
    hard_weight : float
        Weight of a hard violation relative to the soft weights inside the annealing.
    perturbation_weight : float
        Cost per moved earlier lecture when stage 2 has to unpin them to stay feasible. The
        default 5 (a missing working day) lets a move that removes a hard violation through
        but keeps earlier lectures from drifting for small soft gains.
    t0 : float, optional
        Start temperature of the stage-3 annealing; default ``DECOMPOSED_T0`` after a split into
        departments, ``solve_local``'s automatic choice otherwise (whole instance, complete
        ``initial``).

    Returns
    -------
    SolveResult
        ``stats["stages"]`` lists, per stage, its seconds, the courses and lectures scheduled so
        far, their soft cost and hard violations (on the sub-instance of the scheduled courses)
        and the stage's own details; ``stats["time_to_feasible"]`` is the first elapsed time at
        which the whole timetable had no hard violation (None if never).
    """
    w = resolve_weights(weights)
    deadline = Deadline(float(time_limit), stop)
    pb = problem
    L = pb.n_lectures
    pinned = check_pinned(pb, pinned, initial)
    if initial is not None:
        placed0 = (initial.period >= 0) & (initial.room >= 0)
        if (pinned & ~placed0).any():
            raise TimetableError("a pinned lecture is not placed in the initial timetable")
        tt = Timetable(np.where(placed0, initial.period, -1), np.where(placed0, initial.room, -1))
        fixed = placed0.copy()
    else:
        tt = Timetable.empty(pb)
        fixed = np.zeros(L, bool)
    reporter = _Reporter(deadline, progress)
    pipe = _Pipeline(pb, w, deadline, reporter, rng_from(seed), hard_weight, tt, fixed, pinned)
    reporter.start(int((~fixed).sum()))
    extra: dict = {}
    try:
        _stage1(pipe, client=client, parallel=parallel, share=shares[0], cpsat=cpsat, extra=extra)
        _stage2(pipe, share=shares[1], perturbation_weight=perturbation_weight)
        decomposed = any(st.get("mode") not in ("whole instance", "nothing to place")
                         for st in pipe.stages if st["stage"] == STAGE_1)
        _stage3(pipe, t0=t0 if t0 is not None else (DECOMPOSED_T0 if decomposed else None))
    finally:
        for closer in pipe.closers:
            # a private cluster closes within the time left; past it (or after a stop) it finishes
            # closing on its own (seconds) and the caller gets the result in time
            closer.join(timeout=0 if deadline.stopped() else deadline.remaining())
        reporter.close()
    final = pipe.timetable
    rep = evaluate(pb, final, w)
    feasible_at = next((t for t, _, h in reporter.trace if h == 0), None)
    stats = {"stages": pipe.stages, "time_to_feasible": feasible_at, **extra}
    if final.n_unplaced and deadline.done() and not deadline.stopped():
        stats["stopped_during"] = "placing lectures"
    return SolveResult(timetable=final, report=rep, strategy="hierarchical",
                       seed=int(seed) if not isinstance(seed, np.random.Generator) else -1,
                       elapsed=deadline.elapsed(), trace=reporter.trace, stats=stats, stopped=deadline.stopped())


# ---------------------------------------------------------------------------- stage 1


def _stage1(pipe: _Pipeline, *, client, parallel: bool, share: float, cpsat: bool, extra: dict) -> None:
    pb, tt = pipe.problem, pipe.timetable
    t_start = pipe.deadline.elapsed()
    cat = pb.course_category[pb.lecture_course]
    # a department plans its electives with its core courses: the electives' places are kept
    # only as hints for stage 2, but the core is then laid out so that they fit (inserting them
    # around a core planned without them left hard violations on demo: a 3-period lab elective
    # of 84 students with 22 conflicting courses found no window)
    todo_lecture = ~pipe.fixed & ((cat == CORE) | (cat == ELECTIVE))
    courses = np.unique(pb.lecture_course[todo_lecture])
    groups = department_groups(pb, courses)
    pipe.reporter.emit(STAGE_1, None, None, f"{len(groups)} groups of core courses")
    if not groups:
        pipe.record(STAGE_1, t_start, {"groups": 0, "mode": "nothing to place"})
        return
    rest = ~pipe.fixed & ~todo_lecture
    if len(groups) == 1 and not rest.any():
        _stage1_whole(pipe, t_start=t_start)
        return
    budget_end = t_start + share * pipe.deadline.time_limit
    # the open electives first get a frame: periods and rooms placed greedily among themselves
    # (they span departments, so no group could plan them); the groups then keep those periods
    # free for the curricula concerned and those rooms free altogether, and stage 2 starts the
    # open electives there (on large, inserting them around a finished core left 13 hard
    # violations after stage 2)
    frame = _open_frame(pipe, rest)
    outside = pipe.fixed | (frame.period >= 0)
    outside_tt = Timetable(np.where(pipe.fixed, tt.period, frame.period), np.where(pipe.fixed, tt.room, frame.room))
    fixed_slots, group_slots = _fixed_slots(pb, outside_tt, outside, groups)
    later = np.unique(pb.lecture_course[rest & (frame.period < 0)])
    slots = room_shares(pb, groups, later=later, reserved=fixed_slots, owned=group_slots)
    seeds = pipe.rng.integers(2**31, size=len(groups))
    tasks = []
    for g, cs in enumerate(groups):
        rooms = _group_rooms(pb, cs, slots[g])
        sub = subproblem(pb, cs, rooms, blocked=~slots[g][rooms],
                         unavailable=_outside_conflicts(pb, outside_tt, outside, cs),
                         name=f"{pb.name}/{_group_name(pb, cs)}")
        start = sub.restrict(tt)
        fixed_sub = np.zeros(sub.problem.n_lectures, bool)
        fixed_sub[:sub.n_real_lectures] = pipe.fixed[sub.lecture_ids]
        start.period[:sub.n_real_lectures][~fixed_sub[:sub.n_real_lectures]] = -1
        start.room[:sub.n_real_lectures][~fixed_sub[:sub.n_real_lectures]] = -1
        tasks.append(GroupTask(g, sub, pipe.weights, 0.0, int(seeds[g]), cpsat=cpsat,
                               hard_weight=pipe.hard_weight, pinned=fixed_sub if fixed_sub.any() else None,
                               start=start if fixed_sub.any() else None, name=_group_name(pb, cs)))
    results = _run_groups(pipe, tasks, client=client, parallel=parallel, budget_end=budget_end, extra=extra)
    for task, res in zip(tasks, results):
        if res is not None:
            task.sub.lift(Timetable(res.period, res.room), tt)
    results = [r for r in results if r is not None]
    # lectures in a hard violation are not pinned in stage 2 (unless the caller fixed them)
    pipe.clean = ~violating_lectures(pb, tt) | pipe.fixed
    # the electives' places become stage 2's hints; stage 1's result is the core
    hinted = ~pipe.fixed & (cat == ELECTIVE) & (tt.period >= 0)
    pipe.hints = Timetable(np.where(hinted, tt.period, frame.period), np.where(hinted, tt.room, frame.room))
    tt.period[hinted], tt.room[hinted] = -1, -1
    extra["groups"] = [{"name": r.name, "lectures": r.lectures, "rooms": r.rooms, "blockers": r.blockers,
                        "hard_violations": r.hard_violations, "soft_cost": r.soft_cost, "seconds": r.seconds,
                        "construct_hard": r.construct_hard, "cpsat": r.cpsat_status,
                        "cpsat_seconds": r.cpsat_seconds, "anneal_seconds": r.anneal_seconds}
                       for r in results]
    pipe.record(STAGE_1, t_start, {
        "groups": len(groups), "mode": extra.get("mode"), "cluster": extra.get("cluster"),
        "groups_infeasible": int(sum(r.hard_violations > 0 for r in results)),
        "cpsat_runs": int(sum(r.cpsat_status != "not run" for r in results)),
        "group_seconds": float(sum(r.seconds for r in results)),
        "elective_hints": int(hinted.sum()), "open_frame": int((frame.period >= 0).sum()),
        "cluster_seconds": extra.get("cluster_seconds", 0.0)})


def _group_name(pb: Problem, cs: np.ndarray) -> str:
    depts = np.unique(pb.course_department[cs])
    names = [pb.department_names[d] if d >= 0 else "no department" for d in depts]
    return names[0] if len(names) == 1 else f"{names[0]} +{len(names) - 1}"


def _group_rooms(pb: Problem, cs: np.ndarray, own: np.ndarray) -> np.ndarray:
    """Rooms of a group's sub-instance: those with owned slots, plus one suitable room (fully
    blocked) for a course that would otherwise have none, so that the sub-instance is valid."""
    rooms = set(np.flatnonzero(own.any(axis=1)).tolist())
    for c in cs:
        if not rooms or not pb.suitable[c, sorted(rooms)].any():
            cand = np.flatnonzero(pb.suitable[c])
            if len(cand) == 0:
                raise TimetableError(f"course {pb.course_names[c]} has no suitable room (room type/features); "
                                     "fix its requirements or add a room")
            rooms.add(int(cand[np.argmax(pb.room_capacity[cand])]))
    return np.array(sorted(rooms), np.int64)


def _fixed_slots(pb: Problem, tt: Timetable, fixed: np.ndarray, groups) -> tuple[np.ndarray | None, list | None]:
    """Room slots of lectures kept in place: reserved from everyone, owned by their own group."""
    if not fixed.any():
        return None, None
    owner = np.full(pb.n_courses, -1, np.int64)
    for g, cs in enumerate(groups):
        owner[cs] = g
    reserved = np.zeros((pb.n_rooms, pb.n_periods), bool)
    owned = [np.zeros((pb.n_rooms, pb.n_periods), bool) for _ in groups]
    for l in np.flatnonzero(fixed):
        c = int(pb.lecture_course[l])
        p, r = int(tt.period[l]), int(tt.room[l])
        end = min(p + int(pb.course_length[c]), (p // pb.periods_per_day + 1) * pb.periods_per_day)
        if owner[c] >= 0:
            owned[owner[c]][r, p:end] = True
        else:
            reserved[r, p:end] = True
    return reserved, owned


def _outside_conflicts(pb: Problem, tt: Timetable, outside: np.ndarray, cs: np.ndarray) -> np.ndarray | None:
    """Periods a group's course may not teach in because a conflicting lecture outside the group
    (kept in place, or framed) covers them. Availability is checked per covered period, so
    marking those periods unavailable is exact for multi-period lectures too."""
    inside = np.zeros(pb.n_courses, bool)
    inside[cs] = True
    out = np.flatnonzero(outside & ~inside[pb.lecture_course] & (tt.period >= 0))
    if len(out) == 0:
        return None
    c_out = pb.lecture_course[out]
    cover = np.zeros((len(out), pb.n_periods), np.float32)
    p = tt.period[out]
    for k in range(int(pb.course_length[c_out].max())):
        ok = (k < pb.course_length[c_out]) & ((p + k) // pb.periods_per_day == p // pb.periods_per_day)
        cover[np.flatnonzero(ok), (p + k)[ok]] = 1.0
    extra = (pb.conflict[np.ix_(cs, c_out)].astype(np.float32) @ cover) > 0
    return extra if extra.any() else None


def _open_frame(pipe: _Pipeline, rest: np.ndarray) -> Timetable:
    """Greedy places of the ``rest`` lectures (the open electives) among themselves, whole-problem
    ids; lectures the caller fixed keep their places. Empty when there is nothing to frame."""

    pb = pipe.problem
    frame = Timetable.empty(pb)
    if not rest.any():
        return frame
    courses = np.unique(pb.lecture_course[rest])
    sub = subproblem(pb, courses, name=f"{pb.name}/open-frame")
    start = sub.restrict(pipe.timetable)
    keep = pipe.fixed[sub.lecture_ids] & (start.period >= 0)
    placed = construct(sub.problem, weights=pipe.weights, seed=pipe.rng, pinned=keep if keep.any() else None,
                       initial=start if keep.any() else None, deadline=pipe.deadline)
    sub.lift(placed, frame)
    frame.period[~rest], frame.room[~rest] = -1, -1
    return frame


def _stage1_whole(pipe: _Pipeline, *, t_start: float) -> None:
    """The whole instance is one group: the greedy construction only.

    Repairing and improving it is exactly what the stage-3 annealing does (including its own
    CP-SAT feasibility step when the greedy start breaks a hard constraint), so nothing is run
    twice and the pipeline does the work of ``strategy="local"``.
    """

    pb = pipe.problem
    keep = pipe.fixed
    tc = time.perf_counter()
    tt = construct(pb, weights=pipe.weights, seed=pipe.rng, pinned=keep if keep.any() else None,
                   initial=pipe.timetable if keep.any() else None, deadline=pipe.deadline)
    pipe.timetable.period[:] = tt.period
    pipe.timetable.room[:] = tt.room
    pipe.record(STAGE_1, t_start, {"groups": 1, "mode": "whole instance",
                                   "construct_seconds": time.perf_counter() - tc})


def _group_cap(task: GroupTask) -> float:
    """Seconds a group is worth: 0.05 s + 2 ms per lecture (0.19 s for a 70-lecture department),
    plus the CP-SAT time when its greedy start is infeasible.

    Measured on 16 departments of ``large`` (core + electives): caps of 0.1 / 0.2 / 0.4 / 0.8 s
    gave summed soft costs of 2724 / 2709 / 2698 / 2698, every group feasible (CP-SAT repaired
    the 10 infeasible greedy starts each time); stage 3 makes better use of the time.
    """
    return 0.05 + 0.002 * task.sub.n_real_lectures


def _run_groups(pipe: _Pipeline, tasks: list[GroupTask], *, client, parallel: bool, budget_end: float,
                extra: dict) -> list[GroupResult | None]:
    """Run the stage-1 groups in this process or on Dask, in budget, reporting progress."""
    d, rep = pipe.deadline, pipe.reporter
    total = sum(t.sub.n_real_lectures for t in tasks)
    if client is None and not parallel:
        extra["mode"] = "in process"
        results: list[GroupResult] = []
        for i, task in enumerate(tasks):
            if d.done():
                results.extend([None] * (len(tasks) - i))  # stopped or out of time: the rest stays unplaced
                break
            left = len(tasks) - i
            task.time_limit = min(_group_cap(task), max(0.0, (budget_end - d.elapsed()) / left))
            task.anneal = task.time_limit > 0.02
            fwd = rep.forward(STAGE_1, whole=False, prefix=f"group {i + 1}/{len(tasks)} {task.name}: ")
            # the pipeline's deadline as the group's stop: a group's budget is only a share of it
            results.append(solve_group(task, stop=d, progress=fwd))
            done = sum(t.sub.n_real_lectures for t in tasks[:i + 1])
            rep.emit(STAGE_1, None, total - done + sum(r.hard_violations for r in results if r is not None),
                     f"{i + 1}/{len(tasks)} groups solved")
        return results
    from ...cluster import client_for, scheduler_address

    handle = None
    tc = time.perf_counter()
    try:
        if client is None:
            rep.emit(STAGE_1, None, None, f"connecting to {scheduler_address()}" if scheduler_address()
                     else "starting a local Dask cluster")
        given = client is not None
        handle = client_for(client)  # the given client, TT_DASK_SCHEDULER, or a private LocalCluster
        client = handle.client
        extra["cluster"] = ("given client" if given else "private LocalCluster" if handle.private
                            else f"TT_DASK_SCHEDULER={scheduler_address()}")
        extra["cluster_seconds"] = time.perf_counter() - tc
        extra["mode"] = "dask"
        n_slots = max(1, sum(client.nthreads().values()))
        extra["dask_threads"] = n_slots
        per = max(0.0, (budget_end - d.elapsed()) * n_slots / len(tasks) * 0.9)
        for task in tasks:
            task.time_limit = min(_group_cap(task), per)
            task.anneal = task.time_limit > 0.02
        futures = client.map(solve_group, tasks, pure=False)
        results: list[GroupResult | None] = [None] * len(tasks)
        pending = dict(enumerate(futures))
        hard_done = 0
        late = budget_end + 0.1 * d.time_limit  # past this, groups not back are built here
        while pending:
            if d.stopped():
                client.cancel(list(pending.values()))
                break
            if d.elapsed() > late:
                # workers slower than planned (start-up, a loaded machine): the greedy start of the
                # groups not back yet, built here in milliseconds, keeps the time limit
                client.cancel(list(pending.values()))
                for i in pending:
                    t = tasks[i]
                    t.time_limit, t.anneal, t.cpsat = 0.0, False, False
                    results[i] = solve_group(t)
                extra["groups_built_here"] = len(pending)
                break
            for i, f in list(pending.items()):
                if f.status == "finished":
                    results[i] = f.result()
                    hard_done += results[i].hard_violations
                    del pending[i]
                elif f.status in ("error", "cancelled", "lost"):
                    f.result()  # raises the worker's exception here
            done = sum(tasks[i].sub.n_real_lectures for i, r in enumerate(results) if r is not None)
            rep.emit(STAGE_1, None, total - done + hard_done,
                     f"{len(tasks) - len(pending)}/{len(tasks)} groups solved on {n_slots} Dask workers")
            if pending:
                time.sleep(0.1)
        return results  # after a stop, groups not back yet are None (their lectures stay unplaced)
    finally:
        if handle is not None and handle.owns_client:
            def close() -> None:
                tc = time.perf_counter()
                try:
                    handle.close()
                finally:
                    extra["cluster_close_seconds"] = time.perf_counter() - tc

            # closing waits seconds for the worker processes to exit; stage 2 need not wait, the
            # pipeline joins this thread before it returns
            closer = threading.Thread(target=close, name="hierarchical-dask-close")
            closer.start()
            pipe.closers.append(closer)


# ---------------------------------------------------------------------------- stage 2


def _stage2(pipe: _Pipeline, *, share: float, perturbation_weight: float) -> None:
    pb, d = pipe.problem, pipe.deadline
    t_start = d.elapsed()
    cat = pb.course_category[pb.lecture_course]
    steps = [(ELECTIVE, "departmental electives"), (OPEN, "open electives")]
    todo = {k: ~pipe.fixed & (cat == k) & (pipe.timetable.period < 0) for k, _ in steps}
    # core lectures stage 1 could not place (none normally) are inserted with the electives
    todo[ELECTIVE] |= ~pipe.fixed & (cat == CORE) & ((pipe.timetable.period < 0) | (pipe.timetable.room < 0))
    n_new = {k: int(v.sum()) for k, v in todo.items()}
    if d.stopped():
        pipe.record(STAGE_2, t_start, {"steps": [], "skipped": "stopped"})
        return
    if not sum(n_new.values()):
        pipe.reporter.emit(STAGE_2, None, None, "no electives to insert")
        pipe.record(STAGE_2, t_start, {"steps": []})
        return
    # 1 s + 5 ms per lecture to insert at most (~3 s for medium's 387 elective lectures): a longer
    # stage 2 only polishes a timetable that stage 3 re-anneals anyway
    end = min(t_start + min(share * d.time_limit, 1.0 + 0.005 * sum(n_new.values())), d.time_limit)
    steps_done = []
    for k, label in steps:
        if not n_new[k] or d.stopped():
            continue
        later = sum(n_new[j] for j, _ in steps if j > k)
        budget = max(0.0, (end - d.elapsed()) * n_new[k] / (n_new[k] + later))
        steps_done.append(_insert(pipe, todo[k], label, budget, perturbation_weight))
    pipe.record(STAGE_2, t_start, {"steps": steps_done})


def _insert(pipe: _Pipeline, new: np.ndarray, label: str, budget: float, perturbation_weight: float) -> dict:
    """Place the ``new`` lectures around the placed ones (pinned), on the instance of both."""
    pb, tt, d = pipe.problem, pipe.timetable, pipe.deadline
    t0 = time.perf_counter()
    placed = (tt.period >= 0) & (tt.room >= 0) & ~new
    pin = placed if pipe.clean is None else placed & pipe.clean
    courses = np.unique(pb.lecture_course[placed | new])
    # the new lectures start where stage 1 planned them (not pinned); the others are built greedily
    base = tt.copy()
    base.period[new], base.room[new] = -1, -1
    hinted = np.zeros(pb.n_lectures, bool)
    if pipe.hints is not None:
        hinted = new & (pipe.hints.period >= 0)
        base.period[hinted], base.room[hinted] = pipe.hints.period[hinted], pipe.hints.room[hinted]
    if len(courses) == pb.n_courses:
        sub = None
        spb, start, keep, was = pb, base, pin.copy(), placed.copy()
        user_pins = pipe.pinned
    else:
        sub = subproblem(pb, courses, name=f"{pb.name}/{label.replace(' ', '-')}")
        spb, start = sub.problem, sub.restrict(base)
        keep, was = pin[sub.lecture_ids], placed[sub.lecture_ids]
        user_pins = pipe.pinned[sub.lecture_ids]
    fwd = pipe.reporter.forward(STAGE_2, whole=sub is None, prefix=f"{label}: ")
    t_pinned = max(0.05, 0.6 * budget) if budget > 0 else 0.01
    res = anneal_part(spb, weights=pipe.weights, time_limit=t_pinned, seed=pipe.rng, initial=start, pinned=keep,
                  stop=d.stop, progress=fwd, hard_weight=pipe.hard_weight, use_cpsat=False)
    out = {"step": label, "lectures": int(new.sum()), "hinted": int(hinted.sum()), "pinned_hard": res.hard_violations,
           "pinned_seconds": time.perf_counter() - t0, "freeing_seconds": 0.0, "moved_earlier": 0}
    best = res
    if res.hard_violations and not d.done():
        # the pins leave no room: free the earlier lectures around the violations (the courses in
        # a violation and every course conflicting with them) and anneal again; a moved earlier
        # lecture costs ``perturbation_weight``, so the rest of the neighbourhood tends to stay
        th = time.perf_counter()
        hot = violating_lectures(spb, res.timetable)
        hot_courses = np.unique(spb.lecture_course[hot])
        near = np.zeros(spb.n_courses, bool)
        near[hot_courses] = True
        near |= spb.conflict[hot_courses].any(axis=0)
        keep2 = keep & ~near[spb.lecture_course] | user_pins
        res2 = anneal_part(spb, weights=pipe.weights, time_limit=max(0.05, budget - (th - t0)), seed=pipe.rng,
                       initial=res.timetable, pinned=keep2, stop=d.stop, progress=fwd,
                       hard_weight=pipe.hard_weight, perturbation_weight=perturbation_weight, use_cpsat=False)
        out["freed_earlier"] = int((keep & ~keep2).sum())
        if (res2.hard_violations, res2.cost) < (res.hard_violations, res.cost):
            best = res2
            moved = (res2.timetable.period != res.timetable.period) | (res2.timetable.room != res.timetable.room)
            out["moved_earlier"] = int((moved & was).sum())
        out["freeing_seconds"] = time.perf_counter() - th
    if sub is None:
        tt.period[:], tt.room[:] = best.timetable.period, best.timetable.room
    else:
        sub.lift(best.timetable, tt)
    pipe.clean = ~violating_lectures(pb, tt) | pipe.fixed
    out["hard_violations"] = best.hard_violations
    out["soft_cost"] = best.cost
    return out


# ---------------------------------------------------------------------------- stage 3


#: stage 3's start temperature after a decomposition. The merged timetable is structured, and
#: re-annealing it from solve_local's automatic start (3.6 on medium) throws that away: on medium
#: at 30 s the pipeline ended at 156 (automatic), 136 (t0=1.5) and 113 (t0=0.7), while plain
#: "local" got 121 (automatic) and 132 (t0=0.7) from its greedy start.
DECOMPOSED_T0 = 0.7


def _stage3(pipe: _Pipeline, *, t0: float | None) -> None:

    pb, d = pipe.problem, pipe.deadline
    t_start = d.elapsed()
    if d.stopped():
        pipe.record(STAGE_3, t_start, {"iterations": 0, "skipped": "stopped"})
        return
    if (pipe.timetable.period < 0).any():
        # stage 2 ran out of time before placing everything: place the rest greedily
        placed = (pipe.timetable.period >= 0) & (pipe.timetable.room >= 0)
        tt = construct(pb, weights=pipe.weights, seed=pipe.rng, pinned=placed, initial=pipe.timetable,
                       deadline=d)
        pipe.timetable.period[:], pipe.timetable.room[:] = tt.period, tt.room
    if d.done():
        pipe.record(STAGE_3, t_start, {"iterations": 0, "skipped": "no time left"})
        return
    res = anneal_part(pb, weights=pipe.weights, time_limit=max(0.01, d.remaining()), seed=pipe.rng,
                  initial=pipe.timetable, pinned=pipe.pinned, stop=d.stop,
                  progress=pipe.reporter.forward(STAGE_3, whole=True), hard_weight=pipe.hard_weight,
                  **({} if t0 is None else {"t0": t0}))
    pipe.timetable.period[:], pipe.timetable.room[:] = res.timetable.period, res.timetable.room
    pipe.record(STAGE_3, t_start, {"iterations": res.stats.get("iterations", 0),
                                   "restarts": res.stats.get("restarts", 0)})
