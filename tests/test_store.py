"""The DuckDB store: round trips, transactions, migrations, locking, CRUD, variants, jobs."""

from __future__ import annotations

import contextlib

import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import numpy as np
import pytest

from data_samples import (COURSES, CURRICULA, INJECTION, META, ROOMS, TEACHERS, assert_same_problem,
                          rich_problem, rich_timetable)
from tt_core import store as store_module
from tt_core.cost import evaluate
from tt_core.errors import TimetableError, ValidationError
from tt_core.io.itc2007 import format_ctt, read_ctt
from tt_core.model import Timetable
from tt_core.store import MIGRATIONS, SCHEMA_VERSION, Store, problem_fingerprint
from tt_core.store import variants as store_variants
from tt_core.store.scenarios import ScenarioRepository
from tt_core.synth import Recipe, generate

from conftest import ITC_DIR


@pytest.fixture
def db(tmp_db):
    with Store.open(tmp_db) as s:
        yield s


@pytest.fixture
def rich_db(db):
    db.scenarios.import_problem(rich_problem(), "rich", institution="Uni 'Σ'", term="T1", meta=META)
    return db


def snapshot(db: Store) -> dict[str, list]:
    """Every row of every table, sorted, as the test's view of 'the database'."""
    tables = [r["table_name"] for r in db.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1")]
    out = {}
    for t in tables:
        rows = db.query(f'SELECT * FROM "{t}"')
        out[t] = sorted((tuple(map(repr, r.values())) for r in rows))
    return out


# ====================================================================================== round trips


def test_problem_round_trip_keeps_every_array_and_name(rich_db):
    loaded = rich_db.scenarios.load_problem("rich")
    assert_same_problem(loaded, rich_problem())
    assert rich_db.tables.check_integrity("rich") == []


def test_synthetic_university_round_trip(db):
    university = generate(Recipe.preset("tiny"))
    db.scenarios.import_problem(university.problem, "tiny")
    assert_same_problem(db.scenarios.load_problem("tiny"), university.problem)


def test_scenario_meta_round_trip(rich_db):
    meta = rich_db.scenarios.meta("rich")
    for key, value in META.items():
        assert meta[key] == value, key
    info = rich_db.scenarios.get("rich")
    assert (info["institution"], info["term"], info["instance_name"]) == ("Uni 'Σ'", "T1", "rich test")


@pytest.mark.parametrize("name", [f"comp0{i}" for i in range(1, 8)])
def test_itc_ctt_through_the_database_gives_identical_text(db, itc_instance, name):
    path = itc_instance(name)
    original = read_ctt(path)
    db.scenarios.import_problem(original, name)
    loaded = db.scenarios.load_problem(name)
    assert_same_problem(loaded, original)
    text = format_ctt(loaded)
    assert text == format_ctt(original)
    # the competition file itself, apart from its trailing spaces
    assert text == "\n".join(line.rstrip() for line in path.read_text().splitlines()) + "\n"


def test_names_are_stored_verbatim(rich_db):
    courses = rich_db.tables.read("courses", "rich")
    assert list(courses["name"]) == list(COURSES)
    assert list(courses["teacher"]) == [TEACHERS[0], TEACHERS[1], TEACHERS[2], TEACHERS[2]]
    assert list(rich_db.tables.read("rooms", "rich")["name"]) == list(ROOMS)
    assert list(rich_db.tables.read("curricula", "rich")["name"]) == list(CURRICULA)
    # the injection attempt is only a name: the courses table is still there
    assert rich_db.query("SELECT count(*) AS n FROM courses")[0]["n"] == 4
    assert rich_db.tables.read("courses", "rich").loc[0, "name"] == INJECTION


def test_scenario_name_with_quotes_and_injection(db):
    name = "Herbst '25\"; DROP TABLE scenarios;-- ☃"
    sid = db.scenarios.import_problem(rich_problem(), name)
    assert db.scenarios.names() == [name]
    assert db.scenarios.get(sid)["name"] == name
    with pytest.raises(TimetableError, match="already exists"):
        db.scenarios.import_problem(rich_problem(), name)


def test_suitability_kept_as_room_types_or_explicit_rooms(rich_db):
    courses = rich_db.tables.read("courses", "rich")
    assert courses["room_types"].tolist()[:3] == [None, ["lecture hall"], ["lab"]]
    assert courses["explicit_rooms"].tolist() == [False, False, False, True]
    explicit = rich_db.tables.read("course_room_suitability", "rich")
    assert explicit.values.tolist() == [[COURSES[3], ROOMS[0]], [COURSES[3], ROOMS[3]]]


# ====================================================================================== transactions


def test_failed_import_leaves_the_database_exactly_as_it_was(rich_db, monkeypatch):
    before = snapshot(rich_db)

    def broken(self, cur, problem, ids, lists):  # courses, rooms, teachers are already written
        raise RuntimeError("disk full (injected)")

    monkeypatch.setattr(ScenarioRepository, "_insert_curricula", broken)
    with pytest.raises(RuntimeError, match="injected"):
        rich_db.scenarios.import_problem(rich_problem(), "second")
    assert snapshot(rich_db) == before
    monkeypatch.undo()
    rich_db.scenarios.import_problem(rich_problem(), "second")  # the name is free, the ids still work
    assert_same_problem(rich_db.scenarios.load_problem("second"), rich_problem())


def test_import_with_bad_meta_writes_nothing(rich_db):
    before = snapshot(rich_db)
    with pytest.raises(TimetableError, match="room_features"):
        rich_db.scenarios.import_problem(rich_problem(), "bad", meta={"room_features": ["just one"]})
    assert snapshot(rich_db) == before


def test_failed_variant_save_leaves_nothing(rich_db, monkeypatch):
    before = snapshot(rich_db)
    original = store_variants.bulk

    def bulk(cur, table, data):
        original(cur, table, data)
        if table == "assignments":
            raise RuntimeError("crash after the assignments (injected)")

    monkeypatch.setattr(store_variants, "bulk", bulk)
    with pytest.raises(RuntimeError, match="injected"):
        rich_db.variants.save("rich", rich_timetable())
    assert snapshot(rich_db) == before


# ====================================================================================== migrations and opening


def _create_v1_database(path: Path) -> None:
    """A database as version 1 of the schema left it, with one scenario in it."""
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description VARCHAR NOT NULL, "
                    "applied_at TIMESTAMP NOT NULL)")
        version, description, sql = MIGRATIONS[0]
        assert version == 1
        con.execute(sql)
        con.execute("INSERT INTO schema_version VALUES (1, ?, now()::TIMESTAMP)", [description])
        con.execute("INSERT INTO scenarios (name, instance_name, days, periods_per_day, created_at) "
                    "VALUES ('old term', 'x', 5, 4, now()::TIMESTAMP)")
        con.execute("INSERT INTO time_grid SELECT 1, range, range // 4, range % 4, 'p' || range, 0 FROM range(20)")
    finally:
        con.close()


