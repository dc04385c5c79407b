"""Student sectioning: which classes each student attends, and moves that lower their conflicts.

Every (student, requested course) pair is a *request*. A request's enrollment is one config of
the course and one class of each of its subparts, with the parent of every class taken as well
(parents live in another subpart of the same config) and no class above its limit — the hard
rules of sectioning. An enrollment is stored in the request's *slots*, one per subpart of the
config in an order where parents come before their children (``-1`` pads configs with fewer
subparts).

* :func:`best_enrollment` — branch and bound over a request's configs and subparts, the classes
  of each subpart tried cheapest first (student conflicts with the student's other classes), so
  the first leaf is the greedy choice and a node budget bounds the rest;
* :func:`section_all` — the initial sectioning, students in a given order (grouped by their
  course sets, so that students with the same courses share sections, which the timetable can
  then keep apart from each other's conflicts); a request that fits nowhere under the limits
  goes over a limit and :func:`repair_limits` moves students out again;
* :func:`improve` — with the times fixed, re-section a request when that lowers its conflicts,
  or swap the whole enrollments of two students in the same course (which keeps every class's
  count, hence the limits) when that lowers their sum: the student half of the search, which
  alternates with the time and room half as in cpsolver.

Conflicts are counted as the rules do (:func:`tt_core.classes.kernels.student_conflict`, travel
included), between classes placed in the :class:`~tt_core.classes.kernels.ClassState`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from .attendance import pair_conflict


class Sections(NamedTuple):
    """The fixed structure of the requests (built once per problem by :func:`build_sections`)."""

    n_requests: int
    req_student: np.ndarray    # int32 [NR]
    req_course: np.ndarray     # int32 [NR]
    slot_ptr: np.ndarray       # int64 [NR+1]
    course_config_ptr: np.ndarray  # int32 [K+1]
    sub_class_ptr: np.ndarray  # int32 [P+1]
    sub_order: np.ndarray      # int32 [P] per config (config_subpart_ptr ranges): subparts, parents first
    sub_rank: np.ndarray       # int32 [P] place of the subpart in its config's order
    parent_rank: np.ndarray    # int32 [C] rank of the parent's subpart (-1: no parent)
    course_req_ptr: np.ndarray  # int64 [K+1] the requests of each course …
    course_req: np.ndarray     # int32 [NR]
    max_sub: int               # most subparts in a config
    max_sub_classes: int       # most classes in a subpart
    max_student_slots: int     # most slots of one student


class Enrollment(NamedTuple):
    """A sectioning (mutable): the class in every slot, the config of every request, class counts."""

    slot_class: np.ndarray     # int32 [NS] -1 = empty
    req_cfg: np.ndarray        # int32 [NR] -1 = not sectioned
    enr: np.ndarray            # int32 [C] students in each class


class Scratch(NamedTuple):
    """Buffers of the branch and bound (one per worker)."""

    others: np.ndarray     # int32 [max student slots]
    cand: np.ndarray       # int32 [max_sub, max_sub_classes]
    cand_cost: np.ndarray  # int64 [max_sub, max_sub_classes]
    ncand: np.ndarray      # int64 [max_sub]
    chosen: np.ndarray     # int32 [max_sub]
    best: np.ndarray       # int32 [max_sub]
    best2: np.ndarray      # int32 [max_sub]


def build_sections(problem) -> Sections:
    """The request structure of ``problem``."""
    p = problem
    S, K, F, P, C = p.n_students, p.n_courses, p.n_configs, p.n_subparts, p.n_classes
    req_course = np.ascontiguousarray(p.student_courses, np.int32)
    req_student = np.repeat(np.arange(S, dtype=np.int32), np.diff(p.student_ptr))
    n_sub = np.diff(p.config_subpart_ptr)
    course_max = np.zeros(K, np.int64)
    np.maximum.at(course_max, p.config_course, n_sub)
    slot_ptr = np.zeros(req_course.shape[0] + 1, np.int64)
    np.cumsum(course_max[req_course], out=slot_ptr[1:])
    # subparts of each config ordered so that a class's parent subpart comes first
    parent_sub = np.full(P, -1, np.int64)
    has = p.class_parent >= 0
    parent_sub[p.class_subpart[has]] = p.class_subpart[p.class_parent[has]]
    sub_order = np.zeros(P, np.int32)
    sub_rank = np.zeros(P, np.int32)
    for f in range(F):
        lo, hi = int(p.config_subpart_ptr[f]), int(p.config_subpart_ptr[f + 1])
        todo = list(range(lo, hi))
        done: list[int] = []
        while todo:
            ready = [q for q in todo if parent_sub[q] < 0 or parent_sub[q] in done or not lo <= parent_sub[q] < hi]
            if not ready:   # subparts whose classes' parents cross (the classes themselves are acyclic)
                ready = todo[:1]
            done += ready
            todo = [q for q in todo if q not in ready]
        sub_order[lo:hi] = done
        sub_rank[done] = np.arange(hi - lo)
    parent_rank = np.full(C, -1, np.int32)
    parent_rank[has] = sub_rank[p.class_subpart[p.class_parent[has]]]
    course_req_ptr = np.zeros(K + 1, np.int64)
    np.cumsum(np.bincount(req_course, minlength=K), out=course_req_ptr[1:])
    per_student = np.bincount(req_student, weights=np.diff(slot_ptr), minlength=1)
    return Sections(n_requests=int(req_course.shape[0]), req_student=req_student, req_course=req_course,
                    slot_ptr=slot_ptr, course_config_ptr=np.ascontiguousarray(p.course_config_ptr, np.int32),
                    sub_class_ptr=np.ascontiguousarray(p.subpart_class_ptr, np.int32),
                    sub_order=sub_order, sub_rank=sub_rank, parent_rank=parent_rank,
                    course_req_ptr=course_req_ptr,
                    course_req=np.argsort(req_course, kind="stable").astype(np.int32),
                    max_sub=max(int(n_sub.max()) if n_sub.size else 0, 1),
                    max_sub_classes=max(int(np.diff(p.subpart_class_ptr).max()) if P else 0, 1),
                    max_student_slots=max(int(per_student.max()) if len(per_student) else 0, 1))


def new_enrollment(problem, sa: Sections) -> Enrollment:
    """Nobody sectioned yet."""
    return Enrollment(slot_class=np.full(int(sa.slot_ptr[-1]), -1, np.int32),
                      req_cfg=np.full(sa.n_requests, -1, np.int32), enr=np.zeros(problem.n_classes, np.int32))


def copy_enrollment(en: Enrollment) -> Enrollment:
    return Enrollment(en.slot_class.copy(), en.req_cfg.copy(), en.enr.copy())


def new_scratch(sa: Sections) -> Scratch:
    m, k = sa.max_sub, sa.max_sub_classes
    return Scratch(others=np.zeros(sa.max_student_slots, np.int32), cand=np.zeros((m, k), np.int32),
                   cand_cost=np.zeros((m, k), np.int64), ncand=np.zeros(m, np.int64),
                   chosen=np.zeros(m, np.int32), best=np.full(m, -1, np.int32), best2=np.full(m, -1, np.int32))


@njit(cache=True)
def other_classes(ka, sa, en, s, r_skip, out):
    """The classes student ``s`` attends outside request ``r_skip`` (into ``out``); returns how many."""
    n = 0
    for r in range(ka.s_ptr[s], ka.s_ptr[s + 1]):
        if r == r_skip:
            continue
        for i in range(sa.slot_ptr[r], sa.slot_ptr[r + 1]):
            x = en.slot_class[i]
            if x >= 0:
                out[n] = x
                n += 1
    return n


@njit(cache=True)
def cost_against(at, x, others, n_others):
    """Conflicts of class ``x`` with the first ``n_others`` classes of ``others``."""
    c = 0
    for i in range(n_others):
        c += pair_conflict(at, x, others[i])
    return c


@njit(cache=True)
def request_cost(ka, sa, en, at, r, others):
    """Conflicts that involve request ``r``'s classes (with the student's other classes and
    among themselves)."""
    n_o = other_classes(ka, sa, en, sa.req_student[r], r, others)
    cost = 0
    lo, hi = sa.slot_ptr[r], sa.slot_ptr[r + 1]
    for i in range(lo, hi):
        x = en.slot_class[i]
        if x < 0:
            continue
        cost += cost_against(at, x, others, n_o)
        for j in range(i + 1, hi):
            y = en.slot_class[j]
            if y >= 0:
                cost += pair_conflict(at, x, y)
    return cost


@njit(cache=True)
def _held(sa, en, r, x):
    for i in range(sa.slot_ptr[r], sa.slot_ptr[r + 1]):
        if en.slot_class[i] == x:
            return True
    return False


@njit(cache=True)
def best_enrollment(ka, sa, en, at, r, limits, node_cap, sc, best):
    """The cheapest enrollment of request ``r`` (branch and bound, at most ``node_cap`` nodes).

    With ``limits`` only classes with room under their limit (or the student's own, when not
    over it) are used. The classes go to ``best`` by slot (-1 padded); returns ``(cost, config)``
    — config -1 when no enrollment fits.
    """
    s = sa.req_student[r]
    k = sa.req_course[r]
    n_o = other_classes(ka, sa, en, s, r, sc.others)
    best_cost = np.int64(1) << 40
    best_cfg = -1
    nodes = 0
    cand, cand_cost, ncand, chosen = sc.cand, sc.cand_cost, sc.ncand, sc.chosen
    for f in range(sa.course_config_ptr[k], sa.course_config_ptr[k + 1]):
        lo, hi = ka.config_subpart_ptr[f], ka.config_subpart_ptr[f + 1]
        m = hi - lo
        feasible = True
        for lvl in range(m):
            p = sa.sub_order[lo + lvl]
            n = 0
            for x in range(sa.sub_class_ptr[p], sa.sub_class_ptr[p + 1]):
                if limits and en.enr[x] >= ka.class_limit[x]:
                    if not (en.enr[x] == ka.class_limit[x] and _held(sa, en, r, x)):
                        continue
                cst = cost_against(at, x, sc.others, n_o)
                j = n   # insertion by cost; ties keep the natural order (first fit)
                while j > 0 and cand_cost[lvl, j - 1] > cst:
                    cand[lvl, j] = cand[lvl, j - 1]
                    cand_cost[lvl, j] = cand_cost[lvl, j - 1]
                    j -= 1
                cand[lvl, j] = x
                cand_cost[lvl, j] = cst
                n += 1
            ncand[lvl] = n
            if n == 0:
                feasible = False
                break
        if not feasible:
            continue
        idx = np.zeros(m + 1, np.int64)   # next candidate to try at each level
        acc = np.zeros(m + 1, np.int64)   # cost of the classes chosen above each level
        lvl = 0
        while lvl >= 0:
            if lvl == m:
                if acc[m] < best_cost:
                    best_cost = acc[m]
                    best_cfg = f
                    for i in range(m):
                        best[i] = chosen[i]
                    for i in range(m, best.shape[0]):
                        best[i] = -1
                lvl -= 1
                continue
            if idx[lvl] >= ncand[lvl] or nodes >= node_cap:
                idx[lvl] = 0
                lvl -= 1
                continue
            x = cand[lvl, idx[lvl]]
            base = cand_cost[lvl, idx[lvl]]
            idx[lvl] += 1
            if acc[lvl] + base >= best_cost:   # sorted: the remaining candidates cost as much or more
                idx[lvl] = ncand[lvl]
                continue
            pr = sa.parent_rank[x]
            if pr >= 0 and (pr >= lvl or chosen[pr] != ka.class_parent[x]):
                continue
            nodes += 1
            add = base
            for i in range(lvl):
                add += pair_conflict(at, x, chosen[i])
            if acc[lvl] + add >= best_cost:
                continue
            chosen[lvl] = x
            acc[lvl + 1] = acc[lvl] + add
            lvl += 1
        if best_cost == 0:
            break
    return best_cost, best_cfg


@njit(cache=True)
def set_enrollment(sa, en, r, cfg, classes):
    """Give request ``r`` the config ``cfg`` and the classes ``classes`` (by slot, -1 padded)."""
    lo, hi = sa.slot_ptr[r], sa.slot_ptr[r + 1]
    for i in range(lo, hi):
        x = en.slot_class[i]
        if x >= 0:
            en.enr[x] -= 1
        en.slot_class[i] = -1
    en.req_cfg[r] = cfg
    if cfg < 0:
        return
    for i in range(hi - lo):
        x = classes[i]
        en.slot_class[lo + i] = x
        if x >= 0:
            en.enr[x] += 1


@njit(cache=True, nogil=True)
def section_all(ka, sa, en, at, students, node_cap, sc):
    """Section every request of ``students`` (in that order) that has no enrollment yet: the
    cheapest under the limits, or — when nothing fits — the cheapest over them. Returns the
    number of requests that had to go over a limit."""
    over = 0
    for i in range(students.shape[0]):
        s = students[i]
        for r in range(ka.s_ptr[s], ka.s_ptr[s + 1]):
            if en.req_cfg[r] >= 0:
                continue
            cost, cfg = best_enrollment(ka, sa, en, at, r, True, node_cap, sc, sc.best)
            if cfg < 0:
                over += 1
                cost, cfg = best_enrollment(ka, sa, en, at, r, False, node_cap, sc, sc.best)
            set_enrollment(sa, en, r, cfg, sc.best)
    return over


@njit(cache=True, nogil=True)
def repair_limits(ka, sa, en, at, node_cap, sc, rounds):
    """Move students out of classes above their limit (re-sectioning them under the limits);
    returns the students still above limits."""
    for _ in range(rounds):
        excess = 0
        for x in range(ka.n_classes):
            if en.enr[x] > ka.class_limit[x]:
                excess += en.enr[x] - ka.class_limit[x]
        if excess == 0:
            return 0
        for r in range(sa.n_requests):
            bad = False
            for i in range(sa.slot_ptr[r], sa.slot_ptr[r + 1]):
                x = en.slot_class[i]
                if x >= 0 and en.enr[x] > ka.class_limit[x]:
                    bad = True
            if not bad:
                continue
            cost, cfg = best_enrollment(ka, sa, en, at, r, True, node_cap, sc, sc.best)
            if cfg >= 0:
                set_enrollment(sa, en, r, cfg, sc.best)
    excess = 0
    for x in range(ka.n_classes):
        if en.enr[x] > ka.class_limit[x]:
            excess += en.enr[x] - ka.class_limit[x]
    return excess


@njit(cache=True)
def _swap_delta(ka, sa, en, at, r1, r2, sc):
    """Change of the conflicts if requests ``r1`` and ``r2`` (same course, two students)
    exchanged their enrollments."""
    n1 = other_classes(ka, sa, en, sa.req_student[r1], r1, sc.others)
    d = 0
    lo1, lo2 = sa.slot_ptr[r1], sa.slot_ptr[r2]
    m = sa.slot_ptr[r1 + 1] - lo1
    for i in range(m):
        x1, x2 = en.slot_class[lo1 + i], en.slot_class[lo2 + i]
        if x2 >= 0:
            d += cost_against(at, x2, sc.others, n1)
        if x1 >= 0:
            d -= cost_against(at, x1, sc.others, n1)
    n2 = other_classes(ka, sa, en, sa.req_student[r2], r2, sc.others)
    for i in range(m):
        x1, x2 = en.slot_class[lo1 + i], en.slot_class[lo2 + i]
        if x1 >= 0:
            d += cost_against(at, x1, sc.others, n2)
        if x2 >= 0:
            d -= cost_against(at, x2, sc.others, n2)
    return d


@njit(cache=True)
def _swap(sa, en, r1, r2):
    lo1, lo2 = sa.slot_ptr[r1], sa.slot_ptr[r2]
    for i in range(sa.slot_ptr[r1 + 1] - lo1):
        x = en.slot_class[lo1 + i]
        en.slot_class[lo1 + i] = en.slot_class[lo2 + i]
        en.slot_class[lo2 + i] = x
    f = en.req_cfg[r1]
    en.req_cfg[r1] = en.req_cfg[r2]
    en.req_cfg[r2] = f


@njit(cache=True, nogil=True)
def improve(ka, sa, en, at, iters, node_cap, partners, sc):
    """``iters`` student moves with the times fixed: a random request with conflicts is
    re-sectioned when that is cheaper under the limits, else swapped with the best of
    ``partners`` random requests of the same course when that lowers the conflicts.
    Returns the total decrease of student conflicts."""
    gain = 0
    NR = sa.n_requests
    if NR == 0:
        return 0
    for _ in range(iters):
        r = np.random.randint(NR)
        old = request_cost(ka, sa, en, at, r, sc.others)
        if old == 0:
            continue
        cost, cfg = best_enrollment(ka, sa, en, at, r, True, node_cap, sc, sc.best)
        if cfg >= 0 and cost < old:
            set_enrollment(sa, en, r, cfg, sc.best)
            gain += old - cost
            continue
        k = sa.req_course[r]
        lo, n_k = sa.course_req_ptr[k], sa.course_req_ptr[k + 1] - sa.course_req_ptr[k]
        if n_k < 2:
            continue
        best_d, best_r = 0, -1
        for _p in range(partners):
            r2 = sa.course_req[lo + np.random.randint(n_k)]
            if r2 == r:
                continue
            d = _swap_delta(ka, sa, en, at, r, r2, sc)
            if d < best_d:
                best_d, best_r = d, r2
        if best_r >= 0:
            _swap(sa, en, r, best_r)
            gain -= best_d
    return gain


def student_lists(problem, sa: Sections, en: Enrollment) -> tuple[np.ndarray, np.ndarray]:
    """The sectioning as sorted class lists per student: ``(ptr [S+1], classes)``."""
    S = problem.n_students
    owner = np.repeat(sa.req_student, np.diff(sa.slot_ptr))
    keep = en.slot_class >= 0
    owner, cls = owner[keep], en.slot_class[keep]
    order = np.lexsort((cls, owner))
    ptr = np.zeros(S + 1, np.int32)
    np.cumsum(np.bincount(owner, minlength=S), out=ptr[1:])
    return ptr, np.ascontiguousarray(cls[order], np.int32)


def enrollment_from_lists(problem, sa: Sections, ptr: np.ndarray, classes: np.ndarray) -> Enrollment:
    """Read a sectioning given as class lists per student (an initial solution's); a request
    whose classes do not make one whole config of its course is left unsectioned."""
    en = new_enrollment(problem, sa)
    cfg_of = problem.class_config
    rank = sa.sub_rank[problem.class_subpart]
    for s in range(problem.n_students):
        mine = classes[ptr[s]:ptr[s + 1]]
        by_course: dict[int, list[int]] = {}
        for x in mine:
            by_course.setdefault(int(problem.class_course[x]), []).append(int(x))
        for r in range(int(problem.student_ptr[s]), int(problem.student_ptr[s + 1])):
            got = by_course.get(int(sa.req_course[r]), [])
            if not got:
                continue
            f = int(cfg_of[got[0]])
            n_sub = int(problem.config_subpart_ptr[f + 1] - problem.config_subpart_ptr[f])
            ranks = sorted(int(rank[x]) for x in got)
            if any(int(cfg_of[x]) != f for x in got) or ranks != list(range(n_sub)):
                continue
            if any(problem.class_parent[x] >= 0 and int(problem.class_parent[x]) not in got for x in got):
                continue
            lo = int(sa.slot_ptr[r])
            for x in got:
                en.slot_class[lo + int(rank[x])] = x
                en.enr[x] += 1
            en.req_cfg[r] = f
    return en


def grouped_order(problem) -> np.ndarray:
    """Students ordered by their course sets, so students with the same courses are neighbours."""
    keys = [tuple(sorted(problem.student_courses[a:b].tolist()))
            for a, b in zip(problem.student_ptr[:-1], problem.student_ptr[1:])]
    return np.array(sorted(range(problem.n_students), key=lambda s: keys[s]), dtype=np.int32)
