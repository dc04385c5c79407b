"""The job runner (tt_core/jobs/runner.py) end to end: a real DuckDB file, a real two-worker Dask
LocalCluster; the ``tt jobs`` commands with and without a runner, and its control channel.

One cluster serves the whole module (it takes seconds to start and its workers compile the numba
kernels once). Jobs solve the tiny synthetic university with the simulated annealing in 0.5–6 s.
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from waiting import wait_for

from tt_core import cli, store
from tt_core.benchmark import warm_up
from tt_core.cluster import on_each_worker
from tt_core.cost import evaluate
from tt_core.errors import TimetableError
from tt_core.jobs.control import find_runner, side_file
from tt_core.jobs.runner import JobRunner, local_cluster, progress_bar
from tt_core.jobs.task import _warm_up
from tt_core.synth import Recipe, generate

REPO_ROOT = Path(__file__).resolve().parents[2]


def _first_jobs(c, folder: Path) -> None:
    """Two short jobs before the tests' own: a worker's first job compiles what the warm-up does not
    reach (numba specialises on the arrays a job passes), which on a fresh clone's empty cache and a
    busy machine takes longer than the tests' waits for a job's first events."""
    path = folder / "warm.duckdb"
    with store.Store.open(path) as s:
        s.scenarios.import_problem(generate(Recipe.preset("tiny")).problem, "tiny")
    runner = JobRunner(path, client=c, checkpoint_every=0.5, backoff=0.2, control=False)
    try:
        jobs = [runner.submit("tiny", "local", time_limit=1.0, seed=k) for k in range(2)]
        assert [runner.wait(j, timeout=900) for j in jobs] == ["succeeded", "succeeded"]
    finally:
        runner.close()


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """A two-worker LocalCluster (no Dask task retries, as the runner makes it) with warm workers."""
    from distributed import Client

    cluster = local_cluster(n_workers=2)
    c = Client(cluster)
    try:
        # compile the kernels into numba's disk cache here, then load them on each worker
        warm_up()
        on_each_worker(c, _warm_up)
        _first_jobs(c, tmp_path_factory.mktemp("warm"))
        yield c
    finally:
        c.close()
        cluster.close()


@pytest.fixture(scope="module")
def tiny():
    return generate(Recipe.preset("tiny")).problem


@pytest.fixture
def db(tmp_path, tiny) -> Path:
    """A database with the tiny university as scenario ``tiny``."""
    path = tmp_path / "jobs.duckdb"
    with store.Store.open(path) as s:
        s.scenarios.import_problem(tiny, "tiny")
    return path




def _variant(runner, variant_id):
    return runner.store.variants.load(variant_id, check_stale=False)


def _couriers() -> list[str]:
    """Run on a worker: the names of the job threads alive there."""
    return [t.name for t in threading.enumerate() if t.name.startswith("tt-job-")]




def _checkpoint_if_any(jobs, job_id: int):
    """The job's checkpoint summary; None while the job or its checkpoint does not exist yet."""
    try:
        return jobs.get_job(job_id)["checkpoint"]
    except TimetableError as exc:
        if f"no job {job_id}" in str(exc):
            return None
        raise


