"""Pre-solve checks (``tt_core.checks``): each check on hand-made data with the finding it must give,
no error on universities that have a timetable, warnings that are true lower bounds, and speed."""

from __future__ import annotations

import time

import numpy as np
import pytest

from tt_core import checks
from tt_core import constraints as K
from tt_core.cost import evaluate
from tt_core.model import Problem
from tt_core.synth import Recipe, generate


def make(**kw) -> Problem:
    """A problem with one teacher per course and ample rooms unless ``kw`` says otherwise."""
    courses = kw.pop("courses")
    n = len(courses)
    base = dict(name=kw.pop("name", "check"), days=kw.pop("days", 2), periods_per_day=kw.pop("ppd", 2),
                courses=courses, course_teacher=kw.pop("teachers", [f"t{i}" for i in range(n)]),
                course_lectures=kw.pop("lectures", [1] * n), course_min_days=kw.pop("min_days", [1] * n),
                course_students=kw.pop("students", [10] * n), rooms=kw.pop("rooms", ["r1", "r2"]),
                room_capacity=kw.pop("capacity", [20, 20]))
    return Problem.create(**base, **kw)


def only(findings, check: str) -> checks.Finding:
    got = [f for f in findings if f.check == check]
    assert len(got) == 1, [str(f) for f in findings]
    return got[0]


def test_course_with_more_lectures_than_available_periods():
    pb = make(courses=["a", "b"], lectures=[3, 1], teacher_unavailable=[("t0", 0), ("t0", 1)])
    f = only(checks.check(pb), "course periods")
    assert (f.severity, f.item, f.name, f.table) == ("error", "course", "a", "courses")
    assert f.text == ("course a needs 3 lectures but only 2 periods are available to it "
                      "(teacher t0 unavailable on all of day 0)")
    assert (f.required, f.available) == (3, 2)
    assert "lower the lectures of course a to 2" in f.fix and "unavailable periods" in f.fix


def test_multi_period_course_that_does_not_fit_its_days():
    pb = make(courses=["lab"], lectures=[2], ppd=3, days=1, course_length=[2])
    f = only(checks.check(pb), "course periods")
    assert f.text == "course lab needs 2 lectures of 2 periods but its available periods fit only 1"


def test_course_no_room_suits():
    suit = np.array([[True, True], [False, False]])
    pb = make(courses=["a", "b"], suitable=suit, room_type=["hall", "hall"])
    f = only(checks.check(pb), "course periods")
    assert f.text == "course b needs 1 lecture but no room suits it"
    assert f.available == 0 and "room types of course b" in f.fix


def test_curriculum_needs_more_periods_than_the_week():
    pb = make(courses=["a", "b"], days=1, ppd=3, lectures=[2, 2], curricula=[("q3", ["a", "b"])])
    f = only(checks.check(pb), "curriculum periods")
    assert (f.severity, f.item, f.name) == ("error", "curriculum", "q3")
    assert f.text == "curriculum q3 needs 4 lecture periods but the week has 3"
    assert "take a course out of curriculum q3" in f.fix and "a ×2, b ×2" in f.fix


def test_teacher_teaches_more_periods_than_they_are_available():
    ok = make(courses=["a", "b"], teachers=["pat", "pat"], lectures=[2, 1], teacher_unavailable=[("pat", 3)])
    assert not [f for f in checks.check(ok) if f.check == "teacher periods"]  # 3 periods in 3: tight, not wrong
    pb = make(courses=["a", "b"], teachers=["pat", "pat"], lectures=[2, 2], teacher_unavailable=[("pat", 3)])
    f = only(checks.check(pb), "teacher periods")
    assert (f.item, f.name, f.required, f.available) == ("teacher", "pat", 4, 3)
    assert f.text == ("teacher pat teaches 4 lecture periods but its courses can be taught in only 3 of the "
                      "week's 4 periods")
    assert "give one of teacher pat's courses" in f.fix and "available in more periods" in f.fix


