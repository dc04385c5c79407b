"""One simulated-annealing run: construction, repair of hard violations, then annealing on the cost."""

from __future__ import annotations

import numpy as np

from ... import constraints as K
from ...cost import evaluate, resolve_weights
from ...kernels.arrays import kernel_arrays
from ...kernels.full import evaluate_units
from ...kernels.incremental import new_state
from ...model import Problem, Timetable
from ..base import Deadline, SolveResult, check_pinned, rng_from
from .construct import construct, suitable_rooms
from .forward import forward_search
from .kernels import NO_FOCUS, anneal_steps, chain_buffer, in_violation
from .schedule import CYCLE_SECONDS, Schedule, cycles_for, first_share, start_temperature
from .stream import new_stream

CPSAT_REPAIR_MAX_SIZE = 40_000  # courses × periods up to which a stalled repair hands over to CP-SAT
FORWARD_STALL_PER_LECTURE = 500  # steps per lecture (at least 50,000) of the forward search without a new best
FORWARD_SHARE = 0.3  # of the time left, the most the forward search may take


def anneal(problem: Problem, *, weights=None, time_limit: float = 60.0, seed: int = 0, initial=None,
           pinned=None, progress=None, stop=None, iterations: int | None = None,
           hard_weight: float = 20.0, t0: float | None = None, t_min: float = 0.1,
           swap_rate: float = 1.0, keep_room_rate: float = 0.4, kempe_rate: float = 0.05,
           ruin_rate: float = 0.005, eject_rate: float = 0.05,
           perturbation_weight: float = 0.0,
           use_cpsat: bool = True, stage: str = "anneal", t0_factor: float = 1.0, cycles: int = 3,
           reheat: float = 0.2, cycle_seconds: float = CYCLE_SECONDS, _exchange=None) -> SolveResult:
    """One simulated-annealing run (single thread). Returns within ~0.1 s of ``stop``.

    Phases: greedy construction (unless ``initial`` is complete) → if infeasible, the iterative
    forward search (:mod:`.forward`: what clashes waits, then each waiting lecture goes where it
    sends the fewest back; ≤ :data:`FORWARD_SHARE` of the time left) → if lectures still wait,
    annealing on the hard units alone, half of the moves drawn among the lectures in violation
    (≤ 10% of the budget, counted from the start) → if it stalls, CP-SAT without objective
    (``use_cpsat``, on instances of at most :data:`CPSAT_REPAIR_MAX_SIZE` course-periods) →
    annealing on the weighted cost for the rest of the budget, in the feasible space once a
    feasible timetable is reached.

    ``kempe_rate``: the share of steps that, once feasible, trade two periods for a Kempe chain
    (:func:`~.kernels.kempe_step`). At 20 s, comp02/05/06/07, sum of means without / with 3%:
    452.0 / 434.5 and 446.75 / 445.0 (4 seeds, two runs), 464.6 / 453.4 (8 seeds); 1% 449.75,
    6% 458.0, 10% 463.25 (a chain made and undone then cost ~25 ordinary steps). Since chains are
    priced off the state (:func:`~.kernels.trade_delta`), 16 seeds: 3% 448.3, 5% 443.75 (456.5
    for the code before, same day); with the ruin steps' cheaper pricing as well, 5% 438.6.
    ``ruin_rate``: the share of steps that, once feasible, ruin and recreate a lecture's day
    (:func:`~.kernels.ruin_step`). At 20 s, comp02/05/06/07, sum of means with 0.5% / without:
    431.4 / 438.1 (seeds 17–32) and 434.5 / 442.3 (seeds 1–16); the steps take ~30% of the time (comp05).
    ``eject_rate``: the share of the moves into a single clash that, once feasible, send the
    lecture clashed with to the cheapest of 8 drawn places instead of swapping the two
    (:func:`~.kernels.eject_step`). Sum of means without / with 5%, comp02/05/06/07 at 20 s, seeds
    1–8: 428.25 / 423.25 (20%: 426.5; every period tried instead of 8 drawn: 427.0 / 425.75);
    comp05 323.0 / 314.1 and 318.9 / 314.9 in the two runs, comp02 43.9 / 47.0 and 43.25 / 46.1. At
    60 s, seeds 1–8: comp05 312.75 / 309.25 (300–341 / 300–317), comp02 41.5 / 40.1. The steps cost
    11–15% of the evaluated moves.
    ``keep_room_rate``: the share of moves that keep the lecture's room (the others draw a suitable
    room at random). At 20 s, comp02/05/06/07 × 16 seeds, sum of means: 0.2 447.0, 0.4 439.7,
    0.7 445.9 (comp06 50.6 at both ends against 47.8).
    ``cycles``: the annealing's budget is split into up to that many cycles (of equal length, but
    for a longer first one on a short budget: :func:`~.schedule.first_share`), each
    cooling from its start temperature to ``t_min``; the second and later ones start from the best
    timetable so far at ``reheat`` × ``t0`` (:meth:`~.schedule.Schedule.planned`). A cycle needs
    ``cycle_seconds`` of the annealing's time per movable lecture (:func:`~.schedule.cycles_for`;
    the first one twice that, :func:`~.schedule.first_share`),
    so a short budget or a large instance anneals in fewer cycles; a fixed ``iterations`` count
    plans all ``cycles``. With one cycle a cold, stagnating run restarts from its best at half the
    start temperature instead. At 60 s,
    seeds 1–8, means on one day, 1 cycle → 3 cycles at 0.2: comp05 322.75 → 311.9, comp02 41.25 →
    43.1, comp03 78.5 → 76.25, comp06 42.6 → 43.4, comp07 13.4 → 14.0 (sum 498.5 → 488.6); 3 cycles
    at 1.0 (each from the best, but as hot as the first): comp05 315.25, comp02 41.4. On comp05 a
    one-cycle minute's best is flat over its last quarter, so that time is better spent on two more
    descents from the best, warm enough to leave its basin but not to lose it.
    ``t0`` is the start temperature (default: measured from random moves, times ``t0_factor``).
    ``iterations`` fixes the number of annealing steps (deterministic per seed; the time limit
    still caps it); otherwise the temperature schedule spans ``time_limit``.
    """
    run = _Run(problem, weights, time_limit, seed, initial, pinned, progress, stop, iterations, hard_weight,
               swap_rate, keep_room_rate, kempe_rate, ruin_rate, eject_rate, perturbation_weight, stage, _exchange,
               cycles, reheat, cycle_seconds)
    if initial is not None and initial.n_unplaced == 0:
        start = initial.copy()
    else:
        start = construct(problem, weights=run.w_user, seed=run.rng, pinned=run.pinned if run.pinned.any() else None,
                          initial=initial, deadline=run.deadline)
        if start.n_unplaced and run.deadline.done():
            # stopped while placing lectures: the rest stay unplaced (hard violations)
            run.stopped_during = None if run.deadline.stopped() else "constructing"
            run.best_p, run.best_r = start.period.copy(), start.room.copy()
            return run.result(None)
    st = new_state(problem, start)
    run.stream = new_stream(int(run.rng.integers(2**31)))
    # CP-SAT takes over a stalled repair only where its model is small enough to help: on the
    # 2,533-course university preset (121,584 course-periods) it spends 4.2 s building the model and
    # finds nothing in 9 s more, while the focused repair gets there in 2–6 s
    use_cpsat = use_cpsat and problem.n_courses * problem.n_periods <= CPSAT_REPAIR_MAX_SIZE
    if st.units[K.HARD_MASK].sum() > 0 and len(run.movable):
        st = run.repair(st, use_cpsat)
    t0 = run.optimise(st, t0, t0_factor, t_min)
    return run.result(t0)


