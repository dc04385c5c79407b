"""``tt import``, ``tt export``, ``tt synth``, ``tt scenarios`` and ``tt demo build``."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import icalendar
import numpy as np
import pytest
from data_samples import COURSES, META, assert_same_problem, rich_problem, rich_timetable
from openpyxl import load_workbook

from tt_core.cli import main
from tt_core.io.itc2007 import format_ctt, read_ctt, read_sol, write_ctt
from tt_core.io.tables import read_tables, write_tables
from tt_core.model import Problem, Timetable
from tt_core.store import Store

REPO_ROOT = Path(__file__).resolve().parents[1]


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def small_itc() -> Problem:
    return Problem.create(name="Small", days=2, periods_per_day=2, courses=["c1", "c2"], course_teacher=["t1", "t2"],
                          course_lectures=[2, 1], course_min_days=[2, 1], course_students=[10, 20],
                          rooms=["rA", "rB"], room_capacity=[15, 30], curricula=[("q1", ["c1", "c2"])],
                          unavailable=[("c2", 0)])


@pytest.fixture
def rich_store(tmp_db):
    """A database with the rich scenario and one variant of it; returns (path, variant id)."""
    with Store.open(tmp_db) as db:
        db.scenarios.import_problem(rich_problem(), "rich", meta=META, term="T1")
        vid = db.variants.save("rich", rich_timetable(), name="hand made")
    return tmp_db, vid


def test_import_an_itc_instance_and_export_it_again(capsys, tmp_path, tmp_db, itc_instance):
    src = itc_instance("comp01")
    code, out, err = run(capsys, "import", src, "--db", tmp_db)
    assert code == 0, err
    assert out.startswith(f"imported {src} as scenario 'comp01' (id 1) in {tmp_db}: 30 courses, 160 lectures")
    code, out, err = run(capsys, "export", "comp01", "--db", tmp_db, "--to", tmp_path / "back.ctt")
    assert code == 0, err
    assert (tmp_path / "back.ctt").read_text() == "\n".join(
        line.rstrip() for line in src.read_text().splitlines()) + "\n"


def test_import_export_and_solution_of_a_small_ctt(capsys, tmp_path, tmp_db):
    write_ctt(small_itc(), tmp_path / "small.ctt")
    assert run(capsys, "import", tmp_path / "small.ctt", "--db", tmp_db, "--scenario", "my 'small'; one")[0] == 0
    with Store.open(tmp_db) as db:
        tt = Timetable(np.array([0, 3, 1]), np.array([0, 0, 1]))
        vid = db.variants.save("my 'small'; one", tt)
    code, out, err = run(capsys, "export", "my 'small'; one", "--db", tmp_db, "--variant", vid,
                         "--to", tmp_path / "small.sol")
    assert code == 0, err
    assert read_sol(read_ctt(tmp_path / "small.ctt"), tmp_path / "small.sol") == tt
    assert (tmp_path / "small.sol").read_text() == "c1 rA 0 0\nc1 rA 1 1\nc2 rB 0 1\n"
    # by id as well as by name
    assert run(capsys, "export", "1", "--db", tmp_db, "--to", tmp_path / "again.ctt")[0] == 0
    assert (tmp_path / "again.ctt").read_text() == format_ctt(small_itc())


def test_import_of_bad_tables_reports_every_row_and_creates_nothing(capsys, tmp_path, tmp_db):
    folder = write_tables(rich_problem(), tmp_path / "bundle")
    rows = read_csv(folder / "rooms.csv")
    rows[1][1] = "forty"
    rows[2][3] = "Annex"  # a building missing from buildings.csv
    with open(folder / "rooms.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    code, out, err = run(capsys, "import", folder, "--db", tmp_db)
    assert code == 2 and out == ""
    assert f"error: cannot import {folder} (2 problem(s)):" in err
    assert "rooms.csv, row 2, column capacity: capacity 'forty' is not a number" in err
    assert "rooms.csv, row 3, column building: unknown building 'Annex' (not in buildings.csv)" in err
    assert "Traceback" not in err
    assert not tmp_db.exists()


def test_tables_round_trip_through_the_cli(capsys, tmp_path, tmp_db):
    write_tables(rich_problem(), tmp_path / "in.xlsx", meta=META, institution="Uni", term="T1")
    assert run(capsys, "import", tmp_path / "in.xlsx", "--db", tmp_db, "--scenario", "rich")[0] == 0
    assert run(capsys, "export", "rich", "--db", tmp_db, "--to", tmp_path / "out.xlsx")[0] == 0
    assert run(capsys, "export", "rich", "--db", tmp_db, "--to", tmp_path / "out")[0] == 0
    for path in (tmp_path / "out.xlsx", tmp_path / "out"):
        bundle = read_tables(path)
        assert_same_problem(bundle.problem, rich_problem())
        assert bundle.meta == META and (bundle.institution, bundle.term) == ("Uni", "T1")
    with Store.open(tmp_db) as db:
        assert db.scenarios.meta("rich")["source"] == str(tmp_path / "in.xlsx")


def test_exports_of_a_variant(capsys, tmp_path, rich_store):
    db, vid = rich_store
    code, out, err = run(capsys, "export", "rich", "--db", db, "--variant", vid, "--to", tmp_path / "a.csv")
    assert code == 0, err
    rows = read_csv(tmp_path / "a.csv")
    assert len(rows) == 8 and rows[1][:6] == [COURSES[0], "1", "0", "1", "Mon 09:00", "R'1"]
    assert run(capsys, "export", "rich", "--db", db, "--variant", vid, "--to", tmp_path / "g.xlsx")[0] == 0
    assert "teacher Pat O'Brien" in load_workbook(tmp_path / "g.xlsx").sheetnames
    code, out, err = run(capsys, "export", "rich", "--db", db, "--variant", vid, "--format", "ical",
                         "--to", tmp_path / "cal", "--start", "2025-09-01", "--weeks", "5")
    assert code == 0, err
    assert out == f"wrote 9 calendars to {tmp_path / 'cal'}\n"
    cal = icalendar.Calendar.from_ical((tmp_path / "cal" / "rooms" / "Lab_A.ics").read_bytes())
    (lab,) = cal.walk("VEVENT")
    assert lab.decoded("dtstart").isoformat() == "2025-09-03T08:00:00" and dict(lab["rrule"])["COUNT"] == [5]


def test_export_errors(capsys, tmp_path, rich_store):
    db, vid = rich_store
    cases = [
        (["export", "nope", "--db", db, "--to", tmp_path / "x.ctt"], "no scenario 'nope'"),
        (["export", "rich", "--db", db, "--to", tmp_path / "x.ctt"], "cannot be written as an ITC2007 .ctt file"),
        (["export", "rich", "--db", db, "--to", tmp_path / "x.sol"], "give --variant ID"),
        (["export", "rich", "--db", db, "--variant", vid, "--to", tmp_path / "x"], "give --format"),
        (["export", "rich", "--db", db, "--variant", vid, "--format", "ical", "--to", tmp_path / "c"], "--start"),
        (["export", "rich", "--db", db, "--variant", "chosen", "--to", tmp_path / "x.csv"], "no chosen variant"),
        (["export", "rich", "--db", db, "--variant", "77", "--to", tmp_path / "x.csv"], "not a variant of scenario"),
        (["export", "rich", "--db", tmp_path / "none.duckdb", "--to", tmp_path / "x.csv"], "no database at"),
        (["export", "rich", "--db", db, "--variant", vid, "--to", tmp_path / "x.sol"], "cannot be written to an ITC2007"),
    ]
    for argv, message in cases:
        code, out, err = run(capsys, *argv)
        assert code == 2 and message in err and "Traceback" not in err, (argv, err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["test.duckdb"]
    with Store.open(db) as s:
        s.variants.choose(vid)
        s.tables.update("rooms", "rich", "R'1", capacity=1)  # the variant no longer matches the data
    assert run(capsys, "export", "rich", "--db", db, "--variant", "chosen", "--to", tmp_path / "x.csv")[2].count(
        "generate a new variant") == 1


def test_synth_to_files_and_database(capsys, tmp_path, tmp_db):
    code, out, err = run(capsys, "synth", "tiny", "--out", tmp_path / "tiny", "--db", tmp_db, "--seed", "7")
    assert code == 0, err
    assert "wrote synth-tiny-s7 to" in out and "as scenario 'tiny' (id 1)" in out
    bundle = read_tables(tmp_path / "tiny")
    with Store.open(tmp_db) as db:
        assert_same_problem(db.scenarios.load_problem("tiny"), bundle.problem)
        assert db.variants.list("tiny") == []
        assert db.scenarios.meta("tiny")["teacher_full_names"] == bundle.meta["teacher_full_names"]
    code, out, err = run(capsys, "synth", "tiny", "--out", tmp_path / "t.ctt")
    assert code == 2 and "cannot be written as an ITC2007 .ctt file" in err
    assert run(capsys, "synth", "tiny")[2].startswith("error: say where the university goes")
    assert "unknown synthetic university preset 'huge'" in run(capsys, "synth", "huge", "--db", tmp_db)[2]


def test_demo_build(capsys, tmp_path):
    out_db = tmp_path / "demo.duckdb"
    recipe = REPO_ROOT / "data" / "demo.toml"
    code, out, err = run(capsys, "demo", "build", "--out", out_db, "--recipe", recipe)
    assert code == 0, err
    assert "scenario 'demo': 200 courses" in out
    with Store.open(out_db) as db:
        assert db.scenarios.names() == ["demo"]
        assert db.variants.list("demo") == [] and db.jobs.list() == []  # no made-up timetable
        assert db.weights.get("demo", "itc")["MinWorkingDays"] == 5.0
        assert db.tables.read("users")[["name", "role"]].values.tolist() == [["admin", "admin"], ["planner", "planner"],
                                                                      ["viewer", "viewer"]]
        assert db.scenarios.meta("demo")["summary"]["courses"] == 200
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.duckdb"]
    code, out, err = run(capsys, "demo", "build", "--out", out_db, "--recipe", recipe)
    assert code == 2 and "already exists; use --force" in err
    assert run(capsys, "demo", "build", "--out", out_db, "--recipe", recipe, "--force")[0] == 0


def test_scenarios_listing_and_default_database(capsys, tmp_path, monkeypatch, rich_store):
    db, _ = rich_store
    monkeypatch.setenv("TT_DB", str(db))
    code, out, err = run(capsys, "scenarios")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["id", "name", "institution", "term", "instance", "courses", "lectures", "classes", "rooms",
                                "curricula", "variants", "created"]
    assert lines[1].split()[:2] == ["1", "rich"] and " T1 " in lines[1] and "rich test" in lines[1]
    data = json.loads(run(capsys, "scenarios", "--json")[1])
    assert data[0]["name"] == "rich" and data[0]["variants"] == 1 and data[0]["lectures"] == 7
    monkeypatch.setenv("TT_DB", str(tmp_path / "elsewhere.duckdb"))
    assert "no database at" in run(capsys, "scenarios")[2]
