"""The database schema: tables, forward migrations, and the order in which a deleted scenario is purged.

:data:`MIGRATIONS` is a list of ``(version, description, sql)`` steps; opening an older database
applies the missing steps, each in its own transaction, and records them in ``schema_version``
(:func:`migrate`). The tables and what their rows mean are listed in :mod:`tt_core.store`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import TimetableError
from .sql import first_row, utcnow

if TYPE_CHECKING:
    from .database import Database

SEQUENCES = ("scenarios", "departments", "buildings", "teachers", "courses", "rooms", "curricula",
              "weight_profiles", "jobs", "variants", "users")

_V1 = "\n".join(f"CREATE SEQUENCE {t}_id_seq;" for t in SEQUENCES) + """
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

# Version 6: class-based scenarios (real university data, ITC2019 style; tt_core.store.classes). A
# scenario is class-based when it has a class_problems row. Rows are identified by their position
# in the scenario (the index of the arrays of tt_core.classes.model.ClassProblem); they are deleted
# with their scenario, so they carry no foreign key to each other.
_V6 = """
CREATE TABLE class_problems (
    scenario_id INTEGER PRIMARY KEY REFERENCES scenarios (id),
    nr_weeks INTEGER NOT NULL CHECK (nr_weeks > 0),
    w_time INTEGER NOT NULL, w_room INTEGER NOT NULL, w_distribution INTEGER NOT NULL, w_student INTEGER NOT NULL
);
CREATE TABLE class_rooms (scenario_id INTEGER NOT NULL, position INTEGER NOT NULL, id VARCHAR NOT NULL,
                          capacity INTEGER NOT NULL);
CREATE TABLE class_travel (scenario_id INTEGER NOT NULL, room_a INTEGER NOT NULL, room_b INTEGER NOT NULL,
                           slots INTEGER NOT NULL);
CREATE TABLE class_room_unavailable (scenario_id INTEGER NOT NULL, position INTEGER NOT NULL, room INTEGER NOT NULL,
                                     days INTEGER NOT NULL, start_slot INTEGER NOT NULL, length INTEGER NOT NULL,
                                     weeks BIGINT NOT NULL);
CREATE TABLE class_courses (scenario_id INTEGER NOT NULL, position INTEGER NOT NULL, id VARCHAR NOT NULL);
CREATE TABLE class_configs (scenario_id INTEGER NOT NULL, position INTEGER NOT NULL, id VARCHAR NOT NULL,
                            parent INTEGER NOT NULL);
CREATE TABLE class_subparts (scenario_id INTEGER NOT NULL, position INTEGER NOT NULL, id VARCHAR NOT NULL,
                             parent INTEGER NOT NULL);
CREATE TABLE class_classes (scenario_id INTEGER NOT NULL, position INTEGER NOT NULL, id VARCHAR NOT NULL,
                            subpart INTEGER NOT NULL, class_limit INTEGER NOT NULL, parent INTEGER NOT NULL);
CREATE TABLE class_times (scenario_id INTEGER NOT NULL, class INTEGER NOT NULL, position INTEGER NOT NULL,
                          days INTEGER NOT NULL, start_slot INTEGER NOT NULL, length INTEGER NOT NULL,
                          weeks BIGINT NOT NULL, penalty INTEGER NOT NULL);
CREATE TABLE class_room_options (scenario_id INTEGER NOT NULL, class INTEGER NOT NULL, position INTEGER NOT NULL,
                                 room INTEGER NOT NULL, penalty INTEGER NOT NULL);
CREATE TABLE class_distributions (scenario_id INTEGER NOT NULL, position INTEGER NOT NULL, type INTEGER NOT NULL,
                                  required BOOLEAN NOT NULL, penalty INTEGER NOT NULL, p1 INTEGER NOT NULL,
                                  p2 INTEGER NOT NULL);
CREATE TABLE class_distribution_members (scenario_id INTEGER NOT NULL, distribution INTEGER NOT NULL,
                                         position INTEGER NOT NULL, class INTEGER NOT NULL);
CREATE TABLE class_students (scenario_id INTEGER NOT NULL, position INTEGER NOT NULL, id VARCHAR NOT NULL);
CREATE TABLE class_student_courses (scenario_id INTEGER NOT NULL, student INTEGER NOT NULL, position INTEGER NOT NULL,
                                    course INTEGER NOT NULL);
CREATE TABLE class_assignments (variant_id INTEGER NOT NULL, class INTEGER NOT NULL, time_option INTEGER NOT NULL,
                                room_option INTEGER NOT NULL);
CREATE TABLE class_attendance (variant_id INTEGER NOT NULL, student INTEGER NOT NULL, class INTEGER NOT NULL);
CREATE INDEX class_assignments_variant ON class_assignments (variant_id);
CREATE INDEX class_attendance_variant ON class_attendance (variant_id);
CREATE INDEX class_classes_scenario ON class_classes (scenario_id, position);
"""

