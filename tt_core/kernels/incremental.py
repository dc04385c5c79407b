"""Incremental state and delta evaluation of moves and swaps (numba).

The state keeps the counters every constraint is a function of (room × period occupancy, course ×
day and course × room use, curriculum × period counts, …). Placing or removing one *taught*
lecture updates them in O(conflict degree + curricula of the course) and accumulates the change of
every constraint's units. A move is then "remove, re-place" and its delta is exactly
``full(after) - full(before)``; ``delta_*`` applies, measures and reverts.

The hot kernels are compiled with ``_nrt=False``: they never allocate, and numba then emits no
reference counting for the arrays they read out of the ``KArrays``/``KState`` tuples (measured 4×
faster per update). Scratch space lives in the state.

Validator semantics (see ``full.py``): lectures are taught in id order and a lecture overlapping a
period already used by its course is not taught. Moves that keep every lecture of the course
distinct take a fast path; the rare others re-derive which lectures of that course are taught.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from ..constraints import (
    AVAILABILITY,
    COMPACTNESS,
    CONFLICTS,
    CURRICULUM_LOAD,
    DOUBLE_LECTURES,
    LECTURES,
    MIN_WORKING_DAYS,
    N_CONSTRAINTS,
    ROOM_CAPACITY,
    ROOM_OCCUPATION,
    ROOM_STABILITY,
    ROOM_SUITABILITY,
    STUDENT_CLASHES,
    TEACHER_LOAD,
    TEACHER_PREFERENCE,
    TIME_OF_DAY,
    TRAVEL,
    UNSUITABLE_ROOMS,
    WINDOWS,
)
from ..model import Problem, Timetable
from .arrays import KArrays, kernel_arrays
from .full import double_day_units, load_units


class KState(NamedTuple):
    """Mutable counters of one timetable (arrays are updated in place by the kernels)."""

    period: np.ndarray       # int32 [L] start period, -1 unplaced
    room: np.ndarray         # int32 [L]
    taught: np.ndarray       # bool [L] lecture counts (validator semantics)
    course_cover: np.ndarray  # int16 [C, P] periods covered by taught lectures of the course (0/1)
    all_cover: np.ndarray    # int16 [C, P] periods covered by any placed lecture of the course
    conf_load: np.ndarray    # int32 [C, P] sum of course_cover over the courses c may not overlap:
    #                          0 ⇔ teaching c at that period clashes with nothing (an O(1) test)
    room_cnt: np.ndarray     # int32 [R, P] taught lectures occupying the room
    room_lec: np.ndarray     # int32 [R, P] -1, or a lecture occupying the room: exact while no room is
    #                          double-booked; -1 with an occupant only after the named one left a
    #                          double-booked room (``delta_*`` trials restore it exactly)
    course_day: np.ndarray   # int32 [C, D] taught lectures per day
    n_days: np.ndarray       # int32 [C]
    course_room: np.ndarray  # int32 [C, R] taught lectures per room
    n_rooms: np.ndarray      # int32 [C]
    curr_cnt: np.ndarray     # int32 [Q, P]
    curr_day: np.ndarray     # int32 [Q, D]
    curr_mask: np.ndarray    # int32 [Q, D] the curriculum's busy periods of the day as bits (curr_cnt > 0;
    #                          read only for days of at most 16 periods, see KArrays.day_isolated)
    teacher_day: np.ndarray  # int32 [T, D]
    course_room_at: np.ndarray  # int32 [C, P] room of the course's taught lecture there, -1 none (double
    #                             lectures and travel read it; [0, 0] when neither is counted)
    curr_site: np.ndarray    # int32 [Q, P, S] taught lectures of the curriculum at the period per site
    #                          (TravelDistance; [0, 0, 0] when all rooms are on one site)
    units: np.ndarray        # int64 [N] current units of every constraint
    scratch: np.ndarray      # int64 [N] work space of delta_* (reverting a trial move)


@njit(cache=True, inline="always")
def _span(ka, c, p):
    d = p // ka.ppd
    day_end = (d + 1) * ka.ppd
    end = min(p + ka.course_length[c], day_end)
    return d, end, p + ka.course_length[c] - end


@njit(cache=True, inline="always")
def _isolated(curr_cnt, g, q, ppd):
    cnt = curr_cnt[g, q]
    if cnt == 0:
        return 0
    s = q % ppd
    if s > 0 and curr_cnt[g, q - 1] > 0:
        return 0
    if s < ppd - 1 and curr_cnt[g, q + 1] > 0:
        return 0
    return cnt


@njit(cache=True, inline="always")
def _isolated_around(curr_cnt, g, q, ppd):
    s = q % ppd
    total = _isolated(curr_cnt, g, q, ppd)
    if s > 0:
        total += _isolated(curr_cnt, g, q - 1, ppd)
    if s < ppd - 1:
        total += _isolated(curr_cnt, g, q + 1, ppd)
    return total


@njit(cache=True, inline="always")
def _window_change(curr_cnt, g, q, ppd):
    """Change of curriculum ``g``'s windows on ``q``'s day when ``q`` becomes busy (the count at ``q``
    goes 0 -> 1; the opposite change is its negative): read from the nearest busy periods of the day
    on both sides of ``q``."""
    start = q - q % ppd
    a = q - 1
    while a >= start and curr_cnt[g, a] == 0:
        a -= 1
    b = q + 1
    while b < start + ppd and curr_cnt[g, b] == 0:
        b += 1
    left = a >= start
    right = b < start + ppd
    if left and right:
        return -1          # q was a window between two busy periods
    if left:
        return q - a - 1   # the day now ends at q: the free periods after the old last become windows
    if right:
        return b - q - 1
    return 0


@njit(cache=True, inline="always")
def _travel_change(ka, st, g, q, si):
    """Pairs of different sites that one more lecture of curriculum ``g`` at ``q`` on site ``si``
    forms with the curriculum's lectures in the adjacent periods of the day."""
    ppd = ka.ppd
    k = q % ppd
    v = 0
    if k > 0:
        v += st.curr_cnt[g, q - 1] - st.curr_site[g, q - 1, si]
    if k < ppd - 1:
        v += st.curr_cnt[g, q + 1] - st.curr_site[g, q + 1, si]
    return v


