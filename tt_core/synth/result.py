"""What :func:`~tt_core.synth.generate` returns: the problem, its hidden timetable and metadata."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..model import Problem, Timetable
from .recipe import Recipe

# ----------------------------------------------------------------------------- result


@dataclass(frozen=True, eq=False)
class SynthUniversity:
    """A generated university: the problem, the hidden feasible timetable and descriptive metadata.

    Attributes
    ----------
    recipe : Recipe
        The recipe it was generated from.
    problem : Problem
        The instance (departments, categories, room types, buildings are in the problem itself).
    hidden : Timetable
        The timetable the instance was built around; it has no hard violation.
    department_codes : tuple of str
        Short code of each department, parallel to ``problem.department_names``.
    department_building : ndarray of int32
        Home building of each department (index into ``building_names``).
    programme_names : tuple of str
        Degree programmes, e.g. ``"BSc Physics"``.
    programme_department : ndarray of int32
        Department of each programme.
    curriculum_programme, curriculum_year, curriculum_students : ndarray of int32
        Programme (index), year of study (1-based) and cohort size of each curriculum.
    building_names, building_codes : tuple of str
        Buildings; ``problem.room_building`` indexes them.
    teacher_full_names : tuple of str
        Display name of each teacher, parallel to ``problem.teacher_names`` (which are ids).
    teacher_department : ndarray of int32
        Department of each teacher.
    course_lab : ndarray of bool
        Courses that are labs (multi-period lectures in lab rooms).
    dropped_lectures : int
        Lectures the recipe asked for that could not be placed conflict-free and were left out of
        the instance (0 for sane recipes; kept so a too-tight recipe still yields a valid instance).
    student_programme, student_year : ndarray of int32
        Enrolments form: programme (index into ``programme_names``) and year of study of each
        student, parallel to ``problem.student_names`` (empty in the curricula form, whose
        curricula are the cohorts).
    """

    recipe: Recipe
    problem: Problem
    hidden: Timetable
    department_codes: tuple[str, ...]
    department_building: np.ndarray
    programme_names: tuple[str, ...]
    programme_department: np.ndarray
    curriculum_programme: np.ndarray
    curriculum_year: np.ndarray
    curriculum_students: np.ndarray
    building_names: tuple[str, ...]
    building_codes: tuple[str, ...]
    teacher_full_names: tuple[str, ...]
    teacher_department: np.ndarray
    course_lab: np.ndarray
    dropped_lectures: int = 0
    student_programme: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    student_year: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))

    @property
    def curriculum_department(self) -> np.ndarray:
        """Department of each curriculum (int32 [Q])."""
        return self.programme_department[self.curriculum_programme]

    def curriculum_load(self) -> np.ndarray:
        """Teaching periods per week of each curriculum (lectures x length over its courses)."""
        p = self.problem
        per_course = (p.course_lectures * p.course_length).astype(np.int64)
        member_q = np.repeat(np.arange(p.n_curricula), np.diff(p.curriculum_ptr))
        return np.bincount(member_q, weights=per_course[p.curriculum_courses],
                           minlength=p.n_curricula).astype(np.int64)

    def summary(self) -> dict:
        """Sizes and tightness figures of the generated university."""
        p = self.problem
        s = p.summary()
        lab_room = p.room_type == p.room_types.index("lab") if "lab" in p.room_types else np.zeros(p.n_rooms, bool)
        periods = (p.course_lectures * p.course_length).astype(np.int64)
        loads = self.curriculum_load()
        lab_c = self.course_lab
        s.update(
            students=int(self.curriculum_students.sum()) if not p.n_students else p.n_students,
            programmes=len(self.programme_names),
            buildings=len(self.building_names),
            labs=int(lab_c.sum()),
            lecture_rooms=int((~lab_room).sum()),
            lab_rooms=int(lab_room.sum()),
            lecture_room_occupancy=round(float(periods[~lab_c].sum()) / max(1, int((~lab_room).sum()) * p.n_periods), 3),
            lab_room_occupancy=round(float(periods[lab_c].sum()) / max(1, int(lab_room.sum()) * p.n_periods), 3),
            curriculum_load_min=int(loads.min()) if len(loads) else 0,
            curriculum_load_mean=round(float(loads.mean()), 2) if len(loads) else 0.0,
            curriculum_load_max=int(loads.max()) if len(loads) else 0,
            dropped_lectures=self.dropped_lectures,
        )
        return s
