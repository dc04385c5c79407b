"""What a class timetable looks like in one week: pure functions of a problem and a solution.

A class meets on the days and weeks of its time option, from ``start`` for ``length`` slots of five
minutes. A view shows the classes of one room, one course (all its configs and subparts) or one
student, in one week of the term, on a real clock (:func:`clock`), each with its length: the
timetable app draws them to scale, the notebooks tabulate them, iCal exports give each meeting its
date (:func:`meeting_dates`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .model import ClassProblem, ClassSolution

VIEWS = ("room", "course", "student")
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SLOT_MINUTES = 5  # the ITC2019 day has 288 slots of five minutes


def clock(slot: int) -> str:
    """``"HH:MM"`` of a slot of the day (slot 0 = midnight)."""
    minutes = int(slot) * SLOT_MINUTES
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def day_name(day: int) -> str:
    return DAY_NAMES[day] if day < len(DAY_NAMES) else f"Day {day + 1}"


@dataclass(frozen=True)
class Meeting:
    """One class on one day of one week."""

    klass: int
    day: int
    start: int     # slot of the day
    end: int       # slot after the last one
    room: int      # -1: the class needs no room (or has none yet)

    def label(self, problem: ClassProblem) -> str:
        course = problem.course_ids[int(problem.class_course[self.klass])]
        subpart = problem.subpart_ids[int(problem.class_subpart[self.klass])]
        return f"{course} · class {problem.class_ids[self.klass]} (subpart {subpart})"


def placement(problem: ClassProblem, solution: ClassSolution, c: int) -> tuple[int, int, int, int, int] | None:
    """``(days mask, start, end, weeks mask, room)`` of class ``c``; None when it has no time."""
    t = int(solution.time[c])
    if t < 0:
        return None
    i = int(problem.time_ptr[c]) + t
    o = int(solution.room[c])
    room = int(problem.room_option_room[int(problem.room_option_ptr[c]) + o]) if o >= 0 else -1
    start = int(problem.time_start[i])
    return int(problem.time_days[i]), start, start + int(problem.time_length[i]), int(problem.time_weeks[i]), room


def view_keys(problem: ClassProblem, view: str) -> list[str]:
    """The items a view can show: room, course or student ids."""
    if view == "room":
        return list(problem.room_ids)
    if view == "course":
        return list(problem.course_ids)
    if view == "student":
        return list(problem.student_ids)
    raise ValueError(f"view must be one of {', '.join(VIEWS)}, got {view!r}")


def classes_of(problem: ClassProblem, solution: ClassSolution, view: str, key: str) -> np.ndarray:
    """The classes a view of ``key`` shows (a room's: the classes placed in it)."""
    if view == "course":
        k = problem.index.course[key]
        return np.flatnonzero(problem.class_course == k)
    if view == "student":
        s = problem.index.student[key]
        return np.asarray(solution.student_classes[solution.student_ptr[s]:solution.student_ptr[s + 1]])
    if view == "room":
        r = problem.index.room[key]
        out = []
        for c in range(problem.n_classes):
            p = placement(problem, solution, c)
            if p is not None and p[4] == r:
                out.append(c)
        return np.asarray(out, np.int64)
    raise ValueError(f"view must be one of {', '.join(VIEWS)}, got {view!r}")


def weeks_used(problem: ClassProblem, solution: ClassSolution) -> list[int]:
    """The weeks (0-based) in which at least one class meets."""
    mask = 0
    for c in range(problem.n_classes):
        p = placement(problem, solution, c)
        if p is not None:
            mask |= p[3]
    return [w for w in range(problem.nr_weeks) if mask >> w & 1]


def week_meetings(problem: ClassProblem, solution: ClassSolution, view: str, key: str, week: int) -> list[Meeting]:
    """The meetings of a view in week ``week`` (0-based), by day and start."""
    out = []
    for c in classes_of(problem, solution, view, key):
        p = placement(problem, solution, int(c))
        if p is None or not p[3] >> week & 1:
            continue
        days, start, end, _weeks, room = p
        out += [Meeting(int(c), d, start, end, room) for d in range(problem.nr_days) if days >> d & 1]
    return sorted(out, key=lambda m: (m.day, m.start, m.klass))


def week_frame(problem: ClassProblem, solution: ClassSolution, view: str, key: str, week: int) -> pd.DataFrame:
    """The meetings of a view in one week as a table: day, from, to, minutes, course, class, subpart, room."""
    return meetings_frame(problem, week_meetings(problem, solution, view, key, week))


def meetings_frame(problem: ClassProblem, meetings: list[Meeting]) -> pd.DataFrame:
    """Meetings as a table: day, from, to, minutes, course, class, subpart, room."""
    rows = []
    for m in meetings:
        rows.append({"day": day_name(m.day), "from": clock(m.start), "to": clock(m.end),
                     "minutes": (m.end - m.start) * SLOT_MINUTES,
                     "course": problem.course_ids[int(problem.class_course[m.klass])],
                     "class": problem.class_ids[m.klass],
                     "subpart": problem.subpart_ids[int(problem.class_subpart[m.klass])],
                     "room": problem.room_ids[m.room] if m.room >= 0 else ""})
    return pd.DataFrame(rows, columns=["day", "from", "to", "minutes", "course", "class", "subpart", "room"])


def meeting_dates(problem: ClassProblem, solution: ClassSolution, c: int, first_monday: dt.date) -> list[dt.datetime]:
    """Every start (date and time) of class ``c`` over the term, week 1 beginning on ``first_monday``."""
    p = placement(problem, solution, c)
    if p is None:
        return []
    days, start, _end, weeks, _room = p
    out = []
    for w in range(problem.nr_weeks):
        if not weeks >> w & 1:
            continue
        for d in range(problem.nr_days):
            if days >> d & 1:
                day = first_monday + dt.timedelta(weeks=w, days=d)
                out.append(dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=start * SLOT_MINUTES))
    return out


