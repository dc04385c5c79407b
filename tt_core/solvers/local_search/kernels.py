"""The annealer's numba kernels: one call runs many steps of moves and swaps on the incremental state.

Moves are drawn here, in compiled code, and judged by the exact delta kernels of
:mod:`tt_core.kernels.incremental` and :mod:`tt_core.kernels.soft_delta`. The GA's memetic
improvement and repair run the same kernel (:func:`anneal_steps`) on its children.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ... import constraints as K
from ...kernels.incremental import _span, apply_move, apply_swap, delta_move, delta_swap
from ...kernels.soft_delta import soft_delta_move, soft_delta_swap

NO_FOCUS = np.empty(0, np.int32)  # feasible: every movable lecture is drawn alike


@njit(cache=True, nogil=True)
def seed_kernels(seed):
    """Seed the random stream numba's compiled code draws from (one per thread)."""
    np.random.seed(seed)


@njit(cache=True, nogil=True, _nrt=False)
def weighted_sum(du, w):
    """The weighted sum of a units vector (a delta or a state's units)."""
    v = 0.0
    for k in range(du.shape[0]):
        v += du[k] * w[k]
    return v


@njit(cache=True, nogil=True, _nrt=False)
def anneal_steps(ka, st, movable, focus, suit_ptr, suit_idx, init_p, init_r, w, pert_w, swap_rate, keep_room_rate,
            n_iter, t_start, t_end, best_p, best_r, cur, best, du, counters):
    """Run ``n_iter`` annealing steps. ``cur``/``best`` = [weighted total, hard, moved].

    ``focus``: lectures in a hard violation (see :func:`in_violation`; empty when feasible) — half of
    the proposals move one of them. On a large instance a random lecture is almost never one of the
    few that clash, and the one move that frees a 3-period lab is then not found in seconds."""
    ppd = ka.ppd
    n_days = ka.n_days
    n_mov = movable.shape[0]
    step = (t_end / t_start) ** (1.0 / max(n_iter, 1))
    temp = t_start / step
    for _it in range(n_iter):
        temp *= step  # geometric schedule t_start → t_end over the n_iter steps
        if focus.shape[0] > 0 and np.random.random() < 0.5:
            l = focus[np.random.randint(focus.shape[0])]
        else:
            l = movable[np.random.randint(n_mov)]
        c = ka.lecture_course[l]
        length = ka.course_length[c]
        p0 = st.period[l]
        r0 = st.room[l]
        # target period: a start where the lecture fits in the day
        d = np.random.randint(n_days)
        s = np.random.randint(ppd - length + 1)
        p = d * ppd + s
        feasible = cur[1] == 0
        if p != p0:
            if st.all_cover[c, p] > 0:
                continue  # the course already teaches then: a certain Lectures violation
            if feasible and (ka.unavailable[c, p] or st.conf_load[c, p] >= 2):
                counters[3] += 1
                continue  # a clash no swap can undo (a swap partner frees one conflict at most)
        l2 = -1
        if feasible and p != p0 and length == 1 and st.conf_load[c, p] == 1:
            # the one lecture it would clash with at p: swap slots with it (a move into the
            # clash is certain to be skipped; drawing that lecture's room at random is rare)
            l2 = clash_partner(ka, st, c, p)
            if l2 < 0 or not movable_flag(movable, l2, init_p):
                counters[3] += 1
                continue
            r = st.room[l2]
        elif r0 >= 0 and np.random.random() < keep_room_rate:
            r = r0
        else:
            r = suit_idx[suit_ptr[c] + np.random.randint(suit_ptr[c + 1] - suit_ptr[c])]
        if p == p0 and r == r0:
            continue
        if l2 < 0 and st.room_cnt[r, p] == 1 and (swap_rate >= 1.0 or np.random.random() < swap_rate):
            cand = _occupant(st, r, p)
            if cand >= 0 and cand != l:
                c2 = ka.lecture_course[cand]
                if c2 != c and ka.course_length[c2] == length and movable_flag(movable, cand, init_p):
                    l2 = cand
        if feasible and not keeps_feasible(ka, st, l, c, p, r, l2):
            counters[3] += 1
            continue  # feasible-space search: a move that breaks a hard constraint is skipped cheaply
        moved_delta = 0
        if pert_w > 0.0:
            moved_delta = _moved(p, r, init_p[l], init_r[l]) - _moved(p0, r0, init_p[l], init_r[l])
            if l2 >= 0:
                moved_delta += _moved(p0, r0, init_p[l2], init_r[l2]) - _moved(p, r, init_p[l2], init_r[l2])
        if feasible and length == 1:
            # read the soft delta off the counters (no trial update); see kernels/soft_delta.py
            if l2 >= 0:
                dv = soft_delta_swap(ka, st, l, l2, w)
            else:
                dv = soft_delta_move(ka, st, l, p, r, w)
        elif l2 >= 0:
            delta_swap(ka, st, l, l2, du)
            dv = weighted_sum(du, w)
        else:
            delta_move(ka, st, l, p, r, du)
            dv = weighted_sum(du, w)
        dv += pert_w * moved_delta
        counters[0] += 1
        if dv <= 0.0 or np.random.random() < math.exp(-dv / temp):
            if l2 >= 0:
                apply_swap(ka, st, l, l2, du)
            else:
                apply_move(ka, st, l, p, r, du)
            counters[1] += 1
            hard = 0
            for k in range(K.N_HARD):
                hard += du[k]
            dv = weighted_sum(du, w) + pert_w * moved_delta  # the exact applied delta (no drift)
            cur[0] += dv
            cur[1] += hard
            cur[2] += moved_delta
            if cur[1] < best[1] or (cur[1] == best[1] and cur[0] < best[0] - 1e-9):
                best[0] = cur[0]
                best[1] = cur[1]
                best[2] = cur[2]
                for k in range(best_p.shape[0]):
                    best_p[k] = st.period[k]
                    best_r[k] = st.room[k]
                counters[2] += 1


