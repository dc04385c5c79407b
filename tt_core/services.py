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

from . import auth
from . import constraints as K
from .errors import TimetableError, ValidationError
from .model import Problem, Timetable

# What a heatmap or a weekly grid can be drawn for (a student: the courses they are enrolled in).
VIEWS = ("institution", "department", "curriculum", "teacher", "room", "student")


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
    """The items one can pick for ``view`` (department, curriculum, teacher, room or student names)."""
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
    if view == "student":
        return list(problem.student_names)
    raise TimetableError(f"unknown view {view!r}; choose one of {', '.join(VIEWS)}")


def course_mask(problem: Problem, view: str, key: str | None) -> np.ndarray:
    """Courses shown by a view: all (institution, room), a department's, a curriculum's, a teacher's
    or a student's (their own week, from their enrolments)."""
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
    if view == "student":
        mask = np.zeros(C, bool)
        mask[problem.student_course_ids(i)] = True
        return mask
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


def view_lectures(problem: Problem, timetable: Timetable, view: str, key: str | None) -> np.ndarray:
    """Lecture ids a view is about (to pick one to edit): the placed ones it shows, plus the
    unplaced lectures of its courses (a room view: only the lectures in that room)."""
    ids = _placed(problem, timetable, view, key)[0]
    if view == "room":
        return ids
    unplaced = (timetable.period < 0) | (timetable.room < 0)
    more = np.flatnonzero(unplaced & course_mask(problem, view, key)[problem.lecture_course])
    return np.union1d(ids, more)


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


# ----------------------------------------------------------------------------- free resources
FREE_KINDS = ("teachers", "rooms", "curricula")


