"""Simulated annealing: optimum on instances built to have a known optimum, pinned lectures,
stop latency, progress monotonicity, determinism, minimal perturbation, and the fast soft delta."""

from __future__ import annotations

import dataclasses
import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest
from reference import conflicting_pairs, student_enrolments, taught_lectures

from tt_core import constraints as K
from tt_core.cost import evaluate
from tt_core.kernels.arrays import kernel_arrays
from tt_core.kernels.incremental import IncrementalEvaluator, new_state, relocate
from tt_core.kernels.soft_delta import (
    period_delta_insert,
    room_cost,
    soft_delta_insert,
    soft_delta_move,
    soft_delta_swap,
)
from tt_core.model import Problem, Timetable
from tt_core.solvers import solve
from tt_core.solvers.local_search import construct, in_violation, solve_local
from tt_core.solvers.local_search.construct import suitable_rooms
from tt_core.solvers.local_search.kernels import (
    NO_FOCUS,
    _trade,
    anneal_steps,
    chain_buffer,
    cheapest_free_room,
    cheapest_place,
    clash_partner,
    eject_step,
    free_room,
    keeps_feasible,
    kempe_chain,
    kempe_step,
    ruin_step,
    trade_delta,
)
from tt_core.solvers.local_search.schedule import FIRST_MOST, Schedule, cycles_for, first_share
from tt_core.solvers.local_search.stream import below, new_stream, uniform
from tt_core.synth import Recipe, generate


def known_optimum_problem() -> Problem:
    """Two curricula sharing a course, one day of 4 periods, two rooms of 30 seats.

    A timetable of cost 0 exists (each curriculum's lectures back to back in one room per course,
    min working days 1) and every lecture placement that isolates a lecture costs 2, so the
    optimum is exactly 0.
    """
    return Problem.create(
        name="known-optimum", days=1, periods_per_day=4,
        courses=["a", "b", "c"], course_teacher=["t1", "t2", "t3"],
        course_lectures=[2, 2, 2], course_min_days=[1, 1, 1], course_students=[30, 30, 30],
        rooms=["r1", "r2"], room_capacity=[30, 30],
        curricula=[("q1", ["a", "b"]), ("q2", ["b", "c"])],
    )


@pytest.fixture(scope="module")
def tiny():
    return generate(Recipe.preset("tiny")).problem


@pytest.fixture(scope="module", autouse=True)
def compiled_kernels(tiny):
    """numba compiles the annealer's kernels at their first call (tens of seconds after a kernel
    file changed, or on a fresh clone): the tests below give the solver 3-30 s and fixed
    iteration counts, so this run pays the compilation, not theirs."""
    solve_local(tiny, time_limit=600, seed=0, iterations=5_000)


def test_reaches_known_optimum():
    pb = known_optimum_problem()
    res = solve_local(pb, time_limit=10, seed=3, iterations=200_000)
    assert res.hard_violations == 0
    assert res.cost == 0
    assert evaluate(pb, res.timetable).soft_cost == 0


def test_same_seed_same_result_with_fixed_iterations(tiny):
    a = solve_local(tiny, time_limit=30, seed=7, iterations=100_000)
    b = solve_local(tiny, time_limit=30, seed=7, iterations=100_000)
    assert a.timetable == b.timetable
    assert a.cost == b.cost


def test_planned_cycles_split_the_rest_of_the_budget_and_each_cools_from_its_start():
    s = Schedule.planned(10.0, 0.1, 0.1, 3)
    assert s.ends == pytest.approx((0.4, 0.7, 1.0))
    assert s.window(0.0, 0.4) == pytest.approx((10.0, 0.1))
    assert not s.cycle_due(0.39) and s.cycle_due(0.4)
    s.next_cycle(0.41, 2.0)
    assert (s.cycle_start, s.cycle_end, s.restarts) == (0.41, 0.7, 1)
    assert s.window(0.41, 0.7) == pytest.approx((2.0, 0.1))
    s.next_cycle(0.72, 2.0)
    assert s.cycle_end == 1.0 and not s.cycle_due(1.0)  # the last cycle runs to the end
    # with planned cycles the stagnation restart is off (it would stretch a cycle past its end)
    assert not s.stagnated(idle=100.0, now=1.0, time_limit=60.0, ta=0.01)
    one = Schedule.planned(10.0, 0.1, 0.1, 1)
    assert not one.cycle_due(0.99) and one.stagnated(idle=10.0, now=1.0, time_limit=60.0, ta=0.01)


def test_a_short_budget_gives_the_first_cycle_the_time_its_descent_needs():
    # 50 lectures at twice 0.1 s each need 10 s: of 30 s and three cycles a third already is; of 20 s
    # half; of 12 s the first takes FIRST_MOST, the later ones split the rest
    assert first_share(30.0, 50, 3, 0.1) == pytest.approx(1 / 3)
    assert first_share(20.0, 50, 3, 0.1) == pytest.approx(0.5)
    assert first_share(12.0, 50, 3, 0.1) == pytest.approx(FIRST_MOST)
    assert first_share(12.0, 50, 1, 0.1) == 1.0
    assert first_share(12.0, 50, 2, 0.1) == 0.5  # two cycles keep equal halves
    s = Schedule.planned(10.0, 0.1, 0.2, 3, first=0.5)
    assert s.ends == pytest.approx((0.6, 0.8, 1.0))
    assert Schedule.planned(10.0, 0.1, 0.2, 2, first=0.5).ends == pytest.approx((0.6, 1.0))
    assert Schedule.planned(10.0, 0.1, 0.2, 1, first=0.5).ends == (1.0,)
    # an equal share is the plan without one
    assert Schedule.planned(10.0, 0.1, 0.1, 3, first=1 / 3).ends == pytest.approx(Schedule.planned(10.0, 0.1, 0.1, 3).ends)
    for bad in (0.0, 1.0, -0.5):
        with pytest.raises(ValueError, match="first cycle's share must lie strictly between 0 and 1"):
            Schedule.planned(10.0, 0.1, 0.0, 3, first=bad)


