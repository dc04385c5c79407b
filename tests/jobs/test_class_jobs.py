"""Jobs on a class-based (ITC2019) scenario through the real runner on a two-worker LocalCluster:
the job solves the scenario's ClassProblem, reports the class evaluator's weighted total, saves a
class variant, stops on cancel with a partial one, and resumes from its checkpoint (time and room
options and the students' classes) after a lost worker.

The scenario is the class solver's warm-up problem (three classes, two students): it is solved at
once, and the search then runs to the time limit, so a job lasts what its limit says (1–5 s).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from waiting import wait_for

from tt_core import cli, store
from tt_core.classes import evaluate
from tt_core.cluster import on_each_worker
from tt_core.errors import TimetableError
from tt_core.jobs.runner import local_cluster
from tt_core.jobs.task import _warm_up
from tt_core.solvers.classes.warmup import tiny_problem, warm_up
from tt_core.synth import Recipe, generate


def _warm_classes() -> bool:
    return _warm_up("classes")


@pytest.fixture(scope="module")
def client():
    """A two-worker LocalCluster whose workers have loaded the class solver's numba code."""
    from distributed import Client

    cluster = local_cluster(n_workers=2)
    c = Client(cluster)
    try:
        warm_up()  # compile into numba's disk cache here; the workers then load it
        on_each_worker(c, _warm_classes)
        yield c
    finally:
        c.close()
        cluster.close()


@pytest.fixture
def db(tmp_path) -> Path:
    """A database with the class problem as scenario ``uni`` and the tiny university as ``tiny``."""
    path = tmp_path / "jobs.duckdb"
    with store.Store.open(path) as s:
        s.classes.import_problem(tiny_problem(), "uni")
        s.scenarios.import_problem(generate(Recipe.preset("tiny")).problem, "tiny")
    return path






def test_a_class_job_saves_a_class_variant_whose_evaluated_total_is_the_jobs_cost(make_runner):
    runner = make_runner()
    job_id = runner.submit("uni", time_limit=1.5, seed=3, name="first")  # no strategy: the family's default
    assert runner.wait(job_id, timeout=60) == "succeeded"
    job = runner.get_job(job_id)
    assert job["strategy"] == "classes" and job["attempts"] == 1 and job["variant_id"] is not None
    events = runner.events(job_id)
    assert events[0]["kind"] == "start" and "classes" in events[0]["message"]
    assert events[-1]["kind"] == "succeeded"
    solver = [e for e in events if e["kind"] == "progress" and e["stage"] != "warm-up"]
    assert len(solver) >= 3
    fractions = [e["fraction"] for e in solver]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)

    problem = runner.store.classes.load_problem("uni")
    solution, info = runner.store.classes.load_solution(job["variant_id"])
    assert info["job_id"] == job_id and not info["partial"] and not info["stale"]
    assert info["name"] == f"first (job {job_id})"
    report = evaluate(problem, solution)
    assert report.hard_violations == info["hard_violations"] == 0
    assert report.total == info["soft_cost"] == solver[-1]["best_cost"]
    assert f"total {report.total}" in job["message"]
    cp = job["checkpoint"]
    assert cp["soft_cost"] == report.total and cp["hard_violations"] == 0
    saved = runner.store.jobs.read_checkpoint(job_id)
    assert np.array_equal(saved["period"], solution.time) and np.array_equal(saved["room"], solution.room)
    assert np.array_equal(saved["student_classes"], solution.student_classes)

    # a job may start from that variant with a class pinned, under another student weight
    second = runner.submit("uni", "classes", time_limit=1.0, seed=4, initial_variant=job["variant_id"],
                           pinned=[1], weights={"student": 5})
    assert runner.wait(second, timeout=60) == "succeeded"
    assert runner.get_job(second)["params"]["weights"] == {"student": 5}
    again, info2 = runner.store.classes.load_solution(runner.get_job(second)["variant_id"])
    assert info2["parent_variant_id"] == job["variant_id"]
    assert (again.time[1], again.room[1]) == (solution.time[1], solution.room[1])


