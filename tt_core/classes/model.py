"""The class model: an immutable, numpy-backed ``ClassProblem`` and a ``ClassSolution``.

A second problem family beside the curriculum :class:`~tt_core.model.Problem` (see the README's
design section). Every entity is an integer index; the ids of the XML are kept only for I/O and
explanations. Numbering follows the document, so the hierarchy is a set of nested ranges:

* course ``k`` owns configs ``course_config_ptr[k] : course_config_ptr[k+1]``, config ``f`` owns
  subparts ``config_subpart_ptr[f] : …[f+1]``, subpart ``p`` owns classes
  ``subpart_class_ptr[p] : …[p+1]``;
* class ``c`` offers time options ``time_ptr[c] : time_ptr[c+1]`` (global option indices into the
  ``time_*`` arrays) and room options ``room_option_ptr[c] : …[c+1]``; a class without room options
  needs no room;
* a time option is ``days`` (bit ``i`` = day ``i``), ``start`` slot, ``length`` in slots,
  ``weeks`` (bit ``i`` = week ``i``) and a penalty; a room option is a room index and a penalty;
* distribution ``d`` lists classes ``distribution_classes[distribution_ptr[d] : …[d+1]]`` in the
  order of the file (Precedence depends on it);
* student ``s`` takes courses ``student_courses[student_ptr[s] : student_ptr[s+1]]``.

A solution gives each class a time option and a room option, both as indices *within the class*
(``-1``: none), and each student a list of classes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cached_property

import numpy as np

from ..errors import ValidationError
from .distributions import N_TYPES, TYPES, DistributionType, format_type

MAX_DAYS = 31    # day masks are int32
MAX_WEEKS = 62   # week masks are int64 (kept clear of the sign bit)
WEIGHT_NAMES = ("time", "room", "distribution", "student")
SOLUTION_ATTRIBUTES = ("name", "runtime", "cores", "technique", "author", "institution", "country")


def _frozen(a, dtype) -> np.ndarray:
    arr = np.ascontiguousarray(np.asarray(a, dtype=dtype))
    arr.setflags(write=False)
    return arr


_DTYPES = {
    "weights": np.int64, "room_capacity": np.int32, "travel": np.int32,
    "unavailable_ptr": np.int32, "unavailable_days": np.int32, "unavailable_start": np.int32,
    "unavailable_length": np.int32, "unavailable_weeks": np.int64,
    "course_config_ptr": np.int32, "config_subpart_ptr": np.int32, "subpart_class_ptr": np.int32,
    "class_limit": np.int32, "class_parent": np.int32,
    "time_ptr": np.int32, "time_days": np.int32, "time_start": np.int32, "time_length": np.int32,
    "time_weeks": np.int64, "time_penalty": np.int32,
    "room_option_ptr": np.int32, "room_option_room": np.int32, "room_option_penalty": np.int32,
    "distribution_type": np.int32, "distribution_required": np.bool_, "distribution_penalty": np.int32,
    "distribution_param": np.int32, "distribution_ptr": np.int32, "distribution_classes": np.int32,
    "student_ptr": np.int32, "student_courses": np.int32,
}


@dataclass(frozen=True, eq=False)
class ClassProblem:
    """An ITC2019-style instance. All arrays are read-only; build it with keyword arguments
    (plain sequences are converted) and it validates itself, raising
    :class:`~tt_core.errors.ValidationError` that names every inconsistent item.
    """

    name: str
    nr_days: int
    nr_weeks: int
    slots_per_day: int
    weights: np.ndarray              # int64 [4] time, room, distribution, student
    # rooms
    room_ids: tuple[str, ...]
    room_capacity: np.ndarray        # int32 [R]
    travel: np.ndarray               # int32 [R, R] slots, symmetric, 0 = none
    unavailable_ptr: np.ndarray      # int32 [R+1] room -> its unavailable times
    unavailable_days: np.ndarray     # int32 [U]
    unavailable_start: np.ndarray    # int32 [U]
    unavailable_length: np.ndarray   # int32 [U]
    unavailable_weeks: np.ndarray    # int64 [U]
    # course -> config -> subpart -> class
    course_ids: tuple[str, ...]
    config_ids: tuple[str, ...]
    subpart_ids: tuple[str, ...]
    class_ids: tuple[str, ...]
    course_config_ptr: np.ndarray    # int32 [K+1]
    config_subpart_ptr: np.ndarray   # int32 [F+1]
    subpart_class_ptr: np.ndarray    # int32 [P+1]
    class_limit: np.ndarray          # int32 [C]
    class_parent: np.ndarray         # int32 [C] -1 = none
    # time options (CSR over classes)
    time_ptr: np.ndarray             # int32 [C+1]
    time_days: np.ndarray            # int32 [T]
    time_start: np.ndarray           # int32 [T]
    time_length: np.ndarray          # int32 [T]
    time_weeks: np.ndarray           # int64 [T]
    time_penalty: np.ndarray         # int32 [T]
    # room options (CSR over classes); none = the class needs no room
    room_option_ptr: np.ndarray      # int32 [C+1]
    room_option_room: np.ndarray     # int32 [O]
    room_option_penalty: np.ndarray  # int32 [O]
    # distributions
    distribution_type: np.ndarray    # int32 [D] a DistributionType
    distribution_required: np.ndarray  # bool [D]
    distribution_penalty: np.ndarray   # int32 [D] (0 for required ones)
    distribution_param: np.ndarray     # int32 [D, 2] the type's parameters (unused = 0)
    distribution_ptr: np.ndarray       # int32 [D+1]
    distribution_classes: np.ndarray   # int32 [nnz] in file order
    # students
    student_ids: tuple[str, ...]
    student_ptr: np.ndarray          # int32 [S+1]
    student_courses: np.ndarray      # int32 [nnz]

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name in _DTYPES:
                value = _frozen(getattr(self, f.name), _DTYPES[f.name])
                if f.name == "distribution_param":
                    value = _frozen(value.reshape(-1, 2), np.int32)
                elif f.name == "travel":
                    n = len(self.room_ids)
                    value = _frozen(value.reshape(n, n), np.int32)
                object.__setattr__(self, f.name, value)
            elif f.name.endswith("_ids"):
                object.__setattr__(self, f.name, tuple(str(x) for x in getattr(self, f.name)))
        errors = _validate(self)
        if errors:
            raise ValidationError(errors, title=f"invalid class problem {self.name!r}")

    # ------------------------------------------------------------------ sizes
    @property
    def n_rooms(self) -> int:
        return len(self.room_ids)

    @property
    def n_courses(self) -> int:
        return len(self.course_ids)

    @property
    def n_configs(self) -> int:
        return len(self.config_ids)

    @property
    def n_subparts(self) -> int:
        return len(self.subpart_ids)

    @property
    def n_classes(self) -> int:
        return len(self.class_ids)

    @property
    def n_distributions(self) -> int:
        return int(self.distribution_type.shape[0])

    @property
    def n_students(self) -> int:
        return len(self.student_ids)

    @property
    def weight(self) -> dict[str, int]:
        """The four objective weights by name."""
        return {name: int(w) for name, w in zip(WEIGHT_NAMES, self.weights)}

    # ------------------------------------------------------------------ derived
    @cached_property
    def class_subpart(self) -> np.ndarray:
        """int32 [C]: the subpart of each class."""
        return _owner(self.subpart_class_ptr)

    @cached_property
    def subpart_config(self) -> np.ndarray:
        """int32 [P]: the config of each subpart."""
        return _owner(self.config_subpart_ptr)

    @cached_property
    def config_course(self) -> np.ndarray:
        """int32 [F]: the course of each config."""
        return _owner(self.course_config_ptr)

    @cached_property
    def class_config(self) -> np.ndarray:
        """int32 [C]: the config of each class."""
        return _frozen(self.subpart_config[self.class_subpart], np.int32)

    @cached_property
    def class_course(self) -> np.ndarray:
        """int32 [C]: the course of each class."""
        return _frozen(self.config_course[self.class_config], np.int32)

    @cached_property
    def class_needs_room(self) -> np.ndarray:
        """bool [C]: the class lists rooms (otherwise it needs none)."""
        return _frozen(np.diff(self.room_option_ptr) > 0, np.bool_)

    @cached_property
    def class_distributions(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR class -> distributions: ``(ptr [C+1], distribution [nnz], position [nnz])``, where
        ``position`` is the class's place in that distribution's list."""
        counts = np.diff(self.distribution_ptr)
        dist = np.repeat(np.arange(self.n_distributions, dtype=np.int32), counts)
        pos = (np.arange(self.distribution_classes.shape[0], dtype=np.int64)
               - np.repeat(self.distribution_ptr[:-1].astype(np.int64), counts)).astype(np.int32)
        order = np.argsort(self.distribution_classes, kind="stable")
        ptr = np.zeros(self.n_classes + 1, np.int32)
        np.cumsum(np.bincount(self.distribution_classes, minlength=self.n_classes), out=ptr[1:])
        return _frozen(ptr, np.int32), _frozen(dist[order], np.int32), _frozen(pos[order], np.int32)

    @cached_property
    def index(self) -> _Index:
        """Dictionaries id -> index for rooms, courses, classes and students (for I/O)."""
        return _Index(self)

    def distribution_label(self, d: int) -> str:
        """``"distribution 12 (SameAttendees, required)"`` — distributions have no id: they are
        numbered from 1 in file order."""
        kind = format_type(int(self.distribution_type[d]), *map(int, self.distribution_param[d]))
        how = "required" if self.distribution_required[d] else f"penalty {int(self.distribution_penalty[d])}"
        return f"distribution {d + 1} ({kind}, {how})"

    def summary(self) -> dict:
        """Sizes of the instance (``tt info``): numbers, plus the distribution types and the
        weights as dicts."""
        required = int(self.distribution_required.sum())
        types = np.bincount(self.distribution_type, minlength=N_TYPES)
        return {
            "name": self.name,
            "format": "ITC2019 (class-based)",
            "days": self.nr_days,
            "weeks": self.nr_weeks,
            "slots_per_day": self.slots_per_day,
            "courses": self.n_courses,
            "configs": self.n_configs,
            "subparts": self.n_subparts,
            "classes": self.n_classes,
            "classes_without_room": int((~self.class_needs_room).sum()),
            "classes_with_parent": int((self.class_parent >= 0).sum()),
            "time_options": int(self.time_start.shape[0]),
            "room_options": int(self.room_option_room.shape[0]),
            "rooms": self.n_rooms,
            "room_unavailabilities": int(self.unavailable_start.shape[0]),
            "travel_pairs": int(np.count_nonzero(np.triu(self.travel, 1))),
            "distributions": self.n_distributions,
            "distributions_required": required,
            "distributions_soft": self.n_distributions - required,
            "distribution_types": {TYPES[DistributionType(k)].name: int(n) for k, n in enumerate(types) if n},
            "students": self.n_students,
            "course_requests": int(self.student_courses.shape[0]),
            "weights": self.weight,
        }


