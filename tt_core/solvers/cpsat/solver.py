"""The CP-SAT front door: build, solve with progress and stop, decode, evaluate, diagnose.

Progress reaches the caller two ways: a ``CpSolverSolutionCallback`` on every improving solution,
and a watcher thread that sends a heartbeat at least every 0.5 s (also while the model is being
built) and calls ``StopSearch`` as soon as the user's stop flag is set.

The time limit covers the whole call: building a model stops at it too (checked in the builders'
loops: on a 2,016-period week the model alone takes tens of seconds), and so does the diagnosis of
an infeasible model; what was found by then is returned, and ``stats["stopped_during"]`` says
which phase the time limit cut short. Everything inside either
runs under ``try``: an exception escaping a CP-SAT callback can abort the interpreter when several
workers run (or-tools issues on Python callbacks), so errors are logged and the search goes on.
"""

from __future__ import annotations

import logging
import math
import threading
import time

import numpy as np
from ortools.sat.python import cp_model

from ...cost import check_timetable, evaluate, resolve_weights
from ...errors import InfeasibleError
from ...model import Problem, Timetable
from ..base import Deadline, ProgressCallback, SolveResult, StopFlag
from .diagnosis import diagnose, precheck
from .instance import Instance, pinned_slots
from .model import TimetableModel, resolve_rooms

log = logging.getLogger(__name__)

STAGE = "cpsat"
HEARTBEAT = 0.45  # seconds between heartbeats (the contract is "at least every 0.5 s")
POLL = 0.05       # how often the watcher looks at the stop flag
TWO_PHASE_STARTS = 30_000  # allowed (course, start) pairs above which soft solves start feasible


class _Stopped(Exception):
    """Raised inside the model build when the user's stop flag is set."""


class _Monitor:
    """Serialises progress events from the solver callback and the watcher thread.

    Keeps the best cost reported so far and the trace; ``best_cost`` stays ``inf`` until a cost
    that equals the evaluator's is known (exact rooms with the soft objective), so that the
    reported best never rises when the evaluated final result arrives.
    """

    def __init__(self, deadline: Deadline, progress: ProgressCallback | None, n_lectures: int):
        self.deadline = deadline
        self.progress = progress
        self.best = math.inf
        self.hard = n_lectures  # nothing placed yet
        self.message = "building the model"
        self.trace: list[tuple[float, float, int]] = []
        self.solutions = 0
        self.progress_errors = 0
        self.solver: cp_model.CpSolver | None = None
        self._end = deadline.start + deadline.time_limit  # perf_counter time of the time limit
        self._halted = False  # the user's stop flag, as the watcher last saw it
        self._lock = threading.Lock()
        self._last = -math.inf
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="cpsat-watch", daemon=True)

    # ------------------------------------------------------------------ events
    def emit(self, message: str | None = None) -> None:
        """Send one event (never raises: a failing subscriber must not kill the solve)."""
        with self._lock:
            if message is not None:
                self.message = message
            self._last = time.perf_counter()
            if self.progress is None:
                return
            try:
                self.progress(self.deadline.event(STAGE, self.best, self.hard, self.message))
            except Exception:  # noqa: BLE001 - see the module docstring
                self.progress_errors += 1
                log.exception("progress callback failed")

    def solution(self, cost: float | None, objective: float | None) -> None:
        """A new improving solution; ``cost`` is its exact soft cost when known."""
        with self._lock:
            self.solutions += 1
            self.hard = 0
            if cost is not None:
                self.best = min(self.best, cost)
                self.trace.append((self.deadline.elapsed(), self.best, 0))
        text = f"solution {self.solutions}" + (f", objective {objective:g}" if objective is not None else "")
        self.emit(text)

    def final(self, cost: float, hard: int, message: str) -> None:
        """The evaluated result: always the last trace entry and the last event."""
        with self._lock:
            self.best, self.hard = float(cost), int(hard)
            self.trace.append((self.deadline.elapsed(), float(cost), int(hard)))
        self.emit(message)

    # ------------------------------------------------------------------ stop flag + heartbeat
    def watch(self, solver: cp_model.CpSolver) -> None:
        """Make ``solver`` the one the watcher stops when the user's flag is set."""
        self.solver = solver

    def check_stop(self) -> None:
        """Raise ``_Stopped`` at the time limit or after a user's stop (model builds call this in
        their loops: it reads the clock and the watcher's flag, never a possibly remote stop flag)."""
        if self._halted or time.perf_counter() >= self._end:
            raise _Stopped

    def start(self) -> None:
        self.emit()
        self._thread.start()

    def close(self) -> None:
        self._done.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._done.wait(POLL):
            try:
                self._halted = self._halted or self.deadline.stopped()
                if self._halted and self.solver is not None:
                    # repeated on purpose: a StopSearch before Solve has started is lost
                    self.solver.stop_search()
                if time.perf_counter() - self._last >= HEARTBEAT:
                    self.emit()
            except Exception:  # noqa: BLE001 - a dead watcher would silently stop progress
                log.exception("CP-SAT watcher failed")


