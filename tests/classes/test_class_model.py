"""``ClassProblem`` / ``ClassSolution`` built in code: validation names the inconsistent item."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from classes_samples import Cls, first_options, instance_xml, read_text

from tt_core.classes import ClassProblem, ClassSolution
from tt_core.errors import ValidationError

M = "1000000"


@pytest.fixture
def problem(tmp_path) -> ClassProblem:
    return read_text(tmp_path, instance_xml(
        [Cls("a", [(M, 96, 12, "11")], ["r1"], course="K", config="F", subpart="P1"),
         Cls("b", [(M, 120, 12, "11")], ["r1", "r2"], parent="a", course="K", config="F", subpart="P2")],
        [("SameStart", 2, ["a", "b"])], students=[("s", ["K"])]))


def _replace(problem, **changes):
    values = {f.name: getattr(problem, f.name) for f in dataclasses.fields(problem)}
    values.update(changes)
    return ClassProblem(**values)


def test_arrays_are_read_only(problem):
    with pytest.raises(ValueError):
        problem.time_start[0] = 5
    assert problem.class_config.tolist() == [0, 0] and problem.class_course.tolist() == [0, 0]
    ptr, dist, pos = problem.class_distributions
    assert ptr.tolist() == [0, 1, 2] and dist.tolist() == [0, 0] and pos.tolist() == [0, 1]


@pytest.mark.parametrize("changes, message", [
    ({"time_length": [12, 200]}, "time of class b (days 1, start 120, length 200, weeks 3) starts before 0 or ends after slotsPerDay"),
    ({"time_days": [1, 0]}, "time of class b (days 0, start 120, length 12, weeks 3) meets on no day"),
    ({"time_weeks": [3, 4]}, "meets in no week, or in a week past nrWeeks"),
    ({"class_ids": ("a", "a")}, "class id(s) given twice: a"),
    ({"room_option_room": [0, 1, 1]}, "class b lists room r2 twice"),
    ({"class_parent": [1, 0]}, "classes a, b: their parents form a cycle"),
    ({"distribution_classes": [1, 1]}, "distribution 1 (SameStart, penalty 2) lists class b twice"),
    ({"student_courses": [3]}, "student_courses: course indices out of range"),
    ({"weights": [1, 1, -1, 1]}, "weights [1, 1, -1, 1]: four whole numbers >= 0"),
    ({"travel": [[0, 1, 0], [2, 0, 0], [0, 0, 0]]}, "travel: a symmetric room x room matrix"),
])
def test_validation_names_the_item(problem, changes, message):
    with pytest.raises(ValidationError) as info:
        _replace(problem, **changes)
    assert message in str(info.value)


def test_solution_checks(problem):
    assert first_options(problem).time.tolist() == [0, 0]
    with pytest.raises(ValidationError, match="class b: room option 2 of 2"):
        ClassSolution.create(problem, [0, 0], [0, 2])
    with pytest.raises(ValidationError, match="needs a time and a room entry for each of its 2 classes"):
        ClassSolution(time=np.zeros(3, np.int32), room=np.zeros(3, np.int32), student_ptr=np.zeros(2, np.int32),
                      student_classes=np.zeros(0, np.int32)).check(problem)
    sol = ClassSolution.create(problem, [0, 0], students=[[1, 0, 1]])
    assert sol.student_classes.tolist() == [0, 1]   # sorted, each class once