def free_resources(problem: Problem, timetable: Timetable, kind: str) -> tuple[np.ndarray, list[list[str]]]:
    """Who or what is free in each period: ``(counts int [days, periods_per_day], names per period)``.

    ``kind`` is ``"teachers"`` (available — not marked unavailable — and not teaching),
    ``"rooms"`` (no lecture in it) or ``"curricula"`` (none of its courses taught). Planners read
    it as "when can I put an extra lecture, a meeting, a make-up class?" (``docs/USERS.md``).
    A lecture of length ``L`` occupies each of its periods (clipped at the day's end).
    """
    if kind not in FREE_KINDS:
        raise TimetableError(f"unknown kind {kind!r}; one of {', '.join(FREE_KINDS)}")
    timetable.check_shape(problem)
    P, ppd = problem.n_periods, problem.periods_per_day
    taught = np.zeros((problem.n_courses, P), bool)    # course c in progress in period q
    used = np.zeros((problem.n_rooms, P), bool)
    for l in np.flatnonzero((timetable.period >= 0) & (timetable.room >= 0)):
        c, p, r = int(problem.lecture_course[l]), int(timetable.period[l]), int(timetable.room[l])
        end = min(p + int(problem.course_length[c]), (p // ppd + 1) * ppd)
        taught[c, p:end] = True
        used[r, p:end] = True
    if kind == "rooms":
        free, names = ~used, problem.room_names
    elif kind == "teachers":
        busy = np.zeros((problem.n_teachers, P), bool)
        np.logical_or.at(busy, problem.course_teacher, taught)
        free, names = ~busy & ~problem.teacher_unavailable, problem.teacher_names
    else:
        free = np.ones((problem.n_curricula, P), bool)
        for g in range(problem.n_curricula):
            members = problem.curriculum_courses[problem.curriculum_ptr[g]:problem.curriculum_ptr[g + 1]]
            free[g] = ~taught[members].any(axis=0)
        names = problem.curriculum_names
    who = [[names[i] for i in np.flatnonzero(free[:, q])] for q in range(P)]
    return free.sum(axis=0).reshape(problem.days, ppd), who


def free_resources_frame(problem: Problem, timetable: Timetable, kind: str, shown: int = 12) -> pd.DataFrame:
    """:func:`free_resources` as a long table ``day, period, free, total, names`` (grid order);
    ``names`` lists the first ``shown`` free ones (for a heatmap's hover)."""
    counts, who = free_resources(problem, timetable, kind)
    total = {"teachers": problem.n_teachers, "rooms": problem.n_rooms, "curricula": problem.n_curricula}[kind]
    days, slots = day_names(problem), slot_names(problem)
    ppd = problem.periods_per_day
    return pd.DataFrame({
        "day": [days[d] for d in range(problem.days) for _ in range(ppd)],
        "period": [slots[s] for _ in range(problem.days) for s in range(ppd)],
        "free": counts.ravel(),
        "total": total,
        "names": [", ".join(w[:shown]) + (f" … (+{len(w) - shown})" if len(w) > shown else "") for w in who],
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
                teacher_labels: dict[str, str] | None = None, entries: list[Entry] | None = None) -> pd.DataFrame:
    """A period × day table of cell texts (``course · room · teacher``, one line per lecture).

    Multi-period lectures appear in every period they occupy (marked ``(cont.)`` after the first).
    ``entries`` replaces the view's :func:`weekly_entries` (e.g. one week with its substitutions,
    :func:`tt_core.substitution.overlay_entries`).
    """
    days, slots = day_names(problem), slot_names(problem)
    cells = [["" for _ in days] for _ in slots]
    for e in (entries if entries is not None else weekly_entries(problem, timetable, view, key, teacher_labels)):
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


#: the tables a teacher edits for themself (self-service; ``edit_own_availability``)
TEACHER_TABLES = ("teacher_unavailability", "teacher_preferences")

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


def max_upload_bytes() -> int:
    """The largest import accepted: ``$TT_MAX_UPLOAD_MB`` megabytes (default 10).

    A browser upload travels base64-encoded (a third larger) in one websocket message, which
    Bokeh caps at 20 MB (``panel serve --websocket-max-message-size``): keep the cap above
    1.4 × this limit, so an oversized file reaches the server and gets this message instead of
    a dropped connection."""
    try:
        mb = float(os.environ.get("TT_MAX_UPLOAD_MB", "10"))
    except ValueError:
        raise TimetableError(f"TT_MAX_UPLOAD_MB must be a number of megabytes, got "
                             f"{os.environ['TT_MAX_UPLOAD_MB']!r}") from None
    return int(mb * 1024 * 1024)


class Studio:
    """What the apps do, as calls on one :class:`~tt_core.store.Store` (and a job runner).

    Every method that changes something checks the caller's rights with :func:`tt_core.auth.require`
    (the apps hide what a role may not use, but this is where it is enforced). The user is the
    method's ``user=`` argument, else the Studio's own ``user`` (an app session's signed-in user);
    ``None`` for both is local mode (CLI, notebooks, an app served without sign-in): every right.

    Parameters
    ----------
    store : Store
        The process's store (one per database file).
    runner : callable, optional
        Returns the process's :class:`~tt_core.jobs.runner.JobRunner` (created lazily by the
        caller); needed only to submit and cancel jobs.
    user : str, optional
        The signed-in user of this session; must be registered (any role may read).

    Raises
    ------
    tt_core.auth.PermissionDenied
        ``user`` is not in the ``users`` table.
    """

    def __init__(self, store, runner=None, user: str | None = None):
        self.store = store
        self._runner = runner
        self.user = user
        if user is not None:
            auth.require(store, user, "view")

    # ------------------------------------------------------------------ rights
    def who(self, user: str | None = None) -> str | None:
        """The acting user: ``user`` when given, else the session's (never widens a session's rights)."""
        return user if user is not None else self.user

    def require(self, action: str, user: str | None = None, **scope) -> str | None:
        """:func:`tt_core.auth.require` for the acting user; returns that user (for the audit log)."""
        who = self.who(user)
        auth.require(self.store, who, action, **scope)
        return who

    def allowed(self, action: str, user: str | None = None, **scope) -> bool:
        """Whether the acting user may ``action`` (to show or hide a control)."""
        return auth.allowed(self.store, self.who(user), action, **scope)

    def role(self, user: str | None = None) -> str | None:
        """The acting user's role (:data:`tt_core.auth.LOCAL` in local mode)."""
        return auth.role_of(self.store, self.who(user))

    # ------------------------------------------------------------------ scenarios
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

    # ------------------------------------------------------------------ variants
    def variants(self, scenario: str) -> list[dict]:
        return self.store.variants.list(scenario)

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
        if row.get("status") not in (None, "draft"):
            bits.append(row["status"])
        return " · ".join(bits)

    def variant_options(self, scenario: str) -> dict[str, int]:
        """``{label: id}`` of a scenario's variants, newest first (for a select widget)."""
        return {self.variant_label(r): int(r["id"]) for r in reversed(self.variants(scenario))}

    def load_variants(self, problem: Problem, ids) -> list[VariantView]:
        """Load variants; ``fits`` is False when the scenario's lectures changed since."""
        out = []
        for vid in ids:
            tt, info = self.store.variants.load(int(vid))
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
        user = self.require("choose_variant", user)
        self.store.variants.choose(int(variant_id), user=user)

    # ------------------------------------------------------------------ checks, manual edits, history
    def check(self, scenario: str) -> tuple[list, pd.DataFrame]:
        """Pre-solve checks of a scenario (:mod:`tt_core.checks`): the findings, and the table of
        lecture periods required against available per curriculum, teacher and room family
        (``kind, name, required, available, use``; tightest first)."""
        from . import checks

        problem = self.problem(scenario)
        rows = [{"kind": x.kind, "name": x.name, "required": x.required, "available": x.available,
                 "use": f"{x.share:.0%}" if x.share != float("inf") else "∞"} for x in checks.loads(problem)]
        return checks.check(problem), pd.DataFrame(rows, columns=["kind", "name", "required", "available", "use"])

    def edit_session(self, scenario: str, variant_id: int):
        """An :class:`~tt_core.editing.EditSession` on a stored variant, with the weights it was
        optimised for; saving it (:meth:`save_edited`) makes a child variant."""
        from .editing import EditSession

        problem = self.problem(scenario)
        (v,) = self.load_variants(problem, [variant_id])
        if not v.fits:
            raise TimetableError(f"variant #{variant_id} no longer fits scenario {scenario!r} (its data changed "
                                 "since); generate a new variant to edit")
        return EditSession(problem, v.timetable, self.variant_weights(v.info), source=int(variant_id))

    def save_edited(self, scenario: str, session, name: str | None = None, user: str | None = None) -> int:
        """Store an edit session's timetable as a new variant whose parent is the edited one.

        The costs are evaluated again from scratch (the stored numbers never rest on the
        incremental state alone). Returns the new variant's id.
        """
        from .cost import evaluate

        user = self.require("choose_variant", user)
        if not session.edited:
            raise TimetableError("nothing was changed: move a lecture before saving a new variant")
        report = evaluate(session.problem, session.timetable, session.weights)
        name = (name or "").strip() or (f"edit of #{session.source}" if session.source is not None else None)
        meta = {"edited_from": session.source, "moved_lectures": int(len(session.moved())),
                "edits": [e.text for e in session.history]}
        return self.store.variants.save(scenario, session.timetable, report, meta, name=name, parent=session.source,
                                       problem=session.problem, user=user)

    def diff(self, scenario: str, a: int, b: int, weights=None):
        """What changed from variant ``a`` to variant ``b`` (:func:`tt_core.history.diff`).

        Both costs are counted with ``weights``, by default the weights ``b`` was made with (else
        ``a``'s, else ITC2007), so the change is the timetable's and not the weights'.
        """
        problem = self.problem(scenario)
        va, vb = self.load_variants(problem, [a, b])
        for v in (va, vb):
            if v.info.get("scenario") != scenario:
                raise TimetableError(f"variant #{v.id} belongs to scenario {v.info.get('scenario')!r}, "
                                     f"not {scenario!r}")
        return self.diff_views(problem, va, vb, weights, teacher_labels=self.teacher_labels(scenario, problem))

    def diff_views(self, problem: Problem, va: VariantView, vb: VariantView, weights=None,
                   teacher_labels: dict[str, str] | None = None):
        """:meth:`diff` of two variants already loaded (:meth:`load_variants`)."""
        from .history import diff

        for v in (va, vb):
            if not v.fits:
                raise TimetableError(f"variant #{v.id} no longer fits scenario {problem.name!r} (its data "
                                     "changed since)")
        if weights is None:
            weights = self.variant_weights(vb.info) or self.variant_weights(va.info)
        return diff(problem, va.timetable, vb.timetable, weights, a_label=f"#{va.id}", b_label=f"#{vb.id}",
                    teacher_labels=teacher_labels)

    def variant_history(self, scenario: str) -> pd.DataFrame:
        """The scenario's variants with their parents, newest first: id, name, parent, origin
        (job, edit or import), soft cost, hard violations, chosen, created."""
        rows = []
        for r in reversed(self.variants(scenario)):
            parent = r.get("parent_variant_id")
            origin = (f"job {r['job_id']}" if r.get("job_id") is not None
                      else "edit" if parent is not None else "saved")
            rows.append({"id": int(r["id"]), "name": r["name"],
                         "parent": None if parent is None else int(parent), "origin": origin,
                         "soft cost": r.get("soft_cost"), "hard": r.get("hard_violations"),
                         "chosen": bool(r.get("chosen")),
                         "created": r["created_at"].strftime("%Y-%m-%d %H:%M") if r.get("created_at") else ""})
        df = pd.DataFrame(rows, columns=["id", "name", "parent", "origin", "soft cost", "hard", "chosen", "created"])
        df["parent"] = df["parent"].astype("Int64")
        return df

    # ------------------------------------------------------------------ weight profiles
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

    # ------------------------------------------------------------------ jobs
    @property
    def runner(self):
        if self._runner is None:
            raise TimetableError("no job runner in this process; jobs cannot be started here")
        return self._runner()

    def submit(self, scenario: str, *, strategy: str, time_limit: float, seed: int = 0,
               weights: dict[str, float] | None = None, name: str | None = None, user: str | None = None) -> int:
        """Queue a generation job (planner or admin); the job row and the audit log keep who asked."""
        user = self.require("run_jobs", user)
        return self.runner.submit(scenario, strategy=strategy, weights=weights, time_limit=time_limit,
                                  seed=seed, name=name, user=user)

    def cancel(self, job_id: int, user: str | None = None) -> str:
        """Cancel a queued or running job (planner or admin); audited."""
        user = self.require("cancel_jobs", user)
        outcome = self.runner.cancel(int(job_id))
        self.store.audit("cancel job", f"job {int(job_id)}", {"outcome": outcome}, user=user)
        return outcome

    def retry(self, job_id: int, user: str | None = None) -> str:
        """Queue a failed, cancelled or interrupted job again; it resumes from its checkpoint."""
        user = self.require("run_jobs", user)
        outcome = self.runner.retry(int(job_id))
        self.store.audit("retry job", f"job {int(job_id)}", {"outcome": outcome}, user=user)
        return outcome

    def job(self, job_id: int) -> dict:
        job = self.store.jobs.get(int(job_id))
        if job is None:
            raise TimetableError(f"no job {job_id}")
        return job

    def job_events(self, job_id: int, after: int = 0) -> list[dict]:
        return self.store.jobs.events(int(job_id), after)

    def jobs_frame(self, scenario: str | None = None, limit: int = 50) -> pd.DataFrame:
        """Recent jobs, newest first: id, scenario, status, strategy, time limit, variant, message."""
        cols = ["id", "scenario", "status", "strategy", "time_limit", "variant_id", "created_by", "created_at",
                "message"]
        rows = []
        for j in self.store.jobs.list(scenario, limit=limit):
            rows.append({"id": j["id"], "scenario": j["scenario"], "status": j["status"], "strategy": j["strategy"],
                         "time_limit": (j.get("params") or {}).get("time_limit"), "variant_id": j["variant_id"],
                         "created_by": j.get("created_by") or "",
                         "created_at": j["created_at"].strftime("%Y-%m-%d %H:%M:%S") if j["created_at"] else "",
                         "message": j.get("message") or ""})
        return pd.DataFrame(rows, columns=cols)

    # ------------------------------------------------------------------ data tables
    def names(self, scenario: str, entity: str) -> list[str]:
        """Names of a scenario's departments, buildings, teachers, courses, rooms or curricula."""
        return [str(n) for n in self.store.tables.read(entity, scenario)["name"]]

    def table(self, scenario: str, entity: str) -> pd.DataFrame:
        spec = TABLES[entity]
        return _display(self.store.tables.read(entity, scenario), spec)

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
        self.store.tables.update(entity, scenario, key, user=user, **{column: new})
        new_key = new if (column in spec.key and len(spec.key) == 1) else key
        try:
            self.store.scenarios.load_problem(scenario)
        except ValidationError as exc:
            # the row is valid alone but the scenario is not: put the old value back
            self.store.tables.update(entity, scenario, new_key, user=user, **{column: old_value})
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

    # ------------------------------------------------------------------ instructor self-service
    def my_teacher(self, user: str | None = None) -> str | None:
        """The teacher a ``teacher`` user is linked to (None for every other role)."""
        row = auth.user_record(self.store, self.who(user))
        return row["teacher"] if row is not None and row["role"] == "teacher" else None

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
        for entity, periods in (("teacher_unavailability", unavailable), ("teacher_preferences", undesired)):
            added, removed = self.store.tables.set_teacher_periods(scenario, teacher, entity, periods, user=user)
            if added or removed:
                changes.append(f"{TABLES[entity].title.lower()}: +{len(added)} −{len(removed)}")
        return f"teacher {teacher}: " + ("; ".join(changes) + " saved" if changes else "nothing changed")

    # ------------------------------------------------------------------ users and the audit log
    def users(self, user: str | None = None) -> pd.DataFrame:
        """Every user and role (admins only)."""
        self.require("manage_users", user)
        return self.store.users.list()

    def add_user(self, name: str, role: str, teacher: str | None = None, department: str | None = None,
                 user: str | None = None) -> str:
        """Register a user with a role (admins only); audited."""
        user = self.require("manage_users", user)
        name = (name or "").strip()
        if not name:
            raise TimetableError("give the new user's sign-in name")
        if self.store.users.get(name) is not None:
            raise TimetableError(f"user {name!r} already exists; change their role instead")
        self.store.users.add(name, role, teacher or None, department=department or None, user=user)
        return f"user {name} added as {role}"

    def set_user_role(self, name: str, role: str, teacher: str | None = None, department: str | None = None,
                      user: str | None = None) -> str:
        """Change a user's role (admins only); an admin cannot take away the last admin's rights."""
        user = self.require("manage_users", user)
        self._keep_an_admin(name, role)
        self.store.users.set_role(name, role, teacher or None, department=department or None, user=user)
        return f"user {name} is now {role}"

    def remove_user(self, name: str, user: str | None = None) -> str:
        """Remove a user (admins only); the audit log keeps their name on what they did."""
        user = self.require("manage_users", user)
        if self.store.users.get(name) is None:
            raise TimetableError(f"no user {name!r}")
        self._keep_an_admin(name, None)
        self.store.tables.delete("users", None, name, user=user)
        return f"user {name} removed"

    def _keep_an_admin(self, name: str, new_role: str | None) -> None:
        users = self.store.users.list()
        admins = set(users.loc[users["role"] == "admin", "name"])
        if name in admins and new_role != "admin" and len(admins) == 1:
            raise TimetableError(f"{name!r} is the only admin; make another user admin first, or nobody "
                                 "could manage users any more")

    def audit_frame(self, limit: int = 200, user: str | None = None) -> pd.DataFrame:
        """The latest ``limit`` audit entries (planners and admins): when, who, action, target, detail."""
        self.require("view_audit", user)
        df = self.store.audit_log(limit)
        out = pd.DataFrame({"when": df["logged_at"].dt.strftime("%Y-%m-%d %H:%M:%S") if len(df) else [],
                            "who": df["user_name"].fillna("(local)"), "action": df["action"],
                            "target": df["target"],
                            "detail": [", ".join(f"{k}={v}" for k, v in (d or {}).items()) for d in df["detail"]]})
        return out

    # ------------------------------------------------------------------ import / export
    def import_file(self, filename: str, data: bytes, scenario_name: str, user: str | None = None) -> str:
        """Import an uploaded file as a new scenario (one transaction); returns the scenario's name.

        ``.ctt``: an ITC2007 instance; ``.xlsx``: a workbook of tables; ``.zip``: a folder of CSV
        tables (:mod:`tt_core.io.tables`). Every problem in the file is reported at once. Files
        over :func:`max_upload_bytes` are refused before they are read.
        """
        user = self.require("edit_data", user)
        limit = max_upload_bytes()
        if data is not None and len(data) > limit:
            raise TimetableError(f"{os.path.basename(filename or '') or 'the upload'} is {len(data) / 2**20:.1f} MB; "
                                 f"imports are limited to {limit / 2**20:.3g} MB (TT_MAX_UPLOAD_MB); split the data "
                                 "or import it with `tt import` on the server")
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
            self.store.scenarios.import_problem(problem, name, user=user)
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
        self.store.scenarios.import_problem(bundle.problem, name, institution=bundle.institution, term=bundle.term,
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

        info = self.store.scenarios.get(scenario)
        meta = self.store.scenarios.meta(scenario)
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
                         key: str | None = None, *, start_date=None, weeks: int = 12, week=None) -> tuple[str, bytes]:
        """A variant's timetable as ``(file name, bytes)``.

        ``"ical"``: the calendar of one teacher, curriculum, room or student (weekly events over ``weeks``
        weeks from ``start_date``, default next Monday), with the variant's substitutions on their
        dates; ``"xlsx"``: every curriculum, teacher and room grid (:mod:`tt_core.io.excel`);
        ``"html"``: the weekly grid of the view as a page (of the week of the date ``week`` with its
        substitutions, when given).
        """
        problem = self.problem(scenario)
        (v,) = self.load_variants(problem, [variant_id])
        if not v.fits:
            raise TimetableError(f"variant #{variant_id} no longer fits scenario {scenario!r} (its data changed "
                                 "since); generate a new variant")
        labels = self.teacher_labels(scenario, problem)
        full = self.store.scenarios.meta(scenario).get("teacher_full_names")
        stem = file_stem(f"{scenario}-v{variant_id}" + (f"-{view}-{key}" if key else ""))
        if fmt == "ical":
            overlays = self.overlays(scenario, problem, variant_id)
            if overlays:
                from .substitution import ical_with_substitutions

                return f"{stem}.ics", ical_with_substitutions(
                    problem, v.timetable, view, key, overlays, start_date=start_date, weeks=weeks,
                    teacher_full_names=full, calendar_name=scenario)
            return f"{stem}.ics", ical_for(problem, v.timetable, view, key, start_date=start_date, weeks=weeks,
                                          teacher_full_names=full, calendar_name=scenario)
        if fmt == "xlsx":
            from .io.excel import write_timetable_workbook

            with tempfile.TemporaryDirectory(prefix="tt-export-") as tmp:
                path = write_timetable_workbook(problem, v.timetable, Path(tmp) / f"{stem}.xlsx",
                                                teacher_full_names=full, title=f"{scenario} · {v.info['name']}")
                return path.name, path.read_bytes()
        if fmt == "html":
            entries = None if week is None else self.week_entries(scenario, problem, v.timetable, variant_id, view,
                                                                   key, week, labels)
            grid = weekly_grid(problem, v.timetable, view, key, labels, entries=entries)
            title = f"{scenario} · {v.info['name']} · {view_title(view, key, labels)}"
            if week is not None:
                from .substitution import week_of

                title += " · week of {:%Y-%m-%d}".format(week_of(week)[0])
            return f"{stem}.html", grid_html_page(grid, title).encode()
        raise TimetableError(f"unknown export format {fmt!r}; one of ical, xlsx, html")

    # ------------------------------------------------------------------ approval workflow
    def review(self, variant_id: int):
        """The variant's :class:`tt_core.workflow.Review` (status, departments, decisions)."""
        from . import workflow

        return workflow.review(self.store, int(variant_id))

    def workflow_actions(self, variant_id: int, user: str | None = None) -> list[str]:
        """The workflow actions the acting user may take on the variant now (the buttons to show)."""
        from . import workflow

        return workflow.allowed_actions(self.store, self.review(variant_id), self.who(user))

    def workflow_step(self, variant_id: int, action: str, *, user: str | None = None, department: str | None = None,
                      reason: str | None = None) -> str:
        """Run a workflow action (submit, withdraw, approve, reject, publish, archive); returns the
        new state in words. Refusals (wrong status or role) raise with the reason."""
        from . import workflow

        before = self.store.approvals.published(self.review(variant_id).scenario)
        r = workflow.transition(self.store, int(variant_id), action, user=self.who(user), department=department,
                                reason=reason)
        text = r.summary()
        if action == "publish" and before is not None and before != r.variant_id:
            text += f"; variant #{before} was archived"
        return text

    def published_variant(self, scenario: str) -> int | None:
        return self.store.approvals.published(scenario)

    def workflow_history(self, variant_id: int) -> pd.DataFrame:
        """Every department decision on the variant (all review rounds), oldest first."""
        rows = self.store.approvals.decisions(int(variant_id))
        cols = ["review_round", "department", "decision", "user_name", "reason", "decided_at"]
        df = pd.DataFrame(rows, columns=cols)
        df["decided_at"] = [t.strftime("%Y-%m-%d %H:%M") if t is not None else "" for t in df["decided_at"]]
        return df

    # ------------------------------------------------------------------ substitutions
    def overlays(self, scenario: str, problem: Problem, variant_id: int, *, date_from=None, date_to=None) -> list:
        """The variant's active substitutions (:class:`tt_core.substitution.Overlay`)."""
        from .substitution import overlays_of

        return overlays_of(self.store, problem, scenario, int(variant_id), date_from=date_from, date_to=date_to)[0]

    def week_entries(self, scenario: str, problem: Problem, timetable: Timetable, variant_id: int, view: str,
                     key: str | None, week, labels: dict[str, str] | None = None) -> list[Entry]:
        """A view's weekly entries for the week of the date ``week``, with that week's substitutions."""
        from .substitution import overlay_entries, week_of

        monday, sunday = week_of(week)
        overlays = self.overlays(scenario, problem, variant_id, date_from=monday, date_to=sunday)
        entries = weekly_entries(problem, timetable, view, key, labels)
        return overlay_entries(problem, entries, overlays, view, key, timetable, labels)

    def propose_substitutes(self, scenario: str, teacher: str, dates, *, limit: int | None = 5,
                            user: str | None = None):
        """Ranked substitutes for each lecture of ``teacher`` on ``dates`` in the published timetable
        (:func:`tt_core.substitution.propose`)."""
        from . import substitution

        return substitution.propose(self.store, scenario, teacher, dates, limit=limit,
                                    labels=self.teacher_labels(scenario), user=self.who(user))

    def apply_substitution(self, scenario: str, on_date, lecture: int, substitute: str, *, note: str = "",
                           replaces: int | None = None, user: str | None = None) -> str:
        from . import substitution

        sid = substitution.apply(self.store, scenario, on_date, int(lecture), substitute, note=note,
                                 replaces=replaces, user=self.who(user))
        return f"substitution {sid}: {substitute} takes lecture {lecture} on {on_date}"

    def apply_best_substitutes(self, scenario: str, teacher: str, dates, *, note: str = "",
                               user: str | None = None) -> str:
        from . import substitution

        ids, left = substitution.apply_best(self.store, scenario, teacher, dates, note=note, user=self.who(user))
        text = f"{len(ids)} substitution(s) recorded" + (f" ({', '.join(map(str, ids))})" if ids else "")
        return text + ("; uncovered: " + "; ".join(left) if left else "")

    def rollback_substitutions(self, ids, *, user: str | None = None) -> str:
        from . import substitution

        ids = [int(i) for i in ids]
        substitution.rollback(self.store, ids, user=self.who(user))
        return f"rolled back substitution(s) {', '.join(map(str, ids))}"

    def substitutions_frame(self, scenario: str, *, active_only: bool = True) -> pd.DataFrame:
        """The scenario's substitutions, by date: id, variant, date, lecture, course, absent, substitute…"""
        cols = ["id", "variant_id", "on_date", "lecture", "course", "absent_teacher", "substitute", "note",
                "created_by", "rolled_back_at"]
        rows = self.store.substitutions.list(scenario, active_only=active_only)
        df = pd.DataFrame(rows, columns=cols + ["created_at", "rolled_back_by"])[cols]
        df["on_date"] = [d.isoformat() for d in df["on_date"]]
        df["lecture"] = df["lecture"].astype("Int64")
        df["course"] = [c if isinstance(c, str) else "(absent that day)" for c in df["course"]]
        df["substitute"] = [t if isinstance(t, str) else ("" if pd.isna(l) else "(nobody: uncovered)")
                            for t, l in zip(df["substitute"], df["lecture"])]
        df["note"] = df["note"].fillna("")
        df["created_by"] = df["created_by"].fillna("")
        df["rolled_back_at"] = [t.strftime("%Y-%m-%d %H:%M") if t is not None and t == t else ""
                                for t in df["rolled_back_at"].astype(object)]
        return df

    # ------------------------------------------------------------------ students
    def students_frame(self, scenario: str) -> pd.DataFrame:
        """The scenario's students: name, programme, year, department, courses (enrolled)."""
        return self.store.students.list(scenario)

    def student_clashes(self, scenario: str, variant_id: int) -> pd.DataFrame:
        """Every clash of a variant per student: ``student, period, courses`` (empty when none)."""
        from .cost import student_clash_list

        problem = self.problem(scenario)
        (v,) = self.load_variants(problem, [variant_id])
        if not v.fits:
            raise TimetableError(f"variant #{variant_id} no longer fits scenario {scenario!r} (its data changed "
                                 "since); generate a new variant")
        return pd.DataFrame(student_clash_list(problem, v.timetable), columns=["student", "period", "courses"])

    def section_scenario(self, scenario: str, new_name: str, *, section_size: int | None = None,
                         method: str = "affinity", user: str | None = None) -> dict:
        """Split the scenario's large offerings into sections (:func:`tt_core.sectioning.split_sections`)
        and store the result as the new scenario ``new_name``; returns the plan's summary and notes.

        A sectioned scenario is sectioned again from its offerings (sections merged back, their
        teachers kept as the offering's teaching team)."""
        from .sectioning import merge_sections, split_sections

        user = self.require("edit_data", user)
        name = (new_name or "").strip()
        if not name:
            raise TimetableError("give the sectioned scenario a name")
        if name in self.scenarios():
            raise TimetableError(f"a scenario named {name!r} already exists; choose another name")
        original = self.problem(scenario)
        problem, teams = merge_sections(original)
        plan = split_sections(problem, section_size=section_size, teams=teams, method=method)
        info = self.store.scenarios.get(scenario)
        meta = self.store.scenarios.meta(scenario)
        full = dict(zip(original.teacher_names, meta.get("teacher_full_names") or []))
        meta["teacher_full_names"] = [full.get(t, "") for t in plan.problem.teacher_names]  # new course order
        self.store.scenarios.import_problem(plan.problem, name, institution=info["institution"], term=info["term"],
                                  description=f"{scenario} split into sections of at most "
                                              f"{section_size or 'the largest room'} students",
                                  meta=meta, user=user)
        return {**plan.summary(), "notes": plan.notes}

    def reassign_sections(self, scenario: str, variant_id: int, user: str | None = None) -> dict:
        """After solving: move students between sections of the same offering to lower their clashes in
        the variant (:func:`tt_core.sectioning.reassign_sections`), store the new enrolments and save
        the same timetable, re-evaluated, as a new variant. Returns the moves and clashes before/after
        and ``variant`` (the new id; None when nobody moved)."""
        from .cost import evaluate
        from .sectioning import reassign_sections

        user = self.require("edit_data", user)
        problem = self.problem(scenario)
        (v,) = self.load_variants(problem, [variant_id])
        if not v.fits:
            raise TimetableError(f"variant #{variant_id} no longer fits scenario {scenario!r}; generate a new variant")
        new, stats = reassign_sections(problem, v.timetable)
        if not stats["moved"]:
            return {**stats, "variant": None}
        self.store.students.replace_enrolments(scenario, [(new.student_names[s], [new.course_names[c] for c in
                                                                         new.student_course_ids(s)])
                                                 for s in range(new.n_students)],
                                      user=user, reason=f"students re-sectioned for variant #{variant_id}")
        report = evaluate(new, v.timetable, self.variant_weights(v.info))
        vid = self.store.variants.save(scenario, v.timetable, report, meta={"re_sectioned_from": int(variant_id)},
                                      name=f"{v.info['name']} (re-sectioned)", parent=int(variant_id), user=user)
        return {**stats, "variant": vid}


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
    """The iCalendar file of one teacher, curriculum, room or student (see :func:`tt_core.io.ical.export_ical`)."""
    import datetime as dt

    from .io.ical import export_ical

    plural = {"teacher": "teachers", "curriculum": "curricula", "room": "rooms", "student": "students"}
    if view not in plural or key is None:
        raise TimetableError("a calendar is made for one teacher, curriculum, room or student; pick one first")
    if start_date is None:
        today = dt.date.today()
        start_date = today + dt.timedelta(days=(7 - today.weekday()) % 7)
    names = {"teacher": problem.teacher_names, "curriculum": problem.curriculum_names, "room": problem.room_names,
             "student": problem.student_names}
    index = list(names[view]).index(key) if key in names[view] else None
    if index is None:
        raise TimetableError(f"unknown {view} {key!r}")
    subset = lectures_of(problem, timetable, view, key)
    if not ((subset.period >= 0) & (subset.room >= 0)).any():
        raise TimetableError(f"{view_title(view, key)} has no lecture in this timetable; there is nothing to export")
    with tempfile.TemporaryDirectory(prefix="tt-ical-") as tmp:
        files = export_ical(problem, subset, tmp, start_date=start_date, weeks=weeks, views=(plural[view],),
                            teacher_full_names=teacher_full_names, calendar_name=calendar_name, items=[key])
        import icalendar

        word = {"teacher": "teacher", "curriculum": "curriculum", "room": "room", "student": "student"}[view]
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
