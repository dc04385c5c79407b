"""Memetic GA: operators keep pinned lectures, repair reaches feasibility, the GA improves over
generations, stops within a second, is deterministic per seed, and runs as islands on Dask."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from tt_core import constraints as K
from tt_core.cost import evaluate
from tt_core.errors import TimetableError
from tt_core.kernels.incremental import new_state
from tt_core.model import Timetable
from tt_core.solvers import STRATEGIES, solve
from tt_core.solvers.base import Deadline
from tt_core.solvers.ga import (
    Context,
    GASettings,
    course_crossover,
    day_crossover,
    hard_of,
    improve,
    mutate,
    repair,
    solve_ga,
)
from tt_core.synth import Recipe, generate

# a small GA that runs in well under a second per generation on the tiny university
SMALL = dict(population=6, local_iterations=3_000, init_iterations=1_000)


@pytest.fixture(scope="module")
def synth():
    return generate(Recipe.preset("tiny"))


@pytest.fixture(scope="module")
def tiny(synth):
    return synth.problem


@pytest.fixture(scope="module")
def warm(tiny):
    """Compile/load every numba kernel once, so that timing tests measure the GA, not numba."""
    solve_ga(tiny, time_limit=300, seed=0, generations=2, crossover="day", **SMALL)
    solve_ga(tiny, time_limit=300, seed=0, generations=1, crossover="course", **SMALL)


def parents(synth, rng, moves=40):
    """Two different feasible timetables: the hidden one after random feasibility-keeping moves."""
    pb = synth.problem
    ctx = Context(pb, None, np.zeros(pb.n_lectures, bool), GASettings())
    out = []
    for _ in range(2):
        st = new_state(pb, synth.hidden)
        mutate(ctx, st, rng, moves)
        assert hard_of(st) == 0
        out.append(np.stack([st.period, st.room]))
    return out


def pinned_context(synth, seed=0):
    pb = synth.problem
    pinned = np.random.default_rng(seed).random(pb.n_lectures) < 0.3
    return Context(pb, None, pinned, GASettings()), pinned


@pytest.mark.parametrize("crossover", [course_crossover, day_crossover])
def test_crossover_and_repair_keep_pinned_lectures(synth, crossover):
    rng = np.random.default_rng(1)
    ctx, pinned = pinned_context(synth)
    # pinned lectures sit where the hidden timetable has them in both parents; the rest differ
    a, b = parents(synth, rng)
    for arr in (a, b):
        arr[0, pinned] = synth.hidden.period[pinned]
        arr[1, pinned] = synth.hidden.room[pinned]
    for _ in range(5):
        p, r = crossover(ctx, a, b, rng)
        assert np.array_equal(p[pinned], synth.hidden.period[pinned])
        assert np.array_equal(r[pinned], synth.hidden.room[pinned])
        st = repair(ctx, p, r, rng)
        assert np.array_equal(st.period[pinned], synth.hidden.period[pinned])
        assert np.array_equal(st.room[pinned], synth.hidden.room[pinned])
    assert not np.array_equal(p, a[0]) or not np.array_equal(r, a[1])  # something was inherited from b


def test_mutation_keeps_pinned_lectures_and_feasibility(synth):
    ctx, pinned = pinned_context(synth, seed=2)
    st = new_state(synth.problem, synth.hidden)
    done = mutate(ctx, st, np.random.default_rng(3), 30)
    assert done == 30
    assert np.array_equal(st.period[pinned], synth.hidden.period[pinned])
    assert np.array_equal(st.room[pinned], synth.hidden.room[pinned])
    moved = (st.period != synth.hidden.period) | (st.room != synth.hidden.room)
    assert moved[~pinned].any()
    assert evaluate(synth.problem, Timetable(st.period, st.room)).hard_violations == 0


@pytest.mark.parametrize("crossover", [course_crossover, day_crossover])
def test_repair_yields_zero_hard_on_a_feasible_instance(synth, crossover):
    pb = synth.problem
    rng = np.random.default_rng(4)
    ctx = Context(pb, None, np.zeros(pb.n_lectures, bool), GASettings(repair_iterations=0))
    a, b = parents(synth, rng, moves=200)
    broken = 0
    for _ in range(10):
        p, r = crossover(ctx, a, b, rng)
        broken += evaluate(pb, Timetable(p, r)).hard_violations > 0
        st = repair(ctx, p, r, rng)  # eject + greedy re-insertion only (no annealing fallback)
        rep = evaluate(pb, Timetable(st.period, st.room))
        assert rep.hard_violations == 0 == hard_of(st)
        assert np.array_equal(rep.units, st.units)
    assert broken >= 5  # the children really needed repairing


def test_repair_of_an_empty_timetable_places_every_lecture(tiny):
    ctx = Context(tiny, None, np.zeros(tiny.n_lectures, bool), GASettings())
    empty = Timetable.empty(tiny)
    st = repair(ctx, empty.period, empty.room, np.random.default_rng(5))
    assert (st.period >= 0).all()
    assert evaluate(tiny, Timetable(st.period, st.room)).hard_violations == 0


def test_memetic_step_is_never_worse(synth):
    pb = synth.problem
    ctx = Context(pb, None, np.zeros(pb.n_lectures, bool), GASettings())
    st = new_state(pb, synth.hidden)
    mutate(ctx, st, np.random.default_rng(6), 100)
    before = evaluate(pb, Timetable(st.period, st.room)).soft_cost
    p, r, steps = improve(ctx, st.period, st.room, np.random.default_rng(7), 20_000, Deadline(60))
    after = evaluate(pb, Timetable(p, r))
    assert steps > 0 and after.hard_violations == 0
    assert after.soft_cost <= before


def test_ga_improves_cost_over_generations(tiny, warm):
    # a pure GA (no annealing anywhere): selection, crossover + repair and mutation alone
    res = solve_ga(tiny, time_limit=120, seed=3, generations=25, population=12, local_iterations=0,
                   init_iterations=0, init_walk=1.0)
    first_hard, first_soft = res.stats["first_generation"]
    assert res.hard_violations == 0
    assert res.cost < first_soft
    history = res.stats["history"]  # (elapsed, best soft, best hard) after every batch evaluation
    assert len(history) == 26
    assert all(b[1] <= a[1] for a, b in zip(history, history[1:]))  # elitism: the best never gets worse
    assert res.stats["evaluations"] == 12 + 25 * (12 - 2)
    assert res.stats["batch_calls"] == 26  # one batch evaluation per generation (+ the first population)


def test_same_seed_same_result_with_fixed_generations(tiny, warm):
    a = solve_ga(tiny, time_limit=300, seed=11, generations=3, **SMALL)
    b = solve_ga(tiny, time_limit=300, seed=11, generations=3, **SMALL)
    c = solve_ga(tiny, time_limit=300, seed=12, generations=3, **SMALL)
    assert a.timetable == b.timetable and a.cost == b.cost
    assert a.stats["local_iterations"] == b.stats["local_iterations"]
    assert c.timetable != a.timetable


def test_stop_within_one_second_and_progress_cadence(tiny, warm):
    stop = threading.Event()
    events = []
    timer = threading.Timer(1.5, stop.set)
    timer.start()
    t0 = time.perf_counter()
    try:
        res = solve_ga(tiny, time_limit=60, seed=1, stop=stop, progress=events.append)
    finally:
        timer.cancel()
    returned = time.perf_counter() - t0
    assert res.stopped
    assert returned - 1.5 < 1.0
    assert res.hard_violations == 0
    times = [0.0] + [e.elapsed for e in events]
    assert max(np.diff(times)) <= 0.75  # solvers report at least every 0.5 s (slack for a busy machine)
    assert all(e.stage == "ga" for e in events)


def test_pinned_lectures_never_move_in_a_solve(synth, warm):
    pb = synth.problem
    pinned = np.random.default_rng(8).random(pb.n_lectures) < 0.3
    res = solve_ga(pb, time_limit=120, seed=4, generations=3, initial=synth.hidden, pinned=pinned, **SMALL)
    assert np.array_equal(res.timetable.period[pinned], synth.hidden.period[pinned])
    assert np.array_equal(res.timetable.room[pinned], synth.hidden.room[pinned])
    assert res.hard_violations == 0


def test_registered_as_a_strategy(tiny, warm):
    assert "ga" in STRATEGIES
    res = solve(tiny, strategy="ga", time_limit=60, seed=2, generations=1, **SMALL)
    assert res.strategy == "ga"
    assert np.array_equal(evaluate(tiny, res.timetable).units, res.report.units)


def test_bad_settings_are_reported(tiny):
    with pytest.raises(TimetableError, match="population must be at least 2"):
        solve_ga(tiny, time_limit=1, population=1)
    with pytest.raises(TimetableError, match="crossover must be one of"):
        solve_ga(tiny, time_limit=1, crossover="uniform")
    with pytest.raises(TimetableError, match="islands must be at least 1"):
        solve_ga(tiny, time_limit=1, islands=0)


@pytest.mark.slow
def test_two_islands_on_a_local_cluster(tiny, warm, frozen_heap):
    events = []
    res = solve_ga(tiny, time_limit=240, seed=5, islands=2, generations=4, migration_interval=1,
                   progress=events.append, **SMALL)
    assert res.stats["islands"] == 2
    assert res.stats["dask_cluster"] == "private LocalCluster"
    summaries = res.stats["island_summaries"]
    assert sorted(s["island"] for s in summaries) == [0, 1]
    assert all(s["generations"] == 4 for s in summaries)
    assert len({s["worker_pid"] for s in summaries}) == 2  # two processes
    assert res.stats["migrants_sent"] == 2 * 4 * 2
    assert res.stats["migrants_received"] > 0
    # a valid timetable, reported through the evaluator, the best of the islands
    rep = evaluate(tiny, res.timetable)
    assert rep.hard_violations == 0 and np.array_equal(rep.units, res.report.units)
    assert res.cost == min(s["soft"] for s in summaries)
    # one merged progress stream that heard from both islands
    assert any("2/2 islands reporting" in e.message for e in events)
    assert events[-1].best_cost == res.cost and events[-1].hard_violations == 0
    gaps = np.diff([0.0] + [e.elapsed for e in events])
    assert max(gaps) <= 1.0
    assert res.report.units[K.HARD_MASK].sum() == 0