def test_the_budget_decides_how_many_cycles_are_planned():
    # one cycle per 0.1 s of each of 50 lectures (5 s), at least one, at most `most`
    assert [cycles_for(t, 50, 3, 0.1) for t in (0, 9.99, 10, 14.99, 15, 1e9)] == [1, 1, 2, 2, 3, 3]
    assert cycles_for(1e9, 0, 3, 0.1) == 3 and cycles_for(1e9, 50, 1, 0.1) == 1


def test_planned_cycles_restart_from_the_best_and_stay_deterministic(tiny):
    # a fixed step count plans every cycle asked for
    a = solve_local(tiny, time_limit=30, seed=7, iterations=60_000, cycles=3, reheat=0.2)
    b = solve_local(tiny, time_limit=30, seed=7, iterations=60_000, cycles=3, reheat=0.2)
    assert (a.stats["cycles"], a.stats["restarts"]) == (3, 2)
    assert a.timetable == b.timetable and a.cost == b.cost
    assert a.hard_violations == 0 and evaluate(tiny, a.timetable).soft_cost == a.cost
    for bad in ({"cycles": 0}, {"reheat": 0.0}, {"cycle_seconds": 0}):
        with pytest.raises(ValueError, match="cycles must be at least 1, reheat and cycle_seconds above 0"):
            solve_local(tiny, time_limit=5, seed=7, iterations=1_000, **bad)


def test_on_the_clock_the_time_per_lecture_decides_the_cycles(tiny):
    # tiny's 48 lectures: 2 s afford three cycles at 0.001 s a lecture each, one at 1 s; the
    # default (0.115 s) gives one
    assert solve_local(tiny, time_limit=2, seed=3, cycle_seconds=0.001).stats["cycles"] == 3
    assert solve_local(tiny, time_limit=2, seed=3, cycle_seconds=1.0).stats["cycles"] == 1
    assert solve_local(tiny, time_limit=2, seed=3).stats["cycles"] == 1


def test_feasible_on_tiny_synth_and_reported_through_evaluator(tiny):
    res = solve(tiny, strategy="local", time_limit=3, seed=1)
    assert res.hard_violations == 0
    rep = evaluate(tiny, res.timetable)
    assert rep.soft_cost == res.cost
    assert np.array_equal(rep.units, res.report.units)


def test_pinned_lectures_never_move(tiny):
    start = construct(tiny, seed=2)  # a greedy start leaves plenty to improve
    rng = np.random.default_rng(0)
    pinned = rng.random(tiny.n_lectures) < 0.3
    res = solve_local(tiny, time_limit=5, seed=5, iterations=100_000, initial=start, pinned=pinned)
    assert np.array_equal(res.timetable.period[pinned], start.period[pinned])
    assert np.array_equal(res.timetable.room[pinned], start.room[pinned])
    assert (res.timetable.period[~pinned] != start.period[~pinned]).any()
    assert res.cost < evaluate(tiny, start).soft_cost


def test_minimal_perturbation_keeps_most_lectures(tiny):
    # a rough start (short run), so that re-optimising freely has something to gain
    start = solve_local(tiny, time_limit=5, seed=2, iterations=3_000).timetable
    free = solve_local(tiny, time_limit=5, seed=9, iterations=100_000, initial=start)
    tight = solve_local(tiny, time_limit=5, seed=9, iterations=100_000, initial=start, perturbation_weight=50.0)
    assert tight.stats["moved_lectures"] < free.stats["moved_lectures"]
    assert tight.stats["moved_lectures"] <= 3


def test_stop_returns_within_one_second(tiny, frozen_heap):
    stop = threading.Event()
    out = {}

    def run():
        out["res"] = solve_local(tiny, time_limit=60, seed=1, stop=stop)

    th = threading.Thread(target=run)
    th.start()
    time.sleep(1.5)
    t = time.perf_counter()
    stop.set()
    th.join(timeout=5)
    assert not th.is_alive()
    assert time.perf_counter() - t < 1.0
    assert out["res"].stopped
    assert out["res"].timetable.n_unplaced == 0


def test_progress_events_monotone(tiny, frozen_heap):
    events = []
    solve_local(tiny, time_limit=2.0, seed=4, progress=events.append)
    assert len(events) >= 4  # at least every 0.5 s over 2 s
    times = [e.elapsed for e in events]
    assert times == sorted(times)
    gaps = np.diff([0.0] + times)
    assert gaps.max() < 0.75
    best = [(e.hard_violations, e.best_cost) for e in events]
    assert all(b <= a for a, b in zip(best, best[1:])), best  # lexicographic: hard first, then cost


