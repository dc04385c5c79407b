"""ITC2007 track 3 (CB-CTT) files: instances (``.ctt``) and solutions (``.sol``).

The reader checks everything it can itself, so every mistake in a file is reported as a
:class:`~tt_core.errors.ProblemFormatError` naming the file, the 1-based line and what was expected,
instead of surfacing later as an anonymous inconsistency. It is tolerant of what does not change the
meaning: trailing whitespace, tabs, Windows (``\\r\\n``) or old Mac (``\\r``) line endings, a UTF-8 byte
order mark and extra blank lines between the header and the sections.

Format (see ``shared/itc2007/README.md``)::

    Name: <name>
    Courses: <C>
    Rooms: <R>
    Days: <D>
    Periods_per_day: <S>
    Curricula: <Q>
    Constraints: <U>

    COURSES:
    <course> <teacher> <lectures> <min_working_days> <students>     (C lines)

    ROOMS:
    <room> <capacity>                                                 (R lines)

    CURRICULA:
    <curriculum> <n> <course_1> ... <course_n>                        (Q lines)

    UNAVAILABILITY_CONSTRAINTS:
    <course> <day> <period>                                           (U lines, 0-based)

    END.

A solution has one line a placed lecture: ``<course> <room> <day> <period>``.

Files are written atomically (a temporary file in the target folder, then ``os.replace``), so a
failure never leaves a half-written file behind.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .. import limits
from ..errors import ProblemFormatError, TimetableError, ValidationError
from ..model import Problem, Timetable
from .atomic import write_atomic
from .guard import read_file

__all__ = [
    "read_ctt", "parse_ctt", "format_ctt", "write_ctt",
    "read_sol", "parse_sol", "format_sol", "write_sol",
]

# header keys in file order, with the wording used in messages
_HEADERS: tuple[tuple[str, str], ...] = (
    ("Name", "the instance name"),
    ("Courses", "the number of courses"),
    ("Rooms", "the number of rooms"),
    ("Days", "the number of days"),
    ("Periods_per_day", "the number of periods per day"),
    ("Curricula", "the number of curricula"),
    ("Constraints", "the number of unavailability constraints"),
)
# sections in file order: keyword, header key giving its line count, what one line is
_SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("COURSES:", "Courses", "course"),
    ("ROOMS:", "Rooms", "room"),
    ("CURRICULA:", "Curricula", "curriculum"),
    ("UNAVAILABILITY_CONSTRAINTS:", "Constraints", "unavailability constraint"),
)
_KEYWORDS = frozenset([s[0] for s in _SECTIONS] + ["END."])
_LINE_LAYOUT = {
    "COURSES:": "<course> <teacher> <lectures> <min_working_days> <students>",
    "ROOMS:": "<room> <capacity>",
    "CURRICULA:": "<curriculum> <number of courses> <course_1> ... <course_n>",
    "UNAVAILABILITY_CONSTRAINTS:": "<course> <day> <period>",
}
_INT = re.compile(r"[+-]?[0-9]+")


# ====================================================================================== reading

@dataclass(frozen=True)
class _Line:
    number: int   # 1-based line number in the file
    text: str     # without line ending and trailing whitespace

    @property
    def fields(self) -> list[str]:
        return self.text.split()


def _decode(data: bytes | str, source: str) -> str:
    """Bytes → text, rejecting binary data with the line where it starts (the earliest bad byte)."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            valid = data[:exc.start].decode("utf-8-sig")
            _reject_nul(valid, source)
            raise ProblemFormatError(
                f"byte 0x{data[exc.start]:02x} is not valid UTF-8 text; the file is binary or in another "
                "encoding (save it as plain UTF-8 or ASCII text)",
                path=source, line=_line_at(valid, len(valid))) from None
    else:
        text = data.removeprefix("\ufeff")
    _reject_nul(text, source)
    return text


def _reject_nul(text: str, source: str) -> None:
    nul = text.find("\0")
    if nul >= 0:
        raise ProblemFormatError(
            "the file contains a NUL byte, so it is binary data, not a plain-text ITC2007 file; "
            "check that the right file was given", path=source, line=_line_at(text, nul))


