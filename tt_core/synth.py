"""Synthetic university generator: seeded, deterministic and feasible by construction.

A :class:`Recipe` describes the shape of a university (departments, programmes, years, students,
courses, labs, rooms, teachers, time grid). :func:`generate` turns it into a
:class:`~tt_core.model.Problem` plus the *hidden* :class:`~tt_core.model.Timetable` the instance was
built around, so every generated instance is known to be feasible and the hidden timetable is an
upper bound a solver should reach or beat.

How feasibility is guaranteed (planted-solution generation, as in the "quiet planting" of random
CSP benchmarks): the curricula, courses and teachers are drawn first, then every lecture is placed
greedily in a period where none of its curricula and not its teacher is busy, keeping a per-period
room-capacity invariant (see below). Rooms are assigned afterwards and only then are the teacher
unavailabilities and undesired periods derived, from periods the hidden timetable leaves free.

Rooms come in capacity *tiers* (20, 30, 40 … seats). A lecture of tier ``k`` needs a room of tier
``>= k``; since those room sets are nested, a period can host its lectures iff for every tier ``j``
the number of lectures of tier ``>= j`` does not exceed the number of rooms of tier ``>= j`` (Hall's
condition for nested sets). The placement keeps that condition true in every period, and the room
assignment then processes courses in decreasing tier, which can always find a free room. Labs
(2–3 consecutive periods) use lab rooms booked per day *block* of ``max lab length`` periods, so
the same argument holds for them with blocks instead of periods.

The *enrolments* form (``students.form = "enrolments"``, presets ``campus`` and ``university``)
draws every student's courses instead of curricula — their cohort's cores, departmental electives,
open electives, minors and skill courses shared across departments (NEP-2020 style) — splits
offerings above ``section_size`` into sections of similar students, and plants the timetable with
one group per distinct set of a student's courses in place of the curricula, so no student has a
clash in it. The problem then has students' enrolments and no curricula.

All randomness comes from one ``numpy.random.Generator`` seeded by ``Recipe.seed`` and passed
down; the same recipe gives identical arrays and names.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ProblemFormatError, TimetableError, ValidationError
from .model import Problem, Timetable

__all__ = ["Recipe", "SynthUniversity", "generate", "PRESETS"]

# ----------------------------------------------------------------------------- recipe

_KINDS = ("int", "float", "str", "int_range", "float_range")


def _opt(default: Any, section: str, kind: str, doc: str):
    """A recipe field with the TOML section it lives in, its value kind and a one-line help."""
    assert kind in _KINDS
    return field(default=default, metadata={"section": section, "kind": kind, "doc": doc})


@dataclass(frozen=True)
class Recipe:
    """The shape of a synthetic university; the defaults are the ``demo`` preset.

    Load one with :meth:`from_toml` or :meth:`preset`; change one value with
    ``dataclasses.replace(recipe, seed=7)``. Every value is validated on construction and a bad
    value raises :class:`~tt_core.errors.ValidationError` naming the key as ``section.key``.
    Ranges are ``(low, high)`` pairs, both inclusive.
    """

    name: str = _opt("demo", "", "str", "short ASCII name, used in the problem name synth-<name>-s<seed>")
    seed: int = _opt(42, "", "int", "seed of the random generator; same recipe and seed, same university")
    # -- university
    departments: int = _opt(8, "university", "int", "number of departments")
    programmes_per_department: int = _opt(2, "university", "int", "degree programmes per department (1-10)")
    years_per_programme: int = _opt(3, "university", "int", "years of study per programme (1-9)")
    students: int = _opt(2400, "university", "int", "total students, spread over programme-year cohorts")
    cohort_spread: float = _opt(0.4, "university", "float",
                                "log-normal spread of programme sizes (0 = all cohorts alike)")
    buildings: int = _opt(4, "university", "int", "number of buildings holding the rooms")
    # -- courses
    core_per_curriculum: int = _opt(3, "courses", "int", "core courses of each programme-year curriculum")
    electives_per_department: int = _opt(5, "courses", "int", "departmental elective courses per department")
    electives_per_curriculum: int = _opt(3, "courses", "int",
                                         "departmental electives offered to each curriculum of the department")
    elective_uptake: tuple[float, float] = _opt((0.2, 0.5), "courses", "float_range",
                                                "share of a cohort taking one of its electives")
    open_electives: int = _opt(16, "courses", "int", "open (interdisciplinary) electives in the whole university")
    open_departments: tuple[int, int] = _opt((2, 3), "courses", "int_range",
                                             "departments whose curricula share one open elective")
    open_uptake: tuple[float, float] = _opt((0.05, 0.2), "courses", "float_range",
                                            "share of a cohort taking one open elective")
    lectures: tuple[int, int] = _opt((2, 4), "courses", "int_range", "lectures per week of a non-lab course")
    lab_fraction: float = _opt(0.15, "courses", "float", "share of core and departmental courses that are labs")
    lab_sessions: tuple[int, int] = _opt((1, 2), "courses", "int_range", "sessions per week of a lab course")
    lab_length: tuple[int, int] = _opt((2, 3), "courses", "int_range",
                                       "consecutive periods of one lab session (2-3)")
    # -- time
    days: int = _opt(5, "time", "int", "teaching days per week (1-7, starting Monday)")
    periods_per_day: int = _opt(8, "time", "int", "periods per day")
    day_start: str = _opt("09:00", "time", "str", "start time of the first period, HH:MM")
    period_minutes: int = _opt(60, "time", "int", "length of one period in minutes")
    early_periods: int = _opt(1, "time", "int", "first periods of a day carrying the early penalty")
    early_penalty: int = _opt(1, "time", "int", "time-of-day penalty units of an early period")
    late_periods: int = _opt(1, "time", "int", "last periods of a day carrying the late penalty")
    late_penalty: int = _opt(2, "time", "int", "time-of-day penalty units of a late period")
    curriculum_max_per_day: int = _opt(5, "time", "int", "soft maximum lectures per day of a curriculum (0 = none)")
    # -- rooms
    occupancy: float = _opt(0.7, "rooms", "float", "target share of lecture-room periods in use")
    lab_occupancy: float = _opt(0.6, "rooms", "float", "target share of lab-room day blocks in use")
    # -- teachers
    teacher_load: int = _opt(10, "teachers", "int", "maximum weekly teaching periods of one teacher")
    teacher_max_per_day: int = _opt(4, "teachers", "int", "soft maximum lectures per day of a teacher (0 = none)")
    unavailable_fraction: float = _opt(0.1, "teachers", "float",
                                       "share of the week a teacher is unavailable (as whole half-days)")
    undesired_fraction: float = _opt(0.1, "teachers", "float", "share of the week a teacher marks as undesired")
    # -- students (the general form: every student enrols in courses)
    form: str = _opt("curricula", "students", "str",
                     "curricula: each programme-year cohort is one curriculum (the compact form); enrolments: "
                     "every student enrols in courses (the general form: student clashes, sections)")
    section_size: int = _opt(0, "students", "int",
                             "enrolments: most students per section; larger offerings are split (0 = never)")
    minors_per_department: int = _opt(0, "students", "int",
                                      "enrolments: minor courses per department, taken by other departments' "
                                      "students from year 2")
    minor_departments: tuple[int, int] = _opt((2, 4), "students", "int_range",
                                              "other departments whose cohorts one minor course is offered to")
    minor_uptake: tuple[float, float] = _opt((0.05, 0.2), "students", "float_range",
                                             "share of an offered cohort taking one minor course")
    skill_courses: int = _opt(0, "students", "int",
                              "enrolments: skill-enhancement courses shared across departments (years 1-2)")
    skill_departments: tuple[int, int] = _opt((4, 8), "students", "int_range",
                                              "departments whose year 1-2 cohorts one skill course is offered to")
    skill_uptake: tuple[float, float] = _opt((0.1, 0.3), "students", "float_range",
                                             "share of an offered cohort taking one skill course")

    def __post_init__(self):
        errors = self._check()
        if errors:
            raise ValidationError(errors, title=f"recipe {self.name!r} is invalid")

    # ------------------------------------------------------------------ derived sizes
    @property
    def n_curricula(self) -> int:
        """Programme-year cohorts, one curriculum each."""
        return self.departments * self.programmes_per_department * self.years_per_programme

    @property
    def n_core(self) -> int:
        return self.n_curricula * self.core_per_curriculum

    @property
    def n_courses(self) -> int:
        """Core + departmental electives + open electives (+ minors and skill courses), as offerings:
        in the enrolments form a split offering is several courses (its sections) in the problem."""
        return (self.n_core + self.departments * self.electives_per_department + self.open_electives
                + self.departments * self.minors_per_department + self.skill_courses)

    @property
    def enrolled(self) -> bool:
        """True for the enrolments form (students and their courses instead of curricula)."""
        return self.form == "enrolments"

    @property
    def n_labs(self) -> int:
        """Lab courses: ``lab_fraction`` of the core and departmental courses, rounded."""
        return int(round(self.lab_fraction * (self.n_core + self.departments * self.electives_per_department)))

    @property
    def n_periods(self) -> int:
        return self.days * self.periods_per_day

    # ------------------------------------------------------------------ validation
    def _check(self) -> list[str]:
        e: list[str] = []
        key = _key_of

        def need(cond: bool, name: str, what: str):
            if not cond:
                e.append(f"{key(name)} {what} (got {getattr(self, name)!r})")

        # types first: later checks compare numbers
        for f in fields(self):
            msg = _type_problem(getattr(self, f.name), f.metadata["kind"])
            if msg:
                e.append(f"{key(f.name)}: {msg}")
        if e:
            return e
        need(re.fullmatch(r"[A-Za-z0-9_-]{1,40}", self.name) is not None, "name",
             "must be 1-40 ASCII letters, digits, '-' or '_'")
        need(self.seed >= 0, "seed", "must be >= 0")
        need(1 <= self.departments <= 5000, "departments", "must be between 1 and 5000")
        need(1 <= self.programmes_per_department <= 10, "programmes_per_department", "must be between 1 and 10")
        need(1 <= self.years_per_programme <= 9, "years_per_programme", "must be between 1 and 9")
        need(self.students >= 5 * self.n_curricula, "students",
             f"must be at least 5 per programme-year cohort ({5 * self.n_curricula} for "
             f"{self.n_curricula} cohorts)")
        need(0 <= self.cohort_spread <= 2, "cohort_spread", "must be between 0 and 2")
        need(1 <= self.buildings <= 500, "buildings", "must be between 1 and 500")
        need(1 <= self.core_per_curriculum <= 99, "core_per_curriculum", "must be between 1 and 99")
        need(0 <= self.electives_per_department <= 99, "electives_per_department", "must be between 0 and 99")
        need(0 <= self.electives_per_curriculum <= self.electives_per_department, "electives_per_curriculum",
             f"must be between 0 and courses.electives_per_department ({self.electives_per_department})")
        for name in ("elective_uptake", "open_uptake"):
            lo, hi = getattr(self, name)
            need(0 < lo <= hi <= 1, name, "must be a range 0 < low <= high <= 1")
        need(self.open_electives >= 0, "open_electives", "must be >= 0")
        lo, hi = self.open_departments
        if self.open_electives:
            need(self.departments >= 2, "open_electives",
                 "needs at least 2 departments to share open electives (set it to 0)")
            need(2 <= lo <= hi <= self.departments, "open_departments",
                 f"must be a range 2 <= low <= high <= university.departments ({self.departments})")
        lo, hi = self.lectures
        need(1 <= lo <= hi <= self.n_periods, "lectures", f"must be a range 1 <= low <= high <= {self.n_periods}")
        need(0 <= self.lab_fraction <= 1, "lab_fraction", "must be between 0 and 1")
        lo, hi = self.lab_sessions
        need(1 <= lo <= hi <= self.days, "lab_sessions", f"must be a range 1 <= low <= high <= time.days ({self.days})")
        lo, hi = self.lab_length
        need(2 <= lo <= hi <= 3, "lab_length", "must be a range 2 <= low <= high <= 3")
        if self.lab_fraction > 0:
            need(hi <= self.periods_per_day, "lab_length",
                 f"must fit in a day of time.periods_per_day ({self.periods_per_day}) periods")
        need(1 <= self.days <= 7, "days", "must be between 1 and 7")
        need(1 <= self.periods_per_day <= 24, "periods_per_day", "must be between 1 and 24")
        need(5 <= self.period_minutes <= 240, "period_minutes", "must be between 5 and 240")
        m = re.fullmatch(r"(\d{1,2}):(\d{2})", self.day_start)
        if m is None or int(m.group(1)) > 23 or int(m.group(2)) > 59:
            e.append(f"{key('day_start')} must be a time HH:MM such as \"09:00\" (got {self.day_start!r})")
        else:
            end = int(m.group(1)) * 60 + int(m.group(2)) + self.periods_per_day * self.period_minutes
            need(end <= 24 * 60, "periods_per_day", f"ends past midnight with time.day_start {self.day_start} "
                 f"and time.period_minutes {self.period_minutes}")
        for name in ("early_periods", "late_periods", "early_penalty", "late_penalty", "curriculum_max_per_day",
                     "teacher_max_per_day"):
            need(getattr(self, name) >= 0, name, "must be >= 0")
        need(self.early_periods + self.late_periods <= self.periods_per_day, "late_periods",
             f"plus time.early_periods must not exceed time.periods_per_day ({self.periods_per_day})")
        need(0.05 <= self.occupancy <= 1, "occupancy", "must be between 0.05 and 1")
        need(0.05 <= self.lab_occupancy <= 1, "lab_occupancy", "must be between 0.05 and 1")
        biggest = max(self.lectures[1], self.lab_sessions[1] * self.lab_length[1] if self.lab_fraction else 0)
        need(biggest <= self.teacher_load <= self.n_periods, "teacher_load",
             f"must hold the largest course ({biggest} periods) and fit the week ({self.n_periods} periods)")
        need(0 <= self.unavailable_fraction <= 0.5, "unavailable_fraction", "must be between 0 and 0.5")
        need(0 <= self.undesired_fraction <= 0.5, "undesired_fraction", "must be between 0 and 0.5")
        need(self.form in FORMS, "form", f"must be one of {', '.join(map(repr, FORMS))}")
        need(self.section_size >= 0, "section_size", "must be >= 0 (0 = never split)")
        need(0 <= self.minors_per_department <= 99, "minors_per_department", "must be between 0 and 99")
        need(self.skill_courses >= 0, "skill_courses", "must be >= 0")
        for name in ("minor_uptake", "skill_uptake"):
            lo, hi = getattr(self, name)
            need(0 < lo <= hi <= 1, name, "must be a range 0 < low <= high <= 1")
        if self.minors_per_department:
            lo, hi = self.minor_departments
            need(self.departments >= 2 and 1 <= lo <= hi <= self.departments - 1, "minor_departments",
                 f"must be a range 1 <= low <= high <= university.departments - 1 ({self.departments - 1})")
            need(self.years_per_programme >= 2, "minors_per_department",
                 "needs programmes of 2 or more years (minors start in year 2)")
        if self.skill_courses:
            lo, hi = self.skill_departments
            need(1 <= lo <= hi <= self.departments, "skill_departments",
                 f"must be a range 1 <= low <= high <= university.departments ({self.departments})")
        if not self.enrolled:
            for name in ("section_size", "minors_per_department", "skill_courses"):
                need(getattr(self, name) == 0, name, "needs students.form = \"enrolments\" (or set it to 0)")
        if not e and not self.enrolled:
            e.extend(self._check_load())
        return e

    def expected_curriculum_load(self) -> tuple[float, float]:
        """Mean teaching periods and lab sessions per week of one curriculum, before drawing.

        Counts the cores, the departmental electives a curriculum holds (at least its share of
        the department's electives, since every elective is offered somewhere) and its share of
        the open electives' memberships.
        """
        per_dept = self.programmes_per_department * self.years_per_programme
        electives = max(self.electives_per_curriculum, self.electives_per_department / per_dept)
        own = self.core_per_curriculum + electives
        opens = self.open_electives * sum(self.open_departments) / 2 / self.n_curricula
        lecture = sum(self.lectures) / 2
        sessions = sum(self.lab_sessions) / 2
        lab = sessions * sum(self.lab_length) / 2
        f = self.lab_fraction
        return own * ((1 - f) * lecture + f * lab) + opens * lecture, own * f * sessions

    def _check_load(self) -> list[str]:
        """Curricula must leave room to place them: at most 80% of the week on average.

        Beyond that the greedy construction of the hidden timetable starts to drop lectures; the
        limit is a mean, so a rare crowded curriculum can still lose one (see ``dropped_lectures``).
        """
        e = []
        periods, sessions = self.expected_curriculum_load()
        hint = ("lower courses.core_per_curriculum, courses.electives_per_curriculum, courses.open_electives "
                "or courses.lectures, or add time.days or time.periods_per_day")
        if periods > 0.8 * self.n_periods:
            e.append(f"courses.core_per_curriculum: curricula would average {periods:.1f} teaching periods a "
                     f"week, more than 80% of the {self.n_periods} periods; {hint}")
        B = self.lab_length[1]
        full_blocks = self.days * (self.periods_per_day // B)
        if self.lab_fraction and sessions > 0.8 * full_blocks:
            e.append(f"courses.lab_fraction: curricula would average {sessions:.1f} lab sessions a week, more "
                     f"than 80% of the {full_blocks} day blocks of {B} periods that fit the longest lab; lower "
                     "courses.lab_fraction or courses.lab_sessions, or add time.days or time.periods_per_day")
        return e

    # ------------------------------------------------------------------ presets and files
    @classmethod
    def presets(cls) -> tuple[str, ...]:
        """Names accepted by :meth:`preset`."""
        return tuple(PRESETS)

    @classmethod
    def preset(cls, preset: str, /, **changes) -> "Recipe":
        """A named recipe (``tiny``, ``demo``, ``medium``, ``large``; with students' enrolments
        ``campus`` and ``university``), optionally with changed values.

        The recipe's ``name`` is the preset's unless ``changes`` gives another.
        """
        if preset not in PRESETS:
            raise TimetableError(f"unknown synthetic university preset {preset!r}; choose one of "
                                 f"{', '.join(PRESETS)}")
        return cls(**{"name": preset, **PRESETS[preset], **changes})

    @classmethod
    def from_toml(cls, path: str | Path) -> "Recipe":
        """Read a recipe from a TOML file.

        Top-level keys ``name``, ``seed`` and optionally ``preset`` (the recipe to start from,
        default ``demo``); the other keys live in the tables ``[university]``, ``[courses]``,
        ``[time]``, ``[rooms]`` and ``[teachers]`` (see :meth:`to_toml` for a complete file).
        Ranges are two-element arrays. Raises :class:`~tt_core.errors.ProblemFormatError` for an
        unreadable file and :class:`~tt_core.errors.ValidationError` naming the file and each bad
        key as ``section.key``.
        """
        path = Path(path)
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise ProblemFormatError("recipe file not found", path=str(path)) from None
        except tomllib.TOMLDecodeError as exc:
            raise ProblemFormatError(f"not valid TOML: {exc}", path=str(path)) from None
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: dict, *, source: str = "recipe") -> "Recipe":
        """Build a recipe from the nested mapping a TOML file holds (see :meth:`from_toml`)."""
        errors: list[str] = []
        data = dict(data)
        base = data.pop("preset", "demo")
        if base not in PRESETS:
            raise ValidationError([f"preset: unknown preset {base!r}; choose one of {', '.join(PRESETS)}"],
                                  title=f"{source}: invalid recipe")
        by_section: dict[str, dict[str, Any]] = {}
        for f in fields(cls):
            by_section.setdefault(f.metadata["section"], {})[f.name] = f
        values: dict[str, Any] = {}
        for k, v in data.items():
            if isinstance(v, dict):
                if k not in by_section or k == "":
                    errors.append(f"[{k}]: unknown table; known tables: "
                                  + ", ".join(f"[{s}]" for s in by_section if s))
                    continue
                for kk, vv in v.items():
                    if kk not in by_section[k]:
                        errors.append(f"{k}.{kk}: unknown key; known keys in [{k}]: " + ", ".join(by_section[k]))
                    else:
                        values[kk] = vv
            elif k in by_section[""]:
                values[k] = v
            else:
                home = next((s for s, fs in by_section.items() if k in fs), None)
                hint = f"; it belongs in table [{home}]" if home else ""
                errors.append(f"{k}: unknown top-level key{hint}")
        kinds = {f.name: f.metadata["kind"] for f in fields(cls)}
        for k, v in list(values.items()):
            msg = _type_problem(v, kinds[k], from_file=True)
            if msg:
                errors.append(f"{_key_of(k)}: {msg}")
                del values[k]
            elif kinds[k] == "float_range":
                values[k] = tuple(float(x) for x in v)
            elif kinds[k] == "int_range":
                values[k] = tuple(v)
            elif kinds[k] == "float":
                values[k] = float(v)
        if errors:
            raise ValidationError(errors, title=f"{source}: invalid recipe")
        values.setdefault("name", base)
        try:
            return cls.preset(base, **values)
        except ValidationError as exc:
            raise ValidationError(exc.problems, title=f"{source}: invalid recipe") from None

    def to_toml(self) -> str:
        """The recipe as a complete TOML document that :meth:`from_toml` reads back unchanged."""
        out: list[str] = []
        section = None
        for f in fields(self):
            s = f.metadata["section"]
            if s != section:
                if s:
                    out.append(f"\n[{s}]")
                section = s
            v = getattr(self, f.name)
            text = (json.dumps(v) if isinstance(v, str)
                    else "[" + ", ".join(repr(x) for x in v) + "]" if isinstance(v, tuple) else repr(v))
            out.append(f"{f.name} = {text}  # {f.metadata['doc']}")
        return "\n".join(out) + "\n"


def _key_of(name: str) -> str:
    """``section.key`` as written in a TOML file (top-level keys stay bare)."""
    section = Recipe.__dataclass_fields__[name].metadata["section"]
    return f"{section}.{name}" if section else name


def _type_problem(v: Any, kind: str, *, from_file: bool = False) -> str | None:
    """Why ``v`` is not of ``kind``, or ``None``; ``bool`` is never a number."""
    def is_int(x):
        return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))

    def is_num(x):
        return (is_int(x) or isinstance(x, (float, np.floating))) and math.isfinite(float(x))

    if kind == "int" and not is_int(v):
        return f"expected an integer, got {v!r}"
    if kind == "float" and not is_num(v):
        return f"expected a number, got {v!r}"
    if kind == "str" and not isinstance(v, str):
        return f"expected a string, got {v!r}"
    if kind.endswith("range"):
        ok_item = is_int if kind == "int_range" else is_num
        seq_ok = isinstance(v, (list, tuple)) if from_file else isinstance(v, tuple)
        if not (seq_ok and len(v) == 2 and all(ok_item(x) for x in v)):
            what = "integers" if kind == "int_range" else "numbers"
            return f"expected a range [low, high] of two {what}, got {v!r}"
        if v[0] > v[1]:
            return f"range low {v[0]!r} is above high {v[1]!r}"
    return None


# Presets: only the differences from the dataclass defaults (= demo). Course counts are exact:
# departments * programmes * years * core + departments * electives + open electives.
PRESETS: dict[str, dict[str, Any]] = {
    # 3*1*2*2 + 3*2 + 2 = 20 courses; a 5 x 6 week keeps tests fast
    "tiny": dict(departments=3, programmes_per_department=1, years_per_programme=2, students=240,
                 buildings=2, core_per_curriculum=2, electives_per_department=2, electives_per_curriculum=2,
                 open_electives=2, open_departments=(2, 2), lab_fraction=0.2, periods_per_day=6,
                 curriculum_max_per_day=4),
    # 8*2*3*3 + 8*5 + 16 = 200 courses
    "demo": dict(),
    # 20*2*3*3 + 20*5 + 40 = 500 courses
    "medium": dict(departments=20, programmes_per_department=2, years_per_programme=3, students=6000,
                   buildings=6, open_electives=40),
    # 127*1*4*4 + 127*3 + 87 = 2500 courses, 25,000 students
    "large": dict(departments=127, programmes_per_department=1, years_per_programme=4, students=25000,
                  buildings=12, core_per_curriculum=4, electives_per_department=3, electives_per_curriculum=2,
                  open_electives=87),
    # a large university in the NEP-2020 style, as students' enrolments: 120 departments, 19,000
    # students; 120*4*3 cores + 120*5 electives + 100 open electives + 120 minors + 40 skill
    # courses = 2,300 offerings (about 95,000 enrolments); offerings above 70 students are split
    # into sections, so the problem holds somewhat more courses than offerings. Six days of eight
    # periods; practicals are two-period blocks
    "university": dict(departments=120, programmes_per_department=1, years_per_programme=4, students=19000,
                       cohort_spread=0.5, buildings=10, core_per_curriculum=3, electives_per_department=5,
                       electives_per_curriculum=3, elective_uptake=(0.3, 0.65), open_electives=100,
                       open_departments=(3, 6), open_uptake=(0.1, 0.3), lectures=(3, 3), lab_fraction=0.1,
                       lab_length=(2, 2),
                       days=6, periods_per_day=8, curriculum_max_per_day=5, teacher_load=14,
                       form="enrolments", section_size=70, minors_per_department=1, minor_departments=(2, 4),
                       minor_uptake=(0.1, 0.3), skill_courses=40, skill_departments=(3, 6),
                       skill_uptake=(0.2, 0.4)),
    # the same shape at a test's size: 6 departments, 600 students
    "campus": dict(departments=6, programmes_per_department=1, years_per_programme=3, students=600,
                   buildings=2, core_per_curriculum=3, electives_per_department=3, electives_per_curriculum=2,
                   elective_uptake=(0.3, 0.6), open_electives=4, open_departments=(2, 3), open_uptake=(0.1, 0.3),
                   lab_fraction=0.1, lab_length=(2, 2), periods_per_day=6, curriculum_max_per_day=4,
                   form="enrolments", section_size=40, minors_per_department=1, minor_departments=(1, 2),
                   minor_uptake=(0.1, 0.3),
                   skill_courses=3, skill_departments=(2, 4), skill_uptake=(0.2, 0.4)),
}
FORMS = ("curricula", "enrolments")

# ----------------------------------------------------------------------------- names (ASCII only)

_SUBJECTS = (
    ("Mathematics", "MAT"), ("Physics", "PHY"), ("Chemistry", "CHE"), ("Biology", "BIO"),
    ("Computer Science", "CSC"), ("Economics", "ECO"), ("History", "HIS"), ("Philosophy", "PHI"),
    ("Psychology", "PSY"), ("Sociology", "SOC"), ("Linguistics", "LIN"), ("Law", "LAW"),
    ("Medicine", "MED"), ("Nursing", "NUR"), ("Civil Engineering", "CIV"), ("Mechanical Engineering", "MEC"),
    ("Electrical Engineering", "ELE"), ("Architecture", "ARC"), ("Music", "MUS"), ("Fine Arts", "ART"),
    ("Geography", "GEO"), ("Geology", "GEL"), ("Statistics", "STA"), ("Political Science", "POL"),
    ("Business", "BUS"), ("Finance", "FIN"), ("Marketing", "MKT"), ("Education", "EDU"),
    ("Pharmacy", "PHA"), ("Astronomy", "AST"), ("Anthropology", "ANT"), ("Archaeology", "ARH"),
    ("Classics", "CLA"), ("English", "ENG"), ("French", "FRE"), ("German", "GER"),
    ("Spanish", "SPA"), ("Japanese", "JAP"), ("Journalism", "JOU"), ("Agriculture", "AGR"),
    ("Veterinary Science", "VET"), ("Dentistry", "DEN"), ("Materials Science", "MAS"),
    ("Chemical Engineering", "CHG"), ("Aerospace Engineering", "AER"), ("Oceanography", "OCE"),
    ("Theology", "THE"), ("Film Studies", "FIL"),
)
_QUALIFIERS = (("", ""), ("Applied ", "A"), ("Computational ", "C"), ("Environmental ", "E"))
_DEGREES = ("BSc", "MSc", "BA", "MA", "BEng", "MEng", "LLB", "MPhil", "PhD", "Cert")
_BUILDINGS = (("Main", "MAIN"), ("North", "NRTH"), ("South", "STH"), ("East", "EAST"), ("West", "WEST"),
              ("Science", "SCI"), ("Library", "LIB"), ("Engineering", "ENG"), ("Arts", "ARTS"),
              ("Medical", "MED"), ("Harbour", "HARB"), ("Garden", "GRDN"))
_FIRST = ("Ada", "Alan", "Amara", "Ana", "Ben", "Carla", "Chen", "Dara", "David", "Elena", "Emil", "Eva",
          "Farah", "Felix", "Grace", "Hana", "Ivan", "Jonas", "Julia", "Kai", "Karin", "Leo", "Lina",
          "Marek", "Maria", "Mei", "Nadia", "Noah", "Omar", "Paula", "Pedro", "Rosa", "Sami", "Sara",
          "Tomas", "Una", "Victor", "Wen", "Yara", "Zoe")
_LAST = ("Abe", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Hansen", "Ito", "Jensen",
         "Kowalski", "Larsen", "Moreau", "Novak", "Okafor", "Petrov", "Quinn", "Rossi", "Silva", "Tanaka",
         "Ueda", "Varga", "Weber", "Xu", "Yilmaz", "Zhang", "Bauer", "Horvat", "Nakamura", "Olsen")
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# Room capacity tiers in seats: a lecture of ``s`` students needs the smallest tier >= s.
_LECTURE_TIERS = (20, 30, 40, 50, 60, 80, 100, 120, 150, 200, 250, 300, 400, 500)
_LAB_TIERS = (16, 24, 32, 40, 50, 60, 80, 100, 120, 150, 200, 250, 300)
_SEMINAR_MAX = 40  # lecture-pool rooms up to this size are seminar rooms, larger ones lecture halls
ROOM_TYPES = ("lecture hall", "seminar", "lab")


def _tiers_for(base: tuple[int, ...], largest: int) -> np.ndarray:
    """The tier sizes, extended by steps of 100 seats until ``largest`` students fit."""
    tiers = list(base)
    while tiers[-1] < largest:
        tiers.append(tiers[-1] + 100)
    return np.array(tiers, np.int64)


# ----------------------------------------------------------------------------- result


@dataclass(frozen=True, eq=False)
class SynthUniversity:
    """A generated university: the problem, the hidden feasible timetable and descriptive metadata.

    Attributes
    ----------
    recipe : Recipe
        The recipe it was generated from.
    problem : Problem
        The instance (departments, categories, room types, buildings are in the problem itself).
    hidden : Timetable
        The timetable the instance was built around; it has no hard violation.
    department_codes : tuple of str
        Short code of each department, parallel to ``problem.department_names``.
    department_building : ndarray of int32
        Home building of each department (index into ``building_names``).
    programme_names : tuple of str
        Degree programmes, e.g. ``"BSc Physics"``.
    programme_department : ndarray of int32
        Department of each programme.
    curriculum_programme, curriculum_year, curriculum_students : ndarray of int32
        Programme (index), year of study (1-based) and cohort size of each curriculum.
    building_names, building_codes : tuple of str
        Buildings; ``problem.room_building`` indexes them.
    teacher_full_names : tuple of str
        Display name of each teacher, parallel to ``problem.teacher_names`` (which are ids).
    teacher_department : ndarray of int32
        Department of each teacher.
    course_lab : ndarray of bool
        Courses that are labs (multi-period lectures in lab rooms).
    dropped_lectures : int
        Lectures the recipe asked for that could not be placed conflict-free and were left out of
        the instance (0 for sane recipes; kept so a too-tight recipe still yields a valid instance).
    student_programme, student_year : ndarray of int32
        Enrolments form: programme (index into ``programme_names``) and year of study of each
        student, parallel to ``problem.student_names`` (empty in the curricula form, whose
        curricula are the cohorts).
    """

    recipe: Recipe
    problem: Problem
    hidden: Timetable
    department_codes: tuple[str, ...]
    department_building: np.ndarray
    programme_names: tuple[str, ...]
    programme_department: np.ndarray
    curriculum_programme: np.ndarray
    curriculum_year: np.ndarray
    curriculum_students: np.ndarray
    building_names: tuple[str, ...]
    building_codes: tuple[str, ...]
    teacher_full_names: tuple[str, ...]
    teacher_department: np.ndarray
    course_lab: np.ndarray
    dropped_lectures: int = 0
    student_programme: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    student_year: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))

    @property
    def curriculum_department(self) -> np.ndarray:
        """Department of each curriculum (int32 [Q])."""
        return self.programme_department[self.curriculum_programme]

    def curriculum_load(self) -> np.ndarray:
        """Teaching periods per week of each curriculum (lectures x length over its courses)."""
        p = self.problem
        per_course = (p.course_lectures * p.course_length).astype(np.int64)
        member_q = np.repeat(np.arange(p.n_curricula), np.diff(p.curriculum_ptr))
        return np.bincount(member_q, weights=per_course[p.curriculum_courses],
                           minlength=p.n_curricula).astype(np.int64)

    def summary(self) -> dict:
        """Sizes and tightness figures of the generated university."""
        p = self.problem
        s = p.summary()
        lab_room = p.room_type == p.room_types.index("lab") if "lab" in p.room_types else np.zeros(p.n_rooms, bool)
        periods = (p.course_lectures * p.course_length).astype(np.int64)
        loads = self.curriculum_load()
        lab_c = self.course_lab
        s.update(
            students=int(self.curriculum_students.sum()) if not p.n_students else p.n_students,
            programmes=len(self.programme_names),
            buildings=len(self.building_names),
            labs=int(lab_c.sum()),
            lecture_rooms=int((~lab_room).sum()),
            lab_rooms=int(lab_room.sum()),
            lecture_room_occupancy=round(float(periods[~lab_c].sum()) / max(1, int((~lab_room).sum()) * p.n_periods), 3),
            lab_room_occupancy=round(float(periods[lab_c].sum()) / max(1, int(lab_room.sum()) * p.n_periods), 3),
            curriculum_load_min=int(loads.min()) if len(loads) else 0,
            curriculum_load_mean=round(float(loads.mean()), 2) if len(loads) else 0.0,
            curriculum_load_max=int(loads.max()) if len(loads) else 0,
            dropped_lectures=self.dropped_lectures,
        )
        return s


# ----------------------------------------------------------------------------- structure


@dataclass
class _Structure:
    """Departments, programmes, curricula and courses before any timetabling (all int ids)."""

    dept_names: list[str]
    dept_codes: list[str]
    prog_names: list[str]
    prog_dept: np.ndarray
    q_names: list[str]
    q_prog: np.ndarray
    q_year: np.ndarray
    q_students: np.ndarray
    c_names: list[str]
    c_dept: np.ndarray
    c_cat: list[str]
    c_lab: np.ndarray
    c_length: np.ndarray
    c_lectures: np.ndarray      # requested lectures per week
    c_students: np.ndarray
    c_curricula: list[np.ndarray]
    c_teacher: np.ndarray       # teacher id, numbered by first appearance in course order
    t_dept: np.ndarray
    c_priority: np.ndarray | None = None  # placed first: lower values (enrolments form), else None


def _departments(n: int, rng: np.random.Generator) -> tuple[list[str], list[str]]:
    order = rng.permutation(len(_SUBJECTS))
    names, codes = [], []
    for i in range(n):
        q, s = divmod(i, len(_SUBJECTS))
        if q < len(_QUALIFIERS):
            subj, code = _SUBJECTS[order[s]]
            names.append(_QUALIFIERS[q][0] + subj)
            codes.append(_QUALIFIERS[q][1] + code)
        else:  # beyond 192 departments: plain numbered ones, still unique and ASCII
            names.append(f"Department {i + 1}")
            codes.append(f"D{i + 1:04d}")
    return names, codes


def _cohort_sizes(r: Recipe, rng: np.random.Generator) -> np.ndarray:
    """Students per curriculum (department-major, programme, year), summing exactly to ``r.students``.

    Programme popularity is log-normal; later years shrink by attrition (about 8% a year).
    Largest-remainder rounding keeps the total exact, with at least 5 students per cohort.
    """
    G, Y = r.departments * r.programmes_per_department, r.years_per_programme
    popularity = rng.lognormal(0.0, r.cohort_spread, G) if r.cohort_spread > 0 else np.ones(G)
    weight = (popularity[:, None] * 0.92 ** np.arange(Y)[None, :]).ravel()
    spare = r.students - 5 * weight.size
    share = weight / weight.sum() * spare
    sizes = np.floor(share).astype(np.int64)
    rest = spare - int(sizes.sum())
    # ties broken by index (stable argsort) so the result is deterministic
    sizes[np.argsort(-(share - sizes), kind="stable")[:rest]] += 1
    return sizes + 5


@dataclass
class _Cohorts:
    """Departments, programmes and programme-year cohorts (the curricula of the curricula form)."""

    dept_names: list[str]
    dept_codes: list[str]
    prog_names: list[str]
    prog_dept: np.ndarray
    q_names: list[str]
    q_prog: np.ndarray
    q_year: np.ndarray
    q_students: np.ndarray
    q_of_dept: list[np.ndarray]


def _cohorts(r: Recipe, rng: np.random.Generator) -> _Cohorts:
    D, G, Y = r.departments, r.programmes_per_department, r.years_per_programme
    dept_names, dept_codes = _departments(D, rng)
    prog_names = [f"{_DEGREES[g]} {dept_names[d]}" for d in range(D) for g in range(G)]
    prog_dept = np.repeat(np.arange(D, dtype=np.int32), G)
    q_names = [f"{dept_codes[d]}-{_DEGREES[g].upper()}-Y{y + 1}" for d in range(D) for g in range(G)
               for y in range(Y)]
    q_prog = np.repeat(np.arange(D * G, dtype=np.int32), Y)
    q_year = np.tile(np.arange(1, Y + 1, dtype=np.int32), D * G)
    q_students = _cohort_sizes(r, rng)
    q_of_dept = [np.arange(d * G * Y, (d + 1) * G * Y) for d in range(D)]
    return _Cohorts(dept_names, dept_codes, prog_names, prog_dept, q_names, q_prog, q_year, q_students, q_of_dept)


def _core_names(r: Recipe, code: str, d: int):
    """``(name, curriculum)`` of the core courses of department ``d``, programme by programme, year by year."""
    G, Y = r.programmes_per_department, r.years_per_programme
    for g in range(G):
        for y in range(Y):
            for k in range(r.core_per_curriculum):
                yield f"{code}{y + 1}{g}{k + 1:02d}", (d * G + g) * Y + y


def _lab_courses(r: Recipe, names: list[str], candidates: np.ndarray, n_labs: int, rng: np.random.Generator):
    """Mark ``n_labs`` of the ``candidates`` as labs (their names get an ``L``); returns the lab mask,
    lecture lengths and lectures per week (int64) of every course."""
    C = len(names)
    lab = np.zeros(C, np.bool_)
    lab[rng.choice(candidates, n_labs, replace=False)] = True
    for i in np.flatnonzero(lab):
        names[i] += "L"
    length = np.where(lab, rng.integers(r.lab_length[0], r.lab_length[1] + 1, C), 1)
    lectures = np.where(lab, rng.integers(r.lab_sessions[0], r.lab_sessions[1] + 1, C),
                        rng.integers(r.lectures[0], r.lectures[1] + 1, C))
    return lab, length, lectures


def _structure(r: Recipe, rng: np.random.Generator) -> _Structure:
    co = _cohorts(r, rng)
    elec_members = _elective_curricula(r, co.q_of_dept, rng)
    open_owner, open_members = _open_curricula(r, co.q_of_dept, len(co.q_names), rng)
    names, dept, cat, members = _curricula_courses(r, co.dept_codes, elec_members, open_owner, open_members)
    C = len(names)
    c_dept = np.array(dept, np.int32)
    is_open = np.array([k == "open" for k in cat])
    is_elec = np.array([k == "elective" for k in cat])
    c_lab, c_length, c_lectures = _lab_courses(r, names, np.flatnonzero(~is_open), r.n_labs, rng)
    c_length, c_lectures = c_length.astype(np.int32), c_lectures.astype(np.int32)

    # students: a core course has the whole cohort; an elective a random share of each member cohort
    uptake = np.zeros(C)
    uptake[is_elec] = rng.uniform(*r.elective_uptake, int(is_elec.sum()))
    uptake[is_open] = rng.uniform(*r.open_uptake, int(is_open.sum()))
    c_students = np.empty(C, np.int64)
    for i in range(C):
        cohort = int(co.q_students[members[i]].sum())
        c_students[i] = cohort if cat[i] == "core" else max(5, int(round(cohort * uptake[i])))

    c_teacher, t_dept = _teachers(r, c_dept, c_lectures * c_length, rng)
    return _Structure(co.dept_names, co.dept_codes, co.prog_names, co.prog_dept, co.q_names, co.q_prog, co.q_year,
                      co.q_students, names, c_dept, cat, c_lab, c_length, c_lectures, c_students, members, c_teacher,
                      t_dept)


def _elective_curricula(r: Recipe, q_of_dept: list[np.ndarray], rng: np.random.Generator) -> list[list[list[int]]]:
    """Departmental electives: every curriculum of the department is offered electives_per_curriculum
    of them; any elective left unchosen goes to the curriculum with the fewest so far."""
    E = r.electives_per_department
    elec_members: list[list[list[int]]] = [[[] for _ in range(E)] for _ in range(len(q_of_dept))]
    if not E:
        return elec_members
    for d, qs in enumerate(q_of_dept):
        for q in qs:
            for e in rng.choice(E, r.electives_per_curriculum, replace=False):
                elec_members[d][e].append(int(q))
        count = np.zeros(len(qs), np.int64)
        for e in range(E):
            for q in elec_members[d][e]:
                count[q - qs[0]] += 1
        for e in range(E):
            if not elec_members[d][e]:
                i = int(np.argmin(count))
                count[i] += 1
                elec_members[d][e].append(int(qs[i]))
    return elec_members


def _open_curricula(r: Recipe, q_of_dept: list[np.ndarray], Q: int, rng: np.random.Generator):
    """Open electives: k distinct departments each, one curriculum per department (the one holding
    the fewest open electives, so loads stay balanced); the first department owns the course."""
    open_count = np.zeros(Q, np.int64)
    open_members: list[list[int]] = []
    open_owner = np.zeros(r.open_electives, np.int64)
    for o in range(r.open_electives):
        k = int(rng.integers(r.open_departments[0], r.open_departments[1] + 1))
        depts = rng.choice(r.departments, k, replace=False)
        open_owner[o] = depts[0]
        qs = []
        for d in depts:
            cand = q_of_dept[d]
            c = cand[open_count[cand] == open_count[cand].min()]
            q = int(c[rng.integers(len(c))])
            open_count[q] += 1
            qs.append(q)
        open_members.append(sorted(qs))
    return open_owner, open_members


def _curricula_courses(r: Recipe, dept_codes: list[str], elec_members, open_owner, open_members):
    """Courses in department order: cores (programme, year), departmental electives, owned open ones;
    ``(names, departments, categories, curricula of each)``."""
    names: list[str] = []
    dept: list[int] = []
    cat: list[str] = []
    members: list[np.ndarray] = []

    def add(name: str, d: int, category: str, qs) -> None:
        names.append(name)
        dept.append(d)
        cat.append(category)
        members.append(np.array(qs, np.int32))

    for d, code in enumerate(dept_codes):
        for name, q in _core_names(r, code, d):
            add(name, d, "core", [q])
        for e in range(r.electives_per_department):
            add(f"{code}E{e + 1:02d}", d, "elective", sorted(elec_members[d][e]))
        for n_own, o in enumerate(np.flatnonzero(open_owner == d)):
            add(f"{code}X{n_own + 1:02d}", d, "open", open_members[o])
    return names, dept, cat, members


@dataclass
class _Enrolled:
    """The students of the enrolments form: cohort and courses of each student, and the offering
    each course is a section of. ``_Structure.q_*``/``c_curricula`` then hold the *planting* groups
    (one per distinct course set of a student), not curricula of the problem."""

    cohort_names: list[str]
    cohort_programme: np.ndarray    # int32 [cohorts]
    cohort_year: np.ndarray         # int32 [cohorts]
    cohort_students: np.ndarray     # int64 [cohorts]
    student_cohort: np.ndarray      # int32 [S]
    student_courses: list[list[int]]
    c_offering: list[str]


@dataclass
class _Offerings:
    """Offerings before sectioning (enrolments form): one entry per offering, in course order."""

    names: list[str] = field(default_factory=list)
    dept: list[int] = field(default_factory=list)
    cat: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)      # C core, E departmental elective, X open elective, M minor, K skill
    takers: list[np.ndarray] = field(default_factory=list)

    def add(self, name: str, d: int, category: str, kind: str, who: np.ndarray) -> None:
        self.names.append(name)
        self.dept.append(d)
        self.cat.append(category)
        self.kind.append(kind)
        self.takers.append(who)


class _Takers:
    """Which students of which cohorts take an offering."""

    def __init__(self, q_students: np.ndarray, rng: np.random.Generator):
        self.first_student = np.concatenate([[0], np.cumsum(q_students)]).astype(np.int64)
        self.rng = rng

    def members_of(self, q: int) -> np.ndarray:
        return np.arange(self.first_student[q], self.first_student[q + 1])

    def take(self, cohorts, uptake: float) -> np.ndarray:
        """Students of ``cohorts`` taking an offering with the given uptake (at least a few)."""
        pool = np.concatenate([self.members_of(q) for q in cohorts])
        got = pool[self.rng.random(len(pool)) < uptake]
        if len(got) < min(5, len(pool)):
            got = np.sort(self.rng.choice(pool, min(5, len(pool)), replace=False))
        return got


def _enrolled_structure(r: Recipe, rng: np.random.Generator) -> tuple[_Structure, _Enrolled]:
    """Offerings and every student's enrolments, NEP-2020 style, then sections and planting groups.

    A student of a programme-year cohort takes the cohort's cores, some of the departmental
    electives offered to the cohort, and with some chance an open elective, a minor (a course of
    another department, from year 2) and a skill course (shared by year 1-2 cohorts of many
    departments), each with its own uptake. Offerings above ``section_size`` students are split
    into sections of similar students (by cohort, then by their other choices). Feasibility by
    construction then works as in the curricula form with one *planting group* per distinct set of
    a student's courses: the placer keeps every group's courses apart, so no student has a clash.
    """
    co = _cohorts(r, rng)
    takers = _Takers(co.q_students, rng)
    cohort_of = np.repeat(np.arange(len(co.q_names), dtype=np.int32), co.q_students)
    off = _departmental_offerings(r, co, takers, rng)
    off = _with_owned_offerings(r, co, off, _owned_offerings(r, co, takers, rng))
    candidates = np.flatnonzero(np.isin(off.kind, ["C", "E"]))  # labs among cores and departmental electives
    off_lab, off_length, off_lectures = _lab_courses(r, off.names, candidates, min(len(candidates), r.n_labs), rng)
    sec = _sections(r, off, off_lab, off_length, off_lectures, cohort_of, int(takers.first_student[-1]))
    members, NG = _planting_groups(sec["student_courses"], len(sec["names"]))
    c_dept_a = np.array(sec["dept"], np.int32)
    c_len_a = np.array(sec["length"], np.int32)
    c_lect_a = np.array(sec["lectures"], np.int32)
    c_teacher, t_dept = _teachers(r, c_dept_a, c_lect_a * c_len_a, rng)
    structure = _Structure(co.dept_names, co.dept_codes, co.prog_names, co.prog_dept,
                           [f"G{g + 1}" for g in range(NG)], np.zeros(NG, np.int32), np.zeros(NG, np.int32),
                           np.zeros(NG, np.int64), sec["names"], c_dept_a, sec["cat"], np.array(sec["lab"], np.bool_),
                           c_len_a, c_lect_a, np.array(sec["students"], np.int64),
                           [np.array(m, np.int32) for m in members], c_teacher, t_dept,
                           np.array(sec["priority"], np.int32))
    return structure, _Enrolled(co.q_names, co.q_prog, co.q_year, co.q_students, cohort_of, sec["student_courses"],
                                sec["offering"])


def _departmental_offerings(r: Recipe, co: _Cohorts, takers: _Takers, rng: np.random.Generator) -> _Offerings:
    """Each department's cores (a whole cohort each) and departmental electives (offered to some of
    its cohorts, taken by a share of their students)."""
    off = _Offerings()
    E = r.electives_per_department
    for d, code in enumerate(co.dept_codes):
        for name, q in _core_names(r, code, d):
            off.add(name, d, "core", "C", takers.members_of(q))
        offered: list[list[int]] = [[] for _ in range(E)]
        if E:
            for q in co.q_of_dept[d]:
                for e in rng.choice(E, r.electives_per_curriculum, replace=False):
                    offered[e].append(int(q))
            for e in range(E):
                if not offered[e]:
                    offered[e].append(int(co.q_of_dept[d][rng.integers(len(co.q_of_dept[d]))]))
        for e in range(E):
            off.add(f"{code}E{e + 1:02d}", d, "elective", "E", takers.take(offered[e], rng.uniform(*r.elective_uptake)))
    return off


def _owned_offerings(r: Recipe, co: _Cohorts, takers: _Takers, rng: np.random.Generator):
    """Open electives (one cohort in each of k departments), minors (year 2+ cohorts of other
    departments) and skill courses (every year 1-2 cohort of k departments): ``(owner, tag,
    category, takers)`` each."""
    D, q_of_dept, q_year = r.departments, co.q_of_dept, co.q_year
    owned: list[tuple[int, str, str, np.ndarray]] = []
    for _ in range(r.open_electives):
        k = int(rng.integers(r.open_departments[0], r.open_departments[1] + 1))
        depts = rng.choice(D, k, replace=False)
        cohorts = [int(q_of_dept[dd][rng.integers(len(q_of_dept[dd]))]) for dd in depts]
        owned.append((int(depts[0]), "X", "open", takers.take(cohorts, rng.uniform(*r.open_uptake))))
    for d in range(D):
        for _ in range(r.minors_per_department):
            k = int(rng.integers(r.minor_departments[0], r.minor_departments[1] + 1))
            others = rng.choice(np.delete(np.arange(D), d), k, replace=False)
            cohorts = []
            for dd in others:
                later = [int(q) for q in q_of_dept[dd] if q_year[q] >= 2]
                cohorts.append(later[rng.integers(len(later))])
            owned.append((d, "M", "elective", takers.take(cohorts, rng.uniform(*r.minor_uptake))))
    for _ in range(r.skill_courses):
        k = int(rng.integers(r.skill_departments[0], r.skill_departments[1] + 1))
        depts = rng.choice(D, k, replace=False)
        cohorts = [int(q) for dd in depts for q in q_of_dept[dd] if q_year[q] <= 2]
        owned.append((int(depts[0]), "K", "open", takers.take(cohorts, rng.uniform(*r.skill_uptake))))
    return owned


def _with_owned_offerings(r: Recipe, co: _Cohorts, off: _Offerings, owned) -> _Offerings:
    """All offerings in course order: each department's own, then the open electives, minors and
    skill courses it owns (numbered per department and kind)."""
    order = sorted(range(len(owned)), key=lambda i: (owned[i][0], "XMK".index(owned[i][1]), i))
    count: dict[tuple[int, str], int] = {}
    blocks: dict[int, list[tuple[str, str, str, np.ndarray]]] = {}
    for i in order:
        d, tag, category, who = owned[i]
        n = count[(d, tag)] = count.get((d, tag), 0) + 1
        blocks.setdefault(d, []).append((f"{co.dept_codes[d]}{tag}{n:02d}", tag, category, who))
    per_dept = r.programmes_per_department * r.years_per_programme * r.core_per_curriculum + r.electives_per_department
    out = _Offerings()
    for d in range(r.departments):
        for i in range(d * per_dept, (d + 1) * per_dept):
            out.add(off.names[i], off.dept[i], off.cat[i], off.kind[i], off.takers[i])
        for nm, tag, category, who in blocks.get(d, []):
            out.add(nm, d, category, tag, who)
    return out


def _sections(r: Recipe, off: _Offerings, off_lab, off_length, off_lectures, cohort_of: np.ndarray,
              S: int) -> dict[str, list]:
    """Offerings above ``section_size`` split into sections of similar students (cohort first, then
    the rest of their choices); the courses' columns and every student's courses."""
    chosen: list[list[int]] = [[] for _ in range(S)]
    for o, who in enumerate(off.takers):
        for st in who:
            chosen[int(st)].append(o)
    out: dict[str, list] = {k: [] for k in ("names", "dept", "cat", "lab", "length", "lectures", "students",
                                             "offering", "priority")}
    kind_rank = {"K": 0, "X": 1, "M": 2, "E": 3}
    student_courses: list[list[int]] = [[] for _ in range(S)]
    for o in range(len(off.names)):
        who = off.takers[o]
        size = r.section_size
        k = max(1, math.ceil(len(who) / size)) if size else 1
        if k > 1:
            who = sorted((int(x) for x in who), key=lambda st: (cohort_of[st], chosen[st], st))
        base, extra = divmod(len(who), k)
        at = 0
        for i in range(k):
            n = base + (1 if i < extra else 0)
            c = len(out["names"])
            for key, value in (("names", f"{off.names[o]}-S{i + 1}" if k > 1 else off.names[o]),
                               ("offering", off.names[o]), ("priority", kind_rank.get(off.kind[o], 4)),
                               ("dept", off.dept[o]), ("cat", off.cat[o]), ("lab", off_lab[o]),
                               ("length", int(off_length[o])), ("lectures", int(off_lectures[o])), ("students", n)):
                out[key].append(value)
            for st in who[at:at + n]:
                student_courses[int(st)].append(c)
            at += n
    out["student_courses"] = student_courses
    return out


def _planting_groups(student_courses: list[list[int]], C: int) -> tuple[list[list[int]], int]:
    """One planting group per distinct course set of a student (each student's courses sorted in
    place); the groups of each course and their number."""
    group_of: dict[tuple[int, ...], int] = {}
    for st in range(len(student_courses)):
        key = tuple(sorted(student_courses[st]))
        student_courses[st] = list(key)
        group_of.setdefault(key, len(group_of))
    members: list[list[int]] = [[] for _ in range(C)]
    for key, g in group_of.items():
        for c in key:
            members[c].append(g)
    return members, len(group_of)


def _teachers(r: Recipe, c_dept: np.ndarray, load: np.ndarray, rng: np.random.Generator):
    """Teachers per department by best-fit packing of course loads into ``teacher_load`` periods.

    Best fit keeps teachers near a full load (typically 2-3 courses each), as in a real
    department, which also makes teacher conflicts matter. Ids are renumbered by first appearance
    in course order so they match the order :meth:`Problem.create` derives.
    """
    C = len(c_dept)
    raw = np.empty(C, np.int64)
    t_dept: list[int] = []
    for d in np.unique(c_dept):
        cs = np.flatnonzero(c_dept == d)
        cs = cs[rng.permutation(len(cs))]
        cs = cs[np.argsort(-load[cs], kind="stable")]
        first = len(t_dept)
        room_left: list[int] = []
        for c in cs:
            left = np.array(room_left, np.int64)
            fits = np.flatnonzero(left >= load[c])
            if len(fits):
                t = int(fits[np.argmin(left[fits])])
            else:
                t = len(room_left)
                room_left.append(r.teacher_load)
                t_dept.append(int(d))
            room_left[t] -= int(load[c])
            raw[c] = first + t
    _, first_seen = np.unique(raw, return_index=True)
    order = np.argsort(first_seen)          # old ids in order of first appearance
    new_id = np.empty(len(order), np.int64)
    new_id[order] = np.arange(len(order))
    return new_id[raw].astype(np.int32), np.array(t_dept, np.int32)[order]


# ----------------------------------------------------------------------------- placement


@dataclass
class _Pool:
    """Rooms of one kind (lecture rooms or lab rooms) booked per time *unit* (period or lab block)."""

    tiers: np.ndarray           # seats of each tier, ascending
    n_units: int
    room_tier: list[int]        # tier of each room, grows when a placement needs one more room
    headroom: np.ndarray        # int [units, tiers]: rooms of tier >= j minus lectures of tier >= j

    @classmethod
    def sized(cls, tiers: np.ndarray, demand: np.ndarray, n_units: int, occupancy: float) -> "_Pool":
        """Room counts so that lectures of tier >= j fill about ``occupancy`` of those rooms' units."""
        cum_demand = np.cumsum(demand[::-1])[::-1]
        cum_rooms = np.ceil(cum_demand / (n_units * occupancy)).astype(np.int64)
        counts = cum_rooms - np.append(cum_rooms[1:], 0)
        room_tier = [int(k) for k in np.repeat(np.arange(len(tiers)), counts)]
        headroom = np.tile(cum_rooms, (n_units, 1))
        return cls(tiers, n_units, room_tier, headroom)

    def add_room(self, tier: int) -> None:
        self.room_tier.append(tier)
        self.headroom[:, :tier + 1] += 1


