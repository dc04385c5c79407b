"""timetable studio core package."""

from . import numba_cache as _numba_cache

_numba_cache.refresh()  # before any kernel loads: drop compiled kernels older than their sources


def solve(problem, **kwargs):
    """Shortcut for :func:`tt_core.solvers.solve` (see there)."""
    from .solvers import solve as _solve

    return _solve(problem, **kwargs)
