"""What every solver shares: progress events, stopping criteria and the result type.

Progress follows the callbacks pattern (PyVRP): a solver calls ``progress(event)`` at least every
0.5 s; printing, the DuckDB writer, tqdm bars and apps are just subscribers. ``stop`` is any object
with ``is_set()`` (a ``threading.Event``, a ``multiprocessing.Event``, a Dask ``Event`` wrapper …).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ..model import Timetable


@dataclass(frozen=True)
class ProgressEvent:
    """One progress report of a running solve."""

    stage: str            # e.g. "construct", "anneal", "stage 1: departments"
    fraction: float       # 0..1 of the time budget used
    best_cost: float      # weighted soft cost of the best timetable so far (inf if none yet)
    hard_violations: int  # hard units of the best timetable so far
    elapsed: float        # seconds since the solve started
    eta: float            # seconds left (budget based)
    message: str = ""
    # the best timetable so far, when the solver has it at hand (the job runner checkpoints it)
    timetable: Timetable | None = field(default=None, repr=False, compare=False)


ProgressCallback = Callable[[ProgressEvent], None]


class StopFlag(Protocol):
    def is_set(self) -> bool: ...


class NeverStop:
    """A stop flag that is never set (the default)."""

    def is_set(self) -> bool:
        return False


@dataclass
class Deadline:
    """Wall-clock budget plus an optional user stop flag: ``done()`` polls both."""

    time_limit: float
    stop: StopFlag | None = None
    start: float = field(default_factory=time.perf_counter)

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def remaining(self) -> float:
        return max(0.0, self.time_limit - self.elapsed())

    def fraction(self) -> float:
        return min(1.0, self.elapsed() / self.time_limit) if self.time_limit > 0 else 1.0

    def stopped(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    def done(self) -> bool:
        return self.stopped() or self.elapsed() >= self.time_limit

    def is_set(self) -> bool:
        """``done()``: a deadline is also a stop flag, for a phase that takes one."""
        return self.done()

    def event(self, stage: str, best_cost: float, hard: int, message: str = "",
              timetable: Timetable | None = None) -> ProgressEvent:
        el = self.elapsed()
        return ProgressEvent(stage=stage, fraction=self.fraction(), best_cost=float(best_cost),
                             hard_violations=int(hard), elapsed=el,
                             eta=max(0.0, self.time_limit - el), message=message, timetable=timetable)


@dataclass
class SolveResult:
    """The outcome of a solve: best timetable, its cost report, a trace and statistics."""

    timetable: Timetable
    report: CostReport  # noqa: F821  (tt_core.cost.CostReport)
    strategy: str
    seed: int
    elapsed: float
    trace: list[tuple[float, float, int]] = field(default_factory=list)  # (elapsed, soft cost, hard)
    stats: dict = field(default_factory=dict)
    stopped: bool = False  # True when a user's stop ended it early

    @property
    def cost(self) -> float:
        return self.report.soft_cost

    @property
    def hard_violations(self) -> int:
        return self.report.hard_violations

    @property
    def feasible(self) -> bool:
        return self.report.hard_violations == 0


def check_pinned(problem, pinned, initial) -> np.ndarray:
    """Validate ``pinned`` (a flag per lecture) and ``initial`` against ``problem``; returns the
    flags as a bool array (all False when ``pinned`` is None)."""
    from ..errors import TimetableError

    L = problem.n_lectures
    if pinned is None:
        flags = np.zeros(L, bool)
    else:
        flags = np.asarray(pinned, bool)
        if flags.shape != (L,):
            raise TimetableError(f"pinned must have one flag per lecture ({L}), got shape {flags.shape}")
        if flags.any() and initial is None:
            raise TimetableError("pinned lectures need an initial timetable that says where they are pinned")
    if initial is not None:
        initial.check_shape(problem)
    return flags


def in_chunks(step: Callable[[int, int], object], n: int, deadline: Deadline | None, *,
              seconds: float = 0.05) -> int:
    """Call ``step(lo, hi)`` over ``range(n)`` in chunks of about ``seconds`` each until done or
    the deadline; returns how many items were done.

    For numba kernels that loop over items and cannot look at the clock themselves: the first
    chunk is one item (on a very long week one lecture's placement takes seconds), the next ones
    are sized by the measured time per item. Without a deadline
    one call does everything. A kernel that keeps its state (and numba's random stream) between
    calls gives the same result as one call whenever the deadline is not reached.
    """
    if deadline is None:
        step(0, n)
        return n
    done, chunk = 0, 1
    while done < n and not deadline.done():
        t = time.perf_counter()
        hi = min(n, done + chunk)
        step(done, hi)
        per_item = (time.perf_counter() - t) / (hi - done)
        done = hi
        chunk = int(max(1, min(seconds / max(per_item, 1e-9), 100_000)))
    return done


def rng_from(seed: int | np.random.Generator) -> np.random.Generator:
    """One seeded generator passed down explicitly (never module-level randomness)."""
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
