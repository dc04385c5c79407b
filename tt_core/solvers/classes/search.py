"""Local search over (time, room) of the classes, keeping the timetable free of hard violations.

Simulated annealing on the weighted objective (the competition's total, student conflicts
counted through the state's student pair graph, so the sectioning is fixed during a run). Each
iteration takes a random movable class and a random valid value — a new time (keeping the
room when it can), a new room at the same time, or both — and:

* when the value has no hard conflict, the move is scored by the kernels' exact delta
  (:func:`tt_core.classes.kernels.move_delta`) and accepted by the Metropolis rule;
* when it conflicts with one or two classes, an *ejection chain*: the class takes the value,
  the conflicting classes are ejected and each is re-placed at the best of a sample of its own
  values that conflict with nothing; if all find one, the compound move is judged by the same
  rule on its total change, otherwise it is undone (a room or time swap is the common case).

Hard feasibility is never lost, so the best timetable so far is always valid (when the start
was). cpsolver alternates the same neighbourhoods (time change, room change, swaps) under great
deluge or simulated annealing; here one numba call runs a chunk of iterations at a temperature
falling from ``t_from`` to ``t_to``, and the driver polls the clock and the user's stop between
chunks.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ...classes.kernels import move_delta, weighted_total
from .attendance import student_delta
from .conflicts import assign, do_move, hard_conflicts, room_conflicts, start_log, stop_log, time_conflicts, undo_to

REPLACE_SAMPLE = 48   # values tried when re-placing an ejected class


@njit(cache=True)
def random_value(ka, dm, st, c):
    """A random valid value of ``c`` other than its own: new time keeping the room (40%), new
    room at the same time (30%), or both. ``(-1, -1)`` when none was found."""
    nt = ka.time_ptr[c + 1] - ka.time_ptr[c]
    nro = dm.nro[c]
    has_rooms = ka.room_ptr[c + 1] > ka.room_ptr[c]
    t0, o0 = st.time[c], st.ropt[c]
    for _ in range(8):
        u = np.random.random()
        if u < 0.4 or not has_rooms or nro == 1:
            t = np.random.randint(nt)
            oi = o0 if has_rooms else 0
            if t == t0:
                continue
        elif u < 0.7:
            if nro == 1:
                continue
            t = t0
            oi = np.random.randint(nro)
            if oi == o0:
                continue
        else:
            t = np.random.randint(nt)
            oi = np.random.randint(nro)
            if t == t0 and oi == o0:
                continue
        if dm.valid[dm.vptr[c] + t * nro + oi]:
            return t, (oi if has_rooms else -1)
    return -1, -1


@njit(cache=True)
def replace(ka, dm, st, at, w, x, sample):
    """Put unassigned class ``x`` at the cheapest of ``sample`` random valid values that conflict
    with nothing; False when none of them fits."""
    nt = ka.time_ptr[x + 1] - ka.time_ptr[x]
    nro = dm.nro[x]
    has_rooms = ka.room_ptr[x + 1] > ka.room_ptr[x]
    total = nt * nro
    bt, bo, bd = -1, -1, np.int64(1) << 62
    tries = min(sample, total)
    for k in range(tries):
        if total <= sample:
            v = k
        else:
            v = np.random.randint(total)
        t = v // nro
        oi = v - t * nro
        if not dm.valid[dm.vptr[x] + v]:
            continue
        o = oi if has_rooms else -1
        n, group, blocked = time_conflicts(ka, dm, st, w, x, t)
        if blocked or n > 0 or group > 0:
            continue
        n, blocked = room_conflicts(ka, dm, st, w, x, t, o, 0)
        if blocked or n > 0:
            continue
        d = move_delta(ka, st, x, t, o) + ka.weights[3] * student_delta(ka, at, x, t, o)
        if d < bd:
            bt, bo, bd = t, o, d
    if bt < 0:
        return False
    do_move(ka, st, at, w, x, bt, bo)
    return True


@njit(cache=True)
def _total(ka, st, at):
    """The weighted objective: the state's four sums (students excluded there) plus the students."""
    return weighted_total(ka, st.units) + ka.weights[3] * at.conflicts[0]


@njit(cache=True)
def _accept(delta, temp):
    if delta <= 0:
        return True
    if temp <= 0.0:
        return False
    return np.random.random() < math.exp(-delta / temp)


@njit(cache=True, nogil=True)
def anneal(ka, dm, st, at, w, iters, t_from, t_to, eject_prob, n_values, best_time, best_ropt, best_total):
    """``iters`` iterations of simulated annealing from temperature ``t_from`` to ``t_to``
    (geometric). The best complete timetable goes to ``best_time``/``best_ropt``.

    Returns ``(best total, accepted moves, improvements, ejection chains accepted)``.
    """
    movable = dm.movable
    nm = movable.shape[0]
    if nm == 0 or iters <= 0:
        return best_total, 0, 0, 0
    total = _total(ka, st, at)
    complete = w.un_n[0] == 0
    ratio = (t_to / t_from) if t_from > 0 else 1.0
    accepted, improved, chains = 0, 0, 0
    temp = t_from
    step = ratio ** (1.0 / iters) if t_from > 0 else 1.0
    for _ in range(iters):
        temp *= step
        c = movable[np.random.randint(nm)]
        if st.time[c] < 0:
            continue
        t, o = random_value(ka, dm, st, c)
        if t < 0:
            continue
        n, group, blocked = hard_conflicts(ka, dm, st, w, c, t, o)
        if blocked:
            continue
        if n == 0 and group == 0:
            d = move_delta(ka, st, c, t, o) + ka.weights[3] * student_delta(ka, at, c, t, o)
            if _accept(d, temp):
                do_move(ka, st, at, w, c, t, o)
                total += d
                accepted += 1
            else:
                continue
        else:
            if n + group > 2 or np.random.random() >= eject_prob:
                continue
            start_log(w)
            ok = assign(ka, dm, st, at, w, c, t, o, False, n_values)
            k = 0
            while ok and w.un_n[0] > 0 and k < 6:
                ok = replace(ka, dm, st, at, w, w.un_list[w.un_n[0] - 1], REPLACE_SAMPLE)
                k += 1
            ok = ok and w.un_n[0] == 0 and st.units[0] + st.units[1] + st.units[2] + st.units[3] == 0
            if ok:
                d = _total(ka, st, at) - total
                ok = _accept(d, temp)
            if not ok:
                undo_to(ka, st, at, w, 0)
                stop_log(w)
                continue
            stop_log(w)
            total = _total(ka, st, at)
            accepted += 1
            chains += 1
        if complete and total < best_total:
            best_total = total
            improved += 1
            best_time[:] = st.time
            best_ropt[:] = st.ropt
    return best_total, accepted, improved, chains


@njit(cache=True)
def sample_uphill(ka, dm, st, at, w, n):
    """Positive deltas of ``n`` random feasible moves (to set the starting temperature)."""
    out = np.zeros(n, np.float64)
    m = 0
    nm = dm.movable.shape[0]
    if nm == 0:
        return out[:0]
    for _ in range(20 * n):
        if m >= n:
            break
        c = dm.movable[np.random.randint(nm)]
        if st.time[c] < 0:
            continue
        t, o = random_value(ka, dm, st, c)
        if t < 0:
            continue
        k, group, blocked = hard_conflicts(ka, dm, st, w, c, t, o)
        if blocked or k > 0 or group > 0:
            continue
        d = move_delta(ka, st, c, t, o) + ka.weights[3] * student_delta(ka, at, c, t, o)
        if d > 0:
            out[m] = d
            m += 1
    return out[:m]
