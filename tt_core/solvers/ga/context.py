"""What the GA's operators share for one problem: the kernel arrays, weights, suitable rooms, pins."""

from __future__ import annotations

import numpy as np
from deap import base, creator

from ... import constraints as K
from ...cost import resolve_weights
from ...kernels.arrays import kernel_arrays
from ...kernels.incremental import KState
from ...model import Problem
from ..local_search import suitable_rooms
from .settings import GASettings

# DEAP classes are created once, at import, so that Dask workers (which import this module to run
# ``run_island``) can unpickle individuals; a second ``creator.create`` would warn.
if not hasattr(creator, "TimetableFitness"):
    creator.create("TimetableFitness", base.Fitness, weights=(-1.0, -1.0))  # (hard, soft), minimised
if not hasattr(creator, "TimetableIndividual"):
    creator.create("TimetableIndividual", np.ndarray, fitness=creator.TimetableFitness)


class Context:
    """Per-process, per-problem arrays the operators share (built once per solve or island)."""

    def __init__(self, problem: Problem, weights, pinned: np.ndarray, settings: GASettings):
        self.problem = problem
        self.settings = settings
        self.ka = kernel_arrays(problem)
        self.w_user = resolve_weights(weights)
        self.w_hard = self.w_user.copy()
        self.w_hard[K.HARD_MASK] *= settings.hard_weight
        # repair annealing: hard units dominate, soft costs only break ties (as in local search)
        self.w_repair = self.w_user * 0.01
        self.w_repair[K.HARD_MASK] = 1.0
        self.pinned = pinned
        self.movable_mask = ~pinned
        self.movable = np.flatnonzero(~pinned).astype(np.int32)
        self.suit_ptr, self.suit_idx = suitable_rooms(problem)
        L = problem.n_lectures
        self.no_initial = np.full(L, -1, np.int32)
        lc = problem.lecture_course
        avail = (~problem.unavailable).sum(axis=1)[lc]
        degree = problem.conflict.sum(axis=1)[lc]
        self.difficulty = avail / (1.0 + degree)  # low = hard to place (as in construct)
        self.du = np.zeros(K.N_CONSTRAINTS, np.int64)
        self.local_t0 = settings.local_t0
        self.t0: float | None = None  # local search's start temperature, estimated on first use

    def individual(self, period: np.ndarray, room: np.ndarray):
        """A DEAP individual (fitness not yet valid) from period and room arrays."""
        return creator.TimetableIndividual([np.asarray(period, np.int32), np.asarray(room, np.int32)])


def hard_of(st: KState) -> int:
    return int(st.units[K.HARD_MASK].sum())