def _line_at(text: str, offset: int) -> int:
    """1-based line of ``text[offset]``, counting line breaks as :func:`_split_lines` does."""
    head = text[:offset]
    return head.count("\n") + head.count("\r") - head.count("\r\n") + 1


def _split_lines(text: str) -> list[_Line]:
    """Split on ``\\n``, ``\\r\\n`` or ``\\r`` only (``str.splitlines`` also splits on form feeds etc.)."""
    raw = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if raw and raw[-1] == "":
        raw.pop()  # the final newline ends the last line, it does not start a new one
    return [_Line(i, t.rstrip()) for i, t in enumerate(raw, start=1)]


class _Reader:
    """A cursor over the lines of one file, raising errors that name the file and line."""

    def __init__(self, lines: list[_Line], source: str):
        self.lines = lines
        self.source = source
        self.pos = 0

    def error(self, message: str, line: int | None) -> ProblemFormatError:
        return ProblemFormatError(message, path=self.source, line=line)

    @property
    def last_line(self) -> int:
        return self.lines[-1].number if self.lines else 1

    def peek(self) -> _Line | None:
        return self.lines[self.pos] if self.pos < len(self.lines) else None

    def skip_blank(self) -> None:
        while self.pos < len(self.lines) and not self.lines[self.pos].text:
            self.pos += 1

    def next_nonblank(self, expected: str) -> _Line:
        self.skip_blank()
        line = self.peek()
        if line is None:
            raise self.error(f"the file ends here but {expected} is missing; the file looks truncated "
                             "(a complete .ctt file ends with a line 'END.')", self.last_line)
        self.pos += 1
        return line

    def integer(self, token: str, what: str, line: int, *, minimum: int = 0,
                maximum: int | None = None) -> int:
        if not _INT.fullmatch(token):
            raise self.error(f"{what} must be a whole number, got {_shorten(token, 30)!r}", line)
        # more digits than any bound: not converted (Python refuses to convert above 4,300 digits)
        huge = len(token.lstrip("+-").lstrip("0")) > 30
        value = 0 if huge else int(token)
        shown = _shorten(token, 30) if huge else str(value)
        if value < minimum or (huge and token.startswith("-")):
            if minimum == 0:
                raise self.error(f"{what} must not be negative, got {shown}", line)
            raise self.error(f"{what} must be at least {minimum}, got {shown}", line)
        if huge or (maximum is not None and value > maximum):
            bounds = f"between {minimum} and {maximum}" if maximum is not None else "smaller"
            raise self.error(f"{what} is {shown}, out of range: it must be {bounds}", line)
        return value


def read_ctt(path: str | os.PathLike) -> Problem:
    """Read an ITC2007 CB-CTT instance file.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.ctt`` file.

    Returns
    -------
    Problem
        The instance, in ITC mode (no extension data).

    Raises
    ------
    ProblemFormatError
        When the file is not a well-formed instance; the message names the file, the line and what
        was expected there.
    OSError
        When the file cannot be read (missing, a directory, no permission).
    """
    return parse_ctt(read_file(path), source=str(path))


def parse_ctt(text: str | bytes, source: str = "<string>") -> Problem:
    """Parse the text of an ITC2007 CB-CTT instance.

    Parameters
    ----------
    text : str or bytes
        The file's content (bytes are decoded as UTF-8).
    source : str, optional
        The name used in error messages (normally the file's path).

    Returns
    -------
    Problem
        The instance; teachers come from the course lines in order of first appearance and each
        unavailability line becomes the pair ``(course, day * periods_per_day + period)``.

    Raises
    ------
    ProblemFormatError
        Naming ``source``, the 1-based line and what was expected.
    """
    text = _decode(text, source)
    lines = _split_lines(text)
    rd = _Reader(lines, source)
    if not any(line.text for line in lines):
        raise rd.error("the file is empty; an ITC2007 instance starts with a line 'Name: <instance name>' "
                       "followed by the header counts, the sections and 'END.'", 1)
    name, header, header_line = _read_header(rd)
    sections = _read_sections(rd, header, header_line)
    _read_end(rd)
    days, ppd = header["Days"], header["Periods_per_day"]
    courses, teachers, lectures, min_days, students = _parse_courses(rd, sections["COURSES:"])
    rooms, capacity = _parse_rooms(rd, sections["ROOMS:"])
    curricula = _parse_curricula(rd, sections["CURRICULA:"], set(courses))
    unavailable = _parse_unavailability(rd, sections["UNAVAILABILITY_CONSTRAINTS:"], set(courses), days, ppd)
    try:
        return Problem.create(
            name=name, days=days, periods_per_day=ppd, courses=courses, course_teacher=teachers,
            course_lectures=lectures, course_min_days=min_days, course_students=students,
            rooms=rooms, room_capacity=capacity, curricula=curricula, unavailable=unavailable)
    except ValidationError as exc:  # every check above should make this unreachable
        raise ProblemFormatError(str(exc), path=source) from None


