"""One front door for every strategy: ``solve(problem, strategy=..., ...) -> SolveResult``.

Strategies are registered by name and imported lazily, so ``import tt_core`` stays light and a
Dask worker only loads what it runs.
"""

from __future__ import annotations

import importlib

from ..errors import TimetableError
from .base import Deadline, NeverStop, ProgressEvent, SolveResult, StopFlag

# name -> (module, function); every function takes the keyword arguments of ``solve`` below.
STRATEGIES: dict[str, tuple[str, str]] = {
    "local": ("tt_core.solvers.local_search", "solve_local"),
    "cpsat": ("tt_core.solvers.cpsat", "solve_cpsat"),
    "hierarchical": ("tt_core.solvers.hierarchical", "solve_hierarchical"),
    "ga": ("tt_core.solvers.ga", "solve_ga"),
}
DEFAULT_STRATEGY = "local"


def solve(problem, *, strategy: str | None = None, weights=None, time_limit: float = 60.0, seed: int = 0,
          initial=None, pinned=None, progress=None, stop=None, **options) -> SolveResult:
    """Solve ``problem`` with a named strategy (see ``STRATEGIES``).

    Parameters
    ----------
    problem : Problem
    strategy : str, optional
        One of ``STRATEGIES`` (default ``DEFAULT_STRATEGY``).
    weights : array, dict or None
        Constraint weights (``tt_core.cost.resolve_weights``); ``None`` = ITC2007 weights.
    time_limit : float
        Wall-clock budget in seconds.
    seed : int
        Same seed, same result for the single-threaded strategies.
    initial : Timetable, optional
        Start from (or stay close to) this timetable.
    pinned : bool array over lectures, optional
        Lectures that keep their ``initial`` period and room.
    progress : callable, optional
        Receives a ``ProgressEvent`` at least every 0.5 s.
    stop : object with ``is_set()``, optional
        The solve returns within 1 s of it being set, with its best timetable so far.
    **options
        Strategy-specific settings (e.g. ``workers`` for CP-SAT).
    """
    name = strategy or DEFAULT_STRATEGY
    if name not in STRATEGIES:
        raise TimetableError(f"unknown strategy {name!r}; choose one of: {', '.join(sorted(STRATEGIES))}")
    if time_limit is None or not time_limit > 0:
        raise TimetableError(f"time limit must be a positive number of seconds, got {time_limit!r}")
    module, func = STRATEGIES[name]
    fn = getattr(importlib.import_module(module), func)
    return fn(problem, weights=weights, time_limit=float(time_limit), seed=int(seed), initial=initial,
              pinned=pinned, progress=progress, stop=stop, **options)


__all__ = ["solve", "STRATEGIES", "DEFAULT_STRATEGY", "SolveResult", "ProgressEvent", "Deadline",
           "NeverStop", "StopFlag"]
