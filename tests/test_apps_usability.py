"""What planners expect from UniTime and FET, in the data and timetable apps, without a browser:
searching tables, students and enrolments, adding and deleting courses, teachers and rooms, deleting
a scenario, entry checks in ``tt check``'s words, uploads of plain CSV files, a grid that shades
unavailable periods and marks conflicts, a preview naming the other course, pins before a re-solve,
and a scenario without curricula opening on a view that has items.

The browser half (the same paths through Chromium) is ``tests/test_apps_usability_browser.py``.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from test_apps_state import load_app

from tt_core import auth, services, views
from tt_core.commands.data import university_meta
from tt_core.cost import evaluate
from tt_core.errors import TimetableError, ValidationError
from tt_core.services.data import course_entry_problems
from tt_core.services.editable import search_rows
from tt_core.store import Store
from tt_core.synth import Recipe, generate

SMALL_CAMPUS = dict(departments=3, students=300, open_electives=2, skill_courses=2, skill_departments=(2, 3))


@pytest.fixture(scope="module")
def tiny():
    return generate(Recipe.preset("tiny"))


@pytest.fixture(scope="module")
def campus():
    """A small university with students' enrolments and no curricula."""
    return generate(Recipe.preset("campus", **SMALL_CAMPUS))


@pytest.fixture(scope="module")
def template_db(tiny, campus, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("usability") / "template.duckdb"
    with Store.open(path) as db:
        for name, uni in (("tiny", tiny), ("campus", campus)):
            db.scenarios.import_problem(uni.problem, name, meta=university_meta(uni))
            db.variants.save(name, uni.hidden, evaluate(uni.problem, uni.hidden), name="planted", problem=uni.problem)
    return path


@pytest.fixture
def store(template_db, tmp_path):
    path = tmp_path / "db.duckdb"
    shutil.copy(template_db, path)
    with Store.open(path) as db:
        yield db


@pytest.fixture
def studio(store):
    return services.Studio(store)


# ============================================================================ search
def test_search_rows_ands_words_and_matches_a_column_exactly_for_numbers():
    import pandas as pd

    df = pd.DataFrame({"name": ["CSC101", "CSC110", "PHY101", "MAT210"], "teacher": ["Ada", "Bob", "Ada", "Cy"],
                       "lectures": [3, 10, 0, 3], "label": ["Mon 09:00", "Tue 10:00", "Mon 10:00", "Fri 09:00"]})
    assert search_rows(df, "csc")["name"].tolist() == ["CSC101", "CSC110"]
    assert search_rows(df, "101 ada")["name"].tolist() == ["CSC101", "PHY101"]
    assert search_rows(df, "lectures:0")["name"].tolist() == ["PHY101"]   # not 10
    assert search_rows(df, "LECTURES:3 teacher:ada")["name"].tolist() == ["CSC101"]
    assert search_rows(df, "09:00")["name"].tolist() == ["CSC101", "MAT210"]  # not a column: plain text
    assert search_rows(df, "nothing-like-it").empty
    assert search_rows(df, "  ").equals(df)


def test_data_state_searches_the_table_and_edits_the_row_found(store):
    data_app = load_app("data")
    state = data_app.DataState(services.Studio(store), scenario="tiny")
    state.table = "courses"
    total = len(state.frame)
    assert state.total == total and state.count_text() == f"{total} courses"
    teacher = state.frame["teacher"].iloc[3]
    state.search = f"teacher:{teacher}"
    assert 0 < len(state.frame) < total and set(state.frame["teacher"]) == {teacher}
    assert state.count_text() == f"{len(state.frame)} of {total} courses match"
    # a row of the filtered table is edited (positions are the table's on screen)
    course = state.frame["name"].iloc[0]
    state.edit(0, "students", state.frame["students"].iloc[0], 77)
    assert "saved" in state.messages.info
    assert int(store.tables.read("courses", "tiny").set_index("name").loc[course, "students"]) == 77
    assert set(state.frame["teacher"]) == {teacher}  # the search survives the reload
    state.table = "rooms"
    state.search = ""
    assert len(state.frame) == state.total


# ============================================================================ students and enrolments
def test_students_and_enrolments_are_visible_and_read_only(store, campus):
    data_app = load_app("data")
    state = data_app.DataState(services.Studio(store), scenario="campus")
    p = campus.problem
    state.table = "students"
    assert state.spec.read_only and len(state.frame) == p.n_students
    assert list(state.frame.columns) == ["name", "programme", "year", "department", "courses"]
    first = p.student_names[0]
    assert int(state.frame.set_index("name").loc[first, "courses"]) == len(p.student_course_ids(0))
    state.table = "enrolments"
    assert len(state.frame) == p.n_enrolments
    state.search = f"student:{first}"
    assert sorted(state.frame["course"]) == sorted(p.course_names[c] for c in p.student_course_ids(0))
    state.edit(0, "course", state.frame["course"].iloc[0], "X")
    assert "cannot be edited" in state.messages.error
    state.delete([0])
    assert "cannot be deleted" in state.messages.error
    assert len(store.students.enrolments("campus")) == p.n_enrolments


# ============================================================================ add and delete rows
def test_add_and_delete_teachers_courses_and_rooms(studio, store, tiny):
    data_app = load_app("data")
    state = data_app.DataState(studio, scenario="tiny")
    state.table = "teachers"
    assert state.spec.addable and state.spec.new_row_columns == ("name", "full_name", "max_per_day")
    assert state.add({"name": "T-NEW", "full_name": "Nora New", "max_per_day": ""})
    assert "added T-NEW" in state.messages.info and "T-NEW" in set(state.frame["name"])
    state.table = "courses"
    assert "T-NEW" in state.choices["teacher"]
    state.add({"name": "NEW101", "teacher": "T-NEW", "department": "", "category": "elective", "lectures": "2",
               "min_days": "2", "students": "30", "length": "", "room_types": ""})
    assert "added NEW101" in state.messages.info
    p = studio.data.problem("tiny")
    c = p.course_index("NEW101")
    assert (p.n_courses, int(p.course_lectures[c]), int(p.course_length[c])) == (tiny.problem.n_courses + 1, 2, 1)
    # a course needs its lectures; a bad value names the column
    assert not state.add({"name": "NEW102", "teacher": "T-NEW", "category": "core", "lectures": ""})
    assert "lectures: a whole number is required" in state.messages.error
    assert not state.add({"name": "NEW102", "teacher": "T-NEW", "category": "core", "lectures": "x"})
    assert "expected a whole number, got 'x'" in state.messages.error
    # a teacher who still teaches is not deleted; the message names the course
    state.table = "teachers"
    state.search = "T-NEW"
    state.delete([0])
    assert "cannot delete" in state.messages.error and "NEW101" in state.messages.error
    state.table = "courses"
    state.search = "NEW101"
    state.delete([0])
    assert "deleted 1 row(s)" in state.messages.info
    state.table = "teachers"
    state.search = "T-NEW"
    state.delete([0])
    assert "T-NEW" not in studio.data.names("tiny", "teachers")
    # rooms: added, then deleted with the whole selection in one transaction
    state.table = "rooms"
    state.search = ""
    state.add({"name": "R-NEW", "capacity": "40", "room_type": "", "building": "", "features": "projector"})
    assert studio.data.problem("tiny").n_rooms == tiny.problem.n_rooms + 1
    state.search = "R-NEW"
    state.delete([0])
    assert studio.data.problem("tiny").n_rooms == tiny.problem.n_rooms
    assert store.audit_log(limit=2)["action"].tolist() == ["delete rooms", "create rooms"]


def test_deleting_rows_is_all_or_nothing(studio, store):
    teachers = studio.data.names("tiny", "teachers")
    before = len(store.audit_log(limit=1000))
    with pytest.raises(TimetableError, match="still refer to it"):
        studio.data.delete_rows("tiny", "teachers", [teachers[0]])
    # a deletable row beside a refused one: neither is deleted
    studio.data.add_row("tiny", "teachers", {"name": "T-SPARE"})
    with pytest.raises(TimetableError, match="still refer to it"):
        studio.data.delete_rows("tiny", "teachers", ["T-SPARE", teachers[0]])
    assert "T-SPARE" in studio.data.names("tiny", "teachers")
    assert len(store.audit_log(limit=1000)) == before + 1  # only the added teacher


def test_roles_that_may_not_edit_cannot_add_or_delete_rows_or_scenarios(store):
    store.users.add("vera", "viewer")
    viewer = services.Studio(store, user="vera")
    with pytest.raises(auth.PermissionDenied):
        viewer.data.add_row("tiny", "rooms", {"name": "R-X", "capacity": 10})
    with pytest.raises(auth.PermissionDenied):
        viewer.data.delete_rows("tiny", "rooms", [viewer.data.names("tiny", "rooms")[0]])
    with pytest.raises(auth.PermissionDenied):
        viewer.data.delete_scenario("tiny", "tiny")
    assert viewer.data.scenarios() == ["tiny", "campus"]


# ============================================================================ entry checks (tt check's words)
def test_course_entry_problems_use_tt_checks_words():
    assert course_entry_problems("X", lectures=2, min_days=2, days=5) == []
    assert course_entry_problems("X", lectures=0, min_days=0, days=5) == [
        "course X has no lectures, so it is never taught. Fix: give course X at least 1 lecture, or delete the course"]
    assert course_entry_problems("X", lectures=3, min_days=6, days=5) == [
        "course X should spread over 6 days but it has only 3 lectures: at least 3 MinWorkingDays units (×5 with "
        "ITC weights) in every timetable. Fix: lower the minimum working days (min_days) of course X to 3"]
    # tt check words the min_days warning the same way on the data itself (here: 6 lectures over 5 days)
    from tt_core import checks
    from tt_core.model import Problem

    p = Problem.create(name="x", days=5, periods_per_day=4, courses=["X"], course_teacher=["t"],
                       course_lectures=[6], course_min_days=[6], course_students=[10], rooms=["r"],
                       room_capacity=[20], curricula=[])
    (finding,) = [f for f in checks.check(p) if f.check == "working days"]
    assert course_entry_problems("X", lectures=6, min_days=6, days=5) == [f"{finding.text}. Fix: {finding.fix}"]


def test_data_editing_refuses_no_lectures_and_more_days_than_the_week(studio, store):
    course = studio.data.names("tiny", "courses")[0]
    before = store.tables.read("courses", "tiny").set_index("name").loc[course]
    audit = len(store.audit_log(limit=1000))
    with pytest.raises(ValidationError, match=f"course {course} has no lectures, so it is never taught"):
        studio.data.edit_cell("tiny", "courses", course, "lectures", 0)
    with pytest.raises(ValidationError, match=f"course {course} should spread over 6 days"):
        studio.data.edit_cell("tiny", "courses", course, "min_days", 6)
    after = store.tables.read("courses", "tiny").set_index("name").loc[course]
    assert (after["lectures"], after["min_days"]) == (before["lectures"], before["min_days"])
    assert len(store.audit_log(limit=1000)) == audit  # nothing written
    with pytest.raises(ValidationError, match="course NEW has no lectures"):
        studio.data.add_row("tiny", "courses", {"name": "NEW", "teacher": before["teacher"], "lectures": 0})
    assert "NEW" not in studio.data.names("tiny", "courses")
    # the data app shows the refusal and the stored value
    data_app = load_app("data")
    state = data_app.DataState(studio, scenario="tiny")
    state.table = "courses"
    state.edit(0, "min_days", int(state.frame["min_days"].iloc[0]), 9)
    assert "should spread over 9 days" in state.messages.error and "Fix: lower" in state.messages.error
    assert int(state.frame["min_days"].iloc[0]) == int(before["min_days"])


# ============================================================================ deleting a scenario
def test_delete_a_scenario_after_confirmation_and_not_while_its_jobs_run(store):
    data_app = load_app("data")
    state = data_app.DataState(services.Studio(store), scenario="campus")
    assert "Deleting scenario **campus** removes" in state.scenario_summary()
    assert not state.delete_scenario("camp")
    assert "type the scenario's name, campus, to confirm" in state.messages.error
    job = store.jobs.create("campus", params={"time_limit": 5}, strategy="local")
    assert "1 queued or running job(s)" in state.scenario_summary()
    assert not state.delete_scenario("campus")
    assert "queued or running job(s); cancel them" in state.messages.error
    store.jobs.update_status(job, "cancelled", message="cancelled")
    assert state.delete_scenario("campus")
    assert "scenario 'campus' deleted with 1 variant(s) and 1 job(s)" in state.messages.info
    assert state.param.scenario.objects == ["tiny"] and state.scenario == "tiny"
    assert store.scenarios.names() == ["tiny"] and store.jobs.get(job) is None


# ============================================================================ uploads of CSV files
def test_import_several_csv_files_naming_the_file_of_a_bad_row(store):
    data_app = load_app("data")
    state = data_app.DataState(services.Studio(store), scenario="tiny")
    _, data = state.studio.files.export_data("tiny", "zip")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        files = {n.rsplit("/", 1)[-1]: zf.read(n) for n in zf.namelist()}
    names, blobs = list(files), list(files.values())
    state.import_name = "from csv"
    assert state.import_upload(names, blobs) == "from csv"
    assert state.scenario == "from csv" and f"imported {len(files)} CSV files" in state.messages.info
    a, b = state.studio.data.problem("tiny"), state.studio.data.problem("from csv")
    assert a.course_names == b.course_names and np.array_equal(a.course_lectures, b.course_lectures)
    bad = dict(files)
    lines = bad["courses.csv"].decode().splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("lectures")] = "three"
    bad["courses.csv"] = "\n".join([lines[0], ",".join(row), *lines[2:]]).encode()
    state.import_name = "bad"
    assert state.import_upload(list(bad), list(bad.values())) is None
    assert "courses.csv, row 2, column lectures" in state.messages.error
    assert "/tmp" not in state.messages.error and "bad" not in state.studio.data.scenarios()
    state.import_upload(["courses.csv", "notes.txt"], [b"a", b"b"])
    assert "only .csv tables" in state.messages.error


