"""The problem model: an immutable, numpy-backed ``Problem`` and a ``Timetable`` of assignments.

Everything is an integer id: courses, teachers, rooms, curricula, periods (``day * periods_per_day
+ slot``) and lectures (each course owns ``n_lectures`` consecutive lecture ids). Names are kept
only for I/O and explanations. ITC2007 CB-CTT is the exact subset; the extension arrays (room
suitability, lecture length, teacher preferences, loads, time-of-day penalties, departments,
categories; the extended benchmark's double lectures, daily minima, sites and listed unsuitable
rooms) are neutral on ITC instances. Students are optional: enrolments (student -> courses)
are the general form of curricula; two courses sharing a student may not overlap, and a large
offering may be split into sections (separate courses, see :mod:`tt_core.sectioning`).

A lecture of length ``L`` placed at start period ``p`` occupies ``p .. p+L-1`` of the same day.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from functools import cached_property

import numpy as np

from . import limits
from .errors import ValidationError

CATEGORIES = ("core", "elective", "open")


def _frozen(a, dtype) -> np.ndarray:
    arr = np.ascontiguousarray(np.asarray(a, dtype=dtype))
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class Problem:
    """An instance: time grid, courses, teachers, rooms, curricula and constraints.

    Build it with :meth:`Problem.create`, which fills neutral extension arrays and validates.
    All arrays are read-only.
    """

    name: str
    days: int
    periods_per_day: int
    course_names: tuple[str, ...]
    teacher_names: tuple[str, ...]
    room_names: tuple[str, ...]
    curriculum_names: tuple[str, ...]
    # courses
    course_teacher: np.ndarray          # int32 [C]
    course_lectures: np.ndarray         # int32 [C] lectures per week
    course_min_days: np.ndarray         # int32 [C]
    course_students: np.ndarray         # int32 [C]
    course_length: np.ndarray           # int32 [C] periods per lecture (1 in ITC)
    course_department: np.ndarray       # int32 [C] index into department_names, -1 = none
    course_category: np.ndarray         # int8  [C] index into CATEGORIES
    course_unavailable: np.ndarray      # bool  [C, P]
    # rooms
    room_capacity: np.ndarray           # int32 [R]
    room_building: np.ndarray           # int32 [R]
    suitable: np.ndarray                # bool  [C, R] course may use room (type/features)
    # curricula (CSR)
    curriculum_ptr: np.ndarray          # int32 [Q+1]
    curriculum_courses: np.ndarray      # int32 [nnz]
    curriculum_max_per_day: np.ndarray  # int32 [Q] 0 = no limit
    # teachers
    teacher_unavailable: np.ndarray     # bool  [T, P]
    teacher_undesired: np.ndarray       # bool  [T, P] soft preference
    teacher_max_per_day: np.ndarray     # int32 [T] 0 = no limit
    # time grid
    period_penalty: np.ndarray          # int32 [P] time-of-day penalty units
    period_labels: tuple[str, ...]
    department_names: tuple[str, ...] = ()
    room_types: tuple[str, ...] = ()
    room_type: np.ndarray = field(default=None)  # int32 [R] index into room_types, -1 = generic
    # students (optional): who takes which course, CSR student -> courses (ascending ids). The
    # general form of curricula: two courses sharing a student may not overlap (StudentClashes).
    student_names: tuple[str, ...] = ()
    student_ptr: np.ndarray = field(default=None)       # int32 [S+1], None = no students
    student_courses: np.ndarray = field(default=None)   # int32 [nnz]
    course_offering: tuple[str, ...] = ()   # per course: the offering it is a section of; () = no sections
    # the extended curriculum-based benchmark (.ectt); neutral (None -> filled) elsewhere. A room's
    # site is its ``room_building``.
    course_double: np.ndarray = field(default=None)           # bool  [C] lectures of a day wanted back to back
    curriculum_min_per_day: np.ndarray = field(default=None)  # int32 [Q] 0 = no minimum (days with lectures)
    room_unsuitable: np.ndarray = field(default=None)         # bool  [C, R] listed as unsuitable (soft term)
    # CurriculumWindows is counted only when asked for (the .ectt reader and the formulations that
    # weigh it set this): ITC2007 reports keep their units, and their evaluation pays nothing for it
    count_windows: bool = False
    # likewise TravelDistance (rooms' buildings exist outside .ectt data too: a generated university
    # has several, and its reports must not change)
    count_travel: bool = False

    def __post_init__(self):
        # the extension arrays added after the first release default to neutral, so a Problem built
        # field by field (or unpickled) without them is the same instance as before
        for name, value in _neutral_extensions(len(self.course_names), len(self.room_names),
                                               len(self.curriculum_names)).items():
            if getattr(self, name, None) is None:
                object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ construction
    @classmethod
    def create(
        cls,
        *,
        name: str,
        days: int,
        periods_per_day: int,
        courses: Sequence[str],
        course_teacher: Sequence[str],
        course_lectures: Sequence[int],
        course_min_days: Sequence[int],
        course_students: Sequence[int],
        rooms: Sequence[str],
        room_capacity: Sequence[int],
        curricula: Sequence[tuple[str, Sequence[str]]] = (),
        unavailable: Iterable[tuple[str, int]] = (),
        course_length: Sequence[int] | None = None,
        course_department: Sequence[str | None] | None = None,
        course_category: Sequence[str] | None = None,
        room_building: Sequence[int] | None = None,
        room_type: Sequence[str | None] | None = None,
        suitable: np.ndarray | None = None,
        curriculum_max_per_day: Sequence[int] | None = None,
        teacher_unavailable: Iterable[tuple[str, int]] = (),
        teacher_undesired: Iterable[tuple[str, int]] = (),
        teacher_max_per_day: dict[str, int] | None = None,
        period_penalty: Sequence[int] | None = None,
        period_labels: Sequence[str] | None = None,
        enrolments: Sequence[tuple[str, Sequence[str]]] = (),
        course_offering: Sequence[str] | None = None,
        course_double: Sequence[bool] | None = None,
        curriculum_min_per_day: Sequence[int] | None = None,
        room_unsuitable: np.ndarray | None = None,
        count_windows: bool = False,
        count_travel: bool = False,
    ) -> Problem:
        """Build a validated problem from names and plain sequences.

        ``unavailable`` / ``teacher_*`` take ``(name, period)`` pairs. ``enrolments`` takes
        ``(student, courses)`` pairs: every course a student takes (a section, when the offering is
        split). ``course_offering`` names, per course, the offering it is a section of (its own
        name when it is not a section); a student may take one section of an offering only.
        ``course_double`` (per course), ``curriculum_min_per_day`` (per curriculum) and
        ``room_unsuitable`` (bool ``[courses, rooms]``: the rooms the data lists as unsuitable, a
        soft term; hard unsuitability is ``suitable``) carry the extended benchmark's data;
        ``count_windows`` and ``count_travel`` make the kernels count the ``CurriculumWindows`` and
        ``TravelDistance`` terms (between the sites ``room_building``).
        Every number must lie within its bound of :data:`tt_core.limits.BOUNDS` (the grid, the
        sizes and each course's and room's numbers), checked before any array is allocated.
        Raises :class:`~tt_core.errors.ValidationError` listing every inconsistency.
        """
        errors: list[str] = []
        title = f"problem {name!r} is inconsistent"
        C, R = len(courses), len(rooms)
        P = _grid_periods(days, periods_per_day, errors)
        _check_sizes(C, R, len(curricula), errors)
        if P is None or errors:  # the arrays below would be absurd or could not be built
            raise ValidationError(errors, title=title)
        _dupes("course", courses, errors)
        _dupes("room", rooms, errors)
        _dupes("curriculum", [q for q, _ in curricula], errors)
        course_index = {c: i for i, c in enumerate(courses)}
        teacher_names = tuple(dict.fromkeys(course_teacher))
        teacher_index = {t: i for i, t in enumerate(teacher_names)}
        _check_course_numbers(courses, course_lectures, course_min_days, course_students, errors)
        _check_room_numbers(rooms, room_capacity, errors)
        length = _lecture_lengths(courses, course_length, periods_per_day, errors)
        ptr, members = _curriculum_csr(curricula, course_index, errors)
        q_min, q_max = _curriculum_daily_bounds(curricula, curriculum_min_per_day, curriculum_max_per_day, errors)
        c_unav = _period_matrix(unavailable, course_index, P, errors, lambda c: "unavailability: unknown course "
                                f"{c}", lambda c, p: f"unavailability of {c}: period {p} outside 0..{P - 1}")
        t_unav, t_und = _teacher_matrices(teacher_unavailable, teacher_undesired, teacher_index, P, errors)
        t_max = _teacher_max(teacher_max_per_day, teacher_index, errors)
        dept_names, dept = _index_names(course_department, C)
        cat = _categories(courses, course_category, errors)
        types, rtype = _index_names(room_type, R)
        suit = np.ones((C, R), np.bool_) if suitable is None else np.asarray(suitable, np.bool_)
        if suit.shape != (C, R):
            errors.append(f"suitability matrix has shape {suit.shape}, expected {(C, R)}")
        unsuit = _course_room_matrix("unsuitable-room matrix", room_unsuitable, C, R, errors)
        double = _flags("course", courses, course_double, "double lectures", errors)
        offering = _offerings(courses, course_offering, errors)
        s_ptr, s_courses, s_names = _enrolment_csr(enrolments, course_index, offering, errors)
        labels, penalty = _grid_labels(days, periods_per_day, period_labels, period_penalty, errors)
        if errors:
            raise ValidationError(errors, title=title)
        return cls(
            name=name, days=int(days), periods_per_day=int(periods_per_day), course_names=tuple(courses),
            teacher_names=teacher_names, room_names=tuple(rooms), curriculum_names=tuple(q for q, _ in curricula),
            course_teacher=_frozen([teacher_index[t] for t in course_teacher], np.int32),
            course_lectures=_frozen(course_lectures, np.int32), course_min_days=_frozen(course_min_days, np.int32),
            course_students=_frozen(course_students, np.int32), course_length=_frozen(length, np.int32),
            course_department=_frozen(dept, np.int32), course_category=_frozen(cat, np.int8),
            course_unavailable=_frozen(c_unav, np.bool_), room_capacity=_frozen(room_capacity, np.int32),
            room_building=_frozen(np.zeros(R) if room_building is None else room_building, np.int32),
            suitable=_frozen(suit, np.bool_), curriculum_ptr=_frozen(ptr, np.int32),
            curriculum_courses=_frozen(members, np.int32), curriculum_max_per_day=_frozen(q_max, np.int32),
            teacher_unavailable=_frozen(t_unav, np.bool_), teacher_undesired=_frozen(t_und, np.bool_),
            teacher_max_per_day=_frozen(t_max, np.int32), period_penalty=_frozen(penalty, np.int32),
            period_labels=labels, department_names=dept_names, room_types=types, room_type=_frozen(rtype, np.int32),
            student_names=s_names, student_ptr=_frozen(s_ptr, np.int32) if s_names else None,
            student_courses=_frozen(s_courses, np.int32) if s_names else None,
            course_offering=offering if offering != tuple(courses) else (),
            course_double=_frozen(double, np.bool_), curriculum_min_per_day=_frozen(q_min, np.int32),
            room_unsuitable=_frozen(unsuit, np.bool_), count_windows=bool(count_windows),
            count_travel=bool(count_travel),
        )

    def __getstate__(self):
        # pickle the data only; derived caches (conflict matrix, kernel arrays…) are rebuilt on
        # demand, so a Problem sent to a Dask worker keeps read-only arrays and numba reuses the
        # kernels compiled for read-only arrays instead of compiling a second version
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def __setstate__(self, state):
        for k, v in state.items():
            if isinstance(v, np.ndarray):
                v.setflags(write=False)
            object.__setattr__(self, k, v)
        self.__post_init__()  # a problem pickled before the .ectt fields existed gets them neutral

    def replace(self, **changes) -> Problem:
        """A copy with some fields changed (arrays are frozen again)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        for k, v in list(values.items()):
            if isinstance(v, np.ndarray):
                values[k] = _frozen(v, v.dtype)
        return Problem(**values)

    # ------------------------------------------------------------------ sizes
    @property
    def n_courses(self) -> int:
        return len(self.course_names)

    @property
    def n_rooms(self) -> int:
        return len(self.room_names)

    @property
    def n_teachers(self) -> int:
        return len(self.teacher_names)

    @property
    def n_curricula(self) -> int:
        return len(self.curriculum_names)

    @property
    def n_periods(self) -> int:
        return self.days * self.periods_per_day

    @cached_property
    def n_lectures(self) -> int:
        return int(self.course_lectures.sum())

    @property
    def n_students(self) -> int:
        return len(self.student_names)

    @property
    def n_enrolments(self) -> int:
        return 0 if self.student_courses is None else len(self.student_courses)

    @property
    def is_itc(self) -> bool:
        """True when no extension data is present (pure ITC2007 CB-CTT)."""
        return bool(
            (self.course_length == 1).all() and self.suitable.all() and not self.teacher_unavailable.any()
            and not self.teacher_undesired.any() and not self.teacher_max_per_day.any()
            and not self.period_penalty.any() and not self.curriculum_max_per_day.any()
            and self.n_enrolments == 0 and not self.course_double.any()
            and not self.curriculum_min_per_day.any() and not self.room_unsuitable.any()
        )

    @property
    def n_sites(self) -> int:
        """Distinct sites (``room_building`` values) of the rooms; travel between them is the
        ``TravelDistance`` term."""
        return len(np.unique(self.room_building)) if self.n_rooms else 0

    # ------------------------------------------------------------------ derived arrays (cached)
    @cached_property
    def lecture_course(self) -> np.ndarray:
        """Course of each lecture (int32 [L]); a course's lectures are consecutive ids."""
        return _frozen(np.repeat(np.arange(self.n_courses, dtype=np.int32), self.course_lectures), np.int32)

    @cached_property
    def course_lecture_ptr(self) -> np.ndarray:
        """First lecture id of each course; lectures of course c are ``ptr[c]:ptr[c+1]``."""
        return _frozen(np.concatenate([[0], np.cumsum(self.course_lectures)]), np.int32)

    @cached_property
    def unavailable(self) -> np.ndarray:
        """Hard unavailability per course and period: the course's own or its teacher's."""
        return _frozen(self.course_unavailable | self.teacher_unavailable[self.course_teacher], np.bool_)

    @cached_property
    def course_undesired(self) -> np.ndarray:
        """Soft: the course's teacher marked the period as undesired (bool [C, P])."""
        return _frozen(self.teacher_undesired[self.course_teacher], np.bool_)

    @cached_property
    def course_curricula(self) -> tuple[np.ndarray, np.ndarray]:
        """CSR (ptr, idx) of curricula each course belongs to."""
        C = self.n_courses
        lists: list[list[int]] = [[] for _ in range(C)]
        for q in range(self.n_curricula):
            for c in self.curriculum_courses[self.curriculum_ptr[q]:self.curriculum_ptr[q + 1]]:
                lists[int(c)].append(q)
        ptr = np.zeros(C + 1, np.int32)
        ptr[1:] = np.cumsum([len(x) for x in lists])
        idx = np.array([q for x in lists for q in x], np.int32)
        return _frozen(ptr, np.int32), _frozen(idx, np.int32)

    @cached_property
    def group_conflict(self) -> np.ndarray:
        """bool [C, C]: courses sharing a curriculum or a teacher (diagonal False) — the pairs the
        ``Conflicts`` constraint counts (ITC2007)."""
        C = self.n_courses
        m = np.zeros((C, C), np.bool_)
        for q in range(self.n_curricula):
            cs = self.curriculum_courses[self.curriculum_ptr[q]:self.curriculum_ptr[q + 1]]
            m[np.ix_(cs, cs)] = True
        m |= self.course_teacher[:, None] == self.course_teacher[None, :]
        np.fill_diagonal(m, False)
        return _frozen(m, np.bool_)

    @cached_property
    def shared_students(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Course pairs with enrolled students in common: ``(a, b, n)`` int32 arrays, ``a < b``,
        sorted by ``(a, b)``; ``n`` students take both. Empty without enrolments.

        Derived once from the student -> courses CSR: each student's ``k`` courses give their
        ``k(k-1)/2`` pairs (students with equal ``k`` at once, as a ``[students, k]`` block), and
        equal pairs are counted. Memory is O(pairs), never O(students x courses).
        """
        C = self.n_courses
        empty = _frozen(np.zeros(0), np.int32)
        if self.n_enrolments == 0 or C < 2:
            return empty, empty, empty
        ptr, idx = self.student_ptr, self.student_courses
        deg = np.diff(ptr)
        keys = []
        for k in np.unique(deg):
            if k < 2:
                continue
            rows = np.flatnonzero(deg == k)
            block = idx[ptr[rows][:, None] + np.arange(k)[None, :]].astype(np.int64)  # ascending per row
            i, j = np.triu_indices(int(k), 1)
            keys.append((block[:, i] * C + block[:, j]).ravel())
        if not keys:
            return empty, empty, empty
        uniq, counts = np.unique(np.concatenate(keys), return_counts=True)
        return _frozen(uniq // C, np.int32), _frozen(uniq % C, np.int32), _frozen(counts, np.int32)

    @cached_property
    def conflict(self) -> np.ndarray:
        """bool [C, C]: courses that may not overlap — sharing a curriculum, a teacher or an enrolled
        student (diagonal False). Solvers and screens read this union; the cost splits it into
        ``Conflicts`` (:attr:`group_conflict`) and ``StudentClashes`` (:attr:`shared_students`)."""
        a, b, _ = self.shared_students
        if not len(a):
            return self.group_conflict
        m = self.group_conflict.copy()
        m[a, b] = True
        m[b, a] = True
        return _frozen(m, np.bool_)

    @cached_property
    def conflict_csr(self) -> tuple[np.ndarray, np.ndarray]:
        """CSR (ptr, idx) of each course's conflicting courses."""
        rows, cols = np.nonzero(self.conflict)
        ptr = np.zeros(self.n_courses + 1, np.int32)
        np.add.at(ptr, rows + 1, 1)
        return _frozen(np.cumsum(ptr), np.int32), _frozen(cols, np.int32)

    @cached_property
    def conflict_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """Per entry of :attr:`conflict_csr`: ``(group, students)`` int32 arrays — 1 when the pair
        counts for ``Conflicts`` (curriculum or teacher), and the number of students both courses
        share (their ``StudentClashes`` units per period of overlap)."""
        ptr, cols = self.conflict_csr
        C = self.n_courses
        rows = np.repeat(np.arange(C, dtype=np.int64), np.diff(ptr))
        group = self.group_conflict[rows, cols].astype(np.int32)
        students = np.zeros(len(cols), np.int32)
        a, b, n = self.shared_students
        if len(a):
            pair = a.astype(np.int64) * C + b
            key = np.minimum(rows, cols) * C + np.maximum(rows, cols)
            pos = np.minimum(np.searchsorted(pair, key), len(pair) - 1)
            hit = pair[pos] == key
            students[hit] = n[pos[hit]]
        return _frozen(group, np.int32), _frozen(students, np.int32)

    @cached_property
    def course_student_csr(self) -> tuple[np.ndarray, np.ndarray]:
        """CSR (ptr, idx) of the students enrolled in each course (ascending student ids)."""
        C = self.n_courses
        if self.n_enrolments == 0:
            return _frozen(np.zeros(C + 1), np.int32), _frozen(np.zeros(0), np.int32)
        student = np.repeat(np.arange(self.n_students, dtype=np.int32), np.diff(self.student_ptr))
        order = np.argsort(self.student_courses, kind="stable")
        ptr = np.zeros(C + 1, np.int64)
        ptr[1:] = np.cumsum(np.bincount(self.student_courses, minlength=C))
        return _frozen(ptr, np.int32), _frozen(student[order], np.int32)

    def student_course_ids(self, student: int) -> np.ndarray:
        """Course ids student ``student`` (an index) is enrolled in."""
        if self.n_enrolments == 0:
            return np.zeros(0, np.int32)
        return self.student_courses[self.student_ptr[student]:self.student_ptr[student + 1]]

    def student_index(self, name: str) -> int:
        try:
            return self._student_index[name]
        except KeyError:
            raise KeyError(f"unknown student {name!r}") from None

    @cached_property
    def _student_index(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.student_names)}

    def offering_of(self, course: int) -> str:
        """The offering course ``course`` is a section of (its own name when it is not a section)."""
        return self.course_offering[course] if self.course_offering else self.course_names[course]

    def student_fields(self, courses: Sequence[int], extra_courses: Sequence[str] = ()) -> dict:
        """The student fields of a problem made of ``courses`` (ids here, in that order) followed by
        courses ``extra_courses`` (names) no student takes — for :meth:`replace` when cutting a
        sub-problem. Students keep their courses among ``courses``; those left with none are dropped."""
        courses = np.asarray(courses, np.int64)
        extra = tuple(extra_courses)
        offering = ()
        if self.course_offering:
            offering = tuple(self.course_offering[int(c)] for c in courses) + extra
        if self.n_enrolments == 0:
            return dict(student_names=(), student_ptr=None, student_courses=None, course_offering=offering)
        pos = np.full(self.n_courses, -1, np.int64)
        pos[courses] = np.arange(len(courses))
        new = pos[self.student_courses]
        owner = np.repeat(np.arange(self.n_students), np.diff(self.student_ptr))
        keep = new >= 0
        owner, new = owner[keep], new[keep]
        order = np.lexsort((new, owner))
        owner, new = owner[order], new[order]
        students, counts = np.unique(owner, return_counts=True)
        ptr = np.zeros(len(students) + 1, np.int64)
        ptr[1:] = np.cumsum(counts)
        return dict(student_names=tuple(self.student_names[int(s)] for s in students),
                    student_ptr=ptr.astype(np.int32), student_courses=new.astype(np.int32),
                    course_offering=offering)

    def period_of(self, day: int, slot: int) -> int:
        return day * self.periods_per_day + slot

    def day_slot(self, period: int) -> tuple[int, int]:
        return divmod(int(period), self.periods_per_day)

    def course_index(self, name: str) -> int:
        try:
            return self._course_index[name]
        except KeyError:
            raise KeyError(f"unknown course {name!r}") from None

    def room_index(self, name: str) -> int:
        try:
            return self._room_index[name]
        except KeyError:
            raise KeyError(f"unknown room {name!r}") from None

    @cached_property
    def _course_index(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.course_names)}

    @cached_property
    def _room_index(self) -> dict[str, int]:
        return {r: i for i, r in enumerate(self.room_names)}

    def summary(self) -> dict:
        """Sizes and densities, as ``tt info`` prints them."""
        P = self.n_periods
        free = P * self.n_rooms
        conflicts = int(self.conflict.sum()) // 2
        C = self.n_courses
        return {
            "name": self.name,
            "courses": C,
            "lectures": self.n_lectures,
            "teachers": self.n_teachers,
            "rooms": self.n_rooms,
            "curricula": self.n_curricula,
            "days": self.days,
            "periods_per_day": self.periods_per_day,
            "periods": P,
            "unavailability_constraints": int(self.course_unavailable.sum()),
            "room_occupancy": round(self.n_lectures / free, 3) if free else 0.0,
            "conflict_density": round(2 * conflicts / (C * (C - 1)), 3) if C > 1 else 0.0,
            "availability": round(1 - float(self.unavailable.mean()), 3) if C and P else 1.0,
            "departments": len(self.department_names),
            "itc_mode": self.is_itc,
            **({"double_lecture_courses": int(self.course_double.sum()),
                "daily_lectures_min_max": _min_max_text(self.curriculum_min_per_day, self.curriculum_max_per_day),
                "sites": self.n_sites, "room_constraints": int(self.room_unsuitable.sum())}
               if self.course_double.any() or self.curriculum_min_per_day.any() or self.room_unsuitable.any()
               or self.n_sites > 1 else {}),
            **({"students": self.n_students, "enrolments": self.n_enrolments,
                "student_conflict_pairs": len(self.shared_students[0]),
                "sectioned_offerings": len(set(o for c, o in enumerate(self.course_offering)
                                               if o != self.course_names[c]))}
               if self.n_students else {}),
        }


