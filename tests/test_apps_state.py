"""The apps' state classes and the services behind them, without a browser or a server.

Each app module (``apps/<name>.py``) is imported from its file; its state class is driven the way
its widgets drive it, over a real DuckDB store holding the synthetic ``tiny`` university.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import shutil
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tt_core import constraints as K
from tt_core import profiles, services, views
from tt_core.commands.data import university_meta
from tt_core.cost import evaluate
from tt_core.errors import TimetableError, ValidationError
from tt_core.model import Problem, Timetable
from tt_core.store import Store
from tt_core.synth import Recipe, generate

APPS = Path(__file__).resolve().parents[1] / "apps"


def load_app(name: str):
    """Import ``apps/<name>.py`` as a module (the apps folder is not a package)."""
    key = f"tt_app_{name}"
    if key in sys.modules:
        return sys.modules[key]
    spec = importlib.util.spec_from_file_location(key, APPS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[key] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tiny():
    return generate(Recipe.preset("tiny"))


@pytest.fixture(scope="module")
def template_db(tiny, tmp_path_factory) -> Path:
    """A database with scenario ``tiny`` and two variants: the hidden timetable and a changed copy."""
    path = tmp_path_factory.mktemp("apps") / "template.duckdb"
    p = tiny.problem
    with Store.open(path) as db:
        db.scenarios.import_problem(p, "tiny", meta=university_meta(tiny))
        db.variants.save("tiny", tiny.hidden, evaluate(p, tiny.hidden), name="hidden", problem=p)
        db.variants.save("tiny", moved_copy(p, tiny.hidden), evaluate(p, moved_copy(p, tiny.hidden)),
                        name="moved", problem=p)
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


def moved_copy(problem: Problem, timetable: Timetable) -> Timetable:
    """The timetable with the first single-period lecture moved to a free period of its room."""
    tt = timetable.copy()
    l = int(np.flatnonzero(problem.course_length[problem.lecture_course] == 1)[0])
    busy = {(int(p), int(r)) for p, r in zip(tt.period, tt.room)}
    for p in range(problem.n_periods):
        if (p, int(tt.room[l])) not in busy and p != tt.period[l]:
            tt.period[l] = p
            return tt
    raise AssertionError("no free period")  # pragma: no cover


# ============================================================================ services (pure)
def test_occupancy_counts_every_period_of_every_lecture(tiny):
    p, tt = tiny.problem, tiny.hidden
    grid = views.occupancy(p, tt)
    assert grid.shape == (p.days, p.periods_per_day)
    assert grid.sum() == int((p.course_lectures * p.course_length).sum())
    # one room: at most one lecture per period in a feasible timetable
    room = p.room_names[0]
    assert views.occupancy(p, tt, "room", room).max() <= 1
    # a department's grid is part of the institution's
    dept = p.department_names[0]
    assert (views.occupancy(p, tt, "department", dept) <= grid).all()
    frame = views.occupancy_frame(p, tt, "curriculum", p.curriculum_names[0])
    assert list(frame.columns) == ["day", "period", "lectures"]
    assert list(dict.fromkeys(frame["day"])) == ["Mon", "Tue", "Wed", "Thu", "Fri"]
    assert frame["period"].iloc[0] == "09:00"


def test_views_refuse_unknown_items(tiny):
    with pytest.raises(TimetableError, match="unknown teacher 'nobody'"):
        views.occupancy(tiny.problem, tiny.hidden, "teacher", "nobody")
    with pytest.raises(TimetableError, match="unknown view"):
        views.view_keys(tiny.problem, "building")


def test_weekly_grid_cells_name_course_room_and_teacher(tiny):
    p, tt = tiny.problem, tiny.hidden
    teacher = p.teacher_names[0]
    grid = views.weekly_grid(p, tt, "teacher", teacher, {teacher: "Ada Abe (T0001)"})
    texts = [x for col in grid.columns for cell in grid[col] for x in cell.split("\n") if x]
    courses = np.flatnonzero(p.course_teacher == 0)
    expected = sum(int(p.course_lectures[c] * p.course_length[c]) for c in courses)
    assert len(texts) == expected
    c = int(courses[0])
    l = int(p.course_lecture_ptr[c])
    d, s = divmod(int(tt.period[l]), p.periods_per_day)
    assert f"{p.course_names[c]} · {p.room_names[tt.room[l]]} · Ada Abe (T0001)" in grid.iloc[s, d]
    html = views.grid_html(grid)
    assert html.count("<tr>") == p.periods_per_day + 1 and "Ada Abe (T0001)" in html


def test_lecture_moves_lists_exactly_the_moved_lecture(tiny):
    p = tiny.problem
    a = tiny.hidden
    b = moved_copy(p, a)
    moves = views.lecture_moves(p, a, b)
    assert len(moves) == 1
    row = moves.iloc[0]
    l = int(np.flatnonzero(a.period != b.period)[0])
    assert row["course"] == p.course_names[p.lecture_course[l]]
    assert row["change"] == "time"
    assert row["from"].endswith(p.room_names[a.room[l]]) and row["to"].endswith(p.room_names[b.room[l]])
    assert views.lecture_moves(p, a, a).empty
    # renumbering the lectures of a course is not a move
    c = int(np.flatnonzero(p.course_lectures >= 2)[0])
    lo = int(p.course_lecture_ptr[c])
    swapped = a.copy()
    swapped.period[[lo, lo + 1]] = a.period[[lo + 1, lo]]
    swapped.room[[lo, lo + 1]] = a.room[[lo + 1, lo]]
    assert views.lecture_moves(p, a, swapped).empty


def test_expand_weights_dimension_then_constraint():
    w = profiles.expand_weights({"teacher": 3, "TeacherDailyLoad": 5})
    assert w["TeacherPreference"] == 3 and w["TeacherDailyLoad"] == 5
    assert w["MinWorkingDays"] == 5  # untouched ITC weight
    assert set(w) == {c.name for c in K.CONSTRAINTS if not c.hard}
    with pytest.raises(TimetableError, match="unknown constraint 'Bogus'"):
        profiles.expand_weights({"Bogus": 1})


def test_coerce_value_refuses_with_the_reason():
    rooms = services.TABLES["rooms"]
    assert services.coerce_value(rooms, "capacity", "42") == 42
    assert services.coerce_value(rooms, "capacity", 42.0) == 42
    with pytest.raises(ValidationError, match="must be at least 0, got -5"):
        services.coerce_value(rooms, "capacity", -5)
    with pytest.raises(ValidationError, match="expected a whole number, got 'many'"):
        services.coerce_value(rooms, "capacity", "many")
    with pytest.raises(ValidationError, match="a name cannot be empty"):
        services.coerce_value(rooms, "name", "  ")
    assert services.coerce_value(rooms, "room_type", "") is None
    courses = services.TABLES["courses"]
    assert services.coerce_value(courses, "room_types", "lab, seminar") == ["lab", "seminar"]
    with pytest.raises(ValidationError, match="one of core, elective, open"):
        services.coerce_value(courses, "category", "mandatory")
    with pytest.raises(ValidationError, match="cannot be edited"):
        services.coerce_value(courses, "explicit_rooms", True)


# ============================================================================ Studio over a store
def test_edit_cell_saves_valid_values_and_refuses_bad_ones(studio, store):
    room = store.tables.read("rooms", "tiny")["name"].iloc[0]
    studio.data.edit_cell("tiny", "rooms", room, "capacity", 77)
    assert int(store.tables.read("rooms", "tiny").set_index("name").loc[room, "capacity"]) == 77
    with pytest.raises(ValidationError, match="must be at least 0"):
        studio.data.edit_cell("tiny", "rooms", room, "capacity", -1)
    assert int(store.tables.read("rooms", "tiny").set_index("name").loc[room, "capacity"]) == 77
    # valid for the row, impossible for the scenario: a lecture longer than a day is undone
    course = store.tables.read("courses", "tiny")["name"].iloc[0]
    with pytest.raises(ValidationError, match="lecture length 9 must be between 1 and 6"):
        studio.data.edit_cell("tiny", "courses", course, "length", 9)
    assert int(store.tables.read("courses", "tiny").set_index("name").loc[course, "length"]) in (1, 2, 3)
    studio.data.problem("tiny")  # still loads
    # renaming a teacher keeps the courses pointing at them
    teacher = store.tables.read("teachers", "tiny")["name"].iloc[0]
    studio.data.edit_cell("tiny", "teachers", teacher, "name", "T9999")
    assert "T9999" in set(store.tables.read("courses", "tiny")["teacher"])


def test_link_rows_add_and_delete(studio, store):
    teacher = studio.data.names("tiny", "teachers")[0]
    before = len(store.tables.read("teacher_preferences", "tiny"))
    taken = set(store.tables.read("teacher_preferences", "tiny").query("teacher == @teacher")["period"])
    period = next(p for p in range(30) if p not in taken)
    studio.data.add_row("tiny", "teacher_preferences", {"teacher": teacher, "period": period})
    assert len(store.tables.read("teacher_preferences", "tiny")) == before + 1
    with pytest.raises(ValidationError, match="outside the time grid"):
        studio.data.add_row("tiny", "teacher_preferences", {"teacher": teacher, "period": 999})
    studio.data.delete_row("tiny", "teacher_preferences", (teacher, period))
    assert len(store.tables.read("teacher_preferences", "tiny")) == before


def test_metrics_frame_matches_the_evaluator(studio, tiny):
    p = studio.data.problem("tiny")
    ids = [int(v["id"]) for v in studio.variants.list("tiny")]
    views = studio.variants.load(p, ids)
    m = studio.variants.metrics_frame(p, views).set_index("constraint")
    for v in views:
        report = evaluate(p, v.timetable)
        assert m.loc["soft cost", f"#{v.id} cost"] == report.soft_cost
        for name, (units, cost) in report.by_constraint().items():
            assert m.loc[name, f"#{v.id} units"] == units
            assert m.loc[name, f"#{v.id} cost"] == cost


def test_import_and_export_round_trip(studio, itc_instance):
    path = itc_instance("comp01")
    assert studio.files.import_file("comp01.ctt", path.read_bytes(), "itc one") == "itc one"
    assert studio.data.problem("itc one").n_courses == 30
    name, data = studio.files.export_data("itc one", "ctt")
    assert name == "itc_one.ctt" and data.startswith(b"Name:")
    name, data = studio.files.export_data("tiny", "zip")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert "tiny/courses.csv" in zf.namelist()
    studio.files.import_file("tables.zip", data, "tiny again")
    a, b = studio.data.problem("tiny"), studio.data.problem("tiny again")
    assert a.course_names == b.course_names and np.array_equal(a.room_capacity, b.room_capacity)
    name, data = studio.files.export_data("tiny", "xlsx")
    studio.files.import_file(name, data, "tiny xlsx")
    assert studio.data.problem("tiny xlsx").n_lectures == a.n_lectures


def test_import_refuses_bad_uploads_naming_the_file(studio):
    with pytest.raises(TimetableError, match="unknown file type"):
        studio.files.import_file("notes.txt", b"hello", "x")
    with pytest.raises(TimetableError, match="bad.ctt"):
        studio.files.import_file("bad.ctt", b"Name: x\nCourses: zero\n", "x")
    with pytest.raises(TimetableError, match="not a zip file"):
        studio.files.import_file("t.zip", b"not a zip", "x")
    with pytest.raises(TimetableError, match="already exists"):
        studio.files.import_file("t.ctt", b"Name: x", "tiny")
    assert studio.data.scenarios() == ["tiny"]


def test_timetable_exports(studio, tiny):
    import icalendar
    from openpyxl import load_workbook

    p = tiny.problem
    vid = int(studio.variants.list("tiny")[0]["id"])
    teacher = p.teacher_names[0]
    name, data = studio.files.export_timetable("tiny", vid, "ical", "teacher", teacher, start_date=dt.date(2026, 9, 7),
                                         weeks=10)
    assert name.endswith(".ics")
    cal = icalendar.Calendar.from_ical(data)
    events = [e for e in cal.walk("VEVENT")]
    mine = np.flatnonzero(p.course_teacher[p.lecture_course] == 0)
    assert len(events) == len(mine)
    assert {str(e["summary"]) for e in events} == {p.course_names[p.lecture_course[l]] for l in mine}
    name, data = studio.files.export_timetable("tiny", vid, "xlsx")
    wb = load_workbook(io.BytesIO(data))
    assert "index" in wb.sheetnames and len(wb.sheetnames) > 3
    name, data = studio.files.export_timetable("tiny", vid, "html", "room", p.room_names[0])
    assert data.startswith(b"<!DOCTYPE html>") and p.room_names[0].encode() in data
    with pytest.raises(TimetableError, match="one teacher, curriculum, room or student"):
        studio.files.export_timetable("tiny", vid, "ical", "department", p.department_names[0])


# ============================================================================ app state classes
class FakeRunner:
    """Stands in for the job runner: records what the state submits, queues the job in the store."""

    def __init__(self, store):
        self.store = store
        self.submitted = []
        self.cancelled = []

    def submit(self, scenario, **kwargs):
        self.submitted.append((scenario, kwargs))
        return self.store.jobs.create(scenario, params={"time_limit": kwargs["time_limit"]},
                                     strategy=kwargs["strategy"])

    def cancel(self, job_id):
        self.cancelled.append(job_id)
        return "cancelling"

    def retry(self, job_id):
        self.store.jobs.update_status(job_id, "queued", message="retry requested")
        return "queued"


def test_generate_state_submits_settings_and_follows_progress(store):
    gen = load_app("generate")
    runner = FakeRunner(store)
    state = gen.GenerateState(services.Studio(store, lambda: runner), runner_status=lambda: ("ready", ""))
    assert state.scenario == "tiny" and state.runner_ready
    state.weights.RoomCapacity = 4.0
    state.param.update(time_limit=7, seed=3, strategy="local")
    job = state.start()
    (scenario, kw), = runner.submitted
    assert scenario == "tiny" and kw["time_limit"] == 7 and kw["seed"] == 3 and kw["strategy"] == "local"
    assert kw["weights"]["RoomCapacity"] == 4.0 and kw["weights"]["MinWorkingDays"] == 5.0
    assert state.job_id == job and state.status == "queued" and state.progress == 0
    # the runner writes progress to the store; a poll picks it up
    store.jobs.start_attempt(job)
    store.jobs.append_events(job, [
        {"stage": "anneal", "fraction": 0.25, "best_cost": 30, "hard_violations": 0, "elapsed": 1.0, "eta": 6.0},
        {"stage": "anneal", "fraction": 0.5, "best_cost": 12, "hard_violations": 0, "elapsed": 2.0, "eta": 4.0}])
    state.poll()
    assert (state.status, state.progress, state.stage, state.eta, state.best_cost) == ("running", 50, "anneal", 4.0, 12)
    assert state.trace["best_cost"].tolist() == [30, 12]
    assert "Job" in state.summary() and "50 %" in state.summary() and "ETA 4 s" in state.summary()
    state.cancel()
    assert runner.cancelled == [job]
    store.jobs.append_events(job, [{"stage": "anneal", "fraction": 0.9, "best_cost": 9, "elapsed": 3.0, "eta": 1.0}])
    store.jobs.update_status(job, "succeeded", message="saved variant 9")
    state.poll()
    assert state.status == "succeeded" and state.progress == 100 and state.eta == 0
    assert state.trace["best_cost"].tolist() == [30, 12, 9]
    assert state.jobs["status"].tolist() == ["succeeded"]
    # watching another job reads its history from the start
    state.watch(None)
    assert state.trace.empty and state.job_id is None


def test_generate_state_resumes_a_cancelled_job(store):
    gen = load_app("generate")
    runner = FakeRunner(store)
    state = gen.GenerateState(services.Studio(store, lambda: runner), runner_status=lambda: ("ready", ""))
    job = state.start()
    store.jobs.start_attempt(job)
    store.jobs.update_status(job, "cancelled", message="cancelled; kept its best timetable")
    state.poll()
    assert state.status == "cancelled" and "cancelled" in state.messages.info
    state.resume()
    assert state.status == "queued" and "resumes from its last checkpoint" in state.messages.info
    state.watch(None)
    state.resume()
    assert "pick a job" in state.messages.error


def test_generate_state_shows_errors_instead_of_raising(store):
    gen = load_app("generate")
    state = gen.GenerateState(services.Studio(store, None), runner_status=lambda: ("starting", "starting…"))
    assert not state.runner_ready and state.runner == "starting…"
    state.start()
    assert "no job runner" in state.messages.error
    state.cancel()
    assert "start a job or pick one" in state.messages.error
    state.time_limit = 5
    state.profile_name = ""
    state.save_profile()
    assert "give the weight profile a name" in state.messages.error


def test_generate_state_weight_profiles(store):
    gen = load_app("generate")
    state = gen.GenerateState(services.Studio(store), runner_status=lambda: ("ready", ""))
    state.weights.TimeOfDay = 6.5
    state.profile_name = "evening"
    state.save_profile()
    assert state.profile == "evening" and "evening" in state.param.profile.objects
    state.reset_weights()
    assert state.weights.TimeOfDay == 1.0
    state.load_profile()
    assert state.weights.TimeOfDay == 6.5 and not state.messages.error
    assert store.weights.get("tiny", "evening")["TimeOfDay"] == 6.5


def test_variants_state_compares_and_chooses(store, tiny):
    var = load_app("variants")
    state = var.VariantsState(services.Studio(store))
    assert len(state.selected) == 2
    assert len(state.heatmaps) == 2
    assert {f"#{v} cost" for v in state.selected} <= set(state.metrics.columns)
    assert len(state.moves) == 1
    state.view = "teacher"
    assert state.key == tiny.problem.teacher_names[0]
    (label, frame), _ = state.heatmaps
    assert frame["lectures"].sum() == sum(
        int(tiny.problem.course_lectures[c] * tiny.problem.course_length[c])
        for c in np.flatnonzero(tiny.problem.course_teacher == 0))
    state.to_choose = state.selected[1]
    state.choose()
    assert [v["id"] for v in store.variants.list("tiny") if v["chosen"]] == [state.selected[1]]
    assert "chosen" in state.messages.info
    state.selected = state.selected[:1]
    # one variant on screen; the diff still compares the two picked (any two variants of the scenario)
    assert len(state.heatmaps) == 1 and len(state.moves) == 1


def test_timetable_state_follows_the_link_and_falls_back(store, tiny):
    tt = load_app("timetable")
    p = tiny.problem
    studio = services.Studio(store)
    ids = [int(v["id"]) for v in store.variants.list("tiny")]
    state = tt.TimetableState(studio, scenario="tiny", variant=str(ids[0]), view="room", key=p.room_names[1])
    assert (state.scenario, state.variant, state.view, state.key) == ("tiny", ids[0], "room", p.room_names[1])
    assert not state.messages.error
    assert list(state.grid.columns) == ["Mon", "Tue", "Wed", "Thu", "Fri"]
    assert p.room_names[1] in state.title
    bad = tt.TimetableState(studio, scenario="nope", variant="999", view="teacher", key="ghost")
    assert bad.scenario == "tiny" and bad.variant in ids and bad.key == p.teacher_names[0]
    assert "no scenario 'nope'" in bad.messages.error
    # changing a parameter (as the widgets and the URL do) redraws
    state.view = "teacher"
    assert state.key == p.teacher_names[0] and p.teacher_names[0] in state.title
    state.key = p.teacher_names[1]
    assert state.grid.to_numpy().tolist() != tt.TimetableState(studio, view="teacher").grid.to_numpy().tolist()
    data = state.download("ical")
    assert data is not None and b"BEGIN:VCALENDAR" in data.getvalue()
    assert state.filename("ical").endswith(".ics")


def test_data_state_edits_refuses_and_imports(store, itc_instance):
    data_app = load_app("data")
    state = data_app.DataState(services.Studio(store))
    assert state.scenario == "tiny" and state.table == "rooms"
    row = 0
    room = state.frame.iloc[row]["name"]
    state.edit(row, "capacity", state.frame.iloc[row]["capacity"], 123)
    assert "saved" in state.messages.info
    assert int(state.frame.iloc[row]["capacity"]) == 123
    state.frame.loc[row, "capacity"] = -4  # what the table shows right after a bad edit
    state.edit(row, "capacity", 123, -4)
    assert "must be at least 0" in state.messages.error
    assert int(state.frame.iloc[row]["capacity"]) == 123  # the stored value is shown again
    assert int(store.tables.read("rooms", "tiny").set_index("name").loc[room, "capacity"]) == 123
    # renaming: the key is the old value
    state.frame.loc[row, "name"] = "NEW-ROOM"
    state.edit(row, "name", room, "NEW-ROOM")
    assert state.frame.iloc[row]["name"] == "NEW-ROOM"
    state.table = "teacher_unavailability"
    assert state.spec.addable and "teacher" in state.choices
    n = len(state.frame)
    state.delete([0])
    assert len(state.frame) == n - 1
    state.import_name = ""
    assert state.import_upload("comp01.ctt", itc_instance("comp01").read_bytes()) == "comp01"
    assert state.scenario == "comp01" and "comp01" in state.param.scenario.objects
    state.import_upload("x.ctt", None)
    assert "choose a .ctt" in state.messages.error
    out = state.download("ctt")
    assert out is not None and out.getvalue().startswith(b"Name: Fis0506-1")


def test_download_button_sends_nothing_when_the_export_failed(store):
    load_app("timetable")
    from ui import shared as S

    messages = S.Messages()

    def failing():
        messages.fail(TimetableError("pick a teacher first"))

    ok = S.Download(callback=lambda: io.BytesIO(b"BEGIN:VCALENDAR"), filename="a.ics")
    ok._clicks += 1  # what a click does
    assert ok.data.startswith("data:") and ok.filename == "a.ics"
    bad = S.Download(callback=failing, filename="b.ics")
    bad._clicks += 1
    assert bad.data is None and messages.error == "pick a teacher first"


@pytest.mark.parametrize("app, cls, hint", [
    ("variants", "VariantsState", "import one in the Data app"),
    ("workflow", "WorkflowAppState", "import one in the Data app"),
    ("timetable", "TimetableState", "import one in the Data app"),
    ("generate", "GenerateState", "import one in the Data app"),
    ("availability", "AvailabilityState", "no scenario yet"),
    ("data", "DataState", "import one below"),
])
def test_an_empty_database_opens_every_app_with_a_hint(tmp_path, app, cls, hint):
    with Store.open(tmp_path / "empty.duckdb") as db:
        state = getattr(load_app(app), cls)(services.Studio(db))
        assert "The database has no scenario yet" in state.messages.error and hint in state.messages.error


# ============================================================================ hardening (issue 17)
def test_generate_is_a_read_only_page_for_roles_that_may_not_run_jobs(store):
    """A viewer's Generate page lists the jobs and shows no error; a crafted start is refused."""
    gen = load_app("generate")
    store.users.add("vic", "viewer")
    runner = FakeRunner(store)
    job = runner.submit("tiny", time_limit=3, strategy="local")
    studio = services.Studio(store, lambda: runner, user="vic")
    state = gen.GenerateState(studio, runner_status=lambda: ("ready", ""), allowed=studio.allowed("run_jobs"))
    assert not state.allowed and state.messages.error == ""
    assert state.jobs["id"].tolist() == [job]
    state.start()  # what a revealed, clicked Start would do
    assert "may not start solver jobs" in state.messages.error
    assert len(runner.submitted) == 1 and len(store.jobs.list()) == 1


