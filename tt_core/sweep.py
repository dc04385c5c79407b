"""Weight-profile sweeps: solve one problem under several weight profiles and seeds on Dask, then
compare the competing soft costs.

The unit of work is the pure top-level function :func:`run_profile` ``(problem, weights, seed,
time_limit) -> summary dict``, which Dask pickles to worker processes (DESIGN "parallel runs":
parameters stored next to each result). :func:`sweep` maps it over profiles × seeds and returns one
row per run; :func:`pareto_front` marks the runs no other run beats on every chosen objective.

Every run is scored twice: under its own profile (``soft_cost``, what the solver minimised) and
under the default weights (``default_cost``, one scale for all profiles). The per-constraint
*units* (columns named after ``tt_core.constraints.NAMES``) do not depend on weights, so they are
what a trade-off plot compares.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from . import constraints as K
from .cluster import on_each_worker
from .errors import TimetableError
from .model import Problem

# leading columns of a sweep table; the constraint names, ``weights`` and ``timetable`` follow
META_COLUMNS = ("profile", "seed", "strategy", "time_limit", "hard", "soft_cost", "default_cost", "elapsed")


def profile_weights(profile: Mapping[str, float]) -> dict[str, float]:
    """One weight per soft constraint for a weight profile as the store holds it.

    A profile names constraints (``{"RoomStability": 3}``) or whole dimensions (``{"teacher": 2}``,
    see ``ConstraintInfo.dimension``); what it leaves out keeps its default weight, and hard
    constraint names are ignored (hard terms are not weighted from a profile).

    Raises
    ------
    TimetableError
        An unknown name or a weight that is not a non-negative number.
    """
    from .profiles import expand_weights

    if not isinstance(profile, Mapping):
        raise TimetableError(f"a weight profile is a mapping of constraint names to weights, got {profile!r}")
    bad = [f"{k}={v!r}" for k, v in profile.items()
           if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating))
           or not np.isfinite(v) or v < 0]
    if bad:
        raise TimetableError("weights must be non-negative numbers: " + ", ".join(bad))
    return expand_weights(dict(profile))


def run_profile(problem: Problem, weights: Mapping[str, float], seed: int, time_limit: float, *,
                strategy: str = "local", profile: str | None = None) -> dict:
    """Solve ``problem`` once under ``weights`` and summarise the result (pure; runs on a Dask worker).

    Parameters
    ----------
    problem : Problem
    weights : mapping
        A weight profile (see :func:`profile_weights`).
    seed : int
    time_limit : float
        Seconds for the solve.
    strategy : str
        A ``tt_core.solvers.STRATEGIES`` name.
    profile : str, optional
        The profile's name, stored in the summary.

    Returns
    -------
    dict
        ``profile, seed, strategy, time_limit, hard, soft_cost`` (under ``weights``),
        ``default_cost`` (under the default weights), ``elapsed``, the units of every constraint
        (keys ``tt_core.constraints.NAMES``), ``weights`` (the full soft weight vector used, by name)
        and ``timetable`` (the best :class:`~tt_core.model.Timetable`).
    """
    from .cost import evaluate
    from .solvers import solve

    w = profile_weights(weights)
    result = solve(problem, strategy=strategy, weights=w, time_limit=time_limit, seed=int(seed))
    report = result.report
    row = {"profile": profile, "seed": int(seed), "strategy": strategy, "time_limit": float(time_limit),
           "hard": report.hard_violations, "soft_cost": float(report.soft_cost),
           "default_cost": float(evaluate(problem, result.timetable).soft_cost),
           "elapsed": round(float(result.elapsed), 3)}
    row.update({name: int(report.units[i]) for i, name in enumerate(K.NAMES)})
    row["weights"] = w
    row["timetable"] = result.timetable
    return row


def _warm_worker() -> None:
    # Load (or compile) the numba kernels before the clock of the first solve starts, so the first
    # run on each worker gets the same effective budget as the others.
    from .benchmark import warm_up

    warm_up()


def _dask_client(client, n_tasks: int):
    """The given client; else one of ``TT_DASK_SCHEDULER``; else a private ``LocalCluster`` of at most
    ``n_tasks`` workers, closed with the handle (:func:`tt_core.cluster.client_for`)."""
    from .cluster import client_for
    from .hardware import recommended_workers

    return client_for(client, n_workers=max(1, min(recommended_workers(), n_tasks)))


def sweep(problem: Problem, profiles: Mapping[str, Mapping[str, float]], seeds: Sequence[int],
          time_limit: float, client=None, *, strategy: str = "local", warm_up: bool = True,
          progress: Callable[[dict], None] | None = None) -> pd.DataFrame:
    """Solve ``problem`` for every weight profile and seed in parallel on Dask.

    Parameters
    ----------
    problem : Problem
    profiles : mapping of str to mapping
        ``{profile name: weight profile}`` (constraint or dimension names to weights, as in
        :func:`profile_weights` and the store's weight profiles).
    seeds : sequence of int
    time_limit : float
        Seconds per solve.
    client : dask.distributed.Client, optional
        Run on its workers; default ``TT_DASK_SCHEDULER`` when set, else a private
        ``LocalCluster`` of single-threaded worker processes (closed before returning).
    strategy : str
        A ``tt_core.solvers.STRATEGIES`` name.
    warm_up : bool
        Load the numba kernels on every worker before the first solve (fair budgets).
    progress : callable, optional
        Called with each run's summary row as it finishes (in completion order).

    Returns
    -------
    pandas.DataFrame
        One row per (profile, seed), in the order given: the columns of :func:`run_profile`.

    Raises
    ------
    TimetableError
        No profiles or seeds, a bad profile, strategy or time limit (before any work starts).
    """
    from .solvers import STRATEGIES

    if not profiles:
        raise TimetableError("a sweep needs at least one weight profile")
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise TimetableError("a sweep needs at least one seed")
    if len(set(seeds)) != len(seeds):
        raise TimetableError(f"the seeds of a sweep must differ, got {seeds}")
    if strategy not in STRATEGIES:
        raise TimetableError(f"unknown strategy {strategy!r}; choose one of: {', '.join(sorted(STRATEGIES))}")
    if time_limit is None or not time_limit > 0:
        raise TimetableError(f"time limit must be a positive number of seconds, got {time_limit!r}")
    weights = {}
    for name, profile in profiles.items():
        try:
            weights[name] = profile_weights(profile)
        except TimetableError as exc:
            raise TimetableError(f"weight profile {name!r}: {exc}") from None
    tasks = [(name, seed) for name in profiles for seed in seeds]
    from distributed import as_completed

    with _dask_client(client, len(tasks)) as handle:
        c = handle.client
        if warm_up:
            on_each_worker(c, _warm_worker)
        [remote_problem] = c.scatter([problem], broadcast=True, hash=False)
        futures = {c.submit(run_profile, remote_problem, weights[name], seed, float(time_limit),
                            strategy=strategy, profile=name, pure=False): (name, seed)
                   for name, seed in tasks}
        done: dict[tuple[str, int], dict] = {}
        try:
            for fut in as_completed(futures):
                row = fut.result()
                done[futures[fut]] = row
                if progress is not None:
                    progress(row)
        finally:
            c.cancel([f for f in futures if not f.done()])
    rows = [done[t] for t in tasks]
    columns = list(META_COLUMNS) + list(K.NAMES) + ["weights", "timetable"]
    return pd.DataFrame(rows, columns=columns)


def pareto_front(table: pd.DataFrame, objectives: Sequence[str], *, feasible_only: bool = True) -> np.ndarray:
    """Which rows are non-dominated when every objective is minimised.

    A row is dominated when another row is no worse on every objective and better on at least one;
    rows with identical objective values do not dominate each other.

    Parameters
    ----------
    table : pandas.DataFrame
        E.g. a :func:`sweep` result.
    objectives : sequence of str
        Numeric columns to minimise (e.g. ``["CurriculumCompactness", "TeacherPreference"]``).
    feasible_only : bool
        Rows with ``hard > 0`` are never on the front and do not dominate others.

    Returns
    -------
    numpy.ndarray of bool
        Parallel to the table's rows.
    """
    objectives = list(objectives)
    if not objectives:
        raise TimetableError("a Pareto front needs at least one objective column")
    missing = [o for o in objectives if o not in table.columns]
    if missing:
        raise TimetableError(f"no column {', '.join(map(repr, missing))} in the table; it has "
                             f"{', '.join(map(str, table.columns))}")
    values = table[objectives].to_numpy(dtype=np.float64)
    eligible = np.ones(len(table), bool)
    if feasible_only and "hard" in table.columns:
        eligible = table["hard"].to_numpy() == 0
    front = eligible.copy()
    pts = values[eligible]
    for i in np.flatnonzero(eligible):
        v = values[i]
        dominated = (pts <= v).all(axis=1) & (pts < v).any(axis=1)
        front[i] = not dominated.any()
    return front


__all__ = ["META_COLUMNS", "profile_weights", "run_profile", "sweep", "pareto_front"]
