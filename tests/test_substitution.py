"""Teacher substitution (tt_core.substitution): proposals equal a brute-force reading of the rules
on random small instances (never a busy, absent, unavailable, overloaded or unqualified teacher),
applying is refused for such teachers, the overlay shows in the week's grids and in iCal, and a
rollback restores exactly what was there."""

from __future__ import annotations

import dataclasses
import datetime as dt

import icalendar
import numpy as np
import pytest

from tt_core import substitution as S
from tt_core import workflow as W
from tt_core.cost import evaluate
from tt_core.errors import TimetableError
from tt_core.model import Problem, Timetable
from tt_core.services import Studio
from tt_core.store import Store
from tt_core.synth import Recipe, generate
from tt_core.views import weekly_grid

MONDAY = dt.date(2026, 3, 2)


# ----------------------------------------------------------------------------- random instances
def random_instance(seed: int) -> tuple[Problem, Timetable]:
    """3 days x 4 periods, 7 teachers, 10 courses in 2 departments and 3 curricula, lectures of 1-2
    periods, random unavailability and daily limits (0-3); a random (not necessarily feasible)
    timetable, so busy teachers, clashes and full days all occur."""
    rng = np.random.default_rng(seed)
    T, C, days, ppd = 7, 10, 3, 4
    teachers = [f"T{t}" for t in range(T)]
    courses = [f"C{c}" for c in range(C)]
    course_teacher = [teachers[int(rng.integers(T))] for _ in range(C)]
    course_teacher[:T] = teachers  # every teacher teaches something
    rng.shuffle(course_teacher)
    lectures = [int(rng.integers(1, 4)) for _ in range(C)]
    length = [int(rng.integers(1, 3)) for _ in range(C)]
    dept = [None if rng.random() < 0.15 else ("D1" if rng.random() < 0.5 else "D2") for _ in range(C)]
    curricula = [(f"Q{q}", sorted({courses[int(i)] for i in rng.choice(C, size=int(rng.integers(2, 5)),
                                                                        replace=False)})) for q in range(3)]
    unavailable = [(t, int(p)) for t in teachers for p in range(days * ppd) if rng.random() < 0.1]
    limits = {t: int(rng.integers(0, 4)) for t in teachers}
    labels = [f"{d} {h:02d}:00" for d in ("Mon", "Tue", "Wed") for h in range(9, 9 + ppd)]
    p = Problem.create(name=f"random {seed}", days=days, periods_per_day=ppd, courses=courses,
                       course_teacher=course_teacher, course_lectures=lectures, course_min_days=[1] * C,
                       course_students=[10] * C, rooms=["R0", "R1", "R2"], room_capacity=[50, 50, 50],
                       curricula=curricula, course_length=length, course_department=dept,
                       teacher_unavailable=unavailable, teacher_max_per_day=limits, period_labels=labels)
    L = p.n_lectures
    period = np.empty(L, np.int32)
    for l in range(L):
        c = int(p.lecture_course[l])
        day = int(rng.integers(days))
        period[l] = -1 if rng.random() < 0.05 else day * ppd + int(rng.integers(ppd - p.course_length[c] + 1))
    return p, Timetable(period, rng.integers(0, 3, L).astype(np.int32))