def _neutral_extensions(C: int, R: int, Q: int) -> dict[str, np.ndarray]:
    """The .ectt arrays of a problem without that data: no double lectures, no daily minimum, no
    listed unsuitable room."""
    return {"course_double": _frozen(np.zeros(C), np.bool_), "curriculum_min_per_day": _frozen(np.zeros(Q), np.int32),
            "room_unsuitable": _frozen(np.zeros((C, R)), np.bool_)}


def _min_max_text(minimum: np.ndarray, maximum: np.ndarray) -> str:
    """``"2..5"`` when every curriculum has the same daily range, else ``"varies"`` (0 = none)."""
    lo, hi = set(minimum.tolist()) or {0}, set(maximum.tolist()) or {0}
    if len(lo) == 1 and len(hi) == 1:
        a, b = lo.pop(), hi.pop()
        return f"{a}..{b if b else 'no maximum'}"
    return "varies by curriculum"


def _course_room_matrix(what: str, matrix, C: int, R: int, errors: list[str]) -> np.ndarray:
    """A bool ``[C, R]`` matrix (all False when not given), its shape checked."""
    if matrix is None:
        return np.zeros((C, R), np.bool_)
    m = np.asarray(matrix, np.bool_)
    if m.shape != (C, R):
        errors.append(f"{what} has shape {m.shape}, expected {(C, R)}")
        return np.zeros((C, R), np.bool_)
    return m


