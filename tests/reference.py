"""A plain-Python reference evaluator: the oracle the numba kernels are tested against.

It is written from the cost rules alone (the ITC2007 validator's semantics, ``validator.cc`` by
Di Gaspero & Schaerf, plus this project's extension terms), with dicts, sets and lists, and never
imports ``tt_core.cost`` or the kernels, nor uses the problem's derived arrays (``conflict``,
``unavailable``, ``lecture_course`` …): it rebuilds each from the raw fields, so a mistake there
shows up as a disagreement too. Clarity comes first; speed does not matter here.

Rules, as the validator applies them:

* Lectures are read in lecture-id order (a course's lectures are consecutive ids). A lecture whose
  periods overlap a period already used by a *taught* lecture of its course is not taught: it
  counts one ``Lectures`` unit and nothing else (no room, no capacity, no stability …).
* A lecture of length ``L`` starting at ``p`` occupies ``p .. min(p + L, end of its day) - 1``;
  each period cut off at the day's end is one ``Availability`` unit.
* ``StudentClashes`` (enrolments) is counted per *student*: in every period, a student with ``k``
  of their courses taught then has ``k(k-1)/2`` clashing pairs — the kernels count the same thing
  per *course pair* (weighted by the students the two share), so this is an independent check.

The extended benchmark's terms as its validator for UD1-UD5 counts them (``validator.cc`` of the
``.ectt`` data), on the same "taught" reading, written from each rule's wording:

* ``CurriculumWindows``: per curriculum and day, the periods without a lecture of it between its
  first and last lecture of that day.
* ``DoubleLectures``: per double-lecture course and day with at least two lecture periods, each
  period whose lecture has no lecture of the course in the same room right before or after it.
* ``TravelDistance``: per curriculum and period ``q`` not last in its day, every pair (a lecture of
  the curriculum at ``q``, one at ``q + 1``) in rooms whose sites differ.
* ``UnsuitableRooms``: per taught lecture in a room listed as unsuitable for its course.
* ``CurriculumDailyLoad``: per curriculum and day with lectures, the lectures short of the minimum
  or, when not short, beyond the maximum (0 = none).
"""

from __future__ import annotations

from tt_core.constraints import (
    AVAILABILITY,
    COMPACTNESS,
    CONFLICTS,
    CURRICULUM_LOAD,
    DOUBLE_LECTURES,
    LECTURES,
    MIN_WORKING_DAYS,
    N_CONSTRAINTS,
    N_HARD,
    ROOM_CAPACITY,
    ROOM_OCCUPATION,
    ROOM_STABILITY,
    ROOM_SUITABILITY,
    STUDENT_CLASHES,
    TEACHER_LOAD,
    TEACHER_PREFERENCE,
    TIME_OF_DAY,
    TRAVEL,
    UNSUITABLE_ROOMS,
    WINDOWS,
)


