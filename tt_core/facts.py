"""Facts about a problem derived once by counting: where each course may start a lecture, which
rooms it may use, the room families whose capacity bounds a period, and the pins.

The pre-solve checks (:mod:`tt_core.checks`), the CP-SAT models and their diagnosis all read
them. They live in the core rather than under ``solvers/cpsat`` so that ``tt check`` and the apps'
checks load neither OR-tools nor the solver models (importing those takes seconds).

A *room family* is a set of rooms ``U`` such that "at most ``|U|`` lectures of the courses whose
suitable rooms all lie in ``U`` run in one period" is one of Hall's matching conditions. Only
unions of overlapping suitable-room sets need checking: a Hall violator whose neighbourhood splits
into disjoint parts has a violating part (Hall 1935; the same argument Lach & Lübbecke 2012 use for
the room-capacity classes of their two-stage CB-CTT model). On ITC instances every room suits every
course and the single family is "all rooms".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .errors import TimetableError
from .model import Problem, Timetable

#: more families than this and the aggregated room model stops enumerating (see ``room_families``)
MAX_FAMILIES = 512


@dataclass(frozen=True)
class PinnedSlot:
    """One pinned lecture: its id, course, start period and room (taken from ``initial``)."""

    lecture: int
    course: int
    period: int
    room: int


def pinned_slots(problem: Problem, pinned, initial: Timetable | None) -> list[PinnedSlot]:
    """The pinned lectures as ``PinnedSlot`` s; raises ``TimetableError`` on unusable input.

    A pin without a placement (or with an id outside the grid) is a caller's mistake, not an
    infeasibility, so it is reported as such rather than diagnosed.
    """
    if pinned is None:
        return []
    mask = np.asarray(pinned, dtype=np.bool_)
    if mask.shape != (problem.n_lectures,):
        raise TimetableError(f"pinned must be a bool array over the {problem.n_lectures} lectures, "
                             f"got shape {mask.shape}")
    if not mask.any():
        return []
    if initial is None:
        raise TimetableError("pinned lectures need an initial timetable that gives their period and room")
    initial.check_shape(problem)
    out = []
    lc = problem.lecture_course
    for l in np.flatnonzero(mask):
        p, r = int(initial.period[l]), int(initial.room[l])
        c = int(lc[l])
        number = l - int(problem.course_lecture_ptr[c]) + 1
        if not (0 <= p < problem.n_periods and 0 <= r < problem.n_rooms):
            raise TimetableError(f"lecture {number} of course {problem.course_names[c]} is pinned but the "
                                 "initial timetable does not place it (period and room are needed)")
        out.append(PinnedSlot(int(l), c, p, r))
    return out


class Instance:
    """Derived, read-only facts about ``problem`` shared by the solve and diagnosis models."""

    def __init__(self, problem: Problem, pins: list[PinnedSlot] = ()):
        self.problem = problem
        self.pins = list(pins)
        pb = problem
        self.C, self.P, self.R = pb.n_courses, pb.n_periods, pb.n_rooms
        self.ppd = pb.periods_per_day
        self.length = pb.course_length.astype(np.int64)
        slot = np.arange(self.P) % self.ppd
        # fits[c, p]: a lecture of c started at p ends inside the same day
        self.fits = slot[None, :] + self.length[:, None] <= self.ppd
        # blocked[c, p]: some period the lecture would occupy is unavailable to c
        blocked = np.zeros((self.C, self.P), np.bool_)
        for c in range(self.C):
            L = int(self.length[c])
            for k in range(L):
                blocked[c, :self.P - k] |= pb.unavailable[c, k:]
        self.blocked = blocked & self.fits
        self.has_room = pb.suitable.any(axis=1)
        #: allowed[c, p]: c may start a lecture at p (fits the day, available, some suitable room)
        self.allowed = self.fits & ~blocked & self.has_room[:, None]

    # ------------------------------------------------------------------ per course
    def covering(self, c: int, q: int) -> range:
        """Start periods whose lecture of course ``c`` would occupy period ``q``."""
        L = int(self.length[c])
        first = max(q - L + 1, q - q % self.ppd)
        return range(first, q + 1)

    @cached_property
    def course_rooms(self) -> list[np.ndarray]:
        """Suitable rooms of each course (int arrays)."""
        return [np.flatnonzero(self.problem.suitable[c]) for c in range(self.C)]

    @cached_property
    def cliques(self) -> list[tuple[np.ndarray, int]]:
        """Distinct course sets that may not overlap (curricula and teachers), with multiplicity.

        Identical sets (a curriculum equal to a teacher's courses, duplicated curricula) give one
        constraint; singletons need none.
        """
        pb = self.problem
        seen: dict[tuple[int, ...], int] = {}
        for g in range(pb.n_curricula):
            members = pb.curriculum_courses[pb.curriculum_ptr[g]:pb.curriculum_ptr[g + 1]]
            key = tuple(sorted(int(c) for c in members))
            seen[key] = seen.get(key, 0) + 1
        for t in range(pb.n_teachers):
            key = tuple(int(c) for c in np.flatnonzero(pb.course_teacher == t))
            seen[key] = seen.get(key, 0) + 1
        return [(np.array(k, np.int64), n) for k, n in seen.items() if len(k) > 1]

    # ------------------------------------------------------------------ rooms
    @cached_property
    def families(self) -> list[frozenset[int]]:
        """Room families (see the module docstring), smallest first; pinned rooms are singletons.

        Enumeration stops at ``MAX_FAMILIES``: the aggregated model then keeps a necessary subset
        (every single suitable set and the union of all) and the room-assignment stage may leave
        a lecture unplaced, which the evaluator reports.
        """
        base = {frozenset(rs.tolist()) for c, rs in enumerate(self.course_rooms)
                if len(rs) and self.problem.course_lectures[c] > 0}
        base |= {frozenset([s.room]) for s in self.pins}
        base_list = list(base)
        seen = set(base_list)
        frontier = list(base_list)
        complete = True
        while frontier and complete:
            nxt = []
            for U in frontier:
                for B in base_list:
                    if B & U and not B <= U:
                        V = U | B
                        if V not in seen:
                            seen.add(V)
                            nxt.append(V)
                            if len(seen) >= MAX_FAMILIES:
                                complete = False
                                break
                if not complete:
                    break
            frontier = nxt
        if not complete:
            seen = set(base_list)
            seen.add(frozenset(range(self.R)))
        self._families_complete = complete
        return sorted(seen, key=lambda U: (len(U), sorted(U)))

    @property
    def families_complete(self) -> bool:
        """False when enumeration stopped early and the families are only a necessary subset."""
        self.families  # noqa: B018 - computing the families sets the flag
        return self._families_complete

    @cached_property
    def family_courses(self) -> list[np.ndarray]:
        """For each family, the courses whose suitable rooms all lie in it."""
        suit = self.problem.suitable
        out = []
        for U in self.families:
            outside = np.ones(self.R, np.bool_)
            outside[list(U)] = False
            inside = ~(suit[:, outside].any(axis=1)) & self.has_room
            out.append(np.flatnonzero(inside))
        return out

    def describe_rooms(self, U: frozenset[int]) -> str:
        """Planner words for a room set: a room, a room type, all rooms, or a list of names."""
        pb = self.problem
        names = [pb.room_names[r] for r in sorted(U)]
        if len(U) == 1:
            return f"room {names[0]}"
        if len(U) == self.R:
            return f"the {self.R} rooms"
        for k, t in enumerate(pb.room_types):
            if set(np.flatnonzero(pb.room_type == k).tolist()) == set(U):
                return f"room type '{t}' ({len(U)} rooms)"
        shown = ", ".join(names[:6]) + (", …" if len(names) > 6 else "")
        return f"rooms {shown} ({len(U)} rooms)"


def lecture_label(problem: Problem, lecture: int) -> str:
    """'lecture 2 of course c0001' (numbers from 1, as a planner counts)."""
    c = int(problem.lecture_course[lecture])
    return f"lecture {lecture - int(problem.course_lecture_ptr[c]) + 1} of course {problem.course_names[c]}"


def periods_text(problem: Problem, mask: np.ndarray, limit: int = 8) -> str:
    """Periods of a bool mask in words; whole days are named once ("day 2" / "Mon")."""
    ppd = problem.periods_per_day
    parts: list[str] = []
    for d in range(problem.days):
        day = mask[d * ppd:(d + 1) * ppd]
        if not day.any():
            continue
        labels = problem.period_labels[d * ppd:(d + 1) * ppd]
        if day.all() and ppd > 1:
            parts.append(_day_name(labels, d))
        else:
            parts.extend(labels[s] for s in np.flatnonzero(day))
    if len(parts) > limit:
        return ", ".join(parts[:limit]) + f", … ({len(parts) - limit} more)"
    return ", ".join(parts)


def _day_name(labels, d: int) -> str:
    """The words a day's period labels share ("Mon 08:00", "Mon 09:00" -> "all of Mon")."""
    words = labels[0].split()
    for s in labels[1:]:
        other = s.split()
        n = 0
        while n < min(len(words), len(other)) and words[n] == other[n]:
            n += 1
        words = words[:n]
    while words and words[-1].lower() in ("period", "slot", "p"):
        words.pop()
    name = " ".join(words).strip(" :-,")
    return f"all of {name}" if name else f"all of day {d}"
