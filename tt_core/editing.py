"""Manual editing of a timetable with live feedback: move or swap lectures, see the change of every
constraint at once, undo and redo, and ask where a lecture could go.

Planners fix the last details of a generated timetable by hand, and want to see at once what a
move breaks (UniTime and FET users ask for it first). An :class:`EditSession` keeps the timetable in the
incremental state of :mod:`tt_core.kernels.incremental`, so a move's effect is a delta evaluation
in microseconds, and it is exact: the session's units always equal a full
:func:`~tt_core.cost.evaluate` of its timetable (the kernels' delta is ``full(after) -
full(before)``; tests check it over random move sequences with undo).

Edits are plain records (:class:`Edit`: the lectures moved, from where to where, and the
:class:`Delta` per constraint), kept on an undo and a redo stack, so undoing is replaying the
inverse moves. :meth:`EditSession.suggest` ranks every placement of a lecture — a free
``(period, room)`` or one taken by another lecture that then swaps into the lecture's place — by
the change of hard violations, then of weighted soft cost, and explains each by the constraints it
changes (UniTime's "where can this class go?").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import constraints as K
from .cost import CostReport, Violation, check_timetable, explain, resolve_weights
from .errors import TimetableError
from .facts import lecture_label
from .kernels.incremental import IncrementalEvaluator
from .model import Problem, Timetable


# ====================================================================== records
@dataclass(frozen=True, eq=False)
class Delta:
    """The change of every constraint's units caused by an edit (or a series of edits).

    Attributes
    ----------
    units : numpy.ndarray
        int64 [N]: units after minus units before, per constraint (``tt_core.constraints``).
    weights : numpy.ndarray
        float64 [N]: the weights the soft change is counted with.
    """

    units: np.ndarray
    weights: np.ndarray = field(repr=False)

    @property
    def hard(self) -> int:
        """Change of the number of hard violations."""
        return int(self.units[K.HARD_MASK].sum())

    @property
    def soft(self) -> float:
        """Change of the weighted soft cost."""
        soft = ~K.HARD_MASK
        value = float(np.dot(self.units[soft], self.weights[soft]))
        return int(value) if value.is_integer() else value

    @property
    def zero(self) -> bool:
        return not self.units.any()

    def changes(self) -> list[tuple[str, int, float]]:
        """``(constraint, units change, weighted change)`` of each constraint that changes.

        Hard constraints are counted in units (their weighted change is the units change).
        """
        out = []
        for i in np.flatnonzero(self.units):
            u = int(self.units[i])
            out.append((K.NAMES[i], u, float(u) if K.HARD_MASK[i] else float(u * self.weights[i])))
        return out

    def text(self) -> str:
        """``"hard +1 (Conflicts +1); soft −3 (CurriculumCompactness −4, RoomStability +1)"``,
        or ``"no change"``."""
        if self.zero:
            return "no change"
        hard = [f"{n} {_signed(u)}" for n, u, _ in self.changes() if K.HARD_MASK[K.index_of(n)]]
        soft = [f"{n} {_signed(c)}" for n, _, c in self.changes() if not K.HARD_MASK[K.index_of(n)]]
        parts = []
        if hard:
            parts.append(f"hard {_signed(self.hard)} ({', '.join(hard)})")
        if soft:
            parts.append(f"soft {_signed(self.soft)} ({', '.join(soft)})")
        elif not hard:
            parts.append("soft 0")
        return "; ".join(parts)

    def __add__(self, other: Delta) -> Delta:
        return Delta(self.units + other.units, self.weights)


def _signed(x) -> str:
    x = float(x)
    text = str(int(x)) if x.is_integer() else f"{x:g}"
    return ("+" + text if x > 0 else text).replace("-", "−")


@dataclass(frozen=True)
class Move:
    """One lecture changing place: from ``(old_period, old_room)`` to ``(period, room)``; -1 = unplaced."""

    lecture: int
    period: int
    room: int
    old_period: int
    old_room: int

    def inverse(self) -> Move:
        return Move(self.lecture, self.old_period, self.old_room, self.period, self.room)


@dataclass(frozen=True)
class Edit:
    """One user action (a move or a swap): the lectures it moved and what it changed."""

    moves: tuple[Move, ...]
    delta: Delta
    text: str


@dataclass(frozen=True)
class Suggestion:
    """A place lecture ``lecture`` could go: ``(period, room)``; when ``other`` is not None that
    place is taken by lecture ``other``, which then moves into the lecture's current place."""

    lecture: int
    period: int
    room: int
    other: int | None
    delta: Delta
    text: str

    @property
    def key(self) -> tuple:
        """The ranking: fewer hard violations, then lower soft cost; moves before swaps; then by
        period, room and the other lecture, so equal costs are listed in a fixed order."""
        return rank_key(self.delta, self.period, self.room, self.other)


