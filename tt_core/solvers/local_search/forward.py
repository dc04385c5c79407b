"""Iterative forward search: a feasible timetable on data too tight for the annealing repair.

The placed lectures are kept free of hard violations; the others wait, unplaced. Each step takes
one waiting lecture and puts it at the period (and room) that sends the fewest placed lectures
back to wait: the lectures of the courses it may not overlap there, and the room's occupant. A
tabu memory keeps a lecture sent back from a period away from it for a while, so the search does
not undo its last steps (the 2007 winner's iterative forward search; PartialCol for colouring).

Why: the annealing repair, which ran first until this search came (:meth:`~.search._Run.repair`),
moves a lecture from clash to clash and counts a lecture with five clashes five times; on tight
data it stalls far from zero. On three 850-course, ~2,100-lecture, 30-period instances with a
timetable by construction (planted as in ``tests/test_forward.py``, UD4) it left 236, 270 and 311
hard units after 60 s; with this search first, the first two are feasible at 2.2 s and 6.1 s and
the third ends at 38 (the README's design section has the numbers).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ...kernels.incremental import relocate
from .kernels import movable_flag, room_free, violates
from .stream import below


@njit(cache=True, nogil=True, _nrt=False)
def clear_violations(ka, st, movable, order, du):
    """Unplace, in ``order``, each placed movable lecture still in a hard violation
    (:func:`~.kernels.violates`); the placed lectures left clash with nothing (a lecture kept
    had no violation when it was read, and unplacing others only removes violations). Pinned
    lectures stay where they are."""
    for i in range(order.shape[0]):
        l = order[i]
        if st.period[l] >= 0 and movable_flag(movable, l, st.period) and violates(ka, st, l):
            relocate(ka, st, l, -1, -1, du)


@njit(cache=True, inline="always")
def _span_free(st, c, p, length):
    for q in range(p, p + length):
        if st.all_cover[c, q] > 0:
            return False
    return True


@njit(cache=True, nogil=True, _nrt=False)
def _room_at(ka, st, suit_ptr, suit_idx, rs, c, p, length):
    """A suitable room free over the lecture's periods from ``p`` (scanned from a random one of the
    course's suitable rooms), or -1."""
    n = suit_ptr[c + 1] - suit_ptr[c]
    k0 = below(rs, n)
    for k in range(n):
        kk = k0 + k
        if kk >= n:
            kk -= n
        r = suit_idx[suit_ptr[c] + kk]
        if room_free(st, r, p, length):
            return r
    return -1


@njit(cache=True, nogil=True, _nrt=False)
def _fewest_occupied(st, suit_ptr, suit_idx, rs, c, p, length):
    """The suitable room with the fewest taken periods among the lecture's (ties at random)."""
    best_r = -1
    best_n = 1 << 30
    ties = 0
    for k in range(suit_ptr[c], suit_ptr[c + 1]):
        r = suit_idx[k]
        n = 0
        for q in range(p, p + length):
            if st.room_cnt[r, q] > 0:
                n += 1
        if n < best_n:
            best_n = n
            best_r = r
            ties = 1
        elif n == best_n:
            ties += 1
            if below(rs, ties) == 0:
                best_r = r
    return best_r


@njit(cache=True, inline="always")
def _add_once(out, n, m):
    """Append lecture ``m`` to ``out[:n]`` unless it is there; returns the new count."""
    for i in range(n):
        if out[i] == m:
            return n
    out[n] = m
    return n + 1


@njit(cache=True, nogil=True, _nrt=False)
def _collect(ka, st, c, p, r, length, out):
    """The placed lectures that placing a lecture of ``c`` at (p, r) sends back: those of the
    courses ``c`` may not overlap covering its periods, and the room's occupants. Returns how many
    (each once) in ``out``."""
    n = 0
    for q in range(p, p + length):
        for j in range(ka.conf_ptr[c], ka.conf_ptr[c + 1]):
            o = ka.conf_idx[j]
            if st.all_cover[o, q] == 0:
                continue
            lo = ka.course_length[o]
            for m in range(ka.course_ptr[o], ka.course_ptr[o + 1]):
                pm = st.period[m]
                if pm >= 0 and pm <= q < pm + lo:
                    n = _add_once(out, n, m)
        if st.room_cnt[r, q] > 0:
            m = st.room_lec[r, q]
            if m >= 0:
                n = _add_once(out, n, m)
    return n