def _flags(item: str, names: Sequence[str], values, what: str, errors: list[str]) -> np.ndarray:
    """Per-item yes/no values (False when not given): booleans or the numbers 0 and 1."""
    if values is None:
        return np.zeros(len(names), np.bool_)
    if len(values) != len(names):
        errors.append(f"{what}: {len(values)} values for {len(names)} {item}s")
        return np.zeros(len(names), np.bool_)
    out = np.zeros(len(names), np.bool_)
    for i, (name, v) in enumerate(zip(names, values)):
        if isinstance(v, (bool, np.bool_)) or _whole(v) in (0, 1):
            out[i] = bool(v)
        else:
            errors.append(f"{item} {name}: {what} must be yes/no (1 or 0), got {v!r}")
    return out


def _dupes(what: str, names: Sequence[str], errors: list[str]) -> None:
    seen: set[str] = set()
    for n in names:
        if n in seen:
            errors.append(f"duplicate {what} name {n!r}")
        seen.add(n)


def _whole(value) -> int | None:
    """``value`` as a Python int when it is a whole number (int, numpy integer or integral float)."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)) and np.isfinite(value) and float(value).is_integer():
        return int(value)
    return None


def _grid_periods(days, periods_per_day, errors: list[str]) -> int | None:
    """Periods of the grid, or None (with the reason in ``errors``) when the grid is unusable."""
    d, s = _whole(days), _whole(periods_per_day)
    if d is None or s is None:
        errors.append(f"the time grid needs whole numbers of days and periods (got {days!r} x {periods_per_day!r})")
        return None
    if d < 1 or s < 1:
        errors.append(f"the time grid needs at least one day and one period (got {d} x {s})")
        return None
    bad = [why for v, key in ((d, "days"), (s, "periods_per_day"), (d * s, "periods"))
           if (why := limits.bound(key).check(v))]
    errors.extend(f"the time grid: {why}" for why in bad)
    return None if bad else d * s


def _check_sizes(n_courses: int, n_rooms: int, n_curricula: int, errors: list[str]) -> None:
    for n, kind in ((n_courses, "courses"), (n_rooms, "rooms"), (n_curricula, "curricula")):
        why = limits.bound(kind).check(n)
        if why:
            errors.append(f"{n} {kind}: {why}")


def _bounded_values(item: str, names: Sequence[str], values, field: str, errors: list[str],
                    negative: str | None = None) -> None:
    """Check ``values[i]`` of each named item against the bound of ``field``; a negative value gets
    the message ``negative`` (``{item} {name}: negative …``) when given."""
    b = limits.bound(field)
    for name, v in zip(names, values):
        n = _whole(v)
        if n is None:
            if not isinstance(v, (float, np.floating)) or not np.isfinite(v):
                errors.append(f"{item} {name}: {b.what} {v!r} is not a number")
                continue
            n = v  # a fractional value: truncated as before, but still range-checked
        if negative is not None and n < 0:
            errors.append(f"{item} {name}: negative {negative} {v}")
        elif (why := b.check(v if isinstance(v, (float, np.floating)) else n)) is not None:
            errors.append(f"{item} {name}: {why}")


def _in_bound(values, field: str) -> np.ndarray:
    """``values`` as int64, those outside the bound of ``field`` (already reported) as 0."""
    b = limits.bound(field)
    finite = (int, float, np.integer, np.floating)
    return np.array([int(v) if isinstance(v, finite) and not isinstance(v, (bool, np.bool_))
                     and b.minimum <= v <= b.maximum else 0 for v in values], np.int64)


def _check_course_numbers(courses, lectures, min_days, students, errors: list[str]) -> None:
    C = len(courses)
    for label, seq in (("lectures", lectures), ("min working days", min_days), ("students", students)):
        if len(seq) != C:
            errors.append(f"{label}: {len(seq)} values for {C} courses")
    _bounded_values("course", courses, lectures, "lectures", errors, "number of lectures")
    _bounded_values("course", courses, students, "students", errors, "number of students")
    _bounded_values("course", courses, min_days, "min_days", errors, "minimum working days")
    total = sum(int(n) for n in lectures[:C] if _whole(n) is not None and 0 <= n <= limits.bound("lectures").maximum)
    if total > limits.MAX_LECTURES:
        errors.append(f"the courses have {total:,} lectures in all; at most {limits.MAX_LECTURES:,} are allowed")


def _check_room_numbers(rooms, capacity, errors: list[str]) -> None:
    if len(capacity) != len(rooms):
        errors.append(f"capacity: {len(capacity)} values for {len(rooms)} rooms")
    _bounded_values("room", rooms, capacity, "capacity", errors, "capacity")


def _bounded_per_item(item: str, names: Sequence[str], values, field: str, errors: list[str]) -> np.ndarray:
    """Per-item numbers (0 when not given), range-checked; an int64 array for :func:`_frozen`."""
    if values is None:
        return np.zeros(len(names), np.int64)
    if len(values) != len(names):
        errors.append(f"{field}: {len(values)} values for {len(names)} {item} rows")
        return np.zeros(len(names), np.int64)
    _bounded_values(item, names, values, field, errors)
    return _in_bound(values, field)


def _lecture_lengths(courses, course_length, periods_per_day: int, errors: list[str]) -> np.ndarray:
    C = len(courses)
    if course_length is None:
        return np.ones(C, np.int32)
    values = [_whole(v) for v in course_length]
    bad = {i for i, v in enumerate(values) if v is None or not 1 <= v <= periods_per_day}
    for i in sorted(bad):
        errors.append(f"course {courses[i]}: lecture length {course_length[i]} must be between 1 and "
                      f"{periods_per_day} periods")
    return np.array([1 if i in bad else v for i, v in enumerate(values)], np.int32)


def _curriculum_csr(curricula, course_index: dict[str, int], errors: list[str]) -> tuple[list[int], list[int]]:
    ptr = [0]
    members: list[int] = []
    for q, cs in curricula:
        seen = set()
        for c in cs:
            if c not in course_index:
                errors.append(f"curriculum {q}: unknown course {c}")
            elif c in seen:
                errors.append(f"curriculum {q}: course {c} listed twice")
            else:
                seen.add(c)
                members.append(course_index[c])
        ptr.append(len(members))
    return ptr, members


def _curriculum_daily_bounds(curricula, minimum, maximum, errors: list[str]):
    """Each curriculum's daily minimum and maximum of lectures (0: none), each within its bound and
    the minimum not above the maximum."""
    names = [q for q, _ in curricula]
    q_max = _bounded_per_item("curriculum", names, maximum, "max_per_day", errors)
    q_min = _bounded_per_item("curriculum", names, minimum, "min_per_day", errors)
    for q, lo, hi in zip(names, q_min, q_max):
        if lo > 0 and 0 < hi < lo:
            errors.append(f"curriculum {q}: daily minimum {lo} is above its daily maximum {hi}")
    return q_min, q_max


def _teacher_matrices(unavailable, undesired, teacher_index: dict, P: int, errors: list[str]):
    """The teachers' unavailable and undesired periods as bool ``[teachers, periods]`` matrices."""
    return tuple(_period_matrix(
        pairs, teacher_index, P, errors, lambda t, w=what: f"teacher {w}: unknown teacher {t}",
        lambda t, p, w=what: f"teacher {w} of {t}: period {p} outside 0..{P - 1}")
        for pairs, what in ((unavailable, "unavailability"), (undesired, "preference")))


