"""One transaction per user action in the services (tt_core/services/): a failure injected between
two writes of one action leaves nothing of it behind, and nobody sees a half-done action meanwhile."""

from __future__ import annotations

import numpy as np
import pytest
from faults import Injected, read_elsewhere

from tt_core import services
from tt_core.cost import evaluate
from tt_core.errors import TimetableError, ValidationError
from tt_core.store import Store
from tt_core.store.scenarios import ScenarioRepository
from tt_core.store.tables import TableRepository
from tt_core.store.variants import VariantRepository
from tt_core.synth import Recipe, generate


@pytest.fixture(scope="module")
def tiny():
    return generate(Recipe.preset("tiny"))


@pytest.fixture
def db(tiny, tmp_path):
    with Store.open(tmp_path / "t.duckdb") as store:
        store.scenarios.import_problem(tiny.problem, "tiny")
        yield store


def test_a_refused_cell_edit_is_never_visible_and_leaves_no_audit_entry(db, tiny, monkeypatch):
    studio = services.Studio(db)
    room = tiny.problem.room_names[0]
    before = int(tiny.problem.room_capacity[0])
    seen = {}
    original = ScenarioRepository.load_problem

    def inconsistent(self, scenario):
        # what another session reads while the edit is being checked
        seen["other"] = read_elsewhere(
            lambda: int(db.tables.read("rooms", "tiny").set_index("name").loc[room, "capacity"]))
        original(self, scenario)
        raise ValidationError(["room capacity breaks something (injected)"])

    monkeypatch.setattr(ScenarioRepository, "load_problem", inconsistent)
    with pytest.raises(ValidationError, match="scenario would be inconsistent"):
        studio.data.edit_cell("tiny", "rooms", room, "capacity", before + 50)
    monkeypatch.undo()
    assert seen["other"] == before  # the new value was never committed
    assert int(db.tables.read("rooms", "tiny").set_index("name").loc[room, "capacity"]) == before
    assert not (db.audit_log()["action"] == "update rooms").any()
    studio.data.edit_cell("tiny", "rooms", room, "capacity", before + 50)  # a good edit: audited once
    assert (db.audit_log()["action"] == "update rooms").sum() == 1


def test_a_teachers_two_period_lists_are_saved_together(db, tiny, monkeypatch):
    studio = services.Studio(db)
    teacher = tiny.problem.teacher_names[0]
    before = studio.data.teacher_periods("tiny", teacher)
    original = TableRepository.set_teacher_periods

    def second_fails(self, scenario, teacher_, entity, periods, **kwargs):
        if entity == "teacher_preferences":
            raise Injected("lost the connection")
        return original(self, scenario, teacher_, entity, periods, **kwargs)

    monkeypatch.setattr(TableRepository, "set_teacher_periods", second_fails)
    with pytest.raises(Injected):
        studio.data.save_teacher_periods("tiny", teacher, [0, 1, 2], [5])
    assert studio.data.teacher_periods("tiny", teacher) == before


def test_resectioning_stores_the_enrolments_and_their_variant_together(tmp_path, monkeypatch):
    campus = generate(Recipe.preset("campus"))
    with Store.open(tmp_path / "c.duckdb") as db:
        studio = services.Studio(db)
        db.scenarios.import_problem(campus.problem, "campus")
        studio.sections.split("campus", "sectioned", section_size=25)
        p = db.scenarios.load_problem("sectioned")
        # a timetable with clashes a student move can remove: every lecture of a course at once
        rng = np.random.default_rng(3)
        period = rng.integers(0, p.n_periods, p.n_lectures).astype(np.int32)
        room = rng.integers(0, p.n_rooms, p.n_lectures).astype(np.int32)
        from tt_core.model import Timetable

        vid = db.variants.save("sectioned", Timetable(period, room), evaluate(p, Timetable(period, room)), problem=p)
        monkeypatch.setattr(VariantRepository, "save", lambda self, *a, **k: (_ for _ in ()).throw(Injected()))
        with pytest.raises(Injected):  # students did move (the timetable is full of clashes)
            studio.sections.reassign("sectioned", vid)
        monkeypatch.undo()
        after = db.scenarios.load_problem("sectioned")
        assert np.array_equal(after.student_courses, p.student_courses)
        assert np.array_equal(after.student_ptr, p.student_ptr)
        assert [v["id"] for v in db.variants.list("sectioned")] == [vid]
        with pytest.raises(TimetableError):
            db.variants.load(vid + 1)
