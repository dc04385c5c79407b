"""The temperature: where the schedule starts, how it falls with the clock, when it restarts.

``T(t) = T_hi · (T_min / T_hi)^((t − t_start) / (t_end − t_start))`` over the fraction ``t`` of the
budget (time, or iterations when they are fixed) within a cycle ``t_start .. t_end``, so every
budget gets full cooling. The budget is split into planned cycles (as many as its length affords,
:func:`cycles_for`; the first one at least as long as its descent needs,
:func:`first_share`), each later one from the best timetable so far; with a single cycle, one that
stagnates while cold restarts from the best timetable at half its starting temperature.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ... import constraints as K
from ...kernels.incremental import delta_move

CYCLE_SECONDS = 0.115  # seconds of annealing per movable lecture one planned cycle needs (cycles_for)
FIRST_FACTOR = 2.0     # the first cycle's descent needs this many times a later cycle's time (first_share)
FIRST_MOST = 0.65      # the largest share of the budget the first of several cycles takes
ROUNDING = 1e-9        # budget fractions this close to a planned cycle end count as on it


def cycles_for(seconds: float, lectures: int, most: int, per_lecture: float = CYCLE_SECONDS) -> int:
    """How many planned cycles ``seconds`` of annealing over ``lectures`` movable lectures afford:
    one per ``per_lecture`` seconds of each lecture, at least one, at most ``most``.

    Cycles pay only where one cooling converges well before its end. At 60 s comp05 (152
    lectures, 0.37 s each) gained with three (322.75 → 311.9, 8 seeds) while comp02/06/07
    (0.14–0.21 s) lost 0.6–1.9 each; at 20 s three cycles lost on all four of comp02/05/06/07 (sum
    of means over 16 seeds 443.1 → 455.8). At 0.115 s a cycle, comp01/05 get three cycles at 60 s,
    comp03 two, comp02/04/06/07 one; every ITC2007 instance one at 20 s and three at 300 s.

    The rule reads the budget, fixed before the annealing starts, rather than the speed measured
    within the run (steps per lecture would carry over between machines better): the speed of the
    first, hot 5% of a run varies by 10–25% between runs, and changing the plan then — three
    cycles planned for the first second of a 20-s run, then one — cost comp02 52.0 against 45.0
    (5 seeds): early on, a temperature that jumps does lasting harm."""
    return int(max(1, min(int(most), seconds // (per_lecture * max(1, lectures)))))


def first_share(seconds: float, lectures: int, cycles: int, per_lecture: float = CYCLE_SECONDS) -> float:
    """The share of ``seconds`` of annealing the first of ``cycles`` planned cycles takes: an equal
    share, or, of three or more cycles, more where an equal share leaves it under
    :data:`FIRST_FACTOR` × ``per_lecture`` seconds (what a later cycle needs, :func:`cycles_for`) per
    movable lecture, up to :data:`FIRST_MOST`; the later cycles split the rest.

    The first cycle is the descent from the start, the later ones are shorter, cooler ones from the
    best timetable (``reheat``). On comp05 at 60 s (152 lectures, three cycles of 18 s) the first
    cycle ended at 333-342 and the later two found nothing more in two traced runs; a first cycle
    of 65% of the budget (0.235 s a lecture), the others splitting the rest, scored 311.5 / 314.1 /
    312.25 against 321.9 / 319.25 / 332.0 for equal cycles (means of seeds 1-8, 9-16 and 1-8 again,
    interleaved on one day each); one cycle alone 322.4 (same day as the last pair). At 0.23 s a
    lecture every ITC2007 instance keeps equal cycles at 300 s, where its equal share is ~100 s (a
    first cycle of 65% at 300 s scored 492 in one both-cores run, against 479 and 485 for equal
    cycles); at 60 s comp05 gets a first cycle of 35 s of its 55 (seeds 17-24 on 2026-12-07: 315.6
    against 323.9 for equal cycles). Two cycles keep equal halves: comp03, two cycles at 60 s, lost
    with a 65% first one, 75.5 against 73.25 (seeds 1-8) and 76.9 against 74.1 (seeds 17-24)."""
    cycles = max(1, int(cycles))
    if cycles < 3:
        return 1.0 / cycles  # one cycle; or two, where the second's half measured better (below)
    need = FIRST_FACTOR * per_lecture * max(1, lectures) / max(seconds, 1e-9)
    return float(max(1.0 / cycles, min(FIRST_MOST, need)))


def start_temperature(problem, ka, st, movable, suit_ptr, suit_idx, w, du, rng) -> float:
    """0.8 × the median uphill soft step of random moves (2–20 on the ITC instances): mobile
    enough to escape local optima without spending the budget on a random walk. Measured at 20 s,
    4 instances × 4 seeds, sum of means: 0.2× 590, 0.4× 503, 0.8× 471, 1.2× 485, 1.8× 499."""
    samples = []
    for _ in range(200):
        l = int(movable[rng.integers(len(movable))])
        c = problem.lecture_course[l]
        p = int(rng.integers(problem.days)) * problem.periods_per_day + int(
            rng.integers(problem.periods_per_day - problem.course_length[c] + 1))
        r = int(suit_idx[suit_ptr[c] + rng.integers(suit_ptr[c + 1] - suit_ptr[c])])
        delta_move(ka, st, l, p, r, du)
        v = float(du[~K.HARD_MASK] @ w[~K.HARD_MASK])
        if v > 0:
            samples.append(v)
    return float(np.clip(0.8 * np.median(samples), 1.0, 20.0)) if samples else 4.0


@dataclass
class Schedule:
    """A geometric cooling from ``t_hi`` to ``t_min`` per cycle. The budget is split into planned
    cycles (:meth:`planned`), each from the best timetable so far; with one cycle, a cycle that
    stagnates while cold restarts instead (:meth:`stagnated`, :meth:`restart`)."""

    t_hi: float
    t_min: float
    cycle_start: float = 0.0   # the fraction of the budget where the current cycle began
    restarts: int = 0
    ends: tuple[float, ...] = (1.0,)  # where the planned cycles end (the last at 1.0)

    @classmethod
    def planned(cls, t_hi: float, t_min: float, start: float, cycles: int, first: float | None = None) -> Schedule:
        """``cycles`` cycles over the fractions ``start .. 1`` of the budget: the first takes the
        share ``first`` of that span (default: an equal share, see :func:`first_share`), the later
        ones split the rest equally (the first cycle's cooling counts from 0: construction and
        repair had the budget until ``start``)."""
        cycles = max(1, int(cycles))
        if cycles == 1:
            return cls(t_hi, t_min, cycle_start=0.0, ends=(1.0,))
        share = 1.0 / cycles if first is None else float(first)
        if not 0.0 < share < 1.0:
            raise ValueError(f"the first cycle's share must lie strictly between 0 and 1 (got {first})")
        e1 = start + (1.0 - start) * share
        later = tuple(e1 + (1.0 - e1) * (k + 1) / (cycles - 1) for k in range(cycles - 2))
        return cls(t_hi, t_min, cycle_start=0.0, ends=(e1, *later, 1.0))

    @property
    def cycles(self) -> int:
        """How many cycles were planned (restarts of a single cycle not counted)."""
        return len(self.ends)

    @property
    def cycle_end(self) -> float:
        """The fraction of the budget where the current cycle ends: the first planned end after its start."""
        return next((e for e in self.ends if e > self.cycle_start + ROUNDING), self.ends[-1])

    def window(self, frac0: float, frac1: float) -> tuple[float, float]:
        """The temperatures at the start and the end of a chunk spanning ``frac0 .. frac1``."""
        span = max(1e-9, self.cycle_end - self.cycle_start)
        ta = self.t_hi * (self.t_min / self.t_hi) ** ((frac0 - self.cycle_start) / span)
        tb = self.t_hi * (self.t_min / self.t_hi) ** min(1.0, (frac1 - self.cycle_start) / span)
        return max(ta, 1e-6), max(tb, 1e-6)

    def cycle_due(self, frac: float) -> bool:
        """A planned cycle ended at ``frac`` and another one follows (within rounding, as in
        :attr:`cycle_end`: a fixed step count lands on the ends, which the arithmetic of
        :meth:`planned` may put an ulp beyond)."""
        return frac >= self.cycle_end - ROUNDING and self.cycle_end < self.ends[-1]

    def next_cycle(self, frac: float, t_hi: float) -> None:
        """A new cycle from ``frac``, starting at ``t_hi`` (the next planned one, or a restart)."""
        self.restarts += 1
        self.cycle_start = frac
        self.t_hi = t_hi

    def stagnated(self, *, idle: float, now: float, time_limit: float, ta: float) -> bool:
        """One planned cycle and no better timetable for 15% of the budget while cold, with time
        left for a new cycle."""
        return (self.cycles == 1 and idle > 0.15 * time_limit and now < 0.85 * time_limit
                and ta < 0.2 * self.t_hi)

    def restart(self, fraction: float) -> None:
        """A new cycle from ``fraction`` of the budget, at half the starting temperature."""
        self.next_cycle(fraction, max(self.t_min * 4, self.t_hi * 0.5))
