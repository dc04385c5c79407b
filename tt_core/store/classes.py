"""Class-based scenarios (real university data, ITC2019 style): their tables, and their timetables.

A class-based scenario is a row of ``scenarios`` plus one row of ``class_problems`` (weeks and the
four objective weights) and the rows of the ``class_*`` tables: rooms (travel, unavailable times),
the course → config → subpart → class hierarchy, each class's time and room options,
distributions with their classes, students with their courses. Every row keeps its position, so
:meth:`ClassScenarioRepository.load_problem` gives back the same arrays
(:class:`~tt_core.classes.model.ClassProblem`) that :meth:`~ClassScenarioRepository.import_problem`
stored. A timetable of such a scenario is a row of ``variants`` (the same workflow, jobs and
audit as any variant) plus one ``class_assignments`` row per class and one ``class_attendance``
row per student and class.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import numpy as np

from ..errors import TimetableError, ValidationError
from .database import Database
from .scenarios import scenario_row
from .sql import audit_row, bulk, first_row, next_ids, to_json, utcnow

if TYPE_CHECKING:  # the model loads the numba kernels: imported where a class scenario is read
    import pandas as pd

    from ..classes.model import ClassProblem, ClassSolution

#: the scalar settings of a class problem beside its scenario row
PROBLEM_COLUMNS = ("nr_weeks", "w_time", "w_room", "w_distribution", "w_student")


def class_fingerprint(problem: ClassProblem) -> str:
    """A hash of everything that decides whether a solution fits and what it costs (ids left out)."""
    h = hashlib.sha256()
    h.update(f"{problem.nr_days}x{problem.nr_weeks}x{problem.slots_per_day}".encode())
    for name in ("weights", "room_capacity", "travel", "unavailable_ptr", "unavailable_days", "unavailable_start",
                 "unavailable_length", "unavailable_weeks", "course_config_ptr", "config_subpart_ptr",
                 "subpart_class_ptr", "class_limit", "class_parent", "time_ptr", "time_days", "time_start",
                 "time_length", "time_weeks", "time_penalty", "room_option_ptr", "room_option_room",
                 "room_option_penalty", "distribution_type", "distribution_required", "distribution_penalty",
                 "distribution_param", "distribution_ptr", "distribution_classes", "student_ptr", "student_courses"):
        a = np.ascontiguousarray(getattr(problem, name))
        h.update(name.encode())
        h.update(str(a.shape).encode())
        h.update(a.astype(np.int64).tobytes())
    return h.hexdigest()


def _owner(ptr: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(len(ptr) - 1, dtype=np.int64), np.diff(ptr))


def _ptr(owner: np.ndarray, n: int) -> np.ndarray:
    ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(owner, minlength=n), out=ptr[1:])
    return ptr


class ClassScenarioRepository:
    """Class-based scenarios and their timetables (``store.classes``)."""

    def __init__(self, db: Database):
        self.db = db

    # ------------------------------------------------------------------ kind
    def is_class_scenario(self, scenario: int | str) -> bool:
        """True when the scenario holds class-based data (an ITC2019-style instance)."""
        with self.db.reading() as cur:
            sid = int(scenario_row(self.db, cur, scenario)["id"])
            return first_row(cur.execute("SELECT 1 FROM class_problems WHERE scenario_id = ?", [sid])) is not None

    def _class_scenario(self, cur, scenario) -> dict:
        sc = scenario_row(self.db, cur, scenario)
        row = first_row(cur.execute(f"SELECT {', '.join(PROBLEM_COLUMNS)} FROM class_problems WHERE scenario_id = ?",
                                    [sc["id"]]))
        if row is None:
            raise TimetableError(f"scenario {sc['name']!r} holds curriculum data, not classes; open it with the "
                                 "curriculum tools (`tt export`, the timetable app's grid views)")
        return sc | dict(zip(PROBLEM_COLUMNS, row))

    # ------------------------------------------------------------------ import
    def import_problem(self, problem: ClassProblem, scenario_name: str, *, institution: str = "", term: str = "",
                       description: str = "", user: str | None = None) -> int:
        """Store a class problem as a new scenario, in one transaction; returns its id."""
        from .scenarios import check_scenario_name

        p = problem
        with self.db.transaction() as cur:
            check_scenario_name(self.db, cur, scenario_name)
            (sid,) = next_ids(cur, "scenarios", 1)
            cur.execute("INSERT INTO scenarios (id, name, institution, term, description, instance_name, days, "
                        "periods_per_day, meta, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [sid, scenario_name, institution or "", term or "", description or "", p.name, p.nr_days,
                         p.slots_per_day, to_json({"kind": "classes"}, "scenario meta"), utcnow()])
            cur.execute("INSERT INTO class_problems (scenario_id, nr_weeks, w_time, w_room, w_distribution, w_student) "
                        "VALUES (?, ?, ?, ?, ?, ?)", [sid, p.nr_weeks, *map(int, p.weights)])
            self._insert_arrays(cur, sid, p)
            audit_row(cur, user, "import scenario", f"scenario {sid}",
                      {"name": scenario_name, "instance": p.name, "classes": p.n_classes, "kind": "classes"})
        return sid

    @staticmethod
    def _insert_arrays(cur, sid: int, p: ClassProblem) -> None:
        def s(n):
            return np.full(n, sid, np.int64)

        R = p.n_rooms
        bulk(cur, "class_rooms", {"scenario_id": s(R), "position": np.arange(R), "id": list(p.room_ids),
                                  "capacity": p.room_capacity})
        a, b = np.nonzero(np.triu(p.travel, 1))
        bulk(cur, "class_travel", {"scenario_id": s(len(a)), "room_a": a, "room_b": b, "slots": p.travel[a, b]})
        U = len(p.unavailable_start)
        bulk(
            cur,
            "class_room_unavailable",
            {
                "scenario_id": s(U),
                "position": np.arange(U),
                "room": _owner(p.unavailable_ptr),
                "days": p.unavailable_days,
                "start_slot": p.unavailable_start,
                "length": p.unavailable_length,
                "weeks": p.unavailable_weeks,
            },
        )
        for table, ids, parent in (("class_courses", p.course_ids, None),
                                   ("class_configs", p.config_ids, _owner(p.course_config_ptr)),
                                   ("class_subparts", p.subpart_ids, _owner(p.config_subpart_ptr))):
            data = {"scenario_id": s(len(ids)), "position": np.arange(len(ids)), "id": list(ids)}
            if parent is not None:
                data["parent"] = parent
            bulk(cur, table, data)
        C = p.n_classes
        bulk(cur, "class_classes", {"scenario_id": s(C), "position": np.arange(C), "id": list(p.class_ids),
                                    "subpart": _owner(p.subpart_class_ptr), "class_limit": p.class_limit,
                                    "parent": p.class_parent})
        T = len(p.time_start)
        bulk(cur, "class_times", {"scenario_id": s(T), "class": _owner(p.time_ptr), "position": np.arange(T),
                                  "days": p.time_days, "start_slot": p.time_start, "length": p.time_length,
                                  "weeks": p.time_weeks, "penalty": p.time_penalty})
        O = len(p.room_option_room)
        bulk(cur, "class_room_options", {"scenario_id": s(O), "class": _owner(p.room_option_ptr),
                                         "position": np.arange(O), "room": p.room_option_room,
                                         "penalty": p.room_option_penalty})
        D = p.n_distributions
        bulk(cur, "class_distributions", {
            "scenario_id": s(D), "position": np.arange(D), "type": p.distribution_type,
            "required": p.distribution_required, "penalty": p.distribution_penalty,
            "p1": p.distribution_param[:, 0], "p2": p.distribution_param[:, 1]})
        M = len(p.distribution_classes)
        bulk(cur, "class_distribution_members", {"scenario_id": s(M), "distribution": _owner(p.distribution_ptr),
                                                 "position": np.arange(M), "class": p.distribution_classes})
        S = p.n_students
        bulk(cur, "class_students", {"scenario_id": s(S), "position": np.arange(S), "id": list(p.student_ids)})
        E = len(p.student_courses)
        bulk(cur, "class_student_courses", {"scenario_id": s(E), "student": _owner(p.student_ptr),
                                            "position": np.arange(E), "course": p.student_courses})

    # ------------------------------------------------------------------ load
    def load_problem(self, scenario: int | str) -> ClassProblem:
        """The scenario as a :class:`~tt_core.classes.model.ClassProblem` (the arrays stored)."""
        import pandas as pd

        from ..classes.model import ClassProblem
        with self.db.reading() as cur:
            sc = self._class_scenario(cur, scenario)
            sid = sc["id"]

            def col(sql, dtype=np.int64):
                return np.asarray([r[0] for r in cur.execute(sql, [sid]).fetchall()], dtype=dtype)

            def frame(sql):
                res = cur.execute(sql, [sid])
                return pd.DataFrame(res.fetchall(), columns=[d[0] for d in res.description])

            rooms = frame("SELECT id, capacity FROM class_rooms WHERE scenario_id = ? ORDER BY position")
            travel = frame("SELECT room_a, room_b, slots FROM class_travel WHERE scenario_id = ?")
            unav = frame("SELECT room, days, start_slot, length, weeks FROM class_room_unavailable "
                         "WHERE scenario_id = ? ORDER BY position")
            courses = col("SELECT id FROM class_courses WHERE scenario_id = ? ORDER BY position", object)
            configs = frame("SELECT id, parent FROM class_configs WHERE scenario_id = ? ORDER BY position")
            subparts = frame("SELECT id, parent FROM class_subparts WHERE scenario_id = ? ORDER BY position")
            classes = frame("SELECT id, subpart, class_limit, parent FROM class_classes WHERE scenario_id = ? "
                            "ORDER BY position")
            times = frame("SELECT class, days, start_slot, length, weeks, penalty FROM class_times "
                          "WHERE scenario_id = ? ORDER BY position")
            options = frame("SELECT class, room, penalty FROM class_room_options WHERE scenario_id = ? "
                            "ORDER BY position")
            dists = frame("SELECT type, required, penalty, p1, p2 FROM class_distributions WHERE scenario_id = ? "
                          "ORDER BY position")
            members = frame("SELECT distribution, class FROM class_distribution_members WHERE scenario_id = ? "
                            "ORDER BY position")
            students = col("SELECT id FROM class_students WHERE scenario_id = ? ORDER BY position", object)
            enrolled = frame("SELECT student, course FROM class_student_courses WHERE scenario_id = ? "
                             "ORDER BY position")
        R = len(rooms)
        tr = np.zeros((R, R), np.int32)
        tr[travel["room_a"].to_numpy(np.int64), travel["room_b"].to_numpy(np.int64)] = travel["slots"].to_numpy(
            np.int64
        )
        tr = np.maximum(tr, tr.T)
        C = len(classes)
        try:
            return ClassProblem(
                name=sc["instance_name"],
                nr_days=int(sc["days"]),
                nr_weeks=int(sc["nr_weeks"]),
                slots_per_day=int(sc["periods_per_day"]),
                weights=[sc["w_time"], sc["w_room"], sc["w_distribution"], sc["w_student"]],
                room_ids=tuple(rooms["id"]),
                room_capacity=rooms["capacity"].to_numpy(np.int64),
                travel=tr,
                unavailable_ptr=_ptr(unav["room"].to_numpy(np.int64), R),
                unavailable_days=unav["days"].to_numpy(np.int64),
                unavailable_start=unav["start_slot"].to_numpy(np.int64),
                unavailable_length=unav["length"].to_numpy(np.int64),
                unavailable_weeks=unav["weeks"].to_numpy(np.int64),
                course_ids=tuple(courses),
                config_ids=tuple(configs["id"]),
                subpart_ids=tuple(subparts["id"]),
                class_ids=tuple(classes["id"]),
                course_config_ptr=_ptr(configs["parent"].to_numpy(np.int64), len(courses)),
                config_subpart_ptr=_ptr(subparts["parent"].to_numpy(np.int64), len(configs)),
                subpart_class_ptr=_ptr(classes["subpart"].to_numpy(np.int64), len(subparts)),
                class_limit=classes["class_limit"].to_numpy(np.int64),
                class_parent=classes["parent"].to_numpy(np.int64),
                time_ptr=_ptr(times["class"].to_numpy(np.int64), C),
                time_days=times["days"].to_numpy(np.int64),
                time_start=times["start_slot"].to_numpy(np.int64),
                time_length=times["length"].to_numpy(np.int64),
                time_weeks=times["weeks"].to_numpy(np.int64),
                time_penalty=times["penalty"].to_numpy(np.int64),
                room_option_ptr=_ptr(options["class"].to_numpy(np.int64), C),
                room_option_room=options["room"].to_numpy(np.int64),
                room_option_penalty=options["penalty"].to_numpy(np.int64),
                distribution_type=dists["type"].to_numpy(np.int64),
                distribution_required=dists["required"].to_numpy(np.bool_),
                distribution_penalty=dists["penalty"].to_numpy(np.int64),
                distribution_param=np.stack([dists["p1"].to_numpy(np.int64), dists["p2"].to_numpy(np.int64)], axis=1)
                if len(dists)
                else np.zeros((0, 2), np.int32),
                distribution_ptr=_ptr(members["distribution"].to_numpy(np.int64), len(dists)),
                distribution_classes=members["class"].to_numpy(np.int64),
                student_ids=tuple(students),
                student_ptr=_ptr(enrolled["student"].to_numpy(np.int64), len(students)),
                student_courses=enrolled["course"].to_numpy(np.int64),
            )
        except ValidationError as exc:
            raise ValidationError(exc.problems, title=f"scenario {sc['name']!r} is inconsistent") from None

    # ------------------------------------------------------------------ timetables
    def save_solution(self, scenario: int | str, solution: ClassSolution, *, report=None, meta: dict | None = None,
                      name: str | None = None, parent: int | None = None, job_id: int | None = None,
                      partial: bool = False, problem: ClassProblem | None = None, user: str | None = None) -> int:
        """Store a solution of a class-based scenario as a new variant, in one transaction.

        ``report`` (a :class:`~tt_core.classes.evaluator.ClassReport`) gives the hard violations,
        the weighted total (the variant's cost) and the units of every component.
        """
        if name is not None and (not isinstance(name, str) or not name):
            raise TimetableError(f"a variant name must be non-empty text, got {name!r}")
        problem = problem or self.load_problem(scenario)
        solution.check(problem)
        units = hard = soft = None
        if report is not None:
            units = to_json({k: int(v) for k, v in report.units.items()}, "cost units")
            hard, soft = int(report.hard_violations), float(report.total)
        with self.db.transaction() as cur:
            sc = self._class_scenario(cur, scenario)
            sid = sc["id"]
            if parent is not None and first_row(cur.execute("SELECT 1 FROM variants WHERE id = ? AND scenario_id = ?",
                                                            [int(parent), sid])) is None:
                raise TimetableError(f"parent variant {parent} is not a variant of this scenario")
            (vid,) = next_ids(cur, "variants", 1)
            label = name or f"variant {vid}"
            now = utcnow()
            cur.execute("INSERT INTO variants (id, scenario_id, name, parent_variant_id, job_id, status, partial, "
                        "soft_cost, hard_violations, units, weights, problem_hash, n_lectures, meta, created_at, "
                        "updated_at) VALUES (?, ?, ?, ?, ?, 'draft', ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?)",
                        [vid, sid, label, parent, job_id, bool(partial), soft, hard, units, class_fingerprint(problem),
                         problem.n_classes, to_json(dict(meta or {}) | {"solution": solution.info}, "variant meta"),
                         now, now])
            C = problem.n_classes
            bulk(cur, "class_assignments", {"variant_id": np.full(C, vid, np.int64), "class": np.arange(C),
                                            "time_option": solution.time, "room_option": solution.room})
            n = len(solution.student_classes)
            bulk(cur, "class_attendance", {"variant_id": np.full(n, vid, np.int64),
                                           "student": _owner(solution.student_ptr),
                                           "class": solution.student_classes})
            audit_row(cur, user, "save variant", f"variant {vid}", {"scenario_id": sid, "name": label})
        return vid

    def load_solution(self, variant_id: int, *, check_stale: bool = True) -> tuple[ClassSolution, dict]:
        """A stored timetable of a class-based scenario and its variant row (``stale``: the data changed since)."""
        from ..classes.model import ClassSolution

        with self.db.reading() as cur:
            rows = cur.execute(
                "SELECT v.*, s.name AS scenario FROM variants v JOIN scenarios s ON s.id = v.scenario_id "
                "WHERE v.id = ? AND s.deleted_at IS NULL",
                [int(variant_id)],
            )
            cols = [d[0] for d in rows.description]
            found = rows.fetchall()
            if not found:
                raise TimetableError(f"no variant {variant_id} in {self.db.path}")
            info = dict(zip(cols, found[0]))
            assigned = cur.execute("SELECT time_option, room_option FROM class_assignments WHERE variant_id = ? "
                                   "ORDER BY class", [int(variant_id)]).fetchall()
            att = cur.execute(
                "SELECT student, class FROM class_attendance WHERE variant_id = ? ORDER BY student, class",
                [int(variant_id)],
            ).fetchall()
            n_students = first_row(cur.execute("SELECT count(*) FROM class_students WHERE scenario_id = ?",
                                               [info["scenario_id"]]))[0]
        if not assigned and info["n_lectures"]:
            raise TimetableError(f"variant {variant_id} is a curriculum timetable, not a class timetable")
        from .sql import loads

        for k in ("units", "weights", "meta"):
            info[k] = loads(info[k])
        time = np.array([a[0] for a in assigned], np.int32)
        room = np.array([a[1] for a in assigned], np.int32)
        st = np.array([a[0] for a in att], np.int64)
        ptr = _ptr(st, int(n_students))
        sol = ClassSolution(time=time, room=room, student_ptr=ptr.astype(np.int32),
                            student_classes=np.array([a[1] for a in att], np.int32),
                            meta=tuple(((info.get("meta") or {}).get("solution") or {}).items()))
        if check_stale:
            info["stale"] = class_fingerprint(self.load_problem(info["scenario_id"])) != info["problem_hash"]
        return sol, info

    # ------------------------------------------------------------------ what the data app shows
    def frame(self, scenario: int | str, what: str) -> pd.DataFrame:
        """One table of a class-based scenario for people: ``"courses"`` (course, config, subpart,
        class, limit, parent, times, rooms), ``"rooms"``, ``"distributions"`` or ``"students"``."""
        queries = {
            "courses": """
                SELECT co.id AS course, cf.id AS config, sp.id AS subpart, c.id AS class, c.class_limit AS "limit",
                       p.id AS parent,
                       (SELECT count(*) FROM class_times t WHERE t.scenario_id = c.scenario_id
                        AND t.class = c.position) AS times,
                       (SELECT count(*) FROM class_room_options o WHERE o.scenario_id = c.scenario_id
                        AND o.class = c.position) AS rooms
                FROM class_classes c
                JOIN class_subparts sp ON sp.scenario_id = c.scenario_id AND sp.position = c.subpart
                JOIN class_configs cf ON cf.scenario_id = c.scenario_id AND cf.position = sp.parent
                JOIN class_courses co ON co.scenario_id = c.scenario_id AND co.position = cf.parent
                LEFT JOIN class_classes p ON p.scenario_id = c.scenario_id AND p.position = c.parent
                WHERE c.scenario_id = ? ORDER BY c.position""",
            "rooms": """
                SELECT r.id AS room, r.capacity,
                       (SELECT count(*) FROM class_room_unavailable u WHERE u.scenario_id = r.scenario_id
                        AND u.room = r.position) AS unavailable_times,
                       (SELECT count(*) FROM class_room_options o WHERE o.scenario_id = r.scenario_id
                        AND o.room = r.position) AS classes
                FROM class_rooms r WHERE r.scenario_id = ? ORDER BY r.position""",
            "distributions": """
                SELECT d.position + 1 AS distribution, d.type, d.p1, d.p2, d.required, d.penalty,
                       string_agg(c.id, ' ' ORDER BY m.position) AS classes
                FROM class_distributions d
                JOIN class_distribution_members m ON m.scenario_id = d.scenario_id AND m.distribution = d.position
                JOIN class_classes c ON c.scenario_id = d.scenario_id AND c.position = m.class
                WHERE d.scenario_id = ? GROUP BY d.position, d.type, d.p1, d.p2, d.required, d.penalty
                ORDER BY d.position""",
            "students": """
                SELECT s.id AS student, string_agg(co.id, ' ' ORDER BY e.position) AS courses
                FROM class_students s
                LEFT JOIN class_student_courses e ON e.scenario_id = s.scenario_id AND e.student = s.position
                LEFT JOIN class_courses co ON co.scenario_id = s.scenario_id AND co.position = e.course
                WHERE s.scenario_id = ? GROUP BY s.position, s.id ORDER BY s.position""",
        }
        if what not in queries:
            raise TimetableError(f"unknown table {what!r}; one of: {', '.join(queries)}")
        with self.db.reading() as cur:
            sid = self._class_scenario(cur, scenario)["id"]
        df = self.db.frame(queries[what], [sid])
        if what == "distributions":
            from ..classes.distributions import format_type

            df["type"] = [format_type(int(k), int(a), int(b)) for k, a, b in zip(df["type"], df["p1"], df["p2"])]
            df = df.drop(columns=["p1", "p2"])
        return df