def test_opening_a_version_1_database_migrates_it(tmp_db):
    _create_v1_database(tmp_db)
    with Store.open(tmp_db) as db:
        assert db.schema_version() == SCHEMA_VERSION
        assert db.scenarios.names() == ["old term"]
        db.audit("check", "migration", {"ok": True}, user="tester")  # the audit log came with version 2
        assert db.audit_log()["action"].tolist() == ["check"]
        tables = {r["table_name"] for r in db.query("SELECT table_name FROM information_schema.tables")}
        assert "audit_log" in tables
        versions = [r["version"] for r in db.query("SELECT version FROM schema_version ORDER BY 1")]
        assert versions == [m[0] for m in MIGRATIONS]  # every step, gaps in the numbering allowed


def test_read_only_open_of_an_old_database_asks_for_an_upgrade(tmp_db):
    _create_v1_database(tmp_db)
    with pytest.raises(TimetableError, match="needs upgrading"):
        Store.open(tmp_db, read_only=True)


def test_a_newer_database_is_refused(tmp_db):
    Store.open(tmp_db).close()
    con = duckdb.connect(str(tmp_db))
    con.execute("INSERT INTO schema_version VALUES (99, 'future', now()::TIMESTAMP)")
    con.close()
    with pytest.raises(TimetableError, match="newer timetable studio"):
        Store.open(tmp_db)


