"""The services on a class-based scenario (real university data): importing an ITC2019 instance and
its solutions as bytes, the class tables, evaluated variants, a week on the clock, two variants
compared, iCal on real dates and the solution file, and who may do what.

A hand-made instance with hand-computed answers: course ``math`` (lecture ``L1`` Mon+Wed
08:30-09:45 both weeks, lab ``X1`` Mon 10:00-11:50 in week 1) and course ``bio`` (``B1`` Mon
07:00-07:50 or 08:30-09:20, week 2); student ``s1`` takes both courses.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from tt_core import services
from tt_core.auth import PermissionDenied
from tt_core.classes import evaluate
from tt_core.classes.model import ClassSolution
from tt_core.classes.views import week_html
from tt_core.errors import ProblemFormatError, TimetableError
from tt_core.io.itc2019 import read_solution_xml, solution_xml
from tt_core.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "classes"))
from classes_samples import Cls, instance_xml, read_text  # noqa: E402

XML = instance_xml([
    Cls("L1", [("1010000", 102, 15, "11"), ("0101000", 108, 10, "11")], ["r1", "r2"], course="math", config="m",
        subpart="lec"),
    Cls("X1", [("1000000", 120, 22, "10")], ["r2"], course="math", config="m", subpart="lab"),
    Cls("B1", [("1000000", 84, 10, "01"), ("1000000", 102, 10, "01")], ["r1"], course="bio"),
], [("SameDays", 3, ["L1", "X1"])], students=[("s1", ["math", "bio"])], name="uni", weights=(1, 2, 3, 4))


@pytest.fixture
def problem(tmp_path):
    return read_text(tmp_path, XML)


@pytest.fixture
def studio(tmp_path):
    with Store.open(tmp_path / "c.duckdb") as store:
        yield services.Studio(store)


def _solutions(problem):
    """``a``: every class at its first option; ``b``: B1 at 08:30, in r1 beside L1 (a room conflict)."""
    a = ClassSolution.create(problem, [0, 0, 0], students=[[0, 1, 2]])
    b = ClassSolution.create(problem, [0, 0, 1], students=[[0, 1, 2]])
    return a, b


def _with_variants(studio, problem):
    studio.files.import_file("uni.xml", XML.encode(), "uni")
    a, b = _solutions(problem)
    va = studio.files.import_class_solution("uni", "a.xml", solution_xml(problem, a).encode())
    vb = studio.files.import_class_solution("uni", "b.xml", solution_xml(problem, b).encode(), name="moved")
    return va, vb


def test_an_uploaded_instance_is_a_class_scenario_with_its_tables(studio):
    assert studio.files.import_file("uni.xml", XML.encode(), "uni") == "uni"
    assert studio.data.is_class_scenario("uni")
    courses = studio.data.class_table("uni", "courses")
    assert list(courses.columns) == ["course", "config", "subpart", "class", "limit", "parent", "times", "rooms"]
    assert courses[["course", "subpart", "class", "times", "rooms"]].values.tolist() == [
        ["math", "lec", "L1", 2, 2], ["math", "lab", "X1", 1, 1], ["bio", "pB1", "B1", 2, 1]]
    assert studio.data.class_table("uni", "rooms")["room"].tolist() == ["r1", "r2", "r3"]
    dist = studio.data.class_table("uni", "class_distributions")
    assert dist[["type", "required", "penalty", "classes"]].values.tolist() == [["SameDays", False, 3, "L1 X1"]]
    assert studio.data.class_table("uni", "students").values.tolist() == [["s1", "math bio"]]
    with pytest.raises(TimetableError, match="unknown table 'teachers'"):
        studio.data.class_table("uni", "teachers")
    # the curriculum tools say what the scenario is instead of failing on it
    with pytest.raises(TimetableError, match="holds classes"):
        studio.data.problem("uni")
    with pytest.raises(TimetableError, match="holds classes"):
        studio.data.check("uni")


def test_a_bad_upload_names_the_file_and_line_and_writes_nothing(studio):
    bad = XML.replace('<room id="r2" capacity="50">', '<room id="r2" capacity="many">', 1)
    with pytest.raises(ProblemFormatError) as err:
        studio.files.import_file("uni.xml", bad.encode(), "uni")
    assert re.match(r"uni\.xml, line \d+: ", str(err.value)) and "tt-import" not in str(err.value)
    assert studio.data.scenarios() == []
    solution = '<solution name="uni"><class id="L1" days="1010000" start="102" weeks="11" room="r1"/></solution>'
    with pytest.raises(TimetableError, match="solution, not an instance"):
        studio.files.import_file("sol.xml", solution.encode(), "uni")
    studio.files.import_file("uni.xml", XML.encode(), "uni")
    wrong = solution.replace('room="r1"', 'room="r3"')
    with pytest.raises(ProblemFormatError, match=r"^sol\.xml, line 1: .*does not offer room r3"):
        studio.files.import_class_solution("uni", "sol.xml", wrong.encode())
    assert studio.class_variants.rows("uni") == []


def test_variants_are_listed_with_their_exact_costs(studio, problem):
    va, vb = _with_variants(studio, problem)
    rows = {r["id"]: r for r in studio.class_variants.rows("uni")}
    for vid, sol in zip((va, vb), _solutions(problem)):
        report = evaluate(problem, sol)
        assert rows[vid]["total"] == report.total and rows[vid]["hard"] == report.hard_violations
        assert {k: rows[vid][k] for k in ("time", "room", "distribution", "student")} == report.penalties
    assert rows[vb]["hard"] == 1 and rows[vb]["student"] == 1  # B1 beside L1: room and student conflict
    assert list(studio.class_variants.options("uni").values()) == [vb, va]  # newest first
    assert "1 hard" in next(iter(studio.class_variants.options("uni")))


def test_a_week_on_the_clock_per_student_room_and_course(studio, problem):
    va, _vb = _with_variants(studio, problem)
    cv = studio.class_variants
    assert cv.weeks("uni", va) == [0, 1]
    assert cv.keys("uni", "room", va) == ["r1", "r2"]  # r3 is never used
    week1 = [(problem.class_ids[m.klass], m.day, m.start, m.end) for m in cv.week("uni", va, "student", "s1", 0)]
    assert week1 == [("L1", 0, 102, 117), ("X1", 0, 120, 142), ("L1", 2, 102, 117)]
    week2 = [(problem.class_ids[m.klass], m.day) for m in cv.week("uni", va, "room", "r1", 1)]
    assert week2 == [("B1", 0), ("L1", 0), ("L1", 2)]
    assert [problem.class_ids[m.klass] for m in cv.week("uni", va, "course", "bio", 0)] == []
    with pytest.raises(TimetableError, match="no room 'r9'"):
        cv.week("uni", va, "room", "r9", 0)
    with pytest.raises(TimetableError, match="outside the term"):
        cv.week("uni", va, "room", "r1", 2)
    with pytest.raises(TimetableError, match="not per 'teacher'"):
        cv.keys("uni", "teacher")


def test_the_week_is_drawn_to_scale(studio, problem):
    va, _vb = _with_variants(studio, problem)
    meetings = studio.class_variants.week("uni", va, "student", "s1", 0)
    html = week_html(problem, meetings, first_day=dt.date(2027, 1, 4), week=0, px_per_hour=60)
    blocks = re.findall(r'data-class="(\w+)" data-day="(\d)" data-start="([\d:]+)" data-end="([\d:]+)".*?'
                        r'style="top:([\d.]+)px;height:([\d.]+)px', html)
    # one pixel a minute from 08:00 (the first hour): L1 08:30-09:45, X1 10:00-11:50
    assert [(c, d, s, e, float(t), float(h)) for c, d, s, e, t, h in blocks] == [
        ("L1", "0", "08:30", "09:45", 30.0, 75.0), ("X1", "0", "10:00", "11:50", 120.0, 110.0),
        ("L1", "2", "08:30", "09:45", 30.0, 75.0)]
    assert "Mon 04.01." in html and "Wed 06.01." in html


def test_two_variants_compared(studio, problem):
    va, vb = _with_variants(studio, problem)
    c = studio.class_variants.compare("uni", va, vb)
    comp = c.components.set_index("component")
    a, b = (evaluate(problem, s) for s in _solutions(problem))
    assert comp.loc["weighted total", f"#{va}"] == a.total and comp.loc["weighted total", f"#{vb}"] == b.total
    assert comp.loc["student penalty", "weight"] == 4 and comp.loc["student × weight", f"#{vb}"] == 4
    assert comp.loc["hard: room conflicts", "change"] == 1 and comp.loc["hard violations", f"#{va}"] == 0
    assert c.violations[["variant", "kind"]].values.tolist() == [[f"#{vb}", "room conflicts"]]
    assert "B1" in c.violations["classes"].iloc[0] and "L1" in c.violations["classes"].iloc[0]
    assert c.moved.values.tolist() == [["bio", "B1", "pB1", "time", "Mon 07:00-07:50 week 2, room r1",
                                        "Mon 08:30-09:20 week 2, room r1"]]
    assert c.summary().startswith(f"1 class(es) moved from #{va} to #{vb} (1 time, 0 room, 0 both)")
    with pytest.raises(TimetableError, match="two different variants"):
        studio.class_variants.compare("uni", va, va)


def test_ical_on_real_dates_and_the_solution_file(studio, problem):
    import icalendar

    va, _vb = _with_variants(studio, problem)
    name, data = studio.files.export_class_timetable("uni", va, "ical", "student", "s1", first_day=dt.date(2027, 1, 4))
    assert name == f"uni-v{va}-student-s1.ics"
    events = sorted((str(e["summary"]), e.decoded("dtstart"), e.decoded("dtend"), str(e.get("location")))
                    for e in icalendar.Calendar.from_ical(data).walk("VEVENT"))
    at = dt.datetime
    assert events == sorted([
        ("math (class L1)", at(2027, 1, 4, 8, 30), at(2027, 1, 4, 9, 45), "r1"),
        ("math (class L1)", at(2027, 1, 6, 8, 30), at(2027, 1, 6, 9, 45), "r1"),
        ("math (class L1)", at(2027, 1, 11, 8, 30), at(2027, 1, 11, 9, 45), "r1"),
        ("math (class L1)", at(2027, 1, 13, 8, 30), at(2027, 1, 13, 9, 45), "r1"),
        ("math (class X1)", at(2027, 1, 4, 10, 0), at(2027, 1, 4, 11, 50), "r2"),
        ("bio (class B1)", at(2027, 1, 11, 7, 0), at(2027, 1, 11, 7, 50), "r1")])
    with pytest.raises(TimetableError, match="must be a Monday"):
        studio.files.export_class_timetable("uni", va, "ical", "student", "s1", first_day=dt.date(2027, 1, 5))
    name, data = studio.files.export_class_timetable("uni", va, "xml")
    path = Path(studio.store.path).parent / name
    path.write_bytes(data)
    back = read_solution_xml(problem, path)
    a, _ = _solutions(problem)
    assert np.array_equal(back.time, a.time) and np.array_equal(back.room, a.room)
    assert back.student_lists()[0].tolist() == [0, 1, 2]


def test_rights_are_checked_as_for_curriculum_scenarios(tmp_path, problem):
    with Store.open(tmp_path / "r.duckdb") as store:
        store.users.add("vera", "viewer")
        store.users.add("pat", "planner")
        viewer, planner = services.Studio(store, user="vera"), services.Studio(store, user="pat")
        with pytest.raises(PermissionDenied, match="vera"):
            viewer.files.import_file("uni.xml", XML.encode(), "uni")
        planner.files.import_file("uni.xml", XML.encode(), "uni")
        a, _ = _solutions(problem)
        with pytest.raises(PermissionDenied, match="vera"):
            viewer.files.import_class_solution("uni", "a.xml", solution_xml(problem, a).encode())
        vid = planner.files.import_class_solution("uni", "a.xml", solution_xml(problem, a).encode())
        # anyone may look and download
        assert [r["id"] for r in viewer.class_variants.rows("uni")] == [vid]
        assert viewer.files.export_class_timetable("uni", vid, "xml")[1].startswith(b"<?xml")
