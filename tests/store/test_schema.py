"""Schema and migrations (tt_core/store/schema.py): databases of every earlier version open and are
upgraded; a newer one is refused."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tt_core.errors import TimetableError
from tt_core.store import MIGRATIONS, SCHEMA_VERSION, Store


def _create_v1_database(path: Path) -> None:
    """A database as version 1 of the schema left it, with one scenario in it."""
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description VARCHAR NOT NULL, "
                    "applied_at TIMESTAMP NOT NULL)")
        version, description, sql = MIGRATIONS[0]
        assert version == 1
        con.execute(sql)
        con.execute("INSERT INTO schema_version VALUES (1, ?, now()::TIMESTAMP)", [description])
        con.execute("INSERT INTO scenarios (name, instance_name, days, periods_per_day, created_at) "
                    "VALUES ('old term', 'x', 5, 4, now()::TIMESTAMP)")
        con.execute("INSERT INTO time_grid SELECT 1, range, range // 4, range % 4, 'p' || range, 0 FROM range(20)")
    finally:
        con.close()


def test_opening_a_version_1_database_migrates_it(tmp_db):
    _create_v1_database(tmp_db)
    with Store.open(tmp_db) as db:
        assert db.schema_version() == SCHEMA_VERSION
        assert db.scenarios.names() == ["old term"]
        db.audit("check", "migration", {"ok": True}, user="tester")  # the audit log came with version 2
        assert db.audit_log()["action"].tolist() == ["check"]
        tables = {r["table_name"] for r in db.query("SELECT table_name FROM information_schema.tables")}
        assert "audit_log" in tables
        versions = [r["version"] for r in db.query("SELECT version FROM schema_version ORDER BY 1")]
        assert versions == [m[0] for m in MIGRATIONS]  # every step, gaps in the numbering allowed


def test_read_only_open_of_an_old_database_asks_for_an_upgrade(tmp_db):
    _create_v1_database(tmp_db)
    with pytest.raises(TimetableError, match="needs upgrading"):
        Store.open(tmp_db, read_only=True)


def test_a_newer_database_is_refused(tmp_db):
    Store.open(tmp_db).close()
    con = duckdb.connect(str(tmp_db))
    con.execute("INSERT INTO schema_version VALUES (99, 'future', now()::TIMESTAMP)")
    con.close()
    with pytest.raises(TimetableError, match="newer timetable studio"):
        Store.open(tmp_db)