def taught_lectures(problem, timetable) -> list[dict]:
    """The lectures the validator counts as taught, in id order, each as a dict.

    Keys: ``lecture``, ``course``, ``room``, ``start``, ``day``, ``periods`` (the occupied periods,
    a list) and ``spill`` (periods cut off at the end of the day).
    """
    ppd = problem.periods_per_day
    n_lectures = [int(x) for x in problem.course_lectures]
    length = [int(x) for x in problem.course_length]
    period = [int(x) for x in timetable.period]
    room = [int(x) for x in timetable.room]
    course_of: list[int] = []
    for c, n in enumerate(n_lectures):
        course_of.extend([c] * n)
    assert len(course_of) == len(period), "timetable size does not match the problem"

    used: dict[int, set[int]] = {c: set() for c in range(len(n_lectures))}
    out: list[dict] = []
    for l, (p, r) in enumerate(zip(period, room)):
        if p < 0 or r < 0:
            continue  # unplaced
        c = course_of[l]
        day = p // ppd
        periods = [q for q in range(p, p + length[c]) if q // ppd == day]
        if any(q in used[c] for q in periods):
            continue  # a repeated course/period entry: the validator skips it
        used[c].update(periods)
        out.append({"lecture": l, "course": c, "room": r, "start": p, "day": day, "periods": periods,
                    "spill": length[c] - len(periods)})
    return out


def conflicting_pairs(problem) -> set[tuple[int, int]]:
    """Pairs ``(a, b)``, ``a < b``, of courses sharing a curriculum or a teacher."""
    teacher = [int(t) for t in problem.course_teacher]
    pairs: set[tuple[int, int]] = set()
    for a in range(len(teacher)):
        for b in range(a + 1, len(teacher)):
            if teacher[a] == teacher[b]:
                pairs.add((a, b))
    for members in curricula_members(problem):
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                pairs.add((min(a, b), max(a, b)))
    return pairs


def curricula_members(problem) -> list[list[int]]:
    """The member courses of every curriculum (from the CSR arrays)."""
    ptr = [int(x) for x in problem.curriculum_ptr]
    courses = [int(x) for x in problem.curriculum_courses]
    return [courses[ptr[g]:ptr[g + 1]] for g in range(len(ptr) - 1)]


def student_enrolments(problem) -> list[list[int]]:
    """The courses of every student (from the CSR arrays; none without enrolments)."""
    if problem.student_ptr is None:
        return []
    ptr = [int(x) for x in problem.student_ptr]
    courses = [int(x) for x in problem.student_courses]
    return [courses[ptr[s]:ptr[s + 1]] for s in range(len(ptr) - 1)]


def reference_units(problem, timetable) -> list[int]:
    """Units of every constraint (a list indexed by ``tt_core.constraints``) for one timetable."""
    units = [0] * N_CONSTRAINTS
    ppd = problem.periods_per_day
    n_courses = len(problem.course_names)
    n_lectures = [int(x) for x in problem.course_lectures]
    teacher = [int(t) for t in problem.course_teacher]
    taught = taught_lectures(problem, timetable)

    # --- Lectures: every lecture of a course that is not taught
    n_taught = {c: 0 for c in range(n_courses)}
    for t in taught:
        n_taught[t["course"]] += 1
    for c in range(n_courses):
        units[LECTURES] += n_lectures[c] - n_taught[c]

    # --- which courses are taught in each period
    courses_at: dict[int, list[int]] = {}
    for t in taught:
        for q in t["periods"]:
            courses_at.setdefault(q, []).append(t["course"])

    # --- Conflicts: per conflicting pair, per period where both are taught
    pairs = conflicting_pairs(problem)
    for here in courses_at.values():
        for i, a in enumerate(here):
            for b in here[i + 1:]:
                if (min(a, b), max(a, b)) in pairs:
                    units[CONFLICTS] += 1

    # --- StudentClashes: per student and period, the pairs of their own courses taught then
    for courses in student_enrolments(problem):
        mine = set(courses)
        for here in courses_at.values():
            k = sum(1 for c in here if c in mine)
            units[STUDENT_CLASHES] += k * (k - 1) // 2

    # --- Availability: unavailable occupied periods (course or teacher) plus spilled periods
    for t in taught:
        c = t["course"]
        units[AVAILABILITY] += t["spill"]
        for q in t["periods"]:
            if problem.course_unavailable[c, q] or problem.teacher_unavailable[teacher[c], q]:
                units[AVAILABILITY] += 1

    # --- RoomOccupation: per room and period, each lecture beyond the first
    in_room: dict[tuple[int, int], int] = {}
    for t in taught:
        for q in t["periods"]:
            in_room[(t["room"], q)] = in_room.get((t["room"], q), 0) + 1
    for n in in_room.values():
        if n > 1:
            units[ROOM_OCCUPATION] += n - 1

    # --- RoomSuitability and RoomCapacity: per taught lecture
    for t in taught:
        c, r = t["course"], t["room"]
        if not problem.suitable[c, r]:
            units[ROOM_SUITABILITY] += 1
        over = int(problem.course_students[c]) - int(problem.room_capacity[r])
        if over > 0:
            units[ROOM_CAPACITY] += over

    # --- MinWorkingDays and RoomStability: per course
    days: dict[int, set[int]] = {c: set() for c in range(n_courses)}
    rooms: dict[int, set[int]] = {c: set() for c in range(n_courses)}
    for t in taught:
        days[t["course"]].add(t["day"])
        rooms[t["course"]].add(t["room"])
    for c in range(n_courses):
        short = int(problem.course_min_days[c]) - len(days[c])
        if short > 0:
            units[MIN_WORKING_DAYS] += short
        if len(rooms[c]) > 1:
            units[ROOM_STABILITY] += len(rooms[c]) - 1

    # --- CurriculumCompactness: k lectures at a period with no curriculum lecture next to it that day
    members = curricula_members(problem)
    for courses in members:
        member = set(courses)
        count: dict[int, int] = {}
        for q, here in courses_at.items():
            k = sum(1 for c in here if c in member)
            if k:
                count[q] = k
        for q, k in count.items():
            slot = q % ppd
            before = slot > 0 and count.get(q - 1, 0) > 0
            after = slot < ppd - 1 and count.get(q + 1, 0) > 0
            if not before and not after:
                units[COMPACTNESS] += k

    # --- TeacherPreference and TimeOfDay: per occupied period of a taught lecture
    for t in taught:
        c = t["course"]
        for q in t["periods"]:
            if problem.teacher_undesired[teacher[c], q]:
                units[TEACHER_PREFERENCE] += 1
            units[TIME_OF_DAY] += int(problem.period_penalty[q])

    # --- CurriculumDailyLoad: taught lectures (by start day), on days with some, outside [min, max]
    for g, courses in enumerate(members):
        low, limit = int(problem.curriculum_min_per_day[g]), int(problem.curriculum_max_per_day[g])
        per_day: dict[int, int] = {}
        for t in taught:
            if t["course"] in courses:
                per_day[t["day"]] = per_day.get(t["day"], 0) + 1
        for n in per_day.values():
            if n < low:
                units[CURRICULUM_LOAD] += low - n
            elif limit > 0:
                units[CURRICULUM_LOAD] += max(0, n - limit)
    # --- TeacherDailyLoad: taught lectures (by start day) above a maximum
    for tch in range(len(problem.teacher_names)):
        limit = int(problem.teacher_max_per_day[tch])
        if limit <= 0:
            continue
        per_day = {}
        for t in taught:
            if teacher[t["course"]] == tch:
                per_day[t["day"]] = per_day.get(t["day"], 0) + 1
        for n in per_day.values():
            units[TEACHER_LOAD] += max(0, n - limit)
    _ectt_units(problem, taught, members, units)
    return units


def _ectt_units(problem, taught: list[dict], members: list[list[int]], units: list[int]) -> None:
    """The extended benchmark's terms (see the module docstring), added to ``units``."""
    ppd, days = problem.periods_per_day, problem.days
    room_at: dict[tuple[int, int], int] = {}  # (course, period) -> room of the taught lecture there
    for t in taught:
        for q in t["periods"]:
            room_at[(t["course"], q)] = t["room"]
        if problem.room_unsuitable[t["course"], t["room"]]:
            units[UNSUITABLE_ROOMS] += 1
    site = [int(b) for b in problem.room_building] if problem.count_travel else [0] * len(problem.room_names)
    for courses in members:
        for d in range(days):
            busy = [s for s in range(ppd) if any((c, d * ppd + s) in room_at for c in courses)]
            if busy and problem.count_windows:
                units[WINDOWS] += sum(1 for s in range(busy[0], busy[-1] + 1) if s not in busy)
            for s in range(ppd - 1):
                q = d * ppd + s
                now = [room_at[(c, q)] for c in courses if (c, q) in room_at]
                nxt = [room_at[(c, q + 1)] for c in courses if (c, q + 1) in room_at]
                units[TRAVEL] += sum(1 for a in now for b in nxt if site[a] != site[b])
    for c in range(len(problem.course_names)):
        if not problem.course_double[c]:
            continue
        for d in range(days):
            rooms = {s: room_at[(c, d * ppd + s)] for s in range(ppd) if (c, d * ppd + s) in room_at}
            if len(rooms) < 2:
                continue
            for s, r in rooms.items():
                if rooms.get(s - 1) != r and rooms.get(s + 1) != r:
                    units[DOUBLE_LECTURES] += 1


def reference_cost(units: list[int], weights) -> tuple[int, float]:
    """``(hard violations, weighted soft cost)`` of a units list (hard terms are the first N_HARD)."""
    hard = sum(units[:N_HARD])
    soft = sum(u * float(w) for u, w in zip(units[N_HARD:], list(weights)[N_HARD:]))
    return hard, soft
