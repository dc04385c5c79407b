"""The DuckDB store: the only package that writes SQL.

A :class:`Store` is one :class:`~tt_core.store.database.Database` (connection, cursors,
transactions, audit log; see that module for DuckDB's concurrency rules) plus one repository per
aggregate, each in its own module:

=======================  ==================  ===============================================
``store.scenarios``      scenarios.py        scenarios; import / load a :class:`~tt_core.model.Problem`
``store.tables``         tables.py           editing single rows of a scenario's tables
``store.students``       students.py         students and enrolments
``store.weights``        weights.py          named weight profiles
``store.users``          users.py            users and roles
``store.variants``       variants.py         stored timetables and their costs
``store.approvals``      approvals.py        the approval workflow's records
``store.substitutions``  substitutions.py    dated substitution overlays on a variant
``store.jobs``           jobs.py             job rows, progress events, checkpoints, results
``store.classes``        classes.py          class-based scenarios (ITC2019 style) and their timetables
=======================  ==================  ===============================================

The schema and its migrations are :mod:`tt_core.store.schema`. A service that makes several
repository calls for one user action wraps them in ``with store.transaction():`` — the calls
join that one transaction, so the action is written whole or not at all.

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
job_checkpoints             job_id, saved_at, period[], room[], soft_cost, hard_violations, elapsed,
                            student_ptr[], student_classes[] (a class-based job: time and room options, students)
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
  :meth:`TableRepository.check_integrity <tt_core.store.tables.TableRepository.check_integrity>` verifies them;
* deleting a scenario first marks it deleted (one transaction: it disappears at once), then purges
  its rows one dependency level per transaction; a purge cut short resumes the next time the
  database is opened read-write.

Migrations: :data:`~tt_core.store.schema.MIGRATIONS` is a list of ``(version, description, sql)``
steps; opening an older database applies the missing steps, each in its own transaction, and records
them in ``schema_version``.
"""

from __future__ import annotations

import os

from ..auth import ROLES
from .approvals import ApprovalRepository
from .classes import ClassScenarioRepository
from .database import Database, DatabaseLockedError, StoreStateError, default_db_path
from .jobs import ACTIVE, FINAL, JOB_STATUSES, RETRYABLE, JobRepository, JobStateError
from .scenarios import META_LISTS, ScenarioRepository, problem_fingerprint, suitability_rules
from .schema import MIGRATIONS, SCHEMA_VERSION
from .students import StudentRepository
from .substitutions import SubstitutionRepository
from .tables import ENTITIES, TableRepository
from .users import UserRepository
from .variants import VARIANT_STATUSES, VariantRepository
from .weights import WeightProfileRepository

__all__ = [
    "Store", "Database", "DatabaseLockedError", "StoreStateError", "JobStateError", "MIGRATIONS", "SCHEMA_VERSION",
    "JOB_STATUSES", "FINAL", "RETRYABLE",
    "ACTIVE", "VARIANT_STATUSES", "ROLES", "ENTITIES", "META_LISTS", "default_db_path", "problem_fingerprint",
    "suitability_rules",
]


class Store(Database):
    """One DuckDB database of scenarios, variants, jobs and users, with its repositories.

    Parameters
    ----------
    path : str or os.PathLike
        The database file (created with the current schema when missing) or ``":memory:"``.
    read_only : bool
        Open without the write lock; the schema must be current (open it read-write once to upgrade).

    Raises
    ------
    TimetableError
        See :class:`~tt_core.store.database.Database`.

    Examples
    --------
    >>> with Store.open(":memory:") as db:            # doctest: +SKIP
    ...     sid = db.scenarios.import_problem(problem, "autumn 2025")
    ...     same = db.scenarios.load_problem("autumn 2025")
    """

    def __init__(self, path: str | os.PathLike = ":memory:", *, read_only: bool = False):
        super().__init__(path, read_only=read_only)
        self.scenarios = ScenarioRepository(self)
        self.tables = TableRepository(self)
        self.students = StudentRepository(self)
        self.weights = WeightProfileRepository(self)
        self.users = UserRepository(self, self.tables)
        self.variants = VariantRepository(self, self.scenarios)
        self.approvals = ApprovalRepository(self)
        self.substitutions = SubstitutionRepository(self)
        self.classes = ClassScenarioRepository(self)
        self.jobs = JobRepository(self, self.scenarios, self.variants, self.classes)
        if not self.read_only:
            try:
                self.scenarios.purge_deleted()
            except BaseException:
                self.close()
                raise

    @classmethod
    def open(cls, path: str | os.PathLike, read_only: bool = False) -> Store:
        """Open (or create) the database at ``path``; see :class:`Store`."""
        return cls(path, read_only=read_only)
