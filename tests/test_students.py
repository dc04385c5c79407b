"""Students: enrolments, StudentClashes in the evaluator / incremental kernels / CP-SAT / local search,
sectioning, the enrolment tables (CSV and store), the synthetic university with students, and the
per-student views and calendars."""

from __future__ import annotations

import csv
from pathlib import Path

import icalendar
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import reference_units

from tt_core import constraints as K
from tt_core import services, views
from tt_core.cost import evaluate, student_clash_list
from tt_core.errors import TimetableError, ValidationError
from tt_core.io.tables import read_tables, write_tables
from tt_core.kernels.gpu import batch_evaluate
from tt_core.kernels.incremental import IncrementalEvaluator
from tt_core.model import Problem, Timetable
from tt_core.sectioning import merge_sections, reassign_sections, split_sections
from tt_core.solvers import solve
from tt_core.store import Store, problem_fingerprint
from tt_core.synth import Recipe, generate


def small(enrolments, *, courses=("A", "B", "C", "D"), teachers=None, lectures=None, days=1, ppd=3, rooms=3,
          **kw) -> Problem:
    """A problem of one-lecture courses, each with its own teacher, and the given enrolments."""
    C = len(courses)
    return Problem.create(
        name="students", days=days, periods_per_day=ppd, courses=list(courses),
        course_teacher=list(teachers or [f"t{i}" for i in range(C)]), course_lectures=list(lectures or [1] * C),
        course_min_days=[0] * C, course_students=[10] * C, rooms=[f"r{i}" for i in range(rooms)],
        room_capacity=[50] * rooms, enrolments=enrolments, **kw)