def test_bad_pinned_shape_is_a_clear_error(tiny):
    from tt_core.errors import TimetableError

    with pytest.raises(TimetableError, match="one flag per lecture"):
        solve_local(tiny, time_limit=1, pinned=np.zeros(3, bool), initial=Timetable.empty(tiny))


@pytest.mark.parametrize("preset", ["tiny", "demo"])
def test_soft_delta_equals_exact_delta_on_feasible_moves(preset):
    u = generate(Recipe.preset(preset))
    w = K.itc_weights()
    w[[K.TEACHER_PREFERENCE, K.TIME_OF_DAY, K.CURRICULUM_LOAD, K.TEACHER_LOAD]] = [1.5, 0.7, 2.0, 3.0]
    _check_soft_deltas(u.problem, u.hidden, w)


@pytest.mark.parametrize("preset", ["tiny", "demo"])
def test_soft_delta_equals_exact_delta_with_the_extended_benchmarks_terms(preset):
    """Windows, double lectures, travel between sites, listed unsuitable rooms and a daily minimum
    (the .ectt data, added at random to a generated university) all weighed."""
    u = generate(Recipe.preset(preset))
    pb = u.problem
    rng = np.random.default_rng(3)
    pb = pb.replace(course_double=rng.random(pb.n_courses) < 0.5,
                    room_building=rng.integers(0, 3, pb.n_rooms).astype(np.int32),
                    room_unsuitable=rng.random((pb.n_courses, pb.n_rooms)) < 0.2,
                    curriculum_min_per_day=np.full(pb.n_curricula, 2, np.int32), count_windows=True,
                    count_travel=True)
    w = K.itc_weights()
    w[[K.WINDOWS, K.DOUBLE_LECTURES, K.TRAVEL, K.UNSUITABLE_ROOMS, K.CURRICULUM_LOAD]] = [1.5, 2.0, 0.75, 3.0, 1.25]
    _check_soft_deltas(pb, u.hidden, w)


def test_soft_delta_without_the_day_masks_on_long_days():
    """Days of more than 16 periods have no table of isolated periods: the soft delta counts the
    curricula's periods instead, with the same result."""
    u = generate(dataclasses.replace(Recipe.preset("tiny"), periods_per_day=18, period_minutes=30))
    assert kernel_arrays(u.problem).day_isolated.shape[0] == 1
    _check_soft_deltas(u.problem, u.hidden, K.itc_weights())


def test_the_day_masks_are_the_curricula_busy_periods():
    """``curr_mask[g, d]`` has bit ``s`` set exactly when curriculum ``g`` teaches at period ``s`` of
    day ``d``, after random moves (hard violations included), and the table counts a day's
    lectures with no neighbour."""
    u = generate(Recipe.preset("demo"))
    pb = u.problem
    ev = IncrementalEvaluator(pb, u.hidden)
    rng = np.random.default_rng(5)
    for _ in range(400):
        ev.apply_move(int(rng.integers(pb.n_lectures)), int(rng.integers(pb.n_periods)), int(rng.integers(pb.n_rooms)))
    ppd = pb.periods_per_day
    busy = (ev.state.curr_cnt > 0).reshape(pb.n_curricula, pb.days, ppd)
    assert np.array_equal(ev.state.curr_mask, (busy * (1 << np.arange(ppd))).sum(axis=2))
    table = kernel_arrays(pb).day_isolated
    assert [table[m] for m in (0b0, 0b1, 0b11, 0b101, 0b1011, 0b10101)] == [0, 1, 0, 2, 1, 3]


def test_trial_moves_and_swaps_leave_the_state_as_it_was():
    """``delta_move``/``delta_swap`` into occupied rooms and clashes (the start temperature's
    samples, the repair's and the GA's trials) change no counter and lose no entry of the room
    occupants' index: entries lost there once hid a fifth of comp05's lectures from the swaps and
    the Kempe chains."""
    u = generate(Recipe.preset("demo"))
    pb = u.problem
    ev = IncrementalEvaluator(pb, u.hidden)
    rng = np.random.default_rng(8)
    for _ in range(60):  # a timetable with double-booked rooms as well
        ev.apply_move(int(rng.integers(pb.n_lectures)), int(rng.integers(pb.n_periods)), int(rng.integers(pb.n_rooms)))
    before = {name: getattr(ev.state, name).copy() for name in ev.state._fields if name != "scratch"}
    for _ in range(3000):
        l = int(rng.integers(pb.n_lectures))
        if rng.random() < 0.5:
            ev.delta_move(l, int(rng.integers(pb.n_periods)), int(rng.integers(pb.n_rooms)))
        else:
            ev.delta_swap(l, int(rng.integers(pb.n_lectures)))
    st = ev.state
    for name, value in before.items():
        if name != "room_lec":
            assert np.array_equal(getattr(st, name), value), name
    # no entry is lost, and every entry names a lecture in that room then (in a double-booked room
    # it may name the other occupant after a trial; one left empty by the double bookings above
    # may be filled on the way)
    assert not ((before["room_lec"] >= 0) & (st.room_lec < 0)).any()
    for r, q in zip(*np.nonzero(st.room_lec >= 0)):
        o = int(st.room_lec[r, q])
        assert st.room[o] == r and st.period[o] <= q < st.period[o] + pb.course_length[pb.lecture_course[o]]


