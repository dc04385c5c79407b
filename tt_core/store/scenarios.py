"""Scenarios and their timetabling data: import a :class:`~tt_core.model.Problem`, load it back, list,
rename, copy and delete scenarios.

A scenario is one university's data for one term: departments, buildings, teachers, rooms,
courses, curricula, students, the time grid and its unavailability/preference lists (the tables
are listed in :mod:`tt_core.store`). :meth:`ScenarioRepository.import_problem` writes a problem in
one transaction; :meth:`ScenarioRepository.load_problem` gives back identical arrays and names.
Editing single rows is :mod:`tt_core.store.tables`.
"""

from __future__ import annotations

import hashlib

import duckdb
import numpy as np

from ..errors import TimetableError, ValidationError
from ..model import CATEGORIES, Problem
from .database import Database
from .schema import PURGE_LEVELS
from .sql import audit_row, bulk, fetch_rows, first_row, ident, loads, next_ids, to_json, translate, utcnow

# descriptive per-item lists a scenario's ``meta`` may carry (not part of Problem), with their length
META_LISTS = {
    "building_names": "buildings",        # name of building i (index of problem.room_building)
    "room_features": "rooms",             # free text per room
    "teacher_full_names": "teachers",     # display name per teacher
    "department_codes": "departments",    # short code per department
    "curriculum_programme": "curricula",  # programme name (or None) per curriculum
    "curriculum_year": "curricula",       # year of study (or None) per curriculum
    "student_programme": "students",      # programme name (or None) per student
    "student_year": "students",           # year of study (or None) per student
    "student_department": "students",     # department name (or None) per student
}


def scenario_row(db: Database, cur, scenario: int | str) -> dict:
    """The row of a (not deleted) scenario given by name or id; a user-facing error naming the known ones."""
    if isinstance(scenario, (int, np.integer)) and not isinstance(scenario, bool):
        found = fetch_rows(cur, "SELECT * FROM scenarios WHERE id = ? AND deleted_at IS NULL", [int(scenario)])
    elif isinstance(scenario, str):
        found = fetch_rows(cur, "SELECT * FROM scenarios WHERE name = ? AND deleted_at IS NULL", [scenario])
    else:
        raise TimetableError(f"a scenario is given by its name or id, not {type(scenario).__name__}")
    if not found:
        names = [r[0] for r in cur.execute(
            "SELECT name FROM scenarios WHERE deleted_at IS NULL ORDER BY id").fetchall()]
        known = ", ".join(repr(n) for n in names[:20]) if names else "none yet; import one with `tt import`"
        raise TimetableError(f"no scenario {scenario!r} in {db.path}; the scenarios there: {known}")
    return found[0]

def scenario_id(db: Database, cur, scenario: int | str) -> int:
    """The id of a (not deleted) scenario given by name or id."""
    return int(scenario_row(db, cur, scenario)["id"])


def check_scenario_name(db: Database, cur, name, exclude: int | None = None) -> None:
    """Refuse an empty scenario name or one another (not deleted) scenario has."""
    if not isinstance(name, str) or not name.strip():
        raise TimetableError(f"a scenario needs a non-empty name, got {name!r}")
    row = first_row(cur.execute("SELECT id FROM scenarios WHERE name = ? AND deleted_at IS NULL "
                                "AND id IS DISTINCT FROM ?", [name, exclude]))
    if row is not None:
        raise TimetableError(f"a scenario named {name!r} already exists in {db.path}; choose another name "
                             "(or delete the old one first)")


