"""Pre-solve checks: what in the data makes a timetable impossible or a cost unavoidable, found by
counting before any solver runs.

Planners otherwise learn that their data cannot work only after a long solve (FET users wait hours
on timetables impossible from the start). Each check compares what an item
needs with what the week offers it and says, in the planner's words, which data item to change:

* per course: its lectures against the periods it may use (course and teacher availability,
  lecture length, the end of the day) and whether any room suits it at all;
* per curriculum and per teacher: lecture periods required against the periods its courses can be
  taught in (a curriculum's or a teacher's lectures never overlap);
* per room family (the rooms the courses that can only use them share; Hall's condition, see
  :mod:`tt_core.facts`): lecture periods against the room-periods they offer, counted period by
  period (in a period the family holds at most as many lectures as it has rooms, and at most as
  many as there are of its courses that can be taught then);
* per course: students above the capacity of every room that suits it (each lecture then costs
  ``RoomCapacity``);
* soft limits that cannot all be met: a teacher's or a curriculum's daily maximum over the days of
  the week, a course's minimum working days over the days it can be taught.

An ``"error"`` finding proves that no timetable meets the hard constraints; a ``"warning"`` names a
soft cost every timetable pays (or a course without lectures, which is never taught).
:func:`course_entry_problems` gives the data editor the same words for a value it refuses.
:func:`loads` gives the whole picture behind them: required against available periods for every
curriculum, teacher and room family. Everything is numpy counting over a
:class:`~tt_core.model.Problem` (milliseconds on the demo university); the CP-SAT diagnosis
(:mod:`tt_core.solvers.cpsat.diagnosis`) uses the error checks as its first, counting pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import limits
from .facts import Instance, periods_text
from .model import Problem

SEVERITIES = ("error", "warning")
# the store entity (data-app table) holding each kind of item a finding names
TABLE_OF = {"course": "courses", "curriculum": "curricula", "teacher": "teachers", "room": "rooms"}


@dataclass(frozen=True)
class Finding:
    """One problem in the data, in words, with the data item to change.

    Attributes
    ----------
    check : str
        Which check found it: ``"course periods"``, ``"curriculum periods"``, ``"teacher periods"``,
        ``"room periods"``, ``"room size"``, ``"daily load"`` or ``"working days"``.
    severity : str
        ``"error"``: no timetable can meet the hard constraints; ``"warning"``: a soft cost every
        timetable pays, or a course without lectures.
    item : str
        The kind of data item to fix: ``"course"``, ``"curriculum"``, ``"teacher"`` or ``"room"``.
    name : str
        Its name (for a room family, the rooms in words, e.g. ``room type 'lab' (3 rooms)``).
    text : str
        What is wrong, in plain words.
    fix : str
        What to change to resolve it.
    required, available : int
        The two numbers compared (lecture periods, periods, lectures, seats or days).
    """

    check: str
    severity: str
    item: str
    name: str
    text: str
    fix: str
    required: int = 0
    available: int = 0

    @property
    def table(self) -> str:
        """The data table (store entity) where the item is edited."""
        return TABLE_OF[self.item]

    def __str__(self) -> str:
        return f"{self.severity}: {self.text}. Fix: {self.fix}"


@dataclass(frozen=True)
class Load:
    """Lecture periods a curriculum, teacher or room family needs against those it can have."""

    kind: str          # "curriculum", "teacher" or "rooms"
    name: str
    required: int      # lecture periods a week
    available: int     # periods (room-periods for rooms) its courses can be taught in
    courses: tuple[int, ...] = ()

    @property
    def share(self) -> float:
        """``required / available`` (``inf`` when something is required and nothing available)."""
        if self.available == 0:
            return float("inf") if self.required else 0.0
        return self.required / self.available


# ====================================================================== the front door
def check(problem: Problem) -> list[Finding]:
    """Every finding of every check, errors first, then by check and item name.

    Parameters
    ----------
    problem : Problem

    Returns
    -------
    list[Finding]
        Empty when the counting finds nothing (a timetable may still not exist: only a solver
        or the CP-SAT diagnosis can tell then).
    """
    inst = Instance(problem)
    covers = _covers(inst)
    found = (course_periods(inst) + group_periods(inst, covers) + room_periods(inst, covers)
             + room_sizes(problem) + daily_loads(inst, covers) + working_days(inst))
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(found, key=lambda f: order[f.severity])  # stable: each check's own order is kept


def loads(problem: Problem) -> list[Load]:
    """Required against available lecture periods of every curriculum, teacher and room family,
    tightest first (see :class:`Load`)."""
    inst = Instance(problem)
    covers = _covers(inst)
    out = _group_loads(inst, covers) + _room_loads(inst, covers)
    return sorted(out, key=lambda x: (-x.share, x.kind, x.name))


# ====================================================================== shared facts
def _covers(inst: Instance) -> np.ndarray:
    """bool [C, P]: periods a lecture of the course could occupy (started where it is allowed)."""
    covers = inst.allowed.copy()
    for c in np.flatnonzero(inst.length > 1):
        starts = inst.allowed[c]
        for k in range(1, int(inst.length[c])):
            covers[c, k:] |= starts[:inst.P - k]
    return covers


def unavailability_reasons(inst: Instance, c: int) -> str:
    """'teacher t000 unavailable on all of Mon; course unavailable on Tue 2' (or '')."""
    pb = inst.problem
    t = int(pb.course_teacher[c])
    parts = []
    tmask = pb.teacher_unavailable[t]
    if tmask.any():
        parts.append(f"teacher {pb.teacher_names[t]} unavailable on {periods_text(pb, tmask)}")
    cmask = pb.course_unavailable[c] & ~tmask
    if cmask.any():
        parts.append(f"course unavailable on {periods_text(pb, cmask)}")
    return "; ".join(parts)


def max_lectures(inst: Instance, c: int) -> int:
    """Most non-overlapping lectures of ``c`` its allowed starts admit (earliest-start greedy per day)."""
    L = int(inst.length[c])
    allowed = inst.allowed[c]
    if L == 1:
        return int(allowed.sum())
    n = 0
    for d in range(inst.problem.days):
        free_from = d * inst.ppd
        for p in range(d * inst.ppd, (d + 1) * inst.ppd):
            if p >= free_from and allowed[p]:
                n += 1
                free_from = p + L
    return n


def plural(n: int, word: str) -> str:
    """``"1 lecture"``, ``"3 lectures"``."""
    return f"{n} {word}" + ("" if n == 1 else "s")


def _courses_text(pb: Problem, courses, limit: int = 6) -> str:
    names = [pb.course_names[int(c)] for c in courses]
    return ", ".join(names[:limit]) + (f" … ({len(names) - limit} more)" if len(names) > limit else "")


# ====================================================================== hard: counting proofs
def course_periods(inst: Instance) -> list[Finding]:
    """Courses no room suits, and courses with more lectures than their available periods fit."""
    pb = inst.problem
    out = []
    for c in range(inst.C):
        n = int(pb.course_lectures[c])
        name = pb.course_names[c]
        if n == 0:
            out.append(no_lectures(name))
            continue
        if not inst.has_room[c]:
            out.append(Finding("course periods", "error", "course", name,
                               f"course {name} needs {plural(n, 'lecture')} but no room suits it",
                               f"change the room types of course {name}, or add a room of a type it may use",
                               n, 0))
            continue
        most = max_lectures(inst, c)
        if n > most:
            reasons = unavailability_reasons(inst, c)
            L = int(inst.length[c])
            if L == 1:
                text = (f"course {name} needs {plural(n, 'lecture')} but only {plural(most, 'period')} "
                        f"{'is' if most == 1 else 'are'} available to it")
            else:
                text = (f"course {name} needs {plural(n, 'lecture')} of {L} periods but its available periods "
                        f"fit only {most}")
            fix = f"lower the lectures of course {name} to {most}"
            if reasons:
                fix += ", or remove some of its unavailable periods (or its teacher's)"
            out.append(Finding("course periods", "error", "course", name, text + (f" ({reasons})" if reasons else ""),
                               fix, n, most))
    return out


def _group_loads(inst: Instance, covers: np.ndarray) -> list[Load]:
    """One load per curriculum and per teacher with lectures."""
    pb = inst.problem
    demand_of = pb.course_lectures.astype(np.int64) * inst.length
    out = []
    for g in range(pb.n_curricula):
        courses = pb.curriculum_courses[pb.curriculum_ptr[g]:pb.curriculum_ptr[g + 1]]
        out.append(Load("curriculum", pb.curriculum_names[g], int(demand_of[courses].sum()),
                        int(covers[courses].any(axis=0).sum()), tuple(int(c) for c in courses)))
    for t in range(pb.n_teachers):
        courses = np.flatnonzero(pb.course_teacher == t)
        out.append(Load("teacher", pb.teacher_names[t], int(demand_of[courses].sum()),
                        int(covers[courses].any(axis=0).sum()), tuple(int(c) for c in courses)))
    return [x for x in out if x.required]


def group_periods(inst: Instance, covers: np.ndarray | None = None) -> list[Finding]:
    """Curricula and teachers whose lectures (which never overlap) need more periods than their
    courses can be taught in. A course set shared by several curricula/teachers is reported once."""
    pb = inst.problem
    covers = _covers(inst) if covers is None else covers
    out = []
    seen: set[tuple[int, ...]] = set()
    for x in _group_loads(inst, covers):
        key = tuple(sorted(x.courses))
        if len(key) < 2 or key in seen:
            continue
        seen.add(key)
        if x.required <= x.available:
            continue
        where = (f"the week has {inst.P}" if x.available == inst.P
                 else f"its courses can be taught in only {x.available} of the week's {inst.P} periods")
        verb = "needs" if x.kind == "curriculum" else "teaches"
        courses = ", ".join(f"{pb.course_names[c]} ×{int(pb.course_lectures[c])}" for c in x.courses[:6])
        if x.kind == "curriculum":
            fix = (f"take a course out of curriculum {x.name} or lower the lectures of its courses ({courses}"
                   f"{', …' if len(x.courses) > 6 else ''})")
        else:
            fix = (f"give one of teacher {x.name}'s courses ({courses}{', …' if len(x.courses) > 6 else ''}) to "
                   "another teacher, or lower their lectures")
        if x.available < inst.P:
            fix += "; or make its courses (or their teachers) available in more periods"
        out.append(Finding(f"{x.kind} periods", "error", x.kind, x.name,
                           f"{x.kind} {x.name} {verb} {x.required} lecture periods but {where}", fix,
                           x.required, x.available))
    return out


def _room_loads(inst: Instance, covers: np.ndarray) -> list[Load]:
    """One load per room family: lecture periods of the courses that can only use its rooms
    against the room-periods those courses can use (see :func:`room_periods`)."""
    out = []
    for U, courses, supply in _family_supply(inst, covers):
        demand = int((inst.problem.course_lectures[courses].astype(np.int64) * inst.length[courses]).sum())
        if demand:
            out.append(Load("rooms", inst.describe_rooms(U), demand, int(supply.sum()),
                            tuple(int(c) for c in courses)))
    return out


def _family_supply(inst: Instance, covers: np.ndarray):
    """``(rooms, inside courses, usable room-periods per period)`` of each room family.

    In period ``p`` the family holds at most ``|U|`` lectures minus the pinned lectures of other
    courses in its rooms, and at most one lecture of each inside course that can be taught then.
    """
    for U, courses in zip(inst.families, inst.family_courses):
        rooms = np.full(inst.P, len(U), np.int64)
        inside = set(courses.tolist())
        for s in inst.pins:
            if s.room in U and s.course not in inside:
                rooms[s.period:s.period + int(inst.length[s.course])] -= 1
        teachable = covers[courses].sum(axis=0) if len(courses) else np.zeros(inst.P, np.int64)
        yield U, courses, np.maximum(np.minimum(rooms, teachable), 0)


def room_periods(inst: Instance, covers: np.ndarray | None = None) -> list[Finding]:
    """Room families whose room-periods cannot hold the lectures of the courses that can only use
    them: first over the whole week, then period by period (see :func:`_family_supply`)."""
    pb = inst.problem
    covers = _covers(inst) if covers is None else covers
    out = []
    for U, courses, supply in _family_supply(inst, covers):
        demand = int((pb.course_lectures[courses].astype(np.int64) * inst.length[courses]).sum())
        if demand == 0:
            continue
        inside = set(courses.tolist())
        taken = sum(int(inst.length[s.course]) for s in inst.pins if s.room in U and s.course not in inside)
        week = len(U) * inst.P - taken
        rooms = inst.describe_rooms(U)
        fix = (f"add a room to {rooms}, or let some of its courses use other rooms (their room types): "
               f"{_courses_text(pb, courses)}")
        if demand > week:
            verb = "offers" if len(U) == 1 else "offer"
            out.append(Finding("room periods", "error", "room", rooms,
                               f"{rooms} {verb} {week} room-periods a week but the courses that can only use them "
                               f"need {demand} lecture periods", fix, demand, week))
        elif demand > int(supply.sum()):
            out.append(Finding("room periods", "error", "room", rooms,
                               f"the courses that can only use {rooms} need {demand} lecture periods, but in the "
                               f"periods those courses can be taught the rooms hold at most {int(supply.sum())} "
                               "(one lecture per room and per course in a period)",
                               fix + "; or make these courses available in more periods", demand, int(supply.sum())))
    return out


# ====================================================================== soft: unavoidable costs
def room_sizes(problem: Problem) -> list[Finding]:
    """Courses with more students than every room that suits them (``RoomCapacity`` each lecture)."""
    pb = problem
    out = []
    for c in range(pb.n_courses):
        n = int(pb.course_lectures[c])
        rooms = np.flatnonzero(pb.suitable[c])
        if n == 0 or len(rooms) == 0:
            continue
        best = int(rooms[np.argmax(pb.room_capacity[rooms])])
        seats = int(pb.room_capacity[best])
        students = int(pb.course_students[c])
        if students > seats:
            name, room = pb.course_names[c], pb.room_names[best]
            out.append(Finding(
                "room size", "warning", "course", name,
                f"course {name} has {students} students but its largest suitable room, {room}, seats {seats}: "
                f"each of its {plural(n, 'lecture')} costs {students - seats} RoomCapacity units",
                f"raise the capacity of room {room}, let course {name} use a larger room (its room types), "
                f"or lower its students (split the course)", students, seats))
    return out


def daily_loads(inst: Instance, covers: np.ndarray | None = None) -> list[Finding]:
    """Teachers and curricula with more lectures than their daily maximum allows over the days
    their courses can be taught (``TeacherDailyLoad`` / ``CurriculumDailyLoad`` units)."""
    pb = inst.problem
    covers = _covers(inst) if covers is None else covers
    days_of = covers.reshape(inst.C, pb.days, inst.ppd).any(axis=2)  # [C, D] course teachable that day
    out = []
    groups = [("curriculum", pb.curriculum_names[g], int(pb.curriculum_max_per_day[g]),
               pb.curriculum_courses[pb.curriculum_ptr[g]:pb.curriculum_ptr[g + 1]]) for g in range(pb.n_curricula)]
    groups += [("teacher", pb.teacher_names[t], int(pb.teacher_max_per_day[t]), np.flatnonzero(pb.course_teacher == t))
               for t in range(pb.n_teachers)]
    for kind, name, most, courses in groups:
        if most <= 0 or len(courses) == 0:
            continue
        lectures = int(pb.course_lectures[courses].sum())
        days = int(days_of[courses].any(axis=0).sum())
        if lectures > most * days:
            constraint = "CurriculumDailyLoad" if kind == "curriculum" else "TeacherDailyLoad"
            out.append(Finding(
                "daily load", "warning", kind, name,
                f"{kind} {name} has {plural(lectures, 'lecture')} a week but a daily maximum of {most} over the "
                f"{plural(days, 'day')} its courses can be taught: at least "
                f"{plural(lectures - most * days, constraint + ' unit')} in every timetable",
                f"raise the daily maximum (max_per_day) of {kind} {name}"
                + (", or give some of its courses to another teacher" if kind == "teacher" else
                   ", or take a course out of it"), lectures, most * days))
    return out


def working_days(inst: Instance) -> list[Finding]:
    """Courses whose minimum working days exceed their lectures or the days they can be taught."""
    pb = inst.problem
    out = []
    teachable = inst.allowed.reshape(inst.C, pb.days, inst.ppd).any(axis=2).sum(axis=1)
    for c in range(inst.C):
        want = int(pb.course_min_days[c])
        n = int(pb.course_lectures[c])
        if n == 0 or want == 0:
            continue
        if want > min(n, int(teachable[c])):
            reasons = unavailability_reasons(inst, c) if n > teachable[c] else ""
            out.append(too_few_days(pb.course_names[c], want, n, int(teachable[c]), reasons))
    return out


def too_few_days(name: str, want: int, lectures: int, teachable: int, reasons: str = "") -> Finding:
    """The warning for course ``name`` whose minimum working days ``want`` exceed its ``lectures`` or the
    ``teachable`` days it can be taught on (``reasons``: why days are lost, when that is the cause)."""
    days = min(lectures, teachable)
    why = (f"it has only {plural(lectures, 'lecture')}" if lectures <= teachable
           else f"it can be taught on only {plural(teachable, 'day')}")
    return Finding(
        "working days", "warning", "course", name,
        f"course {name} should spread over {plural(want, 'day')} but {why}: at least "
        f"{plural(want - days, 'MinWorkingDays unit')} (×5 with ITC weights) in every timetable"
        + (f" ({reasons})" if reasons else ""),
        f"lower the minimum working days (min_days) of course {name} to {days}"
        + (", or make it available on more days" if lectures > teachable else ""), want, days)


def no_lectures(name: str) -> Finding:
    """The warning for course ``name`` that has no lectures: it is never taught (a slip, or a course to delete)."""
    return Finding("course periods", "warning", "course", name, f"course {name} has no lectures, so it is never taught",
                   f"give course {name} at least 1 lecture, or delete the course", 1, 0)


# ====================================================================== data entry
def course_entry_problems(name: str, *, lectures, min_days, days: int) -> list[str]:
    """Why a course's lectures and minimum working days may not be entered as they are.

    The data editor calls this before it saves a course (a new one, or an edited ``lectures`` or
    ``min_days``) and refuses the change with these messages, which are :func:`check`'s own words:
    a course without lectures, minimum working days above the days of the week (at entry only the
    grid is known, not the availability that :func:`check` also counts), and numbers outside their
    bounds in :data:`tt_core.limits.BOUNDS`.

    Parameters
    ----------
    name : str
        The course.
    lectures, min_days : int
        The values to be saved.
    days : int
        Days of the scenario's time grid.

    Returns
    -------
    list of str
        Empty when the values may be saved.
    """
    out = [f"course {name}: {why}" for field, value in (("lectures", lectures), ("min_days", min_days))
           if (why := limits.bound(field).check(value))]
    if out:
        return out
    if lectures == 0:
        f = no_lectures(name)
    elif min_days > days:
        f = too_few_days(name, int(min_days), int(lectures), int(days))
    else:
        return []
    return [f"{f.text}. Fix: {f.fix}"]


__all__ = ["Finding", "Load", "SEVERITIES", "check", "loads", "course_periods", "group_periods", "room_periods",
           "room_sizes", "daily_loads", "working_days", "unavailability_reasons", "max_lectures", "plural",
           "too_few_days", "no_lectures", "course_entry_problems"]
