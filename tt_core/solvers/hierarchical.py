"""Hierarchical pipeline: departments first, electives next, then the whole timetable.

The decomposition follows the way universities build timetables (and the multi-stage CB-CTT
methods that exploit it, e.g. Lach & Lübbecke 2012 for the time/room split): the core courses of
each department hardly interact with other departments, so they are solved as independent small
problems; electives are then inserted around them; a final global search removes what the
decomposition cost.

1. ``stage 1: departments`` — the core courses, grouped by department (departments that share a
   teacher or a curriculum among these courses form one group), are planned together with the
   department's own electives; the electives' places are only kept as hints for stage 2, but the
   core is laid out so that they fit. Rooms are shared fairly before anything is solved: every
   (room, period) slot goes to at most one group, in proportion to the group's lecture-periods
   per *room class* (rooms of the same suitability and capacity band, see :func:`room_shares`),
   the open electives' share being left free, so the groups' timetables merge without room
   clashes. Each group is a :class:`SubProblem` whose slots owned by others are occupied by
   pinned *blocker* lectures; it is solved by the greedy construction, CP-SAT feasibility when
   the greedy start breaks a hard constraint, and a short simulated annealing. Groups run in
   parallel on Dask (a given ``client`` or, with ``parallel=True``, the cluster of
   ``TT_DASK_SCHEDULER`` or a private ``LocalCluster``) or one after the other in this process.
2. ``stage 2: electives`` — departmental electives (from their stage-1 places), then open
   electives (greedy construction) are inserted and improved by annealing with every earlier
   lecture pinned (lectures in a hard violation excepted). When the pins leave a hard violation,
   a second pass frees the earlier lectures of the courses in a violation and of every course
   conflicting with them, each move of an earlier lecture costing ``perturbation_weight`` (a
   hint instead of a pin: the minimal-perturbation criterion of UniTime's ``Perturbations``).
3. ``stage 3: global`` — simulated annealing on the whole timetable for the remaining time. Its best
   timetable is ranked by hard violations first, so it never has more than the merged start.

Stage budgets: stage 1 gets at most ``shares[0]`` of the time and each group 0.05 s + 2 ms per
lecture (plus CP-SAT's time where needed); stage 2 at most ``shares[1]`` and 1 s + 5 ms per
inserted lecture; stage 3 the rest.

On instances without departments (ITC2007) stage 1 is the whole instance and only its greedy
construction runs; stage 2 is empty; stage 3 is the annealing of ``strategy="local"`` (with its
own CP-SAT feasibility step when the greedy start is infeasible) for the rest of the time, so the
pipeline does the work of ``"local"``. Measured on comp01–07: CP-SAT feasibility needs 0.3–2.7 s
and returns timetables whose soft cost is 1–6× the greedy start's, so it stays a repair tool.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from ..cost import evaluate, resolve_weights
from ..errors import InfeasibleError, TimetableError
from ..model import Problem, Timetable
from .base import Deadline, ProgressEvent, SolveResult, check_pinned, rng_from

STAGE_1 = "stage 1: departments"
STAGE_2 = "stage 2: electives"
STAGE_3 = "stage 3: global"
STAGES = (STAGE_1, STAGE_2, STAGE_3)

CORE, ELECTIVE, OPEN = 0, 1, 2

HEARTBEAT = 0.45  # seconds between progress events at the latest (the contract is 0.5 s)


# ============================================================================ sub-problems


@dataclass(frozen=True, eq=False)
class SubProblem:
    """A part of a problem as a problem of its own, with the id maps back to the whole.

    The sub-instance lists the chosen (*real*) courses first, then one *blocker* course per room
    that has blocked periods: a blocker has one lecture per blocked period, pinned in its room, its
    own teacher, no curriculum and no students, so it costs nothing but makes the room busy.

    Attributes
    ----------
    problem : Problem
        The sub-instance.
    course_ids, room_ids : ndarray of int
        Whole-problem id of each real course and of each room of the sub-instance.
    lecture_ids : ndarray of int
        Whole-problem id of each real lecture (sub lecture ``i`` is ``lecture_ids[i]``).
    blocker_period, blocker_room : ndarray of int32
        Placement of the blocker lectures, which follow the real ones.
    """

    problem: Problem
    course_ids: np.ndarray
    room_ids: np.ndarray
    lecture_ids: np.ndarray
    blocker_period: np.ndarray
    blocker_room: np.ndarray

    @property
    def n_real_lectures(self) -> int:
        return len(self.lecture_ids)

    @property
    def blocker_mask(self) -> np.ndarray:
        """bool over sub lectures: True for blocker lectures."""
        mask = np.zeros(self.problem.n_lectures, bool)
        mask[self.n_real_lectures:] = True
        return mask

    def restrict(self, timetable: Timetable | None = None) -> Timetable:
        """The sub timetable: blockers in place, real lectures from ``timetable`` (whole-problem ids).

        A lecture whose room is not in the sub-instance is left unplaced.
        """
        sub = Timetable.empty(self.problem)
        n = self.n_real_lectures
        sub.period[n:] = self.blocker_period
        sub.room[n:] = self.blocker_room
        if timetable is not None:
            back = np.full(max(int(self.room_ids.max(initial=-1)) + 1, 1), -1, np.int32)
            back[self.room_ids] = np.arange(len(self.room_ids), dtype=np.int32)
            p = timetable.period[self.lecture_ids]
            r = timetable.room[self.lecture_ids]
            ok = (p >= 0) & (r >= 0) & (r < len(back))
            ok[ok] &= back[r[ok]] >= 0
            sub.period[:n] = np.where(ok, p, -1)
            sub.room[:n] = np.where(ok, back[np.where(ok, r, 0)], -1)
        return sub

    def lift(self, sub: Timetable, into: Timetable) -> None:
        """Write the real lectures of a sub timetable into a whole-problem timetable (in place)."""
        n = self.n_real_lectures
        p = sub.period[:n]
        r = sub.room[:n]
        placed = (p >= 0) & (r >= 0)
        into.period[self.lecture_ids] = np.where(placed, p, -1)
        into.room[self.lecture_ids] = np.where(placed, self.room_ids[np.where(placed, r, 0)], -1)


def subproblem(problem: Problem, course_ids, room_ids=None, *, blocked: np.ndarray | None = None,
               unavailable: np.ndarray | None = None, name: str | None = None) -> SubProblem:
    """The sub-instance of some courses and rooms (see :class:`SubProblem`).

    Parameters
    ----------
    problem : Problem
        The whole instance.
    course_ids : array of int
        Courses to keep, in the order the sub-instance numbers them.
    room_ids : array of int, optional
        Rooms to keep (default: all).
    blocked : bool array [len(room_ids), P], optional
        Slots of the kept rooms that the sub-instance may not use; each room with blocked slots
        gets a blocker course pinned there.
    unavailable : bool array [len(course_ids), P], optional
        Extra unavailable periods of the kept courses (e.g. periods taken by a conflicting
        course outside the sub-instance).
    name : str, optional
        Name of the sub-instance (default ``"<problem>/part"``).

    Curricula keep their members among the kept courses (empty ones are dropped), teachers are
    those of the kept courses, and every per-course, per-room and time-grid array is sliced.
    """
    pb = problem
    cids = np.asarray(course_ids, np.int64).ravel()
    rids = np.arange(pb.n_rooms, dtype=np.int64) if room_ids is None else np.asarray(room_ids, np.int64).ravel()
    if len(np.unique(cids)) != len(cids) or len(np.unique(rids)) != len(rids):
        raise ValueError("course_ids and room_ids must not repeat an id")
    if len(rids) == 0 and len(cids):
        raise ValueError("a sub-problem with courses needs at least one room")
    P = pb.n_periods
    if blocked is None:
        blocked = np.zeros((len(rids), P), bool)
    blocked = np.asarray(blocked, bool)
    if blocked.shape != (len(rids), P):
        raise ValueError(f"blocked must have shape {(len(rids), P)}, got {blocked.shape}")
    # real courses
    t_real, t_pos = np.unique(pb.course_teacher[cids], return_inverse=True)
    rows = np.flatnonzero(blocked.any(axis=1))
    nb = len(rows)
    n_t = len(t_real)
    course_names = tuple(pb.course_names[c] for c in cids) + tuple(
        f"(blocked {pb.room_names[rids[i]]})" for i in rows)
    teacher_names = tuple(pb.teacher_names[t] for t in t_real) + tuple(
        f"(blocker {pb.room_names[rids[i]]})" for i in rows)
    cu = pb.course_unavailable[cids]
    if unavailable is not None:
        cu = cu | np.asarray(unavailable, bool)
    suit = np.zeros((len(cids) + nb, len(rids)), bool)
    suit[:len(cids)] = pb.suitable[np.ix_(cids, rids)]
    suit[len(cids) + np.arange(nb), rows] = True
    # curricula: members among the kept courses
    pos = np.full(pb.n_courses, -1, np.int64)
    pos[cids] = np.arange(len(cids))
    q_keep, members, ptr = [], [], [0]
    for q in range(pb.n_curricula):
        m = pos[pb.curriculum_courses[pb.curriculum_ptr[q]:pb.curriculum_ptr[q + 1]]]
        m = m[m >= 0]
        if len(m):
            q_keep.append(q)
            members.extend(m.tolist())
            ptr.append(len(members))
    q_keep = np.asarray(q_keep, np.int64)

    def cat(real, extra):
        return np.concatenate([np.asarray(real), np.asarray(extra, dtype=np.asarray(real).dtype)])

    zb = np.zeros(nb, np.int32)
    sub = pb.replace(
        name=name or f"{pb.name}/part",
        course_names=course_names,
        teacher_names=teacher_names,
        room_names=tuple(pb.room_names[r] for r in rids),
        curriculum_names=tuple(pb.curriculum_names[q] for q in q_keep),
        course_teacher=cat(t_pos.astype(np.int32), n_t + np.arange(nb, dtype=np.int32)),
        course_lectures=cat(pb.course_lectures[cids], blocked[rows].sum(axis=1).astype(np.int32)),
        course_min_days=cat(pb.course_min_days[cids], zb),
        course_students=cat(pb.course_students[cids], zb),
        course_length=cat(pb.course_length[cids], zb + 1),
        course_department=cat(pb.course_department[cids], zb - 1),
        course_category=cat(pb.course_category[cids], zb.astype(np.int8)),
        course_unavailable=np.concatenate([cu, np.zeros((nb, P), bool)]),
        room_capacity=pb.room_capacity[rids],
        room_building=pb.room_building[rids],
        room_type=pb.room_type[rids],
        suitable=suit,
        curriculum_ptr=np.asarray(ptr, np.int32),
        curriculum_courses=np.asarray(members, np.int32),
        curriculum_max_per_day=pb.curriculum_max_per_day[q_keep],
        teacher_unavailable=np.concatenate([pb.teacher_unavailable[t_real], np.zeros((nb, P), bool)]),
        teacher_undesired=np.concatenate([pb.teacher_undesired[t_real], np.zeros((nb, P), bool)]),
        teacher_max_per_day=cat(pb.teacher_max_per_day[t_real], zb),
        **pb.student_fields(cids, course_names[len(cids):]),  # enrolments among the kept courses
    )
    ptr_l = pb.course_lecture_ptr
    lecture_ids = (np.concatenate([np.arange(ptr_l[c], ptr_l[c + 1]) for c in cids]).astype(np.int64)
                   if len(cids) else np.zeros(0, np.int64))
    b_period = np.concatenate([np.flatnonzero(blocked[i]) for i in rows]).astype(np.int32) if nb else \
        np.zeros(0, np.int32)
    b_room = np.repeat(rows, blocked[rows].sum(axis=1)).astype(np.int32) if nb else np.zeros(0, np.int32)
    return SubProblem(sub, cids, rids, lecture_ids, b_period, b_room)


def violating_lectures(problem: Problem, timetable: Timetable) -> np.ndarray:
    """bool over lectures: unplaced, or taking part in a hard violation (clash with a conflicting
    course or with another lecture of the course, shared room, unavailable period or past the day's
    end, unsuitable room). Vectorised; used to choose which pinned lectures to free."""
    pb, tt = problem, timetable
    P, ppd = pb.n_periods, pb.periods_per_day
    placed = (tt.period >= 0) & (tt.room >= 0)
    bad = ~placed
    lec = np.flatnonzero(placed)
    c = pb.lecture_course[lec]
    p = tt.period[lec]
    r = tt.room[lec]
    length = pb.course_length[c]
    occ = np.zeros((pb.n_courses, P), np.float32)
    room_occ = np.zeros((pb.n_rooms, P), np.int32)
    cover = []  # (lecture position, period) pairs covered inside the day
    for k in range(int(length.max(initial=1))):
        q = p + k
        inside = (k < length) & (q // ppd == p // ppd)
        spill = (k < length) & ~inside
        bad[lec[spill]] = True
        idx = np.flatnonzero(inside)
        np.add.at(occ, (c[idx], q[idx]), 1.0)
        np.add.at(room_occ, (r[idx], q[idx]), 1)
        cover.append((idx, q[idx]))
    clash = pb.conflict.astype(np.float32) @ occ  # conflicting courses teaching in each period
    for idx, q in cover:
        ci, ri = c[idx], r[idx]
        hit = (clash[ci, q] > 0) | (occ[ci, q] > 1) | (room_occ[ri, q] > 1) | pb.unavailable[ci, q]
        bad[lec[idx[hit]]] = True
    bad[lec[~pb.suitable[c, r]]] = True
    return bad


# ============================================================================ groups and rooms


def department_groups(problem: Problem, course_ids) -> list[np.ndarray]:
    """Split courses by department; departments sharing a teacher or curriculum among them merge.

    Courses without a department (``-1``, every ITC2007 course) count as one more department.
    Groups are returned largest (in lecture-periods) first, each as sorted course ids.
    """
    cids = np.unique(np.asarray(course_ids, np.int64))
    if len(cids) == 0:
        return []
    pb = problem
    dept = pb.course_department[cids].astype(np.int64)
    keys, dept_idx = np.unique(dept, return_inverse=True)
    parent = list(range(len(keys)))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union_all(idx):
        roots = {find(int(i)) for i in idx}
        if len(roots) > 1:
            first, *rest = roots
            for r in rest:
                parent[r] = first

    member = np.full(pb.n_courses, -1, np.int64)
    member[cids] = dept_idx
    for t in np.unique(pb.course_teacher[cids]):
        union_all(np.unique(dept_idx[pb.course_teacher[cids] == t]))
    for q in range(pb.n_curricula):
        m = member[pb.curriculum_courses[pb.curriculum_ptr[q]:pb.curriculum_ptr[q + 1]]]
        m = np.unique(m[m >= 0])
        if len(m) > 1:
            union_all(m)
    root = np.array([find(int(i)) for i in dept_idx])
    work = (pb.course_lectures * pb.course_length)[cids]
    groups = [cids[root == r] for r in np.unique(root)]
    groups.sort(key=lambda g: (-int(work[np.searchsorted(cids, g)].sum()), int(g[0])))
    return groups


def room_classes(problem: Problem, band: float = 1.5) -> list[np.ndarray]:
    """Rooms grouped by suitability (identical columns of ``suitable``), then by capacity band.

    Within one suitability a band starts at its smallest room and holds the rooms up to ``band``
    times that capacity. Each class is returned as room ids sorted by capacity, largest first.
    """
    pb = problem
    cols = np.ascontiguousarray(pb.suitable.T)
    _, sig = np.unique(cols.view(np.dtype((np.void, cols.shape[1]))).ravel() if cols.shape[1] else
                       np.zeros(pb.n_rooms, np.int64), return_inverse=True)
    classes: list[np.ndarray] = []
    for s in np.unique(sig):
        rooms = np.flatnonzero(sig == s)
        rooms = rooms[np.argsort(pb.room_capacity[rooms], kind="stable")]
        start = 0
        while start < len(rooms):
            lo = max(1, int(pb.room_capacity[rooms[start]]))
            end = start + 1
            while end < len(rooms) and pb.room_capacity[rooms[end]] <= band * lo:
                end += 1
            classes.append(rooms[start:end][::-1].copy())
            start = end
    return classes


def room_shares(problem: Problem, groups: list[np.ndarray], *, later=None, reserved: np.ndarray | None = None,
                owned: list[np.ndarray] | None = None, target: float = 0.9) -> list[np.ndarray]:
    """Give every group its own (room, period) slots, fairly and without overlap.

    Each course is assigned a room class (:func:`room_classes`): the smallest class that seats its
    students and still has room (at most ``target`` of its slots taken), largest courses first.
    The slots of a class then go to the groups in proportion to the lecture-periods they need
    there, slack included; the courses scheduled ``later`` count as one more group whose share is
    left free, in whole runs, so that they find room (and labs find consecutive periods) later.
    Slots are dealt out as consecutive runs of an ordering that spreads a run over the days (all
    days at the first period, then the next period …) for classes of one-period lectures, and
    keeps runs consecutive within a day for multi-period ones (labs).

    Parameters
    ----------
    problem : Problem
    groups : list of int arrays
        Course ids of each group.
    later : int array, optional
        Courses placed after these groups (electives): their share of every class stays free.
    reserved : bool array [R, P], optional
        Slots no group may use (e.g. pinned lectures outside the groups).
    owned : list of bool arrays [R, P], optional
        Slots that belong to a group whatever the shares say (its own pinned lectures).
    target : float
        Share of a class's slots that course assignment fills before it tries a larger class.

    Returns
    -------
    list of bool arrays [R, P]
        The slots of each group; no slot belongs to two groups.
    """
    pb = problem
    R, P, ppd = pb.n_rooms, pb.n_periods, pb.periods_per_day
    classes = room_classes(pb)
    taken = np.zeros((R, P), bool) if reserved is None else np.asarray(reserved, bool).copy()
    if owned is not None:
        for o in owned:
            taken |= o
    cls_cap = np.array([pb.room_capacity[c].max() for c in classes])
    cls_slots = np.array([(~taken[c]).sum() for c in classes], np.float64)
    cls_load = np.zeros(len(classes))
    cls_len = np.ones(len(classes), np.int64)
    n_g = len(groups)
    demand = np.zeros((n_g + 1, len(classes)))  # the last row: the courses scheduled later
    course_group = np.full(pb.n_courses, -1, np.int64)
    if later is not None:
        course_group[np.asarray(later, np.int64)] = n_g
    for g, cs in enumerate(groups):
        course_group[cs] = g
    todo = np.flatnonzero(course_group >= 0)
    todo = todo[np.argsort(-pb.course_students[todo], kind="stable")]
    cls_rep = np.array([c[0] for c in classes])
    for c in todo:
        usable = np.flatnonzero(pb.suitable[c, cls_rep])
        if len(usable) == 0:
            continue
        need = int(pb.course_lectures[c] * pb.course_length[c])
        fit = usable[cls_cap[usable] >= pb.course_students[c]]
        fit = fit[np.argsort(cls_cap[fit], kind="stable")]
        small = usable[cls_cap[usable] < pb.course_students[c]]
        small = small[np.argsort(-cls_cap[small], kind="stable")]
        order = np.concatenate([fit, small])
        room_left = [k for k in order if cls_load[k] + need <= target * cls_slots[k]]
        k = room_left[0] if room_left else order[0]
        cls_load[k] += need
        cls_len[k] = max(cls_len[k], int(pb.course_length[c]))
        demand[course_group[c], k] += need
    shares = [np.zeros((R, P), bool) if owned is None else np.asarray(owned[g], bool).copy()
              for g in range(n_g)] + [np.zeros((R, P), bool)]
    for k, rooms in enumerate(classes):
        total = demand[:, k].sum()
        if total <= 0:
            continue
        if cls_len[k] > 1:
            periods = np.arange(P)                                   # consecutive within a day
        else:
            periods = np.arange(P).reshape(pb.days, ppd).T.ravel()   # same period of every day first
        slots = [(int(r), int(p)) for r in rooms for p in periods if not taken[r, p]]
        S = len(slots)
        want = demand[:, k]
        exact = want + (S - total) * want / total if S >= total else S * want / total
        n = np.floor(exact).astype(np.int64)
        # largest remainders get the slots rounding left over (Hamilton's method)
        left = S - int(n.sum())
        if left > 0:
            n[np.argsort(-(exact - n), kind="stable")[:left]] += 1
        pos = 0
        # the order alternates from class to class, so no group always gets the early periods
        takers = np.flatnonzero(want > 0)
        for g in (takers if k % 2 == 0 else takers[::-1]):
            for r, p in slots[pos:pos + n[g]]:
                shares[g][r, p] = True
            pos += n[g]
    return shares[:n_g]


# ============================================================================ one group (a Dask task)


class _Until:
    """A stop flag set by a wall-clock time (``time.perf_counter``) or by an outer flag."""

    def __init__(self, end: float, outer=None):
        self.end = end
        self.outer = outer
        self.flag = False

    def is_set(self) -> bool:
        return self.flag or time.perf_counter() >= self.end or (self.outer is not None and self.outer.is_set())


@dataclass
class GroupTask:
    """Everything one stage-1 group needs; plain data, so it pickles to a Dask worker."""

    index: int
    sub: SubProblem
    weights: np.ndarray
    time_limit: float
    seed: int
    anneal: bool = True
    cpsat: bool = True
    hard_weight: float = 20.0
    pinned: np.ndarray | None = None      # sub lectures kept as given (blockers are added)
    start: Timetable | None = None        # sub timetable of the pinned lectures
    name: str = ""


@dataclass
class GroupResult:
    """The outcome of one group: its sub timetable and where the time went."""

    index: int
    period: np.ndarray
    room: np.ndarray
    hard_violations: int
    soft_cost: float
    seconds: float
    construct_hard: int
    construct_seconds: float
    cpsat_status: str = "not run"
    cpsat_seconds: float = 0.0
    anneal_seconds: float = 0.0
    lectures: int = 0
    rooms: int = 0
    blockers: int = 0
    name: str = ""


def solve_group(task: GroupTask, stop=None, progress=None) -> GroupResult:
    """Solve one stage-1 group: greedy start, CP-SAT feasibility if needed, short annealing.

    A pure top-level function (Dask maps it over the groups). Never raises on an infeasible
    group: the best timetable found is returned with its hard violations, and stage 3 repairs it.
    """
    from .local_search import construct

    t0 = time.perf_counter()
    until = _Until(t0 + task.time_limit, stop)
    sub = task.sub
    pb = sub.problem
    pinned = sub.blocker_mask
    start = sub.restrict(None) if task.start is None else task.start.copy()
    if task.pinned is not None:
        pinned |= task.pinned
    any_pin = bool(pinned.any())
    rng = rng_from(task.seed)
    tt = construct(pb, weights=task.weights, seed=rng, pinned=pinned if any_pin else None,
                   initial=start if any_pin else None)
    rep = evaluate(pb, tt, task.weights)
    out = GroupResult(task.index, tt.period, tt.room, rep.hard_violations, rep.soft_cost, 0.0,
                      rep.hard_violations, time.perf_counter() - t0, lectures=sub.n_real_lectures,
                      rooms=len(sub.room_ids), blockers=pb.n_lectures - sub.n_real_lectures, name=task.name)
    if rep.hard_violations and task.cpsat and not until.is_set():
        from .cpsat import solve_cpsat  # OR-tools loads only when a group needs it

        tc = time.perf_counter()
        # at least 0.3 s: a department's model builds in ~0.1 s and a feasible one is solved in
        # 0.1-0.2 s (measured on large); the group's own deadline moves by what it needs
        budget = max(0.3, 0.5 * (until.end - tc))
        until.end = max(until.end, tc + budget + 0.05)
        try:
            res = solve_cpsat(pb, weights=task.weights, time_limit=budget, seed=int(rng.integers(2**31)),
                              initial=tt, pinned=pinned if any_pin else None, workers=1,
                              objective="feasibility", stop=_Until(tc + budget, until))
            out.cpsat_status = str(res.stats.get("status", "no solution"))
            if res.hard_violations < rep.hard_violations:
                tt, rep = res.timetable, res.report
        except InfeasibleError:
            out.cpsat_status = "INFEASIBLE"
        out.cpsat_seconds = time.perf_counter() - tc
    if task.anneal and not until.is_set():
        ta = time.perf_counter()
        res = _anneal(pb, weights=task.weights, time_limit=max(0.01, until.end - ta), seed=rng, initial=tt,
                      pinned=pinned, stop=until, progress=progress, hard_weight=task.hard_weight, use_cpsat=False)
        tt, rep = res.timetable, res.report
        out.anneal_seconds = time.perf_counter() - ta
    out.period, out.room = tt.period, tt.room
    out.hard_violations, out.soft_cost = rep.hard_violations, rep.soft_cost
    out.seconds = time.perf_counter() - t0
    return out


def _anneal(problem: Problem, *, weights, time_limit: float, seed, initial: Timetable | None, pinned,
            stop=None, progress=None, use_cpsat: bool = True, **options) -> SolveResult:
    """``solve_local``'s phases, keeping the time limit also when the start is infeasible.

    ``solve_local`` (commits a495cfe, 86e5ff6) runs: greedy start → hard-only repair (≤ 10% of
    the budget) → CP-SAT feasibility if still infeasible → annealing. After a repair phase it sizes
    its first annealing chunk from the repair's iterations over ~0 s of annealing time, so that
    chunk is 2 million moves (5–15 s) whatever the time limit or the stop flag (comp05 at
    ``time_limit=2`` took 18 s). A feasible start skips the repair, so the same phases run here
    one by one: the repair as an iterations-mode call (chunks of 20k moves) that a stop flag ends
    once feasible or at 10% of the budget, CP-SAT as in ``solve_local``, then the annealing from
    the repaired start (in iterations mode, sized by the measured speed, if it is still
    infeasible). Remove once ``solve_local`` measures its speed from annealing moves only.
    """
    from .local_search import construct, solve_local

    t_start = time.perf_counter()
    end = t_start + time_limit
    keep = None if pinned is None or not np.asarray(pinned).any() else np.asarray(pinned, bool)
    start = initial
    if start is None or start.n_unplaced:
        start = construct(problem, weights=weights, seed=seed, pinned=keep, initial=initial)
    hard = evaluate(problem, start, weights).hard_violations
    if hard == 0:
        return solve_local(problem, weights=weights, time_limit=max(0.01, end - time.perf_counter()), seed=seed,
                           initial=start, pinned=keep, stop=stop, progress=progress, use_cpsat=False, **options)
    flag = _Until(t_start + 0.1 * time_limit, stop)

    def watch(ev: ProgressEvent) -> None:
        if progress is not None:
            progress(ev)
        if ev.hard_violations == 0:
            flag.flag = True

    res = solve_local(problem, weights=weights, time_limit=max(0.01, end - time.perf_counter()), seed=seed,
                      initial=start, pinned=keep, stop=flag, progress=watch, iterations=2**62, use_cpsat=False,
                      **options)
    start, hard = res.timetable, res.hard_violations
    if hard and use_cpsat and not _Until(end, stop).is_set():
        from .cpsat import solve_cpsat

        budget = min(0.25 * (end - time.perf_counter()), 60.0)
        if budget >= 0.5:
            try:
                cp = solve_cpsat(problem, weights=weights, time_limit=budget, seed=int(rng_from(seed).integers(2**31)),
                                 initial=start, pinned=keep, stop=stop, workers=1, objective="feasibility")
                if cp.hard_violations < hard:
                    start, hard = cp.timetable, cp.hard_violations
            except InfeasibleError:
                pass  # the annealing below still returns the timetable with the fewest violations
    now = time.perf_counter()
    if now >= end or (stop is not None and stop.is_set()):
        if start is not res.timetable:  # CP-SAT improved on the repair
            res = SolveResult(timetable=start, report=evaluate(problem, start, weights), strategy="local",
                              seed=res.seed, elapsed=now - t_start, trace=res.trace, stats=res.stats,
                              stopped=stop is not None and stop.is_set())
        return res
    if hard:
        # still infeasible: a time-mode call would repair again and hit the long chunk, so anneal
        # in iterations mode with as many moves as the measured speed fits in the time left
        rate = res.stats.get("iterations_per_s", 0.0)
        return solve_local(problem, weights=weights, time_limit=max(0.01, end - now), seed=seed, initial=start,
                           pinned=keep, stop=_Until(end, stop), progress=progress, use_cpsat=False,
                           iterations=max(1000, int(rate * (end - now))), **options)
    return solve_local(problem, weights=weights, time_limit=max(0.01, end - now), seed=seed, initial=start,
                       pinned=keep, stop=stop, progress=progress, use_cpsat=False, **options)


# ============================================================================ progress


class _Reporter:
    """Sends progress events of the whole pipeline (overall clock) with a heartbeat thread.

    Inner solvers report on their own clock and on sub-instances; ``forward`` re-labels their
    events with the stage name and the pipeline's elapsed time and budget.
    """

    def __init__(self, deadline: Deadline, progress):
        self.deadline = deadline
        self.progress = progress
        self.trace: list[tuple[float, float, int]] = []  # (elapsed, soft cost, hard) of whole timetables
        self.stage = STAGE_1
        self.cost = math.inf
        self.hard = 0
        self.message = ""
        self._last = -math.inf
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread = None
        if progress is not None:
            self._thread = threading.Thread(target=self._beat, name="hierarchical-heartbeat", daemon=True)

    def start(self, hard: int) -> None:
        self.hard = hard
        if self._thread is not None:
            self._thread.start()

    def close(self) -> None:
        self._done.set()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join()

    def emit(self, stage: str, cost: float | None = None, hard: int | None = None, message: str = "",
             timetable: Timetable | None = None) -> None:
        """Send an event; ``timetable`` (a complete one, whole-problem ids) rides along once, for
        the job runner's checkpoints."""
        with self._lock:
            self.stage = stage
            if cost is not None:
                self.cost = float(cost)
            if hard is not None:
                self.hard = int(hard)
            self.message = message
            self._send(timetable)

    def _send(self, timetable: Timetable | None = None) -> None:
        self._last = time.perf_counter()
        if self.progress is not None:
            self.progress(self.deadline.event(self.stage, self.cost, self.hard, self.message, timetable))
        self.message = ""  # a heartbeat does not repeat the last message

    def forward(self, stage: str, *, whole: bool, prefix: str = ""):
        """A callback for an inner solver; ``whole``: its costs are those of the whole timetable."""
        def inner(ev: ProgressEvent) -> None:
            msg = (prefix + (ev.message or "")).strip()
            if whole:
                self.emit(stage, ev.best_cost, ev.hard_violations, msg, getattr(ev, "timetable", None))
                self.trace.append((self.deadline.elapsed(), float(ev.best_cost), int(ev.hard_violations)))
            else:
                self.emit(stage, None, None, msg)
        return inner

    def _beat(self) -> None:
        while not self._done.wait(0.05):
            with self._lock:
                if time.perf_counter() - self._last >= HEARTBEAT and not self._done.is_set():
                    self._send()


