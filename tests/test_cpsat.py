"""The CP-SAT backend: exact optima, hard feasibility, pins, stop, progress and diagnosis.

Tiny instances are named after what they exercise. Optimality is checked two ways: instances
whose optimum is clear by hand, and small random instances whose optimum is found by enumerating
every timetable through the evaluator.
"""

from __future__ import annotations

import itertools
import threading
import time

import numpy as np
import pytest

from tt_core import constraints as K
from tt_core.cost import evaluate, evaluate_batch
from tt_core.errors import InfeasibleError, TimetableError
from tt_core.model import Problem, Timetable
from tt_core.solvers.cpsat import diagnose, precheck, solve_cpsat


def random_problem(seed: int, *, courses: int = 8, days: int = 3, ppd: int = 4, rooms: int = 3,
                   max_lectures: int = 3, curriculum_size: int = 3, multi: bool = False,
                   types: bool = False) -> Problem:
    """A loose random instance (feasible for the seeds used here; tests assert it)."""
    rng = np.random.default_rng(seed)
    names = [f"c{i}" for i in range(courses)]
    P = days * ppd
    lectures = rng.integers(1, max_lectures + 1, courses).tolist()
    teachers = [f"t{int(t)}" for t in rng.integers(0, max(1, courses * 2 // 3), courses)]
    curricula = []
    for g in range(max(1, courses // 3)):
        members = rng.choice(courses, size=min(courses, curriculum_size), replace=False)
        curricula.append((f"q{g}", [names[int(c)] for c in members]))
    unavailable = [(names[c], int(p)) for c in range(courses) for p in range(P) if rng.random() < 0.1]
    kw = {}
    if multi:
        kw["course_length"] = [2 if i % 4 == 0 else 1 for i in range(courses)]
    if types:
        # the last room is a lab: lab courses may use only it, the others anything but it
        kw["room_type"] = ["lecture"] * (rooms - 1) + ["lab"]
        suit = np.ones((courses, rooms), bool)
        for i in range(courses):
            if i % 5 == 1:
                suit[i, :-1] = False
            else:
                suit[i, -1] = False
        kw["suitable"] = suit
    return Problem.create(
        name=f"random{seed}", days=days, periods_per_day=ppd, courses=names, course_teacher=teachers,
        course_lectures=lectures, course_min_days=rng.integers(1, 4, courses).tolist(),
        course_students=rng.integers(5, 80, courses).tolist(), rooms=[f"r{i}" for i in range(rooms)],
        room_capacity=rng.integers(20, 90, rooms).tolist(), curricula=curricula, unavailable=unavailable,
        **kw)


def brute_force_optimum(problem: Problem) -> float:
    """Least soft cost over every hard-feasible timetable (exhaustive; tiny problems only)."""
    slots = [(p, r) for p in range(problem.n_periods) for r in range(problem.n_rooms)]
    combos = np.array(list(itertools.product(range(len(slots)), repeat=problem.n_lectures)), np.int64)
    table = np.array(slots, np.int32)
    _, hard, soft = evaluate_batch(problem, table[combos, 0], table[combos, 1])
    assert (hard == 0).any(), "the brute-force instance must be feasible"
    return float(soft[hard == 0].min())


def placements(problem: Problem, tt: Timetable) -> dict[str, list[tuple[int, int]]]:
    out: dict[str, list[tuple[int, int]]] = {}
    for l in range(problem.n_lectures):
        out.setdefault(problem.course_names[problem.lecture_course[l]], []).append(
            (int(tt.period[l]), int(tt.room[l])))
    return out


# ---------------------------------------------------------------------------- exact optima by hand
def compactness_problem(blocked_b: tuple[int, ...] = ()) -> Problem:
    """Two courses of one curriculum, one room, one day of four periods."""
    return Problem.create(
        name="compactness", days=1, periods_per_day=4, courses=["a", "b"], course_teacher=["ta", "tb"],
        course_lectures=[1, 1], course_min_days=[1, 1], course_students=[10, 10], rooms=["r"],
        room_capacity=[10], curricula=[("q", ["a", "b"])],
        unavailable=[("a", 1), ("a", 2), ("a", 3)] + [("b", p) for p in blocked_b])


@pytest.mark.parametrize("rooms", ["exact", "aggregated"])
def test_compactness_forces_adjacency(rooms):
    pb = compactness_problem()
    res = solve_cpsat(pb, time_limit=10, rooms=rooms)
    assert res.stats["status"] == "OPTIMAL"
    assert res.cost == 0 and res.feasible
    assert sorted(res.timetable.period.tolist()) == [0, 1]  # a is held at 0, so b must follow it


def test_compactness_cost_when_adjacency_is_impossible():
    pb = compactness_problem(blocked_b=(1,))  # b cannot sit next to a: both lectures isolated
    res = solve_cpsat(pb, time_limit=10)
    assert res.stats["status"] == "OPTIMAL"
    assert res.cost == 2 * 2
    assert res.stats["objective"] == res.cost == res.stats["bound"]


def test_min_working_days_and_capacity_exact_cost():
    # three lectures, minimum three days, two days: one day missing (x5); 40 students in a room
    # of 30 for each of the three lectures (x1 per student above capacity)
    pb = Problem.create(name="spread", days=2, periods_per_day=2, courses=["a"], course_teacher=["t"],
                        course_lectures=[3], course_min_days=[3], course_students=[40], rooms=["r"],
                        room_capacity=[30])
    res = solve_cpsat(pb, time_limit=10)
    assert res.stats["status"] == "OPTIMAL"
    assert res.report.units[K.MIN_WORKING_DAYS] == 1
    assert res.report.units[K.ROOM_CAPACITY] == 30
    assert res.cost == 5 + 30


def test_room_stability_exact_cost():
    # a (100 students) can only run at period 0 and needs the big room; f is pinned to the small
    # room at period 1; b (10 students) runs at both periods, so it must use both rooms (+1)
    # unless a overflows the small room (+90)
    pb = Problem.create(
        name="stability", days=1, periods_per_day=2, courses=["a", "b", "f"], course_teacher=["t1", "t2", "t3"],
        course_lectures=[1, 2, 1], course_min_days=[1, 1, 1], course_students=[100, 10, 10],
        rooms=["big", "small"], room_capacity=[100, 10], unavailable=[("a", 1)])
    start = Timetable(np.array([-1, -1, -1, 1]), np.array([-1, -1, -1, 1]))
    pinned = np.array([False, False, False, True])
    res = solve_cpsat(pb, time_limit=10, initial=start, pinned=pinned)
    assert res.stats["status"] == "OPTIMAL"
    assert res.report.units[K.ROOM_STABILITY] == 1
    assert res.cost == 1
    assert placements(pb, res.timetable) == {"a": [(0, 0)], "b": [(0, 1), (1, 0)], "f": [(1, 1)]}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_proven_optimum_equals_brute_force(seed):
    pb = random_problem(seed, courses=3, days=2, ppd=2, rooms=2, max_lectures=2, curriculum_size=2)
    assert pb.n_lectures <= 5
    expected = brute_force_optimum(pb)
    res = solve_cpsat(pb, time_limit=20, seed=seed)
    assert res.stats["status"] == "OPTIMAL"
    assert res.feasible
    assert res.cost == pytest.approx(expected)
    assert res.stats["objective"] == pytest.approx(res.cost)  # the model's cost is the evaluator's


def test_fractional_weights_are_scaled_exactly():
    pb = compactness_problem(blocked_b=(1,))
    res = solve_cpsat(pb, time_limit=10, weights={"CurriculumCompactness": 0.5})
    assert res.stats["status"] == "OPTIMAL"
    assert res.cost == pytest.approx(2 * 0.5)


# ---------------------------------------------------------------------------- feasibility
@pytest.mark.parametrize("rooms", ["exact", "aggregated"])
@pytest.mark.parametrize("objective", ["soft", "feasibility"])
def test_random_problem_feasible(rooms, objective):
    pb = random_problem(7, courses=12, days=4, ppd=4, rooms=3)
    res = solve_cpsat(pb, time_limit=10, rooms=rooms, objective=objective)
    assert res.stats["status"] in ("OPTIMAL", "FEASIBLE")
    assert res.timetable.n_unplaced == 0
    assert res.hard_violations == 0
    assert res.report.soft_cost == evaluate(pb, res.timetable).soft_cost
    assert res.trace[-1][1:] == (res.cost, 0)


@pytest.mark.parametrize("rooms", ["exact", "aggregated"])
def test_multi_period_lectures_and_room_types(rooms):
    pb = random_problem(11, courses=10, days=3, ppd=5, rooms=4, multi=True, types=True)
    res = solve_cpsat(pb, time_limit=10, rooms=rooms, objective="feasibility")
    assert res.feasible, res.report.by_constraint()
    assert res.report.units[K.ROOM_SUITABILITY] == 0
    lc = pb.lecture_course
    # a two-period lecture must start where both of its periods lie in one day
    for l in np.flatnonzero(pb.course_length[lc] == 2):
        assert res.timetable.period[l] % pb.periods_per_day <= pb.periods_per_day - 2


def test_rooms_model_auto():
    small, big = random_problem(7), random_problem(5, courses=70, days=5, ppd=6, rooms=10, max_lectures=4)
    # feasibility: the aggregated model is exact for single-period lectures, and faster
    assert solve_cpsat(small, time_limit=5, objective="feasibility").stats["rooms_model"] == "aggregated"
    # optimising: exact rooms on the smallest instances, aggregated above EXACT_ROOMS_LIMIT triples
    assert solve_cpsat(small, time_limit=1).stats["rooms_model"] == "exact"
    assert solve_cpsat(big, time_limit=1).stats["rooms_model"] == "aggregated"
    multi = random_problem(11, courses=10, days=3, ppd=5, rooms=4, multi=True)
    assert solve_cpsat(multi, time_limit=5, objective="feasibility").stats["rooms_model"] == "exact"


def test_two_phase_solve_of_big_models(monkeypatch):
    from tt_core.solvers.cpsat import solver

    pb = random_problem(7, courses=12, days=4, ppd=4, rooms=3)
    monkeypatch.setattr(solver, "TWO_PHASE_STARTS", 0)  # treat this small model as a big one
    res = solve_cpsat(pb, time_limit=4, rooms="aggregated")
    assert res.stats["phase1_status"] == "OPTIMAL"
    assert res.stats["hint_completed"] is True
    assert res.stats["status"] in ("OPTIMAL", "FEASIBLE")
    assert res.stats["solutions"] >= 2  # phase 1's timetable, then the optimising phase's
    assert res.feasible


def test_complete_hint_is_followed():
    pb = random_problem(7, courses=12, days=4, ppd=4, rooms=3)
    # one worker: CP-SAT is then deterministic per seed
    first = solve_cpsat(pb, time_limit=10, objective="feasibility", seed=1, rooms="exact", workers=1)
    # another feasible timetable: two lectures of one period exchange their rooms
    hint = first.timetable.copy()
    periods, counts = np.unique(hint.period, return_counts=True)
    p = periods[counts >= 2][0]
    a, b = np.flatnonzero(hint.period == p)[:2]
    hint.room[[a, b]] = hint.room[[b, a]]
    assert evaluate(pb, hint).hard_violations == 0
    unhinted = solve_cpsat(pb, time_limit=10, objective="feasibility", seed=5, rooms="exact", workers=1)
    hinted = solve_cpsat(pb, time_limit=10, objective="feasibility", seed=5, initial=hint, rooms="exact",
                         workers=1)
    assert unhinted.timetable != hint  # left alone, the solver finds another timetable
    assert hinted.timetable == hint    # the feasible hint is taken, lecture ids kept


def hall_problem(seed: int, rooms: int = 12, periods: int = 4) -> Problem:
    """Every room taken in every period, each course with its own few suitable rooms (a planted
    timetable: its two lectures' rooms plus one more at random), no clashes. The closure of the
    suitable room sets exceeds ``MAX_FAMILIES``, so the aggregated model keeps only some Hall
    conditions and its periods need not be matchable."""
    rng = np.random.default_rng(seed)
    perm = [rng.permutation(rooms) for _ in range(periods)]
    suit = []
    for q in range(0, periods, 2):
        for k in range(rooms):
            s = np.zeros(rooms, bool)
            s[[perm[q][k], perm[q + 1][k], rng.integers(rooms)]] = True
            suit.append(s)
    n = len(suit)
    return Problem.create(name=f"hall{seed}", days=1, periods_per_day=periods, courses=[f"c{i}" for i in range(n)],
                          course_teacher=[f"t{i}" for i in range(n)], course_lectures=[2] * n,
                          course_min_days=[1] * n, course_students=[10] * n, rooms=[f"r{i}" for i in range(rooms)],
                          room_capacity=[10] * rooms, curricula=[], unavailable=[], suitable=np.array(suit))


@pytest.mark.parametrize("seed", range(4))
def test_aggregated_feasibility_with_too_many_room_families(seed):
    # before the Hall cuts every seed came back with all 48 lectures unplaced: periods that
    # no room assignment could serve
    pb = hall_problem(seed)
    res = solve_cpsat(pb, time_limit=20, rooms="aggregated", objective="feasibility")
    assert res.stats["room_families_complete"] is False
    assert res.stats["status"] == "OPTIMAL"
    assert res.timetable.n_unplaced == 0
    assert evaluate(pb, res.timetable).hard_violations == 0


def test_hall_violations_name_the_overfull_room_set():
    from tt_core.solvers.cpsat.instance import Instance
    from tt_core.solvers.cpsat.rooms import hall_violations

    suit = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 1]], bool)
    pb = Problem.create(name="hall", days=1, periods_per_day=2, courses=["a", "b", "c", "d"],
                        course_teacher=["t0", "t1", "t2", "t3"], course_lectures=[1] * 4, course_min_days=[1] * 4,
                        course_students=[10] * 4, rooms=["r0", "r1", "r2", "r3"], room_capacity=[10] * 4,
                        curricula=[], unavailable=[], suitable=suit)
    inst = Instance(pb, [])
    # a, b and c all at period 0 need rooms r0/r1: three lectures, two rooms
    assert hall_violations(inst, [(0, 0), (1, 0), (2, 0), (3, 0)]) == [frozenset({0, 1})]
    assert hall_violations(inst, [(0, 0), (1, 0), (2, 1), (3, 0)]) == []


# ---------------------------------------------------------------------------- pins
@pytest.mark.parametrize("rooms", ["exact", "aggregated"])
def test_pinned_lectures_unchanged(rooms):
    pb = random_problem(7, courses=12, days=4, ppd=4, rooms=3)
    first = solve_cpsat(pb, time_limit=10, objective="feasibility")
    pinned = np.zeros(pb.n_lectures, bool)
    pinned[::2] = True
    # move the unpinned lectures away so that the solver has to place them again
    start = first.timetable.copy()
    start.period[~pinned] = -1
    start.room[~pinned] = -1
    res = solve_cpsat(pb, time_limit=10, initial=start, pinned=pinned, seed=3, rooms=rooms)
    assert res.feasible
    assert np.array_equal(res.timetable.period[pinned], first.timetable.period[pinned])
    assert np.array_equal(res.timetable.room[pinned], first.timetable.room[pinned])


def test_pins_need_placements():
    pb = random_problem(7)
    with pytest.raises(TimetableError, match="initial timetable"):
        solve_cpsat(pb, time_limit=5, pinned=np.ones(pb.n_lectures, bool))
    with pytest.raises(TimetableError, match="does not place it"):
        solve_cpsat(pb, time_limit=5, pinned=np.ones(pb.n_lectures, bool), initial=Timetable.empty(pb))


# ---------------------------------------------------------------------------- stop and progress
def test_stop_returns_quickly_with_best_so_far():
    pb = random_problem(5, courses=70, days=5, ppd=6, rooms=10, max_lectures=4)
    evaluate(pb, Timetable.empty(pb))  # compile the evaluator before timing
    stop = threading.Event()
    box: dict = {}

    def run():
        box["result"] = solve_cpsat(pb, time_limit=30, stop=stop, workers=2)
        box["done"] = time.perf_counter()

    worker = threading.Thread(target=run)
    worker.start()
    time.sleep(0.5)
    stop.set()
    set_at = time.perf_counter()
    worker.join(timeout=10)
    assert not worker.is_alive()
    assert box["done"] - set_at < 1.5
    res = box["result"]
    assert res.stopped
    assert res.stats.get("status") != "OPTIMAL"  # the instance is big enough to still be searching
    assert res.elapsed < 5


def test_stop_before_start_skips_the_search():
    pb = random_problem(7)
    stop = threading.Event()
    stop.set()
    res = solve_cpsat(pb, time_limit=30, stop=stop)
    assert res.stopped and res.elapsed < 2
    assert res.timetable.n_unplaced == pb.n_lectures
    assert res.hard_violations == pb.n_lectures  # unplaced lectures are reported, not hidden


def test_progress_events_monotone_and_frequent(frozen_heap):
    pb = random_problem(5, courses=40, days=5, ppd=6, rooms=8, max_lectures=4)
    evaluate(pb, Timetable.empty(pb))
    events = []
    res = solve_cpsat(pb, time_limit=3, progress=events.append, workers=2, rooms="exact")
    assert len(events) >= 5
    assert all(e.stage == "cpsat" for e in events)
    elapsed = [e.elapsed for e in events]
    best = [e.best_cost for e in events]
    assert elapsed == sorted(elapsed)
    assert all(b2 <= b1 for b1, b2 in zip(best, best[1:]))
    gaps = np.diff([0.0] + elapsed)
    assert gaps.max() < 0.8  # a heartbeat at least every 0.5 s, with slack for a busy machine
    assert events[-1].best_cost == res.cost
    # auxiliaries are defined both ways, so even an unproven solution's objective is its true cost
    assert res.stats["objective"] == res.cost
    costs = [c for _, c, _ in res.trace]
    assert all(c2 <= c1 for c1, c2 in zip(costs, costs[1:]))


def test_failing_progress_subscriber_does_not_kill_the_solve():
    pb = random_problem(7)

    def broken(event):
        raise RuntimeError("subscriber bug")

    res = solve_cpsat(pb, time_limit=5, progress=broken, objective="feasibility")
    assert res.feasible
    assert res.stats["progress_errors"] > 0


def test_timeout_without_solution_returns_unplaced():
    pb = random_problem(5, courses=70, days=5, ppd=6, rooms=10, max_lectures=4)
    res = solve_cpsat(pb, time_limit=0.01)
    assert res.timetable.n_unplaced in (0, pb.n_lectures)
    assert res.report.hard_violations == evaluate(pb, res.timetable).hard_violations


# ---------------------------------------------------------------------------- diagnosis
def test_course_with_more_lectures_than_periods():
    pb = Problem.create(name="overfull", days=2, periods_per_day=2, courses=["a", "b"],
                        course_teacher=["t0", "t1"], course_lectures=[3, 1], course_min_days=[1, 1],
                        course_students=[10, 10], rooms=["r"], room_capacity=[20],
                        teacher_unavailable=[("t0", 0), ("t0", 1)])
    with pytest.raises(InfeasibleError) as info:
        solve_cpsat(pb, time_limit=5)
    assert info.value.diagnosis == [
        "course a needs 3 lectures but only 2 periods are available to it "
        "(teacher t0 unavailable on all of day 0)"]


def test_curriculum_with_more_lectures_than_periods():
    pb = Problem.create(name="curriculum", days=1, periods_per_day=3, courses=["a", "b"],
                        course_teacher=["t0", "t1"], course_lectures=[2, 2], course_min_days=[1, 1],
                        course_students=[10, 10], rooms=["r1", "r2"], room_capacity=[20, 20],
                        curricula=[("q3", ["a", "b"])])
    found = diagnose(pb)
    assert found == ["curriculum q3 needs 4 lecture periods but the week has 3"]
    with pytest.raises(InfeasibleError, match="curriculum q3 needs 4 lecture periods"):
        solve_cpsat(pb, time_limit=5)


def test_two_pinned_lectures_in_one_room_and_period():
    pb = random_problem(7)
    pinned = np.zeros(pb.n_lectures, bool)
    pinned[[0, pb.n_lectures - 1]] = True
    start = Timetable.empty(pb)
    start.period[pinned] = 0
    start.room[pinned] = 1
    with pytest.raises(InfeasibleError) as info:
        solve_cpsat(pb, time_limit=5, initial=start, pinned=pinned)
    first = pb.course_names[pb.lecture_course[0]]
    last = pb.course_names[pb.lecture_course[-1]]
    assert any(f"room r1 can hold one lecture at a time but 2 lectures are pinned to it in period "
               f"{pb.period_labels[0]}" in d and first in d and last in d for d in info.value.diagnosis)


def test_odd_cycle_of_curricula_found_by_the_solver():
    # no single curriculum is overfull and there are rooms enough: only search shows that three
    # pairwise-conflicting courses cannot share two periods
    pb = Problem.create(name="triangle", days=1, periods_per_day=2, courses=["a", "b", "c", "d"],
                        course_teacher=["t0", "t1", "t2", "t3"], course_lectures=[1, 1, 1, 1],
                        course_min_days=[1, 1, 1, 1], course_students=[10] * 4, rooms=["r", "s"],
                        room_capacity=[20, 20],
                        curricula=[("q1", ["a", "b"]), ("q2", ["b", "c"]), ("q3", ["a", "c"])])
    assert precheck(pb) == []
    found = diagnose(pb, time_limit=10)
    assert sorted(d.split(" may")[0] for d in found if d.startswith("curriculum")) == [
        "curriculum q1", "curriculum q2", "curriculum q3"]
    assert not any("course d" in d for d in found)  # d is innocent and must not be blamed
    with pytest.raises(InfeasibleError) as info:
        solve_cpsat(pb, time_limit=10)
    assert info.value.diagnosis == found


def test_students_whose_courses_cannot_be_apart_are_named():
    # one day of two periods: s1 and s2 take a, b and c (three one-lecture courses, own teachers, no
    # curricula, rooms enough); s3 takes c and d, which could be apart. Only the enrolments conflict.
    pb = Problem.create(name="enrolled", days=1, periods_per_day=2, courses=["a", "b", "c", "d"],
                        course_teacher=["t0", "t1", "t2", "t3"], course_lectures=[1, 1, 1, 1],
                        course_min_days=[1, 1, 1, 1], course_students=[10] * 4, rooms=["r", "s", "u"],
                        room_capacity=[20] * 3,
                        enrolments=[("s1", ["a", "b", "c"]), ("s2", ["c", "a", "b"]), ("s3", ["c", "d"])])
    assert precheck(pb) == []
    found = diagnose(pb, time_limit=10)
    assert [d for d in found if d.startswith("student")] == [
        "student s1 (and 1 other with the same courses) may not have two lectures at once: "
        "a ×1, b ×1, c ×1 (3 lecture periods)"]
    assert sorted(d for d in found if d.startswith("course")) == [f"course {c} needs 1 lecture" for c in "abc"]
    with pytest.raises(InfeasibleError) as info:
        solve_cpsat(pb, time_limit=10)
    assert info.value.diagnosis == found


def test_pinned_lab_lectures_block_a_third():
    suit = np.array([[1, 1, 0], [1, 1, 0], [1, 1, 0]], bool)
    pb = Problem.create(name="labs", days=1, periods_per_day=3, courses=["x", "y", "z"],
                        course_teacher=["t0", "t1", "t2"], course_lectures=[1, 1, 1],
                        course_min_days=[1, 1, 1], course_students=[5, 5, 5], rooms=["L1", "L2", "A"],
                        room_capacity=[10, 10, 10], room_type=["lab", "lab", "lecture"], suitable=suit,
                        unavailable=[("z", 1), ("z", 2)])
    start = Timetable(np.array([0, 0, -1]), np.array([0, 1, -1]))
    pinned = np.array([True, True, False])
    found = diagnose(pb, pinned=pinned, initial=start, time_limit=10)
    assert ("room type 'lab' (2 rooms) can hold at most 2 lectures but 3 must run in period "
            f"{pb.period_labels[0]}: lecture 1 of course x (pinned), lecture 1 of course y (pinned), "
            "a lecture of course z") in found
    assert any(d.startswith("course z needs 1 lecture but only 1 period is available") for d in found)


def test_feasible_problem_has_no_diagnosis():
    assert diagnose(random_problem(7), time_limit=10) == []


# ---------------------------------------------------------------------------- ITC2007
def test_comp01_feasible_within_20_seconds(itc_instance):
    from tt_core.io.itc2007 import read_ctt

    pb = read_ctt(itc_instance("comp01"))
    t0 = time.perf_counter()
    res = solve_cpsat(pb, time_limit=20, objective="feasibility")
    assert time.perf_counter() - t0 < 20
    assert res.feasible
    assert res.timetable.n_unplaced == 0