def test_other_files_are_refused_with_a_clear_message(tmp_path):
    text = tmp_path / "notes.duckdb"
    text.write_text("hello " * 1000)
    with pytest.raises(TimetableError, match="not a DuckDB database file"):
        Store.open(text)
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE t (x INTEGER)")
    con.close()
    with pytest.raises(TimetableError, match="not a timetable studio one"):
        Store.open(other)
    with pytest.raises(TimetableError, match="no database at"):
        Store.open(tmp_path / "missing.duckdb", read_only=True)
    with pytest.raises(TimetableError, match="does not exist"):
        Store.open(tmp_path / "no" / "such" / "x.duckdb")


def test_a_database_held_by_another_process_is_refused_with_its_holder(tmp_db):
    Store.open(tmp_db).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, sys, time; c = duckdb.connect({str(tmp_db)!r}); "
                               "print('ready', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        for read_only in (False, True):
            with pytest.raises(TimetableError) as info:
                Store.open(tmp_db, read_only=read_only)
            message = str(info.value)
            assert "is open in another process" in message and f"PID {holder.pid}" in message
            assert "job runner" in message
            assert "-readonly" not in message and "CLI" not in message  # DuckDB's hint means nothing here
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)


def test_read_only_store_refuses_writes(tmp_db):
    with Store.open(tmp_db) as db:
        db.scenarios.import_problem(rich_problem(), "rich")
    with Store.open(tmp_db, read_only=True) as db:
        assert_same_problem(db.scenarios.load_problem("rich"), rich_problem())
        with pytest.raises(TimetableError, match="read-only"):
            db.tables.update("courses", "rich", COURSES[0], students=10)


# ====================================================================================== generic CRUD


def test_create_update_delete_a_course_and_its_links(rich_db):
    rich_db.tables.create("courses", "rich", name="New; course", teacher=TEACHERS[2], lectures=2, min_days=1, students=9)
    rich_db.tables.create("curriculum_courses", "rich", curriculum=CURRICULA[0], course="New; course")
    rich_db.tables.create("course_unavailability", "rich", course="New; course", period=11)
    p = rich_db.scenarios.load_problem("rich")
    assert p.course_names[-1] == "New; course" and p.n_lectures == 9
    c = p.course_index("New; course")
    assert p.course_unavailable[c, 11] and c in p.curriculum_courses[p.curriculum_ptr[0]:p.curriculum_ptr[1]]

    # renaming a course that curricula refer to (DuckDB refuses to update a referenced unique column)
    rich_db.tables.update("courses", "rich", "New; course", name="Renamed ☃", lectures=1)
    p = rich_db.scenarios.load_problem("rich")
    assert "Renamed ☃" in p.course_names and p.n_lectures == 8

    rich_db.tables.delete("courses", "rich", "Renamed ☃")
    assert_same_problem(rich_db.scenarios.load_problem("rich"), rich_problem())
    assert rich_db.tables.check_integrity("rich") == []


def test_crud_errors_name_the_item_and_the_fix(rich_db):
    with pytest.raises(ValidationError, match="unknown teacher 'nobody'"):
        rich_db.tables.create("courses", "rich", name="x", teacher="nobody", lectures=1, min_days=1, students=1)
    with pytest.raises(ValidationError, match="already exists"):
        rich_db.tables.create("rooms", "rich", name=ROOMS[0], capacity=5)
    with pytest.raises(ValidationError, match="already exists"):
        rich_db.tables.update("rooms", "rich", ROOMS[0], name=ROOMS[1])
    with pytest.raises(ValidationError, match="capacity"):
        rich_db.tables.create("rooms", "rich", name="negative", capacity=-3)
    with pytest.raises(ValidationError, match="outside the time grid 0..11"):
        rich_db.tables.create("course_unavailability", "rich", course=COURSES[1], period=12)
    with pytest.raises(ValidationError, match="already exists"):
        rich_db.tables.create("course_unavailability", "rich", course=COURSES[0], period=0)
    with pytest.raises(ValidationError) as exc:
        rich_db.tables.update("courses", "rich", COURSES[1], length=5, category="optional", lectures="3",
                       room_types=["lab", "aula"], department="Nowhere")
    assert sorted(exc.value.problems) == sorted([
        f"courses {COURSES[1]!r}: lecture length 5 must be between 1 and 4 periods",
        f"courses {COURSES[1]!r}: category 'optional' is not one of core, elective, open",
        f"courses {COURSES[1]!r}: lectures must be a whole number, got '3'",
        f"courses {COURSES[1]!r}: unknown room type 'aula'; the rooms have types: lab, lecture hall",
        f"courses {COURSES[1]!r}: unknown department 'Nowhere'; add it first or check the spelling",
    ])
    with pytest.raises(TimetableError, match="has no column 'colour'"):
        rich_db.tables.update("rooms", "rich", ROOMS[0], colour="red")
    with pytest.raises(TimetableError, match="no rooms 'nope' to change"):
        rich_db.tables.update("rooms", "rich", "nope", capacity=3)
    with pytest.raises(TimetableError, match="cannot be added one by one"):
        rich_db.tables.create("time_grid", "rich", period=3, label="x")
    with pytest.raises(TimetableError, match="no scenario 'missing'"):
        rich_db.tables.read("courses", "missing")
    assert_same_problem(rich_db.scenarios.load_problem("rich"), rich_problem())