def test_each_course_lists_its_curricula_in_ascending_order():
    """The soft delta of a swap finds the curricula both courses share in one pass over both lists."""
    ka = kernel_arrays(generate(Recipe.preset("demo")).problem)
    for c in range(len(ka.cc_ptr) - 1):
        assert (np.diff(ka.cc_idx[ka.cc_ptr[c]:ka.cc_ptr[c + 1]]) >= 0).all()


def _single_period_lecture(pb: Problem, rng) -> tuple[int, int]:
    """A random lecture of a single-period course, and its course (the soft deltas' domain)."""
    while True:
        l = int(rng.integers(pb.n_lectures))
        c = int(pb.lecture_course[l])
        if pb.course_length[c] == 1:
            return l, c


def _check_soft_deltas(pb: Problem, start: Timetable, w: np.ndarray) -> None:
    """1500 random feasible moves and swaps from ``start``: the fast soft delta equals the exact
    delta weighed by ``w``; some of them are applied on the way."""
    ev = IncrementalEvaluator(pb, start)
    ka, st = ev.ka, ev.state
    rng = np.random.default_rng(11)
    checked = 0
    while checked < 1500:
        l, c = _single_period_lecture(pb, rng)
        p, r = int(rng.integers(pb.n_periods)), int(rng.integers(pb.n_rooms))
        if (st.all_cover[c, p] > 0 and p != st.period[l]) or (p == st.period[l] and r == st.room[l]):
            continue
        l2 = -1
        if st.room_cnt[r, p] == 1:
            l2 = int(st.room_lec[r, p])
            if l2 == l or pb.lecture_course[l2] == c or pb.course_length[pb.lecture_course[l2]] != 1:
                continue
        if not keeps_feasible(ka, st, l, c, p, r, l2):
            continue
        exact = ev.delta_swap(l, l2) if l2 >= 0 else ev.delta_move(l, p, r)
        fast = soft_delta_swap(ka, st, l, l2, w) if l2 >= 0 else soft_delta_move(ka, st, l, p, r, w)
        assert exact[K.HARD_MASK].sum() == 0
        assert fast == pytest.approx(float(exact @ w), abs=1e-9)
        checked += 1
        if rng.random() < 0.3:
            ev.apply_swap(l, l2) if l2 >= 0 else ev.apply_move(l, p, r)
    _check_soft_inserts(pb, ka, st, w, rng)


def _check_soft_inserts(pb: Problem, ka, st, w: np.ndarray, rng) -> None:
    """300 lectures taken out of the feasible state and put back at a random free, clash-free
    (period, room), as the ruin step prices them: the insert delta (and, without the extended terms,
    its period's part plus its room's) equals the exact delta's soft part."""
    du = np.zeros(K.N_CONSTRAINTS, np.int64)
    soft = ~K.HARD_MASK
    checked = 0
    while checked < 300:
        l, c = _single_period_lecture(pb, rng)
        p0, r0 = int(st.period[l]), int(st.room[l])
        relocate(ka, st, l, -1, -1, du)
        p, r = int(rng.integers(pb.n_periods)), int(rng.integers(pb.n_rooms))
        if (st.all_cover[c, p] == 0 and not ka.unavailable[c, p] and st.conf_load[c, p] == 0
                and ka.suitable[c, r] and st.room_cnt[r, p] == 0):
            du[:] = 0
            relocate(ka, st, l, p, r, du)
            assert du[K.LECTURES] == -1 and du[K.HARD_MASK].sum() == -1  # taught again, nothing else hard
            relocate(ka, st, l, -1, -1, np.zeros_like(du))
            assert soft_delta_insert(ka, st, c, p, r, w) == pytest.approx(float(du[soft] @ w[soft]), abs=1e-9)
            if not ka.ext:  # the period's part and the room's, as the ruin step adds them
                assert period_delta_insert(ka, st, c, p, w) + room_cost(ka, st, w, c, r) == pytest.approx(
                    float(du[soft] @ w[soft]), abs=1e-9)
            checked += 1
        relocate(ka, st, l, p0, r0, du)


def reference_in_violation(pb: Problem, tt: Timetable) -> set[int]:
    """Lectures in a hard violation, from the raw fields: not taught (unplaced or repeating a period
    of its course), past the day's end, unavailable, unsuitable room, a room shared, or taught with
    a course it may not overlap (same curriculum or teacher, or a shared student)."""
    taught = taught_lectures(pb, tt)
    pairs = conflicting_pairs(pb)
    for courses in student_enrolments(pb):
        pairs |= {(min(a, b), max(a, b)) for a in courses for b in courses if a != b}
    bad = set(range(pb.n_lectures)) - {t["lecture"] for t in taught}
    for t in taught:
        c, r = t["course"], t["room"]
        if t["spill"] or not pb.suitable[c, r] or any(
                pb.course_unavailable[c, q] or pb.teacher_unavailable[pb.course_teacher[c], q] for q in t["periods"]):
            bad.add(t["lecture"])
        for o in taught:
            shared = set(t["periods"]) & set(o["periods"])
            if o is not t and shared and (r == o["room"] or (min(c, o["course"]), max(c, o["course"])) in pairs):
                bad.add(t["lecture"])
    return bad