# ----------------------------------------------------------------------------- words for placements
def weeks_text(mask: int, n_weeks: int) -> str:
    """``"weeks 1-13"``, ``"weeks 1, 3, 5"``, ``"every week"`` (1-based) of a weeks mask."""
    weeks = [w for w in range(n_weeks) if mask >> w & 1]
    if len(weeks) == n_weeks:
        return "every week"
    if not weeks:
        return "no week"
    out, start = [], None
    for i, w in enumerate(weeks):
        start = w if start is None else start
        if i + 1 == len(weeks) or weeks[i + 1] != w + 1:
            out.append(f"{start + 1}" if start == w else f"{start + 1}-{w + 1}")
            start = None
    return ("week " if len(weeks) == 1 else "weeks ") + ", ".join(out)


def days_text(mask: int, n_days: int) -> str:
    """``"Mon Wed Fri"`` of a days mask."""
    return " ".join(day_name(d) for d in range(n_days) if mask >> d & 1)


def placement_text(problem: ClassProblem, solution: ClassSolution, c: int) -> str:
    """Where and when class ``c`` meets, in words: ``"Mon Wed 08:30-09:45 every week, room R12"``."""
    p = placement(problem, solution, c)
    if p is None:
        return "no time"
    days, start, end, weeks, room = p
    where = f", room {problem.room_ids[room]}" if room >= 0 else (", no room" if problem.class_needs_room[c] else "")
    return (f"{days_text(days, problem.nr_days)} {clock(start)}-{clock(end)} "
            f"{weeks_text(weeks, problem.nr_weeks)}{where}")


# ----------------------------------------------------------------------------- two timetables compared
MOVED_COLUMNS = ("course", "class", "subpart", "change", "from", "to")


