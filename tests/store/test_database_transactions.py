"""The store's transactions (tt_core/store/database.py): a failure inside one leaves nothing of it
behind, nested writes on one thread join the outer transaction, other threads do not see it."""

from __future__ import annotations

import threading

import pytest

from tt_core.store import Store
from tt_core.synth import Recipe, generate


class Injected(RuntimeError):
    """The fault a test injects."""


@pytest.fixture(scope="module")
def tiny():
    return generate(Recipe.preset("tiny"))


@pytest.fixture
def db(tiny, tmp_path):
    with Store.open(tmp_path / "t.duckdb") as store:
        store.scenarios.import_problem(tiny.problem, "tiny")
        yield store


def _read_elsewhere(fn):
    """``fn()`` on another thread (its own cursor, outside this thread's transaction)."""
    box = {}
    t = threading.Thread(target=lambda: box.setdefault("value", fn()))
    t.start()
    t.join(30)
    return box["value"]


def test_nested_writes_join_the_outer_transaction(db, tiny):
    room = tiny.problem.room_names[0]
    with pytest.raises(Injected):
        with db.transaction():
            db.tables.update("rooms", "tiny", room, capacity=999)  # would commit alone
            assert int(db.tables.read("rooms", "tiny").set_index("name").loc[room, "capacity"]) == 999  # seen inside
            raise Injected
    assert int(db.tables.read("rooms", "tiny").set_index("name").loc[room, "capacity"]) == tiny.problem.room_capacity[0]
    assert not (db.audit_log()["action"] == "update rooms").any()