# ============================================================================ the grid's marks
def _clash(problem, timetable):
    """A copy of ``timetable`` with a single-period lecture moved onto a period where a conflicting
    course is taught (in another room): ``(timetable, lecture, other course)``."""
    tt = timetable.copy()
    lc = problem.lecture_course
    for l in np.flatnonzero(problem.course_length[lc] == 1):
        c = int(lc[l])
        for o in np.flatnonzero(problem.conflict[c][lc] & (tt.period >= 0)):
            q = int(tt.period[o])
            if not problem.unavailable[c, q] and tt.room[o] != tt.room[l] and \
                    not ((tt.period == q) & (tt.room == tt.room[l])).any():
                tt.period[l] = q
                return tt, int(l), int(lc[o])
    raise AssertionError("no clash to make")  # pragma: no cover


def test_placement_conflicts_name_the_other_course(tiny):
    p = tiny.problem
    assert all(not views.placement_conflicts(p, tiny.hidden, l) for l in range(p.n_lectures))  # feasible
    tt, l, other = _clash(p, tiny.hidden)
    found = views.placement_conflicts(p, tt, l)
    assert any(f"clashes with {p.course_names[other]} at {p.period_labels[tt.period[l]]} (same " in x for x in found)
    # a room taken, an unsuitable room, an unavailable period
    c = int(p.lecture_course[l])
    o = next(int(x) for x in range(p.n_lectures) if p.lecture_course[x] != c and tt.period[x] >= 0)
    taken = views.placement_conflicts(p, tt, l, int(tt.period[o]), int(tt.room[o]))
    assert f"room {p.room_names[tt.room[o]]} is taken by {p.course_names[p.lecture_course[o]]}" in " ".join(taken)
    q = int(np.flatnonzero(p.teacher_unavailable.any(axis=0))[0])
    t = int(np.flatnonzero(p.teacher_unavailable[:, q])[0])
    c2 = int(np.flatnonzero(p.course_teacher == t)[0])
    l2 = int(p.course_lecture_ptr[c2])
    assert f"teacher {p.teacher_names[t]} is unavailable at {p.period_labels[q]}" in \
        views.placement_conflicts(p, tt, l2, q, int(tt.room[l2]))