def _period_matrix(pairs, index: dict[str, int], P: int, errors: list[str], unknown, outside) -> np.ndarray:
    """bool [len(index), P] with the ``(name, period)`` pairs set; ``unknown(name)`` and
    ``outside(name, period)`` word the refusals."""
    m = np.zeros((len(index), P), np.bool_)
    for name, p in pairs:
        if name not in index:
            errors.append(unknown(name))
        elif not 0 <= p < P:
            errors.append(outside(name, p))
        else:
            m[index[name], p] = True
    return m


def _teacher_max(maxima: dict[str, int] | None, teacher_index: dict[str, int], errors: list[str]) -> np.ndarray:
    t_max = np.zeros(len(teacher_index), np.int32)
    b = limits.bound("max_per_day")
    for t, m in (maxima or {}).items():
        if t not in teacher_index:
            errors.append(f"teacher daily maximum: unknown teacher {t}")
        elif (why := b.check(m)) is not None:
            errors.append(f"teacher {t}: {why}")
        else:
            t_max[teacher_index[t]] = m
    return t_max


def _index_names(values: Sequence[str | None] | None, n: int) -> tuple[tuple[str, ...], np.ndarray]:
    """Distinct non-empty names in order of first appearance, and each item's index (-1 = none)."""
    if values is None:
        return (), np.full(n, -1, np.int32)
    names = tuple(dict.fromkeys(v for v in values if v))
    index = {v: i for i, v in enumerate(names)}
    return names, np.array([index[v] if v else -1 for v in values], np.int32)


