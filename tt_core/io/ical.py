"""iCalendar export of a timetable: one ``.ics`` file per teacher, curriculum and room (and, on
request, per student: the lectures of the courses they are enrolled in).

Every placed lecture becomes one weekly event (``RRULE:FREQ=WEEKLY;COUNT=<weeks>``) whose first
occurrence is the first date on or after the term's start date that falls on the lecture's weekday;
so each lecture occurs exactly ``weeks`` times inside the term ``[start, start + 7 * weeks days)``.

Clock times come from the time grid's period labels when every label looks like ``"Mon 09:00"``
(an English weekday name or its first three letters, then ``HH:MM``, ``HH.MM`` or ``HHhMM``): the
label gives the weekday and the start time, and a period lasts until the next period of the same
day starts (the last period of a day as long as the one before it). Otherwise — ITC2007 instances,
labels like ``"day 0 period 3"`` — a default grid is used: day ``d`` is weekday ``first_weekday + d``
(Monday first), the first period starts at :data:`DEFAULT_DAY_START` and each period lasts
:data:`DEFAULT_PERIOD_MINUTES` minutes; both can be overridden.

Times are "floating" (local wall-clock time, no time zone) unless a ``tz`` such as
``"Europe/Berlin"`` is given; then every event carries that ``TZID`` and the calendar a
``VTIMEZONE``. Files are written atomically into ``<folder>/teachers/``, ``curricula/`` and
``rooms/``, named after the item (characters unsafe in file names replaced by ``_``); a calendar is
only written for an item with at least one placed lecture.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import numpy as np

from ..errors import TimetableError
from ..model import Problem, Timetable
from .atomic import write_atomic

__all__ = ["export_ical", "grid_times", "GridTimes", "DEFAULT_DAY_START", "DEFAULT_PERIOD_MINUTES", "VIEWS",
           "DEFAULT_VIEWS"]

#: start of the first period of a day when the labels carry no times
DEFAULT_DAY_START = "08:00"
#: length of a period in minutes when the labels carry no times
DEFAULT_PERIOD_MINUTES = 60
#: the calendars one can ask for
VIEWS = ("teachers", "curricula", "rooms", "students")
#: the calendars written unless others are asked for (a university has thousands of students)
DEFAULT_VIEWS = ("teachers", "curricula", "rooms")

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_LABEL = re.compile(r"\s*(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+(\d{1,2})[:.h](\d{2})\s*", re.IGNORECASE)


@dataclass(frozen=True)
class GridTimes:
    """Weekday and clock times of every period.

    Attributes
    ----------
    weekday : tuple of int
        Weekday of each day (0 = Monday).
    start, end : tuple of int
        Start and end of each period, in minutes after midnight.
    from_labels : bool
        True when read from the period labels, False for the default grid.
    """

    weekday: tuple[int, ...]
    start: tuple[int, ...]
    end: tuple[int, ...]
    from_labels: bool

    def day_name(self, day: int) -> str:
        return _WEEKDAY_NAMES[self.weekday[day]]

    def clock(self, period: int) -> str:
        m = self.start[period]
        return f"{m // 60:02d}:{m % 60:02d}"


def _parse_hhmm(text: str, what: str) -> int:
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise TimetableError(f"{what} must be a time HH:MM such as 08:00, got {text!r}")
    return int(m.group(1)) * 60 + int(m.group(2))


def grid_times(problem: Problem, *, day_start: str | None = None, period_minutes: int | None = None,
               first_weekday: int = 0) -> GridTimes:
    """Weekdays and times of the problem's periods (see the module doc for the rules).

    Parameters
    ----------
    problem : Problem
    day_start : str, optional
        ``"HH:MM"``; forces the default grid with this first period start.
    period_minutes : int, optional
        Forces the default grid with periods of this length.
    first_weekday : int
        Weekday of day 0 in the default grid (0 = Monday).

    Raises
    ------
    TimetableError
        More than 7 days (a week cannot hold them), a day running past midnight, bad settings.
    """
    D, S = problem.days, problem.periods_per_day
    if D > 7:
        raise TimetableError(f"{problem.name} has {D} days; a calendar week holds at most 7")
    if not 0 <= first_weekday <= 6:
        raise TimetableError(f"first_weekday must be 0 (Monday) .. 6 (Sunday), got {first_weekday}")
    if day_start is None and period_minutes is None:
        parsed = _from_labels(problem)
        if parsed is not None:
            return parsed
    t0 = _parse_hhmm(day_start or DEFAULT_DAY_START, "day_start")
    length = DEFAULT_PERIOD_MINUTES if period_minutes is None else int(period_minutes)
    if length < 1:
        raise TimetableError(f"period_minutes must be at least 1, got {period_minutes}")
    if t0 + S * length > 24 * 60:
        raise TimetableError(f"{S} periods of {length} minutes from {day_start or DEFAULT_DAY_START} run past "
                             "midnight; give an earlier day_start or shorter periods")
    weekday = tuple((first_weekday + d) % 7 for d in range(D))
    start = tuple(t0 + s * length for _ in range(D) for s in range(S))
    return GridTimes(weekday, start, tuple(x + length for x in start), False)


def _from_labels(problem: Problem) -> GridTimes | None:
    D, S = problem.days, problem.periods_per_day
    weekday: list[int] = []
    start: list[int] = []
    end: list[int] = []
    for d in range(D):
        days, times = set(), []
        for s in range(S):
            m = _LABEL.fullmatch(problem.period_labels[d * S + s])
            if m is None:
                return None
            hh, mm = int(m.group(2)), int(m.group(3))
            if hh > 23 or mm > 59:
                return None
            days.add(_WEEKDAYS.index(m.group(1).lower()))
            times.append(hh * 60 + mm)
        if len(days) != 1 or any(b <= a for a, b in zip(times, times[1:])):
            return None
        weekday.append(days.pop())
        lengths = [b - a for a, b in zip(times, times[1:])]
        lengths.append(lengths[-1] if lengths else DEFAULT_PERIOD_MINUTES)
        if times[-1] + lengths[-1] > 24 * 60:
            return None
        start += times
        end += [a + n for a, n in zip(times, lengths)]
    if len(set(weekday)) != D:
        return None
    return GridTimes(tuple(weekday), tuple(start), tuple(end), True)


def _slug(name: str) -> str:
    """A file name for ``name``: letters, digits, ``-``, ``_`` and ``.`` kept, the rest ``_``."""
    s = re.sub(r"[^\w.-]", "_", name, flags=re.UNICODE).strip("._") or "unnamed"
    return s[:100]


def export_ical(problem: Problem, timetable: Timetable, folder: str | os.PathLike, *, start_date: date | str,
                weeks: int, views: Sequence[str] = DEFAULT_VIEWS, tz: str | None = None,
                day_start: str | None = None,
                period_minutes: int | None = None, first_weekday: int = 0,
                teacher_full_names: Sequence[str] | None = None, calendar_name: str | None = None,
                items: Sequence[str] | None = None) -> list[Path]:
    """Write one iCalendar file per teacher, curriculum and room of a timetable.

    Parameters
    ----------
    problem : Problem
    timetable : Timetable
    folder : str or os.PathLike
        Created if missing; calendars go to its ``teachers/``, ``curricula/``, ``rooms/`` (and
        ``students/``).
    start_date : datetime.date or str
        First day of the term (``YYYY-MM-DD``).
    weeks : int
        Teaching weeks; each lecture occurs once a week, ``weeks`` times.
    views : sequence of str
        Which of ``"teachers"``, ``"curricula"``, ``"rooms"``, ``"students"`` to write (default the
        first three).
    tz : str, optional
        IANA time zone of the times (``"Europe/Berlin"``); default floating local times.
    day_start, period_minutes, first_weekday
        Default-grid settings (see :func:`grid_times`).
    teacher_full_names : sequence of str, optional
        Display names, parallel to ``problem.teacher_names``.
    calendar_name : str, optional
        Prefix of each calendar's name (default the problem name).
    items : sequence of str, optional
        Write only the calendars of these teachers / curricula / rooms / students (names).

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    TimetableError
        Bad dates, weeks, views or time zone, or a timetable that does not fit the problem.
    """
    start_date, zone = _check_settings(start_date, weeks, views, tz)
    if len(timetable.period) != problem.n_lectures:
        raise TimetableError(f"the timetable has {len(timetable.period)} lectures but {problem.name} has "
                             f"{problem.n_lectures}")
    grid = grid_times(problem, day_start=day_start, period_minutes=period_minutes, first_weekday=first_weekday)
    if teacher_full_names is not None and len(teacher_full_names) != problem.n_teachers:
        raise TimetableError(f"{len(teacher_full_names)} teacher names for {problem.n_teachers} teachers")
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise TimetableError(f"{out} is a file; iCalendar export writes a folder of .ics files, give a folder path")
    events = _Events(problem, timetable, grid, start_date, int(weeks), zone, teacher_full_names)
    groups = _lectures_by_item(problem, timetable, views)
    files = _calendars(events, groups, views, None if items is None else set(items), calendar_name or problem.name,
                       tz, out)
    written = []
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_bytes_atomic(path, data)
        written.append(path)
    return written


def _check_settings(start_date, weeks, views: Sequence[str], tz: str | None):
    """The term's first day as a date and the time zone (or None), after checking the settings."""
    if isinstance(start_date, str):
        try:
            start_date = date.fromisoformat(start_date.strip())
        except ValueError:
            raise TimetableError(f"the term start date must be YYYY-MM-DD, got {start_date!r}") from None
    if isinstance(start_date, datetime):
        start_date = start_date.date()
    if isinstance(weeks, bool) or not isinstance(weeks, (int, np.integer)) or weeks < 1:
        raise TimetableError(f"weeks must be a whole number of at least 1, got {weeks!r}")
    bad = [v for v in views if v not in VIEWS]
    if bad or not views:
        raise TimetableError(f"unknown calendar view(s) {', '.join(map(repr, bad)) or 'none given'}; choose from "
                             f"{', '.join(VIEWS)}")
    zone = None
    if tz:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise TimetableError(f"unknown time zone {tz!r}; use an IANA name such as Europe/Berlin") from None
    return start_date, zone


