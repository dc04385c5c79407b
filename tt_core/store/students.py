"""Students and their enrolments (the general form of curricula: two courses sharing a student may
not overlap; see :mod:`tt_core.sectioning` for sections)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..errors import TimetableError
from .database import Database
from .scenarios import scenario_id
from .sql import audit_row, bulk

if TYPE_CHECKING:
    import pandas as pd


class StudentRepository:
    """The students of a scenario's (``store.students``)."""

    def __init__(self, db: Database):
        self.db = db

    def list(self, scenario: int | str) -> pd.DataFrame:
        """The scenario's students: ``name, programme, year, department, courses`` (enrolled), in order."""
        with self.db.reading() as cur:
            sid = scenario_id(self.db, cur, scenario)
        return self.db.frame(
            "SELECT s.name, s.programme, s.year, s.department, count(e.course_id) AS courses FROM students s "
            "LEFT JOIN enrolments e ON e.student_id = s.id WHERE s.scenario_id = ? "
            "GROUP BY s.id, s.name, s.programme, s.year, s.department, s.position ORDER BY s.position", [sid])

    def enrolments(self, scenario: int | str) -> pd.DataFrame:
        """The scenario's enrolments, one row per student and course: ``student, course`` (names),
        in student order, then course order."""
        with self.db.reading() as cur:
            sid = scenario_id(self.db, cur, scenario)
        return self.db.frame(
            "SELECT s.name AS student, c.name AS course FROM enrolments e JOIN students s ON s.id = e.student_id "
            "JOIN courses c ON c.id = e.course_id WHERE e.scenario_id = ? ORDER BY s.position, c.position", [sid])

    def replace_enrolments(self, scenario: int | str, enrolments: Sequence[tuple[str, Sequence[str]]], *,
                           user: str | None = None, reason: str = "") -> int:
        """Replace every enrolment of the scenario's students by ``(student, courses)`` (names), in one
        transaction (e.g. students moved between sections after solving). Returns the enrolments written.

        Raises
        ------
        TimetableError
            An unknown student or course: nothing is changed then.
        """
        with self.db.transaction() as cur:
            sid = scenario_id(self.db, cur, scenario)
            st = dict(cur.execute("SELECT name, id FROM students WHERE scenario_id = ?", [sid]).fetchall())
            co = dict(cur.execute("SELECT name, id FROM courses WHERE scenario_id = ?", [sid]).fetchall())
            s_ids, c_ids = [], []
            for name, courses in enrolments:
                if name not in st:
                    raise TimetableError(f"unknown student {name!r} in scenario {scenario!r}")
                for c in dict.fromkeys(courses):
                    if c not in co:
                        raise TimetableError(f"student {name}: unknown course {c!r} in scenario {scenario!r}")
                    s_ids.append(st[name])
                    c_ids.append(co[c])
            cur.execute("DELETE FROM enrolments WHERE scenario_id = ? AND student_id IN (SELECT unnest(?))",
                        [sid, sorted(st[n] for n, _ in enrolments)])
            bulk(cur, "enrolments", {"scenario_id": [sid] * len(s_ids), "student_id": s_ids, "course_id": c_ids})
            audit_row(cur, user, "replace enrolments", f"scenario {sid}",
                        {"students": len(enrolments), "enrolments": len(s_ids), "reason": reason})
        return len(s_ids)
