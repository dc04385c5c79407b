"""Property tests of the class kernels on random tiny problems and solutions.

* the full kernel (``evaluate``) equals the plain-Python oracle, component by component and per
  distribution, under both MaxBlock readings;
* along random sequences of class moves (new time, new room, unassigning): the incremental
  ``delta`` equals ``full(after) - full(before)`` for every component, the weighted total and the
  hard sum; an applied move keeps ``state.units == full`` and every counter equal to a state built
  from scratch; moving back restores the state;
* the explanations add up to the report.

Problems are tiny on purpose (1-3 days and weeks, a dozen slots, up to 3 rooms), so overlaps,
shared rooms, travel, per-week cells and every distribution type happen often.
"""

from __future__ import annotations

import numpy as np
from classes_oracle import oracle
from hypothesis import given, settings
from hypothesis import strategies as st

from tt_core.classes import ClassProblem, ClassSolution, evaluate
from tt_core.classes.kernels import (
    HARD_DELTA,
    N_HARD,
    N_UNITS,
    TOTAL_DELTA,
    IncrementalEvaluator,
    class_arrays,
    init_state,
)

SETTINGS = settings(max_examples=150, deadline=None)


@st.composite
def problems(draw) -> ClassProblem:
    nd, nw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    slots = draw(st.integers(4, 12))
    R = draw(st.integers(0, 3))
    travel = np.zeros((R, R), np.int32)
    for a in range(R):
        for b in range(a + 1, R):
            travel[a, b] = travel[b, a] = draw(st.integers(0, 3))
    mask_d = st.integers(1, (1 << nd) - 1)
    mask_w = st.integers(1, (1 << nw) - 1)

    def a_time():
        length = draw(st.integers(1, slots))
        return draw(mask_d), draw(st.integers(0, slots - length)), length, draw(mask_w)

    un = [[a_time() for _ in range(draw(st.integers(0, 2)))] for _ in range(R)]
    course_cfg, cfg_sub, sub_cls = [0], [0], [0]
    parents, times, rooms = [], [], []
    n_classes = 0
    for _ in range(draw(st.integers(1, 3))):
        for _ in range(draw(st.integers(1, 2))):
            config_classes: list[list[int]] = []
            for _ in range(draw(st.integers(1, 2))):
                mine = []
                for _ in range(draw(st.integers(1, 3))):
                    earlier = [c for sub in config_classes for c in sub]
                    parents.append(draw(st.sampled_from(earlier)) if earlier and draw(st.booleans()) else -1)
                    times.append([a_time() + (draw(st.integers(0, 2)),) for _ in range(draw(st.integers(1, 3)))])
                    if R and draw(st.integers(0, 4)):
                        chosen = draw(st.lists(st.integers(0, R - 1), min_size=1, max_size=R, unique=True))
                        rooms.append([(r, draw(st.integers(0, 2))) for r in chosen])
                    else:
                        rooms.append([])
                    mine.append(n_classes)
                    n_classes += 1
                config_classes.append(mine)
                sub_cls.append(n_classes)
            cfg_sub.append(len(sub_cls) - 1)
        course_cfg.append(len(cfg_sub) - 1)
    K, C = len(course_cfg) - 1, n_classes
    dist = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.integers(0, 18))
        members = draw(st.lists(st.integers(0, C - 1), min_size=1, max_size=min(C, 4), unique=True))
        if kind in (13, 14):
            params = (draw(st.integers(0, slots)), 0)
        elif kind == 15:
            params = (draw(st.integers(0, nd)), 0)
        elif kind == 16:
            params = (draw(st.integers(0, slots)), 0)
        elif kind == 17:
            params = (draw(st.integers(0, 2)), draw(st.integers(0, 3)))
        elif kind == 18:
            params = (draw(st.integers(0, slots)), draw(st.integers(0, 3)))
        else:
            params = (0, 0)
        required = draw(st.booleans())
        dist.append((kind, required, 0 if required else draw(st.integers(1, 4)), params, members))
    students = [draw(st.lists(st.integers(0, K - 1), max_size=K, unique=True)) for _ in range(draw(st.integers(0, 4)))]

    def csr(lists):
        ptr = np.zeros(len(lists) + 1, np.int32)
        np.cumsum([len(x) for x in lists], out=ptr[1:])
        return ptr, [x for sub in lists for x in sub]

    t_ptr, t_flat = csr(times)
    o_ptr, o_flat = csr(rooms)
    u_ptr, u_flat = csr(un)
    d_ptr, d_flat = csr([m for *_, m in dist])
    s_ptr, s_flat = csr(students)
    def col(rows, i, dtype):
        return np.array([r[i] for r in rows], dtype)

    return ClassProblem(
        name="random", nr_days=nd, nr_weeks=nw, slots_per_day=slots,
        weights=[draw(st.integers(0, 3)) for _ in range(4)],
        room_ids=[f"r{i}" for i in range(R)], room_capacity=[10] * R, travel=travel,
        unavailable_ptr=u_ptr, unavailable_days=col(u_flat, 0, np.int32), unavailable_start=col(u_flat, 1, np.int32),
        unavailable_length=col(u_flat, 2, np.int32), unavailable_weeks=col(u_flat, 3, np.int64),
        course_ids=[f"k{i}" for i in range(K)], config_ids=[f"f{i}" for i in range(len(cfg_sub) - 1)],
        subpart_ids=[f"p{i}" for i in range(len(sub_cls) - 1)], class_ids=[f"c{i}" for i in range(C)],
        course_config_ptr=course_cfg, config_subpart_ptr=cfg_sub, subpart_class_ptr=sub_cls,
        class_limit=[draw(st.integers(0, 3)) for _ in range(C)], class_parent=parents,
        time_ptr=t_ptr, time_days=col(t_flat, 0, np.int32), time_start=col(t_flat, 1, np.int32),
        time_length=col(t_flat, 2, np.int32), time_weeks=col(t_flat, 3, np.int64),
        time_penalty=col(t_flat, 4, np.int32),
        room_option_ptr=o_ptr, room_option_room=col(o_flat, 0, np.int32), room_option_penalty=col(o_flat, 1, np.int32),
        distribution_type=[d[0] for d in dist], distribution_required=[d[1] for d in dist],
        distribution_penalty=[d[2] for d in dist], distribution_param=np.array([d[3] for d in dist], np.int32).reshape(-1, 2),
        distribution_ptr=d_ptr, distribution_classes=np.array(d_flat, np.int32),
        student_ids=[f"s{i}" for i in range(len(students))], student_ptr=s_ptr, student_courses=np.array(s_flat, np.int32),
    )