class _SolutionCallback(cp_model.CpSolverSolutionCallback):
    """Reports each improving solution and honours the stop flag between solutions."""

    def __init__(self, monitor: _Monitor, tm: TimetableModel):
        super().__init__()
        self.monitor = monitor
        self.tm = tm

    def on_solution_callback(self) -> None:
        try:
            objective = None
            if self.tm.objective is not None:
                # the objective re-computed on the (postsolved) solution: CP-SAT's own value
                # comes from the presolved model, where dual reductions may leave it a little
                # above the solution's true cost
                objective = self.value(self.tm.objective_expr) / self.tm.scale
            self.monitor.solution(objective if self.tm.objective_is_exact else None, objective)
            if self.monitor.deadline.stopped():
                self.stop_search()
        except Exception:  # noqa: BLE001 - see the module docstring
            log.exception("CP-SAT solution callback failed")


def solve_cpsat(problem: Problem, *, weights=None, time_limit: float = 60.0, seed: int = 0,
                initial: Timetable | None = None, pinned=None, progress: ProgressCallback | None = None,
                stop: StopFlag | None = None, workers: int = 2, objective: str = "soft",
                rooms: str = "auto") -> SolveResult:
    """Solve a timetabling problem with OR-tools CP-SAT.

    Parameters
    ----------
    problem
        The instance.
    weights
        ``None`` (ITC2007 weights), a ``{name: weight}`` mapping or a full weight vector.
    time_limit
        Wall-clock seconds for the whole call (model building included).
    seed
        CP-SAT ``random_seed``.
    initial
        A timetable used as the solution hint, and the source of pinned placements.
    pinned
        Bool array over lectures; those lectures keep their ``initial`` period and room.
    progress
        Receives a ``ProgressEvent`` (stage ``"cpsat"``) on every improving solution and at least
        every 0.5 s.
    stop
        Any object with ``is_set()``; the search stops within a second of it being set and the
        best timetable so far is returned.
    workers
        CP-SAT ``num_workers``.
    objective
        ``"soft"`` minimises the weighted soft cost; ``"feasibility"`` stops at the first
        timetable that meets every hard constraint.
    rooms
        ``"auto"``, ``"exact"`` or ``"aggregated"`` room model (see ``cpsat.model``).

    Returns
    -------
    SolveResult
        The best timetable (lectures left unplaced when none was found in time), its evaluator
        report, the (elapsed, cost, hard) trace and statistics (status, objective, bound, wall
        time, model size).

    Raises
    ------
    InfeasibleError
        When the counting pre-check or the solver proves that no timetable exists; its
        ``diagnosis`` names the conflicting requirements.
    """
    w = resolve_weights(weights)
    if objective not in ("soft", "feasibility"):
        raise ValueError(f"objective must be 'soft' or 'feasibility', got {objective!r}")
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    deadline = Deadline(float(time_limit), stop)
    if initial is not None:
        check_timetable(problem, initial)
    pins = pinned_slots(problem, pinned, initial)
    findings = precheck(problem, pins=pins)
    if findings:
        raise InfeasibleError(findings)
    run = _CpsatRun(problem, w, pins, initial, deadline, _Monitor(deadline, progress, problem.n_lectures),
                    workers=workers, seed=seed, objective=objective)
    run.monitor.start()
    try:
        run.search(rooms)
    except _Stopped:
        # a user's stop or the time limit during a model build: return what there is
        if not deadline.stopped():
            run.stats["stopped_during"] = "building the model"
    except BaseException:
        run.monitor.close()
        raise
    return run.result(pinned, stop)


