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
from collections.abc import Sequence
from pathlib import Path

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
    from openpyxl.styles import Font

    bad = [v for v in views if v not in VIEWS]
    if bad or not views:
        raise TimetableError(f"unknown sheet view(s) {', '.join(map(repr, bad)) or 'none given'}; choose from "
                             f"{', '.join(VIEWS)}")
    if len(timetable.period) != problem.n_lectures:
        raise TimetableError(f"the timetable has {len(timetable.period)} lectures but {problem.name} has "
                             f"{problem.n_lectures}")
    if teacher_full_names is not None and len(teacher_full_names) != problem.n_teachers:
        raise TimetableError(f"{len(teacher_full_names)} teacher names for {problem.n_teachers} teachers")
    full = list(teacher_full_names) if teacher_full_names else [""] * problem.n_teachers
    sheets = _GridSheets(problem, timetable, [f or t for t, f in zip(problem.teacher_names, full)])
    placed, unplaced = sheets.split_placed()
    groups = _lectures_by_item(problem, timetable, placed, views)
    wb = Workbook()
    index = wb.active
    index.title = "index"
    used = {"index", "unplaced"}
    text_cell(index, 1, 1, title or problem.name).font = Font(bold=True, size=14)
    for j, h in enumerate(("sheet", "shows", "name", "lectures"), start=1):
        text_cell(index, 3, j, h).font = _bold()
    row_i = 4
    kinds = {"curricula": ("curriculum", problem.curriculum_names),
             "teachers": ("teacher", problem.teacher_names), "rooms": ("room", problem.room_names)}
    for view in views:
        kind, names = kinds[view]
        for i in sorted(groups[view]):
            display = sheets.teacher_label[i] if view == "teachers" else names[i]
            heading = f"{kind} {display}" + (f" ({names[i]})" if view == "teachers" and display != names[i] else "")
            ws = wb.create_sheet(sheet_title(f"{kind} {display}", used))
            sheets.fill_grid(ws, heading, groups[view][i])
            _index_row(index, row_i, ws.title, kind, names[i] if view != "teachers" else heading[len(kind) + 1:],
                       len(groups[view][i]))
            row_i += 1
    if unplaced:
        sheets.fill_unplaced(wb.create_sheet("unplaced"), unplaced)
        _index_row(index, row_i, "unplaced", "lectures without a period or room", None, len(unplaced))
    for col, width in zip("ABCD", (34, 12, 40, 10)):
        index.column_dimensions[col].width = width
    return save_workbook(wb, path)


def _bold():
    from openpyxl.styles import Font

    return Font(bold=True)


def _index_row(index, row: int, sheet: str, shows: str, name: str | None, lectures: int) -> None:
    """One row of the index sheet: a link to ``sheet``, what it shows, the item's name, its lectures."""
    from openpyxl.worksheet.hyperlink import Hyperlink

    link = text_cell(index, row, 1, sheet)
    link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{sheet}'!A1")
    link.style = "Hyperlink"
    text_cell(index, row, 2, shows)
    if name is not None:
        text_cell(index, row, 3, name)
    index.cell(row=row, column=4, value=lectures)


def _headings(problem: Problem) -> tuple[list[str], list[str]]:
    """Day and period headings: from the labels when they carry weekdays and one clock per period."""
    D, S = problem.days, problem.periods_per_day
    try:
        grid = grid_times(problem)
    except TimetableError:  # more than 7 days: no weekday names
        return [f"day {d + 1}" for d in range(D)], [f"period {s + 1}" for s in range(S)]
    if not grid.from_labels:
        return [f"day {d + 1}" for d in range(D)], [f"period {s + 1}" for s in range(S)]
    slot_heads = [grid.clock(s) for s in range(S)]
    if any(grid.clock(d * S + s) != slot_heads[s] for d in range(D) for s in range(S)):
        slot_heads = [f"period {s + 1}" for s in range(S)]
    return [grid.day_name(d) for d in range(D)], slot_heads


def _lectures_by_item(problem: Problem, timetable: Timetable, placed: list[int],
                      views: Sequence[str]) -> dict[str, dict[int, list[int]]]:
    c_ptr, c_idx = problem.course_curricula
    groups: dict[str, dict[int, list[int]]] = {v: {} for v in views}
    for l in placed:
        c = int(problem.lecture_course[l])
        if "curricula" in groups:
            for q in c_idx[c_ptr[c]:c_ptr[c + 1]]:
                groups["curricula"].setdefault(int(q), []).append(l)
        if "teachers" in groups:
            groups["teachers"].setdefault(int(problem.course_teacher[c]), []).append(l)
        if "rooms" in groups:
            groups["rooms"].setdefault(int(timetable.room[l]), []).append(l)
    return groups


