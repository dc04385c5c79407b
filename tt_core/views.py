"""What a timetable looks like from one point of view: pure functions of a
:class:`~tt_core.model.Problem` and a :class:`~tt_core.model.Timetable`.

Day × period occupancy of the institution, a department, curriculum, teacher, room or student
(:func:`occupancy`), free teachers/rooms per period (:func:`free_resources`), weekly grids of
entries (:func:`weekly_entries`, :func:`weekly_grid`, :func:`grid_html`) and what a grid marks
(:func:`grid_marks`: unavailable periods, lectures in a hard conflict, pinned lectures; the
conflicts of one placement in words, :func:`placement_conflicts`), the lectures that moved
between two timetables (:func:`lecture_moves`) and one item's calendar (:func:`ical_for`). The
apps, the services, :mod:`tt_core.history` and :mod:`tt_core.substitution` draw on them; nothing
here reads the store.
"""

from __future__ import annotations

import html
import tempfile
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import TimetableError
from .model import Problem, Timetable

# What a heatmap or a weekly grid can be drawn for (a student: the courses they are enrolled in).
VIEWS = ("institution", "department", "curriculum", "teacher", "room", "student")


# ----------------------------------------------------------------------------- the time grid
def day_names(problem: Problem) -> list[str]:
    """A short label per day: the first word of the period labels when they share it per day
    (``"Mon 09:00"`` → ``"Mon"``), else ``"Day 1"`` …"""
    ppd = problem.periods_per_day
    names = []
    for d in range(problem.days):
        words = {lab.split(" ", 1)[0] for lab in problem.period_labels[d * ppd:(d + 1) * ppd]}
        first = problem.period_labels[d * ppd].split(" ", 1)
        names.append(first[0] if len(words) == 1 and len(first) == 2 else f"Day {d + 1}")
    if len(set(names)) != len(names):
        names = [f"Day {d + 1}" for d in range(problem.days)]
    return names


def slot_names(problem: Problem) -> list[str]:
    """A label per period of the day: the rest of the first day's labels (``"09:00"``) when the
    labels read ``"<day> <time>"``, else ``"P1"`` …"""
    ppd = problem.periods_per_day
    days = day_names(problem)
    out = []
    for s in range(ppd):
        lab = problem.period_labels[s]
        parts = lab.split(" ", 1)
        out.append(parts[1] if len(parts) == 2 and parts[0] == days[0] else f"P{s + 1}")
    if len(set(out)) != len(out):
        out = [f"P{s + 1}" for s in range(ppd)]
    return out


# ----------------------------------------------------------------------------- selections
def view_keys(problem: Problem, view: str) -> list[str]:
    """The items one can pick for ``view`` (department, curriculum, teacher, room or student names)."""
    if view == "institution":
        return []
    if view == "department":
        return list(problem.department_names)
    if view == "curriculum":
        return list(problem.curriculum_names)
    if view == "teacher":
        return list(problem.teacher_names)
    if view == "room":
        return list(problem.room_names)
    if view == "student":
        return list(problem.student_names)
    raise TimetableError(f"unknown view {view!r}; choose one of {', '.join(VIEWS)}")


def course_mask(problem: Problem, view: str, key: str | None) -> np.ndarray:
    """Courses shown by a view: all (institution, room), a department's, a curriculum's, a teacher's
    or a student's (their own week, from their enrolments)."""
    C = problem.n_courses
    if view in ("institution", "room"):
        return np.ones(C, bool)
    if key is None:
        raise TimetableError(f"pick a {view} to show")
    names = view_keys(problem, view)
    if key not in names:
        raise TimetableError(f"unknown {view} {key!r} in scenario {problem.name!r}")
    i = names.index(key)
    if view == "department":
        return problem.course_department == i
    if view == "teacher":
        return problem.course_teacher == i
    if view == "student":
        mask = np.zeros(C, bool)
        mask[problem.student_course_ids(i)] = True
        return mask
    mask = np.zeros(C, bool)
    mask[problem.curriculum_courses[problem.curriculum_ptr[i]:problem.curriculum_ptr[i + 1]]] = True
    return mask


