"""Weight-profile sweeps (tt_core.sweep): profile expansion, one run, the Dask map, the Pareto front."""

from __future__ import annotations

import multiprocessing

import numpy as np
import pandas as pd
import pytest

from tt_core import constraints as K
from tt_core.cost import evaluate
from tt_core.errors import TimetableError
from tt_core.sweep import META_COLUMNS, pareto_front, profile_weights, run_profile, sweep
from tt_core.synth import Recipe, generate


@pytest.fixture(scope="module")
def tiny():
    return generate(Recipe.preset("tiny")).problem


# ----------------------------------------------------------------------------- profiles
def test_profile_weights_expand_dimensions_and_keep_defaults():
    w = profile_weights({"teacher": 4, "RoomStability": 3})
    soft = [c for c in K.CONSTRAINTS if not c.hard]
    assert list(w) == [c.name for c in soft]
    assert w["TeacherPreference"] == 4 and w["TeacherDailyLoad"] == 4  # the "teacher" dimension
    assert w["RoomStability"] == 3
    assert w["MinWorkingDays"] == 5 and w["CurriculumCompactness"] == 2 and w["RoomCapacity"] == 1


def test_profile_weights_constraint_beats_its_dimension():
    w = profile_weights({"room": 7, "RoomCapacity": 2})
    assert w["RoomStability"] == 7 and w["RoomCapacity"] == 2


def test_profile_weights_ignore_hard_names():
    assert profile_weights({"Conflicts": 100}) == profile_weights({})


@pytest.mark.parametrize("profile, words", [
    ({"NoSuchThing": 1}, "NoSuchThing"),
    ({"RoomStability": -1}, "RoomStability=-1"),
    ({"RoomStability": "high"}, "RoomStability='high'"),
    ({"RoomStability": float("nan")}, "RoomStability=nan"),
])
def test_profile_weights_refuse_bad_profiles(profile, words):
    with pytest.raises(TimetableError, match=words):
        profile_weights(profile)


# ----------------------------------------------------------------------------- one run
def test_run_profile_reports_the_real_result(tiny):
    profile = {"CurriculumCompactness": 5, "teacher": 3}
    row = run_profile(tiny, profile, seed=3, time_limit=1.0, profile="p")
    assert row["profile"] == "p" and row["seed"] == 3 and row["strategy"] == "local" and row["time_limit"] == 1.0
    tt = row["timetable"]
    weights = profile_weights(profile)
    assert row["weights"] == weights
    # every number is the evaluator's verdict on the returned timetable
    again = evaluate(tiny, tt, weights)
    assert [row[n] for n in K.NAMES] == again.units.tolist()
    assert row["hard"] == again.hard_violations == 0
    assert row["soft_cost"] == pytest.approx(sum(row[n] * w for n, w in weights.items()))
    assert row["default_cost"] == evaluate(tiny, tt).soft_cost
    assert row["elapsed"] > 0


# ----------------------------------------------------------------------------- the sweep on Dask
@pytest.mark.slow
def test_sweep_on_a_private_local_cluster(tiny, monkeypatch):
    monkeypatch.delenv("TT_DASK_SCHEDULER", raising=False)
    profiles = {"default": {}, "teachers": {"TeacherPreference": 10, "TeacherDailyLoad": 10}}
    seen = []
    before = set(multiprocessing.active_children())
    table = sweep(tiny, profiles, [4, 1], 1.0, progress=seen.append)
    # the private cluster's worker processes are gone
    assert set(multiprocessing.active_children()) <= before
    assert list(table.columns) == [*META_COLUMNS, *K.NAMES, "weights", "timetable"]
    assert list(zip(table["profile"], table["seed"])) == [("default", 4), ("default", 1),
                                                         ("teachers", 4), ("teachers", 1)]
    assert sorted((r["profile"], r["seed"]) for r in seen) == sorted(zip(table["profile"], table["seed"]))
    for _, row in table.iterrows():
        assert row["weights"] == profile_weights(profiles[row["profile"]])
        report = evaluate(tiny, row["timetable"], row["weights"])
        assert [row[n] for n in K.NAMES] == report.units.tolist()
        assert row["hard"] == report.hard_violations == 0
        assert row["soft_cost"] == pytest.approx(report.soft_cost)
        assert row["time_limit"] == 1.0 and row["strategy"] == "local"