def _random_move(draw, p: ClassProblem, c: int):
    nt = int(p.time_ptr[c + 1] - p.time_ptr[c])
    nr = int(p.room_option_ptr[c + 1] - p.room_option_ptr[c])
    t = draw(st.integers(-1, nt - 1)) if draw(st.integers(0, 9)) == 0 else draw(st.integers(0, nt - 1))
    o = -1 if nr == 0 else (draw(st.integers(-1, nr - 1)) if draw(st.integers(0, 9)) == 0 else draw(st.integers(0, nr - 1)))
    return t, o


def solutions(draw, p: ClassProblem) -> ClassSolution:
    time, room = [], []
    for c in range(p.n_classes):
        t, o = _random_move(draw, p, c)
        time.append(t)
        room.append(o)
    students = []
    for s in range(p.n_students):
        mine = set()
        for k in p.student_courses[p.student_ptr[s]:p.student_ptr[s + 1]]:
            f = draw(st.integers(int(p.course_config_ptr[k]), int(p.course_config_ptr[k + 1]) - 1))
            for sp in range(int(p.config_subpart_ptr[f]), int(p.config_subpart_ptr[f + 1])):
                if draw(st.integers(0, 5)):  # usually one class per subpart, sometimes none
                    mine.add(draw(st.integers(int(p.subpart_class_ptr[sp]), int(p.subpart_class_ptr[sp + 1]) - 1)))
        if draw(st.integers(0, 4)) == 0:    # now and then a class of any course
            mine.add(draw(st.integers(0, p.n_classes - 1)))
        students.append(sorted(mine))
    return ClassSolution.create(p, time, room, students=students)