@njit(cache=True, nogil=True, _nrt=False)
def forward_steps(ka, st, movable, suit_ptr, suit_idx, tabu, waiting, slot, n_wait, it, n_iter, best_p, best_r,
                  best_n, du, rs, buf, score):
    """Up to ``n_iter`` steps (fewer once nothing waits). ``waiting[:n_wait[0]]`` are the unplaced
    lectures, ``slot[l]`` is ``l``'s index there (-1 placed); ``tabu[c, p]``: the step until which a
    lecture of ``c`` sent back from ``p`` may not return there unless it sends nothing back;
    ``it[0]`` counts the steps; ``best_*`` keep the timetable with the fewest waiting
    (``best_n[0]``). ``buf`` holds the lectures a step sends back (as many as lectures), ``score``
    the periods' clash counts (as many as periods)."""
    ppd = ka.ppd
    n_days = ka.n_days
    for _ in range(n_iter):
        if n_wait[0] == 0:
            return
        it[0] += 1
        l = waiting[below(rs, n_wait[0])]
        c = ka.lecture_course[l]
        length = ka.course_length[c]
        # the periods' clash counts; the lowest, and one above it, are priced with their rooms
        low = 1 << 30
        for d in range(n_days):
            for s in range(ppd - length + 1):
                p = d * ppd + s
                score[p] = -1
                if not _span_free(st, c, p, length):
                    continue
                k = 0
                for q in range(p, p + length):
                    if ka.unavailable[c, q]:
                        k = -1
                        break
                    k += st.conf_load[c, q]
                if k < 0 or (k > 0 and tabu[c, p] > it[0]):
                    continue
                score[p] = k
                if k < low:
                    low = k
        if low == 1 << 30:
            continue  # nowhere to go now (every period tabu or unavailable): another lecture's turn
        best = 1 << 30
        bp = -1
        br = -1
        ties = 0
        for d in range(n_days):
            for s in range(ppd - length + 1):
                p = d * ppd + s
                k = score[p]
                if k < 0 or k > low + 1:
                    continue
                r = _room_at(ka, st, suit_ptr, suit_idx, rs, c, p, length)
                if r < 0:
                    k += 1
                if k < best:
                    best, bp, br, ties = k, p, r, 1
                elif k == best:
                    ties += 1
                    if below(rs, ties) == 0:
                        bp, br = p, r
        if br < 0:
            br = _fewest_occupied(st, suit_ptr, suit_idx, rs, c, bp, length)
        n = _collect(ka, st, c, bp, br, length, buf)
        pinned = False
        for i in range(n):
            if not movable_flag(movable, buf[i], st.period):
                pinned = True
        if pinned:
            tabu[c, bp] = it[0] + 10  # a pinned lecture is in the way: try elsewhere for a while
            continue
        tenure = below(rs, 10) + (6 * n_wait[0]) // 10
        for i in range(n):
            m = buf[i]
            o = ka.lecture_course[m]
            tabu[o, st.period[m]] = it[0] + tenure
            relocate(ka, st, m, -1, -1, du)
            slot[m] = n_wait[0]
            waiting[n_wait[0]] = m
            n_wait[0] += 1
        relocate(ka, st, l, bp, br, du)
        # l leaves the waiting list: the last one takes its slot
        i = slot[l]
        last = waiting[n_wait[0] - 1]
        waiting[i] = last
        slot[last] = i
        slot[l] = -1
        n_wait[0] -= 1
        if n_wait[0] < best_n[0]:
            best_n[0] = n_wait[0]
            for m in range(best_p.shape[0]):
                best_p[m] = st.period[m]
                best_r[m] = st.room[m]



def forward_search(ka, st, movable, suit_ptr, suit_idx, rs, du, rng, *, time_left, stall_steps: int,
                   chunk: int = 5000) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Clear the hard violations of ``st`` by unplacing (a random order), then place the waiting
    lectures (see the module's docstring) until none waits, ``time_left()`` is 0, or
    ``stall_steps`` steps pass without fewer waiting than ever before. Returns the best
    timetable's ``(period, room)``, how many of its lectures wait (are unplaced) and the steps
    taken. ``st``'s arrays are left at the search's last state and its ``units`` stale: rebuild
    the state from the result."""
    clear_violations(ka, st, movable, rng.permutation(movable).astype(np.int32), du)
    L = st.period.shape[0]
    waiting = np.full(L, -1, np.int32)
    first = movable[st.period[movable] < 0].astype(np.int32)
    waiting[:len(first)] = first
    slot = np.full(L, -1, np.int32)
    slot[first] = np.arange(len(first), dtype=np.int32)
    n_wait = np.array([len(first)], np.int64)
    best_n = n_wait.copy()
    best_p, best_r = st.period.copy(), st.room.copy()
    tabu = np.zeros(st.conf_load.shape, np.int64)
    score = np.empty(st.conf_load.shape[1], np.int64)
    buf = np.empty(L, np.int32)
    it = np.zeros(1, np.int64)
    gain_at, seen = 0, best_n[0]
    while n_wait[0] > 0 and it[0] - gain_at < stall_steps and time_left() > 0:
        forward_steps(ka, st, movable, suit_ptr, suit_idx, tabu, waiting, slot, n_wait, it, chunk, best_p, best_r,
                      best_n, du, rs, buf, score)
        if best_n[0] < seen:
            seen, gain_at = best_n[0], it[0]
    return best_p, best_r, int(best_n[0]), int(it[0])