def test_submitted_job_succeeds_with_ordered_events_and_a_saved_variant(make_runner, tiny):
    progress, done = [], []
    runner = make_runner(on_progress=lambda j, ev: progress.append((j, ev)),
                         on_done=lambda j, s: done.append((j, s)))
    job_id = runner.submit("tiny", "local", time_limit=1.5, seed=3, name="first")
    assert runner.get_job(job_id)["status"] in ("queued", "running")
    assert runner.wait(job_id, timeout=60) == "succeeded"

    job = runner.get_job(job_id)
    assert job["attempts"] == 1 and job["name"] == "first" and job["variant_id"] is not None
    events = runner.events(job_id)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["kind"] == "start" and events[-1]["kind"] == "succeeded"
    solver = [e for e in events if e["kind"] == "progress" and e["stage"] != "warm-up"]
    assert len(solver) >= 4  # at least every 0.5 s over 1.5 s
    fractions = [e["fraction"] for e in solver]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    costs = [e["best_cost"] for e in solver]
    assert costs == sorted(costs, reverse=True)  # the best so far never gets worse
    # every progress event reached the subscriber, in the same order
    assert [ev["elapsed"] for _, ev in progress if ev["kind"] == "progress"] == \
           [e["elapsed"] for e in events if e["kind"] == "progress"]
    assert done == [(job_id, "succeeded")]

    timetable, info = _variant(runner, job["variant_id"])
    assert info["job_id"] == job_id and not info["partial"]
    assert timetable.n_unplaced == 0
    report = evaluate(tiny, timetable)
    assert report.hard_violations == info["hard_violations"] == 0
    assert report.soft_cost == info["soft_cost"] == costs[-1]
    cp = runner.get_job(job_id)["checkpoint"]
    assert cp is not None and cp["soft_cost"] == info["soft_cost"]
    # the watch helpers replay a finished job's events and end
    assert [e["seq"] for e in runner.watch(job_id)] == [e["seq"] for e in events]
    out = io.StringIO()
    assert progress_bar(runner, job_id, file=out) == "succeeded"
    assert "100/100" in out.getvalue() and f"cost {costs[-1]:g}" in out.getvalue()

    # a job may start from that variant with some lectures pinned, under other weights
    pinned = [0, 3, 7]
    second = runner.submit("tiny", "local", time_limit=0.5, seed=4, initial_variant=job["variant_id"],
                           pinned=pinned, weights={"RoomCapacity": 3})
    assert runner.wait(second, timeout=30) == "succeeded"
    assert runner.get_job(second)["params"]["weights"] == {"RoomCapacity": 3.0}
    again, _ = _variant(runner, runner.get_job(second)["variant_id"])
    assert np.array_equal(again.period[pinned], timetable.period[pinned])
    assert np.array_equal(again.room[pinned], timetable.room[pinned])


def test_cancel_stops_a_running_job_within_a_second_and_keeps_a_partial_variant(make_runner, tiny):
    runner = make_runner(max_concurrent=1)
    running = runner.submit("tiny", "local", time_limit=30, seed=1)
    waiting = runner.submit("tiny", "local", time_limit=30, seed=2)
    wait_for(lambda: (runner.attempt(running) or {}).get("solving"), 30, "the solver's first event")

    # a queued job leaves the queue at once and never runs
    assert runner.cancel(waiting) == "cancelled"
    assert runner.get_job(waiting)["status"] == "cancelled" and runner.get_job(waiting)["attempts"] == 0

    t0 = time.monotonic()
    assert runner.cancel(running) == "cancelling"
    assert runner.wait(running, timeout=5) == "cancelled"
    latency = time.monotonic() - t0
    print(f"cancel latency {latency * 1000:.0f} ms")
    assert latency < 1.0
    job = runner.get_job(running)
    timetable, info = _variant(runner, job["variant_id"])
    assert info["partial"] and info["job_id"] == running
    assert evaluate(tiny, timetable).soft_cost == info["soft_cost"]
    assert runner.active_jobs == [] and runner.get_job(waiting)["variant_id"] is None
    with pytest.raises(TimetableError, match="already ended"):
        runner.cancel(running)


def test_a_worker_killed_mid_job_is_retried_from_the_checkpoint(make_runner, client):
    runner = make_runner(max_retries=2)
    job_id = runner.submit("tiny", "local", time_limit=3, seed=5)
    wait_for(lambda: (runner.attempt(job_id) or {}).get("checkpoint_elapsed", 0) > 0, 30, "a checkpoint")
    attempt = runner.attempt(job_id)
    pids = client.run(os.getpid)
    assert pids[attempt["worker"]] == attempt["pid"]
    os.kill(attempt["pid"], signal.SIGKILL)

    assert runner.wait(job_id, timeout=90) == "succeeded"
    job = runner.get_job(job_id)
    assert job["attempts"] == 2
    events = runner.events(job_id)
    retry = [e for e in events if e["kind"] == "retry"]
    assert len(retry) == 1 and "KilledWorker" in retry[0]["message"] and "retry 1 of 2" in retry[0]["message"]
    starts = [e["message"] for e in events if e["kind"] == "start"]
    assert len(starts) == 2 and "resumes from the checkpoint" in starts[1]
    # the resumed attempt continues the job's clock instead of starting again at 0
    after = events[events.index(retry[0]) + 1:]
    first_solver = next(e for e in after if e["kind"] == "progress" and e["stage"] != "warm-up")
    assert first_solver["elapsed"] >= attempt["checkpoint_elapsed"]
    client.wait_for_workers(2, timeout=60)  # the nanny restarts the killed worker