def problem_fingerprint(problem: Problem) -> str:
    """A hash of everything in a problem that decides whether a timetable fits it and what it costs.

    Names are left out, so renaming a course or room keeps a variant valid; any change of the
    arrays (a lecture more, a room less, another capacity) changes the fingerprint.
    """
    h = hashlib.sha256()
    h.update(f"{problem.days}x{problem.periods_per_day}".encode())
    for name in ("course_teacher", "course_lectures", "course_min_days", "course_students", "course_length",
                 "course_unavailable", "room_capacity", "suitable", "curriculum_ptr", "curriculum_courses",
                 "curriculum_max_per_day", "teacher_unavailable", "teacher_undesired", "teacher_max_per_day",
                 "period_penalty", "course_category", "course_department", "room_building", "room_type"):
        a = np.ascontiguousarray(getattr(problem, name))
        h.update(name.encode())
        h.update(str(a.shape).encode())
        h.update(a.astype(np.int64).tobytes())
    if ectt_data(problem):
        # the extended benchmark's data decide its terms; hashed only when present, like students
        for name in ("course_double", "curriculum_min_per_day", "room_unsuitable"):
            a = np.ascontiguousarray(getattr(problem, name))
            h.update(name.encode())
            h.update(a.astype(np.int64).tobytes())
        h.update(f"windows={problem.count_windows} travel={problem.count_travel}".encode())
    if problem.n_enrolments:
        # students decide StudentClashes; hashed only when present, so older fingerprints stay valid
        for name in ("student_ptr", "student_courses"):
            a = np.ascontiguousarray(getattr(problem, name))
            h.update(name.encode())
            h.update(str(a.shape).encode())
            h.update(a.astype(np.int64).tobytes())
    return h.hexdigest()


#: the key of ``scenarios.meta`` holding the extended benchmark's data (see :func:`ectt_data`)
ECTT_KEY = "ectt"


def ectt_data(problem: Problem) -> dict:
    """The extended benchmark's data of a problem by name, as kept in ``scenarios.meta`` (the tables
    have no columns for it): double-lecture courses, curricula's daily minima, listed unsuitable
    ``[course, room]`` pairs, and whether windows and travel are counted; ``{}`` when it has none."""
    pb = problem
    out: dict = {}
    if pb.course_double.any():
        out["double_lectures"] = [pb.course_names[c] for c in np.flatnonzero(pb.course_double)]
    if pb.curriculum_min_per_day.any():
        out["daily_minimum"] = {pb.curriculum_names[g]: int(v) for g, v in enumerate(pb.curriculum_min_per_day) if v}
    if pb.room_unsuitable.any():
        out["unsuitable_rooms"] = [[pb.course_names[c], pb.room_names[r]] for c, r in np.argwhere(pb.room_unsuitable)]
    if pb.count_windows:
        out["count_windows"] = True
    if pb.count_travel:
        out["count_travel"] = True
    return out


def _ectt_arrays(data: dict | None, courses: list[str], rooms: list[str], curricula: list[str]) -> dict:
    """:func:`ectt_data` back to the arguments of ``Problem.create`` (names no longer in the scenario,
    after edits, are dropped)."""
    if not data:
        return {}
    c_index = {n: i for i, n in enumerate(courses)}
    r_index = {n: i for i, n in enumerate(rooms)}
    unsuitable = np.zeros((len(courses), len(rooms)), np.bool_)
    for c, r in data.get("unsuitable_rooms", ()):
        if c in c_index and r in r_index:
            unsuitable[c_index[c], r_index[r]] = True
    double = set(data.get("double_lectures", ()))
    minimum = data.get("daily_minimum", {})
    return {"course_double": [c in double for c in courses],
            "curriculum_min_per_day": [int(minimum.get(q, 0)) for q in curricula],
            "room_unsuitable": unsuitable, "count_windows": bool(data.get("count_windows", False)),
            "count_travel": bool(data.get("count_travel", False))}


def suitability_rules(problem: Problem) -> list[tuple[tuple[str, ...] | None, tuple[int, ...] | None]]:
    """How each course's suitable rooms can be written down.

    Returns
    -------
    list of (room types, rooms)
        ``(None, None)``: every room suits the course. ``(types, None)``: exactly the rooms whose
        type is one of ``types`` (in ``problem.room_types`` order). ``(None, rooms)``: an explicit
        list of room indices, when the types cannot say it.
    """
    rules = []
    rtype = problem.room_type
    for c in range(problem.n_courses):
        row = problem.suitable[c]
        if row.all():
            rules.append((None, None))
            continue
        kinds = sorted({int(t) for t in rtype[row]})
        if kinds and -1 not in kinds and np.array_equal(row, np.isin(rtype, kinds)):
            rules.append((tuple(problem.room_types[k] for k in kinds), None))
        else:
            rules.append((None, tuple(int(r) for r in np.flatnonzero(row))))
    return rules


# every table load_problem reads (the scenario row itself first)
_PROBLEM_TABLES = ("scenarios", "departments", "buildings", "teachers", "courses", "rooms", "curricula",
                   "curriculum_courses", "course_unavailability", "course_room_suitability", "teacher_unavailability",
                   "teacher_preferences", "time_grid", "students", "enrolments", "course_sections")


