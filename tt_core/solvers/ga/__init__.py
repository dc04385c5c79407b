"""Memetic genetic algorithm (DEAP) with an island model on Dask.

An individual is a timetable: a ``(2, L)`` int32 array, row 0 the start period and row 1 the room of
every lecture. One generation:

1. **selection** — tournaments (``tournament`` individuals, lexicographic fitness);
2. **crossover** — *course-wise* (each course takes all its lectures' placements from one parent)
   or *day-wise* (per course, one parent's lectures on a random subset of days and the other
   parent's on the remaining days), then a **repair** on the incremental evaluator: lectures in
   a hard violation are ejected (only those whose removal lowers the clash/room/availability
   units), and every unplaced lecture is re-inserted at its cheapest *hard-feasible* (period,
   room) by exact delta, hardest lectures first; should none be free, the cheapest placement by
   ``hard_weight × hard + soft`` is taken and a short hard-only annealing finishes the job;
3. **mutation** — a few random moves/swaps that do not add a hard violation (exact deltas of
   ``kernels.incremental``);
4. **memetic improvement** — ``local_iterations`` steps of local search's simulated annealing
   kernel on every child (Lamarckian). With ``temperature="clock"`` (default) all children of a
   generation anneal over the same window of *one* geometric schedule spanning the whole budget,
   so every lineage is a slowly cooled annealing run and the GA adds selection and recombination
   between runs (population annealing); ``"restart"`` anneals each child from a fixed hot
   temperature down and keeps its best. On comp07 at 10 s, "clock" reached 85 where "restart"
   reached 153 (same settings otherwise);
5. **fitness** — one batch evaluation of all children per generation
   (:func:`tt_core.kernels.gpu.batch_evaluate`: numba, or CuPy on a GPU); fitness is the
   lexicographic pair ``(hard units, weighted soft cost)``, both minimised;
6. **replacement** — the ``elite`` best survive unchanged, the children fill the rest.

The first population is the greedy construction (repaired; CP-SAT feasibility when it stays
infeasible) plus copies diversified by random feasibility-keeping moves, each briefly annealed.

The defaults (8 individuals, 200k annealing steps per child, day-wise crossover taking 20% of
the days from the second parent) were picked on comp07/comp01/comp05 at 10 s: larger populations
with shorter annealing, and mixing half of the courses, did worse (see ``benchmarks/ga.py``).

Pinned lectures are never ejected, moved or inherited differently (both parents hold their
pinned placement). All randomness comes from one ``numpy.random.Generator`` (numba kernels are
seeded from it before each use), so ``islands=1`` with a fixed ``generations`` gives the same
timetable for the same seed.

Islands on Dask
---------------
``islands=N > 1`` runs :func:`run_island` — a top-level function ``(problem, seed, params) ->
summary`` — as N Dask tasks (on ``client``, on ``TT_DASK_SCHEDULER`` when set, else on a private
``LocalCluster(N, threads_per_worker=1, processes=True)``). The islands talk through three kinds of
scheduler-side objects of ``distributed``, all named after the run:

* **migrants** — one ``distributed.Queue`` per island, in a ring: every ``migration_interval``
  generations island *i* puts its ``migrants`` best individuals (bytes + fitness, a few KB) on the
  queue of island *i+1* and takes whatever waits in its own queue (``get(batch=True)``, never
  blocking); immigrants replace the worst individuals. A queue was chosen because each migrant is
  delivered exactly once and buffered until the (possibly busy) receiver asks, without a barrier
  between islands. A ``Variable`` keeps only the last value, so a slow island would miss
  migrants and two senders would overwrite each other; Pub/Sub no longer exists in
  ``distributed`` (and dropped messages sent before a subscriber existed).
* **progress** — one shared ``Queue`` the islands put small dicts on (at most every 0.25 s); the
  caller drains it and emits one merged ``ProgressEvent`` stream (best over islands) at least
  every 0.5 s.
* **stop** — one ``distributed.Event``, set by the caller when its time is up or the user's
  ``stop`` is set; every island polls it (throttled to every 0.2 s), so all stop within ~0.5 s.

The package, by concept: :mod:`.settings` (:class:`GASettings`), :mod:`.context` (what the
operators share), :mod:`.operators` (crossover, repair, mutation, memetic annealing, selection),
:mod:`.population` (one island's evolution), :mod:`.islands` (Dask), :mod:`.solve` (the front door).
"""

from __future__ import annotations

from .context import Context, hard_of
from .islands import run_island
from .operators import course_crossover, day_crossover, improve, mutate, repair, tournament
from .population import evaluate_population, evolve
from .settings import GASettings
from .solve import solve_ga

__all__ = ["GASettings", "solve_ga", "run_island", "course_crossover", "day_crossover", "repair", "mutate",
           "improve", "tournament", "evaluate_population", "evolve", "Context", "hard_of"]
