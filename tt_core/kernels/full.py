"""Full evaluation kernels: one timetable, or a batch (a GA population) in parallel.

This is a direct, from-scratch computation written to mirror the ITC2007 validator (Di Gaspero &
Schaerf, ``validator.cc``): lectures are read in id order and a lecture that overlaps a period its
course already uses is *not taught* (the validator skips a repeated course/period entry), so it
counts as a missing lecture and nothing else. The incremental kernels (``incremental.py``) are a
second, independent implementation; tests check that both agree with a plain-Python oracle.

The terms of the extended benchmark (windows, double lectures, travel between sites, listed
unsuitable rooms, daily minimum) follow the benchmark's validator for all five formulations
(``validator.cc`` of the ``.ectt`` data, Di Gaspero & Schaerf): see :mod:`tt_core.constraints`.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

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
from .arrays import KArrays


@njit(cache=True, nogil=True)
def full_units(ka: KArrays, period: np.ndarray, room: np.ndarray, units: np.ndarray) -> None:
    """Write the units of every constraint for one timetable into ``units`` (int64[N])."""
    C, P = ka.unavailable.shape
    R = ka.room_capacity.shape[0]
    D = ka.n_days
    ppd = ka.ppd
    for k in range(units.shape[0]):
        units[k] = 0
    taught = np.zeros((C, P), np.bool_)
    room_cnt = np.zeros((R, P), np.int32)
    course_day = np.zeros((C, D), np.int32)
    course_room = np.zeros((C, R), np.bool_)
    n_taught = np.zeros(C, np.int32)
    # the room of each course's taught lecture at each period: only double lectures and travel read it
    track = ka.any_double or ka.n_sites > 1
    room_at = np.full((C, P) if track else (0, 0), -1, np.int32)
    for l in range(period.shape[0]):
        p = period[l]
        r = room[l]
        if p < 0 or r < 0:
            continue
        c = ka.lecture_course[l]
        d = p // ppd
        day_end = (d + 1) * ppd
        end = min(p + ka.course_length[c], day_end)
        skip = False
        for q in range(p, end):
            if taught[c, q]:
                skip = True
        if skip:
            continue  # a repeated entry of the course in a period: not taught
        n_taught[c] += 1
        units[AVAILABILITY] += p + ka.course_length[c] - end  # periods spilling past the day's end
        for q in range(p, end):
            taught[c, q] = True
            room_cnt[r, q] += 1
            if track:
                room_at[c, q] = r
            if ka.unavailable[c, q]:
                units[AVAILABILITY] += 1
            if ka.undesired[c, q]:
                units[TEACHER_PREFERENCE] += 1
            units[TIME_OF_DAY] += ka.period_penalty[q]
        if not ka.suitable[c, r]:
            units[ROOM_SUITABILITY] += 1
        if ka.room_unsuitable[c, r]:
            units[UNSUITABLE_ROOMS] += 1
        over = ka.course_students[c] - ka.room_capacity[r]
        if over > 0:
            units[ROOM_CAPACITY] += over
        course_day[c, d] += 1
        course_room[c, r] = True
    for c in range(C):
        units[LECTURES] += ka.course_lectures[c] - n_taught[c]
        days = 0
        for d in range(D):
            if course_day[c, d] > 0:
                days += 1
        if days < ka.course_min_days[c]:
            units[MIN_WORKING_DAYS] += ka.course_min_days[c] - days
        rooms = 0
        for r in range(R):
            if course_room[c, r]:
                rooms += 1
        if rooms > 1:
            units[ROOM_STABILITY] += rooms - 1
    for r in range(R):
        for q in range(P):
            if room_cnt[r, q] > 1:
                units[ROOM_OCCUPATION] += room_cnt[r, q] - 1
    # conflicts: per period, every conflicting pair of taught courses
    here = np.empty(C, np.int32)
    for q in range(P):
        n = 0
        for c in range(C):
            if taught[c, q]:
                here[n] = c
                n += 1
        for i in range(n):
            for j in range(i + 1, n):
                if ka.conflict[here[i], here[j]]:
                    units[CONFLICTS] += 1
    # student clashes: per period, every pair of taught courses sharing students, by the number of
    # students (read from the conflict CSR: each pair once, as (c, o) with c < o)
    if ka.n_students > 0:
        for q in range(P):
            for c in range(C):
                if not taught[c, q]:
                    continue
                for j in range(ka.conf_ptr[c], ka.conf_ptr[c + 1]):
                    o = ka.conf_idx[j]
                    if o > c and taught[o, q]:
                        units[STUDENT_CLASHES] += ka.conf_students[j]
    # curricula: compactness and daily load
    Q = ka.n_curricula
    curr_cnt = np.zeros((Q, P), np.int32)
    curr_day = np.zeros((Q, D), np.int32)
    for c in range(C):
        for k in range(ka.cc_ptr[c], ka.cc_ptr[c + 1]):
            g = ka.cc_idx[k]
            for q in range(P):
                if taught[c, q]:
                    curr_cnt[g, q] += 1
            for d in range(D):
                curr_day[g, d] += course_day[c, d]
    for g in range(Q):
        for q in range(P):
            cnt = curr_cnt[g, q]
            if cnt == 0:
                continue
            s = q % ppd
            left = s > 0 and curr_cnt[g, q - 1] > 0
            right = s < ppd - 1 and curr_cnt[g, q + 1] > 0
            if not left and not right:
                units[COMPACTNESS] += cnt
        # windows: the free periods between the day's first and last lecture of the curriculum
        for d in range(D if ka.count_windows else 0):
            first = -1
            last = -1
            busy = 0
            for q in range(d * ppd, (d + 1) * ppd):
                if curr_cnt[g, q] > 0:
                    if first < 0:
                        first = q
                    last = q
                    busy += 1
            if busy > 1:
                units[WINDOWS] += last - first + 1 - busy
        hi = ka.curriculum_max[g]
        lo = ka.curriculum_min[g]
        if hi > 0 or lo > 0:
            for d in range(D):
                units[CURRICULUM_LOAD] += load_units(curr_day[g, d], lo, hi)
    if ka.n_sites > 1:
        units[TRAVEL] += travel_units(ka, curr_cnt, room_at)
    if ka.any_double:
        for c in range(C):
            if ka.course_double[c]:
                for d in range(D):
                    units[DOUBLE_LECTURES] += double_day_units(room_at, c, d, ppd, -1, -1, -1, -1)
    T = ka.n_teachers
    if T > 0:
        teacher_day = np.zeros((T, D), np.int32)
        for c in range(C):
            for d in range(D):
                teacher_day[ka.course_teacher[c], d] += course_day[c, d]
        for t in range(T):
            if ka.teacher_max[t] > 0:
                for d in range(D):
                    if teacher_day[t, d] > ka.teacher_max[t]:
                        units[TEACHER_LOAD] += teacher_day[t, d] - ka.teacher_max[t]


@njit(cache=True, inline="always")
def load_units(n, lo, hi):
    """Curriculum daily load of a day with ``n`` lectures: below the minimum or above the maximum
    (0 = none); a day without lectures costs nothing (as the validator counts it)."""
    if n == 0:
        return 0
    if n < lo:
        return lo - n
    if hi > 0 and n > hi:
        return n - hi
    return 0


@njit(cache=True, nogil=True, _nrt=False)
def double_day_units(room_at, c, d, ppd, q1, r1, q2, r2):
    """Lectures of double-lecture course ``c`` on day ``d`` with no lecture of the course in the same
    room in an adjacent period, when the day has two or more (validator: ``DailyDoubleLecturesCost``).

    ``room_at[c, q]`` is the room at ``q`` (-1 none), read as if ``q1`` had room ``r1`` and then ``q2``
    room ``r2`` (-1 as a period: no such change) — a move's effect without applying it."""
    start = d * ppd
    end = start + ppd
    busy = 0
    for q in range(start, end):
        if _room(room_at, c, q, q1, r1, q2, r2) >= 0:
            busy += 1
    if busy < 2:
        return 0
    cost = 0
    for q in range(start, end):
        r = _room(room_at, c, q, q1, r1, q2, r2)
        if r < 0:
            continue
        if q > start and _room(room_at, c, q - 1, q1, r1, q2, r2) == r:
            continue
        if q < end - 1 and _room(room_at, c, q + 1, q1, r1, q2, r2) == r:
            continue
        cost += 1
    return cost


