"""Mutation-free soft-cost delta of a move, a swap or a placement inside the feasible space (numba).

The simulated annealing spends most of its time rejecting moves. Inside the feasible region (all
lectures taught, no clash — checked first in O(conflict degree)), the hard units cannot change and
every soft term of a single-period lecture is a function of a few counters, so the weighted delta
can be read off the state without touching it. ``incremental.delta_*`` stays the general, exact
path (multi-period lectures, infeasible states); tests check both agree on random feasible moves,
and on placements of a lecture taken out (:func:`soft_delta_insert`, the ruin step's pricing).

The extended benchmark's terms (windows, double lectures, travel, listed unsuitable rooms) are read
only when their weight is not zero, so an ITC2007 run pays one comparison for each.
"""

from __future__ import annotations

from numba import njit

from ..constraints import (
    COMPACTNESS,
    CURRICULUM_LOAD,
    DOUBLE_LECTURES,
    MIN_WORKING_DAYS,
    ROOM_CAPACITY,
    ROOM_STABILITY,
    TEACHER_LOAD,
    TEACHER_PREFERENCE,
    TIME_OF_DAY,
    TRAVEL,
    UNSUITABLE_ROOMS,
    WINDOWS,
)
from .full import double_day_units, load_units


@njit(cache=True, inline="always")
def _vcount(curr_cnt, g, q, q1, s1, q2, s2):
    v = curr_cnt[g, q]
    if q == q1:
        v += s1
    if q == q2:
        v += s2
    return v


@njit(cache=True, inline="always")
def _iso(curr_cnt, g, q, ppd, q1, s1, q2, s2):
    v = _vcount(curr_cnt, g, q, q1, s1, q2, s2)
    if v == 0:
        return 0
    s = q % ppd
    if s > 0 and _vcount(curr_cnt, g, q - 1, q1, s1, q2, s2) > 0:
        return 0
    if s < ppd - 1 and _vcount(curr_cnt, g, q + 1, q1, s1, q2, s2) > 0:
        return 0
    return v


@njit(cache=True, inline="always")
def _window_delta(curr_cnt, g, ppd, q, s):
    """Change of the isolated units at q-1, q, q+1 when curriculum ``g``'s count at ``q`` changes
    by ``s`` (nothing else changes within two periods of ``q``)."""
    k = q % ppd
    b = curr_cnt[g, q]
    b1 = b + s
    a = curr_cnt[g, q - 1] if k > 0 else 0
    c = curr_cnt[g, q + 1] if k < ppd - 1 else 0
    v = 0
    if a == 0 and c == 0:
        v += (b1 if b1 > 0 else 0) - (b if b > 0 else 0)
    if a > 0 and (k < 2 or curr_cnt[g, q - 2] == 0):  # q-1 is isolated iff q is empty
        v += (a if b1 == 0 else 0) - (a if b == 0 else 0)
    if c > 0 and (k > ppd - 3 or curr_cnt[g, q + 2] == 0):
        v += (c if b1 == 0 else 0) - (c if b == 0 else 0)
    return v


@njit(cache=True, nogil=True, _nrt=False)
def compact_delta(curr_cnt, g, ppd, q1, s1, q2, s2):
    """Change of curriculum ``g``'s isolated-lecture units when its count changes by ``s1`` at
    ``q1`` and ``s2`` at ``q2``."""
    if q1 // ppd != q2 // ppd or q1 - q2 > 2 or q2 - q1 > 2:
        # the two 5-period neighbourhoods do not meet: independent windows (the common case)
        return _window_delta(curr_cnt, g, ppd, q1, s1) + _window_delta(curr_cnt, g, ppd, q2, s2)
    total = 0
    for k in range(6):
        base = q1 if k < 3 else q2
        off = (k % 3) - 1
        q = base + off
        if off == -1 and base % ppd == 0:
            continue
        if off == 1 and base % ppd == ppd - 1:
            continue
        # skip periods already counted
        dup = False
        for k2 in range(k):
            b2 = q1 if k2 < 3 else q2
            o2 = (k2 % 3) - 1
            if b2 + o2 == q and not (o2 == -1 and b2 % ppd == 0) and not (o2 == 1 and b2 % ppd == ppd - 1):
                dup = True
        if dup:
            continue
        total += _iso(curr_cnt, g, q, ppd, q1, s1, q2, s2) - _iso(curr_cnt, g, q, ppd, -1, 0, -1, 0)
    return total


