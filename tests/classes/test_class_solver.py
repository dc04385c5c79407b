"""The ``classes`` strategy (``tt_core.solvers.classes``) behind ``solve()``: a valid timetable and
sectioning on a hand-made instance with every kind of hard rule, the user's stop and the time limit
honoured, pinned classes kept, bad settings refused, ``tt solve`` writing XML that ``tt validate``
accepts, and the small public instances valid within seconds."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest
from classes_samples import Cls, instance_xml, read_text

from tt_core import cli
from tt_core.classes import evaluate
from tt_core.classes.model import ClassSolution
from tt_core.errors import TimetableError
from tt_core.io.itc2019 import read_problem_xml, read_solution_xml
from tt_core.solvers import CLASS_STRATEGIES, problem_family, solve
from tt_core.solvers.classes.warmup import warm_up

MON, TUE, WED, THU = "10000", "01000", "00100", "00010"
EVERY = (MON, TUE, WED, THU)

# K1: a lecture L1 and two labs (children of L1, two seats each); K2: one class C1; K3: D1, which
# needs no room. Four students take K1 and K2, so each lab gets exactly two of them. Required:
# L1 and C1 apart, L1 before both labs and B1 before B2 (Precedence, file order), C1 and D1 with
# the same attendees; r1 is closed on Tuesday; soft: B1 and B2 on different days, and a time
# penalty on the Monday lecture.
TINY = instance_xml(
    [Cls("L1", [(MON, 96, 12, "1", 3)] + [(d, 96, 12, "1") for d in (TUE, WED, THU)], ["r1", ("r2", 1)],
         limit=4, course="K1", config="F1", subpart="lec"),
     Cls("B1", [(d, 120, 12, "1") for d in EVERY], ["r2", "r3"], limit=2, parent="L1",
         course="K1", config="F1", subpart="lab"),
     Cls("B2", [(d, 120, 12, "1") for d in EVERY], ["r2", "r3"], limit=2, parent="L1",
         course="K1", config="F1", subpart="lab"),
     Cls("C1", [(d, 96, 12, "1") for d in EVERY], ["r1"], limit=4, course="K2"),
     Cls("D1", [(d, 96, 24, "1") for d in EVERY], [], limit=4, course="K3")],
    [("NotOverlap", True, ["L1", "C1"]), ("Precedence", True, ["L1", "B1", "B2"]),
     ("SameAttendees", True, ["C1", "D1"]), ("DifferentDays", 5, ["B1", "B2"])],
    rooms=("r1", "r2", "r3"), nr_days=5, nr_weeks=1, weights=(1, 1, 1, 1),
    unavailable=[("r1", TUE, 0, 288, "1")],
    students=[(f"s{i}", ["K1", "K2"]) for i in range(1, 5)], name="tiny-solver")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    problem = read_text(tmp_path_factory.mktemp("tiny"), TINY, "tiny-solver.xml")
    # the first solve in a process loads numba's cache of the solver (seconds on a busy machine):
    # done once here, so the timing tests below measure the solver's own pacing
    warm_up()
    return problem


def _stop_when(predicate):
    """A progress callback and a stop flag it sets once ``predicate(event)`` holds."""
    flag = threading.Event()
    events = []

    def progress(ev):
        events.append(ev)
        if predicate(ev):
            flag.set()

    return progress, flag, events


def test_tiny_instance_solved_to_a_valid_timetable_and_sectioning(tiny):
    assert problem_family(tiny) == "classes" and "classes" in CLASS_STRATEGIES
    progress, stop, events = _stop_when(lambda ev: ev.stage == "search" and ev.hard_violations == 0)
    result = solve(tiny, time_limit=20, seed=1, progress=progress, stop=stop)
    assert result.strategy == "classes" and result.feasible
    # the result's report is the evaluator's verdict on the returned solution
    again = evaluate(tiny, result.solution)
    assert (again.hard_violations, again.total) == (0, result.report.total)
    sol = result.solution
    idx = tiny.index.klass
    lists = [set(tiny.class_ids[c] for c in cl) for cl in sol.student_lists()]
    # every student: L1, one lab, C1; two per lab (limits), the parent lecture with it
    assert all({"L1", "C1"} <= s and len(s & {"B1", "B2"}) == 1 for s in lists)
    assert sum("B1" in s for s in lists) == 2
    # L1 never in r1 on Tuesday (unavailable): its room and day come from the solution
    day_of = {c: int(tiny.time_days[tiny.time_ptr[idx[c]] + sol.time[idx[c]]]) for c in idx}
    room_of = {c: (tiny.room_ids[tiny.room_option_room[tiny.room_option_ptr[idx[c]] + sol.room[idx[c]]]]
                   if sol.room[idx[c]] >= 0 else None) for c in idx}
    assert not (room_of["L1"] == "r1" and day_of["L1"] == 1 << 1)
    assert room_of["D1"] is None                      # D1 needs no room
    assert day_of["L1"] != day_of["C1"]               # both at 8:00: NotOverlap keeps them apart
    assert result.stats["time_to_valid"] is not None and result.stats["time_to_valid"] <= result.elapsed
    # progress: events during the search carry the best solution, and a final "done"
    assert events[-1].stage == "done" and isinstance(events[-1].timetable, ClassSolution)
    assert all(ev.hard_violations == 0 for ev in events if ev.stage == "search")


def test_the_optimum_of_the_tiny_instance_is_found(tiny):
    # the soft terms can all be avoided: no Monday lecture (time penalty 3), L1 in r1 (room
    # penalty 1 in r2), labs on different days
    progress, stop, _ = _stop_when(lambda ev: ev.hard_violations == 0 and ev.best_cost == 0)
    result = solve(tiny, time_limit=10, seed=2, progress=progress, stop=stop)
    assert result.feasible and result.report.total == 0


def test_stop_is_honoured_within_a_second(tiny):
    progress, stop, _ = _stop_when(lambda ev: ev.stage == "search")
    start = time.perf_counter()
    result = solve(tiny, time_limit=60, seed=3, progress=progress, stop=stop)
    assert time.perf_counter() - start < 10 and result.stopped and result.feasible


def test_time_limit_is_honoured(tiny):
    start = time.perf_counter()
    result = solve(tiny, time_limit=1.5, seed=4)
    assert time.perf_counter() - start < 1.5 + 2.0 and not result.stopped and result.feasible


def test_pinned_classes_keep_their_time_and_room(tiny):
    idx = tiny.index.klass
    time_ = np.zeros(tiny.n_classes, np.int32)
    room = np.where(tiny.class_needs_room, 0, -1)
    time_[idx["C1"]], room[idx["C1"]] = 0, 0       # C1 on Monday in r1 ...
    time_[idx["L1"]], room[idx["L1"]] = 2, 1       # ... and L1 on Wednesday in r2 (penalised)
    initial = ClassSolution.create(tiny, time_, room)
    for pinned in (["C1", "L1"], np.isin(np.arange(tiny.n_classes), [idx["C1"], idx["L1"]])):
        result = solve(tiny, time_limit=1.0, seed=5, initial=initial, pinned=pinned)
        assert result.feasible
        for c in ("C1", "L1"):
            assert (result.solution.time[idx[c]], result.solution.room[idx[c]]) == (time_[idx[c]], room[idx[c]])
    # not pinned, L1 leaves the penalised room
    free = solve(tiny, time_limit=1.5, seed=5, initial=initial)
    assert free.feasible and free.report.total < result.report.total


@pytest.mark.parametrize("kwargs, message", [
    (dict(pinned=["L1"]), "pinned classes need an initial solution"),
    (dict(pinned=["nope"], initial="first"), "pinned class 'nope' is not a class of tiny-solver"),
    (dict(strategy="cpsat"), r"unknown strategy 'cpsat' for a class problem \(ITC2019\) \('cpsat' solves the "
                             r"other problem family\); choose one of: classes"),
    (dict(weights={"rooms": 3}), "unknown weight"),
    (dict(weights=[1, 2]), "weights of a class problem are a mapping"),
    (dict(workers=0), "workers must be at least 1"),
    (dict(speed=3), "unknown option"),
])
def test_bad_settings_are_refused(tiny, kwargs, message):
    if kwargs.get("initial") == "first":
        kwargs["initial"] = ClassSolution.create(tiny, [0] * tiny.n_classes)
    with pytest.raises(TimetableError, match=message):
        solve(tiny, time_limit=1, **kwargs)


def test_weights_override_steers_the_search(tiny):
    # with the room weight at 0 and the time weight high, the total only counts time penalties
    result = solve(tiny, time_limit=1.5, seed=6, weights={"room": 0, "time": 10})
    assert result.feasible and result.report.penalties["time"] == 0


def test_cli_solve_writes_xml_that_validates(tiny, tmp_path, capsys):
    inst, out = tmp_path / "tiny-solver.xml", tmp_path / "out" / "solution.xml"
    inst.write_text(TINY)
    out.parent.mkdir()
    assert cli.main(["solve", str(inst), "--time-limit", "1", "--seed", "7", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "strategy classes, seed 7" in printed and "first valid at" in printed
    assert cli.main(["validate", "--json", str(inst), str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["hard"] == 0
    sol = read_solution_xml(tiny, out)
    assert dict(sol.meta)["name"] == "tiny-solver" and "timetable studio" in dict(sol.meta)["technique"]


@pytest.mark.parametrize("args, message", [
    (["solve", "{ctt}", "--workers", "2"], "--workers applies to ITC2019 XML instances"),
    (["solve", "{ctt}", "--maxblock", "rules"], "--maxblock applies to ITC2019 XML instances"),
    (["solve", "{xml}", "--strategy", "ga"], "unknown strategy 'ga' for a class problem"),
    (["solve", "{xml}", "--initial", "{xml}"], "expected <solution> as the first element"),
])
def test_cli_solve_bad_input_is_one_message(tmp_path, capsys, args, message):
    ctt, xml = tmp_path / "tiny.ctt", tmp_path / "tiny-solver.xml"
    ctt.write_text("Name: Tiny\n")
    xml.write_text(TINY)
    assert cli.main([a.format(ctt=ctt, xml=xml) for a in args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize("name", ["lums-sum17", "pu-cs-fal07"])
def test_public_test_instances_become_valid_quickly(itc2019_dir, name):
    # pu-cs-fal07 has 2,002 students to section under class limits and parents
    problem = read_problem_xml(itc2019_dir / f"{name}.xml")
    progress, stop, _ = _stop_when(lambda ev: ev.stage == "search" and ev.hard_violations == 0)
    result = solve(problem, time_limit=20, seed=1, progress=progress, stop=stop)
    assert result.feasible, result.report.format_validator()
    assert result.stats["time_to_valid"] < 20


def test_initial_solution_is_the_start(tiny):
    # a valid start is kept where it does not conflict, so the result is never worse than it
    idx = tiny.index.klass
    time_ = np.zeros(tiny.n_classes, np.int32)    # option k = day k (L1: Tue; labs Tue, Wed; C1 Mon; D1 Wed)
    time_[[idx["L1"], idx["B1"], idx["B2"], idx["C1"], idx["D1"]]] = [1, 1, 2, 0, 2]
    room = np.where(tiny.class_needs_room, 0, -1).astype(np.int32)
    room[idx["L1"]] = 1                            # L1 on Tuesday in r2 (r1 is closed on Tuesdays)
    students = [[idx["L1"], idx["B1"] if s < 2 else idx["B2"], idx["C1"]] for s in range(4)]
    initial = ClassSolution.create(tiny, time_, room, students=students)
    start = evaluate(tiny, initial)
    assert start.hard_violations == 0 and start.total > 0
    result = solve(tiny, time_limit=0.5, seed=8, initial=initial)
    assert result.feasible and result.report.total <= start.total
    assert result.trace[0][1] <= start.total
