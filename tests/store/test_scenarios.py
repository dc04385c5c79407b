"""The scenario repository (tt_core/store/scenarios.py): a Problem's round trip through the database,
imports written whole or not at all, copying, renaming, deleting and purging scenarios."""

from __future__ import annotations

import pytest
from data_samples import (
    COURSES,
    CURRICULA,
    INJECTION,
    META,
    ROOMS,
    TEACHERS,
    assert_same_problem,
    rich_problem,
    rich_timetable,
)
from store_samples import db, rich_db, snapshot  # noqa: F401 - fixtures

from tt_core.errors import TimetableError
from tt_core.io.itc2007 import format_ctt, read_ctt
from tt_core.store import Store
from tt_core.store.scenarios import ScenarioRepository
from tt_core.synth import Recipe, generate


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


def test_copy_scenario(rich_db):
    rich_db.scenarios.copy("rich", "rich (copy)")
    assert_same_problem(rich_db.scenarios.load_problem("rich (copy)"), rich_problem())
    assert rich_db.scenarios.meta("rich (copy)")["room_features"] == META["room_features"]


def test_scenario_updates(rich_db):
    rich_db.scenarios.update("rich", name="rich 2", term="T2")
    assert rich_db.scenarios.get("rich 2")["term"] == "T2"
    with pytest.raises(TimetableError, match="import a new scenario to change the time grid"):
        rich_db.scenarios.update("rich 2", days=4)
    overview = rich_db.scenarios.overview()[0]
    assert (overview["courses"], overview["lectures"], overview["rooms"], overview["curricula"]) == (4, 7, 4, 2)


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