def test_a_job_whose_worker_dies_more_often_than_allowed_fails_with_the_reason(make_runner, client):
    runner = make_runner(max_retries=0, memory_limit="8GiB")
    job_id = runner.submit("tiny", "local", time_limit=3, seed=6)
    wait_for(lambda: (runner.attempt(job_id) or {}).get("pid"), 30, "the worker's pid")
    os.kill(runner.attempt(job_id)["pid"], signal.SIGKILL)
    assert runner.wait(job_id, timeout=30) == "failed"
    message = runner.get_job(job_id)["message"]
    assert message.startswith("its worker died 1 time (last: KilledWorker")
    assert "gave up after 0 retries" in message and "memory limit of 8192 MiB" in message
    client.wait_for_workers(2, timeout=60)


def test_killed_runner_leaves_an_interrupted_job_that_retry_resumes(db, client, make_runner, tmp_path):
    env = dict(os.environ, TT_DASK_SCHEDULER=client.scheduler.address)
    log = open(tmp_path / "runner.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tt_core.cli", "jobs", "submit", "tiny", "--db", str(db), "--strategy", "local",
         "--time-limit", "8", "--seed", "7", "--checkpoint-every", "0.5", "--wait"],  # outlives the kill
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        # the runner in the other process owns the database: talk to it over its control channel
        remote = wait_for(lambda: find_runner(db), 60, "the runner's control channel", poll=0.2)
        assert remote.pid == proc.pid
        # the channel comes up before `submit` writes the job: wait for the job's checkpoint itself
        cp = wait_for(lambda: _checkpoint_if_any(remote, 1), 60, "job 1 and its first checkpoint", poll=0.1)
        assert [j["id"] for j in remote.list_jobs()] == [1]
        proc.kill()
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
    assert find_runner(db) is None and not side_file(db).exists()  # stale side file removed
    # its task lives on in the shared cluster until a new runner recovers the job and stops it
    assert any(client.run(_couriers).values())

    runner = make_runner()
    assert runner.recovered == [(1, 1)]
    wait_for(lambda: not any(client.run(_couriers).values()), 5, "the dead runner's task to stop", poll=0.1)
    job = runner.get_job(1)
    assert job["status"] == "interrupted" and "checkpoint" in job["message"]
    kept = job["checkpoint"]
    assert kept is not None and kept["elapsed"] >= cp["elapsed"]
    assert runner.retry(1) == "queued"
    assert runner.wait(1, timeout=60) == "succeeded"
    events = runner.events(1)
    resumed = [e for e in events if e["kind"] == "start"][-1]
    assert f"resumes from the checkpoint at {kept['elapsed']:.1f} s" in resumed["message"]
    i = events.index(resumed)
    first_solver = next(e for e in events[i:] if e["kind"] == "progress" and e["stage"] != "warm-up")
    # starts from the checkpoint: its clock continues and its first best is no worse than the checkpoint
    assert first_solver["elapsed"] >= kept["elapsed"]
    assert first_solver["best_cost"] <= kept["soft_cost"]
    assert runner.get_job(1)["attempts"] == 2


