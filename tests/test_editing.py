"""Manual editing (``tt_core.editing``): the session's cost always equals the full evaluator along
random edits with undo and redo; suggestions equal a brute-force enumeration; history and diffs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_kernels_properties import problems, timetables

from tt_core import constraints as K
from tt_core.cost import evaluate, resolve_weights
from tt_core.editing import EditSession, rank_key
from tt_core.errors import TimetableError
from tt_core.history import diff, lineage
from tt_core.model import Timetable
from tt_core.synth import Recipe, generate

WEIGHTS = resolve_weights({"TeacherPreference": 2.5, "TimeOfDay": 0.5, "CurriculumDailyLoad": 3})


def ops(problem):
    lecture = st.integers(0, problem.n_lectures - 1)
    place = st.tuples(st.integers(-1, problem.n_periods - 1), st.integers(-1, problem.n_rooms - 1))
    return st.lists(st.one_of(st.tuples(st.just("move"), lecture, place), st.tuples(st.just("swap"), lecture, lecture),
                              st.tuples(st.just("undo")), st.tuples(st.just("redo"))), min_size=1, max_size=15)


@st.composite
def edit_cases(draw):
    pb = draw(problems())
    return pb, draw(timetables(pb)), draw(ops(pb))


def swapped(tt: Timetable, a: int, b: int) -> Timetable:
    out = tt.copy()
    out.period[[a, b]] = tt.period[[b, a]]
    out.room[[a, b]] = tt.room[[b, a]]
    return out


@settings(max_examples=150, deadline=None)
@given(edit_cases())
def test_session_cost_equals_full_evaluator_along_random_edits_with_undo(case):
    pb, tt, steps = case
    s = EditSession(pb, tt, WEIGHTS)
    done = [s.timetable]   # the timetables the undo stack leads back through
    undone: list[Timetable] = []
    for step in steps:
        before = s.timetable
        units_before = s.units
        try:
            if step[0] == "move":
                _, l, (p, r) = step
                preview = s.preview_move(l, p, r)
                assert s.timetable == before  # a preview changes nothing
                edit = s.move(l, p, r)
                expected = before.copy()
                expected.period[l], expected.room[l] = (p, r) if p >= 0 and r >= 0 else (-1, -1)
            elif step[0] == "swap":
                _, a, b = step
                preview = s.preview_swap(a, b)
                edit = s.swap(a, b)
                expected = swapped(before, a, b)
            elif step[0] == "undo":
                s.undo()
                undone.append(done.pop())
                assert s.timetable == done[-1]
            else:
                s.redo()
                done.append(undone.pop())
                assert s.timetable == done[-1]
        except TimetableError:
            # refused (nothing to undo/redo, a move to where it is, a half-given place, a self-swap)
            assert s.timetable == before and s.units.tolist() == units_before.tolist()
            continue
        if step[0] in ("move", "swap"):
            assert s.timetable == expected
            assert edit.delta.units.tolist() == preview.units.tolist() == (s.units - units_before).tolist()
            done.append(s.timetable)
            undone.clear()
        full = evaluate(pb, s.timetable, WEIGHTS)
        assert s.units.tolist() == full.units.tolist()
        assert s.report().soft_cost == full.soft_cost and s.report().hard_violations == full.hard_violations
        assert s.change().units.tolist() == (full.units - evaluate(pb, s.start).units).tolist()
    while s.can_undo:
        s.undo()
    assert s.timetable == s.start and not s.edited
    assert s.units.tolist() == evaluate(pb, s.start).units.tolist()


def brute_force(pb, tt: Timetable, lecture: int, weights) -> list[tuple]:
    """Every place for ``lecture`` scored by full evaluations of copied timetables, in the
    documented order (fewer hard violations, lower soft cost, moves before swaps, then by place)."""
    base = evaluate(pb, tt, weights)
    c = int(pb.lecture_course[lecture])
    L = int(pb.course_length[c])
    p0, r0 = int(tt.period[lecture]), int(tt.room[lecture])
    fits = [p for p in range(pb.n_periods) if p % pb.periods_per_day + L <= pb.periods_per_day]
    out = []

    def score(after, p, r, o):
        rep = evaluate(pb, after, weights)
        d = rep.units - base.units
        hard = int(d[K.HARD_MASK].sum())
        soft = float(rep.soft_cost) - float(base.soft_cost)
        out.append(((hard, soft, o is not None, p, r, -1 if o is None else o), d.tolist()))

    for p in fits:
        for r in range(pb.n_rooms):
            if (p, r) != (p0, r0):
                after = tt.copy()
                after.period[lecture], after.room[lecture] = p, r
                score(after, p, r, None)
    if p0 >= 0:
        for o in range(pb.n_lectures):
            p, r = int(tt.period[o]), int(tt.room[o])
            if pb.lecture_course[o] != c and p >= 0 and p in fits and (p, r) != (p0, r0):
                score(swapped(tt, lecture, o), p, r, o)
    out.sort(key=lambda x: x[0])
    return out


def as_rows(suggestions) -> list[tuple]:
    return [(rank_key(s.delta, s.period, s.room, s.other), s.delta.units.tolist()) for s in suggestions]


def _close(a, b) -> bool:
    return len(a) == len(b) and all(x[0][0] == y[0][0] and abs(x[0][1] - y[0][1]) < 1e-9 and x[0][2:] == y[0][2:]
                                    and x[1] == y[1] for x, y in zip(a, b))


def test_suggestions_equal_brute_force_on_the_tiny_university():
    u = generate(Recipe.preset("tiny"))
    pb = u.problem
    tt = u.hidden.copy()
    # make it interesting: a clash and a lecture left unplaced
    tt.period[3], tt.room[3] = tt.period[10], tt.room[10]
    tt.period[7], tt.room[7] = -1, -1
    s = EditSession(pb, tt, WEIGHTS)
    for lecture in (0, 3, 7, pb.n_lectures - 1):
        expected = brute_force(pb, s.timetable, lecture, WEIGHTS)
        assert _close(as_rows(s.suggest(lecture, n=len(expected) + 5)), expected)
        top = s.suggest(lecture, n=5)
        assert _close(as_rows(top), expected[:5])
        for sug in top:
            assert sug.delta.text() in sug.text
            if sug.other is not None:
                assert "moving lecture" in sug.text
    assert s.timetable == tt  # suggesting moves nothing


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_suggestions_equal_brute_force_on_random_problems(data):
    pb = data.draw(problems())
    tt = data.draw(timetables(pb))
    s = EditSession(pb, tt, WEIGHTS)
    lecture = data.draw(st.integers(0, pb.n_lectures - 1))
    expected = brute_force(pb, s.timetable, lecture, WEIGHTS)
    assert _close(as_rows(s.suggest(lecture, n=len(expected))), expected)


def test_applying_the_best_suggestion_lowers_the_cost_as_announced():
    u = generate(Recipe.preset("tiny"))
    tt = u.hidden.copy()
    tt.period[0], tt.room[0] = tt.period[1], tt.room[1]  # a clash to repair
    s = EditSession(u.problem, tt)
    best = s.suggest(0, n=1)[0]
    before = s.report()
    edit = s.apply(best)
    assert edit.delta.units.tolist() == best.delta.units.tolist()
    assert s.report().hard_violations == before.hard_violations + best.delta.hard
    assert best.delta.hard < 0


def test_edit_messages_and_refusals():
    u = generate(Recipe.preset("tiny"))
    pb = u.problem
    s = EditSession(pb, u.hidden)
    p, r = s.placement(0)
    with pytest.raises(TimetableError, match="already at"):
        s.move(0, p, r)
    with pytest.raises(TimetableError, match="lecture 999 does not exist"):
        s.move(999, 0, 0)
    with pytest.raises(TimetableError, match="outside the week"):
        s.move(0, pb.n_periods, 0)
    with pytest.raises(TimetableError, match="both a period and a room"):
        s.move(0, 1, -1)
    with pytest.raises(TimetableError, match="nothing to undo"):
        s.undo()
    edit = s.move(0, (p + 1) % pb.n_periods, r)
    assert edit.text.startswith(f"lecture 1 of course {pb.course_names[0]}: {pb.period_labels[p]}")
    assert "→" in edit.text
    assert s.edited and s.moved().tolist() == [0] and len(s.history) == 1
    assert s.change().units.tolist() == edit.delta.units.tolist()
    s.undo()
    assert not s.edited and s.can_redo and s.history == []


def test_diff_counts_moved_added_removed_and_cost_change():
    u = generate(Recipe.preset("tiny"))
    pb = u.problem
    a = u.hidden
    b = a.copy()
    s = EditSession(pb, a)
    move = next(x for x in s.suggest(0, n=200) if x.other is None and x.delta.hard == 0)
    gone = int(np.flatnonzero(pb.lecture_course != pb.lecture_course[0])[0])
    b.period[0], b.room[0] = move.period, move.room   # moved
    b.period[gone], b.room[gone] = -1, -1             # removed
    d = diff(pb, a, b, a_label="#1", b_label="#2")
    assert (d.moved, d.added, d.removed) == (1, 0, 1)
    back = diff(pb, b, a)
    assert (back.moved, back.added, back.removed) == (1, 1, 0)
    ua, ub = evaluate(pb, a).units, evaluate(pb, b).units
    assert d.costs["units change"].tolist() == (ub - ua).tolist()
    assert d.changed_costs()["constraint"].tolist() == [K.NAMES[i] for i in np.flatnonzero(ub - ua)]
    assert d.summary().startswith("#1 → #2: 1 moved, 0 added, 1 removed; hard 0 → 1 (+1)")
    assert s.timetable == a


def test_lineage_walks_parents_and_stops_at_gaps_and_loops():
    rows = [{"id": 1, "parent_variant_id": None}, {"id": 2, "parent_variant_id": 1},
            {"id": 3, "parent_variant_id": 2}, {"id": 4, "parent_variant_id": 9},
            {"id": 5, "parent_variant_id": 6}, {"id": 6, "parent_variant_id": 5}]
    assert [r["id"] for r in lineage(rows, 3)] == [3, 2, 1]
    assert [r["id"] for r in lineage(rows, 4)] == [4]
    assert [r["id"] for r in lineage(rows, 5)] == [5, 6]
