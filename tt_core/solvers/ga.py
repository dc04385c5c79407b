"""Memetic genetic algorithm (DEAP) with an island model on Dask.

An individual is a timetable: a ``(2, L)`` int32 array, row 0 the start period and row 1 the room of
every lecture. One generation:

1. **selection** — tournaments (``tournament`` individuals, lexicographic fitness);
2. **crossover** — *course-wise* (each course takes all its lectures' placements from one parent)
   or *day-wise* (per course, one parent's lectures on a random subset of days and the other
   parent's on the remaining days), then a **repair** on the incremental evaluator: lectures in
   a hard violation are ejected (only those whose removal lowers the clash/room/availability
   units), and every unplaced lecture is re-inserted at its cheapest *hard-feasible* (period,
   room) by exact delta, hardest lectures first; should none be free, the cheapest placement by
   ``hard_weight × hard + soft`` is taken and a short hard-only annealing finishes the job;
3. **mutation** — a few random moves/swaps that do not add a hard violation (exact deltas of
   ``kernels.incremental``);
4. **memetic improvement** — ``local_iterations`` steps of local search's simulated annealing
   kernel on every child (Lamarckian). With ``temperature="clock"`` (default) all children of a
   generation anneal over the same window of *one* geometric schedule spanning the whole budget,
   so every lineage is a slowly cooled annealing run and the GA adds selection and recombination
   between runs (population annealing); ``"restart"`` anneals each child from a fixed hot
   temperature down and keeps its best. On comp07 at 10 s, "clock" reached 85 where "restart"
   reached 153 (same settings otherwise);
5. **fitness** — one batch evaluation of all children per generation
   (:func:`tt_core.kernels.gpu.batch_evaluate`: numba, or CuPy on a GPU); fitness is the
   lexicographic pair ``(hard units, weighted soft cost)``, both minimised;
6. **replacement** — the ``elite`` best survive unchanged, the children fill the rest.

The first population is the greedy construction (repaired; CP-SAT feasibility when it stays
infeasible) plus copies diversified by random feasibility-keeping moves, each briefly annealed.

The defaults (8 individuals, 200k annealing steps per child, day-wise crossover taking 20% of
the days from the second parent) were picked on comp07/comp01/comp05 at 10 s: larger populations
with shorter annealing, and mixing half of the courses, did worse (see ``benchmarks/ga.py``).

Pinned lectures are never ejected, moved or inherited differently (both parents hold their
pinned placement). All randomness comes from one ``numpy.random.Generator`` (numba kernels are
seeded from it before each use), so ``islands=1`` with a fixed ``generations`` gives the same
timetable for the same seed.

Islands on Dask
---------------
``islands=N > 1`` runs :func:`run_island` — a top-level function ``(problem, seed, params) ->
summary`` — as N Dask tasks (on ``client``, on ``TT_DASK_SCHEDULER`` when set, else on a private
``LocalCluster(N, threads_per_worker=1, processes=True)``). The islands talk through three kinds of
scheduler-side objects of ``distributed``, all named after the run:

* **migrants** — one ``distributed.Queue`` per island, in a ring: every ``migration_interval``
  generations island *i* puts its ``migrants`` best individuals (bytes + fitness, a few KB) on the
  queue of island *i+1* and takes whatever waits in its own queue (``get(batch=True)``, never
  blocking); immigrants replace the worst individuals. A queue was chosen because each migrant is
  delivered exactly once and buffered until the (possibly busy) receiver asks, without a barrier
  between islands. A ``Variable`` keeps only the last value, so a slow island would miss
  migrants and two senders would overwrite each other; Pub/Sub no longer exists in
  ``distributed`` (and dropped messages sent before a subscriber existed).
* **progress** — one shared ``Queue`` the islands put small dicts on (at most every 0.25 s); the
  caller drains it and emits one merged ``ProgressEvent`` stream (best over islands) at least
  every 0.5 s.
* **stop** — one ``distributed.Event``, set by the caller when its time is up or the user's
  ``stop`` is set; every island polls it (throttled to every 0.2 s), so all stop within ~0.5 s.
"""

from __future__ import annotations

import math
import os
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from operator import attrgetter
from typing import Callable

import numpy as np
from deap import base, creator, tools
from numba import njit

from .. import constraints as K
from ..constraints import AVAILABILITY, CONFLICTS, ROOM_OCCUPATION, ROOM_SUITABILITY, STUDENT_CLASHES
from ..cost import evaluate, resolve_weights
from ..errors import TimetableError
from ..kernels.arrays import kernel_arrays
from ..kernels.gpu import batch_evaluate, weighted
from ..kernels.incremental import KState, apply_move, apply_swap, delta_move, delta_swap, new_state
from ..model import Problem, Timetable
from .base import Deadline, SolveResult, rng_from
from .local_search import NO_FOCUS, _anneal, _seed, _suitable_csr, _weighted, construct, in_violation

# DEAP classes are created once, at import, so that Dask workers (which import this module to run
# ``run_island``) can unpickle individuals; a second ``creator.create`` would warn.
if not hasattr(creator, "TimetableFitness"):
    creator.create("TimetableFitness", base.Fitness, weights=(-1.0, -1.0))  # (hard, soft), minimised
if not hasattr(creator, "TimetableIndividual"):
    creator.create("TimetableIndividual", np.ndarray, fitness=creator.TimetableFitness)

STAGE = "ga"
CROSSOVERS = ("course", "day")


