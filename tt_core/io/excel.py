"""Excel export of a timetable: one weekly grid sheet per curriculum, teacher and room.

The workbook starts with an ``index`` sheet listing every grid sheet (with a link to it), what it
shows and its number of lectures; then one sheet per curriculum, teacher and room that has at least
one placed lecture (empty ones are left out), and an ``unplaced`` sheet when some lectures have no
period or room. A grid has the days as columns and the periods as rows; a cell reads
``course / room / teacher`` (one line per lecture when several share a period, which only a
timetable with conflicts does). A lecture of several periods fills its periods as one merged cell.

Day and period headings come from the time grid labels when they look like ``"Mon 09:00"``
(see :mod:`tt_core.io.ical`), else ``day 1`` … and ``period 1`` ….

Sheet titles are at most 31 characters without ``[]:*?/\\``; longer or clashing names are shortened
and numbered, and the index gives the full name. Text is written as text (a name starting with
``=`` stays a name, not a formula). The file is written atomically.

The helpers :func:`text_cell` and :func:`sheet_title` are shared with :mod:`tt_core.io.tables`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Sequence

from ..errors import TimetableError
from ..model import Problem, Timetable
from .atomic import save_atomic
from .ical import grid_times

__all__ = ["write_timetable_workbook", "text_cell", "sheet_title", "save_workbook", "VIEWS"]

VIEWS = ("curricula", "teachers", "rooms")
_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def text_cell(ws, row: int, column: int, value):
    """Write ``value`` to a cell; strings are stored as text, never as formulas."""
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def sheet_title(name: str, used: set[str]) -> str:
    """A valid, unused (case-insensitively) Excel sheet title for ``name``; adds it to ``used``."""
    base = _FORBIDDEN.sub("_", name).strip("'") or "sheet"
    title = base[:31]
    k = 2
    while title.lower() in used:
        suffix = f" ~{k}"
        title = base[:31 - len(suffix)] + suffix
        k += 1
    used.add(title.lower())
    return title


def save_workbook(wb, path: str | os.PathLike) -> Path:
    """Save an openpyxl workbook atomically (temporary file in the same folder, then rename)."""
    target = Path(path)
    if target.is_dir():
        raise TimetableError(f"{target} is a folder; give a file name ending in .xlsx")
    save_atomic(target, wb.save)
    return target


def write_timetable_workbook(problem: Problem, timetable: Timetable, path: str | os.PathLike, *,
                             views: Sequence[str] = VIEWS, teacher_full_names: Sequence[str] | None = None,
                             title: str | None = None) -> Path:
    """Write the timetable as a workbook of weekly grids.

    Parameters
    ----------
    problem : Problem
    timetable : Timetable
    path : str or os.PathLike
        The ``.xlsx`` file to (over)write; its folder must exist.
    views : sequence of str
        Which of ``"curricula"``, ``"teachers"``, ``"rooms"`` get sheets.
    teacher_full_names : sequence of str, optional
        Display names parallel to ``problem.teacher_names`` (shown in cells and titles).
    title : str, optional
        Heading of the index sheet (default the problem name).

    Returns
    -------
    Path

    Raises
    ------
    TimetableError
        Unknown view, a timetable that does not fit the problem, an unwritable path.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.hyperlink import Hyperlink

    bad = [v for v in views if v not in VIEWS]
    if bad or not views:
        raise TimetableError(f"unknown sheet view(s) {', '.join(map(repr, bad)) or 'none given'}; choose from "
                             f"{', '.join(VIEWS)}")
    if len(timetable.period) != problem.n_lectures:
        raise TimetableError(f"the timetable has {len(timetable.period)} lectures but {problem.name} has "
                             f"{problem.n_lectures}")
    if teacher_full_names is not None and len(teacher_full_names) != problem.n_teachers:
        raise TimetableError(f"{len(teacher_full_names)} teacher names for {problem.n_teachers} teachers")
    D, S, P = problem.days, problem.periods_per_day, problem.n_periods
    try:
        grid = grid_times(problem)
        day_heads = [grid.day_name(d) for d in range(D)]
        slot_heads = [grid.clock(s) for s in range(S)] if grid.from_labels else [f"period {s + 1}" for s in range(S)]
        if grid.from_labels and any(grid.clock(d * S + s) != slot_heads[s] for d in range(D) for s in range(S)):
            slot_heads = [f"period {s + 1}" for s in range(S)]
        if not grid.from_labels:
            day_heads = [f"day {d + 1}" for d in range(D)]
    except TimetableError:  # more than 7 days: no weekday names
        day_heads = [f"day {d + 1}" for d in range(D)]
        slot_heads = [f"period {s + 1}" for s in range(S)]
    full = list(teacher_full_names) if teacher_full_names else [""] * problem.n_teachers
    teacher_label = [f or t for t, f in zip(problem.teacher_names, full)]
    lecture_course = problem.lecture_course
    c_ptr, c_idx = problem.course_curricula

    placed, unplaced = [], []
    for l in range(problem.n_lectures):
        p, r = int(timetable.period[l]), int(timetable.room[l])
        (placed if 0 <= p < P and 0 <= r < problem.n_rooms else unplaced).append(l)
    groups: dict[str, dict[int, list[int]]] = {v: {} for v in views}
    for l in placed:
        c = int(lecture_course[l])
        if "curricula" in groups:
            for q in c_idx[c_ptr[c]:c_ptr[c + 1]]:
                groups["curricula"].setdefault(int(q), []).append(l)
        if "teachers" in groups:
            groups["teachers"].setdefault(int(problem.course_teacher[c]), []).append(l)
        if "rooms" in groups:
            groups["rooms"].setdefault(int(timetable.room[l]), []).append(l)

    def text(l: int) -> str:
        c = int(lecture_course[l])
        return (f"{problem.course_names[c]} / {problem.room_names[int(timetable.room[l])]} / "
                f"{teacher_label[int(problem.course_teacher[c])]}")

    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDE4EE")
    wrap = Alignment(wrap_text=True, vertical="top")
    wb = Workbook()
    index = wb.active
    index.title = "index"
    used = {"index", "unplaced"}
    text_cell(index, 1, 1, title or problem.name).font = Font(bold=True, size=14)
    for j, h in enumerate(("sheet", "shows", "name", "lectures"), start=1):
        text_cell(index, 3, j, h).font = bold
    row_i = 4
    kinds = {"curricula": ("curriculum", problem.curriculum_names),
             "teachers": ("teacher", problem.teacher_names), "rooms": ("room", problem.room_names)}
    for view in views:
        kind, names = kinds[view]
        for i in sorted(groups[view]):
            display = teacher_label[i] if view == "teachers" else names[i]
            ws = wb.create_sheet(sheet_title(f"{kind} {display}", used))
            heading = f"{kind} {display}" + (f" ({names[i]})" if view == "teachers" and display != names[i] else "")
            text_cell(ws, 1, 1, heading).font = Font(bold=True, size=12)
            for d, h in enumerate(day_heads):
                cell = text_cell(ws, 2, d + 2, h)
                cell.font, cell.fill = bold, head_fill
            for s, h in enumerate(slot_heads):
                cell = text_cell(ws, s + 3, 1, h)
                cell.font, cell.fill = bold, head_fill
            cells: dict[tuple[int, int], list[int]] = {}
            for l in groups[view][i]:
                p = int(timetable.period[l])
                d, s = divmod(p, S)
                for k in range(int(problem.course_length[lecture_course[l]])):
                    if s + k < S:
                        cells.setdefault((d, s + k), []).append(l)
            done: set[tuple[int, int]] = set()
            for (d, s), ls in sorted(cells.items()):
                if (d, s) in done:
                    continue
                cell = text_cell(ws, s + 3, d + 2, "\n".join(text(l) for l in ls))
                cell.alignment = wrap
                if len(ls) == 1:  # merge the periods of a multi-period lecture that has them alone
                    l = ls[0]
                    if int(timetable.period[l]) == d * S + s:
                        span = 1
                        while (s + span < S and cells.get((d, s + span)) == [l]
                               and span < int(problem.course_length[lecture_course[l]])):
                            span += 1
                        if span > 1:
                            ws.merge_cells(start_row=s + 3, start_column=d + 2, end_row=s + 2 + span,
                                           end_column=d + 2)
                            done.update((d, s + k) for k in range(span))
            ws.column_dimensions["A"].width = 12
            for d in range(D):
                ws.column_dimensions[get_column_letter(d + 2)].width = 34
            ws.freeze_panes = "B3"
            link = text_cell(index, row_i, 1, ws.title)
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{ws.title}'!A1")
            link.style = "Hyperlink"
            text_cell(index, row_i, 2, kind)
            text_cell(index, row_i, 3, names[i] if view != "teachers" else heading[len(kind) + 1:])
            index.cell(row=row_i, column=4, value=len(groups[view][i]))
            row_i += 1
    if unplaced:
        ws = wb.create_sheet("unplaced")
        for j, h in enumerate(("course", "lecture", "teacher"), start=1):
            text_cell(ws, 1, j, h).font = bold
        ptr = problem.course_lecture_ptr
        for k, l in enumerate(unplaced, start=2):
            c = int(lecture_course[l])
            text_cell(ws, k, 1, problem.course_names[c])
            ws.cell(row=k, column=2, value=int(l - ptr[c]) + 1)
            text_cell(ws, k, 3, teacher_label[int(problem.course_teacher[c])])
        link = text_cell(index, row_i, 1, "unplaced")
        link.hyperlink = Hyperlink(ref=link.coordinate, location="'unplaced'!A1")
        link.style = "Hyperlink"
        text_cell(index, row_i, 2, "lectures without a period or room")
        index.cell(row=row_i, column=4, value=len(unplaced))
    for col, width in zip("ABCD", (34, 12, 40, 10)):
        index.column_dimensions[col].width = width
    return save_workbook(wb, path)