def test_deleting_a_referenced_teacher_is_refused_until_it_is_free(rich_db):
    with pytest.raises(TimetableError, match=r"course\(s\) 'Lab-1', 'Seminar ☃' still refer to it"):
        rich_db.tables.delete("teachers", "rich", TEACHERS[2])
    rich_db.tables.update("courses", "rich", "Lab-1", teacher=TEACHERS[0])
    rich_db.tables.update("courses", "rich", "Seminar ☃", teacher=TEACHERS[0])
    rich_db.tables.delete("teachers", "rich", TEACHERS[2])
    assert TEACHERS[2] not in rich_db.tables.read("teachers", "rich")["name"].tolist()
    assert rich_db.tables.read("teacher_unavailability", "rich")["teacher"].tolist() == [TEACHERS[0]]
    assert rich_db.scenarios.load_problem("rich").teacher_names == TEACHERS[:2]


def test_deleting_a_room_drops_it_from_explicit_room_lists(rich_db):
    rich_db.tables.delete("rooms", "rich", ROOMS[3])
    p = rich_db.scenarios.load_problem("rich")
    assert p.room_names == ROOMS[:3]
    assert p.suitable[3].tolist() == [True, False, False]


def test_time_grid_and_other_updates(rich_db):
    rich_db.tables.update("time_grid", "rich", 0, label="Mon 07:45", penalty=5)
    rich_db.tables.update("teachers", "rich", TEACHERS[1], max_per_day=3, full_name="Z. M.")
    rich_db.tables.update("curricula", "rich", CURRICULA[1], programme="MSc", year=2)
    p = rich_db.scenarios.load_problem("rich")
    assert p.period_labels[0] == "Mon 07:45" and p.period_penalty[0] == 5
    assert p.teacher_max_per_day.tolist() == [2, 3, 0]
    assert rich_db.scenarios.meta("rich")["curriculum_year"] == [1, 2]
    log = rich_db.audit_log()
    assert log["action"].iloc[0] == "update curricula"


def test_weight_profiles_and_users(rich_db):
    rich_db.weights.save("rich", "itc", {"MinWorkingDays": 5, "room": 2})
    rich_db.weights.save("rich", "itc", {"MinWorkingDays": 7})  # replaces
    assert rich_db.weights.get("rich", "itc") == {"MinWorkingDays": 7.0}
    with pytest.raises(ValidationError, match="unknown constraint or dimension 'Happiness'"):
        rich_db.weights.save("rich", "bad", {"Happiness": 1})
    with pytest.raises(ValidationError, match="must be a number >= 0"):
        rich_db.weights.save("rich", "bad", {"RoomCapacity": -1})
    with pytest.raises(TimetableError, match="no weight profile 'x'"):
        rich_db.weights.get("rich", "x")
    rich_db.users.add("ann", "planner")
    rich_db.users.add("bob", "teacher", teacher=TEACHERS[0])
    with pytest.raises(ValidationError, match="role 'boss'"):
        rich_db.users.add("cy", "boss")
    with pytest.raises(ValidationError, match="needs the teacher's name"):
        rich_db.users.add("dee", "teacher")
    with pytest.raises(ValidationError, match="already exists"):
        rich_db.users.add("ann", "viewer")
    assert rich_db.users.get("bob")["teacher"] == TEACHERS[0]
    rich_db.tables.update("users", None, "ann", role="admin")
    assert rich_db.tables.read("users")["role"].tolist() == ["admin", "teacher"]