def rank_key(delta: Delta, period: int, room: int, other: int | None) -> tuple:
    """The order of :meth:`EditSession.suggest` (see :attr:`Suggestion.key`)."""
    return (delta.hard, delta.soft, other is not None, period, room, -1 if other is None else other)


# ====================================================================== places in words
def place_text(problem: Problem, period: int, room: int) -> str:
    """``"Mon 09:00, room R1"`` (``"unplaced"`` for -1)."""
    if period < 0 or room < 0:
        return "unplaced"
    return f"{problem.period_labels[period]}, room {problem.room_names[room]}"


def lecture_options(problem: Problem, timetable: Timetable, lectures=None) -> dict[str, int]:
    """``{label: lecture id}`` for a picker: ``"CS101 #2 · Mon 09:00, room R1"``, in course order."""
    ids = range(problem.n_lectures) if lectures is None else lectures
    out = {}
    ptr = problem.course_lecture_ptr
    for l in ids:
        c = int(problem.lecture_course[l])
        label = (f"{problem.course_names[c]} #{int(l) - int(ptr[c]) + 1} · "
                 f"{place_text(problem, int(timetable.period[l]), int(timetable.room[l]))}")
        out[label] = int(l)
    return out


# ====================================================================== the session
class EditSession:
    """A timetable being edited by hand, with exact incremental costs, undo and redo.

    Parameters
    ----------
    problem : Problem
    timetable : Timetable
        The starting point (copied; the caller's object is not changed).
    weights : array, dict or None
        Constraint weights for the soft cost (:func:`~tt_core.cost.resolve_weights`).
    source : int, optional
        The stored variant the timetable came from (the parent of a saved result).

    Examples
    --------
    >>> s = EditSession(problem, timetable)            # doctest: +SKIP
    >>> s.preview_move(3, period=7, room=1).text()      # what it would change, nothing applied
    >>> s.move(3, period=7, room=1); s.undo(); s.redo()
    >>> s.suggest(3, n=5)                               # best places for lecture 3
    """

    def __init__(self, problem: Problem, timetable: Timetable, weights=None, *, source: int | None = None):
        check_timetable(problem, timetable)
        self.problem = problem
        self.weights = resolve_weights(weights)
        self.source = source
        self._ev = IncrementalEvaluator(problem, timetable)
        self._start = self._ev.timetable()  # half-placed lectures (a period but no room) count as unplaced
        self._start_units = self._ev.units
        self._undo: list[Edit] = []
        self._redo: list[Edit] = []

    # ------------------------------------------------------------------ state
    @property
    def timetable(self) -> Timetable:
        """The current timetable (a copy)."""
        return self._ev.timetable()

    @property
    def start(self) -> Timetable:
        """The timetable the session started from (a copy)."""
        return self._start.copy()

    @property
    def units(self) -> np.ndarray:
        """Current units per constraint (equal to a full evaluation of :attr:`timetable`)."""
        return self._ev.units

    def report(self) -> CostReport:
        """The current cost report, from the incremental units (no full evaluation)."""
        return CostReport(self.problem, self.timetable, self.units, self.weights)

    def change(self) -> Delta:
        """Everything the edits so far changed, per constraint, against the starting timetable."""
        return Delta(self.units - self._start_units, self.weights)

    @property
    def history(self) -> list[Edit]:
        """The edits in force, oldest first (undone ones are not listed)."""
        return list(self._undo)

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def edited(self) -> bool:
        """True when the timetable differs from the starting one."""
        return self.timetable != self._start

    def placement(self, lecture: int) -> tuple[int, int]:
        """``(period, room)`` of a lecture now (-1 = unplaced)."""
        self._check_lecture(lecture)
        st = self._ev.state
        return int(st.period[lecture]), int(st.room[lecture])

    def moved(self) -> np.ndarray:
        """Ids of the lectures placed differently from the starting timetable."""
        st = self._ev.state
        return np.flatnonzero((st.period != self._start.period) | (st.room != self._start.room))

    def hard_violations(self) -> list[Violation]:
        """The hard violations of the current timetable, each in words (``cost.explain``)."""
        return [v for v in explain(self.problem, self.timetable) if v.hard]

    # ------------------------------------------------------------------ checks
    def _check_lecture(self, lecture) -> int:
        l = int(lecture)
        if not 0 <= l < self.problem.n_lectures:
            raise TimetableError(f"lecture {lecture} does not exist: {self.problem.name} has lectures "
                                 f"0..{self.problem.n_lectures - 1}")
        return l

    def _check_place(self, period, room) -> tuple[int, int]:
        p, r = int(period), int(room)
        if (p < 0) != (r < 0):
            raise TimetableError("give both a period and a room (or neither, to unplace the lecture)")
        if p >= self.problem.n_periods:
            raise TimetableError(f"period {p} is outside the week (0..{self.problem.n_periods - 1})")
        if r >= self.problem.n_rooms:
            raise TimetableError(f"room {r} does not exist (0..{self.problem.n_rooms - 1})")
        return (p, r) if p >= 0 else (-1, -1)

    # ------------------------------------------------------------------ previews (nothing changes)
    def preview_move(self, lecture: int, period: int, room: int) -> Delta:
        """What moving ``lecture`` to ``(period, room)`` would change; the timetable stays as it is."""
        l = self._check_lecture(lecture)
        p, r = self._check_place(period, room)
        return Delta(self._ev.delta_move(l, p, r), self.weights)

    def preview_swap(self, lecture: int, other: int) -> Delta:
        """What exchanging the places of two lectures would change; nothing is applied."""
        a, b = self._check_lecture(lecture), self._check_lecture(other)
        return Delta(self._ev.delta_swap(a, b), self.weights)

    # ------------------------------------------------------------------ edits
    def move(self, lecture: int, period: int, room: int) -> Edit:
        """Move ``lecture`` to ``(period, room)`` (``-1, -1`` unplaces it) and keep it."""
        l = self._check_lecture(lecture)
        p, r = self._check_place(period, room)
        p0, r0 = self.placement(l)
        if (p, r) == (p0, r0):
            raise TimetableError(f"{lecture_label(self.problem, l)} is already at "
                                 f"{place_text(self.problem, p, r)}")
        mv = Move(l, p, r, p0, r0)
        delta = Delta(self._ev.apply_move(l, p, r), self.weights)
        text = (f"{lecture_label(self.problem, l)}: {place_text(self.problem, p0, r0)} → "
                f"{place_text(self.problem, p, r)}")
        return self._record(Edit((mv,), delta, text))

    def swap(self, lecture: int, other: int) -> Edit:
        """Exchange the places of two lectures and keep it."""
        a, b = self._check_lecture(lecture), self._check_lecture(other)
        if a == b:
            raise TimetableError("pick two different lectures to swap")
        pa, ra = self.placement(a)
        pb, rb = self.placement(b)
        delta = Delta(self._ev.apply_swap(a, b), self.weights)
        text = (f"swapped {lecture_label(self.problem, a)} ({place_text(self.problem, pa, ra)}) with "
                f"{lecture_label(self.problem, b)} ({place_text(self.problem, pb, rb)})")
        return self._record(Edit((Move(a, pb, rb, pa, ra), Move(b, pa, ra, pb, rb)), delta, text))

    def apply(self, suggestion: Suggestion) -> Edit:
        """Carry out a :class:`Suggestion` (a move, or a swap with the lecture in its place)."""
        if suggestion.other is None:
            return self.move(suggestion.lecture, suggestion.period, suggestion.room)
        return self.swap(suggestion.lecture, suggestion.other)

    def _record(self, edit: Edit) -> Edit:
        self._undo.append(edit)
        self._redo.clear()
        return edit

    def _replay(self, moves) -> np.ndarray:
        """Apply moves one after another (unplacing all first, so that a swap's lectures never
        pass through each other's place); returns the summed units delta."""
        total = np.zeros(K.N_CONSTRAINTS, np.int64)
        for mv in moves:
            total += self._ev.apply_move(mv.lecture, -1, -1)
        for mv in moves:
            if mv.period >= 0:
                total += self._ev.apply_move(mv.lecture, mv.period, mv.room)
        return total

    def undo(self) -> Edit:
        """Take back the last edit; returns it (raises when there is nothing to undo)."""
        if not self._undo:
            raise TimetableError("nothing to undo")
        edit = self._undo.pop()
        self._replay([mv.inverse() for mv in reversed(edit.moves)])
        self._redo.append(edit)
        return edit

    def redo(self) -> Edit:
        """Do the last undone edit again; returns it (raises when there is nothing to redo)."""
        if not self._redo:
            raise TimetableError("nothing to redo")
        edit = self._redo.pop()
        self._replay(edit.moves)
        self._undo.append(edit)
        return edit

    # ------------------------------------------------------------------ where could it go?
    def candidates(self, lecture: int, *, swaps: bool = True) -> list[tuple[int, int, int | None]]:
        """Every place :meth:`suggest` considers for ``lecture``: ``(period, room, other)``.

        Periods where a lecture of its length fits the day, every room, except its current place;
        and, with ``swaps``, for each lecture of another course starting at such a place, the
        swap with it (only when the lecture is placed, so the other one has somewhere to go).
        """
        l = self._check_lecture(lecture)
        pb = self.problem
        c = int(pb.lecture_course[l])
        L = int(pb.course_length[c])
        p0, r0 = self.placement(l)
        st = self._ev.state
        fits = [p for p in range(pb.n_periods) if p % pb.periods_per_day + L <= pb.periods_per_day]
        out: list[tuple[int, int, int | None]] = [(p, r, None) for p in fits for r in range(pb.n_rooms)
                                                  if (p, r) != (p0, r0)]
        if swaps and p0 >= 0:
            fit = set(fits)
            others = np.flatnonzero((st.period >= 0) & (pb.lecture_course != c))
            for o in others:
                p, r = int(st.period[o]), int(st.room[o])
                if p in fit and (p, r) != (p0, r0):
                    out.append((p, r, int(o)))
        return out

    def suggest(self, lecture: int, n: int = 10, *, swaps: bool = True) -> list[Suggestion]:
        """The best ``n`` places for ``lecture``, ranked by :attr:`Suggestion.key`, each explained.

        Every candidate of :meth:`candidates` is scored by an exact delta evaluation (the
        timetable is left as it is).
        """
        l = self._check_lecture(lecture)
        st = self._ev.state
        scored = []
        for p, r, o in self.candidates(l, swaps=swaps):
            units = self._ev.delta_move(l, p, r) if o is None else self._ev.delta_swap(l, o)
            scored.append((p, r, o, Delta(units, self.weights)))
        scored.sort(key=lambda x: rank_key(x[3], x[0], x[1], x[2]))
        p0, r0 = int(st.period[l]), int(st.room[l])
        out = []
        for p, r, o, delta in scored[:max(0, int(n))]:
            where = place_text(self.problem, p, r)
            if o is None:
                text = f"move to {where}: {delta.text()}"
            else:
                text = (f"move to {where}, moving {lecture_label(self.problem, o)} to "
                        f"{place_text(self.problem, p0, r0)}: {delta.text()}")
            out.append(Suggestion(l, p, r, o, delta, text))
        return out


__all__ = ["Delta", "Move", "Edit", "Suggestion", "EditSession", "place_text", "lecture_options", "rank_key"]