def test_twenty_jobs_with_two_at_a_time_all_end(make_runner):
    runner = make_runner(max_concurrent=2)
    seen_active = []
    errors = []
    stop = threading.Event()

    def read_while_running():  # another thread reading the database while the runner writes
        while not stop.is_set():
            try:
                runner.list_jobs(limit=5)
                seen_active.append(len(runner.active_jobs))
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)
            time.sleep(0.02)

    reader = threading.Thread(target=read_while_running)
    reader.start()
    t0 = time.monotonic()
    try:
        ids = [runner.submit("tiny", "local", time_limit=0.5, seed=i) for i in range(20)]
        runner.wait_all(timeout=120)
    finally:
        stop.set()
        reader.join()
    elapsed = time.monotonic() - t0
    print(f"20 jobs of 0.5 s on 2 workers: {elapsed:.1f} s, {20 / elapsed:.2f} jobs/s")
    assert errors == []
    assert max(seen_active) == 2
    jobs = {j["id"]: j for j in runner.list_jobs()}
    assert sorted(jobs) == sorted(ids)
    assert {j["status"] for j in jobs.values()} == {"succeeded"}
    assert len({j["variant_id"] for j in jobs.values()}) == 20
    # never more than two running at once, by the persisted start and end times
    moments = sorted([(j["started_at"], 1) for j in jobs.values()] + [(j["finished_at"], -1) for j in jobs.values()],
                     key=lambda m: (m[0], m[1]))
    running = peak = 0
    for _, step in moments:
        running += step
        peak = max(peak, running)
    assert peak <= 2


def test_impossible_settings_are_refused_with_a_clear_message(make_runner):
    runner = make_runner()
    with pytest.raises(TimetableError, match=r"unknown strategy 'quantum'; choose one of: .*local"):
        runner.submit("tiny", "quantum", time_limit=1)
    with pytest.raises(TimetableError, match="time limit must be a positive number of seconds, got -5"):
        runner.submit("tiny", "local", time_limit=-5)
    with pytest.raises(TimetableError, match="unknown scenario 'spring'; known: tiny"):
        runner.submit("spring", "local", time_limit=1)
    with pytest.raises(TimetableError, match="pinned lectures need initial_variant"):
        runner.submit("tiny", "local", time_limit=1, pinned=[0, 1])
    with pytest.raises(TimetableError, match="Happiness"):
        runner.submit("tiny", "local", time_limit=1, weights={"Happiness": 2})
    with pytest.raises(TimetableError, match="no variant 99"):
        runner.submit("tiny", "local", time_limit=1, initial_variant=99)
    assert runner.list_jobs() == []
    with pytest.raises(TimetableError, match="no job 5"):
        runner.cancel(5)


def test_bad_rows_written_by_others_fail_with_the_reason(db, make_runner):
    with store.Store.open(db) as s:  # e.g. an app that wrote the row itself, without the runner's checks
        bad_limit = s.jobs.create("tiny", params={"strategy": "local", "time_limit": -1})
        bad_strategy = s.jobs.create("tiny", params={"strategy": "quantum", "time_limit": 1})
        bad_weights = s.jobs.create("tiny", params={"strategy": "local", "time_limit": 1, "weights": {"Happiness": 1}})
    runner = make_runner()
    assert runner.wait(bad_limit, timeout=30) == "failed"
    assert runner.wait(bad_strategy, timeout=30) == "failed"
    assert "time limit must be a positive number" in runner.get_job(bad_limit)["message"]
    assert "unknown strategy 'quantum'" in runner.get_job(bad_strategy)["error"]
    # caught by the solver on the worker: the job fails with its message, without retries
    assert runner.wait(bad_weights, timeout=30) == "failed"
    job = runner.get_job(bad_weights)
    assert "Happiness" in job["message"] and job["attempts"] == 1
    assert not [e for e in runner.events(bad_weights) if e["kind"] == "retry"]
    assert runner.retry(bad_limit) == "queued"  # a failed job may be retried; it fails again
    assert runner.wait(bad_limit, timeout=30) == "failed"
    assert runner.get_job(bad_limit)["attempts"] == 0  # it never reached a worker


def test_memory_limit_stops_the_job_with_the_reason_and_keeps_its_best(make_runner, tiny):
    runner = make_runner(memory_limit="64MiB")  # a worker process alone is larger than that
    job_id = runner.submit("tiny", "local", time_limit=20)
    assert runner.wait(job_id, timeout=30) == "failed"
    job = runner.get_job(job_id)
    assert "memory limit" in job["message"] and "64 MiB" in job["message"]
    timetable, info = _variant(runner, job["variant_id"])
    assert info["partial"] and timetable.period.shape == (tiny.n_lectures,)