@njit(cache=True, inline="always")
def mask_compact_delta(day_isolated, curr_mask, g, ppd, p0, p):
    """Change of curriculum ``g``'s isolated lectures when its lecture at ``p0`` moves to a free ``p``,
    read off the day masks: in a feasible timetable a curriculum has at most one lecture per period,
    so a day's isolated lectures are those of its busy-period bits (``day_isolated``)."""
    d0 = p0 // ppd
    d = p // ppd
    b0 = 1 << (p0 - d0 * ppd)
    b1 = 1 << (p - d * ppd)
    if d0 == d:
        m = curr_mask[g, d]
        return day_isolated[m ^ b0 ^ b1] - day_isolated[m]
    m0 = curr_mask[g, d0]
    m1 = curr_mask[g, d]
    return day_isolated[m0 ^ b0] - day_isolated[m0] + day_isolated[m1 | b1] - day_isolated[m1]


@njit(cache=True, inline="always")
def _busy(curr_cnt, g, q, q1, s1, q2, s2):
    return _vcount(curr_cnt, g, q, q1, s1, q2, s2) > 0


@njit(cache=True, nogil=True, _nrt=False)
def _day_windows(curr_cnt, g, d, ppd, q1, s1, q2, s2):
    """Windows of curriculum ``g`` on day ``d`` with its counts changed by ``s1`` at ``q1`` and ``s2``
    at ``q2`` (not applied)."""
    first = -1
    last = -1
    busy = 0
    for q in range(d * ppd, (d + 1) * ppd):
        if _busy(curr_cnt, g, q, q1, s1, q2, s2):
            if first < 0:
                first = q
            last = q
            busy += 1
    return last - first + 1 - busy if busy > 1 else 0


@njit(cache=True, nogil=True, _nrt=False)
def windows_delta(curr_cnt, g, ppd, q1, s1, q2, s2):
    """Change of curriculum ``g``'s windows when its count changes by ``s1`` at ``q1`` and ``s2`` at ``q2``."""
    d1 = q1 // ppd
    d2 = q2 // ppd
    v = _day_windows(curr_cnt, g, d1, ppd, q1, s1, q2, s2) - _day_windows(curr_cnt, g, d1, ppd, -1, 0, -1, 0)
    if d2 != d1:
        v += _day_windows(curr_cnt, g, d2, ppd, q1, s1, q2, s2) - _day_windows(curr_cnt, g, d2, ppd, -1, 0, -1, 0)
    return v


@njit(cache=True, inline="always")
def _site_count(curr_site, g, q, si, q0, s0):
    """Lectures of curriculum ``g`` at ``q`` on site ``si``, with the one at ``q0`` on site ``s0`` gone."""
    v = curr_site[g, q, si]
    if q == q0 and si == s0:
        v -= 1
    return v


@njit(cache=True, nogil=True, _nrt=False)
def travel_delta(curr_cnt, curr_site, ppd, g, p0, s0, p, s1):
    """Change of curriculum ``g``'s travel pairs when its lecture at ``p0`` on site ``s0`` moves to
    ``p`` on site ``s1``: the pairs the lecture leaves, then those it joins once it has left."""
    v = 0
    k = p0 % ppd
    if k > 0:
        v -= curr_cnt[g, p0 - 1] - curr_site[g, p0 - 1, s0]
    if k < ppd - 1:
        v -= curr_cnt[g, p0 + 1] - curr_site[g, p0 + 1, s0]
    k = p % ppd
    if k > 0:
        q = p - 1
        v += curr_cnt[g, q] - (1 if q == p0 else 0) - _site_count(curr_site, g, q, s1, p0, s0)
    if k < ppd - 1:
        q = p + 1
        v += curr_cnt[g, q] - (1 if q == p0 else 0) - _site_count(curr_site, g, q, s1, p0, s0)
    return v


@njit(cache=True, inline="always")
def _excess(v, m):
    return v - m if v > m else 0


