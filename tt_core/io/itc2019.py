"""ITC2019 XML: read an instance and a solution, write a solution.

The reader streams the file through expat (no document tree: the largest public instances are
~45 MB) and collects numbers into compact ``array`` buffers, so memory grows with the numbers of
the instance, not with the XML text. Every problem in the input — malformed XML, an unknown
element, a missing or non-numeric attribute, an unknown or repeated id, a bit string of the wrong
length, a class without times, a parent in another config, a solution giving a class a time or a
room it does not offer — raises one :class:`~tt_core.errors.ProblemFormatError` naming the file,
the line and the element. Nothing is returned half-read, and writing goes through
:func:`~tt_core.io.atomic.write_atomic` (a failure leaves no file).

Format: itc2019.org "format"; the layout is::

    <problem name nrDays nrWeeks slotsPerDay>
      <optimization time room distribution student/>
      <rooms><room id capacity><travel room value/><unavailable days start length weeks/></room></rooms>
      <courses><course id><config id><subpart id>
        <class id limit [parent] [room="false"]><room id penalty/><time days start length weeks penalty/></class>
      </subpart></config></course></courses>
      <distributions><distribution type required="true"|penalty><class id/></distribution></distributions>
      <students><student id><course id/></student></students>
    </problem>

    <solution name runtime cores technique author institution country>
      <class id days start weeks [room]><student id/></class>
    </solution>
"""

from __future__ import annotations

import os
import re
from array import array
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar
from xml.parsers import expat
from xml.sax.saxutils import quoteattr

import numpy as np

from ..classes.distributions import parse_type
from ..classes.model import SOLUTION_ATTRIBUTES, ClassProblem, ClassSolution
from ..errors import ProblemFormatError, TimetableError, ValidationError
from .atomic import write_atomic

_CHUNK = 1 << 20
_ROOT_RE = re.compile(rb"<\s*(problem|solution)\b")


def looks_like_itc2019(path: str | os.PathLike) -> bool:
    """True for an ``.xml`` file, or a file whose first element is ``<problem>``/``<solution>``."""
    path = Path(path)
    if path.suffix.lower() == ".xml":
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and bool(_ROOT_RE.search(head))


