"""The job repository (tt_core/store/jobs.py): life cycle, events, checkpoints, a job's result as a
variant, and the errors of writes the life cycle does not allow."""

from __future__ import annotations

import numpy as np
import pytest
from data_samples import rich_problem, rich_timetable
from store_samples import db, rich_db  # noqa: F401 - fixtures

from tt_core import store as store_module
from tt_core.errors import TimetableError
from tt_core.store import JobStateError


def test_job_life_cycle_events_and_checkpoints(rich_db):
    job = rich_db.jobs.create("rich", params={"strategy": "local", "time_limit": 5}, name="try 1")
    assert rich_db.jobs.get(job)["status"] == "queued"
    assert rich_db.jobs.start_attempt(job, worker="w1") == 1
    # events reference the job: updating its status afterwards must still work (DuckDB FK trap)
    assert rich_db.jobs.append_events(job, [{"stage": "construct", "fraction": 0.2, "best_cost": 12,
                                            "hard_violations": 3}]) == 1
    assert rich_db.jobs.append_events(job, [{"message": "half way", "kind": "info"},
                                           {"stage": "improve", "fraction": 1.7, "best_cost": float("nan")}]) == 3
    events = rich_db.jobs.events(job)
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert events[0]["hard_violations"] == 3 and events[2]["fraction"] == 1.0 and events[2]["best_cost"] is None
    assert [e["seq"] for e in rich_db.jobs.events(job, after=2)] == [3]

    tt = rich_timetable()
    rich_db.jobs.write_checkpoint(job, tt.period, tt.room, soft_cost=20, hard_violations=1, elapsed=1.5)
    rich_db.jobs.write_checkpoint(job, tt.period, tt.room, soft_cost=11, hard_violations=0, elapsed=3.0)
    cp = rich_db.jobs.read_checkpoint(job)
    assert (cp["soft_cost"], cp["hard_violations"], cp["elapsed"]) == (11.0, 0, 3.0)
    assert np.array_equal(cp["period"], tt.period) and np.array_equal(cp["room"], tt.room)

    vid = rich_db.jobs.save_variant(job, None, tt.period, tt.room, partial=True, soft_cost=11,
                                        hard_violations=0, by_constraint={"RoomCapacity": (0, 0.0)},
                                        stats={"segments": 2})
    done = rich_db.jobs.update_status(job, "cancelled", message="stopped by ann", variant_id=vid)
    assert done["status"] == "cancelled" and done["variant_id"] == vid and done["finished_at"] is not None
    loaded, info = rich_db.variants.load(vid)
    assert loaded == tt and info["partial"] and info["job_id"] == job and info["units"] == {"RoomCapacity": 0}
    assert info["meta"]["stats"] == {"segments": 2} and info["name"] == f"try 1 (job {job}) (partial)"

    with pytest.raises(JobStateError, match="cannot become running"):  # a writer's bug, not the user's input
        rich_db.jobs.update_status(job, "running")
    again = rich_db.jobs.update_status(job, "queued", message="retry")
    assert again["status"] == "queued" and again["finished_at"] is None
    assert rich_db.jobs.start_attempt(job) == 2
    failed = rich_db.jobs.update_status(job, "failed", message="worker died")
    assert failed["error"] == "worker died"
    assert rich_db.jobs.update_status(job, "queued")["error"] is None
    rich_db.jobs.drop_checkpoint(job)
    assert rich_db.jobs.read_checkpoint(job) is None


def test_job_errors_and_listing(rich_db):
    with pytest.raises(TimetableError, match="no job 999"):
        rich_db.jobs.update_status(999, "running")
    with pytest.raises(TimetableError, match="no job 999"):
        rich_db.jobs.append_events(999, [{"message": "x"}])
    assert rich_db.jobs.get(999) is None
    a = rich_db.jobs.create("rich", params={"strategy": "local"})
    b = rich_db.jobs.create("rich", params={"strategy": "cpsat"})
    with pytest.raises(JobStateError, match="job .* is queued, not running"):
        rich_db.jobs.update_status(a, "succeeded", expect=("running",))
    with pytest.raises(TimetableError, match="unknown job status 'done'"):
        rich_db.jobs.list(status="done")
    with pytest.raises(TimetableError, match="cannot be stored"):
        rich_db.jobs.create("rich", params={"callback": object()})
    assert [j["id"] for j in rich_db.jobs.list()] == [b, a]
    assert [j["id"] for j in rich_db.jobs.list(status="queued", oldest_first=True, limit=1)] == [a]
    rich_db.jobs.start_attempt(b)
    assert rich_db.jobs.interrupt_running() == [b]
    assert rich_db.jobs.get(b)["status"] == "interrupted"


def test_functional_api_for_the_job_runner(tmp_db):
    con = store_module.Store.open(tmp_db)
    try:
        con.scenarios.import_problem(rich_problem(), "rich")
        assert con.scenarios.exists("rich") and not con.scenarios.exists("x")
        assert con.scenarios.names() == ["rich"]
        job = con.jobs.create("rich", params={"strategy": "local"}, name="j")
        assert con.jobs.start_attempt(job) == 1
        con.jobs.append_events(job, [{"kind": "info", "message": "hi"}])
        assert con.jobs.events(job, after=0)[0]["message"] == "hi"
        tt = rich_timetable()
        con.jobs.write_checkpoint(job, list(tt.period), list(tt.room), soft_cost=1.0, hard_violations=0,
                                      elapsed=0.5)
        assert con.jobs.read_checkpoint(job)["elapsed"] == 0.5
        problem = con.scenarios.load_problem("rich")
        vid = con.jobs.save_variant(job, problem, tt.period, tt.room, soft_cost=1.0,
                                                 hard_violations=0)
        con.jobs.update_status(job, "succeeded", message="ok", variant_id=vid)
        assert con.jobs.get(job)["variant_id"] == vid
        assert con.jobs.list(status="succeeded")[0]["id"] == job
        assert con.variants.load_timetable(vid) == tt
    finally:
        con.close()
