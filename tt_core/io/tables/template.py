"""A downloadable template: a small example bundle with a row or two in every table.

A planner starts from it (``tt template OUT``, the data app's download) instead of from the format's
description: every table and column is there, filled with a tiny but complete example — a week of
five days and four periods with clock-time labels, two departments, a lab course of two periods,
room types, a curriculum, unavailability, preferences, students and their enrolments — that
imports as it is.
"""

from __future__ import annotations

import os
from pathlib import Path

from ...model import Problem
from .writing import write_tables

__all__ = ["example_problem", "EXAMPLE_META", "write_template"]

#: the descriptive data of :func:`example_problem` (building names, full names, codes…)
EXAMPLE_META = {
    "building_names": ["Main building", "Science park"],
    "room_features": ["projector", "fume hoods", "projector; recording"],
    "teacher_full_names": ["Ada Lovelace", "Alan Turing", "Rosalind Franklin"],
    "department_codes": ["MATH", "CHEM"],
    "curriculum_programme": ["BSc Mathematics", "BSc Chemistry"],
    "curriculum_year": [1, 1],
    "student_programme": ["BSc Mathematics", "BSc Chemistry", "BSc Chemistry"],
    "student_year": [1, 1, 1],
    "student_department": ["Mathematics", "Chemistry", "Chemistry"],
}
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri")
_TIMES = ("09:00", "10:00", "11:00", "14:00")


def example_problem() -> Problem:
    """The template's problem: 5 days x 4 periods, 4 courses, 3 rooms, 2 curricula, 3 students."""
    return Problem.create(
        name="example", days=5, periods_per_day=4,
        courses=["Algebra", "Analysis", "Chemistry lab", "Statistics"],
        course_teacher=["T001", "T002", "T003", "T002"],
        course_lectures=[3, 2, 1, 2], course_min_days=[3, 2, 1, 2], course_students=[60, 45, 20, 70],
        rooms=["Hall A", "Lab 1", "Room 12"], room_capacity=[80, 24, 40],
        curricula=[("Maths year 1", ["Algebra", "Analysis", "Statistics"]), ("Chemistry year 1", ["Chemistry lab",
                                                                                                   "Statistics"])],
        unavailable=[("Analysis", 0)],
        course_length=[1, 1, 2, 1],
        course_department=["Mathematics", "Mathematics", "Chemistry", "Mathematics"],
        course_category=["core", "core", "core", "elective"],
        room_building=[0, 1, 0], room_type=["lecture hall", "lab", None],
        # Algebra: lecture halls (room_types); Analysis: any room; the lab: labs; Statistics: two named
        # rooms (course_rooms)
        suitable=[[True, False, False], [True, True, True], [False, True, False], [True, False, True]],
        curriculum_max_per_day=[3, 0],
        teacher_unavailable=[("T003", 4 * 4 + 3)], teacher_undesired=[("T001", 0)],
        teacher_max_per_day={"T002": 2},
        period_penalty=[0, 0, 0, 1] * 5,
        period_labels=[f"{d} {t}" for d in _DAYS for t in _TIMES],
        enrolments=[("S0001", ["Algebra", "Analysis", "Statistics"]), ("S0002", ["Chemistry lab", "Statistics"]),
                    ("S0003", ["Chemistry lab"])],
    )


def write_template(path: str | os.PathLike) -> Path:
    """Write the example bundle: a CSV folder, or a workbook when ``path`` ends in ``.xlsx``.

    Parameters
    ----------
    path : str or os.PathLike
        A new or empty folder, or an ``.xlsx`` file.

    Returns
    -------
    Path
    """
    return write_tables(example_problem(), path, meta=EXAMPLE_META, institution="Example University",
                        term="autumn term")
