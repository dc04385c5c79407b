"""Stored timetables (tt_core/store/variants.py): round trip with costs, status, choice, deletion,
staleness, timetables that do not fit, a failed save that leaves nothing."""

from __future__ import annotations

import numpy as np
import pytest
from data_samples import COURSES, ROOMS, rich_problem, rich_timetable
from store_samples import db, rich_db, snapshot  # noqa: F401 - fixtures

from tt_core.cost import evaluate
from tt_core.errors import TimetableError
from tt_core.model import Timetable
from tt_core.store import problem_fingerprint
from tt_core.store import variants as store_variants


def test_variant_round_trip_with_costs(rich_db):
    problem = rich_problem()
    tt = rich_timetable(unplaced_seminar=True)
    report = evaluate(problem, tt)
    vid = rich_db.variants.save("rich", tt, report, {"strategy": "hand", "seed": 3}, name="first; 'draft'")
    loaded, info = rich_db.variants.load(vid)
    assert loaded == tt
    assert info["name"] == "first; 'draft'" and info["status"] == "draft" and not info["stale"]
    assert info["soft_cost"] == report.soft_cost and info["hard_violations"] == report.hard_violations
    assert info["units"] == {k: v[0] for k, v in report.by_constraint().items()}
    assert info["meta"] == {"strategy": "hand", "seed": 3}
    assert info["problem_hash"] == problem_fingerprint(problem)


def test_variant_status_choice_and_deletion(rich_db):
    a = rich_db.variants.save("rich", rich_timetable())
    b = rich_db.variants.save("rich", rich_timetable(), parent=a)
    rich_db.variants.choose(a)
    rich_db.variants.choose(b)
    chosen = {v["id"]: v["chosen"] for v in rich_db.variants.list("rich")}
    assert chosen == {a: False, b: True}
    rich_db.variants.update(b, name="final")
    assert rich_db.variants.load(b)[1]["name"] == "final"
    with pytest.raises(TimetableError, match="only through the approval workflow"):  # tt_core.workflow
        rich_db.variants.update(b, status="approved")
    with pytest.raises(TimetableError, match="'done' is not one of"):
        rich_db.variants.update(b, status="done")
    rich_db.variants.delete(a)
    assert [v["id"] for v in rich_db.variants.list("rich")] == [b]
    assert rich_db.variants.load(b)[1]["parent_variant_id"] is None
    with pytest.raises(TimetableError, match=f"no variant {a}"):
        rich_db.variants.load(a)


def test_a_variant_goes_stale_when_the_data_changes(rich_db):
    vid = rich_db.variants.save("rich", rich_timetable())
    rich_db.tables.update("courses", "rich", COURSES[0], name="renamed only")
    assert not rich_db.variants.load(vid)[1]["stale"]  # a rename does not change what fits
    rich_db.tables.update("rooms", "rich", ROOMS[0], capacity=10)
    assert rich_db.variants.load(vid)[1]["stale"]


def test_a_timetable_that_does_not_fit_is_refused(rich_db):
    with pytest.raises(TimetableError, match="has 3 lectures but the scenario has 7"):
        rich_db.variants.save("rich", Timetable(np.zeros(3, np.int32), np.zeros(3, np.int32)))
    bad = rich_timetable()
    bad.room[0] = 4
    with pytest.raises(TimetableError, match="outside the scenario"):
        rich_db.variants.save("rich", bad)
    assert rich_db.variants.list("rich") == []


def test_failed_variant_save_leaves_nothing(rich_db, monkeypatch):
    before = snapshot(rich_db)
    original = store_variants.bulk

    def bulk(cur, table, data):
        original(cur, table, data)
        if table == "assignments":
            raise RuntimeError("crash after the assignments (injected)")

    monkeypatch.setattr(store_variants, "bulk", bulk)
    with pytest.raises(RuntimeError, match="injected"):
        rich_db.variants.save("rich", rich_timetable())
    assert snapshot(rich_db) == before
