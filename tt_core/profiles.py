"""Weight profiles: named weights per soft constraint or per dimension of constraints.

A profile may weigh a whole dimension (``{"teacher": 2}``) or single constraints
(``{"MinWorkingDays": 3}``); :func:`expand_weights` turns it into one weight per soft constraint
of the catalogue (:mod:`tt_core.constraints`). Profiles are stored per scenario
(:mod:`tt_core.store.weights`).

The five formulations of the extended curriculum-based benchmark (UD1-UD5, :data:`FORMULATIONS`)
are profiles too: ``formulation("UD4").weights`` is a profile like any other (``tt import`` of an
``.ectt`` file stores all five with the scenario), and UD4's hard unsuitable rooms are a change of
the problem's room suitability, :meth:`Formulation.prepare`.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    """The ITC2007 weight of every soft constraint (the extensions weigh 1, curriculum windows 0:
    ITC2007 counts isolated lectures instead)."""
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


# ====================================================================================== formulations

@dataclass(frozen=True)
class Formulation:
    """One cost formulation of the extended curriculum-based benchmark (UD1 ... UD5).

    Bonutti, De Cesco, Di Gaspero & Schaerf, "Benchmarking curriculum-based course timetabling"
    (Annals of OR, 2012), as their validator (``validator.cc``) counts them. A formulation is a
    weight profile (:attr:`weights`, one weight per soft constraint: the terms it does not count
    weigh 0) plus, for UD4, the listed unsuitable rooms made hard (:meth:`prepare`).

    Attributes
    ----------
    name : str
        ``"UD1"`` ... ``"UD5"``.
    description : str
    weights : dict of str to float
        Every soft constraint of :mod:`tt_core.constraints` and its weight.
    rooms_hard : bool
        The listed unsuitable rooms (``Problem.room_unsuitable``) are a hard constraint.
    lines : tuple of (str, int, bool)
        The validator's report, in its order: ``(label, constraint index, hard)``.
    """

    name: str
    description: str
    weights: dict
    rooms_hard: bool
    lines: tuple

    def prepare(self, problem):
        """The problem as this formulation scores it: for UD4 the listed unsuitable rooms become
        unsuitable (the hard ``RoomSuitability``, which every solver already respects), and the
        curriculum windows and travel are counted when the formulation weighs them; else
        ``problem`` itself."""
        changes = {}
        if self.rooms_hard and problem.room_unsuitable.any():
            changes["suitable"] = problem.suitable & ~problem.room_unsuitable
        if self.weights.get("CurriculumWindows", 0.0) and not problem.count_windows:
            changes["count_windows"] = True
        if self.weights.get("TravelDistance", 0.0) and not problem.count_travel:
            changes["count_travel"] = True
        return problem.replace(**changes) if changes else problem

    def weight_vector(self):
        """The weights as a vector over the catalogue (hard terms 1)."""
        w = K.itc_weights()
        for name, value in self.weights.items():
            w[K.index_of(name)] = value
        return w


_HARD_LINES = (("Lectures", K.LECTURES, True), ("Conflicts", K.CONFLICTS, True),
               ("Availability", K.AVAILABILITY, True), ("RoomOccupation", K.ROOM_OCCUPATION, True))


def _formulation(name: str, description: str, weights: dict[str, float], lines: tuple, rooms_hard: bool = False):
    full = {c.name: 0.0 for c in K.CONSTRAINTS if not c.hard}
    for k, v in weights.items():
        full[k] = float(v)
    return Formulation(name, description, full, rooms_hard, _HARD_LINES + lines)


#: the benchmark's five formulations, weights as ``validator.cc`` applies them
FORMULATIONS: dict[str, Formulation] = {f.name: f for f in (
    _formulation("UD1", "Di Gaspero & Schaerf 2006: capacity, working days, isolated lectures",
                 {"RoomCapacity": 1, "MinWorkingDays": 5, "CurriculumCompactness": 1},
                 (("RoomCapacity", K.ROOM_CAPACITY, False), ("MinWorkingDays", K.MIN_WORKING_DAYS, False),
                  ("IsolatedLectures", K.COMPACTNESS, False))),
    _formulation("UD2", "ITC2007 track 3: capacity, working days, isolated lectures x2, room stability",
                 {"RoomCapacity": 1, "MinWorkingDays": 5, "CurriculumCompactness": 2, "RoomStability": 1},
                 (("RoomCapacity", K.ROOM_CAPACITY, False), ("MinWorkingDays", K.MIN_WORKING_DAYS, False),
                  ("IsolatedLectures", K.COMPACTNESS, False), ("RoomStability", K.ROOM_STABILITY, False))),
    _formulation("UD3", "capacity, windows x4, unsuitable rooms x3 (soft), student load x2",
                 {"RoomCapacity": 1, "CurriculumWindows": 4, "UnsuitableRooms": 3, "CurriculumDailyLoad": 2},
                 (("RoomCapacity", K.ROOM_CAPACITY, False), ("CurriculumCompactness", K.WINDOWS, False),
                  ("RoomConstraints", K.UNSUITABLE_ROOMS, False), ("StudentLoad", K.CURRICULUM_LOAD, False))),
    _formulation("UD4", "unsuitable rooms hard; capacity, working days, windows, double lectures, student load",
                 {"RoomCapacity": 1, "MinWorkingDays": 1, "CurriculumWindows": 1, "DoubleLectures": 1,
                  "CurriculumDailyLoad": 1},
                 (("RoomConstraints", K.ROOM_SUITABILITY, True), ("RoomCapacity", K.ROOM_CAPACITY, False),
                  ("MinWorkingDays", K.MIN_WORKING_DAYS, False), ("CurriculumCompactness", K.WINDOWS, False),
                  ("DoubleLectures", K.DOUBLE_LECTURES, False), ("StudentLoad", K.CURRICULUM_LOAD, False)),
                 rooms_hard=True),
    _formulation("UD5", "capacity, working days x5, windows x2, isolated lectures, travel x2, student load x2",
                 {"RoomCapacity": 1, "MinWorkingDays": 5, "CurriculumWindows": 2, "CurriculumCompactness": 1,
                  "TravelDistance": 2, "CurriculumDailyLoad": 2},
                 (("RoomCapacity", K.ROOM_CAPACITY, False), ("MinWorkingDays", K.MIN_WORKING_DAYS, False),
                  ("CurriculumCompactness", K.WINDOWS, False), ("StudentLoad", K.CURRICULUM_LOAD, False),
                  ("TravelDistance", K.TRAVEL, False), ("IsolatedLectures", K.COMPACTNESS, False))),
)}


def formulation(name: str) -> Formulation:
    """The formulation ``name`` (``UD1`` ... ``UD5``, any case); a user-facing error naming them."""
    key = str(name).strip().upper()
    if key not in FORMULATIONS:
        raise TimetableError(f"unknown formulation {name!r}; choose one of {', '.join(FORMULATIONS)} (UD2 is ITC2007)")
    return FORMULATIONS[key]