# the bound of each header count (tt_core.limits)
_HEADER_BOUND = {"Courses": "courses", "Rooms": "rooms", "Days": "days", "Periods_per_day": "periods_per_day",
                 "Curricula": "curricula", "Constraints": "unavailability"}


def _read_header(rd: _Reader) -> tuple[str, dict[str, int], dict[str, int]]:
    """The instance name, the header counts and the line of each header key."""
    header: dict[str, int] = {}
    header_line: dict[str, int] = {}
    name = ""
    for key, meaning in _HEADERS:
        layout = f"'{key}: <{meaning.removeprefix('the ')}>'"
        line = rd.next_nonblank(f"the header line {layout}")
        found_key, colon, value = line.text.partition(":")
        if not colon or found_key.strip() != key:
            raise rd.error(f"expected the header line {layout}, found {_shorten(line.text)!r}", line.number)
        value = value.strip()
        header_line[key] = line.number
        if key == "Name":
            if not value:
                raise rd.error(f"the header line 'Name:' needs {meaning} after the colon", line.number)
            name = value
            continue
        tokens = value.split()
        if len(tokens) != 1:
            raise rd.error(f"expected {layout} with exactly one number, found {len(tokens)} values "
                           f"in {_shorten(line.text)!r}", line.number)
        b = limits.bound(_HEADER_BOUND[key])
        header[key] = rd.integer(tokens[0], f"{key} ({meaning})", line.number, minimum=b.minimum,
                                 maximum=b.maximum)
    periods = header["Days"] * header["Periods_per_day"]
    if periods > limits.MAX_PERIODS:
        raise rd.error(f"{header['Days']} days x {header['Periods_per_day']} periods per day make {periods} "
                       f"periods; {limits.bound('periods').range_text}", header_line["Periods_per_day"])
    return name, header, header_line


def _read_sections(rd: _Reader, header: dict[str, int], header_line: dict[str, int]) -> dict[str, list[_Line]]:
    """The item lines of each section, checked against the header counts."""
    section_lines: dict[str, list[_Line]] = {}
    for keyword, key, item in _SECTIONS:
        line = rd.next_nonblank(f"the section line '{keyword}'")
        if line.text.strip() != keyword:
            raise rd.error(f"expected the section line '{keyword}', found {_shorten(line.text)!r} (sections "
                           "come in the order COURSES:, ROOMS:, CURRICULA:, UNAVAILABILITY_CONSTRAINTS:, "
                           "each after a blank line)", line.number)
        start = line.number
        body: list[_Line] = []
        while True:
            nxt = rd.peek()
            if nxt is None or not nxt.text or nxt.text.strip() in _KEYWORDS:
                break
            body.append(nxt)
            rd.pos += 1
        _check_count(rd, keyword, key, item, start, body, header[key], header_line[key])
        section_lines[keyword] = body
    return section_lines


