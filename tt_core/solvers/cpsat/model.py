"""The CP-SAT model builder: variables + hard constraints + (optional) objective + hints, and the
decoding of a solution back into a ``Timetable``.

Two room models (``rooms=``):

* ``"exact"`` — ``x[course, start, room]`` Booleans; the optimum is the evaluator's optimum.
* ``"aggregated"`` — only ``y[course, start]``; every period satisfies Hall's condition for each
  room family, and ``rooms.assign_rooms`` picks rooms afterwards (capacity overflow enters the
  objective as its exact per-period minimum when all rooms suit all courses, as in ITC).
* ``"auto"`` — for ``objective="feasibility"``, aggregated whenever Hall's conditions make it exact
  (single-period lectures, all room families enumerated); otherwise exact up to
  ``EXACT_ROOMS_LIMIT`` triples, aggregated above.

Measured with 2 workers (on a shared, loaded machine): the exact model wins on the smallest ITC
instance (comp01, 5k triples: cost 5 = the proven optimum after 27 s, aggregated 17), the
aggregated one everywhere bigger (30 s: comp05 1183 vs 1959, comp03 480 vs 617, comp07 706 vs
4153; a 200-course synthetic with 121k triples: 869 vs 5864), and first feasible timetables come
sooner from it (comp07 0.9 s vs 3.9 s). A 2,616-course x 45-period x 278-room university would
need 20 million ``x``; aggregated it has 104k decision variables.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np
from ortools.sat.python import cp_model

from ...model import Problem, Timetable
from .constraints import Constraints
from .instance import Instance, PinnedSlot
from .objective import Objective
from .rooms import assign_rooms, hall_violations
from .variables import Variables

#: allowed (course, start, room) triples above which ``rooms="auto"`` optimises with the aggregated model
EXACT_ROOMS_LIMIT = 8_000

ROOM_MODELS = ("auto", "exact", "aggregated")
OBJECTIVES = ("soft", "feasibility")


def resolve_rooms(inst: Instance, rooms: str, objective: str = "soft") -> str:
    """The room model ``rooms="auto"`` stands for on this instance (see the module docstring)."""
    if rooms != "auto":
        return rooms
    if objective == "feasibility" and inst.families_complete and (inst.length == 1).all():
        return "aggregated"
    return "exact" if count_room_triples(inst) <= EXACT_ROOMS_LIMIT else "aggregated"


def count_room_triples(inst: Instance) -> int:
    """How many ``x`` variables the exact room model would create."""
    n_rooms = np.array([len(r) for r in inst.course_rooms])
    active = inst.problem.course_lectures > 0
    return int((inst.allowed.sum(axis=1) * n_rooms * active).sum())


class TimetableModel:
    """A built CP-SAT model of one problem, ready to solve, with its decoder.

    Parameters
    ----------
    problem
        The instance.
    weights
        Resolved weight vector (``tt_core.cost.resolve_weights``).
    objective
        ``"soft"`` (minimise the weighted soft cost) or ``"feasibility"`` (no objective).
    rooms
        ``"auto"``, ``"exact"`` or ``"aggregated"`` (see the module docstring).
    pins
        Pinned lectures (already checked by ``precheck``).
    initial
        A timetable whose placements become the solution hint.
    check
        Called between construction steps and in their outer loops (per course, curriculum,
        period…); raise from it to abandon the build (a user's stop, the time limit). It is
        called often: it should look at the clock and a flag, not ask a remote stop flag.
    """

    def __init__(self, problem: Problem, *, weights: np.ndarray, objective: str = "soft",
                 rooms: str = "auto", pins: list[PinnedSlot] = (), initial: Timetable | None = None,
                 check: Callable[[], None] = lambda: None):
        if objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}")
        if rooms not in ROOM_MODELS:
            raise ValueError(f"rooms must be one of {', '.join(ROOM_MODELS)}, got {rooms!r}")
        self.problem = problem
        self.weights = weights
        self.inst = Instance(problem, pins)
        self.triples = count_room_triples(self.inst)
        self.rooms_model = rooms = resolve_rooms(self.inst, rooms, objective)
        self.model = cp_model.CpModel()
        check()
        self.vars = Variables(self.model, self.inst, rooms_exact=rooms == "exact", check=check)
        self.constraints = Constraints(self.model, self.vars, self.inst)
        self.constraints.add_all(check)
        self.cuts: set[frozenset[int]] = set()  # room families added by add_hall_cuts
        self.objective: Objective | None = None
        if objective == "soft":
            self.objective = Objective(self.model, self.vars, self.inst, weights)
            self.objective.add_all(check)
            self.objective_expr = self.objective.expression()
            self.model.minimize(self.objective_expr)
        if initial is not None:
            check()
            self._hint(initial)

    @property
    def scale(self) -> int:
        """Divide the CP-SAT objective by this to get the weighted cost."""
        return self.objective.scale if self.objective is not None else 1

    @property
    def objective_is_exact(self) -> bool:
        """True when the model objective equals the evaluator's soft cost."""
        return self.objective is not None and self.rooms_model == "exact"

    def stats(self) -> dict:
        proto = self.model.proto
        return {
            "rooms_model": self.rooms_model,
            "room_triples": self.triples,
            "n_variables": len(proto.variables),
            "n_decision_variables": self.vars.count,
            "n_constraints": len(proto.constraints),
            "room_families": len(self.inst.families) if self.rooms_model == "aggregated" else None,
            "room_families_complete": (self.inst.families_complete
                                       if self.rooms_model == "aggregated" else None),
        }

    # ------------------------------------------------------------------ hints
    def _hint(self, initial: Timetable) -> None:
        """Hint every decision variable from ``initial`` (1 where it places a lecture, else 0).

        A complete hint lets CP-SAT start from the given timetable; it is only a hint, so a
        hint that breaks a constraint is repaired or dropped by the solver, never trusted.
        """
        initial.check_shape(self.problem)
        lc = self.problem.lecture_course
        starts: set[tuple[int, int]] = set()
        triples: set[tuple[int, int, int]] = set()
        for l in range(self.problem.n_lectures):
            p, r = int(initial.period[l]), int(initial.room[l])
            if p >= 0:
                starts.add((int(lc[l]), p))
                if r >= 0:
                    triples.add((int(lc[l]), p, r))
        for c, yc in enumerate(self.vars.y):
            for p, v in yc.items():
                self.model.add_hint(v, (c, p) in starts)
        for key, v in self.vars.x.items():
            self.model.add_hint(v, key in triples)

    def start_values(self, solution: np.ndarray) -> set[tuple[int, int]]:
        """The ``(course, start period)`` pairs a solution uses."""
        return {(c, p) for c, yc in enumerate(self.vars.y) for p, v in yc.items() if solution[v.index]}

    def hint_starts(self, starts: set[tuple[int, int]]) -> None:
        """Hint the start variables (all of them: 1 for ``starts``, else 0), e.g. from a first
        feasible solution of a lighter model. The objective's auxiliaries are functions of the
        starts (both-way definitions), so propagation completes the hint."""
        self.model.clear_hints()
        for c, yc in enumerate(self.vars.y):
            for p, v in yc.items():
                self.model.add_hint(v, (c, p) in starts)

    def complete_hint(self, time_limit: float,
                      on_solver: Callable[[cp_model.CpSolver], None] = lambda s: None) -> bool:
        """Turn the current hint of the start variables into a complete hint of every variable.

        A partial hint is often not completed by the search on big models (the 2,616-course
        synthetic instance: no solution in 60 s), so the auxiliaries are computed here by a
        solve of a copy with the hinted variables fixed, where propagation alone decides them.
        Returns False (hint unchanged) if that solve does not finish in ``time_limit``.
        ``on_solver`` receives the solver before it starts (so that a user's stop can reach it).
        """
        probe = self.model.clone()
        solver = cp_model.CpSolver()
        solver.parameters.fix_variables_to_their_hinted_value = True
        solver.parameters.cp_model_presolve = False  # propagation alone decides everything
        solver.parameters.num_workers = 1
        solver.parameters.max_time_in_seconds = max(0.1, time_limit)
        on_solver(solver)
        if solver.solve(probe) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return False
        values = solver.response_proto.solution
        self.model.clear_hints()
        for i in range(len(self.model.proto.variables)):
            self.model.add_hint(self.model.get_int_var_from_proto_index(i), int(values[i]))
        return True

    def add_hall_cuts(self, solution: np.ndarray) -> int:
        """Aggregated rooms with only some families: add Hall's condition for each room set the
        solution's periods break (``rooms.hall_violations``), so that the next solve keeps them
        matchable. Returns how many were added (0: every period's lectures can get rooms)."""
        if self.rooms_model != "aggregated" or self.inst.families_complete:
            return 0
        pinned = {(s.course, s.period) for s in self.inst.pins}
        starts = [cp for cp in self.start_values(solution) if cp not in pinned]
        cuts = [U for U in hall_violations(self.inst, starts) if U not in self.cuts]
        for U in cuts:
            self.constraints.add_room_family(U)
            self.cuts.add(U)
        return len(cuts)

    # ------------------------------------------------------------------ decoding
    def decode(self, solution: np.ndarray, initial: Timetable | None = None,
               room_time_limit: float = 5.0) -> Timetable:
        """The timetable of a CP-SAT solution (``response_proto.solution`` as an array).

        The model places courses, not lecture ids; lectures are matched to the placements so that
        pinned lectures keep their own slot and others keep their ``initial`` slot where it is
        still used (a re-solve then changes as few lecture ids as possible).
        """
        inst = self.inst
        slots: dict[int, list[tuple[int, int]]] = defaultdict(list)  # course -> [(period, room)]
        if self.rooms_model == "exact":
            for (c, p, r), v in self.vars.x.items():
                if solution[v.index]:
                    slots[c].append((p, r))
        else:
            pinned_starts = {(s.course, s.period) for s in inst.pins}
            free_starts = []
            for c, yc in enumerate(self.vars.y):
                for p, v in yc.items():
                    if solution[v.index] and (c, p) not in pinned_starts:
                        free_starts.append((c, p))
            rooms = assign_rooms(inst, free_starts, self.weights, time_limit=room_time_limit)
            for (c, p), r in rooms.items():
                slots[c].append((p, r))
            for s in inst.pins:
                slots[s.course].append((s.period, s.room))
        return self._to_lectures(slots, initial)

    def _to_lectures(self, slots: dict[int, list[tuple[int, int]]], initial: Timetable | None) -> Timetable:
        pb = self.problem
        tt = Timetable.empty(pb)
        ptr = pb.course_lecture_ptr
        pinned = {s.lecture: (s.period, s.room) for s in self.inst.pins}
        for c in range(pb.n_courses):
            left = sorted(slots.get(c, []))
            lectures = list(range(int(ptr[c]), int(ptr[c + 1])))
            rest = []
            for l in lectures:  # pinned first, then lectures whose initial slot survived
                want = pinned.get(l)
                if want is None and initial is not None:
                    want = (int(initial.period[l]), int(initial.room[l]))
                if want in left:
                    left.remove(want)
                    tt.period[l], tt.room[l] = want
                else:
                    rest.append(l)
            for l, (p, r) in zip(rest, left):
                tt.period[l], tt.room[l] = p, r
        return tt
