"""The catalogue of constraints: one index per named criterion, hard or soft.

Every cost in the product is a vector of *units* per constraint (int64, indexed by the
constants below) and a weight vector of the same length; the weighted total is their dot
product. ITC2007 mode uses the competition weights and leaves the extension terms at zero
units (the problem has no data for them).

``StudentClashes`` is hard, like ``Conflicts``, but weighted by people: two courses sharing ``n``
enrolled students that overlap in a period cost ``n`` units for that period, so when the data
cannot avoid every clash the solvers prefer the clash that hits the fewest students, and the
report says how many. The hard terms are the first :data:`N_HARD` indices.

The terms of the extended curriculum-based benchmark (``.ectt``, formulations UD1-UD5, see
:mod:`tt_core.profiles`) count as the benchmark's validator (``validator.cc`` by Di Gaspero &
Schaerf) does: ``CurriculumWindows`` — the free periods between the first and the last lecture of a
curriculum in a day; ``DoubleLectures`` — for a course that wants its lectures of a day grouped,
on a day with two or more of them, each lecture with no lecture of the course in the same room
in an adjacent period; ``TravelDistance`` — for each curriculum and each two consecutive periods
of a day, each pair (lecture at the first, lecture at the second) in rooms of different sites;
``UnsuitableRooms`` — each lecture in a room the data lists as unsuitable for its course (the
soft reading of UD3; UD4 makes those rooms unsuitable, the hard ``RoomSuitability``);
``CurriculumDailyLoad`` — on each day a curriculum has lectures, each lecture below its daily
minimum or above its daily maximum. ``CurriculumWindows`` weighs 0 in ITC2007 (it counts isolated
lectures instead), so its units are reported but cost nothing there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# --- hard -------------------------------------------------------------------------------
LECTURES = 0            # a lecture unplaced, or a second lecture of a course in a period it already uses
CONFLICTS = 1           # two conflicting courses (curriculum or teacher) both taught in a period, per pair
AVAILABILITY = 2        # a lecture in a period where its course/teacher is unavailable (or past the day's end)
ROOM_OCCUPATION = 3     # more than one lecture in a room in a period (each extra one)
ROOM_SUITABILITY = 4    # a lecture in a room of the wrong type / missing features (extension)
STUDENT_CLASHES = 5     # per period, each student enrolled in two courses both taught then (extension)
# --- soft (ITC2007) ---------------------------------------------------------------------
ROOM_CAPACITY = 6       # each student above the room's capacity, each lecture
MIN_WORKING_DAYS = 7    # each day below a course's minimum working days
COMPACTNESS = 8         # each curriculum lecture with no adjacent curriculum lecture that day
ROOM_STABILITY = 9      # each distinct room beyond the first used by a course
# --- soft (extensions; zero units on ITC instances) ------------------------------------
TEACHER_PREFERENCE = 10  # a lecture period a teacher marked as undesired
TIME_OF_DAY = 11        # the period's time-of-day penalty (e.g. early morning, late evening)
CURRICULUM_LOAD = 12    # each lecture of a curriculum below its daily minimum (days with lectures) or above its maximum
TEACHER_LOAD = 13       # each lecture of a teacher beyond their daily maximum
# --- soft (extended curriculum-based benchmark, .ectt) ---------------------------------
WINDOWS = 14            # each free period between two lectures of a curriculum in one day
DOUBLE_LECTURES = 15    # each lecture of a double-lecture course not next to another of it in the same room
TRAVEL = 16             # each pair of lectures of a curriculum in consecutive periods at different sites
UNSUITABLE_ROOMS = 17   # each lecture in a room listed as unsuitable for its course (soft)

N_CONSTRAINTS = 18
N_HARD = 6              # the hard terms are the indices 0 .. N_HARD-1
# terms outside ITC2007 (zero units on ITC instances)
EXTENSIONS = frozenset({ROOM_SUITABILITY, STUDENT_CLASHES, TEACHER_PREFERENCE, TIME_OF_DAY, CURRICULUM_LOAD,
                        TEACHER_LOAD})
# terms of the extended benchmark (.ectt); all but CurriculumWindows have zero units without its data
ECTT_TERMS = frozenset({WINDOWS, DOUBLE_LECTURES, TRAVEL, UNSUITABLE_ROOMS})


@dataclass(frozen=True)
class ConstraintInfo:
    index: int
    name: str
    hard: bool
    itc_weight: float
    dimension: str  # context-profile dimension the weight belongs to
    description: str


CONSTRAINTS: tuple[ConstraintInfo, ...] = (
    ConstraintInfo(LECTURES, "Lectures", True, 1, "hard", "every lecture scheduled, once per period"),
    ConstraintInfo(CONFLICTS, "Conflicts", True, 1, "hard", "no curriculum or teacher overlap"),
    ConstraintInfo(AVAILABILITY, "Availability", True, 1, "hard", "unavailable periods respected"),
    ConstraintInfo(ROOM_OCCUPATION, "RoomOccupation", True, 1, "hard", "one lecture per room and period"),
    ConstraintInfo(ROOM_SUITABILITY, "RoomSuitability", True, 1, "hard", "room type and features fit the course"),
    ConstraintInfo(STUDENT_CLASHES, "StudentClashes", True, 1, "hard",
                   "no enrolled student has two lectures at once (units: students per period)"),
    ConstraintInfo(ROOM_CAPACITY, "RoomCapacity", False, 1, "room", "students above room capacity"),
    ConstraintInfo(MIN_WORKING_DAYS, "MinWorkingDays", False, 5, "student load", "days below the minimum spread"),
    ConstraintInfo(COMPACTNESS, "CurriculumCompactness", False, 2, "student load", "isolated curriculum lectures"),
    ConstraintInfo(ROOM_STABILITY, "RoomStability", False, 1, "room", "extra rooms used by a course"),
    ConstraintInfo(TEACHER_PREFERENCE, "TeacherPreference", False, 1, "teacher", "lectures in undesired periods"),
    ConstraintInfo(TIME_OF_DAY, "TimeOfDay", False, 1, "time-of-day", "period penalties (early/late)"),
    ConstraintInfo(CURRICULUM_LOAD, "CurriculumDailyLoad", False, 1, "student load",
                   "lectures of a curriculum's day below its daily minimum or above its maximum"),
    ConstraintInfo(TEACHER_LOAD, "TeacherDailyLoad", False, 1, "teacher", "lectures above a teacher's daily maximum"),
    ConstraintInfo(WINDOWS, "CurriculumWindows", False, 0, "student load",
                   "free periods between two lectures of a curriculum in one day"),
    ConstraintInfo(DOUBLE_LECTURES, "DoubleLectures", False, 1, "teacher",
                   "lectures of a double-lecture course not next to another one of it in the same room"),
    ConstraintInfo(TRAVEL, "TravelDistance", False, 1, "student load",
                   "a curriculum changing site between two consecutive lectures of a day"),
    ConstraintInfo(UNSUITABLE_ROOMS, "UnsuitableRooms", False, 1, "room",
                   "lectures in a room listed as unsuitable for the course"),
)

NAMES: tuple[str, ...] = tuple(c.name for c in CONSTRAINTS)
HARD_MASK = np.array([c.hard for c in CONSTRAINTS], dtype=np.bool_)


def itc_weights(hard_weight: float = 1.0) -> np.ndarray:
    """The ITC2007 weight vector (float64); ``hard_weight`` scales the hard terms."""
    w = np.array([c.itc_weight for c in CONSTRAINTS], dtype=np.float64)
    w[HARD_MASK] *= hard_weight
    return w


def index_of(name: str) -> int:
    """Constraint index from its name (case-insensitive); raises ``KeyError`` naming the choices."""
    key = name.lower().replace("_", "").replace(" ", "")
    for c in CONSTRAINTS:
        if c.name.lower() == key:
            return c.index
    raise KeyError(f"unknown constraint {name!r}; known: {', '.join(NAMES)}")