@dataclass(frozen=True)
class GASettings:
    """Settings of one island (all plain values, stored next to each result)."""

    population: int = 8
    generations: int | None = None        # None: run until the time limit
    crossover: str = "day"                # "day" or "course"
    crossover_rate: float = 0.8
    crossover_fraction: float = 0.2      # share of courses (course-wise) or days (day-wise) from parent b
    mutation_moves: int = 3
    tournament: int = 3
    elite: int = 2
    local_iterations: int = 200_000       # memetic annealing steps per child (0: pure GA)
    local_t0: float | None = None         # start temperature of the memetic annealing (None: auto)
    temperature: str = "clock"            # "clock": one schedule for the population; "restart": per child
    init_iterations: int = 20_000         # annealing steps per individual of the first population
    init_walk: float = 0.1                # random feasible moves (x lectures) that diversify it
    repair_iterations: int = 100_000      # hard-only annealing budget when greedy repair fails
    hard_weight: float = 20.0
    use_cpsat: bool = True                # CP-SAT feasibility start when the greedy one is infeasible
    migration_interval: int = 5
    migrants: int = 2
    backend: str | None = None            # batch fitness back end (None: hardware.batch_backend())

    def check(self) -> None:
        errors = []
        if self.population < 2:
            errors.append(f"population must be at least 2, got {self.population}")
        if not 0 <= self.elite < self.population:
            errors.append(f"elite must be between 0 and population - 1 ({self.population - 1}), got {self.elite}")
        if self.tournament < 1:
            errors.append(f"tournament size must be at least 1, got {self.tournament}")
        if self.crossover not in CROSSOVERS:
            errors.append(f"crossover must be one of {', '.join(CROSSOVERS)}, got {self.crossover!r}")
        if not 0.0 <= self.crossover_fraction <= 1.0:
            errors.append(f"crossover fraction must be between 0 and 1, got {self.crossover_fraction}")
        if not 0.0 <= self.crossover_rate <= 1.0:
            errors.append(f"crossover rate must be between 0 and 1, got {self.crossover_rate}")
        if self.temperature not in ("clock", "restart"):
            errors.append(f"temperature must be 'clock' or 'restart', got {self.temperature!r}")
        if self.migration_interval < 1:
            errors.append(f"migration interval must be at least 1 generation, got {self.migration_interval}")
        if self.generations is not None and self.generations < 0:
            errors.append(f"generations must not be negative, got {self.generations}")
        for name in ("mutation_moves", "local_iterations", "init_iterations", "repair_iterations", "migrants"):
            if getattr(self, name) < 0:
                errors.append(f"{name.replace('_', ' ')} must not be negative, got {getattr(self, name)}")
        if errors:
            raise TimetableError("invalid GA settings: " + "; ".join(errors))


# ----------------------------------------------------------------------------- context


class Context:
    """Per-process, per-problem arrays the operators share (built once per solve or island)."""

    def __init__(self, problem: Problem, weights, pinned: np.ndarray, settings: GASettings):
        self.problem = problem
        self.settings = settings
        self.ka = kernel_arrays(problem)
        self.w_user = resolve_weights(weights)
        self.w_hard = self.w_user.copy()
        self.w_hard[K.HARD_MASK] *= settings.hard_weight
        # repair annealing: hard units dominate, soft costs only break ties (as in local search)
        self.w_repair = self.w_user * 0.01
        self.w_repair[K.HARD_MASK] = 1.0
        self.pinned = pinned
        self.movable_mask = ~pinned
        self.movable = np.flatnonzero(~pinned).astype(np.int32)
        self.suit_ptr, self.suit_idx = _suitable_csr(problem)
        L = problem.n_lectures
        self.no_initial = np.full(L, -1, np.int32)
        lc = problem.lecture_course
        avail = (~problem.unavailable).sum(axis=1)[lc]
        degree = problem.conflict.sum(axis=1)[lc]
        self.difficulty = avail / (1.0 + degree)  # low = hard to place (as in construct)
        self.du = np.zeros(K.N_CONSTRAINTS, np.int64)
        self.local_t0 = settings.local_t0
        self.t0: float | None = None  # local search's start temperature, estimated on first use

    def individual(self, period: np.ndarray, room: np.ndarray):
        """A DEAP individual (fitness not yet valid) from period and room arrays."""
        return creator.TimetableIndividual([np.asarray(period, np.int32), np.asarray(room, np.int32)])


def hard_of(st: KState) -> int:
    return int(st.units[K.HARD_MASK].sum())


# ----------------------------------------------------------------------------- numba kernels


@njit(cache=True)
def _eject(ka, st, order, movable_mask, du):
    """Unplace every movable lecture that is not taught or whose removal lowers a clash, room or
    availability violation (visiting lectures in ``order``); returns how many were ejected."""
    k = 0
    for i in range(order.shape[0]):
        l = order[i]
        if not movable_mask[l] or st.period[l] < 0:
            continue
        if st.taught[l]:
            delta_move(ka, st, l, -1, -1, du)
            if du[CONFLICTS] + du[AVAILABILITY] + du[ROOM_OCCUPATION] + du[ROOM_SUITABILITY] \
                    + du[STUDENT_CLASHES] >= 0:
                continue
        apply_move(ka, st, l, -1, -1, du)
        k += 1
    return k


