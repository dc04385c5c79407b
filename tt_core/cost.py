"""The evaluator: the ground truth every solver reports its costs through.

``evaluate(problem, timetable, weights)`` runs the numba full-evaluation kernel and returns a
``CostReport``: units per named constraint (``tt_core.constraints``), the weight vector, hard and
soft totals, and — on demand — an explanation of where every unit comes from, printed like the
ITC2007 validator's output by ``tt validate``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from . import constraints as K
from .errors import TimetableError
from .kernels.arrays import kernel_arrays
from .kernels.full import batch_units, evaluate_units
from .model import Problem, Timetable


@dataclass(frozen=True)
class Violation:
    """One explained cost item: ``units`` of ``constraint`` caused by the named items."""

    constraint: int
    units: int
    text: str
    course: str | None = None
    curriculum: str | None = None
    room: str | None = None
    period: int | None = None

    @property
    def name(self) -> str:
        return K.NAMES[self.constraint]

    @property
    def hard(self) -> bool:
        return bool(K.HARD_MASK[self.constraint])


@dataclass(eq=False)
class CostReport:
    """Units per constraint and their weighted totals for one timetable."""

    problem: Problem = field(repr=False)
    timetable: Timetable = field(repr=False)
    units: np.ndarray
    weights: np.ndarray

    @property
    def hard_violations(self) -> int:
        return int(self.units[K.HARD_MASK].sum())

    @property
    def soft_cost(self) -> float:
        soft = ~K.HARD_MASK
        value = float(np.dot(self.units[soft], self.weights[soft]))
        return int(value) if value.is_integer() else value

    @property
    def feasible(self) -> bool:
        return self.hard_violations == 0

    def weighted(self) -> np.ndarray:
        return self.units * self.weights

    def by_constraint(self) -> dict[str, tuple[int, float]]:
        """``{name: (units, weighted cost)}`` for every constraint, in catalogue order."""
        w = self.weighted()
        return {K.NAMES[i]: (int(self.units[i]), float(w[i])) for i in range(K.N_CONSTRAINTS)}

    def __repr__(self) -> str:
        return f"CostReport(hard={self.hard_violations}, soft={self.soft_cost})"

    def explain(self) -> list[Violation]:
        return self._explanations

    @cached_property
    def _explanations(self) -> list[Violation]:
        items = explain(self.problem, self.timetable)
        # the explanation is computed independently of the kernel: they must agree
        got = np.zeros(K.N_CONSTRAINTS, np.int64)
        for v in items:
            got[v.constraint] += v.units
        if not np.array_equal(got, self.units):  # pragma: no cover - a bug, never the user's fault
            raise AssertionError(f"explanation units {got.tolist()} != kernel units {self.units.tolist()}")
        return items

    def format_validator(self, *, violations: bool = False, layout=None) -> str:
        """Text in the layout of the ITC2007 validator (plus extension lines when non-zero).

        Parameters
        ----------
        violations : bool
            Also one line per explained cost item, before the totals.
        layout : sequence of (str, int, bool), optional
            The lines of another validator: ``(label, constraint index, hard)`` in order — the
            benchmark's UD1-UD5 validator (:attr:`tt_core.profiles.Formulation.lines`). ``Violations``
            and ``Total Cost`` then sum the listed lines.
        """
        lines: list[str] = []
        listed = None if layout is None else {i for _, i, _ in layout}
        if violations:
            lines += [("[H] " if v.hard else f"[S({_num(v.units * self.weights[v.constraint])})] ") + v.text
                      for v in self.explain() if listed is None or v.constraint in listed]
            lines.append("")
        if layout is None:
            layout = [(info.name, i, info.hard) for i, info in enumerate(K.CONSTRAINTS)
                      # extension terms are printed only when they cost something
                      if not ((i in K.EXTENSIONS and self.units[i] == 0)
                              or (i in K.ECTT_TERMS and (self.units[i] == 0 or self.weights[i] == 0)))]
            hard, soft = self.hard_violations, self.soft_cost
        else:
            hard = sum(int(self.units[i]) for _, i, h in layout if h)
            total = float(sum(self.units[i] * self.weights[i] for _, i, h in layout if not h))
            soft = int(total) if total.is_integer() else total
        for label, i, is_hard in layout:
            if is_hard:
                lines.append(f"Violations of {label} (hard) : {int(self.units[i])}")
            else:
                lines.append(f"Cost of {label} (soft) : {_num(self.units[i] * self.weights[i])}")
        lines.append("")
        prefix = f"Violations = {hard}, " if hard else ""
        lines.append(f"Summary: {prefix}Total Cost = {_num(soft)}")
        return "\n".join(lines)


def _num(x) -> str:
    x = float(x)
    return str(int(x)) if x.is_integer() else f"{x:g}"


def resolve_weights(weights) -> np.ndarray:
    """``None`` → ITC2007 weights; a mapping ``{name: weight}`` overrides them; an array is taken as is."""
    if weights is None:
        return K.itc_weights()
    if isinstance(weights, dict):
        w = K.itc_weights()
        for name, value in weights.items():
            try:
                w[K.index_of(name)] = float(value)
            except KeyError as exc:
                raise TimetableError(str(exc.args[0])) from None
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (K.N_CONSTRAINTS,):
            raise TimetableError(f"a weight vector needs {K.N_CONSTRAINTS} values (one per constraint: "
                                 f"{', '.join(K.NAMES)}), got shape {w.shape}")
    # the solvers rely on it: e.g. the ruin step rules a period out by its cost before the room's
    # part, which is never negative with weights that are not
    if (w < 0).any():
        raise TimetableError("weights must not be negative: " + ", ".join(
            f"{K.NAMES[i]}={w[i]:g}" for i in np.flatnonzero(w < 0)))
    return w


def check_timetable(problem: Problem, timetable: Timetable) -> None:
    """Raise ``TimetableError`` if the timetable does not fit the problem (size, id ranges)."""
    if len(timetable.period) != problem.n_lectures:
        raise TimetableError(f"the timetable has {len(timetable.period)} lectures but {problem.name} has "
                             f"{problem.n_lectures}")
    if (timetable.period >= problem.n_periods).any() or (timetable.room >= problem.n_rooms).any():
        bad = int(np.flatnonzero((timetable.period >= problem.n_periods) | (timetable.room >= problem.n_rooms))[0])
        raise TimetableError(f"lecture {bad}: period {timetable.period[bad]} / room {timetable.room[bad]} "
                             f"outside the grid ({problem.n_periods} periods, {problem.n_rooms} rooms)")


def evaluate(problem: Problem, timetable: Timetable, weights=None) -> CostReport:
    """Evaluate one timetable exactly (ITC2007 rules plus the extension terms)."""
    check_timetable(problem, timetable)
    units = evaluate_units(kernel_arrays(problem), timetable.period, timetable.room)
    return CostReport(problem, timetable, units, resolve_weights(weights))


def evaluate_batch(problem: Problem, periods: np.ndarray, rooms: np.ndarray, weights=None):
    """Evaluate many timetables at once (rows of ``periods``/``rooms``, int32[n, L]).

    Returns ``(units int64[n, N], hard int64[n], soft float64[n])``.
    """
    periods = np.ascontiguousarray(periods, np.int32)
    rooms = np.ascontiguousarray(rooms, np.int32)
    units = batch_units(kernel_arrays(problem), periods, rooms)
    w = resolve_weights(weights)
    hard = units[:, K.HARD_MASK].sum(axis=1)
    soft = units[:, ~K.HARD_MASK] @ w[~K.HARD_MASK]
    return units, hard, soft


def _student_clashes(pb: Problem, taught: np.ndarray, where) -> list[Violation]:
    """StudentClashes items: per period, each pair of taught courses sharing enrolled students."""
    a, b, n = pb.shared_students
    if not len(a):
        return []
    both = taught[a] & taught[b]                      # [pairs, P]; pairs are few compared to C x C
    pair, q = np.nonzero(both)
    order = np.lexsort((pair, q))
    out = []
    for k in order:
        i, t = int(pair[k]), int(q[k])
        ca, cb, m = pb.course_names[a[i]], pb.course_names[b[i]], int(n[i])
        out.append(Violation(K.STUDENT_CLASHES, m, f"Courses {ca} and {cb} have both a lecture at {where(t)}: "
                             f"{m} student{'s' if m != 1 else ''} enrolled in both", ca, period=t))
    return out


def student_clash_list(problem: Problem, timetable: Timetable) -> list[dict]:
    """Every student with a clash: ``student``, ``period`` (label), ``courses`` (the clashing ones).

    The per-student reading of ``StudentClashes`` (a student with ``k`` courses at one period has
    ``k(k-1)/2`` clashing pairs there). Built from each student's own courses, so it costs
    O(enrolments x periods per course), never O(students x periods).
    """
    check_timetable(problem, timetable)
    pb = problem
    if pb.n_enrolments == 0:
        return []
    P, ppd = pb.n_periods, pb.periods_per_day
    taught_at: list[list[int]] = [[] for _ in range(pb.n_courses)]
    used = np.zeros((pb.n_courses, P), bool)
    for l in range(pb.n_lectures):
        p, r = int(timetable.period[l]), int(timetable.room[l])
        if p < 0 or r < 0:
            continue
        c = int(pb.lecture_course[l])
        end = min(p + int(pb.course_length[c]), (p // ppd + 1) * ppd)
        if used[c, p:end].any():
            continue  # not taught (validator semantics)
        used[c, p:end] = True
        taught_at[c].extend(range(p, end))
    out = []
    for s in range(pb.n_students):
        by_period: dict[int, list[int]] = {}
        for c in pb.student_course_ids(s):
            for q in taught_at[int(c)]:
                by_period.setdefault(q, []).append(int(c))
        for q in sorted(by_period):
            cs = by_period[q]
            if len(cs) > 1:
                out.append({"student": pb.student_names[s], "period": pb.period_labels[q],
                            "courses": ", ".join(pb.course_names[c] for c in cs)})
    return out


def explain(problem: Problem, timetable: Timetable) -> list[Violation]:
    """Every unit of cost with the course/curriculum/room/period it comes from (plain Python)."""
    seen = _Taught(problem, timetable)
    out = list(seen.lecture_terms)
    out += _course_terms(problem, seen)
    out += _room_terms(problem, seen)
    out += _conflict_terms(problem, seen)
    out += _student_clashes(problem, seen.taught, seen.where)
    out += _curriculum_terms(problem, seen)
    out += _teacher_terms(problem, seen)
    out += _double_lecture_terms(problem, seen)
    out += _travel_terms(problem, seen)
    return out


class _Taught:
    """One pass over the lectures: what is taught where, and the units a single lecture causes."""

    def __init__(self, pb: Problem, tt: Timetable):
        C, P = pb.n_courses, pb.n_periods
        self.pb = pb
        self.taught = np.zeros((C, P), bool)
        self.room_users: dict[tuple[int, int], list[int]] = {}
        self.n_taught = np.zeros(C, int)
        self.days = [set() for _ in range(C)]
        self.rooms_used: list[list[int]] = [[] for _ in range(C)]
        self.course_day = np.zeros((C, pb.days), int)
        self.room_at: dict[tuple[int, int], int] = {}  # (course, period) -> room of its taught lecture
        self.lecture_terms: list[Violation] = []
        for lecture in range(pb.n_lectures):
            p, r = int(tt.period[lecture]), int(tt.room[lecture])
            if p >= 0 and r >= 0:
                self._lecture(int(pb.lecture_course[lecture]), p, r)

    def where(self, q: int) -> str:
        d, s = divmod(q, self.pb.periods_per_day)
        return f"period {q} (day {d}, timeslot {s}, {self.pb.period_labels[q]})"

    def _lecture(self, c: int, p: int, r: int) -> None:
        pb, where, out = self.pb, self.where, self.lecture_terms
        cn = pb.course_names[c]
        ppd = pb.periods_per_day
        d = p // ppd
        end = min(p + int(pb.course_length[c]), (d + 1) * ppd)
        if self.taught[c, p:end].any():
            return  # the validator's reading: a second lecture in a period the course uses is not taught
        self.n_taught[c] += 1
        self.taught[c, p:end] = True
        spill = p + int(pb.course_length[c]) - end
        if spill:
            out.append(Violation(K.AVAILABILITY, spill, f"Course {cn} has a lecture at {where(p)} running "
                                 f"{spill} period(s) past the end of the day", cn, period=p))
        for q in range(p, end):
            self.room_users.setdefault((r, q), []).append(c)
            self.room_at[(c, q)] = r
            if pb.unavailable[c, q]:
                who = "its teacher is" if pb.teacher_unavailable[pb.course_teacher[c], q] and not \
                    pb.course_unavailable[c, q] else "it is"
                out.append(Violation(K.AVAILABILITY, 1, f"Course {cn} has a lecture at unavailable "
                                     f"{where(q)} ({who} unavailable)", cn, period=q))
            if pb.course_undesired[c, q]:
                out.append(Violation(K.TEACHER_PREFERENCE, 1, f"Course {cn}: teacher "
                                     f"{pb.teacher_names[pb.course_teacher[c]]} prefers not to teach at "
                                     f"{where(q)}", cn, period=q))
            if pb.period_penalty[q]:
                out.append(Violation(K.TIME_OF_DAY, int(pb.period_penalty[q]), f"Course {cn} has a "
                                     f"lecture at {where(q)}, a penalised time of day", cn, period=q))
        if not pb.suitable[c, r]:
            out.append(Violation(K.ROOM_SUITABILITY, 1, f"Room {pb.room_names[r]} is not suitable for course "
                                 f"{cn} (type/features) at {where(p)}", cn, room=pb.room_names[r], period=p))
        if pb.room_unsuitable[c, r]:
            out.append(Violation(K.UNSUITABLE_ROOMS, 1, f"Course {cn} has a lecture in room {pb.room_names[r]}, "
                                 f"listed as unsuitable for it, at {where(p)}", cn, room=pb.room_names[r], period=p))
        over = int(pb.course_students[c]) - int(pb.room_capacity[r])
        if over > 0:
            out.append(Violation(K.ROOM_CAPACITY, over, f"Room {pb.room_names[r]} too small for course {cn} "
                                 f"the {where(p)}: {pb.course_students[c]} students, capacity "
                                 f"{pb.room_capacity[r]}", cn, room=pb.room_names[r], period=p))
        self.days[c].add(d)
        self.course_day[c, d] += 1
        if r not in self.rooms_used[c]:
            self.rooms_used[c].append(r)


def _course_terms(pb: Problem, seen: _Taught) -> list[Violation]:
    """Lectures, minimum working days and room stability, per course."""
    out = []
    for c in range(pb.n_courses):
        cn = pb.course_names[c]
        diff = int(pb.course_lectures[c]) - int(seen.n_taught[c])
        if diff:
            out.append(Violation(K.LECTURES, diff, f"Too few lectures for course {cn}: {seen.n_taught[c]} of "
                                 f"{pb.course_lectures[c]} scheduled in distinct periods", cn))
        missing = int(pb.course_min_days[c]) - len(seen.days[c])
        if missing > 0:
            out.append(Violation(K.MIN_WORKING_DAYS, missing, f"The course {cn} has only {len(seen.days[c])} days "
                                 f"of lecture (minimum {pb.course_min_days[c]})", cn))
        used = seen.rooms_used[c]
        if len(used) > 1:
            out.append(Violation(K.ROOM_STABILITY, len(used) - 1, f"Course {cn} uses {len(used)} different rooms: "
                                 + ", ".join(pb.room_names[r] for r in used), cn))
    return out


def _room_terms(pb: Problem, seen: _Taught) -> list[Violation]:
    """Rooms used by more than one lecture at a period."""
    out = []
    for (r, q), users in sorted(seen.room_users.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if len(users) > 1:
            out.append(Violation(K.ROOM_OCCUPATION, len(users) - 1, f"{len(users)} lectures in room "
                                 f"{pb.room_names[r]} the {seen.where(q)}: "
                                 + ", ".join(pb.course_names[c] for c in users), room=pb.room_names[r], period=q))
    return out


def _conflict_terms(pb: Problem, seen: _Taught) -> list[Violation]:
    """Pairs of courses of one teacher or curriculum taught at the same period."""
    out = []
    conflict = pb.group_conflict
    for q in range(pb.n_periods):
        here = np.flatnonzero(seen.taught[:, q])
        for i, a in enumerate(here):
            for b in here[i + 1:]:
                if conflict[a, b]:
                    why = "same teacher" if pb.course_teacher[a] == pb.course_teacher[b] else "same curriculum"
                    out.append(Violation(K.CONFLICTS, 1, f"Courses {pb.course_names[a]} and {pb.course_names[b]} "
                                         f"have both a lecture at {seen.where(q)} ({why})",
                                         pb.course_names[a], period=q))
    return out


def _curriculum_terms(pb: Problem, seen: _Taught) -> list[Violation]:
    """Isolated lectures (compactness), windows and daily loads, per curriculum."""
    out = []
    ppd, P = pb.periods_per_day, pb.n_periods
    for g in range(pb.n_curricula):
        gn = pb.curriculum_names[g]
        members = pb.curriculum_courses[pb.curriculum_ptr[g]:pb.curriculum_ptr[g + 1]]
        cnt = seen.taught[members].sum(axis=0) if len(members) else np.zeros(P, int)
        for q in range(P):
            if cnt[q] == 0:
                continue
            s = q % ppd
            if (s > 0 and cnt[q - 1] > 0) or (s < ppd - 1 and cnt[q + 1] > 0):
                continue
            out.append(Violation(K.COMPACTNESS, int(cnt[q]), f"Curriculum {gn} has an isolated lecture at "
                                 f"{seen.where(q)}", curriculum=gn, period=q))
        for d in range(pb.days if pb.count_windows else 0):
            busy = np.flatnonzero(cnt[d * ppd:(d + 1) * ppd])
            windows = int(busy[-1] - busy[0] + 1 - len(busy)) if len(busy) > 1 else 0
            if windows:
                out.append(Violation(K.WINDOWS, windows, f"Curriculum {gn} has {windows} time window"
                                     f"{'s' if windows > 1 else ''} in day {d}", curriculum=gn))
        lo, hi = int(pb.curriculum_min_per_day[g]), int(pb.curriculum_max_per_day[g])
        if (lo > 0 or hi > 0) and len(members):
            per_day = seen.course_day[members].sum(axis=0)
            for d in np.flatnonzero(per_day > 0):
                n = int(per_day[d])
                if n < lo:
                    out.append(Violation(K.CURRICULUM_LOAD, lo - n, f"Curriculum {gn} has {n} lectures (too few) "
                                         f"in day {d} (minimum {lo})", curriculum=gn))
                elif 0 < hi < n:
                    out.append(Violation(K.CURRICULUM_LOAD, n - hi, f"Curriculum {gn} has {n} lectures (too many) "
                                         f"in day {d} (maximum {hi})", curriculum=gn))
    return out


def _double_lecture_terms(pb: Problem, seen: _Taught) -> list[Violation]:
    """Courses wanting double lectures: on a day with two or more of their lectures, each lecture
    with no lecture of the course in the same room in an adjacent period."""
    out = []
    ppd = pb.periods_per_day
    for c in np.flatnonzero(pb.course_double):
        cn = pb.course_names[c]
        for d in range(pb.days):
            rooms = [seen.room_at.get((int(c), q), -1) for q in range(d * ppd, (d + 1) * ppd)]
            if sum(r >= 0 for r in rooms) < 2:
                continue
            alone = sum(1 for s, r in enumerate(rooms) if r >= 0 and not (s > 0 and rooms[s - 1] == r)
                        and not (s < ppd - 1 and rooms[s + 1] == r))
            if alone:
                out.append(Violation(K.DOUBLE_LECTURES, alone, f"The course {cn} has {alone} non-double lecture"
                                     f"{'s' if alone > 1 else ''} in day {d}", cn))
    return out


def _travel_terms(pb: Problem, seen: _Taught) -> list[Violation]:
    """Curricula changing site between consecutive periods of a day: each pair of lectures (one at
    each period) in rooms of different sites."""
    out = []
    if not pb.count_travel or pb.n_sites < 2:
        return out
    ppd, site = pb.periods_per_day, pb.room_building
    for g in range(pb.n_curricula):
        members = [int(c) for c in pb.curriculum_courses[pb.curriculum_ptr[g]:pb.curriculum_ptr[g + 1]]]
        for q in range(pb.n_periods - 1):
            if q % ppd == ppd - 1:
                continue
            here = [seen.room_at[(c, q)] for c in members if (c, q) in seen.room_at]
            after = [seen.room_at[(c, q + 1)] for c in members if (c, q + 1) in seen.room_at]
            moves = sum(1 for a in here for b in after if site[a] != site[b])
            if moves:
                out.append(Violation(K.TRAVEL, moves, f"Curriculum {pb.curriculum_names[g]} has {moves} travelling "
                                     f"in {seen.where(q)} (to the next period at another site)",
                                     curriculum=pb.curriculum_names[g], period=q))
    return out


def _teacher_terms(pb: Problem, seen: _Taught) -> list[Violation]:
    """Lectures above a teacher's daily maximum."""
    out = []
    for t in range(pb.n_teachers):
        m = int(pb.teacher_max_per_day[t])
        if m > 0:
            per_day = seen.course_day[pb.course_teacher == t].sum(axis=0)
            for d in np.flatnonzero(per_day > m):
                out.append(Violation(K.TEACHER_LOAD, int(per_day[d] - m), f"Teacher {pb.teacher_names[t]} "
                                     f"has {per_day[d]} lectures on day {d} (maximum {m})"))
    return out