def test_grid_marks_shade_unavailable_periods_and_mark_conflicts_and_pins(tiny):
    p = tiny.problem
    t = int(np.flatnonzero(p.teacher_unavailable.any(axis=1))[0])
    teacher = p.teacher_names[t]
    tt, l, _other = _clash(p, tiny.hidden)
    marks = views.grid_marks(p, tt, "teacher", teacher, pinned=[3])
    assert marks.unavailable.tolist() == p.teacher_unavailable[t].tolist()
    q = int(np.flatnonzero(p.teacher_unavailable[t])[0])
    assert marks.why[q] == f"teacher {teacher} is unavailable"
    c = int(p.lecture_course[l])
    course_marks = views.grid_marks(p, tt, "curriculum", p.curriculum_names[0], course=c)
    assert course_marks.unavailable.tolist() == p.unavailable[c].tolist()
    assert course_marks.undesired.tolist() == (p.course_undesired[c] & ~p.unavailable[c]).tolist()
    whole = views.grid_marks(p, tt, "department", p.department_names[int(p.course_department[c])])
    assert l in whole.conflicts and marks.pinned == frozenset({3})
    load_app("timetable")
    from ui import editing as E

    html = E.grid_markup(p, tt, "teacher", teacher, marks=marks)
    assert html.count("tt-unavailable") == int(p.teacher_unavailable[t].sum())
    assert f"title='teacher {teacher} is unavailable'" in html
    view = views.course_mask(p, "teacher", teacher)
    if view[c]:
        assert "tt-violation" in html