@pytest.mark.parametrize("preset", ["tiny", "campus"])
def test_lectures_in_violation_match_the_reference(preset):
    """The annealer's focus list (half of the repair moves) is exactly the lectures in a hard violation."""
    u = generate(Recipe.preset(preset, lab_length=(2, 3)))
    pb = u.problem
    rng = np.random.default_rng(5)
    movable = np.arange(pb.n_lectures, dtype=np.int32)
    ev = IncrementalEvaluator(pb, u.hidden)
    assert len(in_violation(ev.ka, ev.state, movable)) == 0  # the planted timetable is feasible
    for trial in range(12):
        # the planted timetable scrambled more and more (some lectures then repeat a period of
        # their course, some run past the day's end, some are unplaced)
        tt = u.hidden.copy()
        k = int(pb.n_lectures * (trial + 1) / 12)
        moved = rng.choice(pb.n_lectures, size=k, replace=False)
        tt.period[moved] = rng.integers(-1, pb.n_periods, size=k)
        tt.room[moved] = rng.integers(pb.n_rooms, size=k)
        ev = IncrementalEvaluator(pb, tt)
        got = set(in_violation(ev.ka, ev.state, movable).tolist())
        assert got and got == reference_in_violation(pb, tt), (preset, trial)
        some = movable[rng.random(pb.n_lectures) < 0.5]
        assert set(in_violation(ev.ka, ev.state, some).tolist()) == got & set(some.tolist())


def test_portfolio_returns_the_best_of_its_annealers(tiny):
    res = solve_local(tiny, time_limit=30, seed=3, workers=2, iterations=30_000)
    costs = res.stats["portfolio_costs"]
    assert len(costs) == 2
    assert (res.hard_violations, res.cost) == min(costs)
    single = [solve_local(tiny, time_limit=30, seed=3 + k, iterations=30_000) for k in range(2)]
    assert sorted(costs) == sorted((r.hard_violations, r.cost) for r in single)  # same seeds, same runs


def test_sharing_portfolio_meets_and_keeps_the_best(tiny):
    # fixed iterations: the meeting points are reached by both annealers; the result is the best
    res = solve_local(tiny, time_limit=30, seed=5, workers=2, share=True, iterations=40_000)
    costs = res.stats["portfolio_costs"]
    assert (res.hard_violations, res.cost) == min(costs)
    assert res.timetable.n_unplaced == 0
    assert evaluate(tiny, res.timetable).soft_cost == res.cost


@pytest.mark.parametrize("preset", ["tiny", "campus"])
def test_clash_partner_is_the_one_lecture_a_move_would_clash_with(preset):
    """The annealer swaps a lecture with the lecture it would clash with (``clash_partner``):
    wherever exactly one course it may not overlap teaches at a period, that course's lecture there
    when it is a single-period one (a lab covering the period cannot take a lecture's place: -1)."""
    u = generate(Recipe.preset(preset, lab_length=(2, 3)))
    pb = u.problem
    ev = IncrementalEvaluator(pb, u.hidden)
    st, lc, length, start = ev.state, pb.lecture_course, pb.course_length, u.hidden.period
    found = {True: 0, False: 0}
    for c in range(pb.n_courses):
        for p in range(pb.n_periods):
            if st.conf_load[c, p] != 1:
                continue
            covering = [l for l in range(pb.n_lectures) if start[l] <= p < start[l] + length[lc[l]]
                        and pb.conflict[c, lc[l]]]  # a curriculum, a teacher or a student
            assert len(covering) == 1, (c, p)
            single = length[lc[covering[0]]] == 1
            assert clash_partner(ev.ka, st, c, p) == (covering[0] if single else -1), (c, p)
            found[single] += 1
    assert found[True] > 20 and found[False] > 0


def test_below_draws_every_integer_below_n_alike():
    """The annealer's random integers (``below``: the top 32 bits of one output of its stream times
    ``n``, shifted): always in 0 .. n-1, each value about equally often, and the top of a large
    range reachable."""
    rs = new_stream(11)
    draws = np.array([below(rs, 7) for _ in range(70_000)])
    assert draws.min() == 0 and draws.max() == 6
    assert np.all(np.abs(np.bincount(draws, minlength=7) - 10_000) < 500)  # ~5 standard deviations
    big = np.array([below(rs, 2**31 - 1) for _ in range(20_000)])
    assert big.min() >= 0 and big.max() < 2**31 - 1 and big.max() > 0.99 * 2**31
    assert below(rs, 1) == 0


def test_the_kernels_stream_is_its_seed_s_and_uniform():
    """A stream's state is all its caller needs: the same seed draws the same numbers, another seed
    others; the floats lie in [0, 1), spread evenly (deciles within ~5 standard deviations) and
    without a correlation between one draw and the next."""
    a, b, c = new_stream(3), new_stream(3), new_stream(4)
    xa = np.array([uniform(a) for _ in range(50_000)])
    xb = np.array([uniform(b) for _ in range(50_000)])
    xc = np.array([uniform(c) for _ in range(50_000)])
    assert np.array_equal(xa, xb) and not np.array_equal(xa, xc)
    assert xa.min() >= 0.0 and xa.max() < 1.0
    assert np.all(np.abs(np.bincount((xa * 10).astype(int), minlength=10) - 5_000) < 350)
    assert abs(np.corrcoef(xa[:-1], xa[1:])[0, 1]) < 0.02
    assert new_stream(0).any()  # xoshiro's one forbidden state is all zeros


