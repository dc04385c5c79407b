"""iCalendar export of a class timetable (real university data): one event per meeting, on its
real date.

A class of a class-based scenario meets on the days and weeks of its time option, so its
meetings are not one weekly rule: week 1 begins on ``first_day`` (a Monday, a setting of the
export), day ``d`` of week ``w`` is ``first_day + 7 w + d`` days, and every meeting becomes its
own event from its start to its end on the clock (slots of five minutes). The conventions are
those of :mod:`tt_core.io.ical`: floating local times, ``X-WR-CALNAME`` ``"<calendar>: <kind>
<item>"``, a stable ``UID`` per meeting, the class's course, subpart and room in the event.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from ..classes.model import ClassProblem, ClassSolution
from ..classes.views import SLOT_MINUTES, meeting_dates, placement
from ..errors import TimetableError

__all__ = ["class_calendar"]


def _slug(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", str(text)).strip("._") or "item"


def class_calendar(problem: ClassProblem, solution: ClassSolution, classes: Iterable[int], *,
                   first_day: dt.date, kind: str, item: str, calendar_name: str | None = None) -> bytes:
    """The ``.ics`` bytes of the meetings of ``classes`` over the whole term.

    Parameters
    ----------
    problem, solution : ClassProblem, ClassSolution
    classes : iterable of int
        The classes of the calendar (a room's, a course's or a student's).
    first_day : datetime.date
        The first day of week 1; must be a Monday (day 0 of the instance is Monday).
    kind, item : str
        What the calendar is of (``"room"``, ``"course"``, ``"student"``) and its id.
    calendar_name : str, optional
        The calendar's title before ``": <kind> <item>"`` (default: the instance's name).

    Raises
    ------
    TimetableError
        ``first_day`` is not a Monday, or no listed class has a time.
    """
    import icalendar

    if not isinstance(first_day, dt.date):
        raise TimetableError(f"the first day of week 1 must be a date, got {first_day!r}")
    if first_day.weekday() != 0:
        raise TimetableError(f"the first day of week 1 must be a Monday (the instance's day 1 is a Monday); "
                             f"{first_day:%Y-%m-%d} is a {first_day:%A}")
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//timetable studio//tt_core.io.class_ical//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{calendar_name or problem.name}: {kind} {item}")
    n = 0
    for c in sorted({int(c) for c in classes}):
        p = placement(problem, solution, c)
        if p is None:
            continue
        _days, start, end, _weeks, room = p
        course = problem.course_ids[int(problem.class_course[c])]
        subpart = problem.subpart_ids[int(problem.class_subpart[c])]
        for begin in meeting_dates(problem, solution, c, first_day):
            ev = icalendar.Event()
            ev.add("uid", f"{_slug(kind)}-{_slug(item)}-class-{_slug(problem.class_ids[c])}-{begin:%Y%m%dT%H%M}"
                          f"@{_slug(problem.name)}.timetable-studio")
            ev.add("dtstamp", stamp)
            ev.add("dtstart", begin)
            ev.add("dtend", begin + dt.timedelta(minutes=(end - start) * SLOT_MINUTES))
            ev.add("summary", f"{course} (class {problem.class_ids[c]})")
            if room >= 0:
                ev.add("location", problem.room_ids[room])
            ev.add("description", f"Course {course}, subpart {subpart}, class {problem.class_ids[c]}")
            cal.add_component(ev)
            n += 1
    if not n:
        raise TimetableError(f"{kind} {item} has no class with a time in this timetable; there is nothing to export")
    return cal.to_ical()
