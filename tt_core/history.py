"""The history of a scenario's timetables: where a variant came from, and what changed between two.

Every stored variant records its parent (``parent_variant_id``: the variant a job started from, or
the variant a planner edited by hand), so a scenario's variants form a forest; :func:`lineage`
walks it. :func:`diff` compares any two timetables of one problem: the lectures moved, added
(placed only in the second) and removed (placed only in the first), paired per course as in
:func:`~tt_core.services.lecture_moves`, and the change of every constraint's units and weighted
cost under one weight vector. The variants app shows it and ``tt diff`` prints it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import constraints as K
from .cost import CostReport, evaluate, resolve_weights
from .errors import TimetableError
from .model import Problem, Timetable
from .views import lecture_moves

COST_COLUMNS = ["constraint", "hard", "units A", "units B", "units change", "cost A", "cost B", "cost change"]


@dataclass(eq=False)
class VariantDiff:
    """What changed from timetable A to timetable B.

    Attributes
    ----------
    moves : pandas.DataFrame
        One row per lecture placed differently (``views.lecture_moves``: course, teacher,
        change, from, to); ``change`` is ``placed`` for an added and ``unplaced`` for a removed
        lecture.
    costs : pandas.DataFrame
        One row per constraint (:data:`COST_COLUMNS`), units and weighted cost in A and B.
    a, b : CostReport
        The full evaluations of both timetables under the same weights.
    """

    moves: pd.DataFrame
    costs: pd.DataFrame
    a: CostReport
    b: CostReport
    a_label: str = "A"
    b_label: str = "B"

    @property
    def moved(self) -> int:
        return int((~self.moves["change"].isin(["placed", "unplaced"])).sum())

    @property
    def added(self) -> int:
        return int((self.moves["change"] == "placed").sum())

    @property
    def removed(self) -> int:
        return int((self.moves["change"] == "unplaced").sum())

    def changed_costs(self) -> pd.DataFrame:
        """Only the constraints whose units differ."""
        return self.costs[self.costs["units change"] != 0].reset_index(drop=True)

    def summary(self) -> str:
        """One line: ``"#3 → #5: 4 moved, 0 added, 1 removed; hard 0 → 1 (+1); soft cost 120 → 118 (−2)"``."""
        def change(x, y):
            d = y - x
            text = f"{d:+g}".replace("-", "−")
            return f"{_num(x)} → {_num(y)} ({text})"

        return (f"{self.a_label} → {self.b_label}: {self.moved} moved, {self.added} added, {self.removed} removed; "
                f"hard {change(self.a.hard_violations, self.b.hard_violations)}; "
                f"soft cost {change(float(self.a.soft_cost), float(self.b.soft_cost))}")


def _num(x) -> str:
    x = float(x)
    return str(int(x)) if x.is_integer() else f"{x:g}"


def diff(problem: Problem, a: Timetable, b: Timetable, weights=None, *, a_label: str = "A", b_label: str = "B",
         teacher_labels: dict[str, str] | None = None) -> VariantDiff:
    """Compare two timetables of ``problem`` (see :class:`VariantDiff`).

    Parameters
    ----------
    problem : Problem
    a, b : Timetable
        The earlier and the later timetable.
    weights : array, dict or None
        One weight vector for both costs (:func:`~tt_core.cost.resolve_weights`), so that the
        change is the change of the timetable and not of the weights.
    a_label, b_label : str
        How the summary names them (e.g. ``"#3"``).
    teacher_labels : dict, optional
        Teacher id → display name for the moves table.
    """
    for t, label in ((a, a_label), (b, b_label)):
        if len(t.period) != problem.n_lectures:
            raise TimetableError(f"{label} has {len(t.period)} lectures but scenario {problem.name!r} has "
                                 f"{problem.n_lectures}: it was made before the data changed and cannot be compared")
    w = resolve_weights(weights)
    ra, rb = evaluate(problem, a, w), evaluate(problem, b, w)
    wa, wb = ra.weighted(), rb.weighted()
    rows = []
    for i, name in enumerate(K.NAMES):
        ua, ub = int(ra.units[i]), int(rb.units[i])
        rows.append({"constraint": name, "hard": bool(K.HARD_MASK[i]), "units A": ua, "units B": ub,
                     "units change": ub - ua, "cost A": float(wa[i]), "cost B": float(wb[i]),
                     "cost change": float(wb[i] - wa[i])})
    costs = pd.DataFrame(rows, columns=COST_COLUMNS)
    moves = lecture_moves(problem, a, b, teacher_labels)
    return VariantDiff(moves, costs, ra, rb, a_label, b_label)


def lineage(variants: list[dict], variant_id: int) -> list[dict]:
    """The variant and its ancestors, newest first, from rows of ``store.variants.list``.

    Stops at a parent that is not among ``variants`` (deleted variants leave no parent) and
    never loops, even on inconsistent rows.
    """
    by_id = {int(v["id"]): v for v in variants}
    out = []
    seen: set[int] = set()
    vid = int(variant_id)
    while vid in by_id and vid not in seen:
        seen.add(vid)
        row = by_id[vid]
        out.append(row)
        parent = row.get("parent_variant_id")
        if parent is None or (isinstance(parent, float) and np.isnan(parent)):
            break
        vid = int(parent)
    return out


__all__ = ["VariantDiff", "diff", "lineage", "COST_COLUMNS"]
