"""The evaluator on tiny hand-made instances: one feature each, every unit computed by hand.

Each test builds a problem named after the feature it exercises, places lectures by
``(course, room, day, slot)`` rows (a course's lectures in row order, i.e. lecture-id order) and
states the expected units of every constraint; all others must be zero. ``check`` compares the
numba full kernel (``evaluate``), the plain-Python oracle (``tests/reference.py``) and the
incremental evaluator built from the same timetable against that hand count, and checks that the
explanation adds up to the same units.
"""

from __future__ import annotations

import numpy as np
import pytest
from reference import reference_units

from tt_core import constraints as K
from tt_core.cost import evaluate, resolve_weights
from tt_core.errors import TimetableError
from tt_core.io.itc2007 import read_ctt, read_sol
from tt_core.kernels.incremental import IncrementalEvaluator
from tt_core.model import Problem, Timetable

# ------------------------------------------------------------------------------ helpers

def make(name: str, *, days: int, ppd: int, courses, rooms, **extra) -> Problem:
    """``courses``: ``(name, teacher, lectures, min_days, students)``; ``rooms``: ``(name, capacity)``."""
    return Problem.create(
        name=name, days=days, periods_per_day=ppd,
        courses=[c[0] for c in courses], course_teacher=[c[1] for c in courses],
        course_lectures=[c[2] for c in courses], course_min_days=[c[3] for c in courses],
        course_students=[c[4] for c in courses],
        rooms=[r[0] for r in rooms], room_capacity=[r[1] for r in rooms], **extra)


def place(problem: Problem, *rows) -> Timetable:
    """A timetable from ``(course, room, day, slot)`` rows; lectures without a row stay unplaced."""
    return Timetable.from_rows(problem, rows)


def expected_units(**by_name: int) -> list[int]:
    units = [0] * K.N_CONSTRAINTS
    for name, value in by_name.items():
        units[K.index_of(name)] = value
    return units


def check(problem: Problem, timetable: Timetable, *, hard: int, soft: float, **by_name: int):
    """Assert the hand-computed units (all unnamed constraints zero) and totals; return the report."""
    want = expected_units(**by_name)
    report = evaluate(problem, timetable)
    assert report.units.tolist() == want, "numba full kernel"
    assert reference_units(problem, timetable) == want, "reference oracle"
    assert IncrementalEvaluator(problem, timetable).units.tolist() == want, "incremental build"
    assert report.hard_violations == hard
    assert report.soft_cost == soft
    assert report.feasible == (hard == 0)
    explained = [0] * K.N_CONSTRAINTS
    for v in report.explain():
        assert v.units > 0, v
        explained[v.constraint] += v.units
    assert explained == want, "explanation units"
    return report


def items(report, name: str):
    """The explained violations of one constraint."""
    return [v for v in report.explain() if v.constraint == K.index_of(name)]


# ------------------------------------------------------------------------------ ITC2007 terms

def test_unplaced_lectures_count_as_missing_and_days_as_short():
    pb = make("unplaced", days=2, ppd=4,
              courses=[("a", "t1", 3, 2, 10), ("b", "t2", 2, 1, 10)], rooms=[("r", 10)])
    # a: 2 of 3 lectures missing, 1 day of 2; b: 2 missing, 0 days of 1
    rep = check(pb, place(pb, ("a", "r", 0, 0)), hard=4, soft=10, Lectures=4, MinWorkingDays=2)
    assert {v.course: v.units for v in items(rep, "Lectures")} == {"a": 2, "b": 2}
    assert {v.course: v.units for v in items(rep, "MinWorkingDays")} == {"a": 1, "b": 1}
    check(pb, Timetable.empty(pb), hard=5, soft=15, Lectures=5, MinWorkingDays=3)