class _Reader:
    """Shared machinery: expat, the element stack, attribute parsing with file/line in errors."""

    ROOT = ""
    CHILDREN: ClassVar[dict[str, tuple[str, ...]]] = {}

    def __init__(self, path: str | os.PathLike):
        self.path = str(path)
        self.parser = expat.ParserCreate()
        self.parser.buffer_text = True
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.stack: list[str] = []
        self._bit_cache: dict[tuple[str, int], int] = {}
        self.current: dict[str, str] = {}   # kind -> id of the innermost open element of that kind
        self._build_tables()

    # ------------------------------------------------------------------ driving
    def parse(self) -> None:
        try:
            with open(self.path, "rb") as fh:
                while True:
                    chunk = fh.read(_CHUNK)
                    self.parser.Parse(chunk, not chunk)
                    if not chunk:
                        break
        except expat.ExpatError as exc:
            raise ProblemFormatError(f"not well-formed XML: {expat.errors.messages[exc.code]} "
                                     f"(column {exc.offset + 1})", path=self.path, line=exc.lineno) from None


    @property
    def line(self) -> int:
        return self.parser.CurrentLineNumber

    def error(self, message: str, line: int | None = None) -> ProblemFormatError:
        return ProblemFormatError(message, path=self.path, line=self.line if line is None else line)

    def _build_tables(self) -> None:
        """(parent, element) -> its start / end handler (or a no-op): one dict lookup per element."""
        self._starts: dict[tuple[str, str], object] = {}
        self._ends: dict[tuple[str, str], object] = {}
        def nothing(*_):
            return None

        for parent, children in (("", (self.ROOT,)), *self.CHILDREN.items()):
            for name in children:
                tail = f"{parent}_{name}" if parent else name
                self._starts[(parent, name)] = getattr(self, f"_start_{tail}", nothing)
                self._ends[(parent, name)] = getattr(self, f"_end_{tail}", nothing)

    def _start(self, name: str, attrs: dict) -> None:
        stack = self.stack
        parent = stack[-1] if stack else ""
        handler = self._starts.get((parent, name))
        if handler is None:
            self._unexpected(parent, name)
        stack.append(name)
        handler(attrs)

    def _unexpected(self, parent: str, name: str) -> None:
        if not parent:
            other = "solution" if self.ROOT == "problem" else "problem"
            hint = (f"; this looks like an ITC2019 {other} file — check the order of the arguments"
                    if name == other else "")
            raise self.error(f"expected <{self.ROOT}> as the first element, found <{name}>{hint}")
        allowed = ", ".join(f"<{c}>" for c in self.CHILDREN.get(parent, ())) or "nothing"
        raise self.error(f"unexpected <{name}> inside <{parent}> (allowed there: {allowed})")

    def _end(self, name: str) -> None:
        stack = self.stack
        stack.pop()
        self._ends[(stack[-1] if stack else "", name)]()

    # ------------------------------------------------------------------ attributes
    def req(self, attrs: dict, key: str) -> str:
        value = attrs.get(key)
        if value is None:
            raise self.error(f"<{self.stack[-1]}> needs the attribute {key}=\"…\"")
        return value

    def int_attr(self, attrs: dict, key: str, default: int | None = None, minimum: int | None = 0) -> int:
        raw = attrs.get(key)
        if raw is None:
            if default is None:
                raise self.error(f"<{self.stack[-1]}> needs the attribute {key}=\"…\" (a whole number)")
            return default
        try:
            value = int(raw)
        except ValueError:
            raise self.error(f"<{self.stack[-1]}> {key}=\"{raw}\" is not a whole number") from None
        if minimum is not None and value < minimum:
            raise self.error(f"<{self.stack[-1]}> {key}=\"{raw}\" must be at least {minimum}")
        return value

    def bits(self, attrs: dict, key: str, n: int, what: str) -> int:
        """A bit string of exactly ``n`` characters → int, character ``i`` = bit ``i``."""
        raw = self.req(attrs, key)
        value = self._bit_cache.get((raw, n))
        if value is None:
            if len(raw) != n:
                raise self.error(f"<{self.stack[-1]}> {key}=\"{raw}\" has {len(raw)} characters; it needs {n} "
                                 f"(one 0/1 per {what})")
            if raw.strip("01"):
                raise self.error(f"<{self.stack[-1]}> {key}=\"{raw}\" may contain only 0 and 1")
            value = int(raw[::-1], 2)
            self._bit_cache[(raw, n)] = value
        return value

    def new_id(self, table: dict, attrs: dict, what: str) -> str:
        ident = self.req(attrs, "id")
        if ident in table:
            raise self.error(f"<{self.stack[-1]} id=\"{ident}\">: {what} id {ident} is used twice "
                             f"(first on line {table[ident][1]})")
        return ident


# ============================================================================ instance

