"""Extended curriculum-based timetabling files (``.ectt``) and reading either instance format.

The ``.ectt`` format of the curriculum-based benchmark (Bonutti, De Cesco, Di Gaspero & Schaerf,
"Benchmarking curriculum-based course timetabling", Annals of OR 2012) extends ITC2007's ``.ctt``
(:mod:`tt_core.io.itc2007`)::

    Name: <name>
    Courses: <C>
    Rooms: <R>
    Days: <D>
    Periods_per_day: <S>
    Curricula: <Q>
    Min_Max_Daily_Lectures: <min> <max>
    UnavailabilityConstraints: <U>
    RoomConstraints: <M>

    COURSES:
    <course> <teacher> <lectures> <min_working_days> <students> <double_lectures: 0|1>
    ROOMS:
    <room> <capacity> <site>
    CURRICULA:
    <curriculum> <n> <course_1> ... <course_n>
    UNAVAILABILITY_CONSTRAINTS:
    <course> <day> <period>
    ROOM_CONSTRAINTS:
    <course> <room>                       (that room is unsuitable for that course)
    END.

Solutions are ITC2007 ``.sol`` files (:func:`tt_core.io.itc2007.read_sol`).

In the :class:`~tt_core.model.Problem`: double lectures are ``course_double``, a room's site is its
``room_building`` (the number itself), the daily minimum and maximum are every curriculum's
``curriculum_min_per_day`` / ``curriculum_max_per_day``, and the room constraints are
``room_unsuitable`` — the soft reading; the formulation that makes them hard (UD4) applies
:func:`tt_core.profiles.Formulation.prepare`.

The reader names the file and the 1-based line of every mistake (a
:class:`~tt_core.errors.ProblemFormatError`) and keeps every number within
:mod:`tt_core.limits`. It is built for large files: the Erlangen instances of the benchmark (2 MB,
~100,000 room constraints) are split once into lines and the big sections are read without a
per-line object, so a file is read in well under a second per megabyte and in memory proportional
to it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

import numpy as np

from .. import limits
from ..errors import ProblemFormatError, TimetableError, ValidationError
from ..model import Problem
from .atomic import write_atomic
from .guard import read_file
from .itc2007 import _check_names, _decode, _plural, _shorten, curricula_and_unavailability, parse_ctt

__all__ = [
    "INSTANCE_SUFFIXES",
    "format_ectt",
    "parse_ectt",
    "parse_instance",
    "read_ectt",
    "read_instance",
    "write_ectt",
]

#: the instance formats :func:`read_instance` knows, by file suffix
INSTANCE_SUFFIXES = (".ctt", ".ectt")

# header keys in file order, with the wording used in messages and the bound of their number(s)
_HEADERS: tuple[tuple[str, str, str | None], ...] = (
    ("Name", "the instance name", None),
    ("Courses", "the number of courses", "courses"),
    ("Rooms", "the number of rooms", "rooms"),
    ("Days", "the number of days", "days"),
    ("Periods_per_day", "the number of periods per day", "periods_per_day"),
    ("Curricula", "the number of curricula", "curricula"),
    ("Min_Max_Daily_Lectures", "the minimum and maximum lectures per curriculum and day", None),
    ("UnavailabilityConstraints", "the number of unavailability constraints", "unavailability"),
    ("RoomConstraints", "the number of room constraints", "room_constraints"),
)
# sections in file order: keyword, header key giving its line count, what one line is, its layout
_SECTIONS: tuple[tuple[str, str, str, str], ...] = (
    ("COURSES:", "Courses", "course",
     "<course> <teacher> <lectures> <min_working_days> <students> <double_lectures>"),
    ("ROOMS:", "Rooms", "room", "<room> <capacity> <site>"),
    ("CURRICULA:", "Curricula", "curriculum", "<curriculum> <number of courses> <course_1> ... <course_n>"),
    ("UNAVAILABILITY_CONSTRAINTS:", "UnavailabilityConstraints", "unavailability constraint",
     "<course> <day> <period>"),
    ("ROOM_CONSTRAINTS:", "RoomConstraints", "room constraint", "<course> <room>"),
)
_KEYWORDS = frozenset([s[0] for s in _SECTIONS] + ["END."])
_LAYOUT = {s[0]: s[3] for s in _SECTIONS}
_INT = re.compile(r"[+-]?[0-9]{1,30}")


class _Lines:
    """The lines of one file (line endings ``\\n``, ``\\r\\n`` or ``\\r``; trailing blanks dropped)
    and a cursor over them; errors name the file and the 1-based line."""

    def __init__(self, text: str, source: str):
        self.text = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if self.text and self.text[-1] == "":
            self.text.pop()  # the final newline ends the last line
        self.source = source
        self.pos = 0

    def error(self, message: str, line: int | None) -> ProblemFormatError:
        return ProblemFormatError(message, path=self.source, line=line)

    def stripped(self, i: int) -> str:
        return self.text[i].strip()

    def next_nonblank(self, expected: str) -> tuple[int, str]:
        """``(line number, text)`` of the next non-blank line."""
        n = len(self.text)
        while self.pos < n and not self.text[self.pos].strip():
            self.pos += 1
        if self.pos >= n:
            raise self.error(f"the file ends here but {expected} is missing; the file looks truncated (a "
                             "complete .ectt file ends with a line 'END.')", max(n, 1))
        self.pos += 1
        return self.pos, self.text[self.pos - 1].strip()

    def integer(self, token: str, what: str, line: int, minimum: int, maximum: int) -> int:
        """``token`` as a whole number within ``minimum .. maximum``."""
        if not _INT.fullmatch(token):
            if re.fullmatch(r"[+-]?[0-9]+", token):
                raise self.error(f"{what} is {_shorten(token, 30)}, out of range: it must be between {minimum} and "
                                 f"{maximum}", line)
            raise self.error(f"{what} must be a whole number, got {_shorten(token, 30)!r}", line)
        value = int(token)
        if value < minimum:
            if minimum == 0:
                raise self.error(f"{what} must not be negative, got {value}", line)
            raise self.error(f"{what} must be at least {minimum}, got {value}", line)
        if value > maximum:
            raise self.error(f"{what} is {value}, out of range: it must be between {minimum} and {maximum}", line)
        return value

    def bounded(self, token: str, what: str, line: int, field: str) -> int:
        b = limits.bound(field)
        return self.integer(token, what, line, b.minimum, b.maximum)


# ====================================================================================== reading

def read_ectt(path: str | os.PathLike) -> Problem:
    """Read an extended curriculum-based timetabling instance (``.ectt``).

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    Problem

    Raises
    ------
    ProblemFormatError
        When the file is not a well-formed instance (the message names the file and line).
    OSError
        When the file cannot be read.
    """
    return parse_ectt(read_file(path), source=str(path))


def parse_ectt(text: str | bytes, source: str = "<string>") -> Problem:
    """Parse the text of an ``.ectt`` instance.

    Parameters
    ----------
    text : str or bytes
        The file's content (bytes are decoded as UTF-8).
    source : str, optional
        The name used in error messages (normally the file's path).

    Returns
    -------
    Problem
        Teachers in order of first appearance; unavailability as ``(course, day * periods_per_day +
        period)``; ``room_building`` the site numbers; ``room_unsuitable`` the room constraints.

    Raises
    ------
    ProblemFormatError
        Naming ``source``, the 1-based line and what was expected.
    """
    rd = _Lines(_decode(text, source), source)
    if not any(t.strip() for t in rd.text):
        raise rd.error("the file is empty; an .ectt instance starts with a line 'Name: <instance name>' followed "
                       "by the header counts, the sections and 'END.'", 1)
    name, header, at = _read_header(rd)
    body = _read_sections(rd, header, at)
    _read_end(rd)
    days, ppd = header["Days"], header["Periods_per_day"]
    courses = _parse_courses(rd, body["COURSES:"])
    rooms, capacity, site = _parse_rooms(rd, body["ROOMS:"])
    course_index = {c: i for i, c in enumerate(courses[0])}
    room_index = {r: i for i, r in enumerate(rooms)}
    curricula = _parse_curricula(rd, body["CURRICULA:"], course_index)
    unavailable = _parse_unavailability(rd, body["UNAVAILABILITY_CONSTRAINTS:"], course_index, days, ppd)
    unsuitable = _parse_room_constraints(rd, body["ROOM_CONSTRAINTS:"], course_index, room_index)
    lo, hi = header["Min_Max_Daily_Lectures"]
    names, teachers, lectures, min_days, students, double = courses
    Q = len(curricula)
    try:
        return Problem.create(
            name=name, days=days, periods_per_day=ppd, courses=names, course_teacher=teachers,
            course_lectures=lectures, course_min_days=min_days, course_students=students,
            rooms=rooms, room_capacity=capacity, curricula=curricula, unavailable=unavailable,
            room_building=site, course_double=double, curriculum_min_per_day=[lo] * Q,
            curriculum_max_per_day=[hi] * Q, room_unsuitable=unsuitable, count_windows=True,
            count_travel=True)
    except ValidationError as exc:  # every check above should make this unreachable
        raise ProblemFormatError(str(exc), path=source) from None


def _read_header(rd: _Lines) -> tuple[str, dict, dict[str, int]]:
    """The instance name, the header numbers and the line of each header key."""
    header: dict = {}
    at: dict[str, int] = {}
    name = ""
    for key, meaning, field in _HEADERS:
        layout = f"'{key}: <{meaning.removeprefix('the ')}>'"
        line, text = rd.next_nonblank(f"the header line {layout}")
        found, colon, value = text.partition(":")
        if not colon or found.strip() != key:
            hint = (" (this looks like an ITC2007 .ctt file: read it as .ctt)" if found.strip() == "Constraints"
                    else "")
            raise rd.error(f"expected the header line {layout}, found {_shorten(text)!r}{hint}", line)
        at[key] = line
        tokens = value.split()
        if key == "Name":
            if not tokens:
                raise rd.error(f"the header line 'Name:' needs {meaning} after the colon", line)
            name = value.strip()
            continue
        want = 2 if key == "Min_Max_Daily_Lectures" else 1
        if len(tokens) != want:
            raise rd.error(f"expected {layout} with exactly {want} number{'s' if want > 1 else ''}, found "
                           f"{len(tokens)} values in {_shorten(text)!r}", line)
        if field is not None:
            header[key] = rd.bounded(tokens[0], f"{key} ({meaning})", line, field)
            continue
        b = limits.bound("max_per_day")
        # a maximum of 0 would count every lecture of every day (the benchmark's validator has no
        # "no maximum"); the model reads 0 as "no limit", so it is refused rather than misread
        hi = rd.integer(tokens[1], "the maximum lectures per curriculum and day", line, 1, b.maximum)
        lo = rd.integer(tokens[0], "the minimum lectures per curriculum and day", line, 0, hi)
        header[key] = (lo, hi)
    periods = header["Days"] * header["Periods_per_day"]
    if periods > limits.MAX_PERIODS:
        raise rd.error(f"{header['Days']} days x {header['Periods_per_day']} periods per day make {periods} periods; "
                       f"{limits.bound('periods').range_text}", at["Periods_per_day"])
    return name, header, at


def _read_sections(rd: _Lines, header: dict, at: dict[str, int]) -> dict[str, tuple[int, list[str]]]:
    """Each section's first line number and item lines (stripped), checked against the header counts."""
    out: dict[str, tuple[int, list[str]]] = {}
    text = rd.text
    n = len(text)
    for keyword, key, item, _ in _SECTIONS:
        line, found = rd.next_nonblank(f"the section line '{keyword}'")
        if found != keyword:
            raise rd.error(f"expected the section line '{keyword}', found {_shorten(found)!r} (sections come in the "
                           "order COURSES:, ROOMS:, CURRICULA:, UNAVAILABILITY_CONSTRAINTS:, ROOM_CONSTRAINTS:)", line)
        start = rd.pos
        end = start
        while end < n:
            t = text[end].strip()
            if not t or t in _KEYWORDS:
                break
            end += 1
        body = [text[i].strip() for i in range(start, end)]
        rd.pos = end
        _check_count(rd, keyword, key, item, line, body, header[key], at[key])
        out[keyword] = (start + 1, body)
    return out


def _check_count(rd: _Lines, keyword: str, key: str, item: str, start: int, body: list[str], declared: int,
                 declared_at: int) -> None:
    plural = _plural(item)
    if len(body) > declared:
        raise rd.error(f"the {keyword} section (from line {start}) has more lines than the {declared} {plural} "
                       f"declared by '{key}: {declared}' at line {declared_at}; correct the header count or remove "
                       "the extra lines", start + 1 + declared)
    if len(body) < declared:
        if rd.pos >= len(rd.text):
            raise rd.error(f"the file ends inside the {keyword} section after {len(body)} of the {declared} {plural} "
                           f"declared at line {declared_at}; the file looks truncated (a complete .ectt file ends "
                           "with a line 'END.')", max(len(rd.text), 1))
        nxt = rd.text[rd.pos].strip()
        ended_by = "a blank line" if not nxt else f"'{nxt}'"
        raise rd.error(f"the {keyword} section (from line {start}) ends here, at {ended_by}, after {len(body)} "
                       f"{plural if len(body) != 1 else item}, but '{key}: {declared}' at line {declared_at} declares "
                       f"{declared}; correct the header count or add the missing lines (a blank line ends a "
                       "section)", rd.pos + 1)


def _read_end(rd: _Lines) -> None:
    line, text = rd.next_nonblank("the final line 'END.'")
    if text != "END.":
        raise rd.error(f"expected the final line 'END.' after the ROOM_CONSTRAINTS: section, found "
                       f"{_shorten(text)!r}", line)
    n = len(rd.text)
    while rd.pos < n and not rd.text[rd.pos].strip():
        rd.pos += 1
    if rd.pos < n:
        raise rd.error(f"unexpected text after 'END.' (at line {line}): {_shorten(rd.text[rd.pos])!r}; remove it or "
                       "check that two files were not joined", rd.pos + 1)


def _split(rd: _Lines, keyword: str, line: int, text: str, count: int) -> list[str]:
    fields = text.split()
    if len(fields) != count:
        raise rd.error(f"a {keyword} line needs {count} fields '{_LAYOUT[keyword]}', found {len(fields)}: "
                       f"{_shorten(text)!r}", line)
    return fields


def _parse_courses(rd: _Lines, section: tuple[int, list[str]]):
    """Names, teachers, lectures, minimum working days, students and double-lecture flags."""
    first, lines = section
    names: list[str] = []
    teachers: list[str] = []
    lectures: list[int] = []
    min_days: list[int] = []
    students: list[int] = []
    double: list[bool] = []
    seen: dict[str, int] = {}
    for k, text in enumerate(lines):
        line = first + k
        c, t, n, m, s, dbl = _split(rd, "COURSES:", line, text, 6)
        if c in seen:
            raise rd.error(f"duplicate course name {c!r} (first defined at line {seen[c]}); course names must be "
                           "unique", line)
        seen[c] = line
        names.append(c)
        teachers.append(t)
        lectures.append(rd.bounded(n, f"the number of lectures of course {c}", line, "lectures"))
        min_days.append(rd.bounded(m, f"the minimum working days of course {c}", line, "min_days"))
        students.append(rd.bounded(s, f"the number of students of course {c}", line, "students"))
        if dbl not in ("0", "1"):
            raise rd.error(f"the double-lectures field of course {c} must be 1 (its lectures of a day back to back) "
                           f"or 0, got {_shorten(dbl, 30)!r}", line)
        double.append(dbl == "1")
    total = sum(lectures)
    if total > limits.MAX_LECTURES:
        raise rd.error(f"the courses have {total:,} lectures in all; at most {limits.MAX_LECTURES:,} are allowed "
                       "(tt_core.limits.MAX_LECTURES)", first - 1)
    return names, teachers, lectures, min_days, students, double


def _parse_rooms(rd: _Lines, section: tuple[int, list[str]]) -> tuple[list[str], list[int], list[int]]:
    first, lines = section
    rooms: list[str] = []
    capacity: list[int] = []
    site: list[int] = []
    seen: dict[str, int] = {}
    for k, text in enumerate(lines):
        line = first + k
        r, cap, s = _split(rd, "ROOMS:", line, text, 3)
        if r in seen:
            raise rd.error(f"duplicate room name {r!r} (first defined at line {seen[r]}); room names must be unique",
                           line)
        seen[r] = line
        rooms.append(r)
        capacity.append(rd.bounded(cap, f"the capacity of room {r}", line, "capacity"))
        site.append(rd.bounded(s, f"the site of room {r}", line, "site"))
    return rooms, capacity, site


def _parse_curricula(rd: _Lines, section: tuple[int, list[str]],
                     course_index: dict[str, int]) -> list[tuple[str, list[str]]]:
    first, lines = section
    curricula: list[tuple[str, list[str]]] = []
    seen: dict[str, int] = {}
    for k, text in enumerate(lines):
        line = first + k
        fields = text.split()
        if len(fields) < 2:
            raise rd.error(f"a CURRICULA: line needs at least 2 fields '{_LAYOUT['CURRICULA:']}', found "
                           f"{len(fields)}: {_shorten(text)!r}", line)
        q, members = fields[0], fields[2:]
        n = rd.integer(fields[1], f"the number of courses of curriculum {q}", line, 0, limits.MAX_COURSES)
        if len(members) != n:
            raise rd.error(f"curriculum {q} declares {n} course{'s' if n != 1 else ''} but lists {len(members)}; make "
                           "the number after the curriculum name equal to the number of course names that follow",
                           line)
        if q in seen:
            raise rd.error(f"duplicate curriculum name {q!r} (first defined at line {seen[q]}); curriculum names must "
                           "be unique", line)
        seen[q] = line
        if len(set(members)) != len(members):
            twice = next(c for i, c in enumerate(members) if c in members[:i])
            raise rd.error(f"curriculum {q} lists course {twice} twice", line)
        for c in members:
            if c not in course_index:
                raise rd.error(f"curriculum {q} lists the unknown course {c!r}; every course must be defined in the "
                               "COURSES: section", line)
        curricula.append((q, members))
    return curricula


def _parse_unavailability(rd: _Lines, section: tuple[int, list[str]], course_index: dict[str, int], days: int,
                          ppd: int) -> list[tuple[str, int]]:
    first, lines = section
    out: list[tuple[str, int]] = []
    for k, text in enumerate(lines):
        line = first + k
        c, d, s = _split(rd, "UNAVAILABILITY_CONSTRAINTS:", line, text, 3)
        if c not in course_index:
            raise rd.error(f"unavailability constraint for the unknown course {c!r}; every course must be defined in "
                           "the COURSES: section", line)
        day = rd.integer(d, f"the day of an unavailability constraint of course {c}", line, 0, days - 1)
        slot = rd.integer(s, f"the period of an unavailability constraint of course {c}", line, 0, ppd - 1)
        out.append((c, day * ppd + slot))
    return out


def _parse_room_constraints(rd: _Lines, section: tuple[int, list[str]], course_index: dict[str, int],
                            room_index: dict[str, int]) -> np.ndarray:
    """bool [courses, rooms]: the listed (unsuitable) pairs; a pair listed twice is the same pair."""
    first, lines = section
    cs = np.empty(len(lines), np.int64)
    rs = np.empty(len(lines), np.int64)
    for k, text in enumerate(lines):
        fields = text.split()
        c = course_index.get(fields[0]) if len(fields) == 2 else None
        r = room_index.get(fields[1]) if len(fields) == 2 else None
        if c is None or r is None:  # the rare bad line: say exactly what is wrong with it
            line = first + k
            fields = _split(rd, "ROOM_CONSTRAINTS:", line, text, 2)
            if c is None:
                raise rd.error(f"room constraint for the unknown course {fields[0]!r}; every course must be defined "
                               "in the COURSES: section", line)
            raise rd.error(f"room constraint of course {fields[0]} names the unknown room {fields[1]!r}; every room "
                           "must be defined in the ROOMS: section", line)
        cs[k] = c
        rs[k] = r
    m = np.zeros((len(course_index), len(room_index)), np.bool_)
    m[cs, rs] = True
    return m


def read_instance(path: str | os.PathLike) -> Problem:
    """Read an instance in either curriculum-based format: ``.ctt`` (ITC2007) or ``.ectt``.

    The suffix decides; a file with another suffix is read by the format its header names (the
    seventh header key is ``Constraints`` in ``.ctt`` and ``Min_Max_Daily_Lectures`` in ``.ectt``).

    Raises
    ------
    ProblemFormatError
        As :func:`parse_ectt` / :func:`tt_core.io.itc2007.parse_ctt`.
    OSError
        When the file cannot be read.
    """
    return parse_instance(read_file(path), source=str(path))


def parse_instance(text: str | bytes, source: str = "<string>") -> Problem:
    """Parse a ``.ctt`` or ``.ectt`` instance (see :func:`read_instance`)."""
    suffix = os.path.splitext(source)[1].lower()
    if suffix == ".ectt":
        return parse_ectt(text, source)
    if suffix == ".ctt":
        return parse_ctt(text, source)
    head = text[:4096].decode("utf-8", "replace") if isinstance(text, bytes) else text[:4096]
    return parse_ectt(text, source) if "Min_Max_Daily_Lectures" in head else parse_ctt(text, source)


# ====================================================================================== writing

def format_ectt(problem: Problem) -> str:
    """The ``.ectt`` text of a problem; :func:`parse_ectt` reads it back to an identical problem.

    Parameters
    ----------
    problem : Problem
        A curriculum-based problem whose curricula share one daily minimum and maximum.

    Returns
    -------
    str

    Raises
    ------
    TimetableError
        When the problem has data the format cannot carry (lists it), curricula with different
        daily ranges, or names that would not survive the whitespace-separated format.
    """
    pb = problem
    _check_expressible(pb)
    ppd = pb.periods_per_day
    lo, hi = _daily_range(pb)
    unavailable = np.argwhere(pb.course_unavailable)
    pairs = np.argwhere(pb.room_unsuitable)
    out = [f"Name: {pb.name}", f"Courses: {pb.n_courses}", f"Rooms: {pb.n_rooms}", f"Days: {pb.days}",
           f"Periods_per_day: {ppd}", f"Curricula: {pb.n_curricula}", f"Min_Max_Daily_Lectures: {lo} {hi}",
           f"UnavailabilityConstraints: {len(unavailable)}", f"RoomConstraints: {len(pairs)}", "", "COURSES:"]
    out += [f"{cn} {pb.teacher_names[pb.course_teacher[c]]} {pb.course_lectures[c]} {pb.course_min_days[c]} "
            f"{pb.course_students[c]} {int(pb.course_double[c])}" for c, cn in enumerate(pb.course_names)]
    out += ["", "ROOMS:"]
    out += [f"{rn} {pb.room_capacity[r]} {pb.room_building[r]}" for r, rn in enumerate(pb.room_names)]
    out += curricula_and_unavailability(pb, unavailable)
    out += ["", "ROOM_CONSTRAINTS:"]
    out += [f"{pb.course_names[c]} {pb.room_names[r]}" for c, r in pairs]
    out += ["", "END.", ""]
    return "\n".join(out)


def write_ectt(problem: Problem, path: str | os.PathLike) -> None:
    """Write ``problem`` as an ``.ectt`` file, atomically (nothing is written when it cannot be).

    Raises
    ------
    TimetableError
        As :func:`format_ectt`.
    """
    write_atomic(path, format_ectt(problem))


def _daily_range(pb: Problem) -> tuple[int, int]:
    """The one ``(min, max)`` every curriculum has (``(0, 1)`` without curricula)."""
    if pb.n_curricula == 0:
        return 0, 1
    lo, hi = set(pb.curriculum_min_per_day.tolist()), set(pb.curriculum_max_per_day.tolist())
    if len(lo) != 1 or len(hi) != 1 or 0 in hi:
        raise TimetableError(f"problem {pb.name!r} cannot be written as .ectt: the format has one daily minimum and "
                             "maximum of lectures for all curricula (Min_Max_Daily_Lectures), a maximum of at least 1; "
                             f"this problem has minima {sorted(lo)} and maxima {sorted(hi)} (0 = none)")
    return lo.pop(), hi.pop()


def _check_expressible(pb: Problem) -> None:
    lost: list[str] = []
    long = np.flatnonzero(pb.course_length != 1)
    if len(long):
        lost.append(f"multi-period lectures (e.g. course {pb.course_names[long[0]]})")
    if not pb.suitable.all():
        lost.append("room types/features (hard room suitability); the .ectt room constraints are the soft "
                    "'unsuitable rooms' list")
    for flag, what in ((pb.teacher_unavailable.any(), "teacher unavailability"),
                       (pb.teacher_undesired.any(), "teacher preferences"),
                       (pb.teacher_max_per_day.any(), "teacher daily maximum loads"),
                       (pb.period_penalty.any(), "time-of-day penalties"),
                       (pb.n_enrolments > 0, f"students' enrolments ({pb.n_students} students)")):
        if flag:
            lost.append(what)
    if (pb.room_building < 0).any():
        lost.append("rooms without a site (building)")
    if lost:
        raise TimetableError(f"problem {pb.name!r} cannot be written as an .ectt file, which has no place for: "
                             + "; ".join(lost) + ". Export it with tt_core.io.tables instead, or drop that data first.")
    if not pb.name or pb.name != pb.name.strip() or "\n" in pb.name or "\r" in pb.name:
        raise TimetableError(f"problem name {pb.name!r} cannot be written to an .ectt header: it must be non-empty, on "
                             "one line, without leading or trailing spaces")
    names: Sequence[tuple[str, Sequence[str]]] = (("course", pb.course_names), ("teacher", pb.teacher_names),
                                                   ("room", pb.room_names), ("curriculum", pb.curriculum_names))
    for what, seq in names:
        _check_names(what, seq)
