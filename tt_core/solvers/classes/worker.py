"""One search run on a class problem: sectioning, construction, then the alternating search.

The phases (each a numba loop called in chunks of about 0.1 s, so the clock and the user's stop
are polled often):

1. **start** — pinned classes at their given values; the other given placements where they do
   not conflict; the given sectioning where it is whole; everyone else sectioned by
   :func:`~.sectioning.section_all` (students grouped by course sets, first fit);
2. **construct** — iterative forward search with conflict-based statistics until every class is
   placed (:mod:`.construction`): the first valid timetable;
3. **search** — simulated annealing over times and rooms (:mod:`.search`) with the sectioning
   fixed, interrupted every few seconds by student moves with the times fixed
   (:func:`~.sectioning.improve`), after which the pair graph is rebuilt — the alternation of
   cpsolver's solver. The temperature falls over the remaining time; a run that stays cold
   without improving restarts from the best at half the temperature.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from ...classes.kernels import init_state, weighted_total
from ...classes.model import ClassSolution
from . import sectioning as sec
from .attendance import build_attendance, with_pairs
from .conflicts import do_move, hard_conflicts, new_work, sync_unassigned
from .construction import ifs_run, place_initial, place_pinned
from .search import anneal, sample_uphill


@dataclass
class Settings:
    """Knobs of a run (one setting for every instance: measured on the public ones)."""

    walk_prob: float = 0.02        # construction: chance of a random value instead of the best
    cbs_weight: float = 2.0        # construction: weight of the conflict statistics (cpsolver: 2000/1000)
    eject_prob: float = 0.3        # search: chance of trying an ejection chain for a conflicting value
    node_cap: int = 400            # sectioning: branch-and-bound nodes per request
    partners: int = 8              # sectioning: random swap partners tried per request
    student_every: float = 3.0     # seconds of time/room search between student phases (at least)
    student_share: float = 0.15    # … and the share of the search time the student phases get
    t_end_ratio: float = 1e-3      # last temperature / first temperature of a cycle
    chunk: float = 0.1             # seconds per numba call


@njit(cache=True)
def seed_numba(seed):
    """Seed numba's generator of the calling thread (each thread has its own)."""
    np.random.seed(seed)


@njit(cache=True)
def force_place(ka, dm, st, at, w):
    """Place every unassigned class at its least conflicting value, without ejecting anything:
    the result has hard violations, but the report then says where (used when the construction
    ran out of time)."""
    for i in range(w.un_n[0] - 1, -1, -1):
        c = w.un_list[i]
        if dm.pinned[c]:
            continue
        nt = ka.time_ptr[c + 1] - ka.time_ptr[c]
        has_rooms = ka.room_ptr[c + 1] > ka.room_ptr[c]
        bt, bo, bs = -1, -1, 1 << 40
        for t in range(nt):
            for oi in range(dm.nro[c]):
                v = dm.vptr[c] + t * dm.nro[c] + oi
                o = oi if has_rooms else -1
                n, group, blocked = hard_conflicts(ka, dm, st, w, c, t, o)
                score = n + group + (0 if dm.valid[v] else 1)
                if score < bs:
                    bt, bo, bs = t, o, score
        if bt >= 0:
            do_move(ka, st, at, w, c, bt, bo)


class Pacer:
    """Iterations per numba call, adjusted so that a call lasts about ``target`` seconds."""

    def __init__(self, n: int, target: float):
        self.n = max(1, int(n))
        self.target = target

    def update(self, seconds: float) -> None:
        if seconds <= 0:
            self.n = self.n * 4
        else:
            self.n = int(min(self.n * 4, max(self.n / 4, self.n * self.target / seconds)))
        self.n = max(1, self.n)


@dataclass
class Best:
    """The best complete assignment so far (hard violations first, then the weighted total)."""

    hard: int = 1 << 60
    total: int = 1 << 62
    time: np.ndarray | None = None
    ropt: np.ndarray | None = None
    enrollment: sec.Enrollment | None = None
    trace: list = field(default_factory=list)

    def better(self, hard: int, total: int) -> bool:
        return (hard, total) < (self.hard, self.total)