def brute_force(p: Problem, tt: Timetable, absent: int, when: dt.date, day: int, overlays, lecture: int) -> set[str]:
    """Every teacher allowed to take ``lecture`` on ``when``, by reading the rules literally."""
    todays = [o for o in overlays if o.on_date == when]
    teacher_of = {}
    for l in range(p.n_lectures):
        if tt.period[l] >= 0 and tt.period[l] // p.periods_per_day == day:
            teacher_of[l] = int(p.course_teacher[p.lecture_course[l]])
    for o in todays:
        if o.lecture is not None:
            teacher_of[o.lecture] = o.substitute  # None: nobody teaches it
    away = {absent} | {o.absent for o in todays}  # markers (lecture None) included

    def periods(l):
        c = int(p.lecture_course[l])
        start = int(tt.period[l])
        return {q for q in range(start, start + int(p.course_length[c])) if q // p.periods_per_day == day}

    need = periods(lecture)
    c = int(p.lecture_course[lecture])
    ptr, idx = p.course_curricula
    mine_q = set(idx[ptr[c]:ptr[c + 1]].tolist())
    ok = set()
    for t in range(p.n_teachers):
        if t in away or t == int(p.course_teacher[c]):
            continue
        if any(teacher_of[l] == t and periods(l) & need for l in teacher_of):
            continue  # busy
        if any(p.teacher_unavailable[t, q] for q in need):
            continue
        load = sum(1 for l in teacher_of if teacher_of[l] == t)
        if p.teacher_max_per_day[t] and load >= p.teacher_max_per_day[t]:
            continue  # would go over their daily limit
        others = [c2 for c2 in range(p.n_courses) if p.course_teacher[c2] == t and c2 != c and p.course_lectures[c2]]
        d = p.course_department[c]
        same_dept = [c2 for c2 in others if d >= 0 and p.course_department[c2] == d]
        same_q = [c2 for c2 in others if mine_q & set(idx[ptr[c2]:ptr[c2 + 1]].tolist())]
        if same_dept or same_q:
            ok.add(p.teacher_names[t])
    return ok


@pytest.mark.parametrize("seed", range(12))
def test_proposals_are_exactly_the_free_qualified_teachers_below_their_limit(seed):
    p, tt = random_instance(seed)
    rng = np.random.default_rng(1000 + seed)
    dates = [MONDAY + dt.timedelta(days=k) for k in range(3)]
    # some substitutions already recorded (as `cover` would: absence markers, substitutes, uncovered
    # lectures, a substitute absent later), so overlays count for busy, load and absence
    overlays = []
    qual = S.Qualification(p)
    for when in dates:
        day = S.day_of(p, when)
        state = S.DayState(p, tt, when, day, [])
        for absent in rng.choice(p.n_teachers, size=3, replace=False):
            absent = int(absent)
            state.absent.add(absent)
            overlays.append(S.Overlay(len(overlays) + 1, when, None, absent, None))
            for l in state.duties(absent):
                current = state.away.get(l)
                if current is not None and current.substitute != absent:
                    continue
                cands, _ = state.candidates(l, qual)
                state.hand_over(l, p.teacher_names.index(cands[0].teacher) if cands and rng.random() < 0.8 else None)
        overlays += [dataclasses.replace(o, id=len(overlays) + k + 1) for k, o in enumerate(state.away.values())]
    checked = 0
    for absent in range(p.n_teachers):
        proposals, _ = S.propose_for(p, tt, absent, dates, overlays, limit=None)
        for lp in proposals:
            day = S.day_of(p, lp.on_date)
            if lp.covered_by is not None:
                assert any(o.lecture == lp.lecture and o.on_date == lp.on_date and o.substitute is not None
                           for o in overlays)
                continue
            proposed = [c.teacher for c in lp.candidates]
            assert len(proposed) == len(set(proposed))
            assert set(proposed) == brute_force(p, tt, absent, lp.on_date, day, overlays, lp.lecture)
            excluded = sum(lp.excluded.values())
            assert excluded + len(proposed) == p.n_teachers - 1
            checked += 1
            # ranked: same department first, then same students, then fewer lectures that day
            keys = [(not c.same_department, not c.same_curriculum) for c in lp.candidates]
            assert keys == sorted(keys)
    assert checked > 0


def test_daily_limits_count_what_a_teacher_took_over():
    p = Problem.create(name="limits", days=1, periods_per_day=4, courses=["A", "B", "C"],
                       course_teacher=["absent", "sub", "other"], course_lectures=[2, 1, 1], course_min_days=[1] * 3,
                       course_students=[1] * 3, rooms=["R"], room_capacity=[9],
                       curricula=[("Q", ["A", "B", "C"])], teacher_max_per_day={"sub": 2},
                       period_labels=["Mon 09:00", "Mon 10:00", "Mon 11:00", "Mon 12:00"])
    tt = Timetable(np.array([0, 1, 2, 3], np.int32), np.zeros(4, np.int32))  # A, A, B, C
    first, _ = S.propose_for(p, tt, 0, [MONDAY], [])
    assert [c.teacher for c in first[0].candidates] == ["sub", "other"]
    took = [S.Overlay(1, MONDAY, 0, 0, 1)]  # "sub" takes A's first lecture: now 2 lectures, at the limit
    second, _ = S.propose_for(p, tt, 0, [MONDAY], took)
    assert second[0].covered_by == "sub"
    assert [c.teacher for c in second[1].candidates] == ["other"]
    assert second[1].excluded["at their daily limit"] == 1
    not_monday, notes = S.propose_for(p, tt, 0, [MONDAY + dt.timedelta(days=1)], [])
    assert not_monday == [] and "is not a teaching day" in notes[0]


# ----------------------------------------------------------------------------- with a store
@pytest.fixture(scope="module")
def tiny():
    return generate(Recipe.preset("tiny"))


@pytest.fixture
def db(tmp_db, tiny):
    """The tiny university with a published timetable."""
    p = tiny.problem
    with Store.open(tmp_db) as st:
        st.scenarios.import_problem(p, "tiny")
        vid = st.variants.save("tiny", tiny.hidden, evaluate(p, tiny.hidden), problem=p)
        W.submit(st, vid)
        W.approve(st, vid)
        W.publish(st, vid)
        st.users.add("planner", "planner")
        st.users.add("viewer", "viewer")
        yield st


def _a_covered_lecture(db):
    """(teacher, date, lecture, best substitute) of a lecture that has a candidate."""
    p = db.scenarios.load_problem("tiny")
    for t in p.teacher_names:
        pr = S.propose(db, "tiny", t, [f"{MONDAY}..{MONDAY + dt.timedelta(days=4)}"])
        for lp in pr.lectures:
            if lp.candidates:
                return t, lp.on_date, lp.lecture, lp.candidates[0].teacher
    raise AssertionError("no lecture of the tiny university has a substitute")


def _state(db, studio, tiny, when):
    """Everything a rollback must restore, as bytes."""
    p = tiny.problem
    vid = db.approvals.published("tiny")
    assignments = repr(db.query("SELECT * FROM assignments WHERE variant_id = ? ORDER BY lecture", [vid])).encode()
    active = studio.substitutions.frame("tiny").to_csv(index=False).encode()
    grids = b"".join(
        weekly_grid(p, tiny.hidden, view, key,
                    entries=studio.substitutions.week_entries("tiny", p, tiny.hidden, vid, view, key, when))
        .to_csv().encode() for view, keys in (("teacher", p.teacher_names), ("curriculum", p.curriculum_names))
        for key in keys)
    return assignments, active, grids


def test_apply_then_rollback_restores_exactly(db, tiny):
    studio = Studio(db)
    teacher, when, lecture, sub = _a_covered_lecture(db)
    before = _state(db, studio, tiny, when)
    sid = S.apply(db, "tiny", when, lecture, sub, user="planner")
    during = _state(db, studio, tiny, when)
    assert during[0] == before[0]  # the published timetable itself never changes
    assert during[1] != before[1] and during[2] != before[2]
    with pytest.raises(TimetableError, match="already taken by"):
        S.apply(db, "tiny", when, lecture, sub)
    S.rollback(db, [sid], user="planner")
    assert _state(db, studio, tiny, when) == before
    with pytest.raises(TimetableError, match="already rolled back"):
        S.rollback(db, [sid])
    actions = db.audit_log(5)["action"].tolist()
    assert actions[:2] == ["roll back substitution", "substitute"]
    assert db.substitutions.list("tiny", active_only=False)[0]["rolled_back_by"] == "planner"


def test_apply_refuses_a_busy_unqualified_or_absent_teacher_with_the_reason(db, tiny):
    p = tiny.problem
    teacher, when, lecture, sub = _a_covered_lecture(db)
    t = p.teacher_names.index(teacher)
    day = S.day_of(p, when)
    state = S.DayState(p, tiny.hidden, when, day, [], absent=[t])
    qual = S.Qualification(p)
    reasons = {why: other for other in range(p.n_teachers) if other != t
               for why in [state.exclusion(other, lecture, qual)] if why}
    assert reasons, "every other teacher is a candidate; the instance tests nothing"
    words = {"busy": "they teach at that time", "unavailable": "unavailable at that time",
             "not qualified": "no course of its department", "at their daily limit": "daily maximum"}
    for why, other in reasons.items():
        with pytest.raises(TimetableError, match=words[why]):
            S.apply(db, "tiny", when, lecture, p.teacher_names[other])
    with pytest.raises(TimetableError, match="absent"):
        S.apply(db, "tiny", when, lecture, teacher)
    with pytest.raises(TimetableError, match="may not record substitutions"):
        S.apply(db, "tiny", when, lecture, sub, user="viewer")
    with pytest.raises(TimetableError, match="does not take place on"):
        S.apply(db, "tiny", when + dt.timedelta(days=1), lecture, sub)
    assert db.substitutions.list("tiny", active_only=False) == []


def test_a_proposal_made_before_someone_else_applied_is_refused(db):
    teacher, when, lecture, sub = _a_covered_lecture(db)
    stale = S.propose(db, "tiny", teacher, [when])
    S.apply(db, "tiny", when, lecture, sub)
    item = {"on_date": when, "lecture": lecture, "absent": teacher, "substitute": sub}
    with pytest.raises(TimetableError, match="changed while you were looking"):
        db.substitutions.add("tiny", stale.variant_id, [item], expect_active=stale.expect_active)


def test_cover_for_everyone_keeps_every_day_consistent(db, tiny):
    """Cover each teacher in turn (later ones were earlier ones' substitutes): afterwards nobody
    absent teaches, nobody teaches two lectures at once, nobody goes over their daily limit."""
    p, tt = tiny.problem, tiny.hidden
    dates = [MONDAY + dt.timedelta(days=k) for k in range(5)]
    total = 0
    for teacher in p.teacher_names[:4]:
        ids, left = S.apply_best(db, "tiny", teacher, dates)
        total += len(ids)
    assert total > 0
    replaced = [r for r in db.substitutions.list("tiny", active_only=False) if r["rolled_back_at"] is not None]
    assert replaced, "no substitute was absent later; the test exercises less than it should"
    overlays = S.overlays_of(db, p, "tiny", db.approvals.published("tiny"))[0]
    for when in dates:
        day = S.day_of(p, when)
        assert {o.absent for o in overlays if o.on_date == when and o.lecture is None} == set(range(4))
        todays = {o.lecture: o for o in overlays if o.on_date == when and o.lecture is not None}
        holder = {int(l): todays[l].substitute if l in todays else int(p.course_teacher[p.lecture_course[l]])
                  for l in np.flatnonzero(tt.period // p.periods_per_day == day)}
        assert not set(holder.values()) & set(range(4))  # the absent teach nothing (None: uncovered)
        for t in range(p.n_teachers):
            mine = [l for l, h in holder.items() if h == t]
            slots = [q for l in mine for q in range(tt.period[l], tt.period[l] + p.course_length[p.lecture_course[l]])]
            assert len(slots) == len(set(slots)), f"{p.teacher_names[t]} teaches twice at once on {when}"
            if p.teacher_max_per_day[t] and any(l in todays for l in mine):
                assert len(mine) <= p.teacher_max_per_day[t]


def test_substitutions_need_a_published_timetable(tmp_db, tiny):
    p = tiny.problem
    with Store.open(tmp_db) as st:
        st.scenarios.import_problem(p, "tiny")
        st.variants.save("tiny", tiny.hidden, evaluate(p, tiny.hidden), problem=p)
        with pytest.raises(TimetableError, match="has no published timetable"):
            S.propose(st, "tiny", p.teacher_names[0], [MONDAY])


def test_the_overlay_shows_in_the_weeks_grids_and_in_ical(db, tiny):
    p = tiny.problem
    studio = Studio(db)
    teacher, when, lecture, sub = _a_covered_lecture(db)
    S.apply(db, "tiny", when, lecture, sub)
    vid = db.approvals.published("tiny")
    c = int(p.lecture_course[lecture])
    course = p.course_names[c]

    def cells(view, key, week):
        entries = studio.substitutions.week_entries("tiny", p, tiny.hidden, vid, view, key, week)
        return "\n".join(weekly_grid(p, tiny.hidden, view, key, entries=entries).to_numpy().ravel())

    assert f"→ substitute {sub}" in cells("teacher", teacher, when)
    assert f"{sub} (for {teacher}, {when})" in cells("teacher", sub, when)
    q = int(p.course_curricula[1][p.course_curricula[0][c]])
    assert f"{sub} (for {teacher}" in cells("curriculum", p.curriculum_names[q], when)
    next_week = when + dt.timedelta(days=7)
    assert "substitute" not in cells("teacher", teacher, next_week)
    assert f"(for {teacher}" not in cells("teacher", sub, next_week)

    def calendar(view, key):
        _, data = studio.files.export_timetable("tiny", vid, "ical", view, key, start_date=MONDAY, weeks=4)
        return icalendar.Calendar.from_ical(data)

    start = dt.datetime.combine(when, dt.time(*map(int, p.period_labels[int(tiny.hidden.period[lecture])]
                                                 .split(" ")[1].split(":"))))
    mine = [e for e in calendar("teacher", teacher).walk("VEVENT") if f"-lecture-{lecture}@" in str(e["uid"])]
    assert len(mine) == 1 and [d.dt for d in mine[0]["exdate"].dts] == [start]
    extra = [e for e in calendar("teacher", sub).walk("VEVENT") if str(e["uid"]).startswith("substitution-")]
    assert len(extra) == 1 and extra[0]["dtstart"].dt == start and course in str(extra[0]["summary"])
    overrides = [e for e in calendar("curriculum", p.curriculum_names[q]).walk("VEVENT") if "recurrence-id" in e]
    assert len(overrides) == 1 and overrides[0]["recurrence-id"].dt == start
    assert f"substituting for {teacher}" in str(overrides[0]["description"])


def test_cover_and_its_rollback_restore_exactly_even_after_a_substitute_falls_ill(db, tiny):
    """Cover teacher A, then teacher B (maybe A's substitute: B's takeovers are replaced); rolling
    back B's records restores the state after A, rolling back A's the state before."""
    studio = Studio(db)
    p = tiny.problem
    dates = [MONDAY + dt.timedelta(days=k) for k in range(5)]
    before = [_state(db, studio, tiny, d) for d in dates]
    first, _ = S.apply_best(db, "tiny", p.teacher_names[0], dates)
    subs = {r["substitute"] for r in db.substitutions.list("tiny") if r["substitute"]}
    assert subs, "nobody could substitute; the test exercises nothing"
    ill = sorted(subs)[0]
    after_first = [_state(db, studio, tiny, d) for d in dates]
    second, _ = S.apply_best(db, "tiny", ill, dates)
    assert any(r["replaces_id"] in first for r in db.substitutions.list("tiny")), "nothing was replaced"
    S.rollback(db, second)
    assert [_state(db, studio, tiny, d) for d in dates] == after_first
    S.rollback(db, first)
    assert [_state(db, studio, tiny, d) for d in dates] == before


def test_the_command_line_covers_exports_and_rolls_back(db, tiny, tmp_path, capsys):
    from tt_core.cli import main

    teacher, when, lecture, sub = _a_covered_lecture(db)
    path = db.path
    db.close()
    args = ["--db", path]
    assert main(["substitute", "propose", "tiny", "--teacher", teacher, "--dates", str(when), *args]) == 0
    assert sub in capsys.readouterr().out
    assert main(["substitute", "cover", "tiny", "--teacher", teacher, "--dates", str(when), *args]) == 0
    assert "substitution(s) recorded" in capsys.readouterr().out
    out = tmp_path / "ical"
    assert main(["export", "tiny", "--variant", "published", "--format", "ical", "--to", str(out), "--start",
                 str(MONDAY), "--weeks", "2", *args]) == 0
    assert "applied the substitutions" in capsys.readouterr().out
    own = [p for p in (out / "teachers").glob("*.ics") if p.stem == teacher]
    assert own and b"EXDATE" in own[0].read_bytes()
    assert main(["substitute", "list", "tiny", "--json", *args]) == 0
    import json

    ids = [r["id"] for r in json.loads(capsys.readouterr().out)]
    assert main(["substitute", "rollback", *map(str, ids), *args]) == 0
    assert main(["substitute", "list", "tiny", *args]) == 0
    assert capsys.readouterr().out.strip().endswith("no substitutions")
    assert main(["substitute", "apply", "tiny", "--date", str(when), "--lecture", str(lecture), "--by", teacher,
                 *args]) == 2
    assert "absent" in capsys.readouterr().err