def test_room_capacity_counts_each_student_above_capacity_each_lecture():
    pb = make("room-capacity", days=1, ppd=4,
              courses=[("a", "t1", 2, 1, 30), ("b", "t2", 1, 1, 40)], rooms=[("small", 20), ("big", 40)])
    tt = place(pb, ("a", "small", 0, 0), ("a", "small", 0, 1), ("b", "big", 0, 0))
    rep = check(pb, tt, hard=0, soft=20, RoomCapacity=20)  # (30 - 20) twice; b exactly fits
    assert [(v.course, v.room, v.units) for v in items(rep, "RoomCapacity")] == [("a", "small", 10)] * 2
    assert "small" in items(rep, "RoomCapacity")[0].text and "30 students" in items(rep, "RoomCapacity")[0].text


def test_min_working_days_counts_each_missing_day_times_five():
    pb = make("min-working-days", days=3, ppd=2, courses=[("a", "t1", 4, 3, 1)], rooms=[("r", 5)])
    tt = place(pb, ("a", "r", 0, 0), ("a", "r", 0, 1), ("a", "r", 1, 0), ("a", "r", 1, 1))
    rep = check(pb, tt, hard=0, soft=5, MinWorkingDays=1)
    assert items(rep, "MinWorkingDays")[0].course == "a"


def test_room_stability_counts_each_room_beyond_the_first():
    pb = make("room-stability", days=1, ppd=4, courses=[("a", "t1", 4, 1, 1)],
              rooms=[("r1", 5), ("r2", 5), ("r3", 5)])
    tt = place(pb, ("a", "r1", 0, 0), ("a", "r2", 0, 1), ("a", "r3", 0, 2), ("a", "r1", 0, 3))
    rep = check(pb, tt, hard=0, soft=2, RoomStability=2)
    (v,) = items(rep, "RoomStability")
    assert v.course == "a" and all(r in v.text for r in ("r1", "r2", "r3"))


def two_rooms_same_period() -> Problem:
    """Course ``a`` (50 students, alone in curriculum ``q``) and ``b`` (1 student); a big and a tiny room."""
    return make("two-rooms-same-period", days=1, ppd=3,
                courses=[("a", "ta", 2, 1, 50), ("b", "tb", 1, 1, 1)], rooms=[("big", 100), ("tiny", 1)],
                curricula=[("q", ["a"])])


def test_second_lecture_in_a_used_period_is_not_taught_and_occupies_nothing():
    pb = two_rooms_same_period()
    # a's second lecture repeats period 0 in the tiny room: one missing lecture and nothing else —
    # no second lecture in the tiny room (b is alone there), no capacity, no second room for a,
    # and the curriculum has one (isolated) lecture at period 0, not two
    tt = place(pb, ("a", "big", 0, 0), ("a", "tiny", 0, 0), ("b", "tiny", 0, 0))
    rep = check(pb, tt, hard=1, soft=2, Lectures=1, CurriculumCompactness=1)
    (v,) = items(rep, "Lectures")
    assert v.course == "a" and "1 of 2" in v.text
    (v,) = items(rep, "CurriculumCompactness")
    assert v.curriculum == "q" and v.period == 0


def test_the_lecture_with_the_lower_id_is_the_one_taught():
    pb = two_rooms_same_period()
    # the same rows with a's rooms exchanged: now the tiny room holds a (taught, 49 over) and b
    tt = place(pb, ("a", "tiny", 0, 0), ("a", "big", 0, 0), ("b", "tiny", 0, 0))
    rep = check(pb, tt, hard=2, soft=51, Lectures=1, RoomOccupation=1, RoomCapacity=49,
                CurriculumCompactness=1)
    (v,) = items(rep, "RoomOccupation")
    assert v.room == "tiny" and "a" in v.text and "b" in v.text
    (v,) = items(rep, "RoomCapacity")
    assert (v.course, v.room, v.units) == ("a", "tiny", 49)


