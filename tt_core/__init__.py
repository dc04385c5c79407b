"""timetable studio core package."""


def solve(problem, **kwargs):
    """Shortcut for :func:`tt_core.solvers.solve` (see there)."""
    from .solvers import solve as _solve

    return _solve(problem, **kwargs)