@njit(cache=True, inline="always")
def _room(room_at, c, q, q1, r1, q2, r2):
    if q == q2:
        return r2
    if q == q1:
        return r1
    return room_at[c, q]


@njit(cache=True, nogil=True)
def travel_units(ka, curr_cnt, room_at):
    """For every curriculum and two consecutive periods of a day, the pairs of its lectures (one at
    each) in rooms of different sites (validator: ``CurriculumTravelCost``): all pairs minus those on
    the same site, from the curriculum's lectures per period and site."""
    Q = curr_cnt.shape[0]
    P = curr_cnt.shape[1]
    ppd = ka.ppd
    S = ka.n_sites
    site_cnt = np.zeros((Q, P, S), np.int32)
    for c in range(room_at.shape[0]):
        for q in range(P):
            r = room_at[c, q]
            if r >= 0:
                k = ka.room_site[r]
                for j in range(ka.cc_ptr[c], ka.cc_ptr[c + 1]):
                    site_cnt[ka.cc_idx[j], q, k] += 1
    total = 0
    for g in range(Q):
        for q in range(P - 1):
            if q % ppd == ppd - 1 or curr_cnt[g, q] == 0 or curr_cnt[g, q + 1] == 0:
                continue
            same = 0
            for k in range(S):
                same += site_cnt[g, q, k] * site_cnt[g, q + 1, k]
            total += curr_cnt[g, q] * curr_cnt[g, q + 1] - same
    return total


@njit(cache=True, parallel=True)
def batch_units(ka: KArrays, periods: np.ndarray, rooms: np.ndarray) -> np.ndarray:
    """Units for a population: ``periods``/``rooms`` are int32[n, L]; returns int64[n, N]."""
    n = periods.shape[0]
    out = np.zeros((n, N_CONSTRAINTS), np.int64)
    for i in prange(n):
        full_units(ka, periods[i], rooms[i], out[i])
    return out


def evaluate_units(ka: KArrays, period: np.ndarray, room: np.ndarray) -> np.ndarray:
    """Units of one timetable (int64[N])."""
    units = np.zeros(N_CONSTRAINTS, np.int64)
    full_units(ka, np.ascontiguousarray(period, np.int32), np.ascontiguousarray(room, np.int32), units)
    return units