def test_a_repeated_lecture_in_the_same_room_is_not_a_room_occupation():
    pb = two_rooms_same_period()
    # a: one missing (the repeat), b: one missing (unplaced) and so short of its one day
    check(pb, place(pb, ("a", "big", 0, 1), ("a", "big", 0, 1)), hard=2, soft=7,
          Lectures=2, MinWorkingDays=1, CurriculumCompactness=1)


def test_conflict_counted_once_for_courses_sharing_curricula_and_teacher():
    pb = make("shared-curricula-and-teacher", days=1, ppd=3,
              courses=[("a", "t", 1, 1, 1), ("b", "t", 1, 1, 1)], rooms=[("r1", 10), ("r2", 10)],
              curricula=[("q1", ["a", "b"]), ("q2", ["b", "a"])])
    # one pair, one period: 1 conflict (not 3); each curriculum has 2 isolated lectures at period 0
    rep = check(pb, place(pb, ("a", "r1", 0, 0), ("b", "r2", 0, 0)), hard=1, soft=8,
                Conflicts=1, CurriculumCompactness=4)
    (v,) = items(rep, "Conflicts")
    assert "a" in v.text and "b" in v.text and "same teacher" in v.text
    assert sorted((v.curriculum, v.units) for v in items(rep, "CurriculumCompactness")) == [("q1", 2), ("q2", 2)]


def test_conflict_counted_per_period_and_per_pair():
    pb = make("conflict-per-period", days=1, ppd=3,
              courses=[("a", "t", 2, 1, 1), ("b", "t", 2, 1, 1)], rooms=[("r1", 10), ("r2", 10)])
    tt = place(pb, ("a", "r1", 0, 0), ("a", "r1", 0, 1), ("b", "r2", 0, 0), ("b", "r2", 0, 1))
    rep = check(pb, tt, hard=2, soft=0, Conflicts=2)
    assert sorted(v.period for v in items(rep, "Conflicts")) == [0, 1]

    three = make("three-in-a-curriculum", days=1, ppd=3,
                 courses=[("a", "ta", 1, 1, 1), ("b", "tb", 1, 1, 1), ("c", "tc", 1, 1, 1)],
                 rooms=[("r1", 10), ("r2", 10), ("r3", 10)], curricula=[("q", ["a", "b", "c"])])
    tt = place(three, ("a", "r1", 0, 1), ("b", "r2", 0, 1), ("c", "r3", 0, 1))
    rep = check(three, tt, hard=3, soft=6, Conflicts=3, CurriculumCompactness=3)
    assert all("same curriculum" in v.text for v in items(rep, "Conflicts"))


def test_room_occupation_counts_each_lecture_beyond_the_first():
    pb = make("three-in-one-room", days=1, ppd=2,
              courses=[("a", "ta", 1, 1, 1), ("b", "tb", 1, 1, 1), ("c", "tc", 1, 1, 1)], rooms=[("r", 10)])
    rep = check(pb, place(pb, ("a", "r", 0, 0), ("b", "r", 0, 0), ("c", "r", 0, 0)), hard=2, soft=0,
                RoomOccupation=2)
    (v,) = items(rep, "RoomOccupation")
    assert v.room == "r" and v.period == 0 and "3 lectures" in v.text


def test_availability_course_and_teacher_unavailability():
    pb = make("availability", days=2, ppd=2, courses=[("a", "ta", 3, 1, 1)], rooms=[("r", 10)],
              unavailable=[("a", 1), ("a", 3)], teacher_unavailable=[("ta", 2), ("ta", 3)])
    # period 1: course unavailable; period 2: teacher unavailable; period 3: both, counted once
    tt = place(pb, ("a", "r", 0, 1), ("a", "r", 1, 0), ("a", "r", 1, 1))
    rep = check(pb, tt, hard=3, soft=0, Availability=3)
    texts = {v.period: v.text for v in items(rep, "Availability")}
    assert set(texts) == {1, 2, 3}
    assert "teacher" in texts[2] and "teacher" not in texts[1]
    check(pb, place(pb, ("a", "r", 0, 0)), hard=2, soft=0, Lectures=2)