class _ProblemReader(_Reader):
    ROOT = "problem"
    CHILDREN: ClassVar[dict[str, tuple[str, ...]]] = {
        "problem": ("optimization", "rooms", "courses", "distributions", "students"),
        "rooms": ("room",), "room": ("travel", "unavailable"),
        "courses": ("course",), "course": ("config",), "config": ("subpart",), "subpart": ("class",),
        "class": ("room", "time"),
        "distributions": ("distribution",), "distribution": ("class",),
        "students": ("student",), "student": ("course",),
    }

    def __init__(self, path):
        super().__init__(path)
        self.name = ""
        self.nr_days = self.nr_weeks = self.slots = 0
        self.weights = None
        # rooms
        self.rooms: dict[str, tuple[int, int]] = {}       # id -> (index, line)
        self.room_capacity = array("i")
        self.travel: list[tuple[int, str, int, int]] = []  # (room, other id, value, line)
        self.un_room, self.un_days, self.un_start, self.un_length = array("i"), array("i"), array("i"), array("i")
        self.un_weeks = array("q")
        # hierarchy
        self.courses: dict[str, tuple[int, int]] = {}
        self.configs: dict[str, tuple[int, int]] = {}
        self.subparts: dict[str, tuple[int, int]] = {}
        self.classes: dict[str, tuple[int, int]] = {}
        self.course_config_ptr, self.config_subpart_ptr, self.subpart_class_ptr = (
            array("i", [0]),
            array("i", [0]),
            array("i", [0]),
        )
        self.class_limit = array("i")
        self.class_config = array("i")
        self.class_subpart = array("i")
        self.parents: list[tuple[int, str, int]] = []     # (class, parent id, line)
        self.no_room = array("b")
        self.class_line = array("i")
        self.time_ptr, self.room_ptr = array("i", [0]), array("i", [0])
        self.t_days, self.t_start, self.t_length, self.t_penalty = array("i"), array("i"), array("i"), array("i")
        self.t_weeks = array("q")
        self.o_room, self.o_penalty = array("i"), array("i")
        self._class_rooms: set[int] = set()
        # distributions
        self.d_type, self.d_required, self.d_penalty, self.d_p1, self.d_p2 = (array("i") for _ in range(5))
        self.d_ptr = array("i", [0])
        self.d_class: list[str] = []
        self.d_class_line = array("i")
        self.d_line = array("i")
        # students
        self.students: dict[str, tuple[int, int]] = {}
        self.s_ptr = array("i", [0])
        self.s_course: list[str] = []
        self.s_course_line = array("i")

    # ------------------------------------------------------------------ header
    def _start_problem(self, a):
        self.name = self.req(a, "name")
        self.nr_days = self.int_attr(a, "nrDays", minimum=1)
        self.nr_weeks = self.int_attr(a, "nrWeeks", minimum=1)
        self.slots = self.int_attr(a, "slotsPerDay", minimum=1)
        if self.nr_days > 31 or self.nr_weeks > 62:
            raise self.error(f"<problem> nrDays={self.nr_days}, nrWeeks={self.nr_weeks}: at most 31 days "
                             "and 62 weeks are supported")

    def _start_problem_optimization(self, a):
        self.weights = [self.int_attr(a, k) for k in ("time", "room", "distribution", "student")]

    # ------------------------------------------------------------------ rooms
    def _start_rooms_room(self, a):
        ident = self.new_id(self.rooms, a, "room")
        self.rooms[ident] = (len(self.room_capacity), self.line)
        self.room_capacity.append(self.int_attr(a, "capacity"))

    def _start_room_travel(self, a):
        self.travel.append((len(self.room_capacity) - 1, self.req(a, "room"), self.int_attr(a, "value"), self.line))

    def _start_room_unavailable(self, a):
        self.un_room.append(len(self.room_capacity) - 1)
        self.un_days.append(self.bits(a, "days", self.nr_days, "day"))
        self.un_weeks.append(self.bits(a, "weeks", self.nr_weeks, "week"))
        start, length = self.int_attr(a, "start"), self.int_attr(a, "length", minimum=1)
        if start + length > self.slots:
            raise self.error(f"<unavailable> start={start} length={length} ends after slot {self.slots} (slotsPerDay)")
        self.un_start.append(start)
        self.un_length.append(length)

    # ------------------------------------------------------------------ courses
    def _start_courses_course(self, a):
        ident = self.current["course"] = self.new_id(self.courses, a, "course")
        self.courses[ident] = (len(self.courses), self.line)

    def _end_courses_course(self):
        if len(self.configs) == self.course_config_ptr[-1]:
            ident = self.current["course"]
            raise self.error(f"<course id=\"{ident}\"> has no <config>", self.courses[ident][1])
        self.course_config_ptr.append(len(self.configs))

    def _start_course_config(self, a):
        ident = self.current["config"] = self.new_id(self.configs, a, "config")
        self.configs[ident] = (len(self.configs), self.line)

    def _end_course_config(self):
        if len(self.subparts) == self.config_subpart_ptr[-1]:
            ident = self.current["config"]
            raise self.error(f"<config id=\"{ident}\"> has no <subpart>", self.configs[ident][1])
        self.config_subpart_ptr.append(len(self.subparts))

    def _start_config_subpart(self, a):
        ident = self.current["subpart"] = self.new_id(self.subparts, a, "subpart")
        self.subparts[ident] = (len(self.subparts), self.line)

    def _end_config_subpart(self):
        if len(self.classes) == self.subpart_class_ptr[-1]:
            ident = self.current["subpart"]
            raise self.error(f"<subpart id=\"{ident}\"> has no <class>", self.subparts[ident][1])
        self.subpart_class_ptr.append(len(self.classes))

    def _start_subpart_class(self, a):
        ident = self.current["class"] = self.new_id(self.classes, a, "class")
        c = len(self.classes)
        self.classes[ident] = (c, self.line)
        self.class_limit.append(self.int_attr(a, "limit"))
        self.class_config.append(len(self.configs) - 1)
        self.class_subpart.append(len(self.subparts) - 1)
        self.class_line.append(self.line)
        parent = a.get("parent")
        if parent is not None:
            self.parents.append((c, parent, self.line))
        room = a.get("room", "true").lower()
        if room not in ("true", "false"):
            raise self.error(f"<class id=\"{ident}\"> room=\"{a['room']}\": write room=\"false\" for a class "
                             "that needs no room, or leave the attribute out")
        self.no_room.append(room == "false")
        self._class_rooms.clear()

    def _end_subpart_class(self):
        ident = self.current["class"]
        c, line = self.classes[ident]
        if len(self.t_start) == self.time_ptr[-1]:
            raise self.error(f"<class id=\"{ident}\"> has no <time>: every class needs at least one", line)
        has_rooms = len(self.o_room) > self.room_ptr[-1]
        if self.no_room[c] and has_rooms:
            raise self.error(f"<class id=\"{ident}\"> says room=\"false\" but lists rooms", line)
        if not self.no_room[c] and not has_rooms:
            raise self.error(f"<class id=\"{ident}\"> lists no <room>; write room=\"false\" if it needs none", line)
        self.time_ptr.append(len(self.t_start))
        self.room_ptr.append(len(self.o_room))

    def _start_class_room(self, a):
        ident = self.req(a, "id")
        room = self.rooms.get(ident)
        if room is None:
            raise self.error(f"<room id=\"{ident}\"> of class {self.current['class']}: no room has id {ident}")
        if room[0] in self._class_rooms:
            raise self.error(f"<room id=\"{ident}\"> is listed twice for class {self.current['class']}")
        self._class_rooms.add(room[0])
        self.o_room.append(room[0])
        self.o_penalty.append(self.int_attr(a, "penalty", default=0, minimum=None))

    def _start_class_time(self, a):
        self.t_days.append(self.bits(a, "days", self.nr_days, "day"))
        self.t_weeks.append(self.bits(a, "weeks", self.nr_weeks, "week"))
        start, length = self.int_attr(a, "start"), self.int_attr(a, "length", minimum=1)
        if start + length > self.slots:
            raise self.error(f"<time> start={start} length={length} of class {self.current['class']} "
                             f"ends after slot {self.slots} (slotsPerDay)")
        self.t_start.append(start)
        self.t_length.append(length)
        self.t_penalty.append(self.int_attr(a, "penalty", default=0, minimum=None))
        if self.t_days[-1] == 0 or self.t_weeks[-1] == 0:
            raise self.error(f"<time> of class {self.current['class']} meets on no day or in no week")

    # ------------------------------------------------------------------ distributions
    def _start_distributions_distribution(self, a):
        raw = self.req(a, "type")
        try:
            kind, p1, p2 = parse_type(raw)
        except TimetableError as exc:
            raise self.error(f"<distribution>: {exc}") from None
        required = a.get("required", "false").lower()
        if required not in ("true", "false"):
            raise self.error(f"<distribution> required=\"{a['required']}\": write true or false")
        if required == "true":
            penalty = 0
        elif "penalty" in a:
            penalty = self.int_attr(a, "penalty")
        else:
            raise self.error(f"<distribution type=\"{raw}\"> needs required=\"true\" or a penalty=\"…\"")
        for buf, v in ((self.d_type, int(kind)), (self.d_required, required == "true"),
                       (self.d_penalty, penalty), (self.d_p1, p1), (self.d_p2, p2), (self.d_line, self.line)):
            buf.append(v)

    def _end_distributions_distribution(self):
        self.d_ptr.append(len(self.d_class))

    def _start_distribution_class(self, a):
        self.d_class.append(self.req(a, "id"))
        self.d_class_line.append(self.line)

    # ------------------------------------------------------------------ students
    def _start_students_student(self, a):
        self.students[self.new_id(self.students, a, "student")] = (len(self.students), self.line)

    def _end_students_student(self):
        self.s_ptr.append(len(self.s_course))

    def _start_student_course(self, a):
        self.s_course.append(self.req(a, "id"))
        self.s_course_line.append(self.line)

    # ------------------------------------------------------------------ assembling
    def problem(self) -> ClassProblem:
        self.parse()
        if self.weights is None:
            raise self.error("<problem> has no <optimization time room distribution student> element", 1)
        R = len(self.room_capacity)
        travel = np.zeros((R, R), np.int32)
        for r, other, value, line in self.travel:
            o = self.rooms.get(other)
            if o is None:
                raise self.error(f"<travel room=\"{other}\">: no room has id {other}", line)
            o = o[0]
            if (travel[r, o] or travel[o, r]) and travel[r, o] != value:
                raise self.error(f"<travel room=\"{other}\" value=\"{value}\">: the travel time between rooms "
                                 f"{list(self.rooms)[r]} and {other} is already {travel[r, o]}", line)
            travel[r, o] = travel[o, r] = value
        class_parent = np.full(len(self.classes), -1, np.int32)
        class_ids = list(self.classes)
        for c, parent, line in self.parents:
            p = self.classes.get(parent)
            if p is None:
                raise self.error(f"<class id=\"{class_ids[c]}\" parent=\"{parent}\">: no class has id {parent}", line)
            p = p[0]
            if self.class_config[p] != self.class_config[c]:
                configs = list(self.configs)
                raise self.error(
                    f'<class id="{class_ids[c]}" parent="{parent}">: the parent is in config '
                    f"{configs[self.class_config[p]]}, the class in config {configs[self.class_config[c]]}; "
                    "a parent must be in the same config",
                    line,
                )
            if self.class_subpart[p] == self.class_subpart[c]:
                raise self.error(f"<class id=\"{class_ids[c]}\" parent=\"{parent}\">: the parent is in the same "
                                 "subpart; it must be in another subpart of the config", line)
            class_parent[c] = p
        d_classes = np.empty(len(self.d_class), np.int32)
        for i, ident in enumerate(self.d_class):
            c = self.classes.get(ident)
            if c is None:
                raise self.error(f"<class id=\"{ident}\"> in a <distribution>: no class has id {ident}",
                                 self.d_class_line[i])
            d_classes[i] = c[0]
        for d in range(len(self.d_type)):
            members = d_classes[self.d_ptr[d]:self.d_ptr[d + 1]]
            if len(set(members.tolist())) != len(members):
                dup = next(x for x in members.tolist() if members.tolist().count(x) > 1)
                raise self.error(f"<distribution> lists class {class_ids[dup]} twice", self.d_line[d])
        s_courses = np.empty(len(self.s_course), np.int32)
        student_ids = list(self.students)
        for i, ident in enumerate(self.s_course):
            k = self.courses.get(ident)
            if k is None:
                raise self.error(f"<course id=\"{ident}\"> of a <student>: no course has id {ident}",
                                 self.s_course_line[i])
            s_courses[i] = k[0]
        for s in range(len(student_ids)):
            mine = s_courses[self.s_ptr[s]:self.s_ptr[s + 1]].tolist()
            if len(set(mine)) != len(mine):
                dup = next(x for x in mine if mine.count(x) > 1)
                raise self.error(f"<student id=\"{student_ids[s]}\"> requests course {list(self.courses)[dup]} twice",
                                 self.students[student_ids[s]][1])
        room_ptr = np.asarray(self.room_ptr, np.int32)
        try:
            return ClassProblem(
                name=self.name, nr_days=self.nr_days, nr_weeks=self.nr_weeks, slots_per_day=self.slots,
                weights=np.asarray(self.weights, np.int64),
                room_ids=tuple(self.rooms), room_capacity=np.asarray(self.room_capacity, np.int32), travel=travel,
                unavailable_ptr=_ptr_from_owner(np.asarray(self.un_room, np.int32), R),
                unavailable_days=np.asarray(self.un_days, np.int32),
                unavailable_start=np.asarray(self.un_start, np.int32),
                unavailable_length=np.asarray(self.un_length, np.int32),
                unavailable_weeks=np.asarray(self.un_weeks, np.int64),
                course_ids=tuple(self.courses), config_ids=tuple(self.configs),
                subpart_ids=tuple(self.subparts), class_ids=tuple(class_ids),
                course_config_ptr=np.asarray(self.course_config_ptr, np.int32),
                config_subpart_ptr=np.asarray(self.config_subpart_ptr, np.int32),
                subpart_class_ptr=np.asarray(self.subpart_class_ptr, np.int32),
                class_limit=np.asarray(self.class_limit, np.int32), class_parent=class_parent,
                time_ptr=np.asarray(self.time_ptr, np.int32), time_days=np.asarray(self.t_days, np.int32),
                time_start=np.asarray(self.t_start, np.int32), time_length=np.asarray(self.t_length, np.int32),
                time_weeks=np.asarray(self.t_weeks, np.int64), time_penalty=np.asarray(self.t_penalty, np.int32),
                room_option_ptr=room_ptr, room_option_room=np.asarray(self.o_room, np.int32),
                room_option_penalty=np.asarray(self.o_penalty, np.int32),
                distribution_type=np.asarray(self.d_type, np.int32),
                distribution_required=np.asarray(self.d_required, np.bool_),
                distribution_penalty=np.asarray(self.d_penalty, np.int32),
                distribution_param=np.stack([np.asarray(self.d_p1, np.int32), np.asarray(self.d_p2, np.int32)], axis=1)
                if len(self.d_type) else np.zeros((0, 2), np.int32),
                distribution_ptr=np.asarray(self.d_ptr, np.int32), distribution_classes=d_classes,
                student_ids=tuple(student_ids), student_ptr=np.asarray(self.s_ptr, np.int32),
                student_courses=s_courses,
            )
        except ValidationError as exc:  # what only the whole instance shows (e.g. a cycle of parents)
            raise ProblemFormatError(str(exc), path=self.path) from None