# ============================================================================ the pipeline


@dataclass
class _Pipeline:
    problem: Problem
    weights: np.ndarray
    deadline: Deadline
    reporter: _Reporter
    rng: np.random.Generator
    hard_weight: float
    timetable: Timetable
    fixed: np.ndarray            # lectures kept where they are in stages 1-2 (pinned or given)
    pinned: np.ndarray           # lectures kept in every stage (the user's pins)
    stages: list = field(default_factory=list)
    # placed lectures that take part in no hard violation as far as known (pinned in stage 2)
    clean: np.ndarray | None = None
    hints: Timetable | None = None  # stage 1's places of the departmental electives
    closers: list = field(default_factory=list)  # threads closing a private Dask cluster

    def record(self, stage: str, t_start: float, detail: dict) -> dict:
        """Evaluate the timetable so far: whole-problem trace point and the stage's statistics."""
        pb = self.problem
        rep = evaluate(pb, self.timetable, self.weights)
        placed = np.flatnonzero((self.timetable.period >= 0) & (self.timetable.room >= 0))
        courses = np.unique(pb.lecture_course[placed])
        if len(courses) == pb.n_courses:
            soft, hard = rep.soft_cost, rep.hard_violations
        else:
            # the cost of what is scheduled so far: the sub-instance of the placed courses
            part = subproblem(pb, courses, name=f"{pb.name}/scheduled")
            prep = evaluate(part.problem, part.restrict(self.timetable), self.weights)
            soft, hard = prep.soft_cost, prep.hard_violations
        now = self.deadline.elapsed()
        self.reporter.trace.append((now, float(rep.soft_cost), rep.hard_violations))
        row = {"stage": stage, "seconds": now - t_start, "end": now, "courses": int(len(courses)),
               "lectures": int(len(placed)), "soft_cost": soft, "hard_violations": int(hard),
               "whole_soft_cost": rep.soft_cost, "whole_hard_violations": rep.hard_violations}
        row.update(detail)
        self.stages.append(row)
        complete = self.timetable.n_unplaced == 0
        self.reporter.emit(stage, rep.soft_cost, rep.hard_violations,
                           f"done: {len(courses)} courses, {hard} hard violations, cost {soft:g}",
                           self.timetable.copy() if complete else None)
        return row