class _GridSheets:
    """Writes the weekly grid sheets and the sheet of unplaced lectures."""

    def __init__(self, problem: Problem, timetable: Timetable, teacher_label: list[str]):
        self.problem, self.timetable, self.teacher_label = problem, timetable, teacher_label
        self.day_heads, self.slot_heads = _headings(problem)

    def split_placed(self) -> tuple[list[int], list[int]]:
        pb, tt = self.problem, self.timetable
        placed, unplaced = [], []
        for l in range(pb.n_lectures):
            p, r = int(tt.period[l]), int(tt.room[l])
            (placed if 0 <= p < pb.n_periods and 0 <= r < pb.n_rooms else unplaced).append(l)
        return placed, unplaced

    def text(self, l: int) -> str:
        pb = self.problem
        c = int(pb.lecture_course[l])
        return (f"{pb.course_names[c]} / {pb.room_names[int(self.timetable.room[l])]} / "
                f"{self.teacher_label[int(pb.course_teacher[c])]}")

    def fill_grid(self, ws, heading: str, lectures: list[int]) -> None:
        """Heading, day and period headings, one cell per occupied period (merged over a long lecture)."""
        from openpyxl.styles import Alignment, Font, PatternFill
        from openpyxl.utils import get_column_letter

        pb, S = self.problem, self.problem.periods_per_day
        bold, head_fill = Font(bold=True), PatternFill("solid", fgColor="DDE4EE")
        text_cell(ws, 1, 1, heading).font = Font(bold=True, size=12)
        for d, h in enumerate(self.day_heads):
            cell = text_cell(ws, 2, d + 2, h)
            cell.font, cell.fill = bold, head_fill
        for s, h in enumerate(self.slot_heads):
            cell = text_cell(ws, s + 3, 1, h)
            cell.font, cell.fill = bold, head_fill
        cells: dict[tuple[int, int], list[int]] = {}
        for l in lectures:
            d, s = divmod(int(self.timetable.period[l]), S)
            for k in range(int(pb.course_length[pb.lecture_course[l]])):
                if s + k < S:
                    cells.setdefault((d, s + k), []).append(l)
        wrap = Alignment(wrap_text=True, vertical="top")
        done: set[tuple[int, int]] = set()
        for (d, s), ls in sorted(cells.items()):
            if (d, s) in done:
                continue
            text_cell(ws, s + 3, d + 2, "\n".join(self.text(l) for l in ls)).alignment = wrap
            if len(ls) == 1:  # merge the periods of a multi-period lecture that has them alone
                done.update(self._merge(ws, cells, d, s, ls[0]))
        ws.column_dimensions["A"].width = 12
        for d in range(pb.days):
            ws.column_dimensions[get_column_letter(d + 2)].width = 34
        ws.freeze_panes = "B3"

    def _merge(self, ws, cells, d: int, s: int, l: int) -> list[tuple[int, int]]:
        pb, S = self.problem, self.problem.periods_per_day
        if int(self.timetable.period[l]) != d * S + s:
            return []
        length = int(pb.course_length[pb.lecture_course[l]])
        span = 1
        while s + span < S and cells.get((d, s + span)) == [l] and span < length:
            span += 1
        if span == 1:
            return []
        ws.merge_cells(start_row=s + 3, start_column=d + 2, end_row=s + 2 + span, end_column=d + 2)
        return [(d, s + k) for k in range(span)]

    def fill_unplaced(self, ws, unplaced: list[int]) -> None:
        pb = self.problem
        for j, h in enumerate(("course", "lecture", "teacher"), start=1):
            text_cell(ws, 1, j, h).font = _bold()
        ptr = pb.course_lecture_ptr
        for k, l in enumerate(unplaced, start=2):
            c = int(pb.lecture_course[l])
            text_cell(ws, k, 1, pb.course_names[c])
            ws.cell(row=k, column=2, value=int(l - ptr[c]) + 1)
            text_cell(ws, k, 3, self.teacher_label[int(pb.course_teacher[c])])
