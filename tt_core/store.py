"""The DuckDB store: schema, migrations and repository functions. The only module that writes SQL.

A :class:`Store` owns one DuckDB connection to one database file. Every call takes its own cursor
(``con.cursor()``, DuckDB's rule of one cursor per thread), fetches its results completely and
closes the cursor, so a store can be shared by the threads of one process. Writes are serialised by
a lock per database file and each runs in one transaction: a failed import or save leaves the
database exactly as it was. All values travel as query parameters; table and column names only ever
come from this module's own constants.

DuckDB lets one process hold a file read-write; any other process then fails to open it.
:meth:`Store.open` turns that into a :class:`~tt_core.errors.TimetableError` that says which
process holds it. Dask workers and app sessions send their results to the one process that writes
(the job runner, :mod:`tt_core.jobs.runner`).

Schema (version :data:`SCHEMA_VERSION`; ids are integers from one sequence per table; every name is
scoped by ``scenario_id``):

==========================  ==================================================================
table                       rows
==========================  ==================================================================
scenarios                   name, institution, term, description, instance_name, days,
                            periods_per_day, meta (JSON), created_at, deleted_at
departments, buildings      name, code, position
teachers                    name, full_name, max_per_day (soft daily maximum, 0 = none)
courses                     name, teacher_id, department_id, category (core/elective/open),
                            lectures, min_days, students, length (periods per lecture),
                            room_types (the room types it may use; NULL = any room),
                            explicit_rooms (TRUE: only the rooms in course_room_suitability)
rooms                       name, capacity, room_type, building_id, features (free text)
curricula                   name, programme, year, max_per_day
curriculum_courses          curriculum_id, course_id, position
course_unavailability       course_id, period
course_room_suitability     course_id, room_id (only for courses whose rooms are not their types)
teacher_unavailability      teacher_id, period
teacher_preferences         teacher_id, period (a period the teacher does not want: soft)
time_grid                   period, day, slot, label, penalty (time-of-day penalty units)
weight_profiles             name, weights (JSON ``{constraint or dimension: weight}``), description
jobs                        status, strategy, params (JSON), message, error, variant_id,
                            attempts, worker, created/started/finished/updated_at
job_events                  job_id, seq, logged_at, kind, stage, fraction, best_cost,
                            hard_violations, elapsed, eta, message
job_checkpoints             job_id, saved_at, period[], room[], soft_cost, hard_violations, elapsed
variants                    scenario, name, parent_variant_id, job_id, status, chosen, partial,
                            soft_cost, hard_violations, units (JSON), weights (JSON),
                            problem_hash, meta (JSON), review_round (version 5; status is
                            draft/submitted/approved/rejected/published/archived since then)
assignments                 variant_id, lecture, course_id, period, room_id (NULL = unplaced)
users (rebuilt in version 3) name, role (viewer/teacher/head/registrar/planner/admin, see
                            :mod:`tt_core.auth`), teacher (name, for a teacher), department
                            (name, for a department head)
audit_log (version 2)       logged_at, user_name, action, target, detail
students (version 4)        name, programme, year, department (name; descriptive), position
enrolments (version 4)      student_id, course_id (a course, or one section of a split offering)
course_sections (v. 4)      course_id, offering (name), section (1, 2, …): the course is that
                            section of the offering (see :mod:`tt_core.sectioning`)
variant_approvals (v. 5)    variant_id, review_round, department (name), decision
                            (approved/rejected), user_name, reason, decided_at
substitutions (version 5)   variant_id, on_date, lecture, course_id, absent/substitute_teacher_id,
                            replaces_id, note, created_by/at, rolled_back_at/by (NULL = active):
                            dated overlays on a variant, never changing its assignments (no
                            lecture: the teacher is absent that day; no substitute: uncovered)
==========================  ==================================================================

Periods are global ids ``day * periods_per_day + slot``; timestamps are UTC.

Foreign keys and DuckDB. DuckDB refuses to delete a referenced row even when its referencing rows
were deleted earlier in the same transaction, and refuses to update an indexed (unique) column of
a referenced row. So:

* names are *not* unique indexes (renaming a referenced course would fail); the repository checks
  that a name is unused inside the same write transaction, under the write lock;
* foreign keys point at rows that are never deleted together with their referencing rows:
  ``scenario_id`` everywhere, ``courses.teacher_id/department_id``, ``rooms.building_id``,
  ``job_events/job_checkpoints/variants.job_id``. Deleting a teacher, department or building that
  is still referenced is refused with a message saying what refers to it;
* rows that *are* deleted with their parent in one transaction (curriculum membership,
  unavailability, preferences, suitability; assignments of a variant) carry no foreign key to it;
  the repository resolves every reference by name inside the writing transaction, and
  :meth:`Store.check_integrity` verifies them;
* deleting a scenario first marks it deleted (one transaction: it disappears at once), then purges
  its rows one dependency level per transaction; a purge cut short resumes the next time the
  database is opened read-write.

Migrations: :data:`MIGRATIONS` is a list of ``(version, description, sql)`` steps; opening an older
database applies the missing steps, each in its own transaction, and records them in
``schema_version``.

The job runner calls the functional form of the job API (``store.create_job(con, ...)`` with the
:class:`Store` returned by :func:`connect_for_runner`); see the end of this module.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import duckdb
import numpy as np
import pandas as pd

from . import auth as _auth
from . import constraints as K
from .errors import TimetableError, ValidationError
from .model import CATEGORIES, Problem, Timetable

__all__ = [
    "Store", "MIGRATIONS", "SCHEMA_VERSION", "JOB_STATUSES", "VARIANT_STATUSES", "ROLES", "ENTITIES",
    "default_db_path", "problem_fingerprint", "suitability_rules", "META_LISTS",
    "connect_for_runner",
]

JOB_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled", "interrupted")
#: a variant's life cycle (the approval workflow of :mod:`tt_core.workflow`; statuses before version 5
#: of the schema: draft, review, approved, published, archived — ``review`` became ``submitted``)
VARIANT_STATUSES = ("draft", "submitted", "approved", "rejected", "published", "archived")
#: user roles (the permission map lives in :mod:`tt_core.auth`; version 3 of the schema allows them all)
ROLES = _auth.ROLES

# job status -> statuses it may move to (the runner's life cycle; retry puts an ended job back)
_TRANSITIONS = {
    "queued": {"running", "cancelled", "failed"},
    "running": {"succeeded", "failed", "cancelled", "interrupted", "queued"},
    "failed": {"queued"},
    "cancelled": {"queued"},
    "interrupted": {"queued", "cancelled"},
    "succeeded": set(),
}
_ENDED = frozenset({"succeeded", "failed", "cancelled", "interrupted"})

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

# ====================================================================================== schema

_SEQUENCES = ("scenarios", "departments", "buildings", "teachers", "courses", "rooms", "curricula",
              "weight_profiles", "jobs", "variants", "users")

_V1 = "\n".join(f"CREATE SEQUENCE {t}_id_seq;" for t in _SEQUENCES) + """
CREATE TABLE scenarios (
    id INTEGER PRIMARY KEY DEFAULT nextval('scenarios_id_seq'),
    name VARCHAR NOT NULL CHECK (length(name) > 0),
    institution VARCHAR NOT NULL DEFAULT '',
    term VARCHAR NOT NULL DEFAULT '',
    description VARCHAR NOT NULL DEFAULT '',
    instance_name VARCHAR NOT NULL,
    days INTEGER NOT NULL CHECK (days >= 1),
    periods_per_day INTEGER NOT NULL CHECK (periods_per_day >= 1),
    meta JSON NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE TABLE departments (
    id INTEGER PRIMARY KEY DEFAULT nextval('departments_id_seq'),
    scenario_id INTEGER NOT NULL REFERENCES scenarios (id),
    name VARCHAR NOT NULL CHECK (length(name) > 0),
    code VARCHAR NOT NULL DEFAULT '',
    position INTEGER NOT NULL
);
CREATE TABLE buildings (
    id INTEGER PRIMARY KEY DEFAULT nextval('buildings_id_seq'),
    scenario_id INTEGER NOT NULL REFERENCES scenarios (id),
    name VARCHAR NOT NULL CHECK (length(name) > 0),
    code VARCHAR NOT NULL DEFAULT '',
    position INTEGER NOT NULL
);
CREATE TABLE teachers (
    id INTEGER PRIMARY KEY DEFAULT nextval('teachers_id_seq'),
    scenario_id INTEGER NOT NULL REFERENCES scenarios (id),
    name VARCHAR NOT NULL CHECK (length(name) > 0),
    full_name VARCHAR NOT NULL DEFAULT '',
    max_per_day INTEGER NOT NULL DEFAULT 0 CHECK (max_per_day >= 0),
    position INTEGER NOT NULL
);
CREATE TABLE courses (
    id INTEGER PRIMARY KEY DEFAULT nextval('courses_id_seq'),
    scenario_id INTEGER NOT NULL REFERENCES scenarios (id),
    name VARCHAR NOT NULL CHECK (length(name) > 0),
    teacher_id INTEGER NOT NULL REFERENCES teachers (id),
    department_id INTEGER REFERENCES departments (id),
    category VARCHAR NOT NULL DEFAULT 'core' CHECK (category IN ('core', 'elective', 'open')),
    lectures INTEGER NOT NULL CHECK (lectures >= 0),
    min_days INTEGER NOT NULL DEFAULT 0 CHECK (min_days >= 0),
    students INTEGER NOT NULL DEFAULT 0 CHECK (students >= 0),
    length INTEGER NOT NULL DEFAULT 1 CHECK (length >= 1),
    room_types VARCHAR[],
    explicit_rooms BOOLEAN NOT NULL DEFAULT FALSE,
    position INTEGER NOT NULL
);
CREATE TABLE rooms (
    id INTEGER PRIMARY KEY DEFAULT nextval('rooms_id_seq'),
    scenario_id INTEGER NOT NULL REFERENCES scenarios (id),
    name VARCHAR NOT NULL CHECK (length(name) > 0),
    capacity INTEGER NOT NULL CHECK (capacity >= 0),
    room_type VARCHAR,
    building_id INTEGER REFERENCES buildings (id),
    features VARCHAR NOT NULL DEFAULT '',
    position INTEGER NOT NULL
);
CREATE TABLE curricula (
    id INTEGER PRIMARY KEY DEFAULT nextval('curricula_id_seq'),
    scenario_id INTEGER NOT NULL REFERENCES scenarios (id),
    name VARCHAR NOT NULL CHECK (length(name) > 0),
    programme VARCHAR,
    year INTEGER CHECK (year >= 1),
    max_per_day INTEGER NOT NULL DEFAULT 0 CHECK (max_per_day >= 0),
    position INTEGER NOT NULL
);
CREATE TABLE curriculum_courses (
    scenario_id INTEGER NOT NULL REFERENCES scenarios (id),
    curriculum_id INTEGER NOT NULL,
    course_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (curriculum_id, course_id)
);
CREATE TABLE course_unavailability (
    scenario_id INTEGER NOT NULL REFERENCES scenarios (id),
    course_id INTEGER NOT NULL,
    period INTEGER NOT NULL CHECK (period >= 0),
    PRIMARY KEY (course_id, period)
);
CREATE TABLE course_room_suitability (
    scenario_id INTEGER NOT NULL REFERENCES scenarios (id),
    course_id INTEGER NOT NULL,
    room_id INTEGER NOT NULL,
    PRIMARY KEY (course_id, room_id)
);
CREATE TABLE teacher_unavailability (
    scenario_id INTEGER NOT NULL REFERENCES scenarios (id),
    teacher_id INTEGER NOT NULL,
    period INTEGER NOT NULL CHECK (period >= 0),
    PRIMARY KEY (teacher_id, period)
);
CREATE TABLE teacher_preferences (
    scenario_id INTEGER NOT NULL REFERENCES scenarios (id),
    teacher_id INTEGER NOT NULL,
    period INTEGER NOT NULL CHECK (period >= 0),
    PRIMARY KEY (teacher_id, period)
);
CREATE TABLE time_grid (
    scenario_id INTEGER NOT NULL REFERENCES scenarios (id),
    period INTEGER NOT NULL CHECK (period >= 0),
    day INTEGER NOT NULL CHECK (day >= 0),
    slot INTEGER NOT NULL CHECK (slot >= 0),
    label VARCHAR NOT NULL,
    penalty INTEGER NOT NULL DEFAULT 0 CHECK (penalty >= 0),
    PRIMARY KEY (scenario_id, period)
);
CREATE TABLE weight_profiles (
    id INTEGER PRIMARY KEY DEFAULT nextval('weight_profiles_id_seq'),
    scenario_id INTEGER NOT NULL REFERENCES scenarios (id),
    name VARCHAR NOT NULL CHECK (length(name) > 0),
    weights JSON NOT NULL,
    description VARCHAR NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    UNIQUE (scenario_id, name)
);
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY DEFAULT nextval('jobs_id_seq'),
    scenario_id INTEGER NOT NULL REFERENCES scenarios (id),
    name VARCHAR NOT NULL DEFAULT '',
    status VARCHAR NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
    strategy VARCHAR,
    params JSON NOT NULL DEFAULT '{}',
    message VARCHAR NOT NULL DEFAULT '',
    error VARCHAR,
    variant_id INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    worker VARCHAR,
    created_by VARCHAR,
    created_at TIMESTAMP NOT NULL,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);