def _lectures_by_item(problem: Problem, timetable: Timetable, views: Sequence[str]) -> dict[str, dict[int, list[int]]]:
    """For each view, the placed lectures of each teacher / curriculum / room / student (by index)."""
    c_ptr, c_idx = problem.course_curricula
    s_ptr, s_idx = problem.course_student_csr
    groups: dict[str, dict[int, list[int]]] = {v: {} for v in views}
    placed = [l for l in range(problem.n_lectures)
              if 0 <= timetable.period[l] < problem.n_periods and 0 <= timetable.room[l] < problem.n_rooms]
    for l in placed:
        c = int(problem.lecture_course[l])
        if "teachers" in groups:
            groups["teachers"].setdefault(int(problem.course_teacher[c]), []).append(l)
        if "curricula" in groups:
            for q in c_idx[c_ptr[c]:c_ptr[c + 1]]:
                groups["curricula"].setdefault(int(q), []).append(l)
        if "rooms" in groups:
            groups["rooms"].setdefault(int(timetable.room[l]), []).append(l)
        if "students" in groups:
            for s in s_idx[s_ptr[c]:s_ptr[c + 1]]:
                groups["students"].setdefault(int(s), []).append(l)
    return groups


class _Events:
    """Makes the weekly event of a lecture (one per calendar it appears in)."""

    def __init__(self, problem: Problem, timetable: Timetable, grid: GridTimes, start_date: date, weeks: int, zone,
                 teacher_full_names: Sequence[str] | None):
        self.problem, self.timetable, self.grid = problem, timetable, grid
        self.start_date, self.weeks, self.zone = start_date, weeks, zone
        names = list(teacher_full_names) if teacher_full_names else [""] * problem.n_teachers
        self.teacher_label = [f"{full} ({t})" if full and full != t else t
                              for t, full in zip(problem.teacher_names, names)]
        self.stamp = datetime.now(UTC).replace(microsecond=0)

    def event(self, l: int, kind: str, item: str):
        import icalendar

        pb, grid, S = self.problem, self.grid, self.problem.periods_per_day
        c = int(pb.lecture_course[l])
        p = int(self.timetable.period[l])
        day, slot = divmod(p, S)
        last = day * S + min(slot + int(pb.course_length[c]), S) - 1
        first = self.start_date + timedelta(days=(grid.weekday[day] - self.start_date.weekday()) % 7)
        begin = datetime.combine(first, time(grid.start[p] // 60, grid.start[p] % 60), tzinfo=self.zone)
        ev = icalendar.Event()
        ev.add("uid", f"{kind}-{_slug(item)}-lecture-{l}@{_slug(pb.name)}.timetable-studio")
        ev.add("dtstamp", self.stamp)
        ev.add("dtstart", begin)
        ev.add("dtend", begin + timedelta(minutes=grid.end[last] - grid.start[p]))
        ev.add("rrule", {"freq": "weekly", "count": self.weeks})
        ev.add("summary", pb.course_names[c])
        ev.add("location", pb.room_names[int(self.timetable.room[l])])
        c_ptr, c_idx = pb.course_curricula
        curricula = ", ".join(pb.curriculum_names[q] for q in c_idx[c_ptr[c]:c_ptr[c + 1]])
        text = f"Teacher: {self.teacher_label[int(pb.course_teacher[c])]}"
        if curricula:
            text += f"\nCurricula: {curricula}"
        text += f"\nPeriod: {pb.period_labels[p]}"
        ev.add("description", text)
        return ev


_KIND_WORD = {"teachers": "teacher", "curricula": "curriculum", "rooms": "room", "students": "student"}


def _calendars(events: _Events, groups: dict[str, dict[int, list[int]]], views: Sequence[str],
               wanted: set[str] | None, base: str, tz: str | None, out: Path) -> dict[Path, bytes]:
    """The ``.ics`` bytes of every calendar, by file path (names made unique per view folder)."""
    import icalendar

    pb = events.problem
    item_names = {"teachers": pb.teacher_names, "curricula": pb.curriculum_names, "rooms": pb.room_names,
                  "students": pb.student_names}
    files: dict[Path, bytes] = {}
    for view in views:
        used: set[str] = set()
        for i in sorted(groups[view]):
            item = item_names[view][i]
            if wanted is not None and item not in wanted:
                continue
            cal = icalendar.Calendar()
            cal.add("prodid", "-//timetable studio//tt_core.io.ical//EN")
            cal.add("version", "2.0")
            cal.add("calscale", "GREGORIAN")
            label = events.teacher_label[i] if view == "teachers" else item
            cal.add("x-wr-calname", f"{base}: {_KIND_WORD[view]} {label}")
            if tz:
                cal.add("x-wr-timezone", tz)
            for l in groups[view][i]:
                cal.add_component(events.event(l, _KIND_WORD[view], item))
            if events.zone is not None:
                cal.add_missing_timezones()
            stem = _slug(item)
            name, k = stem, 2
            while name.lower() in used:
                name, k = f"{stem}~{k}", k + 1
            used.add(name.lower())
            files[out / view / f"{name}.ics"] = cal.to_ical()
    return files


def _write_bytes_atomic(path: Path, data: bytes) -> None:
    write_atomic(path, data)
