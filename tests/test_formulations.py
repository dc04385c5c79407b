"""The extended benchmark's terms and formulations UD1-UD5 on tiny hand-made ``.ectt`` instances.

Every unit is computed by hand from the rules of the benchmark's validator (``validator.cc``):
windows, double lectures (adjacent *and* in the same room), travel (pairs of lectures of a
curriculum in consecutive periods of a day at different sites), student load (days with lectures
only) and the listed unsuitable rooms (soft in UD3, hard in UD4). ``check`` compares the numba full
kernel, the plain-Python oracle, the incremental evaluator and the explanation with the hand count.
"""

from __future__ import annotations

import numpy as np
import pytest
from reference import reference_units

from tt_core import constraints as K
from tt_core.cli import main
from tt_core.cost import evaluate
from tt_core.errors import TimetableError
from tt_core.io.ectt import parse_ectt
from tt_core.io.itc2007 import format_sol
from tt_core.kernels.incremental import IncrementalEvaluator
from tt_core.model import Problem, Timetable
from tt_core.profiles import FORMULATIONS, formulation


def ectt(*, days: int, ppd: int, courses, rooms, curricula, minmax=(0, 9), unavailable=(),
         room_constraints=()) -> str:
    """The text of an ``.ectt`` file. ``courses``: ``(name, teacher, lectures, min_days, students,
    double)``; ``rooms``: ``(name, capacity, site)``; ``curricula``: ``(name, [courses])``."""
    out = ["Name: hand", f"Courses: {len(courses)}", f"Rooms: {len(rooms)}", f"Days: {days}",
           f"Periods_per_day: {ppd}", f"Curricula: {len(curricula)}", f"Min_Max_Daily_Lectures: {minmax[0]} "
           f"{minmax[1]}", f"UnavailabilityConstraints: {len(unavailable)}",
           f"RoomConstraints: {len(room_constraints)}", "", "COURSES:"]
    out += [" ".join(map(str, c)) for c in courses]
    out += ["", "ROOMS:"] + [" ".join(map(str, r)) for r in rooms]
    out += ["", "CURRICULA:"] + [" ".join([q, str(len(m))] + list(m)) for q, m in curricula]
    out += ["", "UNAVAILABILITY_CONSTRAINTS:"] + [" ".join(map(str, u)) for u in unavailable]
    out += ["", "ROOM_CONSTRAINTS:"] + [" ".join(rc) for rc in room_constraints]
    out += ["", "END.", ""]
    return "\n".join(out)


def place(problem: Problem, *rows) -> Timetable:
    return Timetable.from_rows(problem, rows)


def check(problem: Problem, timetable: Timetable, **by_name: int):
    """The hand-computed units (every unnamed constraint zero) from all four evaluators."""
    want = [0] * K.N_CONSTRAINTS
    for name, value in by_name.items():
        want[K.index_of(name)] = value
    report = evaluate(problem, timetable)
    assert report.units.tolist() == want, "numba full kernel"
    assert reference_units(problem, timetable) == want, "plain-Python oracle"
    assert IncrementalEvaluator(problem, timetable).units.tolist() == want, "incremental state"
    explained = [0] * K.N_CONSTRAINTS
    for v in report.explain():
        explained[v.constraint] += v.units
    assert explained == want, "explanation"
    return report


def cost(problem: Problem, timetable: Timetable, name: str) -> tuple[int, float]:
    """(hard violations, total cost) as formulation ``name`` reports them."""
    form = formulation(name)
    pb = form.prepare(problem)
    report = evaluate(pb, timetable, form.weight_vector())
    hard = sum(int(report.units[i]) for _, i, h in form.lines if h)
    return hard, sum(float(report.units[i] * report.weights[i]) for _, i, h in form.lines if not h)


# ------------------------------------------------------------------------------ windows

def windows_problem():
    return parse_ectt(ectt(days=2, ppd=5, courses=[("a", "ta", 2, 1, 0, 0), ("b", "tb", 2, 1, 0, 0),
                                                   ("c", "tc", 1, 1, 0, 0)],
                           rooms=[("r1", 10, 0), ("r2", 10, 0)], curricula=[("q", ["a", "b", "c"])]))


