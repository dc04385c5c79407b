"""Every malformed file of the corpus (``bad_inputs.py``: .ctt, CSV folders, zips of CSV files,
workbooks; bombs included) is refused by ``tt import`` with exit status 2 and one message naming the
file, the row or line and the field — never a traceback, never a huge allocation, never accepted."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import bad_inputs as corpus
import pytest

from tt_core.cli import main
from tt_core.errors import TimetableError
from tt_core.io.tables import read_tables

REFUSED = [c for c in corpus.CASES if not c.accept]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=[pytest.mark.slow] if c.slow else [])
                                  for c in REFUSED])
def test_tt_import_refuses_with_a_clean_message(case, tmp_path, capsys):
    src = case.build(tmp_path)
    db = tmp_path / "corpus.duckdb"
    t0 = time.process_time()  # CPU time: the machine may be busy with other work
    rc = main(["import", str(src), "--db", str(db), "--scenario", "corpus"])
    took = time.process_time() - t0
    out, err = capsys.readouterr()
    assert rc == 2, (out, err)
    assert err.startswith("error: ") and "Traceback" not in err
    assert src.name in err, err[:400]                       # the file
    for words in case.expect:                               # the row or line, the field, the range
        assert words in err, (words, err[:2000])
    assert len(err) < 20_000                                # a bounded message, even for millions of bad rows
    assert not db.exists()                                  # nothing imported, no database made
    assert took < 30, f"{case.id} took {took:.1f} s of CPU"


def test_a_stale_sheet_dimension_loses_no_row(tmp_path):
    """openpyxl's read-only mode trusts a sheet's declared size; the reader must not."""
    (case,) = [c for c in corpus.CASES if c.id == "xlsx-stale-dimension"]
    problem = read_tables(case.build(tmp_path)).problem
    assert case.check(problem)
    assert int(problem.teacher_unavailable[problem.teacher_names.index("bob")].sum()) == 18


def test_millions_of_bad_rows_give_a_short_message_that_counts_them(tmp_path, capsys):
    (case,) = [c for c in corpus.CASES if c.id == "csv-300k-bad-rows"]
    rc = main(["import", str(case.build(tmp_path)), "--db", str(tmp_path / "x.duckdb")])
    err = capsys.readouterr().err
    assert rc == 2
    assert "(300,000 problem(s))" in err and "… and 299,950 more" in err
    assert err.count("\n  - ") == 50


@pytest.mark.parametrize("case_id", ["zip-bomb-300MiB", "zip-bad-crc", "zip-encrypted", "zip-duplicate-entry",
                                     "zip-path-traversal", "xlsx-shared-strings-bomb-300MiB", "xlsx-broken-sheet-xml",
                                     "csv-lectures-3e9"])
def test_the_apps_upload_refuses_them_too(case_id, tmp_path, tmp_db):
    from tt_core.services import Studio
    from tt_core.store import Store

    (case,) = [c for c in corpus.CASES if c.id == case_id]
    src = case.build(tmp_path)
    if src.is_dir():  # a CSV folder travels as a zip
        src = corpus.write_zip({p.stem: list(corpus.csv.reader(p.open())) for p in src.glob("*.csv")},
                               tmp_path / "bundle.zip")
    with Store.open(tmp_db) as store:
        with pytest.raises(TimetableError) as exc:
            Studio(store).files.import_file(src.name, src.read_bytes(), "corpus")
        assert src.name in str(exc.value) and str(tmp_path) not in str(exc.value)
        assert store.scenarios.overview() == []


@pytest.mark.parametrize("case_id", ["ctt-lectures-3e9", "csv-grid-1e5-by-1e5", "xlsx-capacity-1e30-number",
                                     "zip-bomb-300MiB", "ctt-dev-zero-symlink"])
def test_the_tt_command_exits_2_without_a_traceback(case_id, tmp_path):
    (case,) = [c for c in corpus.CASES if c.id == case_id]
    src = case.build(tmp_path)
    res = subprocess.run([sys.executable, "-m", "tt_core.cli", "import", str(src), "--db", str(tmp_path / "x.duckdb")],
                         capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr and res.stderr.startswith("error: ")
    assert all(w in res.stderr for w in case.expect), res.stderr
