"""From a recipe to a university: structure, planted timetable, rooms, teacher periods, problem."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..model import Problem, Timetable
from .enrolments import _Enrolled, _enrolled_structure
from .placement import _assign_rooms, _Placer
from .recipe import Recipe
from .result import SynthUniversity
from .structure import _Structure, _structure
from .vocabulary import _BUILDINGS, _DAY_NAMES, _FIRST, _LAST, _SEMINAR_MAX, ROOM_TYPES

# ----------------------------------------------------------------------------- generate


def generate(recipe: Recipe) -> SynthUniversity:
    """Generate the synthetic university described by ``recipe``.

    Parameters
    ----------
    recipe : Recipe
        Shape and seed; the same recipe always yields identical arrays and names.

    Returns
    -------
    SynthUniversity
        ``.problem`` (named ``synth-<name>-s<seed>``), ``.hidden`` (a timetable of the problem
        with no hard violation) and metadata for the data store.
    """
    r = recipe
    rng = np.random.default_rng(r.seed)
    # independent child streams per stage, so e.g. the room stage does not shift the structure
    g_struct, g_place, g_rooms, g_teach = rng.spawn(4)
    enrolled = None
    if r.enrolled:
        s, enrolled = _enrolled_structure(r, g_struct)
    else:
        s = _structure(r, g_struct)
    placer = _Placer(r, s, g_place)
    placer.run()
    D = placer.D
    lectures = np.array([len(x) for x in placer.start], np.int32)
    rooms = _rooms(r, s, placer, g_rooms)
    hidden = _hidden_timetable(s, placer, rooms)
    # minimum working days: ITC style, usually the number of lectures, sometimes one less
    min_days = np.minimum(lectures, D) - (g_teach.random(len(s.c_names)) < 0.25)
    min_days = np.clip(min_days, np.minimum(lectures, 1), None).astype(np.int32)
    unav, undesired = _teacher_periods(r, placer, len(s.t_dept), g_teach)
    T = len(s.t_dept)
    t_ids = [f"T{i + 1:04d}" for i in range(T)]
    first = g_teach.integers(0, len(_FIRST), T)
    last = g_teach.integers(0, len(_LAST), T)
    t_full = tuple(f"{_FIRST[a]} {_LAST[b]}" for a, b in zip(first, last))
    problem = _problem(r, s, enrolled, placer, rooms, lectures, min_days, unav, undesired, t_ids)
    dept_building = rooms.dept_building

    def frozen(a, dtype=np.int32):
        a = np.ascontiguousarray(a, dtype=dtype)
        a.setflags(write=False)
        return a

    return SynthUniversity(
        recipe=r,
        problem=problem,
        hidden=hidden,
        department_codes=tuple(s.dept_codes),
        department_building=frozen(dept_building),
        programme_names=tuple(s.prog_names),
        programme_department=frozen(s.prog_dept),
        curriculum_programme=frozen(s.q_prog if enrolled is None else []),
        curriculum_year=frozen(s.q_year if enrolled is None else []),
        curriculum_students=frozen(s.q_students if enrolled is None else [], np.int64),
        building_names=tuple(rooms.b_names),
        building_codes=tuple(rooms.b_codes),
        teacher_full_names=t_full,
        teacher_department=frozen(s.t_dept),
        course_lab=frozen(s.c_lab, np.bool_),
        dropped_lectures=placer.dropped,
        student_programme=frozen([] if enrolled is None else enrolled.cohort_programme[enrolled.student_cohort]),
        student_year=frozen([] if enrolled is None else enrolled.cohort_year[enrolled.student_cohort]),
    )


@dataclass
class _Rooms:
    """The buildings and rooms of a generated university, and where each course's lectures sit."""

    b_names: list[str]
    b_codes: list[str]
    dept_building: np.ndarray
    names: list[str]
    capacity: np.ndarray
    rtype: np.ndarray           # index into ROOM_TYPES
    building: np.ndarray
    new_room: np.ndarray        # pool room index -> room id (rooms are sorted for listing)
    pool_rooms: list[list[np.ndarray]]
    n_lec_rooms: int


