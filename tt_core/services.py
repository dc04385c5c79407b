"""What the apps (and notebooks) do, composed from the store, the job runner, the evaluator and io.

The Panel apps in ``apps/`` are thin views over param state objects; every number and table they
show comes from here:

* pure functions of a :class:`~tt_core.model.Problem` and a :class:`~tt_core.model.Timetable`:
  day × period occupancy per institution, department, curriculum, teacher or room
  (:func:`occupancy`), weekly grids (:func:`weekly_grid`, :func:`grid_html`), the lectures that
  moved between two variants (:func:`lecture_moves`), weight profiles by dimension
  (:func:`expand_weights`);
* the editable tables of the data editor (:data:`TABLES`, :func:`coerce_value`);
* :class:`Studio`, a facade over one :class:`~tt_core.store.Store` and the process's
  :class:`~tt_core.jobs.runner.JobRunner`: scenarios, variants and their cost breakdown, weight
  profiles, jobs, cell edits that keep the scenario consistent, imports and exports as bytes.

No SQL here (queries live in ``store.py``) and no solver code (jobs run in the runner).
"""

from __future__ import annotations

import html
import io
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import constraints as K
from .errors import TimetableError, ValidationError
from .model import Problem, Timetable

# What a heatmap or a weekly grid can be drawn for.
VIEWS = ("institution", "department", "curriculum", "teacher", "room")


# ----------------------------------------------------------------------------- the time grid
def day_names(problem: Problem) -> list[str]:
    """A short label per day: the first word of the period labels when they share it per day
    (``"Mon 09:00"`` → ``"Mon"``), else ``"Day 1"`` …"""
    ppd = problem.periods_per_day
    names = []
    for d in range(problem.days):
        words = {lab.split(" ", 1)[0] for lab in problem.period_labels[d * ppd:(d + 1) * ppd]}
        first = problem.period_labels[d * ppd].split(" ", 1)
        names.append(first[0] if len(words) == 1 and len(first) == 2 else f"Day {d + 1}")
    if len(set(names)) != len(names):
        names = [f"Day {d + 1}" for d in range(problem.days)]
    return names


def slot_names(problem: Problem) -> list[str]:
    """A label per period of the day: the rest of the first day's labels (``"09:00"``) when the
    labels read ``"<day> <time>"``, else ``"P1"`` …"""
    ppd = problem.periods_per_day
    days = day_names(problem)
    out = []
    for s in range(ppd):
        lab = problem.period_labels[s]
        parts = lab.split(" ", 1)
        out.append(parts[1] if len(parts) == 2 and parts[0] == days[0] else f"P{s + 1}")
    if len(set(out)) != len(out):
        out = [f"P{s + 1}" for s in range(ppd)]
    return out


# ----------------------------------------------------------------------------- selections
def view_keys(problem: Problem, view: str) -> list[str]:
    """The items one can pick for ``view`` (department, curriculum, teacher or room names)."""
    if view == "institution":
        return []
    if view == "department":
        return list(problem.department_names)
    if view == "curriculum":
        return list(problem.curriculum_names)
    if view == "teacher":
        return list(problem.teacher_names)
    if view == "room":
        return list(problem.room_names)
    raise TimetableError(f"unknown view {view!r}; choose one of {', '.join(VIEWS)}")


def course_mask(problem: Problem, view: str, key: str | None) -> np.ndarray:
    """Courses shown by a view: all (institution, room), a department's, a curriculum's or a teacher's."""
    C = problem.n_courses
    if view in ("institution", "room"):
        return np.ones(C, bool)
    if key is None:
        raise TimetableError(f"pick a {view} to show")
    names = view_keys(problem, view)
    if key not in names:
        raise TimetableError(f"unknown {view} {key!r} in scenario {problem.name!r}")
    i = names.index(key)
    if view == "department":
        return problem.course_department == i
    if view == "teacher":
        return problem.course_teacher == i
    mask = np.zeros(C, bool)
    mask[problem.curriculum_courses[problem.curriculum_ptr[i]:problem.curriculum_ptr[i + 1]]] = True
    return mask


def _placed(problem: Problem, timetable: Timetable, view: str, key: str | None):
    """(lecture ids, courses, start periods, rooms) of the placed lectures a view shows."""
    timetable.check_shape(problem)
    mask_c = course_mask(problem, view, key)
    lc = problem.lecture_course
    keep = (timetable.period >= 0) & (timetable.room >= 0) & mask_c[lc]
    if view == "room":
        if key is None:
            raise TimetableError("pick a room to show")
        if key not in problem.room_names:
            raise TimetableError(f"unknown room {key!r} in scenario {problem.name!r}")
        keep &= timetable.room == problem.room_index(key)
    ids = np.flatnonzero(keep)
    return ids, lc[ids], timetable.period[ids], timetable.room[ids]


