"""Hard conflicts of a value, and moves that eject them — the consistency machinery shared by the
construction (iterative forward search) and the local search.

The search keeps a *consistent* partial assignment, as cpsolver's iterative forward search does:
no two placed classes violate a hard constraint, some classes may be unassigned. Placing class
``c`` at value ``(t, o)`` first *ejects* (unassigns) the placed classes it would conflict with:

* the classes in the same room whose placements overlap;
* for every required pairwise distribution of ``c``, the placed classes whose pair with ``c``
  would be violated;
* for the required MaxDays / MaxDayLoad / MaxBreaks / MaxBlock distributions, classes of the
  distribution chosen greedily (the one whose removal lowers its units most) until it holds.

Pinned classes are never ejected: a value that would need it is *blocked*.

Every state change goes through :func:`do_move` (the numba ``apply_move`` of
:mod:`tt_core.classes.kernels` plus the list of unassigned classes and an undo log), so a
compound move can be taken back exactly with :func:`undo_to`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from ...classes.distributions import LAST_PAIRWISE, pair_satisfied
from ...classes.kernels import _dist_delta as dist_delta  # the per-distribution delta (see module docstring)
from ...classes.kernels import apply_move, overlap, placement, travel_time
from .attendance import set_placement, student_delta


class Work(NamedTuple):
    """Per-worker mutable scratch and bookkeeping (numba reads and writes it in place)."""

    stamp: np.ndarray      # int64 [C] dedupe marks
    counter: np.ndarray    # int64 [1] the current mark
    conf: np.ndarray       # int32 [C] conflict buffer
    un_list: np.ndarray    # int32 [C] unassigned classes …
    un_pos: np.ndarray     # int32 [C] … and where each sits in un_list (-1 = placed)
    un_n: np.ndarray       # int64 [1]
    log_c: np.ndarray      # int32 [L] undo log: class, its previous time and room option
    log_t: np.ndarray      # int32 [L]
    log_o: np.ndarray      # int32 [L]
    log_n: np.ndarray      # int64 [1] entries used; -1 = not logging
    cbs_key: np.ndarray    # int64 [H] conflict-based statistics: (value a, ejected value b) …
    cbs_val: np.ndarray    # float64 [H] … how often assigning a ejected b
    cbs_n: np.ndarray      # int64 [1] keys stored


def new_work(n_classes: int, cbs_size: int = 1 << 20) -> Work:
    """Fresh scratch for one worker (``cbs_size`` a power of two)."""
    C = max(n_classes, 1)
    L = 4 * C + 64
    return Work(stamp=np.zeros(C, np.int64), counter=np.zeros(1, np.int64), conf=np.zeros(C, np.int32),
                un_list=np.zeros(C, np.int32), un_pos=np.full(C, -1, np.int32), un_n=np.zeros(1, np.int64),
                log_c=np.zeros(L, np.int32), log_t=np.zeros(L, np.int32), log_o=np.zeros(L, np.int32),
                log_n=np.full(1, -1, np.int64), cbs_key=np.full(cbs_size, -1, np.int64),
                cbs_val=np.zeros(cbs_size, np.float64), cbs_n=np.zeros(1, np.int64))


@njit(cache=True)
def value_id(dm, c, t, o):
    """Global number of value ``(t, o)`` of class ``c``."""
    return dm.vptr[c] + t * dm.nro[c] + (o if o > 0 else 0)


@njit(cache=True)
def sync_unassigned(ka, st, w):
    """Rebuild the list of unassigned classes from ``st.time``."""
    n = 0
    for c in range(ka.n_classes):
        if st.time[c] < 0:
            w.un_list[n] = c
            w.un_pos[c] = n
            n += 1
        else:
            w.un_pos[c] = -1
    w.un_n[0] = n


@njit(cache=True)
def do_move(ka, st, at, w, c, t, o):
    """Move class ``c`` to ``(t, o)`` (``t = -1``: unassign), keeping the attendance, the
    unassigned list and the undo log; returns the weighted change (student conflicts included)."""
    n = w.log_n[0]
    if n >= 0 and n < w.log_c.shape[0]:
        w.log_c[n] = c
        w.log_t[n] = st.time[c]
        w.log_o[n] = st.ropt[c]
        w.log_n[0] = n + 1
    was = st.time[c]
    sd = student_delta(ka, at, c, t, o)
    delta = apply_move(ka, st, c, t, o) + ka.weights[3] * sd
    at.conflicts[0] += sd
    set_placement(ka, at, c, t, o)
    if was < 0 and t >= 0:       # leaves the unassigned list (the last one takes its place)
        p = w.un_pos[c]
        last = w.un_list[w.un_n[0] - 1]
        w.un_list[p] = last
        w.un_pos[last] = p
        w.un_pos[c] = -1
        w.un_n[0] -= 1
    elif was >= 0 and t < 0:
        w.un_list[w.un_n[0]] = c
        w.un_pos[c] = w.un_n[0]
        w.un_n[0] += 1
    return delta


@njit(cache=True)
def start_log(w):
    """Start (or restart) the undo log."""
    w.log_n[0] = 0


@njit(cache=True)
def stop_log(w):
    w.log_n[0] = -1


@njit(cache=True)
def log_overflowed(w):
    return w.log_n[0] >= w.log_c.shape[0]


@njit(cache=True)
def undo_to(ka, st, at, w, n0):
    """Take back the logged moves after entry ``n0`` (newest first)."""
    n = min(w.log_n[0], w.log_c.shape[0])
    w.log_n[0] = -1  # the undo itself is not logged
    for i in range(n - 1, n0 - 1, -1):
        do_move(ka, st, at, w, w.log_c[i], w.log_t[i], w.log_o[i])
    w.log_n[0] = n0


@njit(cache=True)
def _next_mark(w):
    w.counter[0] += 1
    return w.counter[0]


@njit(cache=True)
def _add(w, mark, n, x):
    if w.stamp[x] != mark:
        w.stamp[x] = mark
        w.conf[n] = x
        return n + 1
    return n


@njit(cache=True)
def _pair_conflicts(ka, dm, st, w, mark, n, c, t, o, rooms):
    """Add the placed classes whose pair with ``c`` at ``(t, o)`` violates a required pairwise
    distribution — only the types that depend on rooms (``rooms``) or only the others."""
    p1, s1, e1, d1, w1, r1 = placement(ka, c, t, o)
    blocked = False
    for i in range(ka.cd_ptr[c], ka.cd_ptr[c + 1]):
        d = ka.cd_dist[i]
        kind = ka.d_kind[d]
        if not ka.d_required[d] or kind > LAST_PAIRWISE or dm.room_dep[d] != rooms:
            continue
        lo, hi = ka.d_ptr[d], ka.d_ptr[d + 1]
        pos = ka.cd_pos[i]
        p = ka.d_p1[d]
        for j in range(lo, hi):
            x = ka.d_classes[j]
            if x == c or st.time[x] < 0:
                continue
            px, sx, ex, dx, wx, rx = placement(ka, x, st.time[x], st.ropt[x])
            if j - lo > pos:
                ok = pair_satisfied(kind, p, s1, e1, d1, w1, r1, sx, ex, dx, wx, rx,
                                    travel_time(ka, r1, rx), travel_time(ka, rx, r1))
            else:
                ok = pair_satisfied(kind, p, sx, ex, dx, wx, rx, s1, e1, d1, w1, r1,
                                    travel_time(ka, rx, r1), travel_time(ka, r1, rx))
            if not ok:
                if dm.pinned[x]:
                    blocked = True
                n = _add(w, mark, n, x)
    return n, blocked


@njit(cache=True)
def time_conflicts(ka, dm, st, w, c, t):
    """The part of :func:`hard_conflicts` that does not depend on the room: the classes violating
    a required pairwise distribution that only looks at times (in ``w.conf[:n]``), and the units
    the required group distributions would have. Returns ``(n, group, blocked)``."""
    mark = _next_mark(w)
    n, blocked = _pair_conflicts(ka, dm, st, w, mark, 0, c, t, -1, False)
    group = 0
    t0, o0 = st.time[c], st.ropt[c]
    for i in range(ka.cd_ptr[c], ka.cd_ptr[c + 1]):
        d = ka.cd_dist[i]
        if ka.d_required[d] and ka.d_kind[d] > LAST_PAIRWISE:
            group += st.dist_units[d] + dist_delta(ka, st, d, ka.cd_pos[i], c, t0, o0, t, -1)
    return n, group, blocked


@njit(cache=True)
def room_conflicts(ka, dm, st, w, c, t, o, n):
    """Extend the first ``n`` entries of ``w.conf`` (the time part) by the classes overlapping in
    the room of option ``o`` and those violating a room-dependent required distribution.
    Returns ``(n, blocked)``."""
    mark = _next_mark(w)
    for i in range(n):
        w.stamp[w.conf[i]] = mark
    blocked = False
    p1, s1, e1, d1, w1, r1 = placement(ka, c, t, o)
    if r1 >= 0:
        base = ka.rm_ptr[r1]
        for i in range(base, base + st.rm_count[r1]):
            x = st.rm_class[i]
            if x == c:
                continue
            g = ka.time_ptr[x] + st.time[x]
            if overlap(s1, e1, d1, w1, ka.t_start[g], ka.t_end[g], ka.t_days[g], ka.t_weeks[g]):
                if dm.pinned[x]:
                    blocked = True
                n = _add(w, mark, n, x)
    n, b2 = _pair_conflicts(ka, dm, st, w, mark, n, c, t, o, True)
    return n, blocked or b2


@njit(cache=True)
def hard_conflicts(ka, dm, st, w, c, t, o):
    """Placed classes that conflict with class ``c`` at ``(t, o)`` (in ``w.conf[:n]``).

    Returns ``(n, group, blocked)``: ``group`` is the units the required MaxDays / MaxDayLoad /
    MaxBreaks / MaxBlock distributions of ``c`` would have (their ejections are chosen only when
    the move is made), ``blocked`` that a pinned class conflicts.
    """
    n, group, b1 = time_conflicts(ka, dm, st, w, c, t)
    n, b2 = room_conflicts(ka, dm, st, w, c, t, o, n)
    return n, group, b1 or b2


# ---------------------------------------------------------------- conflict-based statistics

@njit(cache=True)
def _slot(w, key):
    h = w.cbs_key.shape[0]
    i = np.int64((np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(40)) & (h - 1)
    while True:
        k = w.cbs_key[i]
        if k == key or k == -1:
            return i
        i = (i + 1) & (h - 1)


@njit(cache=True)
def cbs_get(w, va, vb, n_values):
    """How often assigning value ``va`` ejected value ``vb``."""
    i = _slot(w, va * n_values + vb)
    return w.cbs_val[i] if w.cbs_key[i] >= 0 else 0.0


@njit(cache=True)
def cbs_add(w, va, vb, n_values):
    if w.cbs_n[0] * 2 > w.cbs_key.shape[0]:
        return  # full enough: keep what is known (open addressing degrades past half)
    key = va * n_values + vb
    i = _slot(w, key)
    if w.cbs_key[i] == -1:
        w.cbs_key[i] = key
        w.cbs_n[0] += 1
    w.cbs_val[i] += 1.0


@njit(cache=True)
def cbs_clear(w):
    w.cbs_key[:] = -1
    w.cbs_val[:] = 0.0
    w.cbs_n[0] = 0


# ---------------------------------------------------------------- assigning with ejections

@njit(cache=True)
def fix_groups(ka, dm, st, at, w, c, learn, n_values):
    """After ``c`` was placed, eject classes of its violated required MaxDays / MaxDayLoad /
    MaxBreaks / MaxBlock distributions, greedily, until each holds; False if one cannot be made
    to hold without moving a pinned class or ``c`` itself."""
    vc = value_id(dm, c, st.time[c], st.ropt[c])
    for i in range(ka.cd_ptr[c], ka.cd_ptr[c + 1]):
        d = ka.cd_dist[i]
        if not ka.d_required[d] or ka.d_kind[d] <= LAST_PAIRWISE:
            continue
        lo, hi = ka.d_ptr[d], ka.d_ptr[d + 1]
        for _ in range(hi - lo):
            if st.dist_units[d] <= 0:
                break
            best, best_u, ties = -1, 1 << 40, 0
            for j in range(lo, hi):
                x = ka.d_classes[j]
                if x == c or st.time[x] < 0 or dm.pinned[x]:
                    continue
                u = dist_delta(ka, st, d, j - lo, x, st.time[x], st.ropt[x], -1, -1)
                if u < best_u:
                    best, best_u, ties = x, u, 1
                elif u == best_u:
                    ties += 1
                    if np.random.randint(ties) == 0:
                        best = x
            if best < 0:
                return False
            if learn:
                cbs_add(w, vc, value_id(dm, best, st.time[best], st.ropt[best]), n_values)
            do_move(ka, st, at, w, best, -1, -1)
        if st.dist_units[d] > 0:
            return False
    return True


@njit(cache=True)
def assign(ka, dm, st, at, w, c, t, o, learn, n_values):
    """Place ``c`` at ``(t, o)``, ejecting its hard conflicts; with ``learn`` the ejections are
    counted in the conflict-based statistics. Returns False (and leaves ``c`` unassigned) when a
    required group distribution cannot be satisfied; the caller undoes via the log if needed."""
    n, group, blocked = hard_conflicts(ka, dm, st, w, c, t, o)
    vc = value_id(dm, c, t, o)
    for i in range(n):
        x = w.conf[i]
        if learn:
            cbs_add(w, vc, value_id(dm, x, st.time[x], st.ropt[x]), n_values)
        do_move(ka, st, at, w, x, -1, -1)
    do_move(ka, st, at, w, c, t, o)
    if group > 0 and not fix_groups(ka, dm, st, at, w, c, learn, n_values):
        do_move(ka, st, at, w, c, -1, -1)
        return False
    return True