class _Index:
    """id -> index maps of one problem, built on first use."""

    def __init__(self, problem: ClassProblem):
        self.room = {r: i for i, r in enumerate(problem.room_ids)}
        self.course = {k: i for i, k in enumerate(problem.course_ids)}
        self.klass = {c: i for i, c in enumerate(problem.class_ids)}
        self.student = {s: i for i, s in enumerate(problem.student_ids)}


def _owner(ptr: np.ndarray) -> np.ndarray:
    return _frozen(np.repeat(np.arange(ptr.shape[0] - 1, dtype=np.int32), np.diff(ptr)), np.int32)


def _check_ptr(name: str, ptr: np.ndarray, n_items: int, n_values: int, errors: list[str]) -> bool:
    if ptr.shape != (n_items + 1,) or ptr[0] != 0 or ptr[-1] != n_values or np.any(np.diff(ptr) < 0):
        errors.append(f"{name}: not a valid index of {n_items} lists over {n_values} values")
        return False
    return True


def _bad_items(mask: np.ndarray, ids: Sequence[str], what: str, limit: int = 20) -> list[str]:
    bad = np.flatnonzero(mask)
    return [f"{what} {ids[i]}" for i in bad[:limit]]


def _validate(p: ClassProblem) -> list[str]:
    """Every inconsistency, by item (vectorised: an instance of 45 MB checks in milliseconds)."""
    e: list[str] = []
    if not 1 <= p.nr_days <= MAX_DAYS:
        e.append(f"nrDays = {p.nr_days}: needs 1 to {MAX_DAYS}")
    if not 1 <= p.nr_weeks <= MAX_WEEKS:
        e.append(f"nrWeeks = {p.nr_weeks}: needs 1 to {MAX_WEEKS}")
    if p.slots_per_day < 1:
        e.append(f"slotsPerDay = {p.slots_per_day}: needs at least 1")
    if p.weights.shape != (4,) or np.any(p.weights < 0):
        e.append(f"weights {p.weights.tolist()}: four whole numbers >= 0 (time, room, distribution, student)")
    if e:
        return e
    all_days, all_weeks = (1 << p.nr_days) - 1, (1 << p.nr_weeks) - 1
    R, K, F, P, C = p.n_rooms, p.n_courses, p.n_configs, p.n_subparts, p.n_classes
    for what, ids in (("room", p.room_ids), ("course", p.course_ids), ("config", p.config_ids),
                      ("subpart", p.subpart_ids), ("class", p.class_ids), ("student", p.student_ids)):
        if len(set(ids)) != len(ids):
            seen: set = set()
            dupes = sorted({i for i in ids if i in seen or seen.add(i)})
            e.append(f"{what} id(s) given twice: {', '.join(dupes[:10])}")
    # rooms
    if p.room_capacity.shape != (R,):
        e.append(f"room_capacity: {p.room_capacity.shape[0]} values for {R} rooms")
    if p.travel.shape != (R, R) or np.any(p.travel < 0) or not np.array_equal(p.travel, p.travel.T):
        e.append("travel: a symmetric room x room matrix of slots >= 0")
    U = p.unavailable_start.shape[0]
    if _check_ptr("unavailable_ptr", p.unavailable_ptr, R, U, e):
        e += _time_checks("unavailable time of room", np.repeat(np.array(p.room_ids, dtype=object),
                          np.diff(p.unavailable_ptr)), p.unavailable_days, p.unavailable_start,
                          p.unavailable_length, p.unavailable_weeks, all_days, all_weeks, p.slots_per_day)
    # hierarchy
    ok = _check_ptr("course_config_ptr", p.course_config_ptr, K, F, e)
    ok &= _check_ptr("config_subpart_ptr", p.config_subpart_ptr, F, P, e)
    ok &= _check_ptr("subpart_class_ptr", p.subpart_class_ptr, P, C, e)
    if ok:
        for what, ptr, ids, child in (("course", p.course_config_ptr, p.course_ids, "config"),
                                      ("config", p.config_subpart_ptr, p.config_ids, "subpart"),
                                      ("subpart", p.subpart_class_ptr, p.subpart_ids, "class")):
            e += [f"{x} has no {child}" for x in _bad_items(np.diff(ptr) == 0, ids, what, 10)]
    if p.class_limit.shape != (C,) or np.any(p.class_limit < 0):
        e.append("class_limit: one limit >= 0 per class")
    if p.class_parent.shape != (C,) or np.any((p.class_parent < -1) | (p.class_parent >= C)):
        e.append("class_parent: one class index (or -1) per class")
    elif ok:
        e += _parent_checks(p)
    # options
    T, O = p.time_start.shape[0], p.room_option_room.shape[0]
    if _check_ptr("time_ptr", p.time_ptr, C, T, e):
        e += [f"{x} has no time" for x in _bad_items(np.diff(p.time_ptr) == 0, p.class_ids, "class")]
        owners = np.repeat(np.array(p.class_ids, dtype=object), np.diff(p.time_ptr))
        e += _time_checks("time of class", owners, p.time_days, p.time_start, p.time_length,
                          p.time_weeks, all_days, all_weeks, p.slots_per_day)
        if p.time_penalty.shape != (T,):
            e.append("time_penalty: one value per time option")
    if _check_ptr("room_option_ptr", p.room_option_ptr, C, O, e):
        if p.room_option_penalty.shape != (O,):
            e.append("room_option_penalty: one value per room option")
        bad = (p.room_option_room < 0) | (p.room_option_room >= R)
        if bad.any():
            e.append(f"room options name {int(bad.sum())} room(s) that do not exist")
        else:
            owner = np.repeat(np.arange(C), np.diff(p.room_option_ptr)).astype(np.int64)
            keys = owner * max(R, 1) + p.room_option_room
            uniq, counts = np.unique(keys, return_counts=True)
            for k in uniq[counts > 1][:10]:
                e.append(f"class {p.class_ids[k // max(R, 1)]} lists room {p.room_ids[k % max(R, 1)]} twice")
    # distributions
    D = p.distribution_type.shape[0]
    for name in ("distribution_required", "distribution_penalty"):
        if getattr(p, name).shape != (D,):
            e.append(f"{name}: one value per distribution")
    if p.distribution_param.shape != (D, 2):
        e.append("distribution_param: two values per distribution")
    if _check_ptr("distribution_ptr", p.distribution_ptr, D, p.distribution_classes.shape[0], e) and not e:
        e += _distribution_checks(p)
    # students
    if _check_ptr("student_ptr", p.student_ptr, p.n_students, p.student_courses.shape[0], e):
        sc = p.student_courses
        if np.any((sc < 0) | (sc >= K)):
            e.append("student_courses: course indices out of range")
        else:
            owner = np.repeat(np.arange(p.n_students), np.diff(p.student_ptr)).astype(np.int64)
            uniq, counts = np.unique(owner * max(K, 1) + sc, return_counts=True)
            for k in uniq[counts > 1][:10]:
                e.append(f"student {p.student_ids[k // max(K, 1)]} requests course "
                         f"{p.course_ids[k % max(K, 1)]} twice")
    return e


