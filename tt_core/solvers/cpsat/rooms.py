"""Room assignment for the aggregated model: the periods are fixed, rooms are chosen afterwards.

The second stage of the two-stage decomposition of Lach & Lübbecke (2012, "Curriculum based course
timetabling: new solutions to Udine benchmark instances"): the first stage keeps every period
matchable (Hall conditions per room family, ``Constraints._room_families``); here each period's
new lectures are matched to the free suitable rooms by a min-cost assignment (OR-tools'
``SimpleLinearSumAssignment``) whose cost is the capacity overflow plus a room-stability charge for
a room the course has not used yet, with the least wasted seats as tie-break; a few passes refine
each course's home room. Periods are taken
in time order so that multi-period lectures keep their room for their whole length. If a day
cannot be matched that way (possible only with multi-period lectures and restricted rooms), a small
CP-SAT model assigns that day's rooms exactly; what still fails stays unplaced and the evaluator
reports it.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict

import numpy as np
from ortools.graph.python import linear_sum_assignment
from ortools.sat.python import cp_model

from ... import constraints as K
from .instance import Instance
from .objective import weight_scale

_WASTE_CAP = 999  # tie-break range: primary costs are multiplied by this + 1


def assign_rooms(inst: Instance, starts: list[tuple[int, int]], weights: np.ndarray,
                 time_limit: float = 5.0, passes: int = 4) -> dict[tuple[int, int], int]:
    """Rooms for the non-pinned lecture starts ``(course, period)``; -1 where none could be found.

    Pinned lectures (``inst.pins``) keep their rooms and block them. The first pass charges a
    room the course has not used yet; later passes also treat the room each course used most in
    the previous pass as its *home* (free of the stability charge), which pulls a course's
    lectures together. The cheapest pass wins.
    """
    scale = weight_scale(weights)
    w_cap = int(round(weights[K.ROOM_CAPACITY] * scale))
    w_stab = int(round(weights[K.ROOM_STABILITY] * scale))
    deadline = time.perf_counter() + time_limit
    best, best_cost = None, None
    home: dict[int, int] = {}
    for _ in range(max(1, passes)):
        got = _assign_pass(inst, starts, w_cap, w_stab, home,
                           max(0.1, deadline - time.perf_counter()))
        cost = _room_cost(inst, got, w_cap, w_stab)
        if best_cost is not None and cost >= best_cost:
            break
        best, best_cost = got, cost
        counts: dict[int, Counter] = defaultdict(Counter)
        for (c, _), r in got.items():
            if r >= 0:
                counts[c][r] += 1
        home = {c: cnt.most_common(1)[0][0] for c, cnt in counts.items()}
        if time.perf_counter() >= deadline:
            break
    return best


def _room_cost(inst: Instance, got: dict[tuple[int, int], int], w_cap: int, w_stab: int) -> int:
    """Weighted capacity overflow and stability of an assignment (unplaced lectures dominate)."""
    pb = inst.problem
    rooms: dict[int, set[int]] = defaultdict(set)
    for s in inst.pins:
        rooms[s.course].add(s.room)
    total = 0
    for (c, _), r in got.items():
        if r < 0:
            total += 10**12
            continue
        total += w_cap * max(0, int(pb.course_students[c]) - int(pb.room_capacity[r]))
        rooms[c].add(r)
    return total + w_stab * sum(len(rs) - 1 for rs in rooms.values())


def _assign_pass(inst: Instance, starts: list[tuple[int, int]], w_cap: int, w_stab: int,
                 home: dict[int, int], time_limit: float) -> dict[tuple[int, int], int]:
    """One pass over the periods in time order (see ``assign_rooms``)."""
    pb = inst.problem
    busy = np.zeros((inst.R, inst.P), np.bool_)
    used = np.zeros((inst.C, inst.R), np.bool_)  # rooms each course already holds lectures in
    for c, r in home.items():
        used[c, r] = True
    for s in inst.pins:
        busy[s.room, s.period:s.period + int(inst.length[s.course])] = True
        used[s.course, s.room] = True
    by_period: dict[int, list[int]] = defaultdict(list)
    for c, p in starts:
        by_period[p].append(c)
    students = pb.course_students.astype(np.int64)
    capacity = pb.room_capacity.astype(np.int64)

    def costs(courses: np.ndarray, rooms: np.ndarray) -> np.ndarray:
        """Cost matrix [courses, rooms]: overflow and a new room charge, then wasted seats."""
        stud = students[courses][:, None]
        cap = capacity[rooms][None, :]
        over = np.maximum(0, stud - cap)
        held = used[np.ix_(courses, rooms)]
        new_room = used[courses].any(axis=1)[:, None] & ~held
        waste = np.clip(cap - stud, 0, _WASTE_CAP)
        return (w_cap * over + w_stab * new_room) * (_WASTE_CAP + 1) + waste

    out: dict[tuple[int, int], int] = {}
    for d in range(pb.days):
        day_busy, day_used = busy.copy(), used.copy()
        got: dict[tuple[int, int], int] = {}
        ok = True
        for q in range(d * inst.ppd, (d + 1) * inst.ppd):
            courses = by_period.get(q, [])
            if not courses:
                continue
            mate = _match(inst, np.array(courses), q, busy, costs)
            if mate is None:
                ok = False
                break
            for c, r in zip(courses, mate):
                busy[r, q:q + int(inst.length[c])] = True
                used[c, r] = True
                got[c, q] = int(r)
        if not ok:
            # undo the partial greedy day and solve the day exactly
            busy[:], used[:] = day_busy, day_used
            day = [(c, q) for q in range(d * inst.ppd, (d + 1) * inst.ppd) for c in by_period.get(q, [])]
            got = _assign_day_exact(inst, day, busy,
                                    lambda c, r: int(costs(np.array([c]), np.array([r]))[0, 0]), time_limit)
            for (c, q), r in got.items():
                if r >= 0:
                    busy[r, q:q + int(inst.length[c])] = True
                    used[c, r] = True
        out.update(got)
    return out


def _match(inst: Instance, courses: np.ndarray, q: int, busy: np.ndarray, costs):
    """Min-cost matching of the lectures starting at ``q`` to free rooms, or None if impossible."""
    free = np.flatnonzero(~busy[:, q])
    n, m = len(courses), len(free)
    if n > m:
        return None
    allowed = inst.problem.suitable[np.ix_(courses, free)].copy()
    lengths = inst.length[courses]
    for L in np.unique(lengths):
        if L > 1:  # the room must stay free for the lecture's whole length
            taken = busy[free, q:q + int(L)].any(axis=1)
            allowed[np.ix_(lengths == L, taken)] = False
    left, right = np.nonzero(allowed)
    cost = costs(courses, free)[left, right]
    # the solver wants a perfect matching: dummy lectures may take any room at no cost
    dl, dr = np.divmod(np.arange((m - n) * m), m)
    solver = linear_sum_assignment.SimpleLinearSumAssignment()
    solver.add_arcs_with_cost(np.concatenate([left, dl + n]).astype(np.int32),
                              np.concatenate([right, dr]).astype(np.int32),
                              np.concatenate([cost, np.zeros(len(dl), np.int64)]).astype(np.int64))
    if solver.solve() != solver.OPTIMAL:
        return None
    return [int(free[solver.right_mate(i)]) for i in range(n)]


def _assign_day_exact(inst: Instance, day: list[tuple[int, int]], busy: np.ndarray, cost,
                      time_limit: float) -> dict[tuple[int, int], int]:
    """Rooms of one day's lectures by a small CP-SAT model (all-or-nothing; -1 when it fails)."""
    m = cp_model.CpModel()
    suit = inst.problem.suitable
    a: dict[tuple[int, int], dict[int, cp_model.IntVar]] = {}
    occupying: dict[tuple[int, int], list] = defaultdict(list)
    terms = []
    for c, q in day:
        L = int(inst.length[c])
        a[c, q] = {}
        for r in range(inst.R):
            if suit[c, r] and not busy[r, q:q + L].any():
                v = m.new_bool_var("")
                a[c, q][r] = v
                terms.append((cost(c, r), v))
                for k in range(q, q + L):
                    occupying[r, k].append(v)
        m.add_exactly_one(a[c, q].values())
    for vs in occupying.values():
        if len(vs) > 1:
            m.add_at_most_one(vs)
    m.minimize(sum(w * v for w, v in terms))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit)
    solver.parameters.num_workers = 1
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return {key: -1 for key in day}
    return {key: next((r for r, v in rooms.items() if solver.value(v)), -1) for key, rooms in a.items()}


