"""Property tests of the numba kernels on random small problems and timetables.

* the full kernel equals the plain-Python oracle (``tests/reference.py``);
* the incremental state built from a timetable holds the same units as the full kernel;
* along random sequences of moves and swaps: ``delta == full(after) - full(before)``, a delta
  leaves the state as it was, an applied move keeps ``units == full`` and every counter equal to
  a state built from scratch;
* ``evaluate_batch`` equals ``evaluate`` row by row.

About half of the problems carry students' enrolments (``StudentClashes``), the rest none.

Problems are tiny on purpose (few periods and rooms), so repeated periods, shared rooms,
conflicts and multi-period lectures running past the day's end happen often.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import reference_units

from tt_core import constraints as K
from tt_core.cost import evaluate, evaluate_batch
from tt_core.kernels.incremental import IncrementalEvaluator
from tt_core.model import Problem, Timetable

SETTINGS = settings(max_examples=150, deadline=None)


@st.composite
def problems(draw) -> Problem:
    """A random small problem; about half of them use the extension data."""
    days = draw(st.integers(1, 3))
    ppd = draw(st.integers(1, 4))
    P = days * ppd
    C = draw(st.integers(1, 6))
    n_teachers = draw(st.integers(1, C))
    R = draw(st.integers(1, 3))
    courses = [f"c{i}" for i in range(C)]
    teachers = [f"t{draw(st.integers(0, n_teachers - 1))}" for _ in range(C)]
    lectures = draw(st.lists(st.integers(0, 3), min_size=C, max_size=C).filter(lambda xs: sum(xs) > 0))
    kw: dict = dict(
        name="random", days=days, periods_per_day=ppd, courses=courses, course_teacher=teachers,
        course_lectures=lectures,
        course_min_days=draw(st.lists(st.integers(0, days + 1), min_size=C, max_size=C)),
        course_students=draw(st.lists(st.integers(0, 40), min_size=C, max_size=C)),
        rooms=[f"r{i}" for i in range(R)],
        room_capacity=draw(st.lists(st.integers(0, 40), min_size=R, max_size=R)),
    )
    n_curricula = draw(st.integers(0, 3))
    members = st.lists(st.integers(0, C - 1), unique=True, min_size=1, max_size=C)
    kw["curricula"] = [(f"q{g}", [courses[i] for i in draw(members)]) for g in range(n_curricula)]
    pairs = st.tuples(st.sampled_from(courses), st.integers(0, P - 1))
    kw["unavailable"] = draw(st.lists(pairs, max_size=P))
    if draw(st.booleans()):
        used_teachers = sorted(set(teachers))
        t_pairs = st.tuples(st.sampled_from(used_teachers), st.integers(0, P - 1))
        kw.update(
            course_length=draw(st.lists(st.integers(1, ppd), min_size=C, max_size=C)),
            suitable=np.array(draw(st.lists(st.booleans(), min_size=C * R, max_size=C * R))).reshape(C, R),
            teacher_unavailable=draw(st.lists(t_pairs, max_size=P)),
            teacher_undesired=draw(st.lists(t_pairs, max_size=P)),
            teacher_max_per_day={t: draw(st.integers(0, 2)) for t in used_teachers},
            period_penalty=draw(st.lists(st.integers(0, 3), min_size=P, max_size=P)),
            curriculum_max_per_day=draw(st.lists(st.integers(0, 2), min_size=n_curricula,
                                                 max_size=n_curricula)),
        )
    if draw(st.booleans()):
        # the extended benchmark's data: double lectures, sites, a daily range, listed unsuitable rooms
        lo = draw(st.integers(0, 2))
        kw.update(
            course_double=draw(st.lists(st.booleans(), min_size=C, max_size=C)),
            room_building=draw(st.lists(st.integers(0, 2), min_size=R, max_size=R)),
            room_unsuitable=np.array(draw(st.lists(st.booleans(), min_size=C * R, max_size=C * R))).reshape(C, R),
            curriculum_min_per_day=[lo] * n_curricula,
            curriculum_max_per_day=[draw(st.integers(max(lo, 1), 3))] * n_curricula,
            count_windows=draw(st.booleans()),
            count_travel=draw(st.booleans()),
        )
    if draw(st.booleans()):
        # students enrolled in random course subsets: StudentClashes, weighted by shared students
        n_students = draw(st.integers(1, 8))
        kw["enrolments"] = [(f"s{i}", [courses[j] for j in draw(st.lists(st.integers(0, C - 1), unique=True,
                                                                        max_size=C))])
                            for i in range(n_students)]
    return Problem.create(**kw)


def placements(problem: Problem):
    """A (period, room) pair: mostly placed, sometimes unplaced (one or both of them -1)."""
    placed = st.tuples(st.integers(0, problem.n_periods - 1), st.integers(0, problem.n_rooms - 1))
    unplaced = st.tuples(st.integers(-1, problem.n_periods - 1), st.just(-1)) | \
        st.tuples(st.just(-1), st.integers(-1, problem.n_rooms - 1))
    return st.one_of(placed, placed, placed, placed, unplaced)


def timetables(problem: Problem):
    L = problem.n_lectures
    return st.lists(placements(problem), min_size=L, max_size=L).map(
        lambda rows: Timetable(np.array([p for p, _ in rows]), np.array([r for _, r in rows])))


def moves(problem: Problem):
    """``("move", lecture, period, room)`` or ``("swap", l1, l2)``; the flag says whether to apply it."""
    lecture = st.integers(0, problem.n_lectures - 1)
    move = st.tuples(st.just("move"), lecture, placements(problem))
    swap = st.tuples(st.just("swap"), lecture, lecture)
    return st.tuples(st.one_of(move, swap), st.booleans())


@st.composite
def problem_and_timetable(draw):
    pb = draw(problems())
    return pb, draw(timetables(pb))


@st.composite
def move_sequences(draw):
    pb = draw(problems())
    return pb, draw(timetables(pb)), draw(st.lists(moves(pb), min_size=1, max_size=12))


def full(problem: Problem, timetable: Timetable) -> np.ndarray:
    return evaluate(problem, timetable).units


def normalised(timetable: Timetable) -> Timetable:
    """The timetable with half-placed lectures (a period or a room of -1) fully unplaced."""
    out = timetable.copy()
    unplaced = (out.period < 0) | (out.room < 0)
    out.period[unplaced] = -1
    out.room[unplaced] = -1
    return out


def assert_state_consistent(problem: Problem, ev: IncrementalEvaluator) -> None:
    """Every counter of ``ev`` equals a state built from scratch for its timetable."""
    fresh = IncrementalEvaluator(problem, ev.timetable()).state
    for name in fresh._fields:
        if name in ("room_lec", "scratch"):
            continue
        assert np.array_equal(getattr(ev.state, name), getattr(fresh, name)), name
    # room_lec is a hint: when set, it names a taught lecture occupying that room and period
    st_ = ev.state
    for r, q in zip(*np.nonzero(st_.room_lec >= 0)):
        l = int(st_.room_lec[r, q])
        c = problem.lecture_course[l]
        p = int(st_.period[l])
        end = min(p + int(problem.course_length[c]), (p // problem.periods_per_day + 1) * problem.periods_per_day)
        assert st_.taught[l] and st_.room[l] == r and p <= q < end


@SETTINGS
@given(problem_and_timetable())
def test_full_kernel_equals_reference(case):
    pb, tt = case
    assert full(pb, tt).tolist() == reference_units(pb, tt)


@SETTINGS
@given(problem_and_timetable())
def test_incremental_build_equals_full(case):
    pb, tt = case
    ev = IncrementalEvaluator(pb, tt)
    assert ev.units.tolist() == full(pb, tt).tolist()
    assert ev.timetable() == normalised(tt)
    assert full(pb, normalised(tt)).tolist() == full(pb, tt).tolist()


@SETTINGS
@given(move_sequences())
def test_deltas_equal_full_recompute_along_random_moves(case):
    pb, tt, ops = case
    ev = IncrementalEvaluator(pb, tt)
    cur = normalised(tt)
    for (kind, *args), keep in ops:
        before = full(pb, cur)
        after_tt = cur.copy()
        if kind == "move":
            l, (p, r) = args
            after_tt.period[l], after_tt.room[l] = p, r
            delta = ev.delta_move(l, p, r)
        else:
            l1, l2 = args
            after_tt.period[[l1, l2]] = cur.period[[l2, l1]]
            after_tt.room[[l1, l2]] = cur.room[[l2, l1]]
            delta = ev.delta_swap(l1, l2)
        after_tt = normalised(after_tt)
        after = full(pb, after_tt)
        assert delta.tolist() == (after - before).tolist(), (kind, args)
        # a delta leaves the state unchanged
        assert ev.units.tolist() == before.tolist()
        assert ev.timetable() == cur
        if keep:
            applied = ev.apply_move(l, p, r) if kind == "move" else ev.apply_swap(l1, l2)
            assert applied.tolist() == delta.tolist()
            cur = after_tt
            assert ev.units.tolist() == after.tolist()
            assert ev.timetable() == cur
    assert_state_consistent(pb, ev)
    assert ev.units.tolist() == reference_units(pb, ev.timetable())


@st.composite
def populations(draw):
    pb = draw(problems())
    return pb, draw(st.lists(timetables(pb), min_size=1, max_size=5))


@SETTINGS
@given(populations())
def test_evaluate_batch_equals_looped_evaluate(case):
    pb, tts = case
    periods = np.stack([t.period for t in tts])
    rooms = np.stack([t.room for t in tts])
    weights = K.itc_weights()
    weights[sorted(K.EXTENSIONS)] = [0.5, 4.0, 2.0, 1.5, 3.0, 0.25]
    units, hard, soft = evaluate_batch(pb, periods, rooms, weights)
    for i, tt in enumerate(tts):
        rep = evaluate(pb, tt, weights)
        assert units[i].tolist() == rep.units.tolist()
        assert hard[i] == rep.hard_violations
        assert soft[i] == rep.soft_cost
