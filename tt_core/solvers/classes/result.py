"""The outcome of a class-problem solve (the class-model counterpart of :class:`~tt_core.solvers.base.SolveResult`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...classes.evaluator import ClassReport
from ...classes.model import ClassSolution


@dataclass
class ClassSolveResult:
    """Best solution, its exact report (:func:`tt_core.classes.evaluate`), a trace and statistics.

    ``trace`` holds ``(elapsed, weighted total, hard violations)`` whenever the best changed;
    ``stats`` the phases' counters (``time_to_valid`` among them: seconds to the first solution
    without hard violations, ``None`` if none was found).
    """

    solution: ClassSolution
    report: ClassReport
    strategy: str
    seed: int
    elapsed: float
    trace: list[tuple[float, float, int]] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    stopped: bool = False  # True when a user's stop ended it early

    @property
    def timetable(self) -> ClassSolution:
        """The solution (the name generic code uses for a solve's best assignment)."""
        return self.solution

    @property
    def cost(self) -> float:
        """The weighted total of the competition."""
        return float(self.report.total)

    @property
    def hard_violations(self) -> int:
        return self.report.hard_violations

    @property
    def feasible(self) -> bool:
        return self.report.hard_violations == 0