def hall_violations(inst: Instance, starts) -> list[frozenset[int]]:
    """Room sets whose Hall condition the start periods ``starts`` break: in some period more
    lectures than rooms need rooms all inside the set, so no room assignment exists.

    Only needed when the aggregated model keeps a subset of the room families
    (``Instance.families_complete`` false: DDS1 under UD4, with 86 distinct suitable sets): its
    periods can then be unmatchable. Per period, a maximum matching of the lectures occupying it
    (pinned ones in their own room) to suitable rooms; from each lecture left unmatched, the rooms
    reachable by alternating paths form a set with fewer rooms than lectures that need it.
    """
    suit = inst.problem.suitable
    at: dict[int, list[frozenset[int]]] = defaultdict(list)  # period -> the room sets of its lectures
    for c, p in starts:
        rooms = frozenset(np.flatnonzero(suit[c]).tolist())
        for q in range(p, p + int(inst.length[c])):
            at[q].append(rooms)
    for s in inst.pins:
        for q in range(s.period, s.period + int(inst.length[s.course])):
            at[q].append(frozenset([s.room]))
    found: set[frozenset[int]] = set()
    for q in sorted(at):
        found.update(_deficient_sets(at[q]))
    return sorted(found, key=lambda U: (len(U), sorted(U)))


def _deficient_sets(needs: list[frozenset[int]]) -> list[frozenset[int]]:
    """For lectures with suitable room sets ``needs``: a maximum matching (augmenting paths), then
    for each unmatched lecture the rooms its alternating tree reaches (a Hall violator)."""
    owner: dict[int, int] = {}  # room -> the lecture matched to it

    def augment(i: int, seen: set[int]) -> bool:
        for r in needs[i]:
            if r not in seen:
                seen.add(r)
                if r not in owner or augment(owner[r], seen):
                    owner[r] = i
                    return True
        return False

    unmatched = [i for i in range(len(needs)) if not augment(i, set())]
    out = []
    for i in unmatched:
        rooms: set[int] = set()
        todo = [i]
        while todo:  # every room reached is matched (else i would have been matched)
            for r in needs[todo.pop()]:
                if r not in rooms:
                    rooms.add(r)
                    todo.append(owner[r])
        out.append(frozenset(rooms))
    return out
