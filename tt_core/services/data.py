"""A scenario's data: loading it, the data editor's cell edits, new and deleted rows, deleting a
scenario, teachers' own periods, checks, weight profiles, students and enrolments.

Every change is one transaction: an edit that would leave the scenario inconsistent is refused
before anything is committed, so no other session ever loads an invalid scenario. A course's
lectures and minimum working days are checked when they are entered, in the words of ``tt check``
(:func:`course_entry_problems`), not only later in Generate."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import auth, checks
from ..errors import TimetableError, ValidationError
from ..model import Problem
from ..profiles import expand_weights
from .editable import TABLES, TEACHER_TABLES, coerce_value, display
from .session import Service

if TYPE_CHECKING:  # the class model loads numba kernels: imported where a class scenario is read
    from ..classes.model import ClassProblem

_REFUSED = "the change was refused because the scenario would be inconsistent"

# What this process derived from a scenario's data, by the data it came from
# (ScenarioRepository.data_digest): every app session opening a scenario used to build its Problem
# again (a second on the 2,533-course university, and its derived arrays anew) and Generate ran the
# checks twice per page. A Problem is immutable and the checks are a function of it, so sessions
# share them until the data changes.
_DERIVED: OrderedDict[tuple, object] = OrderedDict()
_DERIVED_KEPT = 8
_DERIVED_LOCK = threading.Lock()


def _derived(kind: str, digest: tuple, build: Callable[[], object]):
    """``build()`` once per ``kind`` and data ``digest`` in this process (the last few kept)."""
    key = (kind, digest)
    with _DERIVED_LOCK:
        if key in _DERIVED:
            _DERIVED.move_to_end(key)
            return _DERIVED[key]
    value = build()
    with _DERIVED_LOCK:
        _DERIVED[key] = value
        while len(_DERIVED) > _DERIVED_KEPT:
            _DERIVED.popitem(last=False)
    return value


def course_entry_problems(name: str, *, lectures: int, min_days: int, days: int) -> list[str]:
    """Why course ``name``'s lectures and minimum working days may not be saved as they are, in
    :mod:`tt_core.checks`' words (``tt check`` finds the same later, when it is costlier to fix).

    Refused: a course without lectures (it is never taught) and minimum working days above the
    days of the week (at entry only the grid is known, not the availability ``tt check`` counts).
    Returns an empty list when the values may be saved.
    """
    if lectures == 0:
        text = f"course {name} has no lectures, so it is never taught"
        fix = f"give course {name} at least 1 lecture, or delete the course"
    elif min_days > days:
        spread = min(lectures, days)
        why = (f"it has only {checks.plural(lectures, 'lecture')}" if lectures <= days
               else f"it can be taught on only {checks.plural(days, 'day')}")
        text = (f"course {name} should spread over {checks.plural(min_days, 'day')} but {why}: at least "
                f"{checks.plural(min_days - spread, 'MinWorkingDays unit')} (×5 with ITC weights) in every timetable")
        fix = (f"lower the minimum working days (min_days) of course {name} to {spread}"
               + (", or make it available on more days" if lectures > days else ""))
    else:
        return []
    return [f"{text}. Fix: {fix}"]


class DataService(Service):
    """Scenarios and their tables (``studio.data``)."""

    def scenarios(self) -> list[str]:
        return self.store.scenarios.names()

    def problem(self, scenario: str) -> Problem:
        """The scenario as a :class:`~tt_core.model.Problem`: loaded once per version of its data and
        shared (it is immutable) by every session of the process until the data changes.

        A class-based scenario (:meth:`is_class_scenario`) has no curriculum problem: refused
        naming the apps that show it."""
        digest = self.store.scenarios.data_digest(scenario)
        self._curriculum_only(scenario)
        return _derived("problem", digest, lambda: self.store.scenarios.load_problem(scenario))

    def _curriculum_only(self, scenario: str) -> None:
        if self.is_class_scenario(scenario):
            raise TimetableError(f"scenario {scenario!r} holds classes (real university data, ITC2019), not "
                                 "curricula: open it in the Data, Timetables and Compare variants apps (or with "
                                 "`tt validate` / `tt export`); this tool works on curriculum scenarios")

    # ------------------------------------------------------------------ class-based scenarios
    def is_class_scenario(self, scenario: str) -> bool:
        """True when ``scenario`` holds class-based data (an ITC2019-style instance), whose tables
        are :meth:`class_table` and whose timetables ``studio.class_variants`` shows."""
        return self.store.classes.is_class_scenario(scenario)

    def class_problem(self, scenario: str) -> ClassProblem:
        """A class-based scenario as a :class:`~tt_core.classes.model.ClassProblem`, loaded once per
        scenario in this process (its data is imported once and never edited) and shared."""
        digest = self.store.scenarios.data_digest(scenario)  # the scenario's id and row: a new import, a new key
        return _derived("class problem", (str(getattr(self.store, "path", id(self.store))), *digest),
                        lambda: self.store.classes.load_problem(scenario))

    def class_table(self, scenario: str, what: str) -> pd.DataFrame:
        """One table of a class-based scenario as the data app shows it: ``"courses"`` (course,
        config, subpart, class, limit, parent, times, rooms), ``"rooms"``, ``"distributions"`` or
        ``"students"`` (:meth:`tt_core.store.classes.ClassScenarioRepository.frame`), also by its
        entity name (``"class_courses"``, :data:`~tt_core.services.editable.CLASS_TABLES`)."""
        from .editable import CLASS_TABLES

        spec = CLASS_TABLES.get(what) or CLASS_TABLES.get(f"class_{what}")
        if spec is None:
            raise TimetableError(f"unknown table {what!r} of a class scenario; one of: "
                                 f"{', '.join(e.removeprefix('class_') for e in CLASS_TABLES)}")
        return display(self.store.classes.frame(scenario, spec.entity.removeprefix("class_")), spec)

    def teacher_labels(self, scenario: str, problem: Problem | None = None) -> dict[str, str]:
        """Teacher id → ``"Full Name (id)"`` (just the id when no full name is known)."""
        problem = problem or self.problem(scenario)
        full = self.store.scenarios.meta(scenario).get("teacher_full_names") or []
        out = {}
        for i, t in enumerate(problem.teacher_names):
            f = full[i] if i < len(full) else ""
            out[t] = f"{f} ({t})" if f and f != t else t
        return out

    def names(self, scenario: str, entity: str) -> list[str]:
        """Names of a scenario's departments, buildings, teachers, courses, rooms or curricula."""
        return [str(n) for n in self.store.tables.read(entity, scenario)["name"]]

    def table(self, scenario: str, entity: str) -> pd.DataFrame:
        """One table of the data editor (:data:`~tt_core.services.editable.TABLES`) as it shows it."""
        spec = TABLES[entity]
        if entity == "students":
            return display(self.store.students.list(scenario), spec)
        if entity == "enrolments":
            return display(self.store.students.enrolments(scenario), spec)
        return display(self.store.tables.read(entity, scenario), spec)

    def edit_cell(self, scenario: str, entity: str, key, column: str, value, user: str | None = None) -> str:
        """Change one cell; the whole scenario must still load afterwards, else the change is undone.

        Returns a short confirmation; raises :class:`~tt_core.errors.TimetableError` with the reason
        when the value is refused (nothing is changed then).
        """
        spec = TABLES[entity]
        new = coerce_value(spec, column, value)
        teachers = [key[0] if isinstance(key, tuple) else key] + ([new] if column == "teacher" else [])
        user = self._require_edit(entity, teachers, user)
        before = self.store.tables.read(entity, scenario)
        old = display(before, spec)
        key_cols = list(spec.key)
        match = np.ones(len(old), bool)
        keys = key if isinstance(key, tuple) else (key,)
        for k, v in zip(key_cols, keys):
            match &= old[k].astype(str).to_numpy() == str(v)
        if not match.any():
            raise TimetableError(f"{spec.title}: no row {key!r} (it may have been changed by someone else; reload)")
        old_value = coerce_value(spec, column, old.loc[np.flatnonzero(match)[0], column])
        if old_value == new:
            return f"{spec.title} {key}: {column} unchanged"
        row = old.loc[np.flatnonzero(match)[0]]
        if entity == "courses" and column in ("lectures", "min_days"):
            self._check_course_entry(scenario, str(row["name"]), {**row.to_dict(), column: new})
        with self._consistent(scenario):
            self.store.tables.update(entity, scenario, key, user=user, **{column: new})
        return f"{spec.title} {key}: {column} = {new!r} saved"

    def add_row(self, scenario: str, entity: str, values: dict, user: str | None = None) -> str:
        """Add a row to a table whose rows may be added (:attr:`TableSpec.addable`): a course,
        teacher, room, department or curriculum, or a row of a link table (membership,
        unavailability, preferences). ``values`` maps the columns of
        :attr:`TableSpec.new_row_columns` to what was typed; an empty optional one takes the
        store's default. One transaction: refused (nothing written) when a value is wrong or the
        scenario would not load with the row."""
        spec = TABLES[entity]
        if not spec.addable:
            raise TimetableError(f"rows cannot be added to {spec.title} here")
        clean = {}
        for col in spec.columns:
            if col.name not in spec.new_row_columns:
                continue
            value = values.get(col.name)
            empty = value is None or (isinstance(value, str) and not value.strip()) or \
                (isinstance(value, float) and np.isnan(value))
            if empty and col.name not in spec.key and not col.required:
                continue  # the store's default (0, "", none)
            clean[col.name] = coerce_value(spec, col.name, value, new_row=True)
        user = self._require_edit(entity, [clean.get("teacher")], user)
        if entity == "courses":
            self._check_course_entry(scenario, clean["name"], {"min_days": 0} | clean)
        with self._consistent(scenario):
            self.store.tables.create(entity, scenario, user=user, **clean)
        if spec.rows_editable:
            return f"{spec.title}: added {clean.get('name', '')}"
        return f"{spec.title}: added {', '.join(f'{k} {v}' for k, v in clean.items())}"

    def delete_row(self, scenario: str, entity: str, key, user: str | None = None) -> str:
        """Delete one row (see :meth:`delete_rows`)."""
        self.delete_rows(scenario, entity, [key], user=user)
        return f"{TABLES[entity].title}: deleted {key}"

    def delete_rows(self, scenario: str, entity: str, keys, user: str | None = None) -> str:
        """Delete rows of a table whose rows may be deleted (:attr:`TableSpec.addable`), in one
        transaction: all of them or, when one is refused, none. A course goes with its memberships,
        unavailability and enrolments; a teacher, department or building still referred to is
        refused naming what refers to it (:meth:`~tt_core.store.tables.TableRepository.delete`)."""
        spec = TABLES[entity]
        if not spec.addable:
            raise TimetableError(f"rows cannot be deleted from {spec.title} here")
        keys = list(keys)
        if not keys:
            raise TimetableError("tick the rows to delete first")
        user = self._require_edit(entity, [k[0] if isinstance(k, tuple) else k for k in keys], user)
        with self._consistent(scenario):
            for key in keys:
                self.store.tables.delete(entity, scenario, key, user=user)
        return f"{spec.title}: deleted {len(keys)} row(s)"

    @contextmanager
    def _consistent(self, scenario: str) -> Iterator[None]:
        """One transaction, committed only when the scenario still loads at its end (checked before
        the commit: no other session ever sees it inconsistent, and a refusal leaves no trace)."""
        try:
            with self.store.transaction():
                yield
                self.store.scenarios.load_problem(scenario)
        except ValidationError as exc:
            raise ValidationError(exc.problems, title=_REFUSED) from None

    def _check_course_entry(self, scenario: str, name: str, row: dict) -> None:
        """Refuse a course's lectures / min_days that ``tt check`` would flag (:func:`course_entry_problems`)."""
        days = int(self.store.scenarios.get(scenario)["days"])
        problems = course_entry_problems(name, lectures=int(row["lectures"]), min_days=int(row["min_days"]),
                                         days=days)
        if problems:
            raise ValidationError(problems, title="the change was refused")

    def scenario_summary(self, scenario: str) -> dict:
        """What deleting ``scenario`` would remove: its sizes (a class-based one: also ``classes``),
        variants (``published``: how many are published) and jobs (``active``: queued or running
        ones, which block the deletion)."""
        row = next((r for r in self.store.scenarios.overview() if r["name"] == scenario), None)
        if row is None:
            raise TimetableError(f"no scenario {scenario!r}")
        variants = self.store.variants.list(scenario)
        jobs = self.store.jobs.list(scenario, limit=10 ** 6)
        if self.is_class_scenario(scenario):  # its courses are in the class tables
            courses = self.class_table(scenario, "courses")
            return {"name": scenario, "courses": int(courses["course"].nunique()), "classes": len(courses),
                    "variants": len(variants), "published": sum(1 for v in variants if v.get("status") == "published"),
                    "jobs": len(jobs), "active": sum(1 for j in jobs if j["status"] in ("queued", "running"))}
        return {"name": scenario, "courses": int(row["courses"]), "variants": len(variants),
                "published": sum(1 for v in variants if v.get("status") == "published"),
                "jobs": len(jobs), "active": sum(1 for j in jobs if j["status"] in ("queued", "running"))}

    def delete_scenario(self, scenario: str, confirm: str, user: str | None = None) -> str:
        """Delete a scenario with all its data, variants and jobs (planner or admin).

        ``confirm`` must repeat the scenario's name (the apps ask for it). Refused while one of its
        jobs is queued or running (the store's rule: cancel them first)."""
        user = self.require("edit_data", user)
        if scenario not in self.scenarios():
            raise TimetableError(f"no scenario {scenario!r} to delete")
        if (confirm or "").strip() != scenario:
            raise TimetableError(f"type the scenario's name, {scenario}, to confirm that it is to be deleted with "
                                 "its variants and jobs")
        summary = self.scenario_summary(scenario)
        self.store.scenarios.delete(scenario, user=user)
        return (f"scenario {scenario!r} deleted with {summary['variants']} variant(s) and {summary['jobs']} "
                "job(s)")

    def _require_edit(self, entity: str, teachers, user: str | None) -> str | None:
        """The right to change rows of ``entity``: a teacher's own availability and preferences
        (:data:`TEACHER_TABLES`) need ``edit_own_availability`` for every teacher involved (a
        ``teacher`` user only for their own), every other table ``edit_data``. Returns the user."""
        if entity in TEACHER_TABLES:
            who = self.who(user)
            for t in teachers:
                auth.require(self.store, who, "edit_own_availability", teacher=t)
            return who
        return self.require("edit_data", user)

    def teacher_periods(self, scenario: str, teacher: str) -> dict[str, list[int]]:
        """A teacher's periods: ``{"teacher_unavailability": [...], "teacher_preferences": [...]}``."""
        if teacher not in self.names(scenario, "teachers"):
            raise TimetableError(f"no teacher {teacher!r} in scenario {scenario!r}")
        out = {}
        for entity in TEACHER_TABLES:
            df = self.store.tables.read(entity, scenario)
            out[entity] = sorted(int(q) for q in df.loc[df["teacher"] == teacher, "period"])
        return out

    def save_teacher_periods(self, scenario: str, teacher: str, unavailable, undesired,
                             user: str | None = None) -> str:
        """Replace a teacher's unavailable and undesired periods (the self-service form).

        A ``teacher`` user may do this only for their own teacher; planners and admins for anyone.
        Each list is saved in one transaction with one audit entry (periods added and removed),
        so planners see who changed whose availability. A period both unavailable and undesired
        is refused (unavailable already forbids it).

        Returns
        -------
        str
            A confirmation naming what changed.
        """
        user = self.require("edit_own_availability", user, teacher=teacher)
        unavailable, undesired = sorted({int(q) for q in unavailable}), sorted({int(q) for q in undesired})
        both = sorted(set(unavailable) & set(undesired))
        if both:
            labels = self.problem(scenario).period_labels
            raise TimetableError(f"teacher {teacher!r}: {', '.join(labels[q] for q in both[:5])} "
                                 "marked both unavailable and undesired; pick one per period")
        changes = []
        with self.store.transaction():  # both lists or neither
            for entity, periods in (("teacher_unavailability", unavailable), ("teacher_preferences", undesired)):
                added, removed = self.store.tables.set_teacher_periods(scenario, teacher, entity, periods, user=user)
                if added or removed:
                    changes.append(f"{TABLES[entity].title.lower()}: +{len(added)} −{len(removed)}")
        return f"teacher {teacher}: " + ("; ".join(changes) + " saved" if changes else "nothing changed")

    def check(self, scenario: str) -> tuple[list, pd.DataFrame]:
        """Pre-solve checks of a scenario (:mod:`tt_core.checks`): the findings, and the table of
        lecture periods required against available per curriculum, teacher and room family
        (``kind, name, required, available, use``; tightest first)."""

        digest = self.store.scenarios.data_digest(scenario)
        self._curriculum_only(scenario)

        def build():
            problem = _derived("problem", digest, lambda: self.store.scenarios.load_problem(scenario))
            rows = [{"kind": x.kind, "name": x.name, "required": x.required, "available": x.available,
                     "use": f"{x.share:.0%}" if x.share != float("inf") else "∞"} for x in checks.loads(problem)]
            return checks.check(problem), pd.DataFrame(rows, columns=["kind", "name", "required", "available", "use"])

        findings, table = _derived("checks", digest, build)
        return list(findings), table.copy()

    def weight_profiles(self, scenario: str) -> list[str]:
        return self.store.tables.read("weight_profiles", scenario)["name"].tolist()

    def load_weight_profile(self, scenario: str, name: str) -> dict[str, float]:
        return expand_weights(self.store.weights.get(scenario, name))

    def save_weight_profile(self, scenario: str, name: str, weights: dict[str, float],
                            user: str | None = None) -> None:
        user = self.require("edit_data", user)
        name = (name or "").strip()
        if not name:
            raise TimetableError("give the weight profile a name before saving it")
        self.store.weights.save(scenario, name, {k: float(v) for k, v in weights.items()}, user=user)

    def students(self, scenario: str) -> pd.DataFrame:
        """The scenario's students: name, programme, year, department, courses (enrolled)."""
        return self.store.students.list(scenario)

    def enrolments(self, scenario: str) -> pd.DataFrame:
        """The scenario's enrolments: one row per student and course (``student, course``)."""
        return self.store.students.enrolments(scenario)
