"""From raw tables to a :class:`~tt_core.model.Problem`: every value checked, every bad row reported.

:class:`BundleReader` takes the tables one concern at a time (layout, settings and time grid,
teachers and departments, rooms, courses, curricula, unavailability, course rooms, students) and
collects every problem — file or sheet, row, column, reason — before refusing, so a user fixes
their data in one round. Numbers are checked against the column's bound in
:mod:`tt_core.limits` (the message names the allowed range) before anything is allocated.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ... import limits
from ...model import CATEGORIES, Problem
from .catalogue import REQUIRED_TABLES, ROOM_TYPE_SEPARATOR, SETTINGS, TABLES
from .sources import Problems, RawTable, Row, norm

__all__ = ["TableBundle", "BundleReader"]

_DIGITS = re.compile(r"[+-]?[0-9]+")


@dataclass
class TableBundle:
    """What :func:`~tt_core.io.tables.read_tables` returns: the problem and the descriptive data it
    has no place for.

    Attributes
    ----------
    problem : Problem
    meta : dict
        In the form ``store.scenarios.import_problem`` takes (``building_names``,
        ``room_features``, ``teacher_full_names``, ``department_codes``, ``curriculum_programme``,
        ``curriculum_year``; with students ``student_programme``, ``student_year``,
        ``student_department``).
    institution, term : str
        From the settings table.
    """

    problem: Problem
    meta: dict = field(default_factory=dict)
    institution: str = ""
    term: str = ""


# ====================================================================================== one value


def _short(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def text_value(row: Row, col: str, problems: Problems, *, required: bool = False) -> str | None:
    """A text cell (``None`` when empty); longer than :data:`~tt_core.limits.MAX_TEXT_LENGTH` is refused."""
    v = row.values.get(col)
    if v is None:
        if required:
            problems.add(row, col, "missing value")
        return None
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    text = str(v)
    if len(text) > limits.MAX_TEXT_LENGTH:
        problems.add(row, col, f"a text of {len(text):,} characters; at most {limits.MAX_TEXT_LENGTH} characters "
                     "are allowed (tt_core.limits.MAX_TEXT_LENGTH)")
        return None
    return text


def _whole(v) -> tuple[int | None, str, str | None]:
    """``(number, shown, reason)``: the cell as a whole number, how to show it, and why it is not one.
    A number of more than 30 digits (beyond every bound) is not converted: ``number`` is then
    ``±10**31`` and ``shown`` the cell's start."""
    if isinstance(v, int):
        return v, str(v), None
    if isinstance(v, str) and _DIGITS.fullmatch(v):
        if len(v.lstrip("+-").lstrip("0")) > 30:
            return (-1 if v.startswith("-") else 1) * 10 ** 31, _short(v), None
        return int(v), str(int(v)), None
    try:
        f = v if isinstance(v, float) else float(str(v))
    except ValueError:
        return None, repr(v), "is not a number"
    if not np.isfinite(f) or not float(f).is_integer():
        return None, repr(v), "is not a whole number"
    return int(f), str(int(f)), None


def int_value(row: Row, col: str, problems: Problems, *, required: bool = False, default: int | None = None,
              minimum: int = 0, maximum: int | None = None, what: str | None = None,
              bound: str | None = None) -> int | None:
    """A whole-number cell within ``minimum .. maximum`` and the bound ``bound`` of
    :data:`tt_core.limits.BOUNDS`; ``default`` when empty, ``None`` (with the problem recorded)
    when wrong."""
    v = row.values.get(col)
    name = what or col.replace("_", " ")
    if v is None:
        if required:
            problems.add(row, col, "missing value")
        return default
    if isinstance(v, bool):
        problems.add(row, col, f"{name} {v!r} is not a number")
        return None
    n, shown, reason = _whole(v)
    if n is None:
        problems.add(row, col, f"{name} {shown} {reason}")
        return None
    b = limits.bound(bound) if bound else None
    if n < minimum:
        problems.add(row, col, f"{name} {shown} is below {minimum}")
        return None
    if b is not None and n > b.maximum and (maximum is None or b.maximum <= maximum):
        problems.add(row, col, f"{name} {shown} is above {b.maximum}; {b.range_text}")
        return None
    if maximum is not None and n > maximum:
        problems.add(row, col, f"{name} {shown} is above {maximum}")
        return None
    return n


