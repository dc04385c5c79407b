"""Timetabling data as a bundle of tables: a folder of CSV files or one Excel workbook.

Each table is a CSV file ``<table>.csv`` in the folder, or a sheet named ``<table>`` in the
workbook. The first row holds the column names (any case; spaces count as ``_``); every other
non-empty row is one record. Days, periods within a day and building numbers are 0-based, as in
ITC2007 files. Cells are trimmed of surrounding spaces.

===========================  =========  ==============================================================
table                        needed     columns (``*`` = required column)
===========================  =========  ==============================================================
settings                     optional   key*, value*; keys: ``name`` (instance name), ``institution``,
                                        ``term``, ``days``, ``periods_per_day``
time_grid                    see note   day*, period*, label, penalty (time-of-day penalty units, 0)
teachers                     required   name*, full_name, max_per_day (soft daily maximum, 0 = none)
departments                  optional   name*, code
courses                      required   name*, teacher*, lectures*, min_days*, students*, length (1),
                                        department, category (core/elective/open; core),
                                        room_types (room types it may use, separated by ``|``;
                                        empty = any room)
rooms                        required   name*, capacity*, type, building, features (free text)
buildings                    optional   name*, code (row order gives the building numbers)
curricula                    optional   name*, programme, year, max_per_day (0 = none)
curriculum_courses           optional   curriculum*, course* (row order is kept)
unavailability               optional   course*, day*, period*
teacher_unavailability       optional   teacher*, day*, period*
teacher_preferences          optional   teacher*, day*, period* (periods the teacher does not want)
course_rooms                 optional   course*, room* (the only rooms the course may use; instead
                                        of room_types)
students                     optional   name*, programme, year, department
enrolments                   optional   student*, course* (one row per course a student takes; a
                                        student not in ``students`` is added in order of appearance)
===========================  =========  ==============================================================

A course that is one section of a split offering names it in the ``offering`` column of
``courses`` (empty: the course is its own offering); a student takes at most one section of an
offering. Two courses sharing an enrolled student may not overlap (``StudentClashes``).

Note: the time grid comes from ``time_grid`` (one row for every day and period) or, without it, from
the ``days`` and ``periods_per_day`` settings (labels ``day d period s``, no penalties).

Every teacher and department row must be used (a teacher teaches a course, a department has one),
or the import says so: nothing is silently dropped. Without a ``buildings`` table, buildings are
numbered in order of first appearance in ``rooms``; a room without a building has none (-1).

:func:`read_tables` checks everything and reports *every* bad row at once — file or sheet, the row
number as the spreadsheet shows it, the column and the reason — in one
:class:`~tt_core.errors.ValidationError`; nothing is imported then. :func:`write_tables` writes a
problem in this form (a CSV folder, or a workbook when the path ends in ``.xlsx``) so that
:func:`read_tables` reads back an identical problem; :func:`write_assignments_csv` writes a
timetable as one CSV row per lecture.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ProblemFormatError, TimetableError, ValidationError
from ..model import CATEGORIES, Problem, Timetable

__all__ = ["read_tables", "write_tables", "write_assignments_csv", "TableBundle", "TABLES", "REQUIRED_TABLES",
           "ROOM_TYPE_SEPARATOR"]

ROOM_TYPE_SEPARATOR = "|"

# table -> ((column, required), ...)
TABLES: dict[str, tuple[tuple[str, bool], ...]] = {
    "settings": (("key", True), ("value", True)),
    "time_grid": (("day", True), ("period", True), ("label", False), ("penalty", False)),
    "teachers": (("name", True), ("full_name", False), ("max_per_day", False)),
    "departments": (("name", True), ("code", False)),
    "courses": (("name", True), ("teacher", True), ("lectures", True), ("min_days", True), ("students", True),
                ("length", False), ("department", False), ("category", False), ("room_types", False),
                ("offering", False)),
    "rooms": (("name", True), ("capacity", True), ("type", False), ("building", False), ("features", False)),
    "buildings": (("name", True), ("code", False)),
    "curricula": (("name", True), ("programme", False), ("year", False), ("max_per_day", False)),
    "curriculum_courses": (("curriculum", True), ("course", True)),
    "unavailability": (("course", True), ("day", True), ("period", True)),
    "teacher_unavailability": (("teacher", True), ("day", True), ("period", True)),
    "teacher_preferences": (("teacher", True), ("day", True), ("period", True)),
    "course_rooms": (("course", True), ("room", True)),
    "students": (("name", True), ("programme", False), ("year", False), ("department", False)),
    "enrolments": (("student", True), ("course", True)),
}
REQUIRED_TABLES = ("teachers", "courses", "rooms")
_SETTINGS = ("name", "institution", "term", "days", "periods_per_day")


@dataclass
class TableBundle:
    """What :func:`read_tables` returns: the problem and the descriptive data it has no place for.

    Attributes
    ----------
    problem : Problem
    meta : dict
        In the form :meth:`tt_core.store.Store.import_problem` takes (``building_names``,
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


@dataclass
class _Row:
    where: str          # "courses.csv" or "sheet courses"
    number: int         # as the user sees it
    values: dict[str, Any]


class _Errors:
    def __init__(self):
        self.items: list[str] = []

    def add(self, row: _Row | None, column: str | None, reason: str, where: str | None = None) -> None:
        place = where or (row.where if row else "")
        if row is not None:
            place += f", row {row.number}"
        if column:
            place += f", column {column}"
        self.items.append(f"{place}: {reason}")


# ====================================================================================== reading raw tables


def _norm(header) -> str:
    return str(header if header is not None else "").strip().lower().replace(" ", "_").replace("-", "_")


def _cell(value) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _read_csv_folder(folder: Path, errors: _Errors) -> dict[str, tuple[str, list[str], list[_Row]]]:
    out = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() != ".csv" or not path.is_file():
            continue
        table = _norm(path.stem)
        if table not in TABLES:
            errors.add(None, None, f"unknown table; the tables are: {', '.join(TABLES)} (rename or remove the file)",
                       where=path.name)
            continue
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            errors.add(None, None, f"not UTF-8 text ({exc.reason} at byte {exc.start}); save it as CSV UTF-8",
                       where=path.name)
            continue
        first = text.split("\n", 1)[0]
        delimiter = ";" if first.count(";") > first.count(",") else ","
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        header: list[str] | None = None
        rows: list[_Row] = []
        line = 1
        try:
            for record in reader:
                start, line = line, reader.line_num + 1
                if header is None:
                    header = [_norm(h) for h in record]
                    continue
                values = [_cell(v) for v in record]
                if all(v is None for v in values):
                    continue
                if len(values) > len(header) and any(v is not None for v in values[len(header):]):
                    errors.add(_Row(path.name, start, {}), None,
                               f"{len(values)} values for {len(header)} columns (a stray {delimiter!r}?)")
                    continue
                rows.append(_Row(path.name, start, dict(zip(header, values))))
        except csv.Error as exc:
            errors.add(None, None, f"line {reader.line_num}: {exc}", where=path.name)
            continue
        out[table] = (path.name, header or [], rows)
    return out


def _read_workbook(path: Path, errors: _Errors) -> dict[str, tuple[str, list[str], list[_Row]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise ProblemFormatError(f"not a readable Excel workbook (.xlsx): {exc}", path=str(path)) from None
    except Exception as exc:  # zipfile.BadZipFile and friends
        raise ProblemFormatError(f"not a readable Excel workbook (.xlsx): {type(exc).__name__}: {exc}",
                                 path=str(path)) from None
    out = {}
    try:
        for ws in wb.worksheets:
            table = _norm(ws.title)
            where = f"sheet {ws.title}"
            if table not in TABLES:
                errors.add(None, None, f"unknown table; the sheets are: {', '.join(TABLES)} (rename or delete it)",
                           where=where)
                continue
            header: list[str] | None = None
            rows = []
            for number, record in enumerate(ws.iter_rows(values_only=True), start=1):
                values = [_cell(v) for v in record]
                if header is None:
                    if all(v is None for v in values):
                        continue  # leading empty rows before the header
                    header = [_norm(h) for h in record]
                    while header and header[-1] == "":
                        header.pop()
                    continue
                if all(v is None for v in values):
                    continue
                if len(values) > len(header) and any(v is not None for v in values[len(header):]):
                    errors.add(_Row(where, number, {}), None, "a value right of the last named column; give that "
                               "column a name or delete the value")
                    continue
                rows.append(_Row(where, number, dict(zip(header, values))))
            out[table] = (where, header or [], rows)
    finally:
        wb.close()
    return out


# ====================================================================================== checking values


def _text(row: _Row, col: str, errors: _Errors, *, required: bool = False) -> str | None:
    v = row.values.get(col)
    if v is None:
        if required:
            errors.add(row, col, "missing value")
        return None
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    return str(v)


def _integer(row: _Row, col: str, errors: _Errors, *, required: bool = False, default: int | None = None,
             minimum: int | None = 0, maximum: int | None = None, what: str | None = None) -> int | None:
    v = row.values.get(col)
    name = what or col.replace("_", " ")
    if v is None:
        if required:
            errors.add(row, col, "missing value")
        return default
    if isinstance(v, bool):
        errors.add(row, col, f"{name} {v!r} is not a number")
        return None
    if isinstance(v, int):
        n = v
    else:
        try:
            f = float(str(v)) if not isinstance(v, float) else v
        except ValueError:
            errors.add(row, col, f"{name} {v!r} is not a number")
            return None
        if not np.isfinite(f) or not float(f).is_integer():
            errors.add(row, col, f"{name} {v!r} is not a whole number")
            return None
        n = int(f)
    if minimum is not None and n < minimum:
        errors.add(row, col, f"{name} {n} is below {minimum}")
        return None
    if maximum is not None and n > maximum:
        errors.add(row, col, f"{name} {n} is above {maximum}")
        return None
    return n


def read_tables(path: str | os.PathLike) -> TableBundle:
    """Read a CSV folder or an ``.xlsx`` workbook into a problem (see the module doc for the tables).

    Parameters
    ----------
    path : str or os.PathLike
        A folder of ``<table>.csv`` files, or an ``.xlsx`` workbook.

    Returns
    -------
    TableBundle

    Raises
    ------
    ValidationError
        Listing every bad row: missing table or column, unknown column, unknown teacher / course /
        room / curriculum / building / department / room type, a value that is not a number or out
        of range, duplicate names, unused teachers, an incomplete time grid.
    ProblemFormatError
        The path is neither a folder nor a readable workbook.
    """
    src = Path(path)
    errors = _Errors()
    if src.is_dir():
        raw = _read_csv_folder(src, errors)
        kind = "file"

        def where_of(table):
            return f"{table}.csv"
    elif src.suffix.lower() in (".xlsx", ".xlsm"):
        if not src.is_file():
            raise FileNotFoundError(2, "No such file or directory", str(src))
        raw = _read_workbook(src, errors)
        kind = "sheet"

        def where_of(table):
            return f"sheet {table}"
    elif not src.exists():
        raise FileNotFoundError(2, "No such file or directory", str(src))
    else:
        raise ProblemFormatError("expected a folder of CSV files or an .xlsx workbook", path=str(src))

    # -- table and column presence
    for table in REQUIRED_TABLES:
        if table not in raw:
            errors.add(None, None, f"missing {kind} {table!r} (columns: "
                       f"{', '.join(c for c, _ in TABLES[table])})", where=str(src))
    for table, (where, header, _rows) in raw.items():
        known = [c for c, _ in TABLES[table]]
        for c in header:
            if c == "":
                errors.add(None, None, "a column without a name in the header row; name it or delete the column",
                           where=where)
            elif c not in known:
                errors.add(None, c, f"unknown column; the columns of {table} are: {', '.join(known)}", where=where)
        if len(set(header)) != len(header):
            dup = sorted({c for c in header if header.count(c) > 1 and c})
            if dup:
                errors.add(None, None, f"column(s) {', '.join(dup)} appear twice", where=where)
        for c, req in TABLES[table]:
            if req and c not in header:
                errors.add(None, c, "missing column (it is required)", where=where)
    if errors.items:
        raise ValidationError(errors.items, title=f"cannot import {src}")

    def rows(table):
        return raw[table][2] if table in raw else []

    # -- settings
    settings: dict[str, Any] = {}
    for r in rows("settings"):
        key = _text(r, "key", errors, required=True)
        if key is None:
            continue
        k = _norm(key)
        if k not in _SETTINGS:
            errors.add(r, "key", f"unknown setting {key!r}; known: {', '.join(_SETTINGS)}")
        elif k in settings:
            errors.add(r, "key", f"setting {k} given twice")
        elif k in ("days", "periods_per_day"):
            settings[k] = _integer(r, "value", errors, required=True, minimum=1, what=k.replace("_", " "))
        else:
            settings[k] = _text(r, "value", errors) or ""

    # -- time grid
    grid_rows = rows("time_grid")
    days, ppd = settings.get("days"), settings.get("periods_per_day")
    labels: list[str] | None = None
    penalty: list[int] | None = None
    if grid_rows:
        cells: dict[tuple[int, int], tuple[_Row, str | None, int]] = {}
        for r in grid_rows:
            d = _integer(r, "day", errors, required=True)
            s = _integer(r, "period", errors, required=True)
            pen = _integer(r, "penalty", errors, default=0)
            label = _text(r, "label", errors)
            if d is None or s is None or pen is None:
                continue
            if (d, s) in cells:
                errors.add(r, "period", f"day {d} period {s} is listed twice (first in row {cells[(d, s)][0].number})")
                continue
            cells[(d, s)] = (r, label, pen)
        if cells:
            gd = max(d for d, _ in cells) + 1
            gs = max(s for _, s in cells) + 1
            where = raw["time_grid"][0]
            if days is not None and days != gd:
                errors.add(None, None, f"settings say {days} days but the time grid has {gd}", where=where)
            if ppd is not None and ppd != gs:
                errors.add(None, None, f"settings say {ppd} periods per day but the time grid has {gs}", where=where)
            days, ppd = gd, gs
            missing = [(d, s) for d in range(gd) for s in range(gs) if (d, s) not in cells]
            if missing:
                shown = ", ".join(f"day {d} period {s}" for d, s in missing[:5]) + (" …" if len(missing) > 5 else "")
                errors.add(None, None, f"the time grid needs a row for every day and period; missing: {shown}",
                           where=where)
            else:
                labels = [cells[(d, s)][1] or f"day {d} period {s}" for d in range(gd) for s in range(gs)]
                penalty = [cells[(d, s)][2] for d in range(gd) for s in range(gs)]
    if days is None or ppd is None:
        if not errors.items or "time_grid" not in raw:
            errors.add(None, None, "no time grid: give a time_grid table (day, period, label, penalty) or the "
                       "settings days and periods_per_day", where=str(src))
        raise ValidationError(errors.items, title=f"cannot import {src}")

    def period_of(r: _Row) -> int | None:
        d = _integer(r, "day", errors, required=True, maximum=days - 1)
        s = _integer(r, "period", errors, required=True, maximum=ppd - 1)
        return None if d is None or s is None else d * ppd + s

    def unique_names(table: str) -> dict[str, _Row]:
        seen: dict[str, _Row] = {}
        for r in rows(table):
            n = _text(r, "name", errors, required=True)
            if n is None:
                continue
            if n in seen:
                errors.add(r, "name", f"duplicate name {n!r} (first in row {seen[n].number})")
                continue
            seen[n] = r
        return seen

    # -- teachers, departments, buildings
    teachers = unique_names("teachers")
    t_max = {n: _integer(r, "max_per_day", errors, default=0) for n, r in teachers.items()}
    t_full = {n: _text(r, "full_name", errors) or "" for n, r in teachers.items()}
    dept_table = "departments" in raw
    departments = unique_names("departments")
    d_code = {n: _text(r, "code", errors) or "" for n, r in departments.items()}
    build_table = "buildings" in raw
    buildings = unique_names("buildings")
    building_index = {n: i for i, n in enumerate(buildings)}

    # -- rooms
    rooms = unique_names("rooms")
    room_capacity, room_type, room_building, room_features = [], [], [], []
    for n, r in rooms.items():
        room_capacity.append(_integer(r, "capacity", errors, required=True))
        room_type.append(_text(r, "type", errors))
        room_features.append(_text(r, "features", errors) or "")
        b = _text(r, "building", errors)
        if b is None:
            room_building.append(-1)
        elif b in building_index:
            room_building.append(building_index[b])
        elif build_table:
            errors.add(r, "building", f"unknown building {b!r} (not in {where_of('buildings')})")
            room_building.append(-1)
        else:
            building_index[b] = len(building_index)
            room_building.append(building_index[b])
    types_known = {t for t in room_type if t}
    room_names = list(rooms)

    # -- courses
    courses = unique_names("courses")
    c_teacher, c_lect, c_min, c_students, c_len, c_dept, c_cat, c_types = [], [], [], [], [], [], [], []
    c_offering: list[str] = []
    for n, r in courses.items():
        t = _text(r, "teacher", errors, required=True)
        if t is not None and t not in teachers:
            errors.add(r, "teacher", f"unknown teacher {t!r} (not in {where_of('teachers')})")
        c_teacher.append(t)
        c_lect.append(_integer(r, "lectures", errors, required=True))
        c_min.append(_integer(r, "min_days", errors, required=True, what="minimum working days"))
        c_students.append(_integer(r, "students", errors, required=True))
        c_len.append(_integer(r, "length", errors, default=1, minimum=1, maximum=ppd, what="lecture length"))
        d = _text(r, "department", errors)
        if d is not None and dept_table and d not in departments:
            errors.add(r, "department", f"unknown department {d!r} (not in {where_of('departments')})")
        c_dept.append(d)
        cat = (_text(r, "category", errors) or "core").lower()
        if cat not in CATEGORIES:
            errors.add(r, "category", f"category {cat!r} is not one of {', '.join(CATEGORIES)}")
        c_cat.append(cat)
        spec = _text(r, "room_types", errors)
        kinds = None
        if spec is not None:
            kinds = [k.strip() for k in spec.split(ROOM_TYPE_SEPARATOR)]
            for k in kinds:
                if not k:
                    errors.add(r, "room_types", f"an empty room type in {spec!r}; separate types with "
                               f"{ROOM_TYPE_SEPARATOR!r}")
                elif k not in types_known:
                    errors.add(r, "room_types", f"unknown room type {k!r}; the rooms have types: "
                               f"{', '.join(sorted(types_known)) or 'none'}")
        c_types.append(kinds)
        c_offering.append(_text(r, "offering", errors) or n)
    course_names = list(courses)

    # -- unused teachers / departments / buildings: refuse rather than drop silently
    taught = set(c_teacher)
    for n, r in teachers.items():
        if n not in taught:
            errors.add(r, "name", f"teacher {n!r} teaches no course; give them a course or delete the row")
    used_depts = set(c_dept)
    for n, r in departments.items():
        if n not in used_depts:
            errors.add(r, "name", f"department {n!r} has no course; give it a course or delete the row")

    # -- curricula
    curricula = unique_names("curricula")
    q_prog = [_text(r, "programme", errors) for r in curricula.values()]
    q_year = [_integer(r, "year", errors, minimum=1) for r in curricula.values()]
    q_max = [_integer(r, "max_per_day", errors, default=0) for r in curricula.values()]
    members: dict[str, list[str]] = {q: [] for q in curricula}
    seen_pairs: dict[tuple[str, str], int] = {}
    for r in rows("curriculum_courses"):
        q = _text(r, "curriculum", errors, required=True)
        c = _text(r, "course", errors, required=True)
        ok = True
        if q is not None and q not in curricula:
            errors.add(r, "curriculum", f"curriculum {q!r} does not exist (not in {where_of('curricula')})")
            ok = False
        if c is not None and c not in courses:
            errors.add(r, "course", f"unknown course {c!r} (not in {where_of('courses')})")
            ok = False
        if q is None or c is None or not ok:
            continue
        if (q, c) in seen_pairs:
            errors.add(r, "course", f"course {c!r} is listed twice for curriculum {q!r} (first in row "
                       f"{seen_pairs[(q, c)]})")
            continue
        seen_pairs[(q, c)] = r.number
        members[q].append(c)

    # -- unavailability and preferences
    def pairs(table: str, col: str, known: dict[str, _Row], known_table: str) -> list[tuple[str, int]]:
        out, seen = [], set()
        for r in rows(table):
            name = _text(r, col, errors, required=True)
            p = period_of(r)
            if name is not None and name not in known:
                errors.add(r, col, f"unknown {col} {name!r} (not in {where_of(known_table)})")
                continue
            if name is None or p is None or (name, p) in seen:
                continue
            seen.add((name, p))
            out.append((name, p))
        return out

    c_unav = pairs("unavailability", "course", courses, "courses")
    t_unav = pairs("teacher_unavailability", "teacher", teachers, "teachers")
    t_und = pairs("teacher_preferences", "teacher", teachers, "teachers")

    # -- explicit course rooms
    explicit: dict[str, set[str]] = {}
    for r in rows("course_rooms"):
        c = _text(r, "course", errors, required=True)
        room = _text(r, "room", errors, required=True)
        if c is not None and c not in courses:
            errors.add(r, "course", f"unknown course {c!r} (not in {where_of('courses')})")
            continue
        if room is not None and room not in rooms:
            errors.add(r, "room", f"unknown room {room!r} (not in {where_of('rooms')})")
            continue
        if c is None or room is None:
            continue
        if c_types[course_names.index(c)] is not None:
            errors.add(r, "course", f"course {c!r} has room_types in {where_of('courses')} and rooms here; "
                       "use one or the other")
            continue
        explicit.setdefault(c, set()).add(room)

    # -- students and enrolments
    students = unique_names("students")
    s_prog = {n: _text(r, "programme", errors) for n, r in students.items()}
    s_year = {n: _integer(r, "year", errors, minimum=1) for n, r in students.items()}
    s_dept: dict[str, str | None] = {}
    for n, r in students.items():
        d = _text(r, "department", errors)
        if d is not None and dept_table and d not in departments:
            errors.add(r, "department", f"unknown department {d!r} (not in {where_of('departments')})")
        s_dept[n] = d
    offering_of = dict(zip(course_names, c_offering))
    enrolled: dict[str, list[str]] = {n: [] for n in students}
    first_row: dict[tuple[str, str], int] = {}
    section_row: dict[tuple[str, str], tuple[str, int]] = {}
    for r in rows("enrolments"):
        who = _text(r, "student", errors, required=True)
        c = _text(r, "course", errors, required=True)
        if who is None or c is None:
            continue
        if c not in courses:
            errors.add(r, "course", f"unknown course {c!r} (not in {where_of('courses')})")
            continue
        if "students" in raw and who not in students:
            errors.add(r, "student", f"unknown student {who!r} (not in {where_of('students')}); add the student "
                       "there or remove this row")
            continue
        if (who, c) in first_row:
            errors.add(r, "course", f"student {who!r} is enrolled in {c!r} twice (first in row {first_row[(who, c)]})")
            continue
        first_row[(who, c)] = r.number
        o = offering_of[c]
        if (who, o) in section_row:
            other, number = section_row[(who, o)]
            errors.add(r, "course", f"student {who!r} is in two sections of offering {o!r} ({other} in row {number} "
                       f"and {c}); a student attends one section")
            continue
        section_row[(who, o)] = (c, r.number)
        enrolled.setdefault(who, []).append(c)

    if errors.items:
        raise ValidationError(errors.items, title=f"cannot import {src}")

    suitable = np.ones((len(course_names), len(room_names)), np.bool_)
    for i, c in enumerate(course_names):
        if c in explicit:
            suitable[i] = [r in explicit[c] for r in room_names]
        elif c_types[i] is not None:
            suitable[i] = [t in c_types[i] for t in room_type]
    # departments in the problem's order (first appearance among courses)
    problem = Problem.create(
        name=settings.get("name") or src.stem or "timetable",
        days=days, periods_per_day=ppd,
        courses=course_names, course_teacher=c_teacher, course_lectures=c_lect, course_min_days=c_min,
        course_students=c_students, rooms=room_names, room_capacity=room_capacity,
        curricula=[(q, members[q]) for q in curricula], unavailable=c_unav, course_length=c_len,
        course_department=c_dept, course_category=c_cat, room_building=room_building, room_type=room_type,
        suitable=suitable, curriculum_max_per_day=q_max, teacher_unavailable=t_unav, teacher_undesired=t_und,
        teacher_max_per_day={t: m for t, m in t_max.items() if m}, period_penalty=penalty, period_labels=labels,
        enrolments=list(enrolled.items()),
        course_offering=c_offering if any(o != n for o, n in zip(c_offering, course_names)) else None)
    meta = {
        "building_names": list(building_index),
        "room_features": room_features,
        "teacher_full_names": [t_full[t] for t in problem.teacher_names],
        "department_codes": [d_code.get(d, "") for d in problem.department_names],
        "curriculum_programme": q_prog,
        "curriculum_year": q_year,
    }
    if enrolled:
        meta.update(student_programme=[s_prog.get(n) for n in enrolled], student_year=[s_year.get(n) for n in enrolled],
                    student_department=[s_dept.get(n) for n in enrolled])
    return TableBundle(problem, meta, settings.get("institution", ""), settings.get("term", ""))


# ====================================================================================== writing


def _tables_of(problem: Problem, meta: dict | None, institution: str, term: str) -> dict[str, list[list]]:
    """The problem as ``{table: [header, row, ...]}`` in the layout :func:`read_tables` reads."""
    from ..store import suitability_rules  # the same rule the store uses to decide what to keep

    pb = problem
    meta = meta or {}
    S = pb.periods_per_day

    def listed(key, n, default):
        values = meta.get(key)
        return list(values) if values is not None and len(values) == n else [default] * n

    n_build = int(pb.room_building.max()) + 1 if pb.n_rooms else 0
    b_names = list(meta.get("building_names") or [])
    if len(b_names) < n_build:
        b_names = [f"building {b + 1}" for b in range(n_build)]
    full = listed("teacher_full_names", pb.n_teachers, "")
    codes = listed("department_codes", len(pb.department_names), "")
    features = listed("room_features", pb.n_rooms, "")
    programme = listed("curriculum_programme", pb.n_curricula, None)
    year = listed("curriculum_year", pb.n_curricula, None)
    s_prog = listed("student_programme", pb.n_students, None)
    s_year = listed("student_year", pb.n_students, None)
    s_dept = listed("student_department", pb.n_students, None)
    rules = suitability_rules(pb)
    writable_types = all(ROOM_TYPE_SEPARATOR not in t and t == t.strip() for t in pb.room_types)

    out: dict[str, list[list]] = {}
    out["settings"] = [["key", "value"], ["name", pb.name], ["institution", institution], ["term", term],
                       ["days", pb.days], ["periods_per_day", S]]
    out["time_grid"] = [["day", "period", "label", "penalty"]] + [
        [p // S, p % S, pb.period_labels[p], int(pb.period_penalty[p])] for p in range(pb.n_periods)]
    out["teachers"] = [["name", "full_name", "max_per_day"]] + [
        [t, full[i], int(pb.teacher_max_per_day[i])] for i, t in enumerate(pb.teacher_names)]
    out["departments"] = [["name", "code"]] + [[d, codes[i]] for i, d in enumerate(pb.department_names)]
    out["buildings"] = [["name"]] + [[b] for b in b_names]
    out["rooms"] = [["name", "capacity", "type", "building", "features"]] + [
        [r, int(pb.room_capacity[i]), pb.room_types[pb.room_type[i]] if pb.room_type[i] >= 0 else None,
         b_names[pb.room_building[i]] if pb.room_building[i] >= 0 else None, features[i]]
        for i, r in enumerate(pb.room_names)]
    course_rows, course_rooms = [], []
    for c, name in enumerate(pb.course_names):
        kinds, explicit = rules[c]
        if kinds is not None and not writable_types:
            kinds, explicit = None, tuple(int(r) for r in np.flatnonzero(pb.suitable[c]))
        if explicit is not None:
            course_rooms += [[name, pb.room_names[r]] for r in explicit]
        d = pb.course_department[c]
        course_rows.append([name, pb.teacher_names[pb.course_teacher[c]], int(pb.course_lectures[c]),
                            int(pb.course_min_days[c]), int(pb.course_students[c]), int(pb.course_length[c]),
                            pb.department_names[d] if d >= 0 else None, CATEGORIES[pb.course_category[c]],
                            f" {ROOM_TYPE_SEPARATOR} ".join(kinds) if kinds else None,
                            pb.offering_of(c) if pb.offering_of(c) != name else None])
    out["courses"] = [["name", "teacher", "lectures", "min_days", "students", "length", "department", "category",
                       "room_types", "offering"]] + course_rows
    out["curricula"] = [["name", "programme", "year", "max_per_day"]] + [
        [q, programme[i], year[i], int(pb.curriculum_max_per_day[i])] for i, q in enumerate(pb.curriculum_names)]
    out["curriculum_courses"] = [["curriculum", "course"]] + [
        [q, pb.course_names[c]] for i, q in enumerate(pb.curriculum_names)
        for c in pb.curriculum_courses[pb.curriculum_ptr[i]:pb.curriculum_ptr[i + 1]]]
    out["unavailability"] = [["course", "day", "period"]] + [
        [pb.course_names[c], p // S, p % S] for c, p in np.argwhere(pb.course_unavailable)]
    out["teacher_unavailability"] = [["teacher", "day", "period"]] + [
        [pb.teacher_names[t], p // S, p % S] for t, p in np.argwhere(pb.teacher_unavailable)]
    out["teacher_preferences"] = [["teacher", "day", "period"]] + [
        [pb.teacher_names[t], p // S, p % S] for t, p in np.argwhere(pb.teacher_undesired)]
    out["course_rooms"] = [["course", "room"]] + course_rooms
    out["students"] = [["name", "programme", "year", "department"]] + [
        [n, s_prog[i], s_year[i], s_dept[i]] for i, n in enumerate(pb.student_names)]
    out["enrolments"] = [["student", "course"]] + [
        [n, pb.course_names[c]] for i, n in enumerate(pb.student_names) for c in pb.student_course_ids(i)]
    return out


def write_tables(problem: Problem, path: str | os.PathLike, *, meta: dict | None = None, institution: str = "",
                 term: str = "") -> Path:
    """Write a problem as a CSV folder, or as a workbook when ``path`` ends in ``.xlsx``.

    Every table is written (empty ones with their header only, as a template). A folder may be new,
    empty, or hold only table files from an earlier export (they are replaced); files are written
    to a temporary folder first, so a failure leaves no half-written table behind.

    Parameters
    ----------
    problem : Problem
    path : str or os.PathLike
    meta : dict, optional
        Descriptive data as :class:`TableBundle.meta` (building names, features, full names…).
    institution, term : str
        Written to the settings table.

    Returns
    -------
    Path
    """
    target = Path(path)
    tables = _tables_of(problem, meta, institution, term)
    if target.suffix.lower() == ".xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Font

        from .excel import save_workbook, text_cell

        wb = Workbook()
        wb.remove(wb.active)
        for name, data in tables.items():
            ws = wb.create_sheet(name)
            for i, row in enumerate(data, start=1):
                for j, v in enumerate(row, start=1):
                    if v is not None:
                        cell = text_cell(ws, i, j, v)
                        if i == 1:
                            cell.font = Font(bold=True)
            ws.freeze_panes = "A2"
        return save_workbook(wb, target)
    if target.suffix.lower() in (".csv", ".xls", ".ods"):
        raise TimetableError(f"{target}: write the tables to a folder (a path without a suffix) or an .xlsx "
                             "workbook")
    return _write_csv_folder(target, tables)


def _write_csv_folder(target: Path, tables: dict[str, list[list]]) -> Path:
    if target.exists() and not target.is_dir():
        raise TimetableError(f"{target} is a file; give a folder for the CSV tables (or a name ending in .xlsx)")
    if not target.parent.is_dir():
        raise TimetableError(f"cannot write {target}: the folder {target.parent} does not exist; create it first")
    if target.is_dir():
        foreign = [p.name for p in target.iterdir() if not (p.suffix == ".csv" and p.stem in TABLES)]
        if foreign:
            raise TimetableError(f"{target} holds other files ({', '.join(sorted(foreign)[:5])}); export into a new "
                                 "or empty folder")
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        for name, data in tables.items():
            with open(tmp / f"{name}.csv", "w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh, lineterminator="\n")
                for row in data:
                    writer.writerow(["" if v is None else v for v in row])
        if not target.exists():
            os.chmod(tmp, 0o755)
            os.replace(tmp, target)
        else:
            for name in tables:
                os.replace(tmp / f"{name}.csv", target / f"{name}.csv")
            shutil.rmtree(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def write_assignments_csv(problem: Problem, timetable: Timetable, path: str | os.PathLike) -> Path:
    """Write a timetable as CSV: one row per lecture, unplaced ones with empty day, period and room.

    Columns: ``course, lecture`` (1-based within the course), ``day, period`` (0-based),
    ``label`` (the time grid's), ``room, teacher, curricula`` (separated by ``; ``), ``department``.
    """
    from .atomic import write_atomic

    if len(timetable.period) != problem.n_lectures:
        raise TimetableError(f"the timetable has {len(timetable.period)} lectures but {problem.name} has "
                             f"{problem.n_lectures}")
    c_ptr, c_idx = problem.course_curricula
    ptr = problem.course_lecture_ptr
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["course", "lecture", "day", "period", "label", "room", "teacher", "curricula", "department"])
    for l in range(problem.n_lectures):
        c = int(problem.lecture_course[l])
        p, r = int(timetable.period[l]), int(timetable.room[l])
        placed = 0 <= p < problem.n_periods and 0 <= r < problem.n_rooms
        d = problem.course_department[c]
        writer.writerow([problem.course_names[c], l - int(ptr[c]) + 1,
                         p // problem.periods_per_day if placed else "", p % problem.periods_per_day if placed else "",
                         problem.period_labels[p] if placed else "", problem.room_names[r] if placed else "",
                         problem.teacher_names[problem.course_teacher[c]],
                         "; ".join(problem.curriculum_names[q] for q in c_idx[c_ptr[c]:c_ptr[c + 1]]),
                         problem.department_names[d] if d >= 0 else ""])
    target = Path(path)
    write_atomic(target, buf.getvalue())
    return target
