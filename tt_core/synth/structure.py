"""The curricula form's structure: departments, programmes, cohorts, courses, labs and curricula
(before any timetabling); teachers for the courses of either form."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .recipe import Recipe
from .vocabulary import _DEGREES, _QUALIFIERS, _SUBJECTS

# ----------------------------------------------------------------------------- structure


@dataclass
class _Structure:
    """Departments, programmes, curricula and courses before any timetabling (all int ids)."""

    dept_names: list[str]
    dept_codes: list[str]
    prog_names: list[str]
    prog_dept: np.ndarray
    q_names: list[str]
    q_prog: np.ndarray
    q_year: np.ndarray
    q_students: np.ndarray
    c_names: list[str]
    c_dept: np.ndarray
    c_cat: list[str]
    c_lab: np.ndarray
    c_length: np.ndarray
    c_lectures: np.ndarray      # requested lectures per week
    c_students: np.ndarray
    c_curricula: list[np.ndarray]
    c_teacher: np.ndarray       # teacher id, numbered by first appearance in course order
    t_dept: np.ndarray
    c_priority: np.ndarray | None = None  # placed first: lower values (enrolments form), else None


def _departments(n: int, rng: np.random.Generator) -> tuple[list[str], list[str]]:
    order = rng.permutation(len(_SUBJECTS))
    names, codes = [], []
    for i in range(n):
        q, s = divmod(i, len(_SUBJECTS))
        if q < len(_QUALIFIERS):
            subj, code = _SUBJECTS[order[s]]
            names.append(_QUALIFIERS[q][0] + subj)
            codes.append(_QUALIFIERS[q][1] + code)
        else:  # beyond 192 departments: plain numbered ones, still unique and ASCII
            names.append(f"Department {i + 1}")
            codes.append(f"D{i + 1:04d}")
    return names, codes


def _cohort_sizes(r: Recipe, rng: np.random.Generator) -> np.ndarray:
    """Students per curriculum (department-major, programme, year), summing exactly to ``r.students``.

    Programme popularity is log-normal; later years shrink by attrition (about 8% a year).
    Largest-remainder rounding keeps the total exact, with at least 5 students per cohort.
    """
    G, Y = r.departments * r.programmes_per_department, r.years_per_programme
    popularity = rng.lognormal(0.0, r.cohort_spread, G) if r.cohort_spread > 0 else np.ones(G)
    weight = (popularity[:, None] * 0.92 ** np.arange(Y)[None, :]).ravel()
    spare = r.students - 5 * weight.size
    share = weight / weight.sum() * spare
    sizes = np.floor(share).astype(np.int64)
    rest = spare - int(sizes.sum())
    # ties broken by index (stable argsort) so the result is deterministic
    sizes[np.argsort(-(share - sizes), kind="stable")[:rest]] += 1
    return sizes + 5


@dataclass
class _Cohorts:
    """Departments, programmes and programme-year cohorts (the curricula of the curricula form)."""

    dept_names: list[str]
    dept_codes: list[str]
    prog_names: list[str]
    prog_dept: np.ndarray
    q_names: list[str]
    q_prog: np.ndarray
    q_year: np.ndarray
    q_students: np.ndarray
    q_of_dept: list[np.ndarray]


def _cohorts(r: Recipe, rng: np.random.Generator) -> _Cohorts:
    D, G, Y = r.departments, r.programmes_per_department, r.years_per_programme
    dept_names, dept_codes = _departments(D, rng)
    prog_names = [f"{_DEGREES[g]} {dept_names[d]}" for d in range(D) for g in range(G)]
    prog_dept = np.repeat(np.arange(D, dtype=np.int32), G)
    q_names = [f"{dept_codes[d]}-{_DEGREES[g].upper()}-Y{y + 1}" for d in range(D) for g in range(G)
               for y in range(Y)]
    q_prog = np.repeat(np.arange(D * G, dtype=np.int32), Y)
    q_year = np.tile(np.arange(1, Y + 1, dtype=np.int32), D * G)
    q_students = _cohort_sizes(r, rng)
    q_of_dept = [np.arange(d * G * Y, (d + 1) * G * Y) for d in range(D)]
    return _Cohorts(dept_names, dept_codes, prog_names, prog_dept, q_names, q_prog, q_year, q_students, q_of_dept)


def _core_names(r: Recipe, code: str, d: int):
    """``(name, curriculum)`` of the core courses of department ``d``, programme by programme, year by year."""
    G, Y = r.programmes_per_department, r.years_per_programme
    for g in range(G):
        for y in range(Y):
            for k in range(r.core_per_curriculum):
                yield f"{code}{y + 1}{g}{k + 1:02d}", (d * G + g) * Y + y


def _lab_courses(r: Recipe, names: list[str], candidates: np.ndarray, n_labs: int, rng: np.random.Generator):
    """Mark ``n_labs`` of the ``candidates`` as labs (their names get an ``L``); returns the lab mask,
    lecture lengths and lectures per week (int64) of every course."""
    C = len(names)
    lab = np.zeros(C, np.bool_)
    lab[rng.choice(candidates, n_labs, replace=False)] = True
    for i in np.flatnonzero(lab):
        names[i] += "L"
    length = np.where(lab, rng.integers(r.lab_length[0], r.lab_length[1] + 1, C), 1)
    lectures = np.where(lab, rng.integers(r.lab_sessions[0], r.lab_sessions[1] + 1, C),
                        rng.integers(r.lectures[0], r.lectures[1] + 1, C))
    return lab, length, lectures


def _structure(r: Recipe, rng: np.random.Generator) -> _Structure:
    co = _cohorts(r, rng)
    elec_members = _elective_curricula(r, co.q_of_dept, rng)
    open_owner, open_members = _open_curricula(r, co.q_of_dept, len(co.q_names), rng)
    names, dept, cat, members = _curricula_courses(r, co.dept_codes, elec_members, open_owner, open_members)
    C = len(names)
    c_dept = np.array(dept, np.int32)
    is_open = np.array([k == "open" for k in cat])
    is_elec = np.array([k == "elective" for k in cat])
    c_lab, c_length, c_lectures = _lab_courses(r, names, np.flatnonzero(~is_open), r.n_labs, rng)
    c_length, c_lectures = c_length.astype(np.int32), c_lectures.astype(np.int32)

    # students: a core course has the whole cohort; an elective a random share of each member cohort
    uptake = np.zeros(C)
    uptake[is_elec] = rng.uniform(*r.elective_uptake, int(is_elec.sum()))
    uptake[is_open] = rng.uniform(*r.open_uptake, int(is_open.sum()))
    c_students = np.empty(C, np.int64)
    for i in range(C):
        cohort = int(co.q_students[members[i]].sum())
        c_students[i] = cohort if cat[i] == "core" else max(5, int(round(cohort * uptake[i])))

    c_teacher, t_dept = _teachers(r, c_dept, c_lectures * c_length, rng)
    return _Structure(co.dept_names, co.dept_codes, co.prog_names, co.prog_dept, co.q_names, co.q_prog, co.q_year,
                      co.q_students, names, c_dept, cat, c_lab, c_length, c_lectures, c_students, members, c_teacher,
                      t_dept)


def _elective_curricula(r: Recipe, q_of_dept: list[np.ndarray], rng: np.random.Generator) -> list[list[list[int]]]:
    """Departmental electives: every curriculum of the department is offered electives_per_curriculum
    of them; any elective left unchosen goes to the curriculum with the fewest so far."""
    E = r.electives_per_department
    elec_members: list[list[list[int]]] = [[[] for _ in range(E)] for _ in range(len(q_of_dept))]
    if not E:
        return elec_members
    for d, qs in enumerate(q_of_dept):
        for q in qs:
            for e in rng.choice(E, r.electives_per_curriculum, replace=False):
                elec_members[d][e].append(int(q))
        count = np.zeros(len(qs), np.int64)
        for e in range(E):
            for q in elec_members[d][e]:
                count[q - qs[0]] += 1
        for e in range(E):
            if not elec_members[d][e]:
                i = int(np.argmin(count))
                count[i] += 1
                elec_members[d][e].append(int(qs[i]))
    return elec_members


def _open_curricula(r: Recipe, q_of_dept: list[np.ndarray], Q: int, rng: np.random.Generator):
    """Open electives: k distinct departments each, one curriculum per department (the one holding
    the fewest open electives, so loads stay balanced); the first department owns the course."""
    open_count = np.zeros(Q, np.int64)
    open_members: list[list[int]] = []
    open_owner = np.zeros(r.open_electives, np.int64)
    for o in range(r.open_electives):
        k = int(rng.integers(r.open_departments[0], r.open_departments[1] + 1))
        depts = rng.choice(r.departments, k, replace=False)
        open_owner[o] = depts[0]
        qs = []
        for d in depts:
            cand = q_of_dept[d]
            c = cand[open_count[cand] == open_count[cand].min()]
            q = int(c[rng.integers(len(c))])
            open_count[q] += 1
            qs.append(q)
        open_members.append(sorted(qs))
    return open_owner, open_members


def _curricula_courses(r: Recipe, dept_codes: list[str], elec_members, open_owner, open_members):
    """Courses in department order: cores (programme, year), departmental electives, owned open ones;
    ``(names, departments, categories, curricula of each)``."""
    names: list[str] = []
    dept: list[int] = []
    cat: list[str] = []
    members: list[np.ndarray] = []

    def add(name: str, d: int, category: str, qs) -> None:
        names.append(name)
        dept.append(d)
        cat.append(category)
        members.append(np.array(qs, np.int32))

    for d, code in enumerate(dept_codes):
        for name, q in _core_names(r, code, d):
            add(name, d, "core", [q])
        for e in range(r.electives_per_department):
            add(f"{code}E{e + 1:02d}", d, "elective", sorted(elec_members[d][e]))
        for n_own, o in enumerate(np.flatnonzero(open_owner == d)):
            add(f"{code}X{n_own + 1:02d}", d, "open", open_members[o])
    return names, dept, cat, members


def _teachers(r: Recipe, c_dept: np.ndarray, load: np.ndarray, rng: np.random.Generator):
    """Teachers per department by best-fit packing of course loads into ``teacher_load`` periods.

    Best fit keeps teachers near a full load (typically 2-3 courses each), as in a real
    department, which also makes teacher conflicts matter. Ids are renumbered by first appearance
    in course order so they match the order :meth:`Problem.create` derives.
    """
    C = len(c_dept)
    raw = np.empty(C, np.int64)
    t_dept: list[int] = []
    for d in np.unique(c_dept):
        cs = np.flatnonzero(c_dept == d)
        cs = cs[rng.permutation(len(cs))]
        cs = cs[np.argsort(-load[cs], kind="stable")]
        first = len(t_dept)
        room_left: list[int] = []
        for c in cs:
            left = np.array(room_left, np.int64)
            fits = np.flatnonzero(left >= load[c])
            if len(fits):
                t = int(fits[np.argmin(left[fits])])
            else:
                t = len(room_left)
                room_left.append(r.teacher_load)
                t_dept.append(int(d))
            room_left[t] -= int(load[c])
            raw[c] = first + t
    _, first_seen = np.unique(raw, return_index=True)
    order = np.argsort(first_seen)          # old ids in order of first appearance
    new_id = np.empty(len(order), np.int64)
    new_id[order] = np.arange(len(order))
    return new_id[raw].astype(np.int32), np.array(t_dept, np.int32)[order]