def test_timetable_grid_and_preview_name_the_other_course(store, tiny):
    tt_app = load_app("timetable")
    p = tiny.problem
    studio = services.Studio(store)
    clash, l, other = _clash(p, tiny.hidden)
    vid = store.variants.save("tiny", clash, evaluate(p, clash), name="clash", problem=p)
    c = int(p.lecture_course[l])
    teacher = p.teacher_names[int(p.course_teacher[c])]
    state = tt_app.TimetableState(studio, scenario="tiny", variant=str(vid), view="teacher", key=teacher)
    markup = state.grid_markup()
    assert f"data-lecture='{l}'" in markup and "tt-violation" in markup
    assert f"clashes with {p.course_names[other]}" in markup
    # on the feasible variant, previewing the same move names the other course before it is made
    planted = int(store.variants.list("tiny")[0]["id"])
    state.variant = planted
    state.editor.lecture = l
    state.editor.period = int(clash.period[l])
    assert int(state.editor.room) == int(clash.room[l])
    assert "Moving it to" in state.editor.preview and "hard +" in state.editor.preview
    assert f"clashes with {p.course_names[other]} at {p.period_labels[clash.period[l]]}" in state.editor.preview


# ============================================================================ a scenario without curricula
def test_a_scenario_without_curricula_opens_on_its_teachers(store, campus):
    tt_app = load_app("timetable")
    p = campus.problem
    assert p.n_curricula == 0
    state = tt_app.TimetableState(services.Studio(store), scenario="campus")
    assert state.view == "teacher" and state.key == p.teacher_names[0]
    assert not state.grid.empty and not state.messages.error
    assert state.grid_markup().count("data-lecture=") > 0
    state.view = "curriculum"  # asked for explicitly (the view picker): said why, and the teachers shown
    assert state.view == "teacher" and "scenario 'campus' has no curricula; showing its teachers" in \
        state.messages.error
    linked = tt_app.TimetableState(services.Studio(store), scenario="campus", view="curriculum")
    assert linked.view == "teacher" and "has no curricula" in linked.messages.error
    tiny_state = tt_app.TimetableState(services.Studio(store), scenario="tiny")
    assert tiny_state.view == "curriculum"  # curricula where there are some
    # switching scenario (as the picker does) loads the other scenario and its variant, and a view with items
    tiny_state.scenario = "campus"
    assert tiny_state.view == "teacher" and tiny_state.key == p.teacher_names[0]
    assert tiny_state.variant == int(store.variants.list("campus")[0]["id"])
    assert tiny_state._problem.n_courses == p.n_courses