def test_copy_scenario(rich_db):
    rich_db.scenarios.copy("rich", "rich (copy)")
    assert_same_problem(rich_db.scenarios.load_problem("rich (copy)"), rich_problem())
    assert rich_db.scenarios.meta("rich (copy)")["room_features"] == META["room_features"]


# ====================================================================================== variants


def test_variant_round_trip_with_costs(rich_db):
    problem = rich_problem()
    tt = rich_timetable(unplaced_seminar=True)
    report = evaluate(problem, tt)
    vid = rich_db.variants.save("rich", tt, report, {"strategy": "hand", "seed": 3}, name="first; 'draft'")
    loaded, info = rich_db.variants.load(vid)
    assert loaded == tt
    assert info["name"] == "first; 'draft'" and info["status"] == "draft" and not info["stale"]
    assert info["soft_cost"] == report.soft_cost and info["hard_violations"] == report.hard_violations
    assert info["units"] == {k: v[0] for k, v in report.by_constraint().items()}
    assert info["meta"] == {"strategy": "hand", "seed": 3}
    assert info["problem_hash"] == problem_fingerprint(problem)


def test_variant_status_choice_and_deletion(rich_db):
    a = rich_db.variants.save("rich", rich_timetable())
    b = rich_db.variants.save("rich", rich_timetable(), parent=a)
    rich_db.variants.choose(a)
    rich_db.variants.choose(b)
    chosen = {v["id"]: v["chosen"] for v in rich_db.variants.list("rich")}
    assert chosen == {a: False, b: True}
    rich_db.variants.update(b, name="final")
    assert rich_db.variants.load(b)[1]["name"] == "final"
    with pytest.raises(TimetableError, match="only through the approval workflow"):  # tt_core.workflow
        rich_db.variants.update(b, status="approved")
    with pytest.raises(TimetableError, match="'done' is not one of"):
        rich_db.variants.update(b, status="done")
    rich_db.variants.delete(a)
    assert [v["id"] for v in rich_db.variants.list("rich")] == [b]
    assert rich_db.variants.load(b)[1]["parent_variant_id"] is None
    with pytest.raises(TimetableError, match=f"no variant {a}"):
        rich_db.variants.load(a)


def test_a_variant_goes_stale_when_the_data_changes(rich_db):
    vid = rich_db.variants.save("rich", rich_timetable())
    rich_db.tables.update("courses", "rich", COURSES[0], name="renamed only")
    assert not rich_db.variants.load(vid)[1]["stale"]  # a rename does not change what fits
    rich_db.tables.update("rooms", "rich", ROOMS[0], capacity=10)
    assert rich_db.variants.load(vid)[1]["stale"]


def test_a_timetable_that_does_not_fit_is_refused(rich_db):
    with pytest.raises(TimetableError, match="has 3 lectures but the scenario has 7"):
        rich_db.variants.save("rich", Timetable(np.zeros(3, np.int32), np.zeros(3, np.int32)))
    bad = rich_timetable()
    bad.room[0] = 4
    with pytest.raises(TimetableError, match="outside the scenario"):
        rich_db.variants.save("rich", bad)
    assert rich_db.variants.list("rich") == []


# ====================================================================================== jobs


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

    with pytest.raises(TimetableError, match="cannot become running"):
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
    with pytest.raises(TimetableError, match="job .* is queued, not running"):
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


# ====================================================================================== scenarios


def test_deleting_a_scenario_removes_all_its_rows_only(rich_db):
    rich_db.scenarios.import_problem(rich_problem(), "keep")
    before_keep = snapshot(rich_db)
    sid = rich_db.scenarios.import_problem(rich_problem(), "gone")
    vid = rich_db.variants.save("gone", rich_timetable())
    job = rich_db.jobs.create("gone", params={})
    rich_db.jobs.start_attempt(job)
    rich_db.jobs.append_events(job, [{"message": "x"}])
    rich_db.jobs.write_checkpoint(job, [1] * 7, [0] * 7)
    rich_db.weights.save("gone", "itc", {"RoomCapacity": 1})
    with pytest.raises(TimetableError, match="queued or running job"):
        rich_db.scenarios.delete("gone")
    rich_db.jobs.update_status(job, "succeeded", variant_id=vid)
    rich_db.scenarios.delete(sid)
    assert rich_db.scenarios.names() == ["rich", "keep"]
    after = snapshot(rich_db)
    after.pop("audit_log"), before_keep.pop("audit_log")
    assert after == before_keep


