"""Decision variables of the CP-SAT timetabling model.

Two layers, created only for allowed combinations so that availability, day ends and room
suitability never need a constraint:

* ``y[c][p]`` — course ``c`` starts a lecture at period ``p`` (``p`` allowed for ``c``);
* ``x[c, p, r]`` — that lecture is held in room ``r`` (exact room model only).

With the aggregated room model there is no ``x``: rooms are counted per period by
``Constraints`` and assigned afterwards by ``rooms.assign_rooms``.

``check`` is called once per course while the variables are made (it raises to abandon the
build: a user's stop or the time limit); on a long week they alone take seconds.
"""

from __future__ import annotations

from collections.abc import Callable

from ortools.sat.python import cp_model

from .instance import Instance


class Variables:
    """The ``y`` (and, for the exact room model, ``x``) Boolean variables of one model."""

    def __init__(self, model: cp_model.CpModel, inst: Instance, *, rooms_exact: bool,
                 check: Callable[[], None] = lambda: None):
        self.model = model
        self.inst = inst
        self.rooms_exact = rooms_exact
        self.check = check
        self.y: list[dict[int, cp_model.IntVar]] = self._start_vars()
        self.x: dict[tuple[int, int, int], cp_model.IntVar] = self._room_vars() if rooms_exact else {}
        # occupancy lists are read by most constraint families and criteria: build them once
        self._occ = [self._course_occupancy(c) for c in range(inst.C)]

    def _start_vars(self) -> list[dict[int, cp_model.IntVar]]:
        """One Boolean per course and allowed start period."""
        m, inst = self.model, self.inst
        out = []
        for c in range(inst.C):
            self.check()
            if inst.problem.course_lectures[c] == 0:
                out.append({})
                continue
            out.append({int(p): m.new_bool_var(f"y{c}_{p}") for p in inst.allowed[c].nonzero()[0]})
        return out

    def _room_vars(self) -> dict[tuple[int, int, int], cp_model.IntVar]:
        """One Boolean per course, allowed start period and suitable room (names left empty: the
        largest family of variables, and names cost memory on big instances)."""
        m, inst = self.model, self.inst
        out = {}
        for c in range(inst.C):
            self.check()
            out.update({(c, p, int(r)): m.new_bool_var("") for p in self.y[c] for r in inst.course_rooms[c]})
        return out

    # ------------------------------------------------------------------ views
    def occupancy(self, c: int, q: int) -> list[cp_model.IntVar]:
        """The ``y`` variables of course ``c`` whose lecture would occupy period ``q``."""
        occ = self._occ[c]
        return occ[q] if occ is not None else []

    def _course_occupancy(self, c: int) -> list[list[cp_model.IntVar]] | None:
        if not self.y[c]:
            return None
        self.check()
        return [self._occupancy(c, q) for q in range(self.inst.P)]

    def _occupancy(self, c: int, q: int) -> list[cp_model.IntVar]:
        yc = self.y[c]
        return [yc[p] for p in self.inst.covering(c, q) if p in yc]

    def day_starts(self, c: int, d: int) -> list[cp_model.IntVar]:
        """The ``y`` variables of course ``c`` starting a lecture on day ``d``."""
        ppd = self.inst.ppd
        yc = self.y[c]
        return [yc[p] for p in range(d * ppd, (d + 1) * ppd) if p in yc]

    @property
    def count(self) -> int:
        """Number of decision variables (``y`` plus ``x``)."""
        return sum(len(d) for d in self.y) + len(self.x)