class Run:
    """One worker's search (see the module docstring). ``clock`` is a
    :class:`~tt_core.solvers.base.Deadline`; ``report(run, stage)`` is called between chunks."""

    def __init__(self, problem, ka, dm, sa, *, seed: int, clock, settings: Settings | None = None,
                 initial: ClassSolution | None = None, report=None, board=None):
        self.problem, self.ka, self.dm, self.sa = problem, ka, dm, sa
        self.seed = int(seed)
        self.clock = clock
        self.settings = settings or Settings()
        self.initial = initial
        self.report = report or (lambda run, stage: None)
        self.board = board
        self.best = Best()
        self.n_values = int(dm.vptr[-1])
        self.stats: dict = {"time_to_valid": None, "ifs_iterations": 0, "anneal_iterations": 0,
                            "anneal_accepted": 0, "ejection_chains": 0, "student_phases": 0,
                            "student_gain": 0, "restarts": 0, "adopted": 0}
        self.stage = "start"
        self.unassigned = problem.n_classes

    # ------------------------------------------------------------------ helpers
    def total(self) -> int:
        return int(weighted_total(self.ka, self.st.units)) + int(self.ka.weights[3]) * int(self.at.conflicts[0])

    def hard(self) -> int:
        """Hard units of the current timetable (sectioning is kept valid apart)."""
        return int(self.st.units[:4].sum())

    def _lists(self, en):
        return sec.student_lists(self.problem, self.sa, en)

    def _new_pairs(self):
        ptr, cls = self._lists(self.en)
        self.at = with_pairs(self.ka, self.at, ptr, cls)

    def _keep_if_best(self) -> bool:
        if self.w.un_n[0] != 0:
            return False
        hard, total = self.hard(), self.total()
        if not self.best.better(hard, total):
            return False
        self.best.hard, self.best.total = hard, total
        self.best.time, self.best.ropt = self.st.time.copy(), self.st.ropt.copy()
        self.best.enrollment = sec.copy_enrollment(self.en)
        self.best.trace.append((self.clock.elapsed(), float(total), hard))
        return True

    def solution(self, meta=None) -> ClassSolution:
        """The best solution (or the current assignment when nothing complete was found)."""
        if self.best.time is not None:
            time_, ropt, en = self.best.time, self.best.ropt, self.best.enrollment
        else:
            time_, ropt, en = self.st.time, self.st.ropt, self.en
        ptr, cls = self._lists(en)
        sol = ClassSolution(time=np.ascontiguousarray(time_, np.int32), room=np.ascontiguousarray(ropt, np.int32),
                            student_ptr=ptr, student_classes=cls,
                            meta=tuple((str(k), str(v)) for k, v in (meta or {}).items()))
        sol.check(self.problem)
        return sol

    # ------------------------------------------------------------------ phases
    def start(self) -> None:
        p, ka, dm, sa = self.problem, self.ka, self.dm, self.sa
        seed_numba(self.seed)
        C = p.n_classes
        empty = np.zeros(p.n_students + 1, np.int32)
        self.st = init_state(ka, np.full(C, -1, np.int32), np.full(C, -1, np.int32), empty, np.zeros(0, np.int32))
        self.at = build_attendance(ka, self.st.time, self.st.ropt, empty, np.zeros(0, np.int32))
        self.w = new_work(C)
        sync_unassigned(ka, self.st, self.w)
        self.sc = sec.new_scratch(sa)
        if self.initial is not None:
            t0 = np.ascontiguousarray(self.initial.time, np.int32)
            o0 = np.ascontiguousarray(self.initial.room, np.int32)
            place_pinned(ka, dm, self.st, self.at, self.w, t0, o0)
            order = np.argsort(dm.difficulty, kind="stable").astype(np.int32)
            place_initial(ka, dm, self.st, self.at, self.w, t0, o0, order)
            self.en = sec.enrollment_from_lists(p, sa, self.initial.student_ptr, self.initial.student_classes)
        else:
            self.en = sec.new_enrollment(p, sa)
        over = sec.section_all(ka, sa, self.en, self.at, sec.grouped_order(p), self.settings.node_cap, self.sc)
        self.stats["sectioning_over_limit"] = int(over)
        if over:
            self.stats["sectioning_excess"] = int(sec.repair_limits(ka, sa, self.en, self.at, self.settings.node_cap,
                                                                    self.sc, 10))
        self._new_pairs()
        self.unassigned = int(self.w.un_n[0])

    def construct(self) -> bool:
        """Forward search until every class is placed (True) or the clock runs out (False)."""
        self.stage = "construct"
        ka, dm, st, at, w, s = self.ka, self.dm, self.st, self.at, self.w, self.settings
        pace = Pacer(20, s.chunk)
        best_left, best_time, best_ropt = None, None, None
        first = True
        # one chunk at least, even past the deadline (the first call may have spent the budget
        # loading numba's cache): a tiny instance is then placed rather than forced; a user's stop
        # is obeyed at once
        while (first and not self.clock.stopped()) or not self.clock.done():
            first = False
            t0 = time.perf_counter()
            it, left = ifs_run(ka, dm, st, at, w, pace.n, s.walk_prob, s.cbs_weight, self.n_values)
            pace.update(time.perf_counter() - t0)
            self.stats["ifs_iterations"] += int(it)
            self.unassigned = int(left)
            if best_left is None or left < best_left:
                best_left, best_time, best_ropt = left, st.time.copy(), st.ropt.copy()
            if left == 0:
                break
            self.report(self, "construct")
        if self.unassigned > 0:
            # out of time: back to the most complete assignment, the rest placed with violations
            if best_time is not None:
                self._load(best_time, best_ropt, self.en)
            force_place(ka, dm, self.st, self.at, self.w)
            self.unassigned = int(self.w.un_n[0])
            self.best.hard, self.best.total = 1 << 60, 1 << 62
            self._keep_any()
            return False
        self.stats["time_to_valid"] = self.clock.elapsed()
        self._keep_if_best()
        return True

    def _keep_any(self) -> None:
        self.best.hard, self.best.total = self.hard(), self.total()
        self.best.time, self.best.ropt = self.st.time.copy(), self.st.ropt.copy()
        self.best.enrollment = sec.copy_enrollment(self.en)
        self.best.trace.append((self.clock.elapsed(), float(self.best.total), self.best.hard))

    def _load(self, time_, ropt, en) -> None:
        """Make ``(time_, ropt, en)`` the current state (a fresh kernel state and pair graph)."""
        p, ka = self.problem, self.ka
        empty = np.zeros(p.n_students + 1, np.int32)
        self.st = init_state(ka, time_, ropt, empty, np.zeros(0, np.int32))
        self.en = sec.copy_enrollment(en)
        ptr, cls = self._lists(self.en)
        self.at = build_attendance(ka, self.st.time, self.st.ropt, ptr, cls)
        sync_unassigned(ka, self.st, self.w)

    def students(self, seconds: float) -> int:
        """Student moves for about ``seconds`` (times fixed); returns the conflicts removed."""
        if self.sa.n_requests == 0:
            return 0
        ka, sa, s = self.ka, self.sa, self.settings
        end = time.perf_counter() + seconds
        gain = 0
        pace = getattr(self, "_student_pace", None) or Pacer(200, s.chunk)
        self._student_pace = pace
        while time.perf_counter() < end and not self.clock.done():
            t0 = time.perf_counter()
            gain += int(sec.improve(ka, sa, self.en, self.at, pace.n, s.node_cap, s.partners, self.sc))
            pace.update(time.perf_counter() - t0)
        self._new_pairs()
        self.stats["student_phases"] += 1
        self.stats["student_gain"] += gain
        return gain

    def optimise(self) -> None:
        """Alternate annealing over times and rooms with student phases until the clock runs out."""
        self.stage = "search"
        ka, dm, s = self.ka, self.dm, self.settings
        self.students(min(2.0, 0.05 * self.clock.remaining()))
        self._keep_if_best()
        ups = sample_uphill(ka, dm, self.st, self.at, self.w, 300)
        t_hi = float(np.median(ups)) if ups.size else 10.0
        t_lo = max(0.05, t_hi * s.t_end_ratio)
        begin = self.clock.elapsed()
        span = max(1e-6, self.clock.time_limit - begin)
        cycle_start = 0.0
        pace = Pacer(1000, s.chunk)
        last_students = time.perf_counter()
        last_improve = self.clock.elapsed()
        bt = np.empty_like(self.st.time)
        bo = np.empty_like(self.st.ropt)
        while not self.clock.done():
            frac = (self.clock.elapsed() - begin) / span
            c_span = max(1e-6, 1.0 - cycle_start)
            ta = t_hi * (t_lo / t_hi) ** min(1.0, (frac - cycle_start) / c_span)
            tb = t_hi * (t_lo / t_hi) ** min(1.0, (frac + s.chunk / span - cycle_start) / c_span)
            bt[:] = self.st.time
            bo[:] = self.st.ropt
            cur_best = self.best.total if self.best.hard == 0 else 1 << 62
            t0 = time.perf_counter()
            found, acc, imp, chains = anneal(ka, dm, self.st, self.at, self.w, pace.n, ta, tb, s.eject_prob,
                                             self.n_values, bt, bo, cur_best)
            pace.update(time.perf_counter() - t0)
            self.stats["anneal_iterations"] += pace.n
            self.stats["anneal_accepted"] += int(acc)
            self.stats["ejection_chains"] += int(chains)
            if imp and found < cur_best:
                self.best.hard, self.best.total = 0, int(found)
                self.best.time, self.best.ropt = bt.copy(), bo.copy()
                self.best.enrollment = sec.copy_enrollment(self.en)
                self.best.trace.append((self.clock.elapsed(), float(found), 0))
                last_improve = self.clock.elapsed()
            now = time.perf_counter()
            since = now - last_students
            if since >= s.student_every and not self.clock.done():
                self.students(min(self.clock.remaining(), since * s.student_share / (1 - s.student_share)))
                if self._keep_if_best():
                    last_improve = self.clock.elapsed()
                last_students = time.perf_counter()
            if self.board is not None and self.board.offer(self):
                self.stats["adopted"] += 1
                last_improve = self.clock.elapsed()
            # cold and stuck for a while: a new cycle from the best, at half the temperature
            idle = self.clock.elapsed() - last_improve
            if (idle > 0.15 * span and ta < 0.2 * t_hi and frac < 0.85 and self.best.time is not None):
                self._load(self.best.time, self.best.ropt, self.best.enrollment)
                cycle_start = frac
                t_hi = max(4 * t_lo, 0.5 * t_hi)
                last_improve = self.clock.elapsed()
                self.stats["restarts"] += 1
            self.report(self, "search")
