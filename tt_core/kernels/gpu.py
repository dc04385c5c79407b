"""Batch cost evaluation on a GPU (CuPy), and the dispatcher that picks a back end.

:func:`batch_evaluate` is the one entry point the solvers use: it returns the units of every
constraint for a population of timetables (``int64[n, N]``, identical to
:func:`tt_core.kernels.full.batch_units`), computed by

``"numba"``
    the parallel numba kernel (``full.batch_units``, one timetable per thread);
``"cupy"``
    the vectorised array program below, run by CuPy on the GPU;
``"numpy"``
    the same array program run by NumPy on the CPU. It is slow and exists so that the GPU
    algorithm can be checked against the numba kernel on machines without a GPU.

With ``backend=None`` the choice is :func:`tt_core.hardware.batch_backend` (``TT_BACKEND``, else
CuPy when a CUDA GPU works, else numba).

The array program evaluates a *chunk* of timetables at once, every step a whole-array operation:
scatter-adds are ``bincount`` over flattened ``(timetable, row, column)`` indices, and the
curriculum, conflict and teacher aggregations are dense matrix products (exact: every operand is
a small integer in float32). The only sequential part of the ITC2007 validator — a lecture that
overlaps a period its course already teaches is *not taught*, lectures read in id order — is a
loop over the position of a lecture within its course (at most the largest number of lectures of
a course), each step handling every course of every timetable at once.
"""

from __future__ import annotations

import weakref
from types import ModuleType
from typing import NamedTuple

import numpy as np

from .. import constraints as K
from ..errors import TimetableError
from ..hardware import CUPY_INSTALL_HINT, batch_backend
from ..model import Problem
from .arrays import kernel_arrays
from .full import batch_units

BACKENDS = ("numba", "cupy", "numpy")

# Bytes of device memory one chunk of the array program may use (the GPU path sizes chunks
# from the free memory instead, capped by this); the CPU reference path uses this value.
DEFAULT_CHUNK_BYTES = 512 * 1024**2


def import_cupy() -> ModuleType:
    """Import CuPy or raise a :class:`TimetableError` that says how to install it."""
    try:
        import cupy
    except ImportError:
        raise TimetableError(f"the cupy back end needs CuPy, which is not installed: {CUPY_INSTALL_HINT}") from None
    return cupy


class XArrays(NamedTuple):
    """A problem's arrays for the array program, on one array module (NumPy or CuPy)."""

    L: int
    C: int
    P: int
    R: int
    D: int
    Q: int
    T: int
    ppd: int
    max_length: int
    lecture_course: object   # int64 [L]
    lecture_length: object   # int64 [L]
    by_position: tuple       # int64 arrays: lectures that are the k-th of their course
    unavailable: object      # bool [C*P]
    undesired: object        # bool [C*P]
    period_penalty: object   # int64 [P]
    suitable: object         # bool [C*R]
    overflow_cr: object      # int64 [C*R] students above capacity (>= 0)
    min_days: object         # int64 [C]
    conflict: object         # float32 [C, C] symmetric, zero diagonal (curriculum/teacher pairs)
    students: object         # float32 [C, C] students two courses share (None without enrolments)
    curricula: object        # float32 [Q, C] membership
    curriculum_max: object   # int64 [Q]
    teachers: object         # float32 [T, C] course -> teacher
    teacher_max: object      # int64 [T]


_cache: weakref.WeakKeyDictionary[Problem, dict[str, XArrays]] = weakref.WeakKeyDictionary()


