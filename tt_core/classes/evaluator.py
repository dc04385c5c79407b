"""The exact evaluator of the class model: a :class:`ClassReport` per solution.

The numbers come from the numba kernels (:mod:`.kernels`); the report adds, on demand, one
:class:`Violation` per hard violation and per element that costs something — which classes, room,
student, distribution — so every unit of the total can be traced (``tt validate --explain``).

The objective is the competition's: ``time weight × Σ time penalties + room weight × Σ room
penalties + distribution weight × Σ soft distribution penalties + student weight × student
conflicts``. The number of hard violations is the sum of the hard units (see :mod:`.kernels`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from . import kernels as k
from .distributions import LAST_PAIRWISE, TYPES, DistributionType, pair_satisfied
from .model import ClassProblem, ClassSolution

HARD_LABELS = {
    "unassigned": "unassigned classes",
    "room_conflicts": "room conflicts",
    "room_unavailable": "rooms used while unavailable",
    "distribution_hard": "required distributions",
    "sectioning": "student sectioning",
}
_PENALTY_COMPONENTS = ("time", "room", "distribution", "student")


@dataclass(frozen=True)
class Violation:
    """One hard violation, or one element that costs penalty.

    ``units`` are in the component's own units (hard units, or the unweighted penalty for soft
    items); ``kind`` is the component name (:data:`tt_core.classes.kernels.COMPONENTS`).
    """

    kind: str
    hard: bool
    units: int
    text: str
    classes: tuple[str, ...] = ()
    room: str | None = None
    student: str | None = None
    distribution: int | None = None   # 1-based, in file order

    def to_dict(self) -> dict:
        out = {"kind": self.kind, "hard": self.hard, "units": self.units, "text": self.text}
        if self.classes:
            out["classes"] = list(self.classes)
        for key in ("room", "student", "distribution"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


@dataclass(frozen=True, eq=False)
class ClassReport:
    """Units of every component, per-distribution units, and explanations on demand."""

    problem: ClassProblem = field(repr=False)
    solution: ClassSolution = field(repr=False)
    maxblock: str
    units: dict                      # component name -> units
    distribution_units: np.ndarray = field(repr=False)   # int64 [D]

    @property
    def hard_violations(self) -> int:
        """Sum of the hard units (0 = a valid solution)."""
        return sum(self.units[name] for name in HARD_LABELS)

    @property
    def penalties(self) -> dict[str, int]:
        """The four unweighted penalty sums."""
        return {name: self.units[name] for name in _PENALTY_COMPONENTS}

    @property
    def weighted(self) -> dict[str, int]:
        """The four penalty sums times their weights."""
        w = self.problem.weight
        return {name: w[name] * self.units[name] for name in _PENALTY_COMPONENTS}

    @property
    def total(self) -> int:
        """The competition's objective (weighted total)."""
        return sum(self.weighted.values())

    def to_dict(self, *, explain: bool = False) -> dict:
        """``hard``, the four penalty sums, ``total``, the weights, hard units per kind, the MaxBlock
        reading; with ``explain`` also ``violations`` (every item of :meth:`explain`)."""
        out = {"instance": self.problem.name, "hard": self.hard_violations,
               **self.penalties, "total": self.total,
               "weights": self.problem.weight,
               "hard_by_kind": {name: self.units[name] for name in HARD_LABELS},
               "maxblock": self.maxblock}
        if explain:
            out["violations"] = [v.to_dict() for v in self.explain()]
        return out

    # ------------------------------------------------------------------ explanations
    @cached_property
    def _ka(self):
        return k.class_arrays(self.problem, self.maxblock)

    @cached_property
    def _arrays(self):
        return k.solution_arrays(self.solution)

    def explain(self) -> list[Violation]:
        """Every hard violation, then every element that costs penalty, each with its units."""
        return self.violations() + self.penalty_items()

    def violations(self) -> list[Violation]:
        """The hard violations, by kind: unassigned, room conflicts, unavailable rooms, required
        distributions, sectioning."""
        p, s, ka = self.problem, self.solution, self._ka
        out: list[Violation] = []
        for c in range(p.n_classes):
            if s.time[c] < 0:
                out.append(Violation("unassigned", True, 1, f"class {p.class_ids[c]} has no time",
                                     classes=(p.class_ids[c],)))
            elif s.room[c] < 0 and p.class_needs_room[c]:
                out.append(Violation("unassigned", True, 1, f"class {p.class_ids[c]} has no room",
                                     classes=(p.class_ids[c],)))
        n = self.units["room_conflicts"]
        if n:
            pairs = np.zeros((n, 2), np.int64)
            time, room, _, _ = self._arrays
            k.room_conflict_pairs(ka, time, room, pairs, n)
            for a, b in pairs:
                room = self._room_of(a)
                out.append(Violation(
                    "room_conflicts", True, 1,
                    f"classes {p.class_ids[a]} ({self.when(a)}) and {p.class_ids[b]} ({self.when(b)}) "
                    f"overlap in room {room}", classes=(p.class_ids[a], p.class_ids[b]), room=room))
        if self.units["room_unavailable"]:
            for c in range(p.n_classes):
                pc, st, en, d, w, r = k.placement(ka, c, int(s.time[c]), int(s.room[c]))
                if pc and k.unavailable(ka, r, st, en, d, w):
                    out.append(Violation("room_unavailable", True, 1,
                                         f"class {p.class_ids[c]} ({self.when(c)}) is in room {p.room_ids[r]} "
                                         "while it is unavailable", classes=(p.class_ids[c],), room=p.room_ids[r]))
        for d in np.flatnonzero(self.distribution_units > 0):
            if p.distribution_required[d]:
                out += self._distribution_items(int(d), hard=True)
        n_records = self._sectioning_records
        if n_records:
            rec = np.zeros((n_records, 4), np.int64)
            k.sectioning_check(ka, self._arrays[2], self._arrays[3], rec, n_records)
            out += [self._sectioning_item(*map(int, r)) for r in rec]
        return out

    @cached_property
    def _sectioning_records(self) -> int:
        if not self.units["sectioning"]:
            return 0
        _, n = k.sectioning_check(self._ka, self._arrays[2], self._arrays[3], np.zeros((0, 4), np.int64), 0)
        return int(n)

    def penalty_items(self) -> list[Violation]:
        """Every element that costs penalty: chosen times and rooms with a penalty, violated soft
        distributions, student conflicts (units unweighted)."""
        p, s, ka = self.problem, self.solution, self._ka
        out: list[Violation] = []
        for c in range(p.n_classes):
            if s.time[c] >= 0:
                pen = int(p.time_penalty[p.time_ptr[c] + s.time[c]])
                if pen:
                    out.append(Violation("time", False, pen, f"class {p.class_ids[c]} at {self.when(c)}: "
                                         f"time penalty {pen}", classes=(p.class_ids[c],)))
        for c in range(p.n_classes):
            if s.time[c] >= 0 and s.room[c] >= 0:
                pen = int(p.room_option_penalty[p.room_option_ptr[c] + s.room[c]])
                if pen:
                    room = self._room_of(c)
                    out.append(Violation("room", False, pen, f"class {p.class_ids[c]} in room {room}: "
                                         f"room penalty {pen}", classes=(p.class_ids[c],), room=room))
        for d in np.flatnonzero(self.distribution_units > 0):
            if not p.distribution_required[d]:
                out += self._distribution_items(int(d), hard=False)
        n = self.units["student"]
        if n:
            triples = np.zeros((n, 3), np.int64)
            k.student_conflict_list(ka, *self._arrays, triples, n)
            for st, a, b in triples:
                out.append(Violation(
                    "student", False, 1,
                    f"student {p.student_ids[st]}: classes {p.class_ids[a]} ({self.when(a)}) and "
                    f"{p.class_ids[b]} ({self.when(b)}) overlap or are too far apart",
                    classes=(p.class_ids[a], p.class_ids[b]), student=p.student_ids[st]))
        return out

    def _distribution_items(self, d: int, *, hard: bool) -> list[Violation]:
        """The violated pairs or (week, day) cells of distribution ``d``; for a soft one the last
        item carries the cost (``penalty × units``, // nrWeeks for the per-week types)."""
        p, s, ka = self.problem, self.solution, self._ka
        kind = int(p.distribution_type[d])
        label = p.distribution_label(d)
        members = p.distribution_classes[p.distribution_ptr[d]:p.distribution_ptr[d + 1]]
        ids = tuple(p.class_ids[c] for c in members)
        details: list[str] = []
        if kind <= LAST_PAIRWISE:
            for i, a in enumerate(members):
                for b in members[i + 1:]:
                    pa, sa, ea, da, wa, ra = k.placement(ka, int(a), int(s.time[a]), int(s.room[a]))
                    pb, sb, eb, db, wb, rb = k.placement(ka, int(b), int(s.time[b]), int(s.room[b]))
                    if pa and pb and not pair_satisfied(kind, int(p.distribution_param[d, 0]), sa, ea, da, wa, ra,
                                                        sb, eb, db, wb, rb, k.travel_time(ka, ra, rb),
                                                        k.travel_time(ka, rb, ra)):
                        details.append(f"{p.class_ids[a]} ({self.when(a)}) and {p.class_ids[b]} ({self.when(b)})")
        elif kind == DistributionType.MAX_DAYS:
            used = 0
            for c in members:
                if s.time[c] >= 0:
                    used |= int(p.time_days[p.time_ptr[c] + s.time[c]])
            details.append(f"classes meet on {used.bit_count()} days ({_days(used, p.nr_days)}), "
                           f"at most {int(p.distribution_param[d, 0])} allowed")
        else:
            details += self._cell_details(d, kind, members)
        units = int(self.distribution_units[d])
        if hard:
            text = f"{label} violated ({units} unit{'s' if units != 1 else ''}): " + "; ".join(details)
            return [Violation("distribution_hard", True, units, text, classes=ids, distribution=d + 1)]
        cost = int(k.distribution_cost(ka, d, units))
        per_week = TYPES[DistributionType(kind)].per_week
        how = f"penalty {int(p.distribution_penalty[d])} × {units}" + (f" // {p.nr_weeks} weeks" if per_week else "")
        text = f"{label}: {how} = {cost}: " + "; ".join(details)
        return [Violation("distribution", False, cost, text, classes=ids, distribution=d + 1)]

    def _cell_details(self, d: int, kind: int, members) -> list[str]:
        """The (week, day) cells of a MaxDayLoad / MaxBreaks / MaxBlock distribution that cost
        units, cells with the same classes and units grouped over their weeks."""
        p, s, ka = self.problem, self.solution, self._ka
        time, room = self._arrays[0], self._arrays[1]
        ss = np.zeros(len(members) + 1, np.int32)
        se = np.zeros(len(members) + 1, np.int32)
        param = int(p.distribution_param[d, 0])
        groups: dict[tuple, list[int]] = {}
        for w in range(p.nr_weeks):
            for day in range(p.nr_days):
                here = tuple(int(c) for c in members if s.time[c] >= 0
                             and (int(p.time_days[p.time_ptr[c] + s.time[c]]) >> day) & 1
                             and (int(p.time_weeks[p.time_ptr[c] + s.time[c]]) >> w) & 1)
                if kind == DistributionType.MAX_DAY_LOAD:
                    load = sum(int(p.time_length[p.time_ptr[c] + s.time[c]]) for c in here)
                    units = max(0, load - param)
                    what = f"{load} slots of class, at most {param}"
                else:
                    units = int(k.cell_units(ka, d, time, room, -1, -1, -1, w, day, ss, se))
                    what = (f"{units} block{'s' if units != 1 else ''} above {param + 1}"
                            if kind == DistributionType.MAX_BREAKS else
                            f"{units} block{'s' if units != 1 else ''} longer than {param} slots")
                if units:
                    groups.setdefault((day, here, what), []).append(w)
        return [
            f"day {day + 1}, week{'s' if len(weeks) > 1 else ''} {_ranges(weeks)} (classes "
            f"{', '.join(p.class_ids[c] for c in here)} that day): {what}"
            for (day, here, what), weeks in groups.items()
        ]

    def _sectioning_item(self, code: int, st: int, a: int, b: int) -> Violation:
        p = self.problem
        sid = p.student_ids[st] if st >= 0 else None
        if code == k.NOT_REQUESTED:
            text = (
                f"student {sid} attends class {p.class_ids[a]} of course {p.course_ids[b]}, which they did not request"
            )
            classes = (p.class_ids[a],)
        elif code == k.MISSING_COURSE:
            text, classes = f"student {sid} attends no class of course {p.course_ids[a]}", ()
        elif code == k.MIXED_CONFIGS:
            text, classes = f"student {sid} attends classes of two configs of course {p.course_ids[a]}", ()
        elif code == k.MISSING_SUBPART:
            text = f"student {sid} attends no class of subpart {p.subpart_ids[a]} (course {p.course_ids[b]})"
            classes = ()
        elif code == k.DOUBLE_SUBPART:
            text, classes = f"student {sid} attends {b} classes of subpart {p.subpart_ids[a]}", ()
        elif code == k.MISSING_PARENT:
            text = f"student {sid} attends class {p.class_ids[a]} but not its parent {p.class_ids[b]}"
            classes = (p.class_ids[a], p.class_ids[b])
        else:
            limit = int(p.class_limit[a])
            return Violation("sectioning", True, b - limit, f"class {p.class_ids[a]} has {b} students, "
                             f"its limit is {limit}", classes=(p.class_ids[a],))
        return Violation("sectioning", True, 1, text, classes=classes, student=sid)

    # ------------------------------------------------------------------ words
    def _room_of(self, c: int) -> str:
        p, s = self.problem, self.solution
        return p.room_ids[p.room_option_room[p.room_option_ptr[c] + s.room[c]]]

    def when(self, c: int) -> str:
        """``"days 1010100 08:00-09:15 weeks 1111111111111 room 12"`` for class ``c``."""
        p, s = self.problem, self.solution
        t = int(s.time[c])
        if t < 0:
            return "unassigned"
        g = p.time_ptr[c] + t
        start, length = int(p.time_start[g]), int(p.time_length[g])
        text = (f"days {_days(int(p.time_days[g]), p.nr_days)} {_clock(start)}-{_clock(start + length)} "
                f"weeks {_days(int(p.time_weeks[g]), p.nr_weeks)}")
        if s.room[c] >= 0:
            text += f" room {self._room_of(c)}"
        return text

    def format_validator(self, *, explain: bool = False) -> str:
        """The report in the layout of the competition's validator: hard constraints, the four
        penalties with their weights, the total; ``explain`` lists every item first."""
        p = self.problem
        lines: list[str] = []
        if explain:
            for v in self.explain():
                lines.append(("[H] " if v.hard else f"[S {v.units}] ") + v.text)
            lines.append("")
        info = self.solution.info
        who = ", ".join(x for x in (info.get("author"), info.get("institution"), info.get("country")) if x)
        lines.append(f"Instance: {p.name}")
        if info.get("technique") or who:
            lines.append(f"Solution: {info.get('technique', '')}{' by ' + who if who else ''}"
                         f"{', runtime ' + info['runtime'] + ' s' if info.get('runtime') else ''}")
        placed = int((self.solution.time >= 0).sum())
        lines.append(f"Assigned classes: {placed}/{p.n_classes}")
        lines.append("")
        lines.append(f"{'Hard constraints':<34}{'violations':>10}")
        for name, label in HARD_LABELS.items():
            lines.append(f"  {label:<32}{self.units[name]:>10}")
        lines.append("")
        lines.append(f"{'Penalties':<20}{'weight':>8}{'penalty':>10}{'weighted':>12}")
        w = p.weight
        for name in _PENALTY_COMPONENTS:
            lines.append(f"  {name:<18}{w[name]:>8}{self.units[name]:>10}{w[name] * self.units[name]:>12}")
        lines.append("")
        verdict = "valid" if self.hard_violations == 0 else f"INVALID, {self.hard_violations} hard violations"
        lines.append(f"Total cost: {self.total} ({verdict}; MaxBlock reading: {self.maxblock})")
        return "\n".join(lines)