@njit(cache=True, inline="always")
def _slot_free(ka, st, c, p, length):
    """Course ``c`` may start an (unplaced) lecture at ``p`` without a clash or unavailability."""
    for q in range(p, p + length):
        if ka.unavailable[c, q] or st.all_cover[c, q] > 0:
            return False
        for j in range(ka.conf_ptr[c], ka.conf_ptr[c + 1]):
            if st.course_cover[ka.conf_idx[j], q] > 0:
                return False
    return True


@njit(cache=True, inline="always")
def _room_free(st, r, p, length):
    for q in range(p, p + length):
        if st.room_cnt[r, q] > 0:
            return False
    return True


@njit(cache=True)
def _reinsert(ka, st, lectures, suit_ptr, suit_idx, w, du):
    """Place each unplaced lecture at its cheapest hard-feasible (period, room) by exact delta;
    without one, at the cheapest placement under ``w`` (hard terms weighted). Returns the number
    of lectures that found no hard-feasible place."""
    ppd = ka.ppd
    forced = 0
    for i in range(lectures.shape[0]):
        l = lectures[i]
        if st.period[l] >= 0:
            continue
        c = ka.lecture_course[l]
        length = ka.course_length[c]
        best_v = 1e300
        best_p = -1
        best_r = -1
        for d in range(ka.n_days):
            for s in range(ppd - length + 1):
                p = d * ppd + s
                if not _slot_free(ka, st, c, p, length):
                    continue
                # rooms tightest-fitting first: the first free one, plus a free room the course
                # already uses (room stability) — as the greedy construction does
                tried = 0
                for k in range(suit_ptr[c], suit_ptr[c + 1]):
                    r = suit_idx[k]
                    if not _room_free(st, r, p, length):
                        continue
                    if tried > 0 and st.course_room[c, r] == 0:
                        continue
                    tried += 1
                    delta_move(ka, st, l, p, r, du)
                    v = _weighted(du, w) + np.random.random() * 1e-6  # random tie-break
                    if v < best_v:
                        best_v = v
                        best_p = p
                        best_r = r
                    if tried >= 2:
                        break
        if best_p < 0:
            forced += 1
            for d in range(ka.n_days):
                for s in range(ppd - length + 1):
                    p = d * ppd + s
                    if st.all_cover[c, p] > 0:
                        continue
                    r = suit_idx[suit_ptr[c]]
                    for k in range(suit_ptr[c], suit_ptr[c + 1]):
                        if _room_free(st, suit_idx[k], p, length):
                            r = suit_idx[k]
                            break
                    delta_move(ka, st, l, p, r, du)
                    v = _weighted(du, w) + np.random.random() * 1e-6
                    if v < best_v:
                        best_v = v
                        best_p = p
                        best_r = r
            if best_p < 0:  # the course teaches in every start period already
                best_p = np.random.randint(ka.n_days) * ppd + np.random.randint(ppd - length + 1)
                best_r = suit_idx[suit_ptr[c]]
        apply_move(ka, st, l, best_p, best_r, du)
    return forced


@njit(cache=True)
def _mutate(ka, st, movable, movable_mask, suit_ptr, suit_idx, n_moves, max_tries, du):
    """Apply up to ``n_moves`` random moves (or swaps with the lecture in the target room) that
    add no hard violation; returns the number applied."""
    ppd = ka.ppd
    n_mov = movable.shape[0]
    done = 0
    if n_mov == 0:
        return 0
    for _ in range(max_tries):
        if done >= n_moves:
            break
        l = movable[np.random.randint(n_mov)]
        c = ka.lecture_course[l]
        length = ka.course_length[c]
        p = np.random.randint(ka.n_days) * ppd + np.random.randint(ppd - length + 1)
        r = suit_idx[suit_ptr[c] + np.random.randint(suit_ptr[c + 1] - suit_ptr[c])]
        p0 = st.period[l]
        r0 = st.room[l]
        if p == p0 and r == r0:
            continue
        l2 = -1
        if p0 >= 0 and st.room_cnt[r, p] == 1:
            cand = st.room_lec[r, p]
            if (cand >= 0 and cand != l and movable_mask[cand] and st.period[cand] == p and st.room[cand] == r
                    and ka.lecture_course[cand] != c and ka.course_length[ka.lecture_course[cand]] == length):
                l2 = cand
        if l2 >= 0:
            delta_swap(ka, st, l, l2, du)
        else:
            delta_move(ka, st, l, p, r, du)
        hard = 0
        for k in range(K.N_HARD):
            hard += du[k]
        if hard > 0:
            continue
        if l2 >= 0:
            apply_swap(ka, st, l, l2, du)
        else:
            apply_move(ka, st, l, p, r, du)
        done += 1
    return done


# ----------------------------------------------------------------------------- operators


def course_crossover(ctx: Context, a: np.ndarray, b: np.ndarray, rng: np.random.Generator):
    """Each course takes the placements of all its lectures from parent ``b`` with probability
    ``crossover_fraction``, else from ``a``.

    Returns ``(period, room)``; pinned lectures keep ``a``'s (equal in every individual).
    """
    take_a = rng.random(ctx.problem.n_courses) >= ctx.settings.crossover_fraction
    mask = take_a[ctx.problem.lecture_course] | ctx.pinned
    return np.where(mask, a[0], b[0]).astype(np.int32), np.where(mask, a[1], b[1]).astype(np.int32)


