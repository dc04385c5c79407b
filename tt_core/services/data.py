"""A scenario's data: loading it, the data editor's cell edits, teachers' own periods, checks,
weight profiles and the students list.

Every change is one transaction: an edit that would leave the scenario inconsistent is refused
before anything is committed, so no other session ever loads an invalid scenario."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import checks
from .. import auth
from ..errors import TimetableError, ValidationError
from ..model import Problem
from ..profiles import expand_weights
from .editable import TABLES, TEACHER_TABLES, coerce_value, display
from .session import Service


class DataService(Service):
    """Scenarios and their tables (``studio.data``)."""

    def scenarios(self) -> list[str]:
        return self.store.scenarios.names()

    def problem(self, scenario: str) -> Problem:
        return self.store.scenarios.load_problem(scenario)

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
        spec = TABLES[entity]
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
        try:
            # one transaction: the scenario must still load with the new value, checked before the
            # commit, so no other session ever sees it inconsistent and a refusal leaves no trace
            with self.store.transaction():
                self.store.tables.update(entity, scenario, key, user=user, **{column: new})
                self.store.scenarios.load_problem(scenario)
        except ValidationError as exc:
            raise ValidationError(exc.problems, title="the change was refused because the scenario would be "
                                                      "inconsistent") from None
        return f"{spec.title} {key}: {column} = {new!r} saved"

    def add_row(self, scenario: str, entity: str, values: dict, user: str | None = None) -> str:
        spec = TABLES[entity]
        if not spec.addable:
            raise TimetableError(f"rows cannot be added to {spec.title} here")
        clean = {k: coerce_value(spec, k, values.get(k), new_row=True) for k in spec.key}
        user = self._require_edit(entity, [clean.get("teacher")], user)
        self.store.tables.create(entity, scenario, user=user, **clean)
        return f"{spec.title}: added {', '.join(f'{k} {v}' for k, v in clean.items())}"

    def delete_row(self, scenario: str, entity: str, key, user: str | None = None) -> str:
        spec = TABLES[entity]
        if not spec.addable:
            raise TimetableError(f"rows cannot be deleted from {spec.title} here")
        user = self._require_edit(entity, [key[0] if isinstance(key, tuple) else key], user)
        self.store.tables.delete(entity, scenario, key, user=user)
        return f"{spec.title}: deleted {key}"

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

        problem = self.problem(scenario)
        rows = [{"kind": x.kind, "name": x.name, "required": x.required, "available": x.available,
                 "use": f"{x.share:.0%}" if x.share != float("inf") else "∞"} for x in checks.loads(problem)]
        return checks.check(problem), pd.DataFrame(rows, columns=["kind", "name", "required", "available", "use"])

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
