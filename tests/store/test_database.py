"""The connection (tt_core/store/database.py): opening errors, another process's lock, read-only
opening, folders and disks that refuse writes, threads sharing one store."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest
from data_samples import COURSES, ROOMS, assert_same_problem, rich_problem
from paths import ITC_DIR
from store_samples import db, rich_db  # noqa: F401 - fixtures

from tt_core.errors import TimetableError
from tt_core.store import Store


def test_other_files_are_refused_with_a_clear_message(tmp_path):
    text = tmp_path / "notes.duckdb"
    text.write_text("hello " * 1000)
    with pytest.raises(TimetableError, match="not a DuckDB database file"):
        Store.open(text)
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE t (x INTEGER)")
    con.close()
    with pytest.raises(TimetableError, match="not a timetable studio one"):
        Store.open(other)
    with pytest.raises(TimetableError, match="no database at"):
        Store.open(tmp_path / "missing.duckdb", read_only=True)
    with pytest.raises(TimetableError, match="does not exist"):
        Store.open(tmp_path / "no" / "such" / "x.duckdb")


def test_a_database_held_by_another_process_is_refused_with_its_holder(tmp_db):
    Store.open(tmp_db).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, sys, time; c = duckdb.connect({str(tmp_db)!r}); "
                               "print('ready', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        for read_only in (False, True):
            with pytest.raises(TimetableError) as info:
                Store.open(tmp_db, read_only=read_only)
            message = str(info.value)
            assert "is open in another process" in message and f"PID {holder.pid}" in message
            assert "job runner" in message
            assert "-readonly" not in message and "CLI" not in message  # DuckDB's hint means nothing here
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)


def test_read_only_store_refuses_writes(tmp_db):
    with Store.open(tmp_db) as db:
        db.scenarios.import_problem(rich_problem(), "rich")
    with Store.open(tmp_db, read_only=True) as db:
        assert_same_problem(db.scenarios.load_problem("rich"), rich_problem())
        with pytest.raises(TimetableError, match="read-only"):
            db.tables.update("courses", "rich", COURSES[0], students=10)


def test_threads_read_while_one_writes(rich_db):
    job = rich_db.jobs.create("rich", params={})
    errors: list[BaseException] = []

    def reader():
        try:
            for _ in range(5):
                assert rich_db.scenarios.load_problem("rich").n_lectures == 7
                rich_db.jobs.events(job)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def writer():
        try:
            for i in range(20):
                rich_db.jobs.append_events(job, [{"message": str(i)}])
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)] + [threading.Thread(target=writer)
                                                                     for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert [e["seq"] for e in rich_db.jobs.events(job)] == list(range(1, 41))


@contextlib.contextmanager
def _immutable(folder: Path):
    """``folder`` made immutable (``chattr +i``: even root cannot write in it) for the block."""
    done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"chattr +i is not available here: {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_a_database_in_a_folder_that_cannot_be_written(tmp_path, capsys):
    from tt_core import cli

    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "x.duckdb"
    with Store.open(db) as st:
        st.scenarios.import_problem(rich_problem(), "rich")
    before = db.read_bytes()
    with _immutable(folder):
        with pytest.raises(TimetableError, match=r"cannot change .*x.duckdb: the folder .* is read-only"):
            Store.open(db)
        assert cli.main(["import", str(ITC_DIR / "comp01.ctt"), "--db", str(db)]) == 2
        err = capsys.readouterr().err
        assert "is read-only" in err and "Traceback" not in err
        # the commands that only read still work
        assert cli.main(["scenarios", "--db", str(db)]) == 0
        assert "rich" in capsys.readouterr().out
        assert cli.main(["jobs", "list", "--db", str(db)]) == 0
        assert "no jobs" in capsys.readouterr().out
    assert db.read_bytes() == before


def test_a_commit_the_disk_refuses_is_a_clear_message_and_changes_nothing(rich_db, monkeypatch):
    real = duckdb.DuckDBPyConnection.commit

    def refused(self):
        raise duckdb.TransactionException(
            "TransactionException: Could not write test.duckdb.wal: Operation not permitted")

    monkeypatch.setattr(duckdb.DuckDBPyConnection, "commit", refused)
    with pytest.raises(TimetableError, match="cannot save to .*nothing was changed"):
        rich_db.tables.update("rooms", "rich", ROOMS[0], capacity=1)
    monkeypatch.setattr(duckdb.DuckDBPyConnection, "commit", real)