def day_crossover(ctx: Context, a: np.ndarray, b: np.ndarray, rng: np.random.Generator):
    """Per course: ``b``'s lectures on a random subset of the days (each day with probability
    ``crossover_fraction``), ``a``'s on the other days.

    A course may so get more placements than lectures (extras dropped at random) or fewer (the
    rest left unplaced for the repair). Pinned lectures keep their placement and their periods
    are not reused. Returns ``(period, room)``.
    """
    pb = ctx.problem
    ppd = pb.periods_per_day
    days_a = rng.random(pb.days) >= ctx.settings.crossover_fraction
    period = np.full(pb.n_lectures, -1, np.int32)
    room = np.full(pb.n_lectures, -1, np.int32)
    ptr = pb.course_lecture_ptr
    for c in range(pb.n_courses):
        ls = np.arange(ptr[c], ptr[c + 1])
        pin = ctx.pinned[ls]
        period[ls[pin]] = a[0, ls[pin]]
        room[ls[pin]] = a[1, ls[pin]]
        free = ls[~pin]
        if not len(free):
            continue
        pa, ra = a[0, free], a[1, free]
        pb_, rb = b[0, free], b[1, free]
        ka_ = (pa >= 0) & days_a[np.maximum(pa, 0) // ppd]
        kb_ = (pb_ >= 0) & ~days_a[np.maximum(pb_, 0) // ppd]
        cand_p = np.concatenate([pa[ka_], pb_[kb_]])
        cand_r = np.concatenate([ra[ka_], rb[kb_]])
        _, first = np.unique(cand_p, return_index=True)  # one lecture per period
        keep = first[~np.isin(cand_p[first], period[ls[pin]])]
        if len(keep) > len(free):
            keep = rng.choice(keep, len(free), replace=False)
        keep = np.sort(keep)
        period[free[:len(keep)]] = cand_p[keep]
        room[free[:len(keep)]] = cand_r[keep]
    return period, room


def repair(ctx: Context, period: np.ndarray, room: np.ndarray, rng: np.random.Generator,
           deadline: Deadline | None = None, rounds: int = 30) -> KState:
    """Incremental state of ``(period, room)`` made hard-feasible where it can be.

    1. eject the movable lectures involved in a hard violation (random order: of two clashing
       lectures, one goes);
    2. re-insert every unplaced movable lecture, hardest first, at its cheapest hard-feasible
       (period, room); a lecture with no such place takes the cheapest one under
       ``hard_weight x hard + soft`` and the lectures it then clashes with are ejected and
       re-inserted in the next round (a randomised ejection chain, at most ``rounds`` rounds);
    3. if hard violations remain, a hard-only annealing of at most ``repair_iterations`` steps.
    """
    pb = ctx.problem
    st = new_state(pb, Timetable(period, room))
    _seed(int(rng.integers(2**31)))
    for k in range(rounds + 1):
        _eject(ctx.ka, st, rng.permutation(pb.n_lectures).astype(np.int32), ctx.movable_mask, ctx.du)
        todo = np.flatnonzero((st.period < 0) & ctx.movable_mask)
        if not len(todo):
            break
        key = ctx.difficulty[todo] + rng.random(len(todo)) * 1e-3
        order = todo[np.argsort(key, kind="stable")].astype(np.int32)
        forced = _reinsert(ctx.ka, st, order, ctx.suit_ptr, ctx.suit_idx, ctx.w_hard, ctx.du)
        if forced == 0 or (deadline is not None and deadline.done()):
            break
    if hard_of(st) > 0 and ctx.settings.repair_iterations > 0:
        st = hard_anneal(ctx, st, rng, ctx.settings.repair_iterations, deadline)
    return st


def hard_anneal(ctx: Context, st: KState, rng: np.random.Generator, iterations: int,
                deadline: Deadline | None = None) -> KState:
    """Anneal on hard units (soft costs as tie-breaks) until feasible or ``iterations`` are spent;
    returns the state of the best timetable seen."""
    pb = ctx.problem
    _seed(int(rng.integers(2**31)))
    cur = np.array([float(st.units @ ctx.w_repair), float(hard_of(st)), 0.0])
    best = cur.copy()
    best_p, best_r = st.period.copy(), st.room.copy()
    counters = np.zeros(4, np.int64)
    done = 0
    while best[1] > 0 and done < iterations and not (deadline is not None and deadline.done()):
        n = min(20_000, iterations - done)
        _anneal(ctx.ka, st, ctx.movable, in_violation(ctx.ka, st, ctx.movable), ctx.suit_ptr, ctx.suit_idx,
                ctx.no_initial, ctx.no_initial, ctx.w_repair, 0.0, 1.0, 0.4, n, 0.15, 0.05, best_p, best_r, cur, best,
                ctx.du, counters)
        done += n
    if not (np.array_equal(best_p, st.period) and np.array_equal(best_r, st.room)):
        st = new_state(pb, Timetable(best_p, best_r))
    return st


def mutate(ctx: Context, st: KState, rng: np.random.Generator, moves: int) -> int:
    """Apply ``moves`` random moves/swaps that add no hard violation (in place); returns how many."""
    if moves <= 0 or len(ctx.movable) == 0:
        return 0
    _seed(int(rng.integers(2**31)))
    return int(_mutate(ctx.ka, st, ctx.movable, ctx.movable_mask, ctx.suit_ptr, ctx.suit_idx, int(moves),
                       int(50 * moves), ctx.du))


def estimate_t0(ctx: Context, st: KState, rng: np.random.Generator) -> float:
    """Start temperature as local search picks it: 0.4 x the median uphill soft step of 200 random
    moves, clipped to [0.5, 10]."""
    pb = ctx.problem
    soft = ~K.HARD_MASK
    samples = []
    for _ in range(200):
        l = int(ctx.movable[rng.integers(len(ctx.movable))])
        c = pb.lecture_course[l]
        p = int(rng.integers(pb.days)) * pb.periods_per_day + int(
            rng.integers(pb.periods_per_day - pb.course_length[c] + 1))
        r = int(ctx.suit_idx[ctx.suit_ptr[c] + rng.integers(ctx.suit_ptr[c + 1] - ctx.suit_ptr[c])])
        delta_move(ctx.ka, st, l, p, r, ctx.du)
        v = float(ctx.du[soft] @ ctx.w_hard[soft])
        if v > 0:
            samples.append(v)
    return float(np.clip(0.4 * np.median(samples), 0.5, 10.0)) if samples else 2.0


def improve(ctx: Context, period: np.ndarray, room: np.ndarray, rng: np.random.Generator, iterations: int,
            deadline: Deadline, temperatures: tuple[float, float] | None = None
            ) -> tuple[np.ndarray, np.ndarray, int]:
    """Memetic step: ``iterations`` steps of local search's simulated annealing (its kernel
    ``local_search._anneal``: moves and swaps, feasible-space filter, hard units weighted by
    ``hard_weight``), the temperature falling geometrically.

    Without ``temperatures``: from ``local_t0`` (default half of local search's start
    temperature) to 0.1, returning the best timetable seen (never worse than the start). With
    ``temperatures=(hot, cold)``: that window of a schedule shared by the whole population
    (``temperature="clock"``), returning the *final* state — a lineage then behaves like one
    annealing run, selection and crossover acting between runs (population annealing).

    The kernel is called directly rather than through ``solve_local(..., iterations=N)``: for the
    short runs a GA makes, ``solve_local``'s set-up (suitable-room table, two state builds, final
    evaluation) costs ~6 ms per call on comp07, as much as 6,000 annealing steps (measured).
    Returns ``(period, room, annealing steps evaluated)``.
    """
    if iterations <= 0 or len(ctx.movable) == 0 or deadline.done():
        return period, room, 0
    st = new_state(ctx.problem, Timetable(period, room))
    if ctx.t0 is None:
        ctx.t0 = estimate_t0(ctx, st, rng)
    if temperatures is None:
        # a short run from local search's start temperature mostly undoes the parent's structure;
        # half of it kept more of it (measured on comp07)
        hot = ctx.local_t0 if ctx.local_t0 is not None else 0.5 * ctx.t0
        hot, cold = max(hot, 0.11), 0.1
    else:
        hot, cold = temperatures
    _seed(int(rng.integers(2**31)))
    cur = np.array([float(st.units @ ctx.w_hard), float(hard_of(st)), 0.0])
    best = cur.copy()
    best_p, best_r = st.period.copy(), st.room.copy()
    counters = np.zeros(4, np.int64)
    done = 0
    while done < iterations and not deadline.done():
        n = min(5_000, iterations - done)
        ta = hot * (cold / hot) ** (done / iterations)
        tb = hot * (cold / hot) ** ((done + n) / iterations)
        _anneal(ctx.ka, st, ctx.movable, NO_FOCUS, ctx.suit_ptr, ctx.suit_idx, ctx.no_initial, ctx.no_initial,
                ctx.w_hard, 0.0, 1.0, 0.4, n, ta, tb, best_p, best_r, cur, best, ctx.du, counters)
        done += n
    if temperatures is None:
        return best_p, best_r, int(counters[0])
    return st.period.copy(), st.room.copy(), int(counters[0])


def tournament(population: list, rng: np.random.Generator, size: int):
    """The fittest of ``size`` individuals drawn with replacement (DEAP's ``selTournament`` with
    our generator instead of the ``random`` module)."""
    picks = rng.integers(len(population), size=size)
    return max((population[i] for i in picks), key=attrgetter("fitness"))


def evaluate_population(ctx: Context, individuals: list) -> None:
    """Set the fitness of every individual with ONE batch evaluation call."""
    if not individuals:
        return
    stack = np.stack([np.asarray(ind) for ind in individuals])
    units = batch_evaluate(ctx.problem, stack[:, 0], stack[:, 1], backend=ctx.settings.backend)
    hard, soft = weighted(units, ctx.w_user)
    for ind, h, s in zip(individuals, hard, soft):
        ind.fitness.values = (float(h), float(s))


# ----------------------------------------------------------------------------- one island


class Exchange:
    """Migration channel of an island (no-op for a single population)."""

    def send(self, migrants: list[dict]) -> None:  # noqa: D401 - hook
        pass

    def receive(self) -> list[dict]:
        return []


def _encode(ind, island: int, generation: int) -> dict:
    arr = np.asarray(ind, np.int32)
    return {"period": arr[0].astype("<i4").tobytes(), "room": arr[1].astype("<i4").tobytes(),
            "hard": float(ind.fitness.values[0]), "soft": float(ind.fitness.values[1]),
            "island": int(island), "generation": int(generation)}


def _decode(ctx: Context, msg: dict):
    ind = ctx.individual(np.frombuffer(msg["period"], "<i4"), np.frombuffer(msg["room"], "<i4"))
    ind.fitness.values = (float(msg["hard"]), float(msg["soft"]))
    return ind


def initial_population(ctx: Context, rng: np.random.Generator, deadline: Deadline, initial: Timetable | None,
                       heartbeat: Callable[[str], None]) -> tuple[list, int]:
    """The first population and the annealing steps it took.

    Individual 0: ``initial`` when complete, else the greedy construction, repaired (and, when
    still infeasible and ``use_cpsat``, a CP-SAT feasibility run). The others: individual 0 after
    ``init_walk x L`` random feasibility-keeping moves (diversity). Each is then annealed for
    ``init_iterations`` steps.
    """
    pb, s = ctx.problem, ctx.settings
    if initial is not None and initial.n_unplaced == 0:
        start = initial.copy()
    else:
        start = construct(pb, weights=ctx.w_user, seed=rng, pinned=ctx.pinned if ctx.pinned.any() else None,
                          initial=initial, hard_weight=s.hard_weight)
    heartbeat("initial population: construction")
    st = repair(ctx, start.period, start.room, rng, deadline)
    if hard_of(st) > 0 and s.use_cpsat and not deadline.done():
        from .cpsat import solve_cpsat

        budget = min(0.25 * deadline.remaining(), 60.0)
        if budget >= 0.5:
            heartbeat("initial population: CP-SAT feasibility")
            cp = solve_cpsat(pb, time_limit=budget, seed=int(rng.integers(2**31)),
                             initial=Timetable(st.period.copy(), st.room.copy()),
                             pinned=ctx.pinned if ctx.pinned.any() else None, stop=deadline.stop, workers=1,
                             objective="feasibility", progress=lambda ev: heartbeat("initial population: CP-SAT"))
            if cp.hard_violations < hard_of(st):
                st = new_state(pb, cp.timetable)
    base_p, base_r = st.period.copy(), st.room.copy()
    population = []
    steps = 0
    for i in range(s.population):
        if i > 0 and deadline.done():
            break
        if i == 0:
            p, r = base_p.copy(), base_r.copy()
        else:
            walk = new_state(pb, Timetable(base_p, base_r))
            mutate(ctx, walk, rng, max(1, int(s.init_walk * pb.n_lectures)))
            p, r = walk.period.copy(), walk.room.copy()
        p, r, n = improve(ctx, p, r, rng, s.init_iterations, deadline)
        steps += n
        population.append(ctx.individual(p, r))
        heartbeat(f"initial population: {i + 1}/{s.population}")
    return population, steps


def breed(ctx: Context, population: list, rng: np.random.Generator, deadline: Deadline,
          temperatures: tuple[float, float] | None = None) -> tuple[object, int]:
    """One child: tournament parents, crossover + repair (or a copy), mutation, memetic step
    (``temperatures`` as for :func:`improve`).

    Returns ``(individual without fitness, annealing steps)``.
    """
    s = ctx.settings
    a = tournament(population, rng, s.tournament)
    if rng.random() < s.crossover_rate:
        b = tournament(population, rng, s.tournament)
        cross = course_crossover if s.crossover == "course" else day_crossover
        p, r = cross(ctx, np.asarray(a), np.asarray(b), rng)
        st = repair(ctx, p, r, rng, deadline)
    else:
        arr = np.asarray(a)
        st = new_state(ctx.problem, Timetable(arr[0].copy(), arr[1].copy()))
    mutate(ctx, st, rng, s.mutation_moves)
    p, r, steps = improve(ctx, st.period.copy(), st.room.copy(), rng, s.local_iterations, deadline, temperatures)
    return ctx.individual(p, r), steps


def evolve(ctx: Context, rng: np.random.Generator, deadline: Deadline, *, initial: Timetable | None,
           on_progress: Callable[[dict], None], exchange: Exchange, island: int = 0) -> dict:
    """Run one population until ``generations``, the time limit or the stop flag.

    ``on_progress`` receives a dict (island, generation, hard, soft, evaluations, stage, message)
    at least every 0.25 s. Returns the summary :func:`run_island` hands back.
    """
    s = ctx.settings
    cpu0 = time.process_time()
    stats = {"evaluations": 0, "local_iterations": 0, "generations": 0, "migrants_sent": 0,
             "migrants_received": 0, "batch_calls": 0, "batch_seconds": 0.0}
    hof = tools.HallOfFame(1, similar=np.array_equal)
    history: list[tuple[float, float, int]] = []
    last = [-1.0]

    def best_values():
        if len(hof):
            h, v = hof[0].fitness.values
            return int(h), float(v)
        return -1, math.inf

    def emit(stage: str, message: str = "", force: bool = False):
        now = deadline.elapsed()
        if not force and now - last[0] < 0.25:
            return
        last[0] = now
        hard, soft = best_values()
        on_progress({"island": island, "generation": stats["generations"], "hard": hard, "soft": soft,
                     "evaluations": stats["evaluations"], "elapsed": now, "stage": stage, "message": message})

    def fitness(individuals):
        t = time.perf_counter()
        evaluate_population(ctx, individuals)
        stats["batch_seconds"] += time.perf_counter() - t
        stats["batch_calls"] += 1
        stats["evaluations"] += len(individuals)
        hof.update(individuals)
        h, v = best_values()
        history.append((deadline.elapsed(), v, h))

    population, steps = initial_population(ctx, rng, deadline, initial, lambda msg: emit(STAGE, msg))
    stats["local_iterations"] += steps
    fitness(population)
    emit(STAGE, "initial population evaluated", force=True)
    first = best_values()
    if s.temperature == "clock" and ctx.t0 is None and s.local_iterations > 0 and len(ctx.movable):
        arr = np.asarray(population[0])
        ctx.t0 = estimate_t0(ctx, new_state(ctx.problem, Timetable(arr[0], arr[1])), rng)
    # temperature="clock": every child of a generation anneals over the same window of one
    # schedule T(f) = T0 (0.1/T0)^f, f = share of the budget (time, or generations when fixed)
    span = 1.0 / s.generations if s.generations else max(0.01, deadline.fraction() / 2)
    while not deadline.done() and (s.generations is None or stats["generations"] < s.generations):
        elite = tools.selBest(population, s.elite)
        children = []
        f0 = stats["generations"] / s.generations if s.generations else deadline.fraction()
        temps = None
        if s.temperature == "clock" and ctx.t0 is not None:
            temps = (ctx.t0 * (0.1 / ctx.t0) ** min(1.0, f0), ctx.t0 * (0.1 / ctx.t0) ** min(1.0, f0 + span))
        for _ in range(len(population) - s.elite):
            if deadline.done():
                break
            child, steps = breed(ctx, population, rng, deadline, temps)
            stats["local_iterations"] += steps
            children.append(child)
            emit(STAGE, f"generation {stats['generations'] + 1}")
        if children:
            fitness(children)  # one batch call for the whole generation
        if len(children) == len(population) - s.elite:
            population = elite + children
        else:  # stopped part-way: keep the best of old and new
            population = tools.selBest(population + children, len(population))
        stats["generations"] += 1
        if not s.generations:
            span = max(0.005, deadline.fraction() - f0)
        if exchange is not None and s.migrants > 0 and stats["generations"] % s.migration_interval == 0:
            out = [_encode(ind, island, stats["generations"]) for ind in tools.selBest(population, s.migrants)]
            exchange.send(out)
            stats["migrants_sent"] += len(out)
            incoming = [_decode(ctx, m) for m in exchange.receive()]
            if incoming:
                incoming = tools.selBest(incoming, min(len(incoming), len(population) - s.elite))
                population = tools.selBest(population, len(population) - len(incoming)) + incoming
                hof.update(incoming)
                stats["migrants_received"] += len(incoming)
        emit(STAGE, f"generation {stats['generations']}")
    best = np.asarray(hof[0]).copy()
    hard, soft = best_values()
    emit(STAGE, "done", force=True)
    return {"island": island, "period": best[0], "room": best[1], "hard": hard, "soft": soft,
            "first_hard": first[0], "first_soft": first[1], "history": history, "elapsed": deadline.elapsed(),
            "stopped": deadline.stopped(), "cpu_seconds": time.process_time() - cpu0, **stats}


# ----------------------------------------------------------------------------- Dask islands


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


def _dask_client(client, n_workers: int, heartbeat: Callable[[str], None], stopped: Callable[[], bool]):
    """``(client, owned cluster or None, owned client or None)``: the given client, a client of
    ``TT_DASK_SCHEDULER``, or a private ``LocalCluster`` of ``n_workers`` single-thread processes;
    ``None`` when ``stopped()`` became true first.

    The cluster starts in a helper thread (seconds on a busy machine) while ``heartbeat`` is
    called every 0.25 s, so progress keeps flowing and a stop is answered at once (the helper
    then closes what it started).
    """
    from distributed import Client, LocalCluster

    if client is not None:
        return client, None, None
    address = os.environ.get("TT_DASK_SCHEDULER", "").strip()
    box: dict = {}
    lock = threading.Lock()

    def start() -> None:
        try:
            if address:
                box["client"] = Client(address)
            else:
                # dashboard off; its HTTP server (health checks) on a free port, not 8787
                box["cluster"] = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                              dashboard_address=None, scheduler_kwargs={"dashboard_address": ":0"})
                box["client"] = Client(box["cluster"])
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc
        with lock:
            if box.get("abandoned"):
                _close(box.get("client"), box.get("cluster"))

    # not a daemon: an abandoned start still closes its cluster before the interpreter exits
    thread = threading.Thread(target=start, name="tt-ga-dask-start")
    thread.start()
    while thread.is_alive():
        if stopped():
            with lock:
                box["abandoned"] = True
                if not thread.is_alive():
                    _close(box.get("client"), box.get("cluster"))
            return None
        heartbeat(f"connecting to {address}" if address else f"starting a local Dask cluster of {n_workers} workers")
        thread.join(0.25)
    if "error" in box:
        _close(None, box.get("cluster"))
        raise box["error"]
    return box["client"], box.get("cluster"), box["client"]


def _warm_driver(problem: Problem, w: np.ndarray) -> None:
    evaluate(problem, Timetable.empty(problem), w)
    _backend_name()


def _close(client, cluster) -> None:
    if client is not None:
        client.close()
    if cluster is not None:
        cluster.close()


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

    from .. import hardware

    deadline = Deadline(time_limit, stop)
    merger = _Merger(problem, deadline, islands, progress)
    n_workers = workers or islands
    merger.emit(f"starting {islands} islands")
    got = _dask_client(client, n_workers, lambda msg: merger.emit(msg, force=False), deadline.done)
    if got is None:  # stopped (or out of time) before the cluster was up: a greedy timetable
        merger.emit("stopped while the Dask cluster was starting")
        tt = construct(problem, weights=w, seed=rng, pinned=pinned if pinned is not None and pinned.any() else None,
                       initial=initial, hard_weight=settings.hard_weight)
        return tt, merger.trace, {"islands": islands, "evaluations": 0, "evaluations_per_s": 0.0,
                                  "generations": [], "stopped_during_startup": True}
    client, own_cluster, own_client = got
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
            numba_threads = max(1, hardware.cpu_cores() // max(1, slots)) if own_cluster is not None else 1
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
        if own_client is not None:
            # closing a LocalCluster takes seconds on a busy machine: do it in a helper thread,
            # keep reporting meanwhile, and after a user's stop return without waiting for it
            closer = threading.Thread(target=_close, args=(own_client, own_cluster), name="tt-ga-dask-close")
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
                 dask_cluster="private LocalCluster" if own_cluster is not None else "given client / TT_DASK_SCHEDULER",
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


# ----------------------------------------------------------------------------- front door


def solve_ga(problem: Problem, *, weights=None, time_limit: float = 60.0, seed: int = 0, initial=None, pinned=None,
             progress=None, stop=None, population: int = 8, islands: int = 1, client=None, workers: int | None = None,
             migration_interval: int = 5, migrants: int = 2, generations: int | None = None,
             crossover: str = "day", crossover_rate: float = 0.8, crossover_fraction: float = 0.2,
             mutation_moves: int = 3, tournament: int = 3, elite: int = 2, local_iterations: int = 200_000,
             local_t0: float | None = None, temperature: str = "clock", init_iterations: int = 20_000,
             init_walk: float = 0.1,
             repair_iterations: int = 100_000, hard_weight: float = 20.0,
             use_cpsat: bool = True, backend: str | None = None, numba_threads: int | None = None) -> SolveResult:
    """Memetic GA, on one population or on ``islands`` Dask islands (see the module docstring).

    Parameters
    ----------
    problem, weights, time_limit, seed, initial, pinned, progress, stop
        As for :func:`tt_core.solvers.solve`. Same seed, ``islands=1`` and a fixed
        ``generations`` give the same timetable.
    population : int
        Individuals per island.
    islands : int
        1 (without ``client``/``workers``): run here, in this process. Otherwise one Dask task
        per island (on ``client``, else ``TT_DASK_SCHEDULER``, else a private ``LocalCluster`` of
        ``workers`` processes).
    client : distributed.Client, optional
        Cluster to run the islands on.
    workers : int, optional
        Processes of the private ``LocalCluster`` (default: ``islands``).
    migration_interval, migrants : int
        Every ``migration_interval`` generations each island sends its ``migrants`` best to the
        next island of the ring.
    generations : int, optional
        Stop after this many generations (the time limit still applies).
    crossover : {"course", "day"}
    crossover_rate, crossover_fraction, mutation_moves, tournament, elite
        Operator settings (rate of crossover vs copy, share of courses/days from the second
        parent, random moves per child, tournament size, survivors per generation).
    local_iterations, local_t0 : int, float
        Memetic annealing steps per child (0: pure GA) and its start temperature (None: half of
        local search's estimate).
    init_iterations, init_walk, repair_iterations : int, float, int
        Annealing steps per first-population individual; random moves (times the number of
        lectures) that diversify it; hard-only annealing budget of a repair.
    hard_weight : float
        Weight of a hard unit in the repair's fallback placement and the memetic annealing.
    use_cpsat : bool
        Use a CP-SAT feasibility run when the greedy start stays infeasible after repair.
    backend : {"numba", "cupy", "numpy"}, optional
        Batch fitness back end (default: :func:`tt_core.hardware.batch_backend`).
    numba_threads : int, optional
        numba threads per island process (default: cores / Dask worker threads).

    Returns
    -------
    SolveResult
        Strategy ``"ga"``; ``stats`` holds evaluations (and per second), generations per island,
        annealing steps, migrants sent/received, and the batch evaluation time.
    """
    settings = GASettings(population=population, generations=generations, crossover=crossover,
                          crossover_rate=crossover_rate, crossover_fraction=crossover_fraction,
                          mutation_moves=mutation_moves, tournament=tournament,
                          elite=elite, local_iterations=local_iterations, local_t0=local_t0, temperature=temperature,
                          init_iterations=init_iterations, init_walk=init_walk, repair_iterations=repair_iterations,
                          hard_weight=hard_weight, use_cpsat=use_cpsat, migration_interval=migration_interval,
                          migrants=migrants, backend=backend)
    settings.check()
    if islands < 1:
        raise TimetableError(f"islands must be at least 1, got {islands}")
    w = resolve_weights(weights)
    L = problem.n_lectures
    if pinned is not None:
        pinned = np.asarray(pinned, bool)
        if pinned.shape != (L,):
            raise TimetableError(f"pinned must have one flag per lecture ({L}), got shape {pinned.shape}")
        if pinned.any() and initial is None:
            raise TimetableError("pinned lectures need an initial timetable that says where they are pinned")
    if initial is not None:
        initial.check_shape(problem)
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


def _backend_name() -> str:
    from ..hardware import batch_backend

    return batch_backend()


__all__ = ["GASettings", "solve_ga", "run_island", "course_crossover", "day_crossover", "repair", "mutate",
           "improve", "tournament", "evaluate_population", "evolve", "Context"]