def _time_checks(what, owners, days, start, length, weeks, all_days, all_weeks, slots) -> list[str]:
    n = start.shape[0]
    if not (days.shape == length.shape == weeks.shape == (n,)):
        return [f"{what}: days, start, length and weeks need one value per time"]
    out = []
    for mask, why in (
        ((days <= 0) | (days > all_days), "meets on no day, or on a day past nrDays"),
        ((weeks <= 0) | (weeks > all_weeks), "meets in no week, or in a week past nrWeeks"),
        (length < 1, "has a length below 1 slot"),
        ((start < 0) | (start + length > slots), "starts before 0 or ends after slotsPerDay"),
    ):
        for i in np.flatnonzero(mask)[:10]:
            out.append(f"{what} {owners[i]} (days {int(days[i])}, start {int(start[i])}, "
                       f"length {int(length[i])}, weeks {int(weeks[i])}) {why}")
    return out


def _parent_checks(p: ClassProblem) -> list[str]:
    out = []
    config = p.subpart_config[p.class_subpart]
    has = np.flatnonzero(p.class_parent >= 0)
    par = p.class_parent[has]
    for c in has[config[par] != config[has]][:10]:
        out.append(f"class {p.class_ids[c]}: its parent {p.class_ids[p.class_parent[c]]} is in config "
                   f"{p.config_ids[config[p.class_parent[c]]]}, not in its own config {p.config_ids[config[c]]}")
    for c in has[p.class_subpart[par] == p.class_subpart[has]][:10]:
        out.append(f"class {p.class_ids[c]}: its parent {p.class_ids[p.class_parent[c]]} is in the same subpart")
    if not out:  # a chain of parents longer than the subparts of a config is a cycle
        cur = p.class_parent.copy()
        for _ in range(p.n_subparts + 1):
            nxt = np.where(cur >= 0, p.class_parent[np.maximum(cur, 0)], -1)
            if np.all(nxt < 0):
                break
            cur = nxt
        else:
            out.append(f"classes {', '.join(p.class_ids[c] for c in np.flatnonzero(cur >= 0)[:10])}: "
                       "their parents form a cycle")
    return out