def test_windows_count_the_free_periods_between_the_days_first_and_last_lecture():
    pb = windows_problem()
    # day 0: a@0, b@3 -> periods 1 and 2 free between them: 2 windows; day 1: a@1, b@2, c@4 -> 1 window
    tt = place(pb, ("a", "r1", 0, 0), ("b", "r1", 0, 3), ("a", "r1", 1, 1), ("b", "r1", 1, 2), ("c", "r1", 1, 4))
    check(pb, tt, CurriculumWindows=3, CurriculumCompactness=3, MinWorkingDays=0)
    assert cost(pb, tt, "UD3") == (0, 12.0)   # windows x4
    assert cost(pb, tt, "UD5") == (0, 9.0)    # windows x2 + isolated x1


def test_a_day_with_one_lecture_has_no_window():
    pb = windows_problem()
    # c is not placed: 3 lectures missing, and c has 0 of its 1 working day
    check(pb, place(pb, ("a", "r1", 0, 4), ("b", "r1", 1, 0)), CurriculumWindows=0, CurriculumCompactness=2,
          Lectures=3, MinWorkingDays=1)


def test_windows_are_not_counted_for_an_itc_problem():
    pb = windows_problem().replace(count_windows=False)
    check(pb, place(pb, ("a", "r1", 0, 0), ("b", "r1", 0, 3)), CurriculumCompactness=2, Lectures=3, MinWorkingDays=1)
    # the formulation that weighs windows counts them on any problem
    assert formulation("UD4").prepare(pb).count_windows


# ------------------------------------------------------------------------------ double lectures

def double_problem(double: int = 1):
    return parse_ectt(ectt(days=2, ppd=4, courses=[("a", "ta", 4, 1, 0, double)],
                           rooms=[("r1", 10, 0), ("r2", 10, 0)], curricula=[]))


def test_double_lectures_need_an_adjacent_lecture_in_the_same_room():
    pb = double_problem()
    # day 0: slots 0, 1 in r1 (a double) and slot 3 alone -> 1; day 1: slots 0 (r1), 1 (r2): adjacent
    # but in different rooms -> both count -> 2
    tt = place(pb, ("a", "r1", 0, 0), ("a", "r1", 0, 1), ("a", "r1", 0, 3), ("a", "r2", 1, 0))
    check(pb, tt, DoubleLectures=1, RoomStability=1)
    tt = place(pb, ("a", "r1", 0, 0), ("a", "r1", 0, 1), ("a", "r1", 1, 0), ("a", "r2", 1, 1))
    check(pb, tt, DoubleLectures=2, RoomStability=1)
    assert cost(pb, tt, "UD4") == (0, 2.0)


def test_a_single_lecture_in_a_day_or_a_course_without_the_wish_costs_nothing():
    pb = double_problem()
    check(pb, place(pb, ("a", "r1", 0, 0), ("a", "r1", 0, 1), ("a", "r1", 1, 3)), DoubleLectures=0, Lectures=1)
    pb = double_problem(double=0)
    check(pb, place(pb, ("a", "r1", 0, 0), ("a", "r1", 0, 2), ("a", "r2", 1, 1), ("a", "r1", 1, 3)),
          RoomStability=1)


# ------------------------------------------------------------------------------ travel

def travel_problem():
    return parse_ectt(ectt(days=2, ppd=3, courses=[("a", "ta", 2, 1, 0, 0), ("b", "tb", 2, 1, 0, 0),
                                                   ("c", "tc", 1, 1, 0, 0)],
                           rooms=[("r1", 10, 1), ("r2", 10, 2), ("r3", 10, 1)],
                           curricula=[("q", ["a", "b"]), ("p", ["a", "c"])]))


