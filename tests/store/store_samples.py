"""Fixtures and helpers the store's tests share (import them into a test module)."""

from __future__ import annotations

import pytest
from data_samples import META, rich_problem

from tt_core.store import Store


@pytest.fixture
def db(tmp_db):
    with Store.open(tmp_db) as s:
        yield s


@pytest.fixture
def rich_db(db):
    db.scenarios.import_problem(rich_problem(), "rich", institution="Uni 'Σ'", term="T1", meta=META)
    return db


def snapshot(db: Store) -> dict[str, list]:
    """Every row of every table, sorted, as the test's view of 'the database'."""
    tables = [r["table_name"] for r in db.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1")]
    out = {}
    for t in tables:
        rows = db.query(f'SELECT * FROM "{t}"')
        out[t] = sorted(tuple(map(repr, r.values())) for r in rows)
    return out