class _Run:
    """What the phases of one :func:`anneal` share: the problem's arrays, weights, counters, clock."""

    def __init__(self, problem, weights, time_limit, seed, initial, pinned, progress, stop, iterations,
                 hard_weight, swap_rate, keep_room_rate, kempe_rate, ruin_rate, eject_rate, perturbation_weight, stage,
                 exchange, cycles, reheat, cycle_seconds):
        if int(cycles) < 1 or not float(reheat) > 0 or not float(cycle_seconds) > 0:
            raise ValueError(f"cycles must be at least 1, reheat and cycle_seconds above 0 "
                             f"(got {cycles}, {reheat}, {cycle_seconds})")
        self.problem = problem
        self.deadline = Deadline(time_limit, stop)
        self.time_limit = time_limit
        self.stop = stop
        self.seed = seed
        self.w_user = resolve_weights(weights)
        self.w = self.w_user.copy()
        self.w[K.HARD_MASK] *= hard_weight
        self.rng = rng_from(seed)
        L = problem.n_lectures
        self.pinned = check_pinned(problem, pinned, initial)
        self.ka = kernel_arrays(problem)
        self.trace: list[tuple[float, float, int]] = []
        self.init_p = (initial.period if initial is not None else np.full(L, -1)).astype(np.int32)
        self.init_r = (initial.room if initial is not None else np.full(L, -1)).astype(np.int32)
        self.movable = np.flatnonzero(~self.pinned).astype(np.int32)
        self.suit_ptr, self.suit_idx = suitable_rooms(problem)
        self.du = np.zeros(K.N_CONSTRAINTS, np.int64)
        self.counters = np.zeros(4, np.int64)  # evaluated, accepted, improvements, skipped as infeasible
        self.stream = new_stream(0)  # the kernels' random stream (seeded from ``rng`` once constructed)
        self.progress = progress
        self.iterations = iterations
        self.swap_rate = float(swap_rate)
        self.keep_room_rate = float(keep_room_rate)
        self.kempe_rate = float(kempe_rate)
        self.ruin_rate = float(ruin_rate)
        self.eject_rate = float(eject_rate)
        self.chain = chain_buffer(problem.n_rooms)
        self.cycles = int(cycles)
        self.reheat = float(reheat)
        self.cycle_seconds = float(cycle_seconds)
        self.perturbation_weight = float(perturbation_weight)
        self.stage = stage
        self.exchange = exchange
        self.done_iters = 0
        self.last_report = -1.0
        self.schedule: Schedule | None = None
        self.adopted = 0
        self.best_p = self.best_r = None
        self.stopped_during: str | None = None  # the phase the time limit (not a user's stop) cut short
        self.cpsat_proof: list[str] | None = None  # CP-SAT's proof that no timetable exists, if it gave one

    # ------------------------------------------------------------------ reporting
    def soft_of(self, units) -> float:
        return float(units[~K.HARD_MASK] @ self.w_user[~K.HARD_MASK])

    def moved_of(self, period, room) -> int:
        return int(((self.init_p >= 0) & ((period != self.init_p) | (room != self.init_r))).sum())

    def emit(self, stage_name, units, message="", period=None, room=None) -> None:
        tt = Timetable(period.copy(), room.copy()) if period is not None else None
        ev = self.deadline.event(stage_name, self.soft_of(units), int(units[K.HARD_MASK].sum()), message, tt)
        self.trace.append((ev.elapsed, ev.best_cost, ev.hard_violations))
        if self.progress is not None:
            self.progress(ev)

    def steps(self, st, focus, w, pert_w, n, t_start, t_end, best_p, best_r, cur, best) -> None:
        anneal_steps(self.ka, st, self.movable, focus, self.suit_ptr, self.suit_idx, self.init_p, self.init_r, w,
                     pert_w, self.swap_rate, self.keep_room_rate, n, t_start, t_end, best_p, best_r, cur, best,
                     self.du, self.counters, self.stream, self.kempe_rate, self.chain, self.ruin_rate,
                     self.eject_rate)

    # ------------------------------------------------------------------ phase 1: repair
    def _repair_done(self, use_cpsat: bool, last_drop: float, last_drop_it: int, stall_s: float) -> bool:
        """The repair's own budget: 10% of the run, or a stall CP-SAT should take over."""
        if self.iterations is not None:
            return (self.done_iters >= 0.1 * self.iterations
                    or (use_cpsat and self.done_iters - last_drop_it >= 0.02 * self.iterations))
        return (self.deadline.elapsed() >= 0.1 * self.time_limit
                or (use_cpsat and self.deadline.elapsed() - last_drop >= stall_s))

    def repair(self, st, use_cpsat: bool):
        """The forward search; then, if lectures still wait, anneal on the hard units alone (soft
        costs only break ties), half of the moves among the lectures in violation; then CP-SAT
        without objective when that stalls. Returns the state."""
        st = self._forward(st)
        # what is left is usually a lecture or two the forward search cannot seat without sending
        # another back (comp05: 1-2 of 152), which this or CP-SAT seats
        w_rep = self.w_user * 0.01
        w_rep[K.HARD_MASK] = 1.0
        rep_cur = np.array([float(st.units @ w_rep), float(st.units[K.HARD_MASK].sum()), 0.0])
        rep_best = rep_cur.copy()
        rep_p, rep_r = st.period.copy(), st.room.copy()
        # when the hard count has not fallen for a while (comp05 stalls at 1–2 for seconds) CP-SAT
        # is the faster way out; with a fixed iteration count the rule is by iterations instead
        stall_s = max(1.0, 0.02 * self.time_limit)
        last_drop, last_drop_it, hard_seen = self.deadline.elapsed(), 0, rep_best[1]
        while rep_best[1] > 0 and not self.deadline.stopped():
            if self._repair_done(use_cpsat, last_drop, last_drop_it, stall_s):
                break
            self.steps(st, in_violation(self.ka, st, self.movable), w_rep, 0.0, 50_000, 0.15, 0.05, rep_p, rep_r,
                       rep_cur, rep_best)
            self.done_iters += 50_000
            if rep_best[1] < hard_seen:
                hard_seen = rep_best[1]
                last_drop, last_drop_it = self.deadline.elapsed(), self.done_iters
            if self.deadline.elapsed() - self.last_report >= 0.25:
                self.emit("repair", evaluate_units(self.ka, rep_p, rep_r), period=rep_p, room=rep_r)
                self.last_report = self.deadline.elapsed()
        st = new_state(self.problem, Timetable(rep_p, rep_r))
        if use_cpsat and st.units[K.HARD_MASK].sum() > 0 and not self.deadline.done():
            st = self._cpsat_repair(st)
        self.emit("repair", st.units, f"{int(st.units[K.HARD_MASK].sum())} hard violation(s) after repair",
                  period=st.period, room=st.room)
        self.last_report = self.deadline.elapsed()
        return st

    def _forward(self, st):
        """The iterative forward search (:mod:`.forward`) from the infeasible start, for at most
        :data:`FORWARD_SHARE` of the time left; its best timetable (some lectures perhaps
        unplaced) replaces the state when it has fewer hard units. Its steps are not annealing
        steps: a fixed ``iterations`` count is left to the annealing whole."""
        cap = self.deadline.elapsed() + FORWARD_SHARE * self.deadline.remaining()
        trial = new_state(self.problem, Timetable(st.period.copy(), st.room.copy()))
        best_p, best_r, waiting, _steps = forward_search(
            self.ka, trial, self.movable, self.suit_ptr, self.suit_idx, self.stream, self.du, self.rng,
            time_left=lambda: 0.0 if self.deadline.stopped() else min(self.deadline.remaining(),
                                                                       cap - self.deadline.elapsed()),
            stall_steps=max(50_000, FORWARD_STALL_PER_LECTURE * self.problem.n_lectures))
        found = new_state(self.problem, Timetable(best_p, best_r))
        if found.units[K.HARD_MASK].sum() >= st.units[K.HARD_MASK].sum():
            return st
        self.emit("repair", found.units, f"forward search: {waiting} lecture(s) still to place",
                  period=found.period, room=found.room)
        self.last_report = self.deadline.elapsed()
        return found

    def _cpsat_repair(self, st):
        """Still infeasible: CP-SAT without objective (comp05: feasible in ~1 s), hinted by the
        repaired timetable, with three quarters of the time left (after loading OR-tools: about a
        second the first time, so not tried with less than 1 s left); it returns at its first
        feasible timetable, so the soft phase keeps the rest.

        Three quarters, not a quarter as before: the annealing that follows seldom ends a stall
        CP-SAT could not (DDS1 under UD4: still 14-21 hard violations after 60 s), while CP-SAT's
        rounds of Hall cuts on such tight data need 1-5 s on a loaded machine (DDS1, 10 s runs: a
        quarter, 2 s, ran out on seed 2; half, 4 s, ran out in 3 of 3 benchmark runs while other
        jobs shared both cores)."""
        if 0.75 * self.deadline.remaining() < 0.75:
            return st
        from ...errors import InfeasibleError
        from ..cpsat import solve_cpsat  # OR-tools loads only when a repair needs it

        budget = min(0.75 * self.deadline.remaining(), 60.0)
        start = Timetable(st.period.copy(), st.room.copy())
        try:
            cp = solve_cpsat(self.problem, time_limit=budget, seed=int(self.rng.integers(2**31)), initial=start,
                             pinned=self.pinned if self.pinned.any() else None, stop=self.stop, workers=1,
                             objective="feasibility")
        except InfeasibleError as exc:
            # no timetable exists: the annealing goes on minimising the violations it cannot avoid
            self.cpsat_proof = exc.diagnosis
            return st
        if cp.hard_violations < int(st.units[K.HARD_MASK].sum()):
            return new_state(self.problem, cp.timetable)
        return st

    # ------------------------------------------------------------------ phase 2: the cost
    def _chunk(self, loop_start: float, loop_iters: int, now: float) -> tuple[float, int, float] | None:
        """The next chunk ``(start fraction, steps, end fraction)``, or None when the budget is spent;
        ``loop_iters`` were done since ``loop_start``."""
        if self.iterations is not None:
            if self.done_iters >= self.iterations or now >= self.time_limit:
                return None
            n = min(20_000, self.iterations - self.done_iters)
            return self.done_iters / self.iterations, n, (self.done_iters + n) / self.iterations
        if now >= self.time_limit:
            return None
        # chunks of ~0.05 s at the speed measured in this loop (the repair's steps are timed
        # elsewhere: counting them made the first chunk 2 million steps, 8 s on an infeasible
        # instance with a 2 s limit), never longer than the time left
        rate = loop_iters / (now - loop_start) if loop_iters > 0 and now > loop_start else 0.0
        if rate <= 0:
            n, rate = 1000, 2e5  # a first, short chunk measures the speed
        else:
            n = int(max(100, min(rate * min(0.05, self.time_limit - now), 2_000_000)))
        return now / self.time_limit, n, min(1.0, (now + n / rate) / self.time_limit)

    def optimise(self, st, t0, t0_factor: float, t_min: float) -> float | None:
        """Anneal on the weighted cost for the rest of the budget (each cycle from ``t_hi`` down to
        ``t_min``; a cycle that stagnates while cold restarts from the best timetable with a lower
        starting temperature). Keeps the best in ``best_p``/``best_r``; returns the start temperature."""
        moved0 = self.moved_of(st.period, st.room)
        cur = np.array([float(st.units @ self.w) + self.perturbation_weight * moved0,
                        float(st.units[K.HARD_MASK].sum()), moved0], np.float64)
        best = cur.copy()
        self.best_p, self.best_r = st.period.copy(), st.room.copy()
        if len(self.movable) == 0:
            self.emit(self.stage, st.units, "every lecture is pinned")
            return t0
        if t0 is None:
            t0 = start_temperature(self.problem, self.ka, st, self.movable, self.suit_ptr, self.suit_idx, self.w,
                                   self.du, self.rng) * t0_factor
        loop_start = self.deadline.elapsed()
        start = min(1.0, self.done_iters / self.iterations if self.iterations is not None
                    else loop_start / self.time_limit)
        if self.iterations is not None:
            cycles, first = self.cycles, None
        else:
            seconds = self.time_limit - loop_start
            cycles = cycles_for(seconds, len(self.movable), self.cycles, self.cycle_seconds)
            first = first_share(seconds, len(self.movable), cycles, self.cycle_seconds)
        self.schedule = Schedule.planned(t0, t_min, start, cycles, first)
        loop_iters0 = self.done_iters
        last_best_change = loop_start
        best_seen = (best[1], best[0])
        next_meet = 0
        while not self.deadline.stopped():
            chunk = self._chunk(loop_start, self.done_iters - loop_iters0, self.deadline.elapsed())
            if chunk is None:
                break
            frac0, n, frac1 = chunk
            if self.schedule.cycle_due(frac0):
                st = self._from_best(cur, best)
                self.schedule.next_cycle(frac0, t0 * self.reheat)
            ta, tb = self.schedule.window(frac0, frac1)
            infeasible = cur[1] > 0
            focus = in_violation(self.ka, st, self.movable) if infeasible else NO_FOCUS
            self.steps(st, focus, self.w, self.perturbation_weight, n, ta, tb, self.best_p, self.best_r, cur, best)
            if infeasible and cur[1] == 0:
                # feasible from here on: a fresh state names every room's occupant again (double
                # bookings can leave an occupied room unnamed, hiding it from swaps and chains)
                st = new_state(self.problem, Timetable(st.period.copy(), st.room.copy()))
            self.done_iters += n
            now = self.deadline.elapsed()
            if self.exchange is not None and next_meet < len(self.exchange[0].POINTS) \
                    and frac1 >= self.exchange[0].POINTS[next_meet]:
                next_meet += 1
                st = self._meet(st, cur, best)
            if (best[1], best[0]) < best_seen:
                best_seen = (best[1], best[0])
                last_best_change = now
            if self.iterations is None and self.schedule.stagnated(idle=now - last_best_change, now=now,
                                                                  time_limit=self.time_limit, ta=ta):
                st = self._from_best(cur, best)
                self.schedule.restart(now / self.time_limit)
                last_best_change = now
            if now - self.last_report >= 0.25:
                self.emit(self.stage, evaluate_units(self.ka, self.best_p, self.best_r), period=self.best_p,
                          room=self.best_r)
                self.last_report = now
        return t0

    def _from_best(self, cur, best):
        """A fresh state at the best timetable so far (a new cycle starts from there)."""
        cur[:] = best
        return new_state(self.problem, Timetable(self.best_p.copy(), self.best_r.copy()))

    def _meet(self, st, cur, best):
        """A portfolio meeting point: continue from the best annealer's timetable when it is better."""
        hard_o, total_o, p_o, r_o = self.exchange[0].meet(self.exchange[1], best[1], best[0], self.best_p,
                                                          self.best_r)
        if (hard_o, total_o) >= (best[1], best[0] - 1e-9):
            return st
        self.best_p[:] = p_o
        self.best_r[:] = r_o
        best[0], best[1] = total_o, hard_o
        best[2] = self.moved_of(self.best_p, self.best_r)
        cur[:] = best
        self.adopted += 1
        return new_state(self.problem, Timetable(self.best_p.copy(), self.best_r.copy()))

    # ------------------------------------------------------------------ the result
    def result(self, t0) -> SolveResult:
        final = Timetable(self.best_p.copy(), self.best_r.copy())
        rep = evaluate(self.problem, final, self.w_user)
        message = "done" if self.stopped_during is None else f"done: the time limit ran out while {self.stopped_during}"
        ev = self.deadline.event(self.stage, rep.soft_cost, rep.hard_violations, message, final.copy())
        self.trace.append((ev.elapsed, ev.best_cost, ev.hard_violations))
        if self.progress is not None:
            self.progress(ev)
        c = self.counters
        extra = {"stopped_during": self.stopped_during} if self.stopped_during else {}
        if self.cpsat_proof:
            extra["infeasible"] = self.cpsat_proof
        return SolveResult(
            timetable=final, report=rep, strategy="local",
            seed=int(self.seed) if not isinstance(self.seed, np.random.Generator) else -1,
            elapsed=self.deadline.elapsed(), trace=self.trace, stopped=self.deadline.stopped(),
            stats={"iterations": int(c[0]), "skipped_infeasible": int(c[3]), "accepted": int(c[1]),
                   "improvements": int(c[2]), "restarts": self.schedule.restarts if self.schedule else 0,
                   "cycles": self.schedule.cycles if self.schedule else 0,
                   "adopted": self.adopted, "t0": float(t0) if t0 is not None else 0.0,
                   "moved_lectures": self.moved_of(final.period, final.room),
                   "iterations_per_s": float(c[0] / max(self.deadline.elapsed(), 1e-9)), **extra},
        )