# ------------------------------------------------------------------------------ compactness edges

def curriculum_of_two(days: int, ppd: int) -> Problem:
    return make(f"compactness-{days}x{ppd}", days=days, ppd=ppd,
                courses=[("a", "ta", 1, 1, 1), ("b", "tb", 1, 1, 1)], rooms=[("r1", 10), ("r2", 10)],
                curricula=[("q", ["a", "b"])])


def test_compactness_has_no_adjacency_across_days():
    pb = curriculum_of_two(days=2, ppd=2)
    # last period of day 0 and first of day 1 are consecutive period ids, but not adjacent
    rep = check(pb, place(pb, ("a", "r1", 0, 1), ("b", "r2", 1, 0)), hard=0, soft=4, CurriculumCompactness=2)
    assert sorted(v.period for v in items(rep, "CurriculumCompactness")) == [1, 2]
    check(pb, place(pb, ("a", "r1", 1, 0), ("b", "r2", 1, 1)), hard=0, soft=0)


def test_compactness_first_and_last_period_of_a_day():
    pb = curriculum_of_two(days=1, ppd=3)
    check(pb, place(pb, ("a", "r1", 0, 0), ("b", "r2", 0, 2)), hard=0, soft=4, CurriculumCompactness=2)
    check(pb, place(pb, ("a", "r1", 0, 1), ("b", "r2", 0, 2)), hard=0, soft=0)
    check(pb, place(pb, ("a", "r1", 0, 0), ("b", "r2", 0, 1)), hard=0, soft=0)


def test_compactness_with_one_period_days():
    pb = curriculum_of_two(days=3, ppd=1)
    check(pb, place(pb, ("a", "r1", 0, 0), ("b", "r2", 1, 0)), hard=0, soft=4, CurriculumCompactness=2)
    # both at once: k = 2 units for the one isolated period (and the curriculum conflict)
    check(pb, place(pb, ("a", "r1", 2, 0), ("b", "r2", 2, 0)), hard=1, soft=4, Conflicts=1,
          CurriculumCompactness=2)


# ------------------------------------------------------------------------------ multi-period lectures

def test_multi_period_lab_spilling_past_the_day_end():
    pb = make("lab-spilling-past-day-end", days=2, ppd=4,
              courses=[("lab", "t1", 1, 1, 10), ("x", "t2", 1, 1, 10), ("y", "t1", 1, 1, 10),
                       ("w", "t3", 1, 1, 10)],
              rooms=[("r1", 10), ("r2", 10)], course_length=[3, 1, 1, 1], curricula=[("q", ["lab", "w"])])
    tt = place(pb, ("lab", "r1", 0, 2), ("x", "r1", 0, 3), ("y", "r2", 0, 3), ("w", "r1", 1, 0))
    # lab occupies slots 2 and 3 of day 0 (one period cut off: Availability 1); x shares r1 at slot 3
    # (RoomOccupation 1); y has lab's teacher at slot 3 (Conflicts 1); w at day 1 slot 0 shares
    # nothing; in q, lab's two periods are adjacent to each other, w is isolated (1 unit)
    rep = check(pb, tt, hard=3, soft=2, Availability=1, RoomOccupation=1, Conflicts=1,
                CurriculumCompactness=1)
    (v,) = items(rep, "Availability")
    assert v.course == "lab" and "past the end of the day" in v.text
    assert items(rep, "RoomOccupation")[0].period == 3
    assert items(rep, "CurriculumCompactness")[0].period == 4