def test_sweep_uses_the_given_client_and_leaves_it_open(tiny):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None,
                                  scheduler_kwargs={"dashboard_address": ":0"}) as cluster, \
            distributed.Client(cluster) as client:
        table = sweep(tiny, {"rooms": {"room": 4}}, [0], 0.5, client=client, warm_up=False)
        assert client.status == "running" and client.run(lambda: 1)  # still open and usable
    assert len(table) == 1 and table["profile"].iloc[0] == "rooms"
    assert table["weights"].iloc[0]["RoomStability"] == 4 and table["weights"].iloc[0]["RoomCapacity"] == 4


@pytest.mark.parametrize("kwargs, words", [
    (dict(profiles={}), "at least one weight profile"),
    (dict(seeds=[]), "at least one seed"),
    (dict(seeds=[1, 1]), "must differ"),
    (dict(strategy="magic"), "unknown strategy 'magic'"),
    (dict(time_limit=0), "time limit"),
    (dict(profiles={"bad": {"Nope": 1}}), "weight profile 'bad'.*Nope"),
])
def test_sweep_refuses_bad_input_before_starting_anything(tiny, kwargs, words, monkeypatch):
    # an unreachable scheduler: reaching it would fail differently, so the check comes first
    monkeypatch.setenv("TT_DASK_SCHEDULER", "tcp://127.0.0.1:9")
    args = dict(profiles={"a": {}}, seeds=[0], time_limit=1.0)
    args.update(kwargs)
    strategy = args.pop("strategy", "local")
    with pytest.raises(TimetableError, match=words):
        sweep(tiny, args["profiles"], args["seeds"], args["time_limit"], strategy=strategy)


# ----------------------------------------------------------------------------- Pareto front
def _brute_force_front(values: np.ndarray, feasible: np.ndarray) -> list[bool]:
    out = []
    for i, v in enumerate(values):
        if not feasible[i]:
            out.append(False)
            continue
        out.append(not any(feasible[j] and all(values[j] <= v) and any(values[j] < v)
                           for j in range(len(values)) if j != i))
    return out


def test_pareto_front_by_hand():
    table = pd.DataFrame({
        "a": [1, 2, 3, 2, 1, 0],
        "b": [3, 2, 1, 3, 3, 0],
        "hard": [0, 0, 0, 0, 0, 2],
    })
    # row 3 (2, 3) is dominated by row 1 (2, 2); rows 0 and 4 tie and do not dominate each other;
    # row 5 (0, 0) would dominate everything but is infeasible
    assert pareto_front(table, ["a", "b"]).tolist() == [True, True, True, False, True, False]
    assert pareto_front(table, ["a", "b"], feasible_only=False).tolist() == [False] * 5 + [True]
    assert pareto_front(table, ["a"]).tolist() == [True, False, False, False, True, False]


def test_pareto_front_matches_brute_force():
    rng = np.random.default_rng(7)
    for _ in range(30):
        n = int(rng.integers(1, 25))
        values = rng.integers(0, 6, size=(n, 3))
        hard = (rng.random(n) < 0.2).astype(int)
        table = pd.DataFrame(values, columns=["x", "y", "z"]).assign(hard=hard)
        assert pareto_front(table, ["x", "y", "z"]).tolist() == _brute_force_front(values, hard == 0)


def test_pareto_front_refuses_unknown_columns():
    table = pd.DataFrame({"a": [1]})
    with pytest.raises(TimetableError, match="no column 'b'"):
        pareto_front(table, ["a", "b"])
    with pytest.raises(TimetableError, match="at least one objective"):
        pareto_front(table, [])