def _check_count(rd: _Reader, keyword: str, key: str, item: str, start: int, body: list[_Line], declared: int,
                 declared_at: int) -> None:
    plural = _plural(item)
    if len(body) > declared:
        extra = body[declared]
        raise rd.error(
            f"the {keyword} section (from line {start}) has more lines than the {declared} {plural} "
            f"declared by '{key}: {declared}' at line {declared_at}; correct the header count "
            "or remove the extra lines", extra.number)
    if len(body) < declared:
        nxt = rd.peek()
        if nxt is None:
            raise rd.error(
                f"the file ends inside the {keyword} section after {len(body)} of the {declared} "
                f"{plural} declared at line {declared_at}; the file looks truncated (a complete "
                ".ctt file ends with a line 'END.')", rd.last_line)
        ended_by = "a blank line" if not nxt.text else f"'{nxt.text.strip()}'"
        raise rd.error(
            f"the {keyword} section (from line {start}) ends here, at {ended_by}, after {len(body)} "
            f"{plural if len(body) != 1 else item}, but '{key}: {declared}' at line "
            f"{declared_at} declares {declared}; correct the header count or add the missing "
            "lines (a blank line ends a section)", nxt.number)


def _read_end(rd: _Reader) -> None:
    end = rd.next_nonblank("the final line 'END.'")
    if end.text.strip() != "END.":
        raise rd.error(f"expected the final line 'END.' after the UNAVAILABILITY_CONSTRAINTS: section, "
                       f"found {_shorten(end.text)!r}", end.number)
    rd.skip_blank()
    trailing = rd.peek()
    if trailing is not None:
        raise rd.error(f"unexpected text after 'END.' (at line {end.number}): {_shorten(trailing.text)!r}; "
                       "remove it or check that two files were not joined", trailing.number)


def _fields(rd: _Reader, line: _Line, keyword: str, count: int) -> list[str]:
    fields = line.fields
    if len(fields) != count:
        raise rd.error(f"a {keyword} line needs {count} fields '{_LINE_LAYOUT[keyword]}', found "
                       f"{len(fields)}: {_shorten(line.text)!r}", line.number)
    return fields


def _bounded(rd: _Reader, token: str, what: str, line: int, field: str) -> int:
    b = limits.bound(field)
    return rd.integer(token, what, line, minimum=b.minimum, maximum=b.maximum)


def _parse_courses(rd: _Reader, lines: list[_Line]):
    """Course names, teachers, lectures, minimum working days and students of the COURSES: lines."""
    courses: list[str] = []
    teachers: list[str] = []
    lectures: list[int] = []
    min_days: list[int] = []
    students: list[int] = []
    course_line: dict[str, int] = {}
    for line in lines:
        c, t, n, m, s = _fields(rd, line, "COURSES:", 5)
        if c in course_line:
            raise rd.error(f"duplicate course name {c!r} (first defined at line {course_line[c]}); course "
                           "names must be unique", line.number)
        course_line[c] = line.number
        courses.append(c)
        teachers.append(t)
        lectures.append(_bounded(rd, n, f"the number of lectures of course {c}", line.number, "lectures"))
        min_days.append(_bounded(rd, m, f"the minimum working days of course {c}", line.number, "min_days"))
        students.append(_bounded(rd, s, f"the number of students of course {c}", line.number, "students"))
    total = sum(lectures)
    if total > limits.MAX_LECTURES:
        raise rd.error(f"the courses have {total:,} lectures in all; at most {limits.MAX_LECTURES:,} are "
                       "allowed (tt_core.limits.MAX_LECTURES)", lines[0].number - 1)
    return courses, teachers, lectures, min_days, students


def _parse_rooms(rd: _Reader, lines: list[_Line]) -> tuple[list[str], list[int]]:
    rooms: list[str] = []
    capacity: list[int] = []
    room_line: dict[str, int] = {}
    for line in lines:
        r, cap = _fields(rd, line, "ROOMS:", 2)
        if r in room_line:
            raise rd.error(f"duplicate room name {r!r} (first defined at line {room_line[r]}); room names "
                           "must be unique", line.number)
        room_line[r] = line.number
        rooms.append(r)
        capacity.append(_bounded(rd, cap, f"the capacity of room {r}", line.number, "capacity"))
    return rooms, capacity