def test_overlapping_multi_period_lectures_of_a_course():
    pb = make("overlapping-labs", days=1, ppd=4, courses=[("lab", "t", 2, 1, 1)], rooms=[("r", 5)],
              course_length=[2])
    # second lab (slots 1-2) overlaps the first (slots 0-1) at slot 1: not taught, occupies nothing
    check(pb, place(pb, ("lab", "r", 0, 0), ("lab", "r", 0, 1)), hard=1, soft=0, Lectures=1)
    check(pb, place(pb, ("lab", "r", 0, 0), ("lab", "r", 0, 2)), hard=0, soft=0)


# ------------------------------------------------------------------------------ extension terms

def test_room_suitability():
    suitable = np.array([[False, True]])
    pb = make("room-suitability", days=1, ppd=2, courses=[("a", "t", 2, 1, 1)],
              rooms=[("lab", 10), ("hall", 10)], suitable=suitable)
    rep = check(pb, place(pb, ("a", "lab", 0, 0), ("a", "hall", 0, 1)), hard=1, soft=1,
                RoomSuitability=1, RoomStability=1)
    (v,) = items(rep, "RoomSuitability")
    assert (v.course, v.room) == ("a", "lab")


def test_teacher_preference_per_occupied_undesired_period():
    pb = make("teacher-preference", days=1, ppd=4,
              courses=[("a", "t1", 1, 1, 1), ("b", "t1", 1, 1, 1)], rooms=[("r", 10)],
              course_length=[2, 1], teacher_undesired=[("t1", 0), ("t1", 1)])
    rep = check(pb, place(pb, ("a", "r", 0, 0), ("b", "r", 0, 3)), hard=0, soft=2, TeacherPreference=2)
    assert all(v.course == "a" and "t1" in v.text for v in items(rep, "TeacherPreference"))


def test_time_of_day_sums_penalties_of_occupied_periods():
    pb = make("time-of-day", days=1, ppd=4,
              courses=[("a", "ta", 1, 1, 1), ("b", "tb", 1, 1, 1)], rooms=[("r", 10)],
              course_length=[2, 1], period_penalty=[3, 0, 0, 1])
    check(pb, place(pb, ("a", "r", 0, 0), ("b", "r", 0, 3)), hard=0, soft=4, TimeOfDay=4)


def test_curriculum_daily_load_counts_lectures_not_periods():
    pb = make("curriculum-daily-load", days=2, ppd=4,
              courses=[("a", "ta", 2, 1, 1), ("b", "tb", 1, 1, 1)], rooms=[("r", 10)],
              course_length=[1, 2], curricula=[("q", ["a", "b"])], curriculum_max_per_day=[1])
    # three lectures of q on day 0 (b's lab fills slots 2-3), maximum 1: 2 units; compact day
    rep = check(pb, place(pb, ("a", "r", 0, 0), ("a", "r", 0, 1), ("b", "r", 0, 2)), hard=0, soft=2,
                CurriculumDailyLoad=2)
    assert items(rep, "CurriculumDailyLoad")[0].curriculum == "q"


def test_teacher_daily_load():
    pb = make("teacher-daily-load", days=2, ppd=4,
              courses=[("a", "t1", 2, 1, 1), ("b", "t1", 1, 1, 1)], rooms=[("r", 10)],
              teacher_max_per_day={"t1": 1})
    rep = check(pb, place(pb, ("a", "r", 0, 0), ("a", "r", 0, 2), ("b", "r", 1, 0)), hard=0, soft=1,
                TeacherDailyLoad=1)
    assert "t1" in items(rep, "TeacherDailyLoad")[0].text


@pytest.mark.parametrize("weights", [{"RoomStability": -1}, np.where(np.arange(K.N_CONSTRAINTS) == K.ROOM_STABILITY, -1.0, 1.0)],
                         ids=["by-name", "vector"])
def test_negative_weights_are_refused_by_name_and_as_a_vector(weights):
    with pytest.raises(TimetableError, match="must not be negative: RoomStability=-1"):
        resolve_weights(weights)


