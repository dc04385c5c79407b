"""The GA's operators on the incremental state: crossovers, repair, mutation, memetic annealing, selection.

Each is a plain function of a :class:`~tt_core.solvers.ga.population.Context`, the parents or the
state, and one ``numpy.random.Generator`` (numba kernels are seeded from it before each use).
"""

from __future__ import annotations

from operator import attrgetter

import numpy as np
from numba import njit

from ... import constraints as K
from ...constraints import AVAILABILITY, CONFLICTS, ROOM_OCCUPATION, ROOM_SUITABILITY, STUDENT_CLASHES
from ...kernels.incremental import KState, apply_move, apply_swap, delta_move, delta_swap, new_state
from ...model import Timetable
from ..base import Deadline, in_chunks
from ..local_search import (
    NO_FOCUS,
    anneal_steps,
    hard_units,
    in_violation,
    new_stream,
    room_free,
    seed_kernels,
    weighted_sum,
)
from .context import Context, hard_of


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
                    if not room_free(st, r, p, length):
                        continue
                    if tried > 0 and st.course_room[c, r] == 0:
                        continue
                    tried += 1
                    delta_move(ka, st, l, p, r, du)
                    v = weighted_sum(du, w) + np.random.random() * 1e-6  # random tie-break
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
                        if room_free(st, suit_idx[k], p, length):
                            r = suit_idx[k]
                            break
                    delta_move(ka, st, l, p, r, du)
                    v = weighted_sum(du, w) + np.random.random() * 1e-6
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
        hard = hard_units(du)
        if hard > 0:
            continue
        if l2 >= 0:
            apply_swap(ka, st, l, l2, du)
        else:
            apply_move(ka, st, l, p, r, du)
        done += 1
    return done


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

    The re-insertion costs up to ``2 × periods`` deltas a lecture: with a ``deadline`` it runs in
    chunks and stops there, leaving the rest unplaced.
    """
    pb = ctx.problem
    st = new_state(pb, Timetable(period, room))
    seed_kernels(int(rng.integers(2**31)))
    for _round in range(rounds + 1):
        _eject(ctx.ka, st, rng.permutation(pb.n_lectures).astype(np.int32), ctx.movable_mask, ctx.du)
        todo = np.flatnonzero((st.period < 0) & ctx.movable_mask)
        if not len(todo):
            break
        key = ctx.difficulty[todo] + rng.random(len(todo)) * 1e-3
        order = todo[np.argsort(key, kind="stable")].astype(np.int32)
        forced = [0]

        # in_chunks calls it before the loop moves on: the defaults only bind this round's arrays
        def reinsert(lo: int, hi: int, order: np.ndarray = order, forced: list[int] = forced) -> None:
            forced[0] += _reinsert(ctx.ka, st, order[lo:hi], ctx.suit_ptr, ctx.suit_idx, ctx.w_hard, ctx.du)

        in_chunks(reinsert, len(order), deadline)
        if forced[0] == 0 or (deadline is not None and deadline.done()):
            break
    if hard_of(st) > 0 and ctx.settings.repair_iterations > 0:
        st = hard_anneal(ctx, st, rng, ctx.settings.repair_iterations, deadline)
    return st


def hard_anneal(ctx: Context, st: KState, rng: np.random.Generator, iterations: int,
                deadline: Deadline | None = None) -> KState:
    """Anneal on hard units (soft costs as tie-breaks) until feasible or ``iterations`` are spent;
    returns the state of the best timetable seen."""
    pb = ctx.problem
    stream = new_stream(int(rng.integers(2**31)))
    cur = np.array([float(st.units @ ctx.w_repair), float(hard_of(st)), 0.0])
    best = cur.copy()
    best_p, best_r = st.period.copy(), st.room.copy()
    counters = np.zeros(4, np.int64)
    done = 0
    while best[1] > 0 and done < iterations and not (deadline is not None and deadline.done()):
        n = min(20_000, iterations - done)
        anneal_steps(ctx.ka, st, ctx.movable, in_violation(ctx.ka, st, ctx.movable), ctx.suit_ptr, ctx.suit_idx,
                ctx.no_initial, ctx.no_initial, ctx.w_repair, 0.0, 1.0, 0.4, n, 0.15, 0.05, best_p, best_r, cur, best,
                ctx.du, counters, stream, 0.0, NO_FOCUS)  # no Kempe chains; the annealer's own signature
        done += n
    if not (np.array_equal(best_p, st.period) and np.array_equal(best_r, st.room)):
        st = new_state(pb, Timetable(best_p, best_r))
    return st


def mutate(ctx: Context, st: KState, rng: np.random.Generator, moves: int) -> int:
    """Apply ``moves`` random moves/swaps that add no hard violation (in place); returns how many."""
    if moves <= 0 or len(ctx.movable) == 0:
        return 0
    seed_kernels(int(rng.integers(2**31)))
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
    ``local_search.anneal_steps``: moves and swaps, feasible-space filter, hard units weighted by
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
    stream = new_stream(int(rng.integers(2**31)))
    cur = np.array([float(st.units @ ctx.w_hard), float(hard_of(st)), 0.0])
    best = cur.copy()
    best_p, best_r = st.period.copy(), st.room.copy()
    counters = np.zeros(4, np.int64)
    done = 0
    while done < iterations and not deadline.done():
        n = min(5_000, iterations - done)
        ta = hot * (cold / hot) ** (done / iterations)
        tb = hot * (cold / hot) ** ((done + n) / iterations)
        anneal_steps(ctx.ka, st, ctx.movable, NO_FOCUS, ctx.suit_ptr, ctx.suit_idx, ctx.no_initial, ctx.no_initial,
                ctx.w_hard, 0.0, 1.0, 0.4, n, ta, tb, best_p, best_r, cur, best, ctx.du, counters, stream, 0.0,
                NO_FOCUS)
        done += n
    if temperatures is None:
        return best_p, best_r, int(counters[0])
    return st.period.copy(), st.room.copy(), int(counters[0])


def tournament(population: list, rng: np.random.Generator, size: int):
    """The fittest of ``size`` individuals drawn with replacement (DEAP's ``selTournament`` with
    our generator instead of the ``random`` module)."""
    picks = rng.integers(len(population), size=size)
    return max((population[i] for i in picks), key=attrgetter("fitness"))
