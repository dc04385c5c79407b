"""The catalogue of constraints: one index per named criterion, hard or soft.

Every cost in the product is a vector of *units* per constraint (int64, indexed by the
constants below) and a weight vector of the same length; the weighted total is their dot
product. ITC2007 mode uses the competition weights and leaves the extension terms at zero
units (the problem has no data for them).

``StudentClashes`` is hard, like ``Conflicts``, but weighted by people: two courses sharing ``n``
enrolled students that overlap in a period cost ``n`` units for that period, so when the data
cannot avoid every clash the solvers prefer the clash that hits the fewest students, and the
report says how many. The hard terms are the first :data:`N_HARD` indices.
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
CURRICULUM_LOAD = 12    # each lecture of a curriculum beyond its daily maximum
TEACHER_LOAD = 13       # each lecture of a teacher beyond their daily maximum

N_CONSTRAINTS = 14
N_HARD = 6              # the hard terms are the indices 0 .. N_HARD-1
# terms outside ITC2007 (zero units on ITC instances)
EXTENSIONS = frozenset({ROOM_SUITABILITY, STUDENT_CLASHES, TEACHER_PREFERENCE, TIME_OF_DAY, CURRICULUM_LOAD,
                        TEACHER_LOAD})


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
    ConstraintInfo(CURRICULUM_LOAD, "CurriculumDailyLoad", False, 1, "student load", "lectures above a curriculum's daily maximum"),
    ConstraintInfo(TEACHER_LOAD, "TeacherDailyLoad", False, 1, "teacher", "lectures above a teacher's daily maximum"),
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
