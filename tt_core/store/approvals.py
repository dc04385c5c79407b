"""The approval workflow's records: a variant's review state, department decisions, status changes.

The rules (who may submit, approve, reject, publish) are :mod:`tt_core.workflow`; this module
only reads a consistent snapshot and writes one step, checking the snapshot still holds.
"""

from __future__ import annotations

import duckdb

from ..errors import TimetableError
from .database import Database
from .scenarios import scenario_id
from .sql import audit_row, fetch_rows, first_row, translate, utcnow
from .variants import VARIANT_STATUSES, variant_scenario


class ApprovalRepository:
    """Workflow state of the variants (``store.approvals``)."""

    def __init__(self, db: Database):
        self.db = db

    def review(self, variant_id: int) -> dict:
        """A variant's workflow state, read in one snapshot (the rules are in :mod:`tt_core.workflow`).

        Returns
        -------
        dict
            ``id, scenario_id, scenario, name, status, review_round, partial, hard_violations,
            problem_hash``; ``departments``: the names of the departments with at least one lecture
            in the variant (in department order); ``undepartmented``: lectures of courses without a
            department; ``decisions``: this round's decisions (``department, decision, user_name,
            reason, decided_at``); ``published``: the id of the scenario's published variant or None.
        """
        with self.db.reading() as cur:
            rows = fetch_rows(cur, "SELECT v.id, v.scenario_id, s.name AS scenario, v.name, v.status, v.review_round, "
                                   "v.partial, v.hard_violations, v.problem_hash FROM variants v JOIN scenarios s "
                                   "ON s.id = v.scenario_id WHERE v.id = ? AND s.deleted_at IS NULL", [int(variant_id)])
            if not rows:
                raise TimetableError(f"no variant {variant_id} in {self.db.path}")
            info = rows[0]
            info["departments"] = [r[0] for r in cur.execute(
                "SELECT d.name FROM assignments a JOIN courses c ON c.id = a.course_id JOIN departments d "
                "ON d.id = c.department_id WHERE a.variant_id = ? GROUP BY d.name ORDER BY min(d.position)",
                [int(variant_id)]).fetchall()]
            info["undepartmented"] = int(first_row(cur.execute(
                "SELECT count(*) FROM assignments a JOIN courses c ON c.id = a.course_id "
                "WHERE a.variant_id = ? AND c.department_id IS NULL", [int(variant_id)]))[0])
            info["decisions"] = fetch_rows(cur, "SELECT department, decision, user_name, reason, decided_at "
                                                "FROM variant_approvals WHERE variant_id = ? AND review_round = ? "
                                                "ORDER BY id", [int(variant_id), info["review_round"]])
            row = first_row(cur.execute("SELECT id FROM variants WHERE scenario_id = ? AND status = 'published' "
                                     "ORDER BY id DESC LIMIT 1", [info["scenario_id"]]))
            info["published"] = None if row is None else int(row[0])
        return info

    def decisions(self, variant_id: int) -> list[dict]:
        """Every department decision on a variant, all review rounds, oldest first."""
        return self.db.query("SELECT review_round, department, decision, user_name, reason, decided_at "
                           "FROM variant_approvals WHERE variant_id = ? ORDER BY id", [int(variant_id)])

    def published(self, scenario: int | str) -> int | None:
        """The id of the scenario's published variant, or None."""
        with self.db.reading() as cur:
            sid = scenario_id(self.db, cur, scenario)
            row = first_row(cur.execute("SELECT id FROM variants WHERE scenario_id = ? AND status = 'published' "
                                     "ORDER BY id DESC LIMIT 1", [sid]))
        return None if row is None else int(row[0])

    def change_status(self, variant_id: int, status: str, *, action: str, expect_status: str,
                      expect_round: int, expect_decisions: int, review_round: int | None = None,
                      decision: dict | None = None, user: str | None = None,
                      detail: dict | None = None) -> list[int]:
        """Record one workflow step in one transaction (called by :mod:`tt_core.workflow`).

        The caller decided the step from a :meth:`variant_review` snapshot; the step is written only
        if that snapshot still holds (status, round and number of decisions unchanged), so two heads
        approving at the same moment cannot both miss that the other's approval completed the set.

        Parameters
        ----------
        variant_id : int
        status : str
            The status after the step (may equal ``expect_status``: a department approved, others
            have not yet).
        action : str
            The audit log's action, e.g. ``"approve variant"``.
        expect_status, expect_round, expect_decisions
            The snapshot the step was decided from.
        review_round : int, optional
            The new review round (a submission starts one).
        decision : dict, optional
            ``{"department", "decision" ("approved"/"rejected"), "reason"}`` recorded for
            ``expect_round``.
        user : str, optional
        detail : dict, optional
            More for the audit entry.

        Returns
        -------
        list of int
            The variants archived because this one was published (at most one published per scenario).
        """
        if status not in VARIANT_STATUSES:
            raise TimetableError(f"variant status {status!r} is not one of {', '.join(VARIANT_STATUSES)}")
        archived: list[int] = []
        with self.db.transaction() as cur:
            sid = variant_scenario(self.db, cur, variant_id)
            now_status, now_round = first_row(cur.execute("SELECT status, review_round FROM variants WHERE id = ?",
                                                       [int(variant_id)]))
            n = first_row(cur.execute("SELECT count(*) FROM variant_approvals WHERE variant_id = ? "
                                      "AND review_round = ?", [int(variant_id), now_round]))[0]
            if (now_status, now_round, n) != (expect_status, expect_round, expect_decisions):
                raise TimetableError(f"variant {variant_id} changed while you were looking at it (it is now "
                                     f"{now_status}, review round {now_round}, {n} decision(s)); reload and try again")
            if decision is not None:
                try:
                    cur.execute("INSERT INTO variant_approvals (review_round, variant_id, department, decision, "
                                "user_name, reason, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                [int(expect_round), int(variant_id), decision["department"], decision["decision"],
                                 user, decision.get("reason") or "", utcnow()])
                except duckdb.ConstraintException as exc:
                    raise translate(exc, f"the decision on variant {variant_id}") from None
            if status == "published":
                archived = [int(r[0]) for r in cur.execute(
                    "SELECT id FROM variants WHERE scenario_id = ? AND status = 'published' AND id <> ? ORDER BY id",
                    [sid, int(variant_id)]).fetchall()]
                for old in archived:
                    cur.execute("UPDATE variants SET status = 'archived', updated_at = ? WHERE id = ?", [utcnow(), old])
                    audit_row(cur, user, "archive variant", f"variant {old}",
                              {"from": "published", "to": "archived",
                               "because": f"variant {variant_id} was published"})
            new_round = now_round if review_round is None else int(review_round)
            cur.execute("UPDATE variants SET status = ?, review_round = ?, updated_at = ? WHERE id = ?",
                        [status, new_round, utcnow(), int(variant_id)])
            audit_row(cur, user, action, f"variant {variant_id}",
                        {"scenario_id": sid, "from": now_status, "to": status, "round": new_round,
                         **(decision or {}), **(detail or {})})
        return archived