def test_an_interrupted_purge_resumes_on_the_next_open(tmp_db, monkeypatch):
    with Store.open(tmp_db) as db:
        db.scenarios.import_problem(rich_problem(), "gone")
        monkeypatch.setattr(ScenarioRepository, "purge_deleted", lambda self: None)  # "crash" before the purge
        db.scenarios.delete("gone")
        assert db.scenarios.names() == []
        assert db.query("SELECT count(*) AS n FROM courses")[0]["n"] == 4  # hidden but not purged yet
        with pytest.raises(TimetableError, match="no scenario 'gone'"):
            db.scenarios.load_problem("gone")
        db.scenarios.import_problem(rich_problem(), "gone")  # the name is free again
    monkeypatch.undo()
    with Store.open(tmp_db) as db:
        assert db.query("SELECT count(*) AS n FROM courses")[0]["n"] == 4
        assert db.query("SELECT count(*) AS n FROM scenarios")[0]["n"] == 1
        assert_same_problem(db.scenarios.load_problem("gone"), rich_problem())


def test_scenario_updates(rich_db):
    rich_db.scenarios.update("rich", name="rich 2", term="T2")
    assert rich_db.scenarios.get("rich 2")["term"] == "T2"
    with pytest.raises(TimetableError, match="import a new scenario to change the time grid"):
        rich_db.scenarios.update("rich 2", days=4)
    overview = rich_db.scenarios.overview()[0]
    assert (overview["courses"], overview["lectures"], overview["rooms"], overview["curricula"]) == (4, 7, 4, 2)


def test_threads_read_while_one_writes(rich_db):
    job = rich_db.jobs.create("rich", params={})
    errors: list[BaseException] = []

    def reader():
        try:
            for _ in range(5):
                assert rich_db.scenarios.load_problem("rich").n_lectures == 7
                rich_db.jobs.events(job)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def writer():
        try:
            for i in range(20):
                rich_db.jobs.append_events(job, [{"message": str(i)}])
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)] + [threading.Thread(target=writer)
                                                                     for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert [e["seq"] for e in rich_db.jobs.events(job)] == list(range(1, 41))


# ====================================================================================== files that cannot be written


@contextlib.contextmanager
def _immutable(folder: Path):
    """``folder`` made immutable (``chattr +i``: even root cannot write in it) for the block."""
    done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"chattr +i is not available here: {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_a_database_in_a_folder_that_cannot_be_written(tmp_path, capsys):
    from tt_core import cli

    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "x.duckdb"
    with Store.open(db) as st:
        st.scenarios.import_problem(rich_problem(), "rich")
    before = db.read_bytes()
    with _immutable(folder):
        with pytest.raises(TimetableError, match=r"cannot change .*x.duckdb: the folder .* is read-only"):
            Store.open(db)
        assert cli.main(["import", str(ITC_DIR / "comp01.ctt"), "--db", str(db)]) == 2
        err = capsys.readouterr().err
        assert "is read-only" in err and "Traceback" not in err
        # the commands that only read still work
        assert cli.main(["scenarios", "--db", str(db)]) == 0
        assert "rich" in capsys.readouterr().out
        assert cli.main(["jobs", "list", "--db", str(db)]) == 0
        assert "no jobs" in capsys.readouterr().out
    assert db.read_bytes() == before


def test_a_commit_the_disk_refuses_is_a_clear_message_and_changes_nothing(rich_db, monkeypatch):
    real = duckdb.DuckDBPyConnection.commit

    def refused(self):
        raise duckdb.TransactionException("TransactionException: Could not write test.duckdb.wal: Operation not permitted")

    monkeypatch.setattr(duckdb.DuckDBPyConnection, "commit", refused)
    with pytest.raises(TimetableError, match="cannot save to .*nothing was changed"):
        rich_db.tables.update("rooms", "rich", ROOMS[0], capacity=1)
    monkeypatch.setattr(duckdb.DuckDBPyConnection, "commit", real)