class _Placer:
    """Greedy planted-timetable construction: one lecture at a time into a conflict-free start.

    Among the feasible starts a score prefers a new day for the course (minimum working days),
    periods next to the curriculum's other lectures (compactness), no early/late penalty, staying
    under the daily maxima and periods with spare rooms; random noise breaks ties so timetables
    differ between seeds.
    """

    def __init__(self, r: Recipe, s: _Structure, rng: np.random.Generator):
        self.r, self.s, self.rng = r, s, rng
        D, S = r.days, r.periods_per_day
        P = D * S
        self.D, self.S, self.P = D, S, P
        pen = np.zeros(S, np.int64)
        pen[:r.early_periods] = r.early_penalty
        if r.late_periods:
            pen[S - r.late_periods:] = np.maximum(pen[S - r.late_periods:], r.late_penalty)
        self.period_penalty = np.tile(pen, D)
        # lab blocks: a day cut into chunks of the longest lab; a lab room is booked per block
        B = r.lab_length[1]
        self.blocks = [(b0, min(B, S - b0)) for b0 in range(0, S, B)]
        nb = len(self.blocks)
        # candidate starts per lecture length: (start period, booking unit, day)
        self.cand: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        lengths = set(int(x) for x in np.unique(s.c_length))
        for L in lengths:
            if L == 1:
                st = np.arange(P)
                unit = st
            else:
                st_l, un_l = [], []
                for d in range(D):
                    for b, (b0, blen) in enumerate(self.blocks):
                        for off in range(blen - L + 1):
                            st_l.append(d * S + b0 + off)
                            un_l.append(d * nb + b)
                st, unit = np.array(st_l, np.int64), np.array(un_l, np.int64)
            win_pen = sum(self.period_penalty[st + i] for i in range(L))
            self.cand[L] = (st, unit, st // S, win_pen)
        C = len(s.c_names)
        Q = len(s.q_names)
        T = len(s.t_dept)
        self.q_busy = np.zeros((Q, P + 1), np.bool_)      # +1: a never-busy sentinel for neighbours
        self.t_busy = np.zeros((T, P), np.bool_)
        self.q_day = np.zeros((Q, D), np.int64)
        self.t_day = np.zeros((T, D), np.int64)
        self.c_days = np.zeros((C, D), np.bool_)
        # room pools sized from demand before placing anything
        lab = s.c_lab
        self.c_tier = np.zeros(C, np.int64)
        lec_tiers = _tiers_for(_LECTURE_TIERS, int(s.c_students[~lab].max(initial=0)))
        lab_tiers = _tiers_for(_LAB_TIERS, int(s.c_students[lab].max(initial=0)))
        self.c_tier[~lab] = np.searchsorted(lec_tiers, s.c_students[~lab])
        self.c_tier[lab] = np.searchsorted(lab_tiers, s.c_students[lab])
        lec_demand = np.bincount(self.c_tier[~lab], weights=s.c_lectures[~lab], minlength=len(lec_tiers))
        lab_demand = np.bincount(self.c_tier[lab], weights=s.c_lectures[lab], minlength=len(lab_tiers))
        self.lecture_pool = _Pool.sized(lec_tiers, lec_demand, P, r.occupancy)
        self.lab_pool = _Pool.sized(lab_tiers, lab_demand, D * nb, r.lab_occupancy)
        self.start = [np.zeros(0, np.int64)] * C   # placed start periods per course
        self.unit = [np.zeros(0, np.int64)] * C    # booking unit per placed lecture
        self.dropped = 0
        # enrolments form: lectures of shared courses gather in common slots (per kind; departmental
        # electives per department), as NEP timetables keep "basket" slots for them. A cohort then
        # meets its students' many choices in a few periods instead of all over the week.
        self.basket = None
        if s.c_priority is not None:
            self.basket = np.where(s.c_priority < 3, s.c_priority, np.where(s.c_priority == 3, 3 + s.c_dept, -1))
            self.basket_at = np.zeros((int(self.basket.max(initial=-1)) + 1, P + 1), np.int64)

    def run(self) -> None:
        s, rng = self.s, self.rng
        C = len(s.c_names)
        # most constrained first: labs (need a free block), then by number of curricula (open
        # electives join several departments), then longer courses; random among equals
        n_q = np.array([len(m) for m in s.c_curricula])
        keys = (rng.random(C), -(s.c_lectures * s.c_length), -n_q, ~s.c_lab)
        if s.c_priority is not None:
            # enrolments: courses shared across cohorts first (skill, open, minor), as registries
            # reserve common slots for them; each cohort's own courses then fill around them
            keys += (s.c_priority,)
        key = np.lexsort(keys)
        for c in key:
            starts, units = [], []
            for _ in range(int(s.c_lectures[c])):
                got = self.place(int(c))
                if got is None:
                    self.dropped += 1
                    continue
                starts.append(got[0])
                units.append(got[1])
            order = np.argsort(starts, kind="stable")
            self.start[c] = np.array(starts, np.int64)[order]
            self.unit[c] = np.array(units, np.int64)[order]

    def place(self, c: int) -> tuple[int, int] | None:
        """Place one lecture of course ``c``; returns (start, unit) or None if no start is conflict-free."""
        r, s, S = self.r, self.s, self.S
        qs = s.c_curricula[c]
        t = int(s.c_teacher[c])
        L = int(s.c_length[c])
        k = int(self.c_tier[c])
        pool = self.lab_pool if s.c_lab[c] else self.lecture_pool
        st, unit, day, win_pen = self.cand[L]
        busy = self.q_busy[qs, :self.P].any(axis=0) | self.t_busy[t]
        free = ~busy[st]
        for i in range(1, L):
            free &= ~busy[st + i]
        if not free.any():
            return None
        head = pool.headroom[unit, :k + 1].min(axis=1)
        ok = free & (head >= 1)
        if not ok.any():
            # curricula and teacher allow it but every such period is out of suitable rooms: the
            # university gets one more room of this tier (the instance is built around the plan)
            pool.add_room(k)
            head = head + 1
            ok = free
        idx = np.flatnonzero(ok)
        st, unit, day = st[idx], unit[idx], day[idx]
        score = 10.0 * self.c_days[c, day]
        score += 2.0 * win_pen[idx]
        qd = self.q_day[qs][:, day]                                    # [nq, n]
        if r.curriculum_max_per_day:
            score += 4.0 * np.clip(qd + 1 - r.curriculum_max_per_day, 0, None).sum(axis=0)
        if r.teacher_max_per_day:
            score += 3.0 * (self.t_day[t, day] + 1 > r.teacher_max_per_day)
        # compactness: a neighbour period of the same day already used by the curriculum
        slot = st % S
        left = np.where(slot > 0, st - 1, self.P)                      # P = never-busy sentinel
        right = np.where(slot + L < S, st + L, self.P)
        qb = self.q_busy[qs]
        adj = qb[:, left] | qb[:, right]
        score += ((qd > 0) & ~adj).sum(axis=0) - 1.0 * adj.sum(axis=0)
        score += 1.0 / head[idx]                                       # keep spare rooms everywhere
        if self.basket is not None and self.basket[c] >= 0:
            score -= 6.0 * (self.basket_at[self.basket[c], st] > 0)
        score += 2.0 * self.rng.random(len(idx))
        j = int(np.argmin(score))
        p, u, d = int(st[j]), int(unit[j]), int(day[j])
        self.q_busy[qs, p:p + L] = True
        self.t_busy[t, p:p + L] = True
        self.q_day[qs, d] += 1
        self.t_day[t, d] += 1
        self.c_days[c, d] = True
        pool.headroom[u, :k + 1] -= 1
        if self.basket is not None and self.basket[c] >= 0:
            self.basket_at[self.basket[c], p] += 1
        return p, u


def _assign_rooms(pool: _Pool, courses: np.ndarray, c_tier: np.ndarray, units: list[np.ndarray],
                  home: np.ndarray, room_building: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """Rooms (pool-local ids) for the lectures of ``courses``.

    Courses go in decreasing tier: with Hall's condition kept per unit by the placement, each
    lecture then always finds a free room of a tier at least its own (see the module docstring).
    A course first tries one room for all its lectures (room stability), smallest adequate tier,
    in its department's building; otherwise lectures are placed one by one, reusing its rooms.
    """
    room_tier = np.array(pool.room_tier, np.int64)
    busy = np.zeros((len(room_tier), pool.n_units), np.bool_)
    out: list[np.ndarray] = [np.zeros(0, np.int64)] * len(units)
    order = courses[np.lexsort((rng.random(len(courses)), -c_tier[courses]))]
    for c in order:
        u = units[c]
        if not len(u):
            continue
        adequate = room_tier >= c_tier[c]
        pref = room_tier * 4.0 + 2.0 * (room_building != home[c]) + rng.random(len(room_tier))
        whole = adequate & ~busy[:, u].any(axis=1)
        if whole.any():
            rm = int(np.argmin(np.where(whole, pref, np.inf)))
            busy[rm, u] = True
            out[c] = np.full(len(u), rm, np.int64)
            continue
        got = np.empty(len(u), np.int64)
        used = np.zeros(len(room_tier), np.bool_)
        for i, unit in enumerate(u):
            cand = adequate & ~busy[:, unit]
            if not cand.any():  # cannot happen while the placement keeps Hall's condition
                raise RuntimeError(f"synth: no room left for course {c} in unit {unit}")
            rm = int(np.argmin(np.where(cand, pref - 8.0 * used, np.inf)))
            busy[rm, unit] = True
            used[rm] = True
            got[i] = rm
        out[c] = got
    return out


# ----------------------------------------------------------------------------- generate


def generate(recipe: Recipe) -> SynthUniversity:
    """Generate the synthetic university described by ``recipe``.

    Parameters
    ----------
    recipe : Recipe
        Shape and seed; the same recipe always yields identical arrays and names.

    Returns
    -------
    SynthUniversity
        ``.problem`` (named ``synth-<name>-s<seed>``), ``.hidden`` (a timetable of the problem
        with no hard violation) and metadata for the data store.
    """
    r = recipe
    rng = np.random.default_rng(r.seed)
    # independent child streams per stage, so e.g. the room stage does not shift the structure
    g_struct, g_place, g_rooms, g_teach = rng.spawn(4)
    enrolled = None
    if r.enrolled:
        s, enrolled = _enrolled_structure(r, g_struct)
    else:
        s = _structure(r, g_struct)
    placer = _Placer(r, s, g_place)
    placer.run()
    D = placer.D
    lectures = np.array([len(x) for x in placer.start], np.int32)
    rooms = _rooms(r, s, placer, g_rooms)
    hidden = _hidden_timetable(s, placer, rooms)
    # minimum working days: ITC style, usually the number of lectures, sometimes one less
    min_days = np.minimum(lectures, D) - (g_teach.random(len(s.c_names)) < 0.25)
    min_days = np.clip(min_days, np.minimum(lectures, 1), None).astype(np.int32)
    unav, undesired = _teacher_periods(r, placer, len(s.t_dept), g_teach)
    T = len(s.t_dept)
    t_ids = [f"T{i + 1:04d}" for i in range(T)]
    first = g_teach.integers(0, len(_FIRST), T)
    last = g_teach.integers(0, len(_LAST), T)
    t_full = tuple(f"{_FIRST[a]} {_LAST[b]}" for a, b in zip(first, last))
    problem = _problem(r, s, enrolled, placer, rooms, lectures, min_days, unav, undesired, t_ids)
    dept_building = rooms.dept_building

    def frozen(a, dtype=np.int32):
        a = np.ascontiguousarray(a, dtype=dtype)
        a.setflags(write=False)
        return a

    return SynthUniversity(
        recipe=r,
        problem=problem,
        hidden=hidden,
        department_codes=tuple(s.dept_codes),
        department_building=frozen(dept_building),
        programme_names=tuple(s.prog_names),
        programme_department=frozen(s.prog_dept),
        curriculum_programme=frozen(s.q_prog if enrolled is None else []),
        curriculum_year=frozen(s.q_year if enrolled is None else []),
        curriculum_students=frozen(s.q_students if enrolled is None else [], np.int64),
        building_names=tuple(rooms.b_names),
        building_codes=tuple(rooms.b_codes),
        teacher_full_names=t_full,
        teacher_department=frozen(s.t_dept),
        course_lab=frozen(s.c_lab, np.bool_),
        dropped_lectures=placer.dropped,
        student_programme=frozen([] if enrolled is None else enrolled.cohort_programme[enrolled.student_cohort]),
        student_year=frozen([] if enrolled is None else enrolled.cohort_year[enrolled.student_cohort]),
    )


@dataclass
class _Rooms:
    """The buildings and rooms of a generated university, and where each course's lectures sit."""

    b_names: list[str]
    b_codes: list[str]
    dept_building: np.ndarray
    names: list[str]
    capacity: np.ndarray
    rtype: np.ndarray           # index into ROOM_TYPES
    building: np.ndarray
    new_room: np.ndarray        # pool room index -> room id (rooms are sorted for listing)
    pool_rooms: list[list[np.ndarray]]
    n_lec_rooms: int


def _rooms(r: Recipe, s: _Structure, placer: "_Placer", g_rooms: np.random.Generator) -> _Rooms:
    """Buildings, and the rooms of the lecture and lab pools with the room of every lecture."""
    B = r.buildings
    b_names = [(_BUILDINGS[i][0] if i < len(_BUILDINGS) else f"Building {i + 1}") for i in range(B)]
    b_codes = [(_BUILDINGS[i][1] if i < len(_BUILDINGS) else f"B{i + 1:02d}") for i in range(B)]
    dept_building = g_rooms.integers(0, B, r.departments).astype(np.int32)
    home = dept_building[s.c_dept]
    pools = (placer.lecture_pool, placer.lab_pool)
    pool_building = [g_rooms.integers(0, B, len(pl.room_tier)) for pl in pools]
    pool_rooms: list[list[np.ndarray]] = []
    for pl, blds, mask in zip(pools, pool_building, (~s.c_lab, s.c_lab)):
        pool_rooms.append(_assign_rooms(pl, np.flatnonzero(mask), placer.c_tier, placer.unit, home, blds, g_rooms))
    # one room list: lecture pool then lab pool, capacities = tier seats + a little jitter upwards
    # (still >= every lecture placed there, so the hidden timetable has no capacity overflow)
    seats = np.concatenate([pools[0].tiers[pools[0].room_tier], pools[1].tiers[pools[1].room_tier]])
    capacity = seats + g_rooms.integers(0, seats // 10 + 1)
    n_lec_rooms = len(pools[0].room_tier)
    rtype = np.array([(1 if seats[i] <= _SEMINAR_MAX else 0) if i < n_lec_rooms else 2
                      for i in range(len(seats))], np.int64)
    building = np.concatenate(pool_building)
    # name rooms by building and type, sorted so that listings read naturally
    room_order = np.lexsort((-capacity, rtype, building))
    new_room = np.empty(len(room_order), np.int64)
    new_room[room_order] = np.arange(len(room_order))
    counter: dict[tuple[int, int], int] = {}
    room_names = []
    for i in room_order:
        key = (int(building[i]), int(rtype[i]))
        counter[key] = counter.get(key, 0) + 1
        room_names.append(f"{b_codes[building[i]]}-{'HSL'[rtype[i]]}{counter[key]:02d}")
    return _Rooms(b_names, b_codes, dept_building, room_names, capacity[room_order], rtype[room_order],
                  building[room_order], new_room, pool_rooms, n_lec_rooms)


def _hidden_timetable(s: _Structure, placer: "_Placer", rooms: _Rooms) -> Timetable:
    """The planted timetable (lectures of a course are consecutive ids, in start order)."""
    C = len(s.c_names)
    if not C:
        return Timetable(np.zeros(0, np.int32), np.zeros(0, np.int32))
    period = np.concatenate([placer.start[c] for c in range(C)]).astype(np.int32)
    room = np.concatenate([
        rooms.new_room[rooms.pool_rooms[1][c] + rooms.n_lec_rooms] if s.c_lab[c] else rooms.new_room[rooms.pool_rooms[0][c]]
        for c in range(C)]).astype(np.int32)
    return Timetable(period, room)


def _teacher_periods(r: Recipe, placer: "_Placer", T: int, g_teach: np.random.Generator):
    """Teacher unavailability (whole free half-days) and undesired periods (free periods, biased
    toward the penalised early and late ones): two bool [T, P] arrays, never where a teacher teaches."""
    D, S, P = placer.D, placer.S, placer.P
    t_busy = placer.t_busy
    half = max(1, S // 2)
    halves = [(0, half), (half, S)] if S > 1 else [(0, 1)]
    H = len(halves)
    half_busy = np.stack([t_busy.reshape(T, D, S)[:, :, a:b].any(axis=2) for a, b in halves], axis=2)
    half_busy = half_busy.reshape(T, D * H)
    want = g_teach.random(T) * 2 * r.unavailable_fraction * D * H   # mean: the fraction of half-days
    n_off = np.minimum(np.floor(want + g_teach.random(T)).astype(np.int64), (~half_busy).sum(axis=1))
    rank = np.argsort(np.where(half_busy, np.inf, g_teach.random((T, D * H))), axis=1, kind="stable")
    off_half = np.zeros((T, D * H), np.bool_)
    off_half[np.arange(T)[:, None], rank] = np.arange(D * H)[None, :] < n_off[:, None]
    unav = np.zeros((T, D, S), np.bool_)
    oh = off_half.reshape(T, D, H)
    for h, (a, b) in enumerate(halves):
        unav[:, :, a:b] |= oh[:, :, h][:, :, None]
    unav = unav.reshape(T, P)
    assert not (unav & t_busy).any()
    free = ~(t_busy | unav)
    n_und = np.minimum(np.floor(g_teach.random(T) * 2 * r.undesired_fraction * P + g_teach.random(T)).astype(np.int64),
                       free.sum(axis=1))
    # people mostly dislike the early and late periods: bias the draw toward penalised periods
    u_score = g_teach.random((T, P)) - 0.5 * (placer.period_penalty > 0)[None, :]
    rank = np.argsort(np.where(free, u_score, np.inf), axis=1, kind="stable")
    undesired = np.zeros((T, P), np.bool_)
    undesired[np.arange(T)[:, None], rank] = np.arange(P)[None, :] < n_und[:, None]
    return unav, undesired


def _problem(r: Recipe, s: _Structure, enrolled: "_Enrolled | None", placer: "_Placer", rooms: _Rooms,
             lectures: np.ndarray, min_days: np.ndarray, unav: np.ndarray, undesired: np.ndarray,
             t_ids: list[str]) -> Problem:
    """The generated university as a :class:`~tt_core.model.Problem` (curricula or students)."""
    D, S = placer.D, placer.S
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", r.day_start)
    t0 = int(m.group(1)) * 60 + int(m.group(2))
    labels = [f"{_DAY_NAMES[d]} {(t0 + i * r.period_minutes) // 60:02d}:{(t0 + i * r.period_minutes) % 60:02d}"
              for d in range(D) for i in range(S)]
    q_courses: list[list[str]] = [[] for _ in s.q_names]
    for c in range(len(s.c_names)):
        for q in s.c_curricula[c]:
            q_courses[q].append(s.c_names[c])
    tu, pu = np.nonzero(unav)
    td, pd = np.nonzero(undesired)
    student_kw: dict[str, Any] = {}
    curricula = list(zip(s.q_names, q_courses))
    if enrolled is not None:
        # the planting groups were a device of the construction: the problem has the students
        curricula = []
        student_kw = dict(enrolments=[(f"S{i + 1:05d}", [s.c_names[c] for c in cs])
                                      for i, cs in enumerate(enrolled.student_courses)],
                          course_offering=enrolled.c_offering)
    problem = Problem.create(
        name=f"synth-{r.name}-s{r.seed}", days=D, periods_per_day=S, courses=s.c_names,
        course_teacher=[t_ids[t] for t in s.c_teacher], course_lectures=lectures.tolist(),
        course_min_days=min_days.tolist(), course_students=s.c_students.tolist(), rooms=rooms.names,
        room_capacity=rooms.capacity.tolist(), curricula=curricula, course_length=s.c_length.tolist(),
        course_department=[s.dept_names[d] for d in s.c_dept], course_category=s.c_cat,
        room_building=rooms.building.tolist(), room_type=[ROOM_TYPES[k] for k in rooms.rtype],
        # labs only in lab rooms, other courses only in lecture halls / seminars
        suitable=s.c_lab[:, None] == (rooms.rtype == 2)[None, :],
        curriculum_max_per_day=[r.curriculum_max_per_day] * len(curricula),
        teacher_unavailable=[(t_ids[t], int(p)) for t, p in zip(tu, pu)],
        teacher_undesired=[(t_ids[t], int(p)) for t, p in zip(td, pd)],
        teacher_max_per_day=({t: r.teacher_max_per_day for t in t_ids} if r.teacher_max_per_day else None),
        period_penalty=placer.period_penalty.tolist(), period_labels=labels, **student_kw)
    # Problem.create derives department and teacher order from first appearance; both were built
    # to match, which the metadata arrays rely on
    assert problem.department_names == tuple(s.dept_names) and problem.teacher_names == tuple(t_ids)
    return problem