def test_annealing_steps_with_every_lecture_pinned_change_nothing():
    """An empty ``movable`` (every lecture pinned): the kernel returns at once instead of drawing
    an index into an empty array."""
    u = generate(Recipe.preset("tiny"))
    pb = u.problem
    ev = IncrementalEvaluator(pb, u.hidden)
    st, ka = ev.state, ev.ka
    period, room, units = st.period.copy(), st.room.copy(), st.units.copy()
    suit_ptr, suit_idx = suitable_rooms(pb)
    none = np.full(pb.n_lectures, -1, np.int32)
    w = K.itc_weights().astype(float)
    cur = np.array([float(st.units @ w), 0.0, 0.0])
    best = cur.copy()
    counters = np.zeros(4, np.int64)
    anneal_steps(ka, st, np.empty(0, np.int32), NO_FOCUS, suit_ptr, suit_idx, none, none, w, 0.0, 1.0, 0.4,
                 10_000, 2.0, 0.1, period.copy(), room.copy(), cur, best, np.zeros(K.N_CONSTRAINTS, np.int64),
                 counters, new_stream(1), 0.03, chain_buffer(pb.n_rooms), 0.005)
    assert np.array_equal(st.period, period) and np.array_equal(st.room, room)
    assert np.array_equal(st.units, units) and counters.sum() == 0


@pytest.mark.parametrize("preset", ["tiny", "campus"])
def test_free_room_is_suitable_and_free_over_the_whole_lecture(preset):
    """When a swap with a taken room's occupant would break a hard constraint, the annealer moves
    the lecture into ``free_room``: a room suitable for the course and free at every period the
    lecture would cover from ``p``; -1 exactly when no such room exists."""
    u = generate(Recipe.preset(preset, lab_length=(2, 3)))
    pb = u.problem
    ev = IncrementalEvaluator(pb, u.hidden)
    st, ka = ev.state, ev.ka
    rs = new_stream(5)
    seen = {True: 0, False: 0}
    for c in range(pb.n_courses):
        length = int(pb.course_length[c])
        for p in range(pb.n_periods):
            if p % pb.periods_per_day + length > pb.periods_per_day:
                continue
            free = {r for r in range(pb.n_rooms)
                    if ka.suitable[c, r] and all(st.room_cnt[r, q] == 0 for q in range(p, p + length))}
            r = free_room(ka, st, rs, c, p, length)
            assert (r in free) if free else r == -1, (c, p, r)
            seen[bool(free)] += 1
    assert seen[True] > 50 and seen[False] > 50, seen  # both answers met


def _kempe_component(pb, tt, l, p1):
    """Plain Python: the lectures linked to ``l`` (same course, conflicting courses or same room)
    through lectures at its period and at ``p1``, alternately; None when a longer lecture covers either."""
    p0 = int(tt.period[l])
    length = pb.course_length[pb.lecture_course]
    covers = {q: [x for x in range(pb.n_lectures) if tt.period[x] <= q < tt.period[x] + length[x]] for q in (p0, p1)}
    if any(length[x] > 1 for q in (p0, p1) for x in covers[q]):
        return None
    lc = pb.lecture_course

    def linked(x, y):
        return lc[x] == lc[y] or tt.room[x] == tt.room[y] or pb.conflict[lc[x], lc[y]]

    side = {x: 0 for x in covers[p0]} | {x: 1 for x in covers[p1]}
    seen, todo = {l}, [l]
    while todo:
        x = todo.pop()
        for y in covers[p1 if side[x] == 0 else p0]:
            if y not in seen and linked(x, y):
                seen.add(y)
                todo.append(y)
    return {x for x in seen if side[x] == 0}, {x for x in seen if side[x] == 1}


@pytest.mark.parametrize("preset", ["tiny", "campus"])
def test_a_kempe_chain_is_the_component_of_linked_lectures_at_the_two_periods(preset):
    u = generate(Recipe.preset(preset, lab_length=(2, 3)))
    pb, tt = u.problem, u.hidden
    ev = IncrementalEvaluator(pb, tt)
    buf = chain_buffer(pb.n_rooms)
    rng = np.random.default_rng(1)
    sizes, refused = [], 0
    for _ in range(150):
        l, p1 = int(rng.integers(pb.n_lectures)), int(rng.integers(pb.n_periods))
        if p1 == tt.period[l] or pb.course_length[pb.lecture_course[l]] != 1:
            continue
        n0, n1 = kempe_chain(ev.ka, ev.state, l, p1, buf)
        expected = _kempe_component(pb, tt, l, p1)
        if expected is None:
            assert (n0, n1) == (-1, -1)
            refused += 1
            continue
        R = pb.n_rooms
        assert (set(buf[:n0]), set(buf[R:R + n1])) == expected and buf[0] == l
        sizes.append(n0 + n1)
    assert refused > 0 and max(sizes) >= 4  # chains longer than a swap were met


