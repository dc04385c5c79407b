"""One front door for every strategy: ``solve(problem, strategy=..., ...) -> SolveResult``.

Strategies are registered by name and imported lazily, so ``import tt_core`` stays light and a
Dask worker only loads what it runs. There is one registry per problem family: ``STRATEGIES``
for the curriculum :class:`~tt_core.model.Problem`, ``CLASS_STRATEGIES`` for the class model's
:class:`~tt_core.classes.ClassProblem` (ITC2019-style real university data); ``solve`` picks the
registry by the problem's family, so the curriculum path is unchanged.
"""

from __future__ import annotations

import importlib
import sys

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

# the class model's strategies (a ClassProblem in, a ClassSolveResult out)
CLASS_STRATEGIES: dict[str, tuple[str, str]] = {
    "classes": ("tt_core.solvers.classes", "solve_classes"),
}
CLASS_DEFAULT_STRATEGY = "classes"


def problem_family(problem) -> str:
    """``"classes"`` for a :class:`~tt_core.classes.ClassProblem`, ``"curriculum"`` otherwise.

    Looks the class model up in ``sys.modules`` rather than importing it: a problem of that
    family cannot exist unless its module was loaded, and curriculum callers stay light.
    """
    model = sys.modules.get("tt_core.classes.model")
    if model is not None and isinstance(problem, model.ClassProblem):
        return "classes"
    return "curriculum"


def strategies_for(problem) -> tuple[dict[str, tuple[str, str]], str]:
    """The registry and the default strategy name for ``problem``'s family."""
    if problem_family(problem) == "classes":
        return CLASS_STRATEGIES, CLASS_DEFAULT_STRATEGY
    return STRATEGIES, DEFAULT_STRATEGY


def solve(problem, *, strategy: str | None = None, weights=None, time_limit: float = 60.0, seed: int = 0,
          initial=None, pinned=None, progress=None, stop=None, **options) -> SolveResult:
    """Solve ``problem`` with a named strategy (see ``STRATEGIES``).

    Parameters
    ----------
    problem : Problem or ClassProblem
    strategy : str, optional
        One of ``STRATEGIES`` (default ``DEFAULT_STRATEGY``) for a curriculum problem, one of
        ``CLASS_STRATEGIES`` (default ``CLASS_DEFAULT_STRATEGY``) for a class problem.
    weights : array, dict or None
        Constraint weights (``tt_core.cost.resolve_weights``); ``None`` = ITC2007 weights. For a
        class problem: a dict overriding some of its four weights (``time``, ``room``,
        ``distribution``, ``student``); ``None`` = the instance's own.
    time_limit : float
        Wall-clock budget in seconds.
    seed : int
        Same seed, same result for the single-threaded strategies.
    initial : Timetable or ClassSolution, optional
        Start from (or stay close to) this timetable.
    pinned : bool array over lectures (classes), optional
        Lectures (classes) that keep their ``initial`` period and room.
    progress : callable, optional
        Receives a ``ProgressEvent`` at least every 0.5 s.
    stop : object with ``is_set()``, optional
        The solve returns within 1 s of it being set, with its best timetable so far.
    **options
        Strategy-specific settings (e.g. ``workers`` for CP-SAT).
    """
    registry, default = strategies_for(problem)
    name = strategy or default
    if name not in registry:
        other = CLASS_STRATEGIES if registry is STRATEGIES else STRATEGIES
        kind = "a class problem (ITC2019)" if registry is CLASS_STRATEGIES else "a curriculum problem"
        hint = f" ({name!r} solves the other problem family)" if name in other else ""
        raise TimetableError(f"unknown strategy {name!r} for {kind}{hint}; choose one of: "
                             f"{', '.join(sorted(registry))}")
    if time_limit is None or not time_limit > 0:
        raise TimetableError(f"time limit must be a positive number of seconds, got {time_limit!r}")
    module, func = registry[name]
    fn = getattr(importlib.import_module(module), func)
    return fn(problem, weights=weights, time_limit=float(time_limit), seed=int(seed), initial=initial,
              pinned=pinned, progress=progress, stop=stop, **options)


__all__ = ["solve", "STRATEGIES", "DEFAULT_STRATEGY", "CLASS_STRATEGIES", "CLASS_DEFAULT_STRATEGY",
           "problem_family", "strategies_for", "SolveResult", "ProgressEvent", "Deadline",
           "NeverStop", "StopFlag"]