def _categories(courses, course_category, errors: list[str]) -> np.ndarray:
    cat = np.zeros(len(courses), np.int8)
    for i, k in enumerate(course_category or ()):
        if k not in CATEGORIES:
            errors.append(f"course {courses[i]}: category {k!r} is not one of {', '.join(CATEGORIES)}")
        else:
            cat[i] = CATEGORIES.index(k)
    return cat


def _offerings(courses, course_offering, errors: list[str]) -> tuple[str, ...]:
    if course_offering is None:
        return ()
    if len(course_offering) != len(courses):
        errors.append(f"course offerings: {len(course_offering)} values for {len(courses)} courses")
        return ()
    return tuple(o if o else c for o, c in zip(course_offering, courses))


def _grid_labels(
    days: int, periods_per_day: int, labels, penalty, errors: list[str]
) -> tuple[tuple[str, ...], np.ndarray]:
    """The period labels (default ``day d period s``) and time-of-day penalties (default 0), checked."""
    P = days * periods_per_day
    if labels is None:
        labels = tuple(f"day {d} period {s}" for d in range(days) for s in range(periods_per_day))
    elif len(labels) != P:
        errors.append(f"{len(labels)} period labels for {P} periods")
    if penalty is None:
        return tuple(labels), np.zeros(P, np.int64)
    if len(penalty) != P:
        errors.append(f"{len(penalty)} period penalties for {P} periods")
        return tuple(labels), np.zeros(P, np.int64)
    _bounded_values("period", [labels[p] if p < len(labels) else str(p) for p in range(P)], penalty, "penalty",
                    errors)
    return tuple(labels), _in_bound(penalty, "penalty")