# ============================================================================ pins and re-solving
class RecordingRunner:
    """Stands in for the job runner: records what is submitted, queues the job in the store."""

    def __init__(self, store):
        self.store = store
        self.submitted = []

    def submit(self, scenario, **kwargs):
        self.submitted.append((scenario, kwargs))
        return self.store.jobs.create(scenario, params={k: kwargs[k] for k in ("time_limit", "initial_variant",
                                                                                "pinned")},
                                      strategy=kwargs["strategy"], name=kwargs.get("name"))


def test_pin_lectures_and_resolve_from_the_variant(store, tiny):
    tt_app = load_app("timetable")
    p = tiny.problem
    runner = RecordingRunner(store)
    studio = services.Studio(store, lambda: runner)
    vid = int(store.variants.list("tiny")[0]["id"])
    teacher = p.teacher_names[0]
    state = tt_app.TimetableState(studio, scenario="tiny", variant=str(vid), view="teacher", key=teacher)
    state.resolve()
    assert "pick the lectures to pin first" in state.messages.error and not runner.submitted
    shown = state.shown_lectures()
    assert shown and all(p.course_teacher[p.lecture_course[x]] == 0 for x in shown)
    state.pin(shown)
    assert state.pinned == sorted(shown) and f"{len(shown)} lecture(s) pinned ({len(shown)} in this view)" in \
        state.pins_text()
    assert state.grid_markup().count("tt-pinned") == len(shown)
    # another view: its own lectures picked, the first teacher's stay pinned
    state.key = p.teacher_names[1]
    mine = state.shown_lectures()[:1]
    state.set_view_pins(mine)
    assert state.pinned == sorted(shown + mine)
    state.resolve_time_limit = 12
    job = state.resolve()
    assert job is not None and f"job {job} queued" in state.messages.info
    scenario, kwargs = runner.submitted[-1]
    assert scenario == "tiny" and kwargs["initial_variant"] == vid and kwargs["pinned"] == sorted(shown + mine)
    assert kwargs["time_limit"] == 12 and kwargs["name"] == f"re-solve of #{vid} with {len(shown) + 1} pinned"
    # unsaved edits: refused (the job starts from the stored variant)
    free = next(q for q in range(p.n_periods) if not (state._timetable.period == q).any())
    state.editor.move_to(mine[0], free)
    assert state.editor.edited
    n = len(runner.submitted)
    state.resolve()
    assert "unsaved edits" in state.messages.error and len(runner.submitted) == n
    # a new scenario drops the pins
    state.scenario = "campus"
    assert state.pinned == []