class ScenarioRepository:
    """The scenarios of one :class:`~tt_core.store.database.Database` (``store.scenarios``)."""

    def __init__(self, db: Database):
        self.db = db

    def exists(self, scenario: int | str) -> bool:
        """True when a (not deleted) scenario of that name or id exists."""
        try:
            self.get(scenario)
        except TimetableError:
            return False
        return True

    def get(self, scenario: int | str) -> dict:
        """The scenario's row (``meta`` parsed) as a dict."""
        with self.db.reading() as cur:
            row = scenario_row(self.db, cur, scenario)
        row["meta"] = loads(row["meta"])
        return row

    def names(self) -> list[str]:
        """Names of the scenarios, oldest first."""
        return [r["name"] for r in self.db.query("SELECT name FROM scenarios WHERE deleted_at IS NULL ORDER BY id")]

    def overview(self) -> list[dict]:
        """One dict per scenario: id, name, institution, term, instance, sizes, variants, created.

        Class-based (ITC2019) scenarios count their courses, classes and rooms in their own tables;
        ``lectures`` is a curriculum scenario's, ``classes`` a class scenario's.
        """
        return self.db.query("""
            SELECT s.id, s.name, s.institution, s.term, s.instance_name, s.days, s.periods_per_day,
                   (SELECT count(*) FROM courses c WHERE c.scenario_id = s.id)
                   + (SELECT count(*) FROM class_courses c WHERE c.scenario_id = s.id) AS courses,
                   (SELECT coalesce(sum(lectures), 0) FROM courses c WHERE c.scenario_id = s.id) AS lectures,
                   (SELECT count(*) FROM class_classes c WHERE c.scenario_id = s.id) AS classes,
                   (SELECT count(*) FROM rooms r WHERE r.scenario_id = s.id)
                   + (SELECT count(*) FROM class_rooms r WHERE r.scenario_id = s.id) AS rooms,
                   (SELECT count(*) FROM curricula q WHERE q.scenario_id = s.id) AS curricula,
                   (SELECT count(*) FROM variants v WHERE v.scenario_id = s.id) AS variants,
                   s.created_at
            FROM scenarios s WHERE s.deleted_at IS NULL ORDER BY s.id""")

    def update(self, scenario: int | str, *, user: str | None = None, **changes) -> None:
        """Change a scenario's ``name``, ``institution``, ``term`` or ``description``.

        The time grid (days, periods per day) is fixed: import a new scenario to change it.
        """
        allowed = ("name", "institution", "term", "description")
        bad = [k for k in changes if k not in allowed]
        if bad:
            raise TimetableError(f"cannot change {', '.join(bad)} of a scenario; changeable: {', '.join(allowed)}"
                                 + ("; import a new scenario to change the time grid"
                                    if {"days", "periods_per_day"} & set(bad) else ""))
        with self.db.transaction() as cur:
            sid = scenario_id(self.db, cur, scenario)
            if "name" in changes:
                check_scenario_name(self.db, cur, changes["name"], exclude=sid)
            for k, v in changes.items():
                if not isinstance(v, str):
                    raise TimetableError(f"scenario {k} must be text, got {v!r}")
                cur.execute(f"UPDATE scenarios SET {ident(k)} = ? WHERE id = ?", [v, sid])
            audit_row(cur, user, "update scenario", f"scenario {sid}", changes)


    def delete(self, scenario: int | str, *, user: str | None = None) -> None:
        """Delete a scenario with all its data, variants and jobs.

        It disappears at once (one transaction marks it deleted); its rows are then purged one
        dependency level per transaction (see the module doc), resumed on the next open if cut short.
        """
        with self.db.transaction() as cur:
            row = scenario_row(self.db, cur, scenario)
            running = first_row(cur.execute("SELECT count(*) FROM jobs WHERE scenario_id = ? "
                                            "AND status IN ('queued', 'running')", [row["id"]]))[0]
            if running:
                raise TimetableError(f"scenario {row['name']!r} has {running} queued or running job(s); cancel them "
                                     "before deleting it")
            cur.execute("UPDATE scenarios SET deleted_at = ? WHERE id = ?", [utcnow(), row["id"]])
            audit_row(cur, user, "delete scenario", f"scenario {row['id']}", {"name": row["name"]})
        self.purge_deleted()

    def purge_deleted(self) -> None:
        """Purge the rows of deleted scenarios, one dependency level per transaction (resumes where a
        cut-short purge stopped)."""
        with self.db.reading() as cur:
            ids = [r[0] for r in cur.execute("SELECT id FROM scenarios WHERE deleted_at IS NOT NULL").fetchall()]
        for sid in ids:
            for level in PURGE_LEVELS:
                with self.db.transaction() as cur:
                    for table, where in level:
                        cur.execute(f"DELETE FROM {ident(table)} WHERE {where}", [sid])

    def copy(self, scenario: int | str, new_name: str, *, user: str | None = None) -> int:
        """Clone a scenario's data (not its variants or jobs) under a new name; returns the new id."""
        info = self.get(scenario)
        problem = self.load_problem(scenario)
        return self.import_problem(problem, new_name, institution=info["institution"], term=info["term"],
                                   description=info["description"], meta=self.meta(scenario), user=user)

    def import_problem(self, problem: Problem, scenario_name: str, *, institution: str = "", term: str = "",
                       description: str = "", meta: dict | None = None, user: str | None = None) -> int:
        """Store a problem as a new scenario, in one transaction.

        Parameters
        ----------
        problem : Problem
            The instance; :meth:`load_problem` gives back identical arrays and names.
        scenario_name : str
            Unique among the database's scenarios; stored verbatim (quotes, unicode…).
        institution, term, description : str
            Descriptive.
        meta : dict, optional
            Descriptive data the problem has no place for: the lists of :data:`META_LISTS`
            (``building_names``, ``room_features``, ``teacher_full_names``, ``department_codes``,
            ``curriculum_programme``, ``curriculum_year``, one entry per item); any other
            JSON-serialisable keys are kept in ``scenarios.meta``.
        user : str, optional
            Recorded in the audit log.

        Returns
        -------
        int
            The scenario id.

        Raises
        ------
        TimetableError
            Name taken, meta of the wrong length, unstorable values. Nothing is written then.
        """
        meta = dict(meta or {})
        lists = self._meta_lists(problem, meta)
        extra = {k: v for k, v in meta.items() if k not in META_LISTS and k != ECTT_KEY}
        if ectt_data(problem):
            extra[ECTT_KEY] = ectt_data(problem)
        extra_json = to_json(extra, "scenario meta")
        for what, value in (("institution", institution), ("term", term), ("description", description)):
            if value is not None and not isinstance(value, str):
                raise TimetableError(f"the scenario's {what} must be text, got {value!r}")
        try:
            with self.db.transaction() as cur:
                check_scenario_name(self.db, cur, scenario_name)
                sid = self._insert_scenario(cur, problem, scenario_name, institution or "", term or "",
                                            description or "", extra_json)
                ids = {"scenario": sid}
                self._insert_departments(cur, problem, ids, lists)
                self._insert_buildings(cur, problem, ids, lists)
                self._insert_teachers(cur, problem, ids, lists)
                self._insert_rooms(cur, problem, ids, lists)
                self._insert_courses(cur, problem, ids)
                self._insert_curricula(cur, problem, ids, lists)
                self._insert_students(cur, problem, ids, lists)
                self._insert_time_data(cur, problem, ids)
                audit_row(cur, user, "import scenario", f"scenario {sid}",
                            {"name": scenario_name, "instance": problem.name, "courses": problem.n_courses})
        except duckdb.ConstraintException as exc:  # e.g. an empty name: nothing was written
            raise translate(exc, f"importing {problem.name!r} as {scenario_name!r}") from None
        return sid

    @staticmethod
    def _meta_lists(problem: Problem, meta: dict) -> dict[str, list]:
        sizes = {"rooms": problem.n_rooms, "teachers": problem.n_teachers, "students": problem.n_students,
                 "departments": len(problem.department_names), "curricula": problem.n_curricula,
                 "buildings": int(problem.room_building.max()) + 1 if problem.n_rooms else 0}
        out = {}
        errors = []
        for key, what in META_LISTS.items():
            if key not in meta or meta[key] is None:
                continue
            values = list(meta[key])
            need = sizes[what]
            if key in ("curriculum_year", "student_year"):
                bad = [v for v in values if v is not None and (isinstance(v, bool) or not isinstance(
                    v, (int, np.integer)) or v < 1)]
            elif key == "building_names":
                bad = [v for v in values if not isinstance(v, str) or not v]
            else:
                bad = [v for v in values if v is not None and not isinstance(v, str)]
            if bad:
                errors.append(f"meta[{key!r}] has values of the wrong kind, e.g. {bad[0]!r}")
                continue
            if key == "building_names" and len(values) >= need:
                pass  # buildings without rooms may be named too
            elif len(values) != need:
                errors.append(f"meta[{key!r}] has {len(values)} entries for {need} {what}")
                continue
            out[key] = values
        if problem.n_rooms and (problem.room_building < -1).any():
            errors.append("room_building has values below -1 (-1 means 'no building')")
        if errors:
            raise TimetableError("cannot import: " + "; ".join(errors))
        return out

    def _insert_scenario(self, cur, problem, name, institution, term, description, extra_json) -> int:
        (sid,) = next_ids(cur, "scenarios", 1)
        cur.execute("INSERT INTO scenarios (id, name, institution, term, description, instance_name, days, "
                    "periods_per_day, meta, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [sid, name, institution, term, description, problem.name, problem.days,
                     problem.periods_per_day, extra_json, utcnow()])
        return sid

    def _insert_departments(self, cur, problem, ids, lists) -> None:
        n = len(problem.department_names)
        ids["departments"] = next_ids(cur, "departments", n)
        codes = lists.get("department_codes") or [""] * n
        bulk(cur, "departments", {"id": ids["departments"], "scenario_id": [ids["scenario"]] * n,
                                        "name": list(problem.department_names),
                                        "code": [c or "" for c in codes], "position": range(n)})

    def _insert_buildings(self, cur, problem, ids, lists) -> None:
        n = int(problem.room_building.max()) + 1 if problem.n_rooms else 0
        names = lists.get("building_names") or [f"building {b + 1}" for b in range(n)]
        n = max(n, len(names))
        ids["buildings"] = next_ids(cur, "buildings", n)
        bulk(cur, "buildings", {"id": ids["buildings"], "scenario_id": [ids["scenario"]] * n,
                                      "name": names, "position": range(n)})

    def _insert_teachers(self, cur, problem, ids, lists) -> None:
        n = problem.n_teachers
        ids["teachers"] = next_ids(cur, "teachers", n)
        full = lists.get("teacher_full_names") or [""] * n
        bulk(cur, "teachers", {"id": ids["teachers"], "scenario_id": [ids["scenario"]] * n,
                                     "name": list(problem.teacher_names), "full_name": [f or "" for f in full],
                                     "max_per_day": problem.teacher_max_per_day, "position": range(n)})

    def _insert_rooms(self, cur, problem, ids, lists) -> None:
        n = problem.n_rooms
        ids["rooms"] = next_ids(cur, "rooms", n)
        features = lists.get("room_features") or [""] * n
        types = [problem.room_types[t] if t >= 0 else None for t in problem.room_type]
        buildings = [ids["buildings"][b] if b >= 0 else None for b in problem.room_building]
        bulk(cur, "rooms", {"id": ids["rooms"], "scenario_id": [ids["scenario"]] * n,
                                  "name": list(problem.room_names), "capacity": problem.room_capacity,
                                  "room_type": types, "building_id": buildings,
                                  "features": [f or "" for f in features], "position": range(n)})

    def _insert_courses(self, cur, problem, ids) -> None:
        n = problem.n_courses
        ids["courses"] = cids = next_ids(cur, "courses", n)
        rules = suitability_rules(problem)
        sid = ids["scenario"]
        bulk(cur, "courses", {
            "id": cids, "scenario_id": [sid] * n, "name": list(problem.course_names),
            "teacher_id": [ids["teachers"][t] for t in problem.course_teacher],
            "department_id": [ids["departments"][d] if d >= 0 else None for d in problem.course_department],
            "category": [CATEGORIES[k] for k in problem.course_category],
            "lectures": problem.course_lectures, "min_days": problem.course_min_days,
            "students": problem.course_students, "length": problem.course_length,
            "room_types": [list(t) if t is not None else None for t, _ in rules],
            "explicit_rooms": [r is not None for _, r in rules], "position": range(n)})
        pairs = [(cids[c], ids["rooms"][r]) for c, (_, rooms) in enumerate(rules) if rooms for r in rooms]
        bulk(cur, "course_room_suitability", {"scenario_id": [sid] * len(pairs),
                                                    "course_id": [a for a, _ in pairs],
                                                    "room_id": [b for _, b in pairs]})
        c, p = np.nonzero(problem.course_unavailable)
        bulk(cur, "course_unavailability", {"scenario_id": [sid] * len(c),
                                                  "course_id": [cids[i] for i in c], "period": p})

    def _insert_curricula(self, cur, problem, ids, lists) -> None:
        import pandas as pd  # loads on first use: `tt jobs …` reads the store without it

        n = problem.n_curricula
        qids = next_ids(cur, "curricula", n)
        sid = ids["scenario"]
        programme = lists.get("curriculum_programme") or [None] * n
        year = lists.get("curriculum_year") or [None] * n
        bulk(cur, "curricula", {"id": qids, "scenario_id": [sid] * n, "name": list(problem.curriculum_names),
                                      "programme": programme,
                                      "year": pd.array([None if y is None else int(y) for y in year], dtype="Int32"),
                                      "max_per_day": problem.curriculum_max_per_day, "position": range(n)})
        ptr, members = problem.curriculum_ptr, problem.curriculum_courses
        q_of = np.repeat(np.arange(n), np.diff(ptr))
        pos = np.arange(len(members)) - ptr[q_of] if len(members) else np.zeros(0, np.int64)
        bulk(cur, "curriculum_courses", {"scenario_id": [sid] * len(members),
                                               "curriculum_id": [qids[q] for q in q_of],
                                               "course_id": [ids["courses"][c] for c in members], "position": pos})

    def _insert_students(self, cur, problem, ids, lists) -> None:
        """Students, their enrolments and the courses that are sections of an offering."""
        import pandas as pd

        n = problem.n_students
        sid = ids["scenario"]
        cids = ids["courses"]
        if problem.course_offering:
            number: dict[str, int] = {}
            rows = []
            for c, o in enumerate(problem.course_offering):
                if o != problem.course_names[c]:
                    number[o] = number.get(o, 0) + 1
                    rows.append((cids[c], o, number[o]))
            bulk(cur, "course_sections", {"scenario_id": [sid] * len(rows), "course_id": [r[0] for r in rows],
                                                "offering": [r[1] for r in rows], "section": [r[2] for r in rows]})
        if not n:
            return
        stids = next_ids(cur, "students", n)
        year = lists.get("student_year") or [None] * n
        bulk(cur, "students", {
            "id": stids, "scenario_id": [sid] * n, "name": list(problem.student_names),
            "programme": lists.get("student_programme") or [None] * n,
            "year": pd.array([None if y is None else int(y) for y in year], dtype="Int32"),
            "department": lists.get("student_department") or [None] * n, "position": range(n)})
        owner = np.repeat(np.arange(n), np.diff(problem.student_ptr))
        bulk(cur, "enrolments", {"scenario_id": np.full(len(owner), sid, np.int64),
                                       "student_id": np.asarray(stids, np.int64)[owner],
                                       "course_id": np.asarray(cids, np.int64)[problem.student_courses]})

    def _insert_time_data(self, cur, problem, ids) -> None:
        sid = ids["scenario"]
        P, S = problem.n_periods, problem.periods_per_day
        bulk(cur, "time_grid", {"scenario_id": [sid] * P, "period": range(P),
                                      "day": [p // S for p in range(P)], "slot": [p % S for p in range(P)],
                                      "label": list(problem.period_labels), "penalty": problem.period_penalty})
        for table, matrix in (("teacher_unavailability", problem.teacher_unavailable),
                              ("teacher_preferences", problem.teacher_undesired)):
            t, p = np.nonzero(matrix)
            bulk(cur, table, {"scenario_id": [sid] * len(t), "teacher_id": [ids["teachers"][i] for i in t],
                                    "period": p})

    def data_digest(self, scenario: int | str) -> tuple:
        """A cheap fingerprint of every row :meth:`load_problem` reads for ``scenario`` (row counts and
        sums of row hashes, computed by DuckDB in milliseconds): equal digests, equal problems. A
        cache of loaded problems keys on it (:meth:`tt_core.services.data.DataService.problem`), so
        any change of the data, by whoever, loads the scenario anew."""
        with self.db.reading() as cur:
            sid = scenario_id(self.db, cur, scenario)
            sql = " UNION ALL ".join(
                f"SELECT {i} AS k, count(*) AS n, coalesce(sum(hash(x)), 0) AS h FROM {ident(t)} x "
                f"WHERE x.{'id' if t == 'scenarios' else 'scenario_id'} = $1" for i, t in enumerate(_PROBLEM_TABLES))
            rows = sorted(cur.execute(sql, [sid]).fetchall())
        return (sid, *((int(n), int(h)) for _, n, h in rows))

    def load_problem(self, scenario: int | str) -> Problem:
        """The scenario as a :class:`~tt_core.model.Problem` (the arrays :meth:`import_problem` stored).

        Raises
        ------
        TimetableError
            Unknown scenario; :class:`~tt_core.errors.ValidationError` when edits left the data
            inconsistent (the message lists every problem).
        """
        with self.db.reading() as cur:
            sc = scenario_row(self.db, cur, scenario)
            sid = sc["id"]
            teachers = fetch_rows(cur, "SELECT id, name, max_per_day FROM teachers WHERE scenario_id = ? "
                                       "ORDER BY position", [sid])
            courses = fetch_rows(cur, "SELECT c.id, c.name, t.name AS teacher, d.name AS department, c.category, "
                                      "c.lectures, c.min_days, c.students, c.length, c.room_types, c.explicit_rooms "
                                      "FROM courses c JOIN teachers t ON t.id = c.teacher_id LEFT JOIN departments d "
                                      "ON d.id = c.department_id WHERE c.scenario_id = ? ORDER BY c.position", [sid])
            rooms = fetch_rows(cur, "SELECT r.id, r.name, r.capacity, r.room_type, coalesce(b.position, -1) AS b "
                                    "FROM rooms r LEFT JOIN buildings b ON b.id = r.building_id "
                                    "WHERE r.scenario_id = ? ORDER BY r.position", [sid])
            curricula = fetch_rows(cur, "SELECT id, name, max_per_day FROM curricula WHERE scenario_id = ? "
                                        "ORDER BY position", [sid])
            members = cur.execute("SELECT m.curriculum_id, c.name FROM curriculum_courses m JOIN courses c "
                                  "ON c.id = m.course_id WHERE m.scenario_id = ? ORDER BY m.curriculum_id, m.position",
                                  [sid]).fetchall()
            c_unav = cur.execute("SELECT c.name, u.period FROM course_unavailability u JOIN courses c "
                                 "ON c.id = u.course_id WHERE u.scenario_id = ? ORDER BY c.position, u.period",
                                 [sid]).fetchall()
            t_pairs = {}
            for table in ("teacher_unavailability", "teacher_preferences"):
                t_pairs[table] = cur.execute(
                    f"SELECT t.name, u.period FROM {ident(table)} u JOIN teachers t ON t.id = u.teacher_id "
                    "WHERE u.scenario_id = ? ORDER BY t.position, u.period", [sid]).fetchall()
            suit = cur.execute("SELECT course_id, room_id FROM course_room_suitability WHERE scenario_id = ?",
                               [sid]).fetchall()
            grid = cur.execute("SELECT period, label, penalty FROM time_grid WHERE scenario_id = ? ORDER BY period",
                               [sid]).fetchall()
            students = cur.execute("SELECT id, name FROM students WHERE scenario_id = ? ORDER BY position",
                                   [sid]).fetchall()
            enrolled = cur.execute("SELECT e.student_id, c.name FROM enrolments e JOIN courses c ON c.id = e.course_id "
                                   "WHERE e.scenario_id = ? ORDER BY e.student_id, c.position", [sid]).fetchall()
            sections = dict(cur.execute("SELECT course_id, offering FROM course_sections WHERE scenario_id = ?",
                                        [sid]).fetchall())
        P = sc["days"] * sc["periods_per_day"]
        if [g[0] for g in grid] != list(range(P)):
            raise ValidationError([f"the time grid has {len(grid)} periods, expected {P} ({sc['days']} days x "
                                   f"{sc['periods_per_day']} periods)"], title=f"scenario {sc['name']!r} is damaged")
        taught = {c["teacher"] for c in courses}
        room_index = {r["id"]: i for i, r in enumerate(rooms)}
        course_row = {c["id"]: i for i, c in enumerate(courses)}
        types = [r["room_type"] for r in rooms]
        suitable = np.ones((len(courses), len(rooms)), np.bool_)
        for i, c in enumerate(courses):
            if c["explicit_rooms"]:
                suitable[i] = False
            elif c["room_types"] is not None:
                suitable[i] = [t in c["room_types"] for t in types]
        for course_id, room_id in suit:
            i = course_row.get(course_id)
            if i is not None and courses[i]["explicit_rooms"] and room_id in room_index:
                suitable[i, room_index[room_id]] = True
        by_q: dict[int, list[str]] = {}
        for qid, cname in members:
            by_q.setdefault(qid, []).append(cname)
        by_student: dict[int, list[str]] = {}
        for st, cname in enrolled:
            by_student.setdefault(st, []).append(cname)
        # the membership order inside a curriculum is its position; rows came sorted by (id, position)
        ectt = _ectt_arrays((loads(sc["meta"]) or {}).get(ECTT_KEY), [c["name"] for c in courses],
                            [r["name"] for r in rooms], [q["name"] for q in curricula])
        try:
            return Problem.create(
                name=sc["instance_name"], days=sc["days"], periods_per_day=sc["periods_per_day"],
                courses=[c["name"] for c in courses], course_teacher=[c["teacher"] for c in courses],
                course_lectures=[c["lectures"] for c in courses], course_min_days=[c["min_days"] for c in courses],
                course_students=[c["students"] for c in courses], rooms=[r["name"] for r in rooms],
                room_capacity=[r["capacity"] for r in rooms],
                curricula=[(q["name"], by_q.get(q["id"], [])) for q in curricula],
                unavailable=c_unav, course_length=[c["length"] for c in courses],
                course_department=[c["department"] for c in courses],
                course_category=[c["category"] for c in courses],
                room_building=[r["b"] for r in rooms], room_type=types, suitable=suitable,
                curriculum_max_per_day=[q["max_per_day"] for q in curricula],
                teacher_unavailable=[(t, p) for t, p in t_pairs["teacher_unavailability"] if t in taught],
                teacher_undesired=[(t, p) for t, p in t_pairs["teacher_preferences"] if t in taught],
                teacher_max_per_day={t["name"]: t["max_per_day"] for t in teachers if t["name"] in taught},
                period_penalty=[g[2] for g in grid], period_labels=[g[1] for g in grid],
                enrolments=[(name, by_student.get(st, [])) for st, name in students],
                course_offering=[sections.get(c["id"], c["name"]) for c in courses] if sections else None,
                **ectt,
            )
        except ValidationError as exc:
            raise ValidationError(exc.problems, title=f"scenario {sc['name']!r} is inconsistent") from None

    def meta(self, scenario: int | str) -> dict:
        """The descriptive data of a scenario in the ``meta`` form :meth:`import_problem` takes.

        The per-teacher and per-department lists follow :meth:`load_problem`'s order (first
        appearance in the course list), so they line up with the loaded problem.
        """
        with self.db.reading() as cur:
            sc = scenario_row(self.db, cur, scenario)
            sid = sc["id"]

            def col(sql):
                return [r[0] for r in cur.execute(sql, [sid]).fetchall()]

            courses = cur.execute("SELECT t.name, t.full_name, d.name, d.code FROM courses c JOIN teachers t "
                                  "ON t.id = c.teacher_id LEFT JOIN departments d ON d.id = c.department_id "
                                  "WHERE c.scenario_id = ? ORDER BY c.position", [sid]).fetchall()
            out = dict(loads(sc["meta"]) or {})
            teachers = dict((t, f) for t, f, _, _ in courses)
            departments = dict((d, code) for _, _, d, code in courses if d is not None)
            out.update(
                building_names=col("SELECT name FROM buildings WHERE scenario_id = ? ORDER BY position"),
                room_features=col("SELECT features FROM rooms WHERE scenario_id = ? ORDER BY position"),
                teacher_full_names=list(teachers.values()),
                department_codes=list(departments.values()),
                curriculum_programme=col("SELECT programme FROM curricula WHERE scenario_id = ? ORDER BY position"),
                curriculum_year=col("SELECT year FROM curricula WHERE scenario_id = ? ORDER BY position"),
            )
            students = cur.execute("SELECT programme, year, department FROM students WHERE scenario_id = ? "
                                   "ORDER BY position", [sid]).fetchall()
            if students:
                out.update(student_programme=[r[0] for r in students], student_year=[r[1] for r in students],
                           student_department=[r[2] for r in students])
        return out
