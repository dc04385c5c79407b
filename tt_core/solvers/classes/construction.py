"""Construction: iterative forward search with conflict-based statistics (cpsolver's IFS).

Each iteration picks an unassigned class (the most constrained of a small random sample: fewest
valid values per required distribution), scores every valid value by the hard conflicts it would
cause — one per class to eject, plus the conflict-based statistics of how often this value
ejected those very values before (Müller's CBS, which keeps the search from cycling) — takes the
lowest score (ties broken by the change of the weighted objective, then at random; with a small
probability a random value instead) and assigns it, ejecting its conflicts. The partial
assignment stays consistent, so when no class is left unassigned the timetable has no hard
violation (sectioning, handled apart, aside).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ...classes.kernels import move_delta
from .attendance import student_delta
from .conflicts import assign, cbs_get, do_move, hard_conflicts, room_conflicts, time_conflicts, value_id

MAX_TIES = 24  # values whose objective change is compared when several have the lowest conflict score


@njit(cache=True)
def select_class(dm, w, sample):
    """The most constrained of ``sample`` random unassigned, movable classes (-1: none left)."""
    n = w.un_n[0]
    if n == 0:
        return -1
    best, best_d = -1, 1e300
    tries = 0
    k = 0
    while k < sample and tries < 4 * sample + 8:
        tries += 1
        c = w.un_list[np.random.randint(n)]
        if dm.pinned[c] or dm.n_valid[c] == 0:
            continue
        k += 1
        if dm.difficulty[c] < best_d:
            best, best_d = c, dm.difficulty[c]
    return best


@njit(cache=True)
def select_value(ka, dm, st, at, w, c, walk_prob, cbs_weight, n_values, cand_t, cand_o):
    """``(t, o, score)`` of the value to give ``c``; ``t = -1`` when every value is blocked."""
    nt = ka.time_ptr[c + 1] - ka.time_ptr[c]
    has_rooms = ka.room_ptr[c + 1] > ka.room_ptr[c]
    nro = dm.nro[c]
    if np.random.random() < walk_prob:
        for _ in range(32):
            t = np.random.randint(nt)
            oi = np.random.randint(nro)
            if dm.valid[dm.vptr[c] + t * nro + oi]:
                o = oi if has_rooms else -1
                n, group, blocked = hard_conflicts(ka, dm, st, w, c, t, o)
                if not blocked:
                    return t, o, float(n + group)
    best = 1e300
    n_ties = 0
    for t in range(nt):
        nt_, group, blocked = time_conflicts(ka, dm, st, w, c, t)
        if blocked or nt_ + group > best:
            continue
        for oi in range(nro):
            v = dm.vptr[c] + t * nro + oi
            if not dm.valid[v]:
                continue
            o = oi if has_rooms else -1
            n, blocked = room_conflicts(ka, dm, st, w, c, t, o, nt_)
            if blocked:
                continue
            score = float(n + group)
            if score > best:
                continue
            for i in range(n):
                x = w.conf[i]
                score += cbs_weight * cbs_get(w, v, value_id(dm, x, st.time[x], st.ropt[x]), n_values)
            if score < best - 1e-9:
                best = score
                n_ties = 0
            if score <= best + 1e-9:
                if n_ties < cand_t.shape[0]:
                    cand_t[n_ties] = t
                    cand_o[n_ties] = o
                else:  # reservoir: every tie equally likely to be kept
                    j = np.random.randint(n_ties + 1)
                    if j < cand_t.shape[0]:
                        cand_t[j] = t
                        cand_o[j] = o
                n_ties += 1
    if n_ties == 0:
        return -1, -1, best
    m = min(n_ties, cand_t.shape[0])
    if m == 1:
        return cand_t[0], cand_o[0], best
    bt, bo, bd, k = -1, -1, 1 << 62, 0
    for i in range(m):
        dlt = (move_delta(ka, st, c, cand_t[i], cand_o[i])
               + ka.weights[3] * student_delta(ka, at, c, cand_t[i], cand_o[i]))
        if dlt < bd:
            bt, bo, bd, k = cand_t[i], cand_o[i], dlt, 1
        elif dlt == bd:
            k += 1
            if np.random.randint(k) == 0:
                bt, bo = cand_t[i], cand_o[i]
    return bt, bo, best


@njit(cache=True, nogil=True)
def ifs_run(ka, dm, st, at, w, max_iter, walk_prob, cbs_weight, n_values):
    """Up to ``max_iter`` iterations of the forward search; stops early when every movable class
    is placed. Returns ``(iterations, unassigned movable classes)``."""
    cand_t = np.zeros(MAX_TIES, np.int32)
    cand_o = np.zeros(MAX_TIES, np.int32)
    it = 0
    while it < max_iter:
        c = select_class(dm, w, 5)
        if c < 0:
            break
        it += 1
        t, o, _ = select_value(ka, dm, st, at, w, c, walk_prob, cbs_weight, n_values, cand_t, cand_o)
        if t < 0:
            continue
        assign(ka, dm, st, at, w, c, t, o, True, n_values)
    left = 0
    for i in range(w.un_n[0]):
        c = w.un_list[i]
        if not dm.pinned[c] and dm.n_valid[c] > 0:
            left += 1
    return it, left


@njit(cache=True)
def place_pinned(ka, dm, st, at, w, time, ropt):
    """Put every pinned class at its given value (no ejection: pins are the user's word)."""
    for c in range(ka.n_classes):
        if dm.pinned[c] and time[c] >= 0:
            do_move(ka, st, at, w, c, time[c], ropt[c])


@njit(cache=True)
def place_initial(ka, dm, st, at, w, time, ropt, order):
    """Try each given placement (in ``order``); one that conflicts with what is already placed is
    left out (the forward search places it again)."""
    for i in range(order.shape[0]):
        c = order[i]
        if dm.pinned[c] or time[c] < 0 or st.time[c] >= 0:
            continue
        t = time[c]
        o = ropt[c] if ka.room_ptr[c + 1] > ka.room_ptr[c] else -1
        if ka.room_ptr[c + 1] > ka.room_ptr[c] and o < 0:
            continue
        if not dm.valid[value_id(dm, c, t, o)]:
            continue
        n, group, blocked = hard_conflicts(ka, dm, st, w, c, t, o)
        if n == 0 and group == 0 and not blocked:
            do_move(ka, st, at, w, c, t, o)
