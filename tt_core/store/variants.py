"""Variants: stored timetables of a scenario (one assignment row per lecture) with their costs.

A variant's status changes only through the approval workflow (:mod:`tt_core.store.approvals`,
driven by :mod:`tt_core.workflow`); dated substitution overlays on a variant are
:mod:`tt_core.store.substitutions`.
"""

from __future__ import annotations

import numpy as np

from .. import constraints as K
from ..errors import TimetableError
from ..model import Problem, Timetable
from .database import Database
from .scenarios import ScenarioRepository, problem_fingerprint, scenario_id
from .sql import audit_row, bulk, fetch_rows, first_row, loads, next_ids, to_json, utcnow

#: a variant's life cycle (the approval workflow of :mod:`tt_core.workflow`; statuses before version 5
#: of the schema: draft, review, approved, published, archived — ``review`` became ``submitted``)
VARIANT_STATUSES = ("draft", "submitted", "approved", "rejected", "published", "archived")


def variant_scenario(db: Database, cur, variant_id: int) -> int:
    """The scenario id of a variant (of a scenario not deleted); a user-facing error when unknown."""
    row = first_row(cur.execute("SELECT v.scenario_id FROM variants v JOIN scenarios s ON s.id = v.scenario_id "
                      "WHERE v.id = ? AND s.deleted_at IS NULL", [int(variant_id)]))
    if row is None:
        raise TimetableError(f"no variant {variant_id} in {db.path}")
    return int(row[0])


def _course_and_room_ids(cur, sid) -> tuple[list[int], list[int], list[int]]:
    courses = cur.execute("SELECT id, lectures FROM courses WHERE scenario_id = ? ORDER BY position", [sid]).fetchall()
    rooms = [r[0] for r in cur.execute("SELECT id FROM rooms WHERE scenario_id = ? ORDER BY position",
                                       [sid]).fetchall()]
    return [c[0] for c in courses], [c[1] for c in courses], rooms