def _parse_curricula(rd: _Reader, lines: list[_Line], known: set[str]) -> list[tuple[str, list[str]]]:
    curricula: list[tuple[str, list[str]]] = []
    curriculum_line: dict[str, int] = {}
    for line in lines:
        fields = line.fields
        if len(fields) < 2:
            raise rd.error(f"a CURRICULA: line needs at least 2 fields '{_LINE_LAYOUT['CURRICULA:']}', "
                           f"found {len(fields)}: {_shorten(line.text)!r}", line.number)
        q = fields[0]
        members = fields[2:]
        n = rd.integer(fields[1], f"the number of courses of curriculum {q}", line.number,
                       maximum=limits.MAX_COURSES)
        if len(members) != n:
            raise rd.error(f"curriculum {q} declares {n} course{'s' if n != 1 else ''} but lists "
                           f"{len(members)}; make the number after the curriculum name equal to the number "
                           "of course names that follow", line.number)
        if q in curriculum_line:
            raise rd.error(f"duplicate curriculum name {q!r} (first defined at line {curriculum_line[q]}); "
                           "curriculum names must be unique", line.number)
        curriculum_line[q] = line.number
        seen: set[str] = set()
        for c in members:
            if c not in known:
                raise rd.error(f"curriculum {q} lists the unknown course {c!r}; every course must be "
                               "defined in the COURSES: section", line.number)
            if c in seen:
                raise rd.error(f"curriculum {q} lists course {c} twice", line.number)
            seen.add(c)
        curricula.append((q, members))
    return curricula


def _parse_unavailability(rd: _Reader, lines: list[_Line], known: set[str], days: int,
                          ppd: int) -> list[tuple[str, int]]:
    unavailable: list[tuple[str, int]] = []
    for line in lines:
        c, d, s = _fields(rd, line, "UNAVAILABILITY_CONSTRAINTS:", 3)
        if c not in known:
            raise rd.error(f"unavailability constraint for the unknown course {c!r}; every course must be "
                           "defined in the COURSES: section", line.number)
        day = rd.integer(d, f"the day of an unavailability constraint of course {c}", line.number,
                         maximum=days - 1)
        slot = rd.integer(s, f"the period of an unavailability constraint of course {c}", line.number,
                          maximum=ppd - 1)
        unavailable.append((c, day * ppd + slot))
    return unavailable


def read_sol(problem: Problem, path: str | os.PathLike) -> Timetable:
    """Read an ITC2007 solution file for ``problem``.

    Parameters
    ----------
    problem : Problem
        The instance the solution belongs to.
    path : str or os.PathLike
        The ``.sol`` file.

    Returns
    -------
    Timetable
        Lectures of a course are filled in file order; lectures without a line stay unplaced.

    Raises
    ------
    ProblemFormatError
        Naming the file and line of an unknown course or room, a day/period outside the grid, a
        course with more lines than lectures or a line without 4 fields.
    OSError
        When the file cannot be read.
    """
    return parse_sol(problem, read_file(path), source=str(path))


def parse_sol(problem: Problem, text: str | bytes, source: str = "<string>") -> Timetable:
    """Parse the text of an ITC2007 solution: one line ``<course> <room> <day> <period>`` a lecture.

    Two lines of a course in the same period are legal input (the ITC2007 validator counts the
    second one as a missing lecture); both are kept and the evaluator scores them. Blank lines are
    ignored, so an empty text is an (all-unplaced) timetable.

    Parameters
    ----------
    problem : Problem
        The instance the solution belongs to.
    text : str or bytes
        The file's content (bytes are decoded as UTF-8).
    source : str, optional
        The name used in error messages.

    Returns
    -------
    Timetable

    Raises
    ------
    ProblemFormatError
        Naming ``source``, the 1-based line and what was wrong.
    """
    text = _decode(text, source)
    rd = _Reader(_split_lines(text), source)
    tt = Timetable.empty(problem)
    used = np.zeros(problem.n_courses, np.int64)
    first_line: dict[int, int] = {}
    ppd = problem.periods_per_day
    for line in rd.lines:
        fields = line.fields
        if not fields:
            continue
        if len(fields) != 4:
            raise rd.error(f"a solution line needs 4 fields '<course> <room> <day> <period>', found "
                           f"{len(fields)}: {_shorten(line.text)!r}", line.number)
        course, room, d, s = fields
        c = problem._course_index.get(course)
        if c is None:
            raise rd.error(f"unknown course {course!r}: instance {problem.name} has no such course "
                           "(is this the solution of another instance?)", line.number)
        r = problem._room_index.get(room)
        if r is None:
            raise rd.error(f"unknown room {room!r}: instance {problem.name} has no such room "
                           "(is this the solution of another instance?)", line.number)
        day = rd.integer(d, f"the day of course {course}", line.number, maximum=problem.days - 1)
        slot = rd.integer(s, f"the period of course {course}", line.number, maximum=ppd - 1)
        n = int(problem.course_lectures[c])
        if n == 0:
            raise rd.error(f"course {course} has no lectures in instance {problem.name}; remove this line",
                           line.number)
        if used[c] >= n:
            raise rd.error(f"course {course} has only {n} lecture{'s' if n != 1 else ''} and already had "
                           f"{n} line{'s' if n != 1 else ''} (the first at line {first_line[c]}); "
                           "remove this extra line", line.number)
        first_line.setdefault(c, line.number)
        lecture = int(problem.course_lecture_ptr[c] + used[c])
        used[c] += 1
        tt.period[lecture] = day * ppd + slot
        tt.room[lecture] = r
    return tt


