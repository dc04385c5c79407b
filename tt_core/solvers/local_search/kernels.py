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
from ...kernels.full import load_units
from ...kernels.incremental import _span, apply_move, apply_swap, delta_move, delta_swap, relocate
from ...kernels.soft_delta import (
    _excess,
    compact_delta,
    days_short_delta,
    mask_compact_delta,
    period_delta_insert,
    room_cost,
    soft_delta_insert,
    soft_delta_move,
    soft_delta_swap,
)
from .stream import below, uniform

NO_FOCUS = np.empty(0, np.int32)  # feasible: every movable lecture is drawn alike
RUIN_SIZE = 6  # the most lectures one ruin-and-recreate step takes out (see ruin_step)
EJECT_TRIES = 8  # periods an ejected lecture is tried at (see eject_step)


def chain_buffer(n_rooms: int) -> np.ndarray:
    """Work space of :func:`kempe_step` for a problem with ``n_rooms`` rooms."""
    return np.empty(4 * n_rooms + 4, np.int32)


@njit(cache=True, nogil=True)
def seed_kernels(seed):
    """Seed the random stream numba's compiled code draws from (one per thread): the greedy
    construction's and the GA operators'. The annealing kernels draw from their own stream, an
    argument (:mod:`.stream`)."""
    np.random.seed(seed)


@njit(cache=True, inline="always")
def hard_units(du):
    """The hard units of a units vector (its first ``N_HARD`` terms)."""
    hard = 0
    for k in range(K.N_HARD):
        hard += du[k]
    return hard


@njit(cache=True, nogil=True, _nrt=False)
def weighted_sum(du, w):
    """The weighted sum of a units vector (a delta or a state's units)."""
    v = 0.0
    for k in range(du.shape[0]):
        v += du[k] * w[k]
    return v