class VariantRepository:
    """The variants of the scenarios (``store.variants``)."""

    def __init__(self, db: Database, scenarios: ScenarioRepository):
        self.db = db
        self.scenarios = scenarios

    def save(self, scenario: int | str, timetable: Timetable, report=None, meta: dict | None = None, *,
                     name: str | None = None, parent: int | None = None, job_id: int | None = None,
                     status: str = "draft", partial: bool = False, problem: Problem | None = None,
                     user: str | None = None) -> int:
        """Store a timetable of a scenario as a new variant, in one transaction.

        Parameters
        ----------
        scenario : int or str
        timetable : Timetable
            Must fit the scenario (one entry per lecture, periods and rooms inside the grid).
        report : CostReport, optional
            Its ``units``, ``hard_violations``, ``soft_cost`` and ``weights`` are stored.
        meta : dict, optional
            JSON-serialisable details (strategy, seed, statistics…).
        name : str, optional
            Default ``"variant <id>"``.
        parent : int, optional
            The variant this one was derived from.
        job_id : int, optional
            The job that produced it.
        status : str
            One of :data:`VARIANT_STATUSES`.
        partial : bool
            A best-so-far timetable of a job that did not finish.
        problem : Problem, optional
            The scenario's problem, if the caller has it (saves loading it to fingerprint).

        Returns
        -------
        int
            The variant id.
        """
        if status not in VARIANT_STATUSES:
            raise TimetableError(f"variant status {status!r} is not one of {', '.join(VARIANT_STATUSES)}")
        if name is not None and (not isinstance(name, str) or not name):
            raise TimetableError(f"a variant name must be non-empty text, got {name!r}")
        if problem is None:
            problem = self.scenarios.load_problem(scenario)
        fingerprint = problem_fingerprint(problem)
        units = weights = None
        soft = hard = None
        if report is not None:
            u = np.asarray(report.units)
            units = to_json({K.NAMES[i]: int(u[i]) for i in range(len(u))}, "cost units")
            weights = to_json({K.NAMES[i]: float(w) for i, w in enumerate(np.asarray(report.weights))}, "weights")
            soft, hard = float(report.soft_cost), int(report.hard_violations)
        meta_json = to_json(meta or {}, "variant meta")
        with self.db.transaction() as cur:
            sid = scenario_id(self.db, cur, scenario)
            (vid,) = next_ids(cur, "variants", 1)
            self.insert(cur, sid, vid, timetable, fingerprint, name=name or f"variant {vid}",
                                 parent=parent, job_id=job_id, status=status, partial=partial, soft=soft, hard=hard,
                                 units=units, weights=weights, meta_json=meta_json)
            audit_row(cur, user, "save variant", f"variant {vid}",
                      {"scenario_id": sid, "name": name or f"variant {vid}"})
        return vid

    def insert(self, cur, sid, vid, timetable, fingerprint, *, name, parent, job_id, status, partial,
                        soft, hard, units, weights, meta_json) -> None:
        import pandas as pd  # loads on first use: `tt jobs …` reads the store without it

        course_ids, lectures, room_ids = _course_and_room_ids(cur, sid)
        n_lectures = int(sum(lectures))
        period = np.asarray(timetable.period, np.int64)
        room = np.asarray(timetable.room, np.int64)
        if len(period) != n_lectures:
            raise TimetableError(f"the timetable has {len(period)} lectures but the scenario has {n_lectures}; "
                                 "it belongs to another scenario or an older version of this one")
        P = first_row(cur.execute("SELECT days * periods_per_day FROM scenarios WHERE id = ?", [sid]))[0]
        bad = np.flatnonzero((period >= P) | (period < -1) | (room >= len(room_ids)) | (room < -1))
        if len(bad):
            l = int(bad[0])
            raise TimetableError(f"lecture {l} has period {period[l]} / room {room[l]}, outside the scenario "
                                 f"({P} periods, {len(room_ids)} rooms)")
        if parent is not None and first_row(cur.execute("SELECT 1 FROM variants WHERE id = ? AND scenario_id = ?",
                                              [int(parent), sid])) is None:
            raise TimetableError(f"parent variant {parent} is not a variant of this scenario")
        now = utcnow()
        cur.execute("INSERT INTO variants (id, scenario_id, name, parent_variant_id, job_id, status, partial, "
                    "soft_cost, hard_violations, units, weights, problem_hash, n_lectures, meta, created_at, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [vid, sid, name, parent, job_id, status, bool(partial), soft, hard, units, weights, fingerprint,
                     n_lectures, meta_json, now, now])
        lecture_course = np.repeat(np.asarray(course_ids, np.int64), lectures) if n_lectures else np.zeros(0, np.int64)
        rid = np.asarray(room_ids, np.int64)
        bulk(cur, "assignments", {
            "variant_id": np.full(n_lectures, vid, np.int64), "lecture": np.arange(n_lectures),
            "course_id": lecture_course,
            "period": pd.array([None if p < 0 else int(p) for p in period], dtype="Int32"),
            "room_id": pd.array([None if r < 0 else int(rid[r]) for r in room], dtype="Int64")})

    def load(self, variant_id: int, *, check_stale: bool = True) -> tuple[Timetable, dict]:
        """A stored variant: its timetable and its row as a dict.

        The dict has ``id, scenario_id, scenario, name, parent_variant_id, job_id, status, chosen,
        partial, soft_cost, hard_violations, units, weights, meta, created_at, updated_at`` and
        ``stale``: True when the scenario's data changed since (the timetable may not fit any more).
        """
        with self.db.reading() as cur:
            rows = fetch_rows(cur, "SELECT v.*, s.name AS scenario FROM variants v JOIN scenarios s ON "
                                   "s.id = v.scenario_id WHERE v.id = ? AND s.deleted_at IS NULL", [int(variant_id)])
            if not rows:
                raise TimetableError(f"no variant {variant_id} in {self.db.path}")
            info = rows[0]
            data = cur.execute("SELECT a.lecture, a.period, a.room_id, r.position FROM assignments a LEFT JOIN rooms r "
                               "ON r.id = a.room_id WHERE a.variant_id = ? ORDER BY a.lecture",
                               [int(variant_id)]).fetchall()
        n = info["n_lectures"]
        period = np.full(n, -1, np.int32)
        room = np.full(n, -1, np.int32)
        lost_rooms = 0
        for lecture, p, room_id, pos in data:
            if p is not None:
                period[lecture] = p
            if room_id is not None:
                if pos is None:
                    lost_rooms += 1
                else:
                    room[lecture] = pos
        for k in ("units", "weights", "meta"):
            info[k] = loads(info[k])
        stale = bool(lost_rooms)
        if check_stale and not stale:
            stale = problem_fingerprint(self.scenarios.load_problem(info["scenario_id"])) != info["problem_hash"]
        info["stale"] = stale
        return Timetable(period, room), info

    def load_timetable(self, variant_id: int) -> Timetable:
        """Only the timetable of a variant (raises TimetableError when unknown)."""
        return self.load(variant_id, check_stale=False)[0]

    def list(self, scenario: int | str, *, include_partial: bool = True) -> list[dict]:
        """The variants of a scenario, oldest first, without their assignments (``problem_hash``: the
        fingerprint of the data they were stored for, :func:`problem_fingerprint`)."""
        with self.db.reading() as cur:
            sid = scenario_id(self.db, cur, scenario)
            rows = fetch_rows(cur, "SELECT id, name, parent_variant_id, job_id, status, chosen, partial, soft_cost, "
                                   "hard_violations, units, n_lectures, review_round, problem_hash, created_at, "
                                   "updated_at FROM variants "
                                   "WHERE scenario_id = ? AND (? OR NOT partial) ORDER BY id", [sid, include_partial])
        for r in rows:
            r["units"] = loads(r["units"])
        return rows

    def update(self, variant_id: int, *, name: str | None = None, status: str | None = None,
                       meta: dict | None = None, user: str | None = None) -> None:
        """Rename a variant or change its meta.

        Its status changes only through the approval workflow (:mod:`tt_core.workflow`, which calls
        :meth:`change_variant_status`): a status given here is refused, so no caller can publish a
        variant that nobody approved.
        """
        sets, params = [], []
        if name is not None:
            if not isinstance(name, str) or not name:
                raise TimetableError(f"a variant name must be non-empty text, got {name!r}")
            sets.append("name = ?")
            params.append(name)
        if status is not None:
            if status not in VARIANT_STATUSES:
                raise TimetableError(f"variant status {status!r} is not one of {', '.join(VARIANT_STATUSES)}")
            raise TimetableError(f"variant {variant_id}: the status changes only through the approval workflow "
                                 "(submit, approve or reject, publish); use `tt workflow` or the variants app")
        if meta is not None:
            sets.append("meta = ?")
            params.append(to_json(meta, "variant meta"))
        if not sets:
            return
        with self.db.transaction() as cur:
            variant_scenario(self.db, cur, variant_id)
            cur.execute(f"UPDATE variants SET {', '.join(sets)}, updated_at = ? WHERE id = ?",
                        params + [utcnow(), int(variant_id)])
            audit_row(cur, user, "update variant", f"variant {variant_id}", {"name": name, "status": status})

    def choose(self, variant_id: int, *, user: str | None = None) -> None:
        """Mark a variant as *the* chosen one of its scenario (the others lose the flag)."""
        with self.db.transaction() as cur:
            sid = variant_scenario(self.db, cur, variant_id)
            cur.execute("UPDATE variants SET chosen = (id = ?) WHERE scenario_id = ? AND (chosen OR id = ?)",
                        [int(variant_id), sid, int(variant_id)])
            audit_row(cur, user, "choose variant", f"variant {variant_id}", {"scenario_id": sid})

    def delete(self, variant_id: int, *, user: str | None = None) -> None:
        """Delete a variant, its assignments, approvals and substitutions; variants derived from it
        keep no parent. A variant under review, approved or published is kept (archive it first), so
        the timetable people follow cannot vanish."""
        with self.db.transaction() as cur:
            variant_scenario(self.db, cur, variant_id)
            status = first_row(cur.execute("SELECT status FROM variants WHERE id = ?", [int(variant_id)]))[0]
            if status in ("submitted", "approved", "published"):
                raise TimetableError(f"variant {variant_id} is {status}; archive it before deleting it "
                                     f"(`tt workflow archive {variant_id}`)")
            cur.execute("DELETE FROM variant_approvals WHERE variant_id = ?", [int(variant_id)])
            cur.execute("DELETE FROM substitutions WHERE variant_id = ?", [int(variant_id)])
            cur.execute("DELETE FROM assignments WHERE variant_id = ?", [int(variant_id)])
            cur.execute("UPDATE variants SET parent_variant_id = NULL WHERE parent_variant_id = ?", [int(variant_id)])
            cur.execute("UPDATE jobs SET variant_id = NULL WHERE variant_id = ?", [int(variant_id)])
            cur.execute("DELETE FROM variants WHERE id = ?", [int(variant_id)])
            audit_row(cur, user, "delete variant", f"variant {variant_id}")