def test_the_job_name_is_shown_and_a_running_job_has_no_variant_yet(store):
    """The name typed in Generate names the job in the summary, the jobs table and its variant; the
    variant column is text, empty while the job runs (not "NaN")."""
    gen = load_app("generate")
    runner = FakeRunner(store)
    runner.submit = lambda scenario, **kw: store.jobs.create(scenario, params={"time_limit": kw["time_limit"]},
                                                             strategy=kw["strategy"], name=kw["name"])
    state = gen.GenerateState(services.Studio(store, lambda: runner), runner_status=lambda: ("ready", ""))
    state.job_name = "night run"
    job = state.start()
    assert "'night run'" in state.messages.info and "night run" in state.summary()
    row = state.jobs.set_index("id").loc[job]
    assert row["name"] == "night run" and row["variant"] == ""
    assert not np.issubdtype(np.asarray(state.jobs["variant"]).dtype, np.number)  # text, never NaN
    p = store.scenarios.load_problem("tiny")
    tt, _ = store.variants.load(1)
    store.jobs.start_attempt(job)
    vid = store.jobs.save_variant(job, p, tt.period, tt.room)
    store.jobs.update_status(job, "succeeded", message=f"saved variant {vid}", variant_id=vid)
    state.refresh_jobs()
    assert state.jobs.set_index("id").loc[job, "variant"] == f"#{vid}"
    assert store.variants.load(vid)[1]["name"] == f"night run (job {job})"
    assert f"#{vid} night run (job {job})" in services.Studio(store).variants.options("tiny")


