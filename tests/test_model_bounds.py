"""``Problem.create`` range-checks every number against ``tt_core.limits`` before building arrays: absurd
values are refused with a message naming the item and the allowed range, never an OverflowError or a
huge allocation."""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pytest

from tt_core import limits
from tt_core.errors import ValidationError
from tt_core.model import Problem


def make(**changes) -> Problem:
    args = dict(name="p", days=5, periods_per_day=4, courses=["c1", "c2"], course_teacher=["t1", "t2"],
                course_lectures=[3, 2], course_min_days=[2, 2], course_students=[30, 20], rooms=["r1"],
                room_capacity=[40], curricula=[("q1", ["c1", "c2"])])
    args.update(changes)
    return Problem.create(**args)


def refusal(**changes) -> list[str]:
    with pytest.raises(ValidationError) as exc:
        make(**changes)
    return exc.value.problems


def test_a_valid_problem_is_built():
    p = make(curriculum_max_per_day=[2], period_penalty=[0, 1, 2, 3] * 5)
    assert (p.n_lectures, p.n_periods, p.curriculum_max_per_day.tolist()) == (5, 20, [2])


@pytest.mark.parametrize("changes, words", [
    (dict(course_lectures=[3_000_000_000, 2]), "course c1: 3000000000 is above 1000; lectures of a course must be "
                                               "between 0 and 1000"),
    (dict(course_lectures=[10 ** 20, 2]), "course c1: 100000000000000000000 is above 1000"),
    (dict(course_lectures=[100_000_000, 2]), "course c1: 100000000 is above 1000"),
    (dict(course_students=[30, 3_000_000_000]), "course c2: 3000000000 is above 100000; students of a course"),
    (dict(course_min_days=[2, 3_000_000_000]), "course c2: 3000000000 is above 31; minimum working days"),
    (dict(room_capacity=[1e30]), "room r1: 1e+30 is above 100000; seats of a room must be between 0 and 100000"),
    (dict(room_capacity=[-30]), "room r1: negative capacity -30"),
    (dict(course_lectures=[-1, 2]), "course c1: negative number of lectures -1"),
    (dict(curriculum_max_per_day=[10 ** 20]), "curriculum q1: 100000000000000000000 is above 288"),
    (dict(teacher_max_per_day={"t1": 3_000_000_000}), "teacher t1: 3000000000 is above 288"),
    (dict(period_penalty=[10 ** 12] + [0] * 19), "period day 0 period 0: 1000000000000 is above 1000"),
    (dict(course_lectures=[float("nan"), 2]), "course c1: lectures of a course nan is not a number"),
])
def test_numbers_out_of_range_are_refused_with_the_range(changes, words):
    problems = refusal(**changes)
    assert any(words in p for p in problems), problems


@pytest.mark.parametrize("days, ppd, words", [
    (100_000, 100_000, ["100000 is above 31", "100000 is above 288", "10000000000 is above 2016"]),
    (5, 3_000_000_000, ["3000000000 is above 288"]),
    (1_000_000, 6, ["1000000 is above 31"]),
    (31, 288, ["8928 is above 2016; periods (days x periods per day) must be between 1 and 2016"]),
    (0, 4, ["at least one day and one period (got 0 x 4)"]),
])
def test_an_absurd_grid_is_refused_before_any_array_is_allocated(days, ppd, words):
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        problems = refusal(days=days, periods_per_day=ppd)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - t0 < 1.0 and peak < 10 * 2**20
    for w in words:
        assert any(w in p for p in problems), (w, problems)


def test_too_many_lectures_in_all_and_too_many_courses():
    n = 250
    problems = refusal(courses=[f"c{i}" for i in range(n)], course_teacher=["t"] * n, course_lectures=[1000] * n,
                       course_min_days=[1] * n, course_students=[1] * n, curricula=[])
    assert problems == ["the courses have 250,000 lectures in all; at most 200,000 are allowed"]
    n = limits.MAX_COURSES + 1
    problems = refusal(courses=[f"c{i}" for i in range(n)], course_teacher=["t"] * n, course_lectures=[1] * n,
                       course_min_days=[1] * n, course_students=[1] * n, curricula=[])
    assert problems == [f"{n} courses: {n} is above 20000; courses must be between 0 and 20000"]


def test_numpy_values_and_integral_floats_are_accepted():
    p = make(course_lectures=np.array([3, 2], np.int64), room_capacity=[40.0], days=np.int64(5))
    assert p.room_capacity.tolist() == [40] and p.days == 5


def test_too_many_enrolments():
    courses = ["c1", "c2"] * 5
    many = [(f"s{i}", courses) for i in range(limits.MAX_ENROLMENTS // 10 + 1)]
    assert refusal(enrolments=many) == ["5,000,010 enrolments; at most 5,000,000 are allowed"]
    assert refusal(enrolments=[(f"s{i}", ["c1"]) for i in range(limits.MAX_STUDENTS + 1)]) == [
        "1,000,001 students; at most 1,000,000 are allowed"]
