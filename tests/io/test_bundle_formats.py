"""Ways a bundle travels besides a CSV folder and a workbook — CSV files one by one, a zip, an upload —
the template, and the formula guard of the CSV exports (a cell starting with ``=``, ``+``, ``-`` or
``@`` never becomes a live formula, and a round trip gives the original text back)."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest
from data_samples import META, assert_same_problem, rich_problem, rich_timetable

from tt_core.cli import main
from tt_core.errors import ProblemFormatError, ValidationError
from tt_core.io.excel import write_timetable_workbook
from tt_core.io.tables import (
    CATALOGUE,
    TABLES,
    csv_cell,
    example_problem,
    read_tables,
    read_uploaded_tables,
    unescape_csv,
    write_assignments_csv,
    write_tables,
    write_template,
)

FORMULAS = ("=HYPERLINK(\"http://evil.example\",\"click\")", "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)",
            "'=already quoted", "''@twice", "'plain apostrophe", "\tTabbed")


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def formula_problem():
    p = rich_problem()
    return p.replace(room_names=FORMULAS[:4], course_names=FORMULAS[4:8], teacher_names=("t-1", "=t2", "t3"))


@pytest.mark.parametrize("text, written", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-x", "'-x"), ("@x", "'@x"), ("\tx", "'\tx"), ("'=x", "''=x"), ("''@x", "'''@x"),
    ("'x", "'x"), ("x=1", "x=1"), ("", ""), (None, ""), (-1, -1), (3, 3),
])
def test_csv_cell_guards_formula_like_text_reversibly(text, written):
    assert csv_cell(text) == written
    if isinstance(text, str) and text:
        assert unescape_csv(written) == text


def test_csv_export_neutralises_formulas_and_the_import_gives_them_back(tmp_path):
    p = formula_problem()
    folder = write_tables(p, tmp_path / "bundle", meta=META)
    rooms = [r[0] for r in read_csv(folder / "rooms.csv")[1:]]
    assert rooms == ["'" + r for r in FORMULAS[:4]]
    assert [r[0] for r in read_csv(folder / "courses.csv")[1:]] == ["'@SUM(A1)", "''=already quoted", "'''@twice",
                                                                   "'plain apostrophe"]
    for table in folder.glob("*.csv"):  # no cell of any table starts a formula
        for row in read_csv(table):
            assert not any(cell[:1] in "=+-@\t" and cell for cell in row), (table.name, row)
    assert_same_problem(read_tables(folder).problem, p)


def test_the_assignments_csv_neutralises_formulas(tmp_path):
    path = write_assignments_csv(formula_problem(), rich_timetable(), tmp_path / "a.csv")
    rows = read_csv(path)
    assert rows[1][0] == "'@SUM(A1)" and rows[1][5] == "'" + FORMULAS[0]
    assert all(not (c[:1] in "=+@" and c) for row in rows for c in row)


@pytest.mark.parametrize("writer", ["tables", "timetable"])
def test_xlsx_exports_store_formula_like_text_as_text(tmp_path, writer):
    p = formula_problem()
    path = tmp_path / "out.xlsx"
    if writer == "tables":
        write_tables(p, path, meta=META)
    else:
        write_timetable_workbook(p, rich_timetable(), path)
    with zipfile.ZipFile(path) as zf:
        sheets = [zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
    assert sheets and not any(b"<f>" in x or b"<f " in x for x in sheets)
    if writer == "tables":
        assert_same_problem(read_tables(path).problem, p)


def test_csv_files_one_by_one_and_a_zip_read_like_the_folder(tmp_path):
    folder = write_tables(rich_problem(), tmp_path / "bundle", meta=META)
    files = sorted(folder.glob("*.csv"))
    assert_same_problem(read_tables(files).problem, rich_problem())
    only = [f for f in files if f.stem in ("teachers", "courses", "rooms", "settings", "time_grid")]
    assert read_tables(only).problem.n_courses == 4
    with zipfile.ZipFile(tmp_path / "b.zip", "w") as zf:
        for f in files:
            zf.write(f, f"my bundle/{f.name}")
    bundle = read_tables(tmp_path / "b.zip")
    assert_same_problem(bundle.problem, rich_problem()) and bundle.meta == META


def test_two_files_for_one_table_are_refused(tmp_path):
    folder = write_tables(rich_problem(), tmp_path / "bundle")
    other = tmp_path / "other"
    other.mkdir()
    (other / "Rooms.csv").write_bytes((folder / "rooms.csv").read_bytes())
    with pytest.raises(ValidationError, match="Rooms.csv: a second file for table 'rooms' \\(the first is rooms.csv\\)"):
        read_tables(sorted(folder.glob("*.csv")) + [other / "Rooms.csv"])
    with pytest.raises(ProblemFormatError, match="give CSV files named after their table"):
        read_tables([folder / "rooms.csv", tmp_path / "notes.txt"])


@pytest.mark.parametrize("kind", ["csv", "zip", "xlsx"])
def test_uploads_name_the_uploaded_files(tmp_path, kind):
    folder = write_tables(rich_problem(), tmp_path / "bundle", meta=META)
    if kind == "csv":
        files = {f"C:\\Users\\pat\\{f.name}": f.read_bytes() for f in folder.glob("*.csv")}
    elif kind == "zip":
        with zipfile.ZipFile(tmp_path / "up.zip", "w") as zf:
            for f in folder.glob("*.csv"):
                zf.write(f, f.name)
        files = {"up.zip": (tmp_path / "up.zip").read_bytes()}
    else:
        files = {"up.xlsx": write_tables(rich_problem(), tmp_path / "up.xlsx", meta=META).read_bytes()}
    bundle = read_uploaded_tables(files)
    assert_same_problem(bundle.problem, rich_problem())
    # a bad value is reported by the uploaded name, not a temporary path
    if kind == "csv":
        files["courses.csv"] = files.pop(next(k for k in files if k.endswith("\\courses.csv"))).replace(b",2,2,", b",x,2,", 1)
        with pytest.raises(ValidationError) as exc:
            read_uploaded_tables(files)
        assert "courses.csv, row 2, column lectures: lectures 'x' is not a number" in exc.value.problems
        assert str(tmp_path) not in str(exc.value)


def test_an_upload_of_other_files_is_refused():
    with pytest.raises(ProblemFormatError, match="expected a folder of CSV files or an .xlsx workbook"):
        read_uploaded_tables({"a.xlsx": b"", "b.csv": b""})
    with pytest.raises(ProblemFormatError, match="no files given"):
        read_uploaded_tables({})


@pytest.mark.parametrize("suffix", ["", ".xlsx"])
def test_the_template_has_every_table_and_imports_as_it_is(tmp_path, suffix):
    path = write_template(tmp_path / f"template{suffix}")
    bundle = read_tables(path)
    assert_same_problem(bundle.problem, example_problem())
    assert (bundle.institution, bundle.term) == ("Example University", "autumn term")
    if not suffix:
        for name, table in CATALOGUE.items():
            rows = read_csv(path / f"{name}.csv")
            assert rows[0] == list(table.column_names) and len(rows) >= 2, name  # a header and an example row
    assert list(TABLES) == list(CATALOGUE)


def test_tt_template_then_tt_import(tmp_path, capsys):
    out = tmp_path / "start"
    assert main(["template", str(out)]) == 0
    assert "wrote an example bundle" in capsys.readouterr().out
    assert main(["template", str(out)]) == 2
    assert "exists" in capsys.readouterr().err
    db = tmp_path / "t.duckdb"
    assert main(["import", str(out), "--db", str(db)]) == 0
    files = [str(p) for p in sorted(out.glob("*.csv"))]
    assert main(["import", *files, "--db", str(db), "--scenario", "by files"]) == 0
    assert "imported" in capsys.readouterr().out
    assert main(["import", files[0], str(db), "--db", str(db)]) == 2
    assert "several sources are CSV files" in capsys.readouterr().err


def test_the_user_documentation_matches_the_catalogue_and_the_limits():
    from tt_core import limits
    from tt_core.io.tables.catalogue import markdown

    doc = (Path(__file__).resolve().parents[2] / "docs" / "data-format.md").read_text(encoding="utf-8")
    assert markdown() in doc, ("docs/data-format.md is behind the catalogue: replace what follows '## The tables' by "
                               "the output of python -c 'from tt_core.io.tables.catalogue import markdown; "
                               "print(markdown())'")
    for n in (limits.MAX_DAYS, limits.MAX_PERIODS_PER_DAY, f"{limits.MAX_PERIODS:,}", f"{limits.MAX_COURSES:,}",
              f"{limits.MAX_LECTURES:,}", f"{limits.MAX_ROWS:,}", f"{limits.MAX_CELLS:,}",
              f"{limits.MAX_INPUT_BYTES // 2**20} MB", f"{limits.MAX_REPORTED_ERRORS:,}"):
        assert f"| {n} |" in doc or f"{n} problems" in doc, n
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "docs/data-format.md" in readme and "tt template OUT" in readme


def test_tt_check_reads_a_zip_of_csv_files(tmp_path, capsys):
    folder = write_template(tmp_path / "t")
    with zipfile.ZipFile(tmp_path / "t.zip", "w") as zf:
        for f in folder.glob("*.csv"):
            zf.write(f, f.name)
    assert main(["check", str(tmp_path / "t.zip")]) == 0
    assert "t.zip: 4 courses, 8 lectures" in capsys.readouterr().out
