"""The catalogue of the 19 ITC2019 distribution types, each one small pure function.

A distribution constrains a list of classes. Fifteen types are *pairwise*: every pair ``(i, j)``
of the list, ``i`` before ``j``, either satisfies the type's predicate or costs one unit (so a soft
distribution costs ``penalty × violated pairs``). The other four look at the classes together:
``MaxDays`` costs the days used above ``D``; ``MaxDayLoad``, ``MaxBreaks`` and ``MaxBlock`` sum
their excess over every (week, day) and a soft one costs ``penalty × sum // nrWeeks``.

A *placement* is what a class got: ``start``, ``end = start + length`` (5-minute slots of the
day), ``days`` and ``weeks`` as bit masks (bit ``i`` = character ``i`` of the bit string, so the
lowest set bit is the first day / week) and ``room`` (an index, ``-1`` when the class needs none).
The predicates follow the competition rules (itc2019.org, "rules"), written as code:

* SameStart ``s1 = s2``; SameTime one interval inside the other; DifferentTime ``e1 <= s2 or
  e2 <= s1`` (whatever the days); SameDays / SameWeeks one mask inside the other; DifferentDays /
  DifferentWeeks no common bit; Overlap / NotOverlap a common day, a common week and intersecting
  intervals (or not); SameRoom / DifferentRoom compare room indices (two classes without a room
  count as the same room, as in the competition's solver); SameAttendees: no common day or week,
  or enough time between them to walk from one room to the other (``travel``); Precedence: the
  first class of the pair starts earlier, compared by first week, then first day, then
  ``e1 <= s2``; WorkDay(S): on a common day and week, first start to last end at most ``S``
  slots; MinGap(G): on a common day and week, at least ``G`` slots between them.
* MaxDays(D) ``popcount(days1 | days2 | …) <= D`` (weeks not considered);
  MaxDayLoad(S) per (week, day) at most ``S`` slots of class time; MaxBreaks(R,S) per (week,
  day) at most ``R + 1`` blocks, where classes at most ``S`` slots apart are one block;
  MaxBlock(M,S) per (week, day) no block of two or more classes longer than ``M`` slots.

**MaxBlock has two readings** (:data:`MAXBLOCK_COMPETITION`, the default, and
:data:`MAXBLOCK_RULES`). The rules' formula counts every block of two or more classes longer than
``M``. The competition's solver and validator (UniTime's cpsolver, ``ItcMaxBlockConstraint``)
skip, in addition, a block whose classes all start at the same slot (two classes meeting together
are one meeting for the attendee). Some published valid solutions break MaxBlock under the
rules' reading, so the competition reading is the default and every report says which it used.

The functions are numba-compiled so the kernels (:mod:`.kernels`) call them in their hot loops;
called from Python they give the same answers (the evaluator's explanations use them).
"""

from __future__ import annotations

import re
from enum import IntEnum
from typing import NamedTuple

from numba import njit

from ..errors import TimetableError


class DistributionType(IntEnum):
    """The 19 types, in the order of the competition's format description."""

    SAME_START = 0
    SAME_TIME = 1
    DIFFERENT_TIME = 2
    SAME_DAYS = 3
    DIFFERENT_DAYS = 4
    SAME_WEEKS = 5
    DIFFERENT_WEEKS = 6
    OVERLAP = 7
    NOT_OVERLAP = 8
    SAME_ROOM = 9
    DIFFERENT_ROOM = 10
    SAME_ATTENDEES = 11
    PRECEDENCE = 12
    WORK_DAY = 13
    MIN_GAP = 14
    MAX_DAYS = 15
    MAX_DAY_LOAD = 16
    MAX_BREAKS = 17
    MAX_BLOCK = 18


class TypeInfo(NamedTuple):
    """How a type is written in the XML and how it is scored."""

    name: str            # the XML spelling, without parameters
    params: tuple        # names of its integer parameters, in order
    pairwise: bool       # scored per violated pair of classes
    per_week: bool       # a soft cost is penalty × units // nrWeeks