def _placed(problem: Problem, timetable: Timetable, view: str, key: str | None):
    """(lecture ids, courses, start periods, rooms) of the placed lectures a view shows."""
    timetable.check_shape(problem)
    mask_c = course_mask(problem, view, key)
    lc = problem.lecture_course
    keep = (timetable.period >= 0) & (timetable.room >= 0) & mask_c[lc]
    if view == "room":
        if key is None:
            raise TimetableError("pick a room to show")
        if key not in problem.room_names:
            raise TimetableError(f"unknown room {key!r} in scenario {problem.name!r}")
        keep &= timetable.room == problem.room_index(key)
    ids = np.flatnonzero(keep)
    return ids, lc[ids], timetable.period[ids], timetable.room[ids]


def view_lectures(problem: Problem, timetable: Timetable, view: str, key: str | None) -> np.ndarray:
    """Lecture ids a view is about (to pick one to edit): the placed ones it shows, plus the
    unplaced lectures of its courses (a room view: only the lectures in that room)."""
    ids = _placed(problem, timetable, view, key)[0]
    if view == "room":
        return ids
    unplaced = (timetable.period < 0) | (timetable.room < 0)
    more = np.flatnonzero(unplaced & course_mask(problem, view, key)[problem.lecture_course])
    return np.union1d(ids, more)


# ----------------------------------------------------------------------------- occupancy
def occupancy(problem: Problem, timetable: Timetable, view: str = "institution",
              key: str | None = None) -> np.ndarray:
    """Lectures in progress per day and period (int [days, periods_per_day]) for one view.

    A lecture of length ``L`` counts in each of its ``L`` periods (clipped at the day's end).
    """
    ids, courses, starts, _ = _placed(problem, timetable, view, key)
    ppd = problem.periods_per_day
    grid = np.zeros(problem.n_periods, np.int64)
    for c, p in zip(courses, starts):
        d = p // ppd
        end = min(int(p) + int(problem.course_length[c]), (d + 1) * ppd)
        grid[p:end] += 1
    return grid.reshape(problem.days, ppd)


def occupancy_frame(problem: Problem, timetable: Timetable, view: str = "institution",
                    key: str | None = None) -> pd.DataFrame:
    """:func:`occupancy` as a long table ``day, period, lectures`` (labels, in grid order)."""
    grid = occupancy(problem, timetable, view, key)
    days, slots = day_names(problem), slot_names(problem)
    return pd.DataFrame({
        "day": [days[d] for d in range(problem.days) for _ in range(problem.periods_per_day)],
        "period": [slots[s] for _ in range(problem.days) for s in range(problem.periods_per_day)],
        "lectures": grid.ravel(),
    })


# ----------------------------------------------------------------------------- free resources
FREE_KINDS = ("teachers", "rooms", "curricula")