def test_settings_that_do_not_fit_a_class_scenario_are_refused_naming_it(db, make_runner):
    with store.Store.open(db) as s:  # a row another writer made with a curriculum strategy
        bad = s.jobs.create("uni", params={"strategy": "ga", "time_limit": 1})
    runner = make_runner()
    # it fails with the reason when the runner starts it
    assert runner.wait(bad, timeout=30) == "failed"
    assert "strategy 'ga' solves curriculum scenarios, but scenario 'uni'" in runner.get_job(bad)["message"]
    with pytest.raises(TimetableError, match=r"strategy 'local' solves curriculum scenarios, but scenario 'uni' "
                                             r"is class-based \(ITC2019\); choose one of: classes"):
        runner.submit("uni", "local", time_limit=1)
    with pytest.raises(TimetableError, match=r"strategy 'classes' solves class-based \(ITC2019\) scenarios, but "
                                             r"scenario 'tiny' is curriculum; choose one of: .*local"):
        runner.submit("tiny", "classes", time_limit=1)
    with pytest.raises(TimetableError, match=r"unknown weight\(s\) RoomCapacity .*'uni'"):
        runner.submit("uni", time_limit=1, weights={"RoomCapacity": 2})
    with pytest.raises(TimetableError, match="pinned classes need initial_variant"):
        runner.submit("uni", time_limit=1, pinned=[0])


def test_cancel_stops_a_class_job_and_keeps_a_partial_class_variant(make_runner):
    runner = make_runner()
    job_id = runner.submit("uni", time_limit=30, seed=1)
    wait_for(lambda: (runner.attempt(job_id) or {}).get("solving"), 30, "the solver's first event")
    t0 = time.monotonic()
    assert runner.cancel(job_id) == "cancelling"
    assert runner.wait(job_id, timeout=10) == "cancelled"
    print(f"cancel latency {(time.monotonic() - t0) * 1000:.0f} ms")
    job = runner.get_job(job_id)
    solution, info = runner.store.classes.load_solution(job["variant_id"])
    assert info["partial"] and info["name"] == f"job {job_id} (partial)"
    assert evaluate(runner.store.classes.load_problem("uni"), solution).total == info["soft_cost"]


def test_a_class_job_whose_worker_is_killed_resumes_from_its_checkpoint(make_runner, client):
    runner = make_runner(max_retries=2)
    job_id = runner.submit("uni", time_limit=4, seed=5)
    wait_for(lambda: (runner.attempt(job_id) or {}).get("checkpoint_elapsed", 0) > 0, 60, "a checkpoint")
    attempt = runner.attempt(job_id)
    cp = runner.store.jobs.read_checkpoint(job_id)
    assert cp["student_ptr"] is not None and len(cp["period"]) == 3
    os.kill(attempt["pid"], signal.SIGKILL)

    assert runner.wait(job_id, timeout=120) == "succeeded"
    job = runner.get_job(job_id)
    assert job["attempts"] == 2
    events = runner.events(job_id)
    starts = [e["message"] for e in events if e["kind"] == "start"]
    assert len(starts) == 2 and "resumes from the checkpoint" in starts[1]
    solution, info = runner.store.classes.load_solution(job["variant_id"])
    assert evaluate(runner.store.classes.load_problem("uni"), solution).total == info["soft_cost"]
    client.wait_for_workers(2, timeout=60)  # the nanny restarts the killed worker


def test_tt_jobs_submit_queues_a_class_job_that_tt_jobs_run_solves(db, client, capsys, monkeypatch):
    assert cli.main(["jobs", "submit", "uni", "--db", str(db), "--time-limit", "1", "--seed", "2"]) == 0
    assert "job 1 queued" in capsys.readouterr().out
    assert cli.main(["jobs", "submit", "uni", "--db", str(db), "--strategy", "cpsat"]) == 2
    assert "strategy 'cpsat' solves curriculum scenarios, but scenario 'uni'" in capsys.readouterr().err
    monkeypatch.setenv("TT_DASK_SCHEDULER", client.scheduler.address)
    assert cli.main(["jobs", "run", "--db", str(db), "--checkpoint-every", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "succeeded" in out and "classes" in out
    with store.Store.open(db) as s:
        job = s.jobs.get(1)
        _solution, info = s.classes.load_solution(job["variant_id"])
        assert job["status"] == "succeeded" and f"total {int(info['soft_cost'])}" in job["message"]