def xarrays(problem: Problem, xp: ModuleType) -> XArrays:
    """The problem's arrays on ``xp`` (cached per problem and module; never pickled with it)."""
    per_module = _cache.setdefault(problem, {})
    got = per_module.get(xp.__name__)
    if got is not None:
        return got
    ka = kernel_arrays(problem)
    C, P = ka.unavailable.shape
    R = ka.room_capacity.shape[0]
    L = ka.lecture_course.shape[0]
    Q, T = ka.n_curricula, ka.n_teachers
    lc = ka.lecture_course.astype(np.int64)
    position = np.arange(L, dtype=np.int64) - ka.course_ptr[lc]
    max_pos = int(ka.course_lectures.max()) if C else 0
    curricula = np.zeros((Q, C), np.float32)
    for c in range(C):
        curricula[ka.cc_idx[ka.cc_ptr[c]:ka.cc_ptr[c + 1]], c] = 1.0
    teachers = np.zeros((T, C), np.float32)
    teachers[ka.course_teacher, np.arange(C)] = 1.0
    over = np.maximum(ka.course_students[:, None].astype(np.int64) - ka.room_capacity[None, :], 0)
    shared = None
    if ka.n_students:
        shared = np.zeros((C, C), np.float32)
        rows = np.repeat(np.arange(C), np.diff(ka.conf_ptr))
        shared[rows, ka.conf_idx] = ka.conf_students

    def put(a):
        return xp.asarray(np.ascontiguousarray(a))

    got = XArrays(
        L=L, C=C, P=P, R=R, D=int(ka.n_days), Q=Q, T=T, ppd=int(ka.ppd),
        max_length=int(ka.course_length.max()) if C else 1,
        lecture_course=put(lc),
        lecture_length=put(ka.course_length[lc].astype(np.int64)),
        by_position=tuple(put(np.flatnonzero(position == k)) for k in range(max_pos)),
        unavailable=put(ka.unavailable.ravel()),
        undesired=put(ka.undesired.ravel()),
        period_penalty=put(ka.period_penalty.astype(np.int64)),
        suitable=put(ka.suitable.ravel()),
        overflow_cr=put(over.ravel()),
        min_days=put(ka.course_min_days.astype(np.int64)),
        conflict=put(ka.conflict.astype(np.float32)),
        students=None if shared is None else put(shared),
        curricula=put(curricula),
        curriculum_max=put(ka.curriculum_max.astype(np.int64)),
        teachers=put(teachers),
        teacher_max=put(ka.teacher_max.astype(np.int64)),
    )
    per_module[xp.__name__] = got
    return got


def bytes_per_timetable(xa: XArrays) -> int:
    """Rough peak memory of the array program per timetable (sizes the chunks)."""
    return (xa.C * xa.P * 13 + xa.Q * xa.P * 12 + xa.R * xa.P * 8 + xa.C * (xa.D + xa.R) * 8
            + xa.Q * xa.D * 8 + xa.T * xa.D * 8 + xa.L * 8 * 12)