def test_travel_counts_consecutive_lectures_of_a_curriculum_at_different_sites():
    pb = travel_problem()
    # q: a@0 (site 1) -> b@1 (site 2): 1; b@1 (site 2) -> a@2 (site 1): 1. p: a@0 -> c@1 (site 1): 0,
    # c@1 -> a@2: 0. a@0.2 (the day's last period) and b@1.0: the day changes -> 0 for q
    tt = place(pb, ("a", "r1", 0, 0), ("b", "r2", 0, 1), ("c", "r3", 0, 1), ("a", "r3", 0, 2), ("b", "r2", 1, 0))
    check(pb, tt, TravelDistance=2, RoomStability=1, CurriculumCompactness=1)
    # UD5: travel 2 x 2, isolated (q has b@1.0 alone) 1 x 1, windows 0, working days 0
    assert cost(pb, tt, "UD5") == (0, 4 + 1)


def test_no_travel_between_days_or_within_a_site():
    pb = travel_problem()
    tt = place(pb, ("a", "r1", 0, 2), ("b", "r2", 1, 0), ("a", "r1", 1, 1), ("b", "r3", 1, 2), ("c", "r1", 0, 1))
    # q day 1: b@0 (site 2) -> a@1 (site 1): 1, a@1 (1) -> b@2 (1): 0; p day 0: c@1 (1) -> a@2 (1): 0
    # isolated: q's a@0.2 and p's a@1.1
    check(pb, tt, TravelDistance=1, RoomStability=1, CurriculumCompactness=2)


# ------------------------------------------------------------------------------ student load

def test_student_load_counts_days_with_lectures_outside_min_max():
    pb = parse_ectt(ectt(days=3, ppd=4, minmax=(2, 3),
                         courses=[(n, f"t{n}", 2, 1, 0, 0) for n in "abcd"] + [("e", "te", 1, 1, 0, 0)],
                         rooms=[("r1", 10, 0)], curricula=[("q", list("abcd"))]))
    # day 0: 1 lecture of q (too few: 1); day 1: 4 (too many: 1); day 2: 3 (fine); e is in no curriculum
    tt = place(pb, ("a", "r1", 0, 0), ("a", "r1", 1, 0), ("b", "r1", 1, 1), ("c", "r1", 1, 2), ("d", "r1", 1, 3),
               ("b", "r1", 2, 0), ("c", "r1", 2, 1), ("d", "r1", 2, 2), ("e", "r1", 0, 3))
    check(pb, tt, CurriculumDailyLoad=2, CurriculumCompactness=1, CurriculumWindows=0)
    assert cost(pb, tt, "UD3") == (0, 4.0)   # load x2
    assert cost(pb, tt, "UD4") == (0, 2.0)


# ------------------------------------------------------------------------------ unsuitable rooms

def unsuitable_problem():
    return parse_ectt(ectt(days=1, ppd=2, courses=[("a", "ta", 2, 1, 30, 0)],
                           rooms=[("big", 40, 0), ("lab", 20, 0)], curricula=[],
                           room_constraints=[("a", "lab")]))


def test_unsuitable_rooms_are_soft_in_ud3_and_hard_in_ud4():
    pb = unsuitable_problem()
    tt = place(pb, ("a", "lab", 0, 0), ("a", "lab", 0, 1))
    check(pb, tt, UnsuitableRooms=2, RoomCapacity=20)
    assert cost(pb, tt, "UD3") == (0, 20 + 2 * 3)
    assert cost(pb, tt, "UD4") == (2, 20.0)
    assert cost(pb, tt, "UD2") == (0, 20.0)
    ud4 = formulation("UD4").prepare(pb)
    assert not ud4.suitable[0, 1] and ud4.suitable[0, 0]


# ------------------------------------------------------------------------------ the validator's report