# ====================================================================================== the bundle


class BundleReader:
    """Checks raw tables and builds the problem; one method per concern, run in order by :meth:`read`.

    Parameters
    ----------
    raw : dict of RawTable
        By table name, from :mod:`tt_core.io.tables.sources`.
    kind : str
        ``"file"`` (CSV) or ``"sheet"`` (workbook): how messages name a table.
    source : str
        The bundle's name in messages (a path or an upload's file name).
    stem : str
        The default instance name.
    problems : Problems
        Problems found while reading the files (kept, and reported with the rest).
    """

    def __init__(self, raw: dict[str, RawTable], kind: str, source: str, stem: str, problems: Problems):
        self.raw, self.kind, self.source, self.stem, self.problems = raw, kind, source, stem, problems
        self.title = f"cannot import {source}"

    def where_of(self, table: str) -> str:
        return f"{table}.csv" if self.kind == "file" else f"sheet {table}"

    def rows(self, table: str) -> list[Row]:
        return self.raw[table].rows if table in self.raw else []

    def text(self, row: Row, col: str, *, required: bool = False) -> str | None:
        return text_value(row, col, self.problems, required=required)

    def int(self, row: Row, col: str, **kw) -> int | None:
        return int_value(row, col, self.problems, **kw)

    # ------------------------------------------------------------------ the steps
    def read(self) -> TableBundle:
        self.check_layout()
        self.problems.raise_if_any(self.title)
        self.read_settings()
        self.read_time_grid()
        self.read_people()
        self.read_rooms()
        self.read_courses()
        self.check_unused()
        self.read_curricula()
        self.read_unavailability()
        self.read_course_rooms()
        self.read_students()
        self.read_enrolments()
        self.problems.raise_if_any(self.title)
        return self.bundle()

    def check_layout(self) -> None:
        """Required tables present; every column known, named once; required columns present."""
        for table in REQUIRED_TABLES:
            if table not in self.raw:
                self.problems.add(None, None, f"missing {self.kind} {table!r} (columns: "
                                  f"{', '.join(c for c, _ in TABLES[table])})", where=self.source)
        for table, raw in self.raw.items():
            known = [c for c, _ in TABLES[table]]
            for c in raw.header:
                if c == "":
                    self.problems.add(None, None, "a column without a name in the header row; name it or delete the "
                                      "column", where=raw.where)
                elif c not in known:
                    self.problems.add(None, c, f"unknown column; the columns of {table} are: {', '.join(known)}",
                                      where=raw.where)
            dup = sorted(c for c, n in Counter(raw.header).items() if n > 1 and c)
            if dup:
                self.problems.add(None, None, f"column(s) {', '.join(dup)} appear twice", where=raw.where)
            for c, req in TABLES[table]:
                if req and c not in raw.header:
                    self.problems.add(None, c, "missing column (it is required)", where=raw.where)

    def read_settings(self) -> None:
        self.settings: dict[str, Any] = {}
        for r in self.rows("settings"):
            key = self.text(r, "key", required=True)
            if key is None:
                continue
            k = norm(key)
            if k not in SETTINGS:
                self.problems.add(r, "key", f"unknown setting {key!r}; known: {', '.join(SETTINGS)}")
            elif k in self.settings:
                self.problems.add(r, "key", f"setting {k} given twice")
            elif k in ("days", "periods_per_day"):
                self.settings[k] = self.int(r, "value", required=True, minimum=1, what=k.replace("_", " "), bound=k)
            else:
                self.settings[k] = self.text(r, "value") or ""

    def read_time_grid(self) -> None:
        """The grid from ``time_grid`` (or the settings); refuses at once without a usable grid."""
        days, ppd = self.settings.get("days"), self.settings.get("periods_per_day")
        self.labels: list[str] | None = None
        self.penalty: list[int] | None = None
        cells = self._grid_cells()
        where = self.where_of("settings")
        if cells:
            where = self.raw["time_grid"].where
            gd, gs = max(d for d, _ in cells) + 1, max(s for _, s in cells) + 1
            if days is not None and days != gd:
                self.problems.add(None, None, f"settings say {days} days but the time grid has {gd}", where=where)
            if ppd is not None and ppd != gs:
                self.problems.add(None, None, f"settings say {ppd} periods per day but the time grid has {gs}",
                                  where=where)
            days, ppd = gd, gs
        if days is None or ppd is None:
            if not self.problems or "time_grid" not in self.raw:
                self.problems.add(None, None, "no time grid: give a time_grid table (day, period, label, penalty) or "
                                  "the settings days and periods_per_day", where=self.source)
        elif self._grid_fits(days, ppd, where):
            if cells:
                self._grid_rows(cells, days, ppd, where)
            self.days, self.ppd = days, ppd
            return
        self.problems.raise_if_any(self.title)  # without a grid no row can be checked

    def _grid_cells(self) -> dict[tuple[int, int], tuple[Row, str | None, int]]:
        cells: dict[tuple[int, int], tuple[Row, str | None, int]] = {}
        for r in self.rows("time_grid"):
            d = self.int(r, "day", required=True, maximum=limits.MAX_DAYS - 1)
            s = self.int(r, "period", required=True, maximum=limits.MAX_PERIODS_PER_DAY - 1)
            pen = self.int(r, "penalty", default=0, bound="penalty")
            label = self.text(r, "label")
            if d is None or s is None or pen is None:
                continue
            if (d, s) in cells:
                self.problems.add(r, "period", f"day {d} period {s} is listed twice (first in row "
                                  f"{cells[(d, s)][0].number})")
                continue
            cells[(d, s)] = (r, label, pen)
        return cells

    def _grid_fits(self, days: int, ppd: int, where: str) -> bool:
        if days * ppd > limits.MAX_PERIODS:
            self.problems.add(None, None, f"{days} days x {ppd} periods per day make {days * ppd} periods; "
                              f"{limits.bound('periods').range_text}", where=where)
            return False
        return True

    def _grid_rows(self, cells, gd: int, gs: int, where: str) -> None:
        missing = [(d, s) for d in range(gd) for s in range(gs) if (d, s) not in cells]
        if missing:
            shown = ", ".join(f"day {d} period {s}" for d, s in missing[:5]) + (" …" if len(missing) > 5 else "")
            self.problems.add(None, None, f"the time grid needs a row for every day and period; missing: {shown}",
                              where=where)
            return
        self.labels = [cells[(d, s)][1] or f"day {d} period {s}" for d in range(gd) for s in range(gs)]
        self.penalty = [cells[(d, s)][2] for d in range(gd) for s in range(gs)]

    def period_of(self, r: Row) -> int | None:
        d = self.int(r, "day", required=True, maximum=self.days - 1)
        s = self.int(r, "period", required=True, maximum=self.ppd - 1)
        return None if d is None or s is None else d * self.ppd + s

    def unique_names(self, table: str, limit: str | None = None) -> dict[str, Row]:
        """The rows of ``table`` by name; duplicates and more than the bound ``limit`` are refused."""
        seen: dict[str, Row] = {}
        for r in self.rows(table):
            n = self.text(r, "name", required=True)
            if n is None:
                continue
            if n in seen:
                self.problems.add(r, "name", f"duplicate name {n!r} (first in row {seen[n].number})")
                continue
            seen[n] = r
        if limit is not None and (why := limits.bound(limit).check(len(seen))):
            self.problems.add(None, None, f"{len(seen):,} {limit}: {why}", where=self.where_of(table))
        return seen

    def read_people(self) -> None:
        """Teachers, departments and buildings."""
        self.teachers = self.unique_names("teachers")
        self.t_max = {n: self.int(r, "max_per_day", default=0, bound="max_per_day") for n, r in self.teachers.items()}
        self.t_full = {n: self.text(r, "full_name") or "" for n, r in self.teachers.items()}
        self.departments = self.unique_names("departments")
        self.d_code = {n: self.text(r, "code") or "" for n, r in self.departments.items()}
        self.buildings = self.unique_names("buildings")
        self.building_index = {n: i for i, n in enumerate(self.buildings)}

    def read_rooms(self) -> None:
        self.rooms = self.unique_names("rooms", "rooms")
        self.room_capacity, self.room_type, self.room_building, self.room_features = [], [], [], []
        for r in self.rooms.values():
            self.room_capacity.append(self.int(r, "capacity", required=True, bound="capacity"))
            self.room_type.append(self.text(r, "type"))
            self.room_features.append(self.text(r, "features") or "")
            self.room_building.append(self._building_of(r))
        self.room_names = list(self.rooms)

    def _building_of(self, r: Row) -> int:
        b = self.text(r, "building")
        if b is None:
            return -1
        if b in self.building_index:
            return self.building_index[b]
        if "buildings" in self.raw:
            self.problems.add(r, "building", f"unknown building {b!r} (not in {self.where_of('buildings')})")
            return -1
        self.building_index[b] = len(self.building_index)  # numbered in order of first appearance
        return self.building_index[b]

    def read_courses(self) -> None:
        self.courses = self.unique_names("courses", "courses")
        self.c_teacher, self.c_lect, self.c_min, self.c_students, self.c_len = [], [], [], [], []
        self.c_dept, self.c_cat, self.c_types, self.c_offering = [], [], [], []
        for n, r in self.courses.items():
            t = self.text(r, "teacher", required=True)
            if t is not None and t not in self.teachers:
                self.problems.add(r, "teacher", f"unknown teacher {t!r} (not in {self.where_of('teachers')})")
            self.c_teacher.append(t)
            self.c_lect.append(self.int(r, "lectures", required=True, bound="lectures"))
            self.c_min.append(self.int(r, "min_days", required=True, what="minimum working days", bound="min_days"))
            self.c_students.append(self.int(r, "students", required=True, bound="students"))
            self.c_len.append(self.int(r, "length", default=1, minimum=1, maximum=self.ppd, what="lecture length",
                                       bound="length"))
            d = self.text(r, "department")
            if d is not None and "departments" in self.raw and d not in self.departments:
                self.problems.add(r, "department", f"unknown department {d!r} (not in {self.where_of('departments')})")
            self.c_dept.append(d)
            cat = (self.text(r, "category") or "core").lower()
            if cat not in CATEGORIES:
                self.problems.add(r, "category", f"category {cat!r} is not one of {', '.join(CATEGORIES)}")
            self.c_cat.append(cat)
            self.c_types.append(self._room_types(r))
            self.c_offering.append(self.text(r, "offering") or n)
        self.course_names = list(self.courses)
        self.course_pos = {c: i for i, c in enumerate(self.course_names)}
        total = sum(n for n in self.c_lect if n is not None)
        if total > limits.MAX_LECTURES:
            self.problems.add(None, None, f"the courses have {total:,} lectures in all; at most {limits.MAX_LECTURES:,}"
                              " are allowed (tt_core.limits.MAX_LECTURES)", where=self.where_of("courses"))

    def _room_types(self, r: Row) -> list[str] | None:
        spec = self.text(r, "room_types")
        if spec is None:
            return None
        known = {t for t in self.room_type if t}
        kinds = [k.strip() for k in spec.split(ROOM_TYPE_SEPARATOR)]
        for k in kinds:
            if not k:
                self.problems.add(r, "room_types", f"an empty room type in {spec!r}; separate types with "
                                  f"{ROOM_TYPE_SEPARATOR!r}")
            elif k not in known:
                self.problems.add(r, "room_types", f"unknown room type {k!r}; the rooms have types: "
                                  f"{', '.join(sorted(known)) or 'none'}")
        return kinds

    def check_unused(self) -> None:
        """Teachers without a course and departments without a course: refused, not dropped."""
        taught = set(self.c_teacher)
        for n, r in self.teachers.items():
            if n not in taught:
                self.problems.add(r, "name", f"teacher {n!r} teaches no course; give them a course or delete the row")
        used = set(self.c_dept)
        for n, r in self.departments.items():
            if n not in used:
                self.problems.add(r, "name", f"department {n!r} has no course; give it a course or delete the row")

    def read_curricula(self) -> None:
        self.curricula = self.unique_names("curricula", "curricula")
        self.q_prog = [self.text(r, "programme") for r in self.curricula.values()]
        self.q_year = [self.int(r, "year", minimum=1, bound="year") for r in self.curricula.values()]
        self.q_max = [self.int(r, "max_per_day", default=0, bound="max_per_day") for r in self.curricula.values()]
        self.members: dict[str, list[str]] = {q: [] for q in self.curricula}
        seen: dict[tuple[str, str], int] = {}
        for r in self.rows("curriculum_courses"):
            q = self.text(r, "curriculum", required=True)
            c = self.text(r, "course", required=True)
            ok = True
            if q is not None and q not in self.curricula:
                self.problems.add(r, "curriculum", f"curriculum {q!r} does not exist (not in "
                                  f"{self.where_of('curricula')})")
                ok = False
            if c is not None and c not in self.courses:
                self.problems.add(r, "course", f"unknown course {c!r} (not in {self.where_of('courses')})")
                ok = False
            if q is None or c is None or not ok:
                continue
            if (q, c) in seen:
                self.problems.add(r, "course", f"course {c!r} is listed twice for curriculum {q!r} (first in row "
                                  f"{seen[(q, c)]})")
                continue
            seen[(q, c)] = r.number
            self.members[q].append(c)

    def _pairs(self, table: str, col: str, known: dict[str, Row], known_table: str) -> list[tuple[str, int]]:
        out, seen = [], set()
        for r in self.rows(table):
            name = self.text(r, col, required=True)
            p = self.period_of(r)
            if name is not None and name not in known:
                self.problems.add(r, col, f"unknown {col} {name!r} (not in {self.where_of(known_table)})")
                continue
            if name is None or p is None or (name, p) in seen:
                continue
            seen.add((name, p))
            out.append((name, p))
        return out

    def read_unavailability(self) -> None:
        self.c_unav = self._pairs("unavailability", "course", self.courses, "courses")
        self.t_unav = self._pairs("teacher_unavailability", "teacher", self.teachers, "teachers")
        self.t_und = self._pairs("teacher_preferences", "teacher", self.teachers, "teachers")

    def read_course_rooms(self) -> None:
        self.explicit: dict[str, set[str]] = {}
        for r in self.rows("course_rooms"):
            c = self.text(r, "course", required=True)
            room = self.text(r, "room", required=True)
            if c is not None and c not in self.courses:
                self.problems.add(r, "course", f"unknown course {c!r} (not in {self.where_of('courses')})")
                continue
            if room is not None and room not in self.rooms:
                self.problems.add(r, "room", f"unknown room {room!r} (not in {self.where_of('rooms')})")
                continue
            if c is None or room is None:
                continue
            if self.c_types[self.course_pos[c]] is not None:
                self.problems.add(r, "course", f"course {c!r} has room_types in {self.where_of('courses')} and rooms "
                                  "here; use one or the other")
                continue
            self.explicit.setdefault(c, set()).add(room)

    def read_students(self) -> None:
        self.students = self.unique_names("students")
        self.s_prog = {n: self.text(r, "programme") for n, r in self.students.items()}
        self.s_year = {n: self.int(r, "year", minimum=1, bound="year") for n, r in self.students.items()}
        self.s_dept: dict[str, str | None] = {}
        for n, r in self.students.items():
            d = self.text(r, "department")
            if d is not None and "departments" in self.raw and d not in self.departments:
                self.problems.add(r, "department", f"unknown department {d!r} (not in {self.where_of('departments')})")
            self.s_dept[n] = d

    def read_enrolments(self) -> None:
        offering_of = dict(zip(self.course_names, self.c_offering))
        self.enrolled: dict[str, list[str]] = {n: [] for n in self.students}
        first_row: dict[tuple[str, str], int] = {}
        section_row: dict[tuple[str, str], tuple[str, int]] = {}
        for r in self.rows("enrolments"):
            who = self.text(r, "student", required=True)
            c = self.text(r, "course", required=True)
            if who is None or c is None:
                continue
            if c not in self.courses:
                self.problems.add(r, "course", f"unknown course {c!r} (not in {self.where_of('courses')})")
                continue
            if "students" in self.raw and who not in self.students:
                self.problems.add(r, "student", f"unknown student {who!r} (not in {self.where_of('students')}); add "
                                  "the student there or remove this row")
                continue
            if (who, c) in first_row:
                self.problems.add(r, "course", f"student {who!r} is enrolled in {c!r} twice (first in row "
                                  f"{first_row[(who, c)]})")
                continue
            first_row[(who, c)] = r.number
            o = offering_of[c]
            if (who, o) in section_row:
                other, number = section_row[(who, o)]
                self.problems.add(r, "course", f"student {who!r} is in two sections of offering {o!r} ({other} in row "
                                  f"{number} and {c}); a student attends one section")
                continue
            section_row[(who, o)] = (c, r.number)
            self.enrolled.setdefault(who, []).append(c)
        if len(self.enrolled) > limits.MAX_STUDENTS:
            self.problems.add(None, None, f"{len(self.enrolled):,} students; at most {limits.MAX_STUDENTS:,} are "
                              "allowed (tt_core.limits.MAX_STUDENTS)", where=self.where_of("enrolments"))

    # ------------------------------------------------------------------ the result
    def _suitable(self) -> np.ndarray:
        suitable = np.ones((len(self.course_names), len(self.room_names)), np.bool_)
        for i, c in enumerate(self.course_names):
            if c in self.explicit:
                suitable[i] = [r in self.explicit[c] for r in self.room_names]
            elif self.c_types[i] is not None:
                suitable[i] = [t in self.c_types[i] for t in self.room_type]
        return suitable

    def bundle(self) -> TableBundle:
        names = self.course_names
        problem = Problem.create(
            name=self.settings.get("name") or self.stem or "timetable", days=self.days, periods_per_day=self.ppd,
            courses=names, course_teacher=self.c_teacher, course_lectures=self.c_lect, course_min_days=self.c_min,
            course_students=self.c_students, rooms=self.room_names, room_capacity=self.room_capacity,
            curricula=[(q, self.members[q]) for q in self.curricula], unavailable=self.c_unav,
            course_length=self.c_len, course_department=self.c_dept, course_category=self.c_cat,
            room_building=self.room_building, room_type=self.room_type, suitable=self._suitable(),
            curriculum_max_per_day=self.q_max, teacher_unavailable=self.t_unav, teacher_undesired=self.t_und,
            teacher_max_per_day={t: m for t, m in self.t_max.items() if m}, period_penalty=self.penalty,
            period_labels=self.labels, enrolments=list(self.enrolled.items()),
            course_offering=self.c_offering if any(o != n for o, n in zip(self.c_offering, names)) else None)
        meta = {
            "building_names": list(self.building_index),
            "room_features": self.room_features,
            "teacher_full_names": [self.t_full[t] for t in problem.teacher_names],
            "department_codes": [self.d_code.get(d, "") for d in problem.department_names],
            "curriculum_programme": self.q_prog,
            "curriculum_year": self.q_year,
        }
        if self.enrolled:
            meta.update(student_programme=[self.s_prog.get(n) for n in self.enrolled],
                        student_year=[self.s_year.get(n) for n in self.enrolled],
                        student_department=[self.s_dept.get(n) for n in self.enrolled])
        return TableBundle(problem, meta, self.settings.get("institution", ""), self.settings.get("term", ""))
