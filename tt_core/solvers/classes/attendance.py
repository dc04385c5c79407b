"""Who attends what, as the time and room search sees it: the student pair graph and a cache of
every class's placement.

The kernels' :class:`~tt_core.classes.kernels.ClassState` can carry the pair graph itself; the
solver keeps it apart instead, in :class:`Attendance`, for two reasons: the sectioning changes
between search phases (a new graph is cheap, a new state is not), and the student term is the
hot part of a move's delta, which here reads five flat arrays per neighbour (the placement
cache) instead of re-deriving both placements from the option tables. The solver's
``ClassState`` is therefore built without students; the weighted objective is the state's
total plus ``student weight × Attendance.conflicts``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from ...classes.kernels import student_pairs


class Attendance(NamedTuple):
    """The pair graph of one sectioning and the current placement of every class (mutable)."""

    sp_ptr: np.ndarray      # int64 [C+1] classes sharing students with class c …
    sp_class: np.ndarray    # int32        …
    sp_weight: np.ndarray   # int64        … and how many students they share
    start: np.ndarray       # int32 [C] placement cache (valid where placed)
    end: np.ndarray         # int32 [C]
    days: np.ndarray        # int64 [C] 0 = not placed
    weeks: np.ndarray       # int64 [C]
    room: np.ndarray        # int32 [C] -1 = none
    travel: np.ndarray      # int32 [R', R'] slots between rooms (symmetric)
    conflicts: np.ndarray   # int64 [1] student conflicts of the current timetable and sectioning


@njit(cache=True, inline="always")
def clash(travel, s1, e1, d1, w1, r1, s2, e2, d2, w2, r2):
    """A student cannot attend both placements (common day and week, intervals widened by the
    travel time between the rooms overlap); ``d = 0`` means not placed."""
    if (d1 & d2) == 0 or (w1 & w2) == 0:
        return False
    tr = travel[r1, r2] if r1 >= 0 and r2 >= 0 else 0
    return e1 + tr > s2 and e2 + tr > s1


@njit(cache=True)
def set_placement(ka, at, c, t, o):
    """Cache class ``c``'s placement at ``(t, o)`` (``t < 0``: not placed)."""
    if t < 0:
        at.days[c] = 0
        at.weeks[c] = 0
        at.room[c] = -1
        return
    g = ka.time_ptr[c] + t
    at.start[c] = ka.t_start[g]
    at.end[c] = ka.t_end[g]
    at.days[c] = ka.t_days[g]
    at.weeks[c] = ka.t_weeks[g]
    at.room[c] = ka.o_room[ka.room_ptr[c] + o] if o >= 0 else -1


@njit(cache=True)
def student_delta(ka, at, c, t, o):
    """Change of the student conflicts if class ``c`` moved to ``(t, o)``."""
    if t >= 0:
        g = ka.time_ptr[c] + t
        s1, e1, d1, w1 = ka.t_start[g], ka.t_end[g], np.int64(ka.t_days[g]), ka.t_weeks[g]
        r1 = ka.o_room[ka.room_ptr[c] + o] if o >= 0 else -1
    else:
        s1, e1, d1, w1, r1 = 0, 0, np.int64(0), np.int64(0), -1
    s0, e0, d0, w0, r0 = at.start[c], at.end[c], at.days[c], at.weeks[c], at.room[c]
    tr = at.travel
    delta = 0
    for i in range(at.sp_ptr[c], at.sp_ptr[c + 1]):
        x = at.sp_class[i]
        dx = at.days[x]
        if dx == 0:
            continue
        sx, ex, wx, rx = at.start[x], at.end[x], at.weeks[x], at.room[x]
        k = 0
        if clash(tr, s1, e1, d1, w1, r1, sx, ex, dx, wx, rx):
            k += 1
        if clash(tr, s0, e0, d0, w0, r0, sx, ex, dx, wx, rx):
            k -= 1
        if k != 0:
            delta += k * at.sp_weight[i]
    return delta


@njit(cache=True)
def pair_conflict(at, a, b):
    """1 when one student attending classes ``a`` and ``b`` has a conflict."""
    return 1 if clash(at.travel, at.start[a], at.end[a], at.days[a], at.weeks[a], at.room[a],
                      at.start[b], at.end[b], at.days[b], at.weeks[b], at.room[b]) else 0


@njit(cache=True)
def _count(at):
    total = 0
    for c in range(at.sp_ptr.shape[0] - 1):
        for i in range(at.sp_ptr[c], at.sp_ptr[c + 1]):
            x = at.sp_class[i]
            if x > c and pair_conflict(at, c, x):
                total += at.sp_weight[i]
    return total


@njit(cache=True)
def _fill(ka, at, time, ropt):
    for c in range(ka.n_classes):
        set_placement(ka, at, c, time[c], ropt[c])


def build_attendance(ka, time: np.ndarray, ropt: np.ndarray, st_ptr: np.ndarray, st_classes: np.ndarray) -> Attendance:
    """The attendance of a sectioning (class lists per student) under the placements ``time``/``ropt``."""
    C = ka.n_classes
    sp_ptr, sp_class, sp_weight = student_pairs(C, np.ascontiguousarray(st_ptr, np.int32),
                                                np.ascontiguousarray(st_classes, np.int32))
    at = Attendance(sp_ptr=sp_ptr, sp_class=sp_class, sp_weight=sp_weight, start=np.zeros(C, np.int32),
                    end=np.zeros(C, np.int32), days=np.zeros(C, np.int64), weeks=np.zeros(C, np.int64),
                    room=np.full(C, -1, np.int32), travel=ka.travel, conflicts=np.zeros(1, np.int64))
    _fill(ka, at, np.ascontiguousarray(time, np.int32), np.ascontiguousarray(ropt, np.int32))
    at.conflicts[0] = _count(at)
    return at


def with_pairs(ka, at: Attendance, st_ptr: np.ndarray, st_classes: np.ndarray) -> Attendance:
    """The same placements under a new sectioning (a new pair graph, the cache shared)."""
    sp_ptr, sp_class, sp_weight = student_pairs(ka.n_classes, np.ascontiguousarray(st_ptr, np.int32),
                                                np.ascontiguousarray(st_classes, np.int32))
    new = at._replace(sp_ptr=sp_ptr, sp_class=sp_class, sp_weight=sp_weight, conflicts=np.zeros(1, np.int64))
    new.conflicts[0] = _count(new)
    return new