def free_resources(problem: Problem, timetable: Timetable, kind: str) -> tuple[np.ndarray, list[list[str]]]:
    """Who or what is free in each period: ``(counts int [days, periods_per_day], names per period)``.

    ``kind`` is ``"teachers"`` (available — not marked unavailable — and not teaching),
    ``"rooms"`` (no lecture in it) or ``"curricula"`` (none of its courses taught). Planners read
    it as "when can I put an extra lecture, a meeting, a make-up class?".
    A lecture of length ``L`` occupies each of its periods (clipped at the day's end).
    """
    if kind not in FREE_KINDS:
        raise TimetableError(f"unknown kind {kind!r}; one of {', '.join(FREE_KINDS)}")
    timetable.check_shape(problem)
    P, ppd = problem.n_periods, problem.periods_per_day
    taught = np.zeros((problem.n_courses, P), bool)    # course c in progress in period q
    used = np.zeros((problem.n_rooms, P), bool)
    for l in np.flatnonzero((timetable.period >= 0) & (timetable.room >= 0)):
        c, p, r = int(problem.lecture_course[l]), int(timetable.period[l]), int(timetable.room[l])
        end = min(p + int(problem.course_length[c]), (p // ppd + 1) * ppd)
        taught[c, p:end] = True
        used[r, p:end] = True
    if kind == "rooms":
        free, names = ~used, problem.room_names
    elif kind == "teachers":
        busy = np.zeros((problem.n_teachers, P), bool)
        np.logical_or.at(busy, problem.course_teacher, taught)
        free, names = ~busy & ~problem.teacher_unavailable, problem.teacher_names
    else:
        free = np.ones((problem.n_curricula, P), bool)
        for g in range(problem.n_curricula):
            members = problem.curriculum_courses[problem.curriculum_ptr[g]:problem.curriculum_ptr[g + 1]]
            free[g] = ~taught[members].any(axis=0)
        names = problem.curriculum_names
    who = [[names[i] for i in np.flatnonzero(free[:, q])] for q in range(P)]
    return free.sum(axis=0).reshape(problem.days, ppd), who


def free_resources_frame(problem: Problem, timetable: Timetable, kind: str, shown: int = 12) -> pd.DataFrame:
    """:func:`free_resources` as a long table ``day, period, free, total, names`` (grid order);
    ``names`` lists the first ``shown`` free ones (for a heatmap's hover)."""
    counts, who = free_resources(problem, timetable, kind)
    total = {"teachers": problem.n_teachers, "rooms": problem.n_rooms, "curricula": problem.n_curricula}[kind]
    days, slots = day_names(problem), slot_names(problem)
    ppd = problem.periods_per_day
    return pd.DataFrame({
        "day": [days[d] for d in range(problem.days) for _ in range(ppd)],
        "period": [slots[s] for _ in range(problem.days) for s in range(ppd)],
        "free": counts.ravel(),
        "total": total,
        "names": [", ".join(w[:shown]) + (f" … (+{len(w) - shown})" if len(w) > shown else "") for w in who],
    })


# ----------------------------------------------------------------------------- weekly grid
@dataclass(frozen=True)
class Entry:
    """One lecture in a weekly grid cell."""

    course: str
    room: str
    teacher: str
    day: int
    slot: int          # start slot
    length: int
    lecture: int

    @property
    def text(self) -> str:
        return f"{self.course} · {self.room} · {self.teacher}"


def weekly_entries(problem: Problem, timetable: Timetable, view: str, key: str | None,
                   teacher_labels: dict[str, str] | None = None) -> list[Entry]:
    """The lectures of one view, sorted by day, slot and course."""
    ids, courses, starts, rooms = _placed(problem, timetable, view, key)
    labels = teacher_labels or {}
    out = []
    for l, c, p, r in zip(ids, courses, starts, rooms):
        d, s = divmod(int(p), problem.periods_per_day)
        t = problem.teacher_names[problem.course_teacher[c]]
        out.append(Entry(problem.course_names[c], problem.room_names[r], labels.get(t, t), d, s,
                         int(problem.course_length[c]), int(l)))
    out.sort(key=lambda e: (e.day, e.slot, e.course, e.lecture))
    return out


def weekly_grid(problem: Problem, timetable: Timetable, view: str, key: str | None,
                teacher_labels: dict[str, str] | None = None, entries: list[Entry] | None = None) -> pd.DataFrame:
    """A period × day table of cell texts (``course · room · teacher``, one line per lecture).

    Multi-period lectures appear in every period they occupy (marked ``(cont.)`` after the first).
    ``entries`` replaces the view's :func:`weekly_entries` (e.g. one week with its substitutions,
    :func:`tt_core.substitution.overlay_entries`).
    """
    days, slots = day_names(problem), slot_names(problem)
    cells = [["" for _ in days] for _ in slots]
    for e in (entries if entries is not None else weekly_entries(problem, timetable, view, key, teacher_labels)):
        for k in range(e.length):
            s = e.slot + k
            if s >= problem.periods_per_day:
                break
            text = e.text if k == 0 else f"{e.text} (cont.)"
            cells[s][e.day] = text if not cells[s][e.day] else cells[s][e.day] + "\n" + text
    return pd.DataFrame(cells, index=pd.Index(slots, name="period"), columns=days)


# ----------------------------------------------------------------------------- grid marks
def _course_conflict_reason(problem: Problem, a: int, b: int) -> str:
    """Why courses ``a`` and ``b`` may not overlap, in words (they do conflict)."""
    t = int(problem.course_teacher[a])
    if t == int(problem.course_teacher[b]):
        return f"same teacher {problem.teacher_names[t]}"
    ptr, idx = problem.course_curricula
    shared = np.intersect1d(idx[ptr[a]:ptr[a + 1]], idx[ptr[b]:ptr[b + 1]])
    if len(shared):
        return f"same curriculum {problem.curriculum_names[int(shared[0])]}"
    cptr, cols = problem.conflict_csr
    row = cols[cptr[a]:cptr[a + 1]]
    hit = np.flatnonzero(row == b)
    students = int(problem.conflict_weights[1][cptr[a] + hit[0]]) if len(hit) else 0
    return f"{students} shared student{'s' if students != 1 else ''}"


def placement_conflicts(problem: Problem, timetable: Timetable, lecture: int, period: int | None = None,
                        room: int | None = None) -> list[str]:
    """The hard conflicts of ``lecture`` placed at ``(period, room)`` (default: where ``timetable``
    has it) against the other lectures of ``timetable``, in words naming the other course:
    ``"clashes with CS102 at Mon 09:00 (same teacher T0001)"``, ``"room R1 is taken by CS103 at
    Mon 09:00"``, an unavailable period, an unsuitable room, a lecture running past the end of the
    day. Empty when it has none (or is not placed). The editor's preview and the grid's marks say
    with it which lecture a cost change comes from.
    """
    l = int(lecture)
    c = int(problem.lecture_course[l])
    p = int(timetable.period[l] if period is None else period)
    r = int(timetable.room[l] if room is None else room)
    if p < 0 or r < 0:
        return []
    ppd, labels, name = problem.periods_per_day, problem.period_labels, problem.course_names[c]
    day_end = (p // ppd + 1) * ppd
    end = min(p + int(problem.course_length[c]), day_end)
    out = []
    if p + int(problem.course_length[c]) > day_end:
        out.append(f"runs {p + int(problem.course_length[c]) - day_end} period(s) past the end of the day")
    for q in range(p, end):
        if problem.unavailable[c, q]:
            t = int(problem.course_teacher[c])
            who = (f"teacher {problem.teacher_names[t]} is" if problem.teacher_unavailable[t, q]
                   and not problem.course_unavailable[c, q] else f"course {name} is")
            out.append(f"{who} unavailable at {labels[q]}")
    if not problem.suitable[c, r]:
        out.append(f"room {problem.room_names[r]} does not suit course {name}")
    # the other placed lectures overlapping [p, end): same room, same course, or a conflicting course
    start = timetable.period.astype(np.int64)
    others = problem.lecture_course
    length = problem.course_length[others].astype(np.int64)
    stop = np.minimum(start + length, (start // ppd + 1) * ppd)
    near = (start >= 0) & (timetable.room >= 0) & (start < end) & (stop > p)
    near[l] = False
    for o in np.flatnonzero(near):
        c2, at = int(others[o]), labels[max(p, int(start[o]))]
        if int(timetable.room[o]) == r:
            out.append(f"room {problem.room_names[r]} is taken by {problem.course_names[c2]} at {at}")
        if c2 == c:
            out.append(f"another lecture of {name} is at {at}")
        elif problem.conflict[c, c2]:
            out.append(f"clashes with {problem.course_names[c2]} at {at} ({_course_conflict_reason(problem, c, c2)})")
    return list(dict.fromkeys(out))


@dataclass(frozen=True)
class GridMarks:
    """What a weekly grid marks besides its lectures.

    Attributes
    ----------
    unavailable, undesired : numpy.ndarray
        bool [P]: periods shaded as unavailable (hard) or undesired (soft) for the item shown.
    why : dict
        period -> why it is shaded, in words (a cell's tooltip).
    conflicts : dict
        lecture id -> its hard conflicts (:func:`placement_conflicts`), for the lectures shown that have any.
    pinned : frozenset
        Lecture ids pinned for a re-solve.
    """

    unavailable: np.ndarray
    undesired: np.ndarray
    why: dict
    conflicts: dict
    pinned: frozenset = frozenset()


def grid_marks(problem: Problem, timetable: Timetable | None, view: str, key: str | None, *,
               course: int | None = None, lectures=None, pinned=()) -> GridMarks:
    """The marks of a weekly grid: the periods the shown teacher cannot (or would rather not) teach
    and those of ``course`` (the course of the lecture being edited, in any view: its own and its
    teacher's), the lectures among ``lectures`` (default: those the view shows) that are in a hard
    conflict, and the ``pinned`` lectures. ``why`` names every reason of a shaded period (the course's
    own unavailability, its teacher's). Rooms have no unavailable periods in the model."""
    P = problem.n_periods
    hard, soft, why = np.zeros(P, bool), np.zeros(P, bool), {}

    def shade(mask, text, undesired=False):
        for q in np.flatnonzero(mask):
            why.setdefault(int(q), {})[text] = None
        (soft if undesired else hard)[mask] = True

    teachers = [problem.teacher_names.index(key)] if view == "teacher" and key in problem.teacher_names else []
    if course is not None and 0 <= int(course) < problem.n_courses:
        c = int(course)
        shade(problem.course_unavailable[c], f"course {problem.course_names[c]} is unavailable")
        teachers.append(int(problem.course_teacher[c]))
    for t in dict.fromkeys(teachers):
        shade(problem.teacher_unavailable[t], f"teacher {problem.teacher_names[t]} is unavailable")
        shade(problem.teacher_undesired[t], f"teacher {problem.teacher_names[t]} would rather not teach", True)
    conflicts = {}
    if timetable is not None:
        shown = view_lectures(problem, timetable, view, key) if lectures is None else lectures
        for l in shown:
            found = placement_conflicts(problem, timetable, int(l))
            if found:
                conflicts[int(l)] = found
    return GridMarks(hard, soft & ~hard, {q: "; ".join(t) for q, t in why.items()}, conflicts,
                     frozenset(int(x) for x in pinned))


# ----------------------------------------------------------------------------- diff
def lecture_moves(problem: Problem, a: Timetable, b: Timetable,
                  teacher_labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Lectures placed differently in ``b`` than in ``a``, one row per moved lecture.

    Lectures of one course are interchangeable (a solver may renumber them), so placements are
    compared per course as multisets of ``(period, room)``: identical placements are not moves;
    the remaining ones are paired first by same period (a room change), then by same room (a time
    change), then in time order. Columns: course, teacher, change (``room``/``time``/``time+room``/
    ``placed``/``unplaced``), from, to.
    """
    a.check_shape(problem)
    b.check_shape(problem)
    days, slots = day_names(problem), slot_names(problem)
    labels = teacher_labels or {}

    def where(p, r):
        if p < 0 or r < 0:
            return "unplaced"
        d, s = divmod(int(p), problem.periods_per_day)
        return f"{days[d]} {slots[s]}, {problem.room_names[r]}"

    rows = []
    ptr = problem.course_lecture_ptr
    for c in range(problem.n_courses):
        sl = slice(int(ptr[c]), int(ptr[c + 1]))
        pa = sorted(zip(a.period[sl].tolist(), a.room[sl].tolist()))
        pb = sorted(zip(b.period[sl].tolist(), b.room[sl].tolist()))
        if pa == pb:
            continue
        rest_b = list(pb)
        only_a = []
        for x in pa:
            if x in rest_b:
                rest_b.remove(x)
            else:
                only_a.append(x)
        pairs = []
        for match in (lambda x, y: x[0] == y[0] and x[0] >= 0, lambda x, y: x[1] == y[1] and x[1] >= 0,
                      lambda x, y: True):
            for x in list(only_a):
                for y in rest_b:
                    if match(x, y):
                        pairs.append((x, y))
                        only_a.remove(x)
                        rest_b.remove(y)
                        break
        t = problem.teacher_names[problem.course_teacher[c]]
        for (p0, r0), (p1, r1) in sorted(pairs):
            if p0 < 0 or r0 < 0:
                change = "placed"
            elif p1 < 0 or r1 < 0:
                change = "unplaced"
            elif p0 == p1:
                change = "room"
            elif r0 == r1:
                change = "time"
            else:
                change = "time+room"
            rows.append({"course": problem.course_names[c], "teacher": labels.get(t, t), "change": change,
                         "from": where(p0, r0), "to": where(p1, r1)})
    return pd.DataFrame(rows, columns=["course", "teacher", "change", "from", "to"])


def view_title(view: str, key: str | None, teacher_labels: dict[str, str] | None = None) -> str:
    if view == "institution" or key is None:
        return "whole institution"
    if view == "teacher":
        return f"teacher {(teacher_labels or {}).get(key, key)}"
    return f"{view} {key}"


def lectures_of(problem: Problem, timetable: Timetable, view: str, key: str | None) -> Timetable:
    """The timetable with every lecture outside the view unplaced (for per-item exports)."""
    ids = _placed(problem, timetable, view, key)[0]
    out = Timetable.empty(problem)
    out.period[ids] = timetable.period[ids]
    out.room[ids] = timetable.room[ids]
    return out


def ical_for(problem: Problem, timetable: Timetable, view: str, key: str | None, *, start_date=None,
             weeks: int = 12, teacher_full_names=None, calendar_name: str | None = None) -> bytes:
    """The iCalendar file of one teacher, curriculum, room or student (see :func:`tt_core.io.ical.export_ical`)."""
    import datetime as dt

    from .io.ical import export_ical

    plural = {"teacher": "teachers", "curriculum": "curricula", "room": "rooms", "student": "students"}
    if view not in plural or key is None:
        raise TimetableError("a calendar is made for one teacher, curriculum, room or student; pick one first")
    if start_date is None:
        today = dt.date.today()
        start_date = today + dt.timedelta(days=(7 - today.weekday()) % 7)
    names = {"teacher": problem.teacher_names, "curriculum": problem.curriculum_names, "room": problem.room_names,
             "student": problem.student_names}
    index = list(names[view]).index(key) if key in names[view] else None
    if index is None:
        raise TimetableError(f"unknown {view} {key!r}")
    subset = lectures_of(problem, timetable, view, key)
    if not ((subset.period >= 0) & (subset.room >= 0)).any():
        raise TimetableError(f"{view_title(view, key)} has no lecture in this timetable; there is nothing to export")
    with tempfile.TemporaryDirectory(prefix="tt-ical-") as tmp:
        files = export_ical(problem, subset, tmp, start_date=start_date, weeks=weeks, views=(plural[view],),
                            teacher_full_names=teacher_full_names, calendar_name=calendar_name, items=[key])
        import icalendar

        word = {"teacher": "teacher", "curriculum": "curriculum", "room": "room", "student": "student"}[view]
        for f in files:
            data = f.read_bytes()
            name = str(icalendar.Calendar.from_ical(data).get("x-wr-calname", ""))
            shown = name.split(f": {word} ", 1)[-1]
            if shown == key or shown.endswith(f"({key})"):
                return data
    raise TimetableError(f"no calendar was written for {view_title(view, key)}")  # pragma: no cover


def grid_html(grid: pd.DataFrame) -> str:
    """A weekly grid (:func:`weekly_grid`) as an HTML table (text escaped, one line per lecture)."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in grid.columns)
    rows = []
    for period, row in grid.iterrows():
        cells = "".join(
            "<td>" + "<br>".join(f"<span class='tt-lecture'>{html.escape(x)}</span>" for x in str(v).split("\n") if x)
            + "</td>" for v in row)
        rows.append(f"<tr><th>{html.escape(str(period))}</th>{cells}</tr>")
    return (f"<table class='tt-grid'><thead><tr><th></th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


GRID_CSS = """
table.tt-grid { border-collapse: collapse; width: 100%; font-family: sans-serif; font-size: 13px; }
table.tt-grid th, table.tt-grid td { border: 1px solid #ccc; padding: 4px 6px; vertical-align: top; }
table.tt-grid thead th { background: #f0f3f7; }
table.tt-grid tbody th { background: #f7f7f7; white-space: nowrap; }
table.tt-grid .tt-lecture { display: block; background: #e6f0fb; border-radius: 3px; margin: 1px 0; padding: 1px 3px; }
"""


def grid_html_page(grid: pd.DataFrame, title: str) -> str:
    """A standalone HTML page of a weekly grid (the timetable app's HTML export)."""
    t = html.escape(title)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{t}</title><style>{GRID_CSS}</style>"
            f"</head><body><h2>{t}</h2>{grid_html(grid)}</body></html>")
