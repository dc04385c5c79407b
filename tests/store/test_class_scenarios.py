"""Class-based scenarios (ITC2019 style) in the store: problems and timetables round-trip exactly."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

from tt_core.classes.evaluator import evaluate
from tt_core.classes.model import ClassProblem
from tt_core.errors import TimetableError
from tt_core.io.itc2019 import read_problem_xml, read_solution_xml
from tt_core.store import Store

ITC2019 = Path(__file__).resolve().parents[2].parent / "shared" / "itc2019"
pytestmark = pytest.mark.skipif(not ITC2019.is_dir(), reason="../shared/itc2019 is not beside the project")


def assert_same(a: ClassProblem, b: ClassProblem) -> None:
    for f in fields(ClassProblem):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y), f.name
        else:
            assert x == y, f.name


@pytest.fixture
def db(tmp_path):
    with Store.open(tmp_path / "c.duckdb") as store:
        yield store


@pytest.mark.parametrize("instance", ["lums-sum17", "wbg-fal10", "pu-cs-fal07"])
def test_a_class_problem_comes_back_with_identical_arrays(db, instance):
    problem = read_problem_xml(ITC2019 / f"{instance}.xml")
    sid = db.classes.import_problem(problem, instance)
    assert db.classes.is_class_scenario(instance) and db.scenarios.names() == [instance]
    assert_same(db.classes.load_problem(sid), problem)


def test_a_solution_is_a_variant_with_its_costs_and_comes_back(db):
    problem = read_problem_xml(ITC2019 / "lums-sum17.xml")
    solution = read_solution_xml(problem, ITC2019 / "solutions" / "lums-sum17.xml")
    report = evaluate(problem, solution)
    db.classes.import_problem(problem, "lums")
    vid = db.classes.save_solution("lums", solution, report=report, name="finalist", problem=problem)
    row = db.variants.list("lums")[0]
    assert row["id"] == vid and row["hard_violations"] == 0 and row["soft_cost"] == report.total == 17
    back, info = db.classes.load_solution(vid)
    assert not info["stale"] and info["name"] == "finalist"
    assert np.array_equal(back.time, solution.time) and np.array_equal(back.room, solution.room)
    assert np.array_equal(back.student_ptr, solution.student_ptr)
    assert evaluate(problem, back).total == report.total


def test_data_frames_for_people_and_refusals(db):
    problem = read_problem_xml(ITC2019 / "wbg-fal10.xml")
    db.classes.import_problem(problem, "wbg")
    courses = db.classes.frame("wbg", "courses")
    assert len(courses) == problem.n_classes and set(courses.columns) >= {"course", "config", "subpart", "class"}
    assert len(db.classes.frame("wbg", "rooms")) == problem.n_rooms
    assert len(db.classes.frame("wbg", "distributions")) == problem.n_distributions
    assert len(db.classes.frame("wbg", "students")) == problem.n_students
    [row] = db.scenarios.overview()  # `tt scenarios` (it showed 0 courses and 0 rooms)
    assert (row["courses"], row["classes"], row["rooms"], row["lectures"]) == \
           (problem.n_courses, problem.n_classes, problem.n_rooms, 0)
    with pytest.raises(TimetableError, match="unknown table"):
        db.classes.frame("wbg", "teachers")
    with pytest.raises(TimetableError, match="already exists"):
        db.classes.import_problem(problem, "wbg")


def test_deleting_a_class_scenario_leaves_no_row(db):
    problem = read_problem_xml(ITC2019 / "lums-sum17.xml")
    solution = read_solution_xml(problem, ITC2019 / "solutions" / "lums-sum17.xml")
    db.classes.import_problem(problem, "lums")
    db.classes.save_solution("lums", solution, problem=problem)
    db.scenarios.delete("lums")
    for table in ("class_problems", "class_rooms", "class_classes", "class_times", "class_assignments",
                  "class_attendance", "variants", "scenarios"):
        assert db.query(f"SELECT count(*) AS n FROM {table}")[0]["n"] == 0, table


def test_a_curriculum_scenario_is_not_a_class_scenario(db):
    from tt_core.synth import Recipe, generate

    db.scenarios.import_problem(generate(Recipe.preset("tiny")).problem, "tiny")
    assert not db.classes.is_class_scenario("tiny")
    with pytest.raises(TimetableError, match="holds curriculum data"):
        db.classes.load_problem("tiny")


def test_cli_imports_an_instance_and_a_solution_and_exports_a_solution_that_validates(tmp_path, capsys):
    from tt_core import cli

    db = str(tmp_path / "cli.duckdb")
    assert cli.main(["import", str(ITC2019 / "lums-sum17.xml"), "--db", db]) == 0
    assert cli.main(["import", str(ITC2019 / "solutions" / "lums-sum17.xml"), "--db", db]) == 2
    assert "give the scenario it solves with --scenario" in capsys.readouterr().err
    assert cli.main(["import", str(ITC2019 / "solutions" / "lums-sum17.xml"), "--db", db,
                     "--scenario", "lums-sum17"]) == 0
    assert "0 hard violation(s), total 17" in capsys.readouterr().out
    out = tmp_path / "back.xml"
    assert cli.main(["export", "lums-sum17", "--variant", "1", "--to", str(out), "--db", db]) == 0
    problem = read_problem_xml(ITC2019 / "lums-sum17.xml")
    assert evaluate(problem, read_solution_xml(problem, out)).total == 17
    assert cli.main(["export", "lums-sum17", "--to", str(out), "--db", db]) == 2  # no variant given
    assert "give --variant" in capsys.readouterr().err