def solve_hierarchical(problem: Problem, *, weights=None, time_limit: float = 60.0, seed: int = 0,
                       initial: Timetable | None = None, pinned=None, progress=None, stop=None,
                       client=None, parallel: bool = False, shares: tuple[float, float] = (0.3, 0.15),
                       cpsat: bool = True, hard_weight: float = 20.0, perturbation_weight: float = 5.0,
                       t0: float | None = None) -> SolveResult:
    """Solve by departments, electives, then globally (see the module docstring).

    Parameters
    ----------
    problem, weights, time_limit, seed, progress
        As for every strategy (``tt_core.solvers.solve``). Progress stages are ``STAGES``.
    stop : object with ``is_set()``, optional
        Ends the pipeline within ~1 s (a greedy construction under way finishes first: ~2 s on
        the ``large`` preset); lectures of groups or stages not reached stay unplaced (-1).
    initial : Timetable, optional
        Placed lectures stay where they are during stages 1 and 2 and are the start of stage 3;
        a complete ``initial`` skips straight to stage 3.
    pinned : bool array over lectures, optional
        Lectures that keep their ``initial`` period and room in every stage.
    client : dask.distributed.Client, optional
        Run the stage-1 groups on this client's workers.
    parallel : bool
        Without a ``client``: run stage 1 on the cluster of ``TT_DASK_SCHEDULER`` when it is set,
        else on a private ``LocalCluster`` (``hardware.recommended_workers()`` single-threaded
        workers) closed in the background while stages 2-3 run (a close still under way at the
        time limit completes after the return); see :func:`tt_core.cluster.client_for`. Otherwise
        stage 1 runs in this process, group after group. Groups not back from the workers by
        the stage-1 budget plus 10% of the time limit get their greedy start in this process.
    shares : (float, float)
        Upper bounds of the budget shares of stages 1 and 2 (see the module docstring); stage 3
        gets the rest.
    cpsat : bool
        Stage 1: run CP-SAT for feasibility on a group whose greedy start breaks a hard constraint.
    hard_weight : float
        Weight of a hard violation relative to the soft weights inside the annealing.
    perturbation_weight : float
        Cost per moved earlier lecture when stage 2 has to unpin them to stay feasible. The
        default 5 (a missing working day) lets a move that removes a hard violation through
        but keeps earlier lectures from drifting for small soft gains.
    t0 : float, optional
        Start temperature of the stage-3 annealing; default ``DECOMPOSED_T0`` after a split into
        departments, ``solve_local``'s automatic choice otherwise (whole instance, complete
        ``initial``).

    Returns
    -------
    SolveResult
        ``stats["stages"]`` lists, per stage, its seconds, the courses and lectures scheduled so
        far, their soft cost and hard violations (on the sub-instance of the scheduled courses)
        and the stage's own details; ``stats["time_to_feasible"]`` is the first elapsed time at
        which the whole timetable had no hard violation (None if never).
    """
    w = resolve_weights(weights)
    deadline = Deadline(float(time_limit), stop)
    pb = problem
    L = pb.n_lectures
    pinned = check_pinned(pb, pinned, initial)
    if initial is not None:
        placed0 = (initial.period >= 0) & (initial.room >= 0)
        if (pinned & ~placed0).any():
            raise TimetableError("a pinned lecture is not placed in the initial timetable")
        tt = Timetable(np.where(placed0, initial.period, -1), np.where(placed0, initial.room, -1))
        fixed = placed0.copy()
    else:
        tt = Timetable.empty(pb)
        fixed = np.zeros(L, bool)
    reporter = _Reporter(deadline, progress)
    pipe = _Pipeline(pb, w, deadline, reporter, rng_from(seed), hard_weight, tt, fixed, pinned)
    reporter.start(int((~fixed).sum()))
    extra: dict = {}
    try:
        _stage1(pipe, client=client, parallel=parallel, share=shares[0], cpsat=cpsat, extra=extra)
        _stage2(pipe, share=shares[1], perturbation_weight=perturbation_weight)
        decomposed = any(st.get("mode") not in ("whole instance", "nothing to place")
                         for st in pipe.stages if st["stage"] == STAGE_1)
        _stage3(pipe, t0=t0 if t0 is not None else (DECOMPOSED_T0 if decomposed else None))
    finally:
        for closer in pipe.closers:
            # a private cluster closes within the time left; past it (or after a stop) it finishes
            # closing on its own (seconds) and the caller gets the result in time
            closer.join(timeout=0 if deadline.stopped() else deadline.remaining())
        reporter.close()
    final = pipe.timetable
    rep = evaluate(pb, final, w)
    feasible_at = next((t for t, _, h in reporter.trace if h == 0), None)
    stats = {"stages": pipe.stages, "time_to_feasible": feasible_at, **extra}
    return SolveResult(timetable=final, report=rep, strategy="hierarchical",
                       seed=int(seed) if not isinstance(seed, np.random.Generator) else -1,
                       elapsed=deadline.elapsed(), trace=reporter.trace, stats=stats, stopped=deadline.stopped())