class _CpsatRun:
    """One :func:`solve_cpsat` call: its models, the best solution so far and the statistics."""

    def __init__(self, problem, w, pins, initial, deadline, monitor, *, workers, seed, objective):
        self.problem, self.w, self.pins, self.initial = problem, w, pins, initial
        self.deadline, self.monitor = deadline, monitor
        self.workers, self.seed, self.objective = workers, seed, objective
        self.stats: dict = {"workers": workers, "objective_mode": objective}
        self.status = cp_model.UNKNOWN
        self.best: tuple[TimetableModel, np.ndarray] | None = None  # model and solution to decode
        self.tm: TimetableModel | None = None
        self.fm: TimetableModel | None = None  # the feasibility model of the first of two phases
        self.rooms = "auto"

    def build(self, mode: str, key: str) -> TimetableModel:
        t0 = time.perf_counter()
        built = TimetableModel(self.problem, weights=self.w, objective=mode, rooms=self.rooms, pins=self.pins,
                               initial=self.initial, check=self.monitor.check_stop)
        self.stats[key] = time.perf_counter() - t0
        self.stats.update(built.stats())
        return built

    def search(self, rooms: str) -> None:
        """Build the model(s) and search until the deadline (two phases on big cold models)."""
        problem, deadline, stats = self.problem, self.deadline, self.stats
        inst = Instance(problem, self.pins)
        self.rooms = resolve_rooms(inst, rooms, self.objective)
        starts = int(inst.allowed[problem.course_lectures > 0].sum())
        # keep time for decoding: the room assignment of aggregated models grows with lectures x
        # rooms (about 4 s for 7,233 lectures and 278 rooms, a tenth of a second for comp07)
        work = 0.5 + 2e-6 * problem.n_lectures * problem.n_rooms if self.rooms == "aggregated" else 1.0
        reserve = min(work, 0.1 * deadline.time_limit)
        presolve = True
        if self.objective == "soft" and self.initial is None and starts > TWO_PHASE_STARTS:
            presolve = self._feasibility_first(reserve)
        else:
            self.tm = self.build(self.objective, "build_time")
        tm = self.tm
        if tm is not None and deadline.remaining() > reserve and not deadline.stopped():
            self.monitor.emit(f"solving ({stats['n_variables']} variables, {tm.rooms_model} rooms)")
            self._solve(tm, reserve, presolve)

    def _solve(self, tm: TimetableModel, reserve: float, presolve: bool) -> None:
        """Solve ``tm`` until the deadline. A feasibility model with aggregated rooms and only some
        room families (their closure is too big to enumerate) is a relaxation whose periods may
        admit no room assignment (DDS1 under UD4: 772 of 900 lectures left without rooms): it is
        solved again with the Hall conditions that solution broke (``add_hall_cuts``) until every
        period can be matched — a few rounds of a fraction of a second each on DDS1, where the
        exact room model (18k room triples) takes 2-3 s."""
        stats, deadline = self.stats, self.deadline
        while True:
            status, solver = _run(tm, self.monitor, deadline, self.workers, self.seed, reserve, presolve=presolve)
            if status == cp_model.UNKNOWN and self.best is not None:
                return
            self.status = status
            stats.update(_solver_stats(solver, tm, status))
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                return
            solution = np.asarray(solver.response_proto.solution, dtype=np.int64)
            self.best = tm, solution
            if tm.objective is not None or deadline.stopped() or tm.add_hall_cuts(solution) == 0:
                return
            stats["hall_cuts"] = len(tm.cuts)
            if deadline.remaining() <= reserve:
                return
            tm.hint_starts(tm.start_values(solution))

    def _feasibility_first(self, reserve: float) -> bool:
        """Phase 1 on the feasibility model; its starts hint the optimising model (``self.tm``).

        Two phases on big models: a cold optimising search may find nothing at all (a 2,616-course
        synthetic university, 104k starts: no solution in 85 s) while the feasibility model finds
        one in about 10 s. Smaller models find first solutions cold within seconds (comp07: 2 s)
        and search better with presolve, so they stay cold. Returns whether to presolve phase 2.
        """
        deadline, stats = self.deadline, self.stats
        self.fm = fm = self.build("feasibility", "phase1_build_time")
        self.monitor.emit(f"phase 1: first feasible timetable ({stats['n_variables']} variables)")
        self.status, solver = _run(fm, self.monitor, deadline, self.workers, self.seed, reserve)
        stats["phase1_status"] = stats["status"] = solver.status_name(self.status)
        stats["phase1_time"] = solver.wall_time
        if self.status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return True
        self.best = fm, np.asarray(solver.response_proto.solution, dtype=np.int64)
        self.status = cp_model.FEASIBLE  # the optimising phase may improve it
        stats["status"] = "FEASIBLE"
        if deadline.remaining() <= reserve or deadline.stopped():
            return True
        self.tm = tm = self.build("soft", "build_time")
        tm.hint_starts(fm.start_values(self.best[1]))
        budget = min(15.0, deadline.remaining() - reserve)
        stats["hint_completed"] = tm.complete_hint(budget, on_solver=self.monitor.watch)
        # presolving the big optimising model took longer than the whole remaining budget (60 s,
        # no solution); without it the complete hint is the first solution within seconds and
        # LNS improves from there
        return not stats["hint_completed"]

    def result(self, pinned, stop) -> SolveResult:
        """Diagnose an infeasible model, or decode and evaluate the best timetable."""
        problem, deadline, monitor, stats = self.problem, self.deadline, self.monitor, self.stats
        # the watcher keeps sending heartbeats through diagnosis, room assignment and evaluation
        try:
            if self.status == cp_model.INFEASIBLE:
                monitor.emit("the hard constraints cannot all hold: diagnosing")
                # what is left of the time limit (the proof often comes early), at most 30 s
                budget = min(30.0, deadline.remaining())
                found = diagnose(problem, time_limit=budget, pinned=pinned, initial=self.initial, stop=stop)
                raise InfeasibleError(found or [
                    "the solver proved that the hard constraints cannot all hold, but no small set of "
                    f"conflicting requirements was isolated in the {budget:.1f} s left of the time limit; "
                    "`tt check` counts what is required against what is available, and "
                    "tt_core.solvers.cpsat.diagnose with a longer time limit isolates the conflict"])
            if self.status == cp_model.MODEL_INVALID:  # pragma: no cover - a bug in the model builder
                raise RuntimeError(f"CP-SAT rejected the model: {(self.tm or self.fm).model.validate()}")
            if self.best is not None:
                monitor.emit("decoding the best timetable")
                timetable = self.best[0].decode(self.best[1], self.initial,
                                                room_time_limit=max(1.0, deadline.remaining()))
            else:
                timetable = _pins_only(problem, self.pins)
            report = evaluate(problem, timetable, self.w)
        finally:
            monitor.close()
        stats["wall_time"] = deadline.elapsed()
        stats["progress_errors"] = monitor.progress_errors
        stats["solutions"] = monitor.solutions
        done = ("stopped by the user" if deadline.stopped()
                else f"the time limit ran out while {stats['stopped_during']}" if "stopped_during" in stats
                else stats.get("status", "not solved"))
        monitor.final(report.soft_cost, report.hard_violations, f"done: {done}")
        return SolveResult(timetable=timetable, report=report, strategy="cpsat", seed=self.seed,
                           elapsed=deadline.elapsed(), trace=monitor.trace, stats=stats,
                           stopped=deadline.stopped())


