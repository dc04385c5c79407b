"""Substitution overlays: dated changes on a published variant (a teacher absent, a substitute taking a
lecture) that never change its assignments; see :mod:`tt_core.substitution` for the proposals."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import TimetableError
from .database import Database
from .scenarios import scenario_id
from .sql import audit_row, fetch_rows, first_row, next_ids, utcnow
from .tables import resolve
from .variants import variant_scenario


class SubstitutionRepository:
    """The substitutions of the scenarios (``store.substitutions``)."""

    def __init__(self, db: Database):
        self.db = db

    def list(self, scenario: int | str, *, variant_id: int | None = None, active_only: bool = True,
                      date_from=None, date_to=None) -> list[dict]:
        """Substitution overlays of a scenario, by date and lecture.

        Each dict: ``id, variant_id, on_date, lecture, course, absent_teacher, substitute,
        replaces_id, note, created_by, created_at, rolled_back_at, rolled_back_by`` (teachers and
        course by name). ``lecture`` None: the absent teacher is away that whole day (an absence
        without a lecture of its own); ``substitute`` None: the lecture is not covered.
        ``active_only`` leaves out rolled-back rows; ``date_from``/``date_to`` bound ``on_date``
        (inclusive).
        """
        with self.db.reading() as cur:
            sid = scenario_id(self.db, cur, scenario)
            return fetch_rows(cur, """
                SELECT s.id, s.variant_id, s.on_date, s.lecture, c.name AS course, ta.name AS absent_teacher,
                       ts.name AS substitute, s.replaces_id, s.note, s.created_by, s.created_at, s.rolled_back_at,
                       s.rolled_back_by
                FROM substitutions s LEFT JOIN courses c ON c.id = s.course_id
                LEFT JOIN teachers ta ON ta.id = s.absent_teacher_id
                LEFT JOIN teachers ts ON ts.id = s.substitute_teacher_id
                WHERE s.scenario_id = ? AND (?::INTEGER IS NULL OR s.variant_id = ?)
                  AND (NOT ? OR s.rolled_back_at IS NULL)
                  AND (?::DATE IS NULL OR s.on_date >= ?) AND (?::DATE IS NULL OR s.on_date <= ?)
                ORDER BY s.on_date, s.lecture NULLS FIRST, s.id""",
                [sid, variant_id, variant_id, bool(active_only), date_from, date_from, date_to, date_to])

    def add(self, scenario: int | str, variant_id: int, items: Sequence[dict], *,
                          expect_active: Sequence[int], user: str | None = None) -> list[int]:
        """Store substitution overlays in one transaction; the variant's assignments are not touched.

        Parameters
        ----------
        scenario : int or str
        variant_id : int
            The timetable the overlays apply to.
        items : sequence of dict
            ``{"on_date": date, "lecture": int or None, "absent": teacher name, "substitute":
            teacher name or None, "note": str, "replaces": id or None}``. With a lecture, ``absent``
            is the teacher of its course and ``substitute`` takes it (None: it stays uncovered);
            without one, ``absent`` is away that day. ``replaces`` names the lecture's active
            substitution on that date, rolled back here (its substitute is absent too, or it was
            uncovered); rolling the new one back brings it back.
        expect_active : sequence of int
            The ids of the variant's active substitutions on those dates when the caller checked
            that the substitutes are free (:mod:`tt_core.substitution`); if they changed since, the
            check is stale and nothing is written.
        user : str, optional

        Returns
        -------
        list of int
            The new substitutions' ids.
        """
        if not items:
            return []
        dates = sorted({it["on_date"] for it in items})
        with self.db.transaction() as cur:
            sid = scenario_id(self.db, cur, scenario)
            if variant_scenario(self.db, cur, variant_id) != sid:
                raise TimetableError(f"variant {variant_id} is not a variant of scenario {scenario!r}")
            active = sorted(int(r[0]) for r in cur.execute(
                "SELECT id FROM substitutions WHERE variant_id = ? AND rolled_back_at IS NULL "
                "AND list_contains(?::DATE[], on_date)", [int(variant_id), dates]).fetchall())
            if active != sorted(int(i) for i in expect_active):
                raise TimetableError("the substitutions on those dates changed while you were looking at the "
                                     "proposals; propose again")
            ids = []
            for it in items:
                absent = resolve(cur, sid, "teachers", it["absent"], what="absent teacher")
                sub = None if it.get("substitute") is None else \
                    resolve(cur, sid, "teachers", it["substitute"], what="substitute")
                lecture = None if it.get("lecture") is None else int(it["lecture"])
                course_id = course = None
                replaces = None if it.get("replaces") is None else int(it["replaces"])
                if lecture is None:
                    if sub is not None or replaces is not None:
                        raise TimetableError("a substitute takes a lecture: give the lecture")
                    if first_row(cur.execute("SELECT id FROM substitutions WHERE variant_id = ? AND on_date = ? AND "
                                          "lecture IS NULL AND absent_teacher_id = ? AND rolled_back_at IS NULL",
                                          [int(variant_id), it["on_date"], absent])) is not None:
                        raise TimetableError(f"{it['absent']!r} is already recorded absent on {it['on_date']}")
                else:
                    row = first_row(cur.execute("SELECT a.course_id, c.teacher_id, c.name FROM assignments a JOIN "
                                             "courses c ON c.id = a.course_id WHERE a.variant_id = ? AND a.lecture = ?",
                                             [int(variant_id), lecture]))
                    if row is None:
                        raise TimetableError(f"variant {variant_id} has no lecture {lecture}")
                    course_id, teacher_id, course = row
                    if absent != teacher_id:
                        raise TimetableError(f"lecture {lecture} ({course}) is not taught by {it['absent']!r}")
                    if sub == absent:
                        raise TimetableError(f"{it['absent']!r} cannot substitute for themself")
                    taken = first_row(cur.execute("SELECT id FROM substitutions WHERE variant_id = ? "
                                                  "AND on_date = ? AND lecture = ? AND rolled_back_at IS NULL",
                                                  [int(variant_id), it["on_date"], lecture]))
                    if taken is not None and replaces == taken[0]:
                        cur.execute("UPDATE substitutions SET rolled_back_at = ?, rolled_back_by = ? WHERE id = ?",
                                    [utcnow(), user, taken[0]])
                        audit_row(cur, user, "roll back substitution", f"substitution {taken[0]}", {"replaced": True})
                    elif replaces is not None:
                        raise TimetableError(f"substitution {replaces} is not the active substitution of lecture "
                                             f"{lecture} on {it['on_date']}; propose again")
                    elif taken is not None:
                        raise TimetableError(f"lecture {lecture} ({course}) on {it['on_date']} already has a "
                                             f"substitution ({taken[0]}); roll that back first")
                (new_id,) = next_ids(cur, "substitutions", 1)
                cur.execute("INSERT INTO substitutions (id, scenario_id, variant_id, on_date, lecture, course_id, "
                            "absent_teacher_id, substitute_teacher_id, replaces_id, note, created_by, created_at) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [new_id, sid, int(variant_id), it["on_date"], lecture, course_id, absent, sub, replaces,
                             it.get("note") or "", user, utcnow()])
                action = "substitute" if sub is not None else ("record absence" if lecture is None else
                                                              "leave lecture uncovered")
                audit_row(cur, user, action, f"substitution {new_id}",
                            {"variant_id": int(variant_id), "date": str(it["on_date"]), "lecture": lecture,
                             "course": course, "absent": it["absent"], "substitute": it.get("substitute"),
                             "replaces": replaces})
                ids.append(int(new_id))
        return ids

    def rollback(self, ids: Sequence[int], *, user: str | None = None) -> None:
        """Roll back active substitutions (all or none): they stay in the history, marked rolled
        back; a substitution that replaced another brings that one back."""
        ids = [int(i) for i in ids]
        with self.db.transaction() as cur:
            for i in ids:
                row = first_row(cur.execute("SELECT s.rolled_back_at, s.replaces_id FROM substitutions s "
                                            "JOIN scenarios c ON c.id = s.scenario_id "
                                            "WHERE s.id = ? AND c.deleted_at IS NULL", [i]))
                if row is None:
                    raise TimetableError(f"no substitution {i} in {self.db.path}")
                if row[0] is not None:
                    raise TimetableError(f"substitution {i} was already rolled back ({row[0]:%Y-%m-%d %H:%M})")
                cur.execute("UPDATE substitutions SET rolled_back_at = ?, rolled_back_by = ? WHERE id = ?",
                            [utcnow(), user, i])
                audit_row(cur, user, "roll back substitution", f"substitution {i}")
                if row[1] is not None:  # the one it replaced is active again (what was shown before)
                    cur.execute("UPDATE substitutions SET rolled_back_at = NULL, rolled_back_by = NULL WHERE id = ?",
                                [row[1]])
                    audit_row(cur, user, "restore substitution", f"substitution {row[1]}", {"because": i})
