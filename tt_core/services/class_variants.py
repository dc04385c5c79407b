"""Timetables of class-based scenarios (real university data, ITC2019 style): their costs, a week of
one room, course or student, and two of them compared.

A class scenario's variant is a row of ``variants`` like any other (the same workflow, choosing and
audit: :mod:`.variants`, :mod:`.approval`), but its timetable is a
:class:`~tt_core.classes.model.ClassSolution` and its costs are the four penalty sums of the
competition's rules (:func:`tt_core.classes.evaluator.evaluate`). Every variant is evaluated
exactly, once per process (a stored variant never changes; a class scenario's data is imported
once and not edited), so the labels, the comparison and the week views always agree with ``tt
validate``. Pure view code (clock times, weeks, what moved) is :mod:`tt_core.classes.views`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import TimetableError
from .session import Service, Session

if TYPE_CHECKING:  # the class model loads numba kernels: imported where a class scenario is read
    from ..classes.evaluator import ClassReport
    from ..classes.model import ClassProblem, ClassSolution
    from ..classes.views import Meeting
    from .data import DataService

# (database, variant) -> (solution, report): a stored variant's assignments never change
_EVALUATED: dict[tuple[str, int], tuple] = {}
_EVALUATED_LOCK = threading.Lock()
_EVALUATED_MAX = 64

#: the views of a class timetable
VIEWS = ("room", "course", "student")


@dataclass(frozen=True)
class ClassComparison:
    """Two timetables of a class scenario compared (:meth:`ClassVariantService.compare`).

    ``components``: the cost components of both (rows) per variant (columns ``#a``, ``#b``) and
    ``change`` (b − a); ``violations``: the hard violations of each (``variant`` column first);
    ``moved``: the classes whose time or room changed, in words.
    """

    a: int
    b: int
    components: pd.DataFrame
    violations: pd.DataFrame
    moved: pd.DataFrame

    def summary(self) -> str:
        """``"12 class(es) moved from #1 to #2 (5 time, 4 room, 3 both); total 820 → 790 (−30);
        hard 0 → 0"``."""
        counts = self.moved["change"].value_counts()
        total = self.components.set_index("component")
        ta, tb = (int(total.loc["weighted total", f"#{v}"]) for v in (self.a, self.b))
        ha, hb = (int(total.loc["hard violations", f"#{v}"]) for v in (self.a, self.b))
        parts = ", ".join(f"{int(counts.get(k, 0))} {w}" for k, w in (("time", "time"), ("room", "room"),
                                                                       ("time and room", "both")))
        return (f"{len(self.moved)} class(es) moved from #{self.a} to #{self.b} ({parts}); total {ta} → {tb} "
                f"({tb - ta:+d}); hard violations {ha} → {hb}")


class ClassVariantService(Service):
    """The timetables of class-based scenarios (``studio.class_variants``)."""

    def __init__(self, session: Session, data: DataService):
        super().__init__(session)
        self.data = data

    # ------------------------------------------------------------------ loading and costs
    def _problem(self, scenario: str) -> ClassProblem:
        return self.data.class_problem(scenario)

    def _load(self, scenario: str, variant_id: int) -> tuple[ClassSolution, ClassReport]:
        """The variant's solution and its exact evaluation (once per process)."""
        from ..classes.evaluator import evaluate
        from ..store.classes import class_fingerprint

        problem = self._problem(scenario)
        key = (str(getattr(self.store, "path", id(self.store))), int(variant_id))
        with _EVALUATED_LOCK:
            hit = _EVALUATED.get(key)
        if hit is not None and hit[0] == scenario:
            return hit[1], hit[2]
        solution, info = self.store.classes.load_solution(int(variant_id), check_stale=False)
        if info["scenario"] != scenario:
            raise TimetableError(f"variant #{variant_id} is a variant of scenario {info['scenario']!r}, not of "
                                 f"{scenario!r}")
        if info["problem_hash"] != class_fingerprint(problem):
            raise TimetableError(f"variant #{variant_id} was made for other data than scenario {scenario!r} holds "
                                 "now; import the solution again")
        report = evaluate(problem, solution)
        with _EVALUATED_LOCK:
            if len(_EVALUATED) >= _EVALUATED_MAX:
                _EVALUATED.clear()
            _EVALUATED[key] = (scenario, solution, report)
        return solution, report

    def solution(self, scenario: str, variant_id: int) -> ClassSolution:
        """A variant's timetable (refused when it is not one of ``scenario``'s)."""
        return self._load(scenario, variant_id)[0]

    def report(self, scenario: str, variant_id: int) -> ClassReport:
        """A variant's exact evaluation (:class:`~tt_core.classes.evaluator.ClassReport`)."""
        return self._load(scenario, variant_id)[1]

    def rows(self, scenario: str) -> list[dict]:
        """The scenario's variants, oldest first, each evaluated: id, name, status, chosen, hard,
        time, room, distribution, student (unweighted sums), total (weighted)."""
        self._problem(scenario)  # refuses a curriculum scenario in words
        out = []
        for r in self.store.variants.list(scenario):
            report = self.report(scenario, int(r["id"]))
            out.append({"id": int(r["id"]), "name": r["name"], "status": r.get("status") or "draft",
                        "chosen": bool(r.get("chosen")), "hard": int(report.hard_violations),
                        **{k: int(v) for k, v in report.penalties.items()}, "total": int(report.total)})
        return out

    @staticmethod
    def label(row: dict) -> str:
        """``"#2 lums-sum17 · total 17 · 1 hard · chosen · published"``."""
        bits = [f"#{row['id']} {row['name']}", f"total {row['total']:,}"]
        if row["hard"]:
            bits.append(f"{row['hard']} hard")
        if row.get("chosen"):
            bits.append("chosen")
        if row.get("status") not in (None, "draft"):
            bits.append(row["status"])
        return " · ".join(bits)

    def options(self, scenario: str) -> dict[str, int]:
        """``{label: id}`` of the scenario's variants, newest first (for a select widget)."""
        return {self.label(r): r["id"] for r in reversed(self.rows(scenario))}

    def default_variant(self, scenario: str) -> int | None:
        """The published variant, else the chosen one, else the newest (None: there is none)."""
        rows = self.store.variants.list(scenario)
        for test in (lambda r: r.get("status") == "published", lambda r: r.get("chosen"), lambda r: True):
            found = [int(r["id"]) for r in rows if test(r)]
            if found:
                return found[-1]
        return None

    # ------------------------------------------------------------------ a week
    def keys(self, scenario: str, view: str, variant_id: int | None = None) -> list[str]:
        """The rooms, courses or students of the scenario (the items a week view shows); with
        ``variant_id``, only the rooms that variant uses (a university lists rooms it never
        timetables: their weeks are empty)."""
        from ..classes.views import placement, view_keys

        if view not in VIEWS:
            raise TimetableError(f"a class timetable is shown per {', '.join(VIEWS)}; not per {view!r}")
        problem = self._problem(scenario)
        if view != "room" or variant_id is None:
            return view_keys(problem, view)
        solution = self.solution(scenario, variant_id)
        used = set()
        for c in range(problem.n_classes):
            p = placement(problem, solution, c)
            if p is not None and p[4] >= 0:
                used.add(p[4])
        return [problem.room_ids[r] for r in sorted(used)]

    def weeks(self, scenario: str, variant_id: int) -> list[int]:
        """The weeks (0-based) in which some class of the variant meets."""
        from ..classes.views import weeks_used

        return weeks_used(self._problem(scenario), self.solution(scenario, variant_id))

    def week(self, scenario: str, variant_id: int, view: str, key: str, week: int) -> list[Meeting]:
        """The meetings of one room, course or student in week ``week`` (0-based)."""
        from ..classes.views import week_meetings

        problem = self._problem(scenario)
        self._check_key(problem, scenario, view, key)
        if not 0 <= int(week) < problem.nr_weeks:
            raise TimetableError(f"week {int(week) + 1} is outside the term of scenario {scenario!r} "
                                 f"(weeks 1-{problem.nr_weeks})")
        return week_meetings(problem, self.solution(scenario, variant_id), view, key, int(week))

    def classes_of(self, scenario: str, variant_id: int, view: str, key: str):
        """The classes a view of ``key`` shows (a room's: those placed in it)."""
        from ..classes.views import classes_of

        problem = self._problem(scenario)
        self._check_key(problem, scenario, view, key)
        return classes_of(problem, self.solution(scenario, variant_id), view, key)

    def _check_key(self, problem: ClassProblem, scenario: str, view: str, key: str) -> None:
        if view not in VIEWS:
            raise TimetableError(f"a class timetable is shown per {', '.join(VIEWS)}; not per {view!r}")
        index = {"room": problem.index.room, "course": problem.index.course, "student": problem.index.student}[view]
        if key not in index:
            raise TimetableError(f"scenario {scenario!r} has no {view} {key!r}")

    # ------------------------------------------------------------------ two compared
    def compare(self, scenario: str, a: int, b: int) -> ClassComparison:
        """Variants ``a`` and ``b`` compared: cost components, hard violations, the classes that moved."""
        from ..classes.views import components_frame, moved_frame, violations_frame

        if int(a) == int(b):
            raise TimetableError("pick two different variants to compare")
        problem = self._problem(scenario)
        (sa, ra), (sb, rb) = self._load(scenario, a), self._load(scenario, b)
        comp = components_frame({f"#{a}": ra, f"#{b}": rb})
        comp["change"] = comp[f"#{b}"] - comp[f"#{a}"]
        viol = pd.concat([violations_frame(r).assign(variant=f"#{v}") for v, r in ((a, ra), (b, rb))],
                         ignore_index=True)
        viol = viol[["variant", *[c for c in viol.columns if c != "variant"]]]
        return ClassComparison(int(a), int(b), comp, viol, moved_frame(problem, sa, sb))