def test_a_job_started_while_the_runner_starts_waits_in_the_queue_and_runs(store, tiny):
    """Start is usable before the process's runner is up: the job is queued in the database (same
    checks, same row, same audit entry) and the runner runs it once it has started."""
    from tt_core.jobs.runner import JobRunner

    gen = load_app("generate")

    def starting():
        raise services.RunnerStarting("the job runner is starting (a few seconds)…")

    state = gen.GenerateState(services.Studio(store, starting), runner_status=lambda: ("starting", "starting…"))
    assert state.can_start and not state.runner_ready
    state.strategy = "local"
    state.time_limit = 2
    job = state.start()
    assert state.messages.error == "" and store.jobs.get(job)["status"] == "queued"
    assert store.audit_log(5)["action"].tolist()[0] == "start job"
    with pytest.raises(TimetableError, match="time limit must be a positive number"):  # as the runner refuses it
        state.studio.jobs.submit("tiny", strategy="local", time_limit=0)
    path = store.path
    store.close()
    with JobRunner(path, n_workers=1, max_concurrent=1) as runner:
        deadline = time.monotonic() + 240
        while runner.get_job(job)["status"] not in ("succeeded", "failed"):
            assert time.monotonic() < deadline, runner.get_job(job)
            time.sleep(0.2)
        done = runner.get_job(job)
        assert done["status"] == "succeeded", done["message"]