CREATE TABLE job_events (
    job_id INTEGER NOT NULL REFERENCES jobs (id),
    seq INTEGER NOT NULL CHECK (seq >= 1),
    logged_at TIMESTAMP NOT NULL,
    kind VARCHAR NOT NULL DEFAULT 'progress',
    stage VARCHAR,
    fraction DOUBLE CHECK (fraction >= 0 AND fraction <= 1),
    best_cost DOUBLE,
    hard_violations INTEGER,
    elapsed DOUBLE,
    eta DOUBLE,
    message VARCHAR,
    PRIMARY KEY (job_id, seq)
);
CREATE TABLE job_checkpoints (
    job_id INTEGER PRIMARY KEY REFERENCES jobs (id),
    saved_at TIMESTAMP NOT NULL,
    period INTEGER[] NOT NULL,
    room INTEGER[] NOT NULL,
    soft_cost DOUBLE,
    hard_violations INTEGER,
    elapsed DOUBLE NOT NULL DEFAULT 0
);
CREATE TABLE variants (
    id INTEGER PRIMARY KEY DEFAULT nextval('variants_id_seq'),
    scenario_id INTEGER NOT NULL REFERENCES scenarios (id),
    name VARCHAR NOT NULL CHECK (length(name) > 0),
    parent_variant_id INTEGER,
    job_id INTEGER REFERENCES jobs (id),
    status VARCHAR NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'review', 'approved', 'published', 'archived')),
    chosen BOOLEAN NOT NULL DEFAULT FALSE,
    partial BOOLEAN NOT NULL DEFAULT FALSE,
    soft_cost DOUBLE,
    hard_violations INTEGER CHECK (hard_violations >= 0),
    units JSON,
    weights JSON,
    problem_hash VARCHAR NOT NULL,
    n_lectures INTEGER NOT NULL CHECK (n_lectures >= 0),
    meta JSON NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE TABLE assignments (
    variant_id INTEGER NOT NULL,
    lecture INTEGER NOT NULL CHECK (lecture >= 0),
    course_id INTEGER NOT NULL,
    period INTEGER CHECK (period >= 0),
    room_id INTEGER,
    PRIMARY KEY (variant_id, lecture)
);
CREATE TABLE users (
    id INTEGER PRIMARY KEY DEFAULT nextval('users_id_seq'),
    name VARCHAR NOT NULL UNIQUE CHECK (length(name) > 0),
    role VARCHAR NOT NULL CHECK (role IN ('viewer', 'planner', 'admin', 'teacher')),
    teacher VARCHAR,
    created_at TIMESTAMP NOT NULL,
    CHECK (role <> 'teacher' OR teacher IS NOT NULL)
);
"""

_V2 = """
CREATE SEQUENCE audit_log_id_seq;
CREATE TABLE audit_log (
    id BIGINT PRIMARY KEY DEFAULT nextval('audit_log_id_seq'),
    logged_at TIMESTAMP NOT NULL,
    user_name VARCHAR,
    action VARCHAR NOT NULL,
    target VARCHAR NOT NULL DEFAULT '',
    detail JSON NOT NULL DEFAULT '{}'
);
CREATE INDEX courses_scenario_idx ON courses (scenario_id);
CREATE INDEX variants_scenario_idx ON variants (scenario_id);
"""

# Version 3: roles for the approval workflow and self-service (tt_core.auth). DuckDB cannot change a
# CHECK constraint, so ``users`` is rebuilt with the same ids and rows plus ``department`` (the
# department a ``head`` heads); nothing has a foreign key to ``users`` (the audit log keeps names).
_V3 = """
CREATE TABLE users_v3 (
    id INTEGER PRIMARY KEY DEFAULT nextval('users_id_seq'),
    name VARCHAR NOT NULL UNIQUE CHECK (length(name) > 0),
    role VARCHAR NOT NULL CHECK (role IN ('viewer', 'teacher', 'head', 'registrar', 'planner', 'admin')),
    teacher VARCHAR,
    created_at TIMESTAMP NOT NULL,
    department VARCHAR,
    CHECK (role <> 'teacher' OR teacher IS NOT NULL),
    CHECK (role <> 'head' OR department IS NOT NULL)
);
INSERT INTO users_v3 (id, name, role, teacher, created_at) SELECT id, name, role, teacher, created_at FROM users;
DROP TABLE users;
ALTER TABLE users_v3 RENAME TO users;
"""

# Version 5: the approval workflow (tt_core.workflow) and substitution overlays (tt_core.substitution).
# DuckDB cannot change a CHECK constraint, so ``variants`` is rebuilt: same columns, ids and rows
# (``review`` becomes ``submitted``) plus ``review_round``, the current round of approvals. Nothing
# has a foreign key to ``variants``, so it can be dropped; the rows wait in a plain copy meanwhile
# (renaming a new table into place instead would leave DuckDB's foreign-key bookkeeping of
# ``scenarios`` and ``jobs`` pointing at the old name, and deleting a scenario would then fail).
_V5 = """
CREATE TEMP TABLE variants_before_v5 AS SELECT * FROM variants;
DROP TABLE variants;
CREATE TABLE variants (
    id INTEGER PRIMARY KEY DEFAULT nextval('variants_id_seq'),
    scenario_id INTEGER NOT NULL REFERENCES scenarios (id),
    name VARCHAR NOT NULL CHECK (length(name) > 0),
    parent_variant_id INTEGER,
    job_id INTEGER REFERENCES jobs (id),
    status VARCHAR NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'submitted', 'approved', 'rejected', 'published', 'archived')),
    chosen BOOLEAN NOT NULL DEFAULT FALSE,
    partial BOOLEAN NOT NULL DEFAULT FALSE,
    soft_cost DOUBLE,
    hard_violations INTEGER CHECK (hard_violations >= 0),
    units JSON,
    weights JSON,
    problem_hash VARCHAR NOT NULL,
    n_lectures INTEGER NOT NULL CHECK (n_lectures >= 0),
    meta JSON NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    review_round INTEGER NOT NULL DEFAULT 0 CHECK (review_round >= 0)
);
INSERT INTO variants (id, scenario_id, name, parent_variant_id, job_id, status, chosen, partial, soft_cost,
                      hard_violations, units, weights, problem_hash, n_lectures, meta, created_at, updated_at,
                      review_round)
    SELECT id, scenario_id, name, parent_variant_id, job_id,
           CASE status WHEN 'review' THEN 'submitted' ELSE status END, chosen, partial, soft_cost,
           hard_violations, units, weights, problem_hash, n_lectures, meta, created_at, updated_at,
           CASE WHEN status IN ('review', 'approved', 'published') THEN 1 ELSE 0 END
    FROM variants_before_v5;