def _ptr_from_owner(owner: np.ndarray, n: int) -> np.ndarray:
    ptr = np.zeros(n + 1, np.int32)
    np.cumsum(np.bincount(owner, minlength=n), out=ptr[1:])
    return ptr


def read_problem_xml(path: str | os.PathLike) -> ClassProblem:
    """Read an ITC2019 instance.

    Parameters
    ----------
    path : str or PathLike

    Returns
    -------
    ClassProblem

    Raises
    ------
    ProblemFormatError
        Naming the file, the line and the element of the first problem found.
    """
    return _ProblemReader(path).problem()


# ============================================================================ solution

class _SolutionReader(_Reader):
    ROOT = "solution"
    CHILDREN: ClassVar[dict[str, tuple[str, ...]]] = {"solution": ("class",), "class": ("student",)}

    def __init__(self, problem: ClassProblem, path):
        super().__init__(path)
        self.p = problem
        self.index = problem.index
        self.time = np.full(problem.n_classes, -1, np.int32)
        self.room = np.full(problem.n_classes, -1, np.int32)
        self.seen = np.zeros(problem.n_classes, np.int32)  # line of the class's element, 0 = absent
        self.meta: dict[str, str] = {}
        self.pair_student, self.pair_class = array("i"), array("i")
        self.klass = -1
        self._current_students: set[int] = set()

    def _start_solution(self, a):
        name = a.get("name")
        if name is not None and name != self.p.name:
            raise self.error(f"<solution name=\"{name}\"> is a solution of instance {name}, not of {self.p.name}")
        self.meta = {k: a[k] for k in SOLUTION_ATTRIBUTES if k in a}
        self.meta.update({k: v for k, v in a.items() if k not in self.meta})

    def _start_solution_class(self, a):
        p = self.p
        ident = self.req(a, "id")
        c = self.index.klass.get(ident)
        if c is None:
            raise self.error(f"<class id=\"{ident}\">: the instance has no class {ident}")
        if self.seen[c]:
            raise self.error(f"<class id=\"{ident}\"> appears twice (first on line {self.seen[c]})")
        self.seen[c] = self.line
        days = self.bits(a, "days", p.nr_days, "day")
        weeks = self.bits(a, "weeks", p.nr_weeks, "week")
        start = self.int_attr(a, "start")
        lo, hi = p.time_ptr[c], p.time_ptr[c + 1]
        hit = np.flatnonzero((p.time_days[lo:hi] == days) & (p.time_start[lo:hi] == start)
                             & (p.time_weeks[lo:hi] == weeks))
        if hit.size == 0:
            raise self.error(f"<class id=\"{ident}\" days=\"{a['days']}\" start=\"{start}\" weeks=\"{a['weeks']}\">: "
                             f"class {ident} does not offer this time (it has {hi - lo} time options)")
        self.time[c] = hit[0]
        room = a.get("room")
        if room is not None:
            r = self.index.room.get(room)
            lo, hi = p.room_option_ptr[c], p.room_option_ptr[c + 1]
            if hi == lo:
                raise self.error(f"<class id=\"{ident}\" room=\"{room}\">: class {ident} needs no room "
                                 "(room=\"false\" in the instance); leave the attribute out")
            hit = np.flatnonzero(p.room_option_room[lo:hi] == r) if r is not None else np.zeros(0, int)
            if hit.size == 0:
                raise self.error(f"<class id=\"{ident}\" room=\"{room}\">: class {ident} does not offer room {room}")
            self.room[c] = hit[0]
        self.klass = c
        self._current_students.clear()

    def _start_class_student(self, a):
        ident = self.req(a, "id")
        s = self.index.student.get(ident)
        if s is None:
            raise self.error(f"<student id=\"{ident}\"> in class {self.p.class_ids[self.klass]}: "
                             f"the instance has no student {ident}")
        if s in self._current_students:
            raise self.error(f"<student id=\"{ident}\"> is listed twice in class {self.p.class_ids[self.klass]}")
        self._current_students.add(s)
        self.pair_student.append(s)
        self.pair_class.append(self.klass)

    def solution(self) -> ClassSolution:
        self.parse()
        S = self.p.n_students
        ps = np.asarray(self.pair_student, np.int64)
        pc = np.asarray(self.pair_class, np.int64)
        order = np.lexsort((pc, ps))
        ptr = _ptr_from_owner(ps.astype(np.int32), S)
        sol = ClassSolution(time=self.time, room=self.room, student_ptr=ptr,
                            student_classes=pc[order].astype(np.int32), meta=tuple(self.meta.items()))
        sol.check(self.p)
        return sol