@njit(cache=True, inline="always")
def days_short_delta(ka, st, c, d0, d):
    """Change of course ``c``'s working days short of its minimum when one of its lectures moves
    from day ``d0`` to another day ``d``."""
    nd = st.n_days[c]
    na = nd - (1 if st.course_day[c, d0] == 1 else 0) + (1 if st.course_day[c, d] == 0 else 0)
    m = ka.course_min_days[c]
    return (m - na if na < m else 0) - (m - nd if nd < m else 0)


@njit(cache=True, inline="always")
def _shared_from(idx, k, hi, g):
    """Walk ``k`` along the sorted curricula ``idx[k:hi]`` of a swap partner to the first one ``>= g``
    (the caller's curricula come in ascending order too: one pass over both lists)."""
    while k < hi and idx[k] < g:
        k += 1
    return k


@njit(cache=True, nogil=True, _nrt=False)
def _course_part(ka, st, w, c, p0, r0, p, r, other, op0, op):
    """Weighted delta of course ``c`` moving (p0, r0) -> (p, r); curricula it shares with course
    ``other`` (moving op0 -> op, or -1) are handled jointly when ``other`` is the swap partner."""
    ppd = ka.ppd
    d0 = p0 // ppd
    d = p // ppd
    v = 0.0
    masks = ka.day_isolated.shape[0] > 1
    st_c = ka.course_students[c]
    cap0 = st_c - ka.room_capacity[r0]
    cap1 = st_c - ka.room_capacity[r]
    v += w[ROOM_CAPACITY] * ((cap1 if cap1 > 0 else 0) - (cap0 if cap0 > 0 else 0))
    if d != d0:
        v += w[MIN_WORKING_DAYS] * days_short_delta(ka, st, c, d0, d)
    if r != r0:
        nr = st.n_rooms[c]
        na = nr - (1 if st.course_room[c, r0] == 1 else 0) + (1 if st.course_room[c, r] == 0 else 0)
        v += w[ROOM_STABILITY] * ((na - 1 if na > 1 else 0) - (nr - 1 if nr > 1 else 0))
    v += w[TEACHER_PREFERENCE] * (int(ka.undesired[c, p]) - int(ka.undesired[c, p0]))
    v += w[TIME_OF_DAY] * (ka.period_penalty[p] - ka.period_penalty[p0])
    k = ka.cc_ptr[other] if other >= 0 else 0
    k_end = ka.cc_ptr[other + 1] if other >= 0 else 0
    for j in range(ka.cc_ptr[c], ka.cc_ptr[c + 1]):
        g = ka.cc_idx[j]
        k = _shared_from(ka.cc_idx, k, k_end, g)
        if k < k_end and ka.cc_idx[k] == g:
            # the partner moves the other way: counts unchanged for this curriculum, and each of the
            # two periods keeps its room (so its site)
            continue
        if p != p0:
            if masks:
                v += w[COMPACTNESS] * mask_compact_delta(ka.day_isolated, st.curr_mask, g, ppd, p0, p)
            else:
                v += w[COMPACTNESS] * compact_delta(st.curr_cnt, g, ppd, p0, -1, p, 1)
        m = ka.curriculum_max[g]
        if m > 0 and d != d0:
            a = st.curr_day[g, d0]
            b = st.curr_day[g, d]
            v += w[CURRICULUM_LOAD] * (_excess(a - 1, m) - _excess(a, m) + _excess(b + 1, m) - _excess(b, m))
    t = ka.course_teacher[c]
    m = ka.teacher_max[t]
    if m > 0 and d != d0 and not (other >= 0 and ka.course_teacher[other] == t):
        a = st.teacher_day[t, d0]
        b = st.teacher_day[t, d]
        v += w[TEACHER_LOAD] * (_excess(a - 1, m) - _excess(a, m) + _excess(b + 1, m) - _excess(b, m))
    return v