def test_resolve_pinned_checks_rights_and_lectures(store, tiny):
    runner = RecordingRunner(store)
    vid = int(store.variants.list("tiny")[0]["id"])
    store.users.add("vera", "viewer")
    with pytest.raises(auth.PermissionDenied):
        services.Studio(store, lambda: runner, user="vera").jobs.resolve_pinned("tiny", vid, [0])
    studio = services.Studio(store, lambda: runner)
    with pytest.raises(TimetableError, match="do not exist"):
        studio.jobs.resolve_pinned("tiny", vid, [10 ** 6])
    with pytest.raises(TimetableError, match="belongs to scenario 'tiny', not 'campus'"):
        studio.jobs.resolve_pinned("campus", vid, [0])
    unplaced = store.variants.load(vid)[0].copy()
    unplaced.period[0] = unplaced.room[0] = -1
    other = store.variants.save("tiny", unplaced, evaluate(tiny.problem, unplaced), name="hole", problem=tiny.problem)
    with pytest.raises(TimetableError, match="not placed in variant"):
        studio.jobs.resolve_pinned("tiny", other, [0])
    assert not runner.submitted


# ============================================================================ response times: shared problems
def test_a_scenario_is_loaded_once_per_version_of_its_data(studio, store):
    a = studio.data.problem("tiny")
    assert studio.data.problem("tiny") is a and services.Studio(store).data.problem("tiny") is a
    vid = int(store.variants.list("tiny")[0]["id"])
    (v,) = studio.variants.load(a, [vid])
    assert v.fits and not v.info["stale"]
    assert studio.data.check("tiny")[0] == studio.data.check("tiny")[0]
    room = a.room_names[0]
    studio.data.edit_cell("tiny", "rooms", room, "capacity", int(a.room_capacity[0]) + 1)
    b = studio.data.problem("tiny")
    assert b is not a and int(b.room_capacity[0]) == int(a.room_capacity[0]) + 1
    (v,) = studio.variants.load(b, [vid])
    assert v.fits and v.info["stale"]  # made for other data
    # a change that does not go through the services (the store, as the CLI writes) is seen as well
    store.tables.update("rooms", "tiny", room, capacity=3)
    c = studio.data.problem("tiny")
    assert c is not b and int(c.room_capacity[0]) == 3
    # the checks are those of the data now
    from tt_core import checks

    again, table = studio.data.check("tiny")
    fresh = store.scenarios.load_problem("tiny")
    assert [str(f) for f in again] == [str(f) for f in checks.check(fresh)]
    assert table["required"].tolist() == [x.required for x in checks.loads(fresh)]
