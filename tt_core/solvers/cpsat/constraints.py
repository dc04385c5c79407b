"""Hard constraints of the CP-SAT timetabling model, one method per constraint family.

Availability, day ends and room suitability need no constraint: ``Variables`` only creates
allowed combinations. Pinned placements must have been checked by ``precheck`` (an unallowed pin
is an infeasibility reported in words, not a missing variable).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np
from ortools.sat.python import cp_model

from .instance import Instance
from .variables import Variables


class Constraints:
    """Adds every hard constraint family of the model for ``vars``."""

    def __init__(self, model: cp_model.CpModel, vars: Variables, inst: Instance):
        self.model = model
        self.vars = vars
        self.inst = inst
        self.count = 0
        self.check: Callable[[], None] = lambda: None

    def add_all(self, check: Callable[[], None] = lambda: None) -> None:
        """Add every family; ``check`` runs between families and in each family's outer loop (it
        raises to abandon the build)."""
        self.check = check
        families = [self._lectures, self._course_overlap, self._conflicts, self._student_clashes, self._pinned]
        if self.vars.rooms_exact:
            families += [self._room_link, self._room_occupation, self._period_rooms]
        else:
            families += [self._room_families]
        for add in families:
            check()
            add()

    def _add(self, constraint) -> None:
        self.count += 1
        return constraint

    # ------------------------------------------------------------------ families
    def _lectures(self) -> None:
        """Every course gets exactly its number of lectures."""
        pb = self.inst.problem
        for c, yc in enumerate(self.vars.y):
            n = int(pb.course_lectures[c])
            if n:
                self._add(self.model.add(sum(yc.values()) == n))

    def _course_overlap(self) -> None:
        """Lectures of one multi-period course never overlap (single-period ones cannot)."""
        inst = self.inst
        for c in range(inst.C):
            if inst.length[c] == 1 or not self.vars.y[c]:
                continue
            self.check()
            for q in range(inst.P):
                occ = self.vars.occupancy(c, q)
                if len(occ) > 1:
                    self._add(self.model.add_at_most_one(occ))

    def _conflicts(self) -> None:
        """Courses of one curriculum or one teacher never share a period."""
        inst = self.inst
        for courses, _ in inst.cliques:
            self.check()
            for q in range(inst.P):
                occ = [v for c in courses for v in self.vars.occupancy(int(c), q)]
                if len(occ) > 1:
                    self._add(self.model.add_at_most_one(occ))

    def _student_clashes(self) -> None:
        """A student's courses never share a period: one clique per distinct course set of a student
        (sets equal to a curriculum's or a teacher's are already there). Every clash is enforced;
        the weighted fallback when none is possible is the local search's (``StudentClashes``)."""
        pb = self.inst.problem
        if pb.n_enrolments == 0:
            return
        done = {tuple(int(c) for c in courses) for courses, _ in self.inst.cliques}
        for s in range(pb.n_students):
            key = tuple(int(c) for c in pb.student_course_ids(s))  # ascending
            if len(key) < 2 or key in done:
                continue
            self.check()
            done.add(key)
            for q in range(self.inst.P):
                occ = [v for c in key for v in self.vars.occupancy(c, q)]
                if len(occ) > 1:
                    self._add(self.model.add_at_most_one(occ))

    def _pinned(self) -> None:
        """Pinned lectures keep their period (and, with exact rooms, their room)."""
        for s in self.inst.pins:
            if self.vars.rooms_exact:
                self._add(self.model.add(self.vars.x[s.course, s.period, s.room] == 1))
            else:
                self._add(self.model.add(self.vars.y[s.course][s.period] == 1))

    def _room_link(self) -> None:
        """A started lecture is held in exactly one of its course's suitable rooms."""
        by_start: dict[tuple[int, int], list] = defaultdict(list)
        for (c, p, _), v in self.vars.x.items():
            by_start[c, p].append(v)
        for c, yc in enumerate(self.vars.y):
            self.check()
            for p, y in yc.items():
                self._add(self.model.add(sum(by_start[c, p]) == y))

    def _room_occupation(self) -> None:
        """A room holds at most one lecture per period (multi-period lectures occupy several)."""
        inst = self.inst
        by_room: dict[tuple[int, int], list] = defaultdict(list)
        for (c, p, r), v in self.vars.x.items():
            for q in range(p, p + int(inst.length[c])):
                by_room[r, q].append(v)
        for vs in by_room.values():
            if len(vs) > 1:
                self._add(self.model.add_at_most_one(vs))

    def _period_rooms(self) -> None:
        """Redundant with the room occupation: no more lectures in a period than rooms (helps the LP)."""
        inst = self.inst
        for q in range(inst.P):
            self.check()
            occ = [v for c in range(inst.C) for v in self.vars.occupancy(c, q)]
            if len(occ) > inst.R:
                self._add(self.model.add(sum(occ) <= inst.R))

    def _room_families(self) -> None:
        """Per period, each room family holds at most as many lectures as it has rooms (Hall)."""
        pinned_at = self._pinned_at()
        for U, courses in zip(self.inst.families, self.inst.family_courses):
            self.check()
            self._family(U, courses, pinned_at)

    def add_room_family(self, rooms) -> None:
        """Hall's condition for one more room set ``rooms`` (a cut found after a solve whose
        lectures could not all get rooms: ``rooms.hall_violations``)."""
        inst = self.inst
        outside = np.ones(inst.R, np.bool_)
        outside[list(rooms)] = False
        courses = np.flatnonzero(~inst.problem.suitable[:, outside].any(axis=1) & inst.has_room)
        self._family(frozenset(rooms), courses, self._pinned_at())

    def _pinned_at(self) -> dict[int, list]:
        """Period -> the pins occupying it."""
        pinned_at: dict[int, list] = defaultdict(list)
        for s in self.inst.pins:
            for q in range(s.period, s.period + int(self.inst.length[s.course])):
                pinned_at[q].append(s)
        return pinned_at

    def _family(self, U, courses, pinned_at) -> None:
        inst = self.inst
        for q in range(inst.P):
            pins = pinned_at.get(q, [])
            # a pinned course's occupancy is already counted by its pin (room known)
            pinned_courses = {s.course for s in pins}
            free = len(U) - sum(1 for s in pins if s.room in U)
            occ = [v for c in courses if int(c) not in pinned_courses
                   for v in self.vars.occupancy(int(c), q)]
            if len(occ) > free:
                self._add(self.model.add(sum(occ) <= free))
