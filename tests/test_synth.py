"""Tests of the synthetic university generator (``tt_core.synth``).

The hidden timetable is checked twice: by ``hard_units`` below, a plain-Python checker written
from the constraint definitions and independent of both the generator and the numba evaluator,
and by ``tt_core.cost.evaluate`` itself.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from tt_core.errors import ProblemFormatError, TimetableError, ValidationError
from tt_core.model import CATEGORIES, Problem, Timetable
from tt_core.synth import PRESETS, Recipe, SynthUniversity, generate

REPO_ROOT = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------- independent checker


def hard_units(p: Problem, tt: Timetable) -> Counter:
    """Hard violations by kind, counted lecture by lecture with plain dictionaries.

    Kinds: ``unplaced``, ``past_day_end``, ``unavailable``, ``unsuitable``, ``room_clash``,
    ``curriculum_clash``, ``teacher_clash``, ``course_clash``. An empty counter means feasible.
    """
    bad: Counter = Counter()
    S = p.periods_per_day
    room_use: Counter = Counter()
    curriculum_use: Counter = Counter()
    teacher_use: Counter = Counter()
    course_use: Counter = Counter()
    curricula_of = [[] for _ in range(p.n_courses)]
    for q in range(p.n_curricula):
        for c in p.curriculum_courses[p.curriculum_ptr[q]:p.curriculum_ptr[q + 1]]:
            curricula_of[int(c)].append(q)
    for lecture in range(p.n_lectures):
        c = int(p.lecture_course[lecture])
        start, room = int(tt.period[lecture]), int(tt.room[lecture])
        if start < 0 or room < 0:
            bad["unplaced"] += 1
            continue
        length = int(p.course_length[c])
        if start % S + length > S:
            bad["past_day_end"] += 1
            continue
        if not p.suitable[c, room]:
            bad["unsuitable"] += 1
        for period in range(start, start + length):
            if p.course_unavailable[c, period] or p.teacher_unavailable[p.course_teacher[c], period]:
                bad["unavailable"] += 1
            room_use[room, period] += 1
            teacher_use[int(p.course_teacher[c]), period] += 1
            course_use[c, period] += 1
            for q in curricula_of[c]:
                curriculum_use[q, period] += 1
    # every count above one at the same (item, period) is a clash of that many extra lectures
    # (a course's own second lecture in a period also shows up in its curricula and teacher)
    for kind, use in (("room_clash", room_use), ("curriculum_clash", curriculum_use),
                      ("teacher_clash", teacher_use), ("course_clash", course_use)):
        extra = sum(n - 1 for n in use.values() if n > 1)
        if extra:
            bad[kind] += extra
    return bad


def assert_hidden_feasible(u: SynthUniversity) -> None:
    p, tt = u.problem, u.hidden
    tt.check_shape(p)
    assert hard_units(p, tt) == Counter()
    # the hidden timetable also fits every room (capacities were sized around it)
    lc = p.lecture_course
    assert (p.room_capacity[tt.room] >= p.course_students[lc]).all()
    # and unavailability / undesired periods were derived from periods it leaves free
    teacher = p.course_teacher[lc]
    for offset in range(int(p.course_length.max())):
        inside = offset < p.course_length[lc]
        per = tt.period[inside] + offset
        assert not p.teacher_unavailable[teacher[inside], per].any()
        assert not p.teacher_undesired[teacher[inside], per].any()


def evaluator_hard(p: Problem, tt: Timetable) -> int:
    cost = pytest.importorskip("tt_core.cost")
    return cost.evaluate(p, tt).hard_violations


@functools.cache
def _preset_university(name: str) -> SynthUniversity:
    return generate(Recipe.preset(name))


@pytest.fixture(scope="module")
def made():
    """``made[name]``: the university of a preset, generated once per test session."""

    class Presets:
        def __getitem__(self, name: str) -> SynthUniversity:
            return _preset_university(name)

    return Presets()


# ----------------------------------------------------------------------------- the checker itself


def test_checker_sees_each_kind_of_violation(made):
    """The independent checker must fail on broken timetables, or the feasibility tests mean nothing."""
    u = made["tiny"]
    p, hidden = u.problem, u.hidden
    lc = p.lecture_course
    lab_room = np.array([t == "lab" for t in np.array(p.room_types)[p.room_type]])
    plain = np.flatnonzero(p.course_length[lc] == 1)
    a, b = plain[0], plain[-1]

    tt = hidden.copy()
    tt.period[a] = -1
    assert hard_units(p, tt)["unplaced"] == 1

    tt = hidden.copy()
    tt.room[b] = tt.room[a]
    tt.period[b] = tt.period[a]
    bad = hard_units(p, tt)
    assert bad["room_clash"] >= 1

    tt = hidden.copy()
    tt.room[a] = int(np.flatnonzero(lab_room)[0])
    assert hard_units(p, tt)["unsuitable"] == 1

    lab = int(np.flatnonzero(p.course_length[lc] >= 2)[0])
    tt = hidden.copy()
    tt.period[lab] = p.periods_per_day - 1          # last period of Monday: runs past the day's end
    assert hard_units(p, tt)["past_day_end"] == 1

    # two lectures of one curriculum in the same period
    q0 = p.curriculum_courses[p.curriculum_ptr[0]:p.curriculum_ptr[1]]
    l0, l1 = p.course_lecture_ptr[q0[0]], p.course_lecture_ptr[q0[1]]
    tt = hidden.copy()
    tt.period[l1] = tt.period[l0]
    assert hard_units(p, tt)["curriculum_clash"] >= 1

    # a single-period lecture moved into a period its teacher is unavailable
    teacher = p.course_teacher[lc]
    pairs = [(int(l), int(per)) for l in plain for per in np.flatnonzero(p.teacher_unavailable[teacher[l]])]
    assert pairs, "the tiny preset should have teacher unavailability"
    tt = hidden.copy()
    tt.period[pairs[0][0]] = pairs[0][1]
    assert hard_units(p, tt)["unavailable"] == 1


# ----------------------------------------------------------------------------- feasibility


@pytest.mark.parametrize("name", ["tiny", "demo", "medium"])
def test_hidden_timetable_is_feasible(made, name):
    u = made[name]
    assert u.dropped_lectures == 0
    assert_hidden_feasible(u)
    assert evaluator_hard(u.problem, u.hidden) == 0


def test_large_is_fast_and_feasible():
    t0 = time.perf_counter()
    u = generate(Recipe.preset("large"))
    elapsed = time.perf_counter() - t0
    assert elapsed < 10.0, f"large took {elapsed:.1f} s"
    p = u.problem
    assert (p.n_courses, len(p.department_names), int(u.curriculum_students.sum())) == (2500, 127, 25000)
    assert u.dropped_lectures == 0
    assert_hidden_feasible(u)
    assert evaluator_hard(p, u.hidden) == 0


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(
    seed=st.integers(0, 2**32 - 1),
    departments=st.integers(2, 5),
    programmes=st.integers(1, 3),
    years=st.integers(1, 4),
    days=st.integers(4, 6),
    periods_per_day=st.integers(6, 10),
    lab_fraction=st.sampled_from([0.0, 0.2, 0.5]),
    occupancy=st.sampled_from([0.5, 0.8, 1.0]),
)
def test_any_valid_recipe_gives_a_feasible_hidden_timetable(seed, departments, programmes, years, days,
                                                            periods_per_day, lab_fraction, occupancy):
    try:
        r = Recipe.preset("tiny", seed=seed, departments=departments, programmes_per_department=programmes,
                          years_per_programme=years, days=days, periods_per_day=periods_per_day,
                          students=60 * departments * programmes * years, lab_fraction=lab_fraction,
                          occupancy=occupancy, lab_occupancy=occupancy, curriculum_max_per_day=0,
                          open_departments=(2, departments), lab_sessions=(1, min(2, days)),
                          late_periods=0)
    except ValidationError:
        reject()  # not a valid recipe (e.g. curricula would fill more than 80% of a short week)
    u = generate(r)
    assert_hidden_feasible(u)
    assert u.problem.n_courses == r.n_courses


# ----------------------------------------------------------------------------- determinism


def _fingerprint(u: SynthUniversity) -> dict:
    """Every array and name of the problem, the hidden timetable and the metadata."""
    out = {}
    for obj, prefix in ((u.problem, "problem"), (u, "synth")):
        for f in dataclasses.fields(obj):
            v = getattr(obj, f.name)
            if isinstance(v, (Problem, Recipe)):
                continue
            if isinstance(v, Timetable):
                v = (v.period.tolist(), v.room.tolist())
            elif isinstance(v, np.ndarray):
                v = (str(v.dtype), v.shape, v.tolist())
            out[f"{prefix}.{f.name}"] = v
    return out


def test_same_recipe_gives_identical_university():
    a = generate(Recipe.preset("tiny"))
    b = generate(Recipe.preset("tiny"))
    assert _fingerprint(a) == _fingerprint(b)
    assert a.hidden == b.hidden


def test_another_seed_gives_another_university():
    a = generate(Recipe.preset("demo"))
    b = generate(Recipe.preset("demo", seed=43))
    assert b.problem.name == "synth-demo-s43" and a.problem.name == "synth-demo-s42"
    # same sizes, different draws
    assert a.problem.n_courses == b.problem.n_courses
    assert not np.array_equal(a.problem.course_students, b.problem.course_students)
    assert not np.array_equal(a.hidden.period, b.hidden.period)
    assert a.problem.department_names != b.problem.department_names


# ----------------------------------------------------------------------------- sizes and structure


@pytest.mark.parametrize("name", ["tiny", "demo", "medium"])
def test_sizes_match_the_recipe(made, name):
    u, r = made[name], Recipe.preset(name)
    p = u.problem
    assert p.n_courses == r.n_courses
    assert len(p.department_names) == len(set(p.department_names)) == r.departments
    assert p.n_curricula == r.n_curricula
    assert int(u.curriculum_students.sum()) == r.students
    assert (p.days, p.periods_per_day) == (r.days, r.periods_per_day)
    cats = Counter(CATEGORIES[k] for k in p.course_category)
    assert cats == {"core": r.n_core, "elective": r.departments * r.electives_per_department,
                    "open": r.open_electives}
    assert len(u.programme_names) == r.departments * r.programmes_per_department
    assert set(u.curriculum_year.tolist()) == set(range(1, r.years_per_programme + 1))
    assert len(u.building_names) == r.buildings
    assert len(u.teacher_full_names) == p.n_teachers
    # every course belongs to a curriculum; a core course to exactly one, with the whole cohort
    q_ptr, q_idx = p.course_curricula
    n_q = np.diff(q_ptr)
    assert (n_q >= 1).all()
    core = p.course_category == CATEGORIES.index("core")
    assert (n_q[core] == 1).all()
    assert np.array_equal(p.course_students[core], u.curriculum_students[q_idx[q_ptr[:-1][core]]])
    # departments of curricula and of their core courses agree
    assert np.array_equal(p.course_department[core], u.curriculum_department[q_idx[q_ptr[:-1][core]]])
    # non-lab lectures per week within the recipe's range, teachers within their load
    plain = ~u.course_lab
    assert p.course_lectures[plain].min() >= r.lectures[0] and p.course_lectures[plain].max() <= r.lectures[1]
    load = np.bincount(p.course_teacher, weights=p.course_lectures * p.course_length)
    assert load.max() <= r.teacher_load
    assert np.array_equal(u.teacher_department[p.course_teacher], p.course_department)


@pytest.mark.parametrize("name", ["tiny", "demo"])
def test_labs_are_multi_period_and_only_fit_lab_rooms(made, name):
    u, r = made[name], Recipe.preset(name)
    p = u.problem
    assert int(u.course_lab.sum()) == r.n_labs > 0
    assert np.array_equal(u.course_lab, p.course_length > 1)
    lengths = p.course_length[u.course_lab]
    assert lengths.min() >= 2 and lengths.max() <= 3
    lab = p.room_types.index("lab")
    lab_room = p.room_type == lab
    assert lab_room.any() and (~lab_room).any()
    assert np.array_equal(p.suitable[u.course_lab], np.broadcast_to(lab_room, (int(u.course_lab.sum()), p.n_rooms)))
    assert not p.suitable[~u.course_lab][:, lab_room].any()
    assert set(p.room_types) <= {"lecture hall", "seminar", "lab"}
    if name == "demo":
        assert set(p.room_types) == {"lecture hall", "seminar", "lab"}


def test_open_electives_are_shared_across_departments(made):
    for name in ("tiny", "demo", "medium"):
        u = made[name]
        p = u.problem
        q_ptr, q_idx = p.course_curricula
        q_dept = u.curriculum_department
        opens = np.flatnonzero(p.course_category == CATEGORIES.index("open"))
        assert len(opens) == Recipe.preset(name).open_electives
        for c in opens:
            depts = set(q_dept[q_idx[q_ptr[c]:q_ptr[c + 1]]].tolist())
            assert len(depts) >= 2, p.course_names[c]
            assert int(p.course_department[c]) in depts      # the owning department takes part


def test_demo_is_realistically_tight(made):
    s = made["demo"].summary()
    assert 0.5 <= s["room_occupancy"] <= 0.8
    assert 15 <= s["curriculum_load_mean"] <= 25
    assert s["lab_rooms"] > 0 and s["teachers"] > 20
    # teachers have unavailable and undesired periods, and time-of-day penalties exist
    p = made["demo"].problem
    assert p.teacher_unavailable.any() and p.teacher_undesired.any() and p.period_penalty.any()
    assert p.period_labels[0] == "Mon 09:00" and p.period_labels[-1] == "Fri 16:00"
    assert all(n.isascii() for n in p.course_names + p.room_names + p.teacher_names + p.curriculum_names)


# ----------------------------------------------------------------------------- recipes and TOML


def test_presets_have_the_promised_sizes():
    sizes = {n: (Recipe.preset(n).departments, Recipe.preset(n).n_courses) for n in PRESETS}
    assert sizes["tiny"] == (3, 20)
    assert sizes["demo"] == (8, 200)
    assert sizes["medium"][1] == 500
    assert sizes["large"] == (127, 2500) and Recipe.preset("large").students == 25000
    with pytest.raises(TimetableError, match="unknown synthetic university preset 'huge'"):
        Recipe.preset("huge")


def test_demo_toml_is_the_demo_recipe():
    r = Recipe.from_toml(REPO_ROOT / "data" / "demo.toml")
    assert r == Recipe.preset("demo")
    assert (r.departments, r.n_courses) == (8, 200)


@pytest.mark.parametrize("name", list(PRESETS))
def test_to_toml_round_trips(tmp_path, name):
    r = Recipe.preset(name, seed=7)
    path = tmp_path / "r.toml"
    path.write_text(r.to_toml())
    assert Recipe.from_toml(path) == r


def test_toml_overrides_start_from_a_preset(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text('preset = "medium"\nseed = 3\n[time]\ndays = 6\n[courses]\nlab_length = [2, 2]\n')
    r = Recipe.from_toml(path)
    assert r == Recipe.preset("medium", seed=3, days=6, lab_length=(2, 2))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[time]\nperiods_per_day = 0\n", "time.periods_per_day must be between 1 and 24"),
        ('[university]\ndepartments = "eight"\n', "university.departments: expected an integer, got 'eight'"),
        ("[university]\ndepartments = true\n", "university.departments: expected an integer"),
        ("[courses]\nlab_length = [3, 2]\n", "courses.lab_length: range low 3 is above high 2"),
        ("[courses]\nlab_length = [1, 3]\n", "courses.lab_length must be a range 2 <= low <= high <= 3"),
        ("[courses]\nlectures = 3\n", "courses.lectures: expected a range [low, high] of two integers"),
        ("[rooms]\nocupancy = 0.7\n", "rooms.ocupancy: unknown key; known keys in [rooms]: occupancy"),
        ("[room]\noccupancy = 0.7\n", "[room]: unknown table"),
        ("days = 5\n", "days: unknown top-level key; it belongs in table [time]"),
        ('[time]\nday_start = "9am"\n', 'time.day_start must be a time HH:MM'),
        ("[rooms]\noccupancy = 1.5\n", "rooms.occupancy must be between 0.05 and 1"),
        ('preset = "huge"\n', "preset: unknown preset 'huge'"),
        ("[university]\ndepartments = 1\n", "courses.open_electives needs at least 2 departments"),
        ('name = "my uni"\n', "name must be 1-40 ASCII letters"),
    ],
)
def test_toml_errors_name_the_key(tmp_path, text, expected):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ValidationError) as info:
        Recipe.from_toml(path)
    message = str(info.value)
    assert expected in message
    assert str(path) in message


def test_unreadable_toml_names_the_file(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[time\ndays = 5\n")
    with pytest.raises(ProblemFormatError, match="broken.toml: not valid TOML"):
        Recipe.from_toml(path)
    with pytest.raises(ProblemFormatError, match="missing.toml: recipe file not found"):
        Recipe.from_toml(tmp_path / "missing.toml")


def test_recipe_checks_values_on_construction():
    with pytest.raises(ValidationError, match=r"courses\.electives_per_curriculum"):
        Recipe.preset("tiny", electives_per_curriculum=5)
    with pytest.raises(ValidationError, match=r"courses\.core_per_curriculum: curricula would average 3\d\.\d "
                                              r"teaching periods a week, more than 80% of the 30 periods"):
        Recipe.preset("tiny", core_per_curriculum=9)
    with pytest.raises(ValidationError, match=r"courses\.lab_fraction: curricula would average"):
        Recipe.preset("demo", lab_fraction=1.0)
    with pytest.raises(ValidationError, match=r"university\.students must be at least 5 per"):
        Recipe.preset("demo", students=100)


def test_a_crowded_recipe_drops_lectures_but_stays_feasible():
    """Valid but crowded (every lab fills a whole 3-period day): some lectures cannot be planted.

    They are left out of the instance and counted, and what remains is still feasible.
    """
    r = Recipe.preset("demo", periods_per_day=3, lab_length=(3, 3), lectures=(1, 2), lab_sessions=(1, 1),
                      early_periods=0, late_periods=0)
    u = generate(r)
    assert u.dropped_lectures > 0
    assert u.summary()["dropped_lectures"] == u.dropped_lectures
    assert u.problem.n_courses == r.n_courses
    assert_hidden_feasible(u)