# ----------------------------------------------------------------------------- occupancy
def occupancy(problem: Problem, timetable: Timetable, view: str = "institution",
              key: str | None = None) -> np.ndarray:
    """Lectures in progress per day and period (int [days, periods_per_day]) for one view.

    A lecture of length ``L`` counts in each of its ``L`` periods (clipped at the day's end).
    """
    ids, courses, starts, _ = _placed(problem, timetable, view, key)
    ppd = problem.periods_per_day
    grid = np.zeros(problem.n_periods, np.int64)
    for c, p in zip(courses, starts):
        d = p // ppd
        end = min(int(p) + int(problem.course_length[c]), (d + 1) * ppd)
        grid[p:end] += 1
    return grid.reshape(problem.days, ppd)


def occupancy_frame(problem: Problem, timetable: Timetable, view: str = "institution",
                    key: str | None = None) -> pd.DataFrame:
    """:func:`occupancy` as a long table ``day, period, lectures`` (labels, in grid order)."""
    grid = occupancy(problem, timetable, view, key)
    days, slots = day_names(problem), slot_names(problem)
    return pd.DataFrame({
        "day": [days[d] for d in range(problem.days) for _ in range(problem.periods_per_day)],
        "period": [slots[s] for _ in range(problem.days) for s in range(problem.periods_per_day)],
        "lectures": grid.ravel(),
    })


# ----------------------------------------------------------------------------- weekly grid
@dataclass(frozen=True)
class Entry:
    """One lecture in a weekly grid cell."""

    course: str
    room: str
    teacher: str
    day: int
    slot: int          # start slot
    length: int
    lecture: int

    @property
    def text(self) -> str:
        return f"{self.course} · {self.room} · {self.teacher}"


def weekly_entries(problem: Problem, timetable: Timetable, view: str, key: str | None,
                   teacher_labels: dict[str, str] | None = None) -> list[Entry]:
    """The lectures of one view, sorted by day, slot and course."""
    ids, courses, starts, rooms = _placed(problem, timetable, view, key)
    labels = teacher_labels or {}
    out = []
    for l, c, p, r in zip(ids, courses, starts, rooms):
        d, s = divmod(int(p), problem.periods_per_day)
        t = problem.teacher_names[problem.course_teacher[c]]
        out.append(Entry(problem.course_names[c], problem.room_names[r], labels.get(t, t), d, s,
                         int(problem.course_length[c]), int(l)))
    out.sort(key=lambda e: (e.day, e.slot, e.course, e.lecture))
    return out


def weekly_grid(problem: Problem, timetable: Timetable, view: str, key: str | None,
                teacher_labels: dict[str, str] | None = None) -> pd.DataFrame:
    """A period × day table of cell texts (``course · room · teacher``, one line per lecture).

    Multi-period lectures appear in every period they occupy (marked ``(cont.)`` after the first).
    """
    days, slots = day_names(problem), slot_names(problem)
    cells = [["" for _ in days] for _ in slots]
    for e in weekly_entries(problem, timetable, view, key, teacher_labels):
        for k in range(e.length):
            s = e.slot + k
            if s >= problem.periods_per_day:
                break
            text = e.text if k == 0 else f"{e.text} (cont.)"
            cells[s][e.day] = text if not cells[s][e.day] else cells[s][e.day] + "\n" + text
    return pd.DataFrame(cells, index=pd.Index(slots, name="period"), columns=days)