@njit(cache=True, inline="always")
def _teach(ka, st, l, p, r, s, du):
    """Add (s=+1) or remove (s=-1) taught lecture ``l`` at start ``p`` in room ``r``.

    Inlined into :func:`relocate`: numba passes ``ka`` and ``st`` to a compiled call as hundreds of
    scalar arguments, and with the extended benchmark's arrays in them that call cost
    ``delta_move`` about 60% on ITC2007 instances (measured); inlined, it is faster than before."""
    c = ka.lecture_course[l]
    d, end, overflow = _span(ka, c, p)
    ppd = ka.ppd
    double = ka.course_double[c]
    if double:
        du[DOUBLE_LECTURES] -= double_day_units(st.course_room_at, c, d, ppd, -1, -1, -1, -1)
    travel = ka.n_sites > 1
    track = st.course_room_at.shape[0] > 0
    du[LECTURES] -= s
    av = overflow
    pref = 0
    tod = 0
    for q in range(p, end):
        if ka.unavailable[c, q]:
            av += 1
        if ka.undesired[c, q]:
            pref += 1
        tod += ka.period_penalty[q]
        b = st.room_cnt[r, q]
        a = b + s
        du[ROOM_OCCUPATION] += (a - 1 if a > 1 else 0) - (b - 1 if b > 1 else 0)
        st.room_cnt[r, q] = a
        if s > 0:
            if st.room_lec[r, q] < 0:  # a lecture already named keeps the entry: a trial move
                st.room_lec[r, q] = l   # into an occupied room then leaves it as it was
        elif st.room_lec[r, q] == l:
            st.room_lec[r, q] = -1
        k = 0
        ks = 0
        for j in range(ka.conf_ptr[c], ka.conf_ptr[c + 1]):
            o = ka.conf_idx[j]
            if st.course_cover[o, q] > 0:
                k += ka.conf_group[j]
                ks += ka.conf_students[j]
            st.conf_load[o, q] += s
        du[CONFLICTS] += s * k
        du[STUDENT_CLASHES] += s * ks
        st.course_cover[c, q] += s
        if track:
            st.course_room_at[c, q] = r if s > 0 else -1
        for j in range(ka.cc_ptr[c], ka.cc_ptr[c + 1]):
            g = ka.cc_idx[j]
            before = _isolated_around(st.curr_cnt, g, q, ppd)
            b = st.curr_cnt[g, q]
            if travel:  # the pairs with the adjacent periods (only they are read) appear or vanish
                si = ka.room_site[r]
                du[TRAVEL] += s * _travel_change(ka, st, g, q, si)
                st.curr_site[g, q, si] += s
            if ka.count_windows and (b + s == 0 or b == 0):  # the period turns free or busy for the curriculum
                du[WINDOWS] += s * _window_change(st.curr_cnt, g, q, ppd)
            st.curr_cnt[g, q] = b + s
            if b == 0 or b + s == 0:
                st.curr_mask[g, d] ^= 1 << (q - d * ppd)
            du[COMPACTNESS] += _isolated_around(st.curr_cnt, g, q, ppd) - before
    du[AVAILABILITY] += s * av
    du[TEACHER_PREFERENCE] += s * pref
    du[TIME_OF_DAY] += s * tod
    if not ka.suitable[c, r]:
        du[ROOM_SUITABILITY] += s
    if ka.room_unsuitable[c, r]:
        du[UNSUITABLE_ROOMS] += s
    if double:
        du[DOUBLE_LECTURES] += double_day_units(st.course_room_at, c, d, ppd, -1, -1, -1, -1)
    over = ka.course_students[c] - ka.room_capacity[r]
    if over > 0:
        du[ROOM_CAPACITY] += s * over
    # working days
    b = st.course_day[c, d]
    st.course_day[c, d] = b + s
    if (s > 0 and b == 0) or (s < 0 and b == 1):
        nb = st.n_days[c]
        na = nb + s
        st.n_days[c] = na
        m = ka.course_min_days[c]
        du[MIN_WORKING_DAYS] += (m - na if na < m else 0) - (m - nb if nb < m else 0)
    # room stability
    b = st.course_room[c, r]
    st.course_room[c, r] = b + s
    if (s > 0 and b == 0) or (s < 0 and b == 1):
        nb = st.n_rooms[c]
        na = nb + s
        st.n_rooms[c] = na
        du[ROOM_STABILITY] += (na - 1 if na > 1 else 0) - (nb - 1 if nb > 1 else 0)
    # daily loads
    for j in range(ka.cc_ptr[c], ka.cc_ptr[c + 1]):
        g = ka.cc_idx[j]
        b = st.curr_day[g, d]
        st.curr_day[g, d] = b + s
        m = ka.curriculum_max[g]
        lo = ka.curriculum_min[g]
        if m > 0 or lo > 0:
            du[CURRICULUM_LOAD] += load_units(b + s, lo, m) - load_units(b, lo, m)
    t = ka.course_teacher[c]
    b = st.teacher_day[t, d]
    st.teacher_day[t, d] = b + s
    m = ka.teacher_max[t]
    if m > 0:
        du[TEACHER_LOAD] += (b + s - m if b + s > m else 0) - (b - m if b > m else 0)