def _enrolment_csr(enrolments, course_index: dict[str, int], offering: tuple[str, ...],
                   errors: list[str]) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """(ptr, courses, names) of the students' enrolments; each student's course ids ascending."""
    names: list[str] = []
    ptr = [0]
    members: list[int] = []
    seen_students: set[str] = set()
    if len(enrolments) > limits.MAX_STUDENTS:
        errors.append(f"{len(enrolments):,} students; at most {limits.MAX_STUDENTS:,} are allowed")
        return np.zeros(1, np.int32), np.zeros(0, np.int32), ()
    if sum(len(cs) for _, cs in enrolments) > limits.MAX_ENROLMENTS:
        errors.append(f"{sum(len(cs) for _, cs in enrolments):,} enrolments; at most {limits.MAX_ENROLMENTS:,} are "
                      "allowed")
        return np.zeros(1, np.int32), np.zeros(0, np.int32), ()
    for student, cs in enrolments:
        if not isinstance(student, str) or not student:
            errors.append(f"enrolments: a student needs a non-empty name, got {student!r}")
            continue
        if student in seen_students:
            errors.append(f"duplicate student name {student!r}")
            continue
        seen_students.add(student)
        ids: set[int] = set()
        of_offering: dict[str, str] = {}
        for c in cs:
            if c not in course_index:
                errors.append(f"student {student}: unknown course {c}")
                continue
            i = course_index[c]
            if i in ids:
                errors.append(f"student {student}: course {c} listed twice")
                continue
            if offering:
                o = offering[i]
                if o in of_offering:
                    errors.append(f"student {student}: in two sections of offering {o} ({of_offering[o]} and {c}); "
                                  "a student attends one section")
                    continue
                of_offering[o] = c
            ids.add(i)
        names.append(student)
        members.extend(sorted(ids))
        ptr.append(len(members))
    return np.asarray(ptr, np.int32), np.asarray(members, np.int32), tuple(names)