@pytest.mark.parametrize(("recipe", "longest"), [
    (Recipe.preset("tiny"), 4), (Recipe.preset("campus"), 4),
    (dataclasses.replace(Recipe.preset("tiny"), periods_per_day=18, period_minutes=30), 2),  # sparse: short chains
], ids=["tiny", "campus", "long-days"])
def test_a_trade_is_priced_as_the_trade_itself(recipe, longest):
    """``trade_delta``, read off the state, equals the soft part of the delta of making the trade,
    every soft term weighted (teacher and curriculum loads, preferences, time of day; the long
    days have no day masks), on feasible timetables reached by keeping half of the trades."""
    u = generate(recipe)
    pb, tt = u.problem, u.hidden
    st = new_state(pb, tt)
    assert st.units[K.HARD_MASK].sum() == 0
    ka = kernel_arrays(pb)
    assert not ka.ext
    w = np.ones(K.N_CONSTRAINTS)
    w[K.HARD_MASK] = 20.0
    soft = ~K.HARD_MASK
    buf, du = chain_buffer(pb.n_rooms), np.zeros(K.N_CONSTRAINTS, np.int64)
    rng = np.random.default_rng(5)
    sizes, nonzero = [], 0
    for _ in range(3_000):
        l, p1 = int(rng.integers(pb.n_lectures)), int(rng.integers(pb.n_periods))
        p0 = int(st.period[l])
        if p1 == p0 or pb.course_length[pb.lecture_course[l]] != 1:
            continue
        n0, n1 = kempe_chain(ka, st, l, p1, buf)
        if n0 < 0:
            continue
        priced = trade_delta(ka, st, w, buf, n0, n1, p0, p1)
        du[:] = 0
        _trade(ka, st, buf, n0, n1, p0, p1, du)
        assert priced == pytest.approx(float(du[soft] @ w[soft]))
        sizes.append(n0 + n1)
        nonzero += priced != 0
        if du[K.HARD_MASK].any() or rng.random() < 0.5:
            _trade(ka, st, buf, n0, n1, p1, p0, st.scratch)  # undone: the walk stays feasible
    fresh = new_state(pb, Timetable(st.period.copy(), st.room.copy()))
    assert fresh.units[K.HARD_MASK].sum() == 0
    assert len(sizes) > 300 and max(sizes) >= longest and nonzero > 100


def _feasible_campus_search():
    """The campus preset's hidden (feasible) timetable as an annealer's state, with what its steps
    take: hard weight 20, the first five lectures pinned (``movable`` is the rest), ``cur``/``best``
    at the state's weighted total, counters and a delta buffer."""
    u = generate(Recipe.preset("campus"))
    pb, tt = u.problem, u.hidden
    st = new_state(pb, tt)
    assert st.units[K.HARD_MASK].sum() == 0
    w = np.ones(K.N_CONSTRAINTS)
    w[K.HARD_MASK] = 20.0
    cur = np.array([float(st.units @ w), 0.0, 0.0])
    return SimpleNamespace(pb=pb, tt=tt, st=st, ka=IncrementalEvaluator(pb, tt).ka, w=w,
                           movable=np.arange(pb.n_lectures, dtype=np.int32)[5:], cur=cur, best=cur.copy(),
                           best_p=st.period.copy(), best_r=st.room.copy(), counters=np.zeros(4, np.int64),
                           du=np.zeros(K.N_CONSTRAINTS, np.int64))


def _assert_exact_feasible_and_pinned(s):
    """After steps on ``s.st`` (see :func:`_feasible_campus_search`): every counter equals a state
    built afresh, the occupant index names every placed lecture, no hard violation, ``s.cur`` is the
    state's weighted total and the pinned lectures are where they were."""
    pb, tt, st = s.pb, s.tt, s.st
    fresh = new_state(pb, Timetable(st.period.copy(), st.room.copy()))
    for name in ("units", "course_cover", "conf_load", "room_cnt", "curr_cnt", "curr_mask", "course_day", "course_room"):
        assert np.array_equal(getattr(st, name), getattr(fresh, name)), name
    placed = st.period >= 0
    assert (st.room_lec[st.room[placed], st.period[placed]] == np.flatnonzero(placed)).all()
    assert st.units[K.HARD_MASK].sum() == 0 and s.cur[1] == 0
    assert s.cur[0] == pytest.approx(float(st.units @ s.w))
    assert np.array_equal(st.period[:5], tt.period[:5]) and np.array_equal(st.room[:5], tt.room[:5])


def test_kempe_steps_keep_every_counter_exact_and_the_timetable_feasible():
    """Accepted and undone chains alike leave the incremental state equal to one built afresh
    (hot enough that about half of the chains are kept), never add a hard violation and never move
    a lecture outside ``movable``."""
    s = _feasible_campus_search()
    pb, st, movable = s.pb, s.st, s.movable
    rs = new_stream(7)
    rng = np.random.default_rng(3)
    for _ in range(30_000):
        l, p1 = int(rng.choice(movable)), int(rng.integers(pb.n_periods))
        if p1 != st.period[l] and pb.course_length[pb.lecture_course[l]] == 1:
            kempe_step(s.ka, st, movable, movable, s.w, 3.0, chain_buffer(pb.n_rooms), s.du, s.cur, s.best,
                       s.best_p, s.best_r, s.counters, rs, l, p1)
    _assert_exact_feasible_and_pinned(s)
    assert s.counters[0] > 300 and 0 < s.counters[1] < s.counters[0]  # kept and undone chains both
    assert (st.period != s.tt.period).sum() > 20