@njit(cache=True, inline="always")
def _cover(ka, st, l, p, s):
    c = ka.lecture_course[l]
    d, end, overflow = _span(ka, c, p)
    for q in range(p, end):
        st.all_cover[c, q] += s


@njit(cache=True, nogil=True, _nrt=False)
def _fits_untaught(ka, st, c, p):
    d, end, overflow = _span(ka, c, p)
    for q in range(p, end):
        if st.course_cover[c, q] > 0:
            return False
    return True


@njit(cache=True, nogil=True, _nrt=False)
def relocate(ka, st, l, p, r, du):
    """Move lecture ``l`` to (``p``, ``r``) (``p < 0`` or ``r < 0`` unplaces it); adds to ``du``."""
    if p < 0 or r < 0:
        p = -1
        r = -1
    c = ka.lecture_course[l]
    p0 = st.period[l]
    r0 = st.room[l]
    if p0 == p and r0 == r:
        return
    placed0 = p0 >= 0
    fast = True
    if placed0:
        if not st.taught[l]:
            fast = False
        else:
            d0, end0, o0 = _span(ka, c, p0)
            for q in range(p0, end0):
                if st.all_cover[c, q] != 1:
                    fast = False
    if fast and p >= 0:
        d1, end1, o1 = _span(ka, c, p)
        for q in range(p, end1):
            own = 0
            if placed0:
                d0, end0, o0 = _span(ka, c, p0)
                if p0 <= q < end0:
                    own = 1
            if st.all_cover[c, q] - own != 0:
                fast = False
    if fast:
        if placed0:
            _teach(ka, st, l, p0, r0, -1, du)
            _cover(ka, st, l, p0, -1)
        st.period[l] = p
        st.room[l] = r
        if p >= 0:
            _teach(ka, st, l, p, r, 1, du)
            _cover(ka, st, l, p, 1)
            st.taught[l] = True
        else:
            st.taught[l] = False
        return
    # slow path: untach the whole course, move, and re-derive taught lectures in id order
    first = ka.course_ptr[c]
    last = ka.course_ptr[c + 1]
    for l2 in range(first, last):
        if st.taught[l2]:
            _teach(ka, st, l2, st.period[l2], st.room[l2], -1, du)
            st.taught[l2] = False
    if placed0:
        _cover(ka, st, l, p0, -1)
    st.period[l] = p
    st.room[l] = r
    if p >= 0:
        _cover(ka, st, l, p, 1)
    for l2 in range(first, last):
        p2 = st.period[l2]
        if p2 >= 0 and _fits_untaught(ka, st, c, p2):
            _teach(ka, st, l2, p2, st.room[l2], 1, du)
            st.taught[l2] = True