def units_xp(xp: ModuleType, xa: XArrays, periods, rooms):
    """Units (int64[n, N], on ``xp``) of the timetables in rows of ``periods``/``rooms`` (on ``xp``).

    Mirrors ``full.full_units`` step by step; see the module docstring.
    """
    n, L = periods.shape
    C, P, R, D, Q, T, ppd = xa.C, xa.P, xa.R, xa.D, xa.Q, xa.T, xa.ppd
    out = xp.zeros((n, K.N_CONSTRAINTS), xp.int64)
    if n == 0:
        return out
    p = periods.astype(xp.int64)
    r = rooms.astype(xp.int64)
    placed = (p >= 0) & (r >= 0)
    p = xp.where(placed, p, 0)
    r = xp.where(placed, r, 0)
    lc = xa.lecture_course[None, :]
    length = xa.lecture_length[None, :]
    day = p // ppd
    end = xp.minimum(p + length, (day + 1) * ppd)
    span = end - p                     # periods the lecture covers inside its day (>= 1)
    row = xp.arange(n, dtype=xp.int64)[:, None]
    # --- which lectures are taught (validator order), and the course x period cover
    cover = xp.zeros(n * C * P, xp.bool_)
    taught = xp.zeros((n, L), xp.bool_)
    for ids in xa.by_position:
        base = (row * C + xa.lecture_course[ids][None, :]) * P + p[:, ids]
        sp = span[:, ids]
        hit = xp.zeros(base.shape, xp.bool_)
        for j in range(xa.max_length):
            inside = j < sp
            hit |= inside & cover[xp.where(inside, base + j, base)]
        now = placed[:, ids] & ~hit
        taught[:, ids] = now
        for j in range(xa.max_length):
            cover[(base + j)[now & (j < sp)]] = True
    t64 = taught.astype(xp.int64)
    out[:, K.LECTURES] = L - t64.sum(axis=1)
    # --- per covered period: availability, teacher preference, time of day, room occupancy
    avail = ((p + length - end) * t64).sum(axis=1)
    pref = xp.zeros(n, xp.int64)
    tod = xp.zeros(n, xp.int64)
    occupied = []
    cp = lc * P
    for j in range(xa.max_length):
        on = taught & (j < span)
        q = xp.where(on, p + j, 0)
        avail += (on & xa.unavailable[cp + q]).sum(axis=1)
        pref += (on & xa.undesired[cp + q]).sum(axis=1)
        tod += (on * xa.period_penalty[q]).sum(axis=1)
        occupied.append(((row * R + r) * P + q)[on])
    out[:, K.AVAILABILITY] = avail
    out[:, K.TEACHER_PREFERENCE] = pref
    out[:, K.TIME_OF_DAY] = tod
    room_cnt = xp.bincount(xp.concatenate(occupied), minlength=n * R * P).reshape(n, R * P)
    out[:, K.ROOM_OCCUPATION] = xp.maximum(room_cnt - 1, 0).sum(axis=1)
    # --- per taught lecture: room suitability and capacity
    cr = lc * R + r
    out[:, K.ROOM_SUITABILITY] = (taught & ~xa.suitable[cr]).sum(axis=1)
    out[:, K.ROOM_CAPACITY] = (t64 * xa.overflow_cr[cr]).sum(axis=1)
    # --- per course: working days and room stability
    course_day = xp.bincount(((row * C + lc) * D + day)[taught], minlength=n * C * D).reshape(n, C, D)
    days = (course_day > 0).sum(axis=2)
    out[:, K.MIN_WORKING_DAYS] = xp.maximum(xa.min_days[None, :] - days, 0).sum(axis=1)
    course_room = xp.bincount(((row * C + lc) * R + r)[taught], minlength=n * C * R).reshape(n, C, R)
    used = (course_room > 0).sum(axis=2)
    out[:, K.ROOM_STABILITY] = xp.maximum(used - 1, 0).sum(axis=1)
    # --- conflicts: sum over periods of x_q^T M x_q / 2 (M symmetric, zero diagonal)
    X = cover.reshape(n, C, P).astype(xp.float32)
    MX = xp.matmul(xa.conflict, X)
    out[:, K.CONFLICTS] = (X * MX).astype(xp.int64).sum(axis=(1, 2)) // 2
    if xa.students is not None:
        # the same product with shared-student counts (exact in float32: each sum < 2**24)
        SX = xp.matmul(xa.students, X)
        out[:, K.STUDENT_CLASHES] = (X * SX).astype(xp.int64).sum(axis=(1, 2)) // 2
    # --- curricula: compactness and daily load
    cd = course_day.astype(xp.float32)
    if Q:
        cnt = xp.rint(xp.matmul(xa.curricula, X)).astype(xp.int64).reshape(n, Q, D, ppd)
        has = cnt > 0
        neighbour = xp.zeros(has.shape, xp.bool_)
        neighbour[..., 1:] |= has[..., :-1]
        neighbour[..., :-1] |= has[..., 1:]
        out[:, K.COMPACTNESS] = (cnt * (has & ~neighbour)).sum(axis=(1, 2, 3))
        m = xa.curriculum_max[None, :, None]
        curr_day = xp.rint(xp.matmul(xa.curricula, cd)).astype(xp.int64)
        out[:, K.CURRICULUM_LOAD] = (xp.maximum(curr_day - m, 0) * (m > 0)).sum(axis=(1, 2))
    if T:
        m = xa.teacher_max[None, :, None]
        teacher_day = xp.rint(xp.matmul(xa.teachers, cd)).astype(xp.int64)
        out[:, K.TEACHER_LOAD] = (xp.maximum(teacher_day - m, 0) * (m > 0)).sum(axis=(1, 2))
    return out


