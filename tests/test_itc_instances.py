"""The evaluator on the seven public ITC2007 track 3 instances (``../shared/itc2007``).

Each instance parses; random and perturbed timetables score the same in the numba kernels and the
plain-Python oracle; each public solution scores exactly the cost in its file name with no hard
violation, in the full kernel, the oracle and the incremental evaluator alike.
"""

from __future__ import annotations

import numpy as np
import pytest
from reference import reference_units

from tt_core import constraints as K
from tt_core.cost import evaluate
from tt_core.io.itc2007 import read_ctt, read_sol
from tt_core.kernels.incremental import IncrementalEvaluator
from tt_core.model import Problem, Timetable

INSTANCES = [f"comp0{i}" for i in range(1, 8)]


def random_timetable(problem: Problem, rng: np.random.Generator, unplaced: float = 0.05) -> Timetable:
    L = problem.n_lectures
    period = rng.integers(0, problem.n_periods, L)
    room = rng.integers(0, problem.n_rooms, L)
    period[rng.random(L) < unplaced] = -1
    return Timetable(period, room)


def lectures_in_file(path) -> int:
    """Total lectures, summed straight from the ``COURSES:`` section (independent of the reader)."""
    lines = path.read_text().splitlines()
    start = lines.index("COURSES:") + 1
    total = 0
    for line in lines[start:]:
        if not line.strip():
            break
        total += int(line.split()[2])
    return total


@pytest.mark.parametrize("name", INSTANCES)
def test_instance_parses_in_itc_mode(name, itc_instance):
    path = itc_instance(name)
    pb = read_ctt(path)
    assert pb.is_itc
    assert pb.n_lectures == lectures_in_file(path)
    assert pb.course_length.tolist() == [1] * pb.n_courses


@pytest.mark.parametrize("name", INSTANCES)
def test_random_timetables_agree_with_the_reference(name, itc_instance):
    pb = read_ctt(itc_instance(name))
    rng = np.random.default_rng(20070 + int(name[-2:]))
    for _ in range(3):
        tt = random_timetable(pb, rng)
        units = evaluate(pb, tt).units
        assert units.tolist() == reference_units(pb, tt)
        assert units[K.LECTURES] > 0 and units[K.CONFLICTS] > 0  # random timetables break rules
        assert IncrementalEvaluator(pb, tt).units.tolist() == units.tolist()


@pytest.mark.parametrize("name", INSTANCES)
def test_public_solution_scores_its_cost(name, itc_instance, itc_solution):
    pb = read_ctt(itc_instance(name))
    path, cost = itc_solution(name)
    tt = read_sol(pb, path)
    report = evaluate(pb, tt)
    assert report.hard_violations == 0
    assert report.soft_cost == cost
    assert reference_units(pb, tt) == report.units.tolist()
    assert IncrementalEvaluator(pb, tt).units.tolist() == report.units.tolist()
    assert sum(v.units * report.weights[v.constraint] for v in report.explain()) == cost


@pytest.mark.parametrize("name", INSTANCES)
def test_perturbed_solution_agrees_with_the_reference(name, itc_instance, itc_solution):
    """Near-feasible timetables: a few lectures of a good solution moved at random."""
    pb = read_ctt(itc_instance(name))
    tt = read_sol(pb, itc_solution(name)[0])
    rng = np.random.default_rng(7 + int(name[-2:]))
    for _ in range(3):
        bad = tt.copy()
        moved = rng.choice(pb.n_lectures, 10, replace=False)
        bad.period[moved] = rng.integers(0, pb.n_periods, len(moved))
        bad.room[moved] = rng.integers(0, pb.n_rooms, len(moved))
        assert evaluate(pb, bad).units.tolist() == reference_units(pb, bad)