def test_close_interrupts_running_jobs_keeping_their_best(make_runner):
    runner = make_runner()
    job_id = runner.submit("tiny", "local", time_limit=30)
    wait_for(lambda: (runner.attempt(job_id) or {}).get("solving"), 30, "the solver's first event")
    runner.close()
    with store.Store.open(runner.db_path) as s:
        job = s.jobs.get(job_id)
        assert job["status"] == "interrupted" and "retry resumes it" in job["message"]
        assert s.variants.load(job["variant_id"], check_stale=False)[1]["partial"]
        assert s.jobs.read_checkpoint(job_id) is not None


def test_cli_without_a_runner_queues_lists_cancels_and_retries(db, capsys):
    assert cli.main(["jobs", "submit", "tiny", "--db", str(db), "--time-limit", "2", "--strategy", "local"]) == 0
    assert "job 1 queued; no runner is active" in capsys.readouterr().out
    assert cli.main(["jobs", "list", "--db", str(db)]) == 0
    assert "queued" in capsys.readouterr().out
    assert cli.main(["jobs", "cancel", "1", "--db", str(db)]) == 0
    assert "job 1: cancelled" in capsys.readouterr().out
    assert cli.main(["jobs", "retry", "1", "--db", str(db)]) == 0
    assert "job 1 queued again" in capsys.readouterr().out
    assert cli.main(["jobs", "show", "1", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "status: queued" in out and "retry requested" in out
    with store.Store.open(db, read_only=True) as s:
        log = s.audit_log()
    assert log[["action", "target"]].values.tolist()[:3] == [["retry job", "job 1"], ["cancel job", "job 1"],
                                                             ["start job", "job 1"]]
    assert cli.main(["jobs", "submit", "nowhere", "--db", str(db)]) == 2
    assert "unknown scenario 'nowhere'" in capsys.readouterr().err


def test_cli_run_works_off_the_queue_on_the_cluster_of_tt_dask_scheduler(db, client, capsys, monkeypatch):
    for seed in (1, 2):
        assert cli.main(["jobs", "submit", "tiny", "--db", str(db), "--time-limit", "0.5", "--seed", str(seed)]) == 0
    monkeypatch.setenv("TT_DASK_SCHEDULER", client.scheduler.address)
    assert cli.main(["jobs", "run", "--db", str(db), "--checkpoint-every", "0.5"]) == 0
    captured = capsys.readouterr()
    assert "job runner: " in captured.err and "2 job(s) queued" in captured.err
    lines = [line.split() for line in captured.out.splitlines() if "succeeded" in line]
    assert [(line[0], line[1]) for line in lines] == [("1", "succeeded"), ("2", "succeeded")]
    with store.Store.open(db) as s:
        assert [j["status"] for j in s.jobs.list()] == ["succeeded", "succeeded"]


def test_a_stop_removes_the_control_channel_before_waiting_for_running_jobs(make_runner, db, monkeypatch):
    """Ctrl-C on `tt jobs run`: other commands stop finding the runner at once, not only after its
    running jobs have handed back their timetables (a CI run killed a runner still serving then)."""
    runner = make_runner(control=True)
    job_id = runner.submit("tiny", "local", time_limit=30)
    wait_for(lambda: (runner.attempt(job_id) or {}).get("solving"), 30, "the solver's first event")
    seen = []
    set_stop = runner._dispatch.set_stop
    monkeypatch.setattr(runner._dispatch, "set_stop", lambda a: (seen.append(side_file(db).exists()), set_stop(a)))
    runner.close()
    assert seen == [False] and find_runner(db) is None
    with store.Store.open(db) as s:
        assert s.jobs.get(job_id)["status"] == "interrupted"


def _hold_submits(runner, monkeypatch, *, then_fail: bool = False):
    """Make the runner's hand-over to Dask wait (as on a worker busy compiling) until the returned
    event is set; returns ``(entered, release)``."""
    entered, release = threading.Event(), threading.Event()
    submit = runner._dispatch.submit

    def held(*args):
        entered.set()
        release.wait(60)
        if then_fail:
            raise ConnectionError("the scheduler went away")
        return submit(*args)

    monkeypatch.setattr(runner._dispatch, "submit", held)
    return entered, release


def test_a_cancel_while_the_job_is_handed_to_dask_answers_at_once_and_stops_it(make_runner, monkeypatch):
    runner = make_runner()
    entered, release = _hold_submits(runner, monkeypatch)
    job_id = runner.submit("tiny", "local", time_limit=30)
    assert entered.wait(30)
    t0 = time.monotonic()
    assert runner.cancel(job_id) == "cancelling"  # the runner's lock is not held across the hand-over
    assert runner.get_job(job_id)["status"] == "running"
    assert time.monotonic() - t0 < 5
    release.set()
    assert runner.wait(job_id, timeout=60) == "cancelled"
    assert any(e["message"] == "cancel requested" for e in runner.events(job_id))


def test_a_job_cancelled_while_the_one_before_it_starts_does_not_start(make_runner, monkeypatch):
    runner = make_runner(max_concurrent=2)
    entered, release = _hold_submits(runner, monkeypatch)
    with runner._lock:  # the runner's next round sees both
        first = runner.submit("tiny", "local", time_limit=0.5)
        second = runner.submit("tiny", "local", time_limit=0.5)
    assert entered.wait(30)
    assert runner.cancel(second) in ("cancelled", "cancelling")
    release.set()
    assert runner.wait(first, timeout=60) == "succeeded"
    assert runner.wait(second, timeout=60) == "cancelled"
    assert not any(e["kind"] == "start" for e in runner.events(second))


def test_a_stop_while_a_job_is_handed_to_dask_ends_promptly_and_marks_it_interrupted(make_runner, db, monkeypatch):
    runner = make_runner(control=True)
    entered, release = _hold_submits(runner, monkeypatch, then_fail=True)
    job_id = runner.submit("tiny", "local", time_limit=30)
    assert entered.wait(30)
    t0 = time.monotonic()
    runner.close(timeout=1)
    assert time.monotonic() - t0 < 10 and find_runner(db) is None
    release.set()  # the hand-over fails after the runner closed: nothing more is written
    runner._thread.join(30)
    assert not runner._thread.is_alive()
    with store.Store.open(db) as s:
        job = s.jobs.get(job_id)
    assert job["status"] == "interrupted" and "while the job was starting" in job["message"]


def test_cli_talks_to_the_runner_that_holds_the_database(make_runner, db, capsys):
    runner = make_runner(control=True)
    assert find_runner(db) is not None
    assert cli.main(["jobs", "submit", "tiny", "--db", str(db), "--time-limit", "0.5", "--strategy", "local"]) == 0
    assert f"job 1 queued on the runner (pid {os.getpid()})" in capsys.readouterr().out
    assert runner.wait(1, timeout=30) == "succeeded"
    assert cli.main(["jobs", "list", "--db", str(db)]) == 0
    assert "succeeded" in capsys.readouterr().out
    assert cli.main(["jobs", "watch", "1", "--db", str(db)]) == 0
    captured = capsys.readouterr()
    assert "job 1 succeeded: saved variant" in captured.out
    assert cli.main(["jobs", "cancel", "1", "--db", str(db)]) == 2
    assert "already ended (succeeded)" in capsys.readouterr().err
    assert cli.main(["jobs", "retry", "1", "--db", str(db)]) == 2  # a succeeded job is not retried
    capsys.readouterr()
    assert cli.main(["jobs", "submit", "tiny", "--db", str(db), "--time-limit", "30", "--strategy", "local"]) == 0
    assert cli.main(["jobs", "cancel", "2", "--db", str(db)]) == 0
    assert re.search(r"job 2: cancel(led|ling)", capsys.readouterr().out)  # queued / already running
    assert runner.wait(2, timeout=30) == "cancelled"
    log = runner.store.audit_log()
    assert log[["action", "target"]].values.tolist()[0] == ["cancel job", "job 2"]
    assert log["detail"].iloc[0]["via"] == "command line"
    runner.close()
    assert find_runner(db) is None