@njit(cache=True, nogil=True, _nrt=False)
def build(ka, st, periods, rooms, du):
    """Fill an all-zero state with the timetable ``periods``/``rooms`` (sets ``st.units``)."""
    n = st.period.shape[0]
    for k in range(du.shape[0]):
        du[k] = 0
    du[LECTURES] = n  # the empty timetable: every lecture missing, every course short of days
    for c in range(ka.course_min_days.shape[0]):
        du[MIN_WORKING_DAYS] += ka.course_min_days[c]
    for l in range(n):
        st.period[l] = -1
        st.room[l] = -1
        st.taught[l] = False
    for l in range(n):
        relocate(ka, st, l, periods[l], rooms[l], du)
    for k in range(N_CONSTRAINTS):
        st.units[k] = du[k]


@njit(cache=True, nogil=True, _nrt=False)
def apply_move(ka, st, l, p, r, du):
    """Move lecture ``l`` and keep it; ``du`` (zeroed here) receives the units delta."""
    for k in range(du.shape[0]):
        du[k] = 0
    relocate(ka, st, l, p, r, du)
    for k in range(du.shape[0]):
        st.units[k] += du[k]


@njit(cache=True, nogil=True, _nrt=False)
def delta_move(ka, st, l, p, r, du):
    """Units delta of moving lecture ``l`` to (``p``, ``r``); the state is left unchanged."""
    for k in range(du.shape[0]):
        du[k] = 0
    p0 = st.period[l]
    r0 = st.room[l]
    relocate(ka, st, l, p, r, du)
    relocate(ka, st, l, p0, r0, st.scratch)


@njit(cache=True, nogil=True, _nrt=False)
def apply_swap(ka, st, l1, l2, du):
    """Exchange the (period, room) of two lectures and keep it; ``du`` receives the delta."""
    for k in range(du.shape[0]):
        du[k] = 0
    p1 = st.period[l1]
    r1 = st.room[l1]
    p2 = st.period[l2]
    r2 = st.room[l2]
    relocate(ka, st, l1, -1, -1, du)
    relocate(ka, st, l2, p1, r1, du)
    relocate(ka, st, l1, p2, r2, du)
    for k in range(du.shape[0]):
        st.units[k] += du[k]


