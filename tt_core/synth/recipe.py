"""The recipe of a synthetic university: every knob with its default, TOML in and out, presets."""

from __future__ import annotations

import json
import math
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ProblemFormatError, TimetableError, ValidationError

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
