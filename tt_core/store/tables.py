"""Editing single rows of a scenario's tables: the catalogue of editable tables and generic
read / create / update / delete with validation, references by name and audit entries.

Every write is one transaction with one audit entry; a refused value raises
:class:`~tt_core.errors.ValidationError` listing every problem, and nothing is written.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np

from .. import constraints as K
from ..auth import ROLES
from ..errors import TimetableError, ValidationError
from ..model import CATEGORIES
from .database import Database
from .scenarios import scenario_id, scenario_row
from .schema import SEQUENCES
from .sql import audit_row, first_row, ident, loads, next_ids, translate, utcnow

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class _Ref:
    """A column given by name in the API and stored as the id of a row of another entity."""

    column: str      # API name, e.g. "teacher"
    id_column: str   # stored column, e.g. "teacher_id"
    entity: str      # referenced entity (a named one)
    required: bool = True


@dataclass(frozen=True)
class _Entity:
    """How the generic create/read/update/delete functions treat one table."""

    table: str
    key: tuple[str, ...]                     # API key columns (refs by name, or plain columns)
    columns: tuple[str, ...] = ()            # other writable plain columns
    refs: tuple[_Ref, ...] = ()
    scoped: bool = True                      # has scenario_id
    named: bool = False                      # a name unique in its scenario, checked by the repository
    ordered: bool = False                    # has a position column (load order)
    children: tuple[tuple[str, str], ...] = ()              # (table, column) deleted with a row
    blockers: tuple[tuple[str, str, str], ...] = ()          # (table, column, what) forbidding a delete
    period_column: str | None = None         # a period id checked against the scenario's grid
    creatable: bool = True
    select: str = ""                         # SELECT of the read view, ``?`` = scenario id


_ENTITY_LIST = (
    _Entity("departments", ("name",), ("code",), named=True, ordered=True,
            blockers=(("courses", "department_id", "course"),),
            select="SELECT id, name, code, position FROM departments WHERE scenario_id = ? ORDER BY position"),
    _Entity("buildings", ("name",), ("code",), named=True, ordered=True,
            blockers=(("rooms", "building_id", "room"),),
            select="SELECT id, name, code, position FROM buildings WHERE scenario_id = ? ORDER BY position"),
    _Entity("teachers", ("name",), ("full_name", "max_per_day"), named=True, ordered=True,
            children=(("teacher_unavailability", "teacher_id"), ("teacher_preferences", "teacher_id")),
            blockers=(("courses", "teacher_id", "course"),),
            select="SELECT id, name, full_name, max_per_day, position FROM teachers WHERE scenario_id = ? "
                   "ORDER BY position"),
    _Entity("rooms", ("name",), ("capacity", "room_type", "features"),
            refs=(_Ref("building", "building_id", "buildings", required=False),), named=True, ordered=True,
            children=(("course_room_suitability", "room_id"),),
            select="SELECT r.id, r.name, r.capacity, r.room_type, b.name AS building, r.features, r.position "
                   "FROM rooms r LEFT JOIN buildings b ON b.id = r.building_id WHERE r.scenario_id = ? "
                   "ORDER BY r.position"),
    _Entity("courses", ("name",),
            ("category", "lectures", "min_days", "students", "length", "room_types", "explicit_rooms"),
            refs=(_Ref("teacher", "teacher_id", "teachers"),
                  _Ref("department", "department_id", "departments", required=False)),
            named=True, ordered=True,
            children=(("curriculum_courses", "course_id"), ("course_unavailability", "course_id"),
                      ("course_room_suitability", "course_id"), ("enrolments", "course_id"),
                      ("course_sections", "course_id")),
            select="SELECT c.id, c.name, t.name AS teacher, d.name AS department, c.category, c.lectures, "
                   "c.min_days, c.students, c.length, c.room_types, c.explicit_rooms, c.position "
                   "FROM courses c JOIN teachers t ON t.id = c.teacher_id "
                   "LEFT JOIN departments d ON d.id = c.department_id WHERE c.scenario_id = ? "
                   "ORDER BY c.position"),
    _Entity("curricula", ("name",), ("programme", "year", "max_per_day"), named=True, ordered=True,
            children=(("curriculum_courses", "curriculum_id"),),
            select="SELECT id, name, programme, year, max_per_day, position FROM curricula "
                   "WHERE scenario_id = ? ORDER BY position"),
    _Entity("curriculum_courses", ("curriculum", "course"),
            refs=(_Ref("curriculum", "curriculum_id", "curricula"), _Ref("course", "course_id", "courses")),
            ordered=True,
            select="SELECT q.name AS curriculum, c.name AS course, m.position FROM curriculum_courses m "
                   "JOIN curricula q ON q.id = m.curriculum_id JOIN courses c ON c.id = m.course_id "
                   "WHERE m.scenario_id = ? ORDER BY q.position, m.position"),
    _Entity("course_unavailability", ("course", "period"), refs=(_Ref("course", "course_id", "courses"),),
            period_column="period",
            select="SELECT c.name AS course, u.period, g.day, g.slot, g.label FROM course_unavailability u "
                   "JOIN courses c ON c.id = u.course_id LEFT JOIN time_grid g ON g.scenario_id = u.scenario_id "
                   "AND g.period = u.period WHERE u.scenario_id = ? ORDER BY c.position, u.period"),
    _Entity("course_room_suitability", ("course", "room"),
            refs=(_Ref("course", "course_id", "courses"), _Ref("room", "room_id", "rooms")),
            select="SELECT c.name AS course, r.name AS room FROM course_room_suitability s "
                   "JOIN courses c ON c.id = s.course_id JOIN rooms r ON r.id = s.room_id "
                   "WHERE s.scenario_id = ? ORDER BY c.position, r.position"),
    _Entity("teacher_unavailability", ("teacher", "period"), refs=(_Ref("teacher", "teacher_id", "teachers"),),
            period_column="period",
            select="SELECT t.name AS teacher, u.period, g.day, g.slot, g.label FROM teacher_unavailability u "
                   "JOIN teachers t ON t.id = u.teacher_id LEFT JOIN time_grid g ON g.scenario_id = u.scenario_id "
                   "AND g.period = u.period WHERE u.scenario_id = ? ORDER BY t.position, u.period"),
    _Entity("teacher_preferences", ("teacher", "period"), refs=(_Ref("teacher", "teacher_id", "teachers"),),
            period_column="period",
            select="SELECT t.name AS teacher, u.period, g.day, g.slot, g.label FROM teacher_preferences u "
                   "JOIN teachers t ON t.id = u.teacher_id LEFT JOIN time_grid g ON g.scenario_id = u.scenario_id "
                   "AND g.period = u.period WHERE u.scenario_id = ? ORDER BY t.position, u.period"),
    _Entity("time_grid", ("period",), ("label", "penalty"), creatable=False, period_column="period",
            select="SELECT period, day, slot, label, penalty FROM time_grid WHERE scenario_id = ? ORDER BY period"),
    _Entity("weight_profiles", ("name",), ("weights", "description"),
            select="SELECT id, name, weights, description, created_at FROM weight_profiles "
                   "WHERE scenario_id = ? ORDER BY name"),
    _Entity("users", ("name",), ("role", "teacher", "department"), scoped=False,
            select="SELECT id, name, role, teacher, department, created_at FROM users ORDER BY name"),
)
#: the tables the generic :meth:`TableRepository.read` / ``create`` / ``update`` / ``delete`` accept
ENTITIES: dict[str, _Entity] = {e.table: e for e in _ENTITY_LIST}
# whole-number columns and their minimum (a course's length is also at most the periods per day)
_INT_COLUMNS = {"lectures": 0, "min_days": 0, "students": 0, "length": 1, "capacity": 0, "max_per_day": 0,
                "year": 1, "penalty": 0}
# text columns -> whether NULL is allowed
_TEXT_COLUMNS = {"code": False, "full_name": False, "features": False, "label": False, "description": False,
                 "programme": True, "room_type": True, "teacher": True, "department": True}
SINGULAR = {"departments": "department", "buildings": "building", "teachers": "teacher", "rooms": "room",
             "courses": "course", "curricula": "curriculum", "weight_profiles": "weight profile", "students": "student",
             "users": "user"}


def resolve(cur, sid: int | None, entity: str, name, *, what: str | None = None) -> int:
    """The id of the row of ``entity`` named ``name`` in scenario ``sid``; a refusal naming it when unknown."""
    e = ENTITIES[entity]
    if not isinstance(name, str):
        raise ValidationError([f"{what or SINGULAR[entity]} must be given by name, got {name!r}"],
                              title="the change was refused")
    where, params = ("scenario_id = ? AND name = ?", [sid, name]) if e.scoped else ("name = ?", [name])
    row = first_row(cur.execute(f"SELECT id FROM {ident(e.table)} WHERE {where}", params))
    if row is None:
        raise ValidationError([f"unknown {SINGULAR[entity]} {name!r}; add it first or check the spelling"],
                              title="the change was refused")
    return int(row[0])


def check_weights(value, errors: list[str], label: str) -> str | None:
    """``value`` as the JSON text of a weight mapping; appends to ``errors`` what is wrong with it."""
    if not isinstance(value, dict) or not value:
        errors.append(f"{label}: weights must be a non-empty mapping of constraint names to numbers")
        return None
    known = set(K.NAMES) | {c.dimension for c in K.CONSTRAINTS}
    clean = {}
    for k, v in value.items():
        if k not in known:
            errors.append(f"{label}: unknown constraint or dimension {k!r} (known: {', '.join(K.NAMES)})")
        elif isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) \
                or not math.isfinite(float(v)) or float(v) < 0:
            errors.append(f"{label}: weight of {k} must be a number >= 0, got {v!r}")
        else:
            clean[k] = float(v)
    return json.dumps(clean)


class TableRepository:
    """Row-level editing of the tables in :data:`ENTITIES` (``store.tables``)."""

    def __init__(self, db: Database):
        self.db = db

    def _entity(self, entity: str) -> _Entity:
        try:
            return ENTITIES[entity]
        except KeyError:
            raise TimetableError(f"unknown table {entity!r}; one of: {', '.join(ENTITIES)}") from None

    def read(self, entity: str, scenario: int | str | None = None) -> pd.DataFrame:
        """All rows of one entity of a scenario (references shown by name), in load order.

        Parameters
        ----------
        entity : str
            One of :data:`ENTITIES` (``"courses"``, ``"rooms"``, ``"curriculum_courses"``, ``"users"``…).
        scenario : int or str, optional
            Name or id; not used for ``"users"``.
        """
        import pandas as pd  # loads on first use: `tt jobs …` reads the store without it

        e = self._entity(entity)
        with self.db.reading() as cur:
            params = [scenario_id(self.db, cur, scenario)] if e.scoped else []
            res = cur.execute(e.select, params)
            cols = [d[0] for d in res.description]
            df = pd.DataFrame(res.fetchall(), columns=cols)
        if entity == "weight_profiles":
            df["weights"] = [loads(w) for w in df["weights"]]
        return df

    def _key_where(self, cur, sid, e: _Entity, key) -> tuple[str, list]:
        key = key if isinstance(key, tuple) else (key,)
        if len(key) != len(e.key):
            raise TimetableError(f"a row of {e.table} is identified by ({', '.join(e.key)}), got {key!r}")
        clauses, params = [], []
        refs = {r.column: r for r in e.refs}
        for col, value in zip(e.key, key):
            if col in refs:
                clauses.append(f"{ident(refs[col].id_column)} = ?")
                params.append(resolve(cur, sid, refs[col].entity, value))
            else:
                clauses.append(f"{ident(col)} = ?")
                params.append(value)
        if e.scoped:
            clauses.append("scenario_id = ?")
            params.append(sid)
        return " AND ".join(clauses), params

    def _values(self, cur, sid, sc: dict | None, e: _Entity, values: dict, *, label: str) -> dict:
        """API values -> stored column values, validated; raises ValidationError listing every problem."""
        allowed = set(e.key) | set(e.columns) | {r.column for r in e.refs}
        bad = sorted(set(values) - allowed)
        if bad:
            raise TimetableError(f"{e.table} has no column {', '.join(map(repr, bad))}; "
                                 f"the columns are: {', '.join(sorted(allowed))}")
        out: dict[str, Any] = {}
        errors: list[str] = []
        refs = {r.column: r for r in e.refs}
        for col, value in values.items():
            if col in refs:
                r = refs[col]
                if value is None:
                    if r.required:
                        errors.append(f"{label}: {col} is required")
                    else:
                        out[r.id_column] = None
                    continue
                try:
                    out[r.id_column] = resolve(cur, sid, r.entity, value, what=col)
                except ValidationError as exc:
                    errors.extend(f"{label}: {p}" for p in exc.problems)
                continue
            if col == "name":
                if not isinstance(value, str) or not value:
                    errors.append(f"{label}: a name must be non-empty text, got {value!r}")
            elif col == e.period_column:
                P = sc["days"] * sc["periods_per_day"]
                if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < P:
                    errors.append(f"{label}: period {value!r} is outside the time grid 0..{P - 1}")
                value = int(value) if isinstance(value, (int, np.integer)) else value
            elif col == "weights":
                value = check_weights(value, errors, label)
            elif col == "room_types":
                if value is not None and (isinstance(value, str) or not all(isinstance(t, str) and t for t in value)):
                    errors.append(f"{label}: room_types must be a list of room type names or None, got {value!r}")
                elif value is not None:
                    value = list(value)
                    known = {r[0] for r in cur.execute("SELECT DISTINCT room_type FROM rooms WHERE scenario_id = ? "
                                                       "AND room_type IS NOT NULL", [sid]).fetchall()}
                    for t in value:
                        if t not in known:
                            errors.append(f"{label}: unknown room type {t!r}; the rooms have types: "
                                          f"{', '.join(sorted(known)) or 'none'}")
            elif col in _INT_COLUMNS:
                low = _INT_COLUMNS[col]
                high = sc["periods_per_day"] if (col == "length" and sc) else None
                if value is None and col == "year":
                    pass
                elif isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                    errors.append(f"{label}: {col} must be a whole number, got {value!r}")
                elif high is not None and not low <= value <= high:  # the model's wording
                    errors.append(f"{label}: lecture length {value} must be between {low} and {high} periods")
                elif value < low:
                    errors.append(f"{label}: {col} {value} must be at least {low}")
                else:
                    value = int(value)
            elif col == "category" and value not in CATEGORIES:
                errors.append(f"{label}: category {value!r} is not one of {', '.join(CATEGORIES)}")
            elif col == "role" and value not in ROLES:
                errors.append(f"{label}: role {value!r} is not one of {', '.join(ROLES)}")
            elif col in _TEXT_COLUMNS and not (isinstance(value, str) or (value is None and _TEXT_COLUMNS[col])):
                errors.append(f"{label}: {col} must be text, got {value!r}")
            elif col == "explicit_rooms" and not isinstance(value, (bool, np.bool_)):
                errors.append(f"{label}: explicit_rooms must be True or False, got {value!r}")
            elif isinstance(value, np.generic):
                value = value.item()
            out[col] = value
        if errors:
            raise ValidationError(errors, title="the change was refused")
        return out

    def _check_name_free(self, cur, sid, e: _Entity, name: str, exclude: int | None = None) -> None:
        row = first_row(cur.execute(f"SELECT id FROM {ident(e.table)} WHERE scenario_id = ? AND name = ? "
                          "AND id IS DISTINCT FROM ?", [sid, name, exclude]))
        if row is not None:
            raise ValidationError([f"a {SINGULAR[e.table]} named {name!r} already exists; choose another name"],
                                  title="the change was refused")

    def create(self, entity: str, scenario: int | str | None = None, *, user: str | None = None,
               **values) -> int | None:
        """Add one row; references (teacher, course, room…) are given by name.

        Parameters
        ----------
        entity : str
            One of :data:`ENTITIES`; e.g. ``create("courses", "demo", name="Algebra", teacher="T0001",
            lectures=3, min_days=3, students=40)``, ``create("course_unavailability", "demo",
            course="Algebra", period=4)``, ``create("users", name="ann", role="planner")``.
        scenario : int or str, optional
            Not used for ``"users"``.
        user : str, optional
            Recorded in the audit log.

        Returns
        -------
        int or None
            The new row's id (None for link tables, which have no id).

        Raises
        ------
        ValidationError
            Unknown reference, duplicate name, period outside the grid, value refused by a CHECK.
        """
        e = self._entity(entity)
        if not e.creatable:
            raise TimetableError(f"rows of {entity} cannot be added one by one; they follow the scenario's days and "
                                 "periods (import a new scenario to change the grid)")
        missing = [k for k in e.key if k not in values]
        if missing:
            raise TimetableError(f"a new row of {entity} needs {', '.join(missing)}")
        label = f"{entity} {values.get('name', tuple(values.get(k) for k in e.key))!r}"
        with self.db.transaction() as cur:
            sc = scenario_row(self.db, cur, scenario) if e.scoped else None
            sid = sc["id"] if sc else None
            row = self._values(cur, sid, sc, e, values, label=label)
            if e.named:
                self._check_name_free(cur, sid, e, row["name"])
            if e.scoped:
                row["scenario_id"] = sid
            new_id = None
            if e.table in SEQUENCES:
                (new_id,) = next_ids(cur, e.table, 1)
                row["id"] = new_id
            if e.ordered:
                row["position"] = first_row(cur.execute(f"SELECT coalesce(max(position) + 1, 0) FROM {ident(e.table)} "
                                              "WHERE scenario_id = ?", [sid]))[0]
            if e.table in ("weight_profiles", "users"):
                row["created_at"] = utcnow()
            cols = [ident(c) for c in row]
            try:
                cur.execute(f"INSERT INTO {ident(e.table)} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                            list(row.values()))
            except duckdb.ConstraintException as exc:
                raise self._constraint_error(exc, label) from None
            audit_row(cur, user, f"create {entity}", label, {k: v for k, v in values.items() if k != "weights"}
                        | ({"scenario_id": sid} if sid else {}))
        return new_id

    @staticmethod
    def _constraint_error(exc: duckdb.ConstraintException, label: str) -> TimetableError:
        text = str(exc)
        if "Duplicate key" in text or "duplicate key" in text:
            return ValidationError([f"{label} already exists"], title="the change was refused")
        return translate(exc, label)

    def update(self, entity: str, scenario: int | str | None, key, *, user: str | None = None, **changes) -> None:
        """Change columns of the row identified by ``key`` (its name, or a tuple for link tables).

        Example: ``update("courses", "demo", "Algebra", teacher="T0002", lectures=4)``;
        ``update("time_grid", "demo", 0, label="Mon 08:30")``. Raises like :meth:`create`.
        """
        e = self._entity(entity)
        if not changes:
            return
        label = f"{entity} {key!r}"
        with self.db.transaction() as cur:
            sc = scenario_row(self.db, cur, scenario) if e.scoped else None
            sid = sc["id"] if sc else None
            where, params = self._key_where(cur, sid, e, key)
            has_id = e.table in SEQUENCES
            found = first_row(cur.execute(f"SELECT {'id' if has_id else 'count(*)'} FROM {ident(e.table)} "
                                          f"WHERE {where}", params))
            if found is None or (not has_id and found[0] == 0):
                raise TimetableError(f"no {label} to change")
            row = self._values(cur, sid, sc, e, changes, label=label)
            if e.named and "name" in row:
                self._check_name_free(cur, sid, e, row["name"], exclude=found[0])
            sets = ", ".join(f"{ident(c)} = ?" for c in row)
            try:
                cur.execute(f"UPDATE {ident(e.table)} SET {sets} WHERE {where}", list(row.values()) + params)
            except duckdb.ConstraintException as exc:
                raise self._constraint_error(exc, label) from None
            audit_row(cur, user, f"update {entity}", label,
                        {k: v for k, v in changes.items() if k != "weights"} | ({"scenario_id": sid} if sid else {}))

    def delete(self, entity: str, scenario: int | str | None, key, *, user: str | None = None) -> None:
        """Delete the row identified by ``key`` with the rows that only make sense with it.

        Deleting a course also deletes its curriculum memberships, unavailability and room list;
        deleting a teacher, department or building that is still referenced is refused, naming
        what refers to it.
        """
        e = self._entity(entity)
        if not e.creatable:
            raise TimetableError(f"rows of {entity} cannot be deleted; they follow the scenario's days and periods")
        label = f"{entity} {key!r}"
        with self.db.transaction() as cur:
            sid = scenario_id(self.db, cur, scenario) if e.scoped else None
            where, params = self._key_where(cur, sid, e, key)
            has_id = e.table in SEQUENCES
            if has_id:
                found = first_row(cur.execute(f"SELECT id FROM {ident(e.table)} WHERE {where}", params))
                if found is None:
                    raise TimetableError(f"no {label} to delete")
                rid = found[0]
                for table, column, what in e.blockers:
                    users_ = [r[0] for r in cur.execute(
                        f"SELECT name FROM {ident(table)} WHERE {ident(column)} = ? ORDER BY position LIMIT 6",
                        [rid]).fetchall()]
                    if users_:
                        shown = ", ".join(map(repr, users_[:5])) + (" …" if len(users_) > 5 else "")
                        raise TimetableError(f"cannot delete {label}: {what}(s) {shown} still refer to it; "
                                             f"change or delete them first")
                for table, column in e.children:
                    cur.execute(f"DELETE FROM {ident(table)} WHERE {ident(column)} = ?", [rid])
            elif first_row(cur.execute(f"SELECT count(*) FROM {ident(e.table)} WHERE {where}", params))[0] == 0:
                raise TimetableError(f"no {label} to delete")
            cur.execute(f"DELETE FROM {ident(e.table)} WHERE {where}", params)
            audit_row(cur, user, f"delete {entity}", label, {"scenario_id": sid} if sid else {})

    def check_integrity(self, scenario: int | str) -> list[str]:
        """Every dangling reference or duplicate name of a scenario, in words (empty when sound)."""
        problems = []
        with self.db.reading() as cur:
            sid = scenario_id(self.db, cur, scenario)
            for table in ("departments", "buildings", "teachers", "courses", "rooms", "curricula"):
                for name, n in cur.execute(f"SELECT name, count(*) FROM {ident(table)} WHERE scenario_id = ? "
                                           "GROUP BY name HAVING count(*) > 1", [sid]).fetchall():
                    problems.append(f"{n} {table} are named {name!r}")
            for table, column, parent in (("curriculum_courses", "curriculum_id", "curricula"),
                                          ("curriculum_courses", "course_id", "courses"),
                                          ("course_unavailability", "course_id", "courses"),
                                          ("course_room_suitability", "course_id", "courses"),
                                          ("course_room_suitability", "room_id", "rooms"),
                                          ("teacher_unavailability", "teacher_id", "teachers"),
                                          ("teacher_preferences", "teacher_id", "teachers"),
                                          ("enrolments", "student_id", "students"),
                                          ("enrolments", "course_id", "courses"),
                                          ("course_sections", "course_id", "courses")):
                n = first_row(cur.execute(f"SELECT count(*) FROM {ident(table)} x WHERE x.scenario_id = ? "
                                          f"AND NOT EXISTS (SELECT 1 FROM {ident(parent)} p "
                                          f"WHERE p.id = x.{ident(column)} AND p.scenario_id = x.scenario_id)",
                                          [sid]))[0]
                if n:
                    problems.append(f"{n} row(s) of {table} refer to a missing {SINGULAR[parent]}")
        return problems

    def set_teacher_periods(self, scenario: int | str, teacher: str, entity: str, periods: Iterable[int], *,
                            user: str | None = None) -> tuple[list[int], list[int]]:
        """Make ``periods`` the teacher's whole list in ``teacher_unavailability`` or ``teacher_preferences``.

        One transaction and one audit entry (``"set teacher_unavailability"`` with the periods added
        and removed), so a planner sees who changed whose availability. Returns ``(added, removed)``.

        Raises
        ------
        ValidationError
            Unknown teacher, or a period outside the scenario's time grid.
        """
        if entity not in ("teacher_unavailability", "teacher_preferences"):
            raise TimetableError(f"{entity} is not a teacher's period list; use teacher_unavailability or "
                                 "teacher_preferences")
        with self.db.transaction() as cur:
            sc = scenario_row(self.db, cur, scenario)
            sid, P = sc["id"], sc["days"] * sc["periods_per_day"]
            tid = resolve(cur, sid, "teachers", teacher)
            wanted, bad = set(), []
            for q in periods:
                if isinstance(q, bool) or not isinstance(q, (int, np.integer)) or not 0 <= q < P:
                    bad.append(f"{entity} of teacher {teacher!r}: period {q!r} is outside the time grid 0..{P - 1}")
                else:
                    wanted.add(int(q))
            if bad:
                raise ValidationError(bad, title="the change was refused")
            table = ident(entity)
            have = {r[0] for r in cur.execute(f"SELECT period FROM {table} WHERE teacher_id = ?", [tid]).fetchall()}
            added, removed = sorted(wanted - have), sorted(have - wanted)
            for q in removed:
                cur.execute(f"DELETE FROM {table} WHERE teacher_id = ? AND period = ?", [tid, q])
            if added:
                cur.executemany(f"INSERT INTO {table} (scenario_id, teacher_id, period) VALUES (?, ?, ?)",
                                [[sid, tid, q] for q in added])
            if added or removed:
                audit_row(cur, user, f"set {entity}", f"teacher {teacher!r}",
                            {"scenario_id": sid, "added": added, "removed": removed})
        return added, removed