@njit(cache=True, nogil=True, _nrt=False)
def delta_swap(ka, st, l1, l2, du):
    """Units delta of exchanging the (period, room) of two lectures; state left unchanged."""
    p1 = st.period[l1]
    r1 = st.room[l1]
    p2 = st.period[l2]
    r2 = st.room[l2]
    apply_swap(ka, st, l1, l2, du)
    relocate(ka, st, l2, -1, -1, st.scratch)
    relocate(ka, st, l1, p1, r1, st.scratch)
    relocate(ka, st, l2, p2, r2, st.scratch)
    for k in range(du.shape[0]):
        st.units[k] -= du[k]


def new_state(problem: Problem, timetable: Timetable | None = None) -> KState:
    """A state for ``timetable`` (or an empty one), with every counter built."""
    ka = kernel_arrays(problem)
    C, P = problem.n_courses, problem.n_periods
    R, D = problem.n_rooms, problem.days
    L = problem.n_lectures
    st = KState(
        period=np.full(L, -1, np.int32) if timetable is None else timetable.period.astype(np.int32).copy(),
        room=np.full(L, -1, np.int32) if timetable is None else timetable.room.astype(np.int32).copy(),
        taught=np.zeros(L, np.bool_),
        course_cover=np.zeros((C, P), np.int16),
        all_cover=np.zeros((C, P), np.int16),
        conf_load=np.zeros((C, P), np.int32),
        room_cnt=np.zeros((R, P), np.int32),
        room_lec=np.full((R, P), -1, np.int32),
        course_day=np.zeros((C, D), np.int32),
        n_days=np.zeros(C, np.int32),
        course_room=np.zeros((C, R), np.int32),
        n_rooms=np.zeros(C, np.int32),
        curr_cnt=np.zeros((problem.n_curricula, P), np.int32),
        curr_day=np.zeros((problem.n_curricula, D), np.int32),
        curr_mask=np.zeros((problem.n_curricula, D), np.int32),
        teacher_day=np.zeros((problem.n_teachers, D), np.int32),
        course_room_at=np.full((C, P) if ka.any_double or ka.n_sites > 1 else (0, 0), -1, np.int32),
        curr_site=np.zeros((problem.n_curricula, P, ka.n_sites) if ka.n_sites > 1 else (0, 0, 0), np.int32),
        units=np.zeros(N_CONSTRAINTS, np.int64),
        scratch=np.zeros(N_CONSTRAINTS, np.int64),
    )
    build(ka, st, st.period.copy(), st.room.copy(), np.zeros(N_CONSTRAINTS, np.int64))
    return st


class IncrementalEvaluator:
    """Python front of the incremental kernels: a timetable plus its counters.

    >>> ev = IncrementalEvaluator(problem, timetable)      # doctest: +SKIP
    >>> ev.delta_move(lecture, period, room)                # units delta, state unchanged
    >>> ev.apply_swap(l1, l2)                               # keeps the swap
    """

    def __init__(self, problem: Problem, timetable: Timetable | None = None):
        self.problem = problem
        self.ka: KArrays = kernel_arrays(problem)
        self.state = new_state(problem, timetable)
        self._du = np.zeros(N_CONSTRAINTS, np.int64)

    @property
    def units(self) -> np.ndarray:
        return self.state.units.copy()

    def timetable(self) -> Timetable:
        return Timetable(self.state.period.copy(), self.state.room.copy())

    def delta_move(self, lecture: int, period: int, room: int) -> np.ndarray:
        delta_move(self.ka, self.state, int(lecture), int(period), int(room), self._du)
        return self._du.copy()

    def apply_move(self, lecture: int, period: int, room: int) -> np.ndarray:
        apply_move(self.ka, self.state, int(lecture), int(period), int(room), self._du)
        return self._du.copy()

    def delta_swap(self, l1: int, l2: int) -> np.ndarray:
        delta_swap(self.ka, self.state, int(l1), int(l2), self._du)
        return self._du.copy()

    def apply_swap(self, l1: int, l2: int) -> np.ndarray:
        apply_swap(self.ka, self.state, int(l1), int(l2), self._du)
        return self._du.copy()