TYPES: dict[DistributionType, TypeInfo] = {
    DistributionType.SAME_START: TypeInfo("SameStart", (), True, False),
    DistributionType.SAME_TIME: TypeInfo("SameTime", (), True, False),
    DistributionType.DIFFERENT_TIME: TypeInfo("DifferentTime", (), True, False),
    DistributionType.SAME_DAYS: TypeInfo("SameDays", (), True, False),
    DistributionType.DIFFERENT_DAYS: TypeInfo("DifferentDays", (), True, False),
    DistributionType.SAME_WEEKS: TypeInfo("SameWeeks", (), True, False),
    DistributionType.DIFFERENT_WEEKS: TypeInfo("DifferentWeeks", (), True, False),
    DistributionType.OVERLAP: TypeInfo("Overlap", (), True, False),
    DistributionType.NOT_OVERLAP: TypeInfo("NotOverlap", (), True, False),
    DistributionType.SAME_ROOM: TypeInfo("SameRoom", (), True, False),
    DistributionType.DIFFERENT_ROOM: TypeInfo("DifferentRoom", (), True, False),
    DistributionType.SAME_ATTENDEES: TypeInfo("SameAttendees", (), True, False),
    DistributionType.PRECEDENCE: TypeInfo("Precedence", (), True, False),
    DistributionType.WORK_DAY: TypeInfo("WorkDay", ("S",), True, False),
    DistributionType.MIN_GAP: TypeInfo("MinGap", ("G",), True, False),
    DistributionType.MAX_DAYS: TypeInfo("MaxDays", ("D",), False, False),
    DistributionType.MAX_DAY_LOAD: TypeInfo("MaxDayLoad", ("S",), False, True),
    DistributionType.MAX_BREAKS: TypeInfo("MaxBreaks", ("R", "S"), False, True),
    DistributionType.MAX_BLOCK: TypeInfo("MaxBlock", ("M", "S"), False, True),
}
_BY_NAME = {info.name.lower(): kind for kind, info in TYPES.items()}
_TYPE_RE = re.compile(r"^\s*([A-Za-z]+)\s*(?:\(\s*([^)]*?)\s*\))?\s*$")

N_TYPES = len(TYPES)
LAST_PAIRWISE = int(DistributionType.MIN_GAP)  # types 0..LAST_PAIRWISE are pairwise

MAXBLOCK_COMPETITION = 0  # skip blocks whose classes all start together (cpsolver / the validator)
MAXBLOCK_RULES = 1        # the rules' formula: every block of two or more classes counts
MAXBLOCK_READINGS = {"competition": MAXBLOCK_COMPETITION, "rules": MAXBLOCK_RULES}


def parse_type(text: str) -> tuple[DistributionType, int, int]:
    """``"MaxBreaks(2,12)"`` → ``(DistributionType.MAX_BREAKS, 2, 12)``; unused parameters are 0.

    Raises
    ------
    TimetableError
        For an unknown type, or parameters missing, extra, negative or not integers.
    """
    m = _TYPE_RE.match(text or "")
    kind = _BY_NAME.get(m.group(1).lower()) if m else None
    if kind is None:
        known = ", ".join(info.name + (f"({','.join(info.params)})" if info.params else "")
                          for info in TYPES.values())
        raise TimetableError(f'unknown distribution type "{text}"; the types are {known}')
    info = TYPES[kind]
    raw = m.group(2)
    values = [] if raw is None or raw == "" else [v.strip() for v in raw.split(",")]
    if len(values) != len(info.params):
        want = f"{info.name}({','.join(info.params)})" if info.params else info.name
        raise TimetableError(f'distribution type "{text}" should be written {want}')
    params = []
    for name, value in zip(info.params, values):
        if not value.isdigit():
            raise TimetableError(f'distribution type "{text}": {name} must be a whole number >= 0, not "{value}"')
        params.append(int(value))
    params += [0] * (2 - len(params))
    return kind, params[0], params[1]


def format_type(kind: int, p1: int = 0, p2: int = 0) -> str:
    """The XML spelling of a type with its parameters: ``format_type(18, 36, 4) == "MaxBlock(36,4)"``."""
    info = TYPES[DistributionType(kind)]
    values = (p1, p2)[: len(info.params)]
    return info.name + (f"({','.join(str(v) for v in values)})" if values else "")


# ============================================================================ pairwise predicates
# Each takes the two placements (a = the earlier class of the distribution's list) and returns True
# when the pair satisfies the type. ``p`` is the type's parameter, ``t_ab``/``t_ba`` the travel
# times (slots) from a's room to b's and back (0 when either needs no room).

@njit(cache=True)
def same_start(p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba):
    return sa == sb


@njit(cache=True)
def same_time(p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba):
    return (sa <= sb and eb <= ea) or (sb <= sa and ea <= eb)


@njit(cache=True)
def different_time(p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba):
    return ea <= sb or eb <= sa


@njit(cache=True)
def same_days(p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba):
    both = da | db
    return both == da or both == db


@njit(cache=True)
def different_days(p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba):
    return (da & db) == 0


@njit(cache=True)
def same_weeks(p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba):
    both = wa | wb
    return both == wa or both == wb


@njit(cache=True)
def different_weeks(p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba):
    return (wa & wb) == 0


@njit(cache=True)
def overlap(p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba):
    return sb < ea and sa < eb and (da & db) != 0 and (wa & wb) != 0


@njit(cache=True)
def not_overlap(p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba):
    return ea <= sb or eb <= sa or (da & db) == 0 or (wa & wb) == 0


@njit(cache=True)
def same_room(p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba):
    return ra == rb


@njit(cache=True)
def different_room(p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba):
    return ra != rb


