"""The enrolments form's structure: every student's courses (cores, electives, open electives,
minors, skills), offerings split into sections, and the planting groups that keep a student's
courses apart."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .recipe import Recipe
from .structure import _Cohorts, _cohorts, _core_names, _lab_courses, _Structure, _teachers


@dataclass
class _Enrolled:
    """The students of the enrolments form: cohort and courses of each student, and the offering
    each course is a section of. ``_Structure.q_*``/``c_curricula`` then hold the *planting* groups
    (one per distinct course set of a student), not curricula of the problem."""

    cohort_names: list[str]
    cohort_programme: np.ndarray    # int32 [cohorts]
    cohort_year: np.ndarray         # int32 [cohorts]
    cohort_students: np.ndarray     # int64 [cohorts]
    student_cohort: np.ndarray      # int32 [S]
    student_courses: list[list[int]]
    c_offering: list[str]


@dataclass
class _Offerings:
    """Offerings before sectioning (enrolments form): one entry per offering, in course order."""

    names: list[str] = field(default_factory=list)
    dept: list[int] = field(default_factory=list)
    cat: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)      # C core, E departmental elective, X open elective, M minor, K skill
    takers: list[np.ndarray] = field(default_factory=list)

    def add(self, name: str, d: int, category: str, kind: str, who: np.ndarray) -> None:
        self.names.append(name)
        self.dept.append(d)
        self.cat.append(category)
        self.kind.append(kind)
        self.takers.append(who)


class _Takers:
    """Which students of which cohorts take an offering."""

    def __init__(self, q_students: np.ndarray, rng: np.random.Generator):
        self.first_student = np.concatenate([[0], np.cumsum(q_students)]).astype(np.int64)
        self.rng = rng

    def members_of(self, q: int) -> np.ndarray:
        return np.arange(self.first_student[q], self.first_student[q + 1])

    def take(self, cohorts, uptake: float) -> np.ndarray:
        """Students of ``cohorts`` taking an offering with the given uptake (at least a few)."""
        pool = np.concatenate([self.members_of(q) for q in cohorts])
        got = pool[self.rng.random(len(pool)) < uptake]
        if len(got) < min(5, len(pool)):
            got = np.sort(self.rng.choice(pool, min(5, len(pool)), replace=False))
        return got


def _enrolled_structure(r: Recipe, rng: np.random.Generator) -> tuple[_Structure, _Enrolled]:
    """Offerings and every student's enrolments, NEP-2020 style, then sections and planting groups.

    A student of a programme-year cohort takes the cohort's cores, some of the departmental
    electives offered to the cohort, and with some chance an open elective, a minor (a course of
    another department, from year 2) and a skill course (shared by year 1-2 cohorts of many
    departments), each with its own uptake. Offerings above ``section_size`` students are split
    into sections of similar students (by cohort, then by their other choices). Feasibility by
    construction then works as in the curricula form with one *planting group* per distinct set of
    a student's courses: the placer keeps every group's courses apart, so no student has a clash.
    """
    co = _cohorts(r, rng)
    takers = _Takers(co.q_students, rng)
    cohort_of = np.repeat(np.arange(len(co.q_names), dtype=np.int32), co.q_students)
    off = _departmental_offerings(r, co, takers, rng)
    off = _with_owned_offerings(r, co, off, _owned_offerings(r, co, takers, rng))
    candidates = np.flatnonzero(np.isin(off.kind, ["C", "E"]))  # labs among cores and departmental electives
    off_lab, off_length, off_lectures = _lab_courses(r, off.names, candidates, min(len(candidates), r.n_labs), rng)
    sec = _sections(r, off, off_lab, off_length, off_lectures, cohort_of, int(takers.first_student[-1]))
    members, NG = _planting_groups(sec["student_courses"], len(sec["names"]))
    c_dept_a = np.array(sec["dept"], np.int32)
    c_len_a = np.array(sec["length"], np.int32)
    c_lect_a = np.array(sec["lectures"], np.int32)
    c_teacher, t_dept = _teachers(r, c_dept_a, c_lect_a * c_len_a, rng)
    structure = _Structure(co.dept_names, co.dept_codes, co.prog_names, co.prog_dept,
                           [f"G{g + 1}" for g in range(NG)], np.zeros(NG, np.int32), np.zeros(NG, np.int32),
                           np.zeros(NG, np.int64), sec["names"], c_dept_a, sec["cat"], np.array(sec["lab"], np.bool_),
                           c_len_a, c_lect_a, np.array(sec["students"], np.int64),
                           [np.array(m, np.int32) for m in members], c_teacher, t_dept,
                           np.array(sec["priority"], np.int32))
    return structure, _Enrolled(co.q_names, co.q_prog, co.q_year, co.q_students, cohort_of, sec["student_courses"],
                                sec["offering"])


def _departmental_offerings(r: Recipe, co: _Cohorts, takers: _Takers, rng: np.random.Generator) -> _Offerings:
    """Each department's cores (a whole cohort each) and departmental electives (offered to some of
    its cohorts, taken by a share of their students)."""
    off = _Offerings()
    E = r.electives_per_department
    for d, code in enumerate(co.dept_codes):
        for name, q in _core_names(r, code, d):
            off.add(name, d, "core", "C", takers.members_of(q))
        offered: list[list[int]] = [[] for _ in range(E)]
        if E:
            for q in co.q_of_dept[d]:
                for e in rng.choice(E, r.electives_per_curriculum, replace=False):
                    offered[e].append(int(q))
            for e in range(E):
                if not offered[e]:
                    offered[e].append(int(co.q_of_dept[d][rng.integers(len(co.q_of_dept[d]))]))
        for e in range(E):
            off.add(f"{code}E{e + 1:02d}", d, "elective", "E", takers.take(offered[e], rng.uniform(*r.elective_uptake)))
    return off


def _owned_offerings(r: Recipe, co: _Cohorts, takers: _Takers, rng: np.random.Generator):
    """Open electives (one cohort in each of k departments), minors (year 2+ cohorts of other
    departments) and skill courses (every year 1-2 cohort of k departments): ``(owner, tag,
    category, takers)`` each."""
    D, q_of_dept, q_year = r.departments, co.q_of_dept, co.q_year
    owned: list[tuple[int, str, str, np.ndarray]] = []
    for _ in range(r.open_electives):
        k = int(rng.integers(r.open_departments[0], r.open_departments[1] + 1))
        depts = rng.choice(D, k, replace=False)
        cohorts = [int(q_of_dept[dd][rng.integers(len(q_of_dept[dd]))]) for dd in depts]
        owned.append((int(depts[0]), "X", "open", takers.take(cohorts, rng.uniform(*r.open_uptake))))
    for d in range(D):
        for _ in range(r.minors_per_department):
            k = int(rng.integers(r.minor_departments[0], r.minor_departments[1] + 1))
            others = rng.choice(np.delete(np.arange(D), d), k, replace=False)
            cohorts = []
            for dd in others:
                later = [int(q) for q in q_of_dept[dd] if q_year[q] >= 2]
                cohorts.append(later[rng.integers(len(later))])
            owned.append((d, "M", "elective", takers.take(cohorts, rng.uniform(*r.minor_uptake))))
    for _ in range(r.skill_courses):
        k = int(rng.integers(r.skill_departments[0], r.skill_departments[1] + 1))
        depts = rng.choice(D, k, replace=False)
        cohorts = [int(q) for dd in depts for q in q_of_dept[dd] if q_year[q] <= 2]
        owned.append((int(depts[0]), "K", "open", takers.take(cohorts, rng.uniform(*r.skill_uptake))))
    return owned


def _with_owned_offerings(r: Recipe, co: _Cohorts, off: _Offerings, owned) -> _Offerings:
    """All offerings in course order: each department's own, then the open electives, minors and
    skill courses it owns (numbered per department and kind)."""
    order = sorted(range(len(owned)), key=lambda i: (owned[i][0], "XMK".index(owned[i][1]), i))
    count: dict[tuple[int, str], int] = {}
    blocks: dict[int, list[tuple[str, str, str, np.ndarray]]] = {}
    for i in order:
        d, tag, category, who = owned[i]
        n = count[(d, tag)] = count.get((d, tag), 0) + 1
        blocks.setdefault(d, []).append((f"{co.dept_codes[d]}{tag}{n:02d}", tag, category, who))
    per_dept = r.programmes_per_department * r.years_per_programme * r.core_per_curriculum + r.electives_per_department
    out = _Offerings()
    for d in range(r.departments):
        for i in range(d * per_dept, (d + 1) * per_dept):
            out.add(off.names[i], off.dept[i], off.cat[i], off.kind[i], off.takers[i])
        for nm, tag, category, who in blocks.get(d, []):
            out.add(nm, d, category, tag, who)
    return out


def _sections(r: Recipe, off: _Offerings, off_lab, off_length, off_lectures, cohort_of: np.ndarray,
              S: int) -> dict[str, list]:
    """Offerings above ``section_size`` split into sections of similar students (cohort first, then
    the rest of their choices); the courses' columns and every student's courses."""
    chosen: list[list[int]] = [[] for _ in range(S)]
    for o, who in enumerate(off.takers):
        for st in who:
            chosen[int(st)].append(o)
    out: dict[str, list] = {k: [] for k in ("names", "dept", "cat", "lab", "length", "lectures", "students",
                                             "offering", "priority")}
    kind_rank = {"K": 0, "X": 1, "M": 2, "E": 3}
    student_courses: list[list[int]] = [[] for _ in range(S)]
    for o in range(len(off.names)):
        who = off.takers[o]
        size = r.section_size
        k = max(1, math.ceil(len(who) / size)) if size else 1
        if k > 1:
            who = sorted((int(x) for x in who), key=lambda st: (cohort_of[st], chosen[st], st))
        base, extra = divmod(len(who), k)
        at = 0
        for i in range(k):
            n = base + (1 if i < extra else 0)
            c = len(out["names"])
            for key, value in (("names", f"{off.names[o]}-S{i + 1}" if k > 1 else off.names[o]),
                               ("offering", off.names[o]), ("priority", kind_rank.get(off.kind[o], 4)),
                               ("dept", off.dept[o]), ("cat", off.cat[o]), ("lab", off_lab[o]),
                               ("length", int(off_length[o])), ("lectures", int(off_lectures[o])), ("students", n)):
                out[key].append(value)
            for st in who[at:at + n]:
                student_courses[int(st)].append(c)
            at += n
    out["student_courses"] = student_courses
    return out


def _planting_groups(student_courses: list[list[int]], C: int) -> tuple[list[list[int]], int]:
    """One planting group per distinct course set of a student (each student's courses sorted in
    place); the groups of each course and their number."""
    group_of: dict[tuple[int, ...], int] = {}
    for st in range(len(student_courses)):
        key = tuple(sorted(student_courses[st]))
        student_courses[st] = list(key)
        group_of.setdefault(key, len(group_of))
    members: list[list[int]] = [[] for _ in range(C)]
    for key, g in group_of.items():
        for c in key:
            members[c].append(g)
    return members, len(group_of)
