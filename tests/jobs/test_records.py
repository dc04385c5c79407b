"""What the runner writes (tt_core/jobs/records.py): a job's end is one transaction — a crash between
saving its variant and ending the job leaves no variant, a final status is never seen without its
last event, a retry puts the job back with its event or not at all."""

from __future__ import annotations

import numpy as np
import pytest
from faults import Injected, read_elsewhere

from tt_core.jobs.api import OfflineJobs, watch_events
from tt_core.jobs.records import JobRecords
from tt_core.store import FINAL, Store
from tt_core.store.jobs import JobRepository
from tt_core.synth import Recipe, generate


@pytest.fixture(scope="module")
def tiny():
    return generate(Recipe.preset("tiny"))


@pytest.fixture
def db(tiny, tmp_path):
    with Store.open(tmp_path / "t.duckdb") as store:
        store.scenarios.import_problem(tiny.problem, "tiny")
        yield store


def _running_job(db):
    job = db.jobs.create("tiny", params={"strategy": "local", "time_limit": 1})
    db.jobs.start_attempt(job)
    return job


def _summary(tiny):
    return {"period": tiny.hidden.period.tolist(), "room": tiny.hidden.room.tolist(), "soft_cost": 5.0,
            "hard_violations": 0, "elapsed_total": 1.0}


def _crash_when_the_job_ends(monkeypatch) -> None:
    """The runner dies as it marks the job succeeded, after everything before it in the transaction."""
    original = JobRepository.update_status

    def crash_on_the_end(self, job_id, status, **kwargs):
        if status == "succeeded":
            raise Injected("the runner died here")
        return original(self, job_id, status, **kwargs)

    monkeypatch.setattr(JobRepository, "update_status", crash_on_the_end)


def test_a_crash_between_saving_the_variant_and_ending_the_job_leaves_no_variant(db, tiny, monkeypatch):
    job = _running_job(db)
    records = JobRecords(db)
    _crash_when_the_job_ends(monkeypatch)
    with pytest.raises(Injected):
        records.finish_with_result(job, tiny.problem, _summary(tiny), partial=False,
                                   outcome=lambda what: ("succeeded", f"saved {what}"))
    assert db.variants.list("tiny") == []
    assert db.jobs.get(job)["status"] == "running" and db.jobs.read_checkpoint(job) is None
    monkeypatch.undo()
    # the retried end (a new runner recovering the job) saves exactly one variant
    status, _, vid = records.finish_with_result(job, tiny.problem, _summary(tiny), partial=False,
                                                outcome=lambda what: ("succeeded", f"saved {what}"))
    assert status == "succeeded" and [v["id"] for v in db.variants.list("tiny")] == [vid]
    assert db.jobs.get(job)["variant_id"] == vid


def test_a_final_status_is_never_seen_without_its_last_event(db, monkeypatch):
    job = _running_job(db)
    original = JobRepository.append_events

    def crash_writing_the_event(self, job_id, events):
        if any(e.get("kind") == "failed" for e in events):
            raise Injected("disk full")
        return original(self, job_id, events)

    monkeypatch.setattr(JobRepository, "append_events", crash_writing_the_event)
    with pytest.raises(Injected):
        JobRecords(db).finish(job, "failed", "the solver crashed")
    assert db.jobs.get(job)["status"] == "running"  # no final status without its event
    monkeypatch.undo()
    JobRecords(db).finish(job, "failed", "the solver crashed")
    assert db.jobs.get(job)["status"] == "failed"
    assert db.jobs.events(job)[-1]["kind"] == "failed"


def test_retry_puts_the_job_back_with_its_event_or_not_at_all(db, monkeypatch):
    from tt_core.jobs.api import requeue_job

    job = _running_job(db)
    db.jobs.update_status(job, "failed", message="boom")
    monkeypatch.setattr(JobRepository, "append_events", lambda self, job_id, events: (_ for _ in ()).throw(Injected()))
    with pytest.raises(Injected):
        requeue_job(db, job)
    assert db.jobs.get(job)["status"] == "failed"


def test_a_poller_sees_the_last_event_whenever_it_sees_the_final_status(db, monkeypatch):
    job = _running_job(db)
    db.jobs.append_events(job, [{"kind": "progress", "stage": "anneal", "fraction": 0.5}])
    original = JobRepository.append_events
    polled = []

    def poll_while_the_last_event_is_written(self, job_id, events):
        if any(e.get("kind") == "failed" for e in events):
            # another session polls (as `tt jobs watch` does) just before the last event is written
            polled.append(read_elsewhere(lambda: (db.jobs.get(job)["status"],
                                                   [e["kind"] for e in db.jobs.events(job)])))
        return original(self, job_id, events)

    monkeypatch.setattr(JobRepository, "append_events", poll_while_the_last_event_is_written)
    JobRecords(db).finish(job, "failed", "the solver crashed")
    (status, kinds), = polled
    assert status not in FINAL or kinds[-1] == "failed"  # never the final status without its event
    assert status == "running" and kinds == ["progress"]  # the end is not visible before it is whole
    monkeypatch.undo()
    seen = list(watch_events(OfflineJobs(db), job, poll=0.01))
    assert [e["kind"] for e in seen] == ["progress", "failed"]



def test_a_crash_between_saving_a_class_variant_and_ending_the_job_leaves_no_variant(tmp_path, monkeypatch):
    from tt_core.classes import evaluate
    from tt_core.classes.model import ClassSolution
    from tt_core.solvers.classes.warmup import tiny_problem

    problem = tiny_problem()
    solution = ClassSolution.create(problem, [0, 0, 1], students=[[0, 1], [0, 2]])
    summary = {"period": solution.time.tolist(), "room": solution.room.tolist(),
               "student_ptr": solution.student_ptr.tolist(), "student_classes": solution.student_classes.tolist(),
               "soft_cost": -1.0, "hard_violations": 0, "elapsed_total": 1.0}  # the runner evaluates it again
    with Store.open(tmp_path / "c.duckdb") as db:
        db.classes.import_problem(problem, "uni")
        job = db.jobs.create("uni", params={"strategy": "classes", "time_limit": 1})
        db.jobs.start_attempt(job)
        records = JobRecords(db)
        _crash_when_the_job_ends(monkeypatch)
        with pytest.raises(Injected):
            records.finish_with_result(job, problem, summary, partial=False,
                                       outcome=lambda what: ("succeeded", f"saved {what}"))
        assert db.variants.list("uni") == []
        assert db.jobs.get(job)["status"] == "running" and db.jobs.read_checkpoint(job) is None
        monkeypatch.undo()
        status, message, vid = records.finish_with_result(job, problem, summary, partial=False,
                                                          outcome=lambda what: ("succeeded", f"saved {what}"))
        total = evaluate(problem, solution).total
        assert status == "succeeded" and [v["id"] for v in db.variants.list("uni")] == [vid]
        assert f"total {total}, 0 hard violation(s)" in message
        saved, info = db.classes.load_solution(vid)
        assert info["soft_cost"] == total and info["job_id"] == job and db.jobs.get(job)["variant_id"] == vid
        assert np.array_equal(saved.student_classes, solution.student_classes)
        cp = db.jobs.read_checkpoint(job)
        assert cp["soft_cost"] == total and np.array_equal(cp["student_ptr"], solution.student_ptr)