def test_validate_prints_the_validators_lines(tmp_path, capsys):
    pb = unsuitable_problem()
    inst = tmp_path / "u.ectt"
    inst.write_text(ectt(days=1, ppd=2, courses=[("a", "ta", 2, 1, 30, 0)],
                         rooms=[("big", 40, 0), ("lab", 20, 0)], curricula=[], room_constraints=[("a", "lab")]))
    sol = tmp_path / "u.sol"
    sol.write_text(format_sol(pb, place(pb, ("a", "lab", 0, 0), ("a", "big", 0, 1))))
    assert main(["validate", str(inst), str(sol), "--formulation", "UD4"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Violations of Lectures (hard) : 0",
        "Violations of Conflicts (hard) : 0",
        "Violations of Availability (hard) : 0",
        "Violations of RoomOccupation (hard) : 0",
        "Violations of RoomConstraints (hard) : 1",
        "Cost of RoomCapacity (soft) : 10",
        "Cost of MinWorkingDays (soft) : 0",
        "Cost of CurriculumCompactness (soft) : 0",
        "Cost of DoubleLectures (soft) : 0",
        "Cost of StudentLoad (soft) : 0",
        "",
        "Summary: Violations = 1, Total Cost = 10",
    ]
    assert main(["validate", str(inst), str(sol), "--formulation", "ud3"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "Cost of RoomConstraints (soft) : 3" in out and out[-1] == "Summary: Total Cost = 13"
    assert main(["validate", str(inst), str(sol)]) == 0  # .ectt: UD2 by default
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "Summary: Total Cost = 11" and "Cost of RoomStability (soft) : 1" in out


def test_an_unknown_formulation_is_a_clear_error():
    with pytest.raises(TimetableError, match="UD1, UD2, UD3, UD4, UD5"):
        formulation("UD9")


def test_each_formulation_weighs_what_the_validator_sums():
    weights = {name: {k: v for k, v in f.weights.items() if v} for name, f in FORMULATIONS.items()}
    assert weights["UD1"] == {"RoomCapacity": 1, "MinWorkingDays": 5, "CurriculumCompactness": 1}
    assert weights["UD2"] == {"RoomCapacity": 1, "MinWorkingDays": 5, "CurriculumCompactness": 2, "RoomStability": 1}
    assert weights["UD3"] == {"RoomCapacity": 1, "CurriculumWindows": 4, "UnsuitableRooms": 3,
                              "CurriculumDailyLoad": 2}
    assert weights["UD4"] == {"RoomCapacity": 1, "MinWorkingDays": 1, "CurriculumWindows": 1, "DoubleLectures": 1,
                              "CurriculumDailyLoad": 1}
    assert weights["UD5"] == {"RoomCapacity": 1, "MinWorkingDays": 5, "CurriculumWindows": 2,
                              "CurriculumCompactness": 1, "TravelDistance": 2, "CurriculumDailyLoad": 2}
    assert np.array_equal(FORMULATIONS["UD2"].weight_vector()[:K.N_HARD], np.ones(K.N_HARD))


def test_travel_is_counted_only_when_asked():
    """A generated university has rooms in several buildings: its reports keep their units, and
    the formulation that weighs travel (UD5) counts it."""
    from tt_core.synth import Recipe, generate

    u = generate(Recipe.preset("tiny"))
    assert u.problem.n_sites > 1
    assert evaluate(u.problem, u.hidden).units[K.TRAVEL] == 0
    ud5 = formulation("UD5").prepare(u.problem)
    assert ud5.count_travel and evaluate(ud5, u.hidden).units[K.TRAVEL] > 0
    assert evaluate(ud5, u.hidden).units[K.TRAVEL] == reference_units(ud5, u.hidden)[K.TRAVEL]


def test_batch_evaluation_counts_the_terms_or_says_it_cannot():
    from tt_core.kernels.gpu import array_batch_units, batch_evaluate

    pb = travel_problem()
    tt = place(pb, ("a", "r1", 0, 0), ("b", "r2", 0, 1), ("c", "r3", 0, 1), ("a", "r3", 0, 2), ("b", "r2", 1, 0))
    periods, rooms = tt.period[None, :], tt.room[None, :]
    assert batch_evaluate(pb, periods, rooms)[0].tolist() == evaluate(pb, tt).units.tolist()
    with pytest.raises(TimetableError, match="numba"):
        array_batch_units(pb, periods, rooms)
