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


def _create_database_at(path: Path, version: int) -> None:
    """A database as schema ``version`` left it: a scenario, a finished job, its variant under review
    (version 1's word for submitted) and a planner."""
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description VARCHAR NOT NULL, "
                    "applied_at TIMESTAMP NOT NULL)")
        for step, description, sql in MIGRATIONS:
            if step <= version:
                con.execute(sql)
                con.execute("INSERT INTO schema_version VALUES (?, ?, now()::TIMESTAMP)", [step, description])
        con.execute("INSERT INTO scenarios (name, instance_name, days, periods_per_day, created_at) "
                    "VALUES ('old term', 'x', 5, 4, now()::TIMESTAMP)")
        con.execute("INSERT INTO time_grid SELECT 1, range, range // 4, range % 4, 'p' || range, 0 FROM range(20)")
        con.execute("INSERT INTO jobs (scenario_id, status, strategy, created_at, updated_at) "
                    "VALUES (1, 'succeeded', 'local', now()::TIMESTAMP, now()::TIMESTAMP)")
        status = "review" if version < 5 else "submitted"
        con.execute("INSERT INTO variants (scenario_id, name, job_id, status, problem_hash, n_lectures, created_at, "
                    "updated_at) VALUES (1, 'job 1', 1, ?, 'x', 0, now()::TIMESTAMP, now()::TIMESTAMP)", [status])
        if version >= 5:  # version 5 counts review rounds: a submitted variant is in its first
            con.execute("UPDATE variants SET review_round = 1")
        con.execute("UPDATE jobs SET variant_id = 1")
        con.execute("INSERT INTO users (name, role, created_at) VALUES ('ann', 'planner', now()::TIMESTAMP)")
    finally:
        con.close()


@pytest.mark.parametrize("version", [m[0] for m in MIGRATIONS[:-1]])
def test_a_database_of_every_earlier_version_opens_with_its_rows_and_works(tmp_db, version):
    _create_database_at(tmp_db, version)
    with Store.open(tmp_db) as db:
        assert db.schema_version() == SCHEMA_VERSION
        assert [r["version"] for r in db.query("SELECT version FROM schema_version ORDER BY 1")] == \
            [m[0] for m in MIGRATIONS]
        assert db.scenarios.names() == ["old term"]
        assert db.users.get("ann")["role"] == "planner"
        variant = db.query("SELECT status, review_round FROM variants WHERE id = 1")[0]
        assert variant == {"status": "submitted", "review_round": 1}  # 'review' became 'submitted' in version 5
        assert db.jobs.get(1)["variant_id"] == 1 and db.jobs.get(1)["status"] == "succeeded"
        # what later versions brought works on the upgraded file
        db.users.add("hal", "head", department="Maths")  # version 3
        db.audit("check", "migration", user="ann")  # version 2
        assert db.query("SELECT count(*) AS n FROM students")[0]["n"] == 0  # version 4
        db.scenarios.delete("old term")  # the purge follows every foreign key, rebuilt tables included
        assert db.scenarios.names() == []
    with Store.open(tmp_db, read_only=True) as db:  # current now: read-only opening works
        assert db.query("SELECT count(*) AS n FROM variants")[0]["n"] == 0