@dataclass(eq=False)
class Timetable:
    """Assignment of every lecture: ``period[l]`` (start period) and ``room[l]``; -1 = unplaced."""

    period: np.ndarray
    room: np.ndarray

    def __post_init__(self):
        self.period = np.ascontiguousarray(self.period, dtype=np.int32)
        self.room = np.ascontiguousarray(self.room, dtype=np.int32)
        if self.period.shape != self.room.shape or self.period.ndim != 1:
            raise ValueError("period and room must be 1-d arrays of equal length")

    @classmethod
    def empty(cls, problem: Problem) -> Timetable:
        n = problem.n_lectures
        return cls(np.full(n, -1, np.int32), np.full(n, -1, np.int32))

    def copy(self) -> Timetable:
        return Timetable(self.period.copy(), self.room.copy())

    def __eq__(self, other) -> bool:
        return (isinstance(other, Timetable) and np.array_equal(self.period, other.period)
                and np.array_equal(self.room, other.room))

    @property
    def n_unplaced(self) -> int:
        return int(((self.period < 0) | (self.room < 0)).sum())

    def check_shape(self, problem: Problem) -> None:
        if len(self.period) != problem.n_lectures:
            raise ValueError(f"timetable has {len(self.period)} lectures, problem {problem.name} has "
                             f"{problem.n_lectures}")

    # ------------------------------------------------------------------ rows
    def to_rows(self, problem: Problem) -> list[dict]:
        """One dict per placed lecture: course, lecture number, room, day, slot, period."""
        self.check_shape(problem)
        rows = []
        lc = problem.lecture_course
        ptr = problem.course_lecture_ptr
        for l in range(problem.n_lectures):
            p, r = int(self.period[l]), int(self.room[l])
            if p < 0 or r < 0:
                continue
            c = int(lc[l])
            d, s = divmod(p, problem.periods_per_day)
            rows.append({"lecture": l, "course": problem.course_names[c], "number": l - int(ptr[c]),
                         "room": problem.room_names[r], "day": d, "slot": s, "period": p})
        return rows

    @classmethod
    def from_rows(cls, problem: Problem, rows: Iterable[dict | Sequence]) -> Timetable:
        """Rows of ``(course, room, day, slot)`` (dicts or tuples) → timetable.

        Lectures of a course are filled in row order; raises ``ValueError`` naming the row on an
        unknown course/room, a day/slot outside the grid, or more rows than a course has lectures.
        """
        tt = cls.empty(problem)
        used = np.zeros(problem.n_courses, np.int64)
        for i, row in enumerate(rows, start=1):
            if isinstance(row, dict):
                course, room, day, slot = row["course"], row["room"], row["day"], row["slot"]
            else:
                course, room, day, slot = row
            if course not in problem._course_index:
                raise ValueError(f"row {i}: unknown course {course!r}")
            if room not in problem._room_index:
                raise ValueError(f"row {i}: unknown room {room!r}")
            day, slot = int(day), int(slot)
            if not 0 <= day < problem.days:
                raise ValueError(f"row {i}: day {day} outside 0..{problem.days - 1}")
            if not 0 <= slot < problem.periods_per_day:
                raise ValueError(f"row {i}: period {slot} outside 0..{problem.periods_per_day - 1}")
            c = problem._course_index[course]
            if used[c] >= problem.course_lectures[c]:
                raise ValueError(f"row {i}: course {course} has only {problem.course_lectures[c]} "
                                 "lectures, this row is one too many")
            l = problem.course_lecture_ptr[c] + used[c]
            used[c] += 1
            tt.period[l] = day * problem.periods_per_day + slot
            tt.room[l] = problem._room_index[room]
        return tt
