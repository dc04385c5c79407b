"""Greedy construction: every unplaced lecture, hardest first, at its cheapest (period, room) by exact delta.

With a :class:`~tt_core.solvers.base.Deadline` the lectures are placed in chunks of about 0.05 s
(:func:`~tt_core.solvers.base.in_chunks`) and the construction stops at the deadline, leaving the
rest unplaced: one lecture costs up to ``2 × periods`` deltas, which on a long week (2,016
periods, 1,200 lectures: 4.4 s) adds up to more than a short time limit.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ... import constraints as K
from ...cost import resolve_weights
from ...errors import TimetableError
from ...kernels.arrays import kernel_arrays
from ...kernels.incremental import apply_move, delta_move, new_state
from ...model import Problem, Timetable
from ..base import Deadline, in_chunks, rng_from
from .kernels import seed_kernels, weighted_sum


@njit(cache=True, nogil=True)
def _construct(ka, st, order, suit_ptr, suit_idx, w, du):
    """Greedy start: each lecture (hardest first) to the cheapest (period, room) by delta."""
    ppd = ka.ppd
    for i in range(order.shape[0]):
        l = order[i]
        c = ka.lecture_course[l]
        length = ka.course_length[c]
        best_v = 1e300
        best_p = -1
        best_r = -1
        for d in range(ka.n_days):
            for s in range(ppd - length + 1):
                p = d * ppd + s
                if st.all_cover[c, p] > 0:
                    continue
                # rooms are ordered tightest-fitting first: try the first free one, and a room
                # the course already uses (room stability), not every room (large instances)
                tried = 0
                for k in range(suit_ptr[c], suit_ptr[c + 1]):
                    r = suit_idx[k]
                    if st.room_cnt[r, p] > 0:
                        continue
                    if tried > 0 and st.course_room[c, r] == 0:
                        continue
                    tried += 1
                    delta_move(ka, st, l, p, r, du)
                    v = weighted_sum(du, w)
                    if v < best_v:
                        best_v = v
                        best_p = p
                        best_r = r
                    if tried >= 2:
                        break
        if best_p < 0:  # nowhere free: take any period and room
            best_p = np.random.randint(ka.n_days) * ppd + np.random.randint(ppd - length + 1)
            best_r = suit_idx[suit_ptr[c] + np.random.randint(suit_ptr[c + 1] - suit_ptr[c])]
        apply_move(ka, st, l, best_p, best_r, du)


def suitable_rooms(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    """Each course's suitable rooms as CSR ``(ptr, idx)``, tightest-fitting first; refuses a course with none."""
    suit = problem.suitable
    empty = np.flatnonzero(~suit.any(axis=1))
    if len(empty):
        raise TimetableError(f"course {problem.course_names[empty[0]]} has no suitable room (room type/"
                             "features); fix its requirements or add a room")
    # rooms ordered by capacity, so the construction tries tight rooms first
    order = np.argsort(problem.room_capacity, kind="stable")
    ptr = np.zeros(problem.n_courses + 1, np.int32)
    idx = []
    for c in range(problem.n_courses):
        rooms = [int(r) for r in order if suit[c, r]]
        fitting = [r for r in rooms if problem.room_capacity[r] >= problem.course_students[c]]
        idx += fitting + [r for r in rooms if r not in fitting][::-1]
        ptr[c + 1] = len(idx)
    return ptr, np.asarray(idx, np.int32)


def construct(problem: Problem, *, weights=None, seed: int = 0, pinned=None, initial=None,
              hard_weight: float = 100.0, deadline: Deadline | None = None) -> Timetable:
    """Greedy construction (hardest lectures first, cheapest placement by exact delta).

    With ``deadline`` it stops when the deadline is reached (time or a user's stop) and leaves the
    lectures it did not get to unplaced (period and room -1); otherwise it places every lecture.
    Same seed, same timetable, with or without a deadline that is not reached.
    """
    ka = kernel_arrays(problem)
    w = resolve_weights(weights).copy()
    w[K.HARD_MASK] *= hard_weight
    start = initial.copy() if initial is not None else Timetable.empty(problem)
    if pinned is not None and initial is not None:
        keep = np.asarray(pinned, bool)
        start.period[~keep] = -1
        start.room[~keep] = -1
    elif initial is None:
        pass
    st = new_state(problem, start)
    rng = rng_from(seed)
    todo = np.flatnonzero(st.period < 0)
    # difficulty: few available start periods and many conflicts first; ties broken at random
    c_of = problem.lecture_course[todo]
    avail = (~problem.unavailable).sum(axis=1)[c_of]
    degree = problem.conflict.sum(axis=1)[c_of]
    key = avail / (1.0 + degree) + rng.random(len(todo)) * 1e-3
    order = todo[np.argsort(key, kind="stable")].astype(np.int32)
    suit_ptr, suit_idx = suitable_rooms(problem)
    seed_kernels(int(rng.integers(2**31)))
    du = np.zeros(K.N_CONSTRAINTS, np.int64)
    in_chunks(lambda lo, hi: _construct(ka, st, order[lo:hi], suit_ptr, suit_idx, w, du), len(order), deadline)
    return Timetable(st.period.copy(), st.room.copy())