@njit(cache=True, nogil=True, _nrt=False)
def _in_violation(ka, st, movable, out):
    n = 0
    for i in range(movable.shape[0]):
        l = movable[i]
        p = st.period[l]
        r = st.room[l]
        bad = p < 0 or r < 0 or not st.taught[l]
        if not bad:
            c = ka.lecture_course[l]
            d, end, overflow = _span(ka, c, p)
            bad = overflow > 0 or not ka.suitable[c, r]
            for q in range(p, end):
                if ka.unavailable[c, q] or st.room_cnt[r, q] > 1 or st.conf_load[c, q] > 0:
                    bad = True
        if bad:
            out[n] = l
            n += 1
    return n


def in_violation(ka, st, movable: np.ndarray) -> np.ndarray:
    """The lectures of ``movable`` that take part in a hard violation: unplaced or overlapping their
    own course, past the day's end, in an unsuitable or shared room, at an unavailable period, or
    clashing with a course they may not overlap."""
    out = np.empty(len(movable), np.int32)
    return out[:_in_violation(ka, st, movable, out)]


@njit(cache=True, nogil=True, _nrt=False)
def keeps_feasible(ka, st, l, c, p, r, l2):
    """O(conflict degree) test that moving ``l`` to (p, r) — swapping with ``l2`` when ``l2 >= 0`` —
    adds no hard violation to a feasible timetable (no clash, unavailability, room or suitability)."""
    p0 = st.period[l]
    r0 = st.room[l]
    length = ka.course_length[c]
    if not ka.suitable[c, r]:
        return False
    c2 = -1
    if l2 >= 0:
        c2 = ka.lecture_course[l2]
        if not ka.suitable[c2, r0]:
            return False
        if p != p0 and st.all_cover[c2, p0] > 0:
            return False
    for q in range(p, p + length):
        if ka.unavailable[c, q]:
            return False
        if l2 < 0 and st.room_cnt[r, q] > 0 and not (q >= p0 and q < p0 + length and r == r0):
            return False
        k = st.conf_load[c, q]
        if k > 0 and not (k == 1 and c2 >= 0 and st.course_cover[c2, q] > 0 and _adjacent(ka, c, c2)):
            return False  # a clash, unless the only one is the swap partner, which leaves
    if l2 >= 0:
        for q in range(p0, p0 + length):
            if ka.unavailable[c2, q]:
                return False
            k = st.conf_load[c2, q]
            if k > 0 and not (k == 1 and st.course_cover[c, q] > 0 and _adjacent(ka, c2, c)):
                return False
    return True


@njit(cache=True, nogil=True, _nrt=False)
def clash_partner(ka, st, c, p):
    """The single-period lecture at ``p`` of a course ``c`` may not overlap, or -1 (``p``'s
    rooms are scanned; the caller knows exactly one such course is there)."""
    for r in range(st.room_lec.shape[0]):
        o = _occupant(st, r, p)
        if o >= 0:
            c2 = ka.lecture_course[o]
            if c2 != c and ka.course_length[c2] == 1 and _adjacent(ka, c, c2):
                return o
    return -1


@njit(cache=True, inline="always")
def _occupant(st, r, p):
    """The lecture that starts at ``p`` in room ``r``, or -1 (``room_lec`` is exact only there)."""
    o = st.room_lec[r, p]
    return o if o >= 0 and st.period[o] == p and st.room[o] == r else -1


@njit(cache=True, inline="always")
def _adjacent(ka, c, o):
    """``o`` is one of the courses ``c`` may not overlap."""
    for j in range(ka.conf_ptr[c], ka.conf_ptr[c + 1]):
        if ka.conf_idx[j] == o:
            return True
    return False


@njit(cache=True, inline="always")
def _moved(p, r, ip, ir):
    return 1 if (ip >= 0 and (p != ip or r != ir)) else 0


@njit(cache=True, inline="always")
def movable_flag(movable, l, init_p):
    # pinned lectures are absent from ``movable``; the caller passes a sorted array
    lo = 0
    hi = movable.shape[0]
    while lo < hi:
        mid = (lo + hi) // 2
        if movable[mid] < l:
            lo = mid + 1
        else:
            hi = mid
    return lo < movable.shape[0] and movable[lo] == l