# ----------------------------------------------------------------------------- diff
def lecture_moves(problem: Problem, a: Timetable, b: Timetable,
                  teacher_labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Lectures placed differently in ``b`` than in ``a``, one row per moved lecture.

    Lectures of one course are interchangeable (a solver may renumber them), so placements are
    compared per course as multisets of ``(period, room)``: identical placements are not moves;
    the remaining ones are paired first by same period (a room change), then by same room (a time
    change), then in time order. Columns: course, teacher, change (``room``/``time``/``time+room``/
    ``placed``/``unplaced``), from, to.
    """
    a.check_shape(problem)
    b.check_shape(problem)
    days, slots = day_names(problem), slot_names(problem)
    labels = teacher_labels or {}

    def where(p, r):
        if p < 0 or r < 0:
            return "unplaced"
        d, s = divmod(int(p), problem.periods_per_day)
        return f"{days[d]} {slots[s]}, {problem.room_names[r]}"

    rows = []
    ptr = problem.course_lecture_ptr
    for c in range(problem.n_courses):
        sl = slice(int(ptr[c]), int(ptr[c + 1]))
        pa = sorted(zip(a.period[sl].tolist(), a.room[sl].tolist()))
        pb = sorted(zip(b.period[sl].tolist(), b.room[sl].tolist()))
        if pa == pb:
            continue
        rest_b = list(pb)
        only_a = []
        for x in pa:
            if x in rest_b:
                rest_b.remove(x)
            else:
                only_a.append(x)
        pairs = []
        for match in (lambda x, y: x[0] == y[0] and x[0] >= 0, lambda x, y: x[1] == y[1] and x[1] >= 0,
                      lambda x, y: True):
            for x in list(only_a):
                for y in rest_b:
                    if match(x, y):
                        pairs.append((x, y))
                        only_a.remove(x)
                        rest_b.remove(y)
                        break
        t = problem.teacher_names[problem.course_teacher[c]]
        for (p0, r0), (p1, r1) in sorted(pairs):
            if p0 < 0 or r0 < 0:
                change = "placed"
            elif p1 < 0 or r1 < 0:
                change = "unplaced"
            elif p0 == p1:
                change = "room"
            elif r0 == r1:
                change = "time"
            else:
                change = "time+room"
            rows.append({"course": problem.course_names[c], "teacher": labels.get(t, t), "change": change,
                         "from": where(p0, r0), "to": where(p1, r1)})
    return pd.DataFrame(rows, columns=["course", "teacher", "change", "from", "to"])


# ----------------------------------------------------------------------------- weights
def soft_constraints_by_dimension() -> dict[str, list[str]]:
    """Soft constraint names grouped by their context-profile dimension, in catalogue order."""
    groups: dict[str, list[str]] = {}
    for c in K.CONSTRAINTS:
        if not c.hard:
            groups.setdefault(c.dimension, []).append(c.name)
    return groups


def default_weights() -> dict[str, float]:
    """The ITC2007 weight of every soft constraint (the extensions weigh 1)."""
    return {c.name: float(c.itc_weight) for c in K.CONSTRAINTS if not c.hard}


def expand_weights(profile: dict[str, float]) -> dict[str, float]:
    """A stored profile as one weight per soft constraint.

    A profile may weigh a whole dimension (``{"teacher": 2}``): every constraint of it gets that
    weight, unless the profile names the constraint itself. Constraints it does not mention keep
    their default weight. Hard constraints are not weighted from a profile.
    """
    out = default_weights()
    groups = soft_constraints_by_dimension()
    for dim, names in groups.items():
        if dim in profile:
            for n in names:
                out[n] = float(profile[dim])
    for name, w in profile.items():
        if name in out:
            out[name] = float(w)
        elif name not in groups and name not in K.NAMES:
            raise TimetableError(f"weight profile names an unknown constraint {name!r}; known: {', '.join(out)}")
    return out


# ----------------------------------------------------------------------------- editable tables
@dataclass(frozen=True)
class Column:
    """One column of an editable table: its kind decides how a typed value is checked."""

    name: str
    kind: str = "text"            # text, int, optional_int, optional_text, choice, list, ref, optional_ref
    editable: bool = True
    choices: tuple[str, ...] = ()
    minimum: int | None = None


@dataclass(frozen=True)
class TableSpec:
    """How the data editor shows one store entity."""

    entity: str
    title: str
    key: tuple[str, ...]          # columns identifying a row (the store's key, by name)
    columns: tuple[Column, ...]
    rows_editable: bool = True    # cells can be edited (link tables: rows are only added/removed)
    addable: bool = False         # rows can be added / deleted


TABLES: dict[str, TableSpec] = {t.entity: t for t in (
    TableSpec("departments", "Departments", ("name",), (Column("name"), Column("code"))),
    TableSpec("curricula", "Curricula", ("name",), (
        Column("name"), Column("programme", "optional_text"), Column("year", "optional_int", minimum=1),
        Column("max_per_day", "int", minimum=0))),
    TableSpec("courses", "Courses", ("name",), (
        Column("name"), Column("teacher", "ref"), Column("department", "optional_ref"),
        Column("category", "choice", choices=("core", "elective", "open")),
        Column("lectures", "int", minimum=0), Column("min_days", "int", minimum=0),
        Column("students", "int", minimum=0), Column("length", "int", minimum=1),
        Column("room_types", "list"), Column("explicit_rooms", "bool", editable=False))),
    TableSpec("teachers", "Teachers", ("name",), (
        Column("name"), Column("full_name"), Column("max_per_day", "int", minimum=0))),
    TableSpec("rooms", "Rooms", ("name",), (
        Column("name"), Column("capacity", "int", minimum=0), Column("room_type", "optional_text"),
        Column("building", "optional_ref"), Column("features"))),
    TableSpec("time_grid", "Time grid", ("period",), (
        Column("period", "int", editable=False), Column("day", "int", editable=False),
        Column("slot", "int", editable=False), Column("label"), Column("penalty", "int", minimum=0))),
    TableSpec("curriculum_courses", "Curriculum members", ("curriculum", "course"), (
        Column("curriculum", "ref"), Column("course", "ref")), rows_editable=False, addable=True),
    TableSpec("course_unavailability", "Course unavailability", ("course", "period"), (
        Column("course", "ref"), Column("period", "int", minimum=0), Column("label", editable=False)),
        rows_editable=False, addable=True),
    TableSpec("teacher_unavailability", "Teacher unavailability", ("teacher", "period"), (
        Column("teacher", "ref"), Column("period", "int", minimum=0), Column("label", editable=False)),
        rows_editable=False, addable=True),
    TableSpec("teacher_preferences", "Teacher undesired periods", ("teacher", "period"), (
        Column("teacher", "ref"), Column("period", "int", minimum=0), Column("label", editable=False)),
        rows_editable=False, addable=True),
)}


def coerce_value(spec: TableSpec, column: str, value, *, new_row: bool = False):
    """A value typed into the editor (or a new row's form, ``new_row``) as the store expects it;
    raises ValidationError saying why not."""
    col = next((c for c in spec.columns if c.name == column), None)
    if col is None or not (new_row or (col.editable and spec.rows_editable)):
        raise ValidationError([f"{spec.title}: column {column!r} cannot be edited here"],
                              title="the change was refused")

    def refuse(why: str):
        raise ValidationError([f"{spec.title}, {column}: {why}"], title="the change was refused")

    if isinstance(value, float) and np.isnan(value):
        value = None
    if isinstance(value, str):
        value = value.strip()
    empty = value is None or value == ""
    kind = col.kind
    if kind in ("int", "optional_int"):
        if empty:
            if kind == "optional_int":
                return None
            refuse("a whole number is required")
        if isinstance(value, bool):
            refuse(f"expected a whole number, got {value!r}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            refuse(f"expected a whole number, got {value!r}")
        if not number.is_integer():
            refuse(f"expected a whole number, got {value!r}")
        number = int(number)
        if col.minimum is not None and number < col.minimum:
            refuse(f"must be at least {col.minimum}, got {number}")
        return number
    if kind == "choice":
        if value not in col.choices:
            refuse(f"must be one of {', '.join(col.choices)}, got {value!r}")
        return value
    if kind == "list":
        if empty:
            return None
        items = [x.strip() for x in str(value).split(",") if x.strip()]
        return items or None
    if kind in ("optional_text", "optional_ref"):
        return None if empty else str(value)
    if empty and column == "name":
        refuse("a name cannot be empty")
    if kind == "ref" and empty:
        refuse("a value is required")
    return "" if value is None else str(value)


def _display(df: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """The store's frame as the editor shows it: the spec's columns, lists joined, no NaN."""
    out = pd.DataFrame(index=range(len(df)))
    for col in spec.columns:
        values = df[col.name].tolist() if col.name in df.columns else [None] * len(df)
        if col.kind == "list":
            values = [", ".join(v) if isinstance(v, (list, tuple, np.ndarray)) else "" for v in values]
        elif col.kind == "optional_int":
            values = [None if v is None or (isinstance(v, float) and np.isnan(v)) else int(v) for v in values]
            out[col.name] = pd.Series(values, dtype="object")
            continue
        elif col.kind in ("optional_text", "optional_ref", "text", "ref") and col.name != "period":
            values = ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in values]
        out[col.name] = values
    return out


# ----------------------------------------------------------------------------- the facade
@dataclass
class VariantView:
    """One loaded variant: its timetable, its stored row and whether it still fits the scenario."""

    id: int
    label: str
    timetable: Timetable
    info: dict
    fits: bool


class Studio:
    """What the apps do, as calls on one :class:`~tt_core.store.Store` (and a job runner).

    Parameters
    ----------
    store : Store
        The process's store (one per database file).
    runner : callable, optional
        Returns the process's :class:`~tt_core.jobs.runner.JobRunner` (created lazily by the
        caller); needed only to submit and cancel jobs.
    """

    def __init__(self, store, runner=None):
        self.store = store
        self._runner = runner

    # ------------------------------------------------------------------ scenarios
    def scenarios(self) -> list[str]:
        return self.store.list_scenarios()

    def problem(self, scenario: str) -> Problem:
        return self.store.load_problem(scenario)

    def teacher_labels(self, scenario: str, problem: Problem | None = None) -> dict[str, str]:
        """Teacher id → ``"Full Name (id)"`` (just the id when no full name is known)."""
        problem = problem or self.problem(scenario)
        full = self.store.scenario_meta(scenario).get("teacher_full_names") or []
        out = {}
        for i, t in enumerate(problem.teacher_names):
            f = full[i] if i < len(full) else ""
            out[t] = f"{f} ({t})" if f and f != t else t
        return out

    # ------------------------------------------------------------------ variants
    def variants(self, scenario: str) -> list[dict]:
        return self.store.list_variants(scenario)

    @staticmethod
    def variant_label(row: dict) -> str:
        cost = row.get("soft_cost")
        bits = [f"#{row['id']} {row['name']}"]
        if cost is not None:
            bits.append(f"cost {cost:g}")
        if row.get("hard_violations"):
            bits.append(f"{row['hard_violations']} hard")
        if row.get("chosen"):
            bits.append("chosen")
        return " · ".join(bits)

    def variant_options(self, scenario: str) -> dict[str, int]:
        """``{label: id}`` of a scenario's variants, newest first (for a select widget)."""
        return {self.variant_label(r): int(r["id"]) for r in reversed(self.variants(scenario))}

    def load_variants(self, problem: Problem, ids) -> list[VariantView]:
        """Load variants; ``fits`` is False when the scenario's lectures changed since."""
        out = []
        for vid in ids:
            tt, info = self.store.load_variant(int(vid))
            fits = len(tt.period) == problem.n_lectures and bool((tt.room < problem.n_rooms).all()) \
                and bool((tt.period < problem.n_periods).all())
            out.append(VariantView(int(vid), self.variant_label(info), tt, info, fits))
        return out

    @staticmethod
    def variant_weights(info: dict):
        """The weights a variant was optimised for: stored ones, else its job's, else ITC."""
        if info.get("weights"):
            return info["weights"]
        params = (info.get("meta") or {}).get("params") or {}
        return params.get("weights")

    def metrics_frame(self, problem: Problem, views: list[VariantView]) -> pd.DataFrame:
        """Cost breakdown per constraint (rows) and variant (columns ``units``/``cost``).

        Every variant is evaluated again with :func:`tt_core.cost.evaluate` under the weights it
        was optimised for, so the table is exact even for variants stored without units.
        """
        from .cost import evaluate

        rows = {n: {"constraint": n, "hard": K.HARD_MASK[i]} for i, n in enumerate(K.NAMES)}
        totals = {"soft cost": {"constraint": "soft cost", "hard": False},
                  "hard violations": {"constraint": "hard violations", "hard": True}}
        for v in views:
            tag = f"#{v.id}"
            if not v.fits:
                for r in list(rows.values()) + list(totals.values()):
                    r[f"{tag} units"] = None
                    r[f"{tag} cost"] = None
                continue
            report = evaluate(problem, v.timetable, self.variant_weights(v.info))
            for name, (units, cost) in report.by_constraint().items():
                rows[name][f"{tag} units"] = units
                rows[name][f"{tag} cost"] = cost
            totals["soft cost"][f"{tag} units"] = None
            totals["soft cost"][f"{tag} cost"] = float(report.soft_cost)
            totals["hard violations"][f"{tag} units"] = report.hard_violations
            totals["hard violations"][f"{tag} cost"] = None
        df = pd.DataFrame(list(rows.values()) + list(totals.values()))
        for col in df.columns:
            if col.endswith(" units"):
                df[col] = df[col].astype("Int64")
        return df

    def choose_variant(self, variant_id: int, user: str | None = None) -> None:
        self.store.choose_variant(int(variant_id), user=user)

    # ------------------------------------------------------------------ weight profiles
    def weight_profiles(self, scenario: str) -> list[str]:
        return self.store.read("weight_profiles", scenario)["name"].tolist()

    def load_weight_profile(self, scenario: str, name: str) -> dict[str, float]:
        return expand_weights(self.store.weight_profile(scenario, name))

    def save_weight_profile(self, scenario: str, name: str, weights: dict[str, float],
                            user: str | None = None) -> None:
        name = (name or "").strip()
        if not name:
            raise TimetableError("give the weight profile a name before saving it")
        self.store.save_weight_profile(scenario, name, {k: float(v) for k, v in weights.items()}, user=user)

    # ------------------------------------------------------------------ jobs
    @property
    def runner(self):
        if self._runner is None:
            raise TimetableError("no job runner in this process; jobs cannot be started here")
        return self._runner()

    def submit(self, scenario: str, *, strategy: str, time_limit: float, seed: int = 0,
               weights: dict[str, float] | None = None, name: str | None = None) -> int:
        return self.runner.submit(scenario, strategy=strategy, weights=weights, time_limit=time_limit,
                                  seed=seed, name=name)

    def cancel(self, job_id: int) -> str:
        return self.runner.cancel(int(job_id))

    def retry(self, job_id: int) -> str:
        """Queue a failed, cancelled or interrupted job again; it resumes from its checkpoint."""
        return self.runner.retry(int(job_id))

    def job(self, job_id: int) -> dict:
        job = self.store.get_job(int(job_id))
        if job is None:
            raise TimetableError(f"no job {job_id}")
        return job

    def job_events(self, job_id: int, after: int = 0) -> list[dict]:
        return self.store.get_job_events(int(job_id), after)

    def jobs_frame(self, scenario: str | None = None, limit: int = 50) -> pd.DataFrame:
        """Recent jobs, newest first: id, scenario, status, strategy, time limit, variant, message."""
        cols = ["id", "scenario", "status", "strategy", "time_limit", "variant_id", "created_by", "created_at",
                "message"]
        rows = []
        for j in self.store.list_jobs(scenario, limit=limit):
            rows.append({"id": j["id"], "scenario": j["scenario"], "status": j["status"], "strategy": j["strategy"],
                         "time_limit": (j.get("params") or {}).get("time_limit"), "variant_id": j["variant_id"],
                         "created_by": j.get("created_by") or "",
                         "created_at": j["created_at"].strftime("%Y-%m-%d %H:%M:%S") if j["created_at"] else "",
                         "message": j.get("message") or ""})
        return pd.DataFrame(rows, columns=cols)

    # ------------------------------------------------------------------ data tables
    def names(self, scenario: str, entity: str) -> list[str]:
        """Names of a scenario's departments, buildings, teachers, courses, rooms or curricula."""
        return [str(n) for n in self.store.read(entity, scenario)["name"]]

    def table(self, scenario: str, entity: str) -> pd.DataFrame:
        spec = TABLES[entity]
        return _display(self.store.read(entity, scenario), spec)

    def edit_cell(self, scenario: str, entity: str, key, column: str, value, user: str | None = None) -> str:
        """Change one cell; the whole scenario must still load afterwards, else the change is undone.

        Returns a short confirmation; raises :class:`~tt_core.errors.TimetableError` with the reason
        when the value is refused (nothing is changed then).
        """
        spec = TABLES[entity]
        new = coerce_value(spec, column, value)
        before = self.store.read(entity, scenario)
        old = _display(before, spec)
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
        self.store.update(entity, scenario, key, user=user, **{column: new})
        new_key = new if (column in spec.key and len(spec.key) == 1) else key
        try:
            self.store.load_problem(scenario)
        except ValidationError as exc:
            # the row is valid alone but the scenario is not: put the old value back
            self.store.update(entity, scenario, new_key, user=user, **{column: old_value})
            raise ValidationError(exc.problems, title="the change was refused because the scenario would be "
                                                      "inconsistent") from None
        return f"{spec.title} {key}: {column} = {new!r} saved"

    def add_row(self, scenario: str, entity: str, values: dict, user: str | None = None) -> str:
        spec = TABLES[entity]
        if not spec.addable:
            raise TimetableError(f"rows cannot be added to {spec.title} here")
        clean = {k: coerce_value(spec, k, values.get(k), new_row=True) for k in spec.key}
        self.store.create(entity, scenario, user=user, **clean)
        return f"{spec.title}: added {', '.join(f'{k} {v}' for k, v in clean.items())}"

    def delete_row(self, scenario: str, entity: str, key, user: str | None = None) -> str:
        spec = TABLES[entity]
        if not spec.addable:
            raise TimetableError(f"rows cannot be deleted from {spec.title} here")
        self.store.delete(entity, scenario, key, user=user)
        return f"{spec.title}: deleted {key}"

    # ------------------------------------------------------------------ import / export
    def import_file(self, filename: str, data: bytes, scenario_name: str, user: str | None = None) -> str:
        """Import an uploaded file as a new scenario (one transaction); returns the scenario's name.

        ``.ctt``: an ITC2007 instance; ``.xlsx``: a workbook of tables; ``.zip``: a folder of CSV
        tables (:mod:`tt_core.io.tables`). Every problem in the file is reported at once.
        """
        name = (scenario_name or "").strip()
        if not name:
            raise TimetableError("give the new scenario a name")
        if name in self.scenarios():
            raise TimetableError(f"a scenario named {name!r} already exists; choose another name")
        filename = os.path.basename(filename or "")
        if not data:
            raise TimetableError(f"{filename or 'the upload'} is empty; choose a file first")
        suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
        if suffix == "ctt":
            from .io.itc2007 import parse_ctt

            problem = parse_ctt(data, source=filename)
            self.store.import_problem(problem, name, user=user)
            return name
        if suffix not in ("xlsx", "zip"):
            raise TimetableError(f"{filename or 'the upload'}: unknown file type; upload an ITC2007 .ctt file, an "
                                 ".xlsx workbook of tables or a .zip of CSV tables")
        from .io.tables import read_tables

        with tempfile.TemporaryDirectory(prefix="tt-import-") as tmp:
            if suffix == "xlsx":
                path = Path(tmp) / filename
                path.write_bytes(data)
            else:
                path = _unzip_tables(data, Path(tmp), filename)
            try:
                bundle = read_tables(path)
            except ValidationError as exc:  # name the upload, not the temporary copy
                raise ValidationError([p.replace(str(path), filename) for p in exc.problems],
                                      title=f"{filename} cannot be imported") from None
            except TimetableError as exc:
                raise TimetableError(str(exc).replace(str(path), filename)) from None
        self.store.import_problem(bundle.problem, name, institution=bundle.institution, term=bundle.term,
                                  meta=bundle.meta, user=user)
        return name

    def export_data(self, scenario: str, fmt: str) -> tuple[str, bytes]:
        """A scenario's data as ``(file name, bytes)``: ``"ctt"``, ``"xlsx"`` or ``"zip"`` (CSV tables)."""
        problem = self.problem(scenario)
        stem = file_stem(scenario)
        if fmt == "ctt":
            from .io.itc2007 import format_ctt

            return f"{stem}.ctt", format_ctt(problem).encode()
        from .io.tables import write_tables

        info = self.store.get_scenario(scenario)
        meta = self.store.scenario_meta(scenario)
        with tempfile.TemporaryDirectory(prefix="tt-export-") as tmp:
            if fmt == "xlsx":
                path = write_tables(problem, Path(tmp) / f"{stem}.xlsx", meta=meta, institution=info["institution"],
                                    term=info["term"])
                return path.name, path.read_bytes()
            if fmt == "zip":
                folder = write_tables(problem, Path(tmp) / stem, meta=meta, institution=info["institution"],
                                      term=info["term"])
                buf = io.BytesIO()
                with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                    for f in sorted(folder.glob("*.csv")):
                        zf.write(f, f"{stem}/{f.name}")
                return f"{stem}-tables.zip", buf.getvalue()
        raise TimetableError(f"unknown export format {fmt!r}; one of ctt, xlsx, zip")

    def export_timetable(self, scenario: str, variant_id: int, fmt: str, view: str = "teacher",
                         key: str | None = None, *, start_date=None, weeks: int = 12) -> tuple[str, bytes]:
        """A variant's timetable as ``(file name, bytes)``.

        ``"ical"``: the calendar of one teacher, curriculum or room (weekly events over ``weeks``
        weeks from ``start_date``, default next Monday); ``"xlsx"``: every curriculum, teacher and
        room grid (:mod:`tt_core.io.excel`); ``"html"``: the weekly grid of the view as a page.
        """
        problem = self.problem(scenario)
        (v,) = self.load_variants(problem, [variant_id])
        if not v.fits:
            raise TimetableError(f"variant #{variant_id} no longer fits scenario {scenario!r} (its data changed "
                                 "since); generate a new variant")
        labels = self.teacher_labels(scenario, problem)
        full = self.store.scenario_meta(scenario).get("teacher_full_names")
        stem = file_stem(f"{scenario}-v{variant_id}" + (f"-{view}-{key}" if key else ""))
        if fmt == "ical":
            return f"{stem}.ics", ical_for(problem, v.timetable, view, key, start_date=start_date, weeks=weeks,
                                          teacher_full_names=full, calendar_name=scenario)
        if fmt == "xlsx":
            from .io.excel import write_timetable_workbook

            with tempfile.TemporaryDirectory(prefix="tt-export-") as tmp:
                path = write_timetable_workbook(problem, v.timetable, Path(tmp) / f"{stem}.xlsx",
                                                teacher_full_names=full, title=f"{scenario} · {v.info['name']}")
                return path.name, path.read_bytes()
        if fmt == "html":
            grid = weekly_grid(problem, v.timetable, view, key, labels)
            title = f"{scenario} · {v.info['name']} · {view_title(view, key, labels)}"
            return f"{stem}.html", grid_html_page(grid, title).encode()
        raise TimetableError(f"unknown export format {fmt!r}; one of ical, xlsx, html")


# ----------------------------------------------------------------------------- files
def file_stem(name: str) -> str:
    """A safe file name stem for ``name``."""
    s = re.sub(r"[^\w.-]+", "_", str(name)).strip("._")
    return s[:80] or "export"


def _unzip_tables(data: bytes, into: Path, filename: str) -> Path:
    """Extract a zip of CSV tables safely; returns the folder holding them (the zip's root or its
    only folder). Refuses absolute paths, ``..`` and anything but ``.csv`` files."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise TimetableError(f"{filename} is not a zip file; zip the folder of CSV tables") from None
    with zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
        csvs = [n for n in names if n.lower().endswith(".csv") and not os.path.basename(n).startswith(".")
                and "__MACOSX" not in n]
        if not csvs:
            raise TimetableError(f"{filename} holds no .csv tables (expected courses.csv, rooms.csv, teachers.csv …)")
        folders = {os.path.dirname(n) for n in csvs}
        if len(folders) != 1:
            raise TimetableError(f"{filename} has CSV files in several folders ({', '.join(sorted(folders))}); "
                                 "put the tables of one scenario in one folder")
        for n in csvs:
            parts = Path(n).parts
            if Path(n).is_absolute() or ".." in parts:
                raise TimetableError(f"{filename}: refusing the unsafe path {n!r} inside the zip")
            target = into / "tables" / os.path.basename(n)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(zf.read(n))
    return into / "tables"


def view_title(view: str, key: str | None, teacher_labels: dict[str, str] | None = None) -> str:
    if view == "institution" or key is None:
        return "whole institution"
    if view == "teacher":
        return f"teacher {(teacher_labels or {}).get(key, key)}"
    return f"{view} {key}"


def lectures_of(problem: Problem, timetable: Timetable, view: str, key: str | None) -> Timetable:
    """The timetable with every lecture outside the view unplaced (for per-item exports)."""
    ids = _placed(problem, timetable, view, key)[0]
    out = Timetable.empty(problem)
    out.period[ids] = timetable.period[ids]
    out.room[ids] = timetable.room[ids]
    return out


def ical_for(problem: Problem, timetable: Timetable, view: str, key: str | None, *, start_date=None,
             weeks: int = 12, teacher_full_names=None, calendar_name: str | None = None) -> bytes:
    """The iCalendar file of one teacher, curriculum or room (see :func:`tt_core.io.ical.export_ical`)."""
    import datetime as dt

    from .io.ical import export_ical

    plural = {"teacher": "teachers", "curriculum": "curricula", "room": "rooms"}
    if view not in plural or key is None:
        raise TimetableError("a calendar is made for one teacher, curriculum or room; pick one first")
    if start_date is None:
        today = dt.date.today()
        start_date = today + dt.timedelta(days=(7 - today.weekday()) % 7)
    names = {"teacher": problem.teacher_names, "curriculum": problem.curriculum_names, "room": problem.room_names}
    index = list(names[view]).index(key) if key in names[view] else None
    if index is None:
        raise TimetableError(f"unknown {view} {key!r}")
    subset = lectures_of(problem, timetable, view, key)
    if not ((subset.period >= 0) & (subset.room >= 0)).any():
        raise TimetableError(f"{view_title(view, key)} has no lecture in this timetable; there is nothing to export")
    with tempfile.TemporaryDirectory(prefix="tt-ical-") as tmp:
        files = export_ical(problem, subset, tmp, start_date=start_date, weeks=weeks, views=(plural[view],),
                            teacher_full_names=teacher_full_names, calendar_name=calendar_name)
        import icalendar

        word = {"teacher": "teacher", "curriculum": "curriculum", "room": "room"}[view]
        for f in files:
            data = f.read_bytes()
            name = str(icalendar.Calendar.from_ical(data).get("x-wr-calname", ""))
            shown = name.split(f": {word} ", 1)[-1]
            if shown == key or shown.endswith(f"({key})"):
                return data
    raise TimetableError(f"no calendar was written for {view_title(view, key)}")  # pragma: no cover


def grid_html(grid: pd.DataFrame) -> str:
    """A weekly grid (:func:`weekly_grid`) as an HTML table (text escaped, one line per lecture)."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in grid.columns)
    rows = []
    for period, row in grid.iterrows():
        cells = "".join(
            "<td>" + "<br>".join(f"<span class='tt-lecture'>{html.escape(x)}</span>" for x in str(v).split("\n") if x)
            + "</td>" for v in row)
        rows.append(f"<tr><th>{html.escape(str(period))}</th>{cells}</tr>")
    return (f"<table class='tt-grid'><thead><tr><th></th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


GRID_CSS = """
table.tt-grid { border-collapse: collapse; width: 100%; font-family: sans-serif; font-size: 13px; }
table.tt-grid th, table.tt-grid td { border: 1px solid #ccc; padding: 4px 6px; vertical-align: top; }
table.tt-grid thead th { background: #f0f3f7; }
table.tt-grid tbody th { background: #f7f7f7; white-space: nowrap; }
table.tt-grid .tt-lecture { display: block; background: #e6f0fb; border-radius: 3px; margin: 1px 0; padding: 1px 3px; }
"""


def grid_html_page(grid: pd.DataFrame, title: str) -> str:
    """A standalone HTML page of a weekly grid (the timetable app's HTML export)."""
    t = html.escape(title)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{t}</title><style>{GRID_CSS}</style>"
            f"</head><body><h2>{t}</h2>{grid_html(grid)}</body></html>")