def test_ruin_steps_keep_every_counter_exact_and_the_timetable_feasible():
    """Kept and undone ruin-and-recreate steps alike leave the incremental state equal to one built
    afresh, never add a hard violation and never move a lecture outside ``movable``; cold (no
    worsening kept), the cost never rises."""
    s = _feasible_campus_search()
    pb, st, movable = s.pb, s.st, s.movable
    buf = chain_buffer(pb.n_rooms)
    rs = new_stream(7)
    rng = np.random.default_rng(3)
    single = movable[pb.course_length[pb.lecture_course[movable]] == 1]
    for _ in range(3_000):
        ruin_step(s.ka, st, movable, movable, s.w, 3.0, buf, s.du, s.cur, s.best, s.best_p, s.best_r, s.counters,
                  rs, int(rng.choice(single)), 6)
    assert s.counters[0] > 300 and 0 < s.counters[1] < s.counters[0]  # kept and undone steps both
    for _ in range(1_000):
        before = s.cur[0]
        ruin_step(s.ka, st, movable, movable, s.w, 1e-9, buf, s.du, s.cur, s.best, s.best_p, s.best_r, s.counters,
                  rs, int(rng.choice(single)), 6)
        assert s.cur[0] <= before + 1e-9
    _assert_exact_feasible_and_pinned(s)
    assert (st.period != s.tt.period).sum() > 20


def test_ejection_steps_keep_every_counter_exact_and_the_timetable_feasible():
    """Kept and undone ejections alike leave the incremental state equal to one built afresh, never
    add a hard violation and never move a pinned lecture; a kept one moves ``l`` to ``p`` and its
    clash partner away from ``p``; cold (no worsening kept), the cost never rises."""
    s = _feasible_campus_search()
    pb, st, movable = s.pb, s.st, s.movable
    rs = new_stream(7)
    rng = np.random.default_rng(3)
    single = movable[pb.course_length[pb.lecture_course[movable]] == 1]
    tried = 0
    for temp in (3.0, 1e-9):
        for _ in range(20_000):
            l, p = int(rng.choice(single)), int(rng.integers(pb.n_periods))
            c = pb.lecture_course[l]
            if p == st.period[l] or st.conf_load[c, p] != 1 or st.all_cover[c, p] or s.ka.unavailable[c, p]:
                continue
            l2 = clash_partner(s.ka, st, c, p)
            if l2 < 5:  # none, or pinned
                continue
            before, kept = s.cur[0], s.counters[1]
            eject_step(s.ka, st, s.w, temp, s.du, s.cur, s.best, s.best_p, s.best_r, s.counters, rs, l, p, l2)
            tried += 1
            if s.counters[1] > kept:
                assert st.period[l] == p and st.period[l2] != p
            if temp < 1:
                assert s.cur[0] <= before + 1e-9
    _assert_exact_feasible_and_pinned(s)
    assert tried > 300 and 0 < s.counters[1] < s.counters[0]  # kept and undone steps both


def test_the_cheapest_place_is_feasible_and_no_feasible_place_costs_less():
    """Against every period and free suitable room priced by a trial placement: the place found
    is feasible for one more lecture of the course, and none costs less."""
    s = _feasible_campus_search()
    pb, st, ka, w = s.pb, s.st, s.ka, s.w
    rs = new_stream(11)
    rng = np.random.default_rng(11)
    soft = ~K.HARD_MASK
    for _ in range(40):
        l = int(rng.choice(s.movable[pb.course_length[pb.lecture_course[s.movable]] == 1]))
        c, p0, r0 = pb.lecture_course[l], int(st.period[l]), int(st.room[l])
        relocate(ka, st, l, -1, -1, st.scratch)
        priced = {}
        du = np.zeros(K.N_CONSTRAINTS, np.int64)
        for q in range(pb.n_periods):
            for r in range(pb.n_rooms):
                du[:] = 0
                relocate(ka, st, l, q, r, du)  # relocate reports the units' change in du
                if du[K.HARD_MASK].sum() == -1:  # taught, and nothing else broken
                    priced[q, r] = float(du[soft] @ w[soft])
                relocate(ka, st, l, -1, -1, st.scratch)
        q, r = cheapest_place(ka, st, rs, w, c)
        assert (q, r) in priced and priced[q, r] == pytest.approx(min(priced.values()))
        relocate(ka, st, l, p0, r0, st.scratch)


@pytest.mark.parametrize("preset", ["tiny", "campus"])
def test_cheapest_free_room_is_free_suitable_and_cheapest(preset):
    """Against a plain-Python scan: the room is suitable and free, and no free suitable room costs
    less in capacity, stability and unsuitable-room weight."""
    u = generate(Recipe.preset(preset))
    pb, tt = u.problem, u.hidden
    st = new_state(pb, tt)
    ka = kernel_arrays(pb)
    w = np.arange(1.0, K.N_CONSTRAINTS + 1.0)
    rs = new_stream(5)
    rng = np.random.default_rng(5)

    def cost(c, r):
        v = w[K.ROOM_CAPACITY] * max(0, int(pb.course_students[c]) - int(pb.room_capacity[r]))
        if st.n_rooms[c] > 0 and st.course_room[c, r] == 0:
            v += w[K.ROOM_STABILITY]
        return v + (w[K.UNSUITABLE_ROOMS] if ka.room_unsuitable[c, r] else 0.0)

    for _ in range(300):
        c, q = int(rng.integers(pb.n_courses)), int(rng.integers(pb.n_periods))
        free = [r for r in range(pb.n_rooms) if ka.suitable[c, r] and st.room_cnt[r, q] == 0]
        r = cheapest_free_room(ka, st, rs, w, c, q)
        if not free:
            assert r == -1
            continue
        assert r in free and cost(c, r) == min(cost(c, x) for x in free)