def brute_force_clashes(problem: Problem, timetable: Timetable) -> int:
    """Per student and period, the pairs of their own courses both taught then (validator rules)."""
    ppd = problem.periods_per_day
    at: dict[int, set[int]] = {}
    seen: set[tuple[int, int]] = set()
    for l, (p, r) in enumerate(zip(timetable.period.tolist(), timetable.room.tolist())):
        if p < 0 or r < 0:
            continue
        c = int(problem.lecture_course[l])
        span = [q for q in range(p, p + int(problem.course_length[c])) if q // ppd == p // ppd]
        if any((c, q) in seen for q in span):
            continue  # a repeated period of the course: not taught
        for q in span:
            seen.add((c, q))
            at.setdefault(q, set()).add(c)
    total = 0
    for s in range(problem.n_students):
        mine = set(int(c) for c in problem.student_course_ids(s))
        for here in at.values():
            k = len(mine & here)
            total += k * (k - 1) // 2
    return total


# ============================================================================ counting


def test_hand_made_clashes_count_students_and_explain_them():
    # s1 takes A, B; s2 A, B, C; s3 C only: A|B share 2 students, A|C and B|C one each
    pb = small([("s1", ["A", "B"]), ("s2", ["A", "B", "C"]), ("s3", ["C"])])
    a, b, n = pb.shared_students
    assert list(zip(a.tolist(), b.tolist(), n.tolist())) == [(0, 1, 2), (0, 2, 1), (1, 2, 1)]
    assert pb.conflict[0, 1] and not pb.group_conflict[0, 1] and not pb.conflict[0, 3]
    everyone = Timetable(np.array([0, 0, 0, 1]), np.array([0, 1, 2, 0]))
    rep = evaluate(pb, everyone)
    assert rep.units[K.STUDENT_CLASHES] == 4 == brute_force_clashes(pb, everyone)
    assert rep.units[K.CONFLICTS] == 0 and rep.hard_violations == 4 and not rep.feasible
    texts = [v.text for v in rep.explain() if v.constraint == K.STUDENT_CLASHES]
    assert len(texts) == 3 and "2 students enrolled in both" in texts[0]
    assert student_clash_list(pb, everyone) == [
        {"student": "s1", "period": "day 0 period 0", "courses": "A, B"},
        {"student": "s2", "period": "day 0 period 0", "courses": "A, B, C"}]
    assert "Violations of StudentClashes (hard) : 4" in rep.format_validator()
    apart = Timetable(np.array([0, 1, 2, 0]), np.array([0, 0, 0, 1]))
    assert evaluate(pb, apart).feasible and student_clash_list(pb, apart) == []


def test_no_enrolments_keeps_the_itc_structures():
    pb = small([], teachers=["t0", "t0", "t1", "t2"])
    assert pb.n_students == 0 and pb.conflict is pb.group_conflict
    group, students = pb.conflict_weights
    assert group.tolist() == [1, 1] and students.tolist() == [0, 0]
    assert "StudentClashes" not in evaluate(pb, Timetable(np.zeros(4, int), np.arange(4) % 3)).format_validator()


def test_enrolment_errors_name_the_student():
    with pytest.raises(ValidationError) as exc:
        small([("s1", ["A", "Z"]), ("s1", ["B"]), ("s2", ["B", "B"]), ("s3", ["A-S1", "A-S2"])],
              courses=("A-S1", "A-S2", "A", "B"), course_offering=["A", "A", "", ""])
    text = "\n".join(exc.value.problems)
    assert "student s1: unknown course Z" in text
    assert "duplicate student name 's1'" in text
    assert "student s2: course B listed twice" in text
    assert "student s3: in two sections of offering A" in text


@st.composite
def enrolled_cases(draw):
    C = draw(st.integers(2, 6))
    names = [f"c{i}" for i in range(C)]
    ppd = draw(st.integers(1, 3))
    days = draw(st.integers(1, 2))
    lengths = draw(st.lists(st.integers(1, ppd), min_size=C, max_size=C))
    students = [(f"s{i}", [names[j] for j in draw(st.lists(st.integers(0, C - 1), unique=True, max_size=C))])
                for i in range(draw(st.integers(1, 10)))]
    pb = Problem.create(name="p", days=days, periods_per_day=ppd, courses=names, course_teacher=names,
                        course_lectures=draw(st.lists(st.integers(0, 2), min_size=C, max_size=C)),
                        course_min_days=[0] * C, course_students=[1] * C, rooms=["r0", "r1"],
                        room_capacity=[5, 5], course_length=lengths, enrolments=students)
    L = pb.n_lectures
    period = draw(st.lists(st.integers(-1, pb.n_periods - 1), min_size=L, max_size=L))
    room = draw(st.lists(st.integers(0, 1), min_size=L, max_size=L))
    return pb, Timetable(np.array(period, np.int32), np.array(room, np.int32))


@settings(max_examples=100, deadline=None)
@given(enrolled_cases())
def test_student_clashes_equal_brute_force_and_oracle(case):
    pb, tt = case
    units = evaluate(pb, tt).units
    assert units[K.STUDENT_CLASHES] == brute_force_clashes(pb, tt)
    assert units.tolist() == reference_units(pb, tt)
    assert sum(v.units for v in evaluate(pb, tt).explain() if v.constraint == K.STUDENT_CLASHES) == \
        units[K.STUDENT_CLASHES]
    # the array program (GPU algorithm, run by NumPy here) agrees with the numba kernel
    got = batch_evaluate(pb, tt.period[None, :], tt.room[None, :], backend="numpy")[0]
    assert got.tolist() == units.tolist()


# ============================================================================ a synthetic university


@pytest.fixture(scope="module")
def campus():
    return generate(Recipe.preset("campus"))


def test_campus_is_feasible_by_construction_with_every_student_clash(campus):
    u, r = campus, Recipe.preset("campus")
    p = u.problem
    assert p.n_students == r.students and p.n_curricula == 0 and p.n_enrolments > 2 * r.students
    assert len(set(p.offering_of(c) for c in range(p.n_courses))) == r.n_courses
    assert p.course_students.max() <= r.section_size
    rep = evaluate(p, u.hidden)
    assert rep.hard_violations == 0 and rep.units[K.STUDENT_CLASHES] == 0
    assert len(p.shared_students[0]) > 100  # the students really constrain it
    # each section's students are counted in its size, and a student takes one section per offering
    assert np.array_equal(np.diff(p.course_student_csr[0]), p.course_students)
    assert len(u.student_programme) == len(u.student_year) == p.n_students


def test_enrolments_form_is_deterministic_and_checked():
    a, b = generate(Recipe.preset("campus")), generate(Recipe.preset("campus"))
    assert a.problem.student_names == b.problem.student_names and a.hidden == b.hidden
    assert np.array_equal(a.problem.student_courses, b.problem.student_courses)
    assert a.problem.course_offering == b.problem.course_offering
    with pytest.raises(ValidationError, match="students.section_size needs students.form"):
        Recipe.preset("demo", section_size=50)
    with pytest.raises(ValidationError, match="students.form must be one of"):
        Recipe.preset("campus", form="pupils")


def test_campus_evaluator_and_deltas_agree_with_the_oracle(campus):
    p = campus.problem
    rng = np.random.default_rng(3)
    tt = campus.hidden.copy()
    moved = rng.choice(p.n_lectures, 40, replace=False)
    tt.period[moved] = rng.integers(0, p.n_periods, 40)
    units = evaluate(p, tt).units
    assert units[K.STUDENT_CLASHES] > 0
    assert units.tolist() == reference_units(p, tt)
    assert units[K.STUDENT_CLASHES] == brute_force_clashes(p, tt)
    ev = IncrementalEvaluator(p, tt)
    for _ in range(30):
        l, q, r = int(rng.integers(p.n_lectures)), int(rng.integers(p.n_periods)), int(rng.integers(p.n_rooms))
        delta = ev.delta_move(l, q, r)
        after = ev.timetable()
        after.period[l], after.room[l] = q, r
        assert delta.tolist() == (evaluate(p, after).units - evaluate(p, ev.timetable()).units).tolist()
        ev.apply_move(l, q, r)
    assert ev.units.tolist() == reference_units(p, ev.timetable())


def test_local_search_reaches_zero_hard_on_a_small_enrolment_instance():
    u = generate(Recipe.preset("campus", departments=3, students=300, open_electives=2, skill_courses=2,
                               skill_departments=(2, 3)))
    assert u.problem.n_students == 300 and u.problem.n_enrolments > 600
    res = solve(u.problem, strategy="local", time_limit=5, seed=0)
    assert res.hard_violations == 0, res.report.by_constraint()
    assert res.report.units[K.STUDENT_CLASHES] == 0


def test_cpsat_enforces_student_clashes():
    # only students tie these courses together: 4 one-lecture courses, 2 periods, 2 rooms
    pb = small([("s1", ["A", "B"]), ("s2", ["C", "D"]), ("s3", ["A", "D"])], days=1, ppd=2, rooms=2)
    res = solve(pb, strategy="cpsat", time_limit=20, seed=0)
    assert res.hard_violations == 0
    p = res.timetable.period
    assert p[0] != p[1] and p[2] != p[3] and p[0] != p[3]


def test_student_clashes_are_weighed_by_students_when_unavoidable():
    # three courses, two periods: one pair must overlap; the annealer puts the lightest pair together
    pb = small([("s1", ["A", "B"]), ("s2", ["A", "B"]), ("s3", ["A", "B"]), ("s4", ["A", "C"]), ("s5", ["B", "C"])],
               courses=("A", "B", "C"), days=1, ppd=2, rooms=2)
    res = solve(pb, strategy="local", time_limit=3, seed=0, use_cpsat=False)
    assert res.report.units[K.STUDENT_CLASHES] == 1  # A|C or B|C (1 student), never A|B (3 students)
    assert len(student_clash_list(pb, res.timetable)) == 1


# ============================================================================ sectioning


def sectioned_sizes(plan) -> dict[str, list[int]]:
    p = plan.problem
    return {o: [int(p.course_students[p.course_index(s)]) for s in names] for o, names in plan.sections.items()}


@pytest.mark.parametrize("size", [25, 40, 60])
def test_sections_never_exceed_the_size_and_keep_every_enrolment(campus, size):
    merged, teams = merge_sections(campus.problem)
    assert not merged.course_offering and merged.n_enrolments == campus.problem.n_enrolments
    plan = split_sections(merged, section_size=size, teams=teams)
    p = plan.problem
    sections = [p.course_index(s) for names in plan.sections.values() for s in names]
    assert sections and p.course_students[sections].max() <= size
    for offering, names in plan.sections.items():
        ids = [p.course_index(n) for n in names]
        total = int(merged.course_students[merged.course_index(offering)])
        assert sum(int(p.course_students[c]) for c in ids) == total
        assert max(p.course_students[ids]) - min(p.course_students[ids]) <= 1
        # sections of an offering share no student: they may run in parallel
        assert not p.shared_students[0].size or not any(
            a in ids and b in ids for a, b in zip(p.shared_students[0].tolist(), p.shared_students[1].tolist()))
    assert np.array_equal(np.diff(p.course_student_csr[0]), p.course_students)
    # every student keeps their offerings, one section each
    for s in range(p.n_students):
        before = sorted(merged.course_names[c] for c in merged.student_course_ids(s))
        after = sorted(p.offering_of(int(c)) for c in p.student_course_ids(s))
        assert before == after


def shuffled(pb: Problem, seed: int) -> Problem:
    """The same problem with its students listed in another order (data rarely comes sorted)."""
    perm = np.random.default_rng(seed).permutation(pb.n_students)
    return pb.replace(student_names=tuple(pb.student_names[i] for i in perm),
                      student_ptr=np.concatenate([[0], np.cumsum(np.diff(pb.student_ptr)[perm])]).astype(np.int32),
                      student_courses=np.concatenate([pb.student_course_ids(i) for i in perm]).astype(np.int32))


@pytest.mark.parametrize("order", ["as generated", "shuffled"])
def test_affinity_sectioning_leaves_fewer_conflicts_than_a_fixed_split(campus, order):
    merged, teams = merge_sections(campus.problem)
    if order == "shuffled":
        merged = shuffled(merged, 5)
    fixed = split_sections(merged, section_size=30, teams=teams, method="fixed")
    smart = split_sections(merged, section_size=30, teams=teams, method="affinity")
    assert sectioned_sizes(fixed) == sectioned_sizes(smart)
    f, s = fixed.summary(), smart.summary()
    assert s["student_conflict_pairs"] < f["student_conflict_pairs"]
    # and the clashes a timetable has: put every course at a random period; fewer students clash
    # and the clashes of timetables (seeded draws: each section at its own random period)
    rng = np.random.default_rng(0)
    clashes = {"fixed": 0, "affinity": 0}
    for _ in range(5):
        for plan in (fixed, smart):
            p = plan.problem
            period = rng.integers(0, p.n_periods, p.n_courses)[p.lecture_course].astype(np.int32)
            tt = Timetable(period, np.zeros(p.n_lectures, np.int32))
            clashes[plan.method] += int(evaluate(p, tt).units[K.STUDENT_CLASHES])
    assert clashes["affinity"] < clashes["fixed"]


def test_teaching_team_is_spread_and_curricula_are_not_split():
    enrol = [(f"s{i}", ["BIG"] + (["X"] if i % 2 else [])) for i in range(9)]
    pb = Problem.create(name="p", days=1, periods_per_day=4, courses=["BIG", "X", "Q"],
                        course_teacher=["t0", "t1", "t2"],
                        course_lectures=[1, 1, 1], course_min_days=[0, 0, 0], course_students=[9, 4, 50],
                        rooms=["r0", "r1"], room_capacity=[5, 60], curricula=[("cur", ["Q"])], enrolments=enrol)
    plan = split_sections(pb, section_size=4, teams={"BIG": ["t0", "t9"]})
    p = plan.problem
    assert plan.sections == {"BIG": ("BIG-S1", "BIG-S2", "BIG-S3")}
    assert [p.teacher_names[p.course_teacher[p.course_index(n)]] for n in plan.sections["BIG"]] == ["t0", "t9", "t0"]
    assert any("fewer teachers than sections: BIG (3 sections, 2 teachers)" in n for n in plan.notes)
    assert any(n.startswith("Q: 50 students") and "curriculum" in n for n in plan.notes)
    assert p.course_students[p.course_index("Q")] == 50  # left whole
    # the four X takers (odd students) gather in two BIG sections of 3 (a split in order spreads them
    # over all three), so only two sections conflict with X
    def holding_x(q):
        return {q.course_names[c] for s in range(q.n_students) if s % 2
                for c in q.student_course_ids(s) if q.offering_of(int(c)) == "BIG"}
    assert len(holding_x(p)) == 2
    assert len(holding_x(split_sections(pb, section_size=4, method="fixed").problem)) == 3
    with pytest.raises(TimetableError, match="already split"):
        split_sections(p, section_size=4)
    with pytest.raises(TimetableError, match="section size"):
        split_sections(pb, section_size=0)


def test_reassigning_after_solving_removes_avoidable_clashes():
    # offering M in two sections (M-S1 at period 0, M-S2 at period 1); X at period 0, Y at period 1.
    # A fixed split puts the X takers into M-S1 and the Y takers into M-S2: every one of them clashes.
    enrol = [(f"x{i}", ["M-S1", "X"]) for i in range(3)] + [(f"y{i}", ["M-S2", "Y"]) for i in range(3)]
    pb = Problem.create(name="p", days=1, periods_per_day=2, courses=["M-S1", "M-S2", "X", "Y"],
                        course_teacher=["t0", "t1", "t2", "t3"], course_lectures=[1, 1, 1, 1],
                        course_min_days=[0] * 4, course_students=[3, 3, 3, 3], rooms=["r0", "r1"],
                        room_capacity=[9, 9], enrolments=enrol, course_offering=["M", "M", "X", "Y"])
    tt = Timetable(np.array([0, 1, 0, 1]), np.array([0, 0, 1, 1]))
    assert evaluate(pb, tt).units[K.STUDENT_CLASHES] == 6
    new, stats = reassign_sections(pb, tt)
    assert stats == {"moved": 6, "clashes_before": 6, "clashes_after": 0}
    assert evaluate(new, tt).feasible
    assert np.array_equal(np.diff(new.course_student_csr[0]), pb.course_students)  # sizes kept


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_reassigning_never_adds_clashes_and_keeps_sizes(campus, seed):
    p = campus.problem
    rng = np.random.default_rng(seed)
    tt = Timetable(rng.integers(0, p.n_periods, p.n_lectures).astype(np.int32),
                   rng.integers(0, p.n_rooms, p.n_lectures).astype(np.int32))
    new, stats = reassign_sections(p, tt, rounds=1)
    assert stats["clashes_after"] <= stats["clashes_before"]
    assert np.array_equal(np.diff(new.course_student_csr[0]), np.diff(p.course_student_csr[0]))
    for s in range(p.n_students):
        assert sorted(p.offering_of(int(c)) for c in p.student_course_ids(s)) == \
            sorted(new.offering_of(int(c)) for c in new.student_course_ids(s))


# ============================================================================ tables and store


def test_tables_round_trip_students_and_sections(tmp_path, campus):
    meta = {"student_programme": [campus.programme_names[i] for i in campus.student_programme],
            "student_year": [int(y) for y in campus.student_year],
            "student_department": [None] * campus.problem.n_students}
    folder = write_tables(campus.problem, tmp_path / "campus", meta=meta)
    bundle = read_tables(folder)
    assert problem_fingerprint(bundle.problem) == problem_fingerprint(campus.problem)
    assert bundle.problem.course_offering == campus.problem.course_offering
    assert bundle.meta["student_programme"] == meta["student_programme"]
    assert bundle.meta["student_year"] == meta["student_year"]


def _write(folder: Path, table: str, rows: list[list]) -> None:
    with open(folder / f"{table}.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


def test_enrolment_tables_report_every_bad_row(tmp_path):
    pb = small([], courses=("A-S1", "A-S2", "B"), course_offering=["A", "A", ""])
    folder = write_tables(pb, tmp_path / "t")
    _write(folder, "students", [["name", "programme", "year", "department"], ["s1", "BSc", "1", ""],
                                ["s1", "BSc", "2", ""], ["s2", "BSc", "zero", ""]])
    _write(folder, "enrolments", [["student", "course"], ["s1", "A-S1"], ["s1", "A-S1"], ["s1", "A-S2"],
                                  ["s9", "B"], ["s2", "Z"]])
    with pytest.raises(ValidationError) as exc:
        read_tables(folder)
    text = exc.value.problems
    assert "students.csv, row 3, column name: duplicate name 's1' (first in row 2)" in text
    assert "students.csv, row 4, column year: year 'zero' is not a number" in text
    assert "enrolments.csv, row 3, column course: student 's1' is enrolled in 'A-S1' twice (first in row 2)" in text
    assert any(t.startswith("enrolments.csv, row 4, column course: student 's1' is in two sections of offering 'A'")
               for t in text)
    assert any(t.startswith("enrolments.csv, row 5, column student: unknown student 's9'") for t in text)
    assert any(t.startswith("enrolments.csv, row 6, column course: unknown course 'Z'") for t in text)


def test_store_round_trip_students_views_and_re_sectioning(tmp_path, campus):
    from tt_core.commands.data import university_meta

    p = campus.problem
    with Store(str(tmp_path / "db.duckdb")) as db:
        db.scenarios.import_problem(p, "campus", meta=university_meta(campus))
        q = db.scenarios.load_problem("campus")
        assert problem_fingerprint(q) == problem_fingerprint(p) and q.course_offering == p.course_offering
        assert db.tables.check_integrity("campus") == []
        frame = db.students.list("campus")
        assert len(frame) == p.n_students and frame["courses"].sum() == p.n_enrolments
        assert frame["programme"].iloc[0] == campus.programme_names[campus.student_programme[0]]
        studio = services.Studio(db)
        vid = db.variants.save("campus", campus.hidden, evaluate(p, campus.hidden))
        name = p.student_names[7]
        grid = views.weekly_grid(q, campus.hidden, "student", name)
        cells = "\n".join(str(x) for x in grid.to_numpy().ravel())
        mine = [q.course_names[c] for c in q.student_course_ids(7)]
        assert all(c in cells for c in mine)
        assert studio.variants.student_clashes("campus", vid).empty
        # a student's calendar: one weekly event per placed lecture of their courses
        fname, data = studio.files.export_timetable("campus", vid, "ical", "student", name, start_date="2030-01-07", weeks=10)
        cal = icalendar.Calendar.from_ical(data)
        events = [e for e in cal.walk("VEVENT")]
        lectures = [l for l in range(q.n_lectures) if q.lecture_course[l] in set(q.student_course_ids(7).tolist())]
        assert len(events) == len(lectures) > 0
        assert {str(e["summary"]) for e in events} == set(mine)
        assert str(cal["x-wr-calname"]).endswith(f"student {name}")
        assert all(e["rrule"]["COUNT"] == [10] for e in events)
        # sectioning into a new scenario, then moving students after "solving" (the planted timetable)
        info = studio.sections.split("campus", "campus-25", section_size=25)
        assert info["largest_section"] <= 25 and info["sections"] > 0
        split = db.scenarios.load_problem("campus-25")
        assert split.course_students.max() <= 25 and split.n_enrolments == p.n_enrolments
        before = db.students.replace_enrolments("campus", [(n, []) for n in p.student_names[:1]])
        assert before == 0 and db.scenarios.load_problem("campus").student_course_ids(0).size == 0
        with pytest.raises(TimetableError, match="unknown student"):
            db.students.replace_enrolments("campus", [("nobody", [])])
        db.scenarios.delete("campus-25")
        db.scenarios.delete("campus")
        assert db.scenarios.names() == []


def test_ical_for_unknown_student_and_students_folder(tmp_path, campus):
    from tt_core.io.ical import export_ical

    p = campus.problem
    with pytest.raises(TimetableError, match="unknown student"):
        views.ical_for(p, campus.hidden, "student", "nobody", start_date="2030-01-07")
    files = export_ical(p, campus.hidden, tmp_path / "cal", start_date="2030-01-07", weeks=2, views=("students",),
                        items=p.student_names[:3])
    assert sorted(f.stem for f in files) == sorted(p.student_names[:3])
    assert all(f.parent.name == "students" for f in files)


def test_timetable_app_shows_a_students_week_and_their_calendar(tmp_path, campus):
    import importlib.util
    import sys

    from tt_core.commands.data import university_meta

    apps = Path(__file__).resolve().parents[1] / "apps"
    if str(apps) not in sys.path:
        sys.path.insert(0, str(apps))
    spec = importlib.util.spec_from_file_location("tt_app_timetable_students", apps / "timetable.py")
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    p = campus.problem
    with Store(str(tmp_path / "db.duckdb")) as db:
        db.scenarios.import_problem(p, "campus", meta=university_meta(campus))
        vid = db.variants.save("campus", campus.hidden, evaluate(p, campus.hidden))
        name = p.student_names[3]
        state = app.TimetableState(services.Studio(db), scenario="campus", variant=str(vid), view="student", key=name)
        assert (state.view, state.key) == ("student", name) and not state.messages.error
        assert f"student {name}" in state.title
        text = "\n".join(str(x) for x in state.grid.to_numpy().ravel())
        assert all(p.course_names[c] in text for c in p.student_course_ids(3))
        data = state.download("ical")
        assert data is not None
        cal = icalendar.Calendar.from_ical(data.getvalue())
        assert str(cal["x-wr-calname"]).endswith(f"student {name}")
        ghost = app.TimetableState(services.Studio(db), scenario="campus", variant=str(vid), view="student",
                                   key="nobody")
        assert ghost.key == p.student_names[0] and "no student 'nobody'" in ghost.messages.error
        # 600 students: the "Show" picker is a search box over every name, not a drop-down; picking
        # a name shows that student, and a short list (the rooms) brings the drop-down back
        import panel as pn

        picker = app._key_picker(state)
        select, search = picker.objects
        assert isinstance(search, pn.widgets.AutocompleteInput) and search.visible and not select.visible
        assert search.options == list(p.student_names) and search.value == name and select.options == {}
        search.value = p.student_names[7]
        assert state.key == p.student_names[7] and f"student {p.student_names[7]}" in state.title
        state.apply(view="room")
        assert select.visible and not search.visible and search.options == []
        assert list(select.options.values()) == list(p.room_names) and select.value == state.key
        select.value = p.room_names[1]
        assert state.key == p.room_names[1]


def test_hierarchical_subproblem_keeps_the_students_of_its_courses(campus):
    from tt_core.solvers.hierarchical import subproblem

    p = campus.problem
    kept = np.flatnonzero(p.course_department < 2)
    sub = subproblem(p, kept).problem
    assert 0 < sub.n_students <= p.n_students and sub.course_offering[:len(kept)] == \
        tuple(p.offering_of(int(c)) for c in kept)
    index = {n: i for i, n in enumerate(p.student_names)}
    keep = set(kept.tolist())
    for s, name in enumerate(sub.student_names):
        mine = [p.course_names[c] for c in p.student_course_ids(index[name]) if int(c) in keep]
        assert sorted(sub.course_names[c] for c in sub.student_course_ids(s)) == sorted(mine)
    # the sub-problem's clashes are the original's among its courses
    tt = campus.hidden
    lect = np.concatenate([np.arange(p.course_lecture_ptr[c], p.course_lecture_ptr[c + 1]) for c in kept])
    sub_tt = Timetable(np.concatenate([tt.period[lect], np.full(sub.n_lectures - len(lect), -1)]),
                       np.concatenate([tt.room[lect], np.full(sub.n_lectures - len(lect), -1)]))
    assert evaluate(sub, sub_tt).units[K.STUDENT_CLASHES] == 0


def test_a_database_made_before_the_students_migration_gets_it(tmp_path, campus):
    # a database whose newest step was applied before step 4 existed (features developed side by
    # side): opening it applies the missing step instead of skipping it
    import duckdb

    from tt_core.store import MIGRATIONS

    path = str(tmp_path / "old.duckdb")
    con = duckdb.connect(path)
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description VARCHAR NOT NULL, "
                "applied_at TIMESTAMP NOT NULL)")
    for version, description, sql in MIGRATIONS:
        if version != 4:
            con.execute(sql)
            con.execute("INSERT INTO schema_version VALUES (?, ?, now()::TIMESTAMP)", [version, description])
    con.close()
    with Store(path) as db:
        db.scenarios.import_problem(campus.problem, "campus")
        assert db.scenarios.load_problem("campus").n_enrolments == campus.problem.n_enrolments