# ====================================================================================== writing

def format_ctt(problem: Problem) -> str:
    """The ITC2007 ``.ctt`` text of a problem; :func:`parse_ctt` reads it back to an identical problem.

    Descriptive data the format has no place for and that costs nothing (departments, categories,
    room types, buildings, period labels) is not written.

    Parameters
    ----------
    problem : Problem
        An ITC-mode problem (``problem.is_itc``).

    Returns
    -------
    str

    Raises
    ------
    TimetableError
        When the problem has extension data that changes costs and that ``.ctt`` cannot express
        (the message lists it), or a name that would not survive the whitespace-separated format.
    """
    _check_expressible(problem)
    pb = problem
    ppd = pb.periods_per_day
    unavailable = np.argwhere(pb.course_unavailable)  # row-major: course order, then period order
    out = [
        f"Name: {pb.name}",
        f"Courses: {pb.n_courses}",
        f"Rooms: {pb.n_rooms}",
        f"Days: {pb.days}",
        f"Periods_per_day: {ppd}",
        f"Curricula: {pb.n_curricula}",
        f"Constraints: {len(unavailable)}",
        "",
        "COURSES:",
    ]
    for c, cn in enumerate(pb.course_names):
        out.append(f"{cn} {pb.teacher_names[pb.course_teacher[c]]} {pb.course_lectures[c]} "
                   f"{pb.course_min_days[c]} {pb.course_students[c]}")
    out += ["", "ROOMS:"]
    out += [f"{rn} {pb.room_capacity[r]}" for r, rn in enumerate(pb.room_names)]
    out += curricula_and_unavailability(pb, unavailable)
    out += ["", "END.", ""]
    return "\n".join(out)


def curricula_and_unavailability(pb: Problem, unavailable: np.ndarray) -> list[str]:
    """The CURRICULA and UNAVAILABILITY_CONSTRAINTS sections (each after an empty line), as the
    ``.ctt`` and ``.ectt`` formats share them; ``unavailable``: ``(course, period)`` rows."""
    ppd = pb.periods_per_day
    out = ["", "CURRICULA:"]
    for q, qn in enumerate(pb.curriculum_names):
        members = pb.curriculum_courses[pb.curriculum_ptr[q]:pb.curriculum_ptr[q + 1]]
        out.append(" ".join([qn, str(len(members))] + [pb.course_names[c] for c in members]))
    out += ["", "UNAVAILABILITY_CONSTRAINTS:"]
    out += [f"{pb.course_names[c]} {p // ppd} {p % ppd}" for c, p in unavailable]
    return out


def write_ctt(problem: Problem, path: str | os.PathLike) -> None:
    """Write ``problem`` as an ITC2007 ``.ctt`` file, atomically.

    Parameters
    ----------
    problem : Problem
        An ITC-mode problem.
    path : str or os.PathLike
        The file to (over)write; its folder must exist.

    Raises
    ------
    TimetableError
        As :func:`format_ctt` (nothing is written then).
    """
    write_atomic(path, format_ctt(problem))


