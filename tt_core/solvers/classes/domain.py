"""The search space of a class problem: every class's *values* (time option × room option), which
of them a room's unavailability rules out, and which classes are pinned.

A value of class ``c`` is the pair ``(t, o)`` of a time option and a room option, both indices
within the class (``o = -1`` for a class that needs no room). Values are numbered globally,
``vptr[c] + t · nro[c] + max(o, 0)``, so per-value statistics (the conflict counters of the
construction) are flat arrays. A value whose room is unavailable at some moment of its time is
invalid once and for all: the solver never proposes it (cpsolver purges such placements at load).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from ...classes.distributions import DistributionType
from ...classes.kernels import ClassArrays, class_arrays, unavailable

# pairwise types whose verdict depends on the rooms (the others only look at the times)
ROOM_TYPES = (DistributionType.SAME_ROOM, DistributionType.DIFFERENT_ROOM, DistributionType.SAME_ATTENDEES)


class Domain(NamedTuple):
    """Per-class values and what the search may do with them (read-only during a solve)."""

    nro: np.ndarray          # int32 [C] room choices (1 for a class without rooms: o = -1)
    vptr: np.ndarray         # int64 [C+1] global value numbering
    valid: np.ndarray        # bool [V] the room is available during the whole time option
    n_valid: np.ndarray      # int32 [C] valid values per class
    pinned: np.ndarray       # bool [C] the class keeps its initial value
    movable: np.ndarray      # int32 the classes that are not pinned
    room_dep: np.ndarray     # bool [D] a pairwise type that depends on rooms
    n_required: np.ndarray   # int32 [C] required distributions the class is in
    difficulty: np.ndarray   # float64 [C] valid values / (1 + required distributions): small = hard


@njit(cache=True)
def _valid_values(ka, nro, vptr, valid):
    for c in range(ka.n_classes):
        nt = ka.time_ptr[c + 1] - ka.time_ptr[c]
        for t in range(nt):
            g = ka.time_ptr[c] + t
            for oi in range(nro[c]):
                v = vptr[c] + t * nro[c] + oi
                if ka.room_ptr[c + 1] == ka.room_ptr[c]:
                    valid[v] = True
                    continue
                r = ka.o_room[ka.room_ptr[c] + oi]
                valid[v] = not unavailable(ka, r, ka.t_start[g], ka.t_end[g], ka.t_days[g], ka.t_weeks[g])


def build_domain(problem, pinned: np.ndarray | None = None,
                 maxblock: str = "competition") -> tuple[ClassArrays, Domain]:
    """The kernels' arrays and the :class:`Domain` of ``problem``.

    Parameters
    ----------
    problem : ClassProblem
    pinned : bool array [C], optional
        Classes that keep their initial value.
    maxblock : str
        The MaxBlock reading (see :mod:`tt_core.classes.distributions`).
    """
    ka = class_arrays(problem, maxblock)
    C = problem.n_classes
    nt = np.diff(problem.time_ptr).astype(np.int64)
    nr = np.diff(problem.room_option_ptr).astype(np.int64)
    nro = np.maximum(nr, 1).astype(np.int32)
    vptr = np.zeros(C + 1, np.int64)
    np.cumsum(nt * nro, out=vptr[1:])
    valid = np.zeros(int(vptr[-1]), np.bool_)
    _valid_values(ka, nro, vptr, valid)
    owner = np.repeat(np.arange(C), np.diff(vptr))
    n_valid = np.bincount(owner[valid], minlength=C).astype(np.int32)
    pin = np.zeros(C, np.bool_) if pinned is None else np.asarray(pinned, np.bool_).copy()
    room_dep = np.isin(problem.distribution_type, [int(k) for k in ROOM_TYPES])
    cd_ptr, cd_dist, _ = problem.class_distributions
    cd_class = np.repeat(np.arange(C), np.diff(cd_ptr))
    n_required = np.bincount(cd_class, weights=problem.distribution_required[cd_dist], minlength=C)
    difficulty = n_valid / (1.0 + n_required)
    return ka, Domain(nro=nro, vptr=vptr, valid=valid, n_valid=n_valid, pinned=pin,
                      movable=np.flatnonzero(~pin).astype(np.int32), room_dep=room_dep,
                      n_required=n_required.astype(np.int32), difficulty=difficulty.astype(np.float64))