def array_batch_units(problem: Problem, periods, rooms, xp: ModuleType = np,
                      chunk_bytes: int | None = None) -> np.ndarray:
    """Units of a population by the array program on ``xp`` (NumPy or CuPy), in chunks.

    Returns host ``int64[n, N]`` equal to :func:`tt_core.kernels.full.batch_units`.
    """
    if kernel_arrays(problem).ext:
        raise TimetableError(f"{problem.name}: the array (NumPy/CuPy) batch evaluator does not count the extended "
                             "benchmark's terms (windows, double lectures, travel, listed unsuitable rooms, daily "
                             "minimum); evaluate this problem with the numba back end (backend='numba')")
    xa = xarrays(problem, xp)
    periods = np.ascontiguousarray(periods, np.int32)
    rooms = np.ascontiguousarray(rooms, np.int32)
    n = periods.shape[0]
    if chunk_bytes is None:
        chunk_bytes = DEFAULT_CHUNK_BYTES
        if xp.__name__ == "cupy":
            free = xp.cuda.Device().mem_info[0]
            chunk_bytes = int(min(4 * DEFAULT_CHUNK_BYTES, 0.3 * free))
    chunk = max(1, int(chunk_bytes // bytes_per_timetable(xa)))
    out = np.empty((n, K.N_CONSTRAINTS), np.int64)
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        units = units_xp(xp, xa, xp.asarray(periods[a:b]), xp.asarray(rooms[a:b]))
        out[a:b] = units.get() if hasattr(units, "get") else units
    return out


def _check(problem: Problem, periods, rooms) -> tuple[np.ndarray, np.ndarray]:
    periods = np.ascontiguousarray(periods, np.int32)
    rooms = np.ascontiguousarray(rooms, np.int32)
    L = problem.n_lectures
    if periods.ndim != 2 or periods.shape != rooms.shape or periods.shape[1] != L:
        raise TimetableError(f"a batch needs periods and rooms of shape (n, {L}) for {problem.name}; got "
                             f"{periods.shape} and {rooms.shape}")
    # the kernels do not check bounds: an id outside the grid would read foreign memory
    if (periods >= problem.n_periods).any() or (rooms >= problem.n_rooms).any():
        i, l = map(int, np.argwhere((periods >= problem.n_periods) | (rooms >= problem.n_rooms))[0])
        raise TimetableError(f"timetable {i}, lecture {l}: period {periods[i, l]} / room {rooms[i, l]} outside "
                             f"the grid ({problem.n_periods} periods, {problem.n_rooms} rooms)")
    return periods, rooms


def batch_evaluate(problem: Problem, periods, rooms, backend: str | None = None) -> np.ndarray:
    """Units of every constraint for a population (rows of ``periods``/``rooms``, int[n, L]).

    Parameters
    ----------
    problem : Problem
    periods, rooms : array_like of int, shape (n, L)
        Start period and room of every lecture of every timetable (-1 = unplaced).
    backend : {"numba", "cupy", "numpy"}, optional
        ``None`` picks :func:`tt_core.hardware.batch_backend` (CuPy on a working GPU, else numba).

    Returns
    -------
    numpy.ndarray
        int64[n, N]: the same numbers as :func:`tt_core.kernels.full.batch_units` for every back end.
    """
    name = backend or batch_backend()
    if name not in BACKENDS:
        raise TimetableError(f"unknown batch back end {name!r}; choose one of {', '.join(BACKENDS)}")
    periods, rooms = _check(problem, periods, rooms)
    if backend is None and kernel_arrays(problem).ext:
        name = "numba"  # the array program does not count the .ectt terms (array_batch_units)
    if name == "numba":
        return batch_units(kernel_arrays(problem), periods, rooms)
    if name == "cupy":
        return array_batch_units(problem, periods, rooms, import_cupy())
    return array_batch_units(problem, periods, rooms, np)


def weighted(units: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(hard int64[n], soft float64[n])`` of a units matrix under a weight vector."""
    return units[:, K.HARD_MASK].sum(axis=1), units[:, ~K.HARD_MASK] @ weights[~K.HARD_MASK]