@njit(cache=True, nogil=True, _nrt=False)
def anneal_steps(ka, st, movable, focus, suit_ptr, suit_idx, init_p, init_r, w, pert_w, swap_rate, keep_room_rate,
                 n_iter, t_start, t_end, best_p, best_r, cur, best, du, counters, rs, kempe_rate=0.0, chain=NO_FOCUS,
                 ruin_rate=0.0, eject_rate=0.0):
    """Run ``n_iter`` annealing steps. ``cur``/``best`` = [weighted total, hard, moved]; ``rs``: the
    random stream (:func:`~.stream.new_stream`).

    ``kempe_rate``: the share of steps (once feasible, without a perturbation weight) that trade
    two periods for a Kempe chain instead (see :func:`kempe_step`; ``chain`` is its
    :func:`chain_buffer`, of at least ``4 * n_rooms`` entries when ``kempe_rate > 0``).
    ``ruin_rate``: the share of steps (same conditions) that ruin and recreate a lecture's day
    instead (see :func:`ruin_step`; ``chain`` is its work space too).
    ``eject_rate``: the share of the moves into a single clash (same conditions) that send the
    lecture it clashes with to the cheapest of :data:`EJECT_TRIES` drawn periods instead of swapping
    the two (:func:`eject_step`).

    ``focus``: lectures in a hard violation (see :func:`in_violation`; empty when feasible) — half of
    the proposals move one of them. On a large instance a random lecture is almost never one of the
    few that clash, and the one move that frees a 3-period lab is then not found in seconds.

    A move towards a period whose drawn room is taken becomes a swap with the occupant; when that
    swap would break a hard constraint, the lecture moves to the period into a free suitable room
    instead (:func:`free_room`), rather than the proposal being skipped. On comp06/comp07 (80% and
    72% of the room-periods taken) most drawn rooms are taken. 20 s, comp02/05/06/07 × 32 seeds
    (two runs of 16, back to back with the code before), sum of means 448.2 → 443.4: comp06 53.6 →
    50.5, comp07 24.5 → 21.8, comp05 322.5 → 322.6, comp02 47.6 → 48.6."""
    ppd = ka.ppd
    n_days = ka.n_days
    n_mov = movable.shape[0]
    step = (t_end / t_start) ** (1.0 / max(n_iter, 1))
    temp = t_start / step
    big_steps = (kempe_rate > 0.0 or ruin_rate > 0.0) and pert_w == 0.0  # Kempe chains, ruin and recreate
    if n_mov == 0:
        return  # every lecture pinned: nothing to draw (``below(rs, 0)`` is 0, not an index)
    for _it in range(n_iter):
        temp *= step  # geometric schedule t_start → t_end over the n_iter steps
        if big_steps and cur[1] == 0:
            u = uniform(rs)
            if u < kempe_rate:
                l = movable[below(rs, n_mov)]
                p = below(rs, n_days * ppd)
                c = ka.lecture_course[l]
                if p != st.period[l] and ka.course_length[c] == 1:
                    if ka.unavailable[c, p]:
                        counters[3] += 1  # kempe_step would refuse the chain: not built
                    else:
                        kempe_step(ka, st, movable, init_p, w, temp, chain, du, cur, best, best_p, best_r, counters,
                                   rs, l, p)
                continue
            if u < kempe_rate + ruin_rate:
                l = movable[below(rs, n_mov)]
                if ka.course_length[ka.lecture_course[l]] == 1:
                    ruin_step(ka, st, movable, init_p, w, temp, chain, du, cur, best, best_p, best_r, counters, rs, l,
                              min(RUIN_SIZE, (chain.shape[0] - 4) // 4))
                continue
        if focus.shape[0] > 0 and uniform(rs) < 0.5:
            l = focus[below(rs, focus.shape[0])]
        else:
            l = movable[below(rs, n_mov)]
        c = ka.lecture_course[l]
        length = ka.course_length[c]
        p0 = st.period[l]
        r0 = st.room[l]
        # target period: a start where the lecture fits in the day (two draws: cheaper than one
        # split by a signed division, which took 7% of this loop's samples on comp05, perf)
        p = below(rs, n_days) * ppd + below(rs, ppd - length + 1)
        feasible = cur[1] == 0
        if p != p0:
            if st.all_cover[c, p] > 0:
                continue  # the course already teaches then: a certain Lectures violation
            if feasible and (ka.unavailable[c, p] or st.conf_load[c, p] >= 2):
                counters[3] += 1
                continue  # a clash no swap can undo (a swap partner frees one conflict at most)
        l2 = -1
        clash = False
        if feasible and p != p0 and length == 1 and st.conf_load[c, p] == 1:
            clash = True
            # the one lecture it would clash with at p: swap slots with it (a move into the
            # clash is certain to be skipped; drawing that lecture's room at random is rare)
            l2 = clash_partner(ka, st, c, p)
            if l2 < 0 or not movable_flag(movable, l2, init_p):
                counters[3] += 1
                continue
            if eject_rate > 0.0 and pert_w == 0.0 and uniform(rs) < eject_rate:
                eject_step(ka, st, w, temp, du, cur, best, best_p, best_r, counters, rs, l, p, l2)
                continue
            r = st.room[l2]
        elif r0 >= 0 and uniform(rs) < keep_room_rate:
            r = r0
        else:
            r = suit_idx[suit_ptr[c] + below(rs, suit_ptr[c + 1] - suit_ptr[c])]
        if p == p0 and r == r0:
            continue
        if l2 < 0 and st.room_cnt[r, p] == 1 and (swap_rate >= 1.0 or uniform(rs) < swap_rate):
            cand = _occupant(st, r, p)
            if cand >= 0 and cand != l:
                c2 = ka.lecture_course[cand]
                if c2 != c and ka.course_length[c2] == length and movable_flag(movable, cand, init_p):
                    l2 = cand
        if feasible and not keeps_feasible(ka, st, l, c, p, r, l2):
            # the room at p is taken and its occupant cannot take l's place: move l to p into a
            # free room instead (on dense instances most drawn rooms are taken; see the docstring)
            r = -1
            if l2 >= 0 and not clash and p != p0:
                r = free_room(ka, st, rs, c, p, length)
            if r < 0 or not keeps_feasible(ka, st, l, c, p, r, -1):
                counters[3] += 1
                continue  # feasible-space search: a move that breaks a hard constraint is skipped cheaply
            l2 = -1
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
        if _accepted(rs, dv, temp):
            if l2 >= 0:
                apply_swap(ka, st, l, l2, du)
            else:
                apply_move(ka, st, l, p, r, du)
            counters[1] += 1
            hard = hard_units(du)
            dv = weighted_sum(du, w) + pert_w * moved_delta  # the exact applied delta (no drift)
            cur[0] += dv
            cur[1] += hard
            cur[2] += moved_delta
            _track_best(st, cur, best, best_p, best_r, counters)


@njit(cache=True, inline="always")
def free_room(ka, st, rs, c, p, length):
    """A suitable room free over ``length`` periods from ``p`` (scanned from a random room), or -1."""
    R = st.room_cnt.shape[0]
    k0 = below(rs, R)
    for k in range(R):
        rr = k0 + k
        if rr >= R:
            rr -= R
        if ka.suitable[c, rr] and room_free(st, rr, p, length):
            return rr
    return -1


@njit(cache=True, inline="always")
def room_free(st, r, p, length):
    """Room ``r`` holds no lecture at any of the ``length`` periods from ``p``."""
    for q in range(p, p + length):
        if st.room_cnt[r, q] > 0:
            return False
    return True


@njit(cache=True, inline="always")
def _accepted(rs, dv, temp):
    """The Metropolis rule: a change of the weighted cost by ``dv`` is kept when it costs nothing,
    else with probability ``exp(-dv / temp)`` (one draw of the stream ``rs``)."""
    return dv <= 0.0 or uniform(rs) < math.exp(-dv / temp)


@njit(cache=True, inline="always")
def _track_best(st, cur, best, best_p, best_r, counters):
    """Keep the current timetable as the best when it is (fewer hard violations, then cheaper)."""
    if cur[1] < best[1] or (cur[1] == best[1] and cur[0] < best[0] - 1e-9):
        best[0] = cur[0]
        best[1] = cur[1]
        best[2] = cur[2]
        for k in range(best_p.shape[0]):
            best_p[k] = st.period[k]
            best_r[k] = st.room[k]
        counters[2] += 1


@njit(cache=True, inline="always")
def _keep_applied(st, du, w, temp, cur, best, best_p, best_r, counters, rs, complete):
    """Judge a change already applied to the state with delta ``du`` (a Kempe trade, a ruin and
    recreate): kept when ``complete``, without a new hard violation and by the Metropolis rule —
    then the state's units take ``du`` and the best is tracked. Returns whether it was kept (the
    caller undoes it otherwise)."""
    counters[0] += 1
    hard = hard_units(du)
    dv = weighted_sum(du, w)
    if complete and hard <= 0 and _accepted(rs, dv, temp):
        _commit(st, du, dv, hard, cur, best, best_p, best_r, counters)
        return True
    return False


@njit(cache=True, inline="always")
def _commit(st, du, dv, hard, cur, best, best_p, best_r, counters):
    """A change applied to the state and kept: the state's units take its delta ``du``, ``cur`` its
    weighted value ``dv`` and hard units ``hard``, and the best is tracked."""
    for k in range(du.shape[0]):
        st.units[k] += du[k]
    counters[1] += 1
    cur[0] += dv
    cur[1] += hard
    _track_best(st, cur, best, best_p, best_r, counters)


@njit(cache=True, nogil=True, _nrt=False)
def _at_period(ka, st, p, buf, at):
    """Put the lectures starting at ``p`` (one per room) into ``buf[at:]``; returns how many, or -1
    when a lecture longer than one period covers ``p`` (chains move single periods only)."""
    n = 0
    for r in range(st.room_lec.shape[0]):
        if st.room_cnt[r, p] == 0:
            continue
        o = _occupant(st, r, p)
        if o < 0 or ka.course_length[ka.lecture_course[o]] != 1:
            return -1
        buf[at + n] = o
        n += 1
    return n


@njit(cache=True, inline="always")
def _linked(ka, st, cx, rx, y):
    """Lecture ``y`` and a lecture of course ``cx`` in room ``rx`` may not share a period: same
    course, conflicting courses or same room."""
    cy = ka.lecture_course[y]
    return cx == cy or st.room[y] == rx or _adjacent(ka, cx, cy)


@njit(cache=True, nogil=True, _nrt=False)
def kempe_chain(ka, st, l, p1, buf):
    """The Kempe chain of lecture ``l`` between its period ``p0`` and ``p1``: the smallest set of
    lectures at ``p0`` and ``p1`` that contains ``l`` and can trade periods, each keeping its room,
    without a new clash or a shared room. Returns ``(n0, n1)``: ``buf[0:n0]`` are the chain's
    lectures at ``p0``, ``buf[R:R+n1]`` those at ``p1`` (R rooms); ``(-1, -1)`` when a lecture longer
    than one period covers either period. ``buf``: :func:`chain_buffer`. The timetable is feasible
    (:func:`_draw_in` counts on it)."""
    R = st.room_lec.shape[0]
    p0 = st.period[l]
    a_all = 2 * R                 # buf[2R:3R] every lecture at p0, buf[3R:4R] every lecture at p1
    b_all = 3 * R
    na = _at_period(ka, st, p0, buf, a_all)
    nb = _at_period(ka, st, p1, buf, b_all)
    if na < 0 or nb < 0:
        return -1, -1
    # the chain: buf[0:n0] at p0 and buf[R:R+n1] at p1; a lecture y taken into it is marked -y-1
    # in its all-lectures list. Breadth first: each new member draws in what it is linked to opposite.
    n0 = 1
    n1 = 0
    buf[0] = l
    for i in range(na):
        if buf[a_all + i] == l:
            buf[a_all + i] = -l - 1
    i0 = 0
    i1 = 0
    while i0 < n0 or i1 < n1:
        if i0 < n0:
            x = buf[i0]
            i0 += 1
            n1 = _draw_in(ka, st, x, p1, buf, b_all, nb, R, n1)
        else:
            x = buf[R + i1]
            i1 += 1
            n0 = _draw_in(ka, st, x, p0, buf, a_all, na, 0, n0)
    return n0, n1


@njit(cache=True, inline="always")
def _draw_in(ka, st, x, q, buf, at, n, into, k):
    """Take into the chain's side ``buf[into:into+k]`` every lecture of ``buf[at:at+n]`` (those at
    period ``q``, in room order; ``-y-1`` marks one already in the chain) that ``x`` is linked to;
    returns the side's new size.

    On a feasible timetable ``x`` is linked to exactly ``course_cover + conf_load`` lectures at
    ``q`` (its own course's and its conflicting courses', one each) and to the one in its room, so
    the scan stops once it has met them all — often at once, where nothing at ``q`` conflicts (the
    full scan of every pair took 70% of a chain's time on comp07, perf). It meets them in the same
    order as the full scan, so the chain is the same."""
    cx = ka.lecture_course[x]
    rx = st.room[x]
    left = st.course_cover[cx, q] + st.conf_load[cx, q]
    if st.room_cnt[rx, q] > 0:
        co = ka.lecture_course[st.room_lec[rx, q]]
        if co != cx and not _adjacent(ka, cx, co):
            left += 1  # the room's occupant, unless its course is counted already
    j = 0
    while left > 0 and j < n:
        y = buf[at + j]
        taken = y < 0
        if taken:
            y = -y - 1
        if _linked(ka, st, cx, rx, y):
            left -= 1
            if not taken:
                buf[into + k] = y
                k += 1
                buf[at + j] = -y - 1
        j += 1
    return k


@njit(cache=True, nogil=True, _nrt=False)
def _trade(ka, st, buf, n0, n1, p0, p1, du):
    """Move the chain's lectures at ``p0`` to ``p1`` and those at ``p1`` to ``p0`` (rooms kept);
    adds the units delta to ``du``. Every lecture leaves before any arrives (no transient clash)."""
    R = st.room_lec.shape[0]
    for i in range(n0):
        buf[2 * R + i] = st.room[buf[i]]
        relocate(ka, st, buf[i], -1, -1, du)
    for i in range(n1):
        buf[3 * R + i] = st.room[buf[R + i]]
        relocate(ka, st, buf[R + i], -1, -1, du)
    for i in range(n0):
        relocate(ka, st, buf[i], p1, buf[2 * R + i], du)
    for i in range(n1):
        relocate(ka, st, buf[R + i], p0, buf[3 * R + i], du)


@njit(cache=True, nogil=True, _nrt=False)
def kempe_step(ka, st, movable, init_p, w, temp, buf, du, cur, best, best_p, best_r, counters, rs, l, p1):
    """One Kempe-chain proposal on a feasible timetable: the chain (:func:`kempe_chain`) of the
    single-period lecture ``l`` towards period ``p1`` trades the two periods, kept by the Metropolis
    rule (and only when it adds no hard violation).

    A single move or swap cannot take a lecture into a period where two or more of its conflicting
    lectures sit; the chain carries them all along at once and stays feasible by construction
    (unavailable periods and pinned lectures excepted: such chains are skipped).

    The trade is priced off the state (:func:`trade_delta`) and made only when kept; with the
    extended benchmark's terms it is made, priced from its delta and undone when refused. Making
    and undoing every chain costs 1.7-2.5× more per chain on comp01-07
    (``benchmarks/annealer_steps.py``); at 3% of the steps it took about a third of a run's time."""
    p0 = st.period[l]
    n0, n1 = kempe_chain(ka, st, l, p1, buf)
    if n0 < 0:
        return
    R = st.room_lec.shape[0]
    for i in range(n0 + n1):
        x = buf[i] if i < n0 else buf[R + i - n0]
        q = p1 if i < n0 else p0
        if ka.unavailable[ka.lecture_course[x], q] or not movable_flag(movable, x, init_p):
            counters[3] += 1
            return
    for k in range(du.shape[0]):
        du[k] = 0
    if ka.ext:  # the extended benchmark's terms: price the trade by making it (and undo it if refused)
        _trade(ka, st, buf, n0, n1, p0, p1, du)
        if not _keep_applied(st, du, w, temp, cur, best, best_p, best_r, counters, rs, True):
            _trade(ka, st, buf, n0, n1, p1, p0, st.scratch)  # back: each side to where it came from
        return
    counters[0] += 1
    dv = trade_delta(ka, st, w, buf, n0, n1, p0, p1)
    if _accepted(rs, dv, temp):
        _trade(ka, st, buf, n0, n1, p0, p1, du)
        hard = hard_units(du)
        if hard > 0:  # cannot happen (closed chain, periods checked): never leave the feasible space
            _trade(ka, st, buf, n0, n1, p1, p0, st.scratch)
            return
        _commit(st, du, weighted_sum(du, w), hard, cur, best, best_p, best_r, counters)  # the exact applied delta


@njit(cache=True, nogil=True, _nrt=False)
def trade_delta(ka, st, w, buf, n0, n1, p0, p1):
    """Weighted soft delta of the Kempe trade ``buf``/``n0``/``n1`` (:func:`kempe_chain`) of periods
    ``p0`` and ``p1`` on a feasible timetable, read off the state without changing it (ITC2007's
    terms and the loads; :func:`kempe_step` prices the extended benchmark's terms by trading).

    Every lecture keeps its room, so the room terms stay; the chain is closed under "may not
    overlap", so a course, curriculum or teacher busy at both periods has both lectures in it and
    they only trade places. What changes is each lecture's own period terms and, for a course,
    curriculum or teacher busy at one of the two periods only, one lecture moving between them:
    each such change is priced alone, as for a single move."""
    ppd = ka.ppd
    R = st.room_lec.shape[0]
    masks = ka.day_isolated.shape[0] > 1
    other_day = p0 // ppd != p1 // ppd
    v = 0.0
    for i in range(n0 + n1):
        if i < n0:
            x = buf[i]
            a = p0
            b = p1
        else:
            x = buf[R + i - n0]
            a = p1
            b = p0
        c = ka.lecture_course[x]
        da = a // ppd
        db = b // ppd
        v += w[K.TEACHER_PREFERENCE] * (int(ka.undesired[c, b]) - int(ka.undesired[c, a]))
        v += w[K.TIME_OF_DAY] * (ka.period_penalty[b] - ka.period_penalty[a])
        if other_day and st.all_cover[c, b] == 0:
            v += w[K.MIN_WORKING_DAYS] * days_short_delta(ka, st, c, da, db)
        for j in range(ka.cc_ptr[c], ka.cc_ptr[c + 1]):
            g = ka.cc_idx[j]
            if st.curr_cnt[g, b] > 0:
                continue  # busy at both periods: its two lectures trade places
            if masks:
                v += w[K.COMPACTNESS] * mask_compact_delta(ka.day_isolated, st.curr_mask, g, ppd, a, b)
            else:
                v += w[K.COMPACTNESS] * compact_delta(st.curr_cnt, g, ppd, a, -1, b, 1)
            lo = ka.curriculum_min[g]
            hi = ka.curriculum_max[g]
            if other_day and (lo > 0 or hi > 0):
                ca = st.curr_day[g, da]
                cb = st.curr_day[g, db]
                v += w[K.CURRICULUM_LOAD] * (load_units(ca - 1, lo, hi) - load_units(ca, lo, hi)
                                             + load_units(cb + 1, lo, hi) - load_units(cb, lo, hi))
        t = ka.course_teacher[c]
        m = ka.teacher_max[t]
        if m > 0 and other_day and not _teaches_in(ka, buf, R if i < n0 else 0, n1 if i < n0 else n0, t):
            ta = st.teacher_day[t, da]
            tb = st.teacher_day[t, db]
            v += w[K.TEACHER_LOAD] * (_excess(ta - 1, m) - _excess(ta, m) + _excess(tb + 1, m) - _excess(tb, m))
    return v


@njit(cache=True, inline="always")
def _teaches_in(ka, buf, at, n, t):
    """Teacher ``t`` teaches one of the lectures ``buf[at:at+n]`` (the chain's other side: a
    teacher's courses may not overlap, so the teacher's lecture there, if any, is among them)."""
    for i in range(at, at + n):
        if ka.course_teacher[ka.lecture_course[buf[i]]] == t:
            return True
    return False


@njit(cache=True, nogil=True, _nrt=False)
def violates(ka, st, l):
    """Lecture ``l`` takes part in a hard violation: unplaced or overlapping its own course (not
    taught), past the day's end, in an unsuitable or shared room, at an unavailable period, or
    clashing with a course it may not overlap."""
    p = st.period[l]
    r = st.room[l]
    if p < 0 or r < 0 or not st.taught[l]:
        return True
    c = ka.lecture_course[l]
    d, end, overflow = _span(ka, c, p)
    if overflow > 0 or not ka.suitable[c, r]:
        return True
    for q in range(p, end):
        if ka.unavailable[c, q] or st.room_cnt[r, q] > 1 or st.conf_load[c, q] > 0:
            return True
    return False


@njit(cache=True, nogil=True, _nrt=False)
def _in_violation(ka, st, movable, out):
    n = 0
    for i in range(movable.shape[0]):
        l = movable[i]
        if violates(ka, st, l):
            out[n] = l
            n += 1
    return n


def in_violation(ka, st, movable: np.ndarray) -> np.ndarray:
    """The lectures of ``movable`` that take part in a hard violation (:func:`violates`)."""
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
    """The single-period lecture at ``p`` of a course ``c`` may not overlap, or -1 (the caller knows
    exactly one such course covers ``p``: it is found among ``c``'s conflicts, then among its
    lectures; a longer lecture covering ``p`` gives -1)."""
    for j in range(ka.conf_ptr[c], ka.conf_ptr[c + 1]):
        o = ka.conf_idx[j]
        if st.course_cover[o, p] > 0:
            if ka.course_length[o] != 1:
                return -1
            for l in range(ka.course_ptr[o], ka.course_ptr[o + 1]):
                if st.period[l] == p and st.taught[l]:
                    return l
            return -1
    return -1


@njit(cache=True, inline="always")
def _occupant(st, r, p):
    """The lecture that starts at ``p`` in room ``r``, or -1 (``room_lec`` names a lecture covering the
    room at ``p``; only in a double-booked room may it name none)."""
    o = st.room_lec[r, p]
    return o if o >= 0 and st.period[o] == p and st.room[o] == r else -1


@njit(cache=True, inline="always")
def _adjacent(ka, c, o):
    """``o`` is one of the courses ``c`` may not overlap (one of ``conf_idx``'s pairs, read off the
    dense matrix: the chains test every pair of lectures at two periods)."""
    return ka.adjacent[c, o]


@njit(cache=True, inline="always")
def _moved(p, r, ip, ir):
    return 1 if (ip >= 0 and (p != ip or r != ir)) else 0


@njit(cache=True, inline="always")
def movable_flag(movable, l, init_p):
    # pinned lectures are absent from ``movable``; the caller passes a sorted array of distinct
    # lectures, so ``movable[l] == l`` says that none up to ``l`` is pinned: the usual case, read
    # at once (the binary search took 6% of the annealing loop's time on comp07, perf)
    if l < movable.shape[0] and movable[l] == l:
        return True
    lo = 0
    hi = movable.shape[0]
    while lo < hi:
        mid = (lo + hi) // 2
        if movable[mid] < l:
            lo = mid + 1
        else:
            hi = mid
    return lo < movable.shape[0] and movable[lo] == l


@njit(cache=True, nogil=True, _nrt=False)
def cheapest_free_room(ka, st, rs, w, c, q):
    """The suitable room free at ``q`` whose capacity, stability and unsuitable-room cost for course
    ``c`` is the least (ties: the first from a random room on), or -1 when none is free."""
    R = st.room_cnt.shape[0]
    k0 = below(rs, R)
    best_r = -1
    best_v = 1e300
    for k in range(R):
        r = k0 + k
        if r >= R:
            r -= R
        if not ka.suitable[c, r] or st.room_cnt[r, q] > 0:
            continue
        v = room_cost(ka, st, w, c, r)
        if v < best_v:
            best_v = v
            best_r = r
    return best_r


@njit(cache=True, nogil=True, _nrt=False)
def _ruined(ka, st, rs, movable, init_p, l, k_max, buf):
    """Put ``l`` and up to ``k_max - 1`` single-period lectures of the courses it may not overlap,
    on ``l``'s day, into ``buf[0:n]`` (the courses scanned from a random one); returns ``n``."""
    ppd = ka.ppd
    c = ka.lecture_course[l]
    d = st.period[l] // ppd
    n = 1
    buf[0] = l
    m = ka.conf_ptr[c + 1] - ka.conf_ptr[c]
    if m == 0:
        return n
    j0 = below(rs, m)
    for jj in range(m):
        j = j0 + jj
        if j >= m:
            j -= m
        o = ka.conf_idx[ka.conf_ptr[c] + j]
        if ka.course_length[o] != 1:
            continue
        for x in range(ka.course_ptr[o], ka.course_ptr[o + 1]):
            px = st.period[x]
            if n < k_max and px >= 0 and px // ppd == d and st.taught[x] and movable_flag(movable, x, init_p):
                buf[n] = x
                n += 1
        if n >= k_max:
            break
    return n


@njit(cache=True, nogil=True, _nrt=False)
def cheapest_place(ka, st, rs, w, c, tries=0):
    """The feasible (period, room) where one more single-period lecture of course ``c`` costs least,
    or ``(-1, -1)``: a period where the course already teaches, is unavailable or clashes is not a
    candidate; each candidate is priced by :func:`~tt_core.kernels.soft_delta.soft_delta_insert`
    without touching the state, its room by :func:`cheapest_free_room`. Periods are scanned from a
    random one (ties: the first met); with ``tries > 0``, only that many periods drawn at random
    (with replacement) are candidates."""
    P = st.conf_load.shape[1]
    bq = -1
    br = -1
    bv = 1e300
    scan = tries <= 0
    q0 = below(rs, P) if scan else 0
    for qq in range(P if scan else tries):
        if scan:
            q = q0 + qq
            if q >= P:
                q -= P
        else:
            q = below(rs, P)
        if st.all_cover[c, q] > 0 or ka.unavailable[c, q] or st.conf_load[c, q] > 0:
            continue
        if ka.ext:
            r = cheapest_free_room(ka, st, rs, w, c, q)
            if r < 0:
                continue
            v = soft_delta_insert(ka, st, c, q, r, w)  # the trial placement's cost, state untouched
        else:
            v = period_delta_insert(ka, st, c, q, w)
            if v >= bv:
                continue  # the room's part is never negative: this period cannot win
            r = cheapest_free_room(ka, st, rs, w, c, q)
            if r < 0:
                continue
            v += room_cost(ka, st, w, c, r)
        if v < bv:
            bv = v
            bq = q
            br = r
    return bq, br


@njit(cache=True, nogil=True, _nrt=False)
def eject_step(ka, st, w, temp, du, cur, best, best_p, best_r, counters, rs, l, p, l2):
    """One ejection proposal on a feasible timetable: the single-period lecture ``l`` moves to ``p``,
    where the one lecture it would clash with is ``l2`` (:func:`clash_partner`, movable); ``l2``
    leaves, ``l`` takes the cheapest free suitable room at ``p`` (:func:`cheapest_free_room`: ``l2``'s
    is one) and ``l2`` goes to the cheapest feasible place among :data:`EJECT_TRIES` periods drawn
    at random (:func:`cheapest_place`; ``l``'s old period may be one). The whole change is kept by
    the Metropolis rule, else undone (also when none of the drawn periods takes ``l2``).

    The plain move swaps ``l2`` into ``l``'s old period; on a dense instance that period is often
    on a day ``l2``'s course already teaches, where this lets it go to a new one (an ejection chain
    of length two). With every period tried (30–36 on ITC2007) instead of 8 drawn, the annealer
    made 0.84× the evaluated moves on comp05 at 20 s (18.6 M → 15.7 M) against 0.88× (20.7 M →
    18.3 M), for the same costs (README, design section, item 1)."""
    c = ka.lecture_course[l]
    p0 = st.period[l]
    r0 = st.room[l]
    r2 = st.room[l2]
    for k in range(du.shape[0]):
        du[k] = 0
    relocate(ka, st, l2, -1, -1, du)
    r = cheapest_free_room(ka, st, rs, w, c, p)
    if r < 0:  # not suitable for l (under UD4 a room can be unsuitable)
        relocate(ka, st, l2, p, r2, st.scratch)
        counters[3] += 1
        return
    relocate(ka, st, l, p, r, du)
    q, rq = cheapest_place(ka, st, rs, w, ka.lecture_course[l2], EJECT_TRIES)
    if q >= 0:
        relocate(ka, st, l2, q, rq, du)
    if _keep_applied(st, du, w, temp, cur, best, best_p, best_r, counters, rs, q >= 0):
        return
    if q >= 0:
        relocate(ka, st, l2, -1, -1, st.scratch)
    relocate(ka, st, l, p0, r0, st.scratch)
    relocate(ka, st, l2, p, r2, st.scratch)


@njit(cache=True, nogil=True, _nrt=False)
def ruin_step(ka, st, movable, init_p, w, temp, buf, du, cur, best, best_p, best_r, counters, rs, l, k_max):
    """One ruin-and-recreate proposal on a feasible timetable: take out the single-period lecture
    ``l`` and up to ``k_max - 1`` single-period lectures of the courses it may not overlap that sit
    on its day (:func:`_ruined`), then put them back one by one, in random order, each at the
    feasible period and room where it costs least (rooms by :func:`cheapest_free_room`; a period
    where the course already teaches, is unavailable or clashes is not a candidate). The whole change
    is kept by the Metropolis rule, else undone. ``buf``: at least ``4 * k_max`` entries.

    A move or swap changes one or two lectures; this re-plans a curriculum's day at once, which
    escapes timetables where every single move costs (after the destroy-and-repair neighbourhoods of
    Kiefer, Hartl & Schnell 2017's ALNS for this problem). Each lecture is tried at every period,
    priced by :func:`~tt_core.kernels.soft_delta.soft_delta_insert` without touching the state (a
    trial placement in and out before: comp05, 20 s, 1.15× the evaluated moves since), so a step
    costs about as much as a Kempe chain."""
    n = _ruined(ka, st, rs, movable, init_p, l, k_max, buf)
    if n < 2:
        return
    for k in range(du.shape[0]):
        du[k] = 0
    for i in range(n):  # out: every lecture leaves before any is put back
        x = buf[i]
        buf[k_max + i] = st.period[x]
        buf[2 * k_max + i] = st.room[x]
        relocate(ka, st, x, -1, -1, du)
    order = 3 * k_max  # buf[3k:3k+n]: the order of reinsertion, shuffled
    for i in range(n):
        buf[order + i] = i
    for i in range(n - 1, 0, -1):
        j = below(rs, i + 1)
        t = buf[order + i]
        buf[order + i] = buf[order + j]
        buf[order + j] = t
    placed = 0
    for ii in range(n):
        x = buf[buf[order + ii]]
        bq, br = cheapest_place(ka, st, rs, w, ka.lecture_course[x])
        if bq < 0:
            break  # nowhere feasible left for it: undo the whole step
        relocate(ka, st, x, bq, br, du)
        placed += 1
    if _keep_applied(st, du, w, temp, cur, best, best_p, best_r, counters, rs, placed == n):
        return
    for ii in range(placed):  # back: the new places emptied first, then each lecture to its old one
        relocate(ka, st, buf[buf[order + ii]], -1, -1, st.scratch)
    for i in range(n):
        relocate(ka, st, buf[i], buf[k_max + i], buf[2 * k_max + i], st.scratch)
