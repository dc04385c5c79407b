"""Teacher substitution: who can take an absent teacher's lectures on given dates, and dated overlays.

The published timetable is weekly; a date falls on one of its days (by weekday, from the time
grid's labels or the default Monday-first grid, :func:`tt_core.io.ical.grid_times`). For every
lecture of the absent teacher on that day, every other teacher is checked:

* **absent** — the teacher is away that day: the one asked about, or one recorded absent on that
  date (by :func:`apply_best`, or as the absent teacher of a substitution then);
* **busy** — they teach at one of the periods the lecture covers: their own lectures of that
  day, minus those handed to a substitute on that date, plus those they took over on that date;
* **unavailable** — a hard unavailability of theirs covers one of those periods;
* **at their daily limit** — their lectures that day (counted as for *busy*) already reach their
  daily maximum (``teachers.max_per_day``; 0 = no limit);
* **not qualified** — qualification is read from the data: a teacher is qualified for a course
  when they teach another course of the same department, or a course of a curriculum the course
  belongs to (the same students).

The others are the candidates, ranked best first by: same department as the course (a course
without a department: the absent teacher's department) — then teaching the same curriculum —
then not an undesired period of theirs — then the fewest lectures that day — then data order.
Each candidate carries the reasons in words.

Applying a substitution writes a dated overlay
(:meth:`~tt_core.store.substitutions.SubstitutionRepository.add`):
the variant's assignments are never changed, so rolling back (:func:`rollback`) restores exactly
what was shown before. :func:`apply_best` ("cover") also records the absence itself and the
lectures nobody can take (uncovered), and gives away the lectures the absent teacher was to take
over as somebody's substitute (that substitution is replaced; rolling back brings it back). The
overlays show in the weekly grids of the dates' weeks (:func:`overlay_entries`) and in iCal exports
(:func:`ical_with_substitutions`: the absent teacher's occurrence is removed, the substitute gets a
one-off event, curricula and rooms show the substitute on that date).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .errors import TimetableError
from .model import Problem, Timetable

__all__ = ["Overlay", "Candidate", "LectureProposal", "Proposals", "day_of", "DayState", "Qualification",
           "propose_for", "propose", "apply", "apply_best", "rollback", "overlays_of", "overlay_entries",
           "ical_with_substitutions", "apply_to_calendar", "apply_to_ical_folder", "parse_dates", "week_of",
           "EXCLUSIONS"]

#: why a teacher is not proposed, in the order the checks run
EXCLUSIONS = ("absent", "busy", "unavailable", "at their daily limit", "not qualified")


@dataclass(frozen=True)
class Overlay:
    """An active substitution in problem indices: ``absent``'s ``lecture`` on ``on_date`` is taught
    by ``substitute``; ``substitute`` None: nobody (uncovered); ``lecture`` None: ``absent`` is
    away that day (recorded by :func:`apply_best` so that they are not proposed elsewhere)."""

    id: int
    on_date: dt.date
    lecture: int | None
    absent: int
    substitute: int | None


@dataclass(frozen=True)
class Candidate:
    """A teacher who can take the lecture, with the reasons of their rank."""

    teacher: str
    label: str
    rank: int
    load: int                    # lectures that day before taking this one
    limit: int                   # daily maximum, 0 = none
    same_department: bool
    same_curriculum: bool
    reasons: tuple[str, ...]

    @property
    def explanation(self) -> str:
        return "; ".join(self.reasons)


@dataclass(frozen=True)
class LectureProposal:
    """The candidates for one lecture of the absent teacher on one date."""

    on_date: dt.date
    lecture: int
    course: str
    period: int
    when: str                    # "Mon 09:00–11:00"
    room: str
    candidates: tuple[Candidate, ...]
    excluded: dict               # reason -> number of teachers
    covered_by: str | None = None   # the substitute already recorded for it on that date
    covered_id: int | None = None
    replaces: int | None = None     # the teacher asked about was to substitute here (that substitution's id)

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


@dataclass(frozen=True)
class Proposals:
    """What :func:`propose` found for one absent teacher over some dates."""

    scenario: str
    variant_id: int
    teacher: str
    lectures: tuple[LectureProposal, ...]
    notes: tuple[str, ...]          # dates without teaching, …
    expect_active: tuple[int, ...]  # active substitution ids the proposal was computed against
    dates: tuple[dt.date, ...] = field(default=())

    def frame(self):
        """One row per lecture and candidate (the apps' and the CLI's table); ``replaces``: the
        substitution a candidate would replace (its substitute is the teacher asked about)."""
        import pandas as pd

        rows = []
        for lp in self.lectures:
            base = {"date": lp.on_date.isoformat(), "lecture": lp.lecture, "course": lp.course, "when": lp.when,
                    "room": lp.room, "replaces": lp.replaces}
            if lp.covered_by is not None:
                rows.append(base | {"rank": None, "substitute": lp.covered_by,
                                    "why": f"already covered (substitution {lp.covered_id})"})
            elif not lp.candidates:
                rows.append(base | {"rank": None, "substitute": "",
                                    "why": "nobody free and qualified: " + _excluded_text(lp.excluded)})
            for c in lp.candidates:
                why = c.explanation if lp.replaces is None else \
                    f"(replaces substitution {lp.replaces}) {c.explanation}"
                rows.append(base | {"rank": c.rank, "substitute": c.teacher, "why": why})
        return pd.DataFrame(rows, columns=["date", "lecture", "course", "when", "room", "rank", "substitute", "why",
                                           "replaces"])


def _excluded_text(excluded: dict) -> str:
    return ", ".join(f"{n} {why}" for why, n in excluded.items() if n) or "no other teacher"


# ----------------------------------------------------------------------------- dates
def parse_dates(values: Iterable) -> tuple[dt.date, ...]:
    """Dates given as ``date`` objects or ``YYYY-MM-DD`` text (also ``A..B`` ranges and commas)."""
    out: set[dt.date] = set()
    for v in values:
        if isinstance(v, dt.datetime):
            out.add(v.date())
            continue
        if isinstance(v, dt.date):
            out.add(v)
            continue
        for part in str(v).split(","):
            part = part.strip()
            if not part:
                continue
            a, sep, b = part.partition("..")
            try:
                first = dt.date.fromisoformat(a.strip())
                last = dt.date.fromisoformat(b.strip()) if sep else first
            except ValueError:
                raise TimetableError(f"a date must be YYYY-MM-DD (or FIRST..LAST), got {part!r}") from None
            if last < first:
                raise TimetableError(f"the date range {part!r} ends before it starts")
            if (last - first).days > 366:
                raise TimetableError(f"the date range {part!r} is longer than a year; give a shorter absence")
            out.update(first + dt.timedelta(days=k) for k in range((last - first).days + 1))
    if not out:
        raise TimetableError("give at least one date (YYYY-MM-DD) of the absence")
    return tuple(sorted(out))


def day_of(problem: Problem, when: dt.date) -> int | None:
    """The timetable day a date falls on (by weekday), or None when no day of the week is taught then."""
    from .io.ical import grid_times

    weekday = grid_times(problem).weekday
    return weekday.index(when.weekday()) if when.weekday() in weekday else None


def _covers(problem: Problem, start: int, course: int) -> range:
    """The periods a lecture starting at ``start`` occupies (clipped at the day's end)."""
    ppd = problem.periods_per_day
    end = min(start + int(problem.course_length[course]), (start // ppd + 1) * ppd)
    return range(start, end)


def _when(problem: Problem, start: int, course: int) -> str:
    from .io.ical import grid_times

    g = grid_times(problem)
    cover = _covers(problem, start, course)
    last = cover[-1]
    end = g.end[last]
    return f"{problem.period_labels[start]}–{end // 60:02d}:{end % 60:02d}" if g.from_labels else \
        problem.period_labels[start] + (f" (+{len(cover) - 1} period(s))" if len(cover) > 1 else "")


# ----------------------------------------------------------------------------- qualification
class Qualification:
    """Who is qualified for which course, from the data (see the module doc)."""

    def __init__(self, problem: Problem):
        self.problem = problem
        T, C = problem.n_teachers, problem.n_courses
        self.courses_of: list[list[int]] = [[] for _ in range(T)]
        for c in range(C):
            if problem.course_lectures[c] > 0:
                self.courses_of[int(problem.course_teacher[c])].append(c)
        dept = problem.course_department
        self.home = np.full(T, -1, np.int32)
        for t in range(T):
            ds = [int(dept[c]) for c in self.courses_of[t] if dept[c] >= 0]
            if ds:
                counts = np.bincount(ds)
                self.home[t] = int(np.argmax(counts))  # the most frequent; ties: the first department
        self._ptr, self._idx = problem.course_curricula

    def curricula(self, course: int) -> list[int]:
        return [int(q) for q in self._idx[self._ptr[course]:self._ptr[course + 1]]]

    def reasons(self, teacher: int, course: int) -> tuple[list[str], list[tuple[str, str]]]:
        """(the teacher's other courses in the course's department, (curriculum, course) pairs of the
        teacher's courses sharing a curriculum with it)."""
        p = self.problem
        d = int(p.course_department[course])
        mine = [c for c in self.courses_of[teacher] if c != course]
        same_dept = [p.course_names[c] for c in mine if d >= 0 and p.course_department[c] == d]
        qs = set(self.curricula(course))
        shared = []
        for c in mine:
            common = [q for q in self.curricula(c) if q in qs]
            if common:
                shared.append((p.curriculum_names[common[0]], p.course_names[c]))
        return same_dept, shared


# ----------------------------------------------------------------------------- one day
class DayState:
    """Who teaches what on one date: the weekly timetable's day with that date's overlays applied."""

    def __init__(self, problem: Problem, timetable: Timetable, on_date: dt.date, day: int,
                 overlays: Sequence[Overlay], absent: Iterable[int] = ()):
        self.problem, self.timetable, self.on_date, self.day = problem, timetable, on_date, day
        T, P = problem.n_teachers, problem.n_periods
        ppd = problem.periods_per_day
        self.busy = np.zeros((T, P), np.int32)  # lectures in progress (a count: clashes undo correctly)
        self.load = np.zeros(T, np.int64)
        self.absent = set(int(a) for a in absent)
        todays = [o for o in overlays if o.on_date == on_date]
        self.away = {o.lecture: o for o in todays if o.lecture is not None}
        self.absent |= {o.absent for o in todays}
        self.marked = {o.absent for o in todays if o.lecture is None}  # recorded absent for the whole day
        for l in np.flatnonzero((timetable.period >= 0) & (timetable.period // ppd == day)):
            self._take(self.holder(int(l)), int(l))

    def _take(self, teacher: int | None, lecture: int, sign: int = 1) -> None:
        if teacher is None:  # an uncovered lecture: nobody teaches it
            return
        c = int(self.problem.lecture_course[lecture])
        for q in _covers(self.problem, int(self.timetable.period[lecture]), c):
            self.busy[teacher, q] += sign
        self.load[teacher] += sign

    def holder(self, lecture: int) -> int | None:
        """Who teaches ``lecture`` on this date: its substitute (None: uncovered), else its course's teacher."""
        o = self.away.get(lecture)
        return o.substitute if o is not None else int(self.problem.course_teacher[self.problem.lecture_course[lecture]])

    def duties(self, teacher: int) -> list[int]:
        """The placed lectures of the day that are ``teacher``'s: their own (also those handed to a
        substitute) and those they took over, by period."""
        p, tt, ppd = self.problem, self.timetable, self.problem.periods_per_day
        mine = set(int(l) for l in np.flatnonzero((tt.period >= 0) & (tt.period // ppd == self.day)
                                                  & (p.course_teacher[p.lecture_course] == teacher)))
        mine |= {l for l, o in self.away.items() if o.substitute == teacher}
        return sorted(mine, key=lambda l: (int(tt.period[l]), l))

    def hand_over(self, lecture: int, substitute: int | None, overlay_id: int = -1) -> None:
        """Record in this state that ``substitute`` takes ``lecture`` (None: nobody; as an overlay
        would; a substitute already recorded for it is replaced)."""
        absent = int(self.problem.course_teacher[self.problem.lecture_course[lecture]])
        self._take(self.holder(lecture), lecture, -1)
        self.away[lecture] = Overlay(overlay_id, self.on_date, lecture, absent, substitute)
        self.absent.add(absent)
        self._take(substitute, lecture)

    def exclusion(self, teacher: int, lecture: int, qual: Qualification) -> str | None:
        """Why ``teacher`` cannot take ``lecture`` on this date (one of :data:`EXCLUSIONS`), or None."""
        p = self.problem
        c = int(p.lecture_course[lecture])
        cover = list(_covers(p, int(self.timetable.period[lecture]), c))
        if teacher in self.absent or teacher == int(p.course_teacher[c]):
            return "absent"
        if (self.busy[teacher, cover] > 0).any():
            return "busy"
        if p.teacher_unavailable[teacher, cover].any():
            return "unavailable"
        limit = int(p.teacher_max_per_day[teacher])
        if limit and self.load[teacher] >= limit:
            return "at their daily limit"
        same_dept, shared = qual.reasons(teacher, c)
        if not same_dept and not shared:
            return "not qualified"
        return None

    def candidates(self, lecture: int, qual: Qualification, labels: dict[str, str] | None = None,
                   limit: int | None = None) -> tuple[list[Candidate], dict[str, int]]:
        """Ranked candidates for ``lecture`` and the number of teachers left out per reason."""
        p = self.problem
        labels = labels or {}
        c = int(p.lecture_course[lecture])
        start = int(self.timetable.period[lecture])
        cover = list(_covers(p, start, c))
        absent_teacher = int(p.course_teacher[c])
        target = int(p.course_department[c]) if p.course_department[c] >= 0 else int(qual.home[absent_teacher])
        excluded = {why: 0 for why in EXCLUSIONS}
        scored = []
        for t in range(p.n_teachers):
            if t == absent_teacher:
                continue
            why = self.exclusion(t, lecture, qual)
            if why is not None:
                excluded[why] += 1
                continue
            same_dept_courses, shared = qual.reasons(t, c)
            same_department = target >= 0 and int(qual.home[t]) == target
            undesired = bool(p.teacher_undesired[t, cover].any())
            cap = int(p.teacher_max_per_day[t])
            reasons = [f"free at {p.period_labels[start]}"]
            if same_department:
                reasons.append(f"same department ({p.department_names[target]})")
            elif qual.home[t] >= 0:
                reasons.append(f"other department ({p.department_names[int(qual.home[t])]})")
            if shared:
                q, other = shared[0]
                reasons.append(f"teaches the same students ({other} in curriculum {q})")
            elif same_dept_courses:
                more = " …" if len(same_dept_courses) > 2 else ""
                reasons.append(f"teaches {', '.join(same_dept_courses[:2])}{more} "
                               f"of {p.department_names[int(p.course_department[c])]}")
            load = int(self.load[t])
            reasons.append(f"{load} lecture(s) that day" + (f", limit {cap}" if cap else ", no daily limit"))
            if undesired:
                reasons.append("prefers not to teach then")
            key = (not same_department, not shared, undesired, load, t)
            scored.append((key, Candidate(p.teacher_names[t], labels.get(p.teacher_names[t], p.teacher_names[t]), 0,
                                          load, cap, same_department, bool(shared), tuple(reasons))))
        scored.sort(key=lambda x: x[0])
        out = [dataclasses.replace(cand, rank=i + 1) for i, (_, cand) in enumerate(scored)]
        return (out[:limit] if limit else out), excluded


# ----------------------------------------------------------------------------- pure proposals
def propose_for(problem: Problem, timetable: Timetable, teacher: int, dates: Sequence[dt.date],
                overlays: Sequence[Overlay], *, labels: dict[str, str] | None = None,
                limit: int | None = 5) -> tuple[list[LectureProposal], list[str]]:
    """Candidates for every lecture of ``teacher`` on ``dates`` (pure: no store).

    Returns the proposals (by date and period) and notes about dates without teaching.
    """
    timetable.check_shape(problem)
    qual = Qualification(problem)
    lc = problem.lecture_course
    out, notes = [], []
    for when in sorted(set(dates)):
        day = day_of(problem, when)
        if day is None:
            notes.append(f"{when.isoformat()} ({when:%A}) is not a teaching day")
            continue
        state = DayState(problem, timetable, when, day, overlays, absent=[teacher])
        mine = state.duties(teacher)
        if not mine:
            notes.append(f"{problem.teacher_names[teacher]} teaches nothing on {when.isoformat()} ({when:%A})")
        for l in mine:
            c = int(lc[l])
            p = int(timetable.period[l])
            room = problem.room_names[int(timetable.room[l])] if timetable.room[l] >= 0 else "(no room)"
            o = state.away.get(l)
            if o is not None and o.substitute is not None and o.substitute != teacher:
                out.append(LectureProposal(when, l, problem.course_names[c], p, _when(problem, p, c), room, (), {},
                                           covered_by=problem.teacher_names[o.substitute], covered_id=o.id))
                continue
            cands, excluded = state.candidates(l, qual, labels, limit)
            out.append(LectureProposal(when, l, problem.course_names[c], p, _when(problem, p, c), room,
                                       tuple(cands), excluded, replaces=None if o is None else o.id))
    return out, notes


# ----------------------------------------------------------------------------- with a store
def _published(store, scenario: str, variant_id: int | None) -> int:
    """The variant substitutions apply to: the scenario's published one (the timetable people follow)."""
    published = store.approvals.published(scenario)
    if published is None:
        raise TimetableError(f"scenario {scenario!r} has no published timetable; substitutions apply to the published "
                             "one (publish a variant first: `tt workflow publish`)")
    if variant_id is not None and int(variant_id) != published:
        raise TimetableError(f"variant #{variant_id} is not the published timetable of {scenario!r} (that is "
                             f"#{published}); substitutions apply to the published one")
    return published


def overlays_of(store, problem: Problem, scenario: str, variant_id: int, *, date_from=None,
                date_to=None) -> tuple[list[Overlay], list[dict]]:
    """The variant's active substitutions as :class:`Overlay` (plus the store's rows)."""
    rows = store.substitutions.list(scenario, variant_id=variant_id, date_from=date_from, date_to=date_to)
    index = {t: i for i, t in enumerate(problem.teacher_names)}
    out = []
    for r in rows:
        if r["absent_teacher"] not in index or (r["substitute"] is not None and r["substitute"] not in index):
            continue  # a teacher renamed or deleted since: the variant is stale anyway
        if r["lecture"] is not None and not 0 <= r["lecture"] < problem.n_lectures:
            continue
        out.append(Overlay(int(r["id"]), r["on_date"], None if r["lecture"] is None else int(r["lecture"]),
                           index[r["absent_teacher"]], None if r["substitute"] is None else index[r["substitute"]]))
    return out, rows


def _teacher(problem: Problem, name: str, what: str = "teacher") -> int:
    if name not in problem.teacher_names:
        close = [t for t in problem.teacher_names if name.lower() in t.lower()][:5]
        raise TimetableError(f"no {what} {name!r} in {problem.name!r}"
                             + (f"; did you mean {', '.join(map(repr, close))}?" if close else ""))
    return problem.teacher_names.index(name)


def _context(store, scenario: str, variant_id: int | None, dates):
    vid = _published(store, scenario, variant_id)
    timetable, info = store.variants.load(vid)
    if info["stale"]:
        raise TimetableError(f"the published variant #{vid} no longer fits scenario {scenario!r} (its data changed "
                             "since); publish a new timetable before recording substitutions")
    problem = store.scenarios.load_problem(scenario)
    dates = parse_dates(dates)
    overlays, _ = overlays_of(store, problem, scenario, vid, date_from=dates[0], date_to=dates[-1])
    overlays = [o for o in overlays if o.on_date in set(dates)]
    return vid, problem, timetable, dates, overlays


def propose(store, scenario: str, teacher: str, dates, *, variant_id: int | None = None, limit: int | None = 5,
            labels: dict[str, str] | None = None, user: str | None = None) -> Proposals:
    """Ranked substitutes for every lecture of ``teacher`` on ``dates`` in the published timetable."""
    from . import auth

    auth.require(store, user, "view")
    vid, problem, timetable, dates, overlays = _context(store, scenario, variant_id, dates)
    t = _teacher(problem, teacher)
    lectures, notes = propose_for(problem, timetable, t, dates, overlays, labels=labels, limit=limit)
    return Proposals(scenario, vid, teacher, tuple(lectures), tuple(notes), tuple(sorted(o.id for o in overlays)),
                     dates)


def apply(store, scenario: str, on_date, lecture: int, substitute: str, *, variant_id: int | None = None,
          replaces: int | None = None, note: str = "", user: str | None = None) -> int:
    """Record that ``substitute`` takes ``lecture`` on ``on_date``; refused (saying why) unless the
    substitute is free, qualified and below their daily limit then. Returns the substitution's id.

    ``replaces``: the id of the lecture's current substitution on that date, when that substitute
    is absent too; it is rolled back in the same transaction.
    """
    from . import auth

    auth.require(store, user, "substitute")
    vid, problem, timetable, (when,), overlays = _context(store, scenario, variant_id, [on_date])
    lecture = int(lecture)
    if not 0 <= lecture < problem.n_lectures or timetable.period[lecture] < 0:
        raise TimetableError(f"the published timetable has no placed lecture {lecture}")
    c = int(problem.lecture_course[lecture])
    absent = int(problem.course_teacher[c])
    day = day_of(problem, when)
    if day is None or int(timetable.period[lecture]) // problem.periods_per_day != day:
        raise TimetableError(f"lecture {lecture} ({problem.course_names[c]}, "
                             f"{problem.period_labels[int(timetable.period[lecture])]}) does not take place on "
                             f"{when.isoformat()} ({when:%A})")
    s = _teacher(problem, substitute, "substitute")
    current = next((o for o in overlays if o.lecture == lecture), None)
    if current is not None and current.substitute is None and replaces is None:
        replaces = current.id  # an uncovered lecture gets its substitute
    if current is not None and current.id != replaces:
        raise TimetableError(f"lecture {lecture} on {when.isoformat()} is already taken by "
                             f"{problem.teacher_names[current.substitute]} (substitution {current.id}); roll that back "
                             f"first, or replace it (--replace {current.id}) when that substitute is absent too")
    if current is None and replaces is not None:
        raise TimetableError(f"substitution {replaces} is not an active substitution of lecture {lecture} on "
                             f"{when.isoformat()}; nothing to replace")
    away = [absent] if current is None or current.substitute is None else [absent, current.substitute]
    state = DayState(problem, timetable, when, day, [o for o in overlays if o is not current], absent=away)
    why = state.exclusion(s, lecture, Qualification(problem))
    if why is not None:
        raise TimetableError(f"{substitute} cannot take {problem.course_names[c]} on {when.isoformat()} at "
                             f"{problem.period_labels[int(timetable.period[lecture])]}: {_why_words(why, problem, s)}")
    (new_id,) = store.substitutions.add(scenario, vid, [{
        "on_date": when, "lecture": lecture, "absent": problem.teacher_names[absent], "substitute": substitute,
        "note": note, "replaces": replaces}], expect_active=[o.id for o in overlays], user=user)
    return new_id


def _why_words(why: str, problem: Problem, teacher: int) -> str:
    return {"absent": "they are absent that day (or teach this course themselves)",
            "busy": "they teach at that time",
            "unavailable": "they are unavailable at that time",
            "at their daily limit": "they already teach their daily maximum of "
                                    f"{int(problem.teacher_max_per_day[teacher])} lecture(s) that day",
            "not qualified": "they teach no course of its department or curriculum"}[why]


def apply_best(store, scenario: str, teacher: str, dates, *, variant_id: int | None = None, note: str = "",
               user: str | None = None) -> tuple[list[int], list[str]]:
    """Record ``teacher`` absent on ``dates`` and give each of their lectures then to its best
    candidate, in one transaction.

    Each choice counts for the next (a substitute taking one lecture is busy for it and one
    lecture nearer their limit). Lectures ``teacher`` was to take over as a substitute are given to
    someone else too (that substitution is replaced). A lecture nobody can take is recorded as
    uncovered, and the absence itself is recorded for each teaching day, so the teacher is never
    proposed as anyone's substitute on those dates. Rolling back every returned id restores the
    state before. Returns the new ids and lines about the lectures left uncovered.
    """
    from . import auth

    auth.require(store, user, "substitute")
    vid, problem, timetable, dates, overlays = _context(store, scenario, variant_id, dates)
    t = _teacher(problem, teacher)
    qual = Qualification(problem)
    lc = problem.lecture_course
    items, left = [], []
    for when in dates:
        day = day_of(problem, when)
        if day is None:
            continue
        state = DayState(problem, timetable, when, day, overlays, absent=[t])
        if t not in state.marked:
            items.append({"on_date": when, "lecture": None, "absent": teacher, "substitute": None, "note": note})
        for l in state.duties(t):
            current = state.away.get(l)
            if current is not None and current.substitute != t:
                continue  # covered already, or recorded as uncovered
            cands, excluded = state.candidates(l, qual, limit=1)
            best = cands[0].teacher if cands else None
            if best is None:
                left.append(f"{when.isoformat()} {problem.course_names[int(lc[l])]} (lecture {l}): nobody free and "
                            f"qualified ({_excluded_text(excluded)})")
            state.hand_over(l, None if best is None else problem.teacher_names.index(best))
            items.append({"on_date": when, "lecture": l, "substitute": best, "note": note,
                          "absent": problem.teacher_names[int(problem.course_teacher[lc[l]])],
                          "replaces": None if current is None else current.id})
    used = {it["on_date"] for it in items}
    ids = store.substitutions.add(scenario, vid, items, expect_active=[o.id for o in overlays if o.on_date in used],
                                  user=user)
    return ids, left


def rollback(store, ids: Sequence[int], *, user: str | None = None) -> None:
    """Roll back substitutions: the timetable shows the regular teacher again on those dates."""
    from . import auth

    auth.require(store, user, "substitute")
    if not ids:
        raise TimetableError("give the id(s) of the substitution(s) to roll back (see `tt substitute list`)")
    store.substitutions.rollback(ids, user=user)


# ----------------------------------------------------------------------------- views
def week_of(when: dt.date) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of the week of ``when``."""
    monday = when - dt.timedelta(days=when.weekday())
    return monday, monday + dt.timedelta(days=6)


def overlay_entries(problem: Problem, entries: list, overlays: Sequence[Overlay], view: str, key: str | None,
                    timetable: Timetable, teacher_labels: dict[str, str] | None = None) -> list:
    """A view's weekly entries (:func:`tt_core.services.weekly_entries`) with one week's overlays.

    Lectures handed to a substitute name them (``"Sub (for Absent, 2025-03-03)"``), uncovered ones
    say so; in the substitute's own view the lectures they take over are added.
    """
    from .views import Entry

    labels = teacher_labels or {}
    name = lambda t: labels.get(problem.teacher_names[t], problem.teacher_names[t])  # noqa: E731
    by_lecture = {o.lecture: o for o in overlays if o.lecture is not None}
    out = []
    for e in entries:
        o = by_lecture.get(e.lecture)
        if o is None:
            out.append(e)
        elif o.substitute is None:
            out.append(dataclasses.replace(e, teacher=f"no substitute: {name(o.absent)} absent "
                                                      f"({o.on_date.isoformat()})"))
        elif view == "teacher" and key == problem.teacher_names[o.absent]:
            out.append(dataclasses.replace(e, teacher=f"{name(o.absent)} → substitute {name(o.substitute)} "
                                                      f"({o.on_date.isoformat()})"))
        else:
            out.append(dataclasses.replace(e, teacher=f"{name(o.substitute)} (for {name(o.absent)}, "
                                                      f"{o.on_date.isoformat()})"))
    if view == "teacher" and key in problem.teacher_names:
        me = problem.teacher_names.index(key)
        shown = {e.lecture for e in entries}
        for o in overlays:
            if o.substitute == me and o.lecture is not None and o.lecture not in shown:
                c = int(problem.lecture_course[o.lecture])
                d, s = divmod(int(timetable.period[o.lecture]), problem.periods_per_day)
                r = int(timetable.room[o.lecture])
                out.append(Entry(problem.course_names[c], problem.room_names[r] if r >= 0 else "(no room)",
                                 f"{name(me)} (for {name(o.absent)}, {o.on_date.isoformat()})", d, s,
                                 int(problem.course_length[c]), int(o.lecture)))
    out.sort(key=lambda e: (e.day, e.slot, e.course, e.lecture))
    return out


def ical_with_substitutions(problem: Problem, timetable: Timetable, view: str, key: str,
                            overlays: Sequence[Overlay], *, start_date, weeks: int, teacher_full_names=None,
                            calendar_name: str | None = None) -> bytes:
    """The calendar of one teacher, curriculum or room (:func:`tt_core.services.ical_for`) with the
    substitutions inside the term applied to their dates (:func:`apply_to_calendar`)."""
    import icalendar

    from .views import ical_for

    first = dt.date.fromisoformat(start_date) if isinstance(start_date, str) else start_date
    if first is None:
        today = dt.date.today()
        first = today + dt.timedelta(days=(7 - today.weekday()) % 7)
    last = first + dt.timedelta(days=7 * int(weeks) - 1)
    me = problem.teacher_names.index(key) if view == "teacher" and key in problem.teacher_names else None
    try:
        data = ical_for(problem, timetable, view, key, start_date=first, weeks=weeks,
                        teacher_full_names=teacher_full_names, calendar_name=calendar_name)
        cal = icalendar.Calendar.from_ical(data)
    except TimetableError:
        if me is None or not any(o.substitute == me and first <= o.on_date <= last for o in overlays):
            raise
        cal = _empty_calendar(f"{calendar_name or problem.name}: teacher {key}")  # a substitute without lectures
    apply_to_calendar(cal, problem, timetable, view, key, overlays, first=first, last=last,
                      teacher_full_names=teacher_full_names)
    return cal.to_ical()


def _empty_calendar(name: str):
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", "-//timetable studio//tt_core.substitution//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    return cal


def apply_to_calendar(cal, problem: Problem, timetable: Timetable, view: str, key: str, overlays: Sequence[Overlay],
                      *, first: dt.date, last: dt.date, teacher_full_names=None, tz: str | None = None) -> int:
    """Apply the substitutions dated ``first``..``last`` to a calendar written by
    :func:`tt_core.io.ical.export_ical` for one teacher, curriculum or room (in place).

    The absent teacher's weekly event gets an ``EXDATE`` for the date; the substitute gets a one-off
    event; a curriculum's or room's calendar gets an override (``RECURRENCE-ID``) naming the
    substitute (``STATUS:CANCELLED`` when the lecture is uncovered). Every other week is unchanged.
    ``tz``: the time zone the calendar's times are in (None: floating local times). Returns the
    number of changes.
    """
    import icalendar

    from .io.ical import grid_times

    zone = None
    if tz:
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(tz)
    inside = [o for o in overlays if first <= o.on_date <= last and o.lecture is not None]
    me = problem.teacher_names.index(key) if view == "teacher" and key in problem.teacher_names else None
    full = list(teacher_full_names) if teacher_full_names else [""] * problem.n_teachers

    def label(t: int) -> str:
        name = problem.teacher_names[t]
        return f"{full[t]} ({name})" if full[t] and full[t] != name else name

    grid = grid_times(problem)
    events = {}
    for ev in cal.walk("VEVENT"):
        uid = str(ev.get("uid", ""))
        if "-lecture-" in uid and "recurrence-id" not in ev and not uid.startswith("substitution-"):
            try:
                events[int(uid.split("-lecture-", 1)[1].split("@", 1)[0])] = ev
            except ValueError:
                continue
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
    changes = 0
    for o in sorted(inside, key=lambda o: (o.on_date, o.lecture)):
        c = int(problem.lecture_course[o.lecture])
        p = int(timetable.period[o.lecture])
        cover = _covers(problem, p, c)
        begin = dt.datetime.combine(o.on_date, dt.time(grid.start[p] // 60, grid.start[p] % 60), tzinfo=zone)
        finish = begin + dt.timedelta(minutes=grid.end[cover[-1]] - grid.start[p])
        room = problem.room_names[int(timetable.room[o.lecture])] if timetable.room[o.lecture] >= 0 else ""
        text = (f"Teacher: {label(o.substitute)} (substituting for {label(o.absent)})" if o.substitute is not None else
                f"No substitute: {label(o.absent)} is absent") + f"\nPeriod: {problem.period_labels[p]}"
        if me is not None and me == o.absent and o.lecture in events:
            events[o.lecture].add("exdate", begin)
        elif me is not None and me == o.substitute:
            ev = icalendar.Event()
            ev.add("uid", f"substitution-{o.id}-lecture-{o.lecture}@{problem.name}.timetable-studio")
            ev.add("dtstamp", stamp)
            ev.add("dtstart", begin)
            ev.add("dtend", finish)
            ev.add("summary", f"{problem.course_names[c]} (substitution)")
            ev.add("location", room)
            ev.add("description", text)
            cal.add_component(ev)
        elif o.lecture in events:
            base = events[o.lecture]
            ev = icalendar.Event()
            ev.add("uid", str(base["uid"]))
            ev.add("dtstamp", stamp)
            ev.add("recurrence-id", begin)
            ev.add("dtstart", begin)
            ev.add("dtend", finish)
            summary = str(base.get("summary", problem.course_names[c]))
            ev.add("summary", summary if o.substitute is not None else f"{summary} (cancelled)")
            ev.add("location", room)
            ev.add("description", text)
            if o.substitute is None:
                ev.add("status", "CANCELLED")
            cal.add_component(ev)
        else:
            continue
        changes += 1
    return changes


def apply_to_ical_folder(folder, problem: Problem, timetable: Timetable, overlays: Sequence[Overlay], *,
                         start_date, weeks: int, teacher_full_names=None, calendar_name: str | None = None,
                         tz: str | None = None) -> int:
    """Apply the substitutions inside the term to a folder written by
    :func:`tt_core.io.ical.export_ical` (``teachers/``, ``curricula/``, ``rooms/``); a substitute
    without a calendar of their own gets one. Returns the number of files changed or added."""
    from pathlib import Path

    import icalendar

    from .io.atomic import write_atomic
    from .io.ical import _slug

    first = dt.date.fromisoformat(start_date) if isinstance(start_date, str) else start_date
    last = first + dt.timedelta(days=7 * int(weeks) - 1)
    if not any(first <= o.on_date <= last and o.lecture is not None for o in overlays):
        return 0
    folder = Path(folder)
    names = {"teachers": ("teacher", problem.teacher_names), "curricula": ("curriculum", problem.curriculum_names),
             "rooms": ("room", problem.room_names)}
    touched, seen_teachers = 0, set()
    for sub, (word, items) in names.items():
        for path in sorted((folder / sub).glob("*.ics")):
            cal = icalendar.Calendar.from_ical(path.read_bytes())
            shown = str(cal.get("x-wr-calname", "")).split(f": {word} ", 1)[-1]
            key = shown if shown in items else next((k for k in items if shown.endswith(f"({k})")), None)
            if key is None:
                continue
            if word == "teacher":
                seen_teachers.add(key)
            if apply_to_calendar(cal, problem, timetable, word, key, overlays, first=first, last=last,
                                 teacher_full_names=teacher_full_names, tz=tz):
                write_atomic(path, cal.to_ical())
                touched += 1
    for t in sorted({o.substitute for o in overlays if o.substitute is not None and o.lecture is not None
                     and first <= o.on_date <= last}):
        key = problem.teacher_names[t]
        if key in seen_teachers:
            continue
        cal = _empty_calendar(f"{calendar_name or problem.name}: teacher {key}")
        apply_to_calendar(cal, problem, timetable, "teacher", key, overlays, first=first, last=last,
                          teacher_full_names=teacher_full_names, tz=tz)
        path = folder / "teachers" / f"{_slug(key)}.ics"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, cal.to_ical())
        touched += 1
    return touched
