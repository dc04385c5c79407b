"""The soft-cost objective of the CP-SAT model, one method per criterion of ``tt_core.constraints``.

Each method adds the auxiliary variables its criterion needs and ``(coefficient, variable)``
terms in the evaluator's units times the weight. Auxiliary variables are defined both ways (a day
indicator is 1 exactly when the course teaches that day, not merely at most then), so with exact
rooms the objective of *every* solution, not only the optimum, is the evaluator's soft cost, and
the costs reported during the search are true costs (tests check this). Tight definitions also
search better: 224 against 426 after 10 s on a 108-course synthetic instance. The solver's own
objective value comes from the presolved model, where dual reductions may leave it above the
solution's cost, so the front door re-computes the objective expression on each solution.

CP-SAT needs integer coefficients: the weights are scaled by the smallest power of ten (up to
1000) that makes them integral, and rounded at 1000 beyond that; ``scale`` converts back.

With the aggregated room model there are no room variables: room stability is left to the room
assignment stage, and room capacity enters as the exact minimum overflow of each period when every
room of a component suits every course in it (ITC), a lower bound otherwise
(``_room_capacity_bound``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np
from ortools.sat.python import cp_model

from ... import constraints as K
from .instance import Instance
from .variables import Variables


def weight_scale(weights: np.ndarray) -> int:
    """Smallest of 1, 10, 100, 1000 that makes every soft weight an integer (1000 if none does)."""
    soft = weights[~K.HARD_MASK]
    for scale in (1, 10, 100, 1000):
        if np.allclose(soft * scale, np.round(soft * scale), rtol=0, atol=1e-9):
            return scale
    return 1000


class Objective:
    """Builds the weighted soft cost of ``vars`` as a CP-SAT linear expression."""

    def __init__(self, model: cp_model.CpModel, vars: Variables, inst: Instance, weights: np.ndarray):
        self.model = model
        self.vars = vars
        self.inst = inst
        self.weights = weights
        self.scale = weight_scale(weights)
        self.terms: list[tuple[int, cp_model.IntVar]] = []
        self.constant = 0
        self.n_aux = 0
        self.check: Callable[[], None] = lambda: None

    def add_all(self, check: Callable[[], None] = lambda: None) -> None:
        """Add every criterion with a positive weight; ``check`` runs between criteria and in each
        criterion's outer loop (it raises to abandon the build)."""
        self.check = check
        criteria = {
            K.MIN_WORKING_DAYS: self._min_working_days,
            K.COMPACTNESS: self._compactness,
            K.TEACHER_PREFERENCE: self._teacher_preference,
            K.TIME_OF_DAY: self._time_of_day,
            K.CURRICULUM_LOAD: self._curriculum_load,
            K.TEACHER_LOAD: self._teacher_load,
        }
        if self.vars.rooms_exact:
            criteria[K.ROOM_CAPACITY] = self._room_capacity
            criteria[K.ROOM_STABILITY] = self._room_stability
        else:
            criteria[K.ROOM_CAPACITY] = self._room_capacity_bound
        for k, add in sorted(criteria.items()):
            if self.weights[k] > 0:
                check()
                add(self._coef(k))

    def expression(self) -> cp_model.LinearExpr:
        """The objective: scaled weighted units (divide by ``scale`` for the cost)."""
        if not self.terms:
            return cp_model.LinearExpr.constant(self.constant)
        coefs = [c for c, _ in self.terms]
        vs = [v for _, v in self.terms]
        return cp_model.LinearExpr.weighted_sum(vs, coefs) + self.constant

    def _coef(self, k: int) -> int:
        return int(round(self.weights[k] * self.scale))

    def _bool(self, name: str) -> cp_model.IntVar:
        self.n_aux += 1
        return self.model.new_bool_var(name)

    # ------------------------------------------------------------------ criteria
    def _room_capacity(self, w: int) -> None:
        """Each student above the room's capacity, each lecture."""
        pb = self.inst.problem
        for (c, _, r), v in self.vars.x.items():
            over = int(pb.course_students[c]) - int(pb.room_capacity[r])
            if over > 0:
                self.terms.append((w * over, v))

    def _room_capacity_bound(self, w: int) -> None:
        """Least capacity overflow each period's lectures can have (aggregated rooms).

        Matching the largest courses to the largest rooms minimises the total overflow, which
        then equals the integral over a seat threshold t of max(0, courses above t - rooms above
        t). Between consecutive student/capacity values the integrand is constant, so each such
        interval gets one excess variable per period, weighted by the interval's length. Done
        per connected room component (the families no other family contains), which are disjoint.
        """
        pb, inst = self.inst.problem, self.inst
        fams = inst.families
        for U, courses in zip(fams, inst.family_courses):
            if any(U < V for V in fams):
                continue  # not a component
            courses = [int(c) for c in courses if pb.course_lectures[c] > 0]
            if not courses:
                continue
            for q in range(inst.P):
                self.check()
                pins = [s for s in inst.pins if s.period <= q < s.period + int(inst.length[s.course])]
                pinned_courses = {s.course for s in pins}
                pinned_rooms = {s.room for s in pins}
                caps = np.array([int(pb.room_capacity[r]) for r in U if r not in pinned_rooms], np.int64)
                here = [(int(pb.course_students[c]), self.vars.occupancy(c, q))
                        for c in courses if c not in pinned_courses]
                here = [(s, occ) for s, occ in here if occ]
                if not here:
                    continue
                self._overflow_chain(w, here, caps, f"cap{q}")
        # pinned lectures keep their rooms: their overflow is fixed
        for s in inst.pins:
            self.constant += w * max(0, int(pb.course_students[s.course]) - int(pb.room_capacity[s.room]))

    def _overflow_chain(self, w: int, here: list[tuple[int, list]], caps: np.ndarray, name: str) -> None:
        """Excess variables of one period, built from the largest seat threshold down.

        ``above`` (courses with at least ``hi`` students present) is a running integer variable
        extended by each band of courses, so the model grows with courses + thresholds rather
        than their product.
        """
        values = sorted({0} | {s for s, _ in here} | set(caps.tolist()))
        band: dict[int, list] = defaultdict(list)
        for s, occ in here:
            band[s].extend(occ)
        above = None      # variable: courses present with at least ``hi`` students
        pending: list = []
        possible = 0      # how many such courses could be present at most
        for lo, hi in reversed(list(zip(values, values[1:]))):
            pending.extend(band.get(hi, []))
            possible += len(band.get(hi, []))
            rooms_above = int((caps >= hi).sum())
            if possible <= rooms_above:
                continue  # no overflow possible above this threshold
            if pending:
                nxt = self.model.new_int_var(0, possible, "")
                self.n_aux += 1
                self.model.add(nxt == (above if above is not None else 0) + sum(pending))
                above, pending = nxt, []
            excess = self.model.new_int_var(0, possible - rooms_above, f"{name}_{hi}")
            self.n_aux += 1
            self.model.add_max_equality(excess, [above - rooms_above, 0])
            self.terms.append((w * (hi - lo), excess))

    def _room_stability(self, w: int) -> None:
        """Each distinct room beyond the first used by a course (used-room indicators)."""
        pb = self.inst.problem
        per_room: dict[tuple[int, int], list] = defaultdict(list)
        for (c, _, r), v in self.vars.x.items():
            per_room[c, r].append(v)
        rooms_of: dict[int, list] = defaultdict(list)
        for (c, r), vs in per_room.items():
            self.check()
            n = int(pb.course_lectures[c])
            if n == 1 or len(self.inst.course_rooms[c]) == 1:
                continue  # one lecture, or one possible room: never more than one room
            used = self._bool(f"used{c}_{r}")
            self.model.add(sum(vs) <= n * used)
            self.model.add(used <= sum(vs))
            rooms_of[c].append(used)
        for used in rooms_of.values():
            self.model.add(sum(used) >= 1)
            self.terms.extend((w, u) for u in used)
            self.constant -= w

    def _min_working_days(self, w: int) -> None:
        """Each day below a course's minimum working days (day-indicator variables)."""
        pb, inst = self.inst.problem, self.inst
        for c in range(inst.C):
            need = int(pb.course_min_days[c])
            n = int(pb.course_lectures[c])
            if need == 0 or (need == 1 and n > 0):
                continue  # a course with a lecture always has a day
            self.check()
            days = []
            for d in range(pb.days):
                starts = self.vars.day_starts(c, d)
                if starts:
                    ind = self._bool(f"day{c}_{d}")
                    self.model.add(ind <= sum(starts))
                    for v in starts:
                        self.model.add_implication(v, ind)
                    days.append(ind)
            if not days:
                self.constant += w * need  # no lecture can be placed: every day is missing
                continue
            missing = self.model.new_int_var(0, need, f"miss{c}")
            self.n_aux += 1
            self.model.add_max_equality(missing, [need - sum(days), 0])
            self.terms.append((w, missing))

    def _compactness(self, w: int) -> None:
        """Each curriculum lecture with no adjacent lecture of the curriculum that day."""
        pb, inst = self.inst.problem, self.inst
        sets: dict[tuple[int, ...], int] = defaultdict(int)
        for g in range(pb.n_curricula):
            members = pb.curriculum_courses[pb.curriculum_ptr[g]:pb.curriculum_ptr[g + 1]]
            key = tuple(sorted(int(c) for c in members))
            sets[key] += 1  # identical curricula are penalised once each
        ppd = inst.ppd
        for key, mult in sets.items():
            self.check()
            z = [[v for c in key for v in self.vars.occupancy(c, q)] for q in range(inst.P)]
            for q in range(inst.P):
                if not z[q]:
                    continue
                s = q % ppd
                nb = (z[q - 1] if s > 0 else []) + (z[q + 1] if s < ppd - 1 else [])
                iso = self._bool(f"iso{key[0]}_{q}")
                # at most one curriculum lecture per period (hard), so every z is 0/1 and
                # iso = z_q and not z_{q-1} and not z_{q+1}: the lecture at q is alone
                self.model.add(iso >= sum(z[q]) - sum(nb))
                self.model.add(iso <= sum(z[q]))
                for v in nb:
                    self.model.add_implication(v, ~iso)
                self.terms.append((w * mult, iso))

    def _teacher_preference(self, w: int) -> None:
        """Each lecture period a teacher marked as undesired."""
        und = self.inst.problem.course_undesired
        for c, yc in enumerate(self.vars.y):
            self.check()
            L = int(self.inst.length[c])
            for p, v in yc.items():
                units = int(und[c, p:p + L].sum())
                if units:
                    self.terms.append((w * units, v))

    def _time_of_day(self, w: int) -> None:
        """The time-of-day penalty of every period a lecture occupies."""
        pen = self.inst.problem.period_penalty
        for c, yc in enumerate(self.vars.y):
            self.check()
            L = int(self.inst.length[c])
            for p, v in yc.items():
                units = int(pen[p:p + L].sum())
                if units:
                    self.terms.append((w * units, v))

    def _curriculum_load(self, w: int) -> None:
        """Each lecture of a curriculum beyond its daily maximum."""
        pb = self.inst.problem
        for g in range(pb.n_curricula):
            cap = int(pb.curriculum_max_per_day[g])
            if cap > 0:
                courses = pb.curriculum_courses[pb.curriculum_ptr[g]:pb.curriculum_ptr[g + 1]]
                self._daily_excess(w, [int(c) for c in courses], cap, f"cl{g}")

    def _teacher_load(self, w: int) -> None:
        """Each lecture of a teacher beyond their daily maximum."""
        pb = self.inst.problem
        for t in range(pb.n_teachers):
            cap = int(pb.teacher_max_per_day[t])
            if cap > 0:
                self._daily_excess(w, [int(c) for c in np.flatnonzero(pb.course_teacher == t)], cap, f"tl{t}")

    def _daily_excess(self, w: int, courses: list[int], cap: int, name: str) -> None:
        self.check()
        for d in range(self.inst.problem.days):
            starts = [v for c in courses for v in self.vars.day_starts(c, d)]
            if len(starts) > cap:
                excess = self.model.new_int_var(0, len(starts) - cap, f"{name}_{d}")
                self.n_aux += 1
                self.model.add_max_equality(excess, [sum(starts) - cap, 0])
                self.terms.append((w, excess))
