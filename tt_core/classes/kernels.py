"""Numba kernels of the class model: full evaluation, and an incremental state with O(affected)
deltas for moving one class — what a local search calls millions of times.

Everything is measured in *units* per component (:data:`COMPONENTS`): five hard ones (unassigned
classes, room conflicts, rooms used while unavailable, required-distribution units, sectioning
units) and the four penalty sums of the objective (time, room, distribution, student). The
weighted total is ``time·wt + room·wr + distribution·wd + student·ws``.

Units of each hard term:

* ``unassigned``: a class without a time, or needing a room and without one (1 per class);
* ``room_conflicts``: pairs of classes in one room whose placements overlap (common day, common
  week, intersecting intervals);
* ``room_unavailable``: classes placed in their room at a time it is unavailable (1 per class);
* ``distribution_hard``: a required distribution's units — violated pairs (pairwise types), days
  above D (MaxDays), the excess summed over (week, day) (MaxDayLoad, MaxBreaks, MaxBlock — not
  divided by nrWeeks);
* ``sectioning``: per student and requested course, no class of it / classes from two configs /
  a subpart of the chosen config with no class or with two (1 each); a class of a course the
  student did not request, a class whose parent the student does not attend (1 each); and the
  students above each class's limit.

The incremental state (:class:`ClassState`) keeps what the deltas need: the classes placed in each
room (to test the new placement against the room's other classes only), per-distribution units
and counters (day counts for MaxDays, the load of every (week, day) for MaxDayLoad), and the
student *pair graph* — for every two classes sharing students, how many — so a class move costs
O(its room's classes + Σ sizes of its distributions + its student neighbours). MaxBreaks and
MaxBlock re-merge only the (week, day) cells the class leaves or enters. The pair graph follows
the solution's sectioning; after students change classes, build a new state (``init_state``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from .distributions import (
    LAST_PAIRWISE,
    MAXBLOCK_READINGS,
    block_units,
    breaks_units,
    day_load_units,
    max_days_units,
    pair_satisfied,
)
from .model import ClassProblem, ClassSolution

UNASSIGNED, ROOM_CONFLICTS, ROOM_UNAVAILABLE, DISTRIBUTION_HARD, SECTIONING = 0, 1, 2, 3, 4
TIME, ROOM, DISTRIBUTION, STUDENT = 5, 6, 7, 8
COMPONENTS = ("unassigned", "room_conflicts", "room_unavailable", "distribution_hard", "sectioning",
              "time", "room", "distribution", "student")
N_UNITS = len(COMPONENTS)
N_HARD = 5
HARD_DELTA, TOTAL_DELTA = N_UNITS, N_UNITS + 1   # extra slots of ClassState.delta

MAX_DAYS_T, MAX_DAY_LOAD_T, MAX_BREAKS_T, MAX_BLOCK_T = 15, 16, 17, 18

# sectioning record codes (ClassReport lists them by name)
NOT_REQUESTED, MISSING_COURSE, MIXED_CONFIGS, MISSING_SUBPART, DOUBLE_SUBPART, MISSING_PARENT, OVER_LIMIT = range(7)


class ClassArrays(NamedTuple):
    """A :class:`ClassProblem` as the flat arrays the kernels read (built once, cached)."""

    n_classes: int
    n_rooms: int
    n_days: int
    n_weeks: int
    reading: int                 # MaxBlock reading (distributions.MAXBLOCK_*)
    weights: np.ndarray          # int64 [4]
    time_ptr: np.ndarray         # int32 [C+1]
    t_days: np.ndarray           # int32 [T]
    t_start: np.ndarray          # int32 [T]
    t_end: np.ndarray            # int32 [T]
    t_weeks: np.ndarray          # int64 [T]
    t_penalty: np.ndarray        # int32 [T]
    room_ptr: np.ndarray         # int32 [C+1]
    o_room: np.ndarray           # int32 [O]
    o_penalty: np.ndarray        # int32 [O]
    needs_room: np.ndarray       # bool [C]
    travel: np.ndarray           # int32 [R', R'] (R' = max(R, 1))
    un_ptr: np.ndarray           # int32 [R+1]
    un_days: np.ndarray          # int32 [U]
    un_start: np.ndarray         # int32 [U]
    un_end: np.ndarray           # int32 [U]
    un_weeks: np.ndarray         # int64 [U]
    d_kind: np.ndarray           # int32 [D]
    d_required: np.ndarray       # bool [D]
    d_penalty: np.ndarray        # int64 [D]
    d_p1: np.ndarray             # int32 [D]
    d_p2: np.ndarray             # int32 [D]
    d_ptr: np.ndarray            # int32 [D+1]
    d_classes: np.ndarray        # int32 [nnz]
    cd_ptr: np.ndarray           # int32 [C+1] class -> its distributions
    cd_dist: np.ndarray          # int32
    cd_pos: np.ndarray           # int32 position of the class in that distribution's list
    aux_ptr: np.ndarray          # int32 [D+1] counters of MaxDays (per day) / MaxDayLoad (per week·day)
    rm_ptr: np.ndarray           # int32 [R+1] room -> room for the classes that may use it
    max_dist_len: int
    # sectioning
    class_subpart: np.ndarray    # int32 [C]
    subpart_config: np.ndarray   # int32 [P]
    config_course: np.ndarray    # int32 [F]
    config_subpart_ptr: np.ndarray  # int32 [F+1]
    class_parent: np.ndarray     # int32 [C]
    class_limit: np.ndarray      # int32 [C]
    s_ptr: np.ndarray            # int32 [S+1] student -> requested courses
    s_courses: np.ndarray        # int32
    n_courses: int
    n_subparts: int


def reading_code(maxblock: str | int) -> int:
    """``"competition"``/``"rules"`` (or their codes) → the code the kernels take."""
    if isinstance(maxblock, str):
        try:
            return MAXBLOCK_READINGS[maxblock]
        except KeyError:
            raise ValueError(f"maxblock must be one of {', '.join(MAXBLOCK_READINGS)}, not {maxblock!r}") from None
    return int(maxblock)


def class_arrays(problem: ClassProblem, maxblock: str | int = "competition") -> ClassArrays:
    """Pack (and cache on the problem) the arrays the kernels read, for one MaxBlock reading."""
    reading = reading_code(maxblock)
    cache = problem.__dict__.setdefault("_class_arrays", {})
    if reading in cache:
        return cache[reading]
    p = problem
    # fresh writable copies: numba compiles a separate specialisation for read-only arrays, and the
    # problem's arrays are read-only
    def i32(a):
        return np.array(a, dtype=np.int32)

    R = max(p.n_rooms, 1)
    travel = np.zeros((R, R), np.int32)
    travel[:p.n_rooms, :p.n_rooms] = p.travel
    cd_ptr, cd_dist, cd_pos = p.class_distributions
    kinds = p.distribution_type
    sizes = np.where(kinds == MAX_DAYS_T, p.nr_days, np.where(kinds == MAX_DAY_LOAD_T, p.nr_days * p.nr_weeks, 0))
    aux_ptr = np.zeros(p.n_distributions + 1, np.int32)
    np.cumsum(sizes, out=aux_ptr[1:])
    rm_ptr = np.zeros(p.n_rooms + 1, np.int32)
    np.cumsum(np.bincount(p.room_option_room, minlength=p.n_rooms), out=rm_ptr[1:])
    lengths = np.diff(p.distribution_ptr)
    ka = ClassArrays(
        n_classes=p.n_classes, n_rooms=p.n_rooms, n_days=p.nr_days, n_weeks=p.nr_weeks, reading=reading,
        weights=np.array(p.weights, dtype=np.int64),
        time_ptr=i32(p.time_ptr), t_days=i32(p.time_days), t_start=i32(p.time_start),
        t_end=i32(p.time_start + p.time_length), t_weeks=np.array(p.time_weeks, dtype=np.int64),
        t_penalty=i32(p.time_penalty),
        room_ptr=i32(p.room_option_ptr), o_room=i32(p.room_option_room), o_penalty=i32(p.room_option_penalty),
        needs_room=np.array(p.class_needs_room, dtype=np.bool_), travel=travel,
        un_ptr=i32(p.unavailable_ptr), un_days=i32(p.unavailable_days), un_start=i32(p.unavailable_start),
        un_end=i32(p.unavailable_start + p.unavailable_length),
        un_weeks=np.array(p.unavailable_weeks, dtype=np.int64),
        d_kind=i32(kinds), d_required=np.array(p.distribution_required, dtype=np.bool_),
        d_penalty=np.array(p.distribution_penalty, dtype=np.int64),
        d_p1=i32(p.distribution_param[:, 0]), d_p2=i32(p.distribution_param[:, 1]),
        d_ptr=i32(p.distribution_ptr), d_classes=i32(p.distribution_classes),
        cd_ptr=i32(cd_ptr), cd_dist=i32(cd_dist), cd_pos=i32(cd_pos), aux_ptr=aux_ptr, rm_ptr=rm_ptr,
        max_dist_len=int(lengths.max()) if lengths.size else 0,
        class_subpart=i32(p.class_subpart), subpart_config=i32(p.subpart_config),
        config_course=i32(p.config_course), config_subpart_ptr=i32(p.config_subpart_ptr),
        class_parent=i32(p.class_parent), class_limit=i32(p.class_limit),
        s_ptr=i32(p.student_ptr), s_courses=i32(p.student_courses),
        n_courses=p.n_courses, n_subparts=p.n_subparts,
    )
    cache[reading] = ka
    return ka


# ============================================================================ placements

@njit(cache=True, inline="always")
def overlap(s1, e1, d1, w1, s2, e2, d2, w2):
    """Two placements overlap: a common day, a common week and intersecting intervals."""
    return (d1 & d2) != 0 and (w1 & w2) != 0 and s1 < e2 and s2 < e1


@njit(cache=True, inline="always")
def travel_time(ka, r1, r2):
    """Slots to walk from room ``r1`` to ``r2`` (0 when either is -1: no room)."""
    if r1 < 0 or r2 < 0:
        return 0
    return ka.travel[r1, r2]


@njit(cache=True, inline="always")
def student_conflict(ka, s1, e1, d1, w1, r1, s2, e2, d2, w2, r2):
    """One student cannot attend both: they share a day and a week and, widened by the travel time
    between their rooms, the intervals overlap."""
    if (d1 & d2) == 0 or (w1 & w2) == 0:
        return False
    return e1 + travel_time(ka, r1, r2) > s2 and e2 + travel_time(ka, r2, r1) > s1


@njit(cache=True, inline="always")
def placement(ka, c, t, o):
    """``(placed, start, end, days, weeks, room)`` of class ``c`` at its time option ``t`` and room
    option ``o`` (indices within the class; ``t < 0``: not placed, ``o < 0``: no room)."""
    if t < 0:
        return False, np.int64(0), np.int64(0), np.int64(0), np.int64(0), np.int64(-1)
    g = ka.time_ptr[c] + t
    r = np.int64(ka.o_room[ka.room_ptr[c] + o]) if o >= 0 else np.int64(-1)
    return (True, np.int64(ka.t_start[g]), np.int64(ka.t_end[g]), np.int64(ka.t_days[g]),
            np.int64(ka.t_weeks[g]), r)


@njit(cache=True, inline="always")
def unavailable(ka, r, s, e, d, w):
    """Room ``r`` is unavailable at some moment of the placement."""
    if r < 0:
        return False
    for u in range(ka.un_ptr[r], ka.un_ptr[r + 1]):
        if overlap(s, e, d, w, ka.un_start[u], ka.un_end[u], ka.un_days[u], ka.un_weeks[u]):
            return True
    return False


@njit(cache=True, inline="always")
def _unassigned(ka, c, t, o):
    return 1 if t < 0 or (o < 0 and ka.needs_room[c]) else 0


@njit(cache=True, inline="always")
def distribution_cost(ka, d, units):
    """Soft cost of ``units`` of distribution ``d`` (penalty × units, // nrWeeks for the per-week types)."""
    cost = ka.d_penalty[d] * units
    if ka.d_kind[d] >= MAX_DAY_LOAD_T:
        return cost // ka.n_weeks
    return cost


# ============================================================================ distribution units

@njit(cache=True, inline="always")
def _pair_violated(ka, d, kind, ca, ta, oa, cb, tb, ob):
    pa, sa, ea, da, wa, ra = placement(ka, ca, ta, oa)
    pb, sb, eb, db, wb, rb = placement(ka, cb, tb, ob)
    if not pa or not pb:
        return 0
    ok = pair_satisfied(kind, ka.d_p1[d], sa, ea, da, wa, ra, sb, eb, db, wb, rb,
                        travel_time(ka, ra, rb), travel_time(ka, rb, ra))
    return 0 if ok else 1


@njit(cache=True, nogil=True, _nrt=False)
def cell_units(ka, d, time, ropt, cx, tx, ox, w, day, ss, se):
    """Units of a MaxBreaks / MaxBlock distribution on one (week, day); class ``cx`` taken at
    ``(tx, ox)`` instead of its entry in ``time``/``ropt`` (``cx = -1``: no override)."""
    n = 0
    for i in range(ka.d_ptr[d], ka.d_ptr[d + 1]):
        c = ka.d_classes[i]
        t = tx if c == cx else time[c]
        if t < 0:
            continue
        g = ka.time_ptr[c] + t
        if (ka.t_days[g] >> day) & 1 and (ka.t_weeks[g] >> w) & 1:
            ss[n] = ka.t_start[g]
            se[n] = ka.t_end[g]
            n += 1
    if ka.d_kind[d] == MAX_BREAKS_T:
        return breaks_units(ss, se, n, ka.d_p1[d], ka.d_p2[d])
    return block_units(ss, se, n, ka.d_p1[d], ka.d_p2[d], ka.reading)


@njit(cache=True, nogil=True, _nrt=False)
def distribution_units(ka, d, time, ropt, ss, se, load):
    """Units of distribution ``d`` for the assignment ``time``/``ropt`` (from scratch).

    ``ss``/``se`` are int32 scratch of at least the distribution's size; ``load`` int64 scratch of
    ``nrWeeks × nrDays``.
    """
    kind = ka.d_kind[d]
    lo, hi = ka.d_ptr[d], ka.d_ptr[d + 1]
    units = 0
    if kind <= LAST_PAIRWISE:
        for i in range(lo, hi):
            a = ka.d_classes[i]
            if time[a] < 0:
                continue
            for j in range(i + 1, hi):
                b = ka.d_classes[j]
                units += _pair_violated(ka, d, kind, a, time[a], ropt[a], b, time[b], ropt[b])
        return units
    if kind == MAX_DAYS_T:
        used = 0
        for i in range(lo, hi):
            c = ka.d_classes[i]
            if time[c] >= 0:
                used |= ka.t_days[ka.time_ptr[c] + time[c]]
        return max_days_units(used, ka.d_p1[d])
    nd, nw = ka.n_days, ka.n_weeks
    if kind == MAX_DAY_LOAD_T:
        for k in range(nw * nd):
            load[k] = 0
        for i in range(lo, hi):
            c = ka.d_classes[i]
            if time[c] < 0:
                continue
            g = ka.time_ptr[c] + time[c]
            for w in range(nw):
                if (ka.t_weeks[g] >> w) & 1:
                    for day in range(nd):
                        if (ka.t_days[g] >> day) & 1:
                            load[w * nd + day] += ka.t_end[g] - ka.t_start[g]
        for k in range(nw * nd):
            units += day_load_units(load[k], ka.d_p1[d])
        return units
    # MaxBreaks / MaxBlock: only (week, day) cells some class of the distribution meets in
    days, weeks = 0, np.int64(0)
    for i in range(lo, hi):
        c = ka.d_classes[i]
        if time[c] >= 0:
            days |= ka.t_days[ka.time_ptr[c] + time[c]]
            weeks |= ka.t_weeks[ka.time_ptr[c] + time[c]]
    for w in range(nw):
        if (weeks >> w) & 1:
            for day in range(nd):
                if (days >> day) & 1:
                    units += cell_units(ka, d, time, ropt, -1, -1, -1, w, day, ss, se)
    return units


# ============================================================================ full evaluation

@njit(cache=True)
def sectioning_check(ka, st_ptr, st_classes, out, cap):
    """Sectioning units of the student lists; records ``(code, student, a, b)`` go to ``out``
    (the first ``cap`` of them; ``cap = 0`` only counts). Returns ``(units, records)``."""
    C, K, P = ka.n_classes, ka.n_courses, ka.n_subparts
    return _sectioning(ka, st_ptr, st_classes, out, cap, np.full(K, -1, np.int64), np.full(K, -1, np.int64),
                       np.full(P, -1, np.int64), np.zeros(P, np.int64), np.full(C, -1, np.int64), np.zeros(C, np.int64))


@njit(cache=True, nogil=True, _nrt=False)
def _sectioning(ka, st_ptr, st_classes, out, cap, course_stamp, course_cfg, sub_stamp, sub_count, class_stamp,
                class_count):
    C = ka.n_classes
    S = st_ptr.shape[0] - 1
    units = 0
    n = 0
    for s in range(S):
        for i in range(ka.s_ptr[s], ka.s_ptr[s + 1]):
            k = ka.s_courses[i]
            course_stamp[k] = s
            course_cfg[k] = -1
        for i in range(st_ptr[s], st_ptr[s + 1]):
            x = st_classes[i]
            class_stamp[x] = s
            class_count[x] += 1
            p = ka.class_subpart[x]
            f = ka.subpart_config[p]
            k = ka.config_course[f]
            if course_stamp[k] != s:
                if n < cap:
                    out[n, 0], out[n, 1], out[n, 2], out[n, 3] = NOT_REQUESTED, s, x, k
                n += 1
                units += 1
                continue
            if course_cfg[k] == -1:
                course_cfg[k] = f
            elif course_cfg[k] != f:
                course_cfg[k] = -2
            if sub_stamp[p] != s:
                sub_stamp[p] = s
                sub_count[p] = 0
            sub_count[p] += 1
        for i in range(ka.s_ptr[s], ka.s_ptr[s + 1]):
            k = ka.s_courses[i]
            f = course_cfg[k]
            if f < 0:
                if n < cap:
                    out[n, 0], out[n, 1], out[n, 2], out[n, 3] = MISSING_COURSE if f == -1 else MIXED_CONFIGS, s, k, -1
                n += 1
                units += 1
                continue
            for p in range(ka.config_subpart_ptr[f], ka.config_subpart_ptr[f + 1]):
                cnt = sub_count[p] if sub_stamp[p] == s else 0
                if cnt != 1:
                    if n < cap:
                        out[n, 0], out[n, 1], out[n, 2], out[n, 3] = (
                            MISSING_SUBPART if cnt == 0 else DOUBLE_SUBPART,
                            s,
                            p,
                            cnt,
                        )
                    n += 1
                    units += 1
        for i in range(st_ptr[s], st_ptr[s + 1]):
            x = st_classes[i]
            par = ka.class_parent[x]
            if par >= 0 and class_stamp[par] != s:
                if n < cap:
                    out[n, 0], out[n, 1], out[n, 2], out[n, 3] = MISSING_PARENT, s, x, par
                n += 1
                units += 1
    for c in range(C):
        if class_count[c] > ka.class_limit[c]:
            if n < cap:
                out[n, 0], out[n, 1], out[n, 2], out[n, 3] = OVER_LIMIT, -1, c, class_count[c]
            n += 1
            units += class_count[c] - ka.class_limit[c]
    return units, n


@njit(cache=True)
def _room_lists(ka, room):
    """Counting sort of the placed classes by room: ``(ptr [R+1], classes)``."""
    R = ka.n_rooms
    ptr = np.zeros(R + 1, np.int64)
    for c in range(ka.n_classes):
        if room[c] >= 0:
            ptr[room[c] + 1] += 1
    for r in range(R):
        ptr[r + 1] += ptr[r]
    fill = ptr[:-1].copy()
    members = np.empty(ptr[R], np.int32)
    for c in range(ka.n_classes):
        if room[c] >= 0:
            members[fill[room[c]]] = c
            fill[room[c]] += 1
    return ptr, members


@njit(cache=True)
def room_conflict_pairs(ka, time, ropt, out, cap):
    """Pairs of classes overlapping in one room (the first ``cap`` go to ``out``); returns the count."""
    room = np.full(ka.n_classes, -1, np.int32)
    for c in range(ka.n_classes):
        if time[c] >= 0 and ropt[c] >= 0:
            room[c] = ka.o_room[ka.room_ptr[c] + ropt[c]]
    ptr, members = _room_lists(ka, room)
    return _room_pairs(ka, time, ptr, members, out, cap)


@njit(cache=True, nogil=True, _nrt=False)
def _room_pairs(ka, time, ptr, members, out, cap):
    n = 0
    for r in range(ka.n_rooms):
        for i in range(ptr[r], ptr[r + 1]):
            a = members[i]
            ga = ka.time_ptr[a] + time[a]
            for j in range(i + 1, ptr[r + 1]):
                b = members[j]
                gb = ka.time_ptr[b] + time[b]
                if overlap(ka.t_start[ga], ka.t_end[ga], ka.t_days[ga], ka.t_weeks[ga],
                           ka.t_start[gb], ka.t_end[gb], ka.t_days[gb], ka.t_weeks[gb]):
                    if n < cap:
                        out[n, 0], out[n, 1] = a, b
                    n += 1
    return n


@njit(cache=True, nogil=True, _nrt=False)
def student_conflict_list(ka, time, ropt, st_ptr, st_classes, out, cap):
    """Student conflicts ``(student, class a, class b)``, once per student and pair (the first
    ``cap`` go to ``out``); returns the count."""
    n = 0
    for s in range(st_ptr.shape[0] - 1):
        for i in range(st_ptr[s], st_ptr[s + 1]):
            a = st_classes[i]
            pa, sa, ea, da, wa, ra = placement(ka, a, time[a], ropt[a])
            if not pa:
                continue
            for j in range(i + 1, st_ptr[s + 1]):
                b = st_classes[j]
                pb, sb, eb, db, wb, rb = placement(ka, b, time[b], ropt[b])
                if pb and student_conflict(ka, sa, ea, da, wa, ra, sb, eb, db, wb, rb):
                    if n < cap:
                        out[n, 0], out[n, 1], out[n, 2] = s, a, b
                    n += 1
    return n


@njit(cache=True)
def full_units(ka, time, ropt, st_ptr, st_classes, dist_units, units):
    """Evaluate an assignment from scratch: ``units[k]`` per component, ``dist_units[d]`` per
    distribution."""
    dummy = np.zeros((0, 4), np.int64)
    room_count = room_conflict_pairs(ka, time, ropt, dummy, 0)
    sec, _ = sectioning_check(ka, st_ptr, st_classes, dummy, 0)
    _full(ka, time, ropt, st_ptr, st_classes, dist_units, units, dummy,
          np.empty(ka.max_dist_len + 1, np.int32), np.empty(ka.max_dist_len + 1, np.int32),
          np.empty(ka.n_weeks * ka.n_days, np.int64))
    units[ROOM_CONFLICTS] = room_count
    units[SECTIONING] = sec


@njit(cache=True, nogil=True, _nrt=False)
def _full(ka, time, ropt, st_ptr, st_classes, dist_units, units, dummy, ss, se, load):
    for k in range(units.shape[0]):
        units[k] = 0
    for c in range(ka.n_classes):
        t, o = time[c], ropt[c]
        units[UNASSIGNED] += _unassigned(ka, c, t, o)
        if t < 0:
            continue
        units[TIME] += ka.t_penalty[ka.time_ptr[c] + t]
        if o >= 0:
            units[ROOM] += ka.o_penalty[ka.room_ptr[c] + o]
            _, s, e, d, w, r = placement(ka, c, t, o)
            if unavailable(ka, r, s, e, d, w):
                units[ROOM_UNAVAILABLE] += 1
    units[STUDENT] = student_conflict_list(ka, time, ropt, st_ptr, st_classes, dummy, 0)
    for d in range(ka.d_kind.shape[0]):
        u = distribution_units(ka, d, time, ropt, ss, se, load)
        dist_units[d] = u
        if ka.d_required[d]:
            units[DISTRIBUTION_HARD] += u
        else:
            units[DISTRIBUTION] += distribution_cost(ka, d, u)


@njit(cache=True, nogil=True, _nrt=False)
def weighted_total(ka, units):
    """The objective: the four penalty sums times their weights."""
    return (ka.weights[0] * units[TIME] + ka.weights[1] * units[ROOM]
            + ka.weights[2] * units[DISTRIBUTION] + ka.weights[3] * units[STUDENT])


# ============================================================================ incremental state

class ClassState(NamedTuple):
    """Mutable state of one assignment (arrays updated in place by :func:`apply_move`)."""

    time: np.ndarray        # int32 [C] time option within the class, -1 unassigned
    ropt: np.ndarray        # int32 [C] room option within the class, -1 none
    room: np.ndarray        # int32 [C] the room, -1 none / not placed
    rm_class: np.ndarray    # int32 classes in room r: rm_class[rm_ptr[r] : rm_ptr[r] + rm_count[r]]
    rm_count: np.ndarray    # int32 [R]
    rm_pos: np.ndarray      # int32 [C] position of the class in its room's list, -1
    dist_units: np.ndarray  # int64 [D]
    aux: np.ndarray         # int64 MaxDays day counts / MaxDayLoad (week, day) loads, by aux_ptr
    sp_ptr: np.ndarray      # int64 [C+1] student pair graph: neighbours of class c …
    sp_class: np.ndarray    # int32        … and how many students they share
    sp_weight: np.ndarray   # int64
    units: np.ndarray       # int64 [N_UNITS] current units of every component
    delta: np.ndarray       # int64 [N_UNITS + 2] the last delta (+ hard delta, weighted delta)
    ss: np.ndarray          # int32 scratch (block merging)
    se: np.ndarray          # int32 scratch


@njit(cache=True)
def student_pairs(n_classes, st_ptr, st_classes):
    """The student pair graph of a sectioning: CSR (both directions) of classes sharing students,
    weighted by how many (a student with k classes contributes to k(k-1)/2 pairs)."""
    m = 0
    for s in range(st_ptr.shape[0] - 1):
        k = st_ptr[s + 1] - st_ptr[s]
        m += k * (k - 1)
    keys = np.empty(m, np.int64)
    m = 0
    for s in range(st_ptr.shape[0] - 1):
        for i in range(st_ptr[s], st_ptr[s + 1]):
            for j in range(st_ptr[s], st_ptr[s + 1]):
                if i != j:
                    keys[m] = np.int64(st_classes[i]) * n_classes + st_classes[j]
                    m += 1
    keys.sort()
    n_unique = 0
    for i in range(m):
        if i == 0 or keys[i] != keys[i - 1]:
            n_unique += 1
    ptr = np.zeros(n_classes + 1, np.int64)
    cls = np.empty(n_unique, np.int32)
    weight = np.zeros(n_unique, np.int64)
    u = -1
    for i in range(m):
        if i == 0 or keys[i] != keys[i - 1]:
            u += 1
            a = keys[i] // n_classes
            cls[u] = keys[i] % n_classes
            ptr[a + 1] += 1
        weight[u] += 1
    for a in range(n_classes):
        ptr[a + 1] += ptr[a]
    return ptr, cls, weight


@njit(cache=True, nogil=True, _nrt=False)
def _aux_update(ka, st, d, c, t, sign):
    """Add (sign=+1) or remove (-1) class ``c`` at time option ``t`` to distribution ``d``'s counters."""
    if t < 0:
        return
    kind = ka.d_kind[d]
    g = ka.time_ptr[c] + t
    base = ka.aux_ptr[d]
    nd = ka.n_days
    if kind == MAX_DAYS_T:
        for day in range(nd):
            if (ka.t_days[g] >> day) & 1:
                st.aux[base + day] += sign
    elif kind == MAX_DAY_LOAD_T:
        length = ka.t_end[g] - ka.t_start[g]
        for w in range(ka.n_weeks):
            if (ka.t_weeks[g] >> w) & 1:
                for day in range(nd):
                    if (ka.t_days[g] >> day) & 1:
                        st.aux[base + w * nd + day] += sign * length


@njit(cache=True)
def _init_state(ka, st, st_ptr, st_classes):
    full_units(ka, st.time, st.ropt, st_ptr, st_classes, st.dist_units, st.units)
    st.rm_count[:] = 0
    st.rm_pos[:] = -1
    st.room[:] = -1
    st.aux[:] = 0
    for c in range(ka.n_classes):
        if st.time[c] >= 0 and st.ropt[c] >= 0:
            r = ka.o_room[ka.room_ptr[c] + st.ropt[c]]
            st.room[c] = r
            st.rm_pos[c] = st.rm_count[r]
            st.rm_class[ka.rm_ptr[r] + st.rm_count[r]] = c
            st.rm_count[r] += 1
    for d in range(ka.d_kind.shape[0]):
        if ka.aux_ptr[d + 1] > ka.aux_ptr[d]:
            for i in range(ka.d_ptr[d], ka.d_ptr[d + 1]):
                c = ka.d_classes[i]
                _aux_update(ka, st, d, c, st.time[c], 1)


def solution_arrays(solution: ClassSolution) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(time, ropt, student_ptr, student_classes)`` of a solution as the kernels take them
    (writable int32 copies: one compiled specialisation for every caller)."""
    return (np.array(solution.time, dtype=np.int32), np.array(solution.room, dtype=np.int32),
            np.array(solution.student_ptr, dtype=np.int32), np.array(solution.student_classes, dtype=np.int32))


def init_state(ka: ClassArrays, time: np.ndarray, ropt: np.ndarray, st_ptr: np.ndarray,
               st_classes: np.ndarray) -> ClassState:
    """A fresh :class:`ClassState` of an assignment and a sectioning (copies the inputs)."""
    st_ptr = np.array(st_ptr, dtype=np.int32)
    st_classes = np.array(st_classes, dtype=np.int32)
    sp_ptr, sp_class, sp_weight = student_pairs(ka.n_classes, st_ptr, st_classes)
    C, D = ka.n_classes, ka.d_kind.shape[0]
    st = ClassState(
        time=np.array(time, np.int32), ropt=np.array(ropt, np.int32), room=np.full(C, -1, np.int32),
        rm_class=np.full(max(int(ka.rm_ptr[-1]), 1), -1, np.int32), rm_count=np.zeros(max(ka.n_rooms, 1), np.int32),
        rm_pos=np.full(C, -1, np.int32), dist_units=np.zeros(D, np.int64),
        aux=np.zeros(max(int(ka.aux_ptr[-1]), 1), np.int64),
        sp_ptr=sp_ptr, sp_class=sp_class, sp_weight=sp_weight,
        units=np.zeros(N_UNITS, np.int64), delta=np.zeros(N_UNITS + 2, np.int64),
        ss=np.zeros(ka.max_dist_len + 1, np.int32), se=np.zeros(ka.max_dist_len + 1, np.int32),
    )
    _init_state(ka, st, st_ptr, st_classes)
    return st


@njit(cache=True, nogil=True, _nrt=False)
def _dist_delta(ka, st, d, pos, c, t0, o0, t1, o1):
    """Change of distribution ``d``'s units when class ``c`` (at ``pos`` in its list) moves from
    ``(t0, o0)`` to ``(t1, o1)``; reads the counters, changes nothing."""
    kind = ka.d_kind[d]
    lo, hi = ka.d_ptr[d], ka.d_ptr[d + 1]
    du = 0
    if kind <= LAST_PAIRWISE:
        for i in range(lo, hi):
            x = ka.d_classes[i]
            if x == c or st.time[x] < 0:
                continue
            tx, ox = st.time[x], st.ropt[x]
            if i - lo > pos:  # c comes first in this pair (matters for Precedence)
                du += _pair_violated(ka, d, kind, c, t1, o1, x, tx, ox) - _pair_violated(
                    ka, d, kind, c, t0, o0, x, tx, ox
                )
            else:
                du += _pair_violated(ka, d, kind, x, tx, ox, c, t1, o1) - _pair_violated(
                    ka, d, kind, x, tx, ox, c, t0, o0
                )
        return du
    nd = ka.n_days
    d0 = ka.t_days[ka.time_ptr[c] + t0] if t0 >= 0 else 0
    d1 = ka.t_days[ka.time_ptr[c] + t1] if t1 >= 0 else 0
    w0 = ka.t_weeks[ka.time_ptr[c] + t0] if t0 >= 0 else np.int64(0)
    w1 = ka.t_weeks[ka.time_ptr[c] + t1] if t1 >= 0 else np.int64(0)
    base = ka.aux_ptr[d]
    if kind == MAX_DAYS_T:
        before, after = 0, 0
        for day in range(nd):
            n = st.aux[base + day]
            if n > 0:
                before |= 1 << day
            n += ((d1 >> day) & 1) - ((d0 >> day) & 1)
            if n > 0:
                after |= 1 << day
        return max_days_units(after, ka.d_p1[d]) - max_days_units(before, ka.d_p1[d])
    if kind == MAX_DAY_LOAD_T:
        l0 = ka.t_end[ka.time_ptr[c] + t0] - ka.t_start[ka.time_ptr[c] + t0] if t0 >= 0 else 0
        l1 = ka.t_end[ka.time_ptr[c] + t1] - ka.t_start[ka.time_ptr[c] + t1] if t1 >= 0 else 0
        weeks, days = w0 | w1, d0 | d1
        for w in range(ka.n_weeks):
            if (weeks >> w) & 1:
                for day in range(nd):
                    if (days >> day) & 1:
                        old = st.aux[base + w * nd + day]
                        new = old
                        if (w0 >> w) & 1 and (d0 >> day) & 1:
                            new -= l0
                        if (w1 >> w) & 1 and (d1 >> day) & 1:
                            new += l1
                        du += day_load_units(new, ka.d_p1[d]) - day_load_units(old, ka.d_p1[d])
        return du
    # MaxBreaks / MaxBlock: re-merge the cells the class leaves or enters
    weeks, days = w0 | w1, d0 | d1
    for w in range(ka.n_weeks):
        if (weeks >> w) & 1:
            for day in range(nd):
                if (days >> day) & 1:
                    du += (cell_units(ka, d, st.time, st.ropt, c, t1, o1, w, day, st.ss, st.se)
                           - cell_units(ka, d, st.time, st.ropt, c, t0, o0, w, day, st.ss, st.se))
    return du


@njit(cache=True, nogil=True, _nrt=False)
def _room_overlaps(ka, st, r, c, s, e, d, w):
    """Classes other than ``c`` in room ``r`` whose placement overlaps ``(s, e, d, w)``."""
    n = 0
    base = ka.rm_ptr[r]
    for i in range(base, base + st.rm_count[r]):
        x = st.rm_class[i]
        if x == c:
            continue
        g = ka.time_ptr[x] + st.time[x]
        if overlap(s, e, d, w, ka.t_start[g], ka.t_end[g], ka.t_days[g], ka.t_weeks[g]):
            n += 1
    return n


@njit(cache=True, nogil=True, _nrt=False)
def _move(ka, st, c, t1, o1, apply):
    t0, o0 = st.time[c], st.ropt[c]
    du = st.delta
    for k in range(du.shape[0]):
        du[k] = 0
    if t0 == t1 and o0 == o1:
        return 0
    p0, s0, e0, d0, w0, r0 = placement(ka, c, t0, o0)
    p1, s1, e1, d1, w1, r1 = placement(ka, c, t1, o1)
    du[UNASSIGNED] = _unassigned(ka, c, t1, o1) - _unassigned(ka, c, t0, o0)
    if p0:
        du[TIME] -= ka.t_penalty[ka.time_ptr[c] + t0]
        if o0 >= 0:
            du[ROOM] -= ka.o_penalty[ka.room_ptr[c] + o0]
        if r0 >= 0:
            du[ROOM_CONFLICTS] -= _room_overlaps(ka, st, r0, c, s0, e0, d0, w0)
            du[ROOM_UNAVAILABLE] -= 1 if unavailable(ka, r0, s0, e0, d0, w0) else 0
    if p1:
        du[TIME] += ka.t_penalty[ka.time_ptr[c] + t1]
        if o1 >= 0:
            du[ROOM] += ka.o_penalty[ka.room_ptr[c] + o1]
        if r1 >= 0:
            du[ROOM_CONFLICTS] += _room_overlaps(ka, st, r1, c, s1, e1, d1, w1)
            du[ROOM_UNAVAILABLE] += 1 if unavailable(ka, r1, s1, e1, d1, w1) else 0
    # students: every neighbour in the pair graph, weighted by the students shared
    for i in range(st.sp_ptr[c], st.sp_ptr[c + 1]):
        x = st.sp_class[i]
        px, sx, ex, dx, wx, rx = placement(ka, x, st.time[x], st.ropt[x])
        if not px:
            continue
        k = 0
        if p1 and student_conflict(ka, s1, e1, d1, w1, r1, sx, ex, dx, wx, rx):
            k += 1
        if p0 and student_conflict(ka, s0, e0, d0, w0, r0, sx, ex, dx, wx, rx):
            k -= 1
        du[STUDENT] += k * st.sp_weight[i]
    # distributions
    for i in range(ka.cd_ptr[c], ka.cd_ptr[c + 1]):
        d = ka.cd_dist[i]
        u = _dist_delta(ka, st, d, ka.cd_pos[i], c, t0, o0, t1, o1)
        if u != 0:
            if ka.d_required[d]:
                du[DISTRIBUTION_HARD] += u
            else:
                old = st.dist_units[d]
                du[DISTRIBUTION] += distribution_cost(ka, d, old + u) - distribution_cost(ka, d, old)
        if apply:
            st.dist_units[d] += u
            if ka.aux_ptr[d + 1] > ka.aux_ptr[d]:
                _aux_update(ka, st, d, c, t0, -1)
                _aux_update(ka, st, d, c, t1, 1)
    hard = 0
    for k in range(N_HARD):
        hard += du[k]
    du[HARD_DELTA] = hard
    du[TOTAL_DELTA] = weighted_total(ka, du)
    if apply:
        if r0 >= 0:  # take c out of its room's list (the last one fills its place)
            base = ka.rm_ptr[r0]
            last = st.rm_class[base + st.rm_count[r0] - 1]
            st.rm_class[base + st.rm_pos[c]] = last
            st.rm_pos[last] = st.rm_pos[c]
            st.rm_count[r0] -= 1
            st.rm_pos[c] = -1
        if r1 >= 0 and p1:
            st.rm_class[ka.rm_ptr[r1] + st.rm_count[r1]] = c
            st.rm_pos[c] = st.rm_count[r1]
            st.rm_count[r1] += 1
        st.time[c] = t1
        st.ropt[c] = o1
        st.room[c] = r1 if p1 else -1
        for k in range(N_UNITS):
            st.units[k] += du[k]
    return du[TOTAL_DELTA]


@njit(cache=True, nogil=True, _nrt=False)
def move_delta(ka, st, c, t, o):
    """Change of every component if class ``c`` took time option ``t`` and room option ``o``
    (indices within the class; ``t = -1`` unassigns it). Leaves ``st.delta`` = the per-component
    changes + ``[HARD_DELTA]`` + ``[TOTAL_DELTA]`` (weighted) and returns the weighted change;
    the state is not changed."""
    return _move(ka, st, c, t, o, False)


@njit(cache=True, nogil=True, _nrt=False)
def apply_move(ka, st, c, t, o):
    """Move class ``c`` to ``(t, o)``: updates every counter and ``st.units``; returns the weighted
    change (``st.delta`` as for :func:`move_delta`). Moving back undoes it exactly."""
    return _move(ka, st, c, t, o, True)


class IncrementalEvaluator:
    """Python front of the incremental state, for tests, notebooks and the first solvers.

    A numba search loop should take ``self.ka`` and ``self.state`` and call :func:`move_delta` /
    :func:`apply_move` itself (one Python call costs more than the delta).
    """

    def __init__(self, problem: ClassProblem, solution: ClassSolution, *, maxblock: str = "competition"):
        solution.check(problem)
        self.problem = problem
        self.ka = class_arrays(problem, maxblock)
        self.state = init_state(self.ka, solution.time, solution.room, solution.student_ptr,
                                solution.student_classes)
        self._students = (solution.student_ptr, solution.student_classes, solution.meta)

    def delta(self, c: int, t: int, o: int) -> np.ndarray:
        """Per-component change of moving class ``c`` to ``(t, o)`` (a copy of ``state.delta``)."""
        move_delta(self.ka, self.state, c, t, o)
        return self.state.delta.copy()

    def apply(self, c: int, t: int, o: int) -> int:
        """Apply the move; returns the change of the weighted total."""
        return int(apply_move(self.ka, self.state, c, t, o))

    @property
    def units(self) -> np.ndarray:
        return self.state.units.copy()

    @property
    def hard(self) -> int:
        return int(self.state.units[:N_HARD].sum())

    @property
    def total(self) -> int:
        return int(weighted_total(self.ka, self.state.units))

    def solution(self) -> ClassSolution:
        """The current assignment (with the students it started from)."""
        ptr, classes, meta = self._students
        return ClassSolution(time=self.state.time.copy(), room=self.state.ropt.copy(), student_ptr=ptr,
                             student_classes=classes, meta=meta)