def test_rooms_hold_fewer_lectures_than_the_week_needs():
    pb = make(courses=["a", "b"], lectures=[3, 2], rooms=["r"], capacity=[20])
    f = only(checks.check(pb), "room periods")
    assert (f.severity, f.item, f.name) == ("error", "room", "room r")
    assert f.text == "room r offers 4 room-periods a week but the courses that can only use them need 5 lecture periods"
    assert "add a room to room r" in f.fix and "a, b" in f.fix


def test_rooms_hold_fewer_lectures_in_the_periods_their_courses_can_use():
    # 2 labs and 3 lab courses of 2 lectures, all only teachable in the first two of four periods:
    # 6 lectures, 8 room-periods in the week, but only 2 labs x 2 periods = 4 when they can be taught
    suit = np.array([[1, 1, 0]] * 3 + [[0, 0, 1]], bool)
    unav = [(c, p) for c in ("x", "y", "z") for p in (2, 3)]
    pb = make(courses=["x", "y", "z", "w"], days=1, ppd=4, lectures=[2, 2, 2, 1], min_days=[1] * 4,
              rooms=["L1", "L2", "A"], capacity=[20, 20, 20], room_type=["lab", "lab", "hall"], suitable=suit,
              unavailable=unav)
    found = checks.check(pb)
    assert not [f for f in found if f.check == "course periods"]  # each course alone fits
    f = only(found, "room periods")
    assert f.name == "room type 'lab' (2 rooms)"
    assert (f.required, f.available) == (6, 4)
    assert "hold at most 4" in f.text and "available in more periods" in f.fix


def test_course_larger_than_every_suitable_room():
    suit = np.array([[True, True, False], [True, True, True]])
    pb = make(courses=["big", "small"], students=[50, 10], rooms=["s30", "s40", "hall"], capacity=[30, 40, 100],
              suitable=suit, lectures=[2, 1])
    f = only(checks.check(pb), "room size")
    assert (f.severity, f.item, f.name, f.required, f.available) == ("warning", "course", "big", 50, 40)
    assert f.text == ("course big has 50 students but its largest suitable room, s40, seats 40: each of its "
                      "2 lectures costs 10 RoomCapacity units")
    assert "raise the capacity of room s40" in f.fix


def test_daily_maximum_of_a_teacher_and_a_curriculum_cannot_hold():
    pb = make(courses=["a", "b"], teachers=["pat", "pat"], lectures=[2, 1], ppd=3, teacher_max_per_day={"pat": 1})
    f = only(checks.check(pb), "daily load")
    assert (f.severity, f.item, f.name, f.required, f.available) == ("warning", "teacher", "pat", 3, 2)
    assert "at least 1 TeacherDailyLoad unit" in f.text and "max_per_day" in f.fix
    pb = make(courses=["a", "b"], lectures=[3, 2], ppd=3, curricula=[("q", ["a", "b"])], curriculum_max_per_day=[2])
    f = only(checks.check(pb), "daily load")
    assert (f.item, f.name, f.required, f.available) == ("curriculum", "q", 5, 4)
    assert "at least 1 CurriculumDailyLoad unit" in f.text


def test_minimum_working_days_out_of_reach():
    pb = make(courses=["a", "b"], days=3, lectures=[2, 3], min_days=[3, 3], unavailable=[("b", 4), ("b", 5)])
    found = [f for f in checks.check(pb) if f.check == "working days"]
    assert [(f.name, f.required, f.available) for f in found] == [("a", 3, 2), ("b", 3, 2)]
    assert "it has only 2 lectures" in found[0].text
    assert "it can be taught on only 2 days" in found[1].text and "available on more days" in found[1].fix


def test_errors_come_before_warnings_and_print_with_their_fix():
    pb = make(courses=["a", "b"], lectures=[1, 5], min_days=[2, 1])
    found = checks.check(pb)
    assert [f.severity for f in found] == sorted((f.severity for f in found), key=checks.SEVERITIES.index)
    assert found[0].severity == "error" and found[-1].severity == "warning"
    assert str(found[0]).startswith("error: course b needs 5 lectures") and ". Fix: " in str(found[0])


