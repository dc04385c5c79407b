"""Writing a problem as a bundle (a CSV folder or an ``.xlsx`` workbook) and a timetable as CSV.

What :func:`write_tables` writes, :func:`~tt_core.io.tables.read_tables` reads back to an identical
problem. Text that a spreadsheet would run as a formula — a cell starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return — stays text: a workbook stores it as a text cell, and a CSV file
gets one leading apostrophe (:func:`csv_cell`; the usual guard against CSV injection, CWE-1236),
which the CSV reader drops again.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from ...errors import TimetableError
from ...model import CATEGORIES, Problem, Timetable
from ..atomic import write_atomic
from .catalogue import CSV_FORMULA_START, ROOM_TYPE_SEPARATOR, TABLES

__all__ = ["write_tables", "write_assignments_csv", "csv_cell", "tables_of"]


def csv_cell(value):
    """``value`` as a CSV export writes it: ``None`` as empty, formula-like text behind an apostrophe.

    A text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return — after any
    apostrophes, so that the reader's rule (drop one apostrophe before those) gives every text back
    exactly — gets one more leading ``'``. Numbers are written as they are.
    """
    if value is None:
        return ""
    if isinstance(value, str) and value.lstrip("'").startswith(CSV_FORMULA_START):
        return "'" + value
    return value


def tables_of(problem: Problem, meta: dict | None, institution: str, term: str) -> dict[str, list[list]]:
    """The problem as ``{table: [header, row, ...]}`` in the layout :func:`read_tables` reads."""
    from ...store import (
        suitability_rules,  # the same rule the store uses to decide what to keep
    )

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
    out["buildings"] = [["name", "code"]] + [[b, None] for b in b_names]
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
    tables = tables_of(problem, meta, institution, term)
    if target.suffix.lower() == ".xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Font

        from ..excel import save_workbook, text_cell

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
                    writer.writerow([csv_cell(v) for v in row])
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
        cells = (problem.course_names[c], l - int(ptr[c]) + 1,
                 p // problem.periods_per_day if placed else "", p % problem.periods_per_day if placed else "",
                 problem.period_labels[p] if placed else "", problem.room_names[r] if placed else "",
                 problem.teacher_names[problem.course_teacher[c]],
                 "; ".join(problem.curriculum_names[q] for q in c_idx[c_ptr[c]:c_ptr[c + 1]]),
                 problem.department_names[d] if d >= 0 else "")
        writer.writerow([csv_cell(v) for v in cells])
    target = Path(path)
    write_atomic(target, buf.getvalue())
    return target
