"""The temperature: where the schedule starts, how it falls with the clock, when it restarts.

``T(t) = T_hi · (T_min / T_hi)^((t − t_cycle) / (1 − t_cycle))`` over the fraction ``t`` of the
budget (time, or iterations when they are fixed), so every budget gets a full schedule; a cycle
that stagnates while cold restarts from the best timetable at half its starting temperature.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ... import constraints as K
from ...kernels.incremental import delta_move


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
    """A geometric cooling from ``t_hi`` to ``t_min`` over the rest of the budget, restartable."""

    t_hi: float
    t_min: float
    cycle_start: float = 0.0   # the fraction of the budget where the current cycle began
    restarts: int = 0

    def window(self, frac0: float, frac1: float) -> tuple[float, float]:
        """The temperatures at the start and the end of a chunk spanning ``frac0 .. frac1``."""
        span = max(1e-9, 1.0 - self.cycle_start)
        ta = self.t_hi * (self.t_min / self.t_hi) ** ((frac0 - self.cycle_start) / span)
        tb = self.t_hi * (self.t_min / self.t_hi) ** min(1.0, (frac1 - self.cycle_start) / span)
        return max(ta, 1e-6), max(tb, 1e-6)

    def stagnated(self, *, idle: float, now: float, time_limit: float, ta: float) -> bool:
        """No better timetable for 15% of the budget while cold, with time left for a new cycle."""
        return idle > 0.15 * time_limit and now < 0.85 * time_limit and ta < 0.2 * self.t_hi

    def restart(self, fraction: float) -> None:
        """A new cycle from ``fraction`` of the budget, at half the starting temperature."""
        self.restarts += 1
        self.cycle_start = fraction
        self.t_hi = max(self.t_min * 4, self.t_hi * 0.5)