@pytest.mark.parametrize("preset", ["tiny", "demo"])
def test_universities_with_a_timetable_have_no_error_and_true_bounds(preset):
    """A synthetic university comes with a feasible timetable: no error may be reported, and each
    warning's unavoidable units are paid by that timetable too."""
    u = generate(Recipe.preset(preset))
    found = checks.check(u.problem)
    assert not [f for f in found if f.severity == "error"]
    units = evaluate(u.problem, u.hidden).units
    assert units[K.HARD_MASK].sum() == 0
    bound = {"CurriculumDailyLoad": 0, "TeacherDailyLoad": 0, "MinWorkingDays": 0}
    for f in found:
        if f.check == "daily load":
            bound["CurriculumDailyLoad" if f.item == "curriculum" else "TeacherDailyLoad"] += f.required - f.available
        if f.check == "working days":
            bound["MinWorkingDays"] += f.required - f.available
    for name, b in bound.items():
        assert units[K.index_of(name)] >= b, name
    capacity = sum(f.required - f.available for f in found if f.check == "room size")
    assert capacity == 0 or units[K.ROOM_CAPACITY] >= capacity


def test_loads_list_every_curriculum_teacher_and_room_family_tightest_first():
    pb = make(courses=["a", "b", "c"], teachers=["t0", "t0", "t1"], lectures=[2, 1, 1],
              curricula=[("q", ["a", "c"])])
    rows = checks.loads(pb)
    assert {(x.kind, x.name) for x in rows} == {("curriculum", "q"), ("teacher", "t0"), ("teacher", "t1"),
                                                ("rooms", "the 2 rooms")}
    assert [x.share for x in rows] == sorted((x.share for x in rows), reverse=True)
    rooms = next(x for x in rows if x.kind == "rooms")
    assert (rooms.required, rooms.available) == (4, 8)


def test_demo_university_is_checked_well_under_a_second():
    pb = generate(Recipe.from_toml("data/demo.toml")).problem
    checks.check(pb)
    t0 = time.perf_counter()
    checks.check(pb)
    checks.loads(pb)
    assert time.perf_counter() - t0 < 0.5


# ====================================================================== data entry, in tt check's words
def test_a_course_without_lectures_is_a_warning():
    f = only(checks.check(make(courses=["a", "b"], lectures=[0, 1])), "course periods")
    assert (f.severity, f.name, f.text) == ("warning", "a", "course a has no lectures, so it is never taught")
    assert f.fix == "give course a at least 1 lecture, or delete the course"


def test_entry_refuses_what_tt_check_would_flag_with_its_words():
    # a course with as many lectures as min_days on a 3-day grid without unavailability: tt check's
    # warning is about the days of the week, the case the editor can see at entry
    pb = make(courses=["a"], days=3, ppd=4, lectures=[5], min_days=[5])
    (f,) = [f for f in checks.check(pb) if f.check == "working days"]
    assert checks.course_entry_problems("a", lectures=5, min_days=5, days=3) == [f"{f.text}. Fix: {f.fix}"]
    assert "course a should spread over 5 days but it can be taught on only 3 days" in f.text
    (g,) = [g for g in checks.check(make(courses=["a", "b"], lectures=[0, 1])) if g.name == "a"]
    assert checks.course_entry_problems("a", lectures=0, min_days=0, days=3) == [f"{g.text}. Fix: {g.fix}"]
    assert checks.course_entry_problems("a", lectures=3, min_days=3, days=3) == []
    assert checks.course_entry_problems("a", lectures=1, min_days=2, days=3) == []  # a soft cost, not a slip


def test_entry_refuses_numbers_out_of_their_bounds():
    assert checks.course_entry_problems("a", lectures=3_000_000_000, min_days=-1, days=5) == [
        "course a: 3000000000 is above 1000; lectures of a course must be between 0 and 1000",
        "course a: -1 is below 0; minimum working days must be between 0 and 31"]