def _distribution_checks(p: ClassProblem) -> list[str]:
    out = []
    C = p.n_classes
    kinds = p.distribution_type
    if np.any((kinds < 0) | (kinds >= N_TYPES)):
        return ["distribution_type: unknown type codes"]
    dc = p.distribution_classes
    if np.any((dc < 0) | (dc >= C)):
        return ["distribution_classes: class indices out of range"]
    soft = ~p.distribution_required
    for d in np.flatnonzero(soft & (p.distribution_penalty < 0))[:10]:
        out.append(f"{p.distribution_label(d)}: a negative penalty")
    if np.any(p.distribution_param < 0):
        out.append("distribution parameters must be >= 0")
    unused = np.array([len(TYPES[DistributionType(k)].params) for k in range(N_TYPES)])[kinds]
    if np.any((unused < 2) & (p.distribution_param[:, 1] != 0)) or np.any(
        (unused < 1) & (p.distribution_param[:, 0] != 0)
    ):
        out.append("distribution_param: a parameter given to a type that takes none")
    owner = np.repeat(np.arange(p.n_distributions), np.diff(p.distribution_ptr)).astype(np.int64)
    uniq, counts = np.unique(owner * max(C, 1) + dc, return_counts=True)
    for k in uniq[counts > 1][:10]:
        out.append(f"{p.distribution_label(int(k // max(C, 1)))} lists class {p.class_ids[k % max(C, 1)]} twice")
    return out


