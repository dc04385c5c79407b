"""Weight profiles: named weights per soft constraint or per dimension of constraints.

A profile may weigh a whole dimension (``{"teacher": 2}``) or single constraints
(``{"MinWorkingDays": 3}``); :func:`expand_weights` turns it into one weight per soft constraint
of the catalogue (:mod:`tt_core.constraints`). Profiles are stored per scenario
(:mod:`tt_core.store.weights`).
"""

from __future__ import annotations

from . import constraints as K
from .errors import TimetableError


def soft_constraints_by_dimension() -> dict[str, list[str]]:
    """Soft constraint names grouped by their context-profile dimension, in catalogue order."""
    groups: dict[str, list[str]] = {}
    for c in K.CONSTRAINTS:
        if not c.hard:
            groups.setdefault(c.dimension, []).append(c.name)
    return groups


def default_weights() -> dict[str, float]:
    """The ITC2007 weight of every soft constraint (the extensions weigh 1)."""
    return {c.name: float(c.itc_weight) for c in K.CONSTRAINTS if not c.hard}


def expand_weights(profile: dict[str, float]) -> dict[str, float]:
    """A stored profile as one weight per soft constraint.

    A profile may weigh a whole dimension (``{"teacher": 2}``): every constraint of it gets that
    weight, unless the profile names the constraint itself. Constraints it does not mention keep
    their default weight. Hard constraints are not weighted from a profile.
    """
    out = default_weights()
    groups = soft_constraints_by_dimension()
    for dim, names in groups.items():
        if dim in profile:
            for n in names:
                out[n] = float(profile[dim])
    for name, w in profile.items():
        if name in out:
            out[name] = float(w)
        elif name not in groups and name not in K.NAMES:
            raise TimetableError(f"weight profile names an unknown constraint {name!r}; known: {', '.join(out)}")
    return out