# ---------------------------------------------------------------------------- stage 1


def _stage1(pipe: _Pipeline, *, client, parallel: bool, share: float, cpsat: bool, extra: dict) -> None:
    pb, tt = pipe.problem, pipe.timetable
    t_start = pipe.deadline.elapsed()
    cat = pb.course_category[pb.lecture_course]
    # a department plans its electives with its core courses: the electives' places are kept
    # only as hints for stage 2, but the core is then laid out so that they fit (inserting them
    # around a core planned without them left hard violations on demo: a 3-period lab elective
    # of 84 students with 22 conflicting courses found no window)
    todo_lecture = ~pipe.fixed & ((cat == CORE) | (cat == ELECTIVE))
    courses = np.unique(pb.lecture_course[todo_lecture])
    groups = department_groups(pb, courses)
    pipe.reporter.emit(STAGE_1, None, None, f"{len(groups)} groups of core courses")
    if not groups:
        pipe.record(STAGE_1, t_start, {"groups": 0, "mode": "nothing to place"})
        return
    rest = ~pipe.fixed & ~todo_lecture
    if len(groups) == 1 and not rest.any():
        _stage1_whole(pipe, t_start=t_start)
        return
    budget_end = t_start + share * pipe.deadline.time_limit
    # the open electives first get a frame: periods and rooms placed greedily among themselves
    # (they span departments, so no group could plan them); the groups then keep those periods
    # free for the curricula concerned and those rooms free altogether, and stage 2 starts the
    # open electives there (on large, inserting them around a finished core left 13 hard
    # violations after stage 2)
    frame = _open_frame(pipe, rest)
    outside = pipe.fixed | (frame.period >= 0)
    outside_tt = Timetable(np.where(pipe.fixed, tt.period, frame.period), np.where(pipe.fixed, tt.room, frame.room))
    fixed_slots, group_slots = _fixed_slots(pb, outside_tt, outside, groups)
    later = np.unique(pb.lecture_course[rest & (frame.period < 0)])
    slots = room_shares(pb, groups, later=later, reserved=fixed_slots, owned=group_slots)
    seeds = pipe.rng.integers(2**31, size=len(groups))
    tasks = []
    for g, cs in enumerate(groups):
        rooms = _group_rooms(pb, cs, slots[g])
        sub = subproblem(pb, cs, rooms, blocked=~slots[g][rooms],
                         unavailable=_outside_conflicts(pb, outside_tt, outside, cs),
                         name=f"{pb.name}/{_group_name(pb, cs)}")
        start = sub.restrict(tt)
        fixed_sub = np.zeros(sub.problem.n_lectures, bool)
        fixed_sub[:sub.n_real_lectures] = pipe.fixed[sub.lecture_ids]
        start.period[:sub.n_real_lectures][~fixed_sub[:sub.n_real_lectures]] = -1
        start.room[:sub.n_real_lectures][~fixed_sub[:sub.n_real_lectures]] = -1
        tasks.append(GroupTask(g, sub, pipe.weights, 0.0, int(seeds[g]), cpsat=cpsat,
                               hard_weight=pipe.hard_weight, pinned=fixed_sub if fixed_sub.any() else None,
                               start=start if fixed_sub.any() else None, name=_group_name(pb, cs)))
    results = _run_groups(pipe, tasks, client=client, parallel=parallel, budget_end=budget_end, extra=extra)
    for task, res in zip(tasks, results):
        if res is not None:
            task.sub.lift(Timetable(res.period, res.room), tt)
    results = [r for r in results if r is not None]
    # lectures in a hard violation are not pinned in stage 2 (unless the caller fixed them)
    pipe.clean = ~violating_lectures(pb, tt) | pipe.fixed
    # the electives' places become stage 2's hints; stage 1's result is the core
    hinted = ~pipe.fixed & (cat == ELECTIVE) & (tt.period >= 0)
    pipe.hints = Timetable(np.where(hinted, tt.period, frame.period), np.where(hinted, tt.room, frame.room))
    tt.period[hinted], tt.room[hinted] = -1, -1
    extra["groups"] = [{"name": r.name, "lectures": r.lectures, "rooms": r.rooms, "blockers": r.blockers,
                        "hard_violations": r.hard_violations, "soft_cost": r.soft_cost, "seconds": r.seconds,
                        "construct_hard": r.construct_hard, "cpsat": r.cpsat_status,
                        "cpsat_seconds": r.cpsat_seconds, "anneal_seconds": r.anneal_seconds}
                       for r in results]
    pipe.record(STAGE_1, t_start, {
        "groups": len(groups), "mode": extra.get("mode"), "cluster": extra.get("cluster"),
        "groups_infeasible": int(sum(r.hard_violations > 0 for r in results)),
        "cpsat_runs": int(sum(r.cpsat_status != "not run" for r in results)),
        "group_seconds": float(sum(r.seconds for r in results)),
        "elective_hints": int(hinted.sum()), "open_frame": int((frame.period >= 0).sum()),
        "cluster_seconds": extra.get("cluster_seconds", 0.0)})