def _full(p, sol, maxblock="competition"):
    r = evaluate(p, sol, maxblock=maxblock)
    return np.array(list(r.units.values()), np.int64), r.total, r.distribution_units


@SETTINGS
@given(st.data())
def test_kernel_equals_oracle(data):
    p = data.draw(problems())
    sol = solutions(data.draw, p)
    for maxblock in ("competition", "rules"):
        report = evaluate(p, sol, maxblock=maxblock)
        ref = oracle(p, sol, maxblock)
        assert report.units == {k: ref[k] for k in report.units}, maxblock
        assert report.distribution_units.tolist() == ref["dist"]
        assert report.total == ref["total"]
        items = report.explain()
        for kind, units in report.units.items():
            assert sum(v.units for v in items if v.kind == kind) == units, kind


@SETTINGS
@given(st.data())
def test_delta_equals_difference_of_fulls(data):
    p = data.draw(problems())
    sol = solutions(data.draw, p)
    maxblock = data.draw(st.sampled_from(["competition", "rules"]))
    inc = IncrementalEvaluator(p, sol, maxblock=maxblock)
    current = sol
    for _ in range(data.draw(st.integers(1, 12))):
        c = data.draw(st.integers(0, p.n_classes - 1))
        t, o = _random_move(data.draw, p, c)
        before, total_before, _ = _full(p, current, maxblock)
        time, room = current.time.copy(), current.room.copy()
        time[c], room[c] = t, o
        moved = ClassSolution(time=time, room=room, student_ptr=sol.student_ptr, student_classes=sol.student_classes)
        after, total_after, dist_after = _full(p, moved, maxblock)
        delta = inc.delta(c, t, o)
        assert delta[:N_UNITS].tolist() == (after - before).tolist()
        assert delta[TOTAL_DELTA] == total_after - total_before
        assert delta[HARD_DELTA] == int((after - before)[:N_HARD].sum())
        assert inc.units.tolist() == before.tolist()  # a delta changes nothing
        if data.draw(st.booleans()):
            assert inc.apply(c, t, o) == total_after - total_before
            current = moved
            assert inc.units.tolist() == after.tolist()
            assert inc.state.dist_units.tolist() == dist_after.tolist()
            _same_counters(p, inc, current, maxblock)


def _same_counters(p, inc, sol, maxblock):
    """Every counter of the incrementally updated state equals one built from scratch."""
    ka = class_arrays(p, maxblock)
    fresh = init_state(ka, sol.time, sol.room, sol.student_ptr, sol.student_classes)
    st_ = inc.state
    for name in ("time", "ropt", "room", "rm_count", "dist_units", "aux", "units"):
        assert np.array_equal(getattr(st_, name), getattr(fresh, name)), name
    for r in range(p.n_rooms):  # same members per room, in any order, and positions that point back
        lo = ka.rm_ptr[r]
        members = st_.rm_class[lo:lo + st_.rm_count[r]]
        assert sorted(members.tolist()) == sorted(fresh.rm_class[lo:lo + fresh.rm_count[r]].tolist())
        for i, c in enumerate(members):
            assert st_.rm_pos[c] == i


@SETTINGS
@given(st.data())
def test_move_and_back_restores_the_state(data):
    p = data.draw(problems())
    sol = solutions(data.draw, p)
    inc = IncrementalEvaluator(p, sol)
    start = {n: getattr(inc.state, n).copy() for n in ("units", "dist_units", "aux", "rm_count")}
    c = data.draw(st.integers(0, p.n_classes - 1))
    t, o = _random_move(data.draw, p, c)
    there = inc.apply(c, t, o)
    back = inc.apply(c, int(sol.time[c]), int(sol.room[c]))
    assert there == -back
    for name, value in start.items():
        assert np.array_equal(getattr(inc.state, name), value), name