# a job on a class-based scenario checkpoints its students' classes too (period = time option,
# room = room option per class; a curriculum job leaves these NULL)
_V7 = """
ALTER TABLE job_checkpoints ADD COLUMN student_ptr INTEGER[];
ALTER TABLE job_checkpoints ADD COLUMN student_classes INTEGER[];
"""

#: the tables of a class-based scenario's data (deleted with it)
CLASS_TABLES = ("class_rooms", "class_travel", "class_room_unavailable", "class_courses", "class_configs",
                "class_subparts", "class_classes", "class_times", "class_room_options", "class_distributions",
                "class_distribution_members", "class_students", "class_student_courses")

#: forward migrations ``(version, description, sql)``; a database at version ``v`` gets every later step
MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (1, "scenarios, timetabling data, jobs, variants, users", _V1),
    (2, "audit log and lookup indexes", _V2),
    (3, "user roles head and registrar, users.department", _V3),
    (4, "students, enrolments and course sections", _V4),
    (5, "approval workflow (variant statuses, approvals) and substitution overlays", _V5),
    (6, "class-based scenarios (ITC2019-style real university data) and their timetables", _V6),
    (7, "job checkpoints of class-based scenarios keep the students' classes", _V7),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]

# purge order of a deleted scenario: one level per transaction, referencing rows first
PURGE_LEVELS: tuple[tuple[tuple[str, str], ...], ...] = (
    (("assignments", "variant_id IN (SELECT id FROM variants WHERE scenario_id = ?)"),
     ("job_events", "job_id IN (SELECT id FROM jobs WHERE scenario_id = ?)"),
     ("job_checkpoints", "job_id IN (SELECT id FROM jobs WHERE scenario_id = ?)"),
     ("curriculum_courses", "scenario_id = ?"), ("course_unavailability", "scenario_id = ?"),
     ("course_room_suitability", "scenario_id = ?"), ("teacher_unavailability", "scenario_id = ?"),
     ("teacher_preferences", "scenario_id = ?"), ("time_grid", "scenario_id = ?"),
     ("weight_profiles", "scenario_id = ?"),
     ("variant_approvals", "variant_id IN (SELECT id FROM variants WHERE scenario_id = ?)"),
     ("substitutions", "scenario_id = ?"), ("enrolments", "scenario_id = ?"),
     ("course_sections", "scenario_id = ?"),
     ("class_assignments", "variant_id IN (SELECT id FROM variants WHERE scenario_id = ?)"),
     ("class_attendance", "variant_id IN (SELECT id FROM variants WHERE scenario_id = ?)"),
     *((table, "scenario_id = ?") for table in CLASS_TABLES)),
    (("variants", "scenario_id = ?"), ("courses", "scenario_id = ?"), ("rooms", "scenario_id = ?"),
     ("curricula", "scenario_id = ?"), ("students", "scenario_id = ?")),
    (("jobs", "scenario_id = ?"), ("teachers", "scenario_id = ?"), ("departments", "scenario_id = ?"),
     ("buildings", "scenario_id = ?")),
    (("class_problems", "scenario_id = ?"),),
    (("scenarios", "id = ?"),),
)


def version(cur) -> int:
    """The schema version of the database ``cur`` reads (0: empty; -1: not a timetable studio database)."""
    tables = {r[0] for r in cur.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    if "schema_version" not in tables:
        return -1 if tables else 0
    row = first_row(cur.execute("SELECT max(version) FROM schema_version"))
    return int(row[0] or 0)


def migrate(db: Database, target: int | None = None) -> None:
    """Bring ``db`` to schema ``target`` (default :data:`SCHEMA_VERSION`), one transaction per step.

    Raises
    ------
    TimetableError
        Not a timetable studio database, made by a newer version, or (read-only) in need of an upgrade.
    """
    target = SCHEMA_VERSION if target is None else target
    with db.reading() as cur:
        found = version(cur)
        # steps recorded; a step added below the newest one after the database was made (two
        # features developed side by side) is applied too, not skipped
        applied = {r[0] for r in cur.execute("SELECT version FROM schema_version").fetchall()} \
            if found > 0 else set()
    missing = [m for m in MIGRATIONS if m[0] <= min(found, target) and m[0] not in applied]
    if found == -1:
        raise TimetableError(f"{db.path} is a DuckDB database but not a timetable studio one (it has no "
                             "schema_version table); give another file name")
    if found > SCHEMA_VERSION:
        raise TimetableError(f"{db.path} has schema version {found}, made by a newer timetable studio "
                             f"(this one knows up to {SCHEMA_VERSION}); upgrade the software")
    if found >= target and not missing:
        return
    if db.read_only:
        raise TimetableError(f"{db.path} has schema version {found} and needs upgrading to {target}; "
                             "open it once without read-only (e.g. `tt scenarios --db ...`)")
    for step, description, sql in MIGRATIONS:
        if found < step <= target or (step, description, sql) in missing:
            with db.transaction() as cur:
                if step == 1:
                    cur.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, "
                                "description VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)")
                cur.execute(sql)
                cur.execute("INSERT INTO schema_version VALUES (?, ?, ?)", [step, description, utcnow()])