def test_weights_scale_soft_units():
    pb = make("weights", days=1, ppd=4, courses=[("a", "t", 2, 2, 30)], rooms=[("small", 20)])
    tt = place(pb, ("a", "small", 0, 0), ("a", "small", 0, 1))
    rep = evaluate(pb, tt, {"RoomCapacity": 0.5, "MinWorkingDays": 2})
    assert rep.units.tolist() == expected_units(RoomCapacity=20, MinWorkingDays=1)
    assert rep.soft_cost == 12  # 20 * 0.5 + 1 * 2


# ------------------------------------------------------------------------------ validator layout

def test_format_validator_layout_on_a_tiny_instance():
    pb = two_rooms_same_period()
    rep = evaluate(pb, place(pb, ("a", "tiny", 0, 0), ("a", "big", 0, 0), ("b", "tiny", 0, 0)))
    assert rep.format_validator() == "\n".join([
        "Violations of Lectures (hard) : 1",
        "Violations of Conflicts (hard) : 0",
        "Violations of Availability (hard) : 0",
        "Violations of RoomOccupation (hard) : 1",
        "Cost of RoomCapacity (soft) : 49",
        "Cost of MinWorkingDays (soft) : 0",
        "Cost of CurriculumCompactness (soft) : 2",
        "Cost of RoomStability (soft) : 0",
        "",
        "Summary: Violations = 2, Total Cost = 51",
    ])
    lines = rep.format_validator(violations=True).splitlines()
    assert sum(line.startswith("[H] ") for line in lines) == 2
    assert any(line.startswith("[S(49)] Room tiny too small for course a") for line in lines)
    assert any(line.startswith("[S(2)] Curriculum q") for line in lines)


def test_format_validator_shows_extension_terms_only_when_they_cost():
    suitable = np.array([[False, True]])
    pb = make("room-suitability", days=1, ppd=2, courses=[("a", "t", 1, 1, 1)],
              rooms=[("lab", 10), ("hall", 10)], suitable=suitable)
    bad = evaluate(pb, place(pb, ("a", "lab", 0, 0))).format_validator().splitlines()
    assert bad[3:5] == ["Violations of RoomOccupation (hard) : 0", "Violations of RoomSuitability (hard) : 1"]
    good = evaluate(pb, place(pb, ("a", "hall", 0, 0))).format_validator()
    assert "RoomSuitability" not in good and "TimeOfDay" not in good
    assert good.endswith("Summary: Total Cost = 0")


def test_format_validator_on_the_comp01_public_solution(itc_instance, itc_solution):
    pb = read_ctt(itc_instance("comp01"))
    path, cost = itc_solution("comp01")
    rep = evaluate(pb, read_sol(pb, path))
    assert cost == 5
    # the breakdown of the public cost-5 solution: 4 students over capacity, 1 extra room
    assert rep.format_validator() == "\n".join([
        "Violations of Lectures (hard) : 0",
        "Violations of Conflicts (hard) : 0",
        "Violations of Availability (hard) : 0",
        "Violations of RoomOccupation (hard) : 0",
        "Cost of RoomCapacity (soft) : 4",
        "Cost of MinWorkingDays (soft) : 0",
        "Cost of CurriculumCompactness (soft) : 0",
        "Cost of RoomStability (soft) : 1",
        "",
        "Summary: Total Cost = 5",
    ])
    assert sum(v.units for v in rep.explain()) == 5


@pytest.mark.parametrize("weights", [None, {"CurriculumCompactness": 3}])
def test_soft_cost_is_the_weighted_sum_of_units(weights):
    pb = curriculum_of_two(days=2, ppd=2)
    rep = evaluate(pb, place(pb, ("a", "r1", 0, 1), ("b", "r2", 1, 0)), weights)
    assert rep.soft_cost == 2 * (2 if weights is None else 3)
    assert rep.by_constraint()["CurriculumCompactness"] == (2, float(rep.soft_cost))