def _rooms(r: Recipe, s: _Structure, placer: "_Placer", g_rooms: np.random.Generator) -> _Rooms:
    """Buildings, and the rooms of the lecture and lab pools with the room of every lecture."""
    B = r.buildings
    b_names = [(_BUILDINGS[i][0] if i < len(_BUILDINGS) else f"Building {i + 1}") for i in range(B)]
    b_codes = [(_BUILDINGS[i][1] if i < len(_BUILDINGS) else f"B{i + 1:02d}") for i in range(B)]
    dept_building = g_rooms.integers(0, B, r.departments).astype(np.int32)
    home = dept_building[s.c_dept]
    pools = (placer.lecture_pool, placer.lab_pool)
    pool_building = [g_rooms.integers(0, B, len(pl.room_tier)) for pl in pools]
    pool_rooms: list[list[np.ndarray]] = []
    for pl, blds, mask in zip(pools, pool_building, (~s.c_lab, s.c_lab)):
        pool_rooms.append(_assign_rooms(pl, np.flatnonzero(mask), placer.c_tier, placer.unit, home, blds, g_rooms))
    # one room list: lecture pool then lab pool, capacities = tier seats + a little jitter upwards
    # (still >= every lecture placed there, so the hidden timetable has no capacity overflow)
    seats = np.concatenate([pools[0].tiers[pools[0].room_tier], pools[1].tiers[pools[1].room_tier]])
    capacity = seats + g_rooms.integers(0, seats // 10 + 1)
    n_lec_rooms = len(pools[0].room_tier)
    rtype = np.array([(1 if seats[i] <= _SEMINAR_MAX else 0) if i < n_lec_rooms else 2
                      for i in range(len(seats))], np.int64)
    building = np.concatenate(pool_building)
    # name rooms by building and type, sorted so that listings read naturally
    room_order = np.lexsort((-capacity, rtype, building))
    new_room = np.empty(len(room_order), np.int64)
    new_room[room_order] = np.arange(len(room_order))
    counter: dict[tuple[int, int], int] = {}
    room_names = []
    for i in room_order:
        key = (int(building[i]), int(rtype[i]))
        counter[key] = counter.get(key, 0) + 1
        room_names.append(f"{b_codes[building[i]]}-{'HSL'[rtype[i]]}{counter[key]:02d}")
    return _Rooms(b_names, b_codes, dept_building, room_names, capacity[room_order], rtype[room_order],
                  building[room_order], new_room, pool_rooms, n_lec_rooms)


def _hidden_timetable(s: _Structure, placer: "_Placer", rooms: _Rooms) -> Timetable:
    """The planted timetable (lectures of a course are consecutive ids, in start order)."""
    C = len(s.c_names)
    if not C:
        return Timetable(np.zeros(0, np.int32), np.zeros(0, np.int32))
    period = np.concatenate([placer.start[c] for c in range(C)]).astype(np.int32)
    room = np.concatenate([
        rooms.new_room[rooms.pool_rooms[1][c] + rooms.n_lec_rooms] if s.c_lab[c] else rooms.new_room[rooms.pool_rooms[0][c]]
        for c in range(C)]).astype(np.int32)
    return Timetable(period, room)


def _teacher_periods(r: Recipe, placer: "_Placer", T: int, g_teach: np.random.Generator):
    """Teacher unavailability (whole free half-days) and undesired periods (free periods, biased
    toward the penalised early and late ones): two bool [T, P] arrays, never where a teacher teaches."""
    D, S, P = placer.D, placer.S, placer.P
    t_busy = placer.t_busy
    half = max(1, S // 2)
    halves = [(0, half), (half, S)] if S > 1 else [(0, 1)]
    H = len(halves)
    half_busy = np.stack([t_busy.reshape(T, D, S)[:, :, a:b].any(axis=2) for a, b in halves], axis=2)
    half_busy = half_busy.reshape(T, D * H)
    want = g_teach.random(T) * 2 * r.unavailable_fraction * D * H   # mean: the fraction of half-days
    n_off = np.minimum(np.floor(want + g_teach.random(T)).astype(np.int64), (~half_busy).sum(axis=1))
    rank = np.argsort(np.where(half_busy, np.inf, g_teach.random((T, D * H))), axis=1, kind="stable")
    off_half = np.zeros((T, D * H), np.bool_)
    off_half[np.arange(T)[:, None], rank] = np.arange(D * H)[None, :] < n_off[:, None]
    unav = np.zeros((T, D, S), np.bool_)
    oh = off_half.reshape(T, D, H)
    for h, (a, b) in enumerate(halves):
        unav[:, :, a:b] |= oh[:, :, h][:, :, None]
    unav = unav.reshape(T, P)
    assert not (unav & t_busy).any()
    free = ~(t_busy | unav)
    n_und = np.minimum(np.floor(g_teach.random(T) * 2 * r.undesired_fraction * P + g_teach.random(T)).astype(np.int64),
                       free.sum(axis=1))
    # people mostly dislike the early and late periods: bias the draw toward penalised periods
    u_score = g_teach.random((T, P)) - 0.5 * (placer.period_penalty > 0)[None, :]
    rank = np.argsort(np.where(free, u_score, np.inf), axis=1, kind="stable")
    undesired = np.zeros((T, P), np.bool_)
    undesired[np.arange(T)[:, None], rank] = np.arange(P)[None, :] < n_und[:, None]
    return unav, undesired


def _problem(r: Recipe, s: _Structure, enrolled: "_Enrolled | None", placer: "_Placer", rooms: _Rooms,
             lectures: np.ndarray, min_days: np.ndarray, unav: np.ndarray, undesired: np.ndarray,
             t_ids: list[str]) -> Problem:
    """The generated university as a :class:`~tt_core.model.Problem` (curricula or students)."""
    D, S = placer.D, placer.S
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", r.day_start)
    t0 = int(m.group(1)) * 60 + int(m.group(2))
    labels = [f"{_DAY_NAMES[d]} {(t0 + i * r.period_minutes) // 60:02d}:{(t0 + i * r.period_minutes) % 60:02d}"
              for d in range(D) for i in range(S)]
    q_courses: list[list[str]] = [[] for _ in s.q_names]
    for c in range(len(s.c_names)):
        for q in s.c_curricula[c]:
            q_courses[q].append(s.c_names[c])
    tu, pu = np.nonzero(unav)
    td, pd = np.nonzero(undesired)
    student_kw: dict[str, Any] = {}
    curricula = list(zip(s.q_names, q_courses))
    if enrolled is not None:
        # the planting groups were a device of the construction: the problem has the students
        curricula = []
        student_kw = dict(enrolments=[(f"S{i + 1:05d}", [s.c_names[c] for c in cs])
                                      for i, cs in enumerate(enrolled.student_courses)],
                          course_offering=enrolled.c_offering)
    problem = Problem.create(
        name=f"synth-{r.name}-s{r.seed}", days=D, periods_per_day=S, courses=s.c_names,
        course_teacher=[t_ids[t] for t in s.c_teacher], course_lectures=lectures.tolist(),
        course_min_days=min_days.tolist(), course_students=s.c_students.tolist(), rooms=rooms.names,
        room_capacity=rooms.capacity.tolist(), curricula=curricula, course_length=s.c_length.tolist(),
        course_department=[s.dept_names[d] for d in s.c_dept], course_category=s.c_cat,
        room_building=rooms.building.tolist(), room_type=[ROOM_TYPES[k] for k in rooms.rtype],
        # labs only in lab rooms, other courses only in lecture halls / seminars
        suitable=s.c_lab[:, None] == (rooms.rtype == 2)[None, :],
        curriculum_max_per_day=[r.curriculum_max_per_day] * len(curricula),
        teacher_unavailable=[(t_ids[t], int(p)) for t, p in zip(tu, pu)],
        teacher_undesired=[(t_ids[t], int(p)) for t, p in zip(td, pd)],
        teacher_max_per_day=({t: r.teacher_max_per_day for t in t_ids} if r.teacher_max_per_day else None),
        period_penalty=placer.period_penalty.tolist(), period_labels=labels, **student_kw)
    # Problem.create derives department and teacher order from first appearance; both were built
    # to match, which the metadata arrays rely on
    assert problem.department_names == tuple(s.dept_names) and problem.teacher_names == tuple(t_ids)
    return problem