def format_sol(problem: Problem, timetable: Timetable) -> str:
    """The ITC2007 ``.sol`` text of a timetable: placed lectures, in lecture order.

    A lecture counts as placed when it has both a period and a room; :func:`parse_sol` reads the text
    back to the same placements (a course's placed lectures become its first lectures).

    Parameters
    ----------
    problem : Problem
    timetable : Timetable

    Returns
    -------
    str

    Raises
    ------
    TimetableError
        When the timetable does not fit the problem, or a course or room name contains whitespace.
    """
    if len(timetable.period) != problem.n_lectures:
        raise TimetableError(f"the timetable has {len(timetable.period)} lectures but instance "
                             f"{problem.name} has {problem.n_lectures}; it belongs to another instance")
    bad = np.flatnonzero((timetable.period >= problem.n_periods) | (timetable.room >= problem.n_rooms))
    if len(bad):
        l = int(bad[0])
        raise TimetableError(f"lecture {l} has period {timetable.period[l]} / room {timetable.room[l]}, "
                             f"outside instance {problem.name} ({problem.n_periods} periods, "
                             f"{problem.n_rooms} rooms)")
    _check_names("course", problem.course_names)
    _check_names("room", problem.room_names)
    rows = timetable.to_rows(problem)
    return "".join(f"{r['course']} {r['room']} {r['day']} {r['slot']}\n" for r in rows)


def write_sol(problem: Problem, timetable: Timetable, path: str | os.PathLike) -> None:
    """Write ``timetable`` as an ITC2007 ``.sol`` file, atomically.

    Parameters
    ----------
    problem : Problem
    timetable : Timetable
    path : str or os.PathLike
        The file to (over)write; its folder must exist.

    Raises
    ------
    TimetableError
        As :func:`format_sol` (nothing is written then).
    """
    write_atomic(path, format_sol(problem, timetable))


# ====================================================================================== helpers

def _check_expressible(problem: Problem) -> None:
    """Raise if the problem has data that ``.ctt`` cannot carry or names it cannot spell."""
    pb = problem
    lost: list[str] = []
    long = np.flatnonzero(pb.course_length != 1)
    if len(long):
        lost.append(f"multi-period lectures (e.g. course {pb.course_names[long[0]]} has lectures of "
                    f"{pb.course_length[long[0]]} periods)")
    if not pb.suitable.all():
        c, r = np.argwhere(~pb.suitable)[0]
        lost.append(f"room suitability (e.g. room {pb.room_names[r]} does not suit course "
                    f"{pb.course_names[c]})")
    if pb.teacher_unavailable.any():
        lost.append("teacher unavailability")
    if pb.teacher_undesired.any():
        lost.append("teacher preferences (undesired periods)")
    if pb.teacher_max_per_day.any():
        lost.append("teacher daily maximum loads")
    if pb.period_penalty.any():
        lost.append("time-of-day penalties")
    if pb.curriculum_max_per_day.any():
        lost.append("curriculum daily maximum loads")
    if pb.n_enrolments:
        lost.append(f"students' enrolments ({pb.n_students} students)")
    if lost:
        raise TimetableError(
            f"problem {pb.name!r} cannot be written as an ITC2007 .ctt file, which has no place for: "
            + "; ".join(lost) + ". Export it with tt_core.io.tables instead, or drop that data first.")
    if not pb.name or pb.name != pb.name.strip() or "\n" in pb.name or "\r" in pb.name:
        raise TimetableError(f"problem name {pb.name!r} cannot be written to a .ctt header: it must be "
                             "non-empty, on one line, without leading or trailing spaces")
    _check_names("course", pb.course_names)
    _check_names("teacher", pb.teacher_names)
    _check_names("room", pb.room_names)
    _check_names("curriculum", pb.curriculum_names)


def _check_names(what: str, names: Sequence[str]) -> None:
    for n in names:
        if not n or any(ch.isspace() for ch in n) or n in _KEYWORDS:
            raise TimetableError(f"{what} name {n!r} cannot be written to an ITC2007 file: names there are "
                                 "single words separated by spaces (and not a section keyword); rename it")


def _plural(item: str) -> str:
    return {"curriculum": "curricula"}.get(item, item + "s")


def _shorten(text: str, limit: int = 60) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit - 1] + "…"