def _group_name(pb: Problem, cs: np.ndarray) -> str:
    depts = np.unique(pb.course_department[cs])
    names = [pb.department_names[d] if d >= 0 else "no department" for d in depts]
    return names[0] if len(names) == 1 else f"{names[0]} +{len(names) - 1}"


def _group_rooms(pb: Problem, cs: np.ndarray, own: np.ndarray) -> np.ndarray:
    """Rooms of a group's sub-instance: those with owned slots, plus one suitable room (fully
    blocked) for a course that would otherwise have none, so that the sub-instance is valid."""
    rooms = set(np.flatnonzero(own.any(axis=1)).tolist())
    for c in cs:
        if not rooms or not pb.suitable[c, sorted(rooms)].any():
            cand = np.flatnonzero(pb.suitable[c])
            if len(cand) == 0:
                raise TimetableError(f"course {pb.course_names[c]} has no suitable room (room type/features); "
                                     "fix its requirements or add a room")
            rooms.add(int(cand[np.argmax(pb.room_capacity[cand])]))
    return np.array(sorted(rooms), np.int64)


def _fixed_slots(pb: Problem, tt: Timetable, fixed: np.ndarray, groups) -> tuple[np.ndarray | None, list | None]:
    """Room slots of lectures kept in place: reserved from everyone, owned by their own group."""
    if not fixed.any():
        return None, None
    owner = np.full(pb.n_courses, -1, np.int64)
    for g, cs in enumerate(groups):
        owner[cs] = g
    reserved = np.zeros((pb.n_rooms, pb.n_periods), bool)
    owned = [np.zeros((pb.n_rooms, pb.n_periods), bool) for _ in groups]
    for l in np.flatnonzero(fixed):
        c = int(pb.lecture_course[l])
        p, r = int(tt.period[l]), int(tt.room[l])
        end = min(p + int(pb.course_length[c]), (p // pb.periods_per_day + 1) * pb.periods_per_day)
        if owner[c] >= 0:
            owned[owner[c]][r, p:end] = True
        else:
            reserved[r, p:end] = True
    return reserved, owned


def _outside_conflicts(pb: Problem, tt: Timetable, outside: np.ndarray, cs: np.ndarray) -> np.ndarray | None:
    """Periods a group's course may not teach in because a conflicting lecture outside the group
    (kept in place, or framed) covers them. Availability is checked per covered period, so
    marking those periods unavailable is exact for multi-period lectures too."""
    inside = np.zeros(pb.n_courses, bool)
    inside[cs] = True
    out = np.flatnonzero(outside & ~inside[pb.lecture_course] & (tt.period >= 0))
    if len(out) == 0:
        return None
    c_out = pb.lecture_course[out]
    cover = np.zeros((len(out), pb.n_periods), np.float32)
    p = tt.period[out]
    for k in range(int(pb.course_length[c_out].max())):
        ok = (k < pb.course_length[c_out]) & ((p + k) // pb.periods_per_day == p // pb.periods_per_day)
        cover[np.flatnonzero(ok), (p + k)[ok]] = 1.0
    extra = (pb.conflict[np.ix_(cs, c_out)].astype(np.float32) @ cover) > 0
    return extra if extra.any() else None


def _open_frame(pipe: _Pipeline, rest: np.ndarray) -> Timetable:
    """Greedy places of the ``rest`` lectures (the open electives) among themselves, whole-problem
    ids; lectures the caller fixed keep their places. Empty when there is nothing to frame."""
    from .local_search import construct

    pb = pipe.problem
    frame = Timetable.empty(pb)
    if not rest.any():
        return frame
    courses = np.unique(pb.lecture_course[rest])
    sub = subproblem(pb, courses, name=f"{pb.name}/open-frame")
    start = sub.restrict(pipe.timetable)
    keep = pipe.fixed[sub.lecture_ids] & (start.period >= 0)
    placed = construct(sub.problem, weights=pipe.weights, seed=pipe.rng, pinned=keep if keep.any() else None,
                       initial=start if keep.any() else None)
    sub.lift(placed, frame)
    frame.period[~rest], frame.room[~rest] = -1, -1
    return frame


def _stage1_whole(pipe: _Pipeline, *, t_start: float) -> None:
    """The whole instance is one group: the greedy construction only.

    Repairing and improving it is exactly what the stage-3 annealing does (including its own
    CP-SAT feasibility step when the greedy start breaks a hard constraint), so nothing is run
    twice and the pipeline does the work of ``strategy="local"``.
    """
    from .local_search import construct

    pb = pipe.problem
    keep = pipe.fixed
    tc = time.perf_counter()
    tt = construct(pb, weights=pipe.weights, seed=pipe.rng, pinned=keep if keep.any() else None,
                   initial=pipe.timetable if keep.any() else None)
    pipe.timetable.period[:] = tt.period
    pipe.timetable.room[:] = tt.room
    pipe.record(STAGE_1, t_start, {"groups": 1, "mode": "whole instance",
                                   "construct_seconds": time.perf_counter() - tc})


def _group_cap(task: GroupTask) -> float:
    """Seconds a group is worth: 0.05 s + 2 ms per lecture (0.19 s for a 70-lecture department),
    plus the CP-SAT time when its greedy start is infeasible.

    Measured on 16 departments of ``large`` (core + electives): caps of 0.1 / 0.2 / 0.4 / 0.8 s
    gave summed soft costs of 2724 / 2709 / 2698 / 2698, every group feasible (CP-SAT repaired
    the 10 infeasible greedy starts each time); stage 3 makes better use of the time.
    """
    return 0.05 + 0.002 * task.sub.n_real_lectures


def _run_groups(pipe: _Pipeline, tasks: list[GroupTask], *, client, parallel: bool, budget_end: float,
                extra: dict) -> list[GroupResult | None]:
    """Run the stage-1 groups in this process or on Dask, in budget, reporting progress."""
    d, rep = pipe.deadline, pipe.reporter
    total = sum(t.sub.n_real_lectures for t in tasks)
    if client is None and not parallel:
        extra["mode"] = "in process"
        results: list[GroupResult] = []
        for i, task in enumerate(tasks):
            if d.stopped():
                results.extend([None] * (len(tasks) - i))  # stopped: the rest stays unplaced
                break
            left = len(tasks) - i
            task.time_limit = min(_group_cap(task), max(0.0, (budget_end - d.elapsed()) / left))
            task.anneal = task.time_limit > 0.02
            fwd = rep.forward(STAGE_1, whole=False, prefix=f"group {i + 1}/{len(tasks)} {task.name}: ")
            results.append(solve_group(task, stop=d.stop, progress=fwd))
            done = sum(t.sub.n_real_lectures for t in tasks[:i + 1])
            rep.emit(STAGE_1, None, total - done + sum(r.hard_violations for r in results if r is not None),
                     f"{i + 1}/{len(tasks)} groups solved")
        return results
    from ..cluster import client_for, scheduler_address

    handle = None
    tc = time.perf_counter()
    try:
        if client is None:
            rep.emit(STAGE_1, None, None, f"connecting to {scheduler_address()}" if scheduler_address()
                     else "starting a local Dask cluster")
        given = client is not None
        handle = client_for(client)  # the given client, TT_DASK_SCHEDULER, or a private LocalCluster
        client = handle.client
        extra["cluster"] = ("given client" if given else "private LocalCluster" if handle.private
                            else f"TT_DASK_SCHEDULER={scheduler_address()}")
        extra["cluster_seconds"] = time.perf_counter() - tc
        extra["mode"] = "dask"
        n_slots = max(1, sum(client.nthreads().values()))
        extra["dask_threads"] = n_slots
        per = max(0.0, (budget_end - d.elapsed()) * n_slots / len(tasks) * 0.9)
        for task in tasks:
            task.time_limit = min(_group_cap(task), per)
            task.anneal = task.time_limit > 0.02
        futures = client.map(solve_group, tasks, pure=False)
        results: list[GroupResult | None] = [None] * len(tasks)
        pending = dict(enumerate(futures))
        hard_done = 0
        late = budget_end + 0.1 * d.time_limit  # past this, groups not back are built here
        while pending:
            if d.stopped():
                client.cancel(list(pending.values()))
                break
            if d.elapsed() > late:
                # workers slower than planned (start-up, a loaded machine): the greedy start of the
                # groups not back yet, built here in milliseconds, keeps the time limit
                client.cancel(list(pending.values()))
                for i in pending:
                    t = tasks[i]
                    t.time_limit, t.anneal, t.cpsat = 0.0, False, False
                    results[i] = solve_group(t)
                extra["groups_built_here"] = len(pending)
                break
            for i, f in list(pending.items()):
                if f.status == "finished":
                    results[i] = f.result()
                    hard_done += results[i].hard_violations
                    del pending[i]
                elif f.status in ("error", "cancelled", "lost"):
                    f.result()  # raises the worker's exception here
            done = sum(tasks[i].sub.n_real_lectures for i, r in enumerate(results) if r is not None)
            rep.emit(STAGE_1, None, total - done + hard_done,
                     f"{len(tasks) - len(pending)}/{len(tasks)} groups solved on {n_slots} Dask workers")
            if pending:
                time.sleep(0.1)
        return results  # after a stop, groups not back yet are None (their lectures stay unplaced)
    finally:
        if handle is not None and handle.owns_client:
            def close() -> None:
                tc = time.perf_counter()
                try:
                    handle.close()
                finally:
                    extra["cluster_close_seconds"] = time.perf_counter() - tc

            # closing waits seconds for the worker processes to exit; stage 2 need not wait, the
            # pipeline joins this thread before it returns
            closer = threading.Thread(target=close, name="hierarchical-dask-close")
            closer.start()
            pipe.closers.append(closer)


# ---------------------------------------------------------------------------- stage 2


def _stage2(pipe: _Pipeline, *, share: float, perturbation_weight: float) -> None:
    pb, d = pipe.problem, pipe.deadline
    t_start = d.elapsed()
    cat = pb.course_category[pb.lecture_course]
    steps = [(ELECTIVE, "departmental electives"), (OPEN, "open electives")]
    todo = {k: ~pipe.fixed & (cat == k) & (pipe.timetable.period < 0) for k, _ in steps}
    # core lectures stage 1 could not place (none normally) are inserted with the electives
    todo[ELECTIVE] |= ~pipe.fixed & (cat == CORE) & ((pipe.timetable.period < 0) | (pipe.timetable.room < 0))
    n_new = {k: int(v.sum()) for k, v in todo.items()}
    if d.stopped():
        pipe.record(STAGE_2, t_start, {"steps": [], "skipped": "stopped"})
        return
    if not sum(n_new.values()):
        pipe.reporter.emit(STAGE_2, None, None, "no electives to insert")
        pipe.record(STAGE_2, t_start, {"steps": []})
        return
    # 1 s + 5 ms per lecture to insert at most (~3 s for medium's 387 elective lectures): a longer
    # stage 2 only polishes a timetable that stage 3 re-anneals anyway
    end = min(t_start + min(share * d.time_limit, 1.0 + 0.005 * sum(n_new.values())), d.time_limit)
    steps_done = []
    for k, label in steps:
        if not n_new[k] or d.stopped():
            continue
        later = sum(n_new[j] for j, _ in steps if j > k)
        budget = max(0.0, (end - d.elapsed()) * n_new[k] / (n_new[k] + later))
        steps_done.append(_insert(pipe, todo[k], label, budget, perturbation_weight))
    pipe.record(STAGE_2, t_start, {"steps": steps_done})


def _insert(pipe: _Pipeline, new: np.ndarray, label: str, budget: float, perturbation_weight: float) -> dict:
    """Place the ``new`` lectures around the placed ones (pinned), on the instance of both."""
    pb, tt, d = pipe.problem, pipe.timetable, pipe.deadline
    t0 = time.perf_counter()
    placed = (tt.period >= 0) & (tt.room >= 0) & ~new
    pin = placed if pipe.clean is None else placed & pipe.clean
    courses = np.unique(pb.lecture_course[placed | new])
    # the new lectures start where stage 1 planned them (not pinned); the others are built greedily
    base = tt.copy()
    base.period[new], base.room[new] = -1, -1
    hinted = np.zeros(pb.n_lectures, bool)
    if pipe.hints is not None:
        hinted = new & (pipe.hints.period >= 0)
        base.period[hinted], base.room[hinted] = pipe.hints.period[hinted], pipe.hints.room[hinted]
    if len(courses) == pb.n_courses:
        sub = None
        spb, start, keep, was = pb, base, pin.copy(), placed.copy()
        user_pins = pipe.pinned
    else:
        sub = subproblem(pb, courses, name=f"{pb.name}/{label.replace(' ', '-')}")
        spb, start = sub.problem, sub.restrict(base)
        keep, was = pin[sub.lecture_ids], placed[sub.lecture_ids]
        user_pins = pipe.pinned[sub.lecture_ids]
    fwd = pipe.reporter.forward(STAGE_2, whole=sub is None, prefix=f"{label}: ")
    t_pinned = max(0.05, 0.6 * budget) if budget > 0 else 0.01
    res = _anneal(spb, weights=pipe.weights, time_limit=t_pinned, seed=pipe.rng, initial=start, pinned=keep,
                  stop=d.stop, progress=fwd, hard_weight=pipe.hard_weight, use_cpsat=False)
    out = {"step": label, "lectures": int(new.sum()), "hinted": int(hinted.sum()), "pinned_hard": res.hard_violations,
           "pinned_seconds": time.perf_counter() - t0, "freeing_seconds": 0.0, "moved_earlier": 0}
    best = res
    if res.hard_violations and not d.done():
        # the pins leave no room: free the earlier lectures around the violations (the courses in
        # a violation and every course conflicting with them) and anneal again; a moved earlier
        # lecture costs ``perturbation_weight``, so the rest of the neighbourhood tends to stay
        th = time.perf_counter()
        hot = violating_lectures(spb, res.timetable)
        hot_courses = np.unique(spb.lecture_course[hot])
        near = np.zeros(spb.n_courses, bool)
        near[hot_courses] = True
        near |= spb.conflict[hot_courses].any(axis=0)
        keep2 = keep & ~near[spb.lecture_course] | user_pins
        res2 = _anneal(spb, weights=pipe.weights, time_limit=max(0.05, budget - (th - t0)), seed=pipe.rng,
                       initial=res.timetable, pinned=keep2, stop=d.stop, progress=fwd,
                       hard_weight=pipe.hard_weight, perturbation_weight=perturbation_weight, use_cpsat=False)
        out["freed_earlier"] = int((keep & ~keep2).sum())
        if (res2.hard_violations, res2.cost) < (res.hard_violations, res.cost):
            best = res2
            moved = (res2.timetable.period != res.timetable.period) | (res2.timetable.room != res.timetable.room)
            out["moved_earlier"] = int((moved & was).sum())
        out["freeing_seconds"] = time.perf_counter() - th
    if sub is None:
        tt.period[:], tt.room[:] = best.timetable.period, best.timetable.room
    else:
        sub.lift(best.timetable, tt)
    pipe.clean = ~violating_lectures(pb, tt) | pipe.fixed
    out["hard_violations"] = best.hard_violations
    out["soft_cost"] = best.cost
    return out


# ---------------------------------------------------------------------------- stage 3


#: stage 3's start temperature after a decomposition. The merged timetable is structured, and
#: re-annealing it from solve_local's automatic start (3.6 on medium) throws that away: on medium
#: at 30 s the pipeline ended at 156 (automatic), 136 (t0=1.5) and 113 (t0=0.7), while plain
#: "local" got 121 (automatic) and 132 (t0=0.7) from its greedy start.
DECOMPOSED_T0 = 0.7


def _stage3(pipe: _Pipeline, *, t0: float | None) -> None:
    from .local_search import construct

    pb, d = pipe.problem, pipe.deadline
    t_start = d.elapsed()
    if d.stopped():
        pipe.record(STAGE_3, t_start, {"iterations": 0, "skipped": "stopped"})
        return
    if (pipe.timetable.period < 0).any():
        # stage 2 ran out of time before placing everything: place the rest greedily
        placed = (pipe.timetable.period >= 0) & (pipe.timetable.room >= 0)
        tt = construct(pb, weights=pipe.weights, seed=pipe.rng, pinned=placed, initial=pipe.timetable)
        pipe.timetable.period[:], pipe.timetable.room[:] = tt.period, tt.room
    if d.done():
        pipe.record(STAGE_3, t_start, {"iterations": 0, "skipped": "no time left"})
        return
    res = _anneal(pb, weights=pipe.weights, time_limit=max(0.01, d.remaining()), seed=pipe.rng,
                  initial=pipe.timetable, pinned=pipe.pinned, stop=d.stop,
                  progress=pipe.reporter.forward(STAGE_3, whole=True), hard_weight=pipe.hard_weight,
                  **({} if t0 is None else {"t0": t0}))
    pipe.timetable.period[:], pipe.timetable.room[:] = res.timetable.period, res.timetable.room
    pipe.record(STAGE_3, t_start, {"iterations": res.stats.get("iterations", 0),
                                   "restarts": res.stats.get("restarts", 0)})
