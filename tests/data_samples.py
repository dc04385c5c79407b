"""Small hand-made data shared by the store, tables, export and data-CLI tests.

``rich_problem()`` uses every extension of the model and names that break naive SQL, CSV and file
handling (quotes, semicolons, unicode, an SQL injection attempt); its arrays are spelled out here so
the round-trip tests compare against known values, not against another reader.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tt_core.model import Problem, Timetable

INJECTION = "'); DROP TABLE courses;--"
TEACHERS = ("O'Brien", "Zoë; Müller", "t3")
COURSES = (INJECTION, 'Algèbre "linéaire"', "Lab-1", "Seminar ☃")
ROOMS = ("R'1", "Lab;A", "Room 3", "Aula Σ")
CURRICULA = ("Q1; year 1", "Q'2")
LABELS = tuple(f"{d} {h}" for d in ("Mon", "Tue", "Wed") for h in ("08:00", "09:00", "10:00", "11:00"))
META = {
    "building_names": ["Main", "Science"],
    "room_features": ["projector", "fume hood; sinks", "", "organ"],
    "teacher_full_names": ["Pat O'Brien", "Zoë Müller", ""],
    "department_codes": ["MS", "PH"],
    "curriculum_programme": ["BSc Maths", None],
    "curriculum_year": [1, None],
}


def rich_problem() -> Problem:
    """3 days x 4 periods, 4 courses (7 lectures), 4 rooms, 2 curricula, every extension in use."""
    suitable = np.array([
        [1, 1, 1, 1],   # any room
        [1, 0, 1, 0],   # the lecture halls: derivable from the room type
        [0, 1, 0, 0],   # the lab
        [1, 0, 0, 1],   # a hall and the generic room: only an explicit list says it
    ], bool)
    return Problem.create(
        name="rich test", days=3, periods_per_day=4,
        courses=COURSES, course_teacher=[TEACHERS[0], TEACHERS[1], TEACHERS[2], TEACHERS[2]],
        course_lectures=[2, 3, 1, 1], course_min_days=[2, 2, 1, 1], course_students=[30, 50, 12, 25],
        rooms=ROOMS, room_capacity=[40, 15, 60, 100],
        curricula=[(CURRICULA[0], [COURSES[0], COURSES[1]]), (CURRICULA[1], [COURSES[2], COURSES[3], COURSES[0]])],
        unavailable=[(COURSES[0], 0), (COURSES[2], 5)],
        course_length=[1, 1, 2, 1],
        course_department=["Maths & Stats", "Maths & Stats", "Physics", None],
        course_category=["core", "elective", "core", "open"],
        room_building=[0, 1, 1, 0], room_type=["lecture hall", "lab", "lecture hall", None],
        suitable=suitable, curriculum_max_per_day=[2, 0],
        teacher_unavailable=[(TEACHERS[0], 3), (TEACHERS[2], 11)],
        teacher_undesired=[(TEACHERS[1], 0), (TEACHERS[1], 4)],
        teacher_max_per_day={TEACHERS[0]: 2},
        period_penalty=[1, 0, 0, 2] * 3, period_labels=LABELS,
    )


def rich_timetable(*, unplaced_seminar: bool = False) -> Timetable:
    """Lectures: course 0 (0, 1), course 1 (2, 3, 4), the lab (5, two periods), the seminar (6)."""
    period = [1, 5, 2, 6, 10, 8, -1 if unplaced_seminar else 3]
    room = [0, 0, 2, 2, 2, 1, -1 if unplaced_seminar else 3]
    return Timetable(np.array(period), np.array(room))


def assert_same_problem(a: Problem, b: Problem) -> None:
    """Every field equal; arrays with the same dtype and values."""
    for f in dataclasses.fields(Problem):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype, f"{f.name}: dtype {x.dtype} != {y.dtype}"
            assert np.array_equal(x, y), f"{f.name} differs"
        else:
            assert x == y, f"{f.name}: {x!r} != {y!r}"
