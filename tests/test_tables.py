"""CSV folder / Excel workbook import and export (``tt_core.io.tables``): round trips and every kind of
bad row, reported all at once with file or sheet, row, column and reason."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from data_samples import COURSES, META, ROOMS, TEACHERS, assert_same_problem, rich_problem, rich_timetable
from openpyxl import load_workbook

from tt_core.errors import ProblemFormatError, ValidationError
from tt_core.io.itc2007 import read_ctt
from tt_core.io.tables import TABLES, read_tables, write_assignments_csv, write_tables
from tt_core.store import Store
from tt_core.synth import Recipe, generate


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def write_csv(path: Path, rows: list[list]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


def edit_csv(folder: Path, table: str, edit) -> None:
    rows = read_csv(folder / f"{table}.csv")
    edit(rows)
    write_csv(folder / f"{table}.csv", rows)


@pytest.fixture
def bundle_dir(tmp_path) -> Path:
    """A valid CSV bundle of the rich problem."""
    return write_tables(rich_problem(), tmp_path / "bundle", meta=META, institution="Uni", term="T1")


def problems_of(exc: pytest.ExceptionInfo) -> list[str]:
    assert isinstance(exc.value, ValidationError)
    return exc.value.problems


# ====================================================================================== round trips


@pytest.mark.parametrize("suffix", ["", ".xlsx"])
def test_rich_problem_round_trip(tmp_path, suffix):
    path = write_tables(rich_problem(), tmp_path / f"bundle{suffix}", meta=META, institution="Uni", term="T1")
    bundle = read_tables(path)
    assert_same_problem(bundle.problem, rich_problem())
    assert bundle.meta == META
    assert (bundle.institution, bundle.term) == ("Uni", "T1")


@pytest.mark.parametrize("suffix", ["", ".xlsx"])
def test_synthetic_university_round_trip(tmp_path, suffix):
    university = generate(Recipe.preset("tiny"))
    bundle = read_tables(write_tables(university.problem, tmp_path / f"u{suffix}"))
    assert_same_problem(bundle.problem, university.problem)


def test_itc_instance_round_trip(tmp_path, itc_instance):
    original = read_ctt(itc_instance("comp01"))
    assert_same_problem(read_tables(write_tables(original, tmp_path / "comp01.xlsx")).problem, original)


def test_excel_to_database_and_back(tmp_path, tmp_db):
    first = write_tables(rich_problem(), tmp_path / "in.xlsx", meta=META, institution="Uni", term="T1")
    bundle = read_tables(first)
    with Store.open(tmp_db) as db:
        db.scenarios.import_problem(bundle.problem, "from excel", institution=bundle.institution, term=bundle.term,
                          meta=bundle.meta)
        info = db.scenarios.get("from excel")
        second = write_tables(db.scenarios.load_problem("from excel"), tmp_path / "out.xlsx", meta=db.scenarios.meta("from excel"),
                              institution=info["institution"], term=info["term"])
    again = read_tables(second)
    assert_same_problem(again.problem, rich_problem())
    assert again.meta == META
    # the two workbooks hold the same cells
    a, b = load_workbook(first, read_only=True), load_workbook(second, read_only=True)
    try:
        assert a.sheetnames == b.sheetnames
        for name in a.sheetnames:
            assert list(a[name].iter_rows(values_only=True)) == list(b[name].iter_rows(values_only=True)), name
    finally:
        a.close()
        b.close()


def test_written_bundle_has_every_table_and_verbatim_names(bundle_dir):
    assert sorted(p.stem for p in bundle_dir.glob("*.csv")) == sorted(TABLES)
    courses = read_csv(bundle_dir / "courses.csv")
    assert courses[0] == ["name", "teacher", "lectures", "min_days", "students", "length", "department", "category",
                          "room_types", "offering"]
    assert [r[0] for r in courses[1:]] == list(COURSES)
    assert courses[2][8] == "lecture hall" and courses[3][8] == "lab" and courses[4][8] == ""
    assert read_csv(bundle_dir / "course_rooms.csv")[1:] == [[COURSES[3], ROOMS[0]], [COURSES[3], ROOMS[3]]]


def test_formula_like_names_stay_text_in_excel(tmp_path):
    p = rich_problem()
    p = p.replace(room_names=("=1+1",) + p.room_names[1:])
    bundle = read_tables(write_tables(p, tmp_path / "f.xlsx"))
    assert bundle.problem.room_names[0] == "=1+1"


def test_semicolon_separated_csv_and_spreadsheet_quirks(bundle_dir):
    rows = read_csv(bundle_dir / "rooms.csv")
    with open(bundle_dir / "rooms.csv", "w", newline="", encoding="utf-8-sig") as fh:  # Excel's CSV: BOM and ';'
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(rows[0])
        writer.writerow([""] * len(rows[0]))  # an empty row is skipped
        writer.writerows(rows[1:])
    edit_csv(bundle_dir, "courses", lambda r: r[0].__setitem__(3, " Min Days "))  # header case and spaces
    assert_same_problem(read_tables(bundle_dir).problem, rich_problem())


def test_minimal_bundle_with_settings_instead_of_a_time_grid(tmp_path):
    folder = tmp_path / "min"
    folder.mkdir()
    write_csv(folder / "settings.csv", [["key", "value"], ["name", "mini"], ["days", "2"], ["periods_per_day", "3"]])
    write_csv(folder / "teachers.csv", [["name"], ["ann"]])
    write_csv(folder / "courses.csv", [["name", "teacher", "lectures", "min_days", "students"],
                                       ["c1", "ann", "2", "2", "10"]])
    write_csv(folder / "rooms.csv", [["name", "capacity"], ["r1", "12"]])
    p = read_tables(folder).problem
    assert (p.name, p.days, p.periods_per_day, p.n_lectures, p.n_curricula) == ("mini", 2, 3, 2, 0)
    assert p.period_labels[4] == "day 1 period 1" and p.room_building.tolist() == [-1]


# ====================================================================================== validation


def test_every_bad_row_is_reported_at_once(bundle_dir, tmp_db):
    edit_csv(bundle_dir, "courses", lambda r: r[1].__setitem__(1, "Nobody"))                 # unknown teacher
    edit_csv(bundle_dir, "rooms", lambda r: r[2].__setitem__(1, "lots"))                     # not a number
    edit_csv(bundle_dir, "curriculum_courses", lambda r: r.append(["Q9", COURSES[1]]))       # no such curriculum
    edit_csv(bundle_dir, "rooms", lambda r: r.append([ROOMS[0], "10", "", "", ""]))          # duplicate name
    edit_csv(bundle_dir, "unavailability", lambda r: r.append([COURSES[1], "3", "0"]))       # day out of range
    edit_csv(bundle_dir, "courses", lambda r: r[2].__setitem__(8, "lecture hall | aula"))    # unknown room type
    edit_csv(bundle_dir, "courses", lambda r: r[3].__setitem__(2, "-1"))                     # negative
    edit_csv(bundle_dir, "courses", lambda r: r[4].__setitem__(7, "mandatory"))              # bad category
    with pytest.raises(ValidationError) as exc:
        read_tables(bundle_dir)
    problems = problems_of(exc)
    expected = [
        "courses.csv, row 2, column teacher: unknown teacher 'Nobody' (not in teachers.csv)",
        "rooms.csv, row 3, column capacity: capacity 'lots' is not a number",
        "curriculum_courses.csv, row 7, column curriculum: curriculum 'Q9' does not exist (not in curricula.csv)",
        f"rooms.csv, row 6, column name: duplicate name {ROOMS[0]!r} (first in row 2)",
        "unavailability.csv, row 4, column day: day 3 is above 2",
        "courses.csv, row 3, column room_types: unknown room type 'aula'; the rooms have types: lab, lecture hall",
        "courses.csv, row 4, column lectures: lectures -1 is below 0",
        "courses.csv, row 5, column category: category 'mandatory' is not one of core, elective, open",
    ]
    for e in expected:
        assert e in problems, f"{e!r} not in {problems}"
    # O'Brien's only course now names an unknown teacher, so O'Brien teaches nothing
    assert f"teachers.csv, row 2, column name: teacher {TEACHERS[0]!r} teaches no course; give them a course or " \
           "delete the row" in problems
    assert len(problems) == len(expected) + 1
    assert str(exc.value).startswith(f"cannot import {bundle_dir} ({len(problems)} problem(s))")


def test_missing_and_unknown_columns_and_tables(bundle_dir):
    (bundle_dir / "rooms.csv").unlink()
    edit_csv(bundle_dir, "courses", lambda r: [row.pop(1) for row in r])  # no teacher column
    edit_csv(bundle_dir, "teachers", lambda r: r[0].__setitem__(2, "max per week"))
    write_csv(bundle_dir / "lecturers.csv", [["name"], ["x"]])
    with pytest.raises(ValidationError) as exc:
        read_tables(bundle_dir)
    problems = problems_of(exc)
    assert f"{bundle_dir}: missing file 'rooms' (columns: name, capacity, type, building, features)" in problems
    assert "courses.csv, column teacher: missing column (it is required)" in problems
    assert ("teachers.csv, column max_per_week: unknown column; the columns of teachers are: name, full_name, "
            "max_per_day") in problems
    assert any(p.startswith("lecturers.csv: unknown table") for p in problems)
    assert len(problems) == 4


def test_incomplete_time_grid_and_conflicting_settings(bundle_dir):
    edit_csv(bundle_dir, "time_grid", lambda r: r.pop(6))  # day 1 period 1
    edit_csv(bundle_dir, "settings", lambda r: r[4].__setitem__(1, "4"))  # days 4, grid has 3
    with pytest.raises(ValidationError) as exc:
        read_tables(bundle_dir)
    problems = problems_of(exc)
    assert "time_grid.csv: settings say 4 days but the time grid has 3" in problems
    assert "time_grid.csv: the time grid needs a row for every day and period; missing: day 1 period 1" in problems


def test_course_rooms_and_room_types_together_are_refused(bundle_dir):
    edit_csv(bundle_dir, "course_rooms", lambda r: r.append([COURSES[1], ROOMS[0]]))
    edit_csv(bundle_dir, "course_rooms", lambda r: r.append([COURSES[0], "Room 99"]))
    with pytest.raises(ValidationError) as exc:
        read_tables(bundle_dir)
    assert problems_of(exc) == [
        f"course_rooms.csv, row 4, column course: course {COURSES[1]!r} has room_types in courses.csv and rooms "
        "here; use one or the other",
        "course_rooms.csv, row 5, column room: unknown room 'Room 99' (not in rooms.csv)",
    ]


def test_workbook_errors_name_the_sheet_and_the_row_the_user_sees(tmp_path):
    path = write_tables(rich_problem(), tmp_path / "b.xlsx", meta=META)
    wb = load_workbook(path)
    ws = wb["courses"]
    ws.insert_rows(3)                       # an empty row 3: the next course is now on row 4
    ws.cell(row=4, column=5, value="many")  # students of the second course
    ws.cell(row=6, column=6, value=2.5)     # lecture length of the fourth course
    wb["rooms"].cell(row=2, column=2).value = None
    wb.create_sheet("notes")
    wb.save(path)
    with pytest.raises(ValidationError) as exc:
        read_tables(path)
    assert problems_of(exc) == [
        "sheet notes: unknown table; the sheets are: " + ", ".join(TABLES) + " (rename or delete it)",
    ]
    del wb["notes"]
    wb.save(path)
    with pytest.raises(ValidationError) as exc:
        read_tables(path)
    assert problems_of(exc) == [
        "sheet rooms, row 2, column capacity: missing value",
        "sheet courses, row 4, column students: students 'many' is not a number",
        "sheet courses, row 6, column length: lecture length 2.5 is not a whole number",
    ]


def test_unreadable_sources(tmp_path):
    bad = tmp_path / "broken.xlsx"
    bad.write_text("not a zip")
    with pytest.raises(ProblemFormatError, match="broken.xlsx: not a readable Excel workbook"):
        read_tables(bad)
    with pytest.raises(ProblemFormatError, match="expected a folder of CSV files or an .xlsx workbook"):
        other = tmp_path / "x.txt"
        other.write_text("")
        read_tables(other)
    with pytest.raises(FileNotFoundError):
        read_tables(tmp_path / "missing")
    folder = tmp_path / "latin1"
    folder.mkdir()
    (folder / "teachers.csv").write_bytes("name\nMüller\n".encode("latin-1"))
    with pytest.raises(ValidationError, match=re.escape("teachers.csv: not UTF-8 text")):
        read_tables(folder)


# ====================================================================================== writing


def test_export_refuses_a_folder_with_other_files_and_replaces_its_own(tmp_path, bundle_dir):
    write_tables(rich_problem(), bundle_dir)  # a folder of table files is replaced in place
    assert_same_problem(read_tables(bundle_dir).problem, rich_problem())
    (bundle_dir / "thesis.docx").write_text("precious")
    with pytest.raises(Exception, match="holds other files"):
        write_tables(rich_problem(), bundle_dir)
    assert (bundle_dir / "thesis.docx").read_text() == "precious"
    assert not list(tmp_path.glob(".bundle.*"))  # no temporary folder left behind


def test_assignments_csv(tmp_path):
    path = write_assignments_csv(rich_problem(), rich_timetable(unplaced_seminar=True), tmp_path / "a.csv")
    rows = read_csv(path)
    assert rows[0] == ["course", "lecture", "day", "period", "label", "room", "teacher", "curricula", "department"]
    assert rows[1] == [COURSES[0], "1", "0", "1", "Mon 09:00", ROOMS[0], TEACHERS[0], "Q1; year 1; Q'2",
                       "Maths & Stats"]
    assert rows[6] == ["Lab-1", "1", "2", "0", "Wed 08:00", ROOMS[1], TEACHERS[2], "Q'2", "Physics"]
    assert rows[7] == ["Seminar ☃", "1", "", "", "", "", TEACHERS[2], "Q'2", ""]
    assert len(rows) == 8
