"""How the pipeline cuts an instance: sub-problems of chosen courses and rooms, department groups,
room classes and each group's share of the rooms, and the lectures in a hard violation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...model import Problem, Timetable


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