@njit(cache=True)
def same_attendees(p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba):
    return ea + t_ab <= sb or eb + t_ba <= sa or (da & db) == 0 or (wa & wb) == 0


@njit(cache=True)
def first_bit(x):
    """Index of the lowest set bit (the first day or week of a mask); -1 for 0."""
    if x == 0:
        return -1
    i = 0
    while (x & 1) == 0:
        x >>= 1
        i += 1
    return i


@njit(cache=True)
def precedence(p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba):
    fa, fb = first_bit(wa), first_bit(wb)
    if fa != fb:
        return fa < fb
    fa, fb = first_bit(da), first_bit(db)
    if fa != fb:
        return fa < fb
    return ea <= sb


@njit(cache=True)
def work_day(p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba):
    return (da & db) == 0 or (wa & wb) == 0 or max(ea, eb) - min(sa, sb) <= p


@njit(cache=True)
def min_gap(p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba):
    return (da & db) == 0 or (wa & wb) == 0 or ea + p <= sb or eb + p <= sa


@njit(cache=True)
def pair_satisfied(kind, p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba):
    """Dispatch to the predicate of pairwise type ``kind`` (0 ≤ kind ≤ 14)."""
    if kind == 0:
        return same_start(p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba)
    if kind == 1:
        return same_time(p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba)
    if kind == 2:
        return different_time(p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba)
    if kind == 3:
        return same_days(p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba)
    if kind == 4:
        return different_days(p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba)
    if kind == 5:
        return same_weeks(p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba)
    if kind == 6:
        return different_weeks(p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba)
    if kind == 7:
        return overlap(p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba)
    if kind == 8:
        return not_overlap(p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba)
    if kind == 9:
        return same_room(p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba)
    if kind == 10:
        return different_room(p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba)
    if kind == 11:
        return same_attendees(p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba)
    if kind == 12:
        return precedence(p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba)
    if kind == 13:
        return work_day(p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba)
    return min_gap(p, sa, ea, da, wa, ra, sb, eb, db, wb, rb, t_ab, t_ba)


# ============================================================================ the four others

@njit(cache=True)
def popcount(x):
    """Number of set bits of a non-negative integer."""
    n = 0
    while x:
        x &= x - 1
        n += 1
    return n


@njit(cache=True)
def max_days_units(days_used, d_max):
    """MaxDays(D): days used (the OR of the classes' day masks) above ``D``."""
    n = popcount(days_used)
    return n - d_max if n > d_max else 0


@njit(cache=True)
def day_load_units(load, s_max):
    """MaxDayLoad(S) on one (week, day): class slots above ``S``."""
    return load - s_max if load > s_max else 0


@njit(cache=True, nogil=True, _nrt=False)
def sort_intervals(starts, ends, n):
    """Sort the first ``n`` intervals by start, then end (insertion sort: the lists are short)."""
    for i in range(1, n):
        s, e = starts[i], ends[i]
        j = i - 1
        while j >= 0 and (starts[j] > s or (starts[j] == s and ends[j] > e)):
            starts[j + 1] = starts[j]
            ends[j + 1] = ends[j]
            j -= 1
        starts[j + 1] = s
        ends[j + 1] = e


@njit(cache=True, nogil=True, _nrt=False)
def breaks_units(starts, ends, n, r_max, gap):
    """MaxBreaks(R,S) on one (week, day): blocks above ``R + 1``.

    The first ``n`` intervals are sorted in place; a class starting at most ``gap`` slots after
    the end of the block so far joins it.
    """
    if n == 0:
        return 0
    sort_intervals(starts, ends, n)
    blocks = 1
    end = ends[0]
    for i in range(1, n):
        if starts[i] <= end + gap:
            end = max(end, ends[i])
        else:
            blocks += 1
            end = ends[i]
    return blocks - (r_max + 1) if blocks > r_max + 1 else 0


@njit(cache=True, nogil=True, _nrt=False)
def block_units(starts, ends, n, m_max, gap, reading):
    """MaxBlock(M,S) on one (week, day): blocks of two or more classes longer than ``M`` slots.

    ``reading`` is :data:`MAXBLOCK_COMPETITION` (a block whose classes all start at the same slot
    is not counted) or :data:`MAXBLOCK_RULES`. The first ``n`` intervals are sorted in place.
    """
    if n < 2:
        return 0
    sort_intervals(starts, ends, n)
    units = 0
    b_start = starts[0]
    b_end = ends[0]
    size = 1
    same = True
    for i in range(1, n + 1):
        if i < n and starts[i] <= b_end + gap:
            size += 1
            if starts[i] != b_start:
                same = False
            b_end = max(b_end, ends[i])
            continue
        # block [b_start, b_end) is complete
        if size > 1 and b_end - b_start > m_max and not (same and reading == MAXBLOCK_COMPETITION):
            units += 1
        if i < n:
            b_start = starts[i]
            b_end = ends[i]
            size = 1
            same = True
    return units
