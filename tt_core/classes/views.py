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
    rows = []
    for m in week_meetings(problem, solution, view, key, week):
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
