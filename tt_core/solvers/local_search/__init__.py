"""Simulated annealing over lecture moves and swaps, on the incremental delta kernels.

The method follows the simulated annealing that is state of the art for CB-CTT (Bellio, Ceschia,
Di Gaspero, Schaerf & Urli, "Feature-based tuning of simulated annealing applied to the
curriculum-based course timetabling problem", Computers & OR 2016): the search space contains
infeasible timetables, hard violations are penalised by a weight ``hard_weight``, the neighbourhood
is the union of MoveLecture (new period and/or room) and SwapLectures (exchange two lectures'
period and room), and the temperature falls geometrically. Two changes for a fixed *wall-clock*
budget: the temperature follows the clock (``T(t) = T0 * (Tmin/T0)^(t/T)``) so every budget gets a
full schedule, split into cycles (up to three, as many as the budget affords), each later one
reheating from the best timetable.

Pinned lectures never move. With ``initial`` and ``perturbation_weight > 0`` every lecture away
from its initial period/room costs that weight (minimal-perturbation re-timetabling, as an explicit
penalty rather than only a hint).

Same seed and same ``iterations`` → the same timetable. With only a time limit the schedule follows
the clock, so the result also depends on the machine's speed.

The package, by concept: :mod:`.kernels` (the numba step kernel and its moves), :mod:`.stream`
(the kernels' random numbers), :mod:`.construct` (greedy start), :mod:`.schedule` (temperature),
:mod:`.search` (one run: construction, repair, annealing), :mod:`.portfolio` (several runs in
threads). The GA and the hierarchical pipeline build on the public names below.
"""

from __future__ import annotations

from .construct import construct, suitable_rooms
from .kernels import (
    NO_FOCUS,
    anneal_steps,
    hard_units,
    in_violation,
    movable_flag,
    room_free,
    seed_kernels,
    weighted_sum,
)
from .portfolio import Exchange, solve_local
from .schedule import Schedule, start_temperature
from .search import CPSAT_REPAIR_MAX_SIZE, anneal
from .stream import new_stream

__all__ = ["solve_local", "anneal", "construct", "suitable_rooms", "in_violation", "anneal_steps", "seed_kernels",
           "weighted_sum", "hard_units", "movable_flag", "room_free", "NO_FOCUS", "CPSAT_REPAIR_MAX_SIZE", "Exchange",
           "Schedule", "start_temperature", "new_stream"]
