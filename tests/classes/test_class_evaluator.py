"""The evaluator's other components on one hand-made instance: time and room penalties, room
conflicts, rooms used while unavailable, student conflicts with travel, sectioning, unassigned
classes, the weighted total — and a hand-computed delta of the incremental state.

The instance (weights time 2, room 3, distribution 5, student 7; travel r1<->r2 = 3 slots;
room r2 unavailable Mondays 110-115 in week 2):

    course K1, config F1: subpart P1 = L1 (Mon 96-108 both weeks, time penalty 2, room r1 penalty 1)
                          subpart P2 = B1 (Mon 108-120, r2), B2 (Tue 96-108, r1); both children of L1
    course K2:            X1 (Mon 100-112, week 1 only, r1), limit 1
    course K3:            Y1 (Wed 96-108, no room)
    students S1: K1, K2 attends L1, B1, X1
             S2: K1     attends B2 only (no L1: a missing subpart and a missing parent)
             S3: K3     attends Y1 and X1 (X1 is of a course S3 did not request)
"""

from __future__ import annotations

import numpy as np
import pytest
from classes_oracle import oracle
from classes_samples import Cls, instance_xml, read_text

from tt_core.classes import ClassSolution, evaluate
from tt_core.classes.kernels import TOTAL_DELTA, IncrementalEvaluator

M, T, W = "1000000", "0100000", "0010000"


@pytest.fixture
def problem(tmp_path):
    classes = [
        Cls("L1", [(M, 96, 12, "11", 2)], [("r1", 1)], course="K1", config="F1", subpart="P1"),
        Cls("B1", [(M, 108, 12, "11")], ["r2"], parent="L1", course="K1", config="F1", subpart="P2"),
        Cls("B2", [(T, 96, 12, "11")], ["r1"], parent="L1", course="K1", config="F1", subpart="P2"),
        Cls("X1", [(M, 100, 12, "10")], ["r1", "r2"], limit=1, course="K2"),
        Cls("Y1", [(W, 96, 12, "11")], [], course="K3"),
    ]
    text = instance_xml(classes, weights=(2, 3, 5, 7), rooms=("r1", "r2"), travel=[("r1", "r2", 3)],
                        unavailable=[("r2", M, 110, 5, "01")],
                        students=[("S1", ["K1", "K2"]), ("S2", ["K1"]), ("S3", ["K3"])])
    return read_text(tmp_path, text)


def _solution(p):
    ix = {c: i for i, c in enumerate(p.class_ids)}
    return ClassSolution.create(p, [0] * p.n_classes, students=[
        [ix["L1"], ix["B1"], ix["X1"]], [ix["B2"]], [ix["Y1"], ix["X1"]]])


def test_components_by_hand(problem):
    report = evaluate(problem, _solution(problem))
    assert report.units == {
        "unassigned": 0,
        "room_conflicts": 1,      # L1 and X1 in r1, Monday of week 1
        "room_unavailable": 1,    # B1 in r2 Monday 108-120 of both weeks; r2 is off 110-115 in week 2
        "distribution_hard": 0,
        "sectioning": 4,          # S2: no class of P1, B2 without its parent; S3: X1 not requested; X1 2 > limit 1
        "time": 2,
        "room": 1,
        "distribution": 0,
        "student": 3,             # S1: L1-B1 (108 + 3 travel > 108), L1-X1 and B1-X1 overlap
    }
    assert report.hard_violations == 6
    assert report.total == 2 * 2 + 3 * 1 + 7 * 3
    ref = oracle(problem, _solution(problem))
    assert {k: ref[k] for k in report.units} == report.units


def test_explanations_name_the_elements(problem):
    report = evaluate(problem, _solution(problem))
    items = report.explain()
    texts = [v.text for v in items]
    assert any("L1" in t and "X1" in t and "room r1" in t for t in texts if "overlap in room" in t)
    assert any(v.kind == "room_unavailable" and v.classes == ("B1",) and v.room == "r2" for v in items)
    assert {v.student for v in items if v.kind == "student"} == {"S1"}
    sectioning = [v.text for v in items if v.kind == "sectioning"]
    assert any("S2 attends no class of subpart P1" in t for t in sectioning)
    assert any("S2 attends class B2 but not its parent L1" in t for t in sectioning)
    assert any("S3 attends class X1 of course K2, which they did not request" in t for t in sectioning)
    assert any("class X1 has 2 students, its limit is 1" in t for t in sectioning)
    # the items add up to the report, kind by kind
    for kind, units in report.units.items():
        assert sum(v.units for v in items if v.kind == kind) == units, kind
    out = report.format_validator(explain=True)
    assert "[H] " in out and "Total cost: 28 (INVALID, 6 hard violations; MaxBlock reading: competition)" in out


def test_unassigned_and_missing_room(problem):
    sol = _solution(problem)
    time = sol.time.copy()
    room = sol.room.copy()
    time[0] = -1   # L1 unassigned
    room[1] = -1   # B1 has a time but no room
    bad = ClassSolution(time=time, room=room, student_ptr=sol.student_ptr, student_classes=sol.student_classes)
    report = evaluate(problem, bad)
    assert report.units["unassigned"] == 2
    assert [v.text for v in report.violations() if v.kind == "unassigned"] == [
        "class L1 has no time", "class B1 has no room"]
    assert report.units == {k: oracle(problem, bad)[k] for k in report.units}


def test_delta_of_unassigning_a_class_by_hand(problem):
    inc = IncrementalEvaluator(problem, _solution(problem))
    x1 = problem.class_ids.index("X1")
    delta = inc.delta(x1, -1, -1)
    # X1 unassigned: +1 unassigned, its room conflict with L1 goes, S1 loses the L1-X1 and B1-X1 conflicts
    assert dict(zip(["unassigned", "room_conflicts", "student"], delta[[0, 1, 8]])) == {
        "unassigned": 1, "room_conflicts": -1, "student": -2}
    assert delta[TOTAL_DELTA] == 7 * -2
    assert inc.apply(x1, -1, -1) == -14
    assert inc.total == 28 - 14
    # X1 back, in r2 this time: no conflict with L1 (r1) any more, but with B1 (r2, Monday 108-120)
    assert inc.apply(x1, 0, 1) == 7 * 2 + 3 * 0
    assert inc.state.units[1] == 1
    fresh = evaluate(problem, inc.solution())
    assert np.array_equal(inc.units, np.array(list(fresh.units.values())))
