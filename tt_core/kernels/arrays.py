"""Flat arrays of a ``Problem`` in the form the numba kernels take (one NamedTuple, built once)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..model import Problem


class KArrays(NamedTuple):
    """Everything a kernel needs, as contiguous numpy arrays plus a few sizes."""

    ppd: int
    lecture_course: np.ndarray      # int32 [L]
    course_teacher: np.ndarray      # int32 [C]
    course_lectures: np.ndarray     # int32 [C]
    course_ptr: np.ndarray          # int32 [C+1] lectures of course c are course_ptr[c]:course_ptr[c+1]
    course_min_days: np.ndarray     # int32 [C]
    course_students: np.ndarray     # int32 [C]
    course_length: np.ndarray       # int32 [C]
    unavailable: np.ndarray         # bool [C, P] course or teacher unavailable
    undesired: np.ndarray           # bool [C, P] teacher prefers not
    suitable: np.ndarray            # bool [C, R]
    room_capacity: np.ndarray       # int32 [R]
    cc_ptr: np.ndarray              # int32 [C+1] course -> curricula CSR
    cc_idx: np.ndarray              # int32 ascending within a course (the soft delta walks two at once)
    conf_ptr: np.ndarray            # int32 [C+1] course -> courses it may not overlap (curriculum,
    conf_idx: np.ndarray            # int32         teacher or shared students): CSR of problem.conflict
    conf_group: np.ndarray          # int32 [nnz] 1: the pair counts for Conflicts (curriculum/teacher)
    conf_students: np.ndarray       # int32 [nnz] students the pair shares (StudentClashes per period)
    conflict: np.ndarray            # bool [C, C] curriculum/teacher pairs only (problem.group_conflict)
    adjacent: np.ndarray            # bool [C, C] every pair that may not overlap (problem.conflict, as conf_idx)
    curriculum_max: np.ndarray      # int32 [Q] 0 = no limit
    teacher_max: np.ndarray         # int32 [T] 0 = no limit
    period_penalty: np.ndarray      # int32 [P]
    n_days: int
    n_curricula: int
    n_teachers: int
    n_students: int
    # the extended benchmark (.ectt): neutral (all False / 0, one site) elsewhere
    curriculum_min: np.ndarray      # int32 [Q] 0 = no minimum (counted on days with lectures)
    course_double: np.ndarray       # bool [C]
    room_unsuitable: np.ndarray     # bool [C, R] listed unsuitable (the soft UnsuitableRooms term)
    room_site: np.ndarray           # int32 [R] dense site index 0 .. n_sites-1 (of problem.room_building)
    n_sites: int                    # TravelDistance is counted only when asked and the rooms are on 2+ sites
    any_double: bool                # some course wants double lectures
    count_windows: bool             # CurriculumWindows is counted (problem.count_windows)
    ext: bool                       # some .ectt term can be non-zero: the soft delta reads them only then
    day_isolated: np.ndarray        # int8 [2^ppd] isolated periods of a day whose busy periods are the
    #                                 mask's bits ([0] when ppd > MASK_MAX_PPD: the soft delta counts instead)


MASK_MAX_PPD = 16  # the largest day for a table of isolated periods (2^16 bytes)


def day_isolated_table(ppd: int) -> np.ndarray:
    """``t[m]``: the busy periods of a day (bits of ``m``) with no busy neighbour in the day."""
    if ppd > MASK_MAX_PPD:
        return np.zeros(1, np.int8)
    m = np.arange(1 << ppd, dtype=np.int64)
    iso = m & ~(m << 1) & ~(m >> 1)
    return np.array([bin(int(x)).count("1") for x in iso], np.int8)


def kernel_arrays(problem: Problem) -> KArrays:
    """Pack (and cache on the problem object) the arrays the kernels read."""
    cached = problem.__dict__.get("_karrays")
    if cached is not None:
        return cached
    cc_ptr, cc_idx = problem.course_curricula
    conf_ptr, conf_idx = problem.conflict_csr
    conf_group, conf_students = problem.conflict_weights
    sites, room_site = np.unique(problem.room_building, return_inverse=True)
    travel = bool(problem.count_travel)
    R = int(problem.n_rooms)
    ka = KArrays(
        ppd=int(problem.periods_per_day),
        lecture_course=np.ascontiguousarray(problem.lecture_course, np.int32),
        course_teacher=np.ascontiguousarray(problem.course_teacher, np.int32),
        course_lectures=np.ascontiguousarray(problem.course_lectures, np.int32),
        course_ptr=np.ascontiguousarray(problem.course_lecture_ptr, np.int32),
        course_min_days=np.ascontiguousarray(problem.course_min_days, np.int32),
        course_students=np.ascontiguousarray(problem.course_students, np.int32),
        course_length=np.ascontiguousarray(problem.course_length, np.int32),
        unavailable=np.ascontiguousarray(problem.unavailable, np.bool_),
        undesired=np.ascontiguousarray(problem.course_undesired, np.bool_),
        suitable=np.ascontiguousarray(problem.suitable, np.bool_),
        room_capacity=np.ascontiguousarray(problem.room_capacity, np.int32),
        cc_ptr=np.ascontiguousarray(cc_ptr, np.int32),
        cc_idx=np.ascontiguousarray(cc_idx, np.int32),
        conf_ptr=np.ascontiguousarray(conf_ptr, np.int32),
        conf_idx=np.ascontiguousarray(conf_idx, np.int32),
        conf_group=np.ascontiguousarray(conf_group, np.int32),
        conf_students=np.ascontiguousarray(conf_students, np.int32),
        conflict=np.ascontiguousarray(problem.group_conflict, np.bool_),
        adjacent=np.ascontiguousarray(problem.conflict, np.bool_),
        curriculum_max=np.ascontiguousarray(problem.curriculum_max_per_day, np.int32),
        teacher_max=np.ascontiguousarray(problem.teacher_max_per_day, np.int32),
        period_penalty=np.ascontiguousarray(problem.period_penalty, np.int32),
        n_days=int(problem.days),
        n_curricula=int(problem.n_curricula),
        n_teachers=int(problem.n_teachers),
        n_students=int(problem.n_students),
        curriculum_min=np.ascontiguousarray(problem.curriculum_min_per_day, np.int32),
        course_double=np.ascontiguousarray(problem.course_double, np.bool_),
        room_unsuitable=np.ascontiguousarray(problem.room_unsuitable, np.bool_),
        room_site=np.ascontiguousarray(room_site.reshape(-1) if travel else np.zeros(R, np.int64), np.int32),
        n_sites=int(len(sites)) if travel else 1,
        any_double=bool(problem.course_double.any()),
        count_windows=bool(problem.count_windows),
        ext=bool(problem.count_windows or (travel and len(sites) > 1) or problem.course_double.any()
                 or problem.room_unsuitable.any() or problem.curriculum_min_per_day.any()),
        day_isolated=day_isolated_table(int(problem.periods_per_day)),
    )
    problem.__dict__["_karrays"] = ka  # frozen dataclass: cache like functools.cached_property does
    return ka