DROP TABLE variants_before_v5;
CREATE INDEX variants_scenario_idx ON variants (scenario_id);
CREATE SEQUENCE variant_approvals_id_seq;
CREATE TABLE variant_approvals (
    id BIGINT PRIMARY KEY DEFAULT nextval('variant_approvals_id_seq'),
    variant_id INTEGER NOT NULL,
    review_round INTEGER NOT NULL CHECK (review_round >= 1),
    department VARCHAR NOT NULL,
    decision VARCHAR NOT NULL CHECK (decision IN ('approved', 'rejected')),
    user_name VARCHAR,
    reason VARCHAR NOT NULL DEFAULT '',
    decided_at TIMESTAMP NOT NULL,
    UNIQUE (variant_id, review_round, department),
    CHECK (decision = 'approved' OR length(trim(reason)) > 0)
);
CREATE SEQUENCE substitutions_id_seq;
CREATE TABLE substitutions (
    id INTEGER PRIMARY KEY DEFAULT nextval('substitutions_id_seq'),
    scenario_id INTEGER NOT NULL REFERENCES scenarios (id),
    variant_id INTEGER NOT NULL,
    on_date DATE NOT NULL,
    lecture INTEGER CHECK (lecture >= 0),
    course_id INTEGER,
    absent_teacher_id INTEGER NOT NULL,
    substitute_teacher_id INTEGER,
    replaces_id INTEGER,
    note VARCHAR NOT NULL DEFAULT '',
    created_by VARCHAR,
    created_at TIMESTAMP NOT NULL,
    rolled_back_at TIMESTAMP,
    rolled_back_by VARCHAR,
    CHECK (absent_teacher_id <> substitute_teacher_id),
    CHECK (lecture IS NOT NULL OR substitute_teacher_id IS NULL),
    CHECK ((lecture IS NULL) = (course_id IS NULL))
);
CREATE INDEX substitutions_variant_idx ON substitutions (variant_id, on_date);
"""

# Version 4: students and their enrolments (the general form of curricula: two courses sharing a
# student may not overlap), and which courses are sections of a split offering. Enrolment and
# section rows are deleted with their course or student, so they carry no foreign key to them.
_V4 = """
CREATE SEQUENCE students_id_seq;
CREATE TABLE students (
    id INTEGER PRIMARY KEY DEFAULT nextval('students_id_seq'),
    scenario_id INTEGER NOT NULL REFERENCES scenarios (id),
    name VARCHAR NOT NULL CHECK (length(name) > 0),
    programme VARCHAR,
    year INTEGER CHECK (year >= 1),
    department VARCHAR,
    position INTEGER NOT NULL
);
CREATE TABLE enrolments (
    scenario_id INTEGER NOT NULL REFERENCES scenarios (id),
    student_id INTEGER NOT NULL,
    course_id INTEGER NOT NULL,
    PRIMARY KEY (student_id, course_id)
);
CREATE TABLE course_sections (
    scenario_id INTEGER NOT NULL REFERENCES scenarios (id),
    course_id INTEGER PRIMARY KEY,
    offering VARCHAR NOT NULL CHECK (length(offering) > 0),
    section INTEGER NOT NULL CHECK (section >= 1)
);
CREATE INDEX students_scenario_idx ON students (scenario_id);
CREATE INDEX enrolments_scenario_idx ON enrolments (scenario_id);
"""

#: forward migrations ``(version, description, sql)``; a database at version ``v`` gets every later step
MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (1, "scenarios, timetabling data, jobs, variants, users", _V1),
    (2, "audit log and lookup indexes", _V2),
    (3, "user roles head and registrar, users.department", _V3),
    (4, "students, enrolments and course sections", _V4),
    (5, "approval workflow (variant statuses, approvals) and substitution overlays", _V5),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]

_SCOPED_TABLES = ("departments", "buildings", "teachers", "courses", "rooms", "curricula",
                  "curriculum_courses", "course_unavailability", "course_room_suitability",
                  "teacher_unavailability", "teacher_preferences", "time_grid", "weight_profiles",
                  "jobs", "variants")
# purge order of a deleted scenario: one level per transaction, referencing rows first
_PURGE_LEVELS: tuple[tuple[tuple[str, str], ...], ...] = (
    (("assignments", "variant_id IN (SELECT id FROM variants WHERE scenario_id = ?)"),
     ("job_events", "job_id IN (SELECT id FROM jobs WHERE scenario_id = ?)"),
     ("job_checkpoints", "job_id IN (SELECT id FROM jobs WHERE scenario_id = ?)"),
     ("curriculum_courses", "scenario_id = ?"), ("course_unavailability", "scenario_id = ?"),
     ("course_room_suitability", "scenario_id = ?"), ("teacher_unavailability", "scenario_id = ?"),
     ("teacher_preferences", "scenario_id = ?"), ("time_grid", "scenario_id = ?"),
     ("weight_profiles", "scenario_id = ?"),
     ("variant_approvals", "variant_id IN (SELECT id FROM variants WHERE scenario_id = ?)"),
     ("substitutions", "scenario_id = ?"), ("enrolments", "scenario_id = ?"),
     ("course_sections", "scenario_id = ?")),
    (("variants", "scenario_id = ?"), ("courses", "scenario_id = ?"), ("rooms", "scenario_id = ?"),
     ("curricula", "scenario_id = ?"), ("students", "scenario_id = ?")),
    (("jobs", "scenario_id = ?"), ("teachers", "scenario_id = ?"), ("departments", "scenario_id = ?"),
     ("buildings", "scenario_id = ?")),
    (("scenarios", "id = ?"),),
)

_IDENT = re.compile(r"[a-z_][a-z0-9_]*\Z")
_WRITE_LOCKS: dict[str, threading.RLock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def default_db_path() -> Path:
    """``$TT_DB`` when set, else ``data/timetable.duckdb``."""
    return Path(os.environ.get("TT_DB") or "data/timetable.duckdb")


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _ident(name: str) -> str:
    # identifiers only ever come from this module's constants; this guards against a slip
    if not _IDENT.match(name):
        raise ValueError(f"not an SQL identifier: {name!r}")
    return name


def _json(value: Any, what: str) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, default=_json_default)
    except (TypeError, ValueError) as exc:
        raise TimetableError(f"{what} cannot be stored: {exc}; use numbers, strings, lists and dicts") from None


def _json_default(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _first(result) -> tuple | None:
    """The first row of a result, fetched completely (an unfinished DuckDB result blocks its cursor)."""
    rows = result.fetchall()
    return rows[0] if rows else None


def _loads(text: str | None):
    return None if text is None else json.loads(text)


# ====================================================================================== entities


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
#: the tables the generic :meth:`Store.read` / ``create`` / ``update`` / ``delete`` accept
ENTITIES: dict[str, _Entity] = {e.table: e for e in _ENTITY_LIST}
# whole-number columns and their minimum (a course's length is also at most the periods per day)
_INT_COLUMNS = {"lectures": 0, "min_days": 0, "students": 0, "length": 1, "capacity": 0, "max_per_day": 0,
                "year": 1, "penalty": 0}
# text columns -> whether NULL is allowed
_TEXT_COLUMNS = {"code": False, "full_name": False, "features": False, "label": False, "description": False,
                 "programme": True, "room_type": True, "teacher": True, "department": True}
_SINGULAR = {"departments": "department", "buildings": "building", "teachers": "teacher", "rooms": "room",
             "courses": "course", "curricula": "curriculum", "weight_profiles": "weight profile", "students": "student",
             "users": "user"}


# ====================================================================================== helpers


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
    if problem.n_enrolments:
        # students decide StudentClashes; hashed only when present, so older fingerprints stay valid
        for name in ("student_ptr", "student_courses"):
            a = np.ascontiguousarray(getattr(problem, name))
            h.update(name.encode())
            h.update(str(a.shape).encode())
            h.update(a.astype(np.int64).tobytes())
    return h.hexdigest()


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


def _translate(exc: duckdb.Error, what: str) -> TimetableError:
    """A DuckDB constraint error as a user-facing error naming the item."""
    text = str(exc).split("\n")[0]
    text = re.sub(r"^[A-Za-z ]+Error: ", "", text)
    return ValidationError([f"{what}: {text}"], title="the change was refused")


# ====================================================================================== the store


class Store:
    """One DuckDB database of scenarios, variants, jobs and users.

    Parameters
    ----------
    path : str or os.PathLike
        The database file (created with the current schema when missing) or ``":memory:"``.
    read_only : bool
        Open without the write lock; the schema must be current (open it read-write once to upgrade).

    Raises
    ------
    TimetableError
        The file is held by another process, is not a DuckDB database, is not a timetable studio
        database, was written by a newer version, or (read-only) does not exist or needs upgrading.

    Examples
    --------
    >>> with Store.open(":memory:") as db:            # doctest: +SKIP
    ...     sid = db.import_problem(problem, "autumn 2025")
    ...     same = db.load_problem("autumn 2025")
    """

    def __init__(self, path: str | os.PathLike = ":memory:", *, read_only: bool = False):
        self.path = str(path)
        self.read_only = bool(read_only)
        memory = self.path == ":memory:"
        if not memory:
            p = Path(self.path)
            if read_only and not p.exists():
                raise TimetableError(f"no database at {p}; create one with `tt import SOURCE --db {p}`")
            if p.exists() and p.is_dir():
                raise TimetableError(f"{p} is a folder, not a database file; give a file name such as {p / 'timetable.duckdb'}")
            if not read_only and not p.parent.is_dir():
                raise TimetableError(f"cannot create {p}: the folder {p.parent} does not exist; create it first")
        try:
            self._con = duckdb.connect(self.path, read_only=self.read_only)
        except duckdb.IOException as exc:
            raise self._open_error(exc) from None
        except duckdb.ConnectionException as exc:
            raise TimetableError(f"{self.path} is already open in this process "
                                 f"{'read-write' if read_only else 'read-only'}; use that store or close it "
                                 "first") from None
        key = f"memory:{id(self)}" if memory else os.path.realpath(self.path)
        with _WRITE_LOCKS_GUARD:
            self._lock = _WRITE_LOCKS.setdefault(key, threading.RLock())
        self._cursor_lock = threading.Lock()
        self._closed = False
        try:
            self._migrate()
            if not self.read_only:
                self._purge_deleted()
        except BaseException:
            self._con.close()
            raise

    @classmethod
    def open(cls, path: str | os.PathLike, read_only: bool = False) -> "Store":
        """Open (or create) the database at ``path``; see :class:`Store`."""
        return cls(path, read_only=read_only)

    def _open_error(self, exc: duckdb.IOException) -> TimetableError:
        text = str(exc)
        if "lock" in text.lower():
            m = re.search(r"Conflicting lock is held in (.*?)(?:\. See also|$)", text)
            holder = m.group(1).strip() if m else text
            return TimetableError(f"{self.path} is open in another process ({holder}); close it or use the "
                                  "job runner, which owns the database while it runs")
        if "not a valid DuckDB database" in text:
            return TimetableError(f"{self.path} is not a DuckDB database file; give the path of a .duckdb file "
                                  "(or a new file name to create one)")
        return TimetableError(f"cannot open {self.path}: {text}")

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if not self._closed:
            self._closed = True
            self._con.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.path!r}{', read_only=True' if self.read_only else ''})"

    # ------------------------------------------------------------------ cursors and transactions
    def _cursor(self) -> duckdb.DuckDBPyConnection:
        if self._closed:
            raise TimetableError(f"the store {self.path} is closed")
        with self._cursor_lock:
            return self._con.cursor()

    @contextlib.contextmanager
    def _reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self._cursor()
        try:
            yield cur
        finally:
            cur.close()

    @contextlib.contextmanager
    def _writing(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write transaction under the write lock; rolled back on any exception."""
        if self.read_only:
            raise TimetableError(f"{self.path} is open read-only; open it without read-only to change it")
        with self._lock:
            cur = self._cursor()
            try:
                cur.begin()
                try:
                    yield cur
                except BaseException:
                    cur.rollback()
                    raise
                cur.commit()
            finally:
                cur.close()

    def _rows(self, cur, sql: str, params: Sequence = ()) -> list[dict]:
        res = cur.execute(sql, list(params))
        cols = [d[0] for d in res.description]
        return [dict(zip(cols, row)) for row in res.fetchall()]

    def _query(self, sql: str, params: Sequence = ()) -> list[dict]:
        with self._reading() as cur:
            return self._rows(cur, sql, params)

    def _frame(self, sql: str, params: Sequence = ()) -> pd.DataFrame:
        with self._reading() as cur:
            res = cur.execute(sql, list(params))
            cols = [d[0] for d in res.description]
            return pd.DataFrame(res.fetchall(), columns=cols)

    def _bulk(self, cur, table: str, data: dict[str, Sequence]) -> None:
        """Insert the rows of ``data`` (column -> values, equal lengths) into ``table``."""
        cols = [_ident(c) for c in data]
        frame = pd.DataFrame({c: (v if isinstance(v, (np.ndarray, pd.api.extensions.ExtensionArray)) else list(v))
                              for c, v in data.items()})
        if frame.empty:
            return
        cur.register("_tt_bulk", frame)
        try:
            names = ", ".join(cols)
            cur.execute(f"INSERT INTO {_ident(table)} ({names}) SELECT {names} FROM _tt_bulk")
        finally:
            cur.unregister("_tt_bulk")

    @staticmethod
    def _next_ids(cur, table: str, n: int) -> list[int]:
        if n == 0:
            return []
        seq = _ident(f"{table}_id_seq")
        return [r[0] for r in cur.execute(f"SELECT nextval('{seq}') FROM range(?)", [n]).fetchall()]

    # ------------------------------------------------------------------ migrations
    def schema_version(self) -> int:
        """The schema version of the open database."""
        with self._reading() as cur:
            return self._version(cur)

    @staticmethod
    def _version(cur) -> int:
        tables = {r[0] for r in cur.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
        if "schema_version" not in tables:
            return -1 if tables else 0
        row = _first(cur.execute("SELECT max(version) FROM schema_version"))
        return int(row[0] or 0)

    def _migrate(self, target: int | None = None) -> None:
        target = SCHEMA_VERSION if target is None else target
        with self._reading() as cur:
            version = self._version(cur)
            # steps recorded; a step added below the newest one after the database was made (two
            # features developed side by side) is applied too, not skipped
            applied = {r[0] for r in cur.execute("SELECT version FROM schema_version").fetchall()} \
                if version > 0 else set()
        missing = [m for m in MIGRATIONS if m[0] <= min(version, target) and m[0] not in applied]
        if version == -1:
            raise TimetableError(f"{self.path} is a DuckDB database but not a timetable studio one (it has no "
                                 "schema_version table); give another file name")
        if version > SCHEMA_VERSION:
            raise TimetableError(f"{self.path} has schema version {version}, made by a newer timetable studio "
                                 f"(this one knows up to {SCHEMA_VERSION}); upgrade the software")
        if version >= target and not missing:
            return
        if self.read_only:
            raise TimetableError(f"{self.path} has schema version {version} and needs upgrading to {target}; "
                                 "open it once without read-only (e.g. `tt scenarios --db ...`)")
        with self._lock:
            for step, description, sql in MIGRATIONS:
                if version < step <= target or (step, description, sql) in missing:
                    cur = self._cursor()
                    try:
                        cur.begin()
                        try:
                            if step == 1:
                                cur.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, "
                                            "description VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)")
                            cur.execute(sql)
                            cur.execute("INSERT INTO schema_version VALUES (?, ?, ?)", [step, description, _now()])
                        except BaseException:
                            cur.rollback()
                            raise
                        cur.commit()
                    finally:
                        cur.close()

    # ------------------------------------------------------------------ audit
    def _audit(self, cur, user: str | None, action: str, target: str, detail: dict | None = None) -> None:
        cur.execute("INSERT INTO audit_log (logged_at, user_name, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                    [_now(), user, action, target, _json(detail or {}, "audit detail")])

    def audit(self, action: str, target: str = "", detail: dict | None = None, *, user: str | None = None) -> None:
        """Append one entry to the change history.

        Parameters
        ----------
        action : str
            What happened, e.g. ``"export"`` or ``"login"``.
        target : str
            What it happened to, e.g. ``"scenario demo"``.
        detail : dict, optional
            JSON-serialisable details.
        user : str, optional
            Who did it.
        """
        with self._writing() as cur:
            self._audit(cur, user, action, target, detail)

    def audit_log(self, limit: int = 100) -> pd.DataFrame:
        """The latest ``limit`` entries of the change history, newest first."""
        df = self._frame("SELECT id, logged_at, user_name, action, target, detail FROM audit_log "
                         "ORDER BY id DESC LIMIT ?", [int(limit)])
        df["detail"] = [_loads(d) for d in df["detail"]]
        return df

    # ------------------------------------------------------------------ scenarios
    def _scenario_row(self, cur, scenario: int | str) -> dict:
        if isinstance(scenario, (int, np.integer)) and not isinstance(scenario, bool):
            rows = self._rows(cur, "SELECT * FROM scenarios WHERE id = ? AND deleted_at IS NULL", [int(scenario)])
        elif isinstance(scenario, str):
            rows = self._rows(cur, "SELECT * FROM scenarios WHERE name = ? AND deleted_at IS NULL", [scenario])
        else:
            raise TimetableError(f"a scenario is given by its name or id, not {type(scenario).__name__}")
        if not rows:
            names = [r[0] for r in cur.execute(
                "SELECT name FROM scenarios WHERE deleted_at IS NULL ORDER BY id").fetchall()]
            known = ", ".join(repr(n) for n in names[:20]) if names else "none yet; import one with `tt import`"
            raise TimetableError(f"no scenario {scenario!r} in {self.path}; the scenarios there: {known}")
        return rows[0]

    def _scenario_id(self, cur, scenario: int | str) -> int:
        return int(self._scenario_row(cur, scenario)["id"])

    def scenario_exists(self, scenario: int | str) -> bool:
        """True when a (not deleted) scenario of that name or id exists."""
        try:
            self.get_scenario(scenario)
        except TimetableError:
            return False
        return True

    def get_scenario(self, scenario: int | str) -> dict:
        """The scenario's row (``meta`` parsed) as a dict."""
        with self._reading() as cur:
            row = self._scenario_row(cur, scenario)
        row["meta"] = _loads(row["meta"])
        return row

    def list_scenarios(self) -> list[str]:
        """Names of the scenarios, oldest first."""
        return [r["name"] for r in self._query("SELECT name FROM scenarios WHERE deleted_at IS NULL ORDER BY id")]

    def scenarios_overview(self) -> list[dict]:
        """One dict per scenario: id, name, institution, term, instance, sizes, variants, created."""
        return self._query("""
            SELECT s.id, s.name, s.institution, s.term, s.instance_name, s.days, s.periods_per_day,
                   (SELECT count(*) FROM courses c WHERE c.scenario_id = s.id) AS courses,
                   (SELECT coalesce(sum(lectures), 0) FROM courses c WHERE c.scenario_id = s.id) AS lectures,
                   (SELECT count(*) FROM rooms r WHERE r.scenario_id = s.id) AS rooms,
                   (SELECT count(*) FROM curricula q WHERE q.scenario_id = s.id) AS curricula,
                   (SELECT count(*) FROM variants v WHERE v.scenario_id = s.id) AS variants,
                   s.created_at
            FROM scenarios s WHERE s.deleted_at IS NULL ORDER BY s.id""")

    def update_scenario(self, scenario: int | str, *, user: str | None = None, **changes) -> None:
        """Change a scenario's ``name``, ``institution``, ``term`` or ``description``.

        The time grid (days, periods per day) is fixed: import a new scenario to change it.
        """
        allowed = ("name", "institution", "term", "description")
        bad = [k for k in changes if k not in allowed]
        if bad:
            raise TimetableError(f"cannot change {', '.join(bad)} of a scenario; changeable: {', '.join(allowed)}"
                                 + ("; import a new scenario to change the time grid"
                                    if {"days", "periods_per_day"} & set(bad) else ""))
        with self._writing() as cur:
            sid = self._scenario_id(cur, scenario)
            if "name" in changes:
                self._check_scenario_name(cur, changes["name"], exclude=sid)
            for k, v in changes.items():
                if not isinstance(v, str):
                    raise TimetableError(f"scenario {k} must be text, got {v!r}")
                cur.execute(f"UPDATE scenarios SET {_ident(k)} = ? WHERE id = ?", [v, sid])
            self._audit(cur, user, "update scenario", f"scenario {sid}", changes)

    def _check_scenario_name(self, cur, name, exclude: int | None = None) -> None:
        if not isinstance(name, str) or not name.strip():
            raise TimetableError(f"a scenario needs a non-empty name, got {name!r}")
        row = _first(cur.execute("SELECT id FROM scenarios WHERE name = ? AND deleted_at IS NULL AND id IS DISTINCT FROM ?",
                          [name, exclude]))
        if row is not None:
            raise TimetableError(f"a scenario named {name!r} already exists in {self.path}; choose another name "
                                 "(or delete the old one first)")

    def delete_scenario(self, scenario: int | str, *, user: str | None = None) -> None:
        """Delete a scenario with all its data, variants and jobs.

        It disappears at once (one transaction marks it deleted); its rows are then purged one
        dependency level per transaction (see the module doc), resumed on the next open if cut short.
        """
        with self._writing() as cur:
            row = self._scenario_row(cur, scenario)
            running = _first(cur.execute("SELECT count(*) FROM jobs WHERE scenario_id = ? AND status IN ('queued', 'running')",
                                  [row["id"]]))[0]
            if running:
                raise TimetableError(f"scenario {row['name']!r} has {running} queued or running job(s); cancel them "
                                     "before deleting it")
            cur.execute("UPDATE scenarios SET deleted_at = ? WHERE id = ?", [_now(), row["id"]])
            self._audit(cur, user, "delete scenario", f"scenario {row['id']}", {"name": row["name"]})
        self._purge_deleted()

    def _purge_deleted(self) -> None:
        with self._reading() as cur:
            ids = [r[0] for r in cur.execute("SELECT id FROM scenarios WHERE deleted_at IS NOT NULL").fetchall()]
        for sid in ids:
            for level in _PURGE_LEVELS:
                with self._writing() as cur:
                    for table, where in level:
                        cur.execute(f"DELETE FROM {_ident(table)} WHERE {where}", [sid])

    def copy_scenario(self, scenario: int | str, new_name: str, *, user: str | None = None) -> int:
        """Clone a scenario's data (not its variants or jobs) under a new name; returns the new id."""
        info = self.get_scenario(scenario)
        problem = self.load_problem(scenario)
        return self.import_problem(problem, new_name, institution=info["institution"], term=info["term"],
                                   description=info["description"], meta=self.scenario_meta(scenario), user=user)

    # ------------------------------------------------------------------ import a problem
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
        extra = {k: v for k, v in meta.items() if k not in META_LISTS}
        extra_json = _json(extra, "scenario meta")
        for what, value in (("institution", institution), ("term", term), ("description", description)):
            if value is not None and not isinstance(value, str):
                raise TimetableError(f"the scenario's {what} must be text, got {value!r}")
        try:
            with self._writing() as cur:
                self._check_scenario_name(cur, scenario_name)
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
                self._audit(cur, user, "import scenario", f"scenario {sid}",
                            {"name": scenario_name, "instance": problem.name, "courses": problem.n_courses})
        except duckdb.ConstraintException as exc:  # e.g. an empty name: nothing was written
            raise _translate(exc, f"importing {problem.name!r} as {scenario_name!r}") from None
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
        (sid,) = self._next_ids(cur, "scenarios", 1)
        cur.execute("INSERT INTO scenarios (id, name, institution, term, description, instance_name, days, "
                    "periods_per_day, meta, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [sid, name, institution, term, description, problem.name, problem.days,
                     problem.periods_per_day, extra_json, _now()])
        return sid

    def _insert_departments(self, cur, problem, ids, lists) -> None:
        n = len(problem.department_names)
        ids["departments"] = self._next_ids(cur, "departments", n)
        codes = lists.get("department_codes") or [""] * n
        self._bulk(cur, "departments", {"id": ids["departments"], "scenario_id": [ids["scenario"]] * n,
                                        "name": list(problem.department_names),
                                        "code": [c or "" for c in codes], "position": range(n)})

    def _insert_buildings(self, cur, problem, ids, lists) -> None:
        n = int(problem.room_building.max()) + 1 if problem.n_rooms else 0
        names = lists.get("building_names") or [f"building {b + 1}" for b in range(n)]
        n = max(n, len(names))
        ids["buildings"] = self._next_ids(cur, "buildings", n)
        self._bulk(cur, "buildings", {"id": ids["buildings"], "scenario_id": [ids["scenario"]] * n,
                                      "name": names, "position": range(n)})

    def _insert_teachers(self, cur, problem, ids, lists) -> None:
        n = problem.n_teachers
        ids["teachers"] = self._next_ids(cur, "teachers", n)
        full = lists.get("teacher_full_names") or [""] * n
        self._bulk(cur, "teachers", {"id": ids["teachers"], "scenario_id": [ids["scenario"]] * n,
                                     "name": list(problem.teacher_names), "full_name": [f or "" for f in full],
                                     "max_per_day": problem.teacher_max_per_day, "position": range(n)})

    def _insert_rooms(self, cur, problem, ids, lists) -> None:
        n = problem.n_rooms
        ids["rooms"] = self._next_ids(cur, "rooms", n)
        features = lists.get("room_features") or [""] * n
        types = [problem.room_types[t] if t >= 0 else None for t in problem.room_type]
        buildings = [ids["buildings"][b] if b >= 0 else None for b in problem.room_building]
        self._bulk(cur, "rooms", {"id": ids["rooms"], "scenario_id": [ids["scenario"]] * n,
                                  "name": list(problem.room_names), "capacity": problem.room_capacity,
                                  "room_type": types, "building_id": buildings,
                                  "features": [f or "" for f in features], "position": range(n)})

    def _insert_courses(self, cur, problem, ids) -> None:
        n = problem.n_courses
        ids["courses"] = cids = self._next_ids(cur, "courses", n)
        rules = suitability_rules(problem)
        sid = ids["scenario"]
        self._bulk(cur, "courses", {
            "id": cids, "scenario_id": [sid] * n, "name": list(problem.course_names),
            "teacher_id": [ids["teachers"][t] for t in problem.course_teacher],
            "department_id": [ids["departments"][d] if d >= 0 else None for d in problem.course_department],
            "category": [CATEGORIES[k] for k in problem.course_category],
            "lectures": problem.course_lectures, "min_days": problem.course_min_days,
            "students": problem.course_students, "length": problem.course_length,
            "room_types": [list(t) if t is not None else None for t, _ in rules],
            "explicit_rooms": [r is not None for _, r in rules], "position": range(n)})
        pairs = [(cids[c], ids["rooms"][r]) for c, (_, rooms) in enumerate(rules) if rooms for r in rooms]
        self._bulk(cur, "course_room_suitability", {"scenario_id": [sid] * len(pairs),
                                                    "course_id": [a for a, _ in pairs],
                                                    "room_id": [b for _, b in pairs]})
        c, p = np.nonzero(problem.course_unavailable)
        self._bulk(cur, "course_unavailability", {"scenario_id": [sid] * len(c),
                                                  "course_id": [cids[i] for i in c], "period": p})

    def _insert_curricula(self, cur, problem, ids, lists) -> None:
        n = problem.n_curricula
        qids = self._next_ids(cur, "curricula", n)
        sid = ids["scenario"]
        programme = lists.get("curriculum_programme") or [None] * n
        year = lists.get("curriculum_year") or [None] * n
        self._bulk(cur, "curricula", {"id": qids, "scenario_id": [sid] * n, "name": list(problem.curriculum_names),
                                      "programme": programme,
                                      "year": pd.array([None if y is None else int(y) for y in year], dtype="Int32"),
                                      "max_per_day": problem.curriculum_max_per_day, "position": range(n)})
        ptr, members = problem.curriculum_ptr, problem.curriculum_courses
        q_of = np.repeat(np.arange(n), np.diff(ptr))
        pos = np.arange(len(members)) - ptr[q_of] if len(members) else np.zeros(0, np.int64)
        self._bulk(cur, "curriculum_courses", {"scenario_id": [sid] * len(members),
                                               "curriculum_id": [qids[q] for q in q_of],
                                               "course_id": [ids["courses"][c] for c in members], "position": pos})

    def _insert_students(self, cur, problem, ids, lists) -> None:
        """Students, their enrolments and the courses that are sections of an offering."""
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
            self._bulk(cur, "course_sections", {"scenario_id": [sid] * len(rows), "course_id": [r[0] for r in rows],
                                                "offering": [r[1] for r in rows], "section": [r[2] for r in rows]})
        if not n:
            return
        stids = self._next_ids(cur, "students", n)
        year = lists.get("student_year") or [None] * n
        self._bulk(cur, "students", {
            "id": stids, "scenario_id": [sid] * n, "name": list(problem.student_names),
            "programme": lists.get("student_programme") or [None] * n,
            "year": pd.array([None if y is None else int(y) for y in year], dtype="Int32"),
            "department": lists.get("student_department") or [None] * n, "position": range(n)})
        owner = np.repeat(np.arange(n), np.diff(problem.student_ptr))
        self._bulk(cur, "enrolments", {"scenario_id": np.full(len(owner), sid, np.int64),
                                       "student_id": np.asarray(stids, np.int64)[owner],
                                       "course_id": np.asarray(cids, np.int64)[problem.student_courses]})

    def _insert_time_data(self, cur, problem, ids) -> None:
        sid = ids["scenario"]
        P, S = problem.n_periods, problem.periods_per_day
        self._bulk(cur, "time_grid", {"scenario_id": [sid] * P, "period": range(P),
                                      "day": [p // S for p in range(P)], "slot": [p % S for p in range(P)],
                                      "label": list(problem.period_labels), "penalty": problem.period_penalty})
        for table, matrix in (("teacher_unavailability", problem.teacher_unavailable),
                              ("teacher_preferences", problem.teacher_undesired)):
            t, p = np.nonzero(matrix)
            self._bulk(cur, table, {"scenario_id": [sid] * len(t), "teacher_id": [ids["teachers"][i] for i in t],
                                    "period": p})

    # ------------------------------------------------------------------ load a problem
    def load_problem(self, scenario: int | str) -> Problem:
        """The scenario as a :class:`~tt_core.model.Problem` (the arrays :meth:`import_problem` stored).

        Raises
        ------
        TimetableError
            Unknown scenario; :class:`~tt_core.errors.ValidationError` when edits left the data
            inconsistent (the message lists every problem).
        """
        with self._reading() as cur:
            sc = self._scenario_row(cur, scenario)
            sid = sc["id"]
            teachers = self._rows(cur, "SELECT id, name, max_per_day FROM teachers WHERE scenario_id = ? "
                                       "ORDER BY position", [sid])
            courses = self._rows(cur, "SELECT c.id, c.name, t.name AS teacher, d.name AS department, c.category, "
                                      "c.lectures, c.min_days, c.students, c.length, c.room_types, c.explicit_rooms "
                                      "FROM courses c JOIN teachers t ON t.id = c.teacher_id LEFT JOIN departments d "
                                      "ON d.id = c.department_id WHERE c.scenario_id = ? ORDER BY c.position", [sid])
            rooms = self._rows(cur, "SELECT r.id, r.name, r.capacity, r.room_type, coalesce(b.position, -1) AS b "
                                    "FROM rooms r LEFT JOIN buildings b ON b.id = r.building_id "
                                    "WHERE r.scenario_id = ? ORDER BY r.position", [sid])
            curricula = self._rows(cur, "SELECT id, name, max_per_day FROM curricula WHERE scenario_id = ? "
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
                    f"SELECT t.name, u.period FROM {_ident(table)} u JOIN teachers t ON t.id = u.teacher_id "
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
            )
        except ValidationError as exc:
            raise ValidationError(exc.problems, title=f"scenario {sc['name']!r} is inconsistent") from None

    # ------------------------------------------------------------------ students
    def students(self, scenario: int | str) -> pd.DataFrame:
        """The scenario's students: ``name, programme, year, department, courses`` (enrolled), in order."""
        with self._reading() as cur:
            sid = self._scenario_id(cur, scenario)
        return self._frame(
            "SELECT s.name, s.programme, s.year, s.department, count(e.course_id) AS courses FROM students s "
            "LEFT JOIN enrolments e ON e.student_id = s.id WHERE s.scenario_id = ? "
            "GROUP BY s.id, s.name, s.programme, s.year, s.department, s.position ORDER BY s.position", [sid])

    def replace_enrolments(self, scenario: int | str, enrolments: Sequence[tuple[str, Sequence[str]]], *,
                           user: str | None = None, reason: str = "") -> int:
        """Replace every enrolment of the scenario's students by ``(student, courses)`` (names), in one
        transaction (e.g. students moved between sections after solving). Returns the enrolments written.

        Raises
        ------
        TimetableError
            An unknown student or course: nothing is changed then.
        """
        with self._writing() as cur:
            sid = self._scenario_id(cur, scenario)
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
            self._bulk(cur, "enrolments", {"scenario_id": [sid] * len(s_ids), "student_id": s_ids, "course_id": c_ids})
            self._audit(cur, user, "replace enrolments", f"scenario {sid}",
                        {"students": len(enrolments), "enrolments": len(s_ids), "reason": reason})
        return len(s_ids)

    def scenario_meta(self, scenario: int | str) -> dict:
        """The descriptive data of a scenario in the ``meta`` form :meth:`import_problem` takes.

        The per-teacher and per-department lists follow :meth:`load_problem`'s order (first
        appearance in the course list), so they line up with the loaded problem.
        """
        with self._reading() as cur:
            sc = self._scenario_row(cur, scenario)
            sid = sc["id"]

            def col(sql):
                return [r[0] for r in cur.execute(sql, [sid]).fetchall()]

            courses = cur.execute("SELECT t.name, t.full_name, d.name, d.code FROM courses c JOIN teachers t "
                                  "ON t.id = c.teacher_id LEFT JOIN departments d ON d.id = c.department_id "
                                  "WHERE c.scenario_id = ? ORDER BY c.position", [sid]).fetchall()
            out = dict(_loads(sc["meta"]) or {})
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

    # ------------------------------------------------------------------ generic CRUD
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
        e = self._entity(entity)
        with self._reading() as cur:
            params = [self._scenario_id(cur, scenario)] if e.scoped else []
            res = cur.execute(e.select, params)
            cols = [d[0] for d in res.description]
            df = pd.DataFrame(res.fetchall(), columns=cols)
        if entity == "weight_profiles":
            df["weights"] = [_loads(w) for w in df["weights"]]
        return df

    def _resolve(self, cur, sid: int | None, entity: str, name, *, what: str | None = None) -> int:
        e = ENTITIES[entity]
        if not isinstance(name, str):
            raise ValidationError([f"{what or _SINGULAR[entity]} must be given by name, got {name!r}"],
                                  title="the change was refused")
        where, params = ("scenario_id = ? AND name = ?", [sid, name]) if e.scoped else ("name = ?", [name])
        row = _first(cur.execute(f"SELECT id FROM {_ident(e.table)} WHERE {where}", params))
        if row is None:
            raise ValidationError([f"unknown {_SINGULAR[entity]} {name!r}; add it first or check the spelling"],
                                  title="the change was refused")
        return int(row[0])

    def _key_where(self, cur, sid, e: _Entity, key) -> tuple[str, list]:
        key = key if isinstance(key, tuple) else (key,)
        if len(key) != len(e.key):
            raise TimetableError(f"a row of {e.table} is identified by ({', '.join(e.key)}), got {key!r}")
        clauses, params = [], []
        refs = {r.column: r for r in e.refs}
        for col, value in zip(e.key, key):
            if col in refs:
                clauses.append(f"{_ident(refs[col].id_column)} = ?")
                params.append(self._resolve(cur, sid, refs[col].entity, value))
            else:
                clauses.append(f"{_ident(col)} = ?")
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
                    out[r.id_column] = self._resolve(cur, sid, r.entity, value, what=col)
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
                value = self._check_weights(value, errors, label)
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

    @staticmethod
    def _check_weights(value, errors: list[str], label: str) -> str | None:
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

    def _check_name_free(self, cur, sid, e: _Entity, name: str, exclude: int | None = None) -> None:
        row = _first(cur.execute(f"SELECT id FROM {_ident(e.table)} WHERE scenario_id = ? AND name = ? "
                          "AND id IS DISTINCT FROM ?", [sid, name, exclude]))
        if row is not None:
            raise ValidationError([f"a {_SINGULAR[e.table]} named {name!r} already exists; choose another name"],
                                  title="the change was refused")

    def create(self, entity: str, scenario: int | str | None = None, *, user: str | None = None, **values) -> int | None:
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
        with self._writing() as cur:
            sc = self._scenario_row(cur, scenario) if e.scoped else None
            sid = sc["id"] if sc else None
            row = self._values(cur, sid, sc, e, values, label=label)
            if e.named:
                self._check_name_free(cur, sid, e, row["name"])
            if e.scoped:
                row["scenario_id"] = sid
            new_id = None
            if e.table in _SEQUENCES:
                (new_id,) = self._next_ids(cur, e.table, 1)
                row["id"] = new_id
            if e.ordered:
                row["position"] = _first(cur.execute(f"SELECT coalesce(max(position) + 1, 0) FROM {_ident(e.table)} "
                                              "WHERE scenario_id = ?", [sid]))[0]
            if e.table in ("weight_profiles", "users"):
                row["created_at"] = _now()
            cols = [_ident(c) for c in row]
            try:
                cur.execute(f"INSERT INTO {_ident(e.table)} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                            list(row.values()))
            except duckdb.ConstraintException as exc:
                raise self._constraint_error(exc, label) from None
            self._audit(cur, user, f"create {entity}", label, {k: v for k, v in values.items() if k != "weights"}
                        | ({"scenario_id": sid} if sid else {}))
        return new_id

    @staticmethod
    def _constraint_error(exc: duckdb.ConstraintException, label: str) -> TimetableError:
        text = str(exc)
        if "Duplicate key" in text or "duplicate key" in text:
            return ValidationError([f"{label} already exists"], title="the change was refused")
        return _translate(exc, label)

    def update(self, entity: str, scenario: int | str | None, key, *, user: str | None = None, **changes) -> None:
        """Change columns of the row identified by ``key`` (its name, or a tuple for link tables).

        Example: ``update("courses", "demo", "Algebra", teacher="T0002", lectures=4)``;
        ``update("time_grid", "demo", 0, label="Mon 08:30")``. Raises like :meth:`create`.
        """
        e = self._entity(entity)
        if not changes:
            return
        label = f"{entity} {key!r}"
        with self._writing() as cur:
            sc = self._scenario_row(cur, scenario) if e.scoped else None
            sid = sc["id"] if sc else None
            where, params = self._key_where(cur, sid, e, key)
            has_id = e.table in _SEQUENCES
            found = _first(cur.execute(f"SELECT {'id' if has_id else 'count(*)'} FROM {_ident(e.table)} WHERE {where}",
                                params))
            if found is None or (not has_id and found[0] == 0):
                raise TimetableError(f"no {label} to change")
            row = self._values(cur, sid, sc, e, changes, label=label)
            if e.named and "name" in row:
                self._check_name_free(cur, sid, e, row["name"], exclude=found[0])
            sets = ", ".join(f"{_ident(c)} = ?" for c in row)
            try:
                cur.execute(f"UPDATE {_ident(e.table)} SET {sets} WHERE {where}", list(row.values()) + params)
            except duckdb.ConstraintException as exc:
                raise self._constraint_error(exc, label) from None
            self._audit(cur, user, f"update {entity}", label,
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
        with self._writing() as cur:
            sid = self._scenario_id(cur, scenario) if e.scoped else None
            where, params = self._key_where(cur, sid, e, key)
            has_id = e.table in _SEQUENCES
            if has_id:
                found = _first(cur.execute(f"SELECT id FROM {_ident(e.table)} WHERE {where}", params))
                if found is None:
                    raise TimetableError(f"no {label} to delete")
                rid = found[0]
                for table, column, what in e.blockers:
                    users_ = [r[0] for r in cur.execute(
                        f"SELECT name FROM {_ident(table)} WHERE {_ident(column)} = ? ORDER BY position LIMIT 6",
                        [rid]).fetchall()]
                    if users_:
                        shown = ", ".join(map(repr, users_[:5])) + (" …" if len(users_) > 5 else "")
                        raise TimetableError(f"cannot delete {label}: {what}(s) {shown} still refer to it; "
                                             f"change or delete them first")
                for table, column in e.children:
                    cur.execute(f"DELETE FROM {_ident(table)} WHERE {_ident(column)} = ?", [rid])
            elif _first(cur.execute(f"SELECT count(*) FROM {_ident(e.table)} WHERE {where}", params))[0] == 0:
                raise TimetableError(f"no {label} to delete")
            cur.execute(f"DELETE FROM {_ident(e.table)} WHERE {where}", params)
            self._audit(cur, user, f"delete {entity}", label, {"scenario_id": sid} if sid else {})

    def check_integrity(self, scenario: int | str) -> list[str]:
        """Every dangling reference or duplicate name of a scenario, in words (empty when sound)."""
        problems = []
        with self._reading() as cur:
            sid = self._scenario_id(cur, scenario)
            for table in ("departments", "buildings", "teachers", "courses", "rooms", "curricula"):
                for name, n in cur.execute(f"SELECT name, count(*) FROM {_ident(table)} WHERE scenario_id = ? "
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
                n = _first(cur.execute(f"SELECT count(*) FROM {_ident(table)} x WHERE x.scenario_id = ? AND NOT EXISTS "
                                f"(SELECT 1 FROM {_ident(parent)} p WHERE p.id = x.{_ident(column)} "
                                "AND p.scenario_id = x.scenario_id)", [sid]))[0]
                if n:
                    problems.append(f"{n} row(s) of {table} refer to a missing {_SINGULAR[parent]}")
        return problems

    # ------------------------------------------------------------------ weight profiles and users
    def save_weight_profile(self, scenario: int | str, name: str, weights: dict, description: str = "", *,
                            user: str | None = None) -> int:
        """Create or replace the weight profile ``name`` of a scenario; returns its id."""
        with self._writing() as cur:
            sid = self._scenario_id(cur, scenario)
            errors: list[str] = []
            text = self._check_weights(weights, errors, f"weight profile {name!r}")
            if not isinstance(name, str) or not name:
                errors.append(f"a weight profile needs a non-empty name, got {name!r}")
            if errors:
                raise ValidationError(errors, title="the weight profile was refused")
            row = _first(cur.execute("SELECT id FROM weight_profiles WHERE scenario_id = ? AND name = ?", [sid, name]))
            if row is not None:
                cur.execute("UPDATE weight_profiles SET weights = ?, description = ? WHERE id = ?",
                            [text, description, row[0]])
                pid = row[0]
            else:
                (pid,) = self._next_ids(cur, "weight_profiles", 1)
                cur.execute("INSERT INTO weight_profiles (id, scenario_id, name, weights, description, created_at) "
                            "VALUES (?, ?, ?, ?, ?, ?)", [pid, sid, name, text, description, _now()])
            self._audit(cur, user, "save weight profile", f"weight profile {name!r}", {"scenario_id": sid})
        return int(pid)

    def weight_profile(self, scenario: int | str, name: str) -> dict[str, float]:
        """The weights of profile ``name`` as ``{constraint or dimension: weight}``."""
        with self._reading() as cur:
            sid = self._scenario_id(cur, scenario)
            row = _first(cur.execute("SELECT weights FROM weight_profiles WHERE scenario_id = ? AND name = ?",
                              [sid, name]))
            if row is None:
                names = [r[0] for r in cur.execute("SELECT name FROM weight_profiles WHERE scenario_id = ? "
                                                   "ORDER BY name", [sid]).fetchall()]
                raise TimetableError(f"no weight profile {name!r} in scenario {scenario!r}; known: "
                                     f"{', '.join(map(repr, names)) or 'none'}")
        return json.loads(row[0])

    def add_user(self, name: str, role: str, teacher: str | None = None, *, department: str | None = None,
                 user: str | None = None) -> int:
        """Add a user with a role (see :mod:`tt_core.auth`): a ``teacher`` needs the teacher's name,
        a ``head`` the department's name."""
        problems = self._user_problems(name, role, teacher, department)
        if problems:
            raise ValidationError(problems, title="the user was refused")
        return self.create("users", None, user=user, name=name, role=role, teacher=teacher, department=department)

    @staticmethod
    def _user_problems(name, role, teacher, department) -> list[str]:
        if role not in ROLES:
            return [f"user {name!r}: role {role!r} is not one of {', '.join(ROLES)}"]
        if role == "teacher" and not teacher:
            return [f"user {name!r}: a teacher account needs the teacher's name (teacher=..., `--teacher`)"]
        if role == "head" and not department:
            return [f"user {name!r}: a department head needs the department's name (department=..., `--department`)"]
        return []

    def set_user_role(self, name: str, role: str, teacher: str | None = None, *, department: str | None = None,
                      user: str | None = None) -> None:
        """Change a user's role (and the teacher or department it is linked to); audited."""
        problems = self._user_problems(name, role, teacher, department)
        if problems:
            raise ValidationError(problems, title="the change was refused")
        if self.get_user(name) is None:
            raise TimetableError(f"no user {name!r}; add it first (`tt users add {name} --role {role}`)")
        self.update("users", None, name, user=user, role=role, teacher=teacher, department=department)

    def get_user(self, name: str) -> dict | None:
        """The user's row (id, name, role, teacher, department, created_at), or None."""
        rows = self._query("SELECT id, name, role, teacher, department, created_at FROM users WHERE name = ?", [name])
        return rows[0] if rows else None

    def users(self) -> pd.DataFrame:
        """Every user: name, role, teacher, department, created_at (by name)."""
        return self.read("users")

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
        with self._writing() as cur:
            sc = self._scenario_row(cur, scenario)
            sid, P = sc["id"], sc["days"] * sc["periods_per_day"]
            tid = self._resolve(cur, sid, "teachers", teacher)
            wanted, bad = set(), []
            for q in periods:
                if isinstance(q, bool) or not isinstance(q, (int, np.integer)) or not 0 <= q < P:
                    bad.append(f"{entity} of teacher {teacher!r}: period {q!r} is outside the time grid 0..{P - 1}")
                else:
                    wanted.add(int(q))
            if bad:
                raise ValidationError(bad, title="the change was refused")
            table = _ident(entity)
            have = {r[0] for r in cur.execute(f"SELECT period FROM {table} WHERE teacher_id = ?", [tid]).fetchall()}
            added, removed = sorted(wanted - have), sorted(have - wanted)
            for q in removed:
                cur.execute(f"DELETE FROM {table} WHERE teacher_id = ? AND period = ?", [tid, q])
            if added:
                cur.executemany(f"INSERT INTO {table} (scenario_id, teacher_id, period) VALUES (?, ?, ?)",
                                [[sid, tid, q] for q in added])
            if added or removed:
                self._audit(cur, user, f"set {entity}", f"teacher {teacher!r}",
                            {"scenario_id": sid, "added": added, "removed": removed})
        return added, removed

    # ------------------------------------------------------------------ variants
    def _course_and_room_ids(self, cur, sid) -> tuple[list[int], list[int], list[int]]:
        courses = cur.execute("SELECT id, lectures FROM courses WHERE scenario_id = ? ORDER BY position", [sid]).fetchall()
        rooms = [r[0] for r in cur.execute("SELECT id FROM rooms WHERE scenario_id = ? ORDER BY position",
                                           [sid]).fetchall()]
        return [c[0] for c in courses], [c[1] for c in courses], rooms

    def save_variant(self, scenario: int | str, timetable: Timetable, report=None, meta: dict | None = None, *,
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
            problem = self.load_problem(scenario)
        fingerprint = problem_fingerprint(problem)
        units = weights = None
        soft = hard = None
        if report is not None:
            u = np.asarray(report.units)
            units = _json({K.NAMES[i]: int(u[i]) for i in range(len(u))}, "cost units")
            weights = _json({K.NAMES[i]: float(w) for i, w in enumerate(np.asarray(report.weights))}, "weights")
            soft, hard = float(report.soft_cost), int(report.hard_violations)
        meta_json = _json(meta or {}, "variant meta")
        with self._writing() as cur:
            sid = self._scenario_id(cur, scenario)
            (vid,) = self._next_ids(cur, "variants", 1)
            self._insert_variant(cur, sid, vid, timetable, fingerprint, name=name or f"variant {vid}",
                                 parent=parent, job_id=job_id, status=status, partial=partial, soft=soft, hard=hard,
                                 units=units, weights=weights, meta_json=meta_json)
            self._audit(cur, user, "save variant", f"variant {vid}", {"scenario_id": sid, "name": name or f"variant {vid}"})
        return vid

    def _insert_variant(self, cur, sid, vid, timetable, fingerprint, *, name, parent, job_id, status, partial,
                        soft, hard, units, weights, meta_json) -> None:
        course_ids, lectures, room_ids = self._course_and_room_ids(cur, sid)
        n_lectures = int(sum(lectures))
        period = np.asarray(timetable.period, np.int64)
        room = np.asarray(timetable.room, np.int64)
        if len(period) != n_lectures:
            raise TimetableError(f"the timetable has {len(period)} lectures but the scenario has {n_lectures}; "
                                 "it belongs to another scenario or an older version of this one")
        P = _first(cur.execute("SELECT days * periods_per_day FROM scenarios WHERE id = ?", [sid]))[0]
        bad = np.flatnonzero((period >= P) | (period < -1) | (room >= len(room_ids)) | (room < -1))
        if len(bad):
            l = int(bad[0])
            raise TimetableError(f"lecture {l} has period {period[l]} / room {room[l]}, outside the scenario "
                                 f"({P} periods, {len(room_ids)} rooms)")
        if parent is not None and _first(cur.execute("SELECT 1 FROM variants WHERE id = ? AND scenario_id = ?",
                                              [int(parent), sid])) is None:
            raise TimetableError(f"parent variant {parent} is not a variant of this scenario")
        now = _now()
        cur.execute("INSERT INTO variants (id, scenario_id, name, parent_variant_id, job_id, status, partial, "
                    "soft_cost, hard_violations, units, weights, problem_hash, n_lectures, meta, created_at, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [vid, sid, name, parent, job_id, status, bool(partial), soft, hard, units, weights, fingerprint,
                     n_lectures, meta_json, now, now])
        lecture_course = np.repeat(np.asarray(course_ids, np.int64), lectures) if n_lectures else np.zeros(0, np.int64)
        rid = np.asarray(room_ids, np.int64)
        self._bulk(cur, "assignments", {
            "variant_id": np.full(n_lectures, vid, np.int64), "lecture": np.arange(n_lectures),
            "course_id": lecture_course,
            "period": pd.array([None if p < 0 else int(p) for p in period], dtype="Int32"),
            "room_id": pd.array([None if r < 0 else int(rid[r]) for r in room], dtype="Int64")})

    def load_variant(self, variant_id: int, *, check_stale: bool = True) -> tuple[Timetable, dict]:
        """A stored variant: its timetable and its row as a dict.

        The dict has ``id, scenario_id, scenario, name, parent_variant_id, job_id, status, chosen,
        partial, soft_cost, hard_violations, units, weights, meta, created_at, updated_at`` and
        ``stale``: True when the scenario's data changed since (the timetable may not fit any more).
        """
        with self._reading() as cur:
            rows = self._rows(cur, "SELECT v.*, s.name AS scenario FROM variants v JOIN scenarios s ON "
                                   "s.id = v.scenario_id WHERE v.id = ? AND s.deleted_at IS NULL", [int(variant_id)])
            if not rows:
                raise TimetableError(f"no variant {variant_id} in {self.path}")
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
            info[k] = _loads(info[k])
        stale = bool(lost_rooms)
        if check_stale and not stale:
            stale = problem_fingerprint(self.load_problem(info["scenario_id"])) != info["problem_hash"]
        info["stale"] = stale
        return Timetable(period, room), info

    def load_variant_timetable(self, variant_id: int) -> Timetable:
        """Only the timetable of a variant (raises TimetableError when unknown)."""
        return self.load_variant(variant_id, check_stale=False)[0]

    def list_variants(self, scenario: int | str, *, include_partial: bool = True) -> list[dict]:
        """The variants of a scenario, oldest first, without their assignments."""
        with self._reading() as cur:
            sid = self._scenario_id(cur, scenario)
            rows = self._rows(cur, "SELECT id, name, parent_variant_id, job_id, status, chosen, partial, soft_cost, "
                                   "hard_violations, units, n_lectures, review_round, created_at, updated_at FROM variants "
                                   "WHERE scenario_id = ? AND (? OR NOT partial) ORDER BY id", [sid, include_partial])
        for r in rows:
            r["units"] = _loads(r["units"])
        return rows

    def update_variant(self, variant_id: int, *, name: str | None = None, status: str | None = None,
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
            params.append(_json(meta, "variant meta"))
        if not sets:
            return
        with self._writing() as cur:
            self._variant_scenario(cur, variant_id)
            cur.execute(f"UPDATE variants SET {', '.join(sets)}, updated_at = ? WHERE id = ?",
                        params + [_now(), int(variant_id)])
            self._audit(cur, user, "update variant", f"variant {variant_id}", {"name": name, "status": status})

    def _variant_scenario(self, cur, variant_id: int) -> int:
        row = _first(cur.execute("SELECT v.scenario_id FROM variants v JOIN scenarios s ON s.id = v.scenario_id "
                          "WHERE v.id = ? AND s.deleted_at IS NULL", [int(variant_id)]))
        if row is None:
            raise TimetableError(f"no variant {variant_id} in {self.path}")
        return int(row[0])

    def choose_variant(self, variant_id: int, *, user: str | None = None) -> None:
        """Mark a variant as *the* chosen one of its scenario (the others lose the flag)."""
        with self._writing() as cur:
            sid = self._variant_scenario(cur, variant_id)
            cur.execute("UPDATE variants SET chosen = (id = ?) WHERE scenario_id = ? AND (chosen OR id = ?)",
                        [int(variant_id), sid, int(variant_id)])
            self._audit(cur, user, "choose variant", f"variant {variant_id}", {"scenario_id": sid})

    def delete_variant(self, variant_id: int, *, user: str | None = None) -> None:
        """Delete a variant, its assignments, approvals and substitutions; variants derived from it
        keep no parent. A variant under review, approved or published is kept (archive it first), so
        the timetable people follow cannot vanish."""
        with self._writing() as cur:
            self._variant_scenario(cur, variant_id)
            status = _first(cur.execute("SELECT status FROM variants WHERE id = ?", [int(variant_id)]))[0]
            if status in ("submitted", "approved", "published"):
                raise TimetableError(f"variant {variant_id} is {status}; archive it before deleting it "
                                     f"(`tt workflow archive {variant_id}`)")
            cur.execute("DELETE FROM variant_approvals WHERE variant_id = ?", [int(variant_id)])
            cur.execute("DELETE FROM substitutions WHERE variant_id = ?", [int(variant_id)])
            cur.execute("DELETE FROM assignments WHERE variant_id = ?", [int(variant_id)])
            cur.execute("UPDATE variants SET parent_variant_id = NULL WHERE parent_variant_id = ?", [int(variant_id)])
            cur.execute("UPDATE jobs SET variant_id = NULL WHERE variant_id = ?", [int(variant_id)])
            cur.execute("DELETE FROM variants WHERE id = ?", [int(variant_id)])
            self._audit(cur, user, "delete variant", f"variant {variant_id}")

    # ------------------------------------------------------------------ approval workflow
    def variant_review(self, variant_id: int) -> dict:
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
        with self._reading() as cur:
            rows = self._rows(cur, "SELECT v.id, v.scenario_id, s.name AS scenario, v.name, v.status, v.review_round, "
                                   "v.partial, v.hard_violations, v.problem_hash FROM variants v JOIN scenarios s "
                                   "ON s.id = v.scenario_id WHERE v.id = ? AND s.deleted_at IS NULL", [int(variant_id)])
            if not rows:
                raise TimetableError(f"no variant {variant_id} in {self.path}")
            info = rows[0]
            info["departments"] = [r[0] for r in cur.execute(
                "SELECT d.name FROM assignments a JOIN courses c ON c.id = a.course_id JOIN departments d "
                "ON d.id = c.department_id WHERE a.variant_id = ? GROUP BY d.name ORDER BY min(d.position)",
                [int(variant_id)]).fetchall()]
            info["undepartmented"] = int(_first(cur.execute(
                "SELECT count(*) FROM assignments a JOIN courses c ON c.id = a.course_id "
                "WHERE a.variant_id = ? AND c.department_id IS NULL", [int(variant_id)]))[0])
            info["decisions"] = self._rows(cur, "SELECT department, decision, user_name, reason, decided_at "
                                                "FROM variant_approvals WHERE variant_id = ? AND review_round = ? "
                                                "ORDER BY id", [int(variant_id), info["review_round"]])
            row = _first(cur.execute("SELECT id FROM variants WHERE scenario_id = ? AND status = 'published' "
                                     "ORDER BY id DESC LIMIT 1", [info["scenario_id"]]))
            info["published"] = None if row is None else int(row[0])
        return info

    def variant_decisions(self, variant_id: int) -> list[dict]:
        """Every department decision on a variant, all review rounds, oldest first."""
        return self._query("SELECT review_round, department, decision, user_name, reason, decided_at "
                           "FROM variant_approvals WHERE variant_id = ? ORDER BY id", [int(variant_id)])

    def published_variant(self, scenario: int | str) -> int | None:
        """The id of the scenario's published variant, or None."""
        with self._reading() as cur:
            sid = self._scenario_id(cur, scenario)
            row = _first(cur.execute("SELECT id FROM variants WHERE scenario_id = ? AND status = 'published' "
                                     "ORDER BY id DESC LIMIT 1", [sid]))
        return None if row is None else int(row[0])

    def change_variant_status(self, variant_id: int, status: str, *, action: str, expect_status: str,
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
        with self._writing() as cur:
            sid = self._variant_scenario(cur, variant_id)
            now_status, now_round = _first(cur.execute("SELECT status, review_round FROM variants WHERE id = ?",
                                                       [int(variant_id)]))
            n = _first(cur.execute("SELECT count(*) FROM variant_approvals WHERE variant_id = ? AND review_round = ?",
                                   [int(variant_id), now_round]))[0]
            if (now_status, now_round, n) != (expect_status, expect_round, expect_decisions):
                raise TimetableError(f"variant {variant_id} changed while you were looking at it (it is now "
                                     f"{now_status}, review round {now_round}, {n} decision(s)); reload and try again")
            if decision is not None:
                try:
                    cur.execute("INSERT INTO variant_approvals (review_round, variant_id, department, decision, "
                                "user_name, reason, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                [int(expect_round), int(variant_id), decision["department"], decision["decision"],
                                 user, decision.get("reason") or "", _now()])
                except duckdb.ConstraintException as exc:
                    raise _translate(exc, f"the decision on variant {variant_id}") from None
            if status == "published":
                archived = [int(r[0]) for r in cur.execute(
                    "SELECT id FROM variants WHERE scenario_id = ? AND status = 'published' AND id <> ? ORDER BY id",
                    [sid, int(variant_id)]).fetchall()]
                for old in archived:
                    cur.execute("UPDATE variants SET status = 'archived', updated_at = ? WHERE id = ?", [_now(), old])
                    self._audit(cur, user, "archive variant", f"variant {old}",
                                {"from": "published", "to": "archived", "because": f"variant {variant_id} was published"})
            new_round = now_round if review_round is None else int(review_round)
            cur.execute("UPDATE variants SET status = ?, review_round = ?, updated_at = ? WHERE id = ?",
                        [status, new_round, _now(), int(variant_id)])
            self._audit(cur, user, action, f"variant {variant_id}",
                        {"scenario_id": sid, "from": now_status, "to": status, "round": new_round,
                         **(decision or {}), **(detail or {})})
        return archived

    # ------------------------------------------------------------------ substitutions
    def substitutions(self, scenario: int | str, *, variant_id: int | None = None, active_only: bool = True,
                      date_from=None, date_to=None) -> list[dict]:
        """Substitution overlays of a scenario, by date and lecture.

        Each dict: ``id, variant_id, on_date, lecture, course, absent_teacher, substitute,
        replaces_id, note, created_by, created_at, rolled_back_at, rolled_back_by`` (teachers and
        course by name). ``lecture`` None: the absent teacher is away that whole day (an absence
        without a lecture of its own); ``substitute`` None: the lecture is not covered.
        ``active_only`` leaves out rolled-back rows; ``date_from``/``date_to`` bound ``on_date``
        (inclusive).
        """
        with self._reading() as cur:
            sid = self._scenario_id(cur, scenario)
            return self._rows(cur, """
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

    def add_substitutions(self, scenario: int | str, variant_id: int, items: Sequence[dict], *,
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
        with self._writing() as cur:
            sid = self._scenario_id(cur, scenario)
            if self._variant_scenario(cur, variant_id) != sid:
                raise TimetableError(f"variant {variant_id} is not a variant of scenario {scenario!r}")
            active = sorted(int(r[0]) for r in cur.execute(
                "SELECT id FROM substitutions WHERE variant_id = ? AND rolled_back_at IS NULL "
                "AND list_contains(?::DATE[], on_date)", [int(variant_id), dates]).fetchall())
            if active != sorted(int(i) for i in expect_active):
                raise TimetableError("the substitutions on those dates changed while you were looking at the "
                                     "proposals; propose again")
            ids = []
            for it in items:
                absent = self._resolve(cur, sid, "teachers", it["absent"], what="absent teacher")
                sub = None if it.get("substitute") is None else \
                    self._resolve(cur, sid, "teachers", it["substitute"], what="substitute")
                lecture = None if it.get("lecture") is None else int(it["lecture"])
                course_id = course = None
                replaces = None if it.get("replaces") is None else int(it["replaces"])
                if lecture is None:
                    if sub is not None or replaces is not None:
                        raise TimetableError("a substitute takes a lecture: give the lecture")
                    if _first(cur.execute("SELECT id FROM substitutions WHERE variant_id = ? AND on_date = ? AND "
                                          "lecture IS NULL AND absent_teacher_id = ? AND rolled_back_at IS NULL",
                                          [int(variant_id), it["on_date"], absent])) is not None:
                        raise TimetableError(f"{it['absent']!r} is already recorded absent on {it['on_date']}")
                else:
                    row = _first(cur.execute("SELECT a.course_id, c.teacher_id, c.name FROM assignments a JOIN "
                                             "courses c ON c.id = a.course_id WHERE a.variant_id = ? AND a.lecture = ?",
                                             [int(variant_id), lecture]))
                    if row is None:
                        raise TimetableError(f"variant {variant_id} has no lecture {lecture}")
                    course_id, teacher_id, course = row
                    if absent != teacher_id:
                        raise TimetableError(f"lecture {lecture} ({course}) is not taught by {it['absent']!r}")
                    if sub == absent:
                        raise TimetableError(f"{it['absent']!r} cannot substitute for themself")
                    taken = _first(cur.execute("SELECT id FROM substitutions WHERE variant_id = ? AND on_date = ? AND "
                                               "lecture = ? AND rolled_back_at IS NULL",
                                               [int(variant_id), it["on_date"], lecture]))
                    if taken is not None and replaces == taken[0]:
                        cur.execute("UPDATE substitutions SET rolled_back_at = ?, rolled_back_by = ? WHERE id = ?",
                                    [_now(), user, taken[0]])
                        self._audit(cur, user, "roll back substitution", f"substitution {taken[0]}", {"replaced": True})
                    elif replaces is not None:
                        raise TimetableError(f"substitution {replaces} is not the active substitution of lecture "
                                             f"{lecture} on {it['on_date']}; propose again")
                    elif taken is not None:
                        raise TimetableError(f"lecture {lecture} ({course}) on {it['on_date']} already has a "
                                             f"substitution ({taken[0]}); roll that back first")
                (new_id,) = self._next_ids(cur, "substitutions", 1)
                cur.execute("INSERT INTO substitutions (id, scenario_id, variant_id, on_date, lecture, course_id, "
                            "absent_teacher_id, substitute_teacher_id, replaces_id, note, created_by, created_at) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [new_id, sid, int(variant_id), it["on_date"], lecture, course_id, absent, sub, replaces,
                             it.get("note") or "", user, _now()])
                action = "substitute" if sub is not None else ("record absence" if lecture is None else
                                                              "leave lecture uncovered")
                self._audit(cur, user, action, f"substitution {new_id}",
                            {"variant_id": int(variant_id), "date": str(it["on_date"]), "lecture": lecture,
                             "course": course, "absent": it["absent"], "substitute": it.get("substitute"),
                             "replaces": replaces})
                ids.append(int(new_id))
        return ids

    def rollback_substitutions(self, ids: Sequence[int], *, user: str | None = None) -> None:
        """Roll back active substitutions (all or none): they stay in the history, marked rolled
        back; a substitution that replaced another brings that one back."""
        ids = [int(i) for i in ids]
        with self._writing() as cur:
            for i in ids:
                row = _first(cur.execute("SELECT s.rolled_back_at, s.replaces_id FROM substitutions s JOIN scenarios c "
                                         "ON c.id = s.scenario_id WHERE s.id = ? AND c.deleted_at IS NULL", [i]))
                if row is None:
                    raise TimetableError(f"no substitution {i} in {self.path}")
                if row[0] is not None:
                    raise TimetableError(f"substitution {i} was already rolled back ({row[0]:%Y-%m-%d %H:%M})")
                cur.execute("UPDATE substitutions SET rolled_back_at = ?, rolled_back_by = ? WHERE id = ?",
                            [_now(), user, i])
                self._audit(cur, user, "roll back substitution", f"substitution {i}")
                if row[1] is not None:  # the one it replaced is active again (what was shown before)
                    cur.execute("UPDATE substitutions SET rolled_back_at = NULL, rolled_back_by = NULL WHERE id = ?",
                                [row[1]])
                    self._audit(cur, user, "restore substitution", f"substitution {row[1]}", {"because": i})

    # ------------------------------------------------------------------ jobs
    def create_job(self, scenario: int | str, *, params: dict | None = None, name: str = "",
                   strategy: str | None = None, user: str | None = None) -> int:
        """Queue a job row for a scenario; returns its id.

        ``strategy`` defaults to ``params["strategy"]``; ``params`` must be JSON-serialisable.
        """
        params = dict(params or {})
        strategy = strategy if strategy is not None else params.get("strategy")
        text = _json(params, "job parameters")
        with self._writing() as cur:
            sid = self._scenario_id(cur, scenario)
            (jid,) = self._next_ids(cur, "jobs", 1)
            now = _now()
            cur.execute("INSERT INTO jobs (id, scenario_id, name, status, strategy, params, created_by, created_at, "
                        "updated_at) VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?)",
                        [jid, sid, name or "", strategy, text, user, now, now])
            self._audit(cur, user, "start job", f"job {jid}", {"scenario_id": sid, "strategy": strategy,
                                                               "name": name or ""})
        return jid

    _JOB_SELECT = ("SELECT j.id, s.name AS scenario, j.scenario_id, j.name, j.status, j.strategy, j.params, "
                   "j.message, j.error, j.variant_id, j.attempts, j.worker, j.created_by, j.created_at, "
                   "j.started_at, j.finished_at, j.updated_at FROM jobs j JOIN scenarios s ON s.id = j.scenario_id")

    def get_job(self, job_id: int) -> dict | None:
        """The job's row as a dict (``params`` parsed), or None when there is no such job."""
        rows = self._query(self._JOB_SELECT + " WHERE j.id = ?", [int(job_id)])
        if not rows:
            return None
        rows[0]["params"] = _loads(rows[0]["params"])
        return rows[0]

    def list_jobs(self, scenario: int | str | None = None, *, status: str | None = None, limit: int | None = None,
                  oldest_first: bool = False) -> list[dict]:
        """Jobs (newest first unless ``oldest_first``), optionally of one scenario and status."""
        if status is not None and status not in JOB_STATUSES:
            raise TimetableError(f"unknown job status {status!r}; one of {', '.join(JOB_STATUSES)}")
        with self._reading() as cur:
            sid = self._scenario_id(cur, scenario) if scenario is not None else None
            sql = (self._JOB_SELECT + " WHERE s.deleted_at IS NULL AND (? IS NULL OR j.scenario_id = ?) "
                   "AND (? IS NULL OR j.status = ?) ORDER BY j.id " + ("ASC" if oldest_first else "DESC"))
            params = [sid, sid, status, status]
            if limit is not None:
                sql += " LIMIT ?"
                params.append(int(limit))
            rows = self._rows(cur, sql, params)
        for r in rows:
            r["params"] = _loads(r["params"])
        return rows

    def update_job_status(self, job_id: int, status: str, *, message: str | None = None, error: str | None = None,
                          worker: str | None = None, variant_id: int | None = None,
                          expect: Iterable[str] | None = None) -> dict:
        """Move a job to ``status`` and return its updated row.

        Allowed moves: queued → running | cancelled | failed; running → succeeded | failed |
        cancelled | interrupted | queued (retry); failed | cancelled | interrupted → queued;
        interrupted → cancelled. ``running`` counts an attempt and sets ``started_at``; ended
        states set ``finished_at``; a failed job keeps ``message`` as its ``error``.

        Raises
        ------
        TimetableError
            Unknown job or status, a move not allowed, or the status not in ``expect``.
        """
        if status not in JOB_STATUSES:
            raise TimetableError(f"unknown job status {status!r}; one of {', '.join(JOB_STATUSES)}")
        with self._writing() as cur:
            row = _first(cur.execute("SELECT status FROM jobs WHERE id = ?", [int(job_id)]))
            if row is None:
                raise TimetableError(f"no job {job_id} in {self.path}")
            current = row[0]
            if expect is not None and current not in set(expect):
                raise TimetableError(f"job {job_id} is {current}, not {' or '.join(expect)}")
            if status not in _TRANSITIONS[current]:
                raise TimetableError(f"job {job_id} is {current} and cannot become {status}"
                                     + ("; it has already ended" if current in _ENDED else ""))
            now = _now()
            sets = ["status = ?", "updated_at = ?"]
            params: list[Any] = [status, now]
            if message is not None:
                sets.append("message = ?")
                params.append(message)
            if status == "failed":
                sets.append("error = ?")
                params.append(error if error is not None else message)
            elif error is not None:
                sets.append("error = ?")
                params.append(error)
            elif status == "queued":
                sets.append("error = NULL")
            if status == "running":
                sets += ["attempts = attempts + 1", "started_at = ?", "finished_at = NULL"]
                params.append(now)
            elif status in _ENDED:
                sets.append("finished_at = ?")
                params.append(now)
            elif status == "queued":
                sets.append("finished_at = NULL")
            if worker is not None:
                sets.append("worker = ?")
                params.append(worker)
            if variant_id is not None:
                sets.append("variant_id = ?")
                params.append(int(variant_id))
            cur.execute(f"UPDATE jobs SET {', '.join(sets)} WHERE id = ?", params + [int(job_id)])
        return self.get_job(job_id)

    def start_job_attempt(self, job_id: int, worker: str | None = None) -> int:
        """Mark a queued job running (one attempt more); returns the attempt number."""
        return int(self.update_job_status(job_id, "running", worker=worker, expect=("queued",))["attempts"])

    def interrupt_running_jobs(self, message: str = "the runner stopped while it ran") -> list[int]:
        """Mark every running job interrupted (a runner's recovery at start); returns their ids."""
        ids = [j["id"] for j in self.list_jobs(status="running")]
        for jid in ids:
            self.update_job_status(jid, "interrupted", message=message)
        return ids

    _EVENT_FIELDS = ("kind", "stage", "fraction", "best_cost", "hard_violations", "elapsed", "eta", "message")

    def append_job_events(self, job_id: int, events: Sequence) -> int:
        """Append progress events (dicts or ``ProgressEvent``-like objects) in one transaction.

        Recognised fields: ``kind`` (default ``"progress"``), ``stage``, ``fraction`` (0..1),
        ``best_cost``, ``hard_violations``, ``elapsed``, ``eta``, ``message``, ``at``. Sequence numbers
        continue from the job's last one. Returns the last sequence number.
        """
        rows = []
        for ev in events:
            get = ev.get if isinstance(ev, dict) else (lambda k, default=None, _e=ev: getattr(_e, k, default))
            row = {k: get(k) for k in self._EVENT_FIELDS}
            row["kind"] = row["kind"] or "progress"
            for k in ("fraction", "best_cost", "elapsed", "eta"):
                if row[k] is not None:
                    v = float(row[k])
                    row[k] = v if math.isfinite(v) else None
            if row["fraction"] is not None:
                row["fraction"] = min(1.0, max(0.0, row["fraction"]))
            if row["hard_violations"] is not None:
                row["hard_violations"] = int(row["hard_violations"])
            row["at"] = get("at") or _now()
            rows.append(row)
        with self._writing() as cur:
            if _first(cur.execute("SELECT 1 FROM jobs WHERE id = ?", [int(job_id)])) is None:
                raise TimetableError(f"no job {job_id} in {self.path}")
            last = _first(cur.execute("SELECT coalesce(max(seq), 0) FROM job_events WHERE job_id = ?", [int(job_id)]))[0]
            if not rows:
                return int(last)
            data = {"job_id": [int(job_id)] * len(rows), "seq": range(last + 1, last + 1 + len(rows)),
                    "logged_at": [r["at"] for r in rows]}
            for k in self._EVENT_FIELDS:
                vals = [r[k] for r in rows]
                if k == "hard_violations":
                    vals = pd.array(vals, dtype="Int64")
                elif k in ("fraction", "best_cost", "elapsed", "eta"):
                    vals = pd.array(vals, dtype="Float64")
                data[k] = vals
            self._bulk(cur, "job_events", data)
            cur.execute("UPDATE jobs SET updated_at = ? WHERE id = ?", [_now(), int(job_id)])
        return int(last + len(rows))

    def get_job_events(self, job_id: int, after: int = 0) -> list[dict]:
        """The job's events with a sequence number above ``after``, in order."""
        return self._query("SELECT seq, logged_at, kind, stage, fraction, best_cost, hard_violations, elapsed, eta, message "
                           "FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq", [int(job_id), int(after)])

    # ------------------------------------------------------------------ checkpoints
    def write_checkpoint(self, job_id: int, period: Sequence[int], room: Sequence[int], *,
                         soft_cost: float | None = None, hard_violations: int | None = None,
                         elapsed: float = 0.0) -> None:
        """Replace the job's best-so-far timetable (one checkpoint per job)."""
        period = [int(x) for x in period]
        room = [int(x) for x in room]
        if len(period) != len(room):
            raise TimetableError(f"checkpoint of job {job_id}: {len(period)} periods but {len(room)} rooms")
        soft = None if soft_cost is None or not math.isfinite(float(soft_cost)) else float(soft_cost)
        with self._writing() as cur:
            if _first(cur.execute("SELECT 1 FROM jobs WHERE id = ?", [int(job_id)])) is None:
                raise TimetableError(f"no job {job_id} in {self.path}")
            cur.execute("INSERT INTO job_checkpoints (job_id, saved_at, period, room, soft_cost, hard_violations, elapsed) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job_id) DO UPDATE SET saved_at = excluded.saved_at, "
                        "period = excluded.period, room = excluded.room, soft_cost = excluded.soft_cost, "
                        "hard_violations = excluded.hard_violations, elapsed = excluded.elapsed",
                        [int(job_id), _now(), period, room, soft,
                         None if hard_violations is None else int(hard_violations), float(elapsed or 0.0)])

    def read_checkpoint(self, job_id: int) -> dict | None:
        """The job's latest checkpoint (``period``, ``room`` as int32 arrays, ``soft_cost``,
        ``hard_violations``, ``elapsed``, ``saved_at``), or None."""
        rows = self._query("SELECT job_id, saved_at, period, room, soft_cost, hard_violations, elapsed FROM job_checkpoints "
                           "WHERE job_id = ?", [int(job_id)])
        if not rows:
            return None
        cp = rows[0]
        cp["period"] = np.asarray(cp["period"], np.int32)
        cp["room"] = np.asarray(cp["room"], np.int32)
        return cp

    def drop_checkpoint(self, job_id: int) -> None:
        """Forget the job's checkpoint (e.g. once its final variant is saved)."""
        with self._writing() as cur:
            cur.execute("DELETE FROM job_checkpoints WHERE job_id = ?", [int(job_id)])

    def save_variant_from_job(self, job_id: int, problem: Problem | None, period: Sequence[int], room: Sequence[int], *,
                              partial: bool = False, soft_cost: float | None = None,
                              hard_violations: int | None = None, by_constraint: dict | None = None,
                              stats: dict | None = None, name: str | None = None) -> int:
        """Store a job's result as a variant of the job's scenario and return its id.

        ``by_constraint`` is ``{name: units}`` or ``{name: (units, weighted)}`` (as
        ``CostReport.by_constraint()``); ``stats`` goes to the variant's meta.
        """
        job = self.get_job(job_id)
        if job is None:
            raise TimetableError(f"no job {job_id} in {self.path}")
        if problem is None:
            problem = self.load_problem(job["scenario_id"])
        units = None
        if by_constraint:
            units = {}
            for k, v in by_constraint.items():
                units[str(k)] = int(v[0] if isinstance(v, (list, tuple)) else v)
        meta = {"job": int(job_id), "strategy": job["strategy"], "params": job["params"], "stats": stats or {}}
        timetable = Timetable(np.asarray(period, np.int32), np.asarray(room, np.int32))
        fingerprint = problem_fingerprint(problem)
        soft = None if soft_cost is None or not math.isfinite(float(soft_cost)) else float(soft_cost)
        with self._writing() as cur:
            sid = job["scenario_id"]
            (vid,) = self._next_ids(cur, "variants", 1)
            label = name or f"job {job_id}" + (" (partial)" if partial else "")
            # a job started from a variant keeps it as its parent (unless it was deleted meanwhile)
            parent = (job["params"] or {}).get("initial_variant")
            if parent is not None and _first(cur.execute("SELECT 1 FROM variants WHERE id = ? AND scenario_id = ?",
                                                         [int(parent), sid])) is None:
                parent = None
            self._insert_variant(cur, sid, vid, timetable, fingerprint, name=label, parent=parent, job_id=int(job_id),
                                 status="draft", partial=partial, soft=soft,
                                 hard=None if hard_violations is None else int(hard_violations),
                                 units=None if units is None else _json(units, "cost units"), weights=None,
                                 meta_json=_json(meta, "variant meta"))
        return vid


# ====================================================================================== functional API
# The job runner (tt_core.jobs.runner) calls these with the Store from connect_for_runner().


def connect_for_runner(path: str | os.PathLike) -> Store:
    """Open the database read-write for the job runner (the one writing process)."""
    return Store.open(path)


def scenario_exists(con: Store, scenario: int | str) -> bool:
    """:meth:`Store.scenario_exists`."""
    return con.scenario_exists(scenario)


def list_scenarios(con: Store) -> list[str]:
    """:meth:`Store.list_scenarios` (names)."""
    return con.list_scenarios()


def load_problem(con: Store, scenario: int | str) -> Problem:
    """:meth:`Store.load_problem`."""
    return con.load_problem(scenario)


def load_variant_timetable(con: Store, variant_id: int) -> Timetable:
    """:meth:`Store.load_variant_timetable`."""
    return con.load_variant_timetable(variant_id)


def create_job(con: Store, scenario: int | str, *, params: dict | None = None, name: str = "",
               strategy: str | None = None, user: str | None = None) -> int:
    """:meth:`Store.create_job`."""
    return con.create_job(scenario, params=params, name=name, strategy=strategy, user=user)


def get_job(con: Store, job_id: int) -> dict | None:
    """:meth:`Store.get_job`."""
    return con.get_job(job_id)


def list_jobs(con: Store, scenario: int | str | None = None, *, status: str | None = None, limit: int | None = None,
              oldest_first: bool = False) -> list[dict]:
    """:meth:`Store.list_jobs`."""
    return con.list_jobs(scenario, status=status, limit=limit, oldest_first=oldest_first)


def update_job_status(con: Store, job_id: int, status: str, **kwargs) -> dict:
    """:meth:`Store.update_job_status`."""
    return con.update_job_status(job_id, status, **kwargs)


def start_job_attempt(con: Store, job_id: int, worker: str | None = None) -> int:
    """:meth:`Store.start_job_attempt`."""
    return con.start_job_attempt(job_id, worker)


def append_job_events(con: Store, job_id: int, events: Sequence) -> int:
    """:meth:`Store.append_job_events`."""
    return con.append_job_events(job_id, events)


def get_job_events(con: Store, job_id: int, after: int = 0) -> list[dict]:
    """:meth:`Store.get_job_events`."""
    return con.get_job_events(job_id, after)


def write_checkpoint(con: Store, job_id: int, period: Sequence[int], room: Sequence[int], **kwargs) -> None:
    """:meth:`Store.write_checkpoint`."""
    con.write_checkpoint(job_id, period, room, **kwargs)


def read_checkpoint(con: Store, job_id: int) -> dict | None:
    """:meth:`Store.read_checkpoint`."""
    return con.read_checkpoint(job_id)


def save_variant_from_job(con: Store, job_id: int, problem: Problem | None, period: Sequence[int],
                          room: Sequence[int], **kwargs) -> int:
    """:meth:`Store.save_variant_from_job`."""
    return con.save_variant_from_job(job_id, problem, period, room, **kwargs)
