"""Sectioning: split large course offerings into parallel sections and put students into them.

An *offering* (a course in the data: "CSC101, 4 lectures a week, 240 students enrolled") that has
more students than one section may hold — a planner's ``section_size``, or the largest room the
course may use — becomes ``k = ceil(n / size)`` *sections*, each a separate course of the
:class:`~tt_core.model.Problem` named ``<offering>-S1`` … with the offering's lectures, length,
rooms and availability, ``n / k`` students (sizes differ by at most one) and a teacher from the
offering's teaching team (spread round-robin; a team smaller than ``k`` makes one teacher take
several sections, which then may not run in parallel). Sections of one offering share no student,
so they do not conflict and may run at the same time.

Which students go to which section decides how constrained the timetable is: a section conflicts
with every course one of its students takes. Two steps keep that small:

1. :func:`split_sections`, before solving — offerings largest first; each section conflicts with
   every course one of its students takes, so the number of distinct (section, other course)
   pairs is what to keep small. Students are ordered by their other courses, most common first
   (those sharing a cohort's cores come together), cut into sections of the planned sizes, and
   then swap sections in pairs while that lowers the count (the same is tried from the order the
   data gives, which is often by programme, and the better kept; sections of offerings split earlier
   count as themselves, so students of one section tend to share the next offering's section
   too). The conflict graph the solver sees stays sparse — the blocking real registries do by
   programme, here found from the enrolments. ``method="fixed"`` splits in enrolment order
   instead (the baseline).
2. :func:`reassign_sections`, after solving — with every section's times known, students swap
   sections (of the same offering, sizes unchanged) whenever that lowers their own clashes. Every
   accepted move lowers ``StudentClashes`` by at least one, so the result is never worse.

An offering in a curriculum is not split: a curriculum attends a course as one group and cannot
say which section its students would take; the plan's notes say so (remove it from the
curriculum — its students' enrolments carry the same information — to split it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import constraints as K
from .errors import TimetableError
from .model import CATEGORIES, Problem, Timetable

__all__ = ["SectionPlan", "split_sections", "merge_sections", "reassign_sections", "section_name", "METHODS"]

METHODS = ("affinity", "fixed")


def section_name(offering: str, number: int) -> str:
    """The course name of section ``number`` (from 1) of ``offering``."""
    return f"{offering}-S{number}"


@dataclass(frozen=True)
class SectionPlan:
    """What :func:`split_sections` made.

    Attributes
    ----------
    problem : Problem
        The sectioned problem: split offerings replaced by their sections (in place, same order),
        every enrolment pointing at one section.
    sections : dict
        ``{offering: (section course names, ...)}`` for every split offering.
    notes : list of str
        Offerings left whole and why, teams smaller than their number of sections.
    section_size : int or None
    method : str
    """

    problem: Problem
    sections: dict[str, tuple[str, ...]]
    notes: list[str] = field(default_factory=list)
    section_size: int | None = None
    method: str = "affinity"

    def summary(self) -> dict:
        """Sizes: offerings split, sections, the largest section and the conflict pairs it leaves."""
        pb = self.problem
        sec = [pb.course_index(n) for names in self.sections.values() for n in names]
        return {"offerings_split": len(self.sections), "sections": len(sec),
                "largest_section": int(pb.course_students[sec].max()) if sec else 0,
                "courses": pb.n_courses, "student_conflict_pairs": int(len(pb.shared_students[0])),
                "conflict_pairs": int(pb.conflict.sum()) // 2, "notes": len(self.notes)}


# ----------------------------------------------------------------------------- split


def split_sections(problem: Problem, *, section_size: int | None = None,
                   teams: Mapping[str, Sequence[str]] | None = None, method: str = "affinity") -> SectionPlan:
    """Split every offering with more students than a section holds (see the module docstring).

    Parameters
    ----------
    problem : Problem
        Offerings with their enrolments (a problem that is not sectioned yet; see
        :func:`merge_sections` to start again from a sectioned one).
    section_size : int, optional
        Most students per section; at most the largest room the course may use in any case.
    teams : mapping, optional
        ``{offering: [teacher, ...]}``: who may teach its sections (default: its teacher).
    method : {"affinity", "fixed"}
        How students are put into sections: by shared courses, or in enrolment order.

    Raises
    ------
    TimetableError
        Already sectioned, a bad section size or method, a section name taken by another course.
    """
    pb = problem
    if method not in METHODS:
        raise TimetableError(f"unknown sectioning method {method!r}; choose one of {', '.join(METHODS)}")
    if pb.course_offering:
        raise TimetableError(f"{pb.name} is already split into sections; merge them first (merge_sections) to "
                             "section it again")
    if section_size is not None and (isinstance(section_size, bool) or int(section_size) < 1):
        raise TimetableError(f"the section size must be a whole number of at least 1, got {section_size!r}")
    teams = dict(teams or {})
    unknown = [o for o in teams if o not in pb._course_index]
    if unknown:
        raise TimetableError(f"teaching team for unknown course(s) {', '.join(map(repr, unknown[:5]))}")
    C = pb.n_courses
    c_ptr, c_students = pb.course_student_csr
    enrolled = np.diff(c_ptr)
    size = np.where(enrolled > 0, enrolled, pb.course_students).astype(np.int64)
    room_cap = np.where(pb.suitable, pb.room_capacity[None, :], 0).max(axis=1) if pb.n_rooms else np.zeros(C)
    in_curriculum = np.zeros(C, bool)
    in_curriculum[pb.curriculum_courses] = True
    notes: list[str] = []
    n_sections = np.ones(C, np.int64)
    for c in range(C):
        cap = int(room_cap[c]) if section_size is None else min(int(section_size), int(room_cap[c]))
        if cap <= 0 or size[c] <= cap:
            continue
        if in_curriculum[c]:
            notes.append(f"{pb.course_names[c]}: {size[c]} students, more than {cap}, but it is in a curriculum, "
                         "which attends a course as one group; not split (take it out of the curriculum to split it)")
            continue
        n_sections[c] = math.ceil(size[c] / cap)
    # new courses: sections replace their offering in place
    rows: list[tuple[int, str, str, int]] = []      # (source course, name, teacher, students)
    first_new = np.zeros(C, np.int64)
    sections: dict[str, tuple[str, ...]] = {}
    taken = set(pb.course_names)
    short_teams: list[str] = []
    for c in range(C):
        first_new[c] = len(rows)
        name = pb.course_names[c]
        teacher = pb.teacher_names[pb.course_teacher[c]]
        k = int(n_sections[c])
        if k == 1:
            rows.append((c, name, teacher, int(pb.course_students[c])))
            continue
        team = list(dict.fromkeys(teams.get(name) or [teacher]))
        if len(team) < k:
            short_teams.append(f"{name} ({k} sections, {len(team)} teacher{'s' if len(team) > 1 else ''})")
        base, extra = divmod(int(size[c]), k)
        names = []
        for i in range(k):
            sname = section_name(name, i + 1)
            if sname in taken:
                raise TimetableError(f"cannot split {name}: a course named {sname} exists already; rename it")
            taken.add(sname)
            names.append(sname)
            rows.append((c, sname, team[i % len(team)], base + (1 if i < extra else 0)))
        sections[name] = tuple(names)
    if short_teams:
        shown = ", ".join(short_teams[:5]) + (f" and {len(short_teams) - 5} more" if len(short_teams) > 5 else "")
        notes.append(f"{len(short_teams)} offering(s) have fewer teachers than sections: {shown}; a teacher with "
                     "two sections cannot teach them in parallel (give the offering a larger teaching team)")
    # students into sections
    courses_of = [list(map(int, pb.student_course_ids(s))) for s in range(pb.n_students)]
    new_of = [[int(first_new[c]) if n_sections[c] == 1 else -1 for c in cs] for cs in courses_of]
    split = [c for c in np.argsort(-size, kind="stable") if n_sections[c] > 1]
    capacity = np.array([r[3] for r in rows], np.int64)
    for c in split:
        k = int(n_sections[c])
        first = int(first_new[c])
        members = [int(s) for s in c_students[c_ptr[c]:c_ptr[c + 1]]]
        left = capacity[first:first + k].copy()
        _assign(members, c, first, k, left, courses_of, new_of, method)
    offering = [pb.course_names[src] for src, *_ in rows]
    enrolments = [(pb.student_names[s], [rows[i][1] for i in sorted(new_of[s])]) for s in range(pb.n_students)]
    students = [r[3] for r in rows]
    return SectionPlan(_rebuild(pb, rows, students, enrolments, offering), sections, notes,
                       None if section_size is None else int(section_size), method)


def _assign(members: list[int], c: int, first: int, k: int, left: np.ndarray, courses_of, new_of,
            method: str) -> None:
    """Put the students ``members`` of offering ``c`` into its sections ``first .. first+k-1``.

    ``affinity``: the objective is the number of distinct (section, other course) pairs — each is
    a conflict the timetable must respect. Students are ordered by their other courses, most
    common first (so those sharing the big ones — a cohort's cores — come together), cut into
    sections of the planned sizes, then pairs of students swap sections while that lowers the
    objective. ``fixed``: sections filled in the order given.
    """
    def others(s):
        # the student's other courses, as new ids where known (sections chosen before), else offerings
        return [(n if n >= 0 else -1 - o) for o, n in zip(courses_of[s], new_of[s]) if o != c]

    prof = {s: others(s) for s in members}
    if method == "fixed":
        order = list(members)
    else:
        popular: dict[int, int] = {}
        for s in members:
            for o in prof[s]:
                popular[o] = popular.get(o, 0) + 1
        # sections chosen already first (students sharing one should share this offering's section
        # too, so the sections of a cohort's courses line up), then the most common courses
        key = {s: tuple(sorted(prof[s], key=lambda o: (o < 0, -popular[o], o))) for s in members}
        order = sorted(members, key=lambda s: (key[s], s))
    def chunk(order):
        room = left.copy()
        section: dict[int, int] = {}
        groups: list[list[int]] = [[] for _ in range(k)]
        j = 0
        for s in order:
            while room[j] <= 0:
                j += 1
            room[j] -= 1
            section[s] = j
            groups[j].append(s)
        return section, groups

    section, groups = chunk(order)
    if method != "fixed" and k > 1:
        # also improve the order given (data often arrives sorted by programme) and keep the better
        _improve(groups, section, prof)
        other, other_groups = chunk(list(members))
        _improve(other_groups, other, prof)
        if _pairs(other_groups, prof) < _pairs(groups, prof):
            section = other
    left[:] = 0
    for s in members:
        new_of[s][courses_of[s].index(c)] = first + section[s]


def _pairs(groups: list[list[int]], prof: dict[int, list[int]]) -> int:
    """Distinct (section, other course) pairs: the conflicts the sections bring."""
    return sum(len({o for s in g for o in prof[s]}) for g in groups)


def _improve(groups: list[list[int]], section: dict[int, int], prof: dict[int, list[int]], rounds: int = 4) -> None:
    """Swap students between sections while the number of distinct (section, course) pairs falls."""
    k = len(groups)
    present = [dict() for _ in range(k)]
    for j, g in enumerate(groups):
        for s in g:
            for o in prof[s]:
                present[j][o] = present[j].get(o, 0) + 1

    def delta(a, i, b, j):
        # change of the pair count when a (in i) and b (in j) swap
        change = 0
        for sec, out, inn in ((i, prof[a], prof[b]), (j, prof[b], prof[a])):
            cnt = present[sec]
            diff: dict[int, int] = {}
            for o in out:
                diff[o] = diff.get(o, 0) - 1
            for o in inn:
                diff[o] = diff.get(o, 0) + 1
            for o, d in diff.items():
                before = cnt.get(o, 0)
                change += (before + d > 0) - (before > 0)
        return change

    for _ in range(rounds):
        improved = False
        for i in range(k):
            for j in range(k):
                if i == j:
                    continue
                # students holding a course alone in their section are the ones worth moving
                movers = [a for a in groups[i] if any(present[i][o] == 1 for o in prof[a])]
                for a in movers:
                    if section[a] != i:
                        continue
                    best, partner = 0, None
                    for b in groups[j]:
                        d = delta(a, i, b, j)
                        if d < best:
                            best, partner = d, b
                    if partner is None:
                        continue
                    b = partner
                    for o in prof[a]:
                        present[i][o] -= 1
                        present[j][o] = present[j].get(o, 0) + 1
                    for o in prof[b]:
                        present[j][o] -= 1
                        present[i][o] = present[i].get(o, 0) + 1
                    groups[i].remove(a)
                    groups[j].remove(b)
                    groups[i].append(b)
                    groups[j].append(a)
                    section[a], section[b] = j, i
                    improved = True
        if not improved:
            break


def _rebuild(pb: Problem, rows, students, enrolments, offering) -> Problem:
    """A problem with the courses ``rows`` = ``(source course, name, teacher, ...)``, everything
    else (lectures, length, rooms, availability, departments, curricula, teachers' data, the
    time grid) taken from the source courses of ``pb``."""
    src = np.array([r[0] for r in rows], np.int64)
    names = [r[1] for r in rows]
    teachers = [r[2] for r in rows]
    taught = set(teachers)
    new_of_src: dict[int, list[str]] = {}
    for s, n in zip(src, names):
        new_of_src.setdefault(int(s), []).append(n)
    curricula = []
    for q in range(pb.n_curricula):
        members = pb.curriculum_courses[pb.curriculum_ptr[q]:pb.curriculum_ptr[q + 1]]
        curricula.append((pb.curriculum_names[q], list(dict.fromkeys(
            n for c in members for n in new_of_src.get(int(c), [])))))
    t_index = {t: i for i, t in enumerate(pb.teacher_names)}

    def teacher_pairs(matrix):
        return [(t, int(p)) for t in sorted(taught, key=lambda x: t_index.get(x, len(t_index)))
                if t in t_index for p in np.flatnonzero(matrix[t_index[t]])]

    dept = [pb.department_names[d] if d >= 0 else None for d in pb.course_department[src]]
    return Problem.create(
        name=pb.name, days=pb.days, periods_per_day=pb.periods_per_day,
        courses=names, course_teacher=teachers, course_lectures=pb.course_lectures[src].tolist(),
        course_min_days=pb.course_min_days[src].tolist(), course_students=list(students),
        rooms=list(pb.room_names), room_capacity=pb.room_capacity.tolist(), curricula=curricula,
        unavailable=[(names[i], int(p)) for i in range(len(src))
                     for p in np.flatnonzero(pb.course_unavailable[src[i]])],
        course_length=pb.course_length[src].tolist(),
        course_department=dept if pb.department_names else None,
        course_category=[CATEGORIES[k] for k in pb.course_category[src]],
        room_building=pb.room_building.tolist(),
        room_type=[pb.room_types[t] if t >= 0 else None for t in pb.room_type] if pb.room_types else None,
        suitable=pb.suitable[src],
        curriculum_max_per_day=pb.curriculum_max_per_day.tolist(),
        teacher_unavailable=teacher_pairs(pb.teacher_unavailable),
        teacher_undesired=teacher_pairs(pb.teacher_undesired),
        teacher_max_per_day={t: int(pb.teacher_max_per_day[t_index[t]]) for t in taught
                             if t in t_index and pb.teacher_max_per_day[t_index[t]]},
        period_penalty=pb.period_penalty.tolist(), period_labels=list(pb.period_labels),
        enrolments=enrolments, course_offering=offering,
    )


# ----------------------------------------------------------------------------- merge


def merge_sections(problem: Problem) -> tuple[Problem, dict[str, list[str]]]:
    """The offerings of a sectioned problem (its sections merged back), and the teaching teams.

    Each offering takes the data of its first section, its teacher, the summed students and the
    enrolments of all its sections; ``teams`` lists the distinct teachers of each split offering,
    so ``split_sections(merged, teams=teams)`` can spread them again.
    """
    pb = problem
    if not pb.course_offering:
        return pb, {}
    rows, index, students = [], {}, []
    teams: dict[str, list[str]] = {}
    for c in range(pb.n_courses):
        o = pb.offering_of(c)
        t = pb.teacher_names[pb.course_teacher[c]]
        if o in index:
            students[index[o]] += int(pb.course_students[c])
            if t not in teams[o]:
                teams[o].append(t)
            continue
        index[o] = len(rows)
        rows.append((c, o, t))
        students.append(int(pb.course_students[c]))
        teams[o] = [t]
    enrolments = [(pb.student_names[s], list(dict.fromkeys(pb.offering_of(int(c)) for c in pb.student_course_ids(s))))
                  for s in range(pb.n_students)]
    merged = _rebuild(pb, rows, students, enrolments, None)
    return merged, {o: t for o, t in teams.items() if len(t) > 1}


# ----------------------------------------------------------------------------- after solving


def reassign_sections(problem: Problem, timetable: Timetable, *, rounds: int = 3) -> tuple[Problem, dict]:
    """Move students between sections of the same offering to lower their clashes in ``timetable``.

    Section sizes never change (students swap places; a section with fewer enrolled students than
    its size takes one more), so rooms and the timetable stay valid. Each accepted move lowers
    the moved students' own clashes, hence ``StudentClashes`` never rises.

    Returns
    -------
    (Problem, dict)
        The problem with the new enrolments (same courses and lectures), and ``moved`` (students
        moved), ``clashes_before``/``clashes_after`` (``StudentClashes`` units).
    """
    from .cost import evaluate

    pb = problem
    timetable.check_shape(pb)
    before = int(evaluate(pb, timetable).units[K.STUDENT_CLASHES]) if pb.n_enrolments else 0
    if not pb.course_offering or pb.n_enrolments == 0:
        return pb, {"moved": 0, "clashes_before": before, "clashes_after": before}
    P, ppd = pb.n_periods, pb.periods_per_day
    cover = np.zeros((pb.n_courses, P), np.int64)
    for l in range(pb.n_lectures):
        p, r = int(timetable.period[l]), int(timetable.room[l])
        if p < 0 or r < 0:
            continue
        c = int(pb.lecture_course[l])
        end = min(p + int(pb.course_length[c]), (p // ppd + 1) * ppd)
        cover[c, p:end] = 1  # a second lecture of a course in the same period is not taught
    courses_of = [list(map(int, pb.student_course_ids(s))) for s in range(pb.n_students)]
    groups: dict[str, list[int]] = {}
    for c in range(pb.n_courses):
        groups.setdefault(pb.offering_of(c), []).append(c)
    sectioned = [cs for cs in groups.values() if len(cs) > 1]
    c_ptr, c_idx = pb.course_student_csr
    moved: set[int] = set()

    def cost(s, c, secs):
        # clashes of student s in each section of ``secs`` given their other courses
        load = cover[[o for o in courses_of[s] if o != c]].sum(axis=0) if len(courses_of[s]) > 1 else np.zeros(P)
        return cover[secs] @ load

    for _ in range(rounds):
        improved = False
        for secs in sectioned:
            secs = np.array(secs)
            where = {}
            for j, c in enumerate(secs):
                for s in c_idx[c_ptr[c]:c_ptr[c + 1]]:
                    where[int(s)] = j
            # the offering's students (fixed) and their current sections (moves change them)
            members = list(where)
            for s in members:
                where[s] = next(j for j, c in enumerate(secs) if c in courses_of[s])
            count = np.bincount([where[s] for s in members], minlength=len(secs))
            spare = pb.course_students[secs] - count
            costs = {s: cost(s, int(secs[where[s]]), secs) for s in members}
            by_section = [[s for s in members if where[s] == j] for j in range(len(secs))]
            for s in members:
                i = where[s]
                cs = costs[s]
                if cs[i] == 0:
                    continue
                for j in np.argsort(cs, kind="stable"):
                    if cs[j] >= cs[i]:
                        break
                    if spare[j] > 0:
                        partner = None
                    else:
                        gains = [(cs[i] + costs[t][j] - cs[j] - costs[t][i], t) for t in by_section[j]]
                        gain, partner = max(gains) if gains else (0, None)
                        if gain <= 0:
                            continue
                    _move(s, int(secs[i]), int(secs[j]), courses_of)
                    by_section[i].remove(s)
                    by_section[j].append(s)
                    where[s] = j
                    moved.add(s)
                    if partner is None:
                        spare[j] -= 1
                        spare[i] += 1
                    else:
                        _move(partner, int(secs[j]), int(secs[i]), courses_of)
                        by_section[j].remove(partner)
                        by_section[i].append(partner)
                        where[partner] = i
                        moved.add(partner)
                    improved = True
                    break
        if not improved:
            break
    ptr = np.zeros(pb.n_students + 1, np.int64)
    ptr[1:] = np.cumsum([len(cs) for cs in courses_of])
    flat = np.array([c for cs in courses_of for c in sorted(cs)], np.int32)
    out = pb.replace(student_ptr=ptr.astype(np.int32), student_courses=flat)
    after = int(evaluate(out, timetable).units[K.STUDENT_CLASHES])
    return out, {"moved": len(moved), "clashes_before": before, "clashes_after": after}


def _move(s: int, old: int, new: int, courses_of) -> None:
    cs = courses_of[s]
    cs[cs.index(old)] = new
