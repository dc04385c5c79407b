"""Variants of a scenario: loading and labelling them, their cost breakdown under the scenario's
current data, choosing one, manual edits saved as child variants, diffs and lineage.

A variant's stored costs are those of the data it was made for. When the data changes afterwards
(a teacher marks a period unavailable where they teach) a published timetable can break without
anyone touching it: :meth:`VariantService.standings` evaluates again every variant whose stored
problem fingerprint differs from the scenario's current one, and :meth:`VariantService.warnings`
tells the planners (and a teacher, about their own lectures) which timetable people follow now
breaks hard constraints, and where.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import constraints as K
from ..cost import evaluate, explain, resolve_weights, student_clash_list
from ..editing import EditSession
from ..errors import TimetableError
from ..history import diff
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


#: variants people follow: a change of their data that breaks them is news for the planners
FOLLOWED = ("published", "approved", "submitted")


@dataclass(frozen=True)
class Standing:
    """A variant's costs under the scenario's current data (:meth:`VariantService.standings`).

    ``changed``: the data changed since the variant was stored, so ``hard`` and ``soft`` were
    evaluated again (with the weights it was made for); ``fits``: False when its lectures or rooms
    no longer match the scenario (then there are no costs at all).
    """

    id: int
    status: str
    chosen: bool
    hard: int | None
    soft: float | None
    changed: bool
    fits: bool

    @property
    def followed(self) -> bool:
        """Published, approved, under review or chosen: a timetable people rely on."""
        return self.chosen or self.status in FOLLOWED

    def what(self) -> str:
        """``the published timetable (variant #3)`` and the like, for messages."""
        kind = {"published": "the published timetable", "approved": "the approved variant",
                "submitted": "the variant under review"}.get(self.status, "the chosen variant" if self.chosen
                                                                 else "variant")
        return f"{kind} (variant #{self.id})" if kind != "variant" else f"variant #{self.id}"


# (database, variant, fingerprint of the scenario's data) -> (hard, soft, fits): a variant's
# assignments never change, so its costs under one version of the data are computed once per process
_STANDINGS: dict[tuple[str, int, str], tuple[int | None, float | None, bool]] = {}
_STANDINGS_LOCK = threading.Lock()
_STANDINGS_MAX = 4096


def _fits(problem: Problem, tt: Timetable) -> bool:
    return len(tt.period) == problem.n_lectures and bool((tt.room < problem.n_rooms).all()) \
        and bool((tt.period < problem.n_periods).all())


class VariantService(Service):
    """The variants of the scenarios (``studio.variants``)."""

    def __init__(self, session: Session, data: DataService):
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

    def options(self, scenario: str, problem: Problem | None = None) -> dict[str, int]:
        """``{label: id}`` of a scenario's variants, newest first (for a select widget); the costs in
        the labels are those under the current data (:meth:`standings`; ``problem``: the scenario's,
        when the caller has it loaded)."""
        return {self.label(r): int(r["id"]) for r in reversed(self.current_rows(scenario, problem))}

    def current_rows(self, scenario: str, problem: Problem | None = None) -> list[dict]:
        """:meth:`list` with ``soft_cost`` and ``hard_violations`` under the current data (the stored
        ones as ``stored_soft_cost`` / ``stored_hard_violations``) and ``changed``."""
        rows = self.list(scenario)
        now = self.standings(scenario, problem, rows=rows)
        out = []
        for r in rows:
            s = now[int(r["id"])]
            out.append({**r, "stored_soft_cost": r.get("soft_cost"), "stored_hard_violations": r.get("hard_violations"),
                        "soft_cost": s.soft if s.fits else r.get("soft_cost"),
                        "hard_violations": s.hard if s.fits else r.get("hard_violations"), "changed": s.changed})
        return out

    def standings(self, scenario: str, problem: Problem | None = None, *, rows: list[dict] | None = None
                  ) -> dict[int, Standing]:
        """Every variant of the scenario with its costs under the scenario's current data.

        A variant stored for the data as it is now keeps its stored numbers; one whose stored
        problem fingerprint differs is evaluated again (:func:`tt_core.cost.evaluate`, with the
        weights it was made for), once per variant and version of the data in this process.
        """
        problem = problem if problem is not None else self.data.problem(scenario)
        rows = rows if rows is not None else self.list(scenario)
        now = problem_fingerprint(problem)
        out = {}
        for r in rows:
            vid = int(r["id"])
            changed = r.get("problem_hash") != now
            if changed:
                hard, soft, fits = self._evaluated(vid, problem, now)
            else:
                hard, soft, fits = r.get("hard_violations"), r.get("soft_cost"), True
            out[vid] = Standing(vid, r.get("status") or "draft", bool(r.get("chosen")), hard, soft, changed, fits)
        return out

    def _evaluated(self, vid: int, problem: Problem, fingerprint: str) -> tuple[int | None, float | None, bool]:
        key = (str(getattr(self.store, "path", id(self.store))), vid, fingerprint)
        with _STANDINGS_LOCK:
            hit = _STANDINGS.get(key)
        if hit is not None:
            return hit
        tt, info = self.store.variants.load(vid, check_stale=False)
        if _fits(problem, tt):
            report = evaluate(problem, tt, self.weights_of(info))
            value = (report.hard_violations, float(report.soft_cost), True)
        else:
            value = (None, None, False)
        with _STANDINGS_LOCK:
            if len(_STANDINGS) >= _STANDINGS_MAX:
                _STANDINGS.clear()
            _STANDINGS[key] = value
        return value

    def broken(self, scenario: str, problem: Problem | None = None, *, teacher: str | None = None,
               limit: int = 5) -> list[tuple[Standing, list[str]]]:
        """The followed variants (:data:`FOLLOWED`, or chosen) that break hard constraints because
        their data changed since they were stored, each with its hard violations in words (the
        first ``limit``). ``teacher``: only violations of that teacher's courses, and only the
        variants where there are some."""
        problem = problem if problem is not None else self.data.problem(scenario)
        out = []
        for s in self.standings(scenario, problem).values():
            if not (s.followed and s.changed and s.fits and s.hard):
                continue
            tt = self.store.variants.load_timetable(s.id)
            found = [v for v in explain(problem, tt) if v.hard]
            if teacher is not None:
                if teacher not in problem.teacher_names:
                    return []
                t = problem.teacher_names.index(teacher)
                mine = {problem.course_names[c] for c in np.flatnonzero(problem.course_teacher == t)}
                found = [v for v in found if v.course in mine]
                if not found:
                    continue
            out.append((s, [v.text for v in found[:limit]] + ([f"and {len(found) - limit} more"]
                                                             if len(found) > limit else [])))
        return out

    def warnings(self, scenario: str, problem: Problem | None = None, *, teacher: str | None = None) -> list[str]:
        """:meth:`broken` in words: one line per variant, for the planners (the variants and
        workflow apps) or for ``teacher`` after saving their availability."""
        lines = []
        for s, texts in self.broken(scenario, problem, teacher=teacher):
            what = s.what()
            if teacher is None:
                lines.append(f"{what[0].upper()}{what[1:]} now breaks {s.hard} hard constraint(s): its data changed "
                             f"since it was made. {'; '.join(texts)}. Move those lectures in the timetable app and "
                             "save a new variant, or generate a new one.")
            else:
                lines.append(f"{what[0].upper()}{what[1:]} has lectures of yours where you are now unavailable: "
                             f"{'; '.join(texts)}. The planners see this in the variants and workflow apps.")
        return lines

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
            fits = _fits(problem, tt)
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

    def weights_frame(self, views: list[VariantView]) -> pd.DataFrame:
        """The weight of every soft constraint each variant was optimised for (:meth:`weights_of`;
        ITC2007's when it has none): one row per soft constraint, one column ``#id`` per variant,
        and ``differs`` (True where the variants' weights are not all equal)."""
        vectors = {f"#{v.id}": resolve_weights(self.weights_of(v.info)) for v in views}
        rows = []
        for i, name in enumerate(K.NAMES):
            if K.HARD_MASK[i]:
                continue  # hard constraints are never traded against cost: no weight to show
            values = {tag: float(w[i]) for tag, w in vectors.items()}
            rows.append({"constraint": name, **values, "differs": len(set(values.values())) > 1})
        return pd.DataFrame(rows, columns=["constraint", *vectors, "differs"])

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

    def history(self, scenario: str, problem: Problem | None = None) -> pd.DataFrame:
        """The scenario's variants with their parents, newest first: id, name, parent, origin
        (job, edit or import), soft cost, hard violations (under the current data), chosen, created."""
        rows = []
        for r in reversed(self.current_rows(scenario, problem)):
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
