"""The planner workflow in the apps' state classes, without a browser: data checks in the generate
app, manual edits / suggestions / free-resource heatmaps in the timetable app, history and diffs
in the variants app, and the services and ``tt`` commands behind them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_apps_state import load_app, moved_copy, store, template_db, tiny  # noqa: F401 - fixtures

from tt_core import constraints as K
from tt_core import services, views
from tt_core.cli import main as tt
from tt_core.cost import evaluate
from tt_core.errors import TimetableError


def variant_ids(store) -> list[int]:  # noqa: F811
    return [int(v["id"]) for v in store.variants.list("tiny")]


def test_timetable_state_moves_undoes_suggests_and_saves_a_child_variant(store, tiny):  # noqa: F811
    app = load_app("timetable")
    p = tiny.problem
    first = variant_ids(store)[0]
    state = app.TimetableState(services.Studio(store), scenario="tiny", variant=str(first), view="teacher",
                               key=p.teacher_names[0])
    ed = state.editor
    assert ed.session is not None and ed.session.source == first and not ed.edited
    mine = set(np.flatnonzero(p.course_teacher[p.lecture_course] == 0).tolist())
    assert set(ed.lecture_options.values()) - {None} == mine  # the lectures of the view on screen
    lecture = min(mine)
    grid_before = state.grid.to_numpy().tolist()
    ed.lecture = lecture
    p0, r0 = ed.session.placement(lecture)
    assert (ed.period, ed.room) == (p0, r0)
    target = next(q for q in range(p.n_periods) if q != p0 and q % p.periods_per_day + p.course_length[
        p.lecture_course[lecture]] <= p.periods_per_day)
    ed.period = target
    expected = ed.session.preview_move(lecture, target, r0)
    assert expected.text() in ed.preview and p.period_labels[target] in ed.preview
    ed.move()
    assert not state.messages.error, state.messages.error
    assert ed.edited and ed.can_undo and "not saved" in ed.status and "edited, not saved" in state.title
    assert state.grid.to_numpy().tolist() != grid_before
    full = evaluate(p, ed.timetable, ed.session.weights)
    assert f"soft cost {full.soft_cost:g}" in ed.status and f"hard violations {full.hard_violations}" in ed.status
    ed.undo()
    assert not ed.edited and ed.can_redo and state.grid.to_numpy().tolist() == grid_before
    ed.redo()
    assert ed.edited
    ed.lecture = sorted(mine)[1]  # (the best place of the moved lecture may well be where it was)
    ed.suggest()
    assert len(ed.suggestions) == 10 and list(ed.suggestions.columns) == ["place", "swap with", "hard", "soft",
                                                                         "what changes"]
    assert ed.suggestions["hard"].tolist() == sorted(ed.suggestions["hard"].tolist())
    ed.apply_suggestion(0)
    assert not state.messages.error and len(ed.session.history) == 2
    edited = ed.timetable
    ed.new_name = "hand-made"
    new = ed.save()
    assert new is not None and state.variant == new, state.messages.error  # the page shows the saved variant
    row = next(v for v in store.variants.list("tiny") if v["id"] == new)
    assert row["parent_variant_id"] == first and row["name"] == "hand-made"
    tt, info = store.variants.load(new)
    assert tt == edited and info["meta"]["edited_from"] == first and len(info["meta"]["edits"]) == 2
    assert info["soft_cost"] == pytest.approx(float(evaluate(p, edited, ed.session.weights).soft_cost))
    assert ed.session.source == new and not ed.edited  # a fresh session on the saved variant


def test_timetable_state_refuses_edits_in_words_and_drops_them_with_the_variant(store, tiny):  # noqa: F811
    app = load_app("timetable")
    ids = variant_ids(store)
    state = app.TimetableState(services.Studio(store), scenario="tiny", variant=str(ids[0]))
    ed = state.editor
    ed.move()  # the first lecture of the view is picked, at its own place
    assert "is already at" in state.messages.error
    ed.lecture = None
    ed.move()
    assert "pick a lecture" in state.messages.error
    ed.save()
    assert "nothing was changed" in state.messages.error
    ed.undo()
    assert "nothing to undo" in state.messages.error
    lecture = next(v for v in ed.lecture_options.values() if v is not None)
    ed.lecture = lecture
    pb = tiny.problem
    length = int(pb.course_length[pb.lecture_course[lecture]])
    q0, r0 = ed.session.placement(lecture)
    target = next(q for q in range(pb.n_periods)
                  if q != q0 and q % pb.periods_per_day + length <= pb.periods_per_day)
    deltas = {r: ed.session.preview_move(lecture, target, r) for r in range(pb.n_rooms)}
    ed.move_to(lecture, target)  # a drop on the grid: the period is given, the room chosen
    assert ed.edited and ed.session.placement(lecture)[0] == target
    assert deltas[ed.session.placement(lecture)[1]].hard == min(d.hard for d in deltas.values())
    state.variant = ids[1]
    assert ed.session.source == ids[1] and not ed.edited


def test_free_resources_heatmap_follows_the_edits(store, tiny):  # noqa: F811
    app = load_app("timetable")
    p = tiny.problem
    state = app.TimetableState(services.Studio(store), scenario="tiny", variant=str(variant_ids(store)[0]),
                               view="room", key=p.room_names[0])
    free = state.free
    assert list(free.frame.columns) == ["day", "period", "free", "total", "names"]
    assert len(free.frame) == p.n_periods and (free.frame["total"] == p.n_teachers).all()
    counts, _ = views.free_resources(p, state.editor.timetable, "rooms")
    free.kind = "rooms"
    assert free.frame["free"].tolist() == counts.ravel().tolist()
    # unplacing a lecture frees its room for its periods
    ed = state.editor
    lecture = next(v for v in ed.lecture_options.values() if v is not None)
    q, r = ed.session.placement(lecture)
    ed.session.move(lecture, -1, -1)
    ed._refresh()
    assert free.frame["free"].iloc[q] == counts.ravel()[q] + 1


def test_free_resources_count_available_idle_teachers_rooms_and_curricula():
    from tt_core.model import Problem, Timetable

    pb = Problem.create(name="free", days=1, periods_per_day=3, courses=["a", "b", "lab"],
                        course_teacher=["t0", "t1", "t1"], course_lectures=[1, 1, 1], course_min_days=[1, 1, 1],
                        course_students=[5, 5, 5], rooms=["r0", "r1"], room_capacity=[10, 10],
                        curricula=[("q0", ["a"]), ("q1", ["b", "lab"])], course_length=[1, 1, 2],
                        teacher_unavailable=[("t0", 2)])
    tt = Timetable(np.array([0, 2, 0]), np.array([0, 0, 1]))   # a@0 r0, b@2 r0, lab@0-1 r1
    assert views.free_resources(pb, tt, "teachers")[0].tolist() == [[0, 1, 0]]
    assert views.free_resources(pb, tt, "rooms")[0].tolist() == [[0, 1, 1]]
    counts, who = views.free_resources(pb, tt, "curricula")
    assert counts.tolist() == [[0, 1, 1]] and who[1] == ["q0"] and who[2] == ["q0"]
    with pytest.raises(TimetableError, match="unknown kind"):
        views.free_resources(pb, tt, "buildings")


def test_generate_state_checks_the_data_of_the_scenario(store):  # noqa: F811
    app = load_app("generate")
    state = app.GenerateState(services.Studio(store), runner_status=lambda: ("ready", ""))
    assert "no error" in state.check_summary
    assert list(state.findings.columns) == ["severity", "item", "name", "finding", "fix"]
    assert set(state.loads["kind"]) == {"curriculum", "teacher", "rooms"}
    # make the data impossible: one course needs more lectures than the week has periods
    course = store.tables.read("courses", "tiny")["name"].iloc[0]
    store.tables.update("courses", "tiny", course, lectures=31)
    state.run_checks()
    assert state.check_summary.split()[1] == "error(s):" and "Data app" in state.check_summary
    row = state.findings.iloc[0]
    assert (row["severity"], row["item"], row["name"]) == ("error", "course", course)
    assert "needs 31 lectures" in row["finding"] and "lower the lectures" in row["fix"]


def test_variants_state_diffs_any_two_variants_and_shows_the_history(store, tiny):  # noqa: F811
    app = load_app("variants")
    p = tiny.problem
    ids = variant_ids(store)
    child = store.variants.save("tiny", tiny.hidden, evaluate(p, tiny.hidden), name="child", parent=ids[1], problem=p)
    state = app.VariantsState(services.Studio(store))
    assert set(state.param.diff_a.objects) == set(ids + [child])  # any variant, not only the compared ones
    state.param.update(diff_a=ids[1], diff_b=child)
    assert len(state.moves) == 1 and state.moves["change"].iloc[0] in ("time", "room", "time+room")
    assert state.diff_summary.startswith(f"#{ids[1]} → #{child}: 1 moved, 0 added, 0 removed")
    ua = evaluate(p, moved_copy(p, tiny.hidden)).units
    ub = evaluate(p, tiny.hidden).units
    assert state.diff_costs["constraint"].tolist() == [K.NAMES[i] for i in np.flatnonzero(ub - ua)]
    hist = state.history
    assert hist["id"].tolist()[0] == child and hist["parent"].tolist()[0] == ids[1]
    assert hist.loc[hist["id"] == child, "origin"].item() == "edit"


def test_job_from_a_variant_keeps_it_as_parent(store, tiny):  # noqa: F811
    p = tiny.problem
    first = variant_ids(store)[0]
    job = store.jobs.create("tiny", params={"initial_variant": first, "time_limit": 1}, strategy="local")
    vid = store.jobs.save_variant(job, p, tiny.hidden.period, tiny.hidden.room)
    assert next(v for v in store.variants.list("tiny") if v["id"] == vid)["parent_variant_id"] == first


def test_tt_check_and_tt_diff(store, tiny, tmp_path, capsys):  # noqa: F811
    path = str(store.path)
    ids = variant_ids(store)
    store.close()
    assert tt(["check", "tiny", "--db", path, "--loads", "3"]) == 0
    out = capsys.readouterr().out
    assert "scenario 'tiny'" in out and "tightest" in out
    from tt_core.io.tables import write_tables

    bad = tiny.problem.replace(course_lectures=np.where(np.arange(tiny.problem.n_courses) == 0, 31,
                                                         tiny.problem.course_lectures))
    folder = write_tables(bad, tmp_path / "bad")
    assert tt(["check", str(folder), "--json"]) == 1
    found = json.loads(capsys.readouterr().out)
    assert found["errors"] >= 1 and found["findings"][0]["severity"] == "error"
    assert tt(["check", "nowhere", "--db", path]) == 2
    assert "neither a file nor a scenario" in capsys.readouterr().err
    assert tt(["diff", str(ids[0]), str(ids[1]), "--db", path]) == 0
    out = capsys.readouterr().out
    assert f"#{ids[0]} → #{ids[1]}: 1 moved, 0 added, 0 removed" in out and "cost per constraint" in out
    assert tt(["diff", str(ids[0]), "999", "--db", path, "--json"]) == 2
    assert "999" in capsys.readouterr().err


def test_studio_edit_session_saves_a_child_only_for_roles_that_may_choose_variants(store, tiny):  # noqa: F811
    from tt_core.auth import PermissionDenied

    first = variant_ids(store)[0]
    store.users.add("vera", "viewer")
    store.users.add("pat", "planner")
    session = services.Studio(store).variants.edit_session("tiny", first)
    assert session.source == first and session.timetable == tiny.hidden
    lecture = 0
    p0, r0 = session.placement(lecture)
    session.move(lecture, p0, (r0 + 1) % tiny.problem.n_rooms)
    with pytest.raises(PermissionDenied, match="vera"):
        services.Studio(store, user="vera").variants.save_edited("tiny", session)
    assert variant_ids(store) == [first, variant_ids(store)[1]]  # nothing was saved
    vid = services.Studio(store, user="pat").variants.save_edited("tiny", session)
    row = next(v for v in store.variants.list("tiny") if v["id"] == vid)
    assert row["parent_variant_id"] == first and row["name"] == f"edit of #{first}"


@pytest.mark.parametrize("role", ["viewer", "registrar", "teacher", "head"])
def test_timetable_state_refuses_every_edit_for_roles_that_may_not_change_variants(store, tiny, role):  # noqa: F811
    """Move, drag (move_to), undo, redo, "where could it go?" and save are refused for roles without
    ``choose_variant``, whatever the browser sends, and the timetable on screen stays the stored one."""
    app = load_app("timetable")
    p = tiny.problem
    store.users.add("u", role, p.teacher_names[0] if role == "teacher" else None,
                    department=p.department_names[0] if role == "head" else None)
    first = variant_ids(store)[0]
    state = app.TimetableState(services.Studio(store, user="u"), scenario="tiny", variant=str(first), view="teacher",
                               key=p.teacher_names[0])
    ed = state.editor
    assert not ed.allowed and ed.lecture is not None
    lecture = ed.lecture
    before = (ed.timetable.period.copy(), ed.timetable.room.copy())
    target = next(q for q in range(p.n_periods) if q != int(before[0][lecture]))
    ed.period = target
    for attempt in (ed.move, lambda: ed.move_to(lecture, target), ed.undo, ed.redo, ed.suggest, ed.save):
        ed.messages.clear()
        attempt()
        assert "read-only" in ed.messages.error, ed.messages.error
    assert (ed.timetable.period == before[0]).all() and (ed.timetable.room == before[1]).all()
    assert not ed.edited and "not saved" not in state.title and ed.suggestions.empty
    assert variant_ids(store) == [first, variant_ids(store)[1]]  # nothing was saved
    # a planner on the same page may edit
    planner = app.TimetableState(services.Studio(store), scenario="tiny", variant=str(first), view="teacher",
                                 key=p.teacher_names[0])
    assert planner.editor.allowed
    planner.editor.period = target
    planner.editor.move()
    assert planner.editor.edited and planner.messages.error == ""
