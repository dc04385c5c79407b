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