def test_the_variants_diff_follows_the_compared_pair_and_shows_their_weights(store, tiny):
    """Comparing #3 and #1 diffs #3 → #1 (not the previous pair); the weights table shows the weights
    each compared variant was optimised for."""
    var = load_app("variants")
    p = tiny.problem
    third = store.variants.save("tiny", moved_copy(p, tiny.hidden),
                                evaluate(p, moved_copy(p, tiny.hidden), {"RoomCapacity": 7.0}), name="heavy rooms",
                                problem=p)
    state = var.VariantsState(services.Studio(store))
    assert state.selected == [third, 2] and (state.diff_a, state.diff_b) == (third, 2)
    state.selected = [third, 1]
    assert (state.diff_a, state.diff_b) == (third, 1)
    assert state.diff_summary.startswith(f"#{third} → #1: 1 moved")
    # a pair picked by hand stays while the comparison does not change
    state.param.update(diff_a=1, diff_b=2)
    state.view = "teacher"
    assert (state.diff_a, state.diff_b) == (1, 2) and state.diff_summary.startswith("#1 → #2")
    w = state.weights.set_index("constraint")
    assert list(w.columns) == [f"#{third}", "#1", "differs"]
    assert w.loc["RoomCapacity", f"#{third}"] == 7.0 and w.loc["RoomCapacity", "#1"] == 1.0
    assert w.loc["RoomCapacity", "differs"] and not w.loc["MinWorkingDays", "differs"]
    assert not any(K.HARD_MASK[K.index_of(n)] for n in w.index)


def test_panel_serve_apps_glob_reaches_exactly_the_apps():
    """``panel serve apps/*.py`` serves every file the glob names: those are the apps and the landing
    page, and the helpers live in the package ``apps/ui`` (which ``panel serve apps/`` skips too)."""
    load_app("main")  # puts apps/ on sys.path
    from ui import shared as S

    served = sorted(f.stem for f in APPS.glob("*.py"))
    assert served == sorted([name for name, _ in S.APPS] + ["main"])
    for name in served:
        text = (APPS / f"{name}.py").read_text()
        assert ".servable()" in text, f"apps/{name}.py is served but is not an app"
    assert (APPS / "ui" / "__init__.py").is_file() and not list(APPS.glob("_*.py"))
    assert "apps/ui/server_setup.py" in (APPS.parent / "Makefile").read_text()
