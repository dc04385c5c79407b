"""The store's transactions (tt_core/store/database.py): a failure inside one leaves nothing of it
behind, nested writes on one thread join the outer transaction, other threads do not see it."""

from __future__ import annotations

import threading

import pytest
from faults import Injected, read_elsewhere

from tt_core.store import Store
from tt_core.synth import Recipe, generate


@pytest.fixture(scope="module")
def tiny():
    return generate(Recipe.preset("tiny"))


@pytest.fixture
def db(tiny, tmp_path):
    with Store.open(tmp_path / "t.duckdb") as store:
        store.scenarios.import_problem(tiny.problem, "tiny")
        yield store


def test_nested_writes_join_the_outer_transaction(db, tiny):
    room = tiny.problem.room_names[0]
    with pytest.raises(Injected):
        with db.transaction():
            db.tables.update("rooms", "tiny", room, capacity=999)  # would commit alone
            assert int(db.tables.read("rooms", "tiny").set_index("name").loc[room, "capacity"]) == 999  # seen inside
            raise Injected
    assert int(db.tables.read("rooms", "tiny").set_index("name").loc[room, "capacity"]) == tiny.problem.room_capacity[0]
    assert not (db.audit_log()["action"] == "update rooms").any()


def _capacity(db, room) -> int:
    return int(db.tables.read("rooms", "tiny").set_index("name").loc[room, "capacity"])


def test_another_threads_write_waits_and_does_not_join(db, tiny):
    mine, theirs = tiny.problem.room_names[:2]
    started = threading.Event()
    errors = []

    def other_session():
        started.set()
        try:
            db.tables.update("rooms", "tiny", theirs, capacity=777)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    t = threading.Thread(target=other_session)
    with pytest.raises(Injected):
        with db.transaction() as cur:
            db.tables.update("rooms", "tiny", mine, capacity=999)
            t.start()
            assert started.wait(30)
            t.join(1.0)
            assert t.is_alive()  # it waits for the write lock instead of joining this transaction
            assert read_elsewhere(lambda: _capacity(db, mine)) == tiny.problem.room_capacity[0]  # unseen outside
            assert cur is not None and db.in_transaction()
            raise Injected
    t.join(30)
    assert not errors and not db.in_transaction()
    assert _capacity(db, mine) == tiny.problem.room_capacity[0]  # rolled back
    assert _capacity(db, theirs) == 777  # committed on its own


def test_a_closed_store_is_a_programming_error_not_a_user_message(tmp_path):
    from tt_core.errors import TimetableError
    from tt_core.store import JobStateError, StoreStateError

    db = Store.open(tmp_path / "closed.duckdb")
    db.close()
    db.close()  # idempotent
    with pytest.raises(StoreStateError, match="is closed"):
        db.scenarios.names()
    assert not issubclass(StoreStateError, TimetableError) and issubclass(JobStateError, StoreStateError)
