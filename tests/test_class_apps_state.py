"""The apps' state on a store holding both kinds of scenario: a curriculum one (``tiny``) and a
class-based one (the hand-made instance of ``tests/services/test_class_variants.py``), driven the
way the widgets and links drive them, without a browser."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

from tt_core import services
from tt_core.classes.model import ClassSolution
from tt_core.cost import evaluate
from tt_core.io.itc2019 import solution_xml
from tt_core.store import Store
from tt_core.synth import Recipe, generate

sys.path.insert(0, str(Path(__file__).resolve().parent / "classes"))
sys.path.insert(0, str(Path(__file__).resolve().parent / "services"))
from test_apps_state import load_app  # noqa: E402
from test_class_variants import XML  # noqa: E402


@pytest.fixture
def studio(tmp_path):
    tiny = generate(Recipe.preset("tiny"))
    with Store.open(tmp_path / "both.duckdb") as store:
        store.scenarios.import_problem(tiny.problem, "tiny")
        store.variants.save("tiny", tiny.hidden, evaluate(tiny.problem, tiny.hidden), name="hidden",
                            problem=tiny.problem)
        studio = services.Studio(store)
        studio.files.import_file("uni.xml", XML.encode(), "uni")
        p = studio.data.class_problem("uni")
        for name, time in (("a", [0, 0, 0]), ("b", [0, 0, 1])):  # variants 2 and 3
            sol = ClassSolution.create(p, time, students=[[0, 1, 2]])
            studio.files.import_class_solution("uni", f"{name}.xml", solution_xml(p, sol).encode())
        yield studio


def test_timetable_opens_a_link_and_switches_between_the_kinds(studio):
    app = load_app("timetable")
    state = app.TimetableState(studio, scenario="uni", variant="2", view="course", key="bio")
    assert (state.kind, state.variant, state.view, state.key) == ("classes", 2, "course", "bio")
    assert not state.messages.error
    assert list(state.classes.week_options.values()) == [0, 1]
    state.classes.week = 1
    assert state.classes.table[["day", "from", "to", "minutes", "class"]].values.tolist() == [
        ["Mon", "07:00", "07:50", 50, "B1"]]
    # another view opens on its first item; a room view lists the rooms the variant uses
    state.view = "room"
    assert state.key == "r1" and list(state.key_options) == ["r1", "r2"]
    # the first day of week 1 is a Monday: another day is moved to its week's Monday, with a word
    state.classes.first_day = dt.date(2027, 1, 6)
    assert state.classes.first_day == dt.date(2027, 1, 4) and "Monday" in state.messages.warning
    assert "week 2 (11.01.2027)" in state.classes.title
    # to the curriculum scenario and back: each shows its own views (from a class-only view, quietly)
    state.view = "course"
    state.scenario = "tiny"
    assert state.kind == "curriculum" and not state.grid.empty and state.view_options() == list(app.VIEWS)
    assert state.view == "curriculum" and not state.messages.error
    state.scenario = "uni"
    assert state.kind == "classes" and state.view in app.CLASS_VIEWS and state.classes.markup
    # a view a class timetable does not have, from a link
    state.apply(view="teacher")
    assert state.view == "room" and "per room, course or student" in state.messages.error


def test_data_app_shows_the_class_tables(studio):
    app = load_app("data")
    state = app.DataState(studio)
    state.scenario = "uni"
    assert state.kind == "classes" and state.table == "class_courses"
    assert state.count_text() == "3 courses (configs, subparts, classes)"
    assert state.spec.read_only and not state.spec.addable
    state.search = "math"
    assert state.count_text() == "2 of 3 courses (configs, subparts, classes) match"
    state.table = "class_students"
    assert state.frame.values.tolist() == [["s1", "math bio"]]
    assert "3 classes" in state.scenario_summary()
    state.scenario = "tiny"
    assert state.kind == "curriculum" and state.table == "rooms"


def test_variants_app_compares_class_variants_and_chooses_one(studio):
    app = load_app("variants")
    state = app.VariantsState(studio)
    state.scenario = "uni"
    assert state.kind == "classes" and (state.classes.a, state.classes.b) == (2, 3)
    assert state.classes.moved["class"].tolist() == ["B1"]
    assert state.classes.violations["variant"].tolist() == ["#3"]
    state.classes.param.update(a=3, b=2)
    assert state.classes.summary.startswith("1 class(es) moved from #3 to #2")
    state.to_choose = 2
    state.choose()
    assert "chosen" in state.classes.label_of(2) and "now the chosen" in state.messages.info
    state.scenario = "tiny"
    assert state.kind == "curriculum" and not state.metrics.empty


def test_generate_lists_class_scenarios_and_submits_a_class_job_it_follows(studio):
    """A class-based scenario in Generate: its strategies, its own weights (the curriculum's sliders,
    profiles and checks set aside with a reason), a job queued with the runner's checks, its
    progress followed, and its variant linked to the class apps."""
    app = load_app("generate")

    def starting():  # the job goes to the queue through queue_job: the checks the runner makes
        raise services.RunnerStarting("the job runner is starting…")

    studio = services.Studio(studio.store, starting)
    state = app.GenerateState(studio, runner_status=lambda: ("starting", "starting…"))
    assert set(state.param.scenario.objects) == {"tiny", "uni"}
    state.scenario = "tiny"
    assert state.kind == "curriculum" and "local" in state.param.strategy.objects
    state.strategy = "cpsat"
    state.scenario = "uni"
    assert state.kind == "classes" and state.param.strategy.objects == ["classes"] and state.strategy == "classes"
    assert state.class_weights == "time 1, room 2, distribution 3, student 4"  # the XML's <optimization>
    assert "for curriculum scenarios" in state.check_summary and state.findings.empty
    assert state.param.profile.objects == [""]
    note, profiles, *sliders = app._weights_sidebar(state)  # the sidebar says why the sliders are gone
    assert note.visible and "uses the weights" not in note.object and "time 1, room 2" in note.object
    assert not profiles.visible and not any(card.visible for card in sliders)
    state.load_profile()
    assert "weight profiles are for curriculum scenarios; 'uni' is class-based" in state.messages.error
    state.param.update(time_limit=2, seed=4, job_name="term plan")
    job = state.start()
    row = studio.store.jobs.get(job)
    assert row["status"] == "queued" and row["strategy"] == "classes" and row["params"]["weights"] is None
    assert row["name"] == "term plan" and "(classes, 2 s)" in state.messages.info
    # what the runner writes, the page follows; a class job's cost is its weighted total
    studio.store.jobs.start_attempt(job)
    studio.store.jobs.append_events(job, [
        {"kind": "progress", "stage": "construct", "fraction": 0.1, "best_cost": None, "hard_violations": 2,
         "elapsed": 0.2, "eta": 1.8},
        {"kind": "progress", "stage": "search", "fraction": 0.5, "best_cost": 7, "hard_violations": 0,
         "elapsed": 1.0, "eta": 1.0}])
    state.poll()
    assert (state.status, state.progress, state.stage, state.best_cost) == ("running", 50, "search", 7)
    assert "best total 7" in state.summary()
    studio.store.jobs.update_status(job, "succeeded", message="saved variant 2", variant_id=2)
    state.poll()
    assert state.status == "succeeded" and state.variant_id == 2 and state.job_scenario == "uni"
    # back to the curriculum scenario: its strategies and weights again
    state.scenario = "tiny"
    assert state.kind == "curriculum" and state.strategy == "local" and state.class_weights == ""
    assert not note.visible and profiles.visible and all(card.visible for card in sliders)
    assert "error" in state.check_summary or "warning" in state.check_summary