@njit(cache=True, nogil=True, _nrt=False)
def _ext_part(ka, st, w, c, p0, r0, p, r, other):
    """The extended benchmark's terms of course ``c`` moving (p0, r0) -> (p, r), its swap partner
    ``other`` (or -1) moving the other way (see :func:`_course_part`): listed unsuitable rooms,
    double lectures, windows, travel and the part of the curricula's daily load below their minimum
    (the part above the maximum is ITC's). Called only when ``ka.ext`` and kept out of
    ``_course_part``, so that ITC2007 problems run ``_course_part`` as before."""
    ppd = ka.ppd
    cc_ptr = ka.cc_ptr
    cc_idx = ka.cc_idx
    room_unsuitable = ka.room_unsuitable
    course_double = ka.course_double
    room_site = ka.room_site
    curriculum_min = ka.curriculum_min
    course_room_at = st.course_room_at
    curr_cnt = st.curr_cnt
    curr_site = st.curr_site
    curr_day = st.curr_day
    d0 = p0 // ppd
    d = p // ppd
    v = 0.0
    if w[UNSUITABLE_ROOMS] != 0.0 and r != r0:
        v += w[UNSUITABLE_ROOMS] * (int(room_unsuitable[c, r]) - int(room_unsuitable[c, r0]))
    if w[DOUBLE_LECTURES] != 0.0 and course_double[c]:
        # the course's days before and after, its room at p0 gone and r at p (a swap partner is another course)
        dv = double_day_units(course_room_at, c, d, ppd, p0, -1, p, r) \
            - double_day_units(course_room_at, c, d, ppd, -1, -1, -1, -1)
        if d0 != d:
            dv += double_day_units(course_room_at, c, d0, ppd, p0, -1, p, r) \
                - double_day_units(course_room_at, c, d0, ppd, -1, -1, -1, -1)
        v += w[DOUBLE_LECTURES] * dv
    windows = w[WINDOWS] != 0.0 and ka.count_windows and p != p0
    travel = w[TRAVEL] != 0.0 and ka.n_sites > 1
    s0 = room_site[r0]
    s1 = room_site[r]
    k = cc_ptr[other] if other >= 0 else 0
    k_end = cc_ptr[other + 1] if other >= 0 else 0
    for j in range(cc_ptr[c], cc_ptr[c + 1]):
        g = cc_idx[j]
        k = _shared_from(cc_idx, k, k_end, g)
        if k < k_end and cc_idx[k] == g:
            # the partner moves the other way: counts unchanged for this curriculum, and each of the
            # two periods keeps its room (so its site)
            continue
        if windows:
            v += w[WINDOWS] * windows_delta(curr_cnt, g, ppd, p0, -1, p, 1)
        if travel and (p != p0 or s0 != s1):
            v += w[TRAVEL] * travel_delta(curr_cnt, curr_site, ppd, g, p0, s0, p, s1)
        lo = curriculum_min[g]
        if lo > 0 and d != d0:
            a = curr_day[g, d0]
            b = curr_day[g, d]
            v += w[CURRICULUM_LOAD] * (_short(a - 1, lo) - _short(a, lo) + _short(b + 1, lo) - _short(b, lo))
    return v


@njit(cache=True, inline="always")
def _short(n, lo):
    """Lectures short of the daily minimum ``lo`` on a day with ``n`` (none when the day is free);
    with the excess over the maximum (``_excess``) it is ``full.load_units`` (a minimum never exceeds
    the maximum)."""
    return lo - n if 0 < n < lo else 0


@njit(cache=True, nogil=True, _nrt=False)
def soft_delta_move(ka, st, l, p, r, w):
    """Weighted soft delta of moving taught single-period lecture ``l`` to a free (p, r)."""
    c = ka.lecture_course[l]
    p0 = st.period[l]
    r0 = st.room[l]
    v = _course_part(ka, st, w, c, p0, r0, p, r, -1, -1, -1)
    if ka.ext:  # apart, so that ITC2007 problems run the same code as before these terms existed
        v += _ext_part(ka, st, w, c, p0, r0, p, r, -1)
    return v


@njit(cache=True, nogil=True, _nrt=False)
def soft_delta_swap(ka, st, l1, l2, w):
    """Weighted soft delta of exchanging the (period, room) of two taught single-period lectures
    of different courses."""
    c1 = ka.lecture_course[l1]
    c2 = ka.lecture_course[l2]
    p1 = st.period[l1]
    r1 = st.room[l1]
    p2 = st.period[l2]
    r2 = st.room[l2]
    v = _course_part(ka, st, w, c1, p1, r1, p2, r2, c2, p2, p1) + _course_part(
        ka, st, w, c2, p2, r2, p1, r1, c1, p1, p2
    )
    if ka.ext:
        v += _ext_part(ka, st, w, c1, p1, r1, p2, r2, c2) + _ext_part(ka, st, w, c2, p2, r2, p1, r1, c1)
    return v