def read_solution_xml(problem: ClassProblem, path: str | os.PathLike) -> ClassSolution:
    """Read an ITC2019 solution of ``problem``.

    Classes the file leaves out are unassigned (``time == -1``), which the evaluator reports as a
    hard violation; a class that needs a room and has none in the file gets ``room == -1`` (also
    reported). A time or a room the class does not offer, an unknown class or student, a class
    given twice, a solution of another instance: :class:`ProblemFormatError` with the line.
    """
    return _SolutionReader(problem, path).solution()


def bit_string(value: int, n: int) -> str:
    """The bit string of a mask, character ``i`` = bit ``i``."""
    return "".join("1" if (value >> i) & 1 else "0" for i in range(n))


def solution_xml(problem: ClassProblem, solution: ClassSolution, meta: Mapping[str, str] | None = None) -> str:
    """The text of a solution file: header attributes from ``meta``, then ``solution.meta``, then
    defaults (``name`` is always the instance's); unassigned classes are left out."""
    solution.check(problem)
    header = {"name": problem.name, "runtime": "0", "cores": "1", "technique": "timetable studio",
              "author": "", "institution": "", "country": ""}
    header.update({k: v for k, v in solution.meta if k != "name"})
    header.update({k: str(v) for k, v in (meta or {}).items() if k != "name"})
    attrs = " ".join(f"{k}={quoteattr(str(v))}" for k, v in header.items())
    per_class: list[list[int]] = [[] for _ in range(problem.n_classes)]
    for s, (a, b) in enumerate(zip(solution.student_ptr[:-1], solution.student_ptr[1:])):
        for c in solution.student_classes[a:b]:
            per_class[c].append(s)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f"<solution {attrs}>"]
    for c in range(problem.n_classes):
        t = int(solution.time[c])
        if t < 0:
            continue
        g = problem.time_ptr[c] + t
        cls_attrs = (
            f'id={quoteattr(problem.class_ids[c])} days="{bit_string(int(problem.time_days[g]), problem.nr_days)}" '
            f'start="{int(problem.time_start[g])}" weeks="{bit_string(int(problem.time_weeks[g]), problem.nr_weeks)}"'
        )
        o = int(solution.room[c])
        if o >= 0:
            cls_attrs += (
                f" room={quoteattr(problem.room_ids[problem.room_option_room[problem.room_option_ptr[c] + o]])}"
            )
        if per_class[c]:
            lines.append(f"  <class {cls_attrs}>")
            lines += [f"    <student id={quoteattr(problem.student_ids[s])}/>" for s in per_class[c]]
            lines.append("  </class>")
        else:
            lines.append(f"  <class {cls_attrs}/>")
    lines.append("</solution>")
    return "\n".join(lines) + "\n"


def write_solution_xml(problem: ClassProblem, solution: ClassSolution, path: str | os.PathLike,
                       meta: Mapping[str, str] | None = None) -> None:
    """Write ``solution`` as an ITC2019 solution file (atomically: an error leaves nothing)."""
    write_atomic(path, solution_xml(problem, solution, meta))
