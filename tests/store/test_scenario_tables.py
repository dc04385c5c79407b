"""Editing single rows of a scenario's tables (tt_core/store/tables.py): create, update, delete, the
errors that name the item and the fix, references kept whole."""

from __future__ import annotations

import pytest
from data_samples import COURSES, CURRICULA, ROOMS, TEACHERS, assert_same_problem, rich_problem
from store_samples import db, rich_db  # noqa: F401 - fixtures

from tt_core.errors import TimetableError, ValidationError


def test_create_update_delete_a_course_and_its_links(rich_db):
    rich_db.tables.create("courses", "rich", name="New; course", teacher=TEACHERS[2], lectures=2, min_days=1,
                          students=9)
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