# ============================================================================ solution

@dataclass(frozen=True, eq=False)
class ClassSolution:
    """Times, rooms and students of one timetable of a :class:`ClassProblem`.

    ``time[c]`` and ``room[c]`` are option indices *within* class ``c`` (``time_ptr[c] + time[c]``
    is the global time option); ``-1`` means unassigned (time) or no room. Student ``s`` attends
    ``student_classes[student_ptr[s] : student_ptr[s+1]]`` (ascending class indices). ``meta``
    keeps the header attributes of the solution file (name, runtime, cores, technique, author,
    institution, country). Build it with :meth:`create`, which validates against the problem.
    """

    time: np.ndarray             # int32 [C]
    room: np.ndarray             # int32 [C]
    student_ptr: np.ndarray      # int32 [S+1]
    student_classes: np.ndarray  # int32 [nnz]
    meta: tuple[tuple[str, str], ...] = ()

    @classmethod
    def create(cls, problem: ClassProblem, time: Sequence[int], room: Sequence[int] | None = None,
               students: Sequence[Sequence[int]] | None = None,
               meta: Mapping[str, str] | None = None) -> ClassSolution:
        """A validated solution.

        Parameters
        ----------
        problem : ClassProblem
        time : sequence of int
            Per class, the index of its time option (``-1``: unassigned).
        room : sequence of int, optional
            Per class, the index of its room option (``-1``: none). Default: ``0`` for classes
            that need a room, ``-1`` otherwise.
        students : sequence of sequences of int, optional
            Per student (problem order), the class indices they attend. Default: none.
        meta : mapping, optional
            Header attributes for the solution file.
        """
        S = problem.n_students
        if room is None:
            room = np.where(problem.class_needs_room, 0, -1)
        lists = [sorted({int(x) for x in cl}) for cl in (students or [[] for _ in range(S)])]
        ptr = np.zeros(len(lists) + 1, np.int32)
        np.cumsum([len(x) for x in lists], out=ptr[1:])
        flat = np.fromiter((x for cl in lists for x in cl), np.int32, count=int(ptr[-1]))
        sol = cls(time=_frozen(time, np.int32), room=_frozen(room, np.int32),
                  student_ptr=_frozen(ptr, np.int32), student_classes=_frozen(flat, np.int32),
                  meta=tuple((str(k), str(v)) for k, v in (meta or {}).items()))
        sol.check(problem)
        return sol

    def check(self, problem: ClassProblem) -> None:
        """Raise :class:`~tt_core.errors.ValidationError` unless this solution fits ``problem``."""
        e: list[str] = []
        C = problem.n_classes
        if self.time.shape != (C,) or self.room.shape != (C,):
            raise ValidationError([(f"a solution of {problem.name} needs a time and a room entry for each of "
                                    f"its {C} classes (got {self.time.shape[0]} and {self.room.shape[0]})")],
                                  title="solution does not fit the problem")
        nt = np.diff(problem.time_ptr)
        nr = np.diff(problem.room_option_ptr)
        for c in np.flatnonzero((self.time < -1) | (self.time >= nt))[:20]:
            e.append(f"class {problem.class_ids[c]}: time option {int(self.time[c])} of {int(nt[c])}")
        for c in np.flatnonzero((self.room < -1) | (self.room >= nr))[:20]:
            e.append(f"class {problem.class_ids[c]}: room option {int(self.room[c])} of {int(nr[c])}")
        if self.student_ptr.shape != (problem.n_students + 1,) or self.student_ptr[0] != 0 \
                or self.student_ptr[-1] != self.student_classes.shape[0] or np.any(np.diff(self.student_ptr) < 0):
            e.append(f"student lists: one list per student ({problem.n_students})")
        elif np.any((self.student_classes < 0) | (self.student_classes >= C)):
            e.append("student lists: class indices out of range")
        else:
            sc = self.student_classes.astype(np.int64)
            owner = np.repeat(np.arange(problem.n_students), np.diff(self.student_ptr))
            same = (np.diff(sc) <= 0) & (np.diff(owner) == 0)
            for i in np.flatnonzero(same)[:10]:
                e.append(f"student {problem.student_ids[owner[i]]}: class list not strictly ascending")
        if e:
            raise ValidationError(e, title="solution does not fit the problem")

    @property
    def info(self) -> dict[str, str]:
        """The header attributes as a dict."""
        return dict(self.meta)

    def student_lists(self) -> list[np.ndarray]:
        """Per student, the classes they attend."""
        return [self.student_classes[a:b] for a, b in zip(self.student_ptr[:-1], self.student_ptr[1:])]