def moved_frame(problem: ClassProblem, a: ClassSolution, b: ClassSolution) -> pd.DataFrame:
    """The classes whose time or room differs from timetable ``a`` to ``b``: course, class,
    subpart, change (``time``, ``room`` or ``time and room``), from, to (in words)."""
    time_changed = np.asarray(a.time) != np.asarray(b.time)
    room_changed = np.zeros(problem.n_classes, bool)
    for c in range(problem.n_classes):  # the room itself, not the option index (options differ per class)
        pa, pb = placement(problem, a, c), placement(problem, b, c)
        room_changed[c] = (pa[4] if pa else -1) != (pb[4] if pb else -1)
    rows = []
    for c in np.flatnonzero(time_changed | room_changed):
        c = int(c)
        change = "time and room" if time_changed[c] and room_changed[c] else "time" if time_changed[c] else "room"
        rows.append({"course": problem.course_ids[int(problem.class_course[c])], "class": problem.class_ids[c],
                     "subpart": problem.subpart_ids[int(problem.class_subpart[c])], "change": change,
                     "from": placement_text(problem, a, c), "to": placement_text(problem, b, c)})
    return pd.DataFrame(rows, columns=list(MOVED_COLUMNS))


def components_frame(reports: dict[str, object]) -> pd.DataFrame:
    """The cost components of several evaluated timetables side by side.

    ``reports`` maps a column label (``"#3"``) to a :class:`~tt_core.classes.evaluator.ClassReport`.
    Rows: the four penalty sums (unweighted), each weighted, the weighted total, then the hard
    violations per kind and their sum; columns: ``component``, ``weight``, one per report.
    """
    from .evaluator import HARD_LABELS

    first = next(iter(reports.values()), None)
    weights = first.problem.weight if first is not None else {}
    rows = []
    for name in ("time", "room", "distribution", "student"):
        rows.append({"component": f"{name} penalty", "weight": weights.get(name),
                     **{k: int(r.units[name]) for k, r in reports.items()}})
    for name in ("time", "room", "distribution", "student"):
        rows.append({"component": f"{name} × weight", "weight": None,
                     **{k: int(r.weighted[name]) for k, r in reports.items()}})
    rows.append({"component": "weighted total", "weight": None, **{k: int(r.total) for k, r in reports.items()}})
    for name, label in HARD_LABELS.items():
        rows.append({"component": f"hard: {label}", "weight": None,
                     **{k: int(r.units[name]) for k, r in reports.items()}})
    rows.append({"component": "hard violations", "weight": None,
                 **{k: int(r.hard_violations) for k, r in reports.items()}})
    df = pd.DataFrame(rows, columns=["component", "weight", *reports])
    df["weight"] = df["weight"].astype("Int64")
    return df


def violations_frame(report) -> pd.DataFrame:
    """The hard violations of an evaluated timetable: kind, what (in words), classes, room, student."""
    from .evaluator import HARD_LABELS

    rows = [{"kind": HARD_LABELS.get(v.kind, v.kind), "what": v.text, "classes": " ".join(v.classes),
             "room": v.room or "", "student": v.student or ""} for v in report.violations()]
    return pd.DataFrame(rows, columns=["kind", "what", "classes", "room", "student"])


# ----------------------------------------------------------------------------- a week drawn to scale
def default_first_day(today: dt.date | None = None) -> dt.date:
    """The Monday on or after ``today``: the first day of week 1 when none is set."""
    today = today or dt.date.today()
    return today + dt.timedelta(days=(7 - today.weekday()) % 7)


