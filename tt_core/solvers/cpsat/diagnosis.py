"""Why no timetable exists, in a planner's words.

Two passes:

1. ``precheck`` — pure counting, no search: a pin in an impossible place, two pins in one room or
   of conflicting courses at one time, then the error checks of :mod:`tt_core.checks` (a course
   with more lectures than periods it can use, a curriculum or teacher with more lecture periods
   than the week offers them, a room family with more lecture periods than room-periods). Each
   finding is a proof of infeasibility on its own.
2. ``diagnose`` — a CP-SAT feasibility model in which each constraint *group* (a course's number
   of lectures, its unavailability, a curriculum's or a teacher's no-overlap, a room family's
   capacity in one period, a pinned lecture) is switched on by its own enforcement literal. All
   literals are passed as assumptions (this needs one worker and no objective, OR-tools #3102 /
   #2563); ``SufficientAssumptionsForInfeasibility`` gives a core, which is shrunk by deletion
   (drop a group, re-solve briefly, keep the drop if still infeasible) to a small set of groups
   that cannot hold together. Each group is then phrased with its data.

Rooms are modelled by Hall's conditions per room family (see ``instance``), which is exact for
single-period lectures and a relaxation otherwise; a relaxation can only miss a conflict, never
invent one.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from ortools.sat.python import cp_model

from ...checks import course_periods, group_periods, room_periods
from ...checks import plural as _n
from ...checks import unavailability_reasons as _unavailability_reasons
from ...model import Problem, Timetable
from .instance import Instance, PinnedSlot, lecture_label, pinned_slots

MAX_FINDINGS = 20  # a long list hides the point; the first ones are enough to act on


# ====================================================================== pass 1: counting
def precheck(problem: Problem, *, pins: list[PinnedSlot] = (), pinned=None,
             initial: Timetable | None = None) -> list[str]:
    """Obvious infeasibilities found by counting alone (empty when none).

    Pins come either ready (``pins``) or as the solver's ``pinned`` mask plus ``initial``.
    """
    if not pins and pinned is not None:
        pins = pinned_slots(problem, pinned, initial)
    inst = Instance(problem, pins)
    out: list[str] = []
    for check in (_pin_findings, _course_findings, _clique_findings, _room_findings):
        out.extend(check(inst))
        if len(out) >= MAX_FINDINGS:
            break
    return out[:MAX_FINDINGS]


def _pin_findings(inst: Instance) -> list[str]:
    pb = inst.problem
    out = []
    label = pb.period_labels
    occupying: dict[int, list[PinnedSlot]] = defaultdict(list)
    for s in inst.pins:
        what = lecture_label(pb, s.lecture)
        L = int(inst.length[s.course])
        if not inst.fits[s.course, s.period]:
            out.append(f"{what} is pinned to start in period {label[s.period]}, but its {L} periods run "
                       "past the end of the day")
            continue
        if inst.blocked[s.course, s.period]:
            span = np.zeros(inst.P, np.bool_)
            span[s.period:s.period + L] = True
            t = int(pb.course_teacher[s.course])
            who = (f"teacher {pb.teacher_names[t]}" if (pb.teacher_unavailable[t] & span).any()
                   else f"course {pb.course_names[s.course]}")
            out.append(f"{what} is pinned to period {label[s.period]}, when {who} is unavailable")
        if not pb.suitable[s.course, s.room]:
            out.append(f"{what} is pinned to room {pb.room_names[s.room]}, which does not suit the course")
        for q in range(s.period, s.period + L):
            occupying[q].append(s)
    for q, ss in sorted(occupying.items()):
        by_room: dict[int, list[PinnedSlot]] = defaultdict(list)
        by_course: dict[int, list[PinnedSlot]] = defaultdict(list)
        for s in ss:
            by_room[s.room].append(s)
            by_course[s.course].append(s)
        for r, group in by_room.items():
            if len(group) > 1:
                out.append(f"room {pb.room_names[r]} can hold one lecture at a time but {len(group)} lectures "
                           f"are pinned to it in period {label[q]}: "
                           + ", ".join(lecture_label(pb, s.lecture) for s in group))
        for c, group in by_course.items():
            if len(group) > 1:
                out.append(f"course {pb.course_names[c]} has {len(group)} lectures pinned to period {label[q]} "
                           "but can be taught only once at a time")
        for a, b in combinations(sorted(by_course), 2):
            why = _conflict_reason(inst, a, b)
            if why:
                out.append(f"courses {pb.course_names[a]} and {pb.course_names[b]} {why} but are both pinned "
                           f"to period {label[q]}")
    return out


def _conflict_reason(inst: Instance, a: int, b: int) -> str:
    """Why courses ``a`` and ``b`` may not overlap ('' when they may)."""
    pb = inst.problem
    if pb.course_teacher[a] == pb.course_teacher[b]:
        return f"are both taught by teacher {pb.teacher_names[pb.course_teacher[a]]}"
    ptr, idx = pb.course_curricula
    shared = sorted(set(idx[ptr[a]:ptr[a + 1]].tolist()) & set(idx[ptr[b]:ptr[b + 1]].tolist()))
    if shared:
        return f"share curriculum {pb.curriculum_names[shared[0]]}"
    return ""


def _course_findings(inst: Instance) -> list[str]:
    return [f.text for f in course_periods(inst)]


def _clique_findings(inst: Instance) -> list[str]:
    return [f.text for f in group_periods(inst)]


def _room_findings(inst: Instance) -> list[str]:
    return [f.text for f in room_periods(inst)]


# ====================================================================== pass 2: CP-SAT core
@dataclass(frozen=True)
class Group:
    """One switchable constraint group of the diagnosis model."""

    kind: str   # "lectures", "availability", "curriculum", "teacher", "students", "rooms", "pinned"
    key: tuple  # course / curriculum / teacher / (first student, students) / (family, period) / pin index


# the deletion filter tries to drop these kinds first, so that what remains reads best:
# pins and availability are concrete facts a planner recognises, room counts the least so
_DROP_ORDER = {"rooms": 0, "teacher": 1, "students": 2, "curriculum": 3, "lectures": 4, "availability": 5,
               "pinned": 6}


class _OutOfTime(Exception):
    """The diagnosis's time limit (or a user's stop) came while its model was being built."""


class _Expiry:
    """Raises :class:`_OutOfTime` when called after ``end`` (``time.perf_counter``) or once
    ``stop`` is set; the stop flag (possibly remote) is asked at most every 0.1 s."""

    def __init__(self, end: float, stop=None):
        self.end = end
        self.stop = stop
        self._next_look = 0.0

    def __call__(self) -> None:
        now = time.perf_counter()
        if now >= self.end:
            raise _OutOfTime
        if self.stop is not None and now >= self._next_look:
            self._next_look = now + 0.1
            if self.stop.is_set():
                raise _OutOfTime


class DiagnosisModel:
    """Feasibility model with one enforcement literal per constraint group (no objective).

    ``check`` is called in the build's loops and raises to abandon it (the diagnosis's time).
    """

    def __init__(self, inst: Instance, check: Callable[[], None] = lambda: None):
        self.inst = inst
        self.check = check
        self.model = cp_model.CpModel()
        self.groups: dict[int, Group] = {}   # literal index -> group
        self.literals: dict[Group, cp_model.IntVar] = {}
        self.y = self._start_vars()
        for add in (self._lectures, self._availability, self._course_overlap, self._curricula,
                    self._teachers, self._students, self._room_families, self._pinned):
            check()
            add()

    def _literal(self, group: Group) -> cp_model.IntVar:
        lit = self.model.new_bool_var(f"{group.kind}{group.key}")
        self.groups[lit.index] = group
        self.literals[group] = lit
        return lit

    def _start_vars(self) -> list[dict[int, cp_model.IntVar]]:
        """Start variables for every period where a lecture fits the day (available or not)."""
        inst = self.inst
        out = []
        for c in range(inst.C):
            self.check()
            out.append({int(p): self.model.new_bool_var(f"y{c}_{p}")
                        for p in np.flatnonzero(inst.fits[c] & inst.has_room[c])}
                       if inst.problem.course_lectures[c] else {})
        return out

    def _occ(self, c: int, q: int) -> list[cp_model.IntVar]:
        yc = self.y[c]
        return [yc[p] for p in self.inst.covering(c, q) if p in yc]

    def _lectures(self) -> None:
        """Each course gets its number of lectures (never more, even when switched off)."""
        pb = self.inst.problem
        for c, yc in enumerate(self.y):
            n = int(pb.course_lectures[c])
            if n:
                self.model.add(sum(yc.values()) <= n)
                self.model.add(sum(yc.values()) >= n).only_enforce_if(self._literal(Group("lectures", (c,))))

    def _availability(self) -> None:
        """A course is not taught where it or its teacher is unavailable."""
        for c, yc in enumerate(self.y):
            blocked = [v for p, v in yc.items() if self.inst.blocked[c, p]]
            if blocked:
                lit = self._literal(Group("availability", (c,)))
                for v in blocked:
                    self.model.add_implication(lit, ~v)

    def _course_overlap(self) -> None:
        """Always on: lectures of one multi-period course never overlap."""
        inst = self.inst
        for c in range(inst.C):
            if inst.length[c] > 1:
                self.check()
                for q in range(inst.P):
                    occ = self._occ(c, q)
                    if len(occ) > 1:
                        self.model.add_at_most_one(occ)

    def _no_overlap(self, group: Group, courses) -> None:
        self.check()
        lit = None
        for q in range(self.inst.P):
            occ = [v for c in courses for v in self._occ(int(c), q)]
            if len(occ) > 1:
                lit = lit if lit is not None else self._literal(group)
                self.model.add(sum(occ) <= 1).only_enforce_if(lit)

    def _curricula(self) -> None:
        """Courses of one curriculum never share a period (one group per distinct course set)."""
        pb = self.inst.problem
        seen: set[tuple[int, ...]] = set()
        for g in range(pb.n_curricula):
            members = pb.curriculum_courses[pb.curriculum_ptr[g]:pb.curriculum_ptr[g + 1]]
            key = tuple(sorted(int(c) for c in members))
            if len(key) > 1 and key not in seen:
                seen.add(key)
                self._no_overlap(Group("curriculum", (g,)), key)

    def _teachers(self) -> None:
        """Courses of one teacher never share a period."""
        pb = self.inst.problem
        for t in range(pb.n_teachers):
            courses = np.flatnonzero(pb.course_teacher == t)
            if len(courses) > 1:
                self._no_overlap(Group("teacher", (t,)), courses)

    def _students(self) -> None:
        """The courses one student is enrolled in never share a period (a hard constraint when
        the instance has enrolments): one group per distinct set of courses, keyed by its first
        student and how many students take exactly that set."""
        pb = self.inst.problem
        if pb.student_ptr is None:
            return
        takers: dict[tuple[int, ...], list[int]] = {}
        for st in range(pb.n_students):
            key = _course_set(pb, st)
            if len(key) > 1:
                takers.setdefault(key, []).append(st)
        for key, who in takers.items():
            self._no_overlap(Group("students", (who[0], len(who))), key)

    def _room_families(self) -> None:
        """Per period, a room family holds at most as many lectures as it has rooms (Hall)."""
        inst = self.inst
        for f, (U, courses) in enumerate(zip(inst.families, inst.family_courses)):
            inside = set(courses.tolist())
            for q in range(inst.P):
                self.check()
                occ = [v for c in courses for v in self._occ(int(c), q)]
                # a pinned lecture of an outside course in these rooms occupies one of them; pins of
                # inside courses are already in ``occ``
                pins = [i for i, s in enumerate(inst.pins) if s.room in U and s.course not in inside
                        and s.period <= q < s.period + int(inst.length[s.course])]
                if len(occ) + len(pins) > len(U):
                    lit = self._literal(Group("rooms", (f, q)))
                    pin_lits = [self.literals[Group("pinned", (i,))] if Group("pinned", (i,)) in self.literals
                                else self._pin_literal(i) for i in pins]
                    self.model.add(sum(occ) + sum(pin_lits) <= len(U)).only_enforce_if(lit)

    def _pin_literal(self, i: int) -> cp_model.IntVar:
        return self._literal(Group("pinned", (i,)))

    def _pinned(self) -> None:
        """A pinned lecture takes place at its pinned period."""
        for i, s in enumerate(self.inst.pins):
            g = Group("pinned", (i,))
            lit = self.literals[g] if g in self.literals else self._pin_literal(i)
            v = self.y[s.course].get(s.period)
            if v is None:  # cannot happen after precheck (the pin fits the day); stay safe
                self.model.add_bool_or([~lit])
            else:
                self.model.add_implication(lit, v)

    # ------------------------------------------------------------------ solving
    def solve(self, groups: list[Group], time_limit: float) -> tuple[int, list[Group]]:
        """Status with only ``groups`` switched on, and the core when infeasible."""
        m = self.model
        m.clear_assumptions()
        m.add_assumptions([self.literals[g] for g in groups])
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1  # assumptions cores need a single worker
        solver.parameters.max_time_in_seconds = max(0.05, time_limit)
        status = solver.solve(m)
        core = []
        if status == cp_model.INFEASIBLE:
            core = [self.groups[i] for i in solver.sufficient_assumptions_for_infeasibility()]
        return status, core


def diagnose(problem: Problem, *, time_limit: float = 30.0, pinned=None, initial: Timetable | None = None,
             stop=None) -> list[str]:
    """Explain why ``problem`` has no timetable: culprits in words, or ``[]`` if none was found.

    Parameters
    ----------
    problem
        The instance.
    time_limit
        Seconds for the whole diagnosis, its model's build included (the counting pass takes
        none of it to speak of).
    pinned, initial
        Pinned lectures and the timetable giving their placements, as for ``solve_cpsat``.
    stop
        Optional flag with ``is_set()``; the diagnosis then returns what it has.

    Returns
    -------
    list[str]
        One sentence per culprit. ``[]`` means no conflict was found: either a timetable exists
        or (rarely) the conflict involves multi-period lectures sharing restricted rooms, which
        the diagnosis model relaxes, or the time limit was too short to build the model or to
        prove it.
    """
    start = time.perf_counter()
    pins = pinned_slots(problem, pinned, initial)
    found = precheck(problem, pins=pins)
    if found:
        return found
    inst = Instance(problem, pins)
    try:
        # the model is switchable groups over every start: on a long week its build alone would
        # take longer than the time limit
        dm = DiagnosisModel(inst, _Expiry(start + time_limit, stop))
    except _OutOfTime:
        return []

    def left() -> float:
        return time_limit - (time.perf_counter() - start)

    status, core = dm.solve(list(dm.literals), left())
    if status != cp_model.INFEASIBLE:
        return []
    if not core:  # infeasible without any group: only the always-on structure is to blame
        return ["the lectures of multi-period courses cannot be arranged without overlapping"]
    core = sorted(set(core), key=lambda g: (_DROP_ORDER[g.kind], g.key))
    i = 0
    while i < len(core) and left() > 0 and not (stop is not None and stop.is_set()):
        trial = core[:i] + core[i + 1:]
        budget = min(2.0, max(0.1, left() / max(1, len(core) - i)))
        status, smaller = dm.solve(trial, budget)
        if status == cp_model.INFEASIBLE:
            # the solver's own core of the trial may be smaller still; keep the order
            keep = set(smaller) if smaller else set(trial)
            core = [g for g in core if g in keep]
            # the dropped group is gone; stay at the same position
        else:
            i += 1
    return phrase(inst, core)


# ====================================================================== words
def phrase(inst: Instance, core: list[Group]) -> list[str]:
    """One sentence per group of a conflicting set, with the data that makes it bite."""
    pb = inst.problem
    label = pb.period_labels
    core_pins = [inst.pins[g.key[0]] for g in core if g.kind == "pinned"]
    lecture_courses = {g.key[0] for g in core if g.kind == "lectures"}
    unavailable_courses = {g.key[0] for g in core if g.kind == "availability"}
    out = []
    for g in sorted(core, key=lambda g: (-_DROP_ORDER[g.kind], g.key)):
        if g.kind == "lectures":
            c = g.key[0]
            n = int(pb.course_lectures[c])
            avail = int(inst.allowed[c].sum())
            text = f"course {pb.course_names[c]} needs {_n(n, 'lecture')}"
            if c in unavailable_courses:
                reasons = _unavailability_reasons(inst, c)
                text += f" but only {_n(avail, 'period')} {'is' if avail == 1 else 'are'} available to it ({reasons})"
            out.append(text)
        elif g.kind == "availability":
            if g.key[0] not in lecture_courses:  # otherwise said with the course's lectures
                out.append(f"course {pb.course_names[g.key[0]]} cannot be taught when "
                           + _unavailability_reasons(inst, g.key[0]))
        elif g.kind == "curriculum":
            q = g.key[0]
            courses = pb.curriculum_courses[pb.curriculum_ptr[q]:pb.curriculum_ptr[q + 1]]
            out.append(f"curriculum {pb.curriculum_names[q]} may not overlap: {_course_list(inst, courses)}")
        elif g.kind == "students":
            first, n = g.key
            courses = _course_set(pb, first)
            who = f"student {pb.student_names[first]}" + (f" (and {_n(n - 1, 'other')} with the same courses)"
                                                          if n > 1 else "")
            out.append(f"{who} may not have two lectures at once: {_course_list(inst, courses)}")
        elif g.kind == "teacher":
            t = g.key[0]
            courses = np.flatnonzero(pb.course_teacher == t)
            out.append(f"teacher {pb.teacher_names[t]} teaches one lecture at a time: {_course_list(inst, courses)}")
        elif g.kind == "rooms":
            f, q = g.key
            U = inst.families[f]
            inside = set(inst.family_courses[f].tolist())
            must = [f"{lecture_label(pb, s.lecture)} (pinned)" for s in core_pins
                    if s.room in U and s.period <= q < s.period + int(inst.length[s.course])]
            pinned_courses = {s.course for s in core_pins}
            must += [f"a lecture of course {pb.course_names[c]}" for c in sorted(lecture_courses & inside)
                     if c not in pinned_courses]
            text = f"{inst.describe_rooms(U)} can hold at most {len(U)} lectures in period {label[q]}"
            if len(must) > len(U):
                text = (f"{inst.describe_rooms(U)} can hold at most {len(U)} lectures but {len(must)} must run "
                        f"in period {label[q]}: " + ", ".join(must))
            out.append(text)
        elif g.kind == "pinned":
            s = inst.pins[g.key[0]]
            out.append(f"{lecture_label(pb, s.lecture)} is pinned to room {pb.room_names[s.room]} in period "
                       f"{label[s.period]}")
    return out


def _course_set(pb: Problem, student: int) -> tuple[int, ...]:
    """The distinct courses of one student, sorted."""
    return tuple(sorted({int(c) for c in pb.student_courses[pb.student_ptr[student]:pb.student_ptr[student + 1]]}))


def _course_list(inst: Instance, courses) -> str:
    pb = inst.problem
    items = [f"{pb.course_names[c]} ×{int(pb.course_lectures[c])}" for c in courses]
    total = int(sum(int(pb.course_lectures[c]) * int(inst.length[c]) for c in courses))
    shown = ", ".join(items[:8]) + (", …" if len(items) > 8 else "")
    return f"{shown} ({total} lecture periods)"