def _run(tm: TimetableModel, monitor: _Monitor, deadline: Deadline, workers: int, seed: int,
         reserve: float, presolve: bool = True):
    """One CP-SAT solve of ``tm`` under the deadline; the watcher can stop it."""
    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.max_time_in_seconds = max(0.01, deadline.remaining() - reserve)
    prm.num_workers = int(workers)
    prm.random_seed = int(seed)
    # probing dominates presolve on these models (6 of 8 s before the first comp07 solution);
    # without it first solutions come 3-4x sooner and costs after 20 s are lower (comp01, comp07)
    prm.cp_model_probing_level = 0
    if tm.objective is None:
        # a first feasible timetable, no objective: the LP relaxation only slows the search
        # (DDS1 under UD4, exact rooms, 1 worker: 2.3-2.7 s without it, 13 s or none in 15 s with it)
        prm.linearization_level = 0
    prm.cp_model_presolve = presolve
    monitor.watch(solver)
    if deadline.stopped():
        return cp_model.UNKNOWN, solver
    return solver.solve(tm.model, _SolutionCallback(monitor, tm)), solver


def _solver_stats(solver: cp_model.CpSolver, tm: TimetableModel, status) -> dict:
    has_solution = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    out = {"status": solver.status_name(status), "solver_wall_time": solver.wall_time,
           "objective_is_cost": tm.objective_is_exact,
           "conflicts": solver.num_conflicts, "branches": solver.num_branches}
    if tm.objective is not None and has_solution:
        out["objective"] = solver.value(tm.objective_expr) / tm.scale
        out["bound"] = solver.best_objective_bound / tm.scale
    return out


def _pins_only(problem: Problem, pins) -> Timetable:
    """The fallback timetable when no solution was found: only pinned lectures placed."""
    tt = Timetable.empty(problem)
    for s in pins:
        tt.period[s.lecture], tt.room[s.lecture] = s.period, s.room
    return tt