def _ranges(values: list[int]) -> str:
    """``[0, 1, 2, 5]`` → ``"1-3, 6"`` (1-based)."""
    out, start = [], None
    for i, v in enumerate(values):
        if start is None:
            start = v
        if i + 1 == len(values) or values[i + 1] != v + 1:
            out.append(f"{start + 1}" if start == v else f"{start + 1}-{v + 1}")
            start = None
    return ", ".join(out)


def _clock(slot: int) -> str:
    minutes = slot * 5
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _days(mask: int, n: int) -> str:
    return "".join("1" if (mask >> i) & 1 else "0" for i in range(n))


def evaluate(problem: ClassProblem, solution: ClassSolution, *, maxblock: str = "competition") -> ClassReport:
    """Evaluate a solution exactly as the competition rules do.

    Parameters
    ----------
    problem : ClassProblem
    solution : ClassSolution
    maxblock : {"competition", "rules"}
        The MaxBlock reading (see :mod:`tt_core.classes.distributions`); the default is the
        competition's validator.

    Returns
    -------
    ClassReport
    """
    solution.check(problem)
    ka = k.class_arrays(problem, maxblock)
    units = np.zeros(k.N_UNITS, np.int64)
    dist_units = np.zeros(problem.n_distributions, np.int64)
    k.full_units(ka, *k.solution_arrays(solution), dist_units, units)
    return ClassReport(problem=problem, solution=solution, maxblock=maxblock,
                       units={name: int(u) for name, u in zip(k.COMPONENTS, units)},
                       distribution_units=dist_units)


__all__ = ["ClassReport", "Violation", "evaluate"]