def week_html(problem: ClassProblem, meetings: list[Meeting], *, first_day: dt.date | None = None,
              week: int | None = None, px_per_hour: int = 48) -> str:
    """A week as HTML: one column per day, each meeting an absolutely positioned block whose top and
    height are its start and length on the clock (a 50-minute class is 50/75 as tall as a
    75-minute one). Hours from the earliest start to the latest end of the week, whole hours.

    ``first_day`` and ``week`` (0-based) put each day's date in its heading. Every block carries
    ``data-class``, ``data-day``, ``data-start`` and ``data-end`` (clock times) for tests and
    scripts; text is escaped.
    """
    import html

    days = max(5, max((m.day + 1 for m in meetings), default=5))
    days = min(days, problem.nr_days) if problem.nr_days >= 5 else problem.nr_days
    if meetings:
        lo = min(m.start for m in meetings) * SLOT_MINUTES // 60
        hi = -(-max(m.end for m in meetings) * SLOT_MINUTES // 60)
    else:
        lo, hi = 8, 18
    hours = max(1, hi - lo)
    height = hours * px_per_hour

    def y(slot: int) -> float:
        return (slot * SLOT_MINUTES - lo * 60) * px_per_hour / 60

    # meetings of one day that overlap share the column side by side
    columns: dict[int, list[tuple[Meeting, int, int]]] = {d: [] for d in range(days)}
    for d in range(days):
        todays = [m for m in meetings if m.day == d]
        lanes: list[int] = []  # end slot of each lane
        placed = []
        for m in todays:
            lane = next((i for i, end in enumerate(lanes) if end <= m.start), None)
            if lane is None:
                lanes.append(m.end)
                lane = len(lanes) - 1
            else:
                lanes[lane] = m.end
            placed.append((m, lane))
        n = max(1, len(lanes))
        columns[d] = [(m, lane, n) for m, lane in placed]
    ruler = "".join(f'<div class="tt-cw-hour" style="top:{(h - lo) * px_per_hour}px">{h:02d}:00</div>'
                    for h in range(lo, hi + 1))
    lines = "".join(f'<div class="tt-cw-line" style="top:{(h - lo) * px_per_hour}px"></div>' for h in range(lo, hi + 1))
    cols = []
    for d in range(days):
        head = day_name(d)
        if first_day is not None and week is not None:
            head += f" {first_day + dt.timedelta(weeks=week, days=d):%d.%m.}"
        blocks = []
        for m, lane, n in columns[d]:
            c = m.klass
            course = problem.course_ids[int(problem.class_course[c])]
            subpart = problem.subpart_ids[int(problem.class_subpart[c])]
            room = problem.room_ids[m.room] if m.room >= 0 else ""
            title = f"{course} · class {problem.class_ids[c]} · subpart {subpart}"
            top, h = y(m.start), y(m.end) - y(m.start)
            blocks.append(
                f'<div class="tt-cw-block" data-class="{html.escape(problem.class_ids[c])}" data-day="{m.day}" '
                f'data-start="{clock(m.start)}" data-end="{clock(m.end)}" '
                f'title="{html.escape(title)} · {clock(m.start)}-{clock(m.end)} {html.escape(room)}" '
                f'style="top:{top:.1f}px;height:{h:.1f}px;left:{100 * lane / n:.2f}%;width:{100 / n:.2f}%">'
                f'<b>{clock(m.start)}-{clock(m.end)}</b> {html.escape(course)}<br>'
                f'class {html.escape(problem.class_ids[c])}{" · " + html.escape(room) if room else ""}</div>')
        cols.append(f'<div class="tt-cw-day"><div class="tt-cw-head">{html.escape(head)}</div>'
                    f'<div class="tt-cw-body" style="height:{height}px">{lines}{"".join(blocks)}</div></div>')
    style = ("<style>.tt-cw{display:flex;font:12px sans-serif}.tt-cw-ruler{position:relative;width:44px;"
             f"margin-top:22px;height:{height}px}}.tt-cw-hour{{position:absolute;right:4px;transform:translateY(-50%);"
             "color:#666}.tt-cw-day{flex:1;min-width:90px;border-left:1px solid #ccc}.tt-cw-head{height:22px;"
             "text-align:center;font-weight:bold}.tt-cw-body{position:relative}.tt-cw-line{position:absolute;"
             "left:0;right:0;border-top:1px solid #eee}.tt-cw-block{position:absolute;box-sizing:border-box;"
             "overflow:hidden;background:#dbe9f6;border:1px solid #4a7fb0;border-radius:3px;padding:1px 3px;"
             "font-size:11px;line-height:1.25}</style>")
    return (f'{style}<div class="tt-cw"><div class="tt-cw-ruler">{ruler}</div>{"".join(cols)}</div>')