@njit(cache=True, inline="always")
def room_cost(ka, st, w, c, r):
    """The room's part of placing one more lecture of course ``c`` in room ``r``: seats short,
    a new room for the course (stability) and a listed unsuitable room."""
    v = 0.0
    over = ka.course_students[c] - ka.room_capacity[r]
    if over > 0:
        v += w[ROOM_CAPACITY] * over
    if st.course_room[c, r] == 0 and st.n_rooms[c] > 0:
        v += w[ROOM_STABILITY]
    if ka.room_unsuitable[c, r]:
        v += w[UNSUITABLE_ROOMS]
    return v


@njit(cache=True, nogil=True, _nrt=False)
def soft_delta_insert(ka, st, c, p, r, w):
    """Weighted soft delta of teaching an unplaced single-period lecture of course ``c`` at a free
    (p, r) where it clashes with nothing (the ruin-and-recreate step prices every period this way;
    the Lectures unit it removes is the same everywhere and left out)."""
    return room_cost(ka, st, w, c, r) + _insert_at(ka, st, c, p, r, w)


@njit(cache=True, nogil=True, _nrt=False)
def period_delta_insert(ka, st, c, p, w):
    """:func:`soft_delta_insert` less the room's part (:func:`room_cost`, never negative), for a
    problem without the extended benchmark's terms (``not ka.ext``: no other term reads the room),
    so that a caller can rule a period out before it looks for a room."""
    return _insert_at(ka, st, c, p, -1, w)


@njit(cache=True, inline="always")
def _insert_at(ka, st, c, p, r, w):
    """The period's part of :func:`soft_delta_insert`; with the extended benchmark's terms (travel,
    double lectures) also what depends on the room ``r`` there (``r >= 0`` then)."""
    ppd = ka.ppd
    d = p // ppd
    v = 0.0
    if st.course_day[c, d] == 0 and st.n_days[c] < ka.course_min_days[c]:
        v -= w[MIN_WORKING_DAYS]
    v += w[TEACHER_PREFERENCE] * int(ka.undesired[c, p]) + w[TIME_OF_DAY] * ka.period_penalty[p]
    masks = ka.day_isolated.shape[0] > 1
    ext = ka.ext
    windows = ext and w[WINDOWS] != 0.0 and ka.count_windows
    travel = ext and w[TRAVEL] != 0.0 and ka.n_sites > 1
    si = ka.room_site[r] if travel else 0
    for j in range(ka.cc_ptr[c], ka.cc_ptr[c + 1]):
        g = ka.cc_idx[j]
        if masks:
            m = st.curr_mask[g, d]
            v += w[COMPACTNESS] * (ka.day_isolated[m | (1 << (p - d * ppd))] - ka.day_isolated[m])
        else:
            v += w[COMPACTNESS] * compact_delta(st.curr_cnt, g, ppd, p, 1, p, 0)
        b = st.curr_day[g, d]
        v += w[CURRICULUM_LOAD] * (load_units(b + 1, ka.curriculum_min[g], ka.curriculum_max[g])
                                   - load_units(b, ka.curriculum_min[g], ka.curriculum_max[g]))
        if windows:
            v += w[WINDOWS] * windows_delta(st.curr_cnt, g, ppd, p, 1, p, 0)
        if travel:  # the pairs with the adjacent periods' lectures on another site
            k = p % ppd
            if k > 0:
                v += w[TRAVEL] * (st.curr_cnt[g, p - 1] - st.curr_site[g, p - 1, si])
            if k < ppd - 1:
                v += w[TRAVEL] * (st.curr_cnt[g, p + 1] - st.curr_site[g, p + 1, si])
    t = ka.course_teacher[c]
    m = ka.teacher_max[t]
    if m > 0:
        b = st.teacher_day[t, d]
        v += w[TEACHER_LOAD] * (_excess(b + 1, m) - _excess(b, m))
    if ext and w[DOUBLE_LECTURES] != 0.0 and ka.course_double[c]:
        v += w[DOUBLE_LECTURES] * (double_day_units(st.course_room_at, c, d, ppd, -1, -1, p, r)
                                   - double_day_units(st.course_room_at, c, d, ppd, -1, -1, -1, -1))
    return v
