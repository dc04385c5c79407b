"""Variants of a scenario: loading and labelling them, their cost breakdown, choosing one, manual
edits saved as child variants, diffs and lineage."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dataclasses import dataclass

import pandas as pd

from ..cost import evaluate
from ..cost import student_clash_list
from ..editing import EditSession
from ..history import diff
from .. import constraints as K
from ..errors import TimetableError
from ..model import Problem, Timetable
from ..store import problem_fingerprint
from .session import Service, Session

if TYPE_CHECKING:
    from .data import DataService


# ----------------------------------------------------------------------------- the facade
@dataclass
class VariantView:
    """One loaded variant: its timetable, its stored row and whether it still fits the scenario."""

    id: int
    label: str
    timetable: Timetable
    info: dict
    fits: bool

class VariantService(Service):
    """The variants of the scenarios (``studio.variants``)."""

    def __init__(self, session: Session, data: "DataService"):
        super().__init__(session)
        self.data = data

    def list(self, scenario: str) -> list[dict]:
        return self.store.variants.list(scenario)

    @staticmethod
    def label(row: dict) -> str:
        cost = row.get("soft_cost")
        bits = [f"#{row['id']} {row['name']}"]
        if cost is not None:
            bits.append(f"cost {cost:g}")
        if row.get("hard_violations"):
            bits.append(f"{row['hard_violations']} hard")
        if row.get("chosen"):
            bits.append("chosen")
        if row.get("status") not in (None, "draft"):
            bits.append(row["status"])
        return " · ".join(bits)

    def options(self, scenario: str) -> dict[str, int]:
        """``{label: id}`` of a scenario's variants, newest first (for a select widget)."""
        return {self.label(r): int(r["id"]) for r in reversed(self.list(scenario))}

    def load(self, problem: Problem, ids) -> list[VariantView]:
        """Load variants; ``fits`` is False when the scenario's lectures changed since."""
        out = []
        fingerprint = None
        for vid in ids:
            # stale against the problem given (the store would load the scenario again to tell)
            tt, info = self.store.variants.load(int(vid), check_stale=False)
            if not info["stale"]:
                fingerprint = fingerprint or problem_fingerprint(problem)
                info["stale"] = fingerprint != info["problem_hash"]
            fits = len(tt.period) == problem.n_lectures and bool((tt.room < problem.n_rooms).all()) \
                and bool((tt.period < problem.n_periods).all())
            out.append(VariantView(int(vid), self.label(info), tt, info, fits))
        return out

    @staticmethod
    def weights_of(info: dict):
        """The weights a variant was optimised for: stored ones, else its job's, else ITC."""
        if info.get("weights"):
            return info["weights"]
        params = (info.get("meta") or {}).get("params") or {}
        return params.get("weights")

    def metrics_frame(self, problem: Problem, views: list[VariantView]) -> pd.DataFrame:
        """Cost breakdown per constraint (rows) and variant (columns ``units``/``cost``).

        Every variant is evaluated again with :func:`tt_core.cost.evaluate` under the weights it
        was optimised for, so the table is exact even for variants stored without units.
        """

        rows = {n: {"constraint": n, "hard": K.HARD_MASK[i]} for i, n in enumerate(K.NAMES)}
        totals = {"soft cost": {"constraint": "soft cost", "hard": False},
                  "hard violations": {"constraint": "hard violations", "hard": True}}
        for v in views:
            tag = f"#{v.id}"
            if not v.fits:
                for r in list(rows.values()) + list(totals.values()):
                    r[f"{tag} units"] = None
                    r[f"{tag} cost"] = None
                continue
            report = evaluate(problem, v.timetable, self.weights_of(v.info))
            for name, (units, cost) in report.by_constraint().items():
                rows[name][f"{tag} units"] = units
                rows[name][f"{tag} cost"] = cost
            totals["soft cost"][f"{tag} units"] = None
            totals["soft cost"][f"{tag} cost"] = float(report.soft_cost)
            totals["hard violations"][f"{tag} units"] = report.hard_violations
            totals["hard violations"][f"{tag} cost"] = None
        df = pd.DataFrame(list(rows.values()) + list(totals.values()))
        for col in df.columns:
            if col.endswith(" units"):
                df[col] = df[col].astype("Int64")
        return df

    def choose(self, variant_id: int, user: str | None = None) -> None:
        user = self.require("choose_variant", user)
        self.store.variants.choose(int(variant_id), user=user)

    def edit_session(self, scenario: str, variant_id: int):
        """An :class:`~tt_core.editing.EditSession` on a stored variant, with the weights it was
        optimised for; saving it (:meth:`save_edited`) makes a child variant."""

        problem = self.data.problem(scenario)
        (v,) = self.load(problem, [variant_id])
        if not v.fits:
            raise TimetableError(f"variant #{variant_id} no longer fits scenario {scenario!r} (its data changed "
                                 "since); generate a new variant to edit")
        return EditSession(problem, v.timetable, self.weights_of(v.info), source=int(variant_id))

    def save_edited(self, scenario: str, session, name: str | None = None, user: str | None = None) -> int:
        """Store an edit session's timetable as a new variant whose parent is the edited one.

        The costs are evaluated again from scratch (the stored numbers never rest on the
        incremental state alone). Returns the new variant's id.
        """

        user = self.require("choose_variant", user)
        if not session.edited:
            raise TimetableError("nothing was changed: move a lecture before saving a new variant")
        report = evaluate(session.problem, session.timetable, session.weights)
        name = (name or "").strip() or (f"edit of #{session.source}" if session.source is not None else None)
        meta = {"edited_from": session.source, "moved_lectures": int(len(session.moved())),
                "edits": [e.text for e in session.history]}
        return self.store.variants.save(scenario, session.timetable, report, meta, name=name, parent=session.source,
                                       problem=session.problem, user=user)

    def diff(self, scenario: str, a: int, b: int, weights=None):
        """What changed from variant ``a`` to variant ``b`` (:func:`tt_core.history.diff`).

        Both costs are counted with ``weights``, by default the weights ``b`` was made with (else
        ``a``'s, else ITC2007), so the change is the timetable's and not the weights'.
        """
        problem = self.data.problem(scenario)
        va, vb = self.load(problem, [a, b])
        for v in (va, vb):
            if v.info.get("scenario") != scenario:
                raise TimetableError(f"variant #{v.id} belongs to scenario {v.info.get('scenario')!r}, "
                                     f"not {scenario!r}")
        return self.diff_views(problem, va, vb, weights, teacher_labels=self.data.teacher_labels(scenario, problem))

    def diff_views(self, problem: Problem, va: VariantView, vb: VariantView, weights=None,
                   teacher_labels: dict[str, str] | None = None):
        """:meth:`diff` of two variants already loaded (:meth:`load_variants`)."""

        for v in (va, vb):
            if not v.fits:
                raise TimetableError(f"variant #{v.id} no longer fits scenario {problem.name!r} (its data "
                                     "changed since)")
        if weights is None:
            weights = self.weights_of(vb.info) or self.weights_of(va.info)
        return diff(problem, va.timetable, vb.timetable, weights, a_label=f"#{va.id}", b_label=f"#{vb.id}",
                    teacher_labels=teacher_labels)

    def history(self, scenario: str) -> pd.DataFrame:
        """The scenario's variants with their parents, newest first: id, name, parent, origin
        (job, edit or import), soft cost, hard violations, chosen, created."""
        rows = []
        for r in reversed(self.list(scenario)):
            parent = r.get("parent_variant_id")
            origin = (f"job {r['job_id']}" if r.get("job_id") is not None
                      else "edit" if parent is not None else "saved")
            rows.append({"id": int(r["id"]), "name": r["name"],
                         "parent": None if parent is None else int(parent), "origin": origin,
                         "soft cost": r.get("soft_cost"), "hard": r.get("hard_violations"),
                         "chosen": bool(r.get("chosen")),
                         "created": r["created_at"].strftime("%Y-%m-%d %H:%M") if r.get("created_at") else ""})
        df = pd.DataFrame(rows, columns=["id", "name", "parent", "origin", "soft cost", "hard", "chosen", "created"])
        df["parent"] = df["parent"].astype("Int64")
        return df

    def student_clashes(self, scenario: str, variant_id: int) -> pd.DataFrame:
        """Every clash of a variant per student: ``student, period, courses`` (empty when none)."""

        problem = self.data.problem(scenario)
        (v,) = self.load(problem, [variant_id])
        if not v.fits:
            raise TimetableError(f"variant #{variant_id} no longer fits scenario {scenario!r} (its data changed "
                                 "since); generate a new variant")
        return pd.DataFrame(student_clash_list(problem, v.timetable), columns=["student", "period", "courses"])
